//! A JSON Lines record read as its entries in order, without building a map.
//!
//! `serde_json`'s `Map` is an `IndexMap` here (the `evtx` crate turns on
//! `preserve_order` for the whole build): every key is hashed with SipHash and
//! copied, and the map is thrown away once the event is built. A flat Windows
//! export (`EventID`, `Channel` and the event data at the top level: the shape
//! of OTRF/Mordor and nxlog exports, and of rsigma's input) needs none of that:
//! its entries become native fields in order, keys are borrowed from the line,
//! and string values move into the event without a copy. Every other record
//! becomes the same `Map` as before and takes the general path, so both paths
//! build identical events (tested).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::fmt;

/// A JSON object's entries in document order (duplicates kept as written).
pub(crate) struct Entries<'de>(pub Vec<(Cow<'de, str>, Json)>);

/// A key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(32));
                while let Some(Key(key)) = map.next_key()? {
                    let value: Json = map.next_value()?;
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

impl<'de> Entries<'de> {
    /// Parses one line; `None` when it is not a JSON object (the caller reports
    /// it as the general path does).
    pub fn parse(line: &'de [u8]) -> Option<Entries<'de>> {
        serde_json::from_slice(line).ok()
    }

    /// The value of the first entry named `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether an entry is named `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Whether every value is a scalar or an array (no nested object) and no key
    /// repeats: then the entries are exactly what the map would hold, in order.
    pub fn is_flat_and_unique(&self) -> bool {
        !self.0.iter().any(|(_, v)| v.is_object())
            && self
                .0
                .iter()
                .enumerate()
                .all(|(i, (k, _))| !self.0[..i].iter().any(|(earlier, _)| earlier == k))
    }

    /// The map `serde_json` would have built (a repeated key keeps its first
    /// position and its last value).
    pub fn into_map(self) -> Map<String, Json> {
        let mut map = Map::with_capacity(self.0.len());
        for (key, value) in self.0 {
            map.insert(key.into_owned(), value);
        }
        map
    }
}
