//! Which findings open an incident: weak ones alone stay alerts.

use correlate::{Observer, correlate};
use model::{Config, Networks, Signal, Stage, Timestamp};

fn signal(rule: &str, score: u8, at_s: i64) -> Signal {
    let mut s = Signal {
        detector: "cadence".into(),
        rule_id: rule.into(),
        rule_name: rule.into(),
        timestamp: Timestamp::from_secs(at_s),
        host_name: Some("ws1".into()),
        stage: Stage::Exfiltration,
        ..Default::default()
    };
    s.set_score(score);
    s.assign_id();
    s
}

#[test]
fn weak_signals_alone_open_no_incident_but_join_a_strong_one() {
    let observations = Observer::new(Networks::default()).finish();
    let config = Config::default();
    let weak = signal("weak", 30, 1_000);
    assert!(correlate(std::slice::from_ref(&weak), &observations, &config).is_empty());

    let strong = signal("strong", 55, 2_000);
    let signals = [weak.clone(), strong];
    let drafts = correlate(&signals, &observations, &config);
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        drafts[0].alert_ids().len(),
        2,
        "the weak finding joins the timeline"
    );
}

#[test]
fn an_allow_listed_signal_opens_with_its_score_before_the_allow_list() {
    let observations = Observer::new(Networks::default()).finish();
    let mut backup = signal("backup", 15, 1_000);
    backup.allowed = Some("nightly offsite backup".into());
    backup.evidence.insert("score_raw".into(), 70.into());
    let signals = [backup];
    let drafts = correlate(&signals, &observations, &Config::default());
    assert_eq!(
        drafts.len(),
        1,
        "expected transfers show as benign incidents with their reason"
    );
}
