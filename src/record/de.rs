//! serde `Deserializer` for [`Record`] and [`Value`] with csv-style, type-directed
//! parsing: text is parsed into whatever the target type asks for.

use super::{Record, Value};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use std::fmt;

/// Why a record did not fit the target type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// Deserializes a whole [`Record`] as a map of its fields.
#[derive(Debug, Clone, Copy)]
pub struct RecordDeserializer<'a>(&'a Record);

impl<'a> RecordDeserializer<'a> {
    /// Wraps a record.
    pub fn new(record: &'a Record) -> Self {
        RecordDeserializer(record)
    }
}

impl<'de> Deserializer<'de> for RecordDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(FieldsAccess {
            iter: self.0.fields.iter(),
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

struct FieldsAccess<'de> {
    iter: std::slice::Iter<'de, (std::sync::Arc<str>, Value)>,
    value: Option<&'de Value>,
}

impl<'de> MapAccess<'de> for FieldsAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        let v = self
            .value
            .take()
            .ok_or_else(|| DeError("value requested before key".into()))?;
        seed.deserialize(ValueDeserializer::new(v))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// Deserializes one [`Value`], parsing text into the type asked for.
#[derive(Debug, Clone, Copy)]
pub struct ValueDeserializer<'a>(&'a Value);

impl<'a> ValueDeserializer<'a> {
    /// Wraps a value.
    pub fn new(value: &'a Value) -> Self {
        ValueDeserializer(value)
    }

    fn unexpected(&self, expected: &str) -> DeError {
        let found = match self.0 {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => format!("boolean {b}"),
            Value::Int(i) => format!("integer {i}"),
            Value::Float(f) => format!("number {f}"),
            Value::Text(s) => format!("text {s:?}"),
            Value::Record(_) => "a record".to_owned(),
            Value::List(_) => "a list".to_owned(),
        };
        DeError(format!("expected {expected}, found {found}"))
    }

    fn parse_int<T: std::str::FromStr>(&self, what: &str) -> Result<T, DeError> {
        match self.0 {
            Value::Text(s) => s.trim().parse().map_err(|_| self.unexpected(what)),
            _ => Err(self.unexpected(what)),
        }
    }
}

macro_rules! int_method {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.0 {
                Value::Int(i) => <$ty>::try_from(*i)
                    .map_err(|_| self.unexpected(stringify!($ty)))
                    .and_then(|n| visitor.$visit(n)),
                Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    <$ty>::try_from(*f as i64)
                        .map_err(|_| self.unexpected(stringify!($ty)))
                        .and_then(|n| visitor.$visit(n))
                }
                _ => visitor.$visit(self.parse_int::<$ty>(stringify!($ty))?),
            }
        }
    };
}

