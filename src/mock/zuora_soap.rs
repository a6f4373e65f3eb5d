//! The mock Zuora SOAP endpoint, `POST /apps/services/a/78.0`: `login`, `query`
//! and `queryMore` over the shared data set, written with the same XML code the
//! client reads with.
//!
//! As the real service does: `QueryOptions/batchSize` absent or 0 means 2000 and
//! values above 2000 are capped; records carry `xsi:type="ns2:<Object>"` with the
//! namespaces re-declared on each record, `Id` first and the other selected
//! fields in the object's canonical order, null fields omitted; `size` is the
//! total row count; the last page's `queryLocator` is `xsi:nil="1"`; locators
//! look like `<32 hex>-<offset>` and expire after 15 idle minutes on the shared
//! clock. Faults are shaped like the reference sample (`fns:` codes from the
//! WSDL's `ErrorCode`, a detail element naming the fault type), with HTTP 500:
//! a bad login is a `LoginFault` (`INVALID_LOGIN`), a bad session an
//! `UnexpectedErrorFault` (`INVALID_SESSION`), a bad query a
//! `MalformedQueryFault` (`MALFORMED_QUERY`, `INVALID_FIELD`, `INVALID_TYPE`),
//! a dead locator an `InvalidQueryLocatorFault` (`INVALID_VALUE`, as Zuora has
//! no `INVALID_QUERY_LOCATOR` code).
//!
//! A selected relationship field (`BillToContact.WorkEmail`, as Zuora's export
//! ZOQL joins them) comes back flattened under its dotted name,
//! `<ns2:BillToContact.WorkEmail>`, exactly as the REST mock's
//! `"BillToContact.WorkEmail"` key; the clients nest it
//! (`BillToContact: { WorkEmail }`). That element is not in the WSDL's
//! `Account`: it is this mock's stand-in for a join the SOAP API has no type for.
//!
//! Injected faults: `ExpireSession` ends the request's session and answers
//! with the invalid-session fault (the session stays refused until the client
//! logs in again); `InvalidLocator` answers the next `queryMore` with the
//! invalid-locator fault.

use super::cursors::{CursorError, ServedPage};
use super::soap::{
    self, MockDialect, QueryCall, SoapBackend, SoapFault as Fault, log_in, next_page, server_url,
};
use super::{MockState, ZUORA_SOAP_PATH};
use crate::xml::XSI;
use crate::xml::dialect::QueryOp;
use crate::xml::fault::FaultStyle;
use crate::xml::query_result::{ResultPage, ResultStyle, write_query_response};
use crate::xml::request::SoapRequest;
use crate::xml::writer::{XmlWriter, begin_response, end_response};
use crate::zuora::soap::parse::{API, NAMESPACES, OBJECT};
use crate::zuora::soap::{API_NS, FAULT_NS, OBJECT_NS};
use crate::{BackendKind, Record};
use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;

/// The page size when none (or 0) is asked for, and the most a page holds.
const MAX_BATCH: usize = 2000;

/// The routes this backend serves.
pub(crate) fn routes() -> Router<MockState> {
    Router::new().route(ZUORA_SOAP_PATH, post(soap::handle::<Zuora>))
}

/// The Zuora SOAP endpoint, as the shared SOAP handler serves it.
struct Zuora;

impl SoapBackend for Zuora {
    const DIALECT: &'static MockDialect = &DIALECT;
    const QUERY_ALL: bool = false;

    fn login(state: &MockState, headers: &HeaderMap, req: &SoapRequest) -> Result<Vec<u8>, Fault> {
        let refusal = "Invalid login. User name and password do not match.";
        let session = log_in(state, req, "zs-", refusal)?;
        Ok(login_body(&session, &server_url(headers, ZUORA_SOAP_PATH)))
    }

