//! A detector's finding, and its JSONL `alert` shape (DESIGN.md output contract).

use crate::SharedText;
use crate::event::Origin;
use crate::time::Timestamp;
use serde::Serialize;
use serde::ser::SerializeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Alert severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context only.
    #[default]
    Informational,
    /// Worth a look when correlated.
    Low,
    /// Suspicious.
    Medium,
    /// Likely malicious.
    High,
    /// Act now.
    Critical,
}

impl Severity {
    /// The severity a 0-100 score falls in.
    pub fn from_score(score: u8) -> Severity {
        match score {
            0..=19 => Severity::Informational,
            20..=39 => Severity::Low,
            40..=69 => Severity::Medium,
            70..=89 => Severity::High,
            _ => Severity::Critical,
        }
    }

    /// A typical score for a Sigma level.
    pub fn base_score(self) -> u8 {
        match self {
            Severity::Informational => 10,
            Severity::Low => 30,
            Severity::Medium => 50,
            Severity::High => 75,
            Severity::Critical => 90,
        }
    }

    /// Parses a Sigma `level` (`informational`, `low`, `medium`, `high`, `critical`).
    pub fn from_sigma_level(level: &str) -> Option<Severity> {
        match level.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Some(Severity::Informational),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The automated-exfiltration chain, in order; an incident reports the furthest reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Data gathered (file discovery, collection scripts, mass reads).
    #[default]
    Collection,
    /// Data compressed or staged for transfer (T1560, T1074).
    Staging,
    /// Scheduled tasks, cron, scripts or transfer tools set to run (T1053, T1059).
    Automation,
    /// Data left (T1020, T1041, T1048, T1567).
    Exfiltration,
}

impl Stage {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Collection => "collection",
            Stage::Staging => "staging",
            Stage::Automation => "automation",
            Stage::Exfiltration => "exfiltration",
        }
    }
}

/// A pointer to a record behind a signal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RecordRef {
    /// Source file (shared with the events of the file: an alert-heavy hunt
    /// keeps tens of thousands of these).
    pub file: Arc<str>,
    /// Byte offset (or EVTX record id).
    pub offset: u64,
}

impl From<&Origin> for RecordRef {
    fn from(origin: &Origin) -> Self {
        RecordRef {
            file: origin.file.clone(),
            offset: origin.offset,
        }
    }
}

/// Most records kept as evidence per signal; the count beyond is kept in `records_total`.
pub const MAX_EVIDENCE_RECORDS: usize = 20;

/// One finding: a Sigma match or an analytic's verdict, with the evidence behind it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signal {
    /// Stable id (see [`Signal::assign_id`]); same input, same id.
    pub id: String,
    /// When the behaviour happened (event time).
    pub timestamp: Timestamp,
    /// `sigma` or an analytic's name (`volume`, `cadence`...).
    pub detector: SharedText,
    /// Rule id (Sigma id, or `exfilguard.<detector>.<what>`).
    pub rule_id: SharedText,
    /// Rule title.
    pub rule_name: SharedText,
    /// Rule author(s), credited as Sigma's licence asks.
    pub rule_author: Option<SharedText>,
    /// Rule tags (Sigma tags).
    pub rule_tags: Vec<SharedText>,
    /// 0-100.
    pub score: u8,
    /// Severity.
    pub severity: Severity,
    /// Chain stage this finding evidences.
    pub stage: Stage,
    /// Host name.
    pub host_name: Option<String>,
    /// Host IP.
    pub host_ip: Option<IpAddr>,
    /// User.
    pub user_name: Option<String>,
    /// Destination IP.
    pub destination_ip: Option<IpAddr>,
    /// Destination domain.
    pub destination_domain: Option<String>,
    /// Destination port.
    pub destination_port: Option<u16>,
    /// Bytes sent out that this finding covers, when it is about a transfer.
    pub bytes_out: Option<u64>,
    /// Transfers (connections/requests) this finding covers.
    pub transfers: Option<u64>,
    /// ATT&CK technique ids, e.g. `["T1020"]`.
    pub techniques: Vec<SharedText>,
    /// The numbers behind the finding (baseline, ratio, intervals...).
    pub evidence: serde_json::Map<String, serde_json::Value>,
    /// Records behind the finding (at most [`MAX_EVIDENCE_RECORDS`]).
    pub records: Vec<RecordRef>,
    /// How many records were behind it in all.
    pub records_total: u64,
    /// Set when an allow-list entry matched: its reason. The score is already lowered.
    pub allowed: Option<String>,
}

