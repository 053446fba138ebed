//! The false-positive run of DESIGN.md's "prove it": the whole built-in pack over the
//! public EVTX samples (`../shared/data/evtx`, or `$EXFILGUARD_SHARED_DATA/evtx`).
//!
//! It prints the alerts per rule and per file, and fails when a sample that holds no
//! exfiltration tooling (every file not listed in [`EXFIL_TOOLING_SAMPLES`]) raises a
//! high or critical alert: the pack's false-positive budget. Medium and low alerts on
//! those samples are printed with the rule, so docs/rules.md can list each with its
//! reason. Skips with a message when the samples are absent (a fresh clone).
//!
//! Run: `cargo test -p rulepack --test evtx_samples -- --nocapture`

use model::{Detector, Event, Severity, Signal};
use rulepack::builtin;
use sigma::{RuleSet, RuleSetBuilder, SigmaOptions};
use sources::SourceContext;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Samples whose activity includes transfer or staging tooling, by file name, with
/// what they hold (from the data set's manifest). Alerts of any level are expected
/// here; every other sample is benign for exfiltration purposes.
const EXFIL_TOOLING_SAMPLES: &[(&str, &str)] = &[
    ("ID3-59-60-BITS job created.evtx", "BITS transfer job"),
    (
        "ID4688-BITS transfer initiated.evtx",
        "bitsadmin /transfer command lines",
    ),
    (
        "ID800-4103-4104-PowerShell BITS job started.evtx",
        "Start-BitsTransfer script",
    ),
    (
        "PanacheSysmon_vs_AtomicRedTeam01.evtx",
        "Atomic Red Team run incl. rar a exfilthis.rar",
    ),
    ("smbmap_upload_exec_sysmon.evtx", "smbmap upload over SMB"),
    ("DE_sysmon-3-rdp-tun.evtx", "plink reverse tunnel"),
    ("exec_sysmon_1_ftp.evtx", "ftp.exe execution"),
    ("T1197_BitsClient.evtx", "BITS client jobs"),
    (
        "persist_bitsadmin_Microsoft-Windows-Bits-Client-Operational.evtx",
        "bitsadmin jobs",
    ),
];

/// Where the shared sample data lives, if present.
fn evtx_dir() -> Option<PathBuf> {
    let base = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = base.join("evtx");
    dir.is_dir().then_some(dir)
}

/// Every `*.evtx` under `dir`, sorted.
fn evtx_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The whole pack, as the binary loads it.
fn pack() -> RuleSet {
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).expect("default options");
    for rule in builtin() {
        let rows = builder.add_yaml(rule.yaml, rule.path);
        assert!(rows.iter().all(|r| r.is_ok()), "{}: {rows:?}", rule.path);
    }
    builder.build()
}

/// The building blocks of the `generate: false` correlations, loaded on their own so
/// that they alert: how often the correlations' first and second steps occur.
fn building_blocks() -> RuleSet {
    let names: Vec<&str> = builtin()
        .iter()
        .filter(|r| r.yaml.contains("\n  generate: false"))
        .flat_map(|r| r.yaml.split("\n  rules:\n").nth(1))
        .flat_map(|block| {
            block
                .lines()
                .take_while(|l| l.starts_with("    - "))
                .map(|l| l.trim_start_matches("    - ").trim())
        })
        .collect();
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).expect("default options");
    for rule in builtin().iter().filter(|r| {
        names
            .iter()
            .any(|n| r.yaml.contains(&format!("\nname: {n}\n")))
    }) {
        builder.add_yaml(rule.yaml, rule.path);
    }
    builder.build()
}

/// Reads one file (records that fail to parse are counted, not fatal) and runs a
/// fresh detector over it in time order.
fn alerts_of(set: &RuleSet, path: &Path, skipped: &mut u64) -> (usize, Vec<Signal>) {
    let Ok((_, source)) = sources::open_path(path, &SourceContext::default()) else {
        *skipped += 1;
        return (0, Vec::new());
    };
    let mut events: Vec<Event> = source
        .filter_map(|r| r.map_err(|_| *skipped += 1).ok())
        .collect();
    events.sort_by_key(|e| e.timestamp);
    let mut detector = set.detector();
    let mut out = Vec::new();
    for event in &events {
        detector.observe(event, &mut out);
        detector.advance(event.timestamp, &mut out);
    }
    detector.finish(&mut out);
    (events.len(), out)
}

#[test]
fn pack_over_the_public_evtx_samples() {
    let Some(dir) = evtx_dir() else {
        println!("skipped: no EVTX samples (set EXFILGUARD_SHARED_DATA to the shared data folder)");
        return;
    };
    let set = pack();
    let blocks = building_blocks();
    assert!(
        !blocks.rules().is_empty(),
        "the correlations have building blocks"
    );
    let files = evtx_files(&dir);
    let mut block_hits: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut per_rule: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut over_budget = Vec::new();
    let mut listed = Vec::new();
    let (mut events_total, mut skipped) = (0usize, 0u64);
    for path in &files {
        let (events, alerts) = alerts_of(&set, path, &mut skipped);
        events_total += events;
        let relative = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
        for hit in alerts_of(&blocks, path, &mut 0).1 {
            *block_hits
                .entry((hit.rule_name.to_string(), relative.clone()))
                .or_default() += 1;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let tooling = EXFIL_TOOLING_SAMPLES.iter().find(|(f, _)| *f == name);
        let relative = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
        for alert in alerts {
            *per_rule
                .entry((
                    alert.severity.as_str().to_string(),
                    alert.rule_name.to_string(),
                ))
                .or_default() += 1;
            let line = format!(
                "{:<13} {} <- {relative}{}",
                alert.severity.as_str(),
                alert.rule_name,
                tooling
                    .map(|(_, why)| format!(" [exfil tooling: {why}]"))
                    .unwrap_or_default()
            );
            if tooling.is_none() && alert.severity >= Severity::High {
                over_budget.push(line.clone());
            }
            listed.push(line);
        }
    }
    println!(
        "{} EVTX files, {events_total} events, {skipped} unreadable records or files",
        files.len()
    );
    println!("alerts per rule:");
    for ((severity, rule), count) in &per_rule {
        println!("  {count:>5}  {severity:<13} {rule}");
    }
    println!("every alert:");
    listed.sort();
    listed.dedup_by(|a, b| a == b);
    for line in &listed {
        println!("  {line}");
    }
    println!("correlation building blocks (silent in the pack), matches per file:");
    for ((rule, file), count) in &block_hits {
        println!("  {count:>5}  {rule} <- {file}");
    }
    assert!(
        files.len() > 100,
        "the sample folder looks incomplete: {}",
        dir.display()
    );
    assert!(
        over_budget.is_empty(),
        "high or critical alerts on samples without exfiltration tooling: {over_budget:#?}"
    );
}
