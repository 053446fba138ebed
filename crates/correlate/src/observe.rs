//! The observer: bounded per-host facts gathered from every event.

use ahash::AHashMap;
use model::{Event, EventKind, Networks, Timestamp};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

/// Width of an outbound-bytes bucket, in seconds (5 minutes).
pub const BUCKET_SECS: i64 = 300;
/// Seconds per hour: per-destination traffic is kept per hour.
const HOUR_SECS: i64 = 3600;
/// Outbound buckets kept per host: 28 days of 5-minute buckets.
const MAX_BUCKETS_PER_HOST: usize = 28 * 24 * 12;
/// Destinations tracked per host; further ones are counted, not kept.
const MAX_DESTINATIONS_PER_HOST: usize = 4096;
/// Hours of traffic kept per (host, destination): 62 days.
const MAX_HOURS_PER_DESTINATION: usize = 62 * 24;
/// Hosts remembered per external destination (lateral spread).
const MAX_HOSTS_PER_DESTINATION: usize = 256;
/// External destinations tracked for lateral spread.
const MAX_SPREAD_DESTINATIONS: usize = 500_000;
/// Users remembered per host.
const MAX_USERS_PER_HOST: usize = 64;
/// Addresses remembered per domain (from DNS answers, HTTP and TLS records).
const MAX_ADDRESSES_PER_DOMAIN: usize = 32;
/// Domains remembered with their addresses.
const MAX_RESOLVED_DOMAINS: usize = 200_000;
/// Aliases (names or addresses) remembered per host.
const MAX_ALIASES_PER_HOST: usize = 16;

/// A kind of telemetry whose presence (or absence) on a host the triage reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Telemetry {
    /// Process starts with command lines (Sysmon 1, Security 4688, auditd execve).
    ProcessExecution,
    /// Script content (PowerShell 4104, AMSI).
    ScriptContent,
    /// File creation and writes (Sysmon 11, Zeek files).
    FileEvents,
    /// Network connections or flows.
    NetworkFlows,
    /// Flows that carry byte counts (Zeek conn, NetFlow/IPFIX, pcap, firewall).
    FlowBytes,
    /// DNS queries.
    Dns,
    /// Proxy or HTTP request logs.
    ProxyHttp,
    /// Cloud and SaaS audit logs.
    CloudAudit,
    /// Scheduled-task and cron changes.
    ScheduledTasks,
    /// Logons and authentication.
    Authentication,
}

impl Telemetry {
    /// Every kind, in report order.
    pub const ALL: [Telemetry; 10] = [
        Telemetry::ProcessExecution,
        Telemetry::ScriptContent,
        Telemetry::FileEvents,
        Telemetry::NetworkFlows,
        Telemetry::FlowBytes,
        Telemetry::Dns,
        Telemetry::ProxyHttp,
        Telemetry::CloudAudit,
        Telemetry::ScheduledTasks,
        Telemetry::Authentication,
    ];

    /// What it is and which records provide it, for "missing telemetry" sentences.
    pub fn describe(self) -> &'static str {
        match self {
            Telemetry::ProcessExecution => {
                "process-execution telemetry (Sysmon 1 / Security 4688 / auditd execve)"
            }
            Telemetry::ScriptContent => "script-content telemetry (PowerShell 4104 / AMSI)",
            Telemetry::FileEvents => "file telemetry (Sysmon 11 / Zeek files)",
            Telemetry::NetworkFlows => {
                "network-connection telemetry (Sysmon 3 / Security 5156 / Zeek conn / NetFlow)"
            }
            Telemetry::FlowBytes => {
                "flow telemetry with byte counts (Zeek conn / NetFlow / IPFIX / pcap / firewall)"
            }
            Telemetry::Dns => "DNS telemetry (Sysmon 22 / Zeek dns / DNS server logs)",
            Telemetry::ProxyHttp => "proxy/HTTP telemetry (Squid / W3C / Zeek http)",
            Telemetry::CloudAudit => "cloud audit telemetry (CloudTrail / M365 / GitHub audit)",
            Telemetry::ScheduledTasks => {
                "scheduled-task telemetry (Security 4698 / TaskScheduler 106 / cron logs)"
            }
            Telemetry::Authentication => "logon telemetry (Security 4624 / auth logs)",
        }
    }

    /// Short name for tables (`process`, `flow-bytes`...).
    pub fn short_name(self) -> &'static str {
        match self {
            Telemetry::ProcessExecution => "process",
            Telemetry::ScriptContent => "script",
            Telemetry::FileEvents => "file",
            Telemetry::NetworkFlows => "network",
            Telemetry::FlowBytes => "flow-bytes",
            Telemetry::Dns => "dns",
            Telemetry::ProxyHttp => "proxy/http",
            Telemetry::CloudAudit => "cloud",
            Telemetry::ScheduledTasks => "scheduled-task",
            Telemetry::Authentication => "logon",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A destination as the observer keys it: by address when known, else by name
/// (proxy logs often carry only the host name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DestinationKey {
    /// An IP address.
    Ip(IpAddr),
    /// A lower-case domain.
    Domain(String),
}

