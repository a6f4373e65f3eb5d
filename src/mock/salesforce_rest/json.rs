//! The mock's REST page body, written as the real service writes it:
//! `{"totalSize", "done", "nextRecordsUrl", "records"}`, each record led by
//! `attributes {type, url}`, relationships nested with their own attributes (or
//! `null`), child subqueries as `{"totalSize", "done", "records"}` (or `null`).
//! Records are written straight to the body with no intermediate JSON tree.

use super::subquery::{ChildQuery, ChildRows, page_rows};
use crate::mock::cursors::ServedPage;
use crate::mock::dataset::{Dataset, Table};
use crate::{Record, Value};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// What a page is cut from: the table and scope of its cursor, and the API
/// version for the `attributes.url` of each record.
pub(super) struct Projection<'a> {
    /// The data set (child subqueries read other tables).
    pub dataset: &'a Dataset,
    /// The queried table.
    pub table: &'a dyn Table,
    /// True for `queryAll`.
    pub include_deleted: bool,
    /// The version segment of the request path (`v62.0`).
    pub version: &'a str,
}

impl<'a> Projection<'a> {
    /// The body of a page that began at raw row position `start`.
    pub fn page_json(
        &self,
        page: &'a ServedPage,
        start: usize,
        next_records_url: Option<String>,
    ) -> PageBody<'a> {
        // The full rows behind the projected records, for ids and object types.
        let full = page_rows(self.table, start, self.include_deleted, page.records.len());
        let children = ChildRows::of_page(self.dataset, &page.records, self.include_deleted);
        PageBody {
            total: page.total,
            next_records_url,
            records: &page.records,
            full,
            object: self.table.name().to_owned(),
            version: self.version.to_owned(),
            children,
        }
    }
}

/// A page ready to serialize.
pub(super) struct PageBody<'a> {
    total: usize,
    next_records_url: Option<String>,
    records: &'a [Record],
    full: Vec<Record>,
    object: String,
    version: String,
    children: Vec<ChildRows<'a>>,
}

impl Serialize for PageBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("totalSize", &self.total)?;
        map.serialize_entry("done", &self.next_records_url.is_none())?;
        if let Some(url) = &self.next_records_url {
            map.serialize_entry("nextRecordsUrl", url)?;
        }
        map.serialize_entry("records", &RecordList { page: self })?;
        map.end()
    }
}

struct RecordList<'p, 'a> {
    page: &'p PageBody<'a>,
}

impl Serialize for RecordList<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let empty = Record::new();
        let mut seq = s.serialize_seq(Some(self.page.records.len()))?;
        for (i, projected) in self.page.records.iter().enumerate() {
            let full = self.page.full.get(i).unwrap_or(&empty);
            seq.serialize_element(&RecordJson {
                projected,
                full,
                object: &self.page.object,
                id: text(full.get("Id")),
                page: self.page,
            })?;
        }
        seq.end()
    }
}

/// One record: `attributes`, then the projected fields in SELECT order.
struct RecordJson<'r, 'p, 'a> {
    projected: &'r Record,
    full: &'r Record,
    object: &'r str,
    id: Option<&'r str>,
    page: &'p PageBody<'a>,
}

impl Serialize for RecordJson<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(
            "attributes",
            &Attributes {
                object: self.object,
                id: self.id,
                version: &self.page.version,
            },
        )?;
        for (name, value) in self.projected.fields() {
            if let Some(query) = ChildQuery::decode(name) {
                let list = self
                    .page
                    .children
                    .iter()
                    .find(|c| c.query == query)
                    .map(|c| child_list(c, self.id, self.page));
                map.serialize_entry(&query.relationship, &list.flatten())?;
                continue;
            }
            match (value, self.full.get(name)) {
                (Value::Record(nested), Some(Value::Record(parent))) => {
                    let id = text(parent.get("Id")).or_else(|| self.parent_id(name));
                    map.serialize_entry(
                        name,
                        &RecordJson {
                            projected: nested,
                            full: parent,
                            object: parent.object_type().unwrap_or(name),
                            id,
                            page: self.page,
                        },
                    )?;
                }
                (Value::Record(_), _) => map.serialize_entry(name, &())?,
                (value, _) => map.serialize_entry(name, value)?,
            }
        }
        map.end()
    }
}

impl RecordJson<'_, '_, '_> {
    /// The id of a related record from the foreign key beside it: `AccountId`
    /// for `Account`, `Parent__c` for `Parent__r`.
    fn parent_id(&self, relationship: &str) -> Option<&str> {
        let key = match relationship.strip_suffix("__r") {
            Some(stem) => format!("{stem}__c"),
            None => format!("{relationship}Id"),
        };
        text(self.full.get(&key))
    }
}

/// `{"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003…"}`
struct Attributes<'r> {
    object: &'r str,
    id: Option<&'r str>,
    version: &'r str,
}

impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("type", self.object)?;
        if let Some(id) = self.id {
            let url = format!(
                "/services/data/{}/sobjects/{}/{id}",
                self.version, self.object
            );
            map.serialize_entry("url", &url)?;
        }
        map.end()
    }
}

/// The subquery result for one parent, or `None` (written `null`) when it has
/// no children.
fn child_list(
    children: &ChildRows<'_>,
    parent_id: Option<&str>,
    page: &PageBody<'_>,
) -> Option<ChildList> {
    let (full, projected) = children.rows(parent_id)?;
    Some(ChildList {
        object: children.table.name().to_owned(),
        version: page.version.clone(),
        full,
        projected,
    })
}

/// `{"totalSize": n, "done": true, "records": [...]}` of a child subquery.
struct ChildList {
    object: String,
    version: String,
    full: Vec<Record>,
    projected: Vec<Record>,
}

impl Serialize for ChildList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Children have no subqueries of their own: a page with none serves them.
        let page = PageBody {
            total: self.full.len(),
            next_records_url: None,
            records: &self.projected,
            full: self.full.clone(),
            object: self.object.clone(),
            version: self.version.clone(),
            children: Vec::new(),
        };
        page.serialize(s)
    }
}

fn text(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}
