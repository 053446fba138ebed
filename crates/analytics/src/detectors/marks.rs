//! Per-host marks (an archive made, a task scheduled, a transfer tool started) that
//! wait for an outbound transfer from the same host within a window; shared by
//! `staging` and `automation`.
//!
//! Endpoint events name the host, flow records only carry its address, so the book
//! learns name/address pairs from events that carry both and files each mark under
//! every key of the host.

use crate::flow::FastNetworks;
use crate::flow::Transfer;
use crate::keys::{U64Map, ip_key, name_key};
use model::{Event, EventKind, Origin, SharedText, Signal, Timestamp};
use std::net::IpAddr;

/// Marks kept per host (the newest win).
const MARKS_PER_HOST: usize = 8;
/// Hosts remembered.
const MAX_HOSTS: usize = 100_000;

/// Something on a host that makes a following transfer suspicious.
#[derive(Clone, Debug)]
pub struct Mark {
    /// When it happened (seconds).
    pub ts: i64,
    /// What happened, for the rule name (`7z.exe created an archive`).
    pub what: String,
    /// The command line, file path or rule that showed it.
    pub detail: String,
    /// ATT&CK ids it evidences.
    pub techniques: Vec<String>,
    /// The record behind it.
    pub origin: Option<Origin>,
    /// The host as the endpoint named it.
    pub host_name: Option<String>,
    /// The user the endpoint named.
    pub user_name: Option<String>,
    /// Bytes the host sent out after it, within the window.
    pub bytes_after: u64,
    /// Transfers after it.
    pub transfers_after: u64,
    /// Whether it was reported already.
    pub reported: bool,
}

/// The marks of every host.
#[derive(Debug, Default)]
pub struct MarkBook {
    marks: U64Map<Vec<Mark>>,
    ip_to_name: U64Map<u64>,
}

/// The host keys of an endpoint event (name and address).
pub fn host_keys(event: &Event, networks: &FastNetworks) -> (Option<u64>, Option<u64>) {
    let name = event
        .host_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(name_key);
    let ip: Option<IpAddr> = event.host_ip.or_else(|| {
        event
            .network
            .as_deref()
            .and_then(|n| n.source_ip)
            .filter(|ip| event.kind == EventKind::Network && networks.is_internal(*ip))
    });
    (name, ip.map(ip_key))
}

impl MarkBook {
    /// Learns a host's name/address pair from any event that carries both.
    pub fn learn(&mut self, event: &Event, networks: &FastNetworks) {
        if event.host_name.as_deref().is_none_or(str::is_empty) {
            // Flow records name no host: nothing to learn, and no key to compute.
            return;
        }
        if let (Some(name), Some(ip)) = host_keys(event, networks)
            && self.ip_to_name.len() < MAX_HOSTS
        {
            self.ip_to_name.insert(ip, name);
        }
    }

    /// Files a mark for the host of `event`.
    pub fn add(&mut self, event: &Event, networks: &FastNetworks, mark: Mark) {
        let (name, ip) = host_keys(event, networks);
        let key = name.or(ip);
        let Some(key) = key else { return };
        if self.marks.len() >= MAX_HOSTS && !self.marks.contains_key(&key) {
            let horizon = mark.ts - 86_400;
            self.marks.retain(|_, v| v.iter().any(|m| m.ts >= horizon));
        }
        let list = self.marks.entry(key).or_default();
        if list.len() >= MARKS_PER_HOST {
            list.remove(0);
        }
        list.push(mark);
    }

    /// Adds a transfer to the marks of its host inside `window_s`; calls `report` for
    /// each mark whose bytes after it reached `min_bytes` (once per mark).
    pub fn on_transfer(
        &mut self,
        t: &Transfer<'_>,
        window_s: i64,
        min_bytes: u64,
        mut report: impl FnMut(&Mark) -> Signal,
        out: &mut Vec<Signal>,
    ) {
        let mut keys = [Some(t.host_key), t.host_name.map(name_key), None];
        keys[2] = self.ip_to_name.get(&t.host_key).copied();
        let now = t.ts.secs();
        let mut reported_here = false;
        for (i, key) in keys.iter().enumerate() {
            let Some(key) = key else { continue };
            if keys[..i].contains(&Some(*key)) {
                continue;
            }
            let Some(list) = self.marks.get_mut(key) else {
                continue;
            };
            for mark in list.iter_mut() {
                let age = now - mark.ts;
                if mark.reported || !(0..=window_s).contains(&age) {
                    continue;
                }
                mark.bytes_after = mark.bytes_after.saturating_add(t.bytes_out);
                mark.transfers_after += 1;
                if mark.bytes_after >= min_bytes {
                    mark.reported = true;
                    if !reported_here {
                        reported_here = true;
                        out.push(report(mark));
                    } else if let Some(signal) = out.last_mut() {
                        // One transfer, one signal: further marks become evidence.
                        let others = signal
                            .evidence
                            .entry("other_marks")
                            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                        if let Some(list) = others.as_array_mut() {
                            list.push(mark.what.clone().into());
                        }
                        signal.add_record(mark.origin.as_ref());
                        signal.assign_id();
                    }
                }
            }
        }
    }

