//! What the matcher's benchmark and profiling example share: the SigmaHQ rule
//! trees and the EVTX corpus of the shared sample data, read the same way, and
//! the calling thread's CPU time.

use model::Event;
use sigma::{RuleSet, RuleSetBuilder, SigmaOptions};
use sources::SourceContext;
use std::path::{Path, PathBuf};

/// The SigmaHQ trees loaded: every rule, Windows and the rest (a rule only
/// runs on events its logsource routes to it).
pub const SIGMAHQ_TREES: [&str; 5] = [
    "rules",
    "rules-emerging-threats",
    "rules-threat-hunting",
    "rules-dfir",
    "rules-compliance",
];

/// The Windows rule tree alone (`rules/windows`): the rule set the peers'
/// hunts and the JSONL comparison load, and the one the issue's "all SigmaHQ
/// Windows rules" names. (Used by the profiling example, not the bench.)
#[allow(dead_code)]
pub const SIGMAHQ_WINDOWS_TREE: &str = "rules/windows";

/// Every rule of [`SIGMAHQ_TREES`] under `dir/sigmahq`, and the number of
/// rule documents read.
pub fn load_rules(dir: &Path, options: SigmaOptions) -> (RuleSet, usize) {
    load_trees(dir, &SIGMAHQ_TREES, options)
}

/// Every rule of `trees` (paths under `dir/sigmahq`), and the number of rule
/// documents read.
pub fn load_trees(dir: &Path, trees: &[&str], options: SigmaOptions) -> (RuleSet, usize) {
    let mut builder = RuleSetBuilder::new(options).expect("no pipelines");
    let mut rows = 0;
    for tree in trees {
        rows += builder.add_path(&dir.join("sigmahq").join(tree)).len();
    }
    (builder.build(), rows)
}

/// Every event of the `.evtx` files under `dir/evtx`, files in path order, and
/// the number of files.
pub fn load_events(dir: &Path) -> (Vec<Event>, usize) {
    let files: Vec<PathBuf> = sources::discover(&[dir.join("evtx")])
        .files
        .into_iter()
        .filter(|path| {
            path.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        })
        .collect();
    let ctx = SourceContext::default();
    let mut events = Vec::new();
    for file in &files {
        if let Ok((_, source)) = sources::open_path(file, &ctx) {
            events.extend(source.flatten());
        }
    }
    (events, files.len())
}

/// User plus system CPU seconds of the calling thread (Linux), from /proc;
/// `None` elsewhere.
pub fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5) are utime and stime; 3 fields precede here.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
