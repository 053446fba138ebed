//! `hunt`: replay files through every detector, correlate, triage.

use crate::pipeline::Pipeline;
use correlate::{Observations, Observer};
use model::{Config, Detector, Incident, Signal, Timestamp};
use sigma::{LintRow, RuleSetBuilder, SigmaOptions};
use sinks::{RuleFailure, RunSummary, SkipExample, SkippedRecords};
use sources::{ReadStats, Replay, ReplayOptions, SourceContext};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a hunt needs besides its input paths.
#[derive(Clone, Debug, Default)]
pub struct HuntOptions {
    /// The configuration (defaults when no file was given).
    pub config: Arc<Config>,
    /// Extra Sigma rule files or folders (`--rules`, repeatable).
    pub rule_paths: Vec<PathBuf>,
    /// Skip the built-in T1020 pack (`--no-builtin-rules`).
    pub no_builtin_rules: bool,
    /// pySigma-style processing pipelines (`--pipeline`).
    pub pipelines: Vec<PathBuf>,
    /// Parser threads (0: one per core).
    pub threads: usize,
    /// Skip the behavioural analytics (Sigma only).
    pub no_analytics: bool,
    /// Which Sigma rules to use, from the command line (`--min-level`...);
    /// added to the config's `[sigma]` selection, its minimum level first.
    pub selection: sigma::RuleSelection,
}

/// Everything a hunt found, ready for the sinks.
#[derive(Debug)]
pub struct HuntOutcome {
    /// What was read and skipped.
    pub stats: ReadStats,
    /// Rules that compiled.
    pub rules_loaded: usize,
    /// Rules that did not, with reasons.
    pub rules_failed: Vec<LintRow>,
    /// Names of the detectors that ran.
    pub detectors: Vec<String>,
    /// Every signal, in time order, allow-lists and sensitivity applied.
    pub alerts: Vec<Signal>,
    /// Incidents, triaged, highest score first.
    pub incidents: Vec<Incident>,
    /// Per-host facts seen during the replay.
    pub observations: Observations,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// What the analytics want the reader of the summary to know (evictions...).
    pub analytics_notes: Vec<String>,
}

/// Errors that stop a hunt before it starts (bad configuration).
#[derive(Debug, thiserror::Error)]
pub enum HuntError {
    /// A detector could not be built from the configuration.
    #[error("{0}")]
    Config(String),
}

/// Progress of a running hunt, passed to the caller's callback now and then.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Events processed so far.
    pub events: u64,
    /// Event time reached.
    pub event_time: Timestamp,
}

/// How often (in events) the progress callback is called.
const PROGRESS_EVERY: u64 = 16_384;

/// Loads the rules: the built-in pack unless disabled, then every `--rules` path.
pub fn load_rules(options: &HuntOptions) -> Result<(sigma::RuleSet, Vec<LintRow>), HuntError> {
    let mut sigma_options = SigmaOptions::from_config(&options.config, &options.pipelines);
    sigma_options.selection.merge(&options.selection);
    let mut builder =
        RuleSetBuilder::new(sigma_options).map_err(|e| HuntError::Config(e.to_string()))?;
    let mut rows = Vec::new();
    if !options.no_builtin_rules {
        for rule in rulepack::builtin() {
            rows.extend(builder.add_yaml(rule.yaml, &format!("builtin:{}", rule.path)));
        }
    }
    for path in &options.rule_paths {
        rows.extend(builder.add_path(path));
    }
    Ok((builder.build(), rows))
}

/// The detectors of one run, in the order they see each event.
type Detectors = Vec<Box<dyn Detector>>;

/// Builds every detector: Sigma first (its alerts feed the analytics), then the
/// behavioural analytics as one suite (they share each event's transfer view).
/// Also returns the names of the detectors, the suite's members by their own.
fn build_detectors(
    options: &HuntOptions,
    rules: &sigma::RuleSet,
) -> Result<(Detectors, Vec<String>, Option<analytics::Stats>), HuntError> {
    let sigma = rules.detector();
    let mut names = vec![sigma.name().to_string()];
    let mut detectors: Vec<Box<dyn Detector>> = vec![Box::new(sigma)];
    let mut stats = None;
    if !options.no_analytics {
        let (suite, analytics_stats) = analytics::build_suite(&options.config)
            .map_err(|e| HuntError::Config(e.to_string()))?;
        names.extend(suite.names().iter().cloned());
        detectors.push(Box::new(suite));
        stats = Some(analytics_stats);
    }
    Ok((detectors, names, stats))
}

/// The analytics' own counters as summary notes: state evicted, clocks unset,
/// warnings (unreadable intel lines, a state file that could not be saved).
fn analytics_notes(stats: &analytics::Stats) -> Vec<String> {
    let mut notes = stats.warnings();
    if stats.evictions() > 0 {
        notes.push(format!(
            "analytics evicted {} cold (host, destination) states to stay within their memory bounds",
            stats.evictions()
        ));
    }
    if stats.clock_unset() > 0 {
        notes.push(format!(
            "{} transfers carried an unset (1970) clock and were kept out of time-of-day analytics",
            stats.clock_unset()
        ));
    }
    notes
}

