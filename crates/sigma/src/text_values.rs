//! The text of an event's values as the prefilter reads it: what a keyword
//! (a search of all of an event's text) and a field slot's scan see of
//! strings, booleans, lists and numbers.

use model::{Event, ValueRef};

/// Scans a native value's text (strings, booleans, list elements), and with
/// `numbers` (a buffer for their text) numbers as evaluation writes them; the
/// keyword scan passes `None`, as keywords match text values only.
pub(crate) fn scan_value(
    value: ValueRef<'_>,
    numbers: Option<&mut String>,
    scan: &mut impl FnMut(&str),
) {
    match value {
        ValueRef::Str(s) => scan(s),
        ValueRef::List(items) => {
            let mut numbers = numbers;
            for item in items {
                scan_value(item.as_ref(), numbers.as_deref_mut(), scan);
            }
        }
        ValueRef::StrList(items) => items.iter().for_each(|s| scan(s)),
        ValueRef::Bool(b) => scan(if b { "true" } else { "false" }),
        ValueRef::Float(_) | ValueRef::Int(_) | ValueRef::UInt(_) | ValueRef::Ip(_) => {
            if let Some(text) = numbers
                && value.write_text(text)
            {
                scan(text);
            }
        }
        ValueRef::Null => {}
    }
}

/// Visits the text of `event` that is not in its record's text buffer
/// ([`model::Native::text`]), as keywords read it: the text of booleans and
/// lists (not numbers), and the message.
pub(crate) fn for_each_outside_buffer(event: &Event, visit: &mut impl FnMut(&str)) {
    if !event.native.text_is_complete() {
        for value in event.native.values_outside_text() {
            scan_value(value, None, visit);
        }
    }
    if let Some(message) = &event.message {
        visit(message);
    }
}