impl Signal {
    /// Adds a record to the evidence, keeping at most [`MAX_EVIDENCE_RECORDS`].
    pub fn add_record(&mut self, origin: Option<&Origin>) {
        self.records_total += 1;
        if let Some(origin) = origin
            && self.records.len() < MAX_EVIDENCE_RECORDS
        {
            self.records.push(origin.into());
        }
    }

    /// Sets score and the severity that goes with it.
    pub fn set_score(&mut self, score: u8) {
        self.score = score.min(100);
        self.severity = Severity::from_score(self.score);
    }

    /// Computes the stable id from what the finding is about (FNV-1a, fixed seed), so
    /// the same input gives the same ids in every run and thread count.
    pub fn assign_id(&mut self) {
        let mut h = Fnv::new();
        h.write(self.detector.as_bytes());
        h.write(self.rule_id.as_bytes());
        h.write(&self.timestamp.0.to_le_bytes());
        h.write(self.host_name.as_deref().unwrap_or("").as_bytes());
        h.write(
            self.host_ip
                .map(|ip| ip.to_string())
                .unwrap_or_default()
                .as_bytes(),
        );
        h.write(self.user_name.as_deref().unwrap_or("").as_bytes());
        h.write(
            self.destination_ip
                .map(|ip| ip.to_string())
                .unwrap_or_default()
                .as_bytes(),
        );
        h.write(self.destination_domain.as_deref().unwrap_or("").as_bytes());
        if let Some(record) = self.records.first() {
            h.write(record.file.as_bytes());
            h.write(&record.offset.to_le_bytes());
        }
        self.id = format!("alert-{:016x}", h.finish());
    }
}

impl Signal {
    /// Reads back an alert written by the JSONL sink (`{"kind":"alert", ...}`), so
    /// alerts can be re-scored or re-correlated without re-reading the logs. `None`
    /// when the object is not an alert or lacks the contract's required keys.
    pub fn from_alert_json(value: &serde_json::Value) -> Option<Signal> {
        use serde_json::Value;
        let object = value.as_object()?;
        if object.get("kind")?.as_str()? != "alert" {
            return None;
        }
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
        let ip = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
        };
        let strings = |key: &str| -> Vec<String> {
            object
                .get(key)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut evidence = object.get("evidence")?.as_object()?.clone();
        let records: Vec<RecordRef> = evidence
            .remove("records")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|r| {
                Some(RecordRef {
                    file: r.get("file")?.as_str()?.into(),
                    offset: r.get("offset")?.as_u64()?,
                })
            })
            .collect();
        let records_total = evidence
            .remove("records_total")
            .and_then(|v| v.as_u64())
            .unwrap_or(records.len() as u64);
        let allowed = evidence
            .remove("allow_listed")
            .and_then(|v| v.as_str().map(str::to_string));
        let mut signal = Signal {
            id: text("id")?,
            timestamp: Timestamp::parse(object.get("@timestamp")?.as_str()?)?,
            detector: text("detector")?.into(),
            rule_id: text("rule.id")?.into(),
            rule_name: text("rule.name").unwrap_or_default().into(),
            rule_author: text("rule.author").map(SharedText::from),
            rule_tags: strings("rule.tags")
                .into_iter()
                .map(SharedText::from)
                .collect(),
            stage: match object.get("stage").and_then(Value::as_str) {
                Some("staging") => Stage::Staging,
                Some("automation") => Stage::Automation,
                Some("exfiltration") => Stage::Exfiltration,
                _ => Stage::Collection,
            },
            host_name: text("host.name"),
            host_ip: ip("host.ip"),
            user_name: text("user.name"),
            destination_ip: ip("destination.ip"),
            destination_domain: text("destination.domain"),
            destination_port: object
                .get("destination.port")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok()),
            bytes_out: evidence.get("bytes_out").and_then(Value::as_u64),
            transfers: evidence.get("transfers").and_then(Value::as_u64),
            techniques: strings("threat.technique.id")
                .into_iter()
                .map(SharedText::from)
                .collect(),
            records,
            records_total,
            allowed,
            evidence,
            ..Signal::default()
        };
        signal.set_score(object.get("score")?.as_u64()?.min(100) as u8);
        Some(signal)
    }
}

