//! `Record`: the neutral, ordered field map every backend reduces a row to.
//!
//! SOAP XML, REST JSON and Bulk CSV all become the same `Record`, and `Record`
//! implements serde's `Deserializer` with csv-style, type-directed parsing
//! (`"42"` reads as an integer when the target asks for one), so one
//! `#[derive(Deserialize)]` struct reads the same row from every backend.
//! A field repeated on the wire keeps its first value (the Salesforce partner API
//! sends `Id` twice).

mod de;
mod json;
mod names;
mod ser;
mod take;
mod text;

pub use de::{DeError, RecordDeserializer, ValueDeserializer};
pub use text::Text;

pub(crate) use names::same_bytes;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use thin_vec::ThinVec;

/// One field value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value: `xsi:nil`, JSON `null`, an empty CSV cell.
    #[default]
    Null,
    /// A boolean from JSON.
    Bool(bool),
    /// An integer from JSON.
    Int(i64),
    /// A non-integer number from JSON.
    Float(f64),
    /// Text: every SOAP and CSV value, and JSON strings (inline, without a
    /// heap allocation, up to 24 bytes).
    Text(Text),
    /// A nested record: a relationship (`Account.Name`). Held unboxed:
    /// a relationship costs one allocation (its fields), not two.
    Record(Record),
    /// A list: a child subquery's records, or a JSON array.
    List(Vec<Value>),
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text, when the value is [`Value::Text`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The nested record, when the value is one.
    pub fn as_record(&self) -> Option<&Record> {
        match self {
            Value::Record(r) => Some(r),
            _ => None,
        }
    }

    /// The value written as text (`None` for null, records and lists), as CSV
    /// export and comparisons across backends see it: `42`, `12.5`, `true`.
    pub fn to_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null | Value::Record(_) | Value::List(_) => None,
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Float(f) => Some(Cow::Owned(f.to_string())),
            Value::Text(s) => Some(Cow::Borrowed(s.as_str())),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(Text::new(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s.into())
    }
}

impl From<Text> for Value {
    fn from(s: Text) -> Self {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Record> for Value {
    fn from(r: Record) -> Self {
        Value::Record(r)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A row: an ordered list of named values plus the object type when the wire
/// names it (`xsi:type="ns2:Account"`, `attributes.type`, `sf:type`).
#[derive(Clone, PartialEq, Default)]
pub struct Record {
    /// One pointer wide (length and capacity live in the allocation), so a
    /// `Record` is 24 bytes and [`Value`] stays 32 with records unboxed.
    fields: ThinVec<(Arc<str>, Value)>,
    object_type: Option<Arc<str>>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Record::default()
    }

    /// An empty record with room for `n` fields.
    pub fn with_capacity(n: usize) -> Self {
        Record {
            object_type: None,
            fields: ThinVec::with_capacity(n),
        }
    }

    /// The object type (`Account`, `InvoiceItem`), when the wire named it.
    pub fn object_type(&self) -> Option<&str> {
        self.object_type.as_deref()
    }

    /// Sets the object type (shared between the records of a thread, like
    /// field names).
    pub fn set_object_type(&mut self, t: impl AsRef<str>) {
        self.object_type = Some(names::object_type(t.as_ref()));
    }

    /// Builder-style [`Record::set_object_type`].
    pub fn with_object_type(mut self, t: impl AsRef<str>) -> Self {
        self.set_object_type(t);
        self
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The value of a field, by exact name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v)
    }

    /// The value at a dotted path through nested records (`Account.Name`).
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let mut value = self.get(parts.next()?)?;
        for part in parts {
            value = value.as_record()?.get(part)?;
        }
        Some(value)
    }

    /// Appends a field. A name already present keeps its first value and the
    /// call returns false. Parsers pass a shared `Arc<str>` name to avoid one
    /// allocation per field per record.
    pub fn push(&mut self, name: impl AsRef<str> + Into<Arc<str>>, value: Value) -> bool {
        let n = name.as_ref();
        // Shared names (parsers intern them) match by pointer before bytes.
        if self.fields.iter().any(|(k, _)| same_name(k, n)) {
            return false;
        }
        self.fields.push((name.into(), value));
        true
    }

    /// A record of `fields`, whose names the caller knows are distinct (a
    /// parser that checked its columns once), without duplicate checks.
    pub(crate) fn from_distinct(
        object_type: Option<Arc<str>>,
        fields: ThinVec<(Arc<str>, Value)>,
    ) -> Record {
        debug_assert!(
            fields
                .iter()
                .enumerate()
                .all(|(i, (k, _))| fields[..i].iter().all(|(p, _)| p != k)),
            "repeated field names: {fields:?}"
        );
        Record {
            fields,
            object_type,
        }
    }

    /// Builder-style [`Record::push`].
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.push(name, value.into());
        self
    }

    /// Appends a value at a dotted path, creating nested records on the way
    /// (`Account.Name` becomes `Account: { Name }`), first value wins.
    pub fn push_path(&mut self, path: &str, value: Value) -> bool {
        match path.split_once('.') {
            None => self.push(path, value),
            Some((head, rest)) => {
                let idx = match self.fields.iter().position(|(k, _)| &**k == head) {
                    Some(i) => i,
                    None => {
                        self.fields
                            .push((head.into(), Value::Record(Record::default())));
                        self.fields.len() - 1
                    }
                };
                match &mut self.fields[idx].1 {
                    Value::Record(inner) => inner.push_path(rest, value),
                    slot @ Value::Null => {
                        let mut inner = Record::new();
                        let pushed = inner.push_path(rest, value);
                        *slot = Value::Record(inner);
                        pushed
                    }
                    _ => false,
                }
            }
        }
    }

