//! End-to-end behaviour of the rule set on events built here (no shared data).

mod common;

use model::{Detector, Event, LogSource, Origin, Signal, Stage, Timestamp, Value};
use sigma::{RuleSetBuilder, SigmaOptions};
use std::sync::Arc;

fn sysmon(code: u32, category: &str, fields: &[(&str, &str)]) -> Event {
    let mut event = Event {
        timestamp: Timestamp::from_secs(1_700_000_000),
        code: Some(code),
        logsource: LogSource::new(Some("windows"), Some(category), Some("sysmon")),
        origin: Some(Origin {
            file: Arc::from("test.evtx"),
            offset: 7,
        }),
        host_name: Some("ws1".into()),
        ..Default::default()
    };
    event.native.push("EventID", Value::Int(code as i64));
    for (k, v) in fields {
        event.native.push(k, Value::from(*v));
    }
    event
}

fn builder() -> RuleSetBuilder {
    RuleSetBuilder::new(SigmaOptions::default()).unwrap()
}

fn run(yaml: &str, events: &[Event]) -> Vec<Signal> {
    let mut b = builder();
    let rows = b.add_yaml(yaml, "inline.yml");
    assert!(rows.iter().all(|r| r.is_ok()), "{rows:?}");
    let set = b.build();
    assert!(set.problems().is_empty(), "{:?}", set.problems());
    let mut detector = set.detector();
    let mut out = Vec::new();
    for e in events {
        detector.observe(e, &mut out);
    }
    detector.finish(&mut out);
    out
}

const RCLONE: &str = r#"
title: Rclone copy to cloud
id: 11111111-0000-0000-0000-000000000001
status: test
author: exfilguard tests
level: high
tags: [attack.exfiltration, attack.t1567.002]
logsource: {product: windows, category: process_creation}
detection:
  selection_img:
    - Image|endswith: '\rclone.exe'
    - OriginalFileName: 'rclone.exe'
  selection_cmd:
    CommandLine|contains|all: [' copy ', 'mega:']
  filter_main:
    ParentImage|startswith: 'C:\Program Files\Backup\'
  condition: 1 of selection_* and not filter_main
"#;

#[test]
fn detection_signal_carries_rule_metadata() {
    let event = sysmon(
        1,
        "process_creation",
        &[
            ("Image", "C:\\Tools\\RCLONE.EXE"),
            ("CommandLine", "rclone copy C:\\data mega:bucket"),
        ],
    );
    let out = run(RCLONE, &[event]);
    assert_eq!(out.len(), 1);
    let s = &out[0];
    assert_eq!(s.detector, "sigma");
    assert_eq!(s.rule_id, "11111111-0000-0000-0000-000000000001");
    assert_eq!(s.rule_name, "Rclone copy to cloud");
    assert_eq!(s.rule_author.as_deref(), Some("exfilguard tests"));
    assert_eq!(s.score, 75);
    assert_eq!(s.stage, Stage::Exfiltration);
    assert_eq!(s.techniques, vec!["T1567.002"]);
    assert_eq!(s.host_name.as_deref(), Some("ws1"));
    assert_eq!(s.records[0].offset, 7);
    assert!(s.id.starts_with("alert-"));
    assert_eq!(s.evidence["fields"]["Image"], "C:\\Tools\\RCLONE.EXE");
}

#[test]
fn filters_and_routing_exclude() {
    let filtered = sysmon(
        1,
        "process_creation",
        &[
            ("Image", "C:\\x\\rclone.exe"),
            ("ParentImage", "C:\\Program Files\\Backup\\agent.exe"),
        ],
    );
    let wrong_category = sysmon(11, "file_event", &[("Image", "C:\\x\\rclone.exe")]);
    assert!(run(RCLONE, &[filtered, wrong_category]).is_empty());
}

#[test]
fn security_4688_is_process_creation() {
    let mut event = sysmon(
        4688,
        "process_creation",
        &[("NewProcessName", "C:\\x\\rclone.exe")],
    );
    event.logsource = LogSource::new(Some("windows"), Some("process_creation"), Some("security"));
    assert_eq!(run(RCLONE, &[event]).len(), 1);
}

#[test]
fn event_id_is_checked_with_the_service() {
    let rule = r#"
title: Service installed
logsource: {product: windows, service: system}
detection:
  sel: {EventID: 7045}
  condition: sel
"#;
    let mut system = sysmon(7045, "x", &[]);
    system.logsource = LogSource::new(Some("windows"), None, Some("system"));
    // Sysmon never writes 7045, but an id shared by two providers must not match
    // a rule of the other service.
    let other = sysmon(7045, "x", &[]);
    assert_eq!(run(rule, &[system, other]).len(), 1);
}