    /// Absent or 0 is 2000, above 2000 is capped.
    fn batch_size(req: &SoapRequest) -> Result<Option<usize>, Fault> {
        let Some(raw) = req.header_field(&[API, OBJECT], "QueryOptions", "batchSize") else {
            return Ok(Some(MAX_BATCH));
        };
        match raw.trim().parse::<i64>() {
            Ok(0) => Ok(Some(MAX_BATCH)),
            Ok(n) if n > 0 => Ok(Some((n as usize).min(MAX_BATCH))),
            _ => Err(Fault::unexpected(
                "INVALID_VALUE",
                format!("invalid batchSize {raw:?}"),
            )),
        }
    }

    /// Zuora has no `INVALID_QUERY_LOCATOR` code: `INVALID_VALUE` in an
    /// `InvalidQueryLocatorFault`, saying why.
    fn invalid_locator(locator: &str, why: &str) -> Fault {
        Fault::new(
            "INVALID_VALUE",
            "InvalidQueryLocatorFault",
            format!("invalid query locator {locator}: {why}"),
        )
    }

    async fn query(state: &MockState, call: QueryCall<'_>) -> Result<Vec<u8>, Fault> {
        let dataset = state.dataset();
        let select = super::select::parse(call.text, dataset.tables())
            .map_err(|e| Fault::new(e.code(), "MalformedQueryFault", e.message()))?;
        let table = dataset
            .table(&select.object)
            .ok_or_else(|| Fault::unexpected("INVALID_TYPE", "unknown object"))?;
        // Zuora returns `Id` first, then the other selected fields in the object's order.
        let mut fields: Vec<String> = table
            .fields()
            .iter()
            .filter(|f| select.fields.contains(f))
            .cloned()
            .collect();
        if let Some(i) = fields.iter().position(|f| f == "Id") {
            let id = fields.remove(i);
            fields.insert(0, id);
        }
        let id = format!(
            "{:016x}{:016x}",
            0x4028_e699_23ea_aa2a_u64,
            state.cursors().next_id()
        );
        let page = call.open(state, id.clone(), table, fields).await;
        Ok(query_body(call.op, &select.object, &id, &page))
    }

    async fn query_more(
        state: &MockState,
        locator: &str,
        batch: Option<usize>,
    ) -> Result<Vec<u8>, Fault> {
        let invalid = |why: &str| Self::invalid_locator(locator, why);
        let (id, offset) = locator
            .rsplit_once('-')
            .and_then(|(id, n)| Some((id, n.parse::<usize>().ok()?)))
            .filter(|(id, _)| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| invalid("not a query locator"))?;
        let page = next_page(state, id, offset, batch)
            .await
            .map_err(|e| match e {
                CursorError::Expired => invalid("expired after 15 minutes of inactivity"),
                CursorError::Unknown => invalid("unknown or already used up"),
            })?;
        let object = page
            .records
            .first()
            .and_then(Record::object_type)
            .unwrap_or("zObject");
        Ok(query_body(QueryOp::QueryMore, object, id, &page))
    }
}

/// Zuora writes `ns1` for the API namespace, declared on the response element.
const RESULT_STYLE: ResultStyle = ResultStyle {
    prefix: "ns1",
    declare: Some(API_NS),
    nil: "1",
    declare_xsi_on_nil: true,
    result_type: None,
};

/// Zuora's requests and faults: `fns` declared on `soapenv:Fault`, no
/// `xsi:type` on the detail.
static DIALECT: MockDialect = MockDialect {
    kind: BackendKind::ZuoraSoap,
    namespaces: NAMESPACES,
    api: API,
    header_namespaces: &[API, OBJECT],
    session_field: "session",
    invalid_session: ("INVALID_SESSION", "Invalid Session"),
    unreadable_code: "UNKNOWN_ERROR",
    unknown_operation_code: "INVALID_VALUE",
    fault_style: FaultStyle {
        prefix: "fns",
        uri: FAULT_NS,
        code: "FaultCode",
        message: "FaultMessage",
        declare_on_fault: true,
        typed_detail: false,
    },
    fault_declarations: &[],
    code_in_faultstring: false,
};

