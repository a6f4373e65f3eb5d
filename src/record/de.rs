//! serde `Deserializer` for [`Record`] and [`Value`] with csv-style, type-directed
//! parsing: text is parsed into whatever the target type asks for.
//!
//! One deserializer serves both ways of reading a record, told apart by its
//! [`Source`]: borrowing (`&Value`, what [`Record::deserialize_as`] uses) and
//! taking (`&mut Value`, in `take.rs`, what [`Records<T>`](crate::Records) uses:
//! text moves into the target instead of being copied). The type-directed
//! parsing, options, enums and errors are written once, here.

use super::{Record, Value};
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

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

/// Where the deserializer's values come from: `&Value` (borrowed) or
/// `&mut Value` (text, records and lists taken as they are read). It holds
/// only what depends on ownership; everything else reads [`Source::look`].
pub trait Source<'de>: Sized {
    /// Text, as the source holds it.
    type Text: AsRef<str>;
    /// A nested record, as the source holds it.
    type Record;
    /// The `(name, value)` slots of a record.
    type Fields: ExactSizeIterator;
    /// The items of a list.
    type Items: ExactSizeIterator<Item = Self> + Default;
    /// The value, to look at.
    fn look(&self) -> &Value;
    /// The value, borrowed for all of `'de`.
    fn into_ref(self) -> &'de Value;
    /// The value, with its text, record or list handed over.
    fn open(self) -> Node<'de, Self>;
    /// Visits text as a string: borrowed, or moved into the target.
    fn visit_str<V: Visitor<'de>>(text: Self::Text, visitor: V) -> Result<V::Value, DeError>;
    /// Visits text as bytes: borrowed, or moved into the target.
    fn visit_bytes<V: Visitor<'de>>(text: Self::Text, visitor: V) -> Result<V::Value, DeError>;
    /// The fields of a record.
    fn fields(record: Self::Record) -> Self::Fields;
    /// One field slot as its name and its value.
    fn field(slot: <Self::Fields as Iterator>::Item) -> (&'de str, Self);
}

/// A value opened by its [`Source`].
pub enum Node<'de, S: Source<'de>> {
    /// Null, a boolean or a number.
    Scalar(&'de Value),
    /// Text.
    Text(S::Text),
    /// A nested record.
    Record(S::Record),
    /// A list.
    List(S::Items),
}

impl<'de, S: Source<'de>> Node<'de, S> {
    /// The error for a value that is not what the target asked for.
    fn unexpected(&self, expected: &str) -> DeError {
        let found = match self {
            Node::Scalar(Value::Bool(b)) => format!("boolean {b}"),
            Node::Scalar(Value::Int(i)) => format!("integer {i}"),
            Node::Scalar(Value::Float(f)) => format!("number {f}"),
            Node::Scalar(_) => "null".to_owned(),
            Node::Text(s) => format!("text {:?}", s.as_ref()),
            Node::Record(_) => "a record".to_owned(),
            Node::List(_) => "a list".to_owned(),
        };
        DeError(format!("expected {expected}, found {found}"))
    }

    /// A boolean or number written as text (`true`, `42`); anything else is
    /// an error. Out of line: it keeps the text path small enough to inline.
    #[inline(never)]
    fn visit_as_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Node::Scalar(v @ (Value::Bool(_) | Value::Int(_) | Value::Float(_))) => {
                let text = v.to_text().unwrap_or_default().into_owned();
                visitor.visit_string(text)
            }
            other => Err(other.unexpected("text")),
        }
    }
}

/// The error for `value` when the target asked for `expected`.
fn unexpected(value: &Value, expected: &str) -> DeError {
    value.open().unexpected(expected)
}

/// Reading borrows: text is visited as `&'de str`.
impl<'de> Source<'de> for &'de Value {
    type Text = &'de str;
    type Record = &'de Record;
    type Fields = std::slice::Iter<'de, (Arc<str>, Value)>;
    type Items = std::slice::Iter<'de, Value>;

    fn look(&self) -> &Value {
        self
    }

    fn into_ref(self) -> &'de Value {
        self
    }

    fn open(self) -> Node<'de, Self> {
        match self {
            Value::Text(s) => Node::Text(s.as_str()),
            Value::Record(r) => Node::Record(r),
            Value::List(items) => Node::List(items.iter()),
            other => Node::Scalar(other),
        }
    }

    fn visit_str<V: Visitor<'de>>(text: &'de str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_str(text)
    }

    fn visit_bytes<V: Visitor<'de>>(text: &'de str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_borrowed_bytes(text.as_bytes())
    }

    fn fields(record: &'de Record) -> Self::Fields {
        record.fields.iter()
    }

    fn field((name, value): &'de (Arc<str>, Value)) -> (&'de str, Self) {
        (name, value)
    }
}

/// Deserializes a whole [`Record`] as a map of its fields. `S` is where its
/// values come from; only the default, borrowing `&Value`, is built outside
/// this crate.
#[derive(Debug, Clone, Copy)]
pub struct RecordDeserializer<'a, S: Source<'a> = &'a Value>(S::Record);

impl<'a> RecordDeserializer<'a> {
    /// Wraps a record.
    pub fn new(record: &'a Record) -> Self {
        RecordDeserializer(record)
    }
}

impl<'a, S: Source<'a>> RecordDeserializer<'a, S> {
    /// Reads `record` through the source `S`.
    pub(super) fn of(record: S::Record) -> Self {
        RecordDeserializer(record)
    }
}

