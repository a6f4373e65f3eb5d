//! The mock Salesforce SOAP partner endpoint, `POST /services/Soap/u/58.0` (and
//! `/services/Soap/u/58.0/<org id>`, the `serverUrl` its `login` names):
//! `login`, `query`, `queryAll` and `queryMore` over the shared data set and
//! cursor store, written with the same XML code the client reads with.
//!
//! As the real service does:
//! - `login` with the mock's credentials starts a session; anything else is a
//!   `LoginFault` (`INVALID_LOGIN`). The `serverUrl` is on the host the client
//!   called.
//! - a missing, unknown or expired `SessionHeader/sessionId` is an
//!   `UnexpectedErrorFault` (`INVALID_SESSION_ID`);
//! - `QueryOptions/batchSize` is clamped into 200..=2000 (default 2000); on
//!   `queryMore` an absent one keeps the query's size;
//! - records are `<records xsi:type="sf:sObject">` with `sf:type`, then `sf:Id`
//!   (the value when `Id` is selected, so it comes twice; `xsi:nil="true"` when
//!   not), then every selected field in SELECT order, nulls as
//!   `xsi:nil="true"`, relationships nested as `xsi:type="sf:sObject"` records
//!   with their own `sf:type` and `sf:Id`; date-times in the `…Z` form;
//! - `queryAll` adds the deleted rows (`Contact`s); `size` is the total; the
//!   last page's `queryLocator` is `xsi:nil="true"`; locators look like
//!   `01g<15 characters>-<offset>` and die after the idle limit on the shared
//!   clock: `InvalidQueryLocatorFault` (`INVALID_QUERY_LOCATOR`);
//! - query errors are `MalformedQueryFault` (`MALFORMED_QUERY`),
//!   `InvalidFieldFault` (`INVALID_FIELD`) or `InvalidSObjectFault`
//!   (`INVALID_TYPE`), with `row` and `column`;
//! - every fault is HTTP 500, `faultcode` `sf:<CODE>`, `faultstring`
//!   `<CODE>: <message>`, `sf` bound to the fault namespace;
//! - every query response carries a `LimitInfoHeader` (`API REQUESTS`).
//!
//! Injected faults: `ExpireSession` ends the request's session and answers
//! with the invalid-session fault; `InvalidLocator` answers the next
//! `queryMore` with the invalid-locator fault.
//!
//! Child subqueries (`select Name, (select LastName from Contacts) from
//! Account`) are planned as the REST mock plans them and written as the
//! relationship typed `QueryResult` (every child row, `done` true) in the
//! partner namespace, or `xsi:nil="true"` for a parent without children.

use super::cursors::ServedPage;
use super::dataset::Table;
use super::salesforce_rest::subquery::{self, ChildQuery, ChildRows, page_rows};
use super::salesforce_rest::{locator_id, locator_scope, parse_locator};
use super::select::SelectError;
use super::soap::{
    self, MockDialect, QueryCall, SoapBackend, SoapFault as Fault, log_in, next_page, server_url,
};
use super::{MockState, SALESFORCE_SOAP_PATH};
use crate::salesforce::soap::parse::{NAMESPACES, PARTNER};
use crate::salesforce::soap::{FAULT_NS, PARTNER_NS, SOBJECT_NS};
use crate::xml::XSI;
use crate::xml::dialect::QueryOp;
use crate::xml::fault::FaultStyle;
use crate::xml::query_result::{ResultPage, ResultStyle, write_query_response, write_query_result};
use crate::xml::request::SoapRequest;
use crate::xml::writer::{XmlWriter, begin_response, begin_response_with_header, end_response};
use crate::{BackendKind, Record, Value};
use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;

/// The page size when none is asked for, and the most a page holds.
const DEFAULT_BATCH: usize = 2000;
/// The least a page holds when a size is asked for.
const MIN_BATCH: usize = 200;
/// The daily API request allowance reported in `LimitInfoHeader`.
const API_LIMIT: u64 = 15_000;
/// The mock org's id: the last segment of the `serverUrl`.
const ORG_ID: &str = "00D5g00000MOCKAAA";