/// A successful `login` response.
fn login_body(session: &str, server_url: &str) -> Vec<u8> {
    let mut w = begin_response(512, &[]);
    w.start("ns1", "loginResponse", &[("xmlns:ns1", API_NS)]);
    w.start("ns1", "result", &[]);
    w.leaf("ns1", "Session", session);
    w.leaf("ns1", "ServerUrl", server_url);
    w.end("ns1", "result");
    w.end("ns1", "loginResponse");
    end_response(w)
}

/// A `queryResponse` / `queryMoreResponse` for one served page of `object` rows.
fn query_body(op: QueryOp, object: &str, id: &str, page: &ServedPage) -> Vec<u8> {
    let locator = page.next.map(|n| format!("{id}-{n}"));
    let typed = format!("ns2:{object}");
    let mut w = begin_response(512 + page.records.len() * 640, &[]);
    let result = ResultPage {
        done: locator.is_none(),
        query_locator: locator.as_deref(),
        size: page.total as u64,
    };
    write_query_response(&mut w, &RESULT_STYLE, op.response(), &result, |w| {
        for record in &page.records {
            write_record(w, &typed, record);
        }
    });
    end_response(w)
}

/// One record: namespaces re-declared on it, null fields left out, a
/// relationship field flattened to its dotted name (`BillToContact.WorkEmail`).
fn write_record(w: &mut XmlWriter, typed: &str, record: &Record) {
    w.start(
        "ns1",
        "records",
        &[
            ("xmlns:ns2", OBJECT_NS),
            ("xmlns:xsi", XSI),
            ("xsi:type", typed),
        ],
    );
    for (path, value) in record.flatten() {
        if let Some(text) = value.to_text() {
            w.leaf("ns2", &path, &text);
        }
    }
    w.end("ns1", "records");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::Dataset;
    use crate::mock::cursors::CursorStore;
    use crate::xml::wsdl::Wsdl;
    use chrono::{DateTime, TimeDelta};

    fn wsdl() -> Wsdl {
        Wsdl::parse(include_bytes!("../../wsdl/zuora.wsdl")).unwrap()
    }

    fn pages(object: &str, fields: &[&str], batch: usize) -> Vec<Vec<u8>> {
        let ds = Dataset::sample(7);
        let store = CursorStore::new(Some(TimeDelta::minutes(15)), None);
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let table = ds.table(object).unwrap();
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        let id = "4028e69923eaaa2a0000000000000001";
        let mut page = store.open(&ds, id.into(), table, fields, false, batch, "s", now);
        let mut out = vec![query_body(QueryOp::Query, object, id, &page)];
        while let Some(next) = page.next {
            page = store.next(&ds, id, next, None, now).unwrap();
            out.push(query_body(QueryOp::QueryMore, object, id, &page));
        }
        out
    }

    #[test]
    fn responses_follow_the_wsdl() {
        let w = wsdl();
        let all_account = [
            "Id",
            "AccountNumber",
            "AutoPay",
            "Balance",
            "BillCycleDay",
            "CreatedDate",
            "Currency",
            "LastInvoiceDate",
            "Name",
            "Notes",
            "Status",
        ];
        let all_items = [
            "Id",
            "AccountId",
            "ChargeAmount",
            "ChargeDate",
            "ChargeName",
            "Quantity",
            "ServiceEndDate",
            "ServiceStartDate",
            "SKU",
            "UOM",
        ];
        let mut bodies = pages("Account", &all_account, 3);
        bodies.extend(pages("InvoiceItem", &all_items, 5));
        assert_eq!(bodies.len(), 3 + 2);
        for body in &bodies {
            let (_, op) = w
                .check_envelope(body)
                .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(body)));
            assert!(op.1 == "queryResponse" || op.1 == "queryMoreResponse");
        }
        w.check_envelope(&login_body("s", "http://h/apps/services/a/78.0"))
            .unwrap();
    }

    #[test]
    fn records_redeclare_namespaces_and_omit_nulls() {
        let bodies = pages("Account", &["Id", "LastInvoiceDate", "Name"], 3);
        let first = String::from_utf8(bodies[0].clone()).unwrap();
        assert_eq!(
            first.matches(r#"<ns1:records xmlns:ns2="http://object.api.zuora.com/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ns2:Account">"#).count(),
            3,
            "{first}"
        );
        // Row 2 has no LastInvoiceDate: two of the three records carry one.
        assert_eq!(first.matches("<ns2:LastInvoiceDate>").count(), 2, "{first}");
        assert!(first.contains("<ns1:size>7</ns1:size>"), "{first}");
        assert!(
            first.contains(
                "<ns1:queryLocator>4028e69923eaaa2a0000000000000001-3</ns1:queryLocator>"
            ),
            "{first}"
        );
        let last = String::from_utf8(bodies[2].clone()).unwrap();
        assert!(last.contains(r#"<ns1:queryLocator xsi:nil="1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#), "{last}");
        assert!(last.contains("<ns1:done>true</ns1:done>"), "{last}");
    }

    #[test]
    fn a_relationship_field_is_flattened_and_reads_back_nested() {
        let bodies = pages("Account", &["Id", "Name", "BillToContact.WorkEmail"], 10);
        let text = String::from_utf8(bodies[0].clone()).unwrap();
        assert!(
            text.contains(
                "<ns2:BillToContact.WorkEmail>billing1@example.com</ns2:BillToContact.WorkEmail>"
            ),
            "{text}"
        );
        let page = match crate::zuora::soap::parse::parse_query(
            &bodies[0],
            crate::zuora::soap::parse::QueryOp::Query,
        )
        .unwrap()
        {
            crate::xml::http::Reply::Ok(p) => p,
            crate::xml::http::Reply::Fault(f) => panic!("{f:?}"),
        };
        assert_eq!(
            page.records[0].get_path("BillToContact.WorkEmail"),
            Some(&crate::Value::from("billing1@example.com"))
        );
        assert_eq!(
            page.records[0].field_names().collect::<Vec<_>>(),
            ["Id", "Name", "BillToContact"]
        );
    }

    #[test]
    fn faults_use_wsdl_codes_and_detail_elements() {
        let w = wsdl();
        let body = DIALECT.fault_body(&Fault::new(
            "INVALID_VALUE",
            "InvalidQueryLocatorFault",
            "gone & <expired>",
        ));
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.contains(r#"<soapenv:Fault xmlns:fns="http://fault.api.zuora.com/"><faultcode>fns:INVALID_VALUE</faultcode>"#), "{text}");
        assert!(text.contains("<detail><fns:InvalidQueryLocatorFault><fns:FaultCode>INVALID_VALUE</fns:FaultCode><fns:FaultMessage>gone &amp; &lt;expired&gt;</fns:FaultMessage>"), "{text}");
        assert!(
            w.elements
                .contains_key(&(FAULT_NS.to_owned(), "InvalidQueryLocatorFault".to_owned()))
        );
    }

    #[test]
    fn every_fault_code_and_detail_the_mock_sends_is_in_the_wsdl() {
        let wsdl = include_str!("../../wsdl/zuora.wsdl");
        let codes = [
            "INVALID_LOGIN",
            "INVALID_SESSION",
            "INVALID_VALUE",
            "UNKNOWN_ERROR",
            "MALFORMED_QUERY",
            "INVALID_FIELD",
            "INVALID_TYPE",
        ];
        for code in codes {
            assert!(
                wsdl.contains(&format!("<enumeration value=\"{code}\" />")),
                "{code}"
            );
        }
        assert!(!wsdl.contains("INVALID_QUERY_LOCATOR"));
        for detail in [
            "LoginFault",
            "UnexpectedErrorFault",
            "MalformedQueryFault",
            "InvalidQueryLocatorFault",
        ] {
            assert!(
                wsdl.contains(&format!(
                    "<element name=\"{detail}\" type=\"fns:{detail}\" />"
                )),
                "{detail}"
            );
        }
        // The select parser's codes are among them.
        let ds = Dataset::sample(1);
        for q in [
            "selec x",
            "select Id from Nope",
            "select Bogus from Account",
        ] {
            let code = crate::mock::select::parse(q, ds.tables())
                .unwrap_err()
                .code();
            assert!(codes.contains(&code), "{code}");
        }
    }
}