/// FNV-1a 64: a tiny stable hash for ids (not for hash tables).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Fnv {
    /// A fresh hasher.
    pub fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    /// Feeds bytes (with a separator so that field boundaries count).
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes.iter().chain(std::iter::once(&0xffu8)) {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    /// The hash.
    pub fn finish(self) -> u64 {
        self.0
    }
}

impl Default for Fnv {
    fn default() -> Self {
        Self::new()
    }
}

/// The JSONL `alert` record: `{"kind":"alert", ...}` with the contract's keys; keys
/// with no value are omitted. `evidence.records` lists the records behind it.
impl Serialize for Signal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", "alert")?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("@timestamp", &self.timestamp)?;
        map.serialize_entry("detector", &self.detector)?;
        map.serialize_entry("rule.id", &self.rule_id)?;
        map.serialize_entry("rule.name", &self.rule_name)?;
        if let Some(author) = &self.rule_author {
            map.serialize_entry("rule.author", author)?;
        }
        if !self.rule_tags.is_empty() {
            map.serialize_entry("rule.tags", &self.rule_tags)?;
        }
        map.serialize_entry("score", &self.score)?;
        map.serialize_entry("severity", &self.severity)?;
        map.serialize_entry("stage", &self.stage)?;
        if let Some(v) = &self.host_name {
            map.serialize_entry("host.name", v)?;
        }
        if let Some(v) = &self.host_ip {
            map.serialize_entry("host.ip", &v.to_string())?;
        }
        if let Some(v) = &self.user_name {
            map.serialize_entry("user.name", v)?;
        }
        if let Some(v) = &self.destination_ip {
            map.serialize_entry("destination.ip", &v.to_string())?;
        }
        if let Some(v) = &self.destination_domain {
            map.serialize_entry("destination.domain", v)?;
        }
        if let Some(v) = &self.destination_port {
            map.serialize_entry("destination.port", v)?;
        }
        map.serialize_entry("threat.technique.id", &self.techniques)?;
        map.serialize_entry("evidence", &EvidenceOut(self))?;
        map.end()
    }
}

/// A signal's `evidence` as the output contract writes it: its own entries in
/// order, then `bytes_out` and `transfers` unless the evidence has them,
/// `allow_listed`, `records` and `records_total` (these replace an entry of the
/// same name in place), as inserting them into a copy of the map would, without
/// the copy (an alert-heavy hunt writes tens of thousands).
struct EvidenceOut<'a>(&'a Signal);

impl EvidenceOut<'_> {
    /// The value written for `key` in place of the evidence's own, if any.
    fn replaced(&self, key: &str) -> Option<Replacement<'_>> {
        let signal = self.0;
        match key {
            "allow_listed" => signal.allowed.as_deref().map(Replacement::Text),
            "records" => Some(Replacement::Records(&signal.records)),
            "records_total" => self.total().map(Replacement::Number),
            _ => None,
        }
    }

    /// `records_total`, when the records were cut.
    fn total(&self) -> Option<u64> {
        let signal = self.0;
        (signal.records_total as usize > signal.records.len()).then_some(signal.records_total)
    }
}

