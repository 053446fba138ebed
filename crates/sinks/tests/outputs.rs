//! The outputs on the labelled cases: contract keys, determinism, readability.

use model::{Incident, Signal};
use sinks::{JsonlSink, TableSink, write_run};

fn run() -> (Vec<Incident>, Vec<Signal>) {
    let mut incidents = Vec::new();
    let mut alerts = Vec::new();
    for (signals, observations, config) in [
        triage::testkit::exfiltration_case(),
        triage::testkit::backup_case(),
        triage::testkit::flows_only_case(),
    ] {
        incidents.extend(triage::incidents(&signals, &observations, &config).unwrap());
        alerts.extend(signals);
    }
    (incidents, alerts)
}

fn jsonl(incidents: &[Incident], alerts: &[Signal]) -> String {
    let mut sink = JsonlSink::new(Vec::new(), "memory");
    write_run(&mut sink, incidents, alerts, None).unwrap();
    String::from_utf8(sink.into_inner()).unwrap()
}

#[test]
fn jsonl_follows_the_contract() {
    let (incidents, alerts) = run();
    let text = jsonl(&incidents, &alerts);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), incidents.len() + alerts.len());
    let first = &lines[0];
    assert_eq!(first["kind"], "incident");
    for key in [
        "id",
        "first_seen",
        "last_seen",
        "host.name",
        "host.ip",
        "user.name",
        "destinations",
        "detectors",
        "score",
        "stage",
        "triage.decision",
        "triage.reasons",
        "triage.answers",
        "alerts",
    ] {
        assert!(first.get(key).is_some(), "incident lacks {key}: {first}");
    }
    assert_eq!(first["triage.decision"], "escalate");
    assert_eq!(first["triage.answers"].as_array().unwrap().len(), 5);
    for key in ["question", "answer", "evidence"] {
        assert!(first["triage.answers"][0].get(key).is_some());
    }
    for key in ["ip", "domain", "port", "bytes_out", "transfers"] {
        assert!(
            first["destinations"][0].get(key).is_some(),
            "destination lacks {key}"
        );
    }
    let alert = lines.iter().find(|l| l["kind"] == "alert").unwrap();
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
        assert!(alert.get(key).is_some(), "alert lacks {key}: {alert}");
    }
    // Incidents come first, by score; alerts after, by time.
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    let last_incident = kinds.iter().rposition(|k| *k == "incident").unwrap();
    assert!(kinds[..=last_incident].iter().all(|k| *k == "incident"));
}

#[test]
fn jsonl_is_byte_identical_whatever_the_input_order() {
    let (incidents, alerts) = run();
    let once = jsonl(&incidents, &alerts);
    assert_eq!(once, jsonl(&incidents, &alerts));
    // Shuffle the signals before correlation, and the files' order.
    let mut shuffled_incidents = Vec::new();
    let mut shuffled_alerts = Vec::new();
    for (mut signals, observations, config) in [
        triage::testkit::flows_only_case(),
        triage::testkit::backup_case(),
        triage::testkit::exfiltration_case(),
    ] {
        signals.reverse();
        signals.rotate_left(1);
        shuffled_incidents.extend(triage::incidents(&signals, &observations, &config).unwrap());
        shuffled_alerts.extend(signals);
    }
    shuffled_incidents.reverse();
    assert_eq!(once, jsonl(&shuffled_incidents, &shuffled_alerts));
}