impl std::fmt::Display for DestinationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DestinationKey::Ip(ip) => write!(f, "{ip}"),
            DestinationKey::Domain(d) => f.write_str(d),
        }
    }
}

/// Distinct ports counted per (host, destination).
const MAX_PORTS_PER_DESTINATION: usize = 16;

/// One hour of traffic to a destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct HourSlot {
    /// Hour index: epoch seconds / 3600.
    hour: i64,
    bytes: u64,
    transfers: u64,
}

/// Outbound traffic from one host to one destination, per hour of event time.
///
/// Kept as small sorted vectors: events arrive nearly in time order, so the common
/// update touches the last slot, and a pair costs two small allocations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DestinationTraffic {
    hours: Vec<HourSlot>,
    ports: Vec<(u16, u64)>,
}

impl DestinationTraffic {
    fn add(&mut self, time: Timestamp, bytes: u64, port: Option<u16>) {
        self.add_hour(time.secs().div_euclid(HOUR_SECS), bytes, 1);
        if let Some(port) = port {
            self.add_port(port, 1);
        }
    }

    fn add_hour(&mut self, hour: i64, bytes: u64, transfers: u64) {
        let hours = &mut self.hours;
        let at = match hours.last_mut() {
            Some(last) if last.hour == hour => {
                last.bytes = last.bytes.saturating_add(bytes);
                last.transfers += transfers;
                return;
            }
            Some(last) if last.hour < hour => hours.len(),
            None => 0,
            Some(_) => match hours.binary_search_by_key(&hour, |s| s.hour) {
                Ok(i) => {
                    hours[i].bytes = hours[i].bytes.saturating_add(bytes);
                    hours[i].transfers += transfers;
                    return;
                }
                Err(i) => i,
            },
        };
        if hours.len() >= MAX_HOURS_PER_DESTINATION {
            if at == 0 {
                return;
            }
            hours.remove(0);
            hours.insert(
                at - 1,
                HourSlot {
                    hour,
                    bytes,
                    transfers,
                },
            );
        } else {
            hours.insert(
                at,
                HourSlot {
                    hour,
                    bytes,
                    transfers,
                },
            );
        }
    }

    fn add_port(&mut self, port: u16, n: u64) {
        if let Some(slot) = self.ports.iter_mut().find(|(p, _)| *p == port) {
            slot.1 += n;
        } else if self.ports.len() < MAX_PORTS_PER_DESTINATION {
            self.ports.push((port, n));
        }
    }

    fn merge(&mut self, other: &DestinationTraffic) {
        for slot in &other.hours {
            self.add_hour(slot.hour, slot.bytes, slot.transfers);
        }
        for (port, n) in &other.ports {
            self.add_port(*port, *n);
        }
    }

    /// Bytes out and transfers inside `[from, to]` (whole hours touching the range).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> (u64, u64) {
        let first = from.secs().div_euclid(HOUR_SECS);
        let last = to.secs().div_euclid(HOUR_SECS);
        let start = self.hours.partition_point(|s| s.hour < first);
        self.hours[start..]
            .iter()
            .take_while(|s| s.hour <= last)
            .fold((0, 0), |(b, t), s| {
                (b.saturating_add(s.bytes), t.saturating_add(s.transfers))
            })
    }

    /// Bytes out per UTC day (epoch days) before `before`, for "same as previous
    /// nights" comparisons.
    pub fn daily_bytes_before(&self, before: Timestamp) -> BTreeMap<i64, u64> {
        let limit = before.secs().div_euclid(HOUR_SECS);
        let mut days = BTreeMap::new();
        for slot in self.hours.iter().take_while(|s| s.hour < limit) {
            *days.entry(slot.hour.div_euclid(24)).or_insert(0u64) += slot.bytes;
        }
        days
    }

    /// Hours with traffic, as (hour start, bytes out, transfers), oldest first.
    pub fn hours(&self) -> impl Iterator<Item = (Timestamp, u64, u64)> + '_ {
        self.hours.iter().map(|s| {
            (
                Timestamp::from_secs(s.hour * HOUR_SECS),
                s.bytes,
                s.transfers,
            )
        })
    }

    /// The most used port (the lowest on a tie).
    pub fn main_port(&self) -> Option<u16> {
        self.ports
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(p, _)| *p)
    }
}