/// A value [`EvidenceOut`] writes instead of, or after, the evidence's own.
#[derive(Serialize)]
#[serde(untagged)]
enum Replacement<'a> {
    Text(&'a str),
    Records(&'a [RecordRef]),
    Number(u64),
}

impl Serialize for EvidenceOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let signal = self.0;
        let evidence = &signal.evidence;
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in evidence {
            match self.replaced(key) {
                Some(replacement) => map.serialize_entry(key, &replacement)?,
                None => map.serialize_entry(key, value)?,
            }
        }
        // Evidence holds a few entries: scanning its keys beats hashing each
        // name with the map's SipHash (five lookups for every alert written).
        let has = |name: &str| evidence.keys().any(|key| key == name);
        let added = [
            ("bytes_out", signal.bytes_out.map(Replacement::Number)),
            ("transfers", signal.transfers.map(Replacement::Number)),
        ];
        for (key, value) in added {
            if let Some(value) = value.filter(|_| !has(key)) {
                map.serialize_entry(key, &value)?;
            }
        }
        for key in ["allow_listed", "records", "records_total"] {
            if !has(key)
                && let Some(value) = self.replaced(key)
            {
                map.serialize_entry(key, &value)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_written_in_order_with_added_keys_last_and_replacements_in_place() {
        let mut signal = Signal {
            bytes_out: Some(5),
            transfers: Some(2),
            allowed: Some("backup".into()),
            ..Default::default()
        };
        signal.evidence.insert("z".into(), 1.into());
        signal.evidence.insert("transfers".into(), 9.into());
        signal.evidence.insert("allow_listed".into(), "old".into());
        signal.evidence.insert("a".into(), 2.into());
        for offset in 0..(MAX_EVIDENCE_RECORDS as u64 + 3) {
            signal.add_record(Some(&Origin {
                file: "f.log".into(),
                offset,
            }));
        }
        let text = serde_json::to_string(&signal).unwrap();
        let evidence = &text[text.find("\"evidence\":").unwrap()..];
        let at = |key: &str| {
            evidence
                .find(key)
                .unwrap_or_else(|| panic!("{key} in {evidence}"))
        };
        // The evidence's own entries (in the map's order), then what is added.
        let own = [
            "\"z\"",
            "\"transfers\":9",
            "\"allow_listed\":\"backup\"",
            "\"a\"",
        ];
        let added = ["\"bytes_out\":5", "\"records\":[", "\"records_total\":23"];
        assert!(own.iter().all(|k| at(k) < at(added[0])), "{evidence}");
        assert!(added.windows(2).all(|w| at(w[0]) < at(w[1])), "{evidence}");
        assert_eq!(evidence.matches("\"transfers\"").count(), 1);
        assert_eq!(evidence.matches("\"allow_listed\"").count(), 1);
    }

    #[test]
    fn alert_json_reads_back_to_the_same_alert() {
        let mut signal = Signal {
            detector: "cadence".into(),
            rule_id: "exfilguard.cadence.periodic".into(),
            rule_name: "Transfers every 30m".into(),
            rule_tags: vec!["attack.t1020".into()],
            stage: Stage::Exfiltration,
            timestamp: Timestamp::parse("2026-11-03T02:00:00.5Z").unwrap(),
            host_name: Some("ws1".into()),
            host_ip: Some("10.1.2.3".parse().unwrap()),
            destination_ip: Some("203.0.113.9".parse().unwrap()),
            destination_port: Some(443),
            bytes_out: Some(200_000),
            transfers: Some(12),
            techniques: vec!["T1020".into()],
            allowed: Some("nightly offsite backup".into()),
            ..Default::default()
        };
        signal.evidence.insert("period_s".into(), 1800.into());
        for offset in 0..25 {
            signal.add_record(Some(&Origin {
                file: "conn.log".into(),
                offset,
            }));
        }
        signal.set_score(64);
        signal.assign_id();
        let json = serde_json::to_value(&signal).unwrap();
        let back = Signal::from_alert_json(&json).expect("an alert");
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
        assert_eq!(back.records_total, 25);
        assert_eq!(back.allowed, signal.allowed);
        assert!(Signal::from_alert_json(&serde_json::json!({"kind": "incident"})).is_none());
    }

    #[test]
    fn alert_json_has_contract_keys_and_omits_absent() {
        let mut signal = Signal {
            detector: "volume".into(),
            rule_id: "exfilguard.volume.burst".into(),
            rule_name: "Outbound burst".into(),
            host_name: Some("ws1".into()),
            techniques: vec!["T1020".into()],
            ..Default::default()
        };
        signal.set_score(80);
        signal.assign_id();
        let json = serde_json::to_value(&signal).unwrap();
        assert_eq!(json["kind"], "alert");
        assert_eq!(json["severity"], "high");
        assert_eq!(json["host.name"], "ws1");
        assert!(json.get("user.name").is_none());
        assert_eq!(json["threat.technique.id"][0], "T1020");
        assert!(json["evidence"]["records"].is_array());
        let id = signal.id.clone();
        signal.assign_id();
        assert_eq!(signal.id, id);
    }
}
