//! JSON Lines: one alert or incident object per line (DESIGN.md's output contract).

use crate::{Record, Sink, SinkError, json_line};
use serde::Serialize;
use std::io::Write;

/// Appends `value` as compact JSON: by [`json_line`], or by `serde_json` when
/// that refuses it (a map key that is not a string), so that the bytes are
/// always the ones `serde_json` writes.
fn write_json<T: Serialize>(line: &mut Vec<u8>, value: &T) -> Result<(), serde_json::Error> {
    if json_line::write(line, value).is_err() {
        line.clear();
        serde_json::to_writer(line, value)?;
    }
    Ok(())
}

/// Writes each record as one JSON object on its own line, exactly as the output
/// contract says: `{"kind":"alert", "id", "@timestamp", "detector", "rule.id",
/// "rule.name", "score", "severity", "host.name", "host.ip", "user.name",
/// "destination.ip", "destination.domain", "destination.port",
/// "threat.technique.id", "evidence"}` and `{"kind":"incident", "id", "first_seen",
/// "last_seen", "host.name", "host.ip", "user.name", "destinations", "detectors",
/// "score", "stage", "triage.decision", "triage.reasons", "triage.answers",
/// "alerts", ...}`. Keys absent from the data are omitted. Records are written in
/// the order given; [`crate::write_run`] gives the canonical order, so the same input
/// gives byte-identical output.
pub struct JsonlSink<W: Write> {
    out: W,
    what: String,
    line: Vec<u8>,
}

impl<W: Write> JsonlSink<W> {
    /// A JSONL writer; `what` names the destination in error messages.
    pub fn new(out: W, what: impl Into<String>) -> Self {
        JsonlSink {
            out,
            what: what.into(),
            line: Vec::new(),
        }
    }

    /// The writer back (tests).
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink for JsonlSink<W> {
    fn write(&mut self, record: Record<'_>) -> Result<(), SinkError> {
        // One reused line buffer, one write per record: no string per record,
        // no small writes through the (boxed) writer.
        self.line.clear();
        match record {
            Record::Alert(signal) => write_json(&mut self.line, signal)?,
            Record::Incident(incident) => write_json(&mut self.line, incident)?,
        }
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .map_err(|e| SinkError::io(self.what.clone(), e))
    }

    fn finish(&mut self, _summary: Option<&crate::RunSummary>) -> Result<(), SinkError> {
        self.out
            .flush()
            .map_err(|e| SinkError::io(self.what.clone(), e))
    }
}