/// One note per `expand` placeholder that rules use and the config leaves unset.
pub fn placeholder_notes(rules: &sigma::RuleSet) -> Vec<String> {
    rules
        .unset_placeholders()
        .iter()
        .map(|(name, ids)| {
            format!(
                "placeholder %{name}% has no value in [sigma.placeholders]: its `expand` values match nothing in {} rule(s) ({})",
                ids.len(),
                first_few(ids)
            )
        })
        .collect()
}

/// The first three of `ids`, joined, with `...` when there are more: rule
/// ids in a summary note, enough to find the rest with `rules list`.
fn first_few(ids: &[String]) -> String {
    let mut text = ids.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > 3 {
        text.push_str(", ...");
    }
    text
}

/// What the rule selection left out and kept quietly, as summary notes (none
/// when it kept everything).
pub fn selection_notes(report: &sigma::SelectionReport) -> Vec<String> {
    let mut notes = Vec::new();
    if report.left_out_total() > 0 {
        let reasons: Vec<String> = report
            .left_out
            .iter()
            .map(|(reason, count)| format!("{count} {}", reason.describe()))
            .collect();
        notes.push(format!(
            "rule selection left out {} rule(s): {}",
            report.left_out_total(),
            reasons.join(", ")
        ));
    }
    if !report.kept_quietly.is_empty() {
        let ids = &report.kept_quietly;
        notes.push(format!(
            "rule selection kept {} rule(s) it would leave out, without alerts of their own, because selected correlations read them ({})",
            ids.len(),
            first_few(ids)
        ));
    }
    notes
}

/// Runs a hunt over `paths`, calling `progress` now and then.
pub fn hunt(
    paths: &[PathBuf],
    options: &HuntOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<HuntOutcome, HuntError> {
    let started = Instant::now();
    // A malformed [calendar] is a configuration error: say so before reading anything.
    triage::Playbook::from_config(&options.config).map_err(|e| HuntError::Config(e.to_string()))?;
    let (rules, lint) = load_rules(options)?;
    let rules_failed: Vec<LintRow> = lint
        .into_iter()
        .chain(rules.problems().iter().cloned())
        .filter(|r| !r.is_ok())
        .collect();
    let rules_loaded = rules.rules().len();
    let (detectors, detector_names, analytics_stats) = build_detectors(options, &rules)?;
    let mut pipeline = Pipeline::new(detectors);

    let ctx = SourceContext::from_config(options.config.clone());
    let replay_options = ReplayOptions {
        threads: options.threads,
        ..ReplayOptions::default()
    };
    let mut replay = Replay::from_discovery(sources::discover(paths), ctx, replay_options);
    let mut observer = Observer::new(options.config.networks());
    let mut events = 0u64;
    for event in replay.by_ref() {
        observer.observe(&event);
        pipeline.process(&event);
        events += 1;
        if events.is_multiple_of(PROGRESS_EVERY) {
            progress(Progress {
                events,
                event_time: event.timestamp,
            });
        }
    }
    let stats = replay.stats();
    let mut alerts = pipeline.finish();
    analytics::rescore(&mut alerts, &options.config);

    let alerts = finalise_alerts(alerts);
    let observations = observer.finish();
    let incidents = triage::incidents(&alerts, &observations, &options.config)
        .map_err(|e| HuntError::Config(e.to_string()))?;
    let mut notes: Vec<String> = analytics_stats
        .as_ref()
        .map(analytics_notes)
        .unwrap_or_default();
    notes.extend(placeholder_notes(&rules));
    notes.extend(selection_notes(rules.selection()));
    Ok(HuntOutcome {
        analytics_notes: notes,
        stats,
        rules_loaded,
        rules_failed,
        detectors: detector_names,
        alerts,
        incidents,
        observations,
        elapsed: started.elapsed(),
    })
}

/// Gives every alert its id, sorts by time then id, and drops exact repeats (the
/// same finding on the same record raised twice).
fn finalise_alerts(mut alerts: Vec<Signal>) -> Vec<Signal> {
    for alert in &mut alerts {
        if alert.id.is_empty() {
            alert.assign_id();
        }
    }
    sort_by_time_and_id(&mut alerts);
    alerts.dedup_by(|a, b| a.id == b.id);
    alerts
}

/// Sorts alerts by time, then id, keeping the order of equal ones (a stable
/// sort's answer).
///
/// Small keys (time, the id's first 16 bytes, position) are sorted and each
/// alert is then moved twice: sorting the 408-byte alerts themselves moved
/// each one at every merge level and followed two id pointers at every tie,
/// and a hunt of the flat EVTX corpus ten times over has 66,000 alerts in
/// ten runs of equal times.
fn sort_by_time_and_id(alerts: &mut Vec<Signal>) {
    let prefix = |id: &str| {
        let mut head = [0u8; 16];
        let n = id.len().min(16);
        head[..n].copy_from_slice(&id.as_bytes()[..n]);
        // Big-endian and zero-padded: ordered as the strings are, up to a tie.
        u128::from_be_bytes(head)
    };
    let mut order: Vec<(Timestamp, u128, usize)> = alerts
        .iter()
        .enumerate()
        .map(|(at, alert)| (alert.timestamp, prefix(&alert.id), at))
        .collect();
    order.sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| alerts[a.2].id.cmp(&alerts[b.2].id))
            .then(a.2.cmp(&b.2))
    });
    let mut slots: Vec<Option<Signal>> = std::mem::take(alerts).into_iter().map(Some).collect();
    *alerts = order
        .into_iter()
        .map(|(_, _, at)| slots[at].take().expect("each position once"))
        .collect();
}