/// The facts kept for one host (by name or by address).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostFacts {
    telemetry: [u64; Telemetry::ALL.len()],
    /// First event time seen for the host.
    pub first_seen: Option<Timestamp>,
    /// Last event time seen for the host.
    pub last_seen: Option<Timestamp>,
    /// Outbound bytes per 5-minute bucket: (bucket start, epoch seconds; bytes),
    /// ascending, at most 28 days.
    pub outbound_buckets: VecDeque<(i64, u64)>,
    /// Outbound bytes that arrived older than the oldest kept bucket.
    pub dropped_late_bytes: u64,
    /// Outbound traffic per destination.
    pub destinations: AHashMap<DestinationKey, DestinationTraffic>,
    /// Destinations not tracked because the per-host cap was reached.
    pub dropped_destinations: u64,
    /// Users seen on the host, with event counts.
    pub users: BTreeMap<String, u64>,
    /// Addresses of the same host (from events carrying both a name and an address).
    pub addresses: BTreeSet<IpAddr>,
    /// Scheduled tasks and cron jobs created on the host (the latest
    /// [`MAX_PERSISTENCE_PER_HOST`]), oldest first.
    pub persistence: VecDeque<PersistenceRecord>,
}

/// Persistence records kept per host.
pub const MAX_PERSISTENCE_PER_HOST: usize = 64;
/// Longest command line kept in a persistence record.
const MAX_COMMAND_CHARS: usize = 512;

/// How a job was set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PersistenceKind {
    /// A scheduled task was registered (Security 4698/4702, TaskScheduler 106/140).
    TaskRegistered,
    /// `schtasks /create`, `Register-ScheduledTask` or `at` ran.
    TaskCommand,
    /// `crontab` ran, or a file under a cron folder was written.
    Cron,
}

/// A scheduled task or cron job set up on a host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PersistenceRecord {
    /// When.
    pub time: Timestamp,
    /// How.
    pub kind: PersistenceKind,
    /// The task name (registrations), the command line (commands, cut to 512
    /// characters) or the cron file path.
    pub detail: String,
    /// Who did it, when the record says.
    pub user: Option<String>,
    /// The record behind it.
    pub file: Option<String>,
    /// Its offset.
    pub offset: Option<u64>,
}

impl HostFacts {
    /// Events seen of a telemetry kind.
    pub fn telemetry_count(&self, kind: Telemetry) -> u64 {
        self.telemetry[kind.index()]
    }

    /// Whether any event of `kind` was seen.
    pub fn has(&self, kind: Telemetry) -> bool {
        self.telemetry_count(kind) > 0
    }

    /// The telemetry kinds present.
    pub fn present(&self) -> Vec<Telemetry> {
        Telemetry::ALL
            .into_iter()
            .filter(|k| self.has(*k))
            .collect()
    }

    /// Total outbound bytes in the 5-minute buckets that overlap `[from, to]`.
    pub fn outbound_between(&self, from: Timestamp, to: Timestamp) -> u64 {
        let first = from.secs().div_euclid(BUCKET_SECS) * BUCKET_SECS;
        let last = to.secs();
        self.outbound_buckets
            .iter()
            .filter(|(start, _)| *start >= first && *start <= last)
            .fold(0u64, |acc, (_, bytes)| acc.saturating_add(*bytes))
    }

    fn touch(&mut self, time: Timestamp) {
        self.first_seen = Some(self.first_seen.map_or(time, |t| t.min(time)));
        self.last_seen = Some(self.last_seen.map_or(time, |t| t.max(time)));
    }

    fn add_outbound(&mut self, time: Timestamp, bytes: u64) {
        let bucket = time.secs().div_euclid(BUCKET_SECS) * BUCKET_SECS;
        let buckets = &mut self.outbound_buckets;
        match buckets.back_mut() {
            Some(last) if last.0 == bucket => last.1 = last.1.saturating_add(bytes),
            Some(last) if last.0 > bucket => {
                match buckets.binary_search_by_key(&bucket, |(start, _)| *start) {
                    Ok(i) => buckets[i].1 = buckets[i].1.saturating_add(bytes),
                    Err(0) if buckets.len() >= MAX_BUCKETS_PER_HOST => {
                        self.dropped_late_bytes = self.dropped_late_bytes.saturating_add(bytes)
                    }
                    Err(i) => buckets.insert(i, (bucket, bytes)),
                }
            }
            _ => buckets.push_back((bucket, bytes)),
        }
        while buckets.len() > MAX_BUCKETS_PER_HOST {
            if let Some((_, old)) = buckets.pop_front() {
                self.dropped_late_bytes = self.dropped_late_bytes.saturating_add(old);
            }
        }
    }

    /// Adds a transfer; true when this host had not sent to `key` before (or the
    /// per-host cap hides it), so that the caller updates the lateral-spread sets
    /// only on first contact.
    fn add_destination(
        &mut self,
        key: &DestinationKey,
        time: Timestamp,
        bytes: u64,
        port: Option<u16>,
    ) -> bool {
        if let Some(traffic) = self.destinations.get_mut(key) {
            traffic.add(time, bytes, port);
            false
        } else if self.destinations.len() < MAX_DESTINATIONS_PER_HOST {
            self.destinations
                .entry(key.clone())
                .or_default()
                .add(time, bytes, port);
            true
        } else {
            self.dropped_destinations += 1;
            true
        }
    }

