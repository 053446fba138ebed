//! The playbook on labelled cases: decision, stage and the five answers.

use model::{AnswerValue, Decision, Incident, Stage};
use triage::testkit::{self, BACKUP_DOMAIN, DROP_DOMAIN, DROP_IP};

fn answers(incident: &Incident) -> Vec<AnswerValue> {
    incident.triage.answers.iter().map(|a| a.answer).collect()
}

fn all_text(incident: &Incident) -> String {
    let t = &incident.triage;
    [&t.reasons, &t.l1_steps, &t.t2_actions, &t.containment]
        .iter()
        .flat_map(|v| v.iter())
        .cloned()
        .chain(t.answers.iter().map(|a| a.evidence.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn overnight_rclone_exfiltration_is_one_escalated_incident() {
    let (signals, observations, config) = testkit::exfiltration_case();
    let incidents = triage::incidents(&signals, &observations, &config).unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let incident = &incidents[0];
    assert_eq!(incident.stage, Stage::Exfiltration);
    assert_eq!(incident.triage.decision, Decision::Escalate);
    use AnswerValue::*;
    assert_eq!(
        answers(incident),
        vec![Yes, No, Yes, Yes, Yes],
        "{:#?}",
        incident.triage.answers
    );
    assert_eq!(incident.alerts.len(), signals.len());
    assert_eq!(incident.host_name.as_deref(), Some("WS1"));
    assert_eq!(incident.user_name.as_deref(), Some("alice"));
    assert!(incident.score >= 90, "{}", incident.score);
    let dest = &incident.destinations[0];
    assert_eq!(dest.domain.as_deref(), Some(DROP_DOMAIN));
    assert_eq!(dest.ip.map(|i| i.to_string()).as_deref(), Some(DROP_IP));
    assert_eq!(dest.bytes_out, 2_400_000_000);
    assert_eq!(dest.transfers, 7);
    let text = all_text(incident);
    // Reasons follow the playbook's criteria.
    let reasons = incident.triage.reasons.join("\n");
    for needle in [
        "Outbound volume exceeded normal",
        "is new",
        "outside business hours",
        "Automation suggesting malicious intent",
    ] {
        assert!(reasons.contains(needle), "missing {needle:?} in {reasons}");
    }
    // T2: lateral spread, packet capture, user questions.
    assert!(text.contains("ws7"), "{text}");
    assert!(text.contains("captures/edge-2026-11-24.pcap"), "{text}");
    assert!(text.contains("Ask alice"), "{text}");
    // Containment made concrete.
    assert!(text.contains(&format!("remoteip={DROP_IP}")), "{text}");
    assert!(
        text.contains(&format!(
            "iptables -I FORWARD -s 10.1.2.3 -d {DROP_IP} -j DROP"
        )),
        "{text}"
    );
    assert!(
        text.contains("schtasks /Delete /TN \"OneDrive Sync Helper\" /F"),
        "{text}"
    );
    assert!(text.contains("Isolate host WS1 (10.1.2.3)"), "{text}");
    assert!(text.contains("rclone.conf"), "{text}");
}

#[test]
fn nightly_allow_listed_backup_is_benign_with_its_reason() {
    let (signals, observations, config) = testkit::backup_case();
    let incidents = triage::incidents(&signals, &observations, &config).unwrap();
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(
        incident.triage.decision,
        Decision::Benign,
        "{:#?}",
        incident.triage
    );
    let reasons = incident.triage.reasons.join("\n");
    assert!(reasons.contains("nightly offsite backup"), "{reasons}");
    assert!(reasons.contains(BACKUP_DOMAIN), "{reasons}");
    assert!(
        reasons.contains("previous day(s) with similar volume"),
        "{reasons}"
    );
    assert_eq!(incident.triage.answers[1].answer, AnswerValue::Yes);
    // Allow-listed off-hours activity of the usual service user is no user anomaly.
    assert_eq!(
        incident.triage.answers[4].answer,
        AnswerValue::No,
        "{:#?}",
        incident.triage.answers[4]
    );
    assert!(incident.triage.answers[4].evidence.contains("allow-listed"));
    assert!(incident.score < 40, "{}", incident.score);
}

#[test]
fn backup_far_above_its_history_escalates_despite_the_allow_list() {
    let (mut signals, observations, config) = testkit::backup_case();
    for s in &mut signals {
        if s.detector == "volume" {
            s.bytes_out = Some(400_000_000_000);
        }
    }
    let incidents = triage::incidents(&signals, &observations, &config).unwrap();
    assert_eq!(incidents[0].triage.decision, Decision::Escalate);
    assert!(incidents[0].triage.reasons[0].contains("the allow-list reason does not cover it"));
}

#[test]
fn flow_only_host_gets_unknown_automation_naming_the_missing_telemetry() {
    let (signals, observations, config) = testkit::flows_only_case();
    let incidents = triage::incidents(&signals, &observations, &config).unwrap();
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    let q4 = &incident.triage.answers[3];
    assert_eq!(q4.answer, AnswerValue::Unknown);
    assert!(
        q4.evidence
            .to_lowercase()
            .contains("no process-execution telemetry (sysmon 1 / security 4688")
            && q4.evidence.contains("10.1.9.9"),
        "{}",
        q4.evidence
    );
    // Unknown never rules out: the incident escalates.
    assert_eq!(incident.triage.decision, Decision::Escalate);
    assert_eq!(incident.triage.answers[4].answer, AnswerValue::Unknown);
}

#[test]
fn same_incidents_whatever_the_signal_order() {
    let (mut signals, observations, config) = testkit::exfiltration_case();
    let (backup, _, _) = testkit::backup_case();
    signals.extend(backup);
    let forward = triage::incidents(&signals, &observations, &config).unwrap();
    signals.reverse();
    signals.swap(1, 4);
    let shuffled = triage::incidents(&signals, &observations, &config).unwrap();
    let json = |v: &[Incident]| {
        v.iter()
            .map(|i| serde_json::to_string(i).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(json(&forward), json(&shuffled));
}

#[test]
fn staging_without_a_transfer_is_benign_only_when_flows_watched_the_host() {
    let (signals, observations, mut config) = testkit::exfiltration_case();
    let mut archive = signals[0].clone();
    archive.score = 30;
    // Two days before the exfiltration night: ordinary traffic only.
    archive.timestamp = archive.timestamp.plus_secs(-2 * 86_400);
    archive.assign_id();
    // By default a weak finding alone stays an alert and opens no incident...
    let default_gate =
        triage::incidents(std::slice::from_ref(&archive), &observations, &config).unwrap();
    assert!(default_gate.is_empty(), "{default_gate:#?}");
    // ...and when the user asks for incidents from every finding, it is triaged.
    config
        .triage
        .insert("min_signal_score".into(), toml::Value::Integer(0));
    let watched =
        triage::incidents(std::slice::from_ref(&archive), &observations, &config).unwrap();
    assert_eq!(
        watched[0].triage.decision,
        Decision::Benign,
        "{:#?}",
        watched[0].triage
    );
    assert!(watched[0].triage.reasons[0].starts_with("No transfer followed"));
    let blind = correlate::Observer::new(model::Networks::default()).finish();
    let unwatched = triage::incidents(&[archive], &blind, &config).unwrap();
    assert_eq!(unwatched[0].triage.decision, Decision::Escalate);
    assert!(
        unwatched[0]
            .triage
            .reasons
            .iter()
            .any(|r| r.contains("no flow telemetry with byte counts")),
        "{:#?}",
        unwatched[0].triage.reasons
    );
}

#[test]
fn a_burst_in_the_flows_answers_question_one_without_a_volume_analytic() {
    let (signals, observations, config) = testkit::exfiltration_case();
    let without_volume: Vec<_> = signals
        .into_iter()
        .filter(|s| s.detector == "sigma")
        .collect();
    let incidents = triage::incidents(&without_volume, &observations, &config).unwrap();
    let incident = &incidents[0];
    let q1 = &incident.triage.answers[0];
    assert_eq!(q1.answer, AnswerValue::Yes, "{}", q1.evidence);
    assert!(
        q1.evidence.contains("Flow records show a burst"),
        "{}",
        q1.evidence
    );
    assert!(
        incident
            .triage
            .reasons
            .iter()
            .any(|r| r.contains("flow records show a burst")),
        "{:#?}",
        incident.triage.reasons
    );
    // The sigma alerts name no destination: the answer points at the flows' top destinations.
    let q2 = &incident.triage.answers[1];
    assert_eq!(q2.answer, AnswerValue::Unknown);
    assert!(q2.evidence.contains(DROP_DOMAIN), "{}", q2.evidence);
}

#[test]
fn recent_scheduled_task_answers_question_four_and_is_removed() {
    let (signals, mut observations, config) = testkit::flows_only_case();
    let facts = observations.host_facts_mut(None, Some("10.1.9.9".parse().unwrap()));
    facts.add_telemetry(correlate::Telemetry::ScheduledTasks, 1);
    facts.add_persistence(correlate::PersistenceRecord {
        time: signals[0].timestamp.plus_secs(-3600 * 9),
        kind: correlate::PersistenceKind::TaskRegistered,
        detail: "\\Microsoft\\Windows\\EdgeUpdate\\Core".into(),
        user: Some("carla".into()),
        file: Some("security.evtx".into()),
        offset: Some(208),
    });
    let incidents = triage::incidents(&signals, &observations, &config).unwrap();
    let incident = &incidents[0];
    let q4 = &incident.triage.answers[3];
    assert_eq!(q4.answer, AnswerValue::Yes, "{}", q4.evidence);
    assert!(
        q4.evidence.contains("EdgeUpdate") && q4.evidence.contains("carla"),
        "{}",
        q4.evidence
    );
    let containment = incident.triage.containment.join("\n");
    assert!(
        containment.contains("schtasks /Delete /TN \"\\Microsoft\\Windows\\EdgeUpdate\\Core\" /F"),
        "{containment}"
    );
    assert!(
        incident
            .triage
            .t2_actions
            .iter()
            .any(|a| a.starts_with("Ask carla")),
        "{:#?}",
        incident.triage.t2_actions
    );
}

#[test]
fn a_destination_the_host_uses_every_day_is_known_from_its_history() {
    let (mut signals, observations, _) = testkit::backup_case();
    // The same nightly transfers, but nobody allow-listed them.
    let config = model::Config::default();
    for s in &mut signals {
        s.allowed = None;
        let raw = s.evidence["score_raw"].as_u64().unwrap() as u8;
        s.set_score(raw);
    }
    let incidents = triage::incidents(&signals, &observations, &config).unwrap();
    let q2 = &incidents[0].triage.answers[1];
    assert_eq!(q2.answer, AnswerValue::Yes, "{q2:#?}");
    assert!(q2.evidence.contains("own history"), "{}", q2.evidence);
    assert!(
        incidents[0]
            .triage
            .reasons
            .iter()
            .all(|r| !r.contains("unrecognised")),
        "{:#?}",
        incidents[0].triage.reasons
    );
    // Without the history the same destination is unrecognised.
    let blind = correlate::Observer::new(model::Networks::default()).finish();
    let incidents = triage::incidents(&signals, &blind, &config).unwrap();
    assert_eq!(incidents[0].triage.answers[1].answer, AnswerValue::No);
}

#[test]
fn a_destination_many_hosts_use_is_known_but_never_explains_the_volume() {
    let (signals, _, config) = testkit::exfiltration_case();
    // The same findings without the novelty one (a new destination stays new).
    let signals: Vec<_> = signals
        .into_iter()
        .filter(|s| s.detector != "novelty")
        .collect();
    let observations = peers_sending_to(DROP_IP.parse().unwrap(), testkit::NIGHT - 86_400, 6);
    let incidents = triage::incidents(&signals, &observations, &config).unwrap();
    let incident = &incidents[0];
    // Still escalated: the volume and automation findings stay unexplained.
    assert_eq!(incident.triage.decision, Decision::Escalate);
    let q2 = &incident.triage.answers[1];
    assert!(
        q2.evidence.contains("organisation-wide service"),
        "{}",
        q2.evidence
    );
    // No block line for a service the whole organisation uses.
    assert!(
        incident
            .triage
            .containment
            .iter()
            .all(|line| !line.contains(&format!("-d {DROP_IP}"))),
        "{:#?}",
        incident.triage.containment
    );
}

/// A workstation's mail client polls the organisation's mail service every 14
/// minutes: the cadence detector, early in the data, could not yet know that
/// every host does the same. The whole run's view (six other hosts send there)
/// explains it: benign, with the routine-polling reason, and no block line.
#[test]
fn cadence_to_an_organisation_wide_service_is_routine_polling() {
    let mail_ip: std::net::IpAddr = "198.18.10.25".parse().unwrap();
    let when = testkit::NIGHT - 12 * 3600;
    let mut signal = model::Signal {
        detector: "cadence".into(),
        rule_id: "exfilguard.cadence.periodic".into(),
        rule_name: "Transfers every 14m (regularity 0.84), 48.6 KB out each on average".into(),
        timestamp: model::Timestamp::from_secs(when),
        host_name: Some("ws060.corp.example".into()),
        host_ip: Some("10.1.0.60".parse().unwrap()),
        destination_ip: Some(mail_ip),
        destination_port: Some(443),
        stage: Stage::Exfiltration,
        techniques: vec!["T1020".into(), "T1029".into()],
        ..Default::default()
    };
    signal.set_score(67);
    let observations = peers_sending_to(mail_ip, when - 600, 7);
    let config = model::Config::default();
    let incidents = triage::incidents(&[signal.clone()], &observations, &config).unwrap();
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(
        incident.triage.decision,
        Decision::Benign,
        "{:#?}",
        incident.triage.reasons
    );
    assert!(
        incident
            .triage
            .reasons
            .iter()
            .any(|r| r.starts_with("Routine polling")),
        "{:#?}",
        incident.triage.reasons
    );
    // Without the other hosts, the same cadence is unexplained and escalates.
    let blind = correlate::Observer::new(model::Networks::default()).finish();
    let incidents = triage::incidents(&[signal], &blind, &config).unwrap();
    assert_eq!(incidents[0].triage.decision, Decision::Escalate);
}

/// Observations in which `hosts` other hosts (peer0, peer1...) each sent one
/// flow to `destination` at `at`.
fn peers_sending_to(destination: std::net::IpAddr, at: i64, hosts: u8) -> correlate::Observations {
    let mut observer = correlate::Observer::new(model::Networks::default());
    for n in 0..hosts {
        let mut event = model::Event {
            timestamp: model::Timestamp::from_secs(at),
            kind: model::EventKind::Network,
            host_name: Some(format!("peer{n}")),
            ..Default::default()
        };
        let net = event.network_mut();
        net.source_ip = Some(std::net::IpAddr::from([10, 9, 0, 10 + n]));
        net.destination_ip = Some(destination);
        net.destination_port = Some(443);
        net.source_bytes = Some(10_000);
        observer.observe(&event);
    }
    observer.finish()
}
