//! serde `Deserialize` for [`Record`] and [`Value`] from self-describing formats
//! (REST JSON): `attributes` becomes the object type, nested objects become nested
//! records, and a child subquery (`{"totalSize", "done", "records"}`) becomes a list.

use super::{Record, Value};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_map(ValueVisitor)? {
            Value::Record(r) => Ok(*r),
            _ => Err(de::Error::custom("a record must be an object")),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(i64::try_from(u).map_or(Value::Float(u as f64), Value::Int))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Text(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::Text(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut record = Record::with_capacity(map.size_hint().unwrap_or(8).min(256));
        while let Some(key) = map.next_key::<KeyBuf>()? {
            if key.0 == "attributes" {
                let attrs: Attributes = map.next_value()?;
                if let Some(t) = attrs.object_type {
                    record.set_object_type(t);
                }
                continue;
            }
            let value: Value = map.next_value()?;
            // A dotted key (`"Account.Name"`, as flat exports write it) nests,
            // so it reads like the relationship object it stands for.
            if key.0.contains('.') {
                record.push_path(&key.0, value);
            } else {
                record.push(key.0, value);
            }
        }
        Ok(into_list_if_subquery(record))
    }
}

/// A child subquery result (`totalSize`, `done`, `records`, no `attributes`)
/// becomes the list of its records.
fn into_list_if_subquery(record: Record) -> Value {
    let is_subquery = record.object_type().is_none()
        && record.len() <= 4
        && record.get("done").is_some()
        && record.get("totalSize").is_some()
        && matches!(record.get("records"), Some(Value::List(_)));
    if !is_subquery {
        return Value::Record(Box::new(record));
    }
    let mut fields = record.fields;
    match fields.iter().position(|(k, _)| &**k == "records") {
        Some(i) => fields.swap_remove(i).1,
        None => Value::Null,
    }
}

/// A map key, borrowed when the format allows it.
struct KeyBuf(String);

impl<'de> Deserialize<'de> for KeyBuf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyBuf;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, s: &str) -> Result<KeyBuf, E> {
                Ok(KeyBuf(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<KeyBuf, E> {
                Ok(KeyBuf(s))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Salesforce's `attributes: {"type", "url"}`; only the type is kept.
struct Attributes {
    object_type: Option<String>,
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AttrVisitor;
        impl<'de> Visitor<'de> for AttrVisitor {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attributes object")
            }
            fn visit_unit<E>(self) -> Result<Attributes, E> {
                Ok(Attributes { object_type: None })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
                let mut object_type = None;
                while let Some(key) = map.next_key::<KeyBuf>()? {
                    if key.0 == "type" {
                        object_type = map.next_value::<Option<String>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Attributes { object_type })
            }
        }
        d.deserialize_any(AttrVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Record, Value};

    #[test]
    fn salesforce_rest_record_shapes() {
        let json = r#"{
            "attributes": {"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003"},
            "Id": "003", "Name": "Ann", "Age": 41, "Score": 1.5, "Active": true, "Fax": null,
            "Account": {"attributes": {"type": "Account", "url": "/x"}, "Name": "Acme"},
            "Owner": null,
            "Cases": {"totalSize": 2, "done": true, "records": [
                {"attributes": {"type": "Case", "url": "/c1"}, "Subject": "a"},
                {"attributes": {"type": "Case", "url": "/c2"}, "Subject": "b"}]}
        }"#;
        let r: Record = serde_json::from_str(json).unwrap();
        assert_eq!(r.object_type(), Some("Contact"));
        assert_eq!(
            r.field_names().collect::<Vec<_>>(),
            [
                "Id", "Name", "Age", "Score", "Active", "Fax", "Account", "Owner", "Cases"
            ]
        );
        assert_eq!(r.get("Age"), Some(&Value::Int(41)));
        assert_eq!(r.get("Fax"), Some(&Value::Null));
        assert_eq!(r.get_path("Account.Name"), Some(&Value::from("Acme")));
        assert_eq!(
            r.get("Account")
                .and_then(Value::as_record)
                .and_then(Record::object_type),
            Some("Account")
        );
        match r.get("Cases") {
            Some(Value::List(items)) => assert_eq!(items.len(), 2),
            other => panic!("expected a list, got {other:?}"),
        }
    }
}
