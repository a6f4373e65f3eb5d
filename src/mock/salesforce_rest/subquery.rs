//! SOQL for the mock's REST endpoint: the `select::parse` projection plus child
//! subqueries (`SELECT Name, (SELECT LastName FROM Contacts) FROM Account`).
//!
//! A subquery travels with the server cursor as one pseudo field,
//! `(Contacts|Contact|AccountId|Id,LastName,Account/Name)`: relationship name,
//! child table, the child field linking to the parent's `Id`, and the child
//! fields (dots written as `/`, since projection reads dots as paths). The
//! projection leaves it `null`; the writers (REST JSON, SOAP partner XML)
//! expand it into the children, found with [`ChildRows`].

use crate::mock::dataset::{Dataset, Table, project};
use crate::mock::select::{self, SelectError};
use crate::{Record, Value};
use std::collections::HashMap;

/// A decoded child subquery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::mock) struct ChildQuery {
    /// The relationship name written in the response (`Contacts`).
    pub relationship: String,
    /// The child table (`Contact`).
    pub table: String,
    /// The child field holding the parent's `Id` (`AccountId`).
    pub link: String,
    /// The child fields, in query order.
    pub fields: Vec<String>,
}

impl ChildQuery {
    /// The pseudo field standing for this subquery in a cursor's field list.
    fn encode(&self) -> String {
        let fields: Vec<String> = self.fields.iter().map(|f| f.replace('.', "/")).collect();
        format!(
            "({}|{}|{}|{})",
            self.relationship,
            self.table,
            self.link,
            fields.join(",")
        )
    }

    /// Reads a pseudo field back; `None` for an ordinary field.
    pub fn decode(field: &str) -> Option<ChildQuery> {
        let inner = field.strip_prefix('(')?.strip_suffix(')')?;
        let mut parts = inner.split('|');
        let (relationship, table, link, fields) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        Some(ChildQuery {
            relationship: relationship.to_owned(),
            table: table.to_owned(),
            link: link.to_owned(),
            fields: fields.split(',').map(|f| f.replace('/', ".")).collect(),
        })
    }
}

/// Resolves a query to the index of its table in the data set and the field
/// list for the cursor (child subqueries as pseudo fields, in SELECT order).
pub(in crate::mock) fn plan(
    soql: &str,
    dataset: &Dataset,
) -> Result<(usize, Vec<String>), SelectError> {
    let (items, rest) = match split_select(soql) {
        Some(parts) => parts,
        // Not `select … from …` at the top level: let the parser say why.
        None => return resolve(select::parse(soql, dataset.tables())?, dataset, Vec::new()),
    };
    let mut plain = Vec::new();
    let mut children = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
            Some(inner) => children.push((i, inner.trim())),
            None => plain.push(*item),
        }
    }
    if plain.is_empty() {
        return Err(SelectError::Malformed(
            "select at least one field besides subqueries".into(),
        ));
    }
    let outer = format!("select {} {rest}", plain.join(", "));
    let parent = select::parse(&outer, dataset.tables())?;
    let mut encoded = Vec::with_capacity(children.len());
    for (i, inner) in children {
        encoded.push((i, child_query(inner, &parent.object, dataset)?.encode()));
    }
    resolve(parent, dataset, encoded)
}

fn resolve(
    parsed: select::Select,
    dataset: &Dataset,
    children: Vec<(usize, String)>,
) -> Result<(usize, Vec<String>), SelectError> {
    let index = dataset
        .tables()
        .position(|t| t.name() == parsed.object)
        .ok_or_else(|| SelectError::UnknownObject(parsed.object.clone()))?;
    let mut fields = parsed.fields;
    for (i, child) in children {
        fields.insert(i.min(fields.len()), child);
    }
    Ok((index, fields))
}

/// Parses `select <fields> from <Relationship>` against the child table.
fn child_query(inner: &str, parent: &str, dataset: &Dataset) -> Result<ChildQuery, SelectError> {
    let (items, rest) = split_select(inner)
        .ok_or_else(|| SelectError::Malformed(format!("bad subquery {inner:?}")))?;
    let relationship: String = rest
        .get("from".len()..)
        .unwrap_or_default()
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let not_understood = || SelectError::UnknownObject(relationship.clone());
    let (table, canonical) = dataset
        .tables()
        .find_map(|t| child_relationship(t, &relationship).map(|name| (t, name)))
        .ok_or_else(not_understood)?;
    let link_name = format!("{parent}Id");
    let link = table
        .fields()
        .iter()
        .find(|f| f.eq_ignore_ascii_case(&link_name))
        .ok_or_else(not_understood)?
        .clone();
    let child = select::parse(
        &format!("select {} from {}", items.join(", "), table.name()),
        dataset.tables(),
    )?;
    Ok(ChildQuery {
        relationship: canonical,
        table: table.name().to_owned(),
        link,
        fields: child.fields,
    })
}

/// The canonical relationship name when `name` is the plural of the table's
/// (`Contacts` → `Contact`, `Opportunities` → `Opportunity`).
fn child_relationship(table: &dyn Table, name: &str) -> Option<String> {
    let object = table.name();
    let plural = match object.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{object}s"),
    };
    plural.eq_ignore_ascii_case(name).then_some(plural)
}

