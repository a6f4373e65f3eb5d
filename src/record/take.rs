//! The taking [`Source`] of the record deserializer: long text moves into the
//! target's `String` fields instead of being copied (short text is inline and
//! is copied, which costs what moving it would). It is what
//! [`Records<T>`](crate::Records) uses, since it owns each record and drops it
//! right after. Everything but the ownership of text, records and lists (the
//! type-directed parsing, options, enums, errors) is the one
//! [`ValueDeserializer`](super::ValueDeserializer), so both read a record the
//! same way.

use super::de::{DeError, Node, RecordDeserializer, Source};
use super::{Record, Text, Value};
use serde::de::Visitor;
use std::sync::Arc;

/// Reads `record` as `T`, moving its text into `T`.
pub(crate) fn take_as<T: serde::de::DeserializeOwned>(mut record: Record) -> Result<T, DeError> {
    T::deserialize(RecordDeserializer::<&mut Value>::of(&mut record))
}

/// Reading takes: text, records and lists are moved out as they are read.
impl<'de> Source<'de> for &'de mut Value {
    type Text = &'de mut Text;
    type Record = &'de mut Record;
    type Fields = std::slice::IterMut<'de, (Arc<str>, Value)>;
    type Items = std::slice::IterMut<'de, Value>;

    fn look(&self) -> &Value {
        self
    }

    fn into_ref(self) -> &'de Value {
        self
    }

    fn open(self) -> Node<'de, Self> {
        match self {
            Value::Text(s) => Node::Text(s),
            Value::Record(r) => Node::Record(r),
            Value::List(items) => Node::List(items.iter_mut()),
            other => Node::Scalar(other),
        }
    }

    fn visit_str<V: Visitor<'de>>(text: &'de mut Text, visitor: V) -> Result<V::Value, DeError> {
        // Long text hands its buffer over; short (inline) text is read in
        // place, and a target that wants a `String` copies it then.
        if text.is_heap_allocated() {
            visitor.visit_string(std::mem::take(text).into_string())
        } else {
            visitor.visit_str(text)
        }
    }

    fn visit_bytes<V: Visitor<'de>>(text: &'de mut Text, visitor: V) -> Result<V::Value, DeError> {
        if text.is_heap_allocated() {
            visitor.visit_byte_buf(std::mem::take(text).into_string().into_bytes())
        } else {
            visitor.visit_bytes(text.as_bytes())
        }
    }

    fn fields(record: &'de mut Record) -> Self::Fields {
        record.fields.iter_mut()
    }

    fn field((name, value): &'de mut (Arc<str>, Value)) -> (&'de str, Self) {
        (name, value)
    }
}

#[cfg(test)]
mod tests {
    use super::take_as;
    use crate::{Record, Value};
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Row {
        id: String,
        count: u32,
        price: f64,
        active: bool,
        note: Option<String>,
        missing: Option<String>,
        owner: Option<Owner>,
        tags: Vec<String>,
        kind: Kind,
        raw: serde_json::Value,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Owner {
        name: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Kind {
        Gold,
    }

    fn record() -> Record {
        Record::new()
            .with("Id", "A1")
            .with("Count", "7")
            .with("Price", 12.5)
            .with("Active", "true")
            .with("Note", "")
            .with("Owner", Record::new().with("Name", "Ann"))
            .with("Tags", Value::List(vec!["x".into(), "y".into()]))
            .with("Kind", "Gold")
            .with("Raw", Record::new().with("A", 1i64).with("B", "b"))
    }

    #[test]
    fn taking_reads_exactly_what_borrowing_reads() {
        let borrowed: Row = record().deserialize_as().unwrap();
        let taken: Row = take_as(record()).unwrap();
        assert_eq!(taken, borrowed);
        assert_eq!(taken.owner.unwrap().name, "Ann");
        assert_eq!(taken.note, None);
        assert_eq!(taken.raw, serde_json::json!({"A": 1, "B": "b"}));
    }

    #[test]
    fn long_text_moves_into_the_target_and_short_text_is_copied() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Texts {
            short: String,
            long: String,
            count: u64,
        }
        let long = "Gold and Platinum Plan, billed every year".to_owned();
        let long_ptr = long.as_ptr();
        let record = Record::new()
            .with("short", "S&M")
            .with("long", long)
            .with("count", "000000000000000000000000000042");
        let borrowed: Texts = record.deserialize_as().unwrap();
        let taken: Texts = take_as(record).unwrap();
        assert_eq!(taken, borrowed);
        assert_eq!(taken.short, "S&M");
        assert_eq!(taken.count, 42);
        // The record's own buffer, not a copy, ended up in the struct.
        assert_eq!(taken.long.as_ptr(), long_ptr);
    }

    #[test]
    fn errors_match_too() {
        let bad = record().with("Zzz", "unused");
        let mut fields: Vec<(String, Value)> = bad
            .fields()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
        fields[1].1 = Value::from("seven");
        let bad: Record = fields.into_iter().collect();
        let a = bad.deserialize_as::<Row>().unwrap_err();
        let b = take_as::<Row>(bad).unwrap_err();
        assert_eq!(a, b);
        assert!(a.to_string().contains("\"seven\""), "{a}");
    }

    /// Reads `record` both ways and checks the two agree, errors included.
    fn both_ways<T>(record: Record) -> Result<T, super::DeError>
    where
        T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let borrowed = record.deserialize_as::<T>();
        let taken = take_as::<T>(record);
        assert_eq!(taken, borrowed);
        taken
    }

