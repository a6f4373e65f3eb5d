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
//! `queryMore` with the invalid-locator fault. Child subqueries are not served
//! here (the REST mock serves them; the client reads them from either).

use super::cursors::{CursorError, ServedPage};
use super::dataset::Table;
use super::salesforce_rest::{locator_id, parse_locator};
use super::select::{self, SelectError};
use super::soap::{MockDialect, SoapFault as Fault, delay, login_accepted, server_url};
use super::{InjectedFault, MockFault, MockState, SALESFORCE_SOAP_PATH};
use crate::salesforce::soap::parse::{NAMESPACES, PARTNER};
use crate::salesforce::soap::{FAULT_NS, PARTNER_NS, SOBJECT_NS};
use crate::xml::XSI;
use crate::xml::fault::FaultStyle;
use crate::xml::query_result::{ResultPage, ResultStyle, write_query_response};
use crate::xml::request::SoapRequest;
use crate::xml::writer::{XmlWriter, begin_response, begin_response_with_header, end_response};
use crate::{BackendKind, Record, Value};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};

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
        .route(SALESFORCE_SOAP_PATH, post(handle))
        .route(&format!("{SALESFORCE_SOAP_PATH}/{{org}}"), post(handle))
}

/// The partner API's requests and faults: `sf` bound to the fault namespace
/// on the envelope, a typed detail element.
static DIALECT: MockDialect = MockDialect {
    kind: BackendKind::SalesforceSoap,
    namespaces: NAMESPACES,
    api: PARTNER,
    header_namespaces: &[PARTNER],
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

async fn handle(
    State(state): State<MockState>,
    headers: HeaderMap,
    injected: Option<Extension<InjectedFault>>,
    body: Bytes,
) -> Response {
    let injected = injected.map(|Extension(InjectedFault(f))| f);
    let injected = injected.as_ref();
    DIALECT
        .serve(&body, async |req| match req.operation.as_str() {
            "login" => login(&state, &headers, &req),
            "query" => query(&state, &req, injected, false).await,
            "queryAll" => query(&state, &req, injected, true).await,
            "queryMore" => query_more(&state, &req, injected).await,
            other => Err(DIALECT.unknown_operation(other)),
        })
        .await
}

fn login(state: &MockState, headers: &HeaderMap, req: &SoapRequest) -> Result<Vec<u8>, Fault> {
    if !login_accepted(state, req) {
        return Err(Fault::new(
            "INVALID_LOGIN",
            "LoginFault",
            "Invalid username, password, security token; or user locked out.",
        ));
    }
    let session = state.new_session(&format!("{ORG_ID}!mock-session-"));
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

/// The session check every call but `login` makes; an injected `ExpireSession`
/// ends the session it names.
fn check_session(
    state: &MockState,
    req: &SoapRequest,
    injected: Option<&MockFault>,
) -> Result<String, Fault> {
    let session = DIALECT.session(state, req, "SessionHeader", "sessionId");
    match session {
        Some(s) if injected != Some(&MockFault::ExpireSession) => Ok(s.to_owned()),
        other => {
            if let Some(s) = other {
                state.expire_session(s);
            }
            Err(Fault::unexpected(
                "INVALID_SESSION_ID",
                "Invalid Session ID found in SessionHeader: Illegal Session",
            ))
        }
    }
}

/// `QueryOptions/batchSize`, clamped into 200..=2000; `None` when absent.
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

async fn query(
    state: &MockState,
    req: &SoapRequest,
    injected: Option<&MockFault>,
    all: bool,
) -> Result<Vec<u8>, Fault> {
    let session = check_session(state, req, injected)?;
    let batch = batch_size(req)?.unwrap_or(DEFAULT_BATCH);
    let text = req.param("queryString").unwrap_or_default();
    let dataset = state.dataset();
    let select = select::parse(text, dataset.tables()).map_err(|e| select_fault(text, &e))?;
    let (index, table) = dataset
        .tables()
        .enumerate()
        .find(|(_, t)| t.name() == select.object)
        .ok_or_else(|| select_fault(text, &SelectError::UnknownObject(select.object.clone())))?;
    let cursors = state.cursors();
    let id = locator_id(all, index, cursors.next_id());
    let page = cursors.open(
        dataset,
        id.clone(),
        table,
        select.fields,
        all,
        batch,
        &session,
        state.clock().now(),
    );
    delay(state, page.records.len()).await;
    let response = if all {
        "queryAllResponse"
    } else {
        "queryResponse"
    };
    Ok(query_body(state, response, table, &id, &page))
}

async fn query_more(
    state: &MockState,
    req: &SoapRequest,
    injected: Option<&MockFault>,
) -> Result<Vec<u8>, Fault> {
    check_session(state, req, injected)?;
    let batch = batch_size(req)?;
    let locator = req.param("queryLocator").unwrap_or_default().trim();
    let invalid = || {
        Fault::new(
            "INVALID_QUERY_LOCATOR",
            "InvalidQueryLocatorFault",
            "invalid query locator",
        )
    };
    if injected == Some(&MockFault::InvalidLocator) {
        return Err(invalid());
    }
    let (id, offset) = parse_locator(locator).ok_or_else(invalid)?;
    let dataset = state.dataset();
    let page = state
        .cursors()
        .next(dataset, id, offset, batch, state.clock().now())
        .map_err(|e| match e {
            CursorError::Expired | CursorError::Unknown => invalid(),
        })?;
    let table = page
        .records
        .first()
        .and_then(Record::object_type)
        .and_then(|t| dataset.table(t))
        .ok_or_else(invalid)?;
    delay(state, page.records.len()).await;
    Ok(query_body(state, "queryMoreResponse", table, id, &page))
}

/// A query response for one served page of `table` rows.
fn query_body(
    state: &MockState,
    response: &str,
    table: &dyn Table,
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
    // The object types of relationships, from a full row of the table.
    let sample = (!table.is_empty()).then(|| table.row(0));
    write_query_response(&mut w, &RESULT_STYLE, response, &result, |w| {
        for record in &page.records {
            w.start("", "records", &[("xsi:type", "sf:sObject")]);
            write_sobject(w, record, sample.as_ref());
            w.end("", "records");
        }
    });
    end_response(w)
}

/// An sObject's children: `sf:type`, `sf:Id`, then the fields in order.
/// `full` is a full row of the same object, for relationship types.
fn write_sobject(w: &mut XmlWriter, record: &Record, full: Option<&Record>) {
    w.leaf("sf", "type", record.object_type().unwrap_or("sObject"));
    match record.get("Id").and_then(Value::to_text) {
        Some(id) => w.leaf("sf", "Id", &id),
        None => w.empty("sf", "Id", &[("xsi:nil", "true")]),
    }
    for (name, value) in record.fields() {
        match value {
            Value::Null | Value::List(_) => w.empty("sf", name, &[("xsi:nil", "true")]),
            Value::Record(inner) => {
                let full_inner = full.and_then(|f| f.get(name)).and_then(Value::as_record);
                let mut typed = (**inner).clone();
                if typed.object_type().is_none()
                    && let Some(t) = full_inner.and_then(Record::object_type)
                {
                    typed.set_object_type(t);
                }
                w.start("sf", name, &[("xsi:type", "sf:sObject")]);
                write_sobject(w, &typed, full_inner);
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
            "queryAllResponse"
        } else {
            "queryResponse"
        };
        let mut out = vec![query_body(&st, first, table, id, &page)];
        while let Some(next) = page.next {
            page = store.next(ds, id, next, None, now).unwrap();
            out.push(query_body(&st, "queryMoreResponse", table, id, &page));
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
        w.check_envelope(&login(&st, &headers, &req).unwrap())
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
            let f = select_fault(q, &select::parse(q, ds.tables()).unwrap_err());
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
