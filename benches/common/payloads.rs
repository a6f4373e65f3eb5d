//! Deterministic wire payloads shaped like the services' real replies: a Zuora
//! SOAP `queryResponse` of `InvoiceItem`s, a Salesforce REST query page of
//! Contacts and a Salesforce Bulk 2.0 CSV results chunk, plus the typed structs
//! every parse path reads them into.

#![allow(dead_code)]

use serde::Deserialize;
use std::fmt::Write;

/// splitmix64 of (index, salt): stable pseudo-random values without a crate.
pub fn mix(i: usize, salt: u64) -> u64 {
    let mut z = 42u64
        .wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn date(i: usize, salt: u64) -> (u64, u64, u64) {
    let h = mix(i, salt);
    (2021 + h % 4, 1 + (h >> 8) % 12, 1 + (h >> 16) % 28)
}

/// One `InvoiceItem` as Zuora returns it: 13 fields, `Id` first, then
/// alphabetical; `UOM` absent (Zuora omits nulls) on a quarter of the rows.
#[derive(Debug, Deserialize, PartialEq)]
pub struct InvoiceItem {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "AccountId")]
    pub account_id: String,
    #[serde(rename = "AccountingCode")]
    pub accounting_code: String,
    #[serde(rename = "ChargeAmount")]
    pub charge_amount: f64,
    #[serde(rename = "ChargeDate")]
    pub charge_date: String,
    #[serde(rename = "ChargeDescription")]
    pub charge_description: String,
    #[serde(rename = "ChargeName")]
    pub charge_name: String,
    #[serde(rename = "ChargeNumber")]
    pub charge_number: String,
    #[serde(rename = "Quantity")]
    pub quantity: f64,
    #[serde(rename = "ServiceEndDate")]
    pub service_end_date: String,
    #[serde(rename = "ServiceStartDate")]
    pub service_start_date: String,
    #[serde(rename = "SKU")]
    pub sku: String,
    #[serde(rename = "UOM")]
    pub uom: Option<String>,
}

/// The Zuora SOAP `queryResponse` fields of an `InvoiceItem` page, 13 per record.
pub const ZUORA_FIELDS: usize = 13;

/// A Zuora SOAP `queryResponse` with `n` `InvoiceItem` records: namespaces
/// re-declared on every `records` element, `xsi:type`, and half of the records
/// carrying `&amp;`-style escapes. About 1.5 MB for 2000 records.
pub fn zuora_soap_page(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 800 + 1024);
    s.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">"#,
        "<soapenv:Body>",
        r#"<ns1:queryResponse xmlns:ns1="http://api.zuora.com/">"#,
        "<ns1:result><ns1:done>false</ns1:done>",
        "<ns1:queryLocator>4028e69923eaaa2a0124069b5c887849-2000</ns1:queryLocator>",
    ));
    for i in 0..n {
        let h = mix(i, 1);
        let escaped = i % 2 == 0;
        let (y, m, d) = date(i, 2);
        let (y2, m2, d2) = date(i, 3);
        s.push_str(concat!(
            r#"<ns1:records xmlns:ns2="http://object.api.zuora.com/" "#,
            r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ns2:InvoiceItem">"#,
        ));
        let _ = write!(
            s,
            "<ns2:Id>2c92c0f9602fb240{:016x}</ns2:Id>\
             <ns2:AccountId>2c92c0f8602fa2c5{:016x}</ns2:AccountId>\
             <ns2:AccountingCode>{}</ns2:AccountingCode>\
             <ns2:ChargeAmount>{}.{:02}</ns2:ChargeAmount>\
             <ns2:ChargeDate>{y}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000-08:00</ns2:ChargeDate>\
             <ns2:ChargeDescription>{}</ns2:ChargeDescription>\
             <ns2:ChargeName>{}</ns2:ChargeName>\
             <ns2:ChargeNumber>C-{:08}</ns2:ChargeNumber>\
             <ns2:Quantity>{}</ns2:Quantity>\
             <ns2:ServiceEndDate>{y2}-{m2:02}-{d2:02}</ns2:ServiceEndDate>\
             <ns2:ServiceStartDate>{y}-{m:02}-{d:02}</ns2:ServiceStartDate>\
             <ns2:SKU>SKU-{:05}</ns2:SKU>",
            i + 1,
            h % 1000,
            if escaped { "S&amp;M" } else { "Revenue" },
            h % 10_000,
            (h >> 20) % 100,
            (h >> 24) % 24,
            (h >> 30) % 60,
            (h >> 36) % 60,
            if escaped {
                "&quot;Gold&quot; &amp; &quot;Platinum&quot; &lt;net 30&gt;"
            } else {
                "Gold and Platinum, net 30"
            },
            if escaped {
                "Gold &amp; Platinum Plan"
            } else {
                "Gold and Platinum Plan"
            },
            i + 1,
            1 + h % 50,
            h % 100_000,
        );
        if !h.is_multiple_of(4) {
            s.push_str("<ns2:UOM>Each</ns2:UOM>");
        }
        s.push_str("</ns1:records>");
    }
    let _ = write!(
        s,
        "<ns1:size>{}</ns1:size></ns1:result></ns1:queryResponse></soapenv:Body></soapenv:Envelope>",
        n * 100
    );
    s.into_bytes()
}

