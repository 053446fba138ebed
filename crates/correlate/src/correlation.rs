//! Grouping signals into incidents per entity and gap-based window.

use crate::observe::{DestinationKey, Observations};
use crate::score::incident_score;
use model::signal::Fnv;
use model::{Config, Incident, IncidentDestination, Signal, Stage, Timestamp, Triage};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Default gap that closes an incident: 24 hours without a signal for the entity.
pub const DEFAULT_GAP_HOURS: i64 = 24;
/// Slack around an incident when reading observed traffic (records are hour-bucketed
/// and flow records are written when connections end).
const TRAFFIC_SLACK_SECS: i64 = 3600;

/// Correlation settings, read from `[triage]` in the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrelateConfig {
    /// A signal more than this many seconds after the previous one of the same
    /// entity starts a new incident (`[triage] incident_gap_hours`, default 24).
    pub gap_secs: i64,
    /// An incident opens only when one of its signals scores at least this much
    /// (`[triage] min_signal_score`, default 40 = medium): weak findings alone stay
    /// alerts, and join an incident when a stronger one opens it. An allow-listed
    /// signal counts with its score before the allow-list lowered it, so expected
    /// transfers still show up as benign incidents with their reason.
    pub min_signal_score: u8,
}

/// Default of [`CorrelateConfig::min_signal_score`].
pub const DEFAULT_MIN_SIGNAL_SCORE: u8 = 40;

impl Default for CorrelateConfig {
    fn default() -> Self {
        CorrelateConfig {
            gap_secs: DEFAULT_GAP_HOURS * 3600,
            min_signal_score: DEFAULT_MIN_SIGNAL_SCORE,
        }
    }
}

impl CorrelateConfig {
    /// Reads `[triage] incident_gap_hours` (a positive number; others fall back to
    /// the default of 24).
    pub fn from_config(config: &Config) -> Self {
        let hours = config.triage.get("incident_gap_hours").and_then(|v| {
            v.as_integer()
                .map(|h| h as f64)
                .or_else(|| v.as_float())
                .filter(|h| h.is_finite() && *h > 0.0)
        });
        let min_signal_score = config
            .triage
            .get("min_signal_score")
            .and_then(|v| v.as_integer())
            .map(|v| v.clamp(0, 100) as u8)
            .unwrap_or(DEFAULT_MIN_SIGNAL_SCORE);
        CorrelateConfig {
            gap_secs: hours
                .map(|hours| (hours * 3600.0).round() as i64)
                .unwrap_or(DEFAULT_GAP_HOURS * 3600),
            min_signal_score,
        }
    }
}

/// What an incident is about: a host (by name, else by address), or a user for
/// findings with no host (SaaS and cloud audit).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKey {
    /// A host name, lower case.
    Host(String),
    /// A host known only by its address.
    Address(IpAddr),
    /// A user, lower case (cloud and SaaS findings without a host).
    User(String),
    /// Signals that name neither host nor user.
    Unattributed,
}

impl std::fmt::Display for EntityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityKey::Host(name) => write!(f, "host {name}"),
            EntityKey::Address(ip) => write!(f, "host {ip}"),
            EntityKey::User(user) => write!(f, "user {user}"),
            EntityKey::Unattributed => f.write_str("unattributed"),
        }
    }
}

/// An incident before triage: the signals of one entity in one window.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentDraft<'a> {
    /// Stable id (`incident-` + FNV-1a of the entity and the first alert id).
    pub id: String,
    /// What the incident is about.
    pub entity: EntityKey,
    /// Host name, when known.
    pub host_name: Option<String>,
    /// Host address, when known (from the signals, else the one address the
    /// observations tie to the host name).
    pub host_ip: Option<IpAddr>,
    /// The user behind most of the signals.
    pub user_name: Option<String>,
    /// First signal time.
    pub first_seen: Timestamp,
    /// Last signal time.
    pub last_seen: Timestamp,
    /// The signals, ordered by time then id (the timeline), borrowed from the
    /// run's alerts: a hunt with 60,000 alerts no longer holds a second copy.
    pub signals: Vec<&'a Signal>,
    /// Destinations, most bytes first.
    pub destinations: Vec<IncidentDestination>,
    /// Detector names, sorted.
    pub detectors: Vec<String>,
    /// ATT&CK technique ids, sorted.
    pub techniques: Vec<String>,
    /// Furthest chain stage reached.
    pub stage: Stage,
    /// 0-100, see [`crate::incident_score`].
    pub score: u8,
}