impl HuntOutcome {
    /// The plain numbers of the run for the summary renderers.
    pub fn summary(&self) -> RunSummary {
        let mut events_by_kind = BTreeMap::new();
        for ((format, kind), count) in &self.stats.events {
            *events_by_kind
                .entry(format!("{format}/{kind}"))
                .or_insert(0) += count;
        }
        let skipped = self
            .stats
            .skipped
            .iter()
            .map(|(reason, count)| SkippedRecords {
                reason: reason.clone(),
                count: *count,
                examples: self
                    .stats
                    .skip_examples
                    .iter()
                    .filter(|e| &e.reason == reason)
                    .take(5)
                    .map(|e| SkipExample {
                        file: e.file.to_string(),
                        offset: e.offset,
                        detail: e.reason.clone(),
                    })
                    .collect(),
            })
            .collect();
        let mut notes = Vec::new();
        notes.extend(file_failure_notes(&self.stats));
        notes.extend(self.analytics_notes.iter().cloned());
        if self.stats.epoch_clock_suspected() {
            notes.push(format!(
                "{} events carry 1970 timestamps (a capture clock that started at 0): their times of day are not real, so off-hours findings on them are unreliable",
                self.stats.epoch_clock_events
            ));
        }
        if self.stats.late_events > 0 {
            notes.push(format!(
                "{} events arrived later than the reorder window and were processed out of order",
                self.stats.late_events
            ));
        }
        RunSummary {
            files_by_format: self
                .stats
                .files_by_format
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            events_by_kind,
            time_range: self.stats.first.zip(self.stats.last),
            hosts: self.stats.distinct_hosts() as u64,
            skipped,
            rules_loaded: self.rules_loaded as u64,
            rules_failed: self
                .rules_failed
                .iter()
                .map(|row| RuleFailure {
                    path: row.path.clone(),
                    reason: row.error.clone().unwrap_or_default(),
                })
                .collect(),
            duration: self.elapsed,
            notes,
        }
    }
}

/// Files that could not be read, for the summary: real errors one per line (at most
/// ten), and files in no supported format (READMEs, configs) on one line, since a
/// folder of logs often holds a few of those.
fn file_failure_notes(stats: &ReadStats) -> Vec<String> {
    const LISTED: usize = 10;
    let (unsupported, errors): (Vec<_>, Vec<_>) = stats
        .failed_files
        .iter()
        .partition(|f| f.reason.contains("not a supported log format"));
    let mut notes: Vec<String> = errors
        .iter()
        .take(LISTED)
        .map(|f| format!("not read: {}: {}", f.path.display(), f.reason))
        .collect();
    if errors.len() > LISTED {
        notes.push(format!(
            "... and {} more files could not be read (`exfilguard events` lists them all)",
            errors.len() - LISTED
        ));
    }
    if !unsupported.is_empty() {
        let names: Vec<String> = unsupported
            .iter()
            .take(5)
            .map(|f| f.path.display().to_string())
            .collect();
        let more = unsupported.len().saturating_sub(names.len());
        notes.push(format!(
            "{} file(s) in no supported log format were skipped: {}{}",
            unsupported.len(),
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The key sort gives what sorting the alerts by (time, id) with a
        /// stable sort gives, ties and ids sharing 16-byte prefixes included.
        #[test]
        fn alerts_are_sorted_as_a_stable_sort_sorts_them(
            alerts in proptest::collection::vec(
                (0i64..4, prop_oneof![
                    "alert-00000000000000[0-2]{1,2}",
                    "alert-0000000000[0-2]{0,3}",
                    "[ab]{0,3}",
                ], any::<u8>()),
                0..40,
            )
        ) {
            let alerts: Vec<Signal> = alerts
                .into_iter()
                .map(|(secs, id, score)| Signal {
                    timestamp: Timestamp::from_secs(secs),
                    id,
                    score,
                    ..Signal::default()
                })
                .collect();
            let mut expected = alerts.clone();
            expected.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then_with(|| a.id.cmp(&b.id)));
            let mut sorted = alerts;
            sort_by_time_and_id(&mut sorted);
            let key = |s: &Signal| (s.timestamp, s.id.clone(), s.score);
            prop_assert_eq!(
                sorted.iter().map(key).collect::<Vec<_>>(),
                expected.iter().map(key).collect::<Vec<_>>()
            );
        }
    }
}
