//! `querymore envelope`: prints the exact SOAP envelope the crate would send for
//! `login`, `query` or `queryMore`, with the session id and password redacted
//! unless `--show-secrets` is given.

use super::Failure;
use super::args::EnvelopeArgs;

/// Runs `envelope`.
pub(crate) fn run(args: EnvelopeArgs) -> Result<(), Failure> {
    Err(Failure::failed(format!(
        "envelopes for {} are not available in this build yet",
        args.backend.kind()
    )))
}
