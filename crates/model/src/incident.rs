//! Incidents and their triage, and the JSONL `incident` shape (DESIGN.md contract).

use crate::signal::Stage;
use crate::time::Timestamp;
use serde::Serialize;
use serde::ser::SerializeMap;
use std::net::IpAddr;

/// One destination of an incident, with what went to it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IncidentDestination {
    /// IP address, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// Domain, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Port, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Bytes sent to it inside the incident window.
    pub bytes_out: u64,
    /// Transfers (connections or requests) to it.
    pub transfers: u64,
}

/// A playbook answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerValue {
    /// The data shows it.
    Yes,
    /// The data shows it did not happen.
    No,
    /// The data cannot tell (the evidence names the missing telemetry).
    Unknown,
}

/// The answer to one of the five playbook questions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    /// The question as the playbook words it.
    pub question: String,
    /// yes / no / unknown.
    pub answer: AnswerValue,
    /// Why: the numbers and records, or the telemetry that is missing.
    pub evidence: String,
}

/// The playbook decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Escalate to Tier 2.
    Escalate,
    /// Close as benign (the reasons say what rules it out).
    Benign,
}

/// The triage of an incident.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Triage {
    /// escalate / benign.
    pub decision: Decision,
    /// Sentences: why escalate, or what rules malicious exfiltration out.
    pub reasons: Vec<String>,
    /// The five answers, in playbook order.
    pub answers: Vec<Answer>,
    /// L1 steps the tool has done, with their results.
    pub l1_steps: Vec<String>,
    /// Tier-2 actions with what the data already shows.
    pub t2_actions: Vec<String>,
    /// Containment steps made concrete for this case.
    pub containment: Vec<String>,
}

/// The signals of one entity inside a window, with the triage.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// Stable id.
    pub id: String,
    /// First signal time.
    pub first_seen: Timestamp,
    /// Last signal time.
    pub last_seen: Timestamp,
    /// Host name.
    pub host_name: Option<String>,
    /// Host IP.
    pub host_ip: Option<IpAddr>,
    /// User behind the activity.
    pub user_name: Option<String>,
    /// Destinations with bytes and transfer counts.
    pub destinations: Vec<IncidentDestination>,
    /// Detector names that contributed.
    pub detectors: Vec<String>,
    /// 0-100.
    pub score: u8,
    /// Furthest chain stage.
    pub stage: Stage,
    /// ATT&CK technique ids seen.
    pub techniques: Vec<String>,
    /// The triage.
    pub triage: Triage,
    /// Alert ids, in time order.
    pub alerts: Vec<String>,
}

/// The JSONL `incident` record: `{"kind":"incident", ...}` with the contract's keys.
impl Serialize for Incident {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", "incident")?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("first_seen", &self.first_seen)?;
        map.serialize_entry("last_seen", &self.last_seen)?;
        if let Some(v) = &self.host_name {
            map.serialize_entry("host.name", v)?;
        }
        if let Some(v) = &self.host_ip {
            map.serialize_entry("host.ip", &v.to_string())?;
        }
        if let Some(v) = &self.user_name {
            map.serialize_entry("user.name", v)?;
        }
        map.serialize_entry("destinations", &self.destinations)?;
        map.serialize_entry("detectors", &self.detectors)?;
        map.serialize_entry("score", &self.score)?;
        map.serialize_entry("stage", &self.stage)?;
        map.serialize_entry("threat.technique.id", &self.techniques)?;
        map.serialize_entry("triage.decision", &self.triage.decision)?;
        map.serialize_entry("triage.reasons", &self.triage.reasons)?;
        map.serialize_entry("triage.answers", &self.triage.answers)?;
        map.serialize_entry("triage.l1_steps", &self.triage.l1_steps)?;
        map.serialize_entry("triage.t2_actions", &self.triage.t2_actions)?;
        map.serialize_entry("triage.containment", &self.triage.containment)?;
        map.serialize_entry("alerts", &self.alerts)?;
        map.end()
    }
}

/// The five playbook questions, worded as the SOC playbook words them.
pub const QUESTIONS: [&str; 5] = [
    "Was there a significant increase in outbound data flow within a short period?",
    "Is the destination for the transfer a known and trusted entity?",
    "Did the transfer happen outside normal business hours?",
    "Have scripts or automation tools been executed recently on the systems involved?",
    "Are there anomalies in user behaviour around the time of the transfer?",
];
