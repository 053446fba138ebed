//! Scoring a detection run against `labels.json`: for each scenario, whether it was
//! detected and escalated, how long after the first exfiltration event the first
//! alert came, and which detectors fired; then recall, false escalations and a
//! pass/fail verdict.
//!
//! Matching a scenario to findings uses what the labels say about it:
//!
//! * an alert or incident belongs to a scenario when its host is one of the
//!   scenario's hosts (by name, short name or address) **and** either one of its
//!   destinations is one of the scenario's (address, or domain equal to or under the
//!   label's domain), or, for exfiltration scenarios only, it names no destination and
//!   falls in the scenario's window: from 10 minutes before its first activity
//!   (`first_activity`, which includes setup such as a scheduled task the day
//!   before; without it, 36 hours before the first transfer) to 6 hours after the
//!   last transfer;
//! * a SaaS scenario (no host, one account) owns the alerts and incidents of its
//!   account: inside its window for exfiltration, at any time for look-alikes;
//!   a hostless incident about an account never belongs to a host's scenario;
//! * a finding that names no host at all (e.g. a network rule on a record without
//!   addresses) belongs to a scenario by destination alone;
//! * benign look-alikes are matched by destination only: they are defined by where
//!   their data goes, and an endpoint finding on one of their many hosts says nothing
//!   about them.
//!
//! Escalated incidents that match no scenario at all are counted as
//! `unexplained_escalations`: in a fully labelled folder they are false positives on
//! the benign background (escalations of a benign look-alike are counted once, as
//! `false_escalations`).

use crate::labels::{LabelDestination, Labels, ScenarioLabel};
use model::{Decision, Incident, Signal, Timestamp};
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Seconds before the first transfer in which host-only findings still count, when
/// the labels give no `first_activity`.
pub const SETUP_WINDOW_S: i64 = 36 * 3600;
/// Seconds before `first_activity` in which host-only findings still count.
pub const ACTIVITY_LEAD_S: i64 = 600;
/// Seconds after the last transfer in which host-only findings still count.
pub const AFTER_WINDOW_S: i64 = 6 * 3600;

/// The verdict on one scenario; serialises as `validate`'s JSONL row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub scenario: String,
    /// A benign look-alike.
    pub benign: bool,
    /// At least one alert or incident matched it.
    pub detected: bool,
    /// At least one matched incident was escalated to Tier 2.
    pub escalated: bool,
    /// Seconds from the first exfiltration event to the first matching alert (to
    /// the first matching incident when no single alert matched); negative when an
    /// alert came before any data left (e.g. on the setup). `None` when not
    /// detected or the labels have no first event.
    pub time_to_detect_s: Option<i64>,
    /// Detectors that fired on it (sorted).
    pub detectors: Vec<String>,
    /// Expected detectors that did not fire (not part of the JSONL row).
    #[serde(skip)]
    pub missing_detectors: Vec<String>,
    /// Ids of the matched incidents (not part of the JSONL row).
    #[serde(skip)]
    pub incidents: Vec<String>,
}

impl ScenarioResult {
    /// Whether this scenario's outcome is the expected one.
    pub fn as_expected(&self) -> bool {
        self.escalated != self.benign
    }
}

/// Totals over all scenarios; serialises inside `{"summary": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreSummary {
    /// Scenarios in the labels.
    pub scenarios: usize,
    /// Exfiltration scenarios.
    pub exfil_scenarios: usize,
    /// Benign look-alikes.
    pub benign_scenarios: usize,
    /// Exfiltration scenarios with at least one finding.
    pub detected: usize,
    /// Exfiltration scenarios escalated.
    pub escalated: usize,
    /// Escalated exfiltration scenarios / exfiltration scenarios (1.0 when none).
    pub recall: f64,
    /// Detected exfiltration scenarios / exfiltration scenarios.
    pub detection_recall: f64,
    /// Benign look-alikes that were escalated.
    pub false_escalations: usize,
    /// Escalated incidents that match no scenario (false positives on the background).
    pub unexplained_escalations: usize,
    /// Median seconds from first exfiltration event to first alert, over detected
    /// exfiltration scenarios.
    pub median_time_to_detect_s: Option<i64>,
    /// Exfiltration scenarios not escalated.
    pub missed: Vec<String>,
    /// Every exfiltration scenario escalated, and no false or unexplained escalation.
    pub pass: bool,
}

