//! Markdown case files, one per incident, for ticketing systems.

use crate::text::{format_bytes, short_time};
use crate::{Collected, Record, RunSummary, Sink, SinkError, incident_order};
use model::{AnswerValue, Decision, Incident, Signal};
use std::fmt::Write;
use std::path::PathBuf;

/// Writes `DIR/<incident id>.md` for every incident when the run finishes: the
/// decision and reasons, the destinations, the five answers with evidence, the
/// timeline with the records behind each alert, and the L1/T2/containment steps
/// as checklists.
pub struct CaseFilesSink {
    dir: PathBuf,
    collected: Collected,
}

impl CaseFilesSink {
    /// Case files written into `dir` (created when missing).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CaseFilesSink {
            dir: dir.into(),
            collected: Collected::default(),
        }
    }
}

impl Sink for CaseFilesSink {
    fn write(&mut self, record: Record<'_>) -> Result<(), SinkError> {
        self.collected.add(record);
        Ok(())
    }

    fn finish(&mut self, _summary: Option<&RunSummary>) -> Result<(), SinkError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| SinkError::Create {
            path: self.dir.clone(),
            source,
        })?;
        for incident in incident_order(&self.collected.incidents) {
            let text = case_file(incident, &self.collected.alerts_of(incident));
            let path = self.dir.join(format!("{}.md", file_name(&incident.id)));
            std::fs::write(&path, text)
                .map_err(|e| SinkError::io(path.display().to_string(), e))?;
        }
        Ok(())
    }
}

/// Timeline rows per case file; a ticket stays readable.
const MAX_TIMELINE_ROWS: usize = 500;

/// Keeps ids safe as file names.
fn file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Escapes a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The Markdown text of one case.
pub fn case_file(incident: &Incident, signals: &[&Signal]) -> String {
    let mut md = String::new();
    let decision = match incident.triage.decision {
        Decision::Escalate => "ESCALATE to Tier 2",
        Decision::Benign => "BENIGN",
    };
    let host = match (&incident.host_name, incident.host_ip) {
        (Some(n), Some(ip)) => format!("{n} ({ip})"),
        (Some(n), None) => n.clone(),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => "-".into(),
    };
    let _ = writeln!(
        md,
        "# [{decision}] {host}: {} stage, score {}\n",
        incident.stage.as_str(),
        incident.score
    );
    let _ = writeln!(md, "| field | value |\n|---|---|");
    for (k, v) in [
        ("incident", incident.id.clone()),
        ("decision", decision.to_string()),
        ("host", host.clone()),
        (
            "user",
            incident.user_name.clone().unwrap_or_else(|| "-".into()),
        ),
        ("first seen (UTC)", short_time(incident.first_seen)),
        ("last seen (UTC)", short_time(incident.last_seen)),
        ("stage", incident.stage.as_str().to_string()),
        ("score", incident.score.to_string()),
        ("detectors", incident.detectors.join(", ")),
        ("ATT&CK", incident.techniques.join(", ")),
    ] {
        let _ = writeln!(md, "| {k} | {} |", cell(&v));
    }
    let heading = if incident.triage.decision == Decision::Escalate {
        "Why escalate"
    } else {
        "Why benign"
    };
    let _ = writeln!(md, "\n## {heading}\n");
    for reason in &incident.triage.reasons {
        let _ = writeln!(md, "- {reason}");
    }
    if !incident.destinations.is_empty() {
        let _ = writeln!(
            md,
            "\n## Destinations\n\n| domain | address | port | bytes out | transfers |\n|---|---|---|---:|---:|"
        );
        for d in &incident.destinations {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                cell(d.domain.as_deref().unwrap_or("-")),
                d.ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
                d.port.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                format_bytes(d.bytes_out),
                d.transfers
            );
        }
    }
    let _ = writeln!(
        md,
        "\n## Playbook questions\n\n| # | question | answer | evidence |\n|---|---|---|---|"
    );
    for (i, a) in incident.triage.answers.iter().enumerate() {
        let answer = match a.answer {
            AnswerValue::Yes => "**yes**",
            AnswerValue::No => "**no**",
            AnswerValue::Unknown => "**unknown**",
        };
        let _ = writeln!(
            md,
            "| {} | {} | {answer} | {} |",
            i + 1,
            cell(&a.question),
            cell(&a.evidence)
        );
    }
    let _ = writeln!(
        md,
        "\n## Timeline (UTC)\n\n| time | detector | stage | rule | destination | score | records |\n|---|---|---|---|---|---:|---|"
    );
    for s in signals.iter().take(MAX_TIMELINE_ROWS) {
        let records: Vec<String> = s
            .records
            .iter()
            .take(5)
            .map(|r| format!("`{}@{}`", r.file, r.offset))
            .collect();
        let rule = match &s.allowed {
            Some(reason) => format!("{} (allow-listed: {reason})", s.rule_name),
            None => s.rule_name.to_string(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            short_time(s.timestamp),
            cell(&s.detector),
            s.stage.as_str(),
            cell(&rule),
            cell(&triage::evidence::destination_label(s).unwrap_or_else(|| "-".into())),
            s.score,
            cell(&records.join(" "))
        );
    }
    if signals.len() > MAX_TIMELINE_ROWS {
        let _ = writeln!(
            md,
            "\n{} more alert(s) not listed; their ids are in the incident's `alerts`.",
            signals.len() - MAX_TIMELINE_ROWS
        );
    }
    for (title, items, checklist) in [
        (
            "L1 steps done by exfilguard",
            &incident.triage.l1_steps,
            false,
        ),
        ("Tier-2 actions", &incident.triage.t2_actions, true),
        ("Containment", &incident.triage.containment, true),
    ] {
        let _ = writeln!(md, "\n## {title}\n");
        for item in items {
            let _ = writeln!(md, "{} {item}", if checklist { "- [ ]" } else { "- [x]" });
        }
    }
    md
}