    /// Whether no host has a mark (then transfers need no look-up).
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    /// Every ten minutes of event time, forgets marks older than
    /// `window_minutes` before `watermark` (none at the end of the input).
    pub fn expire_on_schedule(&mut self, watermark: Timestamp, window_minutes: u32) {
        if watermark != Timestamp::MAX && watermark.secs() % 600 < 60 {
            self.expire(watermark.secs() - window_minutes as i64 * 60);
        }
    }

    /// Drops marks older than `horizon` seconds.
    pub fn expire(&mut self, horizon: i64) {
        self.marks.retain(|_, list| {
            list.retain(|m| m.ts >= horizon);
            !list.is_empty()
        });
    }
}

/// A mark that a Sigma alert of the rule pack sets on its host (an archive
/// created, a task scheduled), for the detectors that watch for a transfer
/// after such a step.
pub struct SigmaMark<'a> {
    /// The alert as an event (host, user, time, first record).
    pub event: Event,
    /// What the mark says: `Sigma: <rule title>`.
    pub what: String,
    /// The rule id.
    pub detail: String,
    /// The alert's ATT&CK techniques.
    pub techniques: Vec<&'a str>,
}

impl<'a> SigmaMark<'a> {
    /// The mark of `signal` when it is a Sigma alert of chain stage `stage`.
    pub fn of(signal: &'a Signal, stage: model::Stage) -> Option<SigmaMark<'a>> {
        if signal.detector != "sigma" || signal.stage != stage {
            return None;
        }
        Some(SigmaMark {
            event: event_of_signal(signal),
            what: format!("Sigma: {}", signal.rule_name),
            detail: signal.rule_id.to_string(),
            techniques: signal.techniques.iter().map(SharedText::as_str).collect(),
        })
    }
}

/// The host, user, time and first record of a Sigma signal as an event, so that a
/// rule-pack alert (an archive created, a task scheduled) can set a mark the way a
/// raw endpoint event does.
pub fn event_of_signal(signal: &Signal) -> Event {
    Event {
        timestamp: signal.timestamp,
        host_name: signal.host_name.clone(),
        host_ip: signal.host_ip,
        user_name: signal.user_name.clone(),
        origin: signal.records.first().map(|r| Origin {
            file: r.file.clone(),
            offset: r.offset,
        }),
        ..Event::default()
    }
}

/// The lower-case base name of a path (`C:\x\7z.exe` -> `7z.exe`).
pub fn base_name(path: &str) -> String {
    path.rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase()
}

/// Cuts `text` to at most `max` characters for evidence.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// What a "mark, then data left" finding is about: the detector (`staging`,
/// `automation`), its rule id, stage and techniques. The evidence keys are named
/// after the detector (`staging`, `staging_detail`, `staging_time`).
pub struct MarkFinding<'a> {
    /// Detector name, also the evidence key prefix.
    pub detector: &'a str,
    /// Rule id.
    pub rule_id: &'a str,
    /// Chain stage.
    pub stage: model::Stage,
    /// Techniques besides the mark's own.
    pub techniques: &'a [&'a str],
}

/// The signal for bytes that left within `window_min` minutes after a mark (an
/// archive, a scheduled job): shared by the staging and automation detectors.
pub fn mark_then_transfer_signal(
    finding: &MarkFinding<'_>,
    mark: &Mark,
    t: &Transfer<'_>,
    window_min: u32,
) -> Signal {
    let minutes = (t.ts.secs() - mark.ts) / 60;
    let mut signal = crate::flow::new_signal(
        finding.detector,
        finding.rule_id,
        &format!(
            "{} out within {minutes} min after {}",
            crate::flow::human_bytes(mark.bytes_after as f64),
            mark.what
        ),
        t.ts,
        finding.stage,
        finding.techniques,
    );
    t.describe(&mut signal);
    if signal.host_name.is_none() {
        signal.host_name = mark.host_name.clone();
    }
    if signal.user_name.is_none() {
        signal.user_name = mark.user_name.clone();
    }
    for tech in &mark.techniques {
        if !signal.techniques.iter().any(|known| known == tech) {
            signal.techniques.push(tech.as_str().into());
        }
    }
    signal.set_score(if mark.bytes_after >= 100_000_000 {
        70
    } else {
        60
    });
    signal.bytes_out = Some(mark.bytes_after);
    signal.transfers = Some(mark.transfers_after);
    let name = finding.detector;
    let e = &mut signal.evidence;
    e.insert(name.into(), mark.what.clone().into());
    e.insert(format!("{name}_detail"), mark.detail.clone().into());
    e.insert(
        format!("{name}_time"),
        model::Timestamp::from_secs(mark.ts).to_rfc3339().into(),
    );
    e.insert("minutes_between".into(), serde_json::json!(minutes));
    e.insert("window_minutes".into(), window_min.into());
    signal.add_record(mark.origin.as_ref());
    signal.add_record(t.event.origin.as_ref());
    signal.assign_id();
    signal
}
