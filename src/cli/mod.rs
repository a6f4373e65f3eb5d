//! The `querymore` command (feature `cli`): `export` a query to JSONL or CSV
//! (resumable), serve the `mock`, print SOAP `envelope`s, and `compare` two
//! backends. This module parses the command line, runs the chosen command on a
//! tokio runtime and turns the outcome into an exit status:
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success (for `compare`: both sides match) |
//! | 1 | failure: one line `error: ...` on stderr (the service's code and message, never a credential); for `compare`, the sides differ |
//! | 2 | usage error: a bad option or value (clap's message, or e.g. a batch size out of the backend's range) |

mod args;
mod checkpoint;
mod compare;
mod connect;
mod envelope;
mod export;
mod progress;
mod serve;
mod sink;

use args::{Cli, Command};
use clap::Parser;
use std::fmt;
use std::process::ExitCode;

/// Runs the command line in `std::env::args()` and returns the exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the async runtime: {e}")))?;
    match cli.command {
        Command::Export(a) => export::run(&rt, a),
        Command::Mock(a) => serve::run(&rt, a),
        Command::Envelope(a) => envelope::run(a),
        Command::Compare(a) => compare::run(&rt, a),
    }
}

/// Why a command did not succeed: the exit status and a one-line message.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// A failure of the run itself (status 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: one_line(message.into()),
        }
    }

    /// A usage error (status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: one_line(message.into()),
        }
    }

    /// The exit status.
    #[cfg(test)]
    pub fn code(&self) -> u8 {
        self.code
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Input rejected before any request (a batch size out of range, missing
/// credentials, a malformed URL) is a usage error; everything else a failure.
impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::InvalidInput { .. } | crate::Error::Unsupported { .. } => {
                Failure::usage(e.to_string())
            }
            _ => Failure::failed(e.to_string()),
        }
    }
}

fn one_line(s: String) -> String {
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_is_a_usage_error_and_faults_are_failures() {
        let usage: Failure = crate::Error::InvalidInput {
            what: "batch size",
            reason: "too big".into(),
        }
        .into();
        assert_eq!(usage.code(), 2);
        let fault: Failure = crate::Error::from(crate::Fault::new(
            crate::BackendKind::ZuoraSoap,
            "INVALID_LOGIN",
            "bad\nlogin",
        ))
        .into();
        assert_eq!(fault.code(), 1);
        assert_eq!(
            fault.to_string(),
            "zuora-soap fault INVALID_LOGIN: bad login"
        );
    }
}