impl IncidentDraft<'_> {
    /// Alert ids in timeline order.
    pub fn alert_ids(&self) -> Vec<String> {
        self.signals.iter().map(|s| s.id.clone()).collect()
    }

    /// The finished incident with its triage.
    pub fn into_incident(self, triage: Triage) -> Incident {
        let alerts = self.alert_ids();
        Incident {
            id: self.id,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            host_name: self.host_name,
            host_ip: self.host_ip,
            user_name: self.user_name,
            destinations: self.destinations,
            detectors: self.detectors,
            score: self.score,
            stage: self.stage,
            techniques: self.techniques,
            triage,
            alerts,
        }
    }
}

/// Groups signals into incident drafts.
///
/// Signals of one entity (host name, else address, else user) go into one draft
/// until more than the configured gap passes without a signal. A signal that names
/// only an address joins the host the observations tie that address to. The result
/// is sorted by first signal time then id, and does not depend on the input order.
pub fn correlate<'a>(
    signals: &'a [Signal],
    observations: &Observations,
    config: &Config,
) -> Vec<IncidentDraft<'a>> {
    let settings = CorrelateConfig::from_config(config);
    let mut by_entity: BTreeMap<EntityKey, Vec<&Signal>> = BTreeMap::new();
    for signal in signals {
        by_entity
            .entry(entity_of(signal, observations))
            .or_default()
            .push(signal);
    }
    let mut drafts = Vec::new();
    for (entity, mut group) in by_entity {
        group.sort_by(|a, b| signal_order(a, b));
        group.dedup_by(|a, b| a.id == b.id && !a.id.is_empty() && a == b);
        let mut start = 0;
        for i in 1..=group.len() {
            let split = i == group.len()
                || group[i]
                    .timestamp
                    .0
                    .saturating_sub(group[i - 1].timestamp.0)
                    > settings.gap_secs.saturating_mul(1_000_000);
            if split {
                let window = &group[start..i];
                if window
                    .iter()
                    .any(|s| opening_score(s) >= settings.min_signal_score)
                {
                    drafts.push(build_draft(&entity, window, observations));
                }
                start = i;
            }
        }
    }
    drafts.sort_by(|a, b| {
        a.first_seen
            .cmp(&b.first_seen)
            .then_with(|| a.id.cmp(&b.id))
    });
    drafts
}

/// The score that decides whether a signal may open an incident: its score before
/// an allow-list lowered it (`evidence.score_raw`), else its score.
fn opening_score(signal: &Signal) -> u8 {
    if signal.allowed.is_some()
        && let Some(raw) = signal.evidence.get("score_raw").and_then(|v| v.as_u64())
    {
        return raw.min(100) as u8;
    }
    signal.score
}

/// Total order on signals: time, id, then the fields that make an id.
fn signal_order(a: &Signal, b: &Signal) -> std::cmp::Ordering {
    a.timestamp
        .cmp(&b.timestamp)
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.detector.cmp(&b.detector))
        .then_with(|| a.rule_id.cmp(&b.rule_id))
        .then_with(|| b.score.cmp(&a.score))
}

fn entity_of(signal: &Signal, observations: &Observations) -> EntityKey {
    if let Some(name) = signal.host_name.as_deref().filter(|n| !n.trim().is_empty()) {
        return EntityKey::Host(name.trim().to_ascii_lowercase());
    }
    if let Some(ip) = signal.host_ip {
        let ip = model::net::canonical(ip);
        return match observations.name_of(ip) {
            Some(name) => EntityKey::Host(name.to_string()),
            None => EntityKey::Address(ip),
        };
    }
    match signal.user_name.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(user) => EntityKey::User(user.trim().to_ascii_lowercase()),
        None => EntityKey::Unattributed,
    }
}

