//! One incident being triaged: the draft, the host's facts and the destinations'
//! standing, computed once and read by the questions, the decision and the actions.

use crate::Playbook;
use crate::decision::{HISTORY_FACTOR, HISTORY_MIN_DAYS};
use crate::evidence::{self, format_bytes};
use correlate::{
    BUCKET_SECS, DestinationKey, HostFacts, IncidentDraft, Observations, PersistenceRecord,
    Telemetry,
};
use ipnet::IpNet;
use model::config::AllowEntry;
use model::{IncidentDestination, Signal, Timestamp};
use std::cell::OnceCell;
use std::net::IpAddr;

/// Buckets of history outside the incident window needed before calling a burst.
pub const MIN_HISTORY_BUCKETS: usize = 12;
/// A 5-minute bucket this many times the host's median is a burst...
pub const BURST_FACTOR: u64 = 10;
/// ...when it also tops the host's 99th percentile and this many bytes: the
/// `volume` detector's hourly floor, so that a mail client's 1 MB sync on a quiet
/// workstation is not "a significant increase in outbound data flow".
pub const MIN_BURST_BYTES: u64 = 20_000_000;
/// A window sending this much, at ten times the host's usual daily rate, is a
/// sustained increase even without a burst.
pub const MIN_SUSTAINED_BYTES: u64 = 100_000_000;
/// How far before the first finding a scheduled task or cron job counts as "recent".
pub const PERSISTENCE_LOOKBACK_SECS: i64 = 24 * 3600;

/// The host's outbound bytes in the incident window against its other 5-minute
/// buckets (from the observed flows, whether or not a volume analytic ran).
#[derive(Clone, Debug, PartialEq)]
pub struct OutboundProfile {
    /// Largest 5-minute bucket inside the window.
    pub peak_bytes: u64,
    /// Its start.
    pub peak_start: model::Timestamp,
    /// Bytes out inside the window.
    pub window_bytes: u64,
    /// Median of the host's buckets outside the window.
    pub median_outside: u64,
    /// 99th percentile of those buckets.
    pub p99_outside: u64,
    /// How many buckets outside the window there are.
    pub buckets_outside: usize,
    /// Bytes out outside the window.
    pub outside_bytes: u64,
    /// Days of the host's observed time outside the window.
    pub outside_days: f64,
    /// Days the window spans (at least one hour).
    pub window_days: f64,
}

impl OutboundProfile {
    /// Whether the window holds a burst: enough history, and a bucket above the
    /// host's 99th percentile, [`BURST_FACTOR`] times its median and
    /// [`MIN_BURST_BYTES`].
    pub fn is_burst(&self) -> bool {
        self.buckets_outside >= MIN_HISTORY_BUCKETS
            && self.peak_bytes >= MIN_BURST_BYTES
            && self.peak_bytes > self.p99_outside
            && self.peak_bytes > self.median_outside.saturating_mul(BURST_FACTOR)
    }

    /// Whether the window's daily rate is [`BURST_FACTOR`] times the rest of the
    /// host's observed days and at least [`MIN_SUSTAINED_BYTES`]: low-and-slow
    /// transfers that no 5-minute bucket shows.
    pub fn is_sustained_increase(&self) -> bool {
        self.outside_days >= 1.0
            && self.window_bytes >= MIN_SUSTAINED_BYTES
            && self.window_per_day() > self.outside_per_day() * BURST_FACTOR as f64
    }

    /// Bytes out per day inside the window.
    pub fn window_per_day(&self) -> f64 {
        self.window_bytes as f64 / self.window_days.max(1.0 / 24.0)
    }

    /// Bytes out per day on the host's other observed days.
    pub fn outside_per_day(&self) -> f64 {
        self.outside_bytes as f64 / self.outside_days.max(1.0)
    }

    /// The daily comparison in words.
    pub fn describe_daily(&self) -> String {
        format!(
            "{} out in the incident window ({} per day) against {} per day over the host's other {:.1} observed day(s)",
            format_bytes(self.window_bytes),
            format_bytes(self.window_per_day() as u64),
            format_bytes(self.outside_per_day() as u64),
            self.outside_days
        )
    }

