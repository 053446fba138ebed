//! CSV of alerts, one row per signal, for spreadsheets and SIEM imports.

use crate::{Record, RunSummary, Sink, SinkError};
use model::Signal;
use std::io::Write;

/// The header row.
pub const CSV_COLUMNS: [&str; 19] = [
    "id",
    "@timestamp",
    "detector",
    "rule.id",
    "rule.name",
    "score",
    "severity",
    "stage",
    "host.name",
    "host.ip",
    "user.name",
    "destination.ip",
    "destination.domain",
    "destination.port",
    "bytes_out",
    "transfers",
    "threat.technique.id",
    "allow_listed",
    "records",
];

/// Writes alerts as RFC 4180 CSV with the header [`CSV_COLUMNS`]; incidents are
/// not written (they are nested; use JSONL). Lists are joined with `;`, records as
/// `file@offset`. Cells that a spreadsheet would run as a formula (starting with
/// `=`, `+`, `-`, `@`, tab or CR: log data is attacker-controlled) get a leading `'`.
pub struct CsvSink<W: Write> {
    out: W,
    what: String,
}

impl<W: Write> CsvSink<W> {
    /// A CSV writer.
    pub fn new(out: W) -> Self {
        CsvSink {
            out,
            what: "CSV output".to_string(),
        }
    }

    /// Names the destination in error messages (default `CSV output`).
    pub fn named(mut self, what: impl Into<String>) -> Self {
        self.what = what.into();
        self
    }

    /// The writer back (tests).
    pub fn into_inner(self) -> W {
        self.out
    }

    fn line(&mut self, cells: &[String]) -> Result<(), SinkError> {
        let row: Vec<String> = cells.iter().map(|c| quote(c)).collect();
        self.out
            .write_all(row.join(",").as_bytes())
            .and_then(|_| self.out.write_all(b"\r\n"))
            .map_err(|e| SinkError::io(self.what.clone(), e))
    }
}

fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(T::to_string).unwrap_or_default()
}

fn row(s: &Signal) -> Vec<String> {
    vec![
        s.id.clone(),
        s.timestamp.to_rfc3339(),
        s.detector.to_string(),
        s.rule_id.to_string(),
        s.rule_name.to_string(),
        s.score.to_string(),
        s.severity.as_str().to_string(),
        s.stage.as_str().to_string(),
        opt(&s.host_name),
        opt(&s.host_ip),
        opt(&s.user_name),
        opt(&s.destination_ip),
        opt(&s.destination_domain),
        opt(&s.destination_port),
        opt(&s.bytes_out),
        opt(&s.transfers),
        s.techniques.join(";"),
        opt(&s.allowed),
        s.records
            .iter()
            .map(|r| format!("{}@{}", r.file, r.offset))
            .collect::<Vec<_>>()
            .join(";"),
    ]
}

/// Quotes a cell when needed and defuses spreadsheet formulas.
fn quote(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn begin(&mut self) -> Result<(), SinkError> {
        // The header is ours, not log data: written as is (`@timestamp` stays).
        let header = CSV_COLUMNS.join(",");
        self.out
            .write_all(header.as_bytes())
            .and_then(|_| self.out.write_all(b"\r\n"))
            .map_err(|e| SinkError::io(self.what.clone(), e))
    }

    fn write(&mut self, record: Record<'_>) -> Result<(), SinkError> {
        match record {
            Record::Alert(signal) => self.line(&row(signal)),
            Record::Incident(_) => Ok(()),
        }
    }

    fn finish(&mut self, _summary: Option<&RunSummary>) -> Result<(), SinkError> {
        self.out
            .flush()
            .map_err(|e| SinkError::io(self.what.clone(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_formula_defusing() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(row(&Signal::default()).len(), CSV_COLUMNS.len());
    }
}
