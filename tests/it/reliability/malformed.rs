//! Malformed input for every response parser, as property tests: real
//! responses from `tests/fixtures/` cut short must be refused with an `Err`,
//! and randomly mutated ones (bit flips, deleted and inserted bytes) must
//! never panic. The parsers are reached through `querymore::__fuzz`, the same
//! entry points the `fuzz/` targets use.

use proptest::prelude::*;
use proptest::sample::Index;
use querymore::{__fuzz, Result};
use std::path::Path;

/// A parser and the fixtures it reads.
struct Subject {
    name: &'static str,
    fixtures: Vec<(String, Vec<u8>)>,
    parse: fn(&str, &[u8]) -> Result<usize>,
}

fn fixtures(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

fn zuora_soap(name: &str, body: &[u8]) -> Result<usize> {
    if name.starts_with("login") || name == "fault_login.xml" {
        __fuzz::zuora_soap_login(body)
    } else {
        __fuzz::zuora_soap_query(body, name.starts_with("query_more"))
    }
}

/// The Bulk CSV reader with the checks the backend makes: the delimiter the
/// job asked for, and the row count `Sforce-NumberOfRecords` announced.
fn bulk_csv(name: &str, body: &[u8]) -> Result<usize> {
    let delimiter = if name.contains("caret") { b'^' } else { b',' };
    // Both well-formed fixtures hold two rows.
    __fuzz::salesforce_bulk_csv(body, delimiter, Some(2))
}

fn salesforce_soap(name: &str, body: &[u8]) -> Result<usize> {
    if name.starts_with("login") || name == "fault_login.xml" {
        __fuzz::salesforce_soap_login(body)
    } else if name.starts_with("query_more") {
        __fuzz::salesforce_soap_query(body, 1)
    } else if name.starts_with("query_all") {
        __fuzz::salesforce_soap_query(body, 2)
    } else {
        __fuzz::salesforce_soap_query(body, 0)
    }
}

fn token(_: &str, body: &[u8]) -> Result<usize> {
    __fuzz::oauth_token(200, body)
}

fn subjects() -> Vec<Subject> {
    vec![
        Subject {
            name: "zuora_soap",
            fixtures: fixtures("zuora_soap"),
            parse: zuora_soap,
        },
        Subject {
            name: "salesforce_soap",
            fixtures: fixtures("salesforce_soap"),
            parse: salesforce_soap,
        },
        Subject {
            name: "zuora_rest",
            fixtures: fixtures("zuora_rest"),
            parse: |_, b| __fuzz::zuora_rest_page(b),
        },
        Subject {
            name: "salesforce_rest",
            fixtures: fixtures("salesforce_rest"),
            parse: |_, b| __fuzz::salesforce_rest_page(b),
        },
        Subject {
            name: "salesforce_bulk",
            fixtures: fixtures("salesforce_bulk"),
            parse: bulk_csv,
        },
        Subject {
            name: "oauth_token",
            fixtures: vec![
                (
                    "salesforce".into(),
                    br#"{"access_token":"00D!x","instance_url":"https://na1.example.com","token_type":"Bearer","issued_at":"1700000000000"}"#.to_vec(),
                ),
                (
                    "zuora".into(),
                    br#"{"access_token":"t","token_type":"bearer","expires_in":3599,"scope":"s","jti":"j"}"#.to_vec(),
                ),
            ],
            parse: token,
        },
    ]
}

/// One change to a body.
#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Delete(Index, usize),
    Insert(Index, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<Index>(), 1usize..16).prop_map(|(i, n)| Edit::Delete(i, n)),
        (
            any::<Index>(),
            prop::collection::vec(
                prop_oneof![
                    any::<u8>(),
                    prop::sample::select(b"<>/:\"{}[],&;=- \\0".to_vec())
                ],
                1..8
            )
        )
            .prop_map(|(i, v)| Edit::Insert(i, v)),
    ]
}

fn apply(mut body: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = body.len();
        match e {
            Edit::Flip(i, bit) if len > 0 => body[i.index(len)] ^= 1 << bit,
            Edit::Delete(i, n) if len > 0 => {
                let at = i.index(len);
                body.drain(at..(at + n).min(len));
            }
            Edit::Insert(i, bytes) => {
                let at = i.index(len + 1);
                body.splice(at..at, bytes.iter().copied());
            }
            _ => {}
        }
    }
    body
}

/// Where a cut leaves the document incomplete: anywhere before its last
/// byte that is not white space.
fn last_significant(body: &[u8]) -> usize {
    body.iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_parser_refuses_a_response_cut_short(which in any::<Index>(), fixture in any::<Index>(), cut in any::<Index>()) {
        let subjects = subjects();
        let s = which.get(&subjects);
        // A prefix of a bad document may be a good one (a CSV cut before its
        // ragged row); the property is about real, well-formed responses.
        let good: Vec<_> = s.fixtures.iter().filter(|(n, b)| (s.parse)(n, b).is_ok()).collect();
        let (name, body) = fixture.get(&good);
        let at = cut.index(last_significant(body).max(1));
        let got = (s.parse)(name, &body[..at]);
        prop_assert!(got.is_err(), "{} {name} cut at {at} of {}: {got:?}", s.name, body.len());
    }

    #[test]
    fn every_parser_survives_mutated_responses(which in any::<Index>(), fixture in any::<Index>(), edits in prop::collection::vec(edit(), 1..6)) {
        let subjects = subjects();
        let s = which.get(&subjects);
        let (name, body) = fixture.get(&s.fixtures);
        let mutated = apply(body.clone(), &edits);
        // No panic is the property; the answer itself may be either.
        let _ = (s.parse)(name, &mutated);
    }

    #[test]
    fn error_mappers_survive_any_body(status in prop::sample::select(vec![400u16, 401, 403, 404, 429, 500, 503]), body in prop::collection::vec(any::<u8>(), 0..300)) {
        let e = __fuzz::zuora_rest_error(status, &body);
        prop_assert!(!e.to_string().is_empty());
        let e = __fuzz::salesforce_error(status, &body);
        prop_assert!(!e.to_string().is_empty());
        let _ = __fuzz::salesforce_limit_info(&String::from_utf8_lossy(&body));
        let _ = __fuzz::oauth_token(status, &body);
    }
}

#[test]
fn every_fixture_is_read_as_its_name_says() {
    // The fixtures that must parse do: the cut-short property above is only
    // meaningful if the whole document is accepted.
    for s in subjects() {
        for (name, body) in &s.fixtures {
            let got = (s.parse)(name, body);
            let bad = [
                "fault",
                "error",
                "truncated",
                "without",
                "ragged",
                "unterminated",
            ]
            .iter()
            .any(|w| name.contains(w));
            assert_eq!(got.is_err(), bad, "{} {name}: {got:?}", s.name);
        }
    }
}