    fn add_user(&mut self, user: &str) {
        if let Some(n) = self.users.get_mut(user) {
            *n += 1;
        } else if self.users.len() < MAX_USERS_PER_HOST {
            self.users.insert(user.to_string(), 1);
        }
    }

    /// Keeps a persistence record, in time order, dropping the oldest past the cap.
    pub fn add_persistence(&mut self, record: PersistenceRecord) {
        let at = self.persistence.partition_point(|r| r <= &record);
        if at > 0 && self.persistence[at - 1] == record {
            return;
        }
        self.persistence.insert(at, record);
        if self.persistence.len() > MAX_PERSISTENCE_PER_HOST {
            self.persistence.pop_front();
        }
    }

    fn add_address(&mut self, ip: IpAddr) {
        if self.addresses.len() < MAX_ALIASES_PER_HOST {
            self.addresses.insert(ip);
        }
    }

    /// Adds another host's facts into this one (shards, or aliases of one host).
    pub fn merge(&mut self, other: &HostFacts) {
        for (mine, theirs) in self.telemetry.iter_mut().zip(other.telemetry.iter()) {
            *mine += theirs;
        }
        if let Some(t) = other.first_seen {
            self.touch(t);
        }
        if let Some(t) = other.last_seen {
            self.touch(t);
        }
        for (start, bytes) in &other.outbound_buckets {
            self.add_outbound(Timestamp::from_secs(*start), *bytes);
        }
        self.dropped_late_bytes = self
            .dropped_late_bytes
            .saturating_add(other.dropped_late_bytes);
        for (key, traffic) in &other.destinations {
            if self.destinations.len() < MAX_DESTINATIONS_PER_HOST
                || self.destinations.contains_key(key)
            {
                self.destinations
                    .entry(key.clone())
                    .or_default()
                    .merge(traffic);
            } else {
                self.dropped_destinations += 1;
            }
        }
        self.dropped_destinations += other.dropped_destinations;
        for (user, n) in &other.users {
            if self.users.len() < MAX_USERS_PER_HOST || self.users.contains_key(user) {
                *self.users.entry(user.clone()).or_default() += n;
            }
        }
        for ip in &other.addresses {
            self.add_address(*ip);
        }
        for record in &other.persistence {
            self.add_persistence(record.clone());
        }
    }
}

/// A packet capture file and the event-time range its records cover.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PcapWindow {
    /// The capture file as given by the user.
    pub file: String,
    /// First record time.
    pub start: Timestamp,
    /// Last record time.
    pub end: Timestamp,
}

/// Which hosts talked to one external destination: by name, or by address for
/// hosts known only by their address (kept apart so that no string is built per
/// flow).
#[derive(Clone, Debug, Default, PartialEq)]
struct Spread {
    names: BTreeSet<String>,
    addresses: BTreeSet<IpAddr>,
    /// Hosts past [`MAX_HOSTS_PER_DESTINATION`], counted without listing them:
    /// a linear-counting bitmap of their hashes (allocated on the first one).
    overflow: Option<Box<[u64; OVERFLOW_WORDS]>>,
}

/// Words of the overflow bitmap: 8,192 bits, exact to a few percent up to
/// several thousand hosts per destination, 1 KiB per popular destination.
const OVERFLOW_WORDS: usize = 128;

/// A host as the spread lists it.
#[derive(Clone, Copy, Debug)]
enum HostRef<'a> {
    Name(&'a str),
    Address(IpAddr),
}

impl Spread {
    fn len(&self) -> usize {
        self.names.len() + self.addresses.len()
    }

    fn add(&mut self, host: HostRef<'_>) {
        let known = match host {
            HostRef::Name(name) => self.names.contains(name),
            HostRef::Address(ip) => self.addresses.contains(&ip),
        };
        if known {
            return;
        }
        if self.len() >= MAX_HOSTS_PER_DESTINATION {
            self.count_overflow(host);
            return;
        }
        match host {
            HostRef::Name(name) => {
                self.names.insert(name.to_string());
            }
            HostRef::Address(ip) => {
                self.addresses.insert(ip);
            }
        }
    }

    fn merge(&mut self, other: &Spread) {
        other.names.iter().for_each(|n| self.add(HostRef::Name(n)));
        other
            .addresses
            .iter()
            .for_each(|ip| self.add(HostRef::Address(*ip)));
        if let Some(theirs) = &other.overflow {
            let mine = self
                .overflow
                .get_or_insert_with(|| Box::new([0; OVERFLOW_WORDS]));
            for (word, their) in mine.iter_mut().zip(theirs.iter()) {
                *word |= their;
            }
        }
    }