    #[test]
    fn every_kind_of_target_reads_the_same_both_ways() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Wide {
            from_int: String,
            from_bool: String,
            letter: char,
            nothing: (),
            no_list: Vec<String>,
            pair: (String, u8),
            rows: Vec<Owner>,
            maybe_list: Option<Vec<String>>,
            big: u128,
            whole_float: i32,
            any: serde_json::Value,
        }
        let list = |items: Vec<Value>| Value::List(items);
        let owner = |name: &str| Value::from(Record::new().with("Name", name));
        let wide: Wide = both_ways(
            Record::new()
                .with("from_int", 42i64)
                .with("from_bool", true)
                .with("letter", "x")
                .with("nothing", "")
                .with("no_list", Value::Null)
                .with("pair", list(vec!["a".into(), "7".into()]))
                .with("rows", list(vec![owner("Ann"), owner("Bo")]))
                .with("maybe_list", list(vec!["z".into()]))
                .with("big", "340282366920938463463374607431768211455")
                .with("whole_float", 12.0)
                .with("any", list(vec![Value::Null, 1.5.into(), "t".into()])),
        )
        .unwrap();
        assert_eq!(
            (wide.from_int.as_str(), wide.from_bool.as_str()),
            ("42", "true")
        );
        assert_eq!(wide.rows[1].name, "Bo");
        assert_eq!(wide.big, u128::MAX);
        assert_eq!(wide.any, serde_json::json!([null, 1.5, "t"]));
    }

    #[test]
    fn every_mismatch_is_the_same_error_both_ways() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct One<T> {
            v: T,
        }
        fn err<T>(v: impl Into<Value>) -> String
        where
            T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
        {
            both_ways::<One<T>>(Record::new().with("v", v))
                .unwrap_err()
                .to_string()
        }
        let rec = || Record::new().with("Name", "Ann");
        assert_eq!(err::<String>(rec()), "expected text, found a record");
        assert_eq!(err::<Vec<u8>>("abc"), "expected a list, found text \"abc\"");
        assert_eq!(err::<Owner>("abc"), "expected a record, found text \"abc\"");
        assert_eq!(err::<u8>(300i64), "expected u8, found integer 300");
        assert_eq!(err::<bool>(2.5), "expected a boolean, found number 2.5");
        assert_eq!(
            err::<char>("ab"),
            "expected a single character, found text \"ab\""
        );
        assert_eq!(err::<()>(false), "expected nothing, found boolean false");
        assert_eq!(
            err::<Kind>(Value::List(vec![])),
            "expected an enum variant name, found a list"
        );
        assert_eq!(err::<f64>(Value::Null), "expected a number, found null");
    }
}