/// The parent `Account` of a Contact, as far as the query reads it.
#[derive(Debug, Deserialize, PartialEq)]
pub struct AccountRef {
    #[serde(rename = "Name")]
    pub name: String,
}

/// One Contact with a parent relationship, as the REST and Bulk pages carry it.
#[derive(Debug, Deserialize, PartialEq)]
pub struct Contact {
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
    #[serde(rename = "Account")]
    pub account: Option<AccountRef>,
}

/// A Salesforce REST query response body, typed (the serde_json baseline).
#[derive(Debug, Deserialize)]
pub struct RestPage<T> {
    #[serde(rename = "totalSize")]
    pub total_size: u64,
    pub done: bool,
    #[serde(rename = "nextRecordsUrl")]
    pub next_records_url: Option<String>,
    pub records: Vec<T>,
}

const FIRST: [&str; 5] = ["Ann", "José", "Li", "Zoë", "Margaret"];
const ACCOUNTS: [&str; 4] = [
    "AT&T Wireless",
    "Müller & Söhne, GmbH",
    "Acme \"West\"",
    "O'Brien & Co",
];

/// A Salesforce REST `query` page of `n` Contacts with `attributes` and a nested
/// `Account`. About 0.83 MB for 2000 records.
pub fn salesforce_rest_page(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 450 + 256);
    let _ = write!(
        s,
        r#"{{"totalSize":{},"done":false,"nextRecordsUrl":"/services/data/v63.0/query/01gRO0000016PIAYA2-2000","records":["#,
        n * 100
    );
    for i in 0..n {
        let h = mix(i, 7);
        let acct = h % 1000;
        let (y, m, d) = date(i, 8);
        if i > 0 {
            s.push(',');
        }
        let first = if i % 7 == 3 {
            "null".to_owned()
        } else {
            format!("\"{}\"", FIRST[(h % 5) as usize])
        };
        let phone = if h.is_multiple_of(3) {
            "null".to_owned()
        } else {
            format!("\"+1 555 {:04}\"", h % 10_000)
        };
        let _ = write!(
            s,
            r#"{{"attributes":{{"type":"Contact","url":"/services/data/v63.0/sobjects/Contact/0035g0000{i:09}AA"}},"Id":"0035g0000{i:09}AA","AccountId":"0015g0000{acct:09}AA","FirstName":{first},"LastName":"Contact {n1}","Email":"contact{n1}@example.com","Phone":{phone},"IsDeleted":false,"CreatedDate":"{y}-{m:02}-{d:02}T10:{mm:02}:{ss:02}.000+0000","Account":{{"attributes":{{"type":"Account","url":"/services/data/v63.0/sobjects/Account/0015g0000{acct:09}AA"}},"Name":"{an} {acct}"}}}}"#,
            n1 = i + 1,
            mm = (h >> 8) % 60,
            ss = (h >> 16) % 60,
            an = ACCOUNTS[(acct % 4) as usize].replace('"', "\\\""),
        );
    }
    s.push_str("]}");
    s.into_bytes()
}

/// The Bulk CSV header for Contacts.
pub const BULK_HEADER: &str = "\"Id\",\"AccountId\",\"FirstName\",\"LastName\",\"Email\",\"Phone\",\"IsDeleted\",\"CreatedDate\",\"Account.Name\"";

/// A Salesforce Bulk 2.0 results chunk of `n` Contacts: every cell quoted, LF
/// line endings, embedded quotes and commas, empty cells for nulls. About 7.9 MB
/// for 50,000 rows.
pub fn bulk_csv_chunk(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 170 + 128);
    s.push_str(BULK_HEADER);
    s.push('\n');
    for i in 0..n {
        let h = mix(i, 9);
        let acct = h % 1000;
        let (y, m, d) = date(i, 10);
        let first = if i % 7 == 3 {
            ""
        } else {
            FIRST[(h % 5) as usize]
        };
        let phone = if h.is_multiple_of(3) {
            String::new()
        } else {
            format!("+1 555 {:04}", h % 10_000)
        };
        let _ = writeln!(
            s,
            r#""0035g0000{i:09}AA","0015g0000{acct:09}AA","{first}","Contact {n1}","contact{n1}@example.com","{phone}","false","{y}-{m:02}-{d:02}T10:{mm:02}:{ss:02}.000Z","{an} {acct}""#,
            n1 = i + 1,
            mm = (h >> 8) % 60,
            ss = (h >> 16) % 60,
            an = ACCOUNTS[(acct % 4) as usize].replace('"', "\"\""),
        );
    }
    s.into_bytes()
}