/// The whole score.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// One result per scenario, in label order.
    pub results: Vec<ScenarioResult>,
    /// The totals.
    pub summary: ScoreSummary,
    /// The escalated incidents that match no scenario: `id host first_seen`.
    pub unexplained: Vec<String>,
}

/// Scores `alerts` and `incidents` against `labels`.
pub fn score(labels: &Labels, alerts: &[Signal], incidents: &[Incident]) -> Score {
    let matchers: Vec<Matcher> = labels.scenarios.iter().map(Matcher::new).collect();
    let results: Vec<ScenarioResult> = matchers
        .iter()
        .map(|m| m.result(alerts, incidents))
        .collect();
    let unexplained: Vec<String> = incidents
        .iter()
        .filter(|i| i.triage.decision == Decision::Escalate)
        .filter(|i| !matchers.iter().any(|m| m.matches_incident(i)))
        .map(describe_incident)
        .collect();
    let summary = summarise(&results, unexplained.len());
    Score {
        results,
        summary,
        unexplained,
    }
}

/// `id host first_seen detectors` of an incident, for the unexplained list.
fn describe_incident(incident: &Incident) -> String {
    let host = incident
        .host_name
        .clone()
        .or_else(|| incident.host_ip.map(|ip| ip.to_string()))
        .unwrap_or_else(|| "(no host)".into());
    format!(
        "{} {host} from {} [{}]",
        incident.id,
        incident.first_seen.to_rfc3339(),
        incident.detectors.join(",")
    )
}

fn summarise(results: &[ScenarioResult], unexplained: usize) -> ScoreSummary {
    let exfil: Vec<&ScenarioResult> = results.iter().filter(|r| !r.benign).collect();
    let escalated = exfil.iter().filter(|r| r.escalated).count();
    let detected = exfil.iter().filter(|r| r.detected).count();
    let false_escalations = results.iter().filter(|r| r.benign && r.escalated).count();
    let ratio = |n: usize| {
        if exfil.is_empty() {
            1.0
        } else {
            n as f64 / exfil.len() as f64
        }
    };
    let mut times: Vec<i64> = exfil.iter().filter_map(|r| r.time_to_detect_s).collect();
    times.sort_unstable();
    ScoreSummary {
        scenarios: results.len(),
        exfil_scenarios: exfil.len(),
        benign_scenarios: results.len() - exfil.len(),
        detected,
        escalated,
        recall: ratio(escalated),
        detection_recall: ratio(detected),
        false_escalations,
        unexplained_escalations: unexplained,
        median_time_to_detect_s: times
            .get(times.len().wrapping_sub(1) / 2)
            .copied()
            .filter(|_| !times.is_empty()),
        missed: exfil
            .iter()
            .filter(|r| !r.escalated)
            .map(|r| r.scenario.clone())
            .collect(),
        pass: escalated == exfil.len() && false_escalations == 0 && unexplained == 0,
    }
}

/// Decides which findings belong to one scenario.
struct Matcher<'a> {
    label: &'a ScenarioLabel,
    names: Vec<String>,
    first: Option<Timestamp>,
    window: Option<(Timestamp, Timestamp)>,
}

impl<'a> Matcher<'a> {
    fn new(label: &'a ScenarioLabel) -> Self {
        let first = label.first_event.as_deref().and_then(Timestamp::parse);
        let last = label
            .last_event
            .as_deref()
            .and_then(Timestamp::parse)
            .or(first);
        let activity = label.first_activity.as_deref().and_then(Timestamp::parse);
        let window = first.zip(last).map(|(f, l)| {
            let start = match activity {
                Some(a) => a.min(f).plus_secs(-ACTIVITY_LEAD_S),
                None => f.plus_secs(-SETUP_WINDOW_S),
            };
            (start, l.plus_secs(AFTER_WINDOW_S))
        });
        Matcher {
            label,
            names: label.hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
            first,
            window,
        }
    }

