//! [`SharedText`]: text that many values hold, shared instead of copied.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Text shared by many values: a rule's id, title, author, tags and ATT&CK
/// technique ids go into every alert the rule raises, and an alert-heavy hunt
/// keeps tens of thousands of alerts. Cloning it counts a reference instead
/// of copying the text; it reads, compares, hashes, prints and serializes as
/// a `str`.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedText(Arc<str>);

impl SharedText {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for SharedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedText {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SharedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedText {
    fn from(text: &str) -> Self {
        SharedText(Arc::from(text))
    }
}

impl From<String> for SharedText {
    fn from(text: String) -> Self {
        SharedText(Arc::from(text))
    }
}

impl From<&String> for SharedText {
    fn from(text: &String) -> Self {
        SharedText(Arc::from(text.as_str()))
    }
}

impl From<SharedText> for String {
    fn from(text: SharedText) -> Self {
        text.0.to_string()
    }
}

impl PartialEq<str> for SharedText {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedText {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedText {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<SharedText> for str {
    fn eq(&self, other: &SharedText) -> bool {
        self == &*other.0
    }
}

impl PartialEq<SharedText> for &str {
    fn eq(&self, other: &SharedText) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<SharedText> for String {
    fn eq(&self, other: &SharedText) -> bool {
        self.as_str() == &*other.0
    }
}

impl Serialize for SharedText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SharedText::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_compares_and_serializes_as_its_text() {
        let text = SharedText::from("Rclone upload");
        let copy = text.clone();
        assert!(Arc::ptr_eq(&text.0, &copy.0));
        assert_eq!(text, "Rclone upload");
        assert_eq!("Rclone upload", text);
        assert_eq!(text, String::from("Rclone upload"));
        assert!(text.starts_with("Rclone"));
        assert_eq!(
            format!("{text} / {text:?}"),
            "Rclone upload / \"Rclone upload\""
        );
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"Rclone upload\"");
        let back: SharedText = serde_json::from_str("\"x\"").unwrap();
        assert_eq!(back, "x");
        let (a, b) = (SharedText::from("a"), SharedText::from("b"));
        assert!(a < b);
        assert_eq!(SharedText::default(), "");
    }
}
