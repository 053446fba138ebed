//! The Sigma engine on arbitrary rule text: the bytes up to the first NUL are
//! a rule document, the rest a value put into the fields Windows process
//! rules read. Loading must never panic (a bad rule is a lint row), and
//! every rule that compiles is matched against the events without panicking,
//! through the prefilter and exhaustively, with the same answers; twice,
//! so that answers remembered per value are checked too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigma::{RuleSetBuilder, SigmaOptions};
use sources::{SourceContext, open_bytes};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let rule = String::from_utf8_lossy(&data[..split]);
    let value = String::from_utf8_lossy(data.get(split + 1..).unwrap_or_default());
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).expect("no pipelines");
    builder.add_yaml(&rule, "fuzz.yml");
    let set = builder.build();
    if set.rules().is_empty() {
        return;
    }
    let events = events_with(&value);
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    for event in events.iter().chain(&events) {
        fast.clear();
        slow.clear();
        matcher.match_event(event, &mut scratch, &mut fast);
        matcher.match_event_exhaustive(event, &mut slow);
        assert_eq!(fast, slow, "prefilter and exhaustive evaluation disagree");
    }
});

/// Two Sysmon process creations (the second with `value` as the parent
/// too, so a remembered answer keyed without it would show) and a Security
/// logon event, in the evtx-crate JSON shape, carrying `value` in the fields
/// rules test most.
fn events_with(value: &str) -> Vec<model::Event> {
    let v = serde_json::Value::String(value.to_owned());
    let lines = [
        serde_json::json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}, "Computer": "ws1",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-03T10:00:00Z"}}},
            "EventData": {"Image": v, "CommandLine": v, "ParentImage": "C:\\Windows\\explorer.exe",
            "OriginalFileName": v, "User": "CORP\\ana"}}}),
        serde_json::json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}, "Computer": "ws1",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-03T10:00:02Z"}}},
            "EventData": {"Image": v, "CommandLine": v, "ParentImage": v,
            "OriginalFileName": v, "User": "CORP\\ana"}}}),
        serde_json::json!({"Event": {"System": {"EventID": 4625, "Channel": "Security",
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}}, "Computer": "dc1",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-03T10:00:01Z"}}},
            "EventData": {"TargetUserName": v, "IpAddress": v, "LogonType": 3, "WorkstationName": v}}}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let ctx = SourceContext::default();
    let (_, source) = open_bytes("fuzz.jsonl", text.into_bytes(), &ctx).expect("valid JSON lines");
    let events: Vec<model::Event> = source.filter_map(Result::ok).collect();
    // Any string is a valid JSON value: no event may be lost.
    assert_eq!(events.len(), 3, "the reader lost an event");
    events
}
