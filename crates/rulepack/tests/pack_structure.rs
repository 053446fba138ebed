//! Structure of the built-in pack, checked without the Sigma engine: every rule file
//! carries the metadata an analyst needs, ids are unique UUIDs, every rule has its
//! positive and negative test events, and docs/rules.md documents every rule.

use rulepack::builtin;
use std::collections::HashSet;
use std::path::PathBuf;

/// The repository root (two levels above this crate).
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The value of a top-level `key: value` line.
fn top_level(yaml: &str, key: &str) -> Option<String> {
    let prefix = format!("{key}:");
    yaml.lines()
        .find(|line| line.starts_with(&prefix))
        .map(|line| line[prefix.len()..].trim().trim_matches('\'').to_string())
}

/// Whether `text` is a lower-case 8-4-4-4-12 hexadecimal UUID.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

/// The file stem of a rule path (`rules/a/b/x.yml` -> `x`).
fn stem(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".yml").unwrap_or(file)
}

#[test]
fn every_rule_has_complete_metadata() {
    let mut problems = Vec::new();
    for rule in builtin() {
        for key in [
            "title",
            "id",
            "name",
            "status",
            "description",
            "references",
            "author",
            "date",
            "tags",
            "falsepositives",
            "level",
        ] {
            if top_level(rule.yaml, key).is_none() {
                problems.push(format!("{}: no `{key}`", rule.path));
            }
        }
        if !(rule.yaml.contains("\nlogsource:") || rule.yaml.contains("\ncorrelation:")) {
            problems.push(format!("{}: neither logsource nor correlation", rule.path));
        }
        if top_level(rule.yaml, "author").as_deref() != Some("exfilguard team") {
            problems.push(format!("{}: author is not the exfilguard team", rule.path));
        }
        if !rule.yaml.contains("  - attack.t") {
            problems.push(format!("{}: no ATT&CK technique tag", rule.path));
        }
        let level = top_level(rule.yaml, "level").unwrap_or_default();
        if !["informational", "low", "medium", "high", "critical"].contains(&level.as_str()) {
            problems.push(format!("{}: level `{level}`", rule.path));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn ids_and_names_are_unique_uuids() {
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for rule in builtin() {
        let id = top_level(rule.yaml, "id").unwrap_or_default();
        assert!(is_uuid(&id), "{}: id `{id}` is not a UUID", rule.path);
        assert!(ids.insert(id.clone()), "{}: duplicate id {id}", rule.path);
        let name = top_level(rule.yaml, "name").unwrap_or_default();
        assert!(name.starts_with("eg_"), "{}: name `{name}`", rule.path);
        assert!(
            names.insert(name.clone()),
            "{}: duplicate name {name}",
            rule.path
        );
    }
}

#[test]
fn correlations_refer_to_rules_in_the_pack() {
    let names: HashSet<String> = builtin()
        .iter()
        .filter_map(|r| top_level(r.yaml, "name"))
        .collect();
    for rule in builtin()
        .iter()
        .filter(|r| r.yaml.contains("\ncorrelation:"))
    {
        let block = rule.yaml.split("\n  rules:\n").nth(1).unwrap_or("");
        let referenced: Vec<&str> = block
            .lines()
            .take_while(|line| line.starts_with("    - "))
            .map(|line| line.trim_start_matches("    - ").trim())
            .collect();
        assert!(!referenced.is_empty(), "{}: no rules listed", rule.path);
        for name in referenced {
            assert!(names.contains(name), "{}: unknown rule {name}", rule.path);
        }
    }
}

#[test]
fn every_rule_has_positive_and_negative_events() {
    let tests = repo_root().join("rules/tests");
    for rule in builtin() {
        for polarity in ["pos", "neg"] {
            let path = tests.join(format!("{}.{polarity}.jsonl", stem(rule.path)));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                text.lines().any(|l| l.trim_start().starts_with('{')),
                "{}: no JSON event",
                path.display()
            );
        }
    }
}

#[test]
fn docs_describe_every_rule() {
    let docs = std::fs::read_to_string(repo_root().join("docs/rules.md")).expect("docs/rules.md");
    for rule in builtin() {
        let id = top_level(rule.yaml, "id").unwrap_or_default();
        assert!(
            docs.contains(&id),
            "docs/rules.md lacks {} ({id})",
            rule.path
        );
        assert!(
            docs.contains(&format!("### {}", stem(rule.path))),
            "docs/rules.md lacks a section for {}",
            rule.path
        );
    }
}
