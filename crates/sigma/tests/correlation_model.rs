//! `event_count` and `value_count` correlations against a plain model of
//! their sliding windows, on random streams of events in time order.
//!
//! The model, written from the definition (docs/sigma.md, correlations):
//! per group-by value, the base rule's matches of the last `timespan`
//! (inclusive) are kept; when they reach the threshold (`gte`), the
//! correlation fires at that event with those matches as its records, and the
//! group starts afresh.

mod common;

use model::{Detector, Event, Origin, Value};
use proptest::prelude::*;
use sigma::{RuleSetBuilder, SigmaOptions};
use std::collections::HashMap;
use std::sync::Arc;

const TIMESPAN_SECS: u64 = 600;

fn rules(kind: &str, threshold: u32) -> String {
    // Sigma's place for a value correlation's field is its condition.
    let field = if kind == "value_count" {
        ", field: TargetFilename"
    } else {
        ""
    };
    format!(
        r#"title: Upload
id: base-upload
name: upload
logsource: {{product: windows, category: process_creation}}
detection:
  sel: {{Image|endswith: '\curl.exe'}}
  condition: sel
---
title: Many uploads
id: corr-uploads
correlation:
  type: {kind}
  rules: [upload]
  group-by: [Computer]
  timespan: {TIMESPAN_SECS}s
  condition: {{gte: {threshold}{field}}}
"#
    )
}

/// One event: (seconds, host, file, whether the base rule matches it).
type Step = (u64, &'static str, &'static str, bool);

fn event(offset: u64, (secs, host, file, matches): Step) -> Event {
    let mut event = common::process_creation(secs as i64);
    event.origin = Some(Origin {
        file: Arc::from("model.evtx"),
        offset,
    });
    let image = if matches {
        "C:\\t\\curl.exe"
    } else {
        "C:\\t\\7z.exe"
    };
    event.native.push("Image", Value::from(image));
    event.native.push("Computer", Value::from(host));
    event.native.push("TargetFilename", Value::from(file));
    event
}

/// What fired: (seconds, host, the offsets of its records), in order.
type Fired = Vec<(u64, String, Vec<u64>)>;

fn model(steps: &[Step], distinct: bool, threshold: usize) -> Fired {
    let mut groups: HashMap<&str, Vec<(u64, &str, u64)>> = HashMap::new();
    let mut fired = Vec::new();
    for (offset, &(secs, host, file, matches)) in steps.iter().enumerate() {
        if !matches {
            continue;
        }
        let group = groups.entry(host).or_default();
        group.retain(|&(t, _, _)| t + TIMESPAN_SECS >= secs);
        group.push((secs, file, offset as u64));
        let reached = if distinct {
            let mut files: Vec<&str> = group.iter().map(|&(_, f, _)| f).collect();
            files.sort_unstable();
            files.dedup();
            files.len()
        } else {
            group.len()
        };
        if reached >= threshold {
            let records = group.iter().map(|&(_, _, o)| o).collect();
            fired.push((secs, host.to_string(), records));
            group.clear();
        }
    }
    fired
}

fn engine(steps: &[Step], kind: &str, threshold: u32) -> Fired {
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).unwrap();
    let rows = builder.add_yaml(&rules(kind, threshold), "model.yml");
    assert!(rows.iter().all(|r| r.is_ok()), "{rows:?}");
    let set = builder.build();
    let mut detector = set.detector();
    let mut out = Vec::new();
    for (offset, &step) in steps.iter().enumerate() {
        detector.observe(&event(offset as u64, step), &mut out);
    }
    detector.finish(&mut out);
    out.iter()
        .filter(|s| &*s.rule_id == "corr-uploads")
        .map(|s| {
            let secs = (s.timestamp.0 / 1_000_000 - 1_700_000_000) as u64;
            let host = s.evidence["group_by"]["Computer"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let mut records: Vec<u64> = s.records.iter().map(|r| r.offset).collect();
            records.sort_unstable();
            (secs, host, records)
        })
        .collect()
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        (
            0u64..400,
            proptest::sample::select(&["ws1", "ws2", "ws3"][..]),
            proptest::sample::select(&["a.zip", "b.zip", "c.zip", "d.zip"][..]),
            proptest::bool::weighted(0.8),
        ),
        0..60,
    )
    .prop_map(|gaps| {
        let mut secs = 0;
        gaps.into_iter()
            .map(|(gap, host, file, matches)| {
                secs += gap;
                (secs, host, file, matches)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn event_count_fires_as_its_sliding_window_model(steps in steps(), threshold in 1u32..5) {
        let expected = model(&steps, false, threshold as usize);
        prop_assert_eq!(engine(&steps, "event_count", threshold), expected);
    }

    #[test]
    fn value_count_fires_as_its_sliding_window_model(steps in steps(), threshold in 1u32..4) {
        let expected = model(&steps, true, threshold as usize);
        prop_assert_eq!(engine(&steps, "value_count", threshold), expected);
    }
}
