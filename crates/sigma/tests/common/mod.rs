//! What several of the sigma crate's test files build alike (each uses
//! part of it).
#![allow(dead_code)]

use model::{Event, LogSource, Timestamp, Value};

/// An empty Sysmon process creation (event 1) at `secs` after 2023-11-14,
/// for a test to add its fields to.
pub fn process_creation(secs: i64) -> Event {
    let mut event = Event {
        timestamp: Timestamp::from_secs(1_700_000_000 + secs),
        code: Some(1),
        logsource: LogSource::new(Some("windows"), Some("process_creation"), Some("sysmon")),
        ..Default::default()
    };
    event.native.push("EventID", Value::Int(1));
    event
}

/// Lowered as Sigma's case-insensitive comparison is defined, written
/// apart from the engine's code: character by character, the final sigma
/// read as sigma.
pub fn model_lowercase(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}
