//! Field values: owned ([`Value`]) in native records, borrowed ([`ValueRef`]) when read.

use serde::{Serialize, Serializer};
use std::net::IpAddr;

/// An owned field value of a source-native record.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Text.
    Str(Box<str>),
    /// A signed integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An explicit null (JSON `null`, Zeek's unset `-`).
    Null,
    /// A list of values (Zeek vectors and sets, JSON arrays of scalars).
    List(Vec<Value>),
}

impl Value {
    /// Borrows this value.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Str(s) => ValueRef::Str(s),
            Value::Int(i) => ValueRef::Int(*i),
            Value::Float(f) => ValueRef::Float(*f),
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Null => ValueRef::Null,
            Value::List(items) => ValueRef::List(items),
        }
    }

    /// Converts a JSON scalar or array of scalars; objects become their JSON text.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.as_str().into()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(_) => Value::Str(json.to_string().into()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s.into_boxed_str())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_ref().serialize(serializer)
    }
}

/// A borrowed field value, as returned by [`crate::Event::get`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    /// Text.
    Str(&'a str),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (byte and packet counts).
    UInt(u64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An IP address (typed common fields).
    Ip(IpAddr),
    /// An explicit null.
    Null,
    /// A list of values.
    List(&'a [Value]),
    /// A list of strings (typed common fields such as `dns.answers`).
    StrList(&'a [String]),
}

impl<'a> ValueRef<'a> {
    /// The text when this is a string.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            ValueRef::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A numeric view: integers, floats, and strings that parse as numbers.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ValueRef::Int(i) => Some(*i as f64),
            ValueRef::UInt(u) => Some(*u as f64),
            ValueRef::Float(f) => Some(*f),
            ValueRef::Str(s) => s.trim().parse().ok(),
            ValueRef::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, ValueRef::Null)
    }

    /// Writes the value as text into `out` (cleared first) for string matching;
    /// returns false for nulls and lists.
    pub fn write_text(&self, out: &mut String) -> bool {
        use std::fmt::Write;
        out.clear();
        match self {
            ValueRef::Str(s) => out.push_str(s),
            // `itoa`, not `fmt`: Sigma rules test numbers' text (`EventID`,
            // `LogonType`, ports) on every event, and formatting through
            // `fmt` cost about 150 instructions a number.
            ValueRef::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
            ValueRef::UInt(u) => out.push_str(itoa::Buffer::new().format(*u)),
            ValueRef::Float(f) => {
                let _ = write!(out, "{f}");
            }
            ValueRef::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ValueRef::Ip(ip) => {
                let _ = write!(out, "{ip}");
            }
            ValueRef::Null | ValueRef::List(_) | ValueRef::StrList(_) => return false,
        }
        true
    }

    /// An owned copy.
    pub fn to_owned_value(&self) -> Value {
        match self {
            ValueRef::Str(s) => Value::Str((*s).into()),
            ValueRef::Int(i) => Value::Int(*i),
            ValueRef::UInt(u) => i64::try_from(*u)
                .map(Value::Int)
                .unwrap_or(Value::Float(*u as f64)),
            ValueRef::Float(f) => Value::Float(*f),
            ValueRef::Bool(b) => Value::Bool(*b),
            ValueRef::Ip(ip) => Value::Str(ip.to_string().into()),
            ValueRef::Null => Value::Null,
            ValueRef::List(items) => Value::List(items.to_vec()),
            ValueRef::StrList(items) => {
                Value::List(items.iter().map(|s| Value::from(s.as_str())).collect())
            }
        }
    }
}

impl Serialize for ValueRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ValueRef::Str(s) => serializer.serialize_str(s),
            ValueRef::Int(i) => serializer.serialize_i64(*i),
            ValueRef::UInt(u) => serializer.serialize_u64(*u),
            ValueRef::Float(f) => serializer.serialize_f64(*f),
            ValueRef::Bool(b) => serializer.serialize_bool(*b),
            ValueRef::Ip(ip) => serializer.collect_str(ip),
            ValueRef::Null => serializer.serialize_unit(),
            ValueRef::List(items) => serializer.collect_seq(items.iter()),
            ValueRef::StrList(items) => serializer.collect_seq(items.iter()),
        }
    }
}