    fn host_matches(&self, name: Option<&str>, ip: Option<IpAddr>) -> bool {
        if ip.is_some_and(|ip| self.label.host_ips.contains(&ip)) {
            return true;
        }
        let Some(name) = name.map(str::to_ascii_lowercase) else {
            return false;
        };
        let short = |n: &str| n.split('.').next().unwrap_or(n).to_string();
        self.names
            .iter()
            .any(|h| *h == name || short(h) == short(&name))
    }

    fn destination_matches(&self, ip: Option<IpAddr>, domain: Option<&str>) -> bool {
        self.label.destinations.iter().any(|d: &LabelDestination| {
            let ip_match = d.ip.is_some() && d.ip == ip;
            let domain_match = match (&d.domain, domain) {
                (Some(want), Some(got)) => {
                    let (want, got) = (
                        want.to_ascii_lowercase(),
                        got.trim_end_matches('.').to_ascii_lowercase(),
                    );
                    got == want || got.ends_with(&format!(".{want}"))
                }
                _ => false,
            };
            ip_match || domain_match
        })
    }

    fn in_window(&self, from: Timestamp, to: Timestamp) -> bool {
        self.window
            .is_some_and(|(start, end)| from <= end && to >= start)
    }

    /// A SaaS scenario: keyed by its account, with no host of its own.
    fn is_account_label(&self) -> bool {
        self.label.hosts.is_empty() && self.label.host_ips.is_empty() && self.label.user.is_some()
    }

    /// Whether `user` is the label's account (`ann@corp.example` and `ann` alike).
    fn user_matches(&self, user: Option<&str>) -> bool {
        let (Some(want), Some(got)) = (self.label.user.as_deref(), user) else {
            return false;
        };
        let local = |u: &str| u.split('@').next().unwrap_or(u).to_ascii_lowercase();
        want.eq_ignore_ascii_case(got) || local(want) == local(got)
    }

    fn matches_alert(&self, alert: &Signal) -> bool {
        if self.is_account_label() {
            return self.user_matches(alert.user_name.as_deref())
                && (self.label.benign || self.in_window(alert.timestamp, alert.timestamp));
        }
        let has_destination = alert.destination_ip.is_some() || alert.destination_domain.is_some();
        if alert.host_name.is_none() && alert.host_ip.is_none() {
            return has_destination
                && self.destination_matches(
                    alert.destination_ip,
                    alert.destination_domain.as_deref(),
                );
        }
        if !self.host_matches(alert.host_name.as_deref(), alert.host_ip) {
            return false;
        }
        if has_destination {
            return self
                .destination_matches(alert.destination_ip, alert.destination_domain.as_deref());
        }
        !self.label.benign && self.in_window(alert.timestamp, alert.timestamp)
    }

    fn matches_incident(&self, incident: &Incident) -> bool {
        if self.is_account_label() {
            return self.user_matches(incident.user_name.as_deref())
                && (self.label.benign || self.in_window(incident.first_seen, incident.last_seen));
        }
        let hostless = incident.host_name.is_none() && incident.host_ip.is_none();
        if hostless && incident.user_name.is_some() {
            // An account's incident (SaaS): it belongs to account-keyed scenarios.
            return false;
        }
        if !hostless && !self.host_matches(incident.host_name.as_deref(), incident.host_ip) {
            return false;
        }
        if incident.destinations.is_empty() {
            return !self.label.benign && self.in_window(incident.first_seen, incident.last_seen);
        }
        incident
            .destinations
            .iter()
            .any(|d| self.destination_matches(d.ip, d.domain.as_deref()))
    }

