//! A rule selection changes only which Sigma alerts are raised: on the
//! bundled examples, the alerts of a run with a selection are exactly the
//! alerts of the full run whose rules the selection uses (quiet rules, kept
//! for a correlation, excepted), byte for byte.

use engine::{HuntOptions, hunt, load_rules};
use model::{Config, Severity};
use sigma::RuleSelection;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Sigma only: the analytics read Sigma's alerts, which would tie the two
/// runs' other alerts to the selection too.
fn options(selection: RuleSelection) -> HuntOptions {
    let config = Config::load(&examples().join("exfilguard.toml")).expect("examples config");
    HuntOptions {
        config: Arc::new(config),
        no_analytics: true,
        selection,
        ..HuntOptions::default()
    }
}

/// Every alert of a hunt of the examples with `selection`, as JSON, sorted.
fn alerts(selection: &RuleSelection) -> Vec<(String, String)> {
    let outcome = hunt(&[examples()], &options(selection.clone()), &mut |_| {}).unwrap();
    let mut alerts: Vec<(String, String)> = outcome
        .alerts
        .iter()
        .map(|a| (a.rule_id.to_string(), serde_json::to_string(a).unwrap()))
        .collect();
    alerts.sort();
    alerts
}

/// The ids of the rules `selection` uses and lets raise alerts, and the
/// number it keeps quietly.
fn alerting_rules(selection: &RuleSelection) -> (BTreeSet<String>, usize) {
    let (set, _) = load_rules(&options(selection.clone())).unwrap();
    let alerting = set
        .rules()
        .iter()
        .filter(|r| !r.quiet)
        .map(|r| {
            if r.id.is_empty() {
                r.title.clone()
            } else {
                r.id.clone()
            }
        })
        .collect();
    (alerting, set.selection().kept_quietly.len())
}

#[test]
fn a_selection_keeps_exactly_the_alerts_of_the_rules_it_uses() {
    let everything = alerts(&RuleSelection::default());
    assert!(everything.len() > 100, "{}", everything.len());
    let tagged = |include: &[&str], exclude: &[&str]| {
        let mut selection = RuleSelection::default();
        selection.merge(&RuleSelection {
            include_tags: include.iter().map(|t| t.to_string()).collect(),
            exclude_tags: exclude.iter().map(|t| t.to_string()).collect(),
            ..RuleSelection::default()
        });
        selection
    };
    let mut selections: Vec<RuleSelection> = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .map(|level| RuleSelection {
        min_level: Some(level),
        ..RuleSelection::default()
    })
    .collect();
    selections.push(tagged(&["attack.t1020"], &[]));
    selections.push(tagged(&[], &["attack.exfiltration"]));
    selections.push(tagged(&["attack.exfiltration"], &["attack.t1048"]));
    selections.push(RuleSelection {
        exclude_status: vec!["experimental".into()],
        ..RuleSelection::default()
    });
    let (mut fewer, mut quiet) = (0, 0);
    for selection in &selections {
        let (used, kept_quietly) = alerting_rules(selection);
        let expected: Vec<(String, String)> = everything
            .iter()
            .filter(|(rule, _)| used.contains(rule))
            .cloned()
            .collect();
        let got = alerts(selection);
        assert_eq!(
            got.len(),
            expected.len(),
            "{selection:?}: {} alerts, {} expected",
            got.len(),
            expected.len()
        );
        assert!(got == expected, "{selection:?}: other alerts");
        fewer += usize::from(got.len() < everything.len());
        quiet += kept_quietly;
    }
    // The selections tested are not all trivial: some leave alerts out, and
    // some keep rules quietly for the pack's correlations.
    assert!(fewer >= 4, "{fewer}");
    assert!(quiet > 0);
}
