//! A consuming variant of the record [`Deserializer`](super::RecordDeserializer):
//! text moves into the target's `String` fields instead of being copied. It is
//! what [`Records<T>`](crate::Records) uses, since it owns each record and drops
//! it right after. Everything but the ownership of text (the type-directed
//! parsing, options, enums, errors) is delegated to [`ValueDeserializer`], so
//! both read a record the same way.

use super::de::{DeError, ValueDeserializer};
use super::{Record, Value};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::sync::Arc;

/// Reads `record` as `T`, moving its text into `T`.
pub(crate) fn take_as<T: serde::de::DeserializeOwned>(mut record: Record) -> Result<T, DeError> {
    T::deserialize(TakeRecord(&mut record))
}

/// A record whose values are taken as they are read.
struct TakeRecord<'a>(&'a mut Record);

/// A value that is taken as it is read.
struct TakeValue<'a>(&'a mut Value);

impl<'de> Deserializer<'de> for TakeRecord<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(TakeFields {
            iter: self.0.fields.iter_mut(),
            value: None,
        })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct TakeFields<'de> {
    iter: std::slice::IterMut<'de, (Arc<str>, Value)>,
    value: Option<&'de mut Value>,
}

impl<'de> MapAccess<'de> for TakeFields<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                let key: &'de str = k;
                seed.deserialize(serde::de::value::BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        let v = self
            .value
            .take()
            .ok_or_else(|| serde::de::Error::custom("value requested before key"))?;
        seed.deserialize(TakeValue(v))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct TakeList<'de>(std::slice::IterMut<'de, Value>);

impl<'de> SeqAccess<'de> for TakeList<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0
            .next()
            .map(|v| seed.deserialize(TakeValue(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// Forwards to the borrowing [`ValueDeserializer`].
macro_rules! borrowed {
    ($($method:ident),*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            ValueDeserializer::new(self.0).$method(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for TakeValue<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Text(s) => visitor.visit_string(std::mem::take(s)),
            Value::Record(r) => TakeRecord(r).deserialize_any(visitor),
            Value::List(items) => visitor.visit_seq(TakeList(items.iter_mut())),
            other => ValueDeserializer::new(other).deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Text(s) => visitor.visit_string(std::mem::take(s)),
            other => ValueDeserializer::new(other).deserialize_str(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Text(s) => visitor.visit_byte_buf(std::mem::take(s).into_bytes()),
            other => ValueDeserializer::new(other).deserialize_byte_buf(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            Value::Text(s) if s.is_empty() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::List(items) => visitor.visit_seq(TakeList(items.iter_mut())),
            other => ValueDeserializer::new(other).deserialize_seq(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Record(r) => TakeRecord(r).deserialize_any(visitor),
            other => ValueDeserializer::new(other).deserialize_map(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        ValueDeserializer::new(self.0).deserialize_unit_struct(name, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        ValueDeserializer::new(self.0).deserialize_enum(name, variants, visitor)
    }

    borrowed!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_bytes,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any
    );
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
}