impl<'de, S: Source<'de>> Deserializer<'de> for RecordDeserializer<'de, S> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(FieldsAccess::<S> {
            iter: S::fields(self.0),
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

struct FieldsAccess<'de, S: Source<'de>> {
    iter: S::Fields,
    value: Option<S>,
}

impl<'de, S: Source<'de>> MapAccess<'de> for FieldsAccess<'de, S> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some(slot) => {
                let (k, v) = S::field(slot);
                self.value = Some(v);
                seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DeError> {
        let v = self
            .value
            .take()
            .ok_or_else(|| DeError("value requested before key".into()))?;
        seed.deserialize(ValueDeserializer::of(v))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// Deserializes one [`Value`], parsing text into the type asked for. `S` is
/// where the value comes from; only the default, borrowing `&Value`, is built
/// outside this crate.
#[derive(Clone, Copy)]
pub struct ValueDeserializer<'a, S: Source<'a> = &'a Value>(S, PhantomData<&'a Value>);

impl<'a> ValueDeserializer<'a> {
    /// Wraps a value.
    pub fn new(value: &'a Value) -> Self {
        ValueDeserializer(value, PhantomData)
    }
}

impl<'a, S: Source<'a>> fmt::Debug for ValueDeserializer<'a, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ValueDeserializer")
            .field(self.0.look())
            .finish()
    }
}

impl<'de, S: Source<'de>> ValueDeserializer<'de, S> {
    /// Reads the value through its source.
    fn of(source: S) -> Self {
        ValueDeserializer(source, PhantomData)
    }

    fn unexpected(&self, expected: &str) -> DeError {
        unexpected(self.0.look(), expected)
    }

    fn parse_int<T: std::str::FromStr>(&self, what: &str) -> Result<T, DeError> {
        match self.0.look() {
            Value::Text(s) => s.trim().parse().map_err(|_| self.unexpected(what)),
            _ => Err(self.unexpected(what)),
        }
    }
}

macro_rules! int_method {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.0.look() {
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

impl<'de, S: Source<'de>> Deserializer<'de> for ValueDeserializer<'de, S> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.open() {
            Node::Scalar(Value::Bool(b)) => visitor.visit_bool(*b),
            Node::Scalar(Value::Int(i)) => visitor.visit_i64(*i),
            Node::Scalar(Value::Float(f)) => visitor.visit_f64(*f),
            Node::Scalar(_) => visitor.visit_unit(),
            Node::Text(s) => S::visit_str(s, visitor),
            Node::Record(r) => RecordDeserializer::<S>::of(r).deserialize_any(visitor),
            Node::List(items) => visitor.visit_seq(ListAccess::<S>(items)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let b = match self.0.look() {
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
        match self.0.look() {
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Int(i) => visitor.visit_f64(*i as f64),
            _ => visitor.visit_f64(self.parse_int::<f64>("a number")?),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.look() {
            Value::Text(s) if s.chars().count() == 1 => {
                visitor.visit_char(s.chars().next().unwrap_or_default())
            }
            _ => Err(self.unexpected("a single character")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.open() {
            Node::Text(s) => S::visit_str(s, visitor),
            other => other.visit_as_text(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.into_ref() {
            Value::Text(s) => visitor.visit_borrowed_bytes(s.as_bytes()),
            other => Err(unexpected(other, "bytes")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.open() {
            Node::Text(s) => S::visit_bytes(s, visitor),
            other => Err(other.unexpected("bytes")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.look() {
            Value::Null => visitor.visit_none(),
            Value::Text(s) if s.is_empty() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.look() {
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
        match self.0.open() {
            Node::List(items) => visitor.visit_seq(ListAccess::<S>(items)),
            Node::Scalar(Value::Null) => visitor.visit_seq(ListAccess::<S>(Default::default())),
            other => Err(other.unexpected("a list")),
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
        match self.0.open() {
            Node::Record(r) => RecordDeserializer::<S>::of(r).deserialize_any(visitor),
            other => Err(other.unexpected("a record")),
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
        match self.0.into_ref() {
            Value::Text(s) => visitor.visit_enum(UnitVariant(s)),
            other => Err(unexpected(other, "an enum variant name")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        ValueDeserializer::new(self.0.into_ref()).deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct ListAccess<'de, S: Source<'de>>(S::Items);

impl<'de, S: Source<'de>> SeqAccess<'de> for ListAccess<'de, S> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0
            .next()
            .map(|v| seed.deserialize(ValueDeserializer::of(v)))
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
    fn the_public_deserializers_stay_copy_and_debug() {
        use super::{RecordDeserializer, ValueDeserializer};
        let r = Record::new().with("Id", "A1");
        let d = RecordDeserializer::new(&r);
        let copy = d;
        assert_eq!(format!("{d:?}"), format!("RecordDeserializer({r:?})"));
        let row: std::collections::BTreeMap<String, String> =
            Deserialize::deserialize(copy).unwrap();
        assert_eq!(row["Id"], "A1");
        let v = Value::from("x");
        let vd = ValueDeserializer::new(&v);
        let copy = vd;
        assert_eq!(format!("{vd:?}"), r#"ValueDeserializer(Text("x"))"#);
        assert_eq!(<&str>::deserialize(copy).unwrap(), "x");
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
