//! [`Text`]: the string a [`Value::Text`](super::Value::Text) holds. Text up
//! to 24 bytes (ids, dates, amounts, names: most cells of a query result)
//! lives inline, without a heap allocation, so a parser building a page of
//! records allocates once per long value instead of once per value. Longer
//! text is one heap buffer that moves, without copying, into a `String`.

use compact_str::CompactString;
use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

/// An immutable string, inline up to 24 bytes. Reads as a `&str` (it derefs
/// to one) and converts from and into `String`.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(CompactString);

impl Text {
    /// Text equal to `s`.
    pub fn new(s: &str) -> Self {
        Text(CompactString::new(s))
    }

    /// Text equal to `s`, in a heap buffer even when short: for a parser
    /// whose records are mostly read into typed structs, where the buffer
    /// then moves into a `String` instead of being copied out of the inline
    /// form.
    pub(crate) fn boxed(s: String) -> Self {
        Text(CompactString::from_string_buffer(s))
    }

    /// The text as a `&str`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The text as a `String`: long text hands over its buffer, short text
    /// is copied.
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// True when the text is in a heap buffer (longer than the inline limit),
    /// so [`Text::into_string`] moves it without copying.
    pub(crate) fn is_heap_allocated(&self) -> bool {
        self.0.is_heap_allocated()
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(CompactString::from(s))
    }
}

impl From<Cow<'_, str>> for Text {
    fn from(s: Cow<'_, str>) -> Self {
        Text(CompactString::from(s))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.into_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn short_text_is_inline_and_long_text_moves_into_a_string() {
        let id = Text::from("0035g000001AbCdEAA");
        assert!(!id.is_heap_allocated());
        assert_eq!(id, "0035g000001AbCdEAA");

        let long = "Gold and Platinum Plan, billed yearly".to_owned();
        let ptr = long.as_ptr();
        let t = Text::from(long);
        assert!(t.is_heap_allocated());
        let back = t.into_string();
        assert_eq!(back.as_ptr(), ptr, "the buffer moved without a copy");
        assert_eq!(back, "Gold and Platinum Plan, billed yearly");
    }

    #[test]
    fn reads_and_prints_as_a_str() {
        let t = Text::new("S&M \"quoted\"");
        assert_eq!(format!("{t}"), "S&M \"quoted\"");
        assert_eq!(format!("{t:?}"), r#""S&M \"quoted\"""#);
        assert_eq!(t.len(), 12);
        assert_eq!(String::from(t.clone()), "S&M \"quoted\"");
        assert_eq!(serde_json::to_string(&t).unwrap(), r#""S&M \"quoted\"""#);
    }
}