    /// The numbers in words.
    pub fn describe(&self) -> String {
        format!(
            "largest 5-minute bucket {} from {}, against the host's median of {} and 99th percentile of {} over {} other 5-minute buckets; {} out in the incident window",
            format_bytes(self.peak_bytes),
            evidence::short_time(self.peak_start),
            format_bytes(self.median_outside),
            format_bytes(self.p99_outside),
            self.buckets_outside,
            format_bytes(self.window_bytes)
        )
    }
}

/// How far a destination can be trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// An allow-list entry covers it (the reason).
    AllowListed(String),
    /// A threat-intel feed lists it (the rule name).
    Intel(String),
    /// A novelty finding says it is new (the sentence).
    New(String),
    /// Not allow-listed, but the host sent similar volumes to it on several previous
    /// days (its own habit, from the flow history; the sentence says how much).
    Habitual(String),
    /// Not allow-listed, but this many other hosts in the data send to it too: an
    /// organisation-wide service (mail, collaboration). Known for question 2 and never
    /// a block target, but findings about it stay unexplained (volume still counts).
    Prevalent(u64),
    /// Not allow-listed and not otherwise known.
    Unrecognised,
}

/// Other hosts sending to a destination that make it an organisation-wide service.
pub const PREVALENT_HOSTS: u64 = 5;

/// A destination of the incident with what the data says about it.
#[derive(Clone, Debug)]
pub struct DestinationView<'a> {
    /// The aggregated destination.
    pub destination: &'a IncidentDestination,
    /// `domain (ip)` or whichever is known.
    pub label: String,
    /// Its standing.
    pub trust: Trust,
    /// Addresses to block: its IP, or what its domain resolved to in the data.
    pub addresses: Vec<IpAddr>,
    /// Other hosts seen sending to it, and how many more were not remembered.
    pub other_hosts: (Vec<String>, u64),
}

/// The incident under triage.
pub struct Case<'a> {
    /// The draft.
    pub draft: &'a IncidentDraft<'a>,
    /// The run's observations.
    pub observations: &'a Observations,
    /// The playbook.
    pub playbook: &'a Playbook,
    /// Facts about the host (None for user-only incidents or unseen hosts).
    pub facts: Option<HostFacts>,
    /// `host ws1 (10.1.2.3)`, `user bob@corp.example`...
    pub subject: String,
    /// Destinations with their standing.
    pub destinations: Vec<DestinationView<'a>>,
    /// [`evidence::named`] of the signals (tools, tasks and cron entries),
    /// worked out on first use in one walk: the decision and three actions
    /// ask, and each walk reads every signal's evidence (tens of thousands
    /// in an alert-heavy hunt).
    named: OnceCell<evidence::Named>,
}

impl<'a> Case<'a> {
    /// Gathers what the questions need.
    pub fn new(
        draft: &'a IncidentDraft<'a>,
        observations: &'a Observations,
        playbook: &'a Playbook,
    ) -> Self {
        let facts = observations.host(draft.host_name.as_deref(), draft.host_ip);
        let subject = match (&draft.host_name, draft.host_ip, &draft.user_name) {
            (Some(name), Some(ip), _) => format!("host {name} ({ip})"),
            (Some(name), None, _) => format!("host {name}"),
            (None, Some(ip), _) => format!("host {ip}"),
            (None, None, Some(user)) => format!("user {user}"),
            (None, None, None) => "the unattributed activity".to_string(),
        };
        let self_labels = host_labels(draft);
        let destinations = draft
            .destinations
            .iter()
            .map(|destination| {
                let label = match (&destination.domain, destination.ip) {
                    (Some(d), Some(ip)) => format!("{d} ({ip})"),
                    (Some(d), None) => d.clone(),
                    (None, Some(ip)) => ip.to_string(),
                    (None, None) => "unknown destination".to_string(),
                };
                let mut addresses: Vec<IpAddr> = destination.ip.into_iter().collect();
                if addresses.is_empty()
                    && let Some(domain) = &destination.domain
                {
                    addresses = observations.addresses_of(domain);
                }
                let other_hosts = other_hosts(observations, destination, &self_labels);
                let trust = trust_of(destination, &draft.signals, draft, &playbook.allow);
                DestinationView {
                    destination,
                    label,
                    trust,
                    addresses,
                    other_hosts,
                }
            })
            .collect();
        let mut case = Case {
            draft,
            observations,
            playbook,
            facts,
            subject,
            destinations,
            named: OnceCell::new(),
        };
        case.recognise_habits();
        case
    }