impl<'de> Deserializer<'de> for ValueDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Text(s) => visitor.visit_borrowed_str(s),
            Value::Record(r) => RecordDeserializer::new(r).deserialize_any(visitor),
            Value::List(items) => visitor.visit_seq(ListAccess(items.iter())),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let b = match self.0 {
            Value::Bool(b) => *b,
            Value::Int(0) => false,
            Value::Int(1) => true,
            Value::Text(s) => match s.trim() {
                "true" | "TRUE" | "True" | "1" => true,
                "false" | "FALSE" | "False" | "0" => false,
                _ => return Err(self.unexpected("a boolean")),
            },
            _ => return Err(self.unexpected("a boolean")),
        };
        visitor.visit_bool(b)
    }

    int_method!(deserialize_i8, visit_i8, i8);
    int_method!(deserialize_i16, visit_i16, i16);
    int_method!(deserialize_i32, visit_i32, i32);
    int_method!(deserialize_i64, visit_i64, i64);
    int_method!(deserialize_u8, visit_u8, u8);
    int_method!(deserialize_u16, visit_u16, u16);
    int_method!(deserialize_u32, visit_u32, u32);
    int_method!(deserialize_u64, visit_u64, u64);
    int_method!(deserialize_i128, visit_i128, i128);
    int_method!(deserialize_u128, visit_u128, u128);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Int(i) => visitor.visit_f64(*i as f64),
            _ => visitor.visit_f64(self.parse_int::<f64>("a number")?),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Text(s) if s.chars().count() == 1 => {
                visitor.visit_char(s.chars().next().unwrap_or_default())
            }
            _ => Err(self.unexpected("a single character")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Text(s) => visitor.visit_borrowed_str(s),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                let text = self.0.to_text().unwrap_or_default().into_owned();
                visitor.visit_string(text)
            }
            _ => Err(self.unexpected("text")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Text(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            _ => Err(self.unexpected("bytes")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            Value::Text(s) if s.is_empty() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Text(s) if s.is_empty() => visitor.visit_unit(),
            _ => Err(self.unexpected("nothing")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
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
            Value::List(items) => visitor.visit_seq(ListAccess(items.iter())),
            Value::Null => visitor.visit_seq(ListAccess([].iter())),
            _ => Err(self.unexpected("a list")),
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
            Value::Record(r) => RecordDeserializer::new(r).deserialize_any(visitor),
            _ => Err(self.unexpected("a record")),
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

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Text(s) => visitor.visit_enum(UnitVariant(s)),
            _ => Err(self.unexpected("an enum variant name")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct ListAccess<'de>(std::slice::Iter<'de, Value>);

impl<'de> SeqAccess<'de> for ListAccess<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0
            .next()
            .map(|v| seed.deserialize(ValueDeserializer::new(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct UnitVariant<'de>(&'de str);

impl<'de> EnumAccess<'de> for UnitVariant<'de> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let v = seed.deserialize(self.0.into_deserializer())?;
        Ok((v, self))
    }
}

impl<'de> VariantAccess<'de> for UnitVariant<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(DeError(
            "only unit enum variants can be read from text".into(),
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, DeError> {
        Err(DeError(
            "only unit enum variants can be read from text".into(),
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, DeError> {
        Err(DeError(
            "only unit enum variants can be read from text".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Record, Value};
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Account {
        id: String,
        bill_cycle_day: u8,
        balance: f64,
        auto_pay: bool,
        created: chrono::NaiveDate,
        notes: Option<String>,
        parent: Option<String>,
        status: Status,
        owner: Option<Owner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Status {
        Active,
        Canceled,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Owner {
        name: String,
    }

    fn text_record() -> Record {
        Record::new()
            .with("Id", "A1")
            .with("BillCycleDay", "7")
            .with("Balance", "12.50")
            .with("AutoPay", "true")
            .with("Created", "2024-02-29")
            .with("Notes", Value::Null)
            .with("Status", "Active")
            .with("Owner", Record::new().with("Name", "Ann"))
    }

    #[test]
    fn text_values_parse_into_typed_fields() {
        let acct: Account = text_record().deserialize_as().unwrap();
        assert_eq!(acct.bill_cycle_day, 7);
        assert_eq!(acct.balance, 12.5);
        assert!(acct.auto_pay);
        assert_eq!(
            acct.created,
            chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(acct.notes, None);
        assert_eq!(acct.parent, None);
        assert_eq!(acct.status, Status::Active);
        assert_eq!(acct.owner.unwrap().name, "Ann");
    }

    #[test]
    fn json_typed_values_read_the_same() {
        let json = Record::new()
            .with("Id", "A1")
            .with("BillCycleDay", 7i64)
            .with("Balance", 12.5)
            .with("AutoPay", true)
            .with("Created", "2024-02-29")
            .with("Notes", Value::Null)
            .with("Status", "Active")
            .with("Owner", Record::new().with("Name", "Ann"));
        let a: Account = json.deserialize_as().unwrap();
        let b: Account = text_record().deserialize_as().unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_text_is_a_clear_error() {
        let r = text_record();
        let mut fields: Vec<_> = r.fields().map(|(k, v)| (k.to_owned(), v.clone())).collect();
        fields[1].1 = Value::from("seven");
        let bad: Record = fields.into_iter().collect();
        let err = bad.deserialize_as::<Account>().unwrap_err();
        assert!(err.to_string().contains("\"seven\""), "{err}");
    }

    #[test]
    fn numbers_read_as_strings_when_asked() {
        #[derive(Deserialize)]
        struct S {
            n: String,
        }
        let s: S = Record::new().with("n", 42i64).deserialize_as().unwrap();
        assert_eq!(s.n, "42");
    }
}
