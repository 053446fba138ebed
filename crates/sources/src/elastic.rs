//! Elasticsearch and Kibana exports of indexed documents (Winlogbeat, Elastic
//! Agent, any ECS index): the document each holds, for the JSON reader to read
//! by its own shape.
//!
//! * A search hit, one a line as `elasticdump` and scrolled `_search` exports
//!   write them: `{"_index": …, "_id": …, "_source": {…}}`.
//! * A search response (Kibana's Dev Tools, `curl …/_search`):
//!   `{"took": …, "hits": {"hits": [hit, …]}}`, every hit's document.
//! * The `fields` rendering (a hit's `fields` when `_source` is off, Kibana's
//!   alert and Discover exports): each dotted name with a list of values
//!   (`"winlog.event_data.Image": ["C:\\…"]`), rebuilt as the nested document.
//!   Elasticsearch's multi-fields (`process.executable.text`, `….keyword`,
//!   `….caseless`), which repeat a field under a longer name, are left out.

use serde_json::{Map, Value as Json};
use std::borrow::Cow;

/// What an Elasticsearch export object holds.
pub(crate) enum Export<'a> {
    /// One indexed document (borrowed from a hit's `_source`, built from a
    /// `fields` rendering).
    Document(Cow<'a, Map<String, Json>>),
    /// A search response's hits, each one [`Export::Document`] when read.
    Hits(&'a [Json]),
}

/// Why a search response nested in a record is not read.
pub(crate) const HITS_INSIDE_A_RECORD: &str = "elasticsearch search response inside a record";

/// Whether `obj` is an export (cheaper than [`export`]: a `fields`
/// rendering is recognised without being nested).
pub(crate) fn is_export(obj: &Map<String, Json>) -> bool {
    response_hits(obj).is_some()
        || ((obj.contains_key("_index") || obj.contains_key("_id"))
            && (obj.get("_source").is_some_and(Json::is_object)
                || (obj.contains_key("_index") && obj.get("fields").is_some_and(Json::is_object))))
        || is_fields_rendering(obj)
}

/// The export `obj` is, if it is one.
pub(crate) fn export(obj: &Map<String, Json>) -> Option<Export<'_>> {
    if let Some(hits) = response_hits(obj) {
        return Some(Export::Hits(hits));
    }
    if obj.contains_key("_index") || obj.contains_key("_id") {
        if let Some(Json::Object(source)) = obj.get("_source") {
            return Some(Export::Document(Cow::Borrowed(source)));
        }
        if let Some(Json::Object(fields)) = obj.get("fields")
            && obj.contains_key("_index")
        {
            return Some(Export::Document(Cow::Owned(nest_fields(fields))));
        }
    }
    if is_fields_rendering(obj) {
        return Some(Export::Document(Cow::Owned(nest_fields(obj))));
    }
    None
}

/// The hits of a search response (`hits.hits` beside `took`/`timed_out`).
fn response_hits(obj: &Map<String, Json>) -> Option<&[Json]> {
    if !(obj.contains_key("took") || obj.contains_key("timed_out") || obj.contains_key("_shards")) {
        return None;
    }
    match obj.get("hits")?.get("hits")? {
        Json::Array(hits) => Some(hits),
        _ => None,
    }
}

/// A `fields` rendering: `@timestamp` as a list, and every value a list.
fn is_fields_rendering(obj: &Map<String, Json>) -> bool {
    matches!(obj.get("@timestamp"), Some(Json::Array(items)) if items.len() == 1)
        && obj.values().all(Json::is_array)
        && obj.keys().any(|key| key.contains('.'))
}

/// Suffixes Elasticsearch mappings add for a field's other indexings.
const MULTI_FIELDS: [&str; 4] = [".keyword", ".text", ".caseless", ".wildcard"];

/// The nested document of a `fields` rendering: one value for a one-item
/// list, multi-fields left out.
fn nest_fields(fields: &Map<String, Json>) -> Map<String, Json> {
    let mut doc = Map::new();
    for (name, value) in fields {
        if MULTI_FIELDS.iter().any(|suffix| {
            name.strip_suffix(suffix)
                .is_some_and(|base| fields.contains_key(base))
        }) {
            continue;
        }
        let value = match value {
            Json::Array(items) if items.len() == 1 => items[0].clone(),
            other => other.clone(),
        };
        put_path(&mut doc, name, value);
    }
    doc
}

