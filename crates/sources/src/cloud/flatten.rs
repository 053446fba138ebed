//! Flattening JSON audit records into a [`Native`] record with dotted keys, and the
//! small lookups the mappers share.
//!
//! Nested objects become dotted keys (`userIdentity.sessionContext.sessionIssuer.arn`)
//! so Sigma rules written for the vendors' documented names match. Arrays of scalars
//! stay lists. Arrays of objects keep their JSON text under their own key (for
//! `contains` searches) and also spread each member field into a list under
//! `array.field` (`TargetResources.ModifiedProperties.DisplayName`). Arrays of
//! `{Name, Value}` pairs, as Exchange cmdlet `Parameters` are, also get one key per
//! name (`Parameters.ForwardingSmtpAddress`), which is what a rule wants to test.

use model::{Native, Value, ValueRef};
use serde_json::{Map, Value as Json};
use std::net::IpAddr;

/// Most native fields kept per record: bounds the work hostile input can cause.
pub const MAX_FIELDS: usize = 1024;
/// Deepest nesting flattened; deeper values are kept as JSON text.
const MAX_DEPTH: usize = 12;

/// Flattens `record` into a native record.
pub fn flatten(record: &Map<String, Json>) -> Native {
    let mut native = Native::with_capacity(record.len() + 8);
    let mut key = String::new();
    flatten_object(record, &mut key, 0, &mut native);
    native
}

fn push(native: &mut Native, key: &str, value: Value) {
    if native.len() < MAX_FIELDS {
        native.push(key, value);
    }
}

fn flatten_object(object: &Map<String, Json>, key: &mut String, depth: usize, out: &mut Native) {
    for (name, value) in object {
        let len = key.len();
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(name);
        flatten_value(value, key, depth + 1, out);
        key.truncate(len);
    }
}

fn flatten_value(value: &Json, key: &mut String, depth: usize, out: &mut Native) {
    match value {
        Json::Object(object) if depth < MAX_DEPTH => flatten_object(object, key, depth, out),
        Json::Array(items) if items.iter().any(Json::is_object) && depth < MAX_DEPTH => {
            push(out, key, Value::Str(value.to_string().into()));
            spread_array(items, key, depth, out);
        }
        _ => push(out, key, Value::from_json(value)),
    }
}

/// Spreads the fields of an array of objects into one list per field name, and
/// `{Name, Value}` pairs into one key per name.
fn spread_array(items: &[Json], key: &mut String, depth: usize, out: &mut Native) {
    let mut columns: Vec<(String, Vec<Value>)> = Vec::new();
    for item in items.iter().filter_map(Json::as_object) {
        if let Some((name, value)) = name_value_pair(item) {
            let len = key.len();
            key.push('.');
            key.push_str(name);
            push(out, key, Value::from_json(value));
            key.truncate(len);
        }
        let mut member = Native::default();
        let mut inner = String::new();
        flatten_object(item, &mut inner, depth, &mut member);
        for (sym, value) in member.iter() {
            let name = sym.name();
            // Nested arrays of objects spread into one flat list per path.
            let values: Vec<Value> = match value {
                ValueRef::List(items) => items.to_vec(),
                other => vec![other.to_owned_value()],
            };
            if let Some((_, column)) = columns.iter_mut().find(|(n, _)| n == name) {
                column.extend(values);
            } else if columns.len() < MAX_FIELDS {
                columns.push((name.to_owned(), values));
            }
        }
    }
    for (name, values) in columns {
        let len = key.len();
        key.push('.');
        key.push_str(&name);
        push(out, key, Value::List(values));
        key.truncate(len);
    }
}

/// `{"Name": n, "Value": v}` (any case) as `(n, v)`.
fn name_value_pair(item: &Map<String, Json>) -> Option<(&str, &Json)> {
    if item.len() != 2 {
        return None;
    }
    let name = get(item, "Name")?.as_str()?;
    let value = get(item, "Value")?;
    (!name.is_empty() && name.len() < 128).then_some((name, value))
}