    /// Marks an unlisted host in the overflow bitmap.
    fn count_overflow(&mut self, host: HostRef<'_>) {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = match host {
            HostRef::Name(name) => BuildHasherDefault::<DefaultHasher>::default().hash_one(name),
            HostRef::Address(ip) => BuildHasherDefault::<DefaultHasher>::default().hash_one(ip),
        };
        let bit = (hash % (OVERFLOW_WORDS as u64 * 64)) as usize;
        let bits = self
            .overflow
            .get_or_insert_with(|| Box::new([0; OVERFLOW_WORDS]));
        bits[bit / 64] |= 1 << (bit % 64);
    }

    /// Distinct hosts past the listed ones, estimated by linear counting.
    fn more(&self) -> u64 {
        let Some(bits) = &self.overflow else {
            return 0;
        };
        let m = (OVERFLOW_WORDS * 64) as f64;
        let zeros = bits.iter().map(|w| w.count_zeros()).sum::<u32>() as f64;
        // All bits set: the estimate's ceiling.
        (m * (m / zeros.max(1.0)).ln()).round() as u64
    }

    /// Names and addresses as text, sorted.
    fn labels(&self) -> Vec<String> {
        let mut out: Vec<String> = self.names.iter().cloned().collect();
        out.extend(self.addresses.iter().map(IpAddr::to_string));
        out.sort();
        out
    }
}

/// Sees every event and keeps bounded per-host facts (see the crate docs).
///
/// `observe` is on the hot path: it does a few hash lookups per event and allocates
/// only when it meets a new host, destination, user or domain.
#[derive(Clone, Debug)]
pub struct Observer {
    networks: Networks,
    state: Observations,
}

/// The frozen facts of a run: what the triage reads.
#[derive(Clone, Debug, Default)]
pub struct Observations {
    by_name: AHashMap<String, HostFacts>,
    by_ip: AHashMap<IpAddr, HostFacts>,
    spread_by_ip: AHashMap<IpAddr, Spread>,
    spread_by_domain: AHashMap<String, Spread>,
    resolved: AHashMap<String, BTreeSet<IpAddr>>,
    pcap: AHashMap<Arc<str>, (Timestamp, Timestamp)>,
    events: u64,
    /// Host names per address, built on the first query and dropped on every
    /// change (so that looking a signal's address up costs a hash lookup, not a
    /// scan of all hosts).
    names_by_address: std::sync::OnceLock<AHashMap<IpAddr, Vec<String>>>,
}

impl Observer {
    /// An observer that calls traffic outbound by `networks` (from the config).
    pub fn new(networks: Networks) -> Self {
        Observer {
            networks,
            state: Observations::default(),
        }
    }

    /// Records one event's facts.
    pub fn observe(&mut self, event: &Event) {
        self.state.events += 1;
        self.note_pcap(event);
        let network = event.network.as_deref();
        let source_ip = network.and_then(|n| n.source_ip);
        let internal_source = source_ip.filter(|ip| self.networks.is_internal(*ip));
        let destination = self.outbound_destination(event, source_ip);
        let mut first_contact = true;
        if let Some(facts) = self.state.host_entry(event, internal_source) {
            facts.touch(event.timestamp);
            for kind in telemetry_of(event) {
                facts.telemetry[kind.index()] += 1;
            }
            if let Some(record) = persistence_of(event) {
                facts.add_persistence(record);
            }
            if let Some(user) = event.user_name.as_deref().filter(|u| !u.is_empty()) {
                facts.add_user(user);
            }
            if let Some(destination) = &destination {
                let bytes = event
                    .bytes_out()
                    .or_else(|| event.http.as_ref().and_then(|h| h.request_body_bytes))
                    .unwrap_or(0);
                let port = network.and_then(|n| n.destination_port);
                facts.add_outbound(event.timestamp, bytes);
                first_contact = facts.add_destination(destination, event.timestamp, bytes, port);
            }
        }
        // A known (host, destination) pair is already in the spread sets, unless the
        // record now names the destination (HTTP, TLS) where earlier ones did not.
        if let Some(destination) = &destination
            && (first_contact || event.destination_name().is_some())
        {
            self.record_spread(destination, event, internal_source);
        }
        self.observe_names(event);
    }

    fn note_pcap(&mut self, event: &Event) {
        if let Some(origin) = &event.origin
            && is_pcap(event)
        {
            let window = match self.state.pcap.get_mut(&*origin.file) {
                Some(window) => window,
                None => self
                    .state
                    .pcap
                    .entry(origin.file.clone())
                    .or_insert((event.timestamp, event.timestamp)),
            };
            window.0 = window.0.min(event.timestamp);
            window.1 = window.1.max(event.timestamp);
        }
    }

    fn outbound_destination(
        &self,
        event: &Event,
        source_ip: Option<IpAddr>,
    ) -> Option<DestinationKey> {
        let network = event.network.as_deref()?;
        if let Some(dest) = network.destination_ip {
            let outbound = match source_ip {
                Some(src) => self.networks.is_outbound(src, dest),
                None => self.networks.is_external(dest),
            };
            return outbound.then_some(DestinationKey::Ip(model::net::canonical(dest)));
        }
        let name = event.destination_name()?;
        let internal_source = source_ip.is_none_or(|ip| self.networks.is_internal(ip));
        (internal_source && !name.is_empty())
            .then(|| DestinationKey::Domain(name.to_ascii_lowercase()))
    }