    /// Whether the host has telemetry of `kind`.
    pub fn has(&self, kind: Telemetry) -> bool {
        self.facts.as_ref().is_some_and(|f| f.has(kind))
    }

    /// `no <telemetry> for host ws1`.
    pub fn missing(&self, kind: Telemetry) -> String {
        format!("no {} for {}", kind.describe(), self.subject)
    }

    /// Transfer, archive and script tools the signals name, sorted
    /// ([`evidence::tools_named`]).
    pub fn tools(&self) -> &[String] {
        &self.named().tools
    }

    /// Scheduled tasks and cron entries the signals name, sorted and unique
    /// ([`evidence::persistence_named`]).
    pub fn persistence(&self) -> &[evidence::Persistence] {
        &self.named().persistence
    }

    fn named(&self) -> &evidence::Named {
        self.named.get_or_init(|| evidence::named(self.signals()))
    }

    /// Signals of the incident.
    pub fn signals(&self) -> &'a [&'a Signal] {
        &self.draft.signals
    }

    /// Signals not covered by an allow-list entry, the host's habit, or routine
    /// polling of an organisation-wide service.
    pub fn unexplained(&self) -> impl Iterator<Item = &'a Signal> + '_ {
        self.draft
            .signals
            .iter()
            .copied()
            .filter(|s| s.allowed.is_none() && !self.is_habitual(s) && !self.is_routine_polling(s))
    }

    /// Whether a signal is a cadence finding about a destination that many other
    /// hosts send to: mail, chat and sync clients poll their organisation-wide
    /// service at machine-regular intervals from every host. The cadence detector
    /// lowers such scores when it already knows the destination is common, but
    /// early in a data set it cannot know yet; the whole run's view decides here.
    /// Volume to such a destination stays a finding of its own.
    pub fn is_routine_polling(&self, signal: &Signal) -> bool {
        signal.detector == "cadence"
            && self.destinations.iter().any(|v| {
                matches!(v.trust, Trust::Prevalent(_)) && names_destination(signal, v.destination)
            })
    }

    /// The organisation-wide destinations whose polling explains cadence findings
    /// of this incident, with how many other hosts send to each.
    pub fn routine_polling(&self) -> Vec<(&str, u64)> {
        self.destinations
            .iter()
            .filter_map(|v| match v.trust {
                Trust::Prevalent(others)
                    if self.draft.signals.iter().any(|s| {
                        s.detector == "cadence" && names_destination(s, v.destination)
                    }) =>
                {
                    Some((v.label.as_str(), others))
                }
                _ => None,
            })
            .collect()
    }

    /// Whether a signal is about a destination this host habitually sends to.
    fn is_habitual(&self, signal: &Signal) -> bool {
        self.destinations.iter().any(|v| {
            matches!(v.trust, Trust::Habitual(_)) && names_destination(signal, v.destination)
        })
    }

    /// Marks unrecognised destinations the host sent similar volumes to on at least
    /// [`HISTORY_MIN_DAYS`] earlier days (and no novelty finding calls new): the
    /// user's own baseline explains them, as the playbook's "legitimate business
    /// reason" would.
    fn recognise_habits(&mut self) {
        for i in 0..self.destinations.len() {
            if !matches!(self.destinations[i].trust, Trust::Unrecognised) {
                continue;
            }
            let (listed, more) = &self.destinations[i].other_hosts;
            let others = listed.len() as u64 + more;
            // Every day before the incident's last day counts, so an incident that
            // spans a week of daily uploads is compared day by day, not as a whole.
            let last_day =
                Timestamp::from_secs(self.draft.last_seen.secs().div_euclid(86_400) * 86_400);
            let Some((days, median)) = self.daily_history(&self.destinations[i], last_day) else {
                if others >= PREVALENT_HOSTS {
                    self.destinations[i].trust = Trust::Prevalent(others);
                }
                continue;
            };
            let span_days = (last_day.secs() - self.draft.first_seen.secs()).div_euclid(86_400) + 1;
            let bytes = self.destinations[i].destination.bytes_out;
            let per_day = bytes / span_days.max(1) as u64;
            if days >= HISTORY_MIN_DAYS && per_day <= median.saturating_mul(HISTORY_FACTOR) {
                self.destinations[i].trust = Trust::Habitual(format!(
                    "sent to on {days} earlier day(s), median {} per day, {} per day in this incident",
                    format_bytes(median),
                    format_bytes(per_day)
                ));
            } else if others >= PREVALENT_HOSTS {
                self.destinations[i].trust = Trust::Prevalent(others);
            }
        }
    }

    /// Outbound bytes the observed flows show for the host inside the incident window.
    pub fn observed_outbound(&self) -> Option<u64> {
        let facts = self.facts.as_ref()?;
        facts.has(Telemetry::FlowBytes).then(|| {
            facts.outbound_between(
                self.draft.first_seen.plus_secs(-3600),
                self.draft.last_seen.plus_secs(3600),
            )
        })
    }

    /// The window's outbound bytes against the host's other buckets; `None` without
    /// flow byte counts for the host.
    pub fn outbound_profile(&self) -> Option<OutboundProfile> {
        let facts = self
            .facts
            .as_ref()
            .filter(|f| f.has(Telemetry::FlowBytes))?;
        let from = self.draft.first_seen.plus_secs(-3600).secs();
        let to = self.draft.last_seen.plus_secs(3600).secs();
        let mut outside = Vec::new();
        let (mut peak_bytes, mut peak_start, mut window_bytes) =
            (0u64, self.draft.first_seen, 0u64);
        for (start, bytes) in &facts.outbound_buckets {
            if start.saturating_add(BUCKET_SECS) > from && *start <= to {
                window_bytes = window_bytes.saturating_add(*bytes);
                if *bytes > peak_bytes {
                    peak_bytes = *bytes;
                    peak_start = model::Timestamp::from_secs(*start);
                }
            } else {
                outside.push(*bytes);
            }
        }
        let outside_bytes = outside.iter().fold(0u64, |a, b| a.saturating_add(*b));
        let day = 86_400.0;
        let window_days = ((to as f64 - from as f64) / day).max(1.0 / 24.0);
        let observed_days = match (facts.first_seen, facts.last_seen) {
            (Some(a), Some(b)) => (b.0 as f64 - a.0 as f64) / 1e6 / day,
            _ => 0.0,
        };
        let outside_days = (observed_days - window_days).max(0.0);
        outside.sort_unstable();
        let pick = |q: f64| -> u64 {
            if outside.is_empty() {
                0
            } else {
                outside[((outside.len() - 1) as f64 * q).round() as usize]
            }
        };
        Some(OutboundProfile {
            peak_bytes,
            peak_start,
            window_bytes,
            median_outside: pick(0.5),
            p99_outside: pick(0.99),
            buckets_outside: outside.len(),
            outside_bytes,
            outside_days,
            window_days,
        })
    }

    /// The host's largest outbound destinations inside the incident window (±1 h)
    /// from the observed flows: `(label, bytes, transfers)`, most bytes first.
    pub fn top_outbound(&self, limit: usize) -> Vec<(String, u64, u64)> {
        let Some(facts) = &self.facts else {
            return Vec::new();
        };
        let from = self.draft.first_seen.plus_secs(-3600);
        let to = self.draft.last_seen.plus_secs(3600);
        let mut rows: Vec<(String, u64, u64)> = facts
            .destinations
            .iter()
            .filter_map(|(key, traffic)| {
                let (bytes, transfers) = traffic.between(from, to);
                (transfers > 0).then(|| {
                    let label = match key {
                        DestinationKey::Ip(ip) => match self.observations.domains_of(*ip).first() {
                            Some(name) => format!("{name} ({ip})"),
                            None => ip.to_string(),
                        },
                        DestinationKey::Domain(d) => d.clone(),
                    };
                    (label, bytes, transfers)
                })
            })
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(limit);
        rows
    }

    /// Scheduled tasks and cron jobs set up on the host from a day before the first
    /// finding to the last one.
    pub fn recent_persistence(&self) -> Vec<&PersistenceRecord> {
        let from = self.draft.first_seen.plus_secs(-PERSISTENCE_LOOKBACK_SECS);
        self.facts
            .as_ref()
            .map(|f| {
                f.persistence
                    .iter()
                    .filter(|r| r.time >= from && r.time <= self.draft.last_seen)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// For a destination: the bytes sent to it on previous days (UTC), when the
    /// observations hold any, as (days with traffic, median bytes per day).
    pub fn history(&self, view: &DestinationView<'_>) -> Option<(usize, u64)> {
        self.daily_history(view, self.draft.first_seen.plus_secs(-6 * 3600))
    }

    /// Days with traffic to the destination before `before`, and their median bytes.
    fn daily_history(&self, view: &DestinationView<'_>, before: Timestamp) -> Option<(usize, u64)> {
        let facts = self.facts.as_ref()?;
        let mut days = std::collections::BTreeMap::<i64, u64>::new();
        let mut keys: Vec<DestinationKey> = view
            .addresses
            .iter()
            .copied()
            .map(DestinationKey::Ip)
            .collect();
        if let Some(domain) = &view.destination.domain {
            keys.push(DestinationKey::Domain(domain.clone()));
        }
        for key in keys {
            if let Some(traffic) = facts.destinations.get(&key) {
                for (day, bytes) in traffic.daily_bytes_before(before) {
                    *days.entry(day).or_default() += bytes;
                }
            }
        }
        let mut values: Vec<u64> = days.into_values().filter(|b| *b > 0).collect();
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        Some((values.len(), values[values.len() / 2]))
    }

    /// `ws1 (10.1.2.3)` without the word host; the user for user-only incidents.
    pub fn short_subject(&self) -> &str {
        self.subject
            .strip_prefix("host ")
            .or_else(|| self.subject.strip_prefix("user "))
            .unwrap_or(&self.subject)
    }

    /// One line per destination: label, bytes, transfers.
    pub fn destination_summary(&self, limit: usize) -> String {
        let mut parts: Vec<String> = self
            .destinations
            .iter()
            .take(limit)
            .map(|v| {
                format!(
                    "{} ({} in {} transfer{})",
                    v.label,
                    format_bytes(v.destination.bytes_out),
                    v.destination.transfers,
                    if v.destination.transfers == 1 {
                        ""
                    } else {
                        "s"
                    }
                )
            })
            .collect();
        if self.destinations.len() > limit {
            parts.push(format!("{} more", self.destinations.len() - limit));
        }
        parts.join(", ")
    }
}

fn host_labels(draft: &IncidentDraft<'_>) -> Vec<String> {
    let mut labels = Vec::new();
    if let Some(name) = &draft.host_name {
        labels.push(name.to_ascii_lowercase());
    }
    if let Some(ip) = draft.host_ip {
        labels.push(ip.to_string());
    }
    labels
}

fn other_hosts(
    observations: &Observations,
    destination: &IncidentDestination,
    exclude: &[String],
) -> (Vec<String>, u64) {
    let mut hosts = Vec::new();
    let mut more = 0;
    let mut keys = Vec::new();
    if let Some(ip) = destination.ip {
        keys.push(DestinationKey::Ip(ip));
    }
    if let Some(domain) = &destination.domain {
        keys.push(DestinationKey::Domain(domain.clone()));
    }
    for key in keys {
        let (found, extra) = observations.hosts_talking_to(&key);
        hosts.extend(found.into_iter().filter(|h| !exclude.contains(h)));
        more += extra;
    }
    hosts.sort();
    hosts.dedup();
    (hosts, more)
}

fn trust_of(
    destination: &IncidentDestination,
    signals: &[&Signal],
    draft: &IncidentDraft<'_>,
    allow: &[AllowEntry],
) -> Trust {
    let about: Vec<&Signal> = signals
        .iter()
        .copied()
        .filter(|s| names_destination(s, destination))
        .collect();
    if let Some(intel) = about.iter().find(|s| s.detector == "intel") {
        return Trust::Intel(intel.rule_name.to_string());
    }
    if let Some(reason) = about.iter().find_map(|s| s.allowed.clone()) {
        return Trust::AllowListed(reason);
    }
    if let Some(entry) = allow.iter().find(|e| allow_covers(e, destination, draft)) {
        return Trust::AllowListed(entry.reason.clone());
    }
    if let Some(novel) = about.iter().find(|s| s.detector == "novelty") {
        return Trust::New(evidence::describe(novel));
    }
    Trust::Unrecognised
}

/// Whether a signal is about this destination (same address or same domain).
pub fn names_destination(signal: &Signal, destination: &IncidentDestination) -> bool {
    let ip_match = signal.destination_ip.is_some()
        && signal.destination_ip.map(model::net::canonical) == destination.ip;
    let domain_match = match (&signal.destination_domain, &destination.domain) {
        (Some(a), Some(b)) => a.trim_end_matches('.').eq_ignore_ascii_case(b),
        _ => false,
    };
    ip_match || domain_match
}

/// Whether an `[[allow]]` entry covers a destination for this incident's host and
/// user (destination: IP, CIDR or domain suffix; host: IP, CIDR or name glob; user:
/// glob). Entries limited to a process or schedule are left to the analytics, which
/// see the process and time of each transfer.
fn allow_covers(
    entry: &AllowEntry,
    destination: &IncidentDestination,
    draft: &IncidentDraft<'_>,
) -> bool {
    if entry.process.is_some() || entry.schedule.is_some() {
        return false;
    }
    let Some(pattern) = entry.destination.as_deref().map(str::trim) else {
        return false;
    };
    let destination_ok = if let Ok(net) = pattern.parse::<IpNet>() {
        destination.ip.is_some_and(|ip| net.contains(&ip))
    } else if let Ok(ip) = pattern.parse::<IpAddr>() {
        destination.ip == Some(ip)
    } else {
        destination
            .domain
            .as_deref()
            .is_some_and(|d| domain_suffix(d, pattern))
    };
    let host_ok = entry
        .host
        .as_deref()
        .is_none_or(|h| host_matches(h.trim(), draft));
    let user_ok = entry
        .user
        .as_deref()
        .is_none_or(|u| draft.user_name.as_deref().is_some_and(|name| glob(u, name)));
    destination_ok && host_ok && user_ok
}

fn domain_suffix(domain: &str, pattern: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern
        .trim_start_matches("*.")
        .trim_matches('.')
        .to_ascii_lowercase();
    domain == pattern || domain.ends_with(&format!(".{pattern}"))
}

/// Case-insensitive glob with `*` and `?` (shared with the analytics, in `model`).
pub use model::glob::glob_match as glob;

fn host_matches(pattern: &str, draft: &IncidentDraft<'_>) -> bool {
    if let Ok(net) = pattern.parse::<IpNet>() {
        return draft.host_ip.is_some_and(|ip| net.contains(&ip));
    }
    if let Ok(ip) = pattern.parse::<IpAddr>() {
        return draft.host_ip == Some(ip);
    }
    draft
        .host_name
        .as_deref()
        .is_some_and(|name| glob(pattern, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_suffixes() {
        assert!(glob("ws-*", "WS-12"));
        assert!(glob("*@corp.example", "bob@corp.example"));
        assert!(!glob("ws-?", "ws-12"));
        assert!(domain_suffix("eu.backup.example.net", "backup.example.net"));
        assert!(!domain_suffix(
            "evilbackup.example.net",
            "backup.example.net"
        ));
    }
}