fn build_draft<'a>(
    entity: &EntityKey,
    group: &[&'a Signal],
    observations: &Observations,
) -> IncidentDraft<'a> {
    let signals: Vec<&'a Signal> = group.to_vec();
    let first_seen = signals.first().map(|s| s.timestamp).unwrap_or_default();
    let last_seen = signals.last().map(|s| s.timestamp).unwrap_or_default();
    let host_name =
        most_common(signals.iter().filter_map(|s| s.host_name.clone())).or_else(|| match entity {
            EntityKey::Host(name) => Some(name.clone()),
            _ => None,
        });
    let host_ip = most_common(signals.iter().filter_map(|s| s.host_ip)).or_else(|| {
        let facts = observations.host(host_name.as_deref(), None)?;
        let mut addresses = facts.addresses.iter();
        let only = addresses.next().copied();
        addresses.next().is_none().then_some(only).flatten()
    });
    let user_name = most_common(
        signals
            .iter()
            .filter_map(|s| s.user_name.clone())
            .filter(|u| !is_service_account(u)),
    )
    .or_else(|| most_common(signals.iter().filter_map(|s| s.user_name.clone())));
    let stage = signals.iter().map(|s| s.stage).max().unwrap_or_default();
    let mut detectors: Vec<String> = signals.iter().map(|s| s.detector.to_string()).collect();
    detectors.sort();
    detectors.dedup();
    let mut shared: Vec<&model::SharedText> =
        signals.iter().flat_map(|s| s.techniques.iter()).collect();
    shared.sort();
    shared.dedup();
    let techniques: Vec<String> = shared.into_iter().map(|t| t.to_string()).collect();
    let score = incident_score(&signals, stage);
    let mut hash = Fnv::new();
    hash.write(entity.to_string().as_bytes());
    hash.write(signals.first().map(|s| s.id.as_bytes()).unwrap_or_default());
    hash.write(&first_seen.0.to_le_bytes());
    let id = format!("incident-{:016x}", hash.finish());
    let destinations = aggregate_destinations(
        &signals,
        observations,
        host_name.as_deref(),
        host_ip,
        (first_seen, last_seen),
    );
    IncidentDraft {
        id,
        entity: entity.clone(),
        host_name,
        host_ip,
        user_name,
        first_seen,
        last_seen,
        signals,
        destinations,
        detectors,
        techniques,
        stage,
        score,
    }
}

/// Accounts that are not a person (lower case).
const SERVICE_ACCOUNTS: &[&str] = &[
    "system",
    "nt authority\\system",
    "local service",
    "network service",
    "root",
    "daemon",
    "nobody",
];

/// Whether a user name is a service or machine account (`SYSTEM`, `root`,
/// `HOST$`...): an incident names a person behind the activity when one exists.
pub fn is_service_account(user: &str) -> bool {
    SERVICE_ACCOUNTS.contains(&user.trim().to_ascii_lowercase().as_str()) || user.ends_with('$')
}

/// The value seen most often; ties go to the smallest, so the result is stable.
fn most_common<T: Ord>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(v, _)| v)
}

