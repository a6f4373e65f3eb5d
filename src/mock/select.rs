//! A small parser for the `select <fields> from <object> [where ...]` queries the
//! mock answers (ZOQL and SOQL share this shape). Fields resolve against the
//! table case-insensitively, to the table's canonical spelling.

use super::dataset::Table;

/// Why a query was refused; the mock turns these into each protocol's fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// Not a `select ... from ...` query (`MALFORMED_QUERY`).
    Malformed(String),
    /// The object does not exist (`INVALID_TYPE`).
    UnknownObject(String),
    /// A field does not exist on the object (`INVALID_FIELD`).
    UnknownField(String),
}

impl SelectError {
    /// The wire code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            SelectError::Malformed(_) => "MALFORMED_QUERY",
            SelectError::UnknownObject(_) => "INVALID_TYPE",
            SelectError::UnknownField(_) => "INVALID_FIELD",
        }
    }

    /// A message in the services' style.
    pub fn message(&self) -> String {
        match self {
            SelectError::Malformed(m) => format!("malformed query: {m}"),
            SelectError::UnknownObject(o) => format!("sObject type '{o}' is not supported."),
            SelectError::UnknownField(f) => format!("No such column '{f}' on entity"),
        }
    }
}

/// A parsed query: the object and the projected field paths, canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    /// The object (table) name, canonical spelling.
    pub object: String,
    /// The selected fields, in the order of the query; dotted for relationships.
    pub fields: Vec<String>,
}

/// Parses a query against the tables of a data set.
pub fn parse<'a>(
    text: &str,
    tables: impl IntoIterator<Item = &'a dyn Table>,
) -> Result<Select, SelectError> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    if !lower.starts_with("select ") {
        return Err(SelectError::Malformed(format!(
            "expected SELECT at the start of {trimmed:?}"
        )));
    }
    let from = find_keyword(&lower, "from")
        .ok_or_else(|| SelectError::Malformed("expected FROM".into()))?;
    let field_list = &trimmed["select ".len()..from];
    let rest = trimmed[from + "from".len()..].trim_start();
    let object_name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if object_name.is_empty() {
        return Err(SelectError::Malformed(
            "expected an object name after FROM".into(),
        ));
    }
    let after_object = rest[object_name.len()..].trim();
    if !after_object.is_empty() {
        let kw = after_object.to_ascii_lowercase();
        if !(kw.starts_with("where ") || kw.starts_with("order ") || kw.starts_with("limit ")) {
            return Err(SelectError::Malformed(format!(
                "unexpected {after_object:?}"
            )));
        }
    }
    let table = tables
        .into_iter()
        .find(|t| t.name().eq_ignore_ascii_case(&object_name))
        .ok_or(SelectError::UnknownObject(object_name))?;
    let mut fields = Vec::new();
    for raw in field_list.split(',') {
        let raw = raw.trim();
        if raw.is_empty() || raw.contains(char::is_whitespace) {
            return Err(SelectError::Malformed(format!(
                "bad field list {:?}",
                field_list.trim()
            )));
        }
        let canonical = table
            .fields()
            .iter()
            .find(|f| f.eq_ignore_ascii_case(raw))
            .ok_or_else(|| SelectError::UnknownField(raw.to_owned()))?;
        if !fields.contains(canonical) {
            fields.push(canonical.clone());
        }
    }
    Ok(Select {
        object: table.name().to_owned(),
        fields,
    })
}

/// The byte offset of a whole-word keyword in lower-cased text.
fn find_keyword(lower: &str, kw: &str) -> Option<usize> {
    let bytes = lower.as_bytes();
    lower.match_indices(kw).map(|(i, _)| i).find(|&i| {
        let before = i == 0 || bytes[i - 1].is_ascii_whitespace();
        let after = bytes
            .get(i + kw.len())
            .is_none_or(|b| b.is_ascii_whitespace());
        before && after
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::dataset::Dataset;

    #[test]
    fn projection_resolves_case_insensitively() {
        let ds = Dataset::sample(10);
        let s = parse(
            "select id, LASTNAME, account.name from contact where x = 1",
            ds.tables(),
        )
        .unwrap();
        assert_eq!(s.object, "Contact");
        assert_eq!(s.fields, ["Id", "LastName", "Account.Name"]);
    }

    #[test]
    fn errors_are_classified() {
        let ds = Dataset::sample(10);
        assert_eq!(
            parse("selec Id from Account", ds.tables())
                .unwrap_err()
                .code(),
            "MALFORMED_QUERY"
        );
        assert_eq!(
            parse("select Id from Nope", ds.tables())
                .unwrap_err()
                .code(),
            "INVALID_TYPE"
        );
        assert_eq!(
            parse("select Id, Bogus from Account", ds.tables())
                .unwrap_err()
                .code(),
            "INVALID_FIELD"
        );
        assert_eq!(
            parse("select from Account", ds.tables())
                .unwrap_err()
                .code(),
            "MALFORMED_QUERY"
        );
    }
}
