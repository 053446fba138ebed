//! The terminal view: incidents first (one screen each), then a compact alert table.

use crate::text::{Style, cut, format_bytes, short_time, wrap};
use crate::{
    Collected, Record, RunSummary, Sink, SinkError, alert_order, incident_order, render_summary,
};
use model::{AnswerValue, Decision, Incident, Signal};
use std::io::{IsTerminal, Write};

/// Lines of evidence shown per answer; the rest is in the JSONL, HTML and case files.
const EVIDENCE_LINES: usize = 2;
/// Reasons shown per incident.
const MAX_REASONS: usize = 5;
/// Tier-2 actions shown per incident.
const MAX_T2: usize = 4;
/// Alerts listed in the alert table before "... and N more".
const MAX_ALERT_ROWS: usize = 200;

/// Renders incidents for an L1 analyst: decision, stage, host and user,
/// destinations with bytes, the five answers and the next steps; then one line per
/// alert. Colour only when asked (see [`TableSink::stdout`]).
pub struct TableSink<W: Write> {
    out: W,
    style: Style,
    width: usize,
    collected: Collected,
}

impl TableSink<std::io::Stdout> {
    /// Standard output, coloured when it is a terminal and `NO_COLOR` is unset.
    pub fn stdout() -> Self {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        TableSink::new(std::io::stdout(), color)
    }
}

impl<W: Write> TableSink<W> {
    /// A table writer; `color` turns ANSI colours on.
    pub fn new(out: W, color: bool) -> Self {
        TableSink {
            out,
            style: Style { color },
            width: 100,
            collected: Collected::default(),
        }
    }

    /// Sets the text width (default 100 columns).
    pub fn with_width(mut self, width: usize) -> Self {
        self.width = width.max(60);
        self
    }

    /// The writer back (tests).
    pub fn into_inner(self) -> W {
        self.out
    }

    fn render(&self, summary: Option<&RunSummary>) -> String {
        let mut text = String::new();
        let incidents = incident_order(&self.collected.incidents);
        let escalated = incidents
            .iter()
            .filter(|i| i.triage.decision == Decision::Escalate)
            .count();
        text.push_str(&self.style.bold(&format!(
            "{} incident(s): {} to escalate, {} benign; {} alert(s)\n\n",
            incidents.len(),
            escalated,
            incidents.len() - escalated,
            self.collected.alerts.len()
        )));
        for (n, incident) in incidents.iter().enumerate() {
            text.push_str(&self.incident(incident, n + 1, incidents.len()));
            text.push('\n');
        }
        text.push_str(&self.alert_table(&alert_order(&self.collected.alerts)));
        if let Some(summary) = summary {
            text.push('\n');
            text.push_str(&render_summary(summary, self.style.color));
        }
        text
    }