/// The routes this backend serves.
pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route(SALESFORCE_SOAP_PATH, post(soap::handle::<Partner>))
        .route(
            &format!("{SALESFORCE_SOAP_PATH}/{{org}}"),
            post(soap::handle::<Partner>),
        )
}

/// The partner API's requests and faults: `sf` bound to the fault namespace
/// on the envelope, a typed detail element.
static DIALECT: MockDialect = MockDialect {
    kind: BackendKind::SalesforceSoap,
    namespaces: NAMESPACES,
    api: PARTNER,
    header_namespaces: &[PARTNER],
    session_field: "sessionId",
    invalid_session: (
        "INVALID_SESSION_ID",
        "Invalid Session ID found in SessionHeader: Illegal Session",
    ),
    unreadable_code: "UNKNOWN_EXCEPTION",
    unknown_operation_code: "UNKNOWN_EXCEPTION",
    fault_style: FaultStyle {
        prefix: "sf",
        uri: FAULT_NS,
        code: "exceptionCode",
        message: "exceptionMessage",
        declare_on_fault: false,
        typed_detail: true,
    },
    fault_declarations: &[("xmlns:sf", FAULT_NS), ("xmlns:xsi", XSI)],
    code_in_faultstring: true,
};

/// The partner namespace as the default, `xsi`, and `sf` for the sObject namespace.
const RESPONSE_DECLARATIONS: &[(&str, &str)] = &[
    ("xmlns", PARTNER_NS),
    ("xmlns:xsi", XSI),
    ("xmlns:sf", SOBJECT_NS),
];

/// `result xsi:type="QueryResult"` in the default namespace, nil as `true`.
const RESULT_STYLE: ResultStyle = ResultStyle {
    prefix: "",
    declare: None,
    nil: "true",
    declare_xsi_on_nil: false,
    result_type: Some("QueryResult"),
};

/// The partner endpoint, as the shared SOAP handler serves it.
struct Partner;

impl SoapBackend for Partner {
    const DIALECT: &'static MockDialect = &DIALECT;
    const QUERY_ALL: bool = true;

    fn login(state: &MockState, headers: &HeaderMap, req: &SoapRequest) -> Result<Vec<u8>, Fault> {
        let refusal = "Invalid username, password, security token; or user locked out.";
        let session = log_in(state, req, &format!("{ORG_ID}!mock-session-"), refusal)?;
        let server = server_url(headers, &format!("{SALESFORCE_SOAP_PATH}/{ORG_ID}"));
        let metadata = server.replace("/Soap/u/", "/Soap/m/");
        let mut w = begin_response(768, &RESPONSE_DECLARATIONS[..2]);
        w.start("", "loginResponse", &[]);
        w.start("", "result", &[]);
        w.leaf("", "metadataServerUrl", &metadata);
        w.leaf("", "passwordExpired", "false");
        w.leaf("", "sandbox", "true");
        w.leaf("", "serverUrl", &server);
        w.leaf("", "sessionId", &session);
        w.leaf("", "userId", "0055g00000MOCKAAA");
        w.end("", "result");
        w.end("", "loginResponse");
        Ok(end_response(w))
    }

    /// Clamped into 200..=2000; `None` when absent.
    fn batch_size(req: &SoapRequest) -> Result<Option<usize>, Fault> {
        let Some(raw) = req.header_field(&[PARTNER], "QueryOptions", "batchSize") else {
            return Ok(None);
        };
        match raw.trim().parse::<i64>() {
            Ok(n) => Ok(Some(
                n.clamp(MIN_BATCH as i64, DEFAULT_BATCH as i64) as usize
            )),
            Err(_) => Err(Fault::unexpected(
                "INVALID_BATCH_SIZE",
                format!("invalid batch size {raw:?}"),
            )),
        }
    }

    /// One fault for every dead locator, as the partner API answers.
    fn invalid_locator(_locator: &str, _why: &str) -> Fault {
        Fault::new(
            "INVALID_QUERY_LOCATOR",
            "InvalidQueryLocatorFault",
            "invalid query locator",
        )
    }

