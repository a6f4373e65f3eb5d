//! The command line, declared with clap's derive API: the four subcommands, the
//! connection and credential options they share, and the value types (backend,
//! format) they parse into. Credentials are parsed straight into [`Secret`]s.

use crate::{BackendKind, Secret};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The `querymore` command.
#[derive(Debug, Parser)]
#[command(
    name = "querymore",
    version,
    about = "Page query results out of Zuora and Salesforce (SOAP, REST, Bulk) into JSONL or CSV",
    long_about = "Page query results out of Zuora and Salesforce (SOAP, REST, Bulk) into JSONL or CSV.\n\n\
                  With no --endpoint, commands run against the embedded mock server and its sample data set.\n\n\
                  Exit status: 0 success, 1 failure (one line: error: ...), 2 usage error (bad option or value)."
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Export a query's results to JSONL or CSV (resumable with --checkpoint/--resume).
    Export(ExportArgs),
    /// Serve the mock (every backend) on 127.0.0.1 until interrupted.
    Mock(MockArgs),
    /// Print the exact SOAP envelope the crate would send.
    Envelope(EnvelopeArgs),
    /// Page one query through two backends and report the differences.
    Compare(CompareArgs),
}

/// A backend, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Backend {
    /// Zuora SOAP API (`login`, `query`, `queryMore`).
    ZuoraSoap,
    /// Zuora REST query actions.
    ZuoraRest,
    /// Salesforce REST API (`query`, `queryAll`, `nextRecordsUrl`).
    SalesforceRest,
    /// Salesforce SOAP partner API.
    SalesforceSoap,
    /// Salesforce Bulk API 2.0 query jobs.
    SalesforceBulk,
}

impl Backend {
    /// The library's name for it.
    pub fn kind(self) -> BackendKind {
        match self {
            Backend::ZuoraSoap => BackendKind::ZuoraSoap,
            Backend::ZuoraRest => BackendKind::ZuoraRest,
            Backend::SalesforceRest => BackendKind::SalesforceRest,
            Backend::SalesforceSoap => BackendKind::SalesforceSoap,
            Backend::SalesforceBulk => BackendKind::SalesforceBulk,
        }
    }
}

/// The export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row (nested fields as dotted paths).
    Csv,
}

/// Parses a credential straight into a [`Secret`].
fn secret(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(s))
}

/// Where to connect and how to authenticate; every value may also come from the
/// environment. Secret values are never shown in `--help`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct Credentials {
    /// SOAP login user name.
    #[arg(long, env = "QUERYMORE_USERNAME", hide_env_values = true)]
    pub username: Option<String>,
    /// SOAP login password (never echoed, logged or checkpointed).
    #[arg(long, env = "QUERYMORE_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub password: Option<Secret>,
    /// An existing SOAP session id (instead of --username/--password).
    #[arg(long, env = "QUERYMORE_SESSION", hide_env_values = true, value_parser = secret)]
    pub session: Option<Secret>,
    /// A bearer token for the REST and Bulk backends.
    #[arg(long, env = "QUERYMORE_TOKEN", hide_env_values = true, value_parser = secret)]
    pub token: Option<Secret>,
    /// OAuth client id (Zuora or Salesforce REST client-credentials flow, instead of --token).
    #[arg(long, env = "QUERYMORE_CLIENT_ID", hide_env_values = true)]
    pub client_id: Option<String>,
    /// OAuth client secret.
    #[arg(long, env = "QUERYMORE_CLIENT_SECRET", hide_env_values = true, value_parser = secret)]
    pub client_secret: Option<Secret>,
}

impl Credentials {
    /// These credentials, with the ones not given taken from `fallback`.
    pub fn or(&self, fallback: Credentials) -> Credentials {
        Credentials {
            username: self.username.clone().or(fallback.username),
            password: self.password.clone().or(fallback.password),
            session: self.session.clone().or(fallback.session),
            token: self.token.clone().or(fallback.token),
            client_id: self.client_id.clone().or(fallback.client_id),
            client_secret: self.client_secret.clone().or(fallback.client_secret),
        }
    }
}

/// `querymore export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The query (ZOQL or SOQL). Optional with --resume (the checkpoint has it).
    #[arg(required_unless_present = "resume")]
    pub query: Option<String>,
    /// The backend to page through [default: zuora-soap; with --resume: the checkpoint's].
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// The service URL: the SOAP endpoint, the REST base URL or the Salesforce
    /// instance URL (a bare http://host:port gets the backend's default path).
    /// Without it, the embedded mock serves a sample data set.
    #[arg(long, env = "QUERYMORE_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Credentials.
    #[command(flatten)]
    pub credentials: Credentials,
    /// Records per page (each backend has its own range).
    #[arg(long, allow_negative_numbers = true)]
    pub batch_size: Option<i64>,
    /// Include deleted and archived rows (`queryAll`).
    #[arg(long)]
    pub query_all: bool,
    /// Output format [default: jsonl; with --resume: the checkpoint's].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Output file (default: standard output).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Save the position after every page here (needs --output).
    #[arg(long, requires = "output")]
    pub checkpoint: Option<PathBuf>,
    /// Continue from --checkpoint, appending to --output.
    #[arg(long, requires = "checkpoint")]
    pub resume: bool,
    /// Rows per table in the embedded mock (only without --endpoint).
    #[arg(long, default_value_t = 1000, hide = true)]
    pub mock_records: usize,
}