    fn incident(&self, incident: &Incident, n: usize, total: usize) -> String {
        let s = self.style;
        let w = self.width;
        let (decision, decision_len) = match incident.triage.decision {
            Decision::Escalate => (s.red("ESCALATE TO TIER 2"), 18),
            Decision::Benign => (s.green("BENIGN"), 6),
        };
        let mut out = String::new();
        let title = format!("INCIDENT {n}/{total} ");
        let rest = format!(
            "  score {}  stage {}",
            incident.score,
            incident.stage.as_str()
        );
        let rule = "━".repeat(
            w.saturating_sub(title.len() + decision_len + rest.len() + 2)
                .max(3),
        );
        out.push_str(&format!(
            "{} {decision}{} {rule}\n",
            s.bold(&title),
            s.bold(&rest)
        ));
        let host = match (&incident.host_name, incident.host_ip) {
            (Some(name), Some(ip)) => format!("{name} ({ip})"),
            (Some(name), None) => name.clone(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => "-".to_string(),
        };
        let line = |text: String| format!("{}\n", cut(&text, w));
        out.push_str(&line(format!(
            "  host  {host}    user  {}",
            incident.user_name.as_deref().unwrap_or("-")
        )));
        out.push_str(&line(format!(
            "  when  {} to {}    {} alert(s)",
            short_time(incident.first_seen),
            short_time(incident.last_seen),
            incident.alerts.len(),
        )));
        out.push_str(&line(format!("  by    {}", incident.detectors.join(", "))));
        out.push_str(&s.dim(&line(format!(
            "  id    {}    ATT&CK {}",
            incident.id,
            if incident.techniques.is_empty() {
                "-".to_string()
            } else {
                incident.techniques.join(", ")
            }
        ))));
        let heading = match incident.triage.decision {
            Decision::Escalate => "Why escalate",
            Decision::Benign => "Why benign",
        };
        out.push_str(&format!("{}\n", s.bold(heading)));
        for reason in incident.triage.reasons.iter().take(MAX_REASONS) {
            out.push_str(&bullets(reason, "  • ", w, 2));
        }
        if !incident.destinations.is_empty() {
            out.push_str(&format!("{}\n", s.bold("Destinations")));
            for d in incident.destinations.iter().take(5) {
                let name = d.domain.clone().unwrap_or_else(|| "-".into());
                let addr = match (d.ip, d.port) {
                    (Some(ip), Some(p)) => format!("{ip}:{p}"),
                    (Some(ip), None) => ip.to_string(),
                    (None, Some(p)) => format!(":{p}"),
                    (None, None) => "-".to_string(),
                };
                out.push_str(&format!(
                    "  {:<34} {:<24} {:>9}  {} transfer(s)\n",
                    cut(&name, 34),
                    cut(&addr, 24),
                    format_bytes(d.bytes_out),
                    d.transfers
                ));
            }
            if incident.destinations.len() > 5 {
                out.push_str(&format!(
                    "  ... and {} more\n",
                    incident.destinations.len() - 5
                ));
            }
        }
        out.push_str(&format!("{}\n", s.bold("Playbook")));
        for (i, answer) in incident.triage.answers.iter().enumerate() {
            let label = match answer.answer {
                AnswerValue::Yes => "YES    ",
                AnswerValue::No => "NO     ",
                AnswerValue::Unknown => "UNKNOWN",
            };
            let painted = match (i, answer.answer) {
                (_, AnswerValue::Unknown) => s.yellow(label),
                // Q2 "no" (untrusted destination) and the other "yes" answers are the risks.
                (1, AnswerValue::No) | (0 | 2 | 3 | 4, AnswerValue::Yes) => s.red(label),
                _ => s.green(label),
            };
            out.push_str(&format!(
                "  {}. {painted} {}\n",
                i + 1,
                cut(&answer.question, w - 14)
            ));
            out.push_str(&s.dim(&bullets(
                &answer.evidence,
                "             ",
                w,
                EVIDENCE_LINES,
            )));
        }
        out.push_str(&format!("{}\n", s.bold("Next steps")));
        if incident.triage.decision == Decision::Escalate {
            for action in incident.triage.t2_actions.iter().take(MAX_T2) {
                out.push_str(&bullets(action, "  T2  ", w, 2));
            }
            for step in &incident.triage.containment {
                out.push_str(&bullets(step, "  FIX ", w, 4));
            }
        } else {
            // A benign incident's containment only repeats that none is
            // needed, which its Tier-2 line already says.
            for step in &incident.triage.t2_actions {
                out.push_str(&bullets(step, "  ", w, 2));
            }
        }
        out
    }

    fn alert_table(&self, alerts: &[&Signal]) -> String {
        let s = self.style;
        let mut out = String::new();
        if alerts.is_empty() {
            out.push_str("No alerts.\n");
            return out;
        }
        out.push_str(&s.bold(&format!(
            "{:<20} {:>3} {:<8} {:<10} {:<18} {:<12} {:<28} {}\n",
            "time (UTC)", "scr", "severity", "detector", "host", "user", "destination", "rule"
        )));
        for alert in alerts.iter().take(MAX_ALERT_ROWS) {
            let host = alert
                .host_name
                .clone()
                .or_else(|| alert.host_ip.map(|ip| ip.to_string()))
                .unwrap_or_else(|| "-".into());
            let dest = alert
                .destination_domain
                .clone()
                .or_else(|| alert.destination_ip.map(|ip| ip.to_string()))
                .unwrap_or_else(|| "-".into());
            let severity = match alert.severity {
                model::Severity::Informational => "info",
                other => other.as_str(),
            };
            let rule = if alert.allowed.is_some() {
                format!("{} (allow-listed)", alert.rule_name)
            } else {
                alert.rule_name.to_string()
            };
            out.push_str(&format!(
                "{:<20} {:>3} {:<8} {:<10} {:<18} {:<12} {:<28} {}\n",
                short_time(alert.timestamp),
                alert.score,
                severity,
                cut(&alert.detector, 10),
                cut(&host, 18),
                cut(alert.user_name.as_deref().unwrap_or("-"), 12),
                cut(&dest, 28),
                cut(&rule, self.width.saturating_sub(105).max(30))
            ));
        }
        if alerts.len() > MAX_ALERT_ROWS {
            out.push_str(&format!(
                "... and {} more alert(s): use --format jsonl for all\n",
                alerts.len() - MAX_ALERT_ROWS
            ));
        }
        out
    }
}

/// A wrapped item: the first line after `prefix`, the rest indented, at most
/// `max_lines` lines (the last one cut with `…`).
fn bullets(text: &str, prefix: &str, width: usize, max_lines: usize) -> String {
    let indent = " ".repeat(prefix.chars().count());
    let room = width.saturating_sub(prefix.chars().count());
    let lines = wrap(text, room);
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate().take(max_lines) {
        let line = if i + 1 == max_lines && lines.len() > max_lines {
            if line.chars().count() + 2 <= room {
                format!("{line} …")
            } else {
                cut(line, room)
            }
        } else {
            line.clone()
        };
        out.push_str(if i == 0 { prefix } else { &indent });
        out.push_str(&line);
        out.push('\n');
    }
    out
}

impl<W: Write> Sink for TableSink<W> {
    fn write(&mut self, record: Record<'_>) -> Result<(), SinkError> {
        self.collected.add(record);
        Ok(())
    }

    fn finish(&mut self, summary: Option<&RunSummary>) -> Result<(), SinkError> {
        let text = self.render(summary);
        self.out
            .write_all(text.as_bytes())
            .and_then(|_| self.out.flush())
            .map_err(|e| SinkError::io("the table", e))
    }
}