    async fn query(state: &MockState, call: QueryCall<'_>) -> Result<Vec<u8>, Fault> {
        let text = call.text;
        let dataset = state.dataset();
        let (index, fields) = subquery::plan(text, dataset).map_err(|e| select_fault(text, &e))?;
        let table = dataset
            .tables()
            .nth(index)
            .ok_or_else(|| select_fault(text, &SelectError::UnknownObject(text.to_owned())))?;
        let id = locator_id(call.all(), index, state.cursors().next_id());
        let page = call.open(state, id.clone(), table, fields).await;
        let at = Position {
            table,
            include_deleted: call.all(),
            start: 0,
        };
        Ok(query_body(state, call.op, &at, &id, &page))
    }

    async fn query_more(
        state: &MockState,
        locator: &str,
        batch: Option<usize>,
    ) -> Result<Vec<u8>, Fault> {
        let invalid = || Self::invalid_locator(locator, "");
        let (id, start) = parse_locator(locator).ok_or_else(invalid)?;
        let (include_deleted, index) = locator_scope(id).ok_or_else(invalid)?;
        let table = state.dataset().tables().nth(index).ok_or_else(invalid)?;
        let page = next_page(state, id, start, batch)
            .await
            .map_err(|_| invalid())?;
        let at = Position {
            table,
            include_deleted,
            start,
        };
        Ok(query_body(state, QueryOp::QueryMore, &at, id, &page))
    }
}

/// A select error as the partner API reports it.
fn select_fault(text: &str, e: &SelectError) -> Fault {
    let (detail, token) = match e {
        SelectError::Malformed(_) => ("MalformedQueryFault", ""),
        SelectError::UnknownField(f) => ("InvalidFieldFault", f.as_str()),
        SelectError::UnknownObject(o) => ("InvalidSObjectFault", o.as_str()),
    };
    let column = if token.is_empty() {
        0
    } else {
        text.find(token).map_or(0, |i| i + 1)
    };
    let mut f = Fault::new(e.code(), detail, e.message());
    f.extra = vec![("row", "1".to_owned()), ("column", column.to_string())];
    f
}

/// Where a served page was cut from.
struct Position<'a> {
    table: &'a dyn Table,
    include_deleted: bool,
    /// The raw row position of its first record.
    start: usize,
}

/// A query response for one served page.
fn query_body(
    state: &MockState,
    op: QueryOp,
    at: &Position<'_>,
    id: &str,
    page: &ServedPage,
) -> Vec<u8> {
    let locator = page.next.map(|n| format!("01g{id}-{n}"));
    let used = state
        .requests_served(BackendKind::SalesforceSoap)
        .to_string();
    let limit = API_LIMIT.to_string();
    let header = |w: &mut XmlWriter| {
        w.start("", "LimitInfoHeader", &[]);
        w.start("", "limitInfo", &[]);
        w.leaf("", "current", &used);
        w.leaf("", "limit", &limit);
        w.leaf("", "type", "API REQUESTS");
        w.end("", "limitInfo");
        w.end("", "LimitInfoHeader");
    };
    let mut w = begin_response_with_header(
        768 + page.records.len() * 640,
        RESPONSE_DECLARATIONS,
        Some(&header),
    );
    let result = ResultPage {
        done: locator.is_none(),
        query_locator: locator.as_deref(),
        size: page.total as u64,
    };
    // The full rows behind the projected ones: ids, relationship types, children.
    let full = page_rows(at.table, at.start, at.include_deleted, page.records.len());
    let children = ChildRows::of_page(state.dataset(), &page.records, at.include_deleted);
    write_query_response(&mut w, &RESULT_STYLE, op.response(), &result, |w| {
        for (i, record) in page.records.iter().enumerate() {
            write_records(w, record, full.get(i), &children);
        }
    });
    end_response(w)
}