/// `querymore mock`.
#[derive(Debug, Args)]
pub(crate) struct MockArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Rows per table in the sample data set.
    #[arg(long, default_value_t = 1000)]
    pub records: usize,
    /// Delay added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Seed for the data set and the random faults.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Fail this fraction of requests (0..=1), on every backend: retryable faults, and 1 in 20 an ended session (never the preset session id or token).
    #[arg(long, default_value_t = 0.0, value_parser = rate)]
    pub fault_rate: f64,
    /// Change one value: OBJECT:ROW:FIELD=VALUE (ROW from 0), e.g. Account:3:Name=Changed.
    #[arg(long = "override", value_name = "OBJECT:ROW:FIELD=VALUE", value_parser = parse_override)]
    pub overrides: Vec<Override>,
}

/// A fault rate between 0 and 1.
fn rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("{s:?} is not a rate between 0 and 1")),
    }
}

/// One changed value in the mock's data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Override {
    /// The table.
    pub object: String,
    /// The row index, from 0.
    pub row: usize,
    /// The field path.
    pub field: String,
    /// The new text.
    pub value: String,
}

/// Parses `OBJECT:ROW:FIELD=VALUE`.
fn parse_override(s: &str) -> Result<Override, String> {
    let bad = || format!("{s:?} is not OBJECT:ROW:FIELD=VALUE");
    let (target, value) = s.split_once('=').ok_or_else(bad)?;
    let mut parts = target.splitn(3, ':');
    let (Some(object), Some(row), Some(field)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let row = row.parse().map_err(|_| bad())?;
    if object.is_empty() || field.is_empty() {
        return Err(bad());
    }
    Ok(Override {
        object: object.to_owned(),
        row,
        field: field.to_owned(),
        value: value.to_owned(),
    })
}

/// `querymore envelope`.
#[derive(Debug, Args)]
pub(crate) struct EnvelopeArgs {
    /// Which call.
    #[command(subcommand)]
    pub call: EnvelopeCall,
    /// The SOAP dialect.
    #[arg(long, value_enum, default_value = "zuora-soap", global = true)]
    pub backend: Backend,
    /// Print session ids and passwords as given instead of redacting them.
    #[arg(long, global = true)]
    pub show_secrets: bool,
}

/// The SOAP calls whose envelopes can be printed.
#[derive(Debug, Subcommand)]
pub(crate) enum EnvelopeCall {
    /// The `login` call.
    Login {
        /// User name.
        #[arg(long, env = "QUERYMORE_USERNAME", hide_env_values = true)]
        username: String,
        /// Password.
        #[arg(long, env = "QUERYMORE_PASSWORD", hide_env_values = true, value_parser = secret)]
        password: Secret,
    },
    /// The `query` (or `queryAll`) call.
    Query {
        /// The query text.
        query: String,
        /// The session id for the SessionHeader.
        #[arg(long, env = "QUERYMORE_SESSION", hide_env_values = true, value_parser = secret)]
        session: Secret,
        /// Records per page.
        #[arg(long)]
        batch_size: Option<u32>,
        /// `queryAll` (partner dialect only).
        #[arg(long)]
        query_all: bool,
    },
    /// The `queryMore` call.
    QueryMore {
        /// The query locator.
        locator: String,
        /// The session id for the SessionHeader.
        #[arg(long, env = "QUERYMORE_SESSION", hide_env_values = true, value_parser = secret)]
        session: Secret,
        /// Records per page.
        #[arg(long)]
        batch_size: Option<u32>,
    },
}

/// `querymore compare`.
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// The query (ZOQL or SOQL); it must select Id.
    pub query: String,
    /// The first backend.
    #[arg(long, value_enum)]
    pub left: Backend,
    /// The second backend.
    #[arg(long, value_enum)]
    pub right: Backend,
    /// The first backend's URL (without both endpoints, one embedded mock serves both sides).
    #[arg(long, env = "QUERYMORE_LEFT_ENDPOINT")]
    pub left_endpoint: Option<String>,
    /// The second backend's URL.
    #[arg(long, env = "QUERYMORE_RIGHT_ENDPOINT")]
    pub right_endpoint: Option<String>,
    /// Credentials; each side uses the ones its protocol takes (SOAP: session or
    /// username/password; REST and Bulk: token or client id/secret).
    #[command(flatten)]
    pub credentials: Credentials,
    /// Records per page on both sides.
    #[arg(long, allow_negative_numbers = true)]
    pub batch_size: Option<i64>,
    /// How many differing records to list.
    #[arg(long, default_value_t = 20)]
    pub max_listed: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn override_parses_and_rejects_garbage() {
        assert_eq!(
            parse_override("Account:3:Name=Changed").unwrap(),
            Override {
                object: "Account".into(),
                row: 3,
                field: "Name".into(),
                value: "Changed".into()
            }
        );
        assert!(parse_override("Account:x:Name=1").is_err());
        assert!(parse_override("Account:3").is_err());
    }

    #[test]
    fn help_never_shows_secret_env_values() {
        let help = Cli::command()
            .find_subcommand_mut("export")
            .map(|c| c.render_long_help().to_string())
            .unwrap_or_default();
        assert!(help.contains("QUERYMORE_PASSWORD"), "{help}");
        assert!(help.contains("QUERYMORE_TOKEN"), "{help}");
    }
}
