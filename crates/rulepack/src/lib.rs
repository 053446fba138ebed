//! The built-in exfilguard rule pack: our own Sigma rules for automated exfiltration
//! (MITRE ATT&CK T1020) and the behaviours around it (staging, automation, transfer).
//!
//! The YAML files under `rules/` in the repository are embedded at build time by
//! `build.rs`, so the `exfilguard` binary carries the pack and needs no rule folder
//! on disk. [`builtin`] returns them sorted by path; the CLI hands each one to the
//! Sigma rule-set builder with [`BuiltinRule::path`] as its origin, which keeps lint
//! rows and alerts pointing at the file a user can open in the repository.
//!
//! Each rule's documentation (what it catches, false positives, tuning) is in
//! `docs/rules.md`; its positive and negative test events are in `rules/tests/`.
#![deny(missing_docs)]

/// One rule file of the built-in pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinRule {
    /// The file's path in the repository, `/`-separated (e.g.
    /// `rules/windows/process_creation/rclone_cloud_copy.yml`); used as the rule's origin.
    pub path: &'static str,
    /// The file's full Sigma YAML text (one rule or one correlation per file).
    pub yaml: &'static str,
}

static BUILTIN: &[BuiltinRule] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Every rule file of the built-in pack, sorted by path.
pub fn builtin() -> &'static [BuiltinRule] {
    BUILTIN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_is_embedded_sorted_and_non_empty() {
        let rules = builtin();
        assert!(!rules.is_empty(), "rules/ holds at least one rule");
        assert!(
            rules.windows(2).all(|w| w[0].path < w[1].path),
            "sorted, unique paths"
        );
        for rule in rules {
            assert!(rule.path.starts_with("rules/"), "{}", rule.path);
            assert!(rule.yaml.contains("title:"), "{} has a title", rule.path);
            assert!(
                rule.yaml.contains("detection:") || rule.yaml.contains("correlation:"),
                "{}",
                rule.path
            );
        }
    }
}