    fn record_spread(
        &mut self,
        destination: &DestinationKey,
        event: &Event,
        internal_source: Option<IpAddr>,
    ) {
        let state = &mut self.state;
        let name = event
            .host_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(normalise_host);
        let host = match (&name, event.host_ip.or(internal_source)) {
            (Some(name), _) => HostRef::Name(name),
            (None, Some(ip)) => HostRef::Address(model::net::canonical(ip)),
            (None, None) => return,
        };
        match destination {
            DestinationKey::Ip(ip) => {
                if let Some(spread) = state.spread_by_ip.get_mut(ip) {
                    spread.add(host);
                } else if state.spread_by_ip.len() < MAX_SPREAD_DESTINATIONS {
                    state.spread_by_ip.entry(*ip).or_default().add(host);
                }
                if let Some(domain) = event.destination_name() {
                    state.add_spread_domain(domain, host);
                }
            }
            DestinationKey::Domain(domain) => state.add_spread_domain(domain, host),
        }
    }

    /// Learns domain to address mappings from DNS answers and from records that carry
    /// both a name and an address (HTTP, TLS, proxy).
    fn observe_names(&mut self, event: &Event) {
        let state = &mut self.state;
        if event.kind == EventKind::Dns
            && let Some(dns) = event.dns.as_deref()
            && let Some(name) = dns.question_name.as_deref()
        {
            for answer in &dns.answers {
                if let Ok(ip) = answer.trim().parse::<IpAddr>() {
                    state.resolve(name, ip);
                }
            }
        }
        if let Some(network) = event.network.as_deref()
            && let Some(ip) = network.destination_ip
            && let Some(name) = event.destination_name()
            && name.parse::<IpAddr>().is_err()
        {
            state.resolve(name, ip);
        }
    }

    /// Adds the facts of another observer (another shard or thread) into this one.
    pub fn merge(&mut self, other: Observer) {
        self.state.merge(other.state);
    }

    /// Freezes the facts for the triage.
    pub fn finish(mut self) -> Observations {
        self.state.names_by_address = std::sync::OnceLock::new();
        self.state
    }
}

impl Observations {
    fn host_entry(
        &mut self,
        event: &Event,
        internal_source: Option<IpAddr>,
    ) -> Option<&mut HostFacts> {
        let name = event.host_name.as_deref().filter(|n| !n.is_empty());
        let ip = event.host_ip.or(internal_source).map(model::net::canonical);
        match (name, ip) {
            (Some(name), ip) => {
                let key = normalise_host(name);
                if !self.by_name.contains_key(key.as_ref()) {
                    self.by_name
                        .insert(key.clone().into_owned(), HostFacts::default());
                }
                let facts = self.by_name.get_mut(key.as_ref())?;
                if let Some(ip) = ip {
                    facts.add_address(ip);
                }
                Some(facts)
            }
            (None, Some(ip)) => Some(self.by_ip.entry(ip).or_default()),
            (None, None) => None,
        }
    }

    fn add_spread_domain(&mut self, name: &str, host: HostRef<'_>) {
        let name = normalise_host(name);
        if let Some(spread) = self.spread_by_domain.get_mut(name.as_ref()) {
            spread.add(host);
        } else if self.spread_by_domain.len() < MAX_SPREAD_DESTINATIONS {
            self.spread_by_domain
                .entry(name.into_owned())
                .or_default()
                .add(host);
        }
    }

    fn resolve(&mut self, name: &str, ip: IpAddr) {
        let name = name.trim_end_matches('.');
        if let Some(set) = self.resolved.get_mut(name) {
            if set.len() < MAX_ADDRESSES_PER_DOMAIN {
                set.insert(ip);
            }
        } else if self.resolved.len() < MAX_RESOLVED_DOMAINS {
            self.resolved
                .entry(name.to_ascii_lowercase())
                .or_default()
                .insert(ip);
        }
    }

    /// Adds the facts of another run part (another shard, or pre-aggregated
    /// observations) into these.
    pub fn merge(&mut self, other: Observations) {
        self.names_by_address = std::sync::OnceLock::new();
        for (name, facts) in other.by_name {
            self.by_name.entry(name).or_default().merge(&facts);
        }
        for (ip, facts) in other.by_ip {
            self.by_ip.entry(ip).or_default().merge(&facts);
        }
        for (ip, spread) in other.spread_by_ip {
            self.spread_by_ip.entry(ip).or_default().merge(&spread);
        }
        for (name, spread) in other.spread_by_domain {
            self.spread_by_domain
                .entry(name)
                .or_default()
                .merge(&spread);
        }
        for (name, ips) in other.resolved {
            let mine = self.resolved.entry(name).or_default();
            for ip in ips {
                if mine.len() < MAX_ADDRESSES_PER_DOMAIN {
                    mine.insert(ip);
                }
            }
        }
        for (file, (start, end)) in other.pcap {
            let window = self.pcap.entry(file).or_insert((start, end));
            window.0 = window.0.min(start);
            window.1 = window.1.max(end);
        }
        self.events += other.events;
    }

