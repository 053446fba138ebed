//! Which loaded rules a run uses: by level, status, id and tag.
//!
//! A hunt over SigmaHQ's whole tree can raise thousands of alerts, many
//! from informational and low rules; analysts start from `high` and up,
//! leave out `experimental` or `deprecated` rules, and silence the few
//! rules that are noisy in their estate. The selection is applied when the rule set is built, so rules left
//! out cost nothing per event. Filters (the Sigma filters spec) are always
//! kept: they narrow other rules and raise nothing themselves.
//!
//! A correlation that is selected still needs the rules it reads. Those are
//! kept even when the selection would leave them out, but *quietly*: they
//! feed the correlation and raise no alerts of their own.
//!
//! A selection only narrows what a run raises: it never brings alerts the
//! whole rule set would not. A rule that a correlation reads without
//! `generate: true` (a building block) raises nothing of its own in the
//! whole set, so it raises nothing under a selection either, even when that
//! correlation is left out: it is kept quietly if a selected correlation
//! reads it, and left out otherwise.

use crate::rule::{Body, RuleDoc};
use model::Severity;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Which rules to use. The default selects every rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSelection {
    /// Rules below this level are left out. A rule without a `level` counts
    /// as `medium`, the severity its alerts carry.
    pub min_level: Option<Severity>,
    /// Rules whose `status` is one of these (lower case) are left out.
    pub exclude_status: Vec<String>,
    /// Rules with one of these ids (or `name`s) are left out.
    pub exclude_rules: Vec<String>,
    /// When not empty, only rules carrying at least one of these tags
    /// (compared without regard to case) are used.
    pub include_tags: Vec<String>,
    /// Rules carrying one of these tags are left out.
    pub exclude_tags: Vec<String>,
}

/// Why a rule was left out, for the run's summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LeftOutReason {
    /// Its id or name is excluded.
    Excluded,
    /// Its level is below the minimum.
    BelowMinLevel,
    /// Its status is excluded.
    Status,
    /// It carries an excluded tag, or none of the included ones.
    Tags,
    /// A building block (read by a correlation without `generate: true`)
    /// whose correlations are all left out: it would raise nothing.
    BuildingBlock,
}

impl LeftOutReason {
    /// The reason as the summary words it.
    pub fn describe(self) -> &'static str {
        match self {
            LeftOutReason::Excluded => "excluded by id",
            LeftOutReason::BelowMinLevel => "below the minimum level",
            LeftOutReason::Status => "of an excluded status",
            LeftOutReason::Tags => "outside the tag selection",
            LeftOutReason::BuildingBlock => "building blocks of correlations left out",
        }
    }
}

/// What the selection did to one rule set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectionReport {
    /// Rules left out, by reason (the first reason that applies).
    pub left_out: BTreeMap<LeftOutReason, usize>,
    /// Rules the selection would have left out, kept quietly because a
    /// selected correlation reads them: their ids (or titles).
    pub kept_quietly: Vec<String>,
}

impl SelectionReport {
    /// Rules left out in all.
    pub fn left_out_total(&self) -> usize {
        self.left_out.values().sum()
    }
}

impl RuleSelection {
    /// Whether this selection keeps every rule.
    pub fn is_everything(&self) -> bool {
        *self == RuleSelection::default()
    }

    /// Adds `other`'s choices to these: lists are joined, and `other`'s
    /// minimum level, when it has one, replaces this one (the command line's
    /// over the configuration's).
    pub fn merge(&mut self, other: &RuleSelection) {
        if other.min_level.is_some() {
            self.min_level = other.min_level;
        }
        let lower = |items: &[String]| items.iter().map(|s| s.to_ascii_lowercase()).collect();
        let extend = |into: &mut Vec<String>, from: Vec<String>| {
            for item in from {
                if !into.contains(&item) {
                    into.push(item);
                }
            }
        };
        extend(&mut self.exclude_status, lower(&other.exclude_status));
        extend(&mut self.exclude_rules, other.exclude_rules.clone());
        extend(&mut self.include_tags, lower(&other.include_tags));
        extend(&mut self.exclude_tags, lower(&other.exclude_tags));
    }

    /// Why `doc` is left out, or `None` when it is selected.
    pub(crate) fn leaves_out(&self, doc: &RuleDoc) -> Option<LeftOutReason> {
        if matches!(doc.body, Body::Filter(_)) {
            return None;
        }
        let named = |names: &[String]| {
            names
                .iter()
                .any(|n| *n == doc.id || doc.name.as_deref() == Some(n.as_str()))
        };
        if named(&self.exclude_rules) {
            return Some(LeftOutReason::Excluded);
        }
        if let Some(min) = self.min_level {
            let level = doc
                .level
                .as_deref()
                .and_then(Severity::from_sigma_level)
                .unwrap_or(Severity::Medium);
            if level < min {
                return Some(LeftOutReason::BelowMinLevel);
            }
        }
        if let Some(status) = &doc.status
            && self
                .exclude_status
                .iter()
                .any(|s| s.eq_ignore_ascii_case(status.trim()))
        {
            return Some(LeftOutReason::Status);
        }
        let has_tag = |tags: &[String]| {
            doc.tags
                .iter()
                .any(|t| tags.iter().any(|x| x.eq_ignore_ascii_case(t.trim())))
        };
        if has_tag(&self.exclude_tags)
            || (!self.include_tags.is_empty() && !has_tag(&self.include_tags))
        {
            return Some(LeftOutReason::Tags);
        }
        None
    }
}

