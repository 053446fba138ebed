//! exfilguard's outputs: everything a run writes, behind one small trait.
//!
//! A [`Sink`] receives [`Record`]s (alerts and incidents) between an optional
//! [`Sink::begin`] and [`Sink::finish`]; only [`Sink::write`] is required. Streaming
//! formats ([`JsonlSink`], [`CsvSink`]) write each record as it comes; report formats
//! ([`TableSink`], [`HtmlReportSink`], [`CaseFilesSink`], [`NavigatorSink`]) keep what
//! they need and render in `finish`, when the whole run is known.
//!
//! [`write_run`] feeds a sink a finished run in the canonical order (incidents by
//! score, then alerts by time), so the same input gives byte-identical output.
//! [`RunSummary`] carries the run's plain numbers (files, events, skipped records,
//! rules, duration) for [`render_summary`] and the HTML overview.
#![deny(missing_docs)]

mod cases;
mod csv;
mod html;
mod json_line;
mod jsonl;
mod navigator;
mod summary;
mod svg;
mod table;
mod text;

pub use cases::{CaseFilesSink, case_file};
pub use csv::{CSV_COLUMNS, CsvSink};
pub use html::HtmlReportSink;
pub use jsonl::JsonlSink;
pub use navigator::{NavigatorSink, navigator_layer};
pub use summary::{RuleFailure, RunSummary, SkipExample, SkippedRecords, render_summary};
pub use table::TableSink;

use model::{Incident, Signal};
use std::path::PathBuf;

/// One record of a run.
#[derive(Clone, Copy, Debug)]
pub enum Record<'a> {
    /// A detector's finding (`{"kind":"alert"}`).
    Alert(&'a Signal),
    /// An incident with its triage (`{"kind":"incident"}`).
    Incident(&'a Incident),
}

/// An output that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Writing to the output stream failed.
    #[error("cannot write {what}: {source}")]
    Io {
        /// What was being written (a path or `standard output`).
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file or folder could not be created.
    #[error("cannot create {path}: {source}")]
    Create {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A record could not be serialised.
    #[error("cannot serialise a record: {0}")]
    Json(#[from] serde_json::Error),
}

impl SinkError {
    /// Wraps an I/O error with what was being written.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        SinkError::Io {
            what: what.into(),
            source,
        }
    }

    /// Whether the reader went away (a closed pipe): not worth an error message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, SinkError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// An output of a run.
pub trait Sink {
    /// Called once before the first record.
    fn begin(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// Takes one record.
    fn write(&mut self, record: Record<'_>) -> Result<(), SinkError>;

    /// Called once after the last record, with the run's numbers when known.
    fn finish(&mut self, _summary: Option<&RunSummary>) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Sorts incidents for reading: score descending, first seen, id.
pub fn incident_order(incidents: &[Incident]) -> Vec<&Incident> {
    let mut sorted: Vec<&Incident> = incidents.iter().collect();
    sorted.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.id.cmp(&b.id))
    });
    sorted
}

/// Sorts alerts by time, then id, then detector and rule.
pub fn alert_order(alerts: &[Signal]) -> Vec<&Signal> {
    let mut sorted: Vec<&Signal> = alerts.iter().collect();
    sorted.sort_by(|a, b| {
        a.timestamp
            .cmp(&b.timestamp)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.detector.cmp(&b.detector))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    sorted
}

/// Feeds a finished run to a sink: `begin`, the incidents (score descending), the
/// alerts (time order), `finish`. The order does not depend on the input order.
pub fn write_run(
    sink: &mut dyn Sink,
    incidents: &[Incident],
    alerts: &[Signal],
    summary: Option<&RunSummary>,
) -> Result<(), SinkError> {
    sink.begin()?;
    for incident in incident_order(incidents) {
        sink.write(Record::Incident(incident))?;
    }
    for alert in alert_order(alerts) {
        sink.write(Record::Alert(alert))?;
    }
    sink.finish(summary)
}

/// Everything a report sink keeps of a run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Collected {
    pub incidents: Vec<Incident>,
    pub alerts: Vec<Signal>,
}

impl Collected {
    pub fn add(&mut self, record: Record<'_>) {
        match record {
            Record::Alert(signal) => self.alerts.push(signal.clone()),
            Record::Incident(incident) => self.incidents.push(incident.clone()),
        }
    }

    /// The alerts of an incident, in its timeline order.
    pub fn alerts_of<'a>(&'a self, incident: &Incident) -> Vec<&'a Signal> {
        let by_id: std::collections::HashMap<&str, &Signal> =
            self.alerts.iter().map(|s| (s.id.as_str(), s)).collect();
        incident
            .alerts
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect()
    }
}