/// Sets the dotted `path` in nested objects; a path through a value that is
/// not an object keeps its dotted remainder as one key.
fn put_path(doc: &mut Map<String, Json>, path: &str, value: Json) {
    match path.split_once('.') {
        Some((head, rest)) if !head.is_empty() => {
            let inner = doc
                .entry(head.to_owned())
                .or_insert_with(|| Json::Object(Map::new()));
            match inner {
                Json::Object(inner) => put_path(inner, rest, value),
                _ => {
                    doc.insert(path.to_owned(), value);
                }
            }
        }
        _ => {
            doc.insert(path.to_owned(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::object_of;

    #[test]
    fn the_cheap_check_agrees_with_the_reading() {
        for text in [
            r#"{"_index":"i","_id":"a","_source":{"x":1}}"#,
            r#"{"_id":"a","_source":{"x":1}}"#,
            r#"{"_index":"i","fields":{"a.b":[1]}}"#,
            r#"{"_id":"a","fields":{"a.b":[1]}}"#,
            r#"{"_id":"a","_source":"text"}"#,
            r#"{"took":1,"hits":{"hits":[]}}"#,
            r#"{"hits":{"hits":[]}}"#,
            r#"{"@timestamp":["t"],"a.b":["c"]}"#,
            r#"{"@timestamp":["t"],"a":["c"]}"#,
            r#"{"@timestamp":"t","a.b":"c"}"#,
        ] {
            let obj = object_of(text);
            assert_eq!(is_export(&obj), export(&obj).is_some(), "{text}");
        }
    }

    #[test]
    fn a_hit_holds_its_source() {
        let hit = object_of(
            r#"{"_index":"winlogbeat-8","_id":"a1","_source":{"@timestamp":"2026-11-02T03:04:05Z","winlog":{"event_id":"1"}}}"#,
        );
        let Some(Export::Document(doc)) = export(&hit) else {
            panic!("not read as a hit");
        };
        assert_eq!(doc["winlog"]["event_id"], "1");
    }

    #[test]
    fn a_search_response_holds_its_hits() {
        let response = object_of(
            r#"{"took":3,"timed_out":false,"hits":{"total":{"value":2},"hits":[{"_id":"1","_source":{}},{"_id":"2","_source":{}}]}}"#,
        );
        let Some(Export::Hits(hits)) = export(&response) else {
            panic!("not read as a response");
        };
        assert_eq!(hits.len(), 2);
        // A log with a `hits` object of its own is not a response.
        let log = object_of(r#"{"@timestamp":"2026-11-02T03:04:05Z","hits":{"hits":[]}}"#);
        assert!(export(&log).is_none());
    }

    #[test]
    fn a_fields_rendering_is_nested_without_its_multi_fields() {
        let fields = object_of(
            r#"{"@timestamp":["2026-11-02T03:04:05.000Z"],"process.executable":["C:\\x\\rclone.exe"],"process.executable.text":["C:\\x\\rclone.exe"],"process.args":["rclone","copy"],"winlog.event_data.ParentUser":["CORP\\svc"]}"#,
        );
        let Some(Export::Document(doc)) = export(&fields) else {
            panic!("not read as fields");
        };
        assert_eq!(doc["@timestamp"], "2026-11-02T03:04:05.000Z");
        assert_eq!(doc["process"]["executable"], "C:\\x\\rclone.exe");
        assert_eq!(doc["process"]["args"][1], "copy");
        assert_eq!(doc["winlog"]["event_data"]["ParentUser"], "CORP\\svc");
        assert_eq!(doc["process"].as_object().unwrap().len(), 2);
        // An ordinary record with a list-valued timestamp is left alone.
        let plain = object_of(r#"{"@timestamp":["2026-11-02T03:04:05Z"],"message":"x"}"#);
        assert!(export(&plain).is_none());
    }
}