    /// [`Record::push_path`] with the path already split into shared names
    /// (parsers that read many rows of the same columns).
    pub(crate) fn push_shared_path(&mut self, path: &[Arc<str>], value: Value) -> bool {
        match path {
            [] => false,
            [name] => self.push(name.clone(), value),
            [head, rest @ ..] => {
                let idx = match self.fields.iter().position(|(k, _)| same_name(k, head)) {
                    Some(i) => i,
                    None => {
                        // Room for the relationship's other columns too.
                        let inner = Record::with_capacity(NESTED_CAPACITY);
                        self.fields.push((head.clone(), inner.into()));
                        self.fields.len() - 1
                    }
                };
                match &mut self.fields[idx].1 {
                    Value::Record(inner) => inner.push_shared_path(rest, value),
                    slot @ Value::Null => {
                        let mut inner = Record::with_capacity(NESTED_CAPACITY);
                        let pushed = inner.push_shared_path(rest, value);
                        *slot = Value::Record(inner);
                        pushed
                    }
                    _ => false,
                }
            }
        }
    }

    /// The fields in wire order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        self.fields.iter().map(|(k, v)| (&**k, v))
    }

    /// The field names in wire order.
    pub fn field_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.fields.iter().map(|(k, _)| &**k)
    }

    /// Every leaf as `(dotted path, value)`, nested records flattened
    /// (`Account.Name`); lists stay as one leaf. What CSV export writes.
    pub fn flatten(&self) -> Vec<(String, &Value)> {
        let mut out = Vec::with_capacity(self.fields.len());
        self.flatten_into("", &mut out);
        out
    }

    fn flatten_into<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
        for (k, v) in &self.fields {
            let path = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Record(inner) => inner.flatten_into(&path, out),
                _ => out.push((path, v)),
            }
        }
    }

    /// Reads the record as `T` with type-directed parsing of text values.
    pub fn deserialize_as<'de, T: serde::Deserialize<'de>>(&'de self) -> Result<T, DeError> {
        T::deserialize(RecordDeserializer::new(self))
    }

    /// [`Record::deserialize_as`], consuming the record: its text moves into
    /// `T` instead of being copied. What [`Records<T>`](crate::Records) uses.
    pub(crate) fn into_typed<T: serde::de::DeserializeOwned>(self) -> Result<T, DeError> {
        take::take_as(self)
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        if let Some(t) = &self.object_type {
            m.entry(&"@type", t);
        }
        for (k, v) in &self.fields {
            m.entry(&&**k, v);
        }
        m.finish()
    }
}

impl<K: AsRef<str> + Into<Arc<str>>, V: Into<Value>> FromIterator<(K, V)> for Record {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut r = Record::new();
        for (k, v) in iter {
            r.push(k, v.into());
        }
        r
    }
}

/// Fields a nested record (`Account.Name`) made from a dotted column gets
/// room for at once: a relationship selects a few of its fields.
const NESTED_CAPACITY: usize = 4;

/// True when two field names are equal: shared names (parsers intern them)
/// match by pointer; others a word at a time ([`same_bytes`]).
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || same_bytes(a.as_bytes(), b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_stays_32_bytes_with_records_unboxed() {
        assert_eq!(std::mem::size_of::<Record>(), 24);
        assert!(std::mem::size_of::<Value>() <= 32);
    }

    #[test]
    fn nested_records_read_write_and_compare_as_before() {
        let inner = Record::new()
            .with_object_type("Account")
            .with("Name", "Acme");
        let mut r = Record::new().with("Id", "1").with("Account", inner.clone());
        assert_eq!(r.get("Account").and_then(Value::as_record), Some(&inner));
        assert_eq!(
            r.get_path("Account.Name").and_then(Value::as_str),
            Some("Acme")
        );
        // First value wins inside the nested record too.
        assert!(!r.push_path("Account.Name", "Other".into()));
        assert!(r.push_path("Account.Id", "001".into()));
        assert_eq!(
            format!("{r:?}"),
            r#"{"Id": Text("1"), "Account": Record({"@type": "Account", "Name": Text("Acme"), "Id": Text("001")})}"#
        );
        // A null relationship slot becomes a record on a dotted push.
        let mut r = Record::new().with("Owner", Value::Null);
        assert!(r.push_path("Owner.Name", "Ann".into()));
        assert_eq!(r.get_path("Owner.Name"), Some(&Value::from("Ann")));
        assert_eq!(r.clone(), r);
    }

    #[test]
    fn first_value_wins_on_repeated_field() {
        let mut r = Record::new();
        assert!(r.push("Id", Value::from("a")));
        assert!(!r.push("Id", Value::from("b")));
        assert_eq!(r.get("Id"), Some(&Value::from("a")));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn dotted_paths_nest_and_flatten_back() {
        let mut r = Record::new();
        r.push_path("Id", "1".into());
        r.push_path("Account.Name", "Acme".into());
        r.push_path("Account.Owner.Email", "a@b.c".into());
        assert_eq!(r.field_names().collect::<Vec<_>>(), ["Id", "Account"]);
        assert_eq!(
            r.get_path("Account.Owner.Email"),
            Some(&Value::from("a@b.c"))
        );
        let flat: Vec<_> = r.flatten().into_iter().map(|(k, _)| k).collect();
        assert_eq!(flat, ["Id", "Account.Name", "Account.Owner.Email"]);
    }
}
