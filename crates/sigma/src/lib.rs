//! Sigma rules for exfilguard: the whole v2.1 specification compiled once into a
//! matcher that routes each event to the few rules that can match it.
//!
//! * [`RuleSetBuilder`] loads rule files or folders ([`RuleSetBuilder::add_path`])
//!   and YAML text ([`RuleSetBuilder::add_yaml`]), reporting one [`LintRow`] per
//!   document, and [`RuleSetBuilder::build`]s a [`RuleSet`].
//! * [`RuleSet::rules`] lists what loaded ([`RuleInfo`]); [`RuleSet::detector`]
//!   gives a [`SigmaDetector`] (a [`model::Detector`] named `sigma`) that raises a
//!   [`model::Signal`] per match and runs correlation windows on event time.
//! * [`RuleSelection`] (in [`SigmaOptions`]) picks the rules a run uses by
//!   level, status, id and tag; [`RuleSet::selection`] says what it left out.
//! * [`Matcher`] is the immutable, `Sync` core: a caller that matches on several
//!   threads gives each one its own [`MatchScratch`].
//!
//! Why it is fast: a rule's fields are resolved to [`model::FieldRef`]s when it is
//! compiled; events are routed by logsource and event id to the rules that can
//! apply (cached per thread); an aho-corasick automaton over every rule's required
//! literals finds, in one pass over the event's values, which of those rules can
//! still match; only they evaluate their conditions, with reused buffers.
//!
//! Hostile rules are bounded: files over 4 MB are refused, YAML alias expansion is
//! capped, conditions deeper than [`condition::MAX_CONDITION_DEPTH`] are refused,
//! and regular expressions run on the `regex` crate's linear-time engine under a
//! size limit. Each failure is a lint row; the other rules still load.
#![deny(missing_docs)]

mod answer_cache;
mod case_fold;
mod compile;
pub mod condition;
mod correlation;
mod detector;
mod field_index;
mod literal_filter;
mod mapping;
mod matcher;
mod memo;
mod pattern;
pub mod pipeline;
mod rule;
mod ruleset;
mod selection;
mod text_values;
mod window_scan;
mod yaml;

pub use detector::SigmaDetector;
pub use matcher::{MatchScratch, Matcher, MatcherStats};
pub use pipeline::Pipeline;
pub use rule::{LogsourceSpec, RuleError, RuleKind};
pub use ruleset::{LintRow, RuleInfo, RuleSet, RuleSetBuilder, SigmaError, SigmaOptions};
pub use selection::{LeftOutReason, RuleSelection, SelectionReport};
pub use yaml::MAX_YAML_BYTES;