/// Splits `select a, (select …), b from …` into its top-level items and the text
/// from the top-level `from` on; `None` when there is no such shape.
fn split_select(soql: &str) -> Option<(Vec<&str>, &str)> {
    let text = soql.trim();
    if !text.get(..7)?.eq_ignore_ascii_case("select ") {
        return None;
    }
    let mut depth = 0usize;
    let mut items = Vec::new();
    let mut item_start = 7;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices().skip_while(|(i, _)| *i < 7) {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                items.push(text.get(item_start..i)?.trim());
                item_start = i + 1;
            }
            _ if depth == 0 && is_from_at(bytes, i) => {
                items.push(text.get(item_start..i)?.trim());
                return Some((items, text.get(i..)?));
            }
            _ => {}
        }
    }
    None
}

/// True when a whole-word, case-insensitive `from` starts at byte `i`.
fn is_from_at(bytes: &[u8], i: usize) -> bool {
    let word = bytes
        .get(i..i + 4)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"from"));
    let before = i == 0 || bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace);
    let after = bytes.get(i + 4).is_none_or(u8::is_ascii_whitespace);
    word && before && after
}

/// The full rows behind a page of `n` records cut from raw position `start`
/// (for ids and object types the projection left out).
pub(in crate::mock) fn page_rows(
    table: &dyn Table,
    start: usize,
    include_deleted: bool,
    n: usize,
) -> Vec<Record> {
    (start..table.len())
        .filter(|&i| include_deleted || !table.is_deleted(i))
        .take(n)
        .map(|i| table.row(i))
        .collect()
}

/// The child rows of one subquery, indexed by the parent id they point at.
pub(in crate::mock) struct ChildRows<'a> {
    /// The subquery.
    pub query: ChildQuery,
    /// The child table.
    pub table: &'a dyn Table,
    by_parent: HashMap<String, Vec<usize>>,
}

impl<'a> ChildRows<'a> {
    /// Indexes the child table of `query` (deleted rows only when asked).
    pub fn index(dataset: &'a Dataset, query: ChildQuery, include_deleted: bool) -> Option<Self> {
        let table = dataset.table(&query.table)?;
        let mut by_parent: HashMap<String, Vec<usize>> = HashMap::new();
        for i in 0..table.len() {
            if !include_deleted && table.is_deleted(i) {
                continue;
            }
            if let Some(parent) = table.row(i).get(&query.link).and_then(Value::as_str) {
                by_parent.entry(parent.to_owned()).or_default().push(i);
            }
        }
        Some(ChildRows {
            query,
            table,
            by_parent,
        })
    }

    /// Every subquery among a page's fields (the pseudo fields of its records).
    pub fn of_page(dataset: &'a Dataset, records: &[Record], include_deleted: bool) -> Vec<Self> {
        records
            .first()
            .map(|r| {
                r.field_names()
                    .filter_map(ChildQuery::decode)
                    .filter_map(|q| ChildRows::index(dataset, q, include_deleted))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The full and the projected child rows of one parent; `None` when it
    /// has none.
    pub fn rows(&self, parent_id: Option<&str>) -> Option<(Vec<Record>, Vec<Record>)> {
        let rows = self.by_parent.get(parent_id?)?;
        let full: Vec<Record> = rows.iter().map(|&i| self.table.row(i)).collect();
        let projected = full
            .iter()
            .map(|r| project(r, &self.query.fields))
            .collect();
        Some((full, projected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subqueries_become_pseudo_fields_in_select_order() {
        let ds = Dataset::sample(3);
        let (index, fields) = plan(
            "SELECT Id, (SELECT LastName, Account.Name FROM Contacts), Name FROM Account",
            &ds,
        )
        .unwrap();
        assert_eq!(ds.tables().nth(index).map(|t| t.name()), Some("Account"));
        assert_eq!(
            fields,
            [
                "Id",
                "(Contacts|Contact|AccountId|LastName,Account/Name)",
                "Name"
            ]
        );
        let child = ChildQuery::decode(&fields[1]).unwrap();
        assert_eq!(child.fields, ["LastName", "Account.Name"]);
        assert_eq!(ChildQuery::decode("Name"), None);
    }

    #[test]
    fn plain_queries_and_errors_pass_through_select() {
        let ds = Dataset::sample(3);
        let (_, fields) = plan("select id, account.name from contact", &ds).unwrap();
        assert_eq!(fields, ["Id", "Account.Name"]);
        let code = |q: &str| plan(q, &ds).unwrap_err().code();
        assert_eq!(code("select Id from Nope"), "INVALID_TYPE");
        assert_eq!(
            code("select Id, (select Id from Widgets) from Account"),
            "INVALID_TYPE"
        );
        assert_eq!(
            code("select Id, (select Bogus from Contacts) from Account"),
            "INVALID_FIELD"
        );
        assert_eq!(
            code("select Id, (select Id from Contacts from Account"),
            "MALFORMED_QUERY"
        );
        assert_eq!(
            code("select (select Id from Contacts) from Account"),
            "MALFORMED_QUERY"
        );
        assert_eq!(code("delete Account"), "MALFORMED_QUERY");
        // A child table without a link to the parent is not a relationship.
        assert_eq!(
            code("select Id, (select Id from Accounts) from Contact"),
            "INVALID_TYPE"
        );
    }
}