/// Event-id tests the routing answers are not evaluated again, and the
/// answers are those of testing them: the id read is the event's own, as
/// routing reads it, whatever other fields say.
#[test]
fn event_id_tests_the_routing_answers_keep_their_answers() {
    let rules = r#"
title: Network logon failed
id: 11111111-0000-0000-0000-0000000000d1
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4625
    LogonType: 3
  condition: selection
---
title: Logon events but successes
id: 11111111-0000-0000-0000-0000000000d2
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: [4624, 4625]
  filter:
    EventID: 4624
  condition: selection and not filter
---
title: Only the id
id: 11111111-0000-0000-0000-0000000000d3
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4624
  condition: selection
---
title: Routed two ids, needs one
id: 11111111-0000-0000-0000-0000000000d4
logsource: {product: windows, service: security}
detection:
  logons:
    EventID: [4624, 4625]
  failures:
    EventID: 4625
  condition: logons and failures
"#;
    let mut b = builder();
    assert!(b.add_yaml(rules, "ids.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let security = |code: u32, logon_type: i64| {
        let mut event = sysmon(code, "x", &[]);
        event.logsource = LogSource::new(Some("windows"), None, Some("security"));
        event.native.push("LogonType", Value::Int(logon_type));
        event
    };
    let mut mislabelled = security(4625, 3);
    mislabelled.native = model::Native::default();
    mislabelled.native.push("EventID", Value::Int(4624));
    mislabelled.native.push("LogonType", Value::Int(3));
    let cases: [(Event, &[u32]); 5] = [
        (security(4625, 3), &[0, 1, 3]),
        (security(4625, 2), &[1, 3]),
        // Routed to the fourth rule, whose second test it fails.
        (security(4624, 3), &[2]),
        (security(4648, 3), &[]),
        // The id is the event's own (its code), as before.
        (mislabelled, &[0, 1, 3]),
    ];
    for (event, expected) in cases {
        let mut hits = Vec::new();
        matcher.match_event(&event, &mut scratch, &mut hits);
        assert_eq!(hits, expected, "{:?}", event.code);
    }
}

#[test]
fn keywords_and_ecs_fallback() {
    let rule = r#"
title: Keyword
logsource: {product: windows}
detection:
  keywords: ['mega.nz', 'transfer.sh']
  condition: keywords
"#;
    let event = sysmon(
        3,
        "network_connection",
        &[("DestinationHostname", "x.MEGA.nz")],
    );
    assert_eq!(run(rule, &[event]).len(), 1);

    // An ECS-only event (no native Image) still matches `Image` through the
    // typed field.
    let mut ecs = Event {
        logsource: LogSource::new(Some("windows"), Some("process_creation"), None),
        ..Default::default()
    };
    ecs.process_mut().executable = Some("C:\\bin\\rclone.exe".into());
    assert_eq!(run(RCLONE, &[ecs]).len(), 1);
}

#[test]
fn event_count_correlation_groups_and_suppresses_base_rule() {
    let yaml = r#"
title: Curl upload
id: base-1
name: curl_upload
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe', CommandLine|contains: ' -T '}
  condition: sel
---
title: Many curl uploads
id: corr-1
level: critical
tags: [attack.t1020]
correlation:
  type: event_count
  rules: [curl_upload]
  group-by: [Computer]
  timespan: 10m
  condition: {gte: 3}
"#;
    let mut events = Vec::new();
    for i in 0..3 {
        let mut e = sysmon(
            1,
            "process_creation",
            &[
                ("Image", "C:\\curl.exe"),
                ("CommandLine", "curl -T a.zip https://x"),
            ],
        );
        e.native.push("Computer", Value::from("ws1"));
        e.timestamp = Timestamp::from_secs(1_700_000_000 + i * 60);
        e.origin = Some(Origin {
            file: Arc::from("a.evtx"),
            offset: i as u64,
        });
        events.push(e);
    }
    let out = run(yaml, &events);
    assert_eq!(out.len(), 1, "base rule alerts are suppressed: {out:?}");
    let s = &out[0];
    assert_eq!(s.rule_id, "corr-1");
    assert_eq!(s.records.len(), 3);
    assert_eq!(s.evidence["group_by"]["Computer"], "ws1");
    assert_eq!(s.stage, Stage::Exfiltration);
}

#[test]
fn temporal_chain_across_rules() {
    let yaml = r#"
title: Archive
name: archive
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\7z.exe'}
  condition: sel
---
title: Upload
name: upload
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\rclone.exe'}
  condition: sel
---
title: Archive then upload
correlation:
  type: temporal_ordered
  rules: [archive, upload]
  group-by: [host]
  aliases:
    host: {archive: Computer, upload: Computer}
  timespan: 1h
  generate: true
"#;
    let mut a = sysmon(
        1,
        "process_creation",
        &[("Image", "C:\\7z.exe"), ("Computer", "ws1")],
    );
    a.timestamp = Timestamp::from_secs(100);
    let mut b = sysmon(
        1,
        "process_creation",
        &[("Image", "C:\\rclone.exe"), ("Computer", "ws1")],
    );
    b.timestamp = Timestamp::from_secs(200);
    let out = run(yaml, &[a, b]);
    let names: Vec<&str> = out.iter().map(|s| s.rule_name.as_str()).collect();
    assert_eq!(names, vec!["Archive", "Upload", "Archive then upload"]);
}

#[test]
fn filter_document_narrows_named_rule() {
    let yaml = format!(
        "{RCLONE}\n---\ntitle: Allow IT\nlogsource: {{product: windows, category: process_creation}}\nfilter:\n  rules: [11111111-0000-0000-0000-000000000001]\n  sel: {{User|contains: 'svc_it'}}\n  condition: not sel\n"
    );
    let it = sysmon(
        1,
        "process_creation",
        &[("Image", "C:\\rclone.exe"), ("User", "CORP\\svc_it")],
    );
    let bob = sysmon(
        1,
        "process_creation",
        &[("Image", "C:\\rclone.exe"), ("User", "CORP\\bob")],
    );
    let out = run(&yaml, &[it, bob]);
    assert_eq!(out.len(), 1);
}

#[test]
fn hostile_rules_are_reported_and_the_rest_load() {
    let deep = format!(
        "title: Deep\nlogsource: {{product: windows}}\ndetection:\n  sel: {{a: b}}\n  condition: {}sel{}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let regex = "title: Regex\nlogsource: {product: windows}\ndetection:\n  sel:\n    CommandLine|re: '(a{1000}){1000}'\n  condition: sel\n";
    let big = format!("title: Big\ndescription: '{}'\n", "x".repeat(50 << 20));
    let mut b = builder();
    let rows: Vec<_> = [
        b.add_yaml(&deep, "deep.yml"),
        b.add_yaml(regex, "regex.yml"),
        b.add_yaml(&big, "big.yml"),
        b.add_yaml(RCLONE, "good.yml"),
    ]
    .concat();
    let errors: Vec<&str> = rows.iter().filter_map(|r| r.error.as_deref()).collect();
    assert_eq!(errors.len(), 3, "{rows:?}");
    assert!(errors[0].contains("nested deeper"), "{}", errors[0]);
    assert!(errors[0].starts_with("line 5"), "{}", errors[0]);
    assert!(errors[1].contains("regex too large"), "{}", errors[1]);
    assert!(errors[2].contains("limit"), "{}", errors[2]);
    assert!(rows[3].is_ok());
    assert_eq!(b.build().rules().len(), 1);
}

#[test]
fn lint_rows_serialise_to_the_contract() {
    let mut b = builder();
    let rows = b.add_yaml(
        "title: X\nlogsource: {product: w}\ndetection:\n  sel:\n    a|bogus: 1\n  condition: sel\n",
        "x.yml",
    );
    let json = serde_json::to_value(&rows[0]).unwrap();
    assert_eq!(json["path"], "x.yml");
    assert_eq!(json["status"], "error");
    assert_eq!(json["title"], "X");
    assert_eq!(json["error"], "line 5: in `sel`: unknown modifier `bogus`");
}

#[test]
fn matcher_is_shareable_across_threads() {
    fn assert_sync<T: Sync + Send>() {}
    assert_sync::<sigma::Matcher>();
    let mut b = builder();
    b.add_yaml(RCLONE, "r.yml");
    let set = b.build();
    let event = sysmon(1, "process_creation", &[("Image", "C:\\rclone.exe")]);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut scratch = set.matcher().scratch();
                let mut hits = Vec::new();
                set.matcher().match_event(&event, &mut scratch, &mut hits);
                assert_eq!(hits, vec![0]);
            });
        }
    });
}

