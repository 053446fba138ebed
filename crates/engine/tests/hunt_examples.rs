//! The whole pipeline on the bundled examples: contract keys, escalations, and the
//! same output whatever the order the inputs are given in.

use engine::{HuntOptions, hunt};
use model::Config;
use std::path::PathBuf;
use std::sync::Arc;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn options() -> HuntOptions {
    let config = Config::load(&examples().join("exfilguard.toml")).expect("examples config");
    HuntOptions {
        config: Arc::new(config),
        ..HuntOptions::default()
    }
}

fn jsonl(paths: &[PathBuf], threads: usize) -> Vec<String> {
    let mut options = options();
    options.threads = threads;
    let outcome = hunt(paths, &options, &mut |_| {}).expect("hunt runs");
    let mut lines: Vec<String> = outcome
        .incidents
        .iter()
        .map(|i| serde_json::to_string(i).unwrap())
        .collect();
    lines.extend(
        outcome
            .alerts
            .iter()
            .map(|a| serde_json::to_string(a).unwrap()),
    );
    lines
}

#[test]
fn examples_give_escalated_incidents_with_the_contract_keys() {
    let lines = jsonl(&[examples()], 0);
    let records: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let incidents: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["kind"] == "incident").collect();
    assert!(
        incidents.iter().any(|i| i["triage.decision"] == "escalate"),
        "no escalated incident"
    );
    for incident in &incidents {
        for key in [
            "id",
            "first_seen",
            "last_seen",
            "destinations",
            "detectors",
            "score",
            "stage",
            "triage.decision",
            "triage.reasons",
            "triage.answers",
            "alerts",
        ] {
            assert!(
                incident.get(key).is_some(),
                "incident without {key}: {incident}"
            );
        }
        assert_eq!(incident["triage.answers"].as_array().unwrap().len(), 5);
    }
    let alert = records
        .iter()
        .find(|r| r["kind"] == "alert")
        .expect("alerts");
    for key in [
        "id",
        "@timestamp",
        "detector",
        "rule.id",
        "rule.name",
        "score",
        "severity",
        "threat.technique.id",
        "evidence",
    ] {
        assert!(alert.get(key).is_some(), "alert without {key}: {alert}");
    }
}

#[test]
fn same_output_whatever_the_input_order_and_thread_count() {
    let dir = examples();
    let forward = jsonl(
        &[dir.join("zeek"), dir.join("endpoint"), dir.join("flows")],
        0,
    );
    let backward = jsonl(
        &[dir.join("flows"), dir.join("endpoint"), dir.join("zeek")],
        1,
    );
    assert!(!forward.is_empty());
    assert_eq!(forward, backward);
}