    /// Events observed.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Records facts for a host directly (for tests and for callers that already
    /// aggregated their telemetry).
    pub fn host_facts_mut(&mut self, name: Option<&str>, ip: Option<IpAddr>) -> &mut HostFacts {
        self.names_by_address = std::sync::OnceLock::new();
        match (name, ip) {
            (Some(name), _) => self
                .by_name
                .entry(normalise_host(name).into_owned())
                .or_default(),
            (None, Some(ip)) => self.by_ip.entry(ip).or_default(),
            (None, None) => self.by_name.entry(String::new()).or_default(),
        }
    }

    /// Everything known about a host, merged over its name, its address and the
    /// aliases events tied to them. `None` when the host never appeared.
    pub fn host(&self, name: Option<&str>, ip: Option<IpAddr>) -> Option<HostFacts> {
        let mut merged: Option<HostFacts> = None;
        let mut seen_names = BTreeSet::new();
        let mut seen_ips = BTreeSet::new();
        let mut add =
            |facts: &HostFacts| merged.get_or_insert_with(HostFacts::default).merge(facts);
        let mut names: Vec<String> = name
            .map(|n| normalise_host(n).into_owned())
            .into_iter()
            .collect();
        let mut ips: Vec<IpAddr> = ip.into_iter().collect();
        if let Some(ip) = ip {
            names.extend(self.names_at(ip).iter().cloned());
        }
        while let Some(n) = names.pop() {
            if !seen_names.insert(n.clone()) {
                continue;
            }
            if let Some(facts) = self.by_name.get(&n) {
                add(facts);
                ips.extend(facts.addresses.iter().copied());
            }
        }
        while let Some(ip) = ips.pop() {
            if seen_ips.insert(ip)
                && let Some(facts) = self.by_ip.get(&ip)
            {
                add(facts);
            }
        }
        merged
    }

    /// The single host name tied to an address, when exactly one is.
    pub fn name_of(&self, ip: IpAddr) -> Option<&str> {
        match self.names_at(ip) {
            [only] => Some(only.as_str()),
            _ => None,
        }
    }

    /// Host names tied to an address, sorted.
    fn names_at(&self, ip: IpAddr) -> &[String] {
        let index = self.names_by_address.get_or_init(|| {
            let mut index: AHashMap<IpAddr, Vec<String>> = AHashMap::new();
            for (name, facts) in &self.by_name {
                for address in &facts.addresses {
                    index.entry(*address).or_default().push(name.clone());
                }
            }
            index.values_mut().for_each(|names| names.sort());
            index
        });
        index.get(&ip).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Hosts (names or addresses) seen sending to an external address or domain,
    /// sorted, and how many more were not remembered.
    pub fn hosts_talking_to(&self, destination: &DestinationKey) -> (Vec<String>, u64) {
        let spread = match destination {
            DestinationKey::Ip(ip) => self.spread_by_ip.get(ip),
            DestinationKey::Domain(d) => self.spread_by_domain.get(&d.to_ascii_lowercase()),
        };
        spread.map_or((Vec::new(), 0), |s| (s.labels(), s.more()))
    }

    /// Addresses a domain resolved to in the data (DNS answers, HTTP/TLS records).
    pub fn addresses_of(&self, domain: &str) -> Vec<IpAddr> {
        self.resolved
            .get(&domain.trim_end_matches('.').to_ascii_lowercase())
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Domains that resolved to an address in the data, sorted.
    pub fn domains_of(&self, ip: IpAddr) -> Vec<String> {
        let mut names: Vec<String> = self
            .resolved
            .iter()
            .filter(|(_, ips)| ips.contains(&ip))
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }

    /// Packet captures whose records overlap `[from, to]`, sorted by file.
    pub fn pcaps_covering(&self, from: Timestamp, to: Timestamp) -> Vec<PcapWindow> {
        let mut windows: Vec<PcapWindow> = self
            .pcap
            .iter()
            .filter(|(_, (start, end))| *start <= to && *end >= from)
            .map(|(file, (start, end))| PcapWindow {
                file: file.to_string(),
                start: *start,
                end: *end,
            })
            .collect();
        windows.sort();
        windows
    }

    /// Records a packet capture window (tests, or callers that know it already).
    pub fn add_pcap_window(&mut self, file: &str, start: Timestamp, end: Timestamp) {
        let window = self.pcap.entry(Arc::from(file)).or_insert((start, end));
        window.0 = window.0.min(start);
        window.1 = window.1.max(end);
    }

    /// Records that `host` (a name, or an address as text) sent to `destination`
    /// (tests, or pre-aggregated input).
    pub fn add_spread(&mut self, destination: &DestinationKey, host: &str) {
        let name = normalise_host(host);
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => HostRef::Address(ip),
            Err(_) => HostRef::Name(&name),
        };
        match destination {
            DestinationKey::Ip(ip) => self.spread_by_ip.entry(*ip).or_default().add(host),
            DestinationKey::Domain(d) => self.add_spread_domain(d, host),
        }
    }

    /// Records a name resolution (tests, or pre-aggregated input).
    pub fn add_resolution(&mut self, domain: &str, ip: IpAddr) {
        self.resolve(domain, ip);
    }
}

impl HostFacts {
    /// Counts `n` events of a telemetry kind (tests, or pre-aggregated input).
    pub fn add_telemetry(&mut self, kind: Telemetry, n: u64) {
        self.telemetry[kind.index()] += n;
    }