/// Sigma v1 multi-document rules: `action: global` is merged into each later
/// document (detection selections key by key, the later condition winning), and
/// `action: reset` ends it.
#[test]
fn v1_global_action_is_merged_into_each_document() {
    let yaml = r#"
action: global
title: Legacy rclone copy
id: 22222222-0000-0000-0000-000000000001
status: test
author: exfilguard tests
level: high
detection:
  selection:
    CommandLine|contains: ' copy '
  condition: selection
---
logsource: {product: windows, category: process_creation}
detection:
  tool:
    Image|endswith: '\rclone.exe'
  condition: selection and tool
---
action: reset
---
title: After the reset
id: 22222222-0000-0000-0000-000000000002
status: test
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\curl.exe'
  condition: selection
"#;
    let mut b = builder();
    let rows = b.add_yaml(yaml, "legacy.yml");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r.is_ok()), "{rows:?}");
    let set = b.build();
    let fire = |fields: &[(&str, &str)]| {
        let mut detector = set.detector();
        let mut out = Vec::new();
        detector.observe(&sysmon(1, "process_creation", fields), &mut out);
        detector.finish(&mut out);
        out.into_iter()
            .map(|s| s.rule_id.to_string())
            .collect::<Vec<_>>()
    };
    let rclone = [
        ("Image", "C:\\t\\rclone.exe"),
        ("CommandLine", "rclone copy x mega:"),
    ];
    assert_eq!(fire(&rclone), ["22222222-0000-0000-0000-000000000001"]);
    assert!(fire(&[("Image", "C:\\t\\rclone.exe"), ("CommandLine", "rclone ls")]).is_empty());
    // The reset document inherits nothing: no ' copy ' needed, level not forced.
    assert_eq!(
        fire(&[("Image", "C:\\w\\curl.exe"), ("CommandLine", "curl -T x")]),
        ["22222222-0000-0000-0000-000000000002"]
    );
}

/// An `expand` placeholder the config does not define is named, with its rules,
/// instead of leaving a rule that silently never matches.
#[test]
fn unset_expand_placeholders_are_reported() {
    let yaml = r#"
title: Admin workstation logon
id: 33333333-0000-0000-0000-000000000001
status: test
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Computer|expand: '%Admins_Workstations%'
  condition: selection
"#;
    let mut b = builder();
    assert!(b.add_yaml(yaml, "p.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let unset = set.unset_placeholders();
    assert_eq!(
        unset.get("Admins_Workstations").map(Vec::as_slice),
        Some(&["33333333-0000-0000-0000-000000000001".to_string()][..])
    );
    // Defined in the options: nothing to report.
    let mut options = SigmaOptions::default();
    options
        .placeholders
        .insert("Admins_Workstations".into(), vec!["adm01".into()]);
    let mut b = RuleSetBuilder::new(options).unwrap();
    b.add_yaml(yaml, "p.yml");
    assert!(b.build().unset_placeholders().is_empty());
}

/// A correlation that cannot be resolved (it names an unknown rule) is reported,
/// and the correlations after it keep their own definitions and titles; a chain
/// that refers back to itself is reported with the chain.
#[test]
fn broken_correlations_do_not_shift_the_others() {
    let yaml = r#"
title: Curl upload
id: base-2
name: curl_upload2
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe'}
  condition: sel
---
title: Broken
id: corr-broken
correlation:
  type: event_count
  rules: [no_such_rule]
  timespan: 10m
  condition: {gte: 1}
---
title: Two curl uploads
id: corr-ok
name: corr_ok
correlation:
  type: event_count
  rules: [curl_upload2]
  group-by: [Computer]
  timespan: 10m
  condition: {gte: 2}
---
title: Loop A
id: loop-a
name: loop_a
correlation:
  type: event_count
  rules: [loop_b]
  timespan: 10m
  condition: {gte: 1}
---
title: Loop B
id: loop-b
name: loop_b
correlation:
  type: event_count
  rules: [loop_a]
  timespan: 10m
  condition: {gte: 1}
"#;
    let mut b = builder();
    let rows = b.add_yaml(yaml, "corr.yml");
    assert!(rows.iter().all(|r| r.is_ok()), "{rows:?}");
    let set = b.build();
    let problems: Vec<String> = set
        .problems()
        .iter()
        .map(|p| format!("{} {}", p.id, p.error.clone().unwrap_or_default()))
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("corr-broken") && p.contains("no_such_rule")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("loop-a") && p.contains("loop-a -> loop-b -> loop-a")),
        "{problems:?}"
    );
    let mut detector = set.detector();
    let mut out = Vec::new();
    for i in 0..2 {
        let mut e = sysmon(1, "process_creation", &[("Image", "C:\\curl.exe")]);
        e.native.push("Computer", Value::from("ws1"));
        e.timestamp = Timestamp::from_secs(1_700_000_000 + i * 60);
        detector.observe(&e, &mut out);
    }
    detector.finish(&mut out);
    let corr: Vec<_> = out
        .iter()
        .filter(|s| s.rule_id.starts_with("corr"))
        .collect();
    assert_eq!(corr.len(), 1, "{out:?}");
    assert_eq!(corr[0].rule_id, "corr-ok");
    assert_eq!(corr[0].rule_name, "Two curl uploads");
}

