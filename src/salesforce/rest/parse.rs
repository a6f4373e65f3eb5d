//! Pure parsers for Salesforce REST query responses: the page body
//! (`parse_query_page`) and the `Sforce-Limit-Info` header (`parse_limit_info`).
//! No I/O, so they are tested on fixtures and safe to fuzz.

use super::wire::QueryResult;
use crate::transport::{excerpt, looks_like_html};
use crate::{BackendKind, Error, LimitInfo, Record, Result};

const KIND: BackendKind = BackendKind::SalesforceRest;

/// A query result page, with `done` and `nextRecordsUrl` already reconciled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedPage {
    /// The records, `attributes` stripped (the object type kept on the record).
    pub records: Vec<Record>,
    /// `totalSize`: rows the whole query matches.
    pub total_size: Option<u64>,
    /// `nextRecordsUrl` exactly as sent; `None` on the last page.
    pub next_records_url: Option<String>,
}

/// Parses a query result body. A body that is not a query result (HTML, an
/// error array, another JSON shape) or that claims more pages without saying
/// where (`done: false` and no `nextRecordsUrl`) is a protocol error; a body
/// cut short is a retryable one.
pub(crate) fn parse_query_page(body: &[u8]) -> Result<ParsedPage> {
    if looks_like_html(body) {
        return Err(Error::protocol(
            KIND,
            "an HTML page instead of a query result (a login or proxy page?)",
        ));
    }
    let page: QueryResult = crate::json_body::parse(body).map_err(|e| json_error(&e, body))?;
    let next = match (page.done, page.next_records_url) {
        (true, _) => None,
        (false, Some(url)) if !url.trim().is_empty() => Some(url),
        (false, _) => {
            return Err(Error::protocol(
                KIND,
                "the page says done: false but has no nextRecordsUrl",
            ));
        }
    };
    Ok(ParsedPage {
        records: page.records,
        total_size: page.total_size,
        next_records_url: next,
    })
}

fn json_error(e: &serde_json::Error, body: &[u8]) -> Error {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Error::protocol(KIND, "an empty body instead of a query result");
    }
    if e.is_eof() {
        return Error::truncated(
            KIND,
            format!("query result cut short after {} bytes: {e}", body.len()),
        );
    }
    let what = match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => "an array (an error list?)",
        Some(b'{') => "an object",
        _ => "not JSON",
    };
    Error::protocol(
        KIND,
        format!("not a query result: {what} ({e}): {}", excerpt(body)),
    )
}