/// How the selection treats one loaded document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    /// Selected: used, and raises alerts.
    Used,
    /// Left out by the selection but read by a selected correlation: used,
    /// raises no alerts of its own.
    Quiet,
    /// Selected, and read by a selected correlation, but a building block:
    /// used, raises no alerts of its own (as in the whole set).
    Silent,
    /// Left out.
    Dropped(LeftOutReason),
}

/// The choice for each of `docs` (in order): the selection's; then every
/// rule a used correlation reads (through chains of correlations) made
/// [`Choice::Quiet`] if it was dropped; then building blocks kept
/// [`Choice::Silent`] when a used correlation reads them, else dropped.
pub(crate) fn choose(selection: &RuleSelection, docs: &[&RuleDoc]) -> Vec<Choice> {
    let mut choices: Vec<Choice> = docs
        .iter()
        .map(|doc| match selection.leaves_out(doc) {
            Some(reason) => Choice::Dropped(reason),
            None => Choice::Used,
        })
        .collect();
    let by_name = names(docs);
    let building_blocks = building_blocks(docs, &by_name);
    // What the used correlations read, through chains.
    let mut read: HashSet<usize> = HashSet::new();
    let mut pending: Vec<usize> = (0..docs.len())
        .filter(|&i| choices[i] == Choice::Used)
        .collect();
    while let Some(index) = pending.pop() {
        for target in references(docs[index], &by_name) {
            if read.insert(target) {
                if matches!(choices[target], Choice::Dropped(_)) {
                    choices[target] = Choice::Quiet;
                }
                pending.push(target);
            }
        }
    }
    for index in building_blocks {
        if choices[index] == Choice::Used {
            choices[index] = if read.contains(&index) {
                Choice::Silent
            } else {
                Choice::Dropped(LeftOutReason::BuildingBlock)
            };
        }
    }
    choices
}

/// Document by `id` and by `name`, as the rule set resolves a correlation's
/// references: detection rules first, then correlations (filters are not
/// referred to this way).
fn names<'d>(docs: &[&'d RuleDoc]) -> HashMap<&'d str, usize> {
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let detections = (0..docs.len()).filter(|&i| matches!(docs[i].body, Body::Detection(_)));
    let correlations = (0..docs.len()).filter(|&i| matches!(docs[i].body, Body::Correlation(_)));
    for index in detections.chain(correlations) {
        let doc = docs[index];
        for key in [Some(doc.id.as_str()), doc.name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|k| !k.is_empty())
        {
            by_name.entry(key).or_insert(index);
        }
    }
    by_name
}

/// The documents a correlation reads (none for other kinds).
fn references<'a>(
    doc: &'a RuleDoc,
    by_name: &'a HashMap<&str, usize>,
) -> impl Iterator<Item = usize> + 'a {
    let rules = match &doc.body {
        Body::Correlation(spec) => spec.rules.as_slice(),
        _ => &[],
    };
    rules
        .iter()
        .filter_map(|reference| by_name.get(reference.as_str()).copied())
}

/// Detection rules that some correlation reads without `generate: true`:
/// they raise no alerts of their own in the whole set. A correlation naming
/// a rule that is not loaded silences nothing (the rule set reports it and
/// makes it inert).
fn building_blocks(docs: &[&RuleDoc], by_name: &HashMap<&str, usize>) -> BTreeSet<usize> {
    let silences = |doc: &&&RuleDoc| match &doc.body {
        Body::Correlation(spec) => {
            !spec.generate && spec.rules.iter().all(|r| by_name.contains_key(r.as_str()))
        }
        _ => false,
    };
    docs.iter()
        .filter(silences)
        .flat_map(|doc| references(doc, by_name))
        .filter(|&target| matches!(docs[target].body, Body::Detection(_)))
        .collect()
}

/// The report of `choices` over `docs`.
pub(crate) fn report(docs: &[&RuleDoc], choices: &[Choice]) -> SelectionReport {
    let mut report = SelectionReport::default();
    for (doc, choice) in docs.iter().zip(choices) {
        match choice {
            Choice::Used | Choice::Silent => {}
            Choice::Quiet => report.kept_quietly.push(if doc.id.is_empty() {
                doc.title.clone()
            } else {
                doc.id.clone()
            }),
            Choice::Dropped(reason) => *report.left_out.entry(*reason).or_default() += 1,
        }
    }
    report
}