/// A long `contains` list is one automaton; its values, ASCII or not, still match
/// case-insensitively, and characters with no case (emoji, dashes) are prefilter
/// literals, so the rule is skipped on events without them. The prefilter and
/// the exhaustive evaluation agree on every event.
#[test]
fn contains_lists_and_caseless_literals_keep_their_answers() {
    let yaml = r#"
title: Emoji and dashes in a command line
id: 33333333-0000-0000-0000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  emoji:
    CommandLine|contains: ['🦆', '😀', '—', '🔸', 'ÄRGER']
  tools:
    Image|endswith: '\curl.exe'
    CommandLine|contains: ['--upload-file', ' -T ', '-F file=@', 'transfer.sh', 'ﾠ']
  condition: emoji or tools
"#;
    let mut b = builder();
    assert!(b.add_yaml(yaml, "r.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    assert_eq!(matcher.stats().prefiltered, 1, "{:?}", matcher.stats());
    let cases = [
        ("C:\\x.exe", "run 🦆 now", true),
        ("C:\\x.exe", "a — b", true),
        ("C:\\x.exe", "ärger im büro", true),
        ("C:\\x.exe", "ÄRGER", true),
        ("C:\\x.exe", "plain text - with ascii dash", false),
        (
            "C:\\Tools\\CURL.EXE",
            "curl --UPLOAD-FILE a.zip https://x",
            true,
        ),
        ("C:\\Tools\\curl.exe", "curl https://TRANSFER.SH/a", true),
        ("C:\\Tools\\wget.exe", "wget https://transfer.sh/a", false),
    ];
    let mut scratch = matcher.scratch();
    for (image, command, expected) in cases {
        let event = sysmon(
            1,
            "process_creation",
            &[("Image", image), ("CommandLine", command)],
        );
        let fast = match_both(matcher, &mut scratch, &event, command);
        assert_eq!(!fast.is_empty(), expected, "{command}");
    }
}

/// Routes with different rules get their own prefilters; a keyword rule of one
/// service is not looked for in another's events, and both still fire.
#[test]
fn prefilters_are_built_per_route() {
    let yaml = r#"
title: Keywords in the system log
id: 44444444-0000-0000-0000-000000000001
logsource: {product: windows, service: system}
detection:
  keywords: ['mimikatz', 'sekurlsa::']
  condition: keywords
---
title: Rclone in a command line
id: 44444444-0000-0000-0000-000000000002
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains: 'rclone'
  condition: sel
"#;
    let mut b = builder();
    assert!(b.add_yaml(yaml, "r.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let process = sysmon(
        1,
        "process_creation",
        &[("CommandLine", "RCLONE copy x mimikatz")],
    );
    let mut system = Event {
        code: Some(7045),
        logsource: LogSource::new(Some("windows"), None, Some("system")),
        ..Default::default()
    };
    system.native.push("ServiceName", Value::from("x"));
    system
        .native
        .push("ImagePath", Value::from("C:\\MIMIKATZ.exe"));
    let mut hits = Vec::new();
    matcher.match_event(&process, &mut scratch, &mut hits);
    assert_eq!(hits, vec![1]);
    hits.clear();
    matcher.match_event(&system, &mut scratch, &mut hits);
    assert_eq!(hits, vec![0]);
    assert_eq!(matcher.stats().prefilters, 2);
}

/// Scan results are remembered per value: repeated values, values differing
/// only in case, and more distinct values than the cache holds (so it starts
/// afresh) all keep the exhaustive answer.
#[test]
fn remembered_scans_keep_the_answers() {
    let mut b = builder();
    assert!(b.add_yaml(RCLONE, "r.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let mut fired = 0;
    for n in 0..20_000u32 {
        let image = match n % 4 {
            0 => "C:\\Tools\\rclone.exe".to_string(),
            1 => "C:\\TOOLS\\RCLONE.EXE".to_string(),
            2 => format!("C:\\Tools\\tool{n}.exe"),
            _ => "C:\\Windows\\System32\\svchost.exe".to_string(),
        };
        let event = sysmon(
            1,
            "process_creation",
            &[("Image", &image), ("CommandLine", "x copy y")],
        );
        let fast = match_both(matcher, &mut scratch, &event, &image);
        fired += fast.len();
    }
    assert_eq!(fired, 10_000);
}

/// A field rule, a keyword rule and a rule that compares two fields, over one
/// logsource: the shapes the remembered answers must keep apart.
const MEMO_RULES: &str = r#"
title: Archive tool with password
id: 11111111-0000-0000-0000-0000000000a1
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\7z.exe'
    CommandLine|contains: ' -p'
  condition: selection
---
title: Mimikatz keyword anywhere
id: 11111111-0000-0000-0000-0000000000a2
logsource: {product: windows}
detection:
  keywords: ['sekurlsa::', 'gentilkiwi.com']
  condition: keywords
---
title: Process starts itself
id: 11111111-0000-0000-0000-0000000000a3
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|fieldref: ParentImage
  condition: selection
"#;

/// The rules of `yaml` (all of which must load), compiled.
fn rule_set(yaml: &str) -> sigma::RuleSet {
    let mut b = builder();
    let rows = b.add_yaml(yaml, "inline.yml");
    assert!(rows.iter().all(|r| r.is_ok()), "{rows:?}");
    b.build()
}

/// Asserts that a process-creation event with `fields` fires exactly the
/// rules `expected`, with the prefilter and exhaustively.
fn assert_fires(
    matcher: &sigma::Matcher,
    scratch: &mut sigma::MatchScratch,
    fields: &[(&str, &str)],
    expected: &[u32],
) {
    let event = sysmon(1, "process_creation", fields);
    let what = format!("{fields:?}");
    assert_eq!(
        match_both(matcher, scratch, &event, &what),
        expected,
        "{what}"
    );
}

/// Matches `event` with the prefilter and exhaustively, asserts that both
/// give the same rules (`what` says which case failed), and returns them.
fn match_both(
    matcher: &sigma::Matcher,
    scratch: &mut sigma::MatchScratch,
    event: &Event,
    what: &str,
) -> Vec<u32> {
    let (mut fast, mut slow) = (Vec::new(), Vec::new());
    matcher.match_event(event, scratch, &mut fast);
    matcher.match_event_exhaustive(event, &mut slow);
    assert_eq!(fast, slow, "{what}");
    fast
}

fn remembering_builder() -> RuleSetBuilder {
    RuleSetBuilder::new(SigmaOptions {
        remember_answers: true,
        ..SigmaOptions::default()
    })
    .unwrap()
}

fn memo_event(n: u32) -> Event {
    let image = ["C:\\Tools\\7z.exe", "C:\\Windows\\cmd.exe", "C:\\x\\7Z.EXE"][n as usize % 3];
    let parent = if n.is_multiple_of(5) {
        image
    } else {
        "C:\\Windows\\explorer.exe"
    };
    let command =
        ["7z a out.7z -psecret", "cmd /c dir", "7z x in.7z"][n as usize % 3 / 2 + n as usize % 2];
    // Fields no rule reads (time, record number) differ in every event; one
    // event in seven carries a keyword in a field only the keyword rule reads.
    let note = if n.is_multiple_of(7) {
        "dump sekurlsa::logonpasswords".to_string()
    } else {
        format!("run {n}")
    };
    let record = n.to_string();
    sysmon(
        1,
        "process_creation",
        &[
            ("Image", image),
            ("ParentImage", parent),
            ("CommandLine", command),
            ("UtcTime", &record),
            ("Description", &note),
        ],
    )
}

/// Repeated events are answered from memory, and every answer is still the
/// exhaustive one: fields no field rule reads may change between repeats, a
/// keyword in them is still found, a changed read field is a new answer.
#[test]
fn remembered_answers_of_repeated_events_are_the_exhaustive_answers() {
    let mut b = remembering_builder();
    assert!(b.add_yaml(MEMO_RULES, "m.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let mut per_rule = [0usize; 3];
    for n in 0..10_000u32 {
        let event = memo_event(n);
        let fast = match_both(matcher, &mut scratch, &event, &format!("event {n}"));
        for rule in &fast {
            per_rule[*rule as usize] += 1;
        }
    }
    // Every rule fired on its share of events: 7z with -p, the keyword every
    // seventh event, the self-parent every fifth.
    assert!(per_rule.iter().all(|&n| n > 1_000), "{per_rule:?}");
    assert_eq!(per_rule[1], 10_000usize.div_ceil(7));
    assert_eq!(per_rule[2], 2_000);
    let (remembered, missed) = scratch.remembered();
    assert!(remembered > 9_000, "{remembered} remembered, {missed} not");
}

/// Rules with no literal to prefilter on run on every event of their route,
/// and their answers are remembered per the values they read: a value they
/// read that changes (the item's field, a `fieldref` target, a second item's
/// field, a fallback field name) is a new answer, one they do not read is not.
#[test]
fn remembered_answers_of_unprefiltered_rules_are_the_exhaustive_answers() {
    let rules = r#"
title: Not An Executable
logsource: {product: windows, category: process_creation}
detection:
    known: {Image|endswith: ['.exe', '.com']}
    filter: {ParentImage|endswith: '\\services.exe'}
    condition: not known and not filter
---
title: Parent Is Itself
logsource: {product: windows, category: process_creation}
detection:
    selection: {Image|fieldref: ParentImage}
    condition: selection
---
title: Public Source
logsource: {product: windows, category: process_creation}
detection:
    private: {SourceIp|cidr: ['10.0.0.0/8', '192.168.0.0/16']}
    condition: not private
"#;
    let mut b = builder();
    assert!(b.add_yaml(rules, "u.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let images = ["C:\\a\\tool.exe", "C:\\a\\job.bat", "C:\\a\\JOB.BAT"];
    let parents = [
        "C:\\Windows\\services.exe",
        "C:\\a\\job.bat",
        "C:\\a\\tool.exe",
    ];
    let sources = ["10.1.2.3", "203.0.113.9", "192.168.7.7"];
    let mut fired = [0usize; 3];
    for n in 0..6_000usize {
        let command = format!("run {n}");
        let mut fields = vec![
            ("Image", images[n % 3]),
            ("ParentImage", parents[(n / 3) % 3]),
            ("CommandLine", &command),
        ];
        // The address by its name or by its fallback (the spaced form
        // Windows writes some names in), now and then absent.
        match n % 7 {
            0 => {}
            1 | 2 => fields.push(("SourceIp", sources[n % 3])),
            _ => fields.push(("Source Ip", sources[(n / 7) % 3])),
        }
        let event = sysmon(1, "process_creation", &fields);
        for rule in match_both(matcher, &mut scratch, &event, &format!("event {n}")) {
            fired[rule as usize] += 1;
        }
    }
    assert!(fired.iter().all(|&n| n > 500), "{fired:?}");
}

/// Events that never repeat stop being looked up after a probe, and keep
/// their answers.
#[test]
fn unique_events_pause_remembering_and_keep_their_answers() {
    let mut b = remembering_builder();
    assert!(b.add_yaml(MEMO_RULES, "m.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    for n in 0..20_000u32 {
        let command = format!("7z a out{n}.7z -p{n}");
        let event = sysmon(
            1,
            "process_creation",
            &[("Image", "C:\\7z.exe"), ("CommandLine", &command)],
        );
        let fast = match_both(matcher, &mut scratch, &event, &command);
        assert_eq!(fast, vec![0]);
    }
    let (remembered, missed) = scratch.remembered();
    assert_eq!(remembered, 0);
    assert!(missed < 5_000, "{missed} lookups of 20,000 unique events");
}

/// Long values go through a slot's gate (the leftmost literal, then the
/// exhaustive scan from it): a literal at the start, the middle, the end, in
/// another case, twice, or overlapping another is found as a scan finds it.
#[test]
fn gated_scans_of_long_values_find_every_literal() {
    let mut b = remembering_builder();
    assert!(b.add_yaml(MEMO_RULES, "m.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let filler = "x".repeat(300);
    let texts = [
        format!("sekurlsa::{filler}"),
        format!("{filler}SEKURLSA::{filler}"),
        format!("{filler}gentilkiwi.com"),
        format!("{filler}gentilkiwi.co"),
        format!("sekurlsa:{filler}sekurlsa::"),
        format!("{filler}sekurlsa:gentilkiwi.com:"),
        filler.clone(),
    ];
    for text in &texts {
        let event = sysmon(
            1,
            "process_creation",
            &[("Image", "C:\\a.exe"), ("Description", text)],
        );
        match_both(matcher, &mut scratch, &event, text);
    }
    let fired = texts
        .iter()
        .filter(|text| {
            let event = sysmon(
                1,
                "process_creation",
                &[("Image", "C:\\a.exe"), ("Description", text)],
            );
            let mut out = Vec::new();
            matcher.match_event(&event, &mut scratch, &mut out);
            out.contains(&1)
        })
        .count();
    assert_eq!(fired, 5);
}

/// Rules whose values have no three-letter ASCII literal are prefiltered too:
/// letters outside ASCII by "the value has a non-ASCII byte", two-character
/// literals as they are, digits also in numeric fields (written as text, as
/// evaluation reads them). Each keeps the exhaustive answer.
#[test]
fn weak_and_non_ascii_needles_keep_the_exhaustive_answers() {
    let rules = r#"
title: Cyrillic look-alike letters
id: 11111111-0000-0000-0000-0000000000b1
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains: ['а', 'е', 'о']
  condition: selection
---
title: Caret obfuscation
id: 11111111-0000-0000-0000-0000000000b2
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains: ['^^', ',;,']
  condition: selection
---
title: Port in a number field
id: 11111111-0000-0000-0000-0000000000b3
logsource: {product: windows, category: process_creation}
detection:
  selection:
    DestinationPort|contains: '4444'
  condition: selection
"#;
    let mut b = builder();
    assert!(b.add_yaml(rules, "w.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let cases: [(&str, i64, &[u32]); 6] = [
        ("powershell -c whoаmi", 1, &[0]),
        ("powershell -c whoami", 1, &[]),
        ("ＰＯＷＥＲＳＨＥＬＬ", 1, &[]),
        ("c^^md /c ,;, dir", 1, &[1]),
        ("cmd /c dir", 14444, &[2]),
        ("cmd /c dir", 4443, &[]),
    ];
    for (command, port, expected) in cases {
        let mut event = sysmon(1, "process_creation", &[("CommandLine", command)]);
        event.native.push("DestinationPort", Value::Int(port));
        let fast = match_both(matcher, &mut scratch, &event, &format!("{command} {port}"));
        assert_eq!(fast, expected, "{command} {port}");
    }
    // None of the three is evaluated on every event any more.
    let plain = sysmon(1, "process_creation", &[("CommandLine", "cmd /c dir")]);
    matcher.match_event(&plain, &mut scratch, &mut Vec::new());
    assert_eq!(scratch.evaluated(), 0);
}

/// A rule with literals in two fields is marked by its rarer group and
/// confirmed by the others: it is evaluated only when all are found,
/// whichever the scan met first, also when a group is the non-ASCII needle.
#[test]
fn rules_are_triggered_by_one_group_and_confirmed_by_the_others() {
    let rules = r#"
title: Privileges listed by cmd
id: 11111111-0000-0000-0000-0000000000c1
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\cmd.exe'
    CommandLine|contains: 'whoami /priv'
  condition: selection
---
title: Look-alike letters in a tool's command
id: 11111111-0000-0000-0000-0000000000c2
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Description: 'ab'
    CommandLine|contains: ['а', 'е']
  condition: selection
"#;
    let mut b = builder();
    assert!(b.add_yaml(rules, "t.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let cmd = "C:\\Windows\\System32\\cmd.exe";
    let cases: [(&str, &str, &str, &[u32], usize); 6] = [
        (cmd, "cmd.exe /c dir", "x", &[], 0),
        ("C:\\Tools\\x.exe", "x.exe whoami /priv", "x", &[], 0),
        (cmd, "cmd /c whoami /priv", "x", &[0], 1),
        ("C:\\t.exe", "t -c whoаmi", "ab", &[1], 1),
        ("C:\\t.exe", "t -c whoami", "ab", &[], 0),
        ("C:\\t.exe", "t -c whoаmi", "xy", &[], 0),
    ];
    for (image, command, description, expected, evaluated) in cases {
        let event = sysmon(
            1,
            "process_creation",
            &[
                ("Image", image),
                ("CommandLine", command),
                ("Description", description),
            ],
        );
        let what = format!("{image} {command} {description}");
        let fast = match_both(matcher, &mut scratch, &event, &what);
        assert_eq!(fast, expected, "{what}");
        assert_eq!(scratch.evaluated(), evaluated, "{what}");
    }
}

/// Values outside ASCII are scanned as evaluation reads them, lower-cased by
/// Unicode's rules: the Kelvin sign is a `k` there, so `MIMI\u{212A}ATZ`
/// contains `mimikatz` for both (an ASCII-only fold would let it slip past
/// the prefilter).
#[test]
fn the_prefilter_folds_non_ascii_values_as_evaluation_does() {
    let rule = r#"
title: Mimikatz on the command line
id: 11111111-0000-0000-0000-0000000000c1
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains: 'mimikatz'
  condition: selection
"#;
    let mut b = builder();
    assert!(b.add_yaml(rule, "k.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    for command in [
        "MIMI\u{212A}ATZ.exe",
        "run mimi\u{212A}atz sekurlsa",
        "mimikatz é",
    ] {
        let event = sysmon(1, "process_creation", &[("CommandLine", command)]);
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        matcher.match_event(&event, &mut scratch, &mut fast);
        matcher.match_event_exhaustive(&event, &mut slow);
        assert_eq!(slow, vec![0], "{command}");
        assert_eq!(fast, slow, "{command}");
    }
}

/// Case is ignored the same way for rule text and event text. Rust's
/// `str::to_lowercase` turns a capital sigma at the end of a word into `ς`,
/// lower-casing character by character into `σ`: the rule text was lowered by
/// the first and values by the second, so a rule for `ΟΔΟΣ` missed `ΟΔΟΣ`.
/// Now a word ending in sigma matches in every case, through each operator,
/// the prefilter, and keywords.
#[test]
fn a_word_ending_in_sigma_matches_in_every_case() {
    let rules = r#"
title: Greek word contained
id: 11111111-0000-0000-0000-0000000000e1
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains: 'ΚΛΕΙΔΙΟΣ ΑΡΧΕΙΟΣ'
  condition: selection
---
title: Greek word at the end
id: 11111111-0000-0000-0000-0000000000e2
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|endswith: 'αρχειος'
  condition: selection
---
title: Greek word equal, with a wildcard
id: 11111111-0000-0000-0000-0000000000e3
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Description: 'ΚΛΕΙΔΙΟΣ*ΑΡΧΕΙΟΣ'
  condition: selection
---
title: Greek keyword
id: 11111111-0000-0000-0000-0000000000e4
logsource: {product: windows, category: process_creation}
detection:
  keywords:
    - 'αρχειοσ'
  condition: keywords
"#;
    let set = rule_set(rules);
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    for (command, description, expected) in [
        (
            "copy ΚΛΕΙΔΙΟΣ ΑΡΧΕΙΟΣ",
            "ΚΛΕΙΔΙΟΣ ΑΡΧΕΙΟΣ",
            vec![0, 1, 2, 3],
        ),
        (
            "copy κλειδιος αρχειος",
            "Κλειδιος - Αρχειος",
            vec![0, 1, 2, 3],
        ),
        (
            "copy κλειδιοσ αρχειοσ",
            "κλειδιοσ αρχειοσ",
            vec![0, 1, 2, 3],
        ),
        ("copy ΚΛΕΙΔΙΟΣ ΑΡΧΕΙΑ", "ΑΡΧΕΙΑ", vec![]),
    ] {
        let fields = [("CommandLine", command), ("Description", description)];
        assert_fires(matcher, &mut scratch, &fields, &expected);
    }
}

/// Every operator reads a value as `contains` does. An ASCII pattern was
/// compared with the value byte by byte for `endswith`, `startswith` and
/// equality, so the Kelvin sign (three bytes that lower-case to `k`) made
/// `\mimi\u{212A}atz.exe` contain `mimikatz` but not end with
/// `\mimikatz.exe`, and a rule with the sign in its text did not equal its
/// own text. A value with the Kelvin sign or `İ` is now compared lower-cased.
#[test]
fn every_operator_folds_the_kelvin_sign_as_contains_does() {
    let rules = r#"
title: Image ends with
id: 11111111-0000-0000-0000-0000000000c2
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\mimikatz.exe'
  condition: selection
---
title: Description equals
id: 11111111-0000-0000-0000-0000000000c3
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Description: 'kiwi'
  condition: selection
---
title: Command line starts with a dotted capital I
id: 11111111-0000-0000-0000-0000000000c4
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|startswith: 'install'
  condition: selection
"#;
    let set = rule_set(rules);
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    for (image, description, command, expected) in [
        (
            "C:\\t\\mimi\u{212A}atz.exe",
            "\u{212A}iwi",
            "\u{130}nstall x",
            vec![0, 1],
        ),
        ("C:\\t\\MIMIKATZ.EXE", "KIWI", "INSTALL x", vec![0, 1, 2]),
        (
            "C:\\t\\mimi\u{212A}atz.exe.bak",
            "\u{212A}iwis",
            "x install",
            vec![],
        ),
    ] {
        let fields = [
            ("Image", image),
            ("Description", description),
            ("CommandLine", command),
        ];
        assert_fires(matcher, &mut scratch, &fields, &expected);
    }
}

/// `fieldref` ignores case the same way on both sides: the referenced
/// value was lowered as ASCII only and the item's value by Unicode's rules,
/// so two equal user names with a letter outside ASCII (`MÜLLER`) differed.
#[test]
fn fieldref_folds_both_values_alike() {
    let rules = r#"
title: Same user on both sides
id: 11111111-0000-0000-0000-0000000000b7
logsource: {product: windows, category: process_creation}
detection:
  selection:
    User|fieldref: ParentUser
  condition: selection
---
title: User ends with the parent's
id: 11111111-0000-0000-0000-0000000000b8
logsource: {product: windows, category: process_creation}
detection:
  selection:
    User|fieldref|endswith: ParentUser
  condition: selection
"#;
    let set = rule_set(rules);
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    for (user, parent, expected) in [
        ("CORP\\MÜLLER", "CORP\\MÜLLER", vec![0, 1]),
        ("corp\\müller", "CORP\\MÜLLER", vec![0, 1]),
        ("CORP\\ΟΔΟΣ", "corp\\οδος", vec![0, 1]),
        ("CORP\\MÜLLER", "MÜLLER", vec![1]),
        ("CORP\\MÜLLER", "CORP\\MULLER", vec![]),
    ] {
        let fields = [("User", user), ("ParentUser", parent)];
        assert_fires(matcher, &mut scratch, &fields, &expected);
    }
}

/// Remembering is off unless `[sigma] remember_answers = true`: every event is
/// matched afresh.
#[test]
fn remembering_is_off_by_default_and_set_by_the_config() {
    let on: model::Config = toml::from_str("[sigma]\nremember_answers = true\n").unwrap();
    assert!(SigmaOptions::from_config(&on, &[]).remember_answers);
    let options = SigmaOptions::from_config(&model::Config::default(), &[]);
    assert!(!options.remember_answers);
    let mut b = RuleSetBuilder::new(options).unwrap();
    assert!(b.add_yaml(MEMO_RULES, "m.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let mut fired = 0;
    for n in 0..3_000u32 {
        let mut out = Vec::new();
        matcher.match_event(&memo_event(n), &mut scratch, &mut out);
        fired += out.len();
    }
    assert_eq!(scratch.remembered(), (0, 0));
    assert!(fired > 1_000);
}

/// An integer field tested only against numbers is compared as a number (no
/// text is written for it); one tested against text too is still written as
/// text, so `contains`, wildcards and strings that look like numbers keep
/// their answers.
#[test]
fn integer_fields_compare_as_numbers_and_as_text() {
    let rules = r#"
title: Network logon
id: 11111111-0000-0000-0000-0000000000d1
logsource: {product: windows, category: process_creation}
detection:
  selection:
    LogonType: [3, 10]
  condition: selection
---
title: Logon type as number or text
id: 11111111-0000-0000-0000-0000000000d2
logsource: {product: windows, category: process_creation}
detection:
  selection:
    LogonType:
      - 7
      - '4*'
  condition: selection
---
title: Big unsigned
id: 11111111-0000-0000-0000-0000000000d3
logsource: {product: windows, category: process_creation}
detection:
  selection:
    LogonType: 18446744073709551615
  condition: selection
"#;
    let mut b = builder();
    assert!(b.add_yaml(rules, "n.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let cases: [(Value, &[u32]); 7] = [
        (Value::Int(3), &[0]),
        (Value::Int(10), &[0]),
        (Value::Int(4), &[1]),
        (Value::Int(42), &[1]),
        (Value::Int(7), &[1]),
        (Value::Int(-3), &[]),
        (Value::from("3"), &[0]),
    ];
    for (value, expected) in cases {
        let mut event = sysmon(1, "process_creation", &[]);
        event.native.push("LogonType", value.clone());
        let fast = match_both(matcher, &mut scratch, &event, &format!("{value:?}"));
        assert_eq!(fast, expected, "{value:?}");
    }
}

/// Candidate rules take their `contains` answers from the prefilter's scan
/// of the same value (and a test whose required literal was not found is
/// false without running): each answer must be the exhaustive one, whether
/// the literal is the whole `contains` text or a part of a longer test, in
/// the field the rule reads or only in another, in a `not`, and with `all`.
#[test]
fn answers_taken_from_the_scan_are_the_exhaustive_answers() {
    let rules = r#"
title: Exact contains and a contains list
id: 11111111-0000-0000-0000-0000000000e1
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\rclone.exe'
    CommandLine|contains:
      - ' copy '
      - ' sync '
      - '--config'
      - 'mega:'
  condition: selection
---
title: Longer tests around a required literal
id: 11111111-0000-0000-0000-0000000000e2
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|startswith: 'rclone.exe copy'
    CommandLine|re: 'copy\s+\S+\s+remote'
  condition: selection
---
title: A literal under not and with all
id: 11111111-0000-0000-0000-0000000000e3
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains|all:
      - 'rclone'
      - 'copy'
  filter:
    CommandLine|contains: '--dry-run'
    ParentImage|contains: '\backup\'
  condition: selection and not filter
---
title: Wildcards and case
id: 11111111-0000-0000-0000-0000000000e4
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains|cased: 'MEGA:'
    CommandLine: '*copy*remote*'
  condition: selection
"#;
    let mut b = builder();
    assert!(b.add_yaml(rules, "k.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let cases: &[&[(&str, &str)]] = &[
        &[
            ("Image", "C:\\t\\rclone.exe"),
            ("CommandLine", "rclone.exe copy C:\\d mega:x"),
        ],
        &[
            ("Image", "C:\\t\\rclone.exe"),
            ("CommandLine", "rclone.exe COPY C:\\d remote:x"),
        ],
        &[
            ("Image", "C:\\t\\rclone.exe"),
            ("CommandLine", "RCLONE.EXE copy d MEGA: --dry-run"),
        ],
        &[
            ("Image", "C:\\t\\rclone.exe"),
            ("CommandLine", "rclone.exe copy d remote --dry-run"),
            ("ParentImage", "C:\\backup\\run.exe"),
        ],
        // The literals only in another field than the one the rule reads.
        &[
            ("Image", "C:\\copy\\mega:\\rclone.exe"),
            ("CommandLine", "x"),
        ],
        &[
            ("Image", "C:\\t\\rclone.exe"),
            ("CommandLine", "rclone.exe sync a b"),
        ],
        &[
            ("Image", "C:\\t\\rclone.exe"),
            ("CommandLine", "rclone  copy  a remote é"),
        ],
        // The literal found, but not where the longer test needs it.
        &[
            ("Image", "C:\\t\\rclone.exe"),
            ("CommandLine", "x rclone.exe copy a remote"),
        ],
        &[
            ("Image", "C:\\t\\rclone.exe"),
            ("CommandLine", "rclone copy mega: remote"),
        ],
    ];
    let mut fired = 0;
    for (i, fields) in cases.iter().enumerate() {
        let event = sysmon(1, "process_creation", fields);
        fired += match_both(matcher, &mut scratch, &event, &format!("case {i}")).len();
    }
    // The cases are not all misses.
    assert!(fired >= 6, "{fired}");
}

/// The keyword scan reads every text value of an event in one joined,
/// lower-cased text: over a run of events where fields repeat, change, hold
/// a keyword or lose it, appear twice in one event, hold text that Unicode's
/// lower-casing changes (which moves the offsets of the values after it), or
/// split a keyword across two values, every answer must be the exhaustive
/// one. (It also held a per-field memo of the keyword scan to that, before
/// the memo was measured slower and dropped; see docs/BENCHMARKS.md.)
#[test]
fn keyword_scan_answers_are_the_exhaustive_answers_over_a_run_of_events() {
    let rules = r#"
title: Keywords anywhere
id: 11111111-0000-0000-0000-0000000000f1
logsource: {product: windows}
detection:
  keywords:
    - 'sekurlsa::'
    - 'mimikatz'
    - 'kiwi legit printer'
  condition: keywords
---
title: Keywords anywhere, one must be absent
id: 11111111-0000-0000-0000-0000000000f2
logsource: {product: windows, category: process_creation}
detection:
  keywords:
    - 'rclone'
  filter:
    - 'dry-run'
  condition: keywords and not filter
---
title: A keyword of letters outside ASCII
id: 11111111-0000-0000-0000-0000000000f3
logsource: {product: windows}
detection:
  keywords:
    - 'ｍimi'
  condition: keywords
"#;
    let mut b = builder();
    assert!(b.add_yaml(rules, "kw.yml").iter().all(|r| r.is_ok()));
    let set = b.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let steady = [
        ("Channel", "Microsoft-Windows-Sysmon/Operational"),
        ("Computer", "ws1.corp.example"),
    ];
    // Each case is the fields of one event, after the steady ones; each is
    // run several times in a row, as logs repeat (and per-thread caches fill
    // and hit).
    let cases: &[&[(&str, &str)]] = &[
        &[("CommandLine", "rclone.exe copy a b")],
        &[("CommandLine", "rclone.exe copy a b --dry-run")],
        &[("CommandLine", "mimikatz.exe sekurlsa::logonpasswords")],
        &[("CommandLine", "cmd.exe /c whoami")],
        // The same field twice in one event, one with a keyword.
        &[("Data", "nothing here at all"), ("Data", "MIMIKATZ")],
        &[("Data", "MIMIKATZ"), ("Data", "nothing here at all")],
        &[("Data", "nothing here at all"), ("Data", "nothing either")],
        // The Kelvin sign lower-cases to `k`: the joined text is folded.
        &[("Description", "\u{212A}iwi legit printer")],
        &[("Description", "kiwi legit printer")],
        &[("Description", "Kiwi Legit Printer ®")],
        &[("Description", "ｍimi")],
        &[("Description", "plain")],
        // Folding moves the offsets of the values after the Kelvin sign.
        &[("A", "\u{212A}elvin"), ("B", "sekurlsa::x")],
        &[("A", "other"), ("B", "sekurlsa::x")],
        // Too short for any keyword, and a keyword split across values.
        &[("A", "mimi"), ("B", "katz")],
    ];
    let mut fired = 0;
    for round in 0..3 {
        for (i, fields) in cases.iter().enumerate() {
            for repeat in 0..3 {
                let mut all: Vec<(&str, &str)> = steady.to_vec();
                all.extend_from_slice(fields);
                let event = sysmon(1, "process_creation", &all);
                let what = format!("round {round}, case {i}, repeat {repeat}");
                fired += match_both(matcher, &mut scratch, &event, &what).len();
            }
        }
    }
    assert!(fired >= 3 * 3 * 6, "{fired}");
}

/// Characters whose case the property below changes: ASCII, and letters
/// whose case has caught engines out (sigma's final form, the Kelvin sign,
/// dotted and dotless i, sharp s, a titlecase digraph, Cyrillic).
const CASE_POOL: &[char] = &[
    'a', 'B', 'x', '-', ' ', '\\', '.', '7', 'ä', 'Ä', 'é', 'É', 'ß', 'σ', 'ς', 'Σ', 'Ω', 'ω', 'Ж',
    'ж', 'İ', 'ı', '\u{212A}', 'ǅ', 'ǆ', 'Ǆ', 'ﬁ',
];

/// `c` in another case when Unicode gives it one that reads the same once
/// lowered (`ı` upper-cases to `I`, which lowers to `i`: not the same letter).
fn case_variant(c: char, upper: bool) -> char {
    let same = |d: char| {
        common::model_lowercase(&d.to_string()) == common::model_lowercase(&c.to_string())
    };
    let other: Vec<char> = if upper {
        c.to_uppercase().collect()
    } else {
        c.to_lowercase().collect()
    };
    match other[..] {
        [d] if same(d) => d,
        _ => c,
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// A rule's text matches that text in an event whatever the case of
    /// each of its letters, through each operator, the prefilter, keywords
    /// and `fieldref` (a field equal to another in another case), and the
    /// prefilter answers what evaluating every rule does.
    #[test]
    fn rule_text_matches_itself_in_any_case(
        word in proptest::collection::vec(proptest::sample::select(CASE_POOL), 4..12),
        uppers in proptest::collection::vec(proptest::bool::ANY, 12),
    ) {
        let text: String = word.iter().collect();
        let flipped: String = word
            .iter()
            .zip(&uppers)
            .map(|(&c, &upper)| case_variant(c, upper))
            .collect();
        // Sigma's escape for a backslash; YAML's single quotes leave it.
        let text = text.replace('\\', "\\\\");
        let rules = format!(
            "title: contains\nid: 11111111-0000-0000-0000-0000000000f1\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n  selection:\n    CommandLine|contains: '{text}'\n  condition: selection\n---\ntitle: endswith\nid: 11111111-0000-0000-0000-0000000000f2\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n  selection:\n    CommandLine|endswith: '{text}'\n  condition: selection\n---\ntitle: equals\nid: 11111111-0000-0000-0000-0000000000f3\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n  selection:\n    Description: '{text}'\n  condition: selection\n---\ntitle: keyword\nid: 11111111-0000-0000-0000-0000000000f4\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n  keywords:\n    - '{text}'\n  condition: keywords\n---\ntitle: fieldref\nid: 11111111-0000-0000-0000-0000000000f5\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n  selection:\n    User|fieldref: ParentUser\n  condition: selection\n"
        );
        let mut b = builder();
        let results = b.add_yaml(&rules, "case.yml");
        proptest::prop_assume!(results.iter().all(|r| r.is_ok()));
        let set = b.build();
        let matcher = set.matcher();
        let mut scratch = matcher.scratch();
        let command = format!("run {flipped}");
        let original: String = word.iter().collect();
        let event = sysmon(
            1,
            "process_creation",
            &[
                ("CommandLine", command.as_str()),
                ("Description", flipped.as_str()),
                ("User", flipped.as_str()),
                ("ParentUser", original.as_str()),
            ],
        );
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        matcher.match_event(&event, &mut scratch, &mut fast);
        matcher.match_event_exhaustive(&event, &mut slow);
        proptest::prop_assert_eq!(&slow, &vec![0, 1, 2, 3, 4], "{} in {}", text, flipped);
        proptest::prop_assert_eq!(fast, slow);
    }
}