#[test]
fn table_puts_incidents_first_one_screen_each_and_colours_only_when_asked() {
    let (incidents, alerts) = run();
    let mut sink = TableSink::new(Vec::new(), false);
    write_run(&mut sink, &incidents, &alerts, None).unwrap();
    let text = String::from_utf8(sink.into_inner()).unwrap();
    assert!(!text.contains('\x1b'));
    let first_incident = text.find("INCIDENT 1/3").unwrap();
    let alert_header = text.find("time (UTC)").unwrap();
    assert!(first_incident < alert_header);
    assert!(text.contains("ESCALATE TO TIER 2"));
    assert!(text.contains("BENIGN"));
    assert!(text.contains("upload.drop-zone.example"));
    assert!(text.contains("2.4 GB"));
    assert!(text.contains("UNKNOWN"));
    // A benign incident's next steps say once that none is needed.
    let benign = text
        .split("INCIDENT ")
        .find(|block| block.contains("BENIGN"))
        .unwrap();
    let steps = benign.split("Next steps\n").nth(1).unwrap();
    let steps: Vec<&str> = steps
        .lines()
        .take_while(|line| line.starts_with("  "))
        .collect();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(steps[0].contains("closed as benign"), "{steps:?}");
    // One screen each: every incident block stays under 60 lines and 100 columns.
    for block in text.split("INCIDENT ").skip(1) {
        let block = block.split("\n\n").next().unwrap();
        assert!(
            block.lines().count() <= 60,
            "{} lines:\n{block}",
            block.lines().count()
        );
        for line in block.lines() {
            assert!(line.chars().count() <= 100, "too wide: {line}");
        }
    }
    let mut coloured = TableSink::new(Vec::new(), true);
    write_run(&mut coloured, &incidents, &alerts, None).unwrap();
    assert!(
        String::from_utf8(coloured.into_inner())
            .unwrap()
            .contains("\x1b[1;31m")
    );
}

#[test]
fn csv_has_one_row_per_alert_with_the_header() {
    let (incidents, alerts) = run();
    let mut sink = sinks::CsvSink::new(Vec::new());
    write_run(&mut sink, &incidents, &alerts, None).unwrap();
    let text = String::from_utf8(sink.into_inner()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), alerts.len() + 1);
    assert!(lines[0].starts_with("id,@timestamp,detector,rule.id,rule.name,score"));
    assert!(text.contains("nightly offsite backup"));
    assert!(text.contains("T1020;T1030"));
}

#[test]
fn case_files_one_per_incident_with_checklists() {
    let (incidents, alerts) = run();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cases");
    let _ = std::fs::remove_dir_all(&dir);
    let mut sink = sinks::CaseFilesSink::new(&dir);
    write_run(&mut sink, &incidents, &alerts, None).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), incidents.len());
    let exfil = incidents.iter().find(|i| i.score == 100).unwrap();
    let text = std::fs::read_to_string(dir.join(format!("{}.md", exfil.id))).unwrap();
    assert!(
        text.starts_with("# [ESCALATE to Tier 2] WS1 (10.1.2.3): exfiltration stage, score 100"),
        "{text}"
    );
    assert!(text.contains("## Playbook questions"));
    assert!(text.contains("| 4 | Have scripts or automation tools"));
    assert!(text.contains("- [ ] Remove the scheduled task"));
    assert!(text.contains("`logs/volume.jsonl@"));
    // Markdown tables survive pipes in the data.
    assert_eq!(text.lines().filter(|l| l.starts_with("| 1 |")).count(), 1);
}

#[test]
fn navigator_layer_scores_techniques_by_incidents() {
    let (incidents, _) = run();
    let layer = sinks::navigator_layer(&incidents);
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["domain"], "enterprise-attack");
    let techniques = layer["techniques"].as_array().unwrap();
    let t1020 = techniques
        .iter()
        .find(|t| t["techniqueID"] == "T1020")
        .unwrap();
    assert_eq!(t1020["score"], 3);
    assert!(t1020["comment"].as_str().unwrap().contains("2 escalated"));
    // The parent of a sub-technique is listed so the sub-technique shows.
    let t1053 = techniques
        .iter()
        .find(|t| t["techniqueID"] == "T1053")
        .unwrap();
    assert_eq!(t1053["showSubtechniques"], true);
    let ids: Vec<&str> = techniques
        .iter()
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}
