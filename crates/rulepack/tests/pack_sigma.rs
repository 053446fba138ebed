//! The pack through the real engine: every rule loads with the `sigma` crate without a
//! problem, and the test events in `rules/tests/` (read with the `sources` JSON
//! reader, as a user's export would be) fire exactly what they should.
//!
//! * Alone: each rule is loaded on its own (a correlation with the rules it refers
//!   to); its positive events must raise exactly that rule, its negative events must
//!   not raise it.
//! * In the pack: with every rule loaded, each positive still raises its rule (nothing
//!   in the pack masks it), except the building blocks that a `generate: false`
//!   correlation keeps silent; those must stay silent.

use model::{Detector, Event, Signal, Stage};
use rulepack::{BuiltinRule, builtin};
use sigma::{RuleSet, RuleSetBuilder, SigmaOptions};
use sources::SourceContext;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The repository root (two levels above this crate).
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The file stem of a rule path (`rules/a/b/x.yml` -> `x`).
fn stem(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".yml").unwrap_or(file)
}

/// The value of a top-level `key: value` line of a rule.
fn top_level<'a>(yaml: &'a str, key: &str) -> &'a str {
    let prefix = format!("{key}:");
    yaml.lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()))
        .map(|v| v.trim().trim_matches('\''))
        .unwrap_or("")
}

/// The rule names a correlation lists under `rules:` (empty for detection rules).
fn referenced_names(rule: &BuiltinRule) -> Vec<&'static str> {
    let Some(block) = rule.yaml.split("\n  rules:\n").nth(1) else {
        return Vec::new();
    };
    block
        .lines()
        .take_while(|line| line.starts_with("    - "))
        .map(|line| line.trim_start_matches("    - ").trim())
        .collect()
}

/// Names of rules that a `generate: false` correlation keeps from alerting alone.
fn silent_building_blocks() -> BTreeSet<&'static str> {
    builtin()
        .iter()
        .filter(|r| r.yaml.contains("\n  generate: false"))
        .flat_map(referenced_names)
        .collect()
}

/// Loads `rules` into one rule set, failing the test on any lint error or problem.
fn load(rules: &[&BuiltinRule]) -> RuleSet {
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).expect("default options");
    for rule in rules {
        let rows = builder.add_yaml(rule.yaml, rule.path);
        assert!(!rows.is_empty(), "{}: no document loaded", rule.path);
        for row in rows {
            assert!(row.is_ok(), "{}: {:?}", rule.path, row.error);
        }
    }
    let set = builder.build();
    assert!(set.problems().is_empty(), "{:#?}", set.problems());
    set
}

