//! Conformance on SigmaHQ's public rules and regression suite, when the shared
//! sample data is present (`../shared/data/sigmahq`, or `EXFILGUARD_SIGMAHQ`);
//! skipped with a message otherwise.
//!
//! * Every rule tree lints; at least 99% of the documents compile, and the
//!   reasons for the rest are printed.
//! * Every regression sample (an EVTX file and its JSON twin, read with the
//!   `sources` readers as a user's files would be) fires its own rule with all
//!   SigmaHQ rules loaded, in at least 98% of cases; misses are printed.

use model::{Detector, Signal};
use sigma::{LintRow, RuleSet, RuleSetBuilder, SigmaOptions};
use sources::SourceContext;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("EXFILGUARD_SIGMAHQ")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigmahq")
        });
    dir.join("regression_data").is_dir().then_some(dir)
}

const TREES: &[&str] = &[
    "rules",
    "rules-compliance",
    "rules-dfir",
    "rules-emerging-threats",
    "rules-placeholder",
    "rules-threat-hunting",
];

fn load_all(dir: &Path) -> (RuleSet, Vec<LintRow>) {
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).expect("no pipelines");
    let mut rows = Vec::new();
    for tree in TREES {
        let path = dir.join(tree);
        if path.is_dir() {
            rows.extend(builder.add_path(&path));
        }
    }
    (builder.build(), rows)
}

/// (rule id, sample files) of every regression test.
fn regression_cases(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut cases = Vec::new();
    let mut stack = vec![dir.join("regression_data")];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "info.yml") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                // rule_metadata:\n    - id: <uuid>
                let id = text
                    .split("rule_metadata:")
                    .nth(1)
                    .and_then(|rest| rest.split("id:").nth(1))
                    .map(|rest| rest.lines().next().unwrap_or("").trim().to_owned())
                    .unwrap_or_default();
                cases.push((id, folder.clone()));
            }
        }
    }
    cases.sort();
    cases
}

/// Reads every event of a file with the `sources` readers.
fn read_events(file: &Path) -> Result<Vec<model::Event>, String> {
    let ctx = SourceContext {
        threads: 1,
        ..Default::default()
    };
    let (_, source) = sources::open_path(file, &ctx).map_err(|e| e.to_string())?;
    source.map(|r| r.map_err(|e| e.to_string())).collect()
}

fn fire(set: &RuleSet, file: &Path) -> Result<Vec<Signal>, String> {
    let ctx = SourceContext {
        threads: 1,
        ..Default::default()
    };
    let (_, source) = sources::open_path(file, &ctx).map_err(|e| e.to_string())?;
    let mut detector = set.detector();
    let mut out = Vec::new();
    let mut events = 0;
    for record in source {
        let event = record.map_err(|e| e.to_string())?;
        events += 1;
        detector.observe(&event, &mut out);
    }
    detector.finish(&mut out);
    if events == 0 {
        return Err("no events read".into());
    }
    Ok(out)
}

fn sample(folder: &Path, ext: &str) -> Option<PathBuf> {
    std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == ext))
}

#[test]
fn sigmahq_rules_lint_and_regression_samples_fire() {
    let Some(dir) = data_dir() else {
        println!("skipped: SigmaHQ data not found (set EXFILGUARD_SIGMAHQ)");
        return;
    };
    let started = std::time::Instant::now();
    let (set, rows) = load_all(&dir);
    let load_time = started.elapsed();
    let ok = rows.iter().filter(|r| r.is_ok()).count();
    let rate = ok as f64 / rows.len() as f64;
    println!(
        "lint: {ok}/{} documents compiled ({:.2}%) in {:.2?}",
        rows.len(),
        rate * 100.0,
        load_time
    );
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows.iter().filter(|r| !r.is_ok()) {
        println!("  {}: {}", row.path, row.error.as_deref().unwrap_or(""));
        let reason = row.error.as_deref().unwrap_or("").to_owned();
        let key = reason
            .split(": ")
            .last()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        *reasons.entry(key).or_default() += 1;
    }
    for problem in set.problems() {
        println!("  build: {} {:?}", problem.path, problem.error);
    }
    assert!(
        rate >= 0.99,
        "only {:.2}% of SigmaHQ rules compiled",
        rate * 100.0
    );

    let cases = regression_cases(&dir);
    assert!(!cases.is_empty());
    for ext in ["json", "evtx"] {
        let mut fired = 0;
        let mut total = 0;
        for (id, folder) in &cases {
            let Some(file) = sample(folder, ext) else {
                continue;
            };
            total += 1;
            match fire(&set, &file) {
                Ok(signals) if signals.iter().any(|s| &s.rule_id == id) => fired += 1,
                Ok(signals) => println!(
                    "  {ext} miss: {id} {} (fired {:?})",
                    folder.display(),
                    signals
                        .iter()
                        .map(|s| &s.rule_name)
                        .take(3)
                        .collect::<Vec<_>>()
                ),
                Err(e) => println!("  {ext} unreadable: {} {e}", file.display()),
            }
        }
        let rate = fired as f64 / total.max(1) as f64;
        println!(
            "regression {ext}: {fired}/{total} samples fire their rule ({:.1}%)",
            rate * 100.0
        );
        assert!(
            rate >= 0.98,
            "{ext}: only {:.1}% fire their rule",
            rate * 100.0
        );
    }
}

/// The prefilter and routing cache never change the answer: on every regression
/// event, the matcher's hits equal an exhaustive evaluation of every rule.
#[test]
fn prefilter_gives_the_same_answer_as_exhaustive_matching() {
    let Some(dir) = data_dir() else {
        println!("skipped: SigmaHQ data not found (set EXFILGUARD_SIGMAHQ)");
        return;
    };
    let (set, _) = load_all(&dir);
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let (mut events, mut hits_total) = (0, 0);
    for (_, folder) in regression_cases(&dir) {
        for ext in ["json", "evtx"] {
            let Some(file) = sample(&folder, ext) else {
                continue;
            };
            for event in read_events(&file).unwrap_or_default() {
                let (mut fast, mut slow) = (Vec::new(), Vec::new());
                matcher.match_event(&event, &mut scratch, &mut fast);
                matcher.match_event_exhaustive(&event, &mut slow);
                assert_eq!(fast, slow, "{}", file.display());
                events += 1;
                hits_total += fast.len();
            }
        }
    }
    println!("same answer on {events} events ({hits_total} hits)");
    assert!(events > 300);
}