/// Parses `Sforce-Limit-Info: api-usage=18/5000; per-app-api-usage=17/250(appName=x)`
/// into counters; parts that do not parse are skipped.
pub(crate) fn parse_limit_info(header: &str) -> Vec<LimitInfo> {
    header
        .split([';', ','])
        .filter_map(|part| {
            let (kind, usage) = part.trim().split_once('=')?;
            let usage = usage.split('(').next()?.trim();
            let (current, limit) = usage.split_once('/')?;
            Some(LimitInfo {
                kind: kind.trim().to_owned(),
                current: current.trim().parse().ok()?,
                limit: limit.trim().parse().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    fn snapshot_settings() -> insta::Settings {
        let mut s = insta::Settings::clone_current();
        s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        s.set_prepend_module_to_snapshot(false);
        s
    }

    /// A record as JSON with its object type (`@type`), nested records included.
    fn typed(record: &Record) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        if let Some(t) = record.object_type() {
            map.insert("@type".into(), t.into());
        }
        for (k, v) in record.fields() {
            let json = match v {
                Value::Record(r) => typed(r),
                Value::List(items) => items
                    .iter()
                    .map(|i| match i {
                        Value::Record(r) => typed(r),
                        other => serde_json::to_value(other).unwrap(),
                    })
                    .collect(),
                other => serde_json::to_value(other).unwrap(),
            };
            map.insert(k.into(), json);
        }
        map.into()
    }

    /// A stable text form of a parsed page for snapshots: one record per line
    /// as JSON, object types included.
    fn render(page: &ParsedPage) -> String {
        let mut out = format!(
            "totalSize: {:?}\nnextRecordsUrl: {:?}\nrecords: {}\n",
            page.total_size,
            page.next_records_url,
            page.records.len()
        );
        for r in &page.records {
            out.push_str(&format!("- {}\n", typed(r)));
        }
        out
    }

    #[test]
    fn salesforce_rest_fixture_pages_parse() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/salesforce_rest"
        );
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        assert!(paths.len() >= 3, "fixtures missing in {dir}");
        for path in paths {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap()
                .to_owned();
            let body = std::fs::read(&path).unwrap();
            let rendered = match parse_query_page(&body) {
                Ok(page) => render(&page),
                Err(e) => format!("error (retryable: {}): {e}\n", e.is_retryable()),
            };
            snapshot_settings().bind(|| {
                insta::assert_snapshot!(format!("salesforce_rest__parse_{stem}"), rendered)
            });
        }
    }

    #[test]
    fn nulls_relationships_and_subqueries_keep_their_shape() {
        let body = br#"{"totalSize":1,"done":true,"records":[
            {"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001A"},
             "Id":"001A","Fax":null,"Owner":{"attributes":{"type":"User","url":"/u"},"Name":"Kim"},
             "Parent":null,
             "Contacts":{"totalSize":1,"done":true,"records":[
                {"attributes":{"type":"Contact","url":"/c"},"LastName":"Ng"}]}}]}"#;
        let page = parse_query_page(body).unwrap();
        assert_eq!(page.next_records_url, None);
        let r = &page.records[0];
        assert_eq!(r.object_type(), Some("Account"));
        assert_eq!(r.get("Fax"), Some(&Value::Null));
        assert_eq!(r.get("Parent"), Some(&Value::Null));
        assert_eq!(r.get_path("Owner.Name"), Some(&Value::from("Kim")));
        match r.get("Contacts") {
            Some(Value::List(items)) => assert_eq!(items.len(), 1),
            other => panic!("expected a list, got {other:?}"),
        }
        assert!(r.get("attributes").is_none());
    }

    #[test]
    fn bad_bodies_are_typed_errors() {
        let cases: [(&[u8], bool, &str); 8] = [
            (b"", false, "empty body"),
            (b"not json at all", false, "not a query result"),
            (
                b"<!DOCTYPE html><html><body>Login</body></html>",
                false,
                "HTML page",
            ),
            (
                br#"{"totalSize":3,"done":false,"records":[{"Id":"#,
                true,
                "cut short",
            ),
            (
                br#"{"totalSize":3,"done":false,"records":[]}"#,
                false,
                "no nextRecordsUrl",
            ),
            (
                br#"{"totalSize":3,"done":false,"nextRecordsUrl":"","records":[]}"#,
                false,
                "no nextRecordsUrl",
            ),
            (
                br#"[{"message":"x","errorCode":"MALFORMED_QUERY"}]"#,
                false,
                "not a query result",
            ),
            (b"  ", false, "empty body"),
        ];
        for (body, retryable, needle) in cases {
            let e = parse_query_page(body).unwrap_err();
            assert!(matches!(e, Error::Protocol { .. }), "{e}");
            assert_eq!(e.is_retryable(), retryable, "{e}");
            assert!(e.to_string().contains(needle), "{needle:?} not in {e}");
        }
    }

    /// The head of a result body offers the `nextRecordsUrl` the full parse
    /// offers, wherever the body is cut: nothing before the `records` key, never
    /// a URL cut short, never a child subquery's.
    #[test]
    fn the_head_offers_what_the_full_parse_offers_at_every_cut() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/salesforce_rest"
        );
        let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        assert!(bodies.len() >= 3, "fixtures missing in {dir}");
        let written: [&[u8]; 6] = [
            // Escapes and padding: the URL as the full parse reads it.
            br#"{"done":false,"nextRecordsUrl":" \/services\/data\/v62.0\/query\/01g\u0058-2 ","totalSize":9,"records":[{"Id":"1"}]}"#,
            // A `nextRecordsUrl` after the records is not known early.
            br#"{"totalSize":9,"done":false,"records":[{"Id":"1"}],"nextRecordsUrl":"/q/01g-2"}"#,
            br#"{"nextRecordsUrl":"/q/01g-2","records":[],"done":false}"#,
            br#"{"totalSize":9,"done":true,"nextRecordsUrl":"/q/01g-2","records":[]}"#,
            br#"[{"message":"expired","errorCode":"INVALID_QUERY_LOCATOR"}]"#,
            b"<!DOCTYPE html><html><body>Login</body></html>",
        ];
        bodies.extend(written.iter().map(|b| b.to_vec()));
        let mut offered = Vec::new();
        for body in &bodies {
            let (offer, known_at) =
                crate::lookahead::check_every_prefix(body, super::super::wire::scan_head, || {
                    parse_query_page(body)
                });
            if let Some(c) = offer {
                let text = String::from_utf8_lossy(body);
                let records = text.find(r#""records""#).unwrap() + r#""records""#.len();
                assert_eq!(known_at, records, "known as soon as the records begin");
                match c.token {
                    crate::CursorToken::NextRecordsUrl(url) => offered.push(url),
                    other => panic!("not a nextRecordsUrl: {other:?}"),
                }
            }
        }
        offered.sort();
        assert_eq!(
            offered,
            [
                " /services/data/v62.0/query/01gX-2 ",
                "/services/data/v63.0/query/01gRO0000016PIAYA2-500",
                "/services/data/v63.0/query/01gRO0000016PIAYA2-500",
            ]
        );
    }

    #[test]
    fn done_wins_over_a_stray_next_records_url() {
        let page =
            parse_query_page(br#"{"totalSize":0,"done":true,"nextRecordsUrl":"/x","records":[]}"#)
                .unwrap();
        assert_eq!(page.next_records_url, None);
    }

    #[test]
    fn limit_info_header_parses() {
        assert_eq!(
            parse_limit_info("api-usage=18/5000; per-app-api-usage=17/250(appName=sample)"),
            [
                LimitInfo {
                    kind: "api-usage".into(),
                    current: 18,
                    limit: 5000
                },
                LimitInfo {
                    kind: "per-app-api-usage".into(),
                    current: 17,
                    limit: 250
                }
            ]
        );
        assert!(parse_limit_info("garbage; api-usage=x/5").is_empty());
    }
}
