//! `querymore compare`: the migration parity check. Pages one query through two
//! backends and reports the counts, the records missing on either side (by Id)
//! and the fields that differ. Values are compared as text
//! ([`Value::to_text`](crate::Value::to_text)), so SOAP's `"42"` equals REST's
//! `42`; numbers and timestamps that denote the same value are equal; an absent
//! field equals a null one (Zuora omits nulls). Exit status 0 only on a match.

use super::Failure;
use super::args::{Backend, CompareArgs};
use super::connect;
use crate::{Client, Record, Value};
use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use tokio::runtime::Runtime;

/// One record reduced for comparison: lower-cased path → (path as sent, text).
type Fields = BTreeMap<String, (String, String)>;

/// One side's records by Id.
#[derive(Debug, Default)]
pub(crate) struct Side {
    records: u64,
    by_id: IndexMap<String, Fields>,
    duplicates: Vec<String>,
}

impl Side {
    /// Adds a record; it must have an Id.
    fn add(&mut self, record: &Record) -> Result<(), Failure> {
        let fields = reduce(record);
        let id = fields
            .get("id")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Failure::usage("compare needs the Id field: add Id to the query"))?;
        self.records += 1;
        if self.by_id.insert(id.clone(), fields).is_some() {
            self.duplicates.push(id);
        }
        Ok(())
    }
}

fn reduce(record: &Record) -> Fields {
    record
        .flatten()
        .into_iter()
        .filter_map(|(path, v)| {
            let text = match v {
                Value::Null => return None,
                Value::List(_) | Value::Record(_) => serde_json::to_string(v).ok()?,
                other => other.to_text()?.into_owned(),
            };
            Some((path.to_ascii_lowercase(), (path, text)))
        })
        .collect()
}

/// True when two texts denote the same value.
fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (timestamp(a), timestamp(b)) {
        return x == y;
    }
    a.eq_ignore_ascii_case(b) && matches!(a.to_ascii_lowercase().as_str(), "true" | "false")
}

fn timestamp(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
}

/// A field that differs on one record.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FieldDiff {
    id: String,
    field: String,
    left: Option<String>,
    right: Option<String>,
}

/// The outcome of a comparison.
#[derive(Debug, Default)]
pub(crate) struct Report {
    left_records: u64,
    right_records: u64,
    only_left: Vec<String>,
    only_right: Vec<String>,
    diffs: Vec<FieldDiff>,
    records_differing: usize,
    duplicates: Vec<(&'static str, String)>,
}

impl Report {
    /// Compares two sides.
    pub fn new(left: Side, mut right: Side) -> Report {
        let mut r = Report {
            left_records: left.records,
            right_records: right.records,
            ..Report::default()
        };
        r.duplicates
            .extend(left.duplicates.into_iter().map(|id| ("left", id)));
        r.duplicates
            .extend(right.duplicates.into_iter().map(|id| ("right", id)));
        for (id, lf) in left.by_id {
            let Some(rf) = right.by_id.shift_remove(&id) else {
                r.only_left.push(id);
                continue;
            };
            let before = r.diffs.len();
            let keys: std::collections::BTreeSet<&String> = lf.keys().chain(rf.keys()).collect();
            for k in keys {
                let (l, rt) = (lf.get(k), rf.get(k));
                let equal = match (l, rt) {
                    (Some((_, a)), Some((_, b))) => same(a, b),
                    _ => false,
                };
                if !equal {
                    let field = l.or(rt).map(|(p, _)| p.clone()).unwrap_or_default();
                    r.diffs.push(FieldDiff {
                        id: id.clone(),
                        field,
                        left: l.map(|(_, v)| v.clone()),
                        right: rt.map(|(_, v)| v.clone()),
                    });
                }
            }
            if r.diffs.len() > before {
                r.records_differing += 1;
            }
        }
        r.only_right.extend(right.by_id.into_keys());
        r
    }

    /// True when both sides hold the same records with the same values.
    pub fn matches(&self) -> bool {
        self.left_records == self.right_records
            && self.only_left.is_empty()
            && self.only_right.is_empty()
            && self.diffs.is_empty()
            && self.duplicates.is_empty()
    }

