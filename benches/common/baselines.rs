//! The limits each parse path is measured against, on the same bytes: raw
//! quick-xml event loops, quick-xml's own serde, a hand-written streaming
//! extractor, serde_json into `Value` and into typed structs, and csv's
//! `ByteRecord` loop and serde.

#![allow(dead_code)]

use super::payloads::{Contact, InvoiceItem, RestPage};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde::Deserialize;

/// A raw `read_event` loop over a borrowed slice: counts `records` elements.
pub fn xml_read_event(bytes: &[u8]) -> usize {
    let mut reader = Reader::from_reader(bytes);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "records" => n += 1,
            Ok(Event::Eof) | Err(_) => return n,
            _ => {}
        }
    }
}

/// A raw `read_event_into` loop (events copied into a reused buffer).
pub fn xml_read_event_into(bytes: &[u8]) -> usize {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::with_capacity(1024);
    let mut n = 0;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "records" => n += 1,
            Ok(Event::Eof) | Err(_) => return n,
            _ => {}
        }
        buf.clear();
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Body")]
    body: Body,
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "queryResponse")]
    response: QueryResponse,
}

#[derive(Deserialize)]
struct QueryResponse {
    result: QueryResult,
}

#[derive(Deserialize)]
struct QueryResult {
    done: bool,
    #[serde(rename = "queryLocator")]
    locator: Option<String>,
    #[serde(default)]
    records: Vec<InvoiceItem>,
    size: u64,
}

/// quick-xml's serde (feature `serialize`) into the same typed struct.
pub fn xml_serde(bytes: &[u8]) -> Vec<InvoiceItem> {
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    match quick_xml::de::from_str::<Envelope>(text) {
        Ok(env) => env.body.response.result.records,
        Err(e) => panic!("quick-xml serde failed: {e}"),
    }
}

/// A hand-written streaming extractor straight into the typed struct: the
/// practical limit for a typed SOAP read.
pub fn xml_handwritten(bytes: &[u8]) -> Vec<InvoiceItem> {
    let mut reader = Reader::from_reader(bytes);
    let mut out = Vec::with_capacity(2000);
    let mut fields: [String; 13] = Default::default();
    let mut present = [false; 13];
    let mut slot: Option<usize> = None;
    let mut in_record = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name();
                if !in_record {
                    in_record = name.as_ref() == "records";
                    continue;
                }
                slot = match name.as_ref() {
                    "Id" => Some(0),
                    "AccountId" => Some(1),
                    "AccountingCode" => Some(2),
                    "ChargeAmount" => Some(3),
                    "ChargeDate" => Some(4),
                    "ChargeDescription" => Some(5),
                    "ChargeName" => Some(6),
                    "ChargeNumber" => Some(7),
                    "Quantity" => Some(8),
                    "ServiceEndDate" => Some(9),
                    "ServiceStartDate" => Some(10),
                    "SKU" => Some(11),
                    "UOM" => Some(12),
                    _ => None,
                };
                if let Some(i) = slot {
                    fields[i].clear();
                    present[i] = true;
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(i) = slot {
                    fields[i].push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(i) = slot {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        fields[i].push(c);
                    } else if let Some(s) =
                        quick_xml::escape::resolve_xml_entity(&r.xml10_content())
                    {
                        fields[i].push_str(s);
                    }
                }
            }
            Ok(Event::End(e))
                if slot.take().is_none() && in_record && e.local_name().as_ref() == "records" =>
            {
                in_record = false;
                let mut take = |i: usize| std::mem::take(&mut fields[i]);
                out.push(InvoiceItem {
                    id: take(0),
                    account_id: take(1),
                    accounting_code: take(2),
                    charge_amount: take(3).parse().unwrap_or_default(),
                    charge_date: take(4),
                    charge_description: take(5),
                    charge_name: take(6),
                    charge_number: take(7),
                    quantity: take(8).parse().unwrap_or_default(),
                    service_end_date: take(9),
                    service_start_date: take(10),
                    sku: take(11),
                    uom: present[12].then(|| take(12)),
                });
                present = [false; 13];
            }
            Ok(Event::Eof) | Err(_) => return out,
            _ => {}
        }
    }
}

/// serde_json into a dynamic `Value`: counts the records.
pub fn json_value(bytes: &[u8]) -> usize {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => v["records"].as_array().map_or(0, Vec::len),
        Err(e) => panic!("serde_json failed: {e}"),
    }
}

/// serde_json into the typed page.
pub fn json_typed(bytes: &[u8]) -> Vec<Contact> {
    match serde_json::from_slice::<RestPage<Contact>>(bytes) {
        Ok(p) => p.records,
        Err(e) => panic!("serde_json failed: {e}"),
    }
}

/// csv's `ByteRecord` loop: counts the rows.
pub fn csv_byte_records(bytes: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    while let Ok(true) = reader.read_byte_record(&mut record) {
        n += 1;
    }
    n
}

/// A flat Bulk row, as csv's serde reads it.
#[derive(Debug, Deserialize)]
pub struct CsvContact {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "AccountId")]
    pub account_id: String,
    #[serde(rename = "FirstName")]
    pub first_name: Option<String>,
    #[serde(rename = "LastName")]
    pub last_name: String,
    #[serde(rename = "Email")]
    pub email: String,
    #[serde(rename = "Phone")]
    pub phone: Option<String>,
    #[serde(rename = "IsDeleted")]
    pub is_deleted: bool,
    #[serde(rename = "CreatedDate")]
    pub created_date: String,
    #[serde(rename = "Account.Name")]
    pub account_name: Option<String>,
}

/// csv's serde into owned structs.
pub fn csv_serde(bytes: &[u8]) -> Vec<CsvContact> {
    csv::ReaderBuilder::new()
        .from_reader(bytes)
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("csv serde failed: {e}"))
}
