//! What several of the sigma crate's test files build alike.

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