/// Destinations named by the signals, merged by address or domain, with bytes and
/// transfers: the largest figure any signal reports, or what the observed flows
/// from this host to it add up to inside the incident window (±1 h), whichever is
/// larger (several detectors often describe the same transfer, so signals' figures
/// are not summed); at least one transfer per signal naming the destination.
fn aggregate_destinations(
    signals: &[&Signal],
    observations: &Observations,
    host_name: Option<&str>,
    host_ip: Option<IpAddr>,
    window: (Timestamp, Timestamp),
) -> Vec<IncidentDestination> {
    let mut out: Vec<IncidentDestination> = Vec::new();
    let mut ports: Vec<BTreeMap<u16, usize>> = Vec::new();
    // Signals naming each destination: a floor for its transfer count (each Sigma
    // connection or DNS-query alert is one transfer).
    let mut mentions: Vec<u64> = Vec::new();
    for signal in signals {
        let ip = signal.destination_ip.map(model::net::canonical);
        let domain = signal
            .destination_domain
            .as_deref()
            .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .or_else(|| queried_domain(signal));
        if ip.is_none() && domain.is_none() {
            continue;
        }
        let found = out.iter().position(|d| {
            (ip.is_some() && d.ip == ip)
                || (domain.is_some() && d.domain == domain && (ip.is_none() || d.ip.is_none()))
        });
        let index = found.unwrap_or_else(|| {
            out.push(IncidentDestination::default());
            ports.push(BTreeMap::new());
            mentions.push(0u64);
            out.len() - 1
        });
        let dest = &mut out[index];
        dest.ip = dest.ip.or(ip);
        if dest.domain.is_none() {
            dest.domain = domain;
        }
        dest.bytes_out = dest.bytes_out.max(signal.bytes_out.unwrap_or(0));
        dest.transfers = dest.transfers.max(signal.transfers.unwrap_or(0));
        mentions[index] += 1;
        if let Some(port) = signal.destination_port {
            *ports[index].entry(port).or_default() += 1;
        }
    }
    let facts = observations.host(host_name, host_ip);
    let from = window.0.plus_secs(-TRAFFIC_SLACK_SECS);
    let to = window.1.plus_secs(TRAFFIC_SLACK_SECS);
    for ((dest, port_counts), mentioned) in out.iter_mut().zip(ports).zip(mentions) {
        dest.port = most_common_port(&port_counts);
        dest.transfers = dest.transfers.max(mentioned);
        // Flow records carry only the address; the data's DNS answers and TLS/HTTP
        // names say what it is when exactly one name resolved to it (a CDN address
        // shared by many names stays a bare address rather than a wrong name).
        if dest.domain.is_none()
            && let Some(ip) = dest.ip
            && let [name] = observations.domains_of(ip).as_slice()
        {
            dest.domain = Some(name.clone());
        }
        let Some(facts) = &facts else { continue };
        let mut keys: Vec<DestinationKey> = Vec::new();
        if let Some(ip) = dest.ip {
            keys.push(DestinationKey::Ip(ip));
        }
        if let Some(domain) = &dest.domain {
            keys.push(DestinationKey::Domain(domain.clone()));
            if dest.ip.is_none() {
                keys.extend(
                    observations
                        .addresses_of(domain)
                        .into_iter()
                        .map(DestinationKey::Ip),
                );
            }
        }
        let (mut bytes, mut transfers, mut observed_port) = (0u64, 0u64, None);
        for key in &keys {
            if let Some(traffic) = facts.destinations.get(key) {
                let (b, t) = traffic.between(from, to);
                bytes = bytes.saturating_add(b);
                transfers = transfers.saturating_add(t);
                observed_port = observed_port.or(traffic.main_port());
            }
        }
        dest.bytes_out = dest.bytes_out.max(bytes);
        dest.transfers = dest.transfers.max(transfers);
        dest.port = dest.port.or(observed_port);
    }
    out.sort_by(|a, b| {
        b.bytes_out
            .cmp(&a.bytes_out)
            .then_with(|| a.domain.cmp(&b.domain))
            .then_with(|| a.ip.cmp(&b.ip))
    });
    out
}

/// Evidence keys under which a DNS finding names the queried name (Sysmon 22, ECS,
/// Zeek), looked up at the top level and under `fields`.
const QUERY_KEYS: [&str; 4] = ["QueryName", "dns.question.name", "query", "question_name"];

/// For DNS findings that name no destination: the registered domain of the queried
/// name, so that a tunnel's thousands of subdomains become one destination.
///
/// Runs for every signal without a destination: the evidence maps are small,
/// and scanning their keys beats hashing nine names with the map's SipHash.
fn queried_domain(signal: &Signal) -> Option<String> {
    fn get<'m>(
        map: &'m serde_json::Map<String, serde_json::Value>,
        name: &str,
    ) -> Option<&'m serde_json::Value> {
        map.iter()
            .find_map(|(key, value)| (key == name).then_some(value))
    }
    let lookup = |map: &serde_json::Map<String, serde_json::Value>| {
        QUERY_KEYS
            .iter()
            .find_map(|k| get(map, k).and_then(|v| v.as_str()).map(str::to_string))
    };
    let name = lookup(&signal.evidence).or_else(|| {
        get(&signal.evidence, "fields")
            .and_then(|v| v.as_object())
            .and_then(lookup)
    })?;
    registered_domain(&name)
}

/// `a.b.tunnel.example.com` -> `example.com`; keeps three labels under two-letter
/// country zones with a short second level (`x.co.uk` -> `x.co.uk`). A heuristic
/// without the public suffix list: good enough to group a tunnel's names.
pub fn registered_domain(name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() || name.parse::<IpAddr>().is_ok() {
        return None;
    }
    let labels: Vec<&str> = name.split('.').filter(|l| !l.is_empty()).collect();
    let keep = match labels.as_slice() {
        [.., second, tld] if tld.len() == 2 && second.len() <= 3 && labels.len() >= 3 => 3,
        _ => 2,
    };
    Some(labels[labels.len().saturating_sub(keep)..].join("."))
}

fn most_common_port(counts: &BTreeMap<u16, usize>) -> Option<u16> {
    let best = counts.values().copied().max()?;
    counts.iter().find(|(_, n)| **n == best).map(|(p, _)| *p)
}
