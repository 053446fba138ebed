//! Choosing rules by level, status, id and tag: what is left out, what a
//! selected correlation keeps quietly, and what the report says.

mod common;

use model::{Detector, Event, Severity, Signal, Value};
use sigma::{LeftOutReason, RuleSelection, RuleSetBuilder, SigmaOptions};

/// Four process-creation rules on the same image, of different levels,
/// statuses and tags, and a correlation that reads the low one.
const RULES: &str = r#"
title: Curl run (low)
id: curl-low
name: curl_low
status: experimental
level: low
tags: [attack.execution]
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe'}
  condition: sel
---
title: Curl run (high)
id: curl-high
status: stable
level: high
tags: [attack.exfiltration, attack.t1020]
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe'}
  condition: sel
---
title: Curl run (no level)
id: curl-unlevelled
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe'}
  condition: sel
---
title: Curl run (deprecated)
id: curl-deprecated
status: deprecated
level: critical
tags: [attack.exfiltration]
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe'}
  condition: sel
---
title: Curl runs twice
id: curl-twice
level: high
tags: [attack.t1020]
correlation:
  type: event_count
  rules: [curl_low]
  generate: true
  timespan: 10m
  condition: {gte: 2}
"#;

fn curl(secs: i64) -> Event {
    let mut event = common::process_creation(secs);
    event.native.push("Image", Value::from("C:\\bin\\curl.exe"));
    event
}

/// `yaml` loaded with `selection`, run over curl events at `seconds`: the
/// rule ids of the alerts (sorted, repeats kept), and the set.
fn alert_ids(
    yaml: &str,
    selection: RuleSelection,
    seconds: &[i64],
) -> (Vec<String>, sigma::RuleSet) {
    let options = SigmaOptions {
        selection,
        ..SigmaOptions::default()
    };
    let mut builder = RuleSetBuilder::new(options).unwrap();
    let rows = builder.add_yaml(yaml, "inline.yml");
    assert!(rows.iter().all(|r| r.is_ok()), "{rows:?}");
    let set = builder.build();
    let mut detector = set.detector();
    let mut out: Vec<Signal> = Vec::new();
    for &secs in seconds {
        detector.observe(&curl(secs), &mut out);
    }
    detector.finish(&mut out);
    let mut ids: Vec<String> = out.iter().map(|s| s.rule_id.to_string()).collect();
    ids.sort();
    (ids, set)
}

/// [`alert_ids`] of a rule set that builds without problems.
fn run_rules(
    yaml: &str,
    selection: RuleSelection,
    seconds: &[i64],
) -> (Vec<String>, sigma::RuleSet) {
    let (ids, set) = alert_ids(yaml, selection, seconds);
    assert!(set.problems().is_empty(), "{:?}", set.problems());
    (ids, set)
}

/// [`RULES`] with `selection`, over two curl events a minute apart.
fn run(selection: RuleSelection) -> (Vec<String>, sigma::RuleSet) {
    run_rules(RULES, selection, &[0, 60])
}

