//! The run summary: plain numbers the engine hands over at the end of a run.

use crate::text::{Style, short_time};
use model::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One skipped record, as an example of its reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SkipExample {
    /// The file.
    pub file: String,
    /// Byte offset (or record number) in the file.
    pub offset: u64,
    /// What was wrong with this record.
    pub detail: String,
}

/// Records skipped for one reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SkippedRecords {
    /// The reason (e.g. `malformed JSON`, `timestamp missing`).
    pub reason: String,
    /// How many records were skipped for it.
    pub count: u64,
    /// A few examples with file and offset.
    pub examples: Vec<SkipExample>,
}

/// A rule that failed to load.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleFailure {
    /// The rule file.
    pub path: String,
    /// Why, with the line where known.
    pub reason: String,
}

/// What a run read and did, for the end-of-run summary and the report overview.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunSummary {
    /// Files read per input format (`evtx`, `zeek-conn`, `pcap`...).
    pub files_by_format: BTreeMap<String, u64>,
    /// Events per event kind (`process_start`, `network`...).
    pub events_by_kind: BTreeMap<String, u64>,
    /// Earliest and latest event time.
    pub time_range: Option<(Timestamp, Timestamp)>,
    /// Distinct hosts seen.
    pub hosts: u64,
    /// Skipped records by reason.
    pub skipped: Vec<SkippedRecords>,
    /// Rules loaded.
    pub rules_loaded: u64,
    /// Rules that failed to load.
    pub rules_failed: Vec<RuleFailure>,
    /// Wall-clock duration of the run.
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
    /// Notes worth a line (e.g. "capture clock starts at 1970").
    pub notes: Vec<String>,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

impl RunSummary {
    /// All events read.
    pub fn events(&self) -> u64 {
        self.events_by_kind.values().sum()
    }

    /// All files read.
    pub fn files(&self) -> u64 {
        self.files_by_format.values().sum()
    }

    /// All records skipped.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|s| s.count).sum()
    }
}

fn joined(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".to_string();
    }
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The summary as terminal lines (colour only when `color`).
pub fn render_summary(summary: &RunSummary, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    let secs = summary.duration.as_secs_f64();
    let rate = if secs > 0.0 {
        summary.events() as f64 / secs
    } else {
        0.0
    };
    out.push_str(&style.bold("Run summary"));
    out.push('\n');
    out.push_str(&format!(
        "  files     {} ({})\n",
        summary.files(),
        joined(&summary.files_by_format)
    ));
    out.push_str(&format!(
        "  events    {} ({})\n",
        summary.events(),
        joined(&summary.events_by_kind)
    ));
    if let Some((from, to)) = summary.time_range {
        out.push_str(&format!(
            "  time      {} to {}\n",
            short_time(from),
            short_time(to)
        ));
    }
    out.push_str(&format!("  hosts     {}\n", summary.hosts));
    out.push_str(&format!(
        "  rules     {} loaded, {} failed\n",
        summary.rules_loaded,
        summary.rules_failed.len()
    ));
    for failure in summary.rules_failed.iter().take(10) {
        out.push_str(&format!(
            "    {} {}: {}\n",
            style.yellow("!"),
            failure.path,
            failure.reason
        ));
    }
    if summary.rules_failed.len() > 10 {
        out.push_str(&format!(
            "    ... and {} more\n",
            summary.rules_failed.len() - 10
        ));
    }
    out.push_str(&format!(
        "  skipped   {} record(s)\n",
        summary.skipped_total()
    ));
    for skipped in &summary.skipped {
        out.push_str(&format!("    {} x {}\n", skipped.count, skipped.reason));
        for example in skipped.examples.iter().take(3) {
            out.push_str(&style.dim(&format!(
                "      e.g. {} at offset {}: {}\n",
                example.file, example.offset, example.detail
            )));
        }
    }
    out.push_str(&format!("  duration  {secs:.2} s ({rate:.0} events/s)\n"));
    for note in &summary.notes {
        out.push_str(&format!("  note      {note}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_skips_with_file_and_offset() {
        let summary = RunSummary {
            files_by_format: [("zeek-conn".to_string(), 2)].into(),
            events_by_kind: [("network".to_string(), 1000)].into(),
            skipped: vec![SkippedRecords {
                reason: "malformed line".into(),
                count: 3,
                examples: vec![SkipExample {
                    file: "conn.log".into(),
                    offset: 4096,
                    detail: "12 fields, expected 21".into(),
                }],
            }],
            rules_loaded: 40,
            duration: Duration::from_millis(500),
            ..Default::default()
        };
        let text = render_summary(&summary, false);
        assert!(text.contains("files     2 (zeek-conn 2)"), "{text}");
        assert!(text.contains("3 x malformed line"), "{text}");
        assert!(text.contains("conn.log at offset 4096"), "{text}");
        assert!(text.contains("2000 events/s"), "{text}");
        assert!(!text.contains('\x1b'));
    }
}