    fn result(&self, alerts: &[Signal], incidents: &[Incident]) -> ScenarioResult {
        let matched_alerts: Vec<&Signal> =
            alerts.iter().filter(|a| self.matches_alert(a)).collect();
        let matched_incidents: Vec<&Incident> = incidents
            .iter()
            .filter(|i| self.matches_incident(i))
            .collect();
        let mut detectors: BTreeSet<String> = matched_alerts
            .iter()
            .map(|a| a.detector.to_string())
            .collect();
        for incident in &matched_incidents {
            detectors.extend(incident.detectors.iter().cloned());
        }
        let first_alert = matched_alerts
            .iter()
            .map(|a| a.timestamp)
            .min()
            .or_else(|| matched_incidents.iter().map(|i| i.first_seen).min());
        let missing = self
            .label
            .expected_detectors
            .iter()
            .filter(|d| !detectors.contains(*d))
            .cloned()
            .collect();
        ScenarioResult {
            scenario: self.label.name.clone(),
            benign: self.label.benign,
            detected: !matched_alerts.is_empty() || !matched_incidents.is_empty(),
            escalated: matched_incidents
                .iter()
                .any(|i| i.triage.decision == Decision::Escalate),
            time_to_detect_s: first_alert
                .zip(self.first)
                .map(|(alert, first)| alert.secs() - first.secs()),
            detectors: detectors.into_iter().collect(),
            missing_detectors: missing,
            incidents: matched_incidents.iter().map(|i| i.id.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{LabelHost, ScenarioLabel};
    use model::{IncidentDestination, Stage, Triage};

    fn label(name: &str, benign: bool, host: (&str, &str), dest: (&str, &str)) -> ScenarioLabel {
        ScenarioLabel {
            name: name.into(),
            benign,
            description: String::new(),
            hosts: vec![host.0.into()],
            host_ips: vec![host.1.parse().unwrap()],
            user: None,
            destinations: vec![LabelDestination {
                ip: Some(dest.0.parse().unwrap()),
                domain: Some(dest.1.into()),
                port: Some(443),
            }],
            first_activity: None,
            first_event: Some("2026-11-03T02:10:00Z".into()),
            last_event: Some("2026-11-03T02:50:00Z".into()),
            bytes_out: 1,
            transfers: 1,
            expected_detectors: vec!["volume".into(), "sigma".into()],
            expected_decision: if benign { "benign" } else { "escalate" }.into(),
            expected_stage: "exfiltration".into(),
        }
    }

    #[test]
    fn account_scenarios_match_their_account_only() {
        let mut saas = label(
            "saas-mass-download",
            false,
            ("x", "10.0.0.1"),
            ("203.0.113.1", "x.example"),
        );
        saas.hosts.clear();
        saas.host_ips.clear();
        saas.destinations.clear();
        saas.user = Some("b.chen@corp.example".into());
        let matcher = Matcher::new(&saas);
        let mut mine = alert("saas", "2026-11-03T02:20:00Z", None, None, None);
        mine.user_name = Some("B.Chen@corp.example".into());
        assert!(matcher.matches_alert(&mine));
        let mut short = mine.clone();
        short.user_name = Some("b.chen".into());
        assert!(
            matcher.matches_alert(&short),
            "GitHub logins are the local part"
        );
        let mut other = mine.clone();
        other.user_name = Some("d.ruiz@corp.example".into());
        assert!(!matcher.matches_alert(&other));
        let mut late = mine.clone();
        late.timestamp = Timestamp::parse("2026-11-04T12:00:00Z").unwrap();
        assert!(
            !matcher.matches_alert(&late),
            "outside the exfiltration window"
        );
        // A host scenario never owns an account's hostless incident.
        let host_label = label(
            "rclone-overnight",
            false,
            ("ws003.corp.example", "10.10.0.4"),
            ("203.0.113.45", "g.api.cloudvault.example"),
        );
        let mut incident = incident("i1", "10.0.0.9", None, Decision::Escalate);
        incident.host_ip = None;
        incident.user_name = Some("b.chen@corp.example".into());
        assert!(!Matcher::new(&host_label).matches_incident(&incident));
        assert!(matcher.matches_incident(&incident));
    }

    fn labels() -> Labels {
        Labels {
            generator: "test".into(),
            seed: 1,
            start: "2026-11-02T00:00:00Z".into(),
            days: 2,
            calendar: String::new(),
            hosts: vec![LabelHost {
                name: "ws003.corp.example".into(),
                ip: "10.10.0.4".parse().unwrap(),
                role: "workstation".into(),
                user: None,
                managed: true,
            }],
            scenarios: vec![
                label(
                    "rclone-overnight",
                    false,
                    ("ws003.corp.example", "10.10.0.4"),
                    ("203.0.113.45", "g.api.cloudvault.example"),
                ),
                label(
                    "offhours-burst",
                    false,
                    ("ws005.corp.example", "10.10.0.6"),
                    ("203.0.113.77", "files.quickdrop.example"),
                ),
                label(
                    "benign-backup",
                    true,
                    ("bkp01.corp.example", "10.20.0.5"),
                    ("192.0.2.10", "vault.offsite-backup.example"),
                ),
            ],
        }
    }

    fn alert(
        detector: &str,
        at: &str,
        host_name: Option<&str>,
        host_ip: Option<&str>,
        dest: Option<&str>,
    ) -> Signal {
        Signal {
            detector: detector.into(),
            timestamp: Timestamp::parse(at).unwrap(),
            host_name: host_name.map(String::from),
            host_ip: host_ip.map(|s| s.parse().unwrap()),
            destination_ip: dest.map(|s| s.parse().unwrap()),
            ..Signal::default()
        }
    }

    fn incident(id: &str, host_ip: &str, dest: Option<&str>, decision: Decision) -> Incident {
        Incident {
            id: id.into(),
            first_seen: Timestamp::parse("2026-11-03T02:12:00Z").unwrap(),
            last_seen: Timestamp::parse("2026-11-03T02:40:00Z").unwrap(),
            host_name: None,
            host_ip: Some(host_ip.parse().unwrap()),
            user_name: None,
            destinations: dest
                .map(|d| {
                    vec![IncidentDestination {
                        ip: Some(d.parse().unwrap()),
                        ..Default::default()
                    }]
                })
                .unwrap_or_default(),
            detectors: vec!["novelty".into()],
            score: 80,
            stage: Stage::Exfiltration,
            techniques: vec![],
            triage: Triage {
                decision,
                reasons: vec![],
                answers: vec![],
                l1_steps: vec![],
                t2_actions: vec![],
                containment: vec![],
            },
            alerts: vec![],
        }
    }

    #[test]
    fn all_escalated_and_backup_quiet_passes() {
        let alerts = vec![
            alert("sigma", "2026-11-02T16:21:00Z", Some("WS003"), None, None),
            alert(
                "volume",
                "2026-11-03T02:20:00Z",
                None,
                Some("10.10.0.4"),
                Some("203.0.113.45"),
            ),
            alert(
                "volume",
                "2026-11-03T22:50:00Z",
                None,
                Some("10.10.0.6"),
                Some("203.0.113.77"),
            ),
            alert(
                "volume",
                "2026-11-03T01:30:00Z",
                None,
                Some("10.20.0.5"),
                Some("192.0.2.10"),
            ),
        ];
        let incidents = vec![
            incident("i1", "10.10.0.4", Some("203.0.113.45"), Decision::Escalate),
            incident("i2", "10.10.0.6", Some("203.0.113.77"), Decision::Escalate),
            incident("i3", "10.20.0.5", Some("192.0.2.10"), Decision::Benign),
        ];
        let score = score(&labels(), &alerts, &incidents);
        let rclone = &score.results[0];
        assert!(rclone.detected && rclone.escalated);
        assert_eq!(
            rclone.time_to_detect_s,
            Some(-(9 * 3600 + 49 * 60)),
            "the setup alert came the afternoon before"
        );
        assert_eq!(rclone.detectors, vec!["novelty", "sigma", "volume"]);
        assert!(rclone.missing_detectors.is_empty());
        let backup = &score.results[2];
        assert!(backup.detected && !backup.escalated && backup.as_expected());
        assert_eq!(score.summary.recall, 1.0);
        assert_eq!(score.summary.false_escalations, 0);
        assert!(score.summary.pass);
    }

    #[test]
    fn a_missed_scenario_and_an_escalated_backup_fail() {
        let incidents = vec![
            incident("i1", "10.10.0.4", Some("203.0.113.45"), Decision::Escalate),
            incident("i3", "10.20.0.5", Some("192.0.2.10"), Decision::Escalate),
        ];
        let score = score(&labels(), &[], &incidents);
        assert_eq!(score.summary.escalated, 1);
        assert_eq!(score.summary.recall, 0.5);
        assert_eq!(score.summary.missed, vec!["offhours-burst"]);
        assert_eq!(score.summary.false_escalations, 1);
        assert!(!score.summary.pass);
        assert!(!score.results[1].detected);
        assert_eq!(score.results[1].time_to_detect_s, None);
        assert_eq!(score.results[1].missing_detectors, vec!["volume", "sigma"]);
    }

    #[test]
    fn findings_elsewhere_do_not_count_and_unexplained_escalations_fail() {
        let alerts = vec![
            // Right host, wrong destination.
            alert(
                "volume",
                "2026-11-03T02:20:00Z",
                None,
                Some("10.10.0.4"),
                Some("198.18.100.10"),
            ),
            // Right host, no destination, but a week earlier.
            alert(
                "sigma",
                "2026-10-20T02:20:00Z",
                Some("ws003.corp.example"),
                None,
                None,
            ),
            // Backup host without destination: benign look-alikes match by destination only.
            alert(
                "sigma",
                "2026-11-03T01:00:00Z",
                Some("bkp01.corp.example"),
                None,
                None,
            ),
        ];
        let incidents = vec![incident(
            "x",
            "10.10.0.9",
            Some("198.18.100.10"),
            Decision::Escalate,
        )];
        let score = score(&labels(), &alerts, &incidents);
        assert!(
            score.results.iter().all(|r| !r.detected),
            "{:?}",
            score.results
        );
        assert_eq!(score.summary.unexplained_escalations, 1);
        assert!(!score.summary.pass);
    }

    #[test]
    fn host_only_incident_in_the_window_matches_and_domains_match_by_suffix() {
        let mut with_domain = alert("novelty", "2026-11-03T22:41:00Z", Some("ws005"), None, None);
        with_domain.destination_domain = Some("eu.files.quickdrop.example".into());
        let incidents = vec![incident("i1", "10.10.0.4", None, Decision::Escalate)];
        let score = score(&labels(), &[with_domain], &incidents);
        assert!(score.results[0].escalated);
        assert!(score.results[1].detected);
        assert_eq!(score.results[1].time_to_detect_s, Some(20 * 3600 + 31 * 60));
    }

    #[test]
    fn first_activity_bounds_host_only_findings_and_hostless_ones_match_by_destination() {
        let mut labels = labels();
        labels.scenarios[0].first_activity = Some("2026-11-02T16:20:00Z".into());
        let alerts = vec![
            // Host-only, before the scenario's first activity: another story.
            alert("sigma", "2026-11-02T09:00:00Z", Some("ws003"), None, None),
            // Host-only, on the setup: counts, and is the first alert.
            alert("sigma", "2026-11-02T16:21:00Z", Some("ws003"), None, None),
            // No host at all, but the scenario's destination.
            alert(
                "sigma",
                "2026-11-03T22:45:00Z",
                None,
                None,
                Some("203.0.113.77"),
            ),
        ];
        let mut hostless = incident("h", "10.10.0.6", Some("203.0.113.77"), Decision::Escalate);
        hostless.host_ip = None;
        let score = score(&labels, &alerts, &[hostless]);
        assert_eq!(
            score.results[0].time_to_detect_s,
            Some(-(9 * 3600 + 49 * 60))
        );
        assert!(
            score.results[1].escalated,
            "hostless incident matched by destination"
        );
        assert_eq!(score.summary.unexplained_escalations, 0);
    }

    #[test]
    fn jsonl_row_has_exactly_the_contract_keys() {
        let score = score(&labels(), &[], &[]);
        let row = serde_json::to_value(&score.results[0]).unwrap();
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = vec![
            "scenario",
            "benign",
            "detected",
            "escalated",
            "time_to_detect_s",
            "detectors",
        ];
        want.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, want);
        assert!(row["time_to_detect_s"].is_null());
    }
}