/// The member `name` of `object`, matched exactly, else ignoring ASCII case (some
/// pipelines lower-case every key).
pub fn get<'a>(object: &'a Map<String, Json>, name: &str) -> Option<&'a Json> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The value at a dotted `path` (each step matched as in [`get`]).
pub fn get_path<'a>(object: &'a Map<String, Json>, path: &str) -> Option<&'a Json> {
    let mut parts = path.split('.');
    let mut current = get(object, parts.next()?)?;
    for part in parts {
        current = get(current.as_object()?, part)?;
    }
    Some(current)
}

/// The text at `path` when it is a non-empty string (numbers are written out).
pub fn text(object: &Map<String, Json>, path: &str) -> Option<String> {
    match get_path(object, path)? {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The first non-empty text among `paths`.
pub fn first_text(object: &Map<String, Json>, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| text(object, p))
}

/// An IP address from the forms audit logs use: `1.2.3.4`, `1.2.3.4:5678`,
/// `[2001:db8::1]:443`, `2001:db8::1`. Anything else (a service name such as
/// `s3.amazonaws.com`) is `None`.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, port) = text.rsplit_once(':')?;
    if port.chars().all(|c| c.is_ascii_digit()) && !host.contains(':') {
        return host.parse().ok();
    }
    None
}

/// Parses a JSON value that a table export stored as text (Sentinel's `InitiatedBy`,
/// `TargetResources`), when it is an object or array.
pub fn embedded_json(value: &Json) -> Option<Json> {
    let text = value.as_str()?.trim_start();
    if !(text.starts_with('{') || text.starts_with('[')) {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// ECS `event.outcome` from the many ways audit logs say it.
pub fn outcome(text: &str) -> Option<&'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "success" | "succeeded" | "true" | "0" | "allow" | "allowed" | "ok" => Some("success"),
        "failure" | "failed" | "false" | "fail" | "deny" | "denied" | "error" => Some("failure"),
        "partiallysucceeded" | "partial" => Some("unknown"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_nested_and_name_value_arrays() {
        let record = json!({
            "userIdentity": {"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"userName": "r"}}},
            "Parameters": [{"Name": "ForwardingSmtpAddress", "Value": "smtp:x@y.z"}, {"Name": "Identity", "Value": "a"}],
            "tags": ["a", "b"]
        });
        let native = flatten(record.as_object().unwrap());
        assert_eq!(
            native.get_by_name("userIdentity.sessionContext.sessionIssuer.userName"),
            Some(ValueRef::Str("r"))
        );
        assert_eq!(
            native.get_by_name("Parameters.ForwardingSmtpAddress"),
            Some(ValueRef::Str("smtp:x@y.z"))
        );
        assert!(
            matches!(native.get_by_name("Parameters"), Some(ValueRef::Str(s)) if s.contains("ForwardingSmtpAddress"))
        );
        assert_eq!(
            native.get_by_name("Parameters.Name"),
            Some(ValueRef::List(&[
                "ForwardingSmtpAddress".into(),
                "Identity".into()
            ]))
        );
        assert_eq!(
            native.get_by_name("tags"),
            Some(ValueRef::List(&["a".into(), "b".into()]))
        );
    }

    #[test]
    fn ip_forms() {
        assert_eq!(parse_ip("1.2.3.4:443"), "1.2.3.4".parse().ok());
        assert_eq!(parse_ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("s3.amazonaws.com"), None);
        assert_eq!(parse_ip("AWS Internal"), None);
    }

    #[test]
    fn case_insensitive_lookup() {
        let record = json!({"operation": "Set-Mailbox", "userIdentity": {"arn": "x"}});
        let object = record.as_object().unwrap();
        assert_eq!(text(object, "Operation").as_deref(), Some("Set-Mailbox"));
        assert_eq!(text(object, "userIdentity.arn").as_deref(), Some("x"));
    }
}