/// One `records` element.
fn write_records(
    w: &mut XmlWriter,
    record: &Record,
    full: Option<&Record>,
    children: &[ChildRows<'_>],
) {
    w.start("", "records", &[("xsi:type", "sf:sObject")]);
    write_sobject(w, record, full, children);
    w.end("", "records");
}

/// An sObject's children: `sf:type`, `sf:Id`, then the fields in order.
/// `full` is the full row behind `record`, for relationship types and the
/// parent id of child subqueries.
fn write_sobject(
    w: &mut XmlWriter,
    record: &Record,
    full: Option<&Record>,
    children: &[ChildRows<'_>],
) {
    let object = record
        .object_type()
        .or_else(|| full.and_then(Record::object_type))
        .unwrap_or("sObject");
    w.leaf("sf", "type", object);
    match record.get("Id").and_then(Value::to_text) {
        Some(id) => w.leaf("sf", "Id", &id),
        None => w.empty("sf", "Id", &[("xsi:nil", "true")]),
    }
    for (name, value) in record.fields() {
        if let Some(query) = ChildQuery::decode(name) {
            let parent = full.and_then(|f| f.get("Id")).and_then(Value::as_str);
            let rows = children
                .iter()
                .find(|c| c.query == query)
                .and_then(|c| c.rows(parent));
            write_child_result(w, &query.relationship, rows);
            continue;
        }
        match value {
            Value::Null | Value::List(_) => w.empty("sf", name, &[("xsi:nil", "true")]),
            Value::Record(inner) => {
                let full_inner = full.and_then(|f| f.get(name)).and_then(Value::as_record);
                w.start("sf", name, &[("xsi:type", "sf:sObject")]);
                write_sobject(w, inner, full_inner, &[]);
                w.end("sf", name);
            }
            other => {
                if let Some(text) = other.to_text() {
                    w.leaf("sf", name, &salesforce_text(&text));
                }
            }
        }
    }
}

/// A child subquery's `QueryResult` (all its rows, done), or nil when the
/// parent has none.
fn write_child_result(
    w: &mut XmlWriter,
    relationship: &str,
    rows: Option<(Vec<Record>, Vec<Record>)>,
) {
    let Some((full, projected)) = rows else {
        w.empty("sf", relationship, &[("xsi:nil", "true")]);
        return;
    };
    w.start("sf", relationship, &[("xsi:type", "QueryResult")]);
    let result = ResultPage {
        done: true,
        query_locator: None,
        size: projected.len() as u64,
    };
    write_query_result(w, &RESULT_STYLE, &result, |w| {
        for (record, full) in projected.iter().zip(&full) {
            write_records(w, record, Some(full), &[]);
        }
    });
    w.end("sf", relationship);
}

/// A value as the partner API writes it: date-times end in `Z`.
fn salesforce_text(text: &str) -> std::borrow::Cow<'_, str> {
    match text.strip_suffix("+00:00") {
        Some(stem) if stem.contains('T') => format!("{stem}Z").into(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::Dataset;
    use crate::mock::cursors::CursorStore;
    use crate::xml::wsdl::Wsdl;
    use chrono::{DateTime, TimeDelta};

    fn wsdl() -> Wsdl {
        Wsdl::parse(include_bytes!("../../wsdl/partner.wsdl")).unwrap()
    }

    fn state() -> MockState {
        crate::mock::MockServer::builder()
            .dataset(Dataset::sample(7))
            .into_state()
    }

    /// Every page of `fields` from `object`, `all` or not, `batch` rows each.
    fn pages(object: &str, fields: &[&str], all: bool, batch: usize) -> Vec<Vec<u8>> {
        let st = state();
        let ds = st.dataset();
        let store = CursorStore::new(Some(TimeDelta::minutes(15)), None);
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let table = ds.table(object).unwrap();
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        let id = "Q02000000001AAA";
        let mut page = store.open(ds, id.into(), table, fields, all, batch, "s", now);
        let first = if all {
            QueryOp::QueryAll
        } else {
            QueryOp::Query
        };
        let mut at = Position {
            table,
            include_deleted: all,
            start: 0,
        };
        let mut out = vec![query_body(&st, first, &at, id, &page)];
        while let Some(next) = page.next {
            page = store.next(ds, id, next, None, now).unwrap();
            at.start = next;
            out.push(query_body(&st, QueryOp::QueryMore, &at, id, &page));
        }
        out
    }

    #[test]
    fn responses_follow_the_wsdl() {
        let w = wsdl();
        let mut bodies = pages(
            "Contact",
            &["Id", "FirstName", "LastName", "Account.Name", "CreatedDate"],
            true,
            3,
        );
        bodies.extend(pages(
            "Account",
            &["Name", "BillToContact.WorkEmail"],
            false,
            5,
        ));
        assert_eq!(bodies.len(), 3 + 2);
        for body in &bodies {
            let (headers, op) = w
                .check_envelope(body)
                .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(body)));
            assert!(op.1.ends_with("Response"), "{op:?}");
            assert_eq!(headers.len(), 1, "LimitInfoHeader");
        }
        let st = state();
        let headers = HeaderMap::new();
        let req = crate::xml::request::read_request(
            BackendKind::SalesforceSoap,
            &crate::salesforce::soap::envelope::CALLS.login(
                &st.credentials().username,
                &crate::Secret::new(st.credentials().password.clone()),
            ),
            NAMESPACES,
        )
        .unwrap();
        w.check_envelope(&Partner::login(&st, &headers, &req).unwrap())
            .unwrap();
    }

    #[test]
    fn records_double_the_id_and_nest_relationships() {
        let bodies = pages("Contact", &["Id", "Account.Name", "FirstName"], false, 3);
        let first = String::from_utf8(bodies[0].clone()).unwrap();
        let id = "<sf:Id>0035g0000000000000AA</sf:Id>";
        assert!(
            first.contains(&format!(
                "<records xsi:type=\"sf:sObject\"><sf:type>Contact</sf:type>{id}{id}\
                 <sf:Account xsi:type=\"sf:sObject\"><sf:type>Account</sf:type>\
                 <sf:Id xsi:nil=\"true\"/><sf:Name>"
            )),
            "{first}"
        );
        assert!(
            first.contains("<result xsi:type=\"QueryResult\"><done>false</done>"),
            "{first}"
        );
        assert!(
            first.contains("<queryLocator>01gQ02000000001AAA-3</queryLocator>"),
            "{first}"
        );
        let without_id = pages("Contact", &["LastName"], false, 10);
        let text = String::from_utf8(without_id[0].clone()).unwrap();
        assert!(
            text.contains("<sf:type>Contact</sf:type><sf:Id xsi:nil=\"true\"/><sf:LastName>"),
            "{text}"
        );
        assert!(text.contains("<queryLocator xsi:nil=\"true\"/>"), "{text}");
        assert!(text.contains("<size>7</size>"), "{text}");
    }

    /// The wire shape of a `queryAll` page and a fault, as a third-party
    /// client sees them (canonical form).
    #[cfg(feature = "testing")]
    #[test]
    fn mock_wire_shape_snapshot() {
        let bodies = pages(
            "Contact",
            &["Id", "FirstName", "LastName", "IsDeleted", "Account.Name"],
            true,
            2,
        );
        let page = crate::testing::canonical_xml(&bodies[0]).unwrap();
        let fault = crate::testing::canonical_xml(&DIALECT.fault_body(&Fault::new(
            "INVALID_QUERY_LOCATOR",
            "InvalidQueryLocatorFault",
            "invalid query locator",
        )))
        .unwrap();
        crate::xml::testing::snapshot_settings().bind(|| {
            insta::assert_snapshot!("salesforce_soap__mock_query_all_page", page);
            insta::assert_snapshot!("salesforce_soap__mock_invalid_query_locator_fault", fault);
        });
    }

    #[test]
    fn child_subqueries_are_query_results_that_follow_the_wsdl() {
        let rec = |t: &str, pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .fold(Record::new().with_object_type(t), |r, (k, v)| r.with(k, *v))
        };
        let ds = Dataset::empty()
            .with_records(
                "Account",
                vec![
                    rec("Account", &[("Id", "001A"), ("Name", "A")]),
                    rec("Account", &[("Id", "001B"), ("Name", "B")]),
                ],
            )
            .with_records(
                "Contact",
                vec![
                    rec(
                        "Contact",
                        &[("Id", "003A"), ("AccountId", "001A"), ("LastName", "X")],
                    ),
                    rec(
                        "Contact",
                        &[("Id", "003B"), ("AccountId", "001A"), ("LastName", "Y")],
                    ),
                ],
            );
        let st = crate::mock::MockServer::builder().dataset(ds).into_state();
        let (index, fields) = subquery::plan(
            "select Name, (select LastName from Contacts) from Account",
            st.dataset(),
        )
        .unwrap();
        let table = st.dataset().tables().nth(index).unwrap();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let page = st.cursors().open(
            st.dataset(),
            "Q00000000001AAA".into(),
            table,
            fields,
            false,
            10,
            "s",
            now,
        );
        let at = Position {
            table,
            include_deleted: false,
            start: 0,
        };
        let body = query_body(&st, QueryOp::Query, &at, "Q00000000001AAA", &page);
        wsdl()
            .check_envelope(&body)
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&body)));
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.contains(
                "<sf:Contacts xsi:type=\"QueryResult\"><done>true</done>\
                 <queryLocator xsi:nil=\"true\"/><records xsi:type=\"sf:sObject\">\
                 <sf:type>Contact</sf:type><sf:Id xsi:nil=\"true\"/><sf:LastName>X</sf:LastName>"
            ),
            "{text}"
        );
        assert!(text.contains("<size>2</size></sf:Contacts>"), "{text}");
        assert!(text.contains("<sf:Contacts xsi:nil=\"true\"/>"), "{text}");
    }

    #[test]
    fn nulls_are_nil_and_datetimes_end_in_z() {
        let bodies = pages("Account", &["LastInvoiceDate", "CreatedDate"], false, 10);
        let text = String::from_utf8(bodies[0].clone()).unwrap();
        // Row 2 has no LastInvoiceDate.
        assert_eq!(
            text.matches("<sf:LastInvoiceDate xsi:nil=\"true\"/>")
                .count(),
            2,
            "{text}"
        );
        assert!(!text.contains("+00:00"), "{text}");
        assert!(text.contains(".000Z</sf:CreatedDate>"), "{text}");
    }

    #[test]
    fn faults_use_partner_codes_and_detail_elements() {
        let wsdl = include_str!("../../wsdl/partner.wsdl");
        let ds = Dataset::sample(1);
        for (q, detail) in [
            ("selec x", "MalformedQueryFault"),
            ("select Id from Nope", "InvalidSObjectFault"),
            ("select Bogus from Account", "InvalidFieldFault"),
        ] {
            let f = select_fault(q, &crate::mock::select::parse(q, ds.tables()).unwrap_err());
            assert_eq!(f.detail, detail);
            assert!(
                wsdl.contains(&format!("<enumeration value=\"{}\"/>", f.code)),
                "{f:?}"
            );
            assert!(
                wsdl.contains(&format!("<element name=\"{detail}\"")),
                "{detail}"
            );
            let body = String::from_utf8(DIALECT.fault_body(&f)).unwrap();
            assert!(
                body.contains(&format!("<faultcode>sf:{}</faultcode>", f.code)),
                "{body}"
            );
            assert!(
                body.contains(&format!("<sf:{detail} xsi:type=\"sf:{detail}\">")),
                "{body}"
            );
            assert!(body.contains("<sf:row>1</sf:row><sf:column>"), "{body}");
        }
        let f = select_fault(
            "select Bogus from Account",
            &SelectError::UnknownField("Bogus".into()),
        );
        assert_eq!(f.extra[1].1, "8");
        for code in [
            "INVALID_QUERY_LOCATOR",
            "INVALID_SESSION_ID",
            "INVALID_LOGIN",
            "INVALID_BATCH_SIZE",
            "UNKNOWN_EXCEPTION",
        ] {
            assert!(
                wsdl.contains(&format!("<enumeration value=\"{code}\"/>")),
                "{code}"
            );
        }
    }
}