    /// The report as text, listing at most `max` items per section.
    pub fn render(&self, left: Backend, right: Backend, max: usize) -> String {
        let mut s = String::new();
        let (l, r) = (left.kind(), right.kind());
        let _ = writeln!(s, "left  {l}: {} records", self.left_records);
        let _ = writeln!(s, "right {r}: {} records", self.right_records);
        let list = |s: &mut String, title: String, ids: &[String]| {
            let _ = writeln!(s, "{title}: {}", ids.len());
            for id in ids.iter().take(max) {
                let _ = writeln!(s, "  {id}");
            }
            if ids.len() > max {
                let _ = writeln!(s, "  ... and {} more", ids.len() - max);
            }
        };
        list(&mut s, format!("only in left ({l})"), &self.only_left);
        list(&mut s, format!("only in right ({r})"), &self.only_right);
        let _ = writeln!(
            s,
            "records with differing fields: {}",
            self.records_differing
        );
        for d in self.diffs.iter().take(max) {
            let _ = writeln!(s, "  {d}");
        }
        if self.diffs.len() > max {
            let _ = writeln!(s, "  ... and {} more", self.diffs.len() - max);
        }
        for (side, id) in self.duplicates.iter().take(max) {
            let _ = writeln!(s, "duplicate Id on the {side}: {id}");
        }
        let _ = write!(
            s,
            "result: {}",
            if self.matches() { "match" } else { "DIFFER" }
        );
        s
    }
}

impl fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| match v {
            Some(t) => format!("{t:?}"),
            None => "(null)".to_owned(),
        };
        write!(
            f,
            "Id {} field {}: left {} right {}",
            self.id,
            self.field,
            show(&self.left),
            show(&self.right)
        )
    }
}

/// Runs `compare`.
pub(crate) fn run(rt: &Runtime, args: CompareArgs) -> Result<(), Failure> {
    let report = rt.block_on(async {
        let shared = match (&args.left_endpoint, &args.right_endpoint) {
            (Some(_), Some(_)) => None,
            _ => Some(connect::embedded_mock(1000).await?),
        };
        let left = connect::open(
            args.left,
            args.left_endpoint.as_deref(),
            &args.credentials,
            shared.clone(),
            1000,
        )
        .await?;
        let right = connect::open(
            args.right,
            args.right_endpoint.as_deref(),
            &args.credentials,
            shared,
            1000,
        )
        .await?;
        let (l, r) = tokio::try_join!(
            collect(Client::from_shared(left.source.clone()), &args),
            collect(Client::from_shared(right.source.clone()), &args),
        )?;
        Ok::<_, Failure>(Report::new(l, r))
    })?;
    println!("{}", report.render(args.left, args.right, args.max_listed));
    if report.matches() {
        Ok(())
    } else {
        Err(Failure::failed(format!(
            "{} and {} differ (see the report above)",
            args.left.kind(),
            args.right.kind()
        )))
    }
}

/// Pages the query on one side.
async fn collect(client: Client, args: &CompareArgs) -> Result<Side, Failure> {
    let mut builder = client.query(args.query.clone());
    if let Some(n) = args.batch_size {
        builder = builder.batch_size(n);
    }
    let mut pages = builder.pages();
    let mut side = Side::default();
    while let Some(page) = pages.try_next().await? {
        for r in &page.records {
            side.add(r)?;
        }
    }
    Ok(side)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(records: &[Record]) -> Side {
        let mut s = Side::default();
        for r in records {
            s.add(r).unwrap();
        }
        s
    }

    #[test]
    fn text_and_numbers_match_and_absent_equals_null() {
        let soap = Record::new()
            .with("Id", "1")
            .with("Balance", "42.0")
            .with("AutoPay", "true")
            .with("CreatedDate", "2021-01-02T03:04:05.000+00:00");
        let rest = Record::new()
            .with("Id", "1")
            .with("Balance", 42i64)
            .with("AutoPay", true)
            .with("Notes", Value::Null)
            .with("CreatedDate", "2021-01-02T03:04:05.000+0000");
        let r = Report::new(side(&[soap]), side(&[rest]));
        assert!(
            r.matches(),
            "{}",
            r.render(Backend::ZuoraSoap, Backend::ZuoraRest, 5)
        );
    }

    #[test]
    fn missing_records_and_changed_fields_are_named() {
        let a = |id: &str, name: &str| Record::new().with("Id", id).with("Name", name);
        let r = Report::new(
            side(&[a("1", "x"), a("2", "y"), a("3", "z")]),
            side(&[a("1", "x"), a("2", "Changed"), a("4", "w")]),
        );
        assert!(!r.matches());
        let text = r.render(Backend::ZuoraSoap, Backend::ZuoraRest, 5);
        assert!(text.contains("only in left (zuora-soap): 1\n  3"), "{text}");
        assert!(
            text.contains("only in right (zuora-rest): 1\n  4"),
            "{text}"
        );
        assert!(
            text.contains("Id 2 field Name: left \"y\" right \"Changed\""),
            "{text}"
        );
        assert!(text.ends_with("result: DIFFER"));
    }

    #[test]
    fn a_record_without_id_is_a_usage_error() {
        let mut s = Side::default();
        let e = s.add(&Record::new().with("Name", "x")).unwrap_err();
        assert_eq!(e.code(), 2);
    }
}
