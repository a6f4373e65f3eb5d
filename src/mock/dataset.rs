//! The mock's data: tables of rows, generated deterministically from a seed and
//! a row index (so a million-row table costs no memory), or supplied by the user.
//! Every backend of the mock serves the same tables, so the same query returns the
//! same rows over SOAP, REST and Bulk.

use crate::{Record, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A table the mock can query.
pub trait Table: fmt::Debug + Send + Sync + 'static {
    /// The object name (`Account`).
    fn name(&self) -> &str;
    /// Every selectable field in canonical order; relationships as dotted paths.
    fn fields(&self) -> &[String];
    /// Number of rows, deleted ones included.
    fn len(&self) -> usize;
    /// True when the table has no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `i` with every field (nulls as [`Value::Null`], relationships nested).
    fn row(&self, i: usize) -> Record;
    /// True when row `i` is deleted (returned only by `queryAll`).
    fn is_deleted(&self, _i: usize) -> bool {
        false
    }
}

/// The set of tables a mock serves.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    tables: Vec<Arc<dyn Table>>,
}

impl Dataset {
    /// No tables.
    pub fn empty() -> Self {
        Dataset::default()
    }

    /// The sample data set: `Account`, `InvoiceItem` and `Contact`, `n` rows each,
    /// seed 42.
    pub fn sample(n: usize) -> Self {
        Dataset::generated(42, n, n, n)
    }

    /// Generated tables with the given seed and row counts.
    pub fn generated(seed: u64, accounts: usize, invoice_items: usize, contacts: usize) -> Self {
        Dataset::empty()
            .with_table(Generated::new(
                "Account",
                seed,
                accounts,
                account_fields(),
                account_row,
            ))
            .with_table(Generated::new(
                "InvoiceItem",
                seed,
                invoice_items,
                invoice_item_fields(),
                invoice_item_row,
            ))
            .with_table(
                Generated::new("Contact", seed, contacts, contact_fields(), contact_row)
                    .with_deleted(|i| i % 10 == 9),
            )
    }

    /// Adds (or replaces, by name) a table.
    pub fn with_table(mut self, table: impl Table) -> Self {
        self.tables
            .retain(|t| !t.name().eq_ignore_ascii_case(table.name()));
        self.tables.push(Arc::new(table));
        self
    }

    /// Adds a table of the user's own records. Field order is the first record's.
    pub fn with_records(self, object: &str, records: Vec<Record>) -> Self {
        self.with_table(Stored::new(object, records))
    }

    /// Adds a table of the user's own records from a JSON array of objects
    /// (`[{"Id": "1", "Name": "Acme", "Owner": {"Name": "Ann"}}, ...]`): numbers and
    /// booleans keep their JSON types, nested objects become relationships.
    pub fn with_json(self, object: &str, json: &str) -> Result<Self, crate::Error> {
        let records: Vec<Record> =
            serde_json::from_str(json).map_err(|e| crate::Error::InvalidInput {
                what: "mock data set",
                reason: format!("{object}: expected a JSON array of objects: {e}"),
            })?;
        let records = records
            .into_iter()
            .map(|r| {
                if r.object_type().is_some() {
                    r
                } else {
                    r.with_object_type(object)
                }
            })
            .collect();
        Ok(self.with_records(object, records))
    }

    /// Changes one value of one row (e.g. to make two mocks disagree).
    pub fn with_override(mut self, object: &str, row: usize, field: &str, value: Value) -> Self {
        if let Some(pos) = self.tables.iter().position(|t| t.name() == object) {
            let inner = self.tables.remove(pos);
            let mut changes = HashMap::new();
            changes.insert((row, field.to_owned()), value);
            self.tables.push(Arc::new(Overridden { inner, changes }));
        }
        self
    }

