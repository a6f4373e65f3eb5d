//! `querymore envelope`: prints the exact SOAP envelope the crate would send for
//! `login`, `query` or `queryMore`, built by the backend's own envelope
//! functions, for comparison with a legacy integration's captured requests. The
//! session id and password are replaced by `[SESSION]` / `[PASSWORD]` unless
//! `--show-secrets` is given.

use super::Failure;
use super::args::{Backend, EnvelopeArgs, EnvelopeCall};
use crate::Secret;
use std::io::Write;

/// Runs `envelope`.
pub(crate) fn run(args: EnvelopeArgs) -> Result<(), Failure> {
    let mut bytes = render(&args)?;
    bytes.push(b'\n');
    std::io::stdout()
        .write_all(&bytes)
        .map_err(|e| Failure::failed(format!("cannot write to standard output: {e}")))
}

/// The envelope's bytes.
fn render(args: &EnvelopeArgs) -> Result<Vec<u8>, Failure> {
    let shown = |secret: &Secret, placeholder: &str| {
        if args.show_secrets {
            secret.clone()
        } else {
            Secret::new(placeholder)
        }
    };
    let calls = match args.backend {
        Backend::ZuoraSoap => &crate::zuora::soap::envelope::CALLS,
        Backend::SalesforceSoap => &crate::salesforce::soap::envelope::CALLS,
        other => {
            return Err(Failure::usage(format!(
                "envelopes are available for zuora-soap and salesforce-soap, not {}",
                other.kind()
            )));
        }
    };
    Ok(match &args.call {
        EnvelopeCall::Login { username, password } => {
            calls.login(username, &shown(password, "[PASSWORD]"))
        }
        EnvelopeCall::Query {
            query,
            session,
            batch_size,
            query_all,
        } => {
            let operation = match (*query_all, args.backend) {
                (false, _) => "query",
                (true, Backend::SalesforceSoap) => "queryAll",
                (true, _) => {
                    return Err(Failure::usage(
                        "zuora-soap has no queryAll; use --backend salesforce-soap",
                    ));
                }
            };
            calls.query(operation, &shown(session, "[SESSION]"), query, *batch_size)
        }
        EnvelopeCall::QueryMore {
            locator,
            session,
            batch_size,
        } => calls.query_more(&shown(session, "[SESSION]"), locator, *batch_size),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn envelope(argv: &[&str]) -> Result<String, Failure> {
        let cli = super::super::args::Cli::try_parse_from(argv).unwrap();
        match cli.command {
            super::super::args::Command::Envelope(a) => {
                render(&a).map(|b| String::from_utf8(b).unwrap())
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn query_more_redacts_the_session_unless_asked() {
        let argv = [
            "querymore",
            "envelope",
            "query-more",
            "--session",
            "sess-777",
            "--batch-size",
            "500",
            "2c92c0f8-500",
        ];
        let s = envelope(&argv).unwrap();
        assert!(s.contains("[SESSION]") && !s.contains("sess-777"), "{s}");
        assert!(s.contains(">2c92c0f8-500<") && s.contains(">500<"), "{s}");
        let mut shown = argv.to_vec();
        shown.push("--show-secrets");
        assert!(envelope(&shown).unwrap().contains(">sess-777<"));
    }

    #[test]
    fn login_redacts_the_password_and_query_all_is_refused_for_zuora() {
        let s = envelope(&[
            "querymore",
            "envelope",
            "login",
            "--username",
            "u@x",
            "--password",
            "pw-123",
        ])
        .unwrap();
        assert!(s.contains("[PASSWORD]") && !s.contains("pw-123"), "{s}");
        let e = envelope(&[
            "querymore",
            "envelope",
            "query",
            "--session",
            "s",
            "--query-all",
            "select Id from Account",
        ])
        .unwrap_err();
        assert_eq!(e.code(), 2);
    }

    #[test]
    fn salesforce_soap_envelopes_are_the_partner_dialect() {
        let s = envelope(&[
            "querymore",
            "envelope",
            "query",
            "--backend",
            "salesforce-soap",
            "--session",
            "00D!sess-9",
            "--query-all",
            "--batch-size",
            "200",
            "select Id from Contact",
        ])
        .unwrap();
        assert!(
            s.contains("<urn:queryAll><urn:queryString>select Id from Contact<"),
            "{s}"
        );
        assert!(
            s.contains("<urn:sessionId>[SESSION]</urn:sessionId>"),
            "{s}"
        );
        assert!(s.contains("<urn:batchSize>200</urn:batchSize>"), "{s}");
        assert!(!s.contains("sess-9"), "{s}");
        let e = envelope(&[
            "querymore",
            "envelope",
            "--backend",
            "zuora-rest",
            "query",
            "--session",
            "s",
            "q",
        ])
        .unwrap_err();
        assert_eq!(e.code(), 2);
    }
}