fn loaded_ids(set: &sigma::RuleSet) -> Vec<&str> {
    set.rules().iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn everything_is_used_by_default() {
    let (ids, set) = run(RuleSelection::default());
    assert_eq!(
        ids,
        [
            "curl-deprecated",
            "curl-deprecated",
            "curl-high",
            "curl-high",
            "curl-low",
            "curl-low",
            "curl-twice",
            "curl-unlevelled",
            "curl-unlevelled",
        ]
    );
    assert_eq!(set.selection().left_out_total(), 0);
    assert!(set.selection().kept_quietly.is_empty());
}

#[test]
fn min_level_leaves_out_lower_rules_and_counts_unlevelled_as_medium() {
    let high = RuleSelection {
        min_level: Some(Severity::High),
        ..RuleSelection::default()
    };
    let (ids, set) = run(high);
    // The low rule is read by the (high) correlation: kept, but quiet.
    assert_eq!(
        ids,
        [
            "curl-deprecated",
            "curl-deprecated",
            "curl-high",
            "curl-high",
            "curl-twice"
        ]
    );
    assert!(!loaded_ids(&set).contains(&"curl-unlevelled"));
    assert!(loaded_ids(&set).contains(&"curl-low"));
    let report = set.selection();
    assert_eq!(report.left_out[&LeftOutReason::BelowMinLevel], 1);
    assert_eq!(report.kept_quietly, ["curl-low"]);

    let medium = RuleSelection {
        min_level: Some(Severity::Medium),
        ..RuleSelection::default()
    };
    let (ids, _) = run(medium);
    assert!(ids.contains(&"curl-unlevelled".to_owned()), "{ids:?}");
    assert!(!ids.contains(&"curl-low".to_owned()), "{ids:?}");
}

#[test]
fn a_correlation_left_out_releases_its_rules() {
    // Leaving out the correlation too: the low rule is simply gone.
    let selection = RuleSelection {
        min_level: Some(Severity::High),
        exclude_rules: vec!["curl-twice".into()],
        ..RuleSelection::default()
    };
    let (ids, set) = run(selection);
    assert_eq!(
        ids,
        [
            "curl-deprecated",
            "curl-deprecated",
            "curl-high",
            "curl-high"
        ]
    );
    assert!(!loaded_ids(&set).contains(&"curl-low"));
    assert!(set.selection().kept_quietly.is_empty());
    assert_eq!(set.selection().left_out[&LeftOutReason::Excluded], 1);
    assert_eq!(set.selection().left_out_total(), 3);
}

#[test]
fn status_id_and_tags_select_rules() {
    let mut selection = RuleSelection::default();
    selection.merge(&RuleSelection {
        exclude_status: vec!["Deprecated".into()],
        ..RuleSelection::default()
    });
    let (ids, _) = run(selection);
    assert!(!ids.contains(&"curl-deprecated".to_owned()), "{ids:?}");
    assert!(ids.contains(&"curl-high".to_owned()), "{ids:?}");

    // By name as well as by id.
    let (ids, _) = run(RuleSelection {
        exclude_rules: vec!["curl_low".into()],
        ..RuleSelection::default()
    });
    // The correlation still reads it, so it stays, quietly.
    assert!(!ids.contains(&"curl-low".to_owned()), "{ids:?}");
    assert!(ids.contains(&"curl-twice".to_owned()), "{ids:?}");

    let mut only_t1020 = RuleSelection::default();
    only_t1020.merge(&RuleSelection {
        include_tags: vec!["ATTACK.T1020".into()],
        ..RuleSelection::default()
    });
    let (ids, set) = run(only_t1020);
    assert_eq!(ids, ["curl-high", "curl-high", "curl-twice"]);
    assert_eq!(set.selection().left_out[&LeftOutReason::Tags], 2);

    let mut no_exfiltration = RuleSelection::default();
    no_exfiltration.merge(&RuleSelection {
        exclude_tags: vec!["attack.exfiltration".into()],
        ..RuleSelection::default()
    });
    let (ids, _) = run(no_exfiltration);
    assert_eq!(
        ids,
        [
            "curl-low",
            "curl-low",
            "curl-twice",
            "curl-unlevelled",
            "curl-unlevelled"
        ]
    );
}

#[test]
fn the_command_lines_minimum_level_replaces_the_configs() {
    let mut from_config = RuleSelection {
        min_level: Some(Severity::Critical),
        exclude_rules: vec!["a".into()],
        ..RuleSelection::default()
    };
    from_config.merge(&RuleSelection {
        min_level: Some(Severity::Low),
        exclude_rules: vec!["b".into(), "a".into()],
        ..RuleSelection::default()
    });
    assert_eq!(from_config.min_level, Some(Severity::Low));
    assert_eq!(from_config.exclude_rules, ["a", "b"]);
    from_config.merge(&RuleSelection::default());
    assert_eq!(from_config.min_level, Some(Severity::Low));
}

#[test]
fn the_configs_sigma_table_gives_the_selection() {
    let text = "[sigma]\nmin_level = \"high\"\nexclude_status = [\"Deprecated\"]\nexclude_rules = [\"curl-twice\"]\ninclude_tags = [\"attack.t1020\"]\nexclude_tags = [\"attack.execution\"]\n";
    let config = model::Config::from_toml(text, std::path::Path::new("t.toml")).unwrap();
    let options = SigmaOptions::from_config(&config, &[]);
    assert_eq!(
        options.selection,
        RuleSelection {
            min_level: Some(Severity::High),
            exclude_status: vec!["deprecated".into()],
            exclude_rules: vec!["curl-twice".into()],
            include_tags: vec!["attack.t1020".into()],
            exclude_tags: vec!["attack.execution".into()],
        }
    );
    let (ids, _) = run(options.selection);
    assert_eq!(ids, ["curl-high", "curl-high"]);
}

/// A low correlation that a high one reads: with `min_level: high` the low
/// one still runs (the high one needs it) but raises nothing itself.
#[test]
fn a_correlation_read_by_a_selected_one_is_kept_quietly() {
    let chain = r#"
title: Curl run
id: curl-run
name: curl_run
level: high
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe'}
  condition: sel
---
title: Curl ran (low correlation)
id: curl-ran
name: curl_ran
level: low
correlation:
  type: event_count
  rules: [curl_run]
  timespan: 10m
  condition: {gte: 1}
---
title: Curl ran twice (high correlation of the low one)
id: curl-ran-twice
level: high
correlation:
  type: event_count
  rules: [curl_ran]
  timespan: 10m
  condition: {gte: 2}
"#;
    let ids_with = |selection: RuleSelection| {
        let (mut ids, set) = run_rules(chain, selection, &[0, 60, 120]);
        ids.dedup();
        (ids, set.selection().kept_quietly.clone())
    };
    let (all, _) = ids_with(RuleSelection::default());
    assert_eq!(all, ["curl-ran", "curl-ran-twice"]);
    let (high, quiet) = ids_with(RuleSelection {
        min_level: Some(Severity::High),
        ..RuleSelection::default()
    });
    assert_eq!(high, ["curl-ran-twice"]);
    assert_eq!(quiet, ["curl-ran"]);
}

/// A selection never brings alerts the whole set would not: a building block
/// (read by a correlation without `generate: true`) stays silent when its
/// correlation is left out, and is then left out itself.
#[test]
fn a_building_block_stays_silent_when_its_correlation_is_left_out() {
    let blocks = r#"
title: Curl run (building block)
id: curl-block
name: curl_block
level: high
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe'}
  condition: sel
---
title: Curl ran twice
id: curl-block-twice
level: medium
correlation:
  type: event_count
  rules: [curl_block]
  timespan: 10m
  condition: {gte: 2}
"#;
    let (all, set) = run_rules(blocks, RuleSelection::default(), &[0, 60]);
    assert_eq!(all, ["curl-block-twice"]);
    let quiet =
        |set: &sigma::RuleSet, id: &str| set.rules().iter().find(|r| r.id == id).map(|r| r.quiet);
    // `rules list` says so in the whole set too.
    assert_eq!(quiet(&set, "curl-block"), Some(true));
    assert_eq!(quiet(&set, "curl-block-twice"), Some(false));

    let high = RuleSelection {
        min_level: Some(Severity::High),
        ..RuleSelection::default()
    };
    let (ids, set) = run_rules(blocks, high, &[0, 60]);
    assert!(ids.is_empty(), "{ids:?}");
    assert_eq!(quiet(&set, "curl-block"), None, "left out");
    assert_eq!(set.selection().left_out[&LeftOutReason::BuildingBlock], 1);
    assert_eq!(set.selection().left_out[&LeftOutReason::BelowMinLevel], 1);
}

/// A correlation that names a rule which is not loaded is inert in the whole
/// set and silences nothing: the rules it does name alert, with a selection
/// or without.
#[test]
fn an_inert_correlation_silences_nothing() {
    let yaml = r#"
title: Curl run
id: curl-run
name: curl_run
level: high
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\curl.exe'}
  condition: sel
---
title: Curl then a rule that is not here
id: curl-then-missing
level: low
correlation:
  type: temporal
  rules: [curl_run, not_loaded]
  timespan: 10m
"#;
    let ids_with = |selection: RuleSelection| alert_ids(yaml, selection, &[0]).0;
    assert_eq!(ids_with(RuleSelection::default()), ["curl-run"]);
    let high = RuleSelection {
        min_level: Some(Severity::High),
        ..RuleSelection::default()
    };
    assert_eq!(ids_with(high), ["curl-run"]);
}
