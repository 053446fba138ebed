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
pub(crate) struct Entries<'de>(pub Vec<(Cow<'de, str>, Scalar)>);

/// An entry's value as the readers keep it: a string, number, boolean or null
/// as it is, anything else (an array, an object) boxed. 32 bytes where
/// `serde_json::Value` is 72: a flat Windows record's 27 entries are written
/// by the reader and moved into the event, and the event builder's time was
/// mostly those moves.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    /// A string.
    Str(String),
    /// A number, as `serde_json` holds it.
    Number(serde_json::Number),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// An array or an object.
    Other(Box<Json>),
}

impl From<Json> for Scalar {
    fn from(json: Json) -> Self {
        match json {
            Json::String(s) => Scalar::Str(s),
            Json::Number(n) => Scalar::Number(n),
            Json::Bool(b) => Scalar::Bool(b),
            Json::Null => Scalar::Null,
            other => Scalar::Other(Box::new(other)),
        }
    }
}

impl Scalar {
    /// The `serde_json` value it stands for.
    pub fn into_json(self) -> Json {
        match self {
            Scalar::Str(s) => Json::String(s),
            Scalar::Number(n) => Json::Number(n),
            Scalar::Bool(b) => Json::Bool(b),
            Scalar::Null => Json::Null,
            Scalar::Other(json) => *json,
        }
    }

    /// Whether it is a JSON object.
    pub fn is_object(&self) -> bool {
        matches!(self, Scalar::Other(json) if json.is_object())
    }
}

/// A key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub Cow<'de, str>);

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
                    entries.push((key, value.into()));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// A key's bit in [`Entries::keys_are_unique`]'s filter (0-255): from its
/// length and its first and last eight bytes, which tell apart the keys of
/// real records (`ParentImage`, `ParentCommandLine`).
fn fingerprint(key: &[u8]) -> u8 {
    let n = key.len();
    let (head, tail) = if n >= 8 {
        let word = |at: usize| u64::from_le_bytes(key[at..at + 8].try_into().expect("eight bytes"));
        (word(0), word(n - 8))
    } else {
        let small = key.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        (small, 0)
    };
    let mixed = (head ^ tail.rotate_left(29) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 56) as u8
}

impl<'de> Entries<'de> {
    /// Parses one line; `None` when it is not a JSON object (the caller reports
    /// it as the general path does).
    ///
    /// The line's UTF-8 is checked once, in bulk: parsing bytes would check
    /// each string value on its own, a call per value that cost a twentieth
    /// of reading a flat Windows export. A line that is not UTF-8 takes the
    /// byte parser, which rejects it as before.
    pub fn parse(line: &'de [u8]) -> Option<Entries<'de>> {
        match std::str::from_utf8(line) {
            Ok(text) => crate::flat_json::parse(text).or_else(|| serde_json::from_str(text).ok()),
            Err(_) => serde_json::from_slice(line).ok(),
        }
    }

    /// Whether a value is a nested object. With [`Entries::keys_are_unique`]:
    /// when neither, the entries are exactly what the map would hold, in order.
    pub fn has_object(&self) -> bool {
        self.0.iter().any(|(_, v)| v.is_object())
    }

    /// Whether no key repeats.
    ///
    /// Keys are compared only when a 256-bit filter of their fingerprints says
    /// an earlier key may be the same: comparing every pair of a 30-key record
    /// was 400 string comparisons per event.
    pub fn keys_are_unique(&self) -> bool {
        let mut filter = [0u64; 4];
        for (i, (key, _)) in self.0.iter().enumerate() {
            let bit = fingerprint(key.as_bytes());
            let (word, mask) = ((bit >> 6) as usize, 1u64 << (bit & 63));
            if filter[word] & mask != 0 && self.0[..i].iter().any(|(earlier, _)| earlier == key) {
                return false;
            }
            filter[word] |= mask;
        }
        true
    }

    /// The map `serde_json` would have built (a repeated key keeps its first
    /// position and its last value).
    pub fn into_map(self) -> Map<String, Json> {
        let mut map = Map::with_capacity(self.0.len());
        for (key, value) in self.0 {
            map.insert(key.into_owned(), value.into_json());
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(keys: &[String]) -> String {
        let body: Vec<String> = keys.iter().map(|k| format!("{k:?}:1")).collect();
        format!("{{{}}}", body.join(","))
    }

    proptest! {
        /// The filtered check says what comparing every pair of keys says.
        #[test]
        fn uniqueness_is_exact(keys in proptest::collection::vec("[a-cA-C_]{0,12}", 0..40)) {
            let line = record(&keys);
            let entries = Entries::parse(line.as_bytes()).unwrap();
            let unique = keys.iter().enumerate().all(|(i, k)| !keys[..i].contains(k));
            prop_assert_eq!(entries.keys_are_unique(), unique);
        }
    }

    #[test]
    fn a_repeat_after_many_keys_and_a_nested_object_are_not_flat() {
        let mut keys: Vec<String> = (0..60).map(|i| format!("ParentField{i}")).collect();
        keys.push("ParentField17".into());
        assert!(
            !Entries::parse(record(&keys).as_bytes())
                .unwrap()
                .keys_are_unique()
        );
        keys.pop();
        assert!(
            Entries::parse(record(&keys).as_bytes())
                .unwrap()
                .keys_are_unique()
        );
        let nested = Entries::parse(br#"{"a":1,"b":{"c":2}}"#).unwrap();
        assert!(nested.has_object() && nested.keys_are_unique());
    }

    #[test]
    fn a_line_that_is_not_utf8_is_refused() {
        assert!(Entries::parse(b"{\"a\":\"\xff\"}").is_none());
        assert!(Entries::parse("{\"a\":\"é\"}".as_bytes()).is_some());
    }
}
