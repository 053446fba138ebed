//! Choosing rules from the command line, as a user does: `rules list` and
//! `hunt` with `--min-level`, `--exclude-rule`, `--include-tag`, and a bad
//! level as a usage error.

mod common;

use common::{exfilguard, hunt_examples};
use std::collections::BTreeSet;
use std::process::Output;

/// The JSON lines of `output`'s stdout.
fn records(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// The built-in pack's rules as `rules list` prints them, with `flags`.
fn listed(flags: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["rules", "list", "--format", "jsonl"];
    args.extend_from_slice(flags);
    let output = exfilguard(&args);
    assert!(output.status.success(), "{output:?}");
    records(&output)
}

fn ids(rules: &[serde_json::Value]) -> BTreeSet<String> {
    rules
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn rules_list_applies_the_selection() {
    let all = listed(&[]);
    let high = listed(&["--min-level", "high"]);
    assert!(!high.is_empty() && high.len() < all.len(), "{}", high.len());
    // Every rule listed is high or critical, or kept quietly (read by a
    // correlation that is), and says so.
    let quiet = |r: &serde_json::Value| r["quiet"] == true;
    for rule in &high {
        let level = rule["level"].as_str();
        assert!(
            matches!(level, Some("high" | "critical")) || quiet(rule),
            "{rule}"
        );
    }
    assert!(
        high.iter().any(quiet),
        "the pack's correlations read lower rules"
    );
    // Without a selection, the quiet rules are the pack's building blocks:
    // detections its correlations read without `generate: true`.
    assert!(all.iter().any(quiet));
    for rule in all.iter().filter(|r| quiet(r)) {
        assert_eq!(rule["kind"], "detection", "{rule}");
    }

    let first = all[0]["id"].as_str().unwrap().to_owned();
    let without_first = ids(&listed(&["--exclude-rule", &first]));
    assert!(!without_first.contains(&first));
    assert!(without_first.len() >= all.len() - 2);

    let tagged = listed(&["--include-tag", "ATTACK.T1020"]);
    assert!(!tagged.is_empty());
    for rule in &tagged {
        let tags = rule["tags"].as_array().unwrap();
        let carries = tags.iter().any(|t| t == "attack.t1020");
        assert!(carries || quiet(rule), "{rule}");
    }
}

#[test]
fn hunt_with_a_minimum_level_raises_only_those_rules_alerts_and_says_what_it_left_out() {
    let hunt = hunt_examples;
    let sigma_rules = |output: &Output| -> Vec<String> {
        records(output)
            .iter()
            .filter(|r| r["kind"] == "alert" && r["detector"] == "sigma")
            .map(|r| r["rule.id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = hunt(&[]);
    let high = hunt(&["--min-level", "high"]);
    let (all_rules, high_rules) = (sigma_rules(&all), sigma_rules(&high));
    assert!(high_rules.len() < all_rules.len());
    assert!(!high_rules.is_empty());
    let high_or_critical: BTreeSet<String> = listed(&[])
        .iter()
        .filter(|r| matches!(r["level"].as_str(), Some("high" | "critical")))
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    for rule in &high_rules {
        assert!(high_or_critical.contains(rule), "{rule} is below high");
    }
    // The alerts of the analytics are not rules: the same in both runs.
    let analytics = |output: &Output| {
        records(output)
            .iter()
            .filter(|r| r["kind"] == "alert" && r["detector"] != "sigma")
            .count()
    };
    assert_eq!(analytics(&all), analytics(&high));
    let stderr = String::from_utf8_lossy(&high.stderr);
    assert!(
        stderr.contains("rule selection left out") && stderr.contains("below the minimum level"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&all.stderr).contains("rule selection"),
        "no note when every rule is used"
    );
}

#[test]
fn a_level_that_is_not_one_is_a_usage_error() {
    let output = exfilguard(&["rules", "list", "--min-level", "severe"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("expected informational, low, medium, high or critical"),
        "{stderr}"
    );
}