    /// Records an outbound transfer (tests, or pre-aggregated input).
    pub fn add_transfer(
        &mut self,
        destination: DestinationKey,
        time: Timestamp,
        bytes: u64,
        port: Option<u16>,
    ) {
        self.touch(time);
        self.add_outbound(time, bytes);
        let _first_contact = self.add_destination(&destination, time, bytes, port);
    }

    /// Records a user seen on the host (tests, or pre-aggregated input).
    pub fn add_user_events(&mut self, user: &str, n: u64) {
        *self.users.entry(user.to_string()).or_default() += n;
    }
}

/// Host names compare case-insensitively; lower-case only when needed.
fn normalise_host(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

fn is_pcap(event: &Event) -> bool {
    let has = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|s| model::text::contains_ignore_ascii_case(s, "pcap"))
    };
    has(&event.dataset) || has(&event.provider)
}

/// The telemetry kinds one event provides.
fn telemetry_of(event: &Event) -> impl Iterator<Item = Telemetry> {
    let mut kinds = [None; 3];
    kinds[0] = match event.kind {
        EventKind::ProcessStart => Some(Telemetry::ProcessExecution),
        EventKind::Script => Some(Telemetry::ScriptContent),
        EventKind::File => Some(Telemetry::FileEvents),
        EventKind::Network | EventKind::Tls => Some(Telemetry::NetworkFlows),
        EventKind::Dns => Some(Telemetry::Dns),
        EventKind::Http => Some(Telemetry::ProxyHttp),
        EventKind::Cloud => Some(Telemetry::CloudAudit),
        EventKind::ScheduledTask => Some(Telemetry::ScheduledTasks),
        EventKind::Authentication => Some(Telemetry::Authentication),
        EventKind::Other => None,
    };
    if event.bytes_out().is_some() {
        kinds[1] = Some(Telemetry::FlowBytes);
        if event.kind == EventKind::Http {
            kinds[2] = Some(Telemetry::NetworkFlows);
        }
    }
    kinds.into_iter().flatten()
}

/// A scheduled task or cron job set up by this event, if any. Cheap for the common
/// case: only scheduled-task events, process starts of `schtasks`, `at`, `crontab` or
/// PowerShell, and file writes under cron folders are looked at further.
fn persistence_of(event: &Event) -> Option<PersistenceRecord> {
    let (kind, detail) = match event.kind {
        EventKind::ScheduledTask => (
            PersistenceKind::TaskRegistered,
            event
                .message
                .clone()
                .unwrap_or_else(|| "unnamed task".to_string()),
        ),
        EventKind::ProcessStart => {
            let process = event.process.as_deref()?;
            let image = process.name.as_deref().or(process.executable.as_deref())?;
            let base = image.rsplit(['\\', '/']).next().unwrap_or(image);
            let command = process.command_line.as_deref()?;
            let lower = base.to_ascii_lowercase();
            let kind = match lower.trim_end_matches(".exe") {
                "schtasks" if model::text::contains_ignore_ascii_case(command, "/create") => {
                    PersistenceKind::TaskCommand
                }
                "at" => PersistenceKind::TaskCommand,
                "powershell" | "pwsh"
                    if model::text::contains_ignore_ascii_case(
                        command,
                        "register-scheduledtask",
                    ) =>
                {
                    PersistenceKind::TaskCommand
                }
                "crontab" if !model::text::contains_ignore_ascii_case(command, " -l") => {
                    PersistenceKind::Cron
                }
                _ => return None,
            };
            (kind, command.chars().take(MAX_COMMAND_CHARS).collect())
        }
        EventKind::File => {
            let path = event.file_path.as_deref()?;
            let cron = [
                "/var/spool/cron",
                "/etc/cron.d/",
                "/etc/crontab",
                "/etc/cron.hourly",
                "/etc/cron.daily",
            ]
            .iter()
            .any(|p| path.starts_with(p));
            if !cron {
                return None;
            }
            (PersistenceKind::Cron, path.to_string())
        }
        _ => return None,
    };
    Some(PersistenceRecord {
        time: event.timestamp,
        kind,
        detail,
        user: event.user_name.clone(),
        file: event.origin.as_ref().map(|o| o.file.to_string()),
        offset: event.origin.as_ref().map(|o| o.offset),
    })
}