/// Reads a test-event file with the `sources` reader; every line must be an event.
fn read_events(path: &Path) -> Vec<Event> {
    // The VIP mailboxes the VIP rules' test events name (make_cloud_events.py).
    let mut config = model::Config::default();
    config.organisation.vip = vec!["md@corp.example".into(), "gc@corp.example".into()];
    let ctx = SourceContext::from_config(std::sync::Arc::new(config));
    let (_, source) =
        sources::open_path(path, &ctx).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    source
        .map(|record| record.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// Runs `events` in order through a fresh detector of `set`; the rule ids raised.
fn fired(set: &RuleSet, events: &[Event]) -> BTreeSet<String> {
    signals(set, events)
        .into_iter()
        .map(|s| s.rule_id.to_string())
        .collect()
}

/// Runs `events` in order through a fresh detector of `set`; the signals raised.
fn signals(set: &RuleSet, events: &[Event]) -> Vec<Signal> {
    let mut detector = set.detector();
    let mut out: Vec<Signal> = Vec::new();
    for event in events {
        detector.observe(event, &mut out);
        detector.advance(event.timestamp, &mut out);
    }
    detector.finish(&mut out);
    out
}

/// The positive or negative events of a rule, one sequence per file.
fn test_events(rule: &BuiltinRule, polarity: &str) -> Vec<Event> {
    let path = repo_root().join(format!("rules/tests/{}.{polarity}.jsonl", stem(rule.path)));
    let events = read_events(&path);
    assert!(!events.is_empty(), "{}: no events", path.display());
    events
}

/// A rule together with the rules it refers to (for correlations).
fn with_references(rule: &'static BuiltinRule) -> Vec<&'static BuiltinRule> {
    let names = referenced_names(rule);
    let mut rules = vec![rule];
    rules.extend(
        builtin()
            .iter()
            .filter(|r| names.contains(&top_level(r.yaml, "name"))),
    );
    rules
}

/// Positive and negative sets are single events for detection rules (each must stand
/// alone) and one time-ordered sequence for correlations.
fn cases(rule: &BuiltinRule, polarity: &str) -> Vec<Vec<Event>> {
    let events = test_events(rule, polarity);
    if rule.yaml.contains("\ncorrelation:") {
        vec![events]
    } else {
        events.into_iter().map(|e| vec![e]).collect()
    }
}

#[test]
fn the_whole_pack_loads_without_a_problem() {
    let all: Vec<&BuiltinRule> = builtin().iter().collect();
    let set = load(&all);
    assert_eq!(set.rules().len(), builtin().len(), "one rule per file");
}

#[test]
fn each_rule_alone_fires_on_its_positives_and_not_on_its_negatives() {
    let mut failures = Vec::new();
    for rule in builtin() {
        let id = top_level(rule.yaml, "id").to_string();
        let loaded = with_references(rule);
        let set = load(&loaded);
        // A correlation that generates lets its base rules alert beside it.
        let allowed: BTreeSet<String> = if rule.yaml.contains("\n  generate: true") {
            loaded
                .iter()
                .map(|r| top_level(r.yaml, "id").to_string())
                .collect()
        } else {
            BTreeSet::from([id.clone()])
        };
        for (n, case) in cases(rule, "pos").iter().enumerate() {
            let got = fired(&set, case);
            if !got.contains(&id) || !got.is_subset(&allowed) {
                failures.push(format!("{} positive #{n}: fired {got:?}", rule.path));
            }
        }
        for (n, case) in cases(rule, "neg").iter().enumerate() {
            if fired(&set, case).contains(&id) {
                failures.push(format!("{} negative #{n}: fired", rule.path));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn in_the_full_pack_positives_still_fire_and_building_blocks_stay_silent() {
    let all: Vec<&BuiltinRule> = builtin().iter().collect();
    let set = load(&all);
    let silent = silent_building_blocks();
    assert!(
        !silent.is_empty(),
        "the archive-then-transfer correlations use building blocks"
    );
    let mut failures = Vec::new();
    for rule in builtin() {
        let id = top_level(rule.yaml, "id").to_string();
        let building_block = silent.contains(top_level(rule.yaml, "name"));
        for (n, case) in cases(rule, "pos").iter().enumerate() {
            let got = fired(&set, case);
            if building_block == got.contains(&id) {
                failures.push(format!(
                    "{} positive #{n} in the pack: fired {got:?} (building block: {building_block})",
                    rule.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Endpoint rules that prepare data (archives, staging folders): the staging stage.
const STAGING_RULES: &[&str] = &[
    "proc_archive_utility_create",
    "proc_archiver_password_or_split",
    "ps_compress_archive_staging",
    "file_archive_in_staging_folder",
    "file_split_archive_volume",
    "lnx_archive_utility_create",
    "lnx_archive_encrypt_or_split",
];

/// Endpoint rules that set up repeated execution without moving data themselves.
const AUTOMATION_RULES: &[&str] = &[
    "proc_schtasks_create_transfer_action",
    "proc_at_job_transfer",
    "ps_register_scheduled_task_transfer",
    "lnx_cron_entry_with_transfer_tool",
    "lnx_systemd_run_timer_transfer",
];

/// The tags decide the chain stage of an alert; this pins the stage of every endpoint
/// and correlation rule so that a tag edit cannot silently move a rule to another stage
/// (a scheduled-task rule claiming that data already left, for example).
#[test]
fn each_endpoint_rule_reports_its_chain_stage() {
    let mut failures = Vec::new();
    for rule in builtin()
        .iter()
        .filter(|r| !r.path.starts_with("rules/cloud/"))
    {
        let name = stem(rule.path);
        let expected = if STAGING_RULES.contains(&name) {
            Stage::Staging
        } else if AUTOMATION_RULES.contains(&name) {
            Stage::Automation
        } else {
            Stage::Exfiltration
        };
        let id = top_level(rule.yaml, "id");
        let set = load(&with_references(rule));
        let mut seen = 0;
        for case in cases(rule, "pos") {
            for signal in signals(&set, &case).iter().filter(|s| s.rule_id == id) {
                seen += 1;
                if signal.stage != expected {
                    failures.push(format!(
                        "{}: {:?}, expected {expected:?}",
                        rule.path, signal.stage
                    ));
                }
            }
        }
        if seen == 0 {
            failures.push(format!("{}: no alert to read the stage from", rule.path));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