    /// The tables.
    pub fn tables(&self) -> impl Iterator<Item = &dyn Table> + '_ {
        self.tables.iter().map(|t| &**t)
    }

    /// A table by name, case-insensitively.
    pub fn table(&self, name: &str) -> Option<&dyn Table> {
        self.tables().find(|t| t.name().eq_ignore_ascii_case(name))
    }
}

/// A table of stored records.
#[derive(Debug)]
pub struct Stored {
    name: String,
    fields: Vec<String>,
    rows: Vec<Record>,
}

impl Stored {
    /// A table named `name` holding `rows`; fields are the union of the rows'
    /// flattened field names, in first-seen order.
    pub fn new(name: &str, rows: Vec<Record>) -> Self {
        let mut fields: Vec<String> = Vec::new();
        for r in &rows {
            for (path, _) in r.flatten() {
                if !fields.contains(&path) {
                    fields.push(path);
                }
            }
        }
        Stored {
            name: name.to_owned(),
            fields,
            rows,
        }
    }
}

impl Table for Stored {
    fn name(&self) -> &str {
        &self.name
    }
    fn fields(&self) -> &[String] {
        &self.fields
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn row(&self, i: usize) -> Record {
        self.rows.get(i).cloned().unwrap_or_default()
    }
    fn is_deleted(&self, i: usize) -> bool {
        self.rows
            .get(i)
            .and_then(|r| r.get("IsDeleted"))
            .is_some_and(|v| matches!(v, Value::Bool(true)) || v.as_str() == Some("true"))
    }
}

type RowFn = fn(u64, usize) -> Record;

/// A table whose rows are computed from the seed and the index.
pub struct Generated {
    name: String,
    seed: u64,
    len: usize,
    fields: Vec<String>,
    row: RowFn,
    deleted: fn(usize) -> bool,
}

impl fmt::Debug for Generated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generated")
            .field("name", &self.name)
            .field("seed", &self.seed)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Generated {
    fn new(name: &str, seed: u64, len: usize, fields: Vec<String>, row: RowFn) -> Self {
        Generated {
            name: name.to_owned(),
            seed,
            len,
            fields,
            row,
            deleted: |_| false,
        }
    }

    fn with_deleted(mut self, deleted: fn(usize) -> bool) -> Self {
        self.deleted = deleted;
        self
    }
}

impl Table for Generated {
    fn name(&self) -> &str {
        &self.name
    }
    fn fields(&self) -> &[String] {
        &self.fields
    }
    fn len(&self) -> usize {
        self.len
    }
    fn row(&self, i: usize) -> Record {
        (self.row)(self.seed, i)
    }
    fn is_deleted(&self, i: usize) -> bool {
        (self.deleted)(i)
    }
}

#[derive(Debug)]
struct Overridden {
    inner: Arc<dyn Table>,
    changes: HashMap<(usize, String), Value>,
}

impl Table for Overridden {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn fields(&self) -> &[String] {
        self.inner.fields()
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn row(&self, i: usize) -> Record {
        let row = self.inner.row(i);
        if !self.changes.keys().any(|(r, _)| *r == i) {
            return row;
        }
        let mut out = Record::with_capacity(row.len());
        if let Some(t) = row.object_type() {
            out.set_object_type(t);
        }
        for (path, value) in row.flatten() {
            let v = self
                .changes
                .get(&(i, path.clone()))
                .unwrap_or(value)
                .clone();
            out.push_path(&path, v);
        }
        out
    }
    fn is_deleted(&self, i: usize) -> bool {
        self.inner.is_deleted(i)
    }
}

/// Projects a full row onto the selected field paths, in query order.
pub fn project(row: &Record, fields: &[String]) -> Record {
    let mut out = Record::with_capacity(fields.len());
    if let Some(t) = row.object_type() {
        out.set_object_type(t);
    }
    for f in fields {
        let v = row.get_path(f).cloned().unwrap_or(Value::Null);
        out.push_path(f, v);
    }
    out
}

// ---- the generated sample tables -------------------------------------------------

/// splitmix64: a tiny, well-mixed deterministic hash of (seed, index, salt).
fn mix(seed: u64, i: usize, salt: u64) -> u64 {
    let mut z = seed
        .wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 32-hex-digit Zuora-style id.
fn zuora_id(seed: u64, kind: u64, i: usize) -> String {
    format!("{:016x}{:016x}", mix(seed, 0, kind) | 1, i as u64 + 1)
}

/// An 18-character Salesforce-style id.
fn salesforce_id(prefix: &str, i: usize) -> String {
    format!("{prefix}5g00000{i:08}AA")
}

const NAMES: [&str; 8] = [
    "AT&T Wireless",
    "Müller & Söhne <GmbH>",
    "\"Quoted\" Holdings",
    "Zoë's Café",
    "株式会社テスト",
    "Acme Corp",
    "O'Brien & Co",
    "Globex",
];

fn date(seed: u64, i: usize, salt: u64) -> String {
    let day = mix(seed, i, salt) % 1460;
    let d = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default()
        + chrono::TimeDelta::days(day as i64);
    d.format("%Y-%m-%d").to_string()
}

fn datetime(seed: u64, i: usize, salt: u64) -> String {
    let secs = mix(seed, i, salt) % (4 * 365 * 86_400);
    let t = chrono::DateTime::from_timestamp(1_609_459_200 + secs as i64, 0).unwrap_or_default();
    t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

fn money(seed: u64, i: usize, salt: u64) -> f64 {
    (mix(seed, i, salt) % 1_000_000) as f64 / 100.0
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn account_fields() -> Vec<String> {
    strings(&[
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
        "BillToContact.WorkEmail",
    ])
}

/// A text value.
fn text(s: impl Into<crate::record::Text>) -> Value {
    Value::Text(s.into())
}

fn account_row(seed: u64, i: usize) -> Record {
    let h = mix(seed, i, 1);
    let mut r = Record::with_capacity(12).with_object_type("Account");
    r.push("Id", text(zuora_id(seed, 1, i)));
    r.push("AccountNumber", text(format!("A{:08}", i + 1)));
    r.push("AutoPay", Value::Bool(h.is_multiple_of(2)));
    r.push("Balance", Value::Float(money(seed, i, 2)));
    r.push("BillCycleDay", Value::Int((h % 28 + 1) as i64));
    r.push("CreatedDate", text(datetime(seed, i, 3)));
    r.push("Currency", text(["USD", "EUR", "JPY"][(h % 3) as usize]));
    r.push(
        "LastInvoiceDate",
        if i % 3 == 2 {
            Value::Null
        } else {
            text(date(seed, i, 4))
        },
    );
    r.push(
        "Name",
        text(format!("{} {}", NAMES[i % NAMES.len()], i + 1)),
    );
    r.push(
        "Notes",
        if i.is_multiple_of(4) {
            text("VIP: 5 < 6 & \"net 30\"")
        } else {
            Value::Null
        },
    );
    r.push(
        "Status",
        text(if h.is_multiple_of(5) {
            "Canceled"
        } else {
            "Active"
        }),
    );
    let bill_to = Record::new()
        .with_object_type("Contact")
        .with("WorkEmail", format!("billing{}@example.com", i + 1));
    r.push("BillToContact", Value::from(bill_to));
    r
}

fn invoice_item_fields() -> Vec<String> {
    strings(&[
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
    ])
}

fn invoice_item_row(seed: u64, i: usize) -> Record {
    let h = mix(seed, i, 5);
    let mut r = Record::with_capacity(10).with_object_type("InvoiceItem");
    r.push("Id", text(zuora_id(seed, 2, i)));
    r.push("AccountId", text(zuora_id(seed, 1, (h % 1000) as usize)));
    r.push("ChargeAmount", Value::Float(money(seed, i, 6)));
    r.push("ChargeDate", text(datetime(seed, i, 7)));
    r.push(
        "ChargeName",
        text(["Gold & Platinum Plan", "Usage <metered>", "Setup fee"][(h % 3) as usize]),
    );
    r.push("Quantity", Value::Float((h % 50 + 1) as f64));
    r.push("ServiceEndDate", text(date(seed, i, 8)));
    r.push("ServiceStartDate", text(date(seed, i, 9)));
    r.push("SKU", text(format!("SKU-{:05}", h % 100_000)));
    r.push(
        "UOM",
        if h.is_multiple_of(4) {
            Value::Null
        } else {
            text("Each")
        },
    );
    r
}

fn contact_fields() -> Vec<String> {
    strings(&[
        "Id",
        "AccountId",
        "FirstName",
        "LastName",
        "Email",
        "Phone",
        "IsDeleted",
        "CreatedDate",
        "Account.Name",
    ])
}

fn contact_row(seed: u64, i: usize) -> Record {
    let h = mix(seed, i, 10);
    let account = (h % 1000) as usize;
    let mut r = Record::with_capacity(9).with_object_type("Contact");
    r.push("Id", text(salesforce_id("003", i)));
    r.push("AccountId", text(salesforce_id("001", account)));
    r.push(
        "FirstName",
        if i % 7 == 3 {
            Value::Null
        } else {
            text(["Ann", "José", "Li", "Zoë"][(h % 4) as usize])
        },
    );
    r.push("LastName", text(format!("Contact {}", i + 1)));
    r.push("Email", text(format!("contact{}@example.com", i + 1)));
    r.push(
        "Phone",
        if h.is_multiple_of(3) {
            Value::Null
        } else {
            text(format!("+1 555 {:04}", h % 10_000))
        },
    );
    r.push("IsDeleted", Value::Bool(i % 10 == 9));
    r.push("CreatedDate", text(datetime(seed, i, 11)));
    let parent = Record::new().with_object_type("Account").with(
        "Name",
        format!("{} {}", NAMES[account % NAMES.len()], account + 1),
    );
    r.push("Account", Value::from(parent));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_rows_are_deterministic_and_cover_awkward_text() {
        let a = Dataset::sample(100);
        let b = Dataset::sample(100);
        let ta = a.table("account").unwrap();
        assert_eq!(ta.row(7), b.table("Account").unwrap().row(7));
        assert_ne!(ta.row(7), ta.row(8));
        let names: Vec<_> = (0..8).map(|i| ta.row(i).get("Name").cloned()).collect();
        assert!(names.iter().any(|n| {
            n.as_ref()
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains('&'))
        }));
        assert!((0..8).any(|i| ta.row(i).get("LastInvoiceDate") == Some(&Value::Null)));
        let contacts = a.table("Contact").unwrap();
        assert_eq!((0..100).filter(|&i| contacts.is_deleted(i)).count(), 10);
    }

    #[test]
    fn projection_follows_query_order_and_nests_relationships() {
        let ds = Dataset::sample(5);
        let row = ds.table("Contact").unwrap().row(1);
        let p = project(
            &row,
            &["LastName".into(), "Account.Name".into(), "Id".into()],
        );
        assert_eq!(
            p.field_names().collect::<Vec<_>>(),
            ["LastName", "Account", "Id"]
        );
        assert!(p.get_path("Account.Name").is_some());
    }

    #[test]
    fn every_listed_field_is_in_every_row() {
        let ds = Dataset::sample(3);
        for t in ds.tables() {
            let row = t.row(0);
            for f in t.fields() {
                assert!(row.get_path(f).is_some(), "{}.{f} missing", t.name());
            }
        }
    }

    #[test]
    fn override_changes_one_value() {
        let ds = Dataset::sample(5).with_override("Account", 2, "Name", Value::from("Changed"));
        let t = ds.table("Account").unwrap();
        assert_eq!(t.row(2).get("Name"), Some(&Value::from("Changed")));
        assert_ne!(t.row(1).get("Name"), Some(&Value::from("Changed")));
    }
}
