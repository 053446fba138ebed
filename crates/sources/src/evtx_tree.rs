//! One record of the `evtx` crate's JSON, read as a tree that borrows its
//! text from the rendered bytes.
//!
//! `serde_json::Value` was most of the cost of reading an EVTX file: each
//! object an `IndexMap` (the `evtx` crate turns on `preserve_order` for the
//! whole build), each key hashed with SipHash and copied, each string value
//! allocated, and the whole tree thrown away once the event was built. Here
//! objects are vectors of entries, and keys and strings without escapes are
//! slices of the record's JSON. The tree means the same as the `Value` the
//! reader used before, duplicates included: a repeated key keeps its first
//! place and takes its last value, as `IndexMap::insert` does (tested
//! against `serde_json` on random documents).

use crate::json_entries::Key;
use model::Value;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value as Json};
use std::borrow::Cow;
use std::fmt;

/// A JSON value whose text is borrowed where it has no escapes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node<'a> {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, as `serde_json` holds it.
    Number(Number),
    /// A string.
    Str(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object's entries in document order, each key once.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// An object's entries.
pub(crate) type Entries<'a> = [(Cow<'a, str>, Node<'a>)];

impl<'a> Node<'a> {
    /// The tree of one JSON document. Text that is already `str` is read
    /// without checking each string's UTF-8 again: `from_slice` checks every
    /// string on its own, and one check of the whole rendering
    /// (`EvtxRecord::into_json`) took 6% fewer instructions over the EVTX
    /// corpus.
    pub fn parse(json: &'a str) -> serde_json::Result<Node<'a>> {
        serde_json::from_str(json)
    }

    /// The entries of a `serde_json` object, borrowing its text (for
    /// records that arrive already parsed, as JSON Lines do).
    pub fn entries_of(map: &'a Map<String, Json>) -> Vec<(Cow<'a, str>, Node<'a>)> {
        map.iter()
            .map(|(key, value)| (Cow::Borrowed(key.as_str()), Node::from_json(value)))
            .collect()
    }

    fn from_json(json: &'a Json) -> Node<'a> {
        match json {
            Json::Null => Node::Null,
            Json::Bool(b) => Node::Bool(*b),
            Json::Number(n) => Node::Number(n.clone()),
            Json::String(s) => Node::Str(Cow::Borrowed(s)),
            Json::Array(items) => Node::Array(items.iter().map(Node::from_json).collect()),
            Json::Object(map) => Node::Object(Node::entries_of(map)),
        }
    }

    /// The value under `key`, when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        entry(self.as_object()?, key)
    }

    /// The entries, when this is an object.
    pub fn as_object(&self) -> Option<&Entries<'a>> {
        match self {
            Node::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The native value, as [`Value::from_json`] reads the same JSON: an
    /// object becomes its compact JSON text.
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            // One place for JSON's number rules.
            Node::Number(n) => Value::from_json(&Json::Number(n.clone())),
            Node::Str(s) => Value::Str(s.as_ref().into()),
            Node::Array(items) => Value::List(items.iter().map(Node::to_value).collect()),
            Node::Object(_) => Value::Str(self.to_json().to_string().into()),
        }
    }

    /// The `serde_json` value it stands for.
    pub fn to_json(&self) -> Json {
        match self {
            Node::Null => Json::Null,
            Node::Bool(b) => Json::Bool(*b),
            Node::Number(n) => Json::Number(n.clone()),
            Node::Str(s) => Json::String(s.as_ref().to_owned()),
            Node::Array(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Node::Object(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(key, value)| (key.as_ref().to_owned(), value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// The value under `key` among an object's `entries`.
pub(crate) fn entry<'n, 'a>(entries: &'n Entries<'a>, key: &str) -> Option<&'n Node<'a>> {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// Builds a [`Node`] from whatever the document holds, as
/// `serde_json::Value`'s visitor does.
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(i.into()))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(u.into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Node<'de>, E> {
        Ok(Number::from_f64(f).map_or(Node::Null, Node::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(s)))
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        Deserialize::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut entries: Vec<(Cow<'de, str>, Node<'de>)> = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            let value: Node<'de> = map.next_value()?;
            // A repeated key keeps its place and takes the later value.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        Ok(Node::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON text of random documents: nested objects with keys from a small
    /// set (so they repeat), strings with escapes and non-ASCII, and numbers
    /// of every kind `serde_json` tells apart.
    fn document() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("-7".to_string()),
            Just("18446744073709551615".to_string()),
            Just("1.5e300".to_string()),
            Just("2.0".to_string()),
            "[a-c\\\\\"é\\n ]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            Just(r#""tab\there \u00e9""#.to_string()),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                proptest::collection::vec(
                    (
                        proptest::sample::select(vec!["a", "b", "#text", "k\\\"q"]),
                        inner
                    ),
                    0..5
                )
                .prop_map(|entries| {
                    let body: Vec<String> = entries
                        .into_iter()
                        .map(|(key, value)| format!("\"{key}\":{value}"))
                        .collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        /// The tree means what `serde_json::Value` means for the same text,
        /// repeated keys included, and reads it to the same native value.
        #[test]
        fn the_tree_means_what_serde_json_means(text in document()) {
            let expected: Json = serde_json::from_str(&text).unwrap();
            let node = Node::parse(&text).unwrap();
            prop_assert_eq!(node.to_json(), expected.clone());
            prop_assert_eq!(node.to_value(), Value::from_json(&expected));
            prop_assert_eq!(Node::from_json(&expected), node);
        }
    }

    #[test]
    fn text_without_escapes_is_borrowed_and_bad_json_is_an_error() {
        let json = r#"{"Image":"C:\\x.exe","User":"alice"}"#;
        let node = Node::parse(json).unwrap();
        assert!(matches!(
            node.get("User"),
            Some(Node::Str(Cow::Borrowed("alice")))
        ));
        assert_eq!(node.get("Image").and_then(Node::as_str), Some("C:\\x.exe"));
        assert!(Node::parse(r#"{"a":1"#).is_err());
        assert!(Node::parse(r#"{"a":"\ud800"}"#).is_err());
    }
}
