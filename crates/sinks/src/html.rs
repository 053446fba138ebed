//! The self-contained HTML report: overview, then one section per incident.

use crate::svg;
use crate::text::{format_bytes, html_escape, short_time};
use crate::{Collected, Record, RunSummary, Sink, SinkError, alert_order, incident_order};
use correlate::{BUCKET_SECS, Observations};
use model::{AnswerValue, Decision, Incident, Signal, Timestamp};
use std::fmt::Write;
use std::path::PathBuf;

const STYLE: &str = r#"
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2937;background:#f3f5f9}
header{background:#14213d;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d3e6}
main{max-width:1100px;margin:0 auto;padding:20px 24px 48px}
section.card{background:#fff;border:1px solid #dde3ec;border-radius:8px;padding:18px 22px;margin:18px 0}
h2{margin:0 0 10px;font-size:19px}h3{margin:18px 0 8px;font-size:15px;color:#14213d}
.stats{display:flex;gap:14px;flex-wrap:wrap}.stat{flex:1;min-width:140px;background:#f7f9fc;border:1px solid #e3e8f0;border-radius:6px;padding:10px 14px}
.stat b{display:block;font-size:24px}.stat span{color:#5b6579}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e9ef;vertical-align:top}
th{background:#f7f9fc;font-weight:600;color:#3b4558}td.num,th.num{text-align:right;white-space:nowrap}td.q{width:26%}
.badge{display:inline-block;white-space:nowrap;padding:2px 9px;border-radius:10px;font-size:12px;font-weight:700;letter-spacing:.02em}
.escalate{background:#fde2e1;color:#b42318}.benign{background:#dcfae6;color:#067647}
.yes{background:#fde2e1;color:#b42318}.no{background:#dcfae6;color:#067647}.unknown{background:#fef0c7;color:#93370d}
.risk-no{background:#fde2e1;color:#b42318}.ok-yes{background:#dcfae6;color:#067647}
.meta{color:#4a5468;margin:2px 0}.allowed{color:#067647}ul{margin:6px 0;padding-left:20px}li{margin:3px 0}
code{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;background:#f2f4f7;border:1px solid #e4e7ec;border-radius:4px;padding:1px 4px;overflow-wrap:anywhere}
.chart{max-width:760px;display:block;border:1px solid #e6e9ef;border-radius:6px;margin:6px 0}
.grid{display:grid;grid-template-columns:1fr;gap:8px}a{color:#2952a3}footer{color:#667085;text-align:center;font-size:12px}
"#;

/// Writes one self-contained HTML file (inline CSS and SVG, no scripts, nothing
/// fetched from the network): an overview, then per incident the decision and
/// reasons, the destinations, the five answers, a timeline, outbound bytes over
/// time against the baseline band (from volume signals' `evidence.series`), the
/// interval histogram of cadence findings (`evidence.intervals_s`), the alerts and
/// the actions.
pub struct HtmlReportSink<'a> {
    path: PathBuf,
    collected: Collected,
    observations: Option<&'a Observations>,
}

impl<'a> HtmlReportSink<'a> {
    /// A report written to `path` when the run finishes.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        HtmlReportSink {
            path: path.into(),
            collected: Collected::default(),
            observations: None,
        }
    }

    /// Draws, for incidents without a volume series in their signals, the host's
    /// observed outbound bytes per 5 minutes against its own band (median to 99th
    /// percentile of its other buckets).
    pub fn with_observations(mut self, observations: &'a Observations) -> Self {
        self.observations = Some(observations);
        self
    }
}

impl Sink for HtmlReportSink<'_> {
    fn write(&mut self, record: Record<'_>) -> Result<(), SinkError> {
        self.collected.add(record);
        Ok(())
    }

    fn finish(&mut self, summary: Option<&RunSummary>) -> Result<(), SinkError> {
        let html = render_report(&self.collected, summary, self.observations);
        std::fs::write(&self.path, html)
            .map_err(|e| SinkError::io(self.path.display().to_string(), e))
    }
}

/// Escapes text and turns `` `code` `` spans into `<code>`.
fn rich(text: &str) -> String {
    let escaped = html_escape(text);
    let mut out = String::with_capacity(escaped.len());
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn host_label(incident: &Incident) -> String {
    match (&incident.host_name, incident.host_ip) {
        (Some(n), Some(ip)) => format!("{n} ({ip})"),
        (Some(n), None) => n.clone(),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => "-".to_string(),
    }
}

fn decision_badge(decision: Decision) -> &'static str {
    match decision {
        Decision::Escalate => r#"<span class="badge escalate">ESCALATE TO TIER 2</span>"#,
        Decision::Benign => r#"<span class="badge benign">BENIGN</span>"#,
    }
}

pub(crate) fn render_report(
    collected: &Collected,
    summary: Option<&RunSummary>,
    observations: Option<&Observations>,
) -> String {
    let incidents = incident_order(&collected.incidents);
    let alerts = alert_order(&collected.alerts);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>exfilguard report</title><style>{STYLE}</style></head><body>"
    );
    let range = summary
        .and_then(|s| s.time_range)
        .or_else(|| Some((alerts.first()?.timestamp, alerts.last()?.timestamp)));
    let _ = write!(
        html,
        "<header><h1>exfilguard: automated exfiltration report</h1><p>{}</p></header><main>",
        match range {
            Some((a, b)) => format!("Data from {} to {} (UTC)", short_time(a), short_time(b)),
            None => "No events with a time".to_string(),
        }
    );
    overview(&mut html, &incidents, &alerts, summary);
    for (n, incident) in incidents.iter().enumerate() {
        incident_section(
            &mut html,
            incident,
            n + 1,
            &collected.alerts_of(incident),
            observations,
        );
    }
    if let Some(summary) = summary {
        run_section(&mut html, summary);
    }
    html.push_str("<footer>Generated by exfilguard. Self-contained: no scripts, no external resources.</footer></main></body></html>\n");
    html
}

fn overview(
    html: &mut String,
    incidents: &[&Incident],
    alerts: &[&Signal],
    summary: Option<&RunSummary>,
) {
    let escalated = incidents
        .iter()
        .filter(|i| i.triage.decision == Decision::Escalate)
        .count();
    let _ = write!(
        html,
        r#"<section class="card"><h2>Overview</h2><div class="stats"><div class="stat"><b>{}</b><span>incident(s) to escalate</span></div><div class="stat"><b>{}</b><span>benign incident(s)</span></div><div class="stat"><b>{}</b><span>alert(s)</span></div>"#,
        escalated,
        incidents.len() - escalated,
        alerts.len()
    );
    if let Some(summary) = summary {
        let _ = write!(
            html,
            r#"<div class="stat"><b>{}</b><span>events from {} file(s)</span></div>"#,
            summary.events(),
            summary.files()
        );
    }
    html.push_str("</div>");
    if incidents.is_empty() {
        html.push_str(
            "<p>No incident: no detector raised a signal worth correlating.</p></section>",
        );
        return;
    }
    html.push_str("<table><tr><th>#</th><th>decision</th><th>score</th><th>stage</th><th>host</th><th>user</th><th>destinations</th><th class=\"num\">bytes out</th><th>first seen</th></tr>");
    for (n, i) in incidents.iter().enumerate() {
        let dests: Vec<String> = i
            .destinations
            .iter()
            .take(3)
            .map(|d| {
                d.domain
                    .clone()
                    .or_else(|| d.ip.map(|ip| ip.to_string()))
                    .unwrap_or_default()
            })
            .collect();
        let bytes = i
            .destinations
            .iter()
            .fold(0u64, |acc, d| acc.saturating_add(d.bytes_out));
        let _ = write!(
            html,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            html_escape(&i.id),
            n + 1,
            decision_badge(i.triage.decision),
            i.score,
            i.stage.as_str(),
            html_escape(&host_label(i)),
            html_escape(i.user_name.as_deref().unwrap_or("-")),
            html_escape(&dests.join(", ")),
            format_bytes(bytes),
            short_time(i.first_seen)
        );
    }
    html.push_str("</table></section>");
}

fn incident_section(
    html: &mut String,
    incident: &Incident,
    n: usize,
    signals: &[&Signal],
    observations: Option<&Observations>,
) {
    let _ = write!(
        html,
        r#"<section class="card" id="{}"><h2>Incident {n} {} <small>score {} · stage {}</small></h2>"#,
        html_escape(&incident.id),
        decision_badge(incident.triage.decision),
        incident.score,
        incident.stage.as_str()
    );
    let _ = write!(
        html,
        r#"<p class="meta">Host <b>{}</b> · user <b>{}</b> · {} to {} UTC · {} alert(s) from {}</p><p class="meta">ATT&amp;CK {} · id <code>{}</code></p>"#,
        html_escape(&host_label(incident)),
        html_escape(incident.user_name.as_deref().unwrap_or("-")),
        short_time(incident.first_seen),
        short_time(incident.last_seen),
        incident.alerts.len(),
        html_escape(&incident.detectors.join(", ")),
        html_escape(&incident.techniques.join(", ")),
        html_escape(&incident.id)
    );
    let heading = match incident.triage.decision {
        Decision::Escalate => "Why escalate",
        Decision::Benign => "Why benign",
    };
    list(html, heading, &incident.triage.reasons);
    destinations(html, incident);
    answers(html, incident);
    html.push_str("<h3>Timeline</h3>");
    html.push_str(&svg::timeline(signals));
    charts(html, incident, signals, observations);
    alert_table(html, signals);
    list(
        html,
        "L1 steps done by exfilguard",
        &incident.triage.l1_steps,
    );
    list(html, "Tier-2 actions", &incident.triage.t2_actions);
    list(html, "Containment", &incident.triage.containment);
    html.push_str("</section>");
}

fn list(html: &mut String, heading: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(html, "<h3>{}</h3><ul>", html_escape(heading));
    for item in items {
        let _ = write!(html, "<li>{}</li>", rich(item));
    }
    html.push_str("</ul>");
}

fn destinations(html: &mut String, incident: &Incident) {
    if incident.destinations.is_empty() {
        return;
    }
    html.push_str("<h3>Destinations</h3><table><tr><th>domain</th><th>address</th><th>port</th><th class=\"num\">bytes out</th><th class=\"num\">transfers</th></tr>");
    for d in &incident.destinations {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            html_escape(d.domain.as_deref().unwrap_or("-")),
            d.ip.map(|ip| ip.to_string()).unwrap_or_else(|| "-".into()),
            d.port.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            format_bytes(d.bytes_out),
            d.transfers
        );
    }
    html.push_str("</table>");
}

fn answers(html: &mut String, incident: &Incident) {
    html.push_str("<h3>The five playbook questions</h3><table><tr><th>#</th><th>question</th><th>answer</th><th>evidence</th></tr>");
    for (i, answer) in incident.triage.answers.iter().enumerate() {
        let (class, label) = match (i, answer.answer) {
            (_, AnswerValue::Unknown) => ("unknown", "UNKNOWN"),
            (1, AnswerValue::Yes) => ("ok-yes", "YES"),
            (1, AnswerValue::No) => ("risk-no", "NO"),
            (_, AnswerValue::Yes) => ("yes", "YES"),
            (_, AnswerValue::No) => ("no", "NO"),
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td class=\"q\">{}</td><td><span class=\"badge {class}\">{label}</span></td><td>{}</td></tr>",
            i + 1,
            html_escape(&answer.question),
            rich(&answer.evidence)
        );
    }
    html.push_str("</table>");
}

fn charts(
    html: &mut String,
    incident: &Incident,
    signals: &[&Signal],
    observations: Option<&Observations>,
) {
    let mut points: Vec<svg::VolumePoint> = signals
        .iter()
        .filter(|s| s.detector == "volume")
        .flat_map(|s| svg::volume_series(s))
        .collect();
    points.sort_by_key(|p| p.t);
    points.dedup_by_key(|p| p.t);
    html.push_str("<h3>Outbound bytes over time against the baseline band</h3>");
    if !points.is_empty() {
        html.push_str(&svg::volume_chart(&points));
    } else if let Some(observed) = observations.and_then(|o| observed_series(o, incident)) {
        html.push_str("<p class=\"meta\">From the flow records (no volume finding carried a series): the host's outbound bytes per 5 minutes; band: its median to 99th-percentile 5-minute volume outside the incident window.</p>");
        html.push_str(&svg::volume_chart(&observed));
    } else {
        html.push_str("<p class=\"meta\">No volume series: no volume finding, and no flow records with byte counts for this host.</p>");
    }
    for signal in signals.iter().filter(|s| s.detector == "cadence") {
        let values = svg::intervals(signal);
        if values.is_empty() {
            continue;
        }
        let _ = write!(
            html,
            "<h3>Intervals between transfers: {}</h3>",
            html_escape(
                &triage::evidence::destination_label(signal)
                    .unwrap_or_else(|| signal.rule_name.to_string())
            )
        );
        html.push_str(&svg::interval_histogram(&values));
    }
}

/// Hours of context drawn around an incident from the observed flows.
const OBSERVED_CONTEXT_SECS: i64 = 6 * 3600;

/// The host's observed 5-minute outbound buckets around the incident, every bucket
/// present (zeros filled), against its own median..p99 band from the buckets outside
/// the incident window (±1 h).
fn observed_series(
    observations: &Observations,
    incident: &Incident,
) -> Option<Vec<svg::VolumePoint>> {
    let facts = observations.host(incident.host_name.as_deref(), incident.host_ip)?;
    if facts.outbound_buckets.is_empty() {
        return None;
    }
    let window = (
        incident.first_seen.plus_secs(-3600).secs(),
        incident.last_seen.plus_secs(3600).secs(),
    );
    let mut outside: Vec<u64> = facts
        .outbound_buckets
        .iter()
        .filter(|(start, _)| *start + BUCKET_SECS <= window.0 || *start > window.1)
        .map(|(_, b)| *b)
        .collect();
    outside.sort_unstable();
    let pick = |q: f64| {
        outside
            .get(((outside.len().max(1) - 1) as f64 * q).round() as usize)
            .copied()
    };
    let (baseline, upper) = (pick(0.5).map(|v| v as f64), pick(0.99).map(|v| v as f64));
    let from = (incident.first_seen.plus_secs(-OBSERVED_CONTEXT_SECS).secs())
        .div_euclid(BUCKET_SECS)
        * BUCKET_SECS;
    let to = incident.last_seen.plus_secs(OBSERVED_CONTEXT_SECS).secs();
    let by_start: std::collections::BTreeMap<i64, u64> = facts
        .outbound_buckets
        .iter()
        .filter(|(start, _)| *start >= from && *start <= to)
        .copied()
        .collect();
    if by_start.is_empty() {
        return None;
    }
    let points = (0..)
        .map(|i| from + i * BUCKET_SECS)
        .take_while(|start| *start <= to)
        .take(4000)
        .map(|start| svg::VolumePoint {
            t: Timestamp::from_secs(start),
            bytes: by_start.get(&start).copied().unwrap_or(0) as f64,
            baseline,
            upper,
        })
        .collect();
    Some(points)
}

/// Alerts listed per incident in the report; the rest are counted.
const MAX_ALERT_ROWS: usize = 200;

fn alert_table(html: &mut String, signals: &[&Signal]) {
    html.push_str("<h3>Alerts</h3><table><tr><th>time (UTC)</th><th>detector</th><th>stage</th><th>rule</th><th>destination</th><th class=\"num\">score</th><th>evidence records</th></tr>");
    for s in signals.iter().take(MAX_ALERT_ROWS) {
        let records: Vec<String> = s
            .records
            .iter()
            .take(3)
            .map(|r| format!("{}@{}", r.file, r.offset))
            .collect();
        let allowed = s
            .allowed
            .as_deref()
            .map(|r| {
                format!(
                    "<br><span class=\"allowed\">allow-listed: {}</span>",
                    html_escape(r)
                )
            })
            .unwrap_or_default();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{allowed}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            short_time(s.timestamp),
            html_escape(&s.detector),
            s.stage.as_str(),
            html_escape(&s.rule_name),
            html_escape(&triage::evidence::destination_label(s).unwrap_or_else(|| "-".into())),
            s.score,
            html_escape(&records.join(" "))
        );
    }
    if signals.len() > MAX_ALERT_ROWS {
        let _ = write!(
            html,
            "<tr><td colspan=\"7\">... and {} more alert(s): see the JSONL output or the case file</td></tr>",
            signals.len() - MAX_ALERT_ROWS
        );
    }
    html.push_str("</table>");
}

fn run_section(html: &mut String, summary: &RunSummary) {
    html.push_str(r#"<section class="card"><h2>Run</h2><table>"#);
    let joined = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows = [
        (
            "files",
            format!("{} ({})", summary.files(), joined(&summary.files_by_format)),
        ),
        (
            "events",
            format!("{} ({})", summary.events(), joined(&summary.events_by_kind)),
        ),
        ("hosts", summary.hosts.to_string()),
        (
            "rules",
            format!(
                "{} loaded, {} failed",
                summary.rules_loaded,
                summary.rules_failed.len()
            ),
        ),
        ("skipped", format!("{} record(s)", summary.skipped_total())),
        (
            "duration",
            format!("{:.2} s", summary.duration.as_secs_f64()),
        ),
    ];
    for (k, v) in rows {
        let _ = write!(html, "<tr><th>{k}</th><td>{}</td></tr>", html_escape(&v));
    }
    html.push_str("</table>");
    for skipped in &summary.skipped {
        let _ = write!(
            html,
            "<p class=\"meta\">{} × {}</p><ul>",
            skipped.count,
            html_escape(&skipped.reason)
        );
        for e in skipped.examples.iter().take(3) {
            let _ = write!(
                html,
                "<li><code>{}@{}</code> {}</li>",
                html_escape(&e.file),
                e.offset,
                html_escape(&e.detail)
            );
        }
        html.push_str("</ul>");
    }
    for failure in &summary.rules_failed {
        let _ = write!(
            html,
            "<p class=\"meta\">rule <code>{}</code>: {}</p>",
            html_escape(&failure.path),
            html_escape(&failure.reason)
        );
    }
    for note in &summary.notes {
        let _ = write!(html, "<p class=\"meta\">{}</p>", html_escape(note));
    }
    html.push_str("</section>");
}
