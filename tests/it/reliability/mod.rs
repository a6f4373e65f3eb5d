//! Reliability and security across every backend (issue 7): session refresh,
//! limits and origin checks, fault injection retried, the soak and resume
//! runs, malformed responses, and no credential in any output. The table in
//! `RELIABILITY.md` names the test behind each claim.

pub(crate) mod backends;
mod faults;
mod limits;
mod malformed;
mod secrets;
mod session;
mod soak;
