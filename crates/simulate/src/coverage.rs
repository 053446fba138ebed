//! Telemetry coverage: which of the kinds of telemetry the T1020 detection strategy
//! relies on are present, per host and overall, and what that means for detection.
//!
//! Feed every event of a set of logs to [`CoverageBuilder::observe`] with the name of
//! the format it came from, then call [`CoverageBuilder::finish`]. The report says:
//!
//! * which [`Telemetry`] kinds are present, overall and per host;
//! * the share of outbound bytes that leaves encrypted with no server name visible
//!   (no TLS SNI, HTTP host, DNS answer or flow domain ever names the destination);
//! * hosts seen in network data but never in endpoint telemetry (unmanaged);
//! * direct-to-internet web paths that bypass the configured proxies;
//! * which detectors cannot fire, and a short list of what to collect next.
//!
//! Hosts: endpoint events (anything with a Windows/Sysmon channel) are keyed by
//! their host name; network sensor events by the internal endpoint's address. A
//! Sysmon network event carries both, which ties the two together.

use ipnet::IpNet;
use model::{Event, EventKind, Networks};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

/// A kind of telemetry the detection strategy relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Telemetry {
    /// Process creation with command lines (Sysmon 1, 4688, auditd execve).
    ProcessExecution,
    /// Script content (PowerShell 4104, AMSI).
    ScriptContent,
    /// File creation, for archives and staging (Sysmon 11).
    FileEvents,
    /// Scheduled task and cron creation (4698, taskscheduler).
    ScheduledTasks,
    /// Network flows with byte counts (Zeek conn, NetFlow/IPFIX, pcap, firewall).
    NetworkFlows,
    /// DNS queries.
    Dns,
    /// Proxy or HTTP request logs.
    ProxyHttp,
    /// TLS handshakes with server names.
    TlsNames,
    /// Cloud and SaaS audit logs.
    CloudAudit,
}

/// Every kind, in report order.
pub const ALL_TELEMETRY: [Telemetry; 9] = [
    Telemetry::ProcessExecution,
    Telemetry::ScriptContent,
    Telemetry::FileEvents,
    Telemetry::ScheduledTasks,
    Telemetry::NetworkFlows,
    Telemetry::Dns,
    Telemetry::ProxyHttp,
    Telemetry::TlsNames,
    Telemetry::CloudAudit,
];

impl Telemetry {
    /// Short name used in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Telemetry::ProcessExecution => "process_execution",
            Telemetry::ScriptContent => "script_content",
            Telemetry::FileEvents => "file_events",
            Telemetry::ScheduledTasks => "scheduled_tasks",
            Telemetry::NetworkFlows => "network_flows",
            Telemetry::Dns => "dns",
            Telemetry::ProxyHttp => "proxy_http",
            Telemetry::TlsNames => "tls_names",
            Telemetry::CloudAudit => "cloud_audit",
        }
    }

    /// Whether the kind comes from an endpoint agent (rather than the network or cloud).
    pub fn is_endpoint(self) -> bool {
        matches!(
            self,
            Telemetry::ProcessExecution
                | Telemetry::ScriptContent
                | Telemetry::FileEvents
                | Telemetry::ScheduledTasks
        )
    }

    /// What to collect when the kind is missing, in plain words.
    pub fn advice(self) -> &'static str {
        match self {
            Telemetry::ProcessExecution => {
                "process creation with command lines (Sysmon event 1 or Security 4688 with command-line auditing; auditd execve or Sysmon for Linux): without it, transfer tools, archivers and the scripts that drive them are invisible"
            }
            Telemetry::ScriptContent => {
                "PowerShell Script Block Logging (event 4104): upload loops and encoded commands are only readable there"
            }
            Telemetry::FileEvents => {
                "file creation events (Sysmon event 11) so that archives staged before a transfer show up"
            }
            Telemetry::ScheduledTasks => {
                "scheduled task and cron changes (Security 4698/4702, cron logs) to see transfers being automated"
            }
            Telemetry::NetworkFlows => {
                "flow records with byte counts from the internet edge (Zeek conn.log, NetFlow/IPFIX, firewall logs): volume, cadence and off-hours analysis need bytes per connection"
            }
            Telemetry::Dns => {
                "DNS query logs (Zeek dns.log, Sysmon 22 or the resolvers' logs) for new destinations and DNS tunnels"
            }
            Telemetry::ProxyHttp => {
                "web proxy or HTTP logs (Squid, W3C, Zeek http.log) for URLs, methods and upload sizes"
            }
            Telemetry::TlsNames => {
                "TLS handshake logs with server names (Zeek ssl.log, a capture, or the proxy) so that encrypted destinations can be named"
            }
            Telemetry::CloudAudit => {
                "cloud and SaaS audit logs (CloudTrail, Microsoft 365 unified audit log, GitHub audit log) if data is kept in those services"
            }
        }
    }
}

/// Which telemetry each detector needs (any one of the listed kinds suffices).
pub const DETECTOR_NEEDS: [(&str, &[Telemetry]); 12] = [
    ("volume", &[Telemetry::NetworkFlows, Telemetry::ProxyHttp]),
    ("cadence", &[Telemetry::NetworkFlows, Telemetry::ProxyHttp]),
    (
        "novelty",
        &[
            Telemetry::NetworkFlows,
            Telemetry::Dns,
            Telemetry::ProxyHttp,
            Telemetry::TlsNames,
        ],
    ),
    ("port", &[Telemetry::NetworkFlows]),
    ("offhours", &[Telemetry::NetworkFlows, Telemetry::ProxyHttp]),
    (
        "asymmetry",
        &[Telemetry::NetworkFlows, Telemetry::ProxyHttp],
    ),
    (
        "staging",
        &[Telemetry::ProcessExecution, Telemetry::FileEvents],
    ),
    (
        "automation",
        &[
            Telemetry::ProcessExecution,
            Telemetry::ScheduledTasks,
            Telemetry::ScriptContent,
        ],
    ),
    ("dns_tunnel", &[Telemetry::Dns]),
    ("saas", &[Telemetry::CloudAudit]),
    (
        "intel",
        &[
            Telemetry::NetworkFlows,
            Telemetry::Dns,
            Telemetry::ProxyHttp,
            Telemetry::TlsNames,
        ],
    ),
    (
        "sigma",
        &[
            Telemetry::ProcessExecution,
            Telemetry::ScriptContent,
            Telemetry::FileEvents,
            Telemetry::Dns,
            Telemetry::NetworkFlows,
        ],
    ),
];

/// Ports whose traffic is encrypted in practice.
const ENCRYPTED_PORTS: [u16; 9] = [443, 8443, 993, 995, 465, 853, 22, 990, 636];
/// Ports of web traffic that a proxy should carry.
const WEB_PORTS: [u16; 4] = [80, 443, 8080, 8443];

/// What one host showed.
#[derive(Clone, Debug, Default)]
struct HostFacts {
    name: Option<String>,
    ips: BTreeSet<IpAddr>,
    counts: BTreeMap<Telemetry, u64>,
    outbound_bytes: u64,
}

/// Bytes of one sensor (format) that left the organisation.
#[derive(Clone, Debug, Default)]
struct SensorBytes {
    total: u64,
    encrypted_by_destination: HashMap<IpAddr, u64>,
    by_source: HashMap<IpAddr, u64>,
}

/// Accumulates coverage facts from events.
#[derive(Debug)]
pub struct CoverageBuilder {
    networks: Networks,
    proxies: Vec<IpNet>,
    events: u64,
    overall: BTreeMap<Telemetry, u64>,
    by_name: HashMap<String, HostFacts>,
    by_ip: HashMap<IpAddr, HostFacts>,
    name_of_ip: HashMap<IpAddr, String>,
    named_destinations: HashSet<IpAddr>,
    sensors: BTreeMap<String, SensorBytes>,
    direct_web: HashMap<IpAddr, u64>,
}

impl CoverageBuilder {
    /// A builder for the given internal ranges and proxies (`[network]` config).
    pub fn new(networks: Networks, proxies: Vec<IpNet>) -> Self {
        CoverageBuilder {
            networks,
            proxies,
            events: 0,
            overall: BTreeMap::new(),
            by_name: HashMap::new(),
            by_ip: HashMap::new(),
            name_of_ip: HashMap::new(),
            named_destinations: HashSet::new(),
            sensors: BTreeMap::new(),
            direct_web: HashMap::new(),
        }
    }

    /// Counts one event read from a file of format `sensor`.
    pub fn observe(&mut self, sensor: &str, event: &Event) {
        self.events += 1;
        let kinds = telemetry_of(event);
        for kind in &kinds {
            *self.overall.entry(*kind).or_default() += 1;
        }
        self.learn_names(event);
        let endpoint_agent = event.channel.is_some();
        if endpoint_agent {
            if let Some(name) = event.host_name.as_deref() {
                let facts = self.by_name.entry(name.to_ascii_lowercase()).or_default();
                facts.name.get_or_insert_with(|| name.to_string());
                for kind in &kinds {
                    *facts.counts.entry(*kind).or_default() += 1;
                }
                if let Some(ip) = local_address(event, &self.networks) {
                    facts.ips.insert(ip);
                    self.name_of_ip.insert(ip, name.to_ascii_lowercase());
                }
            }
            return;
        }
        if let Some(ip) = local_address(event, &self.networks) {
            let facts = self.by_ip.entry(ip).or_default();
            facts.ips.insert(ip);
            for kind in &kinds {
                *facts.counts.entry(*kind).or_default() += 1;
            }
        }
        self.count_bytes(sensor, event);
    }

    /// Destinations named by TLS, HTTP, DNS answers or the flow itself.
    fn learn_names(&mut self, event: &Event) {
        let net = event.network.as_deref();
        let dest = net.and_then(|n| n.destination_ip);
        let named = event
            .tls_server_name
            .as_deref()
            .is_some_and(|s| !s.is_empty())
            || event
                .http
                .as_deref()
                .is_some_and(|h| h.url_domain.is_some())
            || net.is_some_and(|n| {
                n.destination_domain
                    .as_deref()
                    .is_some_and(|d| !d.is_empty() && d != "-")
            });
        if let (true, Some(ip)) = (named, dest) {
            self.named_destinations.insert(ip);
        }
        if let Some(dns) = event.dns.as_deref() {
            for answer in &dns.answers {
                let text = answer.trim().trim_start_matches("::ffff:");
                if let Ok(ip) = text.parse::<IpAddr>() {
                    self.named_destinations.insert(ip);
                }
            }
        }
    }

    fn count_bytes(&mut self, sensor: &str, event: &Event) {
        if event.kind != EventKind::Network {
            return;
        }
        let Some(net) = event.network.as_deref() else {
            return;
        };
        let (Some(src), Some(dst), Some(bytes)) =
            (net.source_ip, net.destination_ip, net.source_bytes)
        else {
            return;
        };
        if !self.networks.is_outbound(src, dst) {
            return;
        }
        let sensor_bytes = self.sensors.entry(sensor.to_string()).or_default();
        sensor_bytes.total += bytes;
        let port = net.destination_port.unwrap_or(0);
        let encrypted = ENCRYPTED_PORTS.contains(&port)
            || net
                .protocol
                .as_deref()
                .is_some_and(|p| matches!(p, "ssl" | "tls" | "quic" | "ssh"));
        if encrypted {
            *sensor_bytes
                .encrypted_by_destination
                .entry(dst)
                .or_default() += bytes;
        }
        *sensor_bytes.by_source.entry(src).or_default() += bytes;
        let via_proxy = self.proxies.iter().any(|p| p.contains(&src));
        if !via_proxy && WEB_PORTS.contains(&port) {
            *self.direct_web.entry(src).or_default() += bytes;
        }
    }

    /// The report.
    pub fn finish(mut self) -> CoverageReport {
        self.assign_host_bytes();
        let hosts = self.merge_hosts();
        let overall: Vec<KindCount> = ALL_TELEMETRY
            .iter()
            .map(|k| KindCount {
                kind: *k,
                events: self.overall.get(k).copied().unwrap_or(0),
            })
            .collect();
        let present: BTreeSet<Telemetry> = overall
            .iter()
            .filter(|k| k.events > 0)
            .map(|k| k.kind)
            .collect();
        let (byte_sensor, outbound_bytes, invisible) = self.encrypted_invisible();
        let unmanaged: Vec<String> = hosts
            .iter()
            .filter(|h| h.network_only())
            .map(HostCoverage::label)
            .collect();
        let mut direct: Vec<(String, u64)> = self
            .direct_web
            .iter()
            .map(|(ip, bytes)| {
                (
                    self.name_of_ip
                        .get(ip)
                        .cloned()
                        .unwrap_or_else(|| ip.to_string()),
                    *bytes,
                )
            })
            .collect();
        direct.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let blind_detectors = DETECTOR_NEEDS
            .iter()
            .filter(|(_, needs)| !needs.iter().any(|k| present.contains(k)))
            .map(|(name, needs)| BlindDetector {
                detector: name.to_string(),
                needs: needs.iter().map(|k| k.name().to_string()).collect(),
            })
            .collect();
        let mut report = CoverageReport {
            events: self.events,
            overall,
            hosts,
            unmanaged_hosts: unmanaged,
            outbound_bytes,
            byte_sensor,
            encrypted_invisible_bytes: invisible,
            encrypted_invisible_share: if outbound_bytes == 0 {
                0.0
            } else {
                invisible as f64 / outbound_bytes as f64
            },
            proxies_configured: !self.proxies.is_empty(),
            direct_web_hosts: direct,
            blind_detectors,
            collect_next: Vec::new(),
        };
        report.collect_next = advice(&report, &present);
        report
    }

    /// Per-host outbound bytes from the sensor that saw the most.
    fn assign_host_bytes(&mut self) {
        let Some(sensor) = self.sensors.values().max_by_key(|s| s.total) else {
            return;
        };
        for (ip, bytes) in &sensor.by_source {
            if let Some(facts) = self.by_ip.get_mut(ip) {
                facts.outbound_bytes = *bytes;
            }
        }
    }

    /// Bytes of the sensor that saw the most outbound bytes (so Zeek and IPFIX of the
    /// same traffic are not added up), and how many of them were encrypted to
    /// destinations no event ever named.
    fn encrypted_invisible(&self) -> (Option<String>, u64, u64) {
        let Some((name, sensor)) = self.sensors.iter().max_by_key(|(_, s)| s.total) else {
            return (None, 0, 0);
        };
        let invisible = sensor
            .encrypted_by_destination
            .iter()
            .filter(|(ip, _)| !self.named_destinations.contains(ip))
            .map(|(_, bytes)| bytes)
            .sum();
        (Some(name.clone()), sensor.total, invisible)
    }

    /// One row per host: endpoint hosts by name, with the network facts of their
    /// addresses folded in; addresses never tied to a name stay on their own.
    fn merge_hosts(&self) -> Vec<HostCoverage> {
        let mut merged: BTreeMap<String, HostFacts> = BTreeMap::new();
        for (name, facts) in &self.by_name {
            merged.insert(name.clone(), facts.clone());
        }
        let mut endpoint_kinds_by_key: HashMap<String, bool> = HashMap::new();
        for (key, facts) in &merged {
            endpoint_kinds_by_key.insert(key.clone(), facts.counts.keys().any(|k| k.is_endpoint()));
        }
        let mut network_keys: HashSet<String> = HashSet::new();
        for (ip, facts) in &self.by_ip {
            let key = self
                .name_of_ip
                .get(ip)
                .cloned()
                .unwrap_or_else(|| ip.to_string());
            network_keys.insert(key.clone());
            let entry = merged.entry(key).or_default();
            entry.ips.insert(*ip);
            entry.outbound_bytes += facts.outbound_bytes;
            for (kind, n) in &facts.counts {
                *entry.counts.entry(*kind).or_default() += n;
            }
        }
        let mut hosts: Vec<HostCoverage> = merged
            .into_iter()
            .map(|(key, facts)| {
                let endpoint = endpoint_kinds_by_key.get(&key).copied().unwrap_or(false);
                HostCoverage {
                    name: facts.name,
                    ips: facts.ips.into_iter().collect(),
                    endpoint_telemetry: endpoint,
                    network_telemetry: network_keys.contains(&key),
                    telemetry: facts
                        .counts
                        .into_iter()
                        .map(|(kind, events)| KindCount { kind, events })
                        .collect(),
                    outbound_bytes: facts.outbound_bytes,
                }
            })
            .collect();
        hosts.sort_by_key(|h| h.label());
        hosts
    }
}

/// What a host's events are evidence of.
fn telemetry_of(event: &Event) -> Vec<Telemetry> {
    let mut kinds = Vec::with_capacity(2);
    match event.kind {
        EventKind::ProcessStart => kinds.push(Telemetry::ProcessExecution),
        EventKind::Script => kinds.push(Telemetry::ScriptContent),
        EventKind::File => kinds.push(Telemetry::FileEvents),
        EventKind::ScheduledTask => kinds.push(Telemetry::ScheduledTasks),
        EventKind::Dns => kinds.push(Telemetry::Dns),
        EventKind::Http => kinds.push(Telemetry::ProxyHttp),
        EventKind::Tls => {
            if event
                .tls_server_name
                .as_deref()
                .is_some_and(|s| !s.is_empty())
            {
                kinds.push(Telemetry::TlsNames);
            }
        }
        EventKind::Cloud => kinds.push(Telemetry::CloudAudit),
        EventKind::Network => {
            let net = event.network.as_deref();
            if net.is_some_and(|n| n.source_bytes.is_some() || n.destination_bytes.is_some()) {
                kinds.push(Telemetry::NetworkFlows);
            }
            if event.http.is_some() {
                kinds.push(Telemetry::ProxyHttp);
            }
        }
        EventKind::Authentication | EventKind::Other => {}
    }
    kinds
}

/// The organisation-side address of an event: the source when internal, else the
/// destination when internal, else the event's host address.
fn local_address(event: &Event, networks: &Networks) -> Option<IpAddr> {
    if let Some(net) = event.network.as_deref() {
        for ip in [net.source_ip, net.destination_ip].into_iter().flatten() {
            if networks.is_internal(ip) && !Networks::is_special(ip) {
                return Some(ip);
            }
        }
    }
    event.host_ip.filter(|ip| networks.is_internal(*ip))
}

/// How many events of one kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindCount {
    /// The kind.
    pub kind: Telemetry,
    /// Events.
    pub events: u64,
}

/// Coverage of one host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostCoverage {
    /// Host name, when an endpoint agent reported it.
    pub name: Option<String>,
    /// Its internal addresses.
    pub ips: Vec<IpAddr>,
    /// Process, script, file or task events came from it.
    pub endpoint_telemetry: bool,
    /// Network sensors saw it.
    pub network_telemetry: bool,
    /// Events per telemetry kind.
    pub telemetry: Vec<KindCount>,
    /// Outbound payload bytes network sensors saw from it.
    pub outbound_bytes: u64,
}

impl HostCoverage {
    /// Name, else first address.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.ips.first().map(|ip| ip.to_string()))
            .unwrap_or_default()
    }

    /// Seen on the network but no endpoint agent reports from it.
    pub fn network_only(&self) -> bool {
        self.network_telemetry && !self.endpoint_telemetry
    }

    /// Whether the host showed `kind`.
    pub fn has(&self, kind: Telemetry) -> bool {
        self.telemetry
            .iter()
            .any(|k| k.kind == kind && k.events > 0)
    }
}

/// A detector that cannot fire, and what it would need.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlindDetector {
    /// Detector name.
    pub detector: String,
    /// Telemetry kinds, any of which would let it work.
    pub needs: Vec<String>,
}

/// The coverage report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoverageReport {
    /// Events read.
    pub events: u64,
    /// Events per kind over all inputs.
    pub overall: Vec<KindCount>,
    /// Per host.
    pub hosts: Vec<HostCoverage>,
    /// Hosts seen in network data with no endpoint telemetry.
    pub unmanaged_hosts: Vec<String>,
    /// Outbound payload bytes (from `byte_sensor`).
    pub outbound_bytes: u64,
    /// The format whose flows gave the byte figures (the one that saw the most).
    pub byte_sensor: Option<String>,
    /// Outbound bytes on encrypted ports/protocols to destinations no event named.
    pub encrypted_invisible_bytes: u64,
    /// `encrypted_invisible_bytes / outbound_bytes`.
    pub encrypted_invisible_share: f64,
    /// Whether `[network] proxies` is configured.
    pub proxies_configured: bool,
    /// Hosts sending web traffic straight to the internet (not through a proxy), with bytes.
    pub direct_web_hosts: Vec<(String, u64)>,
    /// Detectors that cannot fire on these inputs.
    pub blind_detectors: Vec<BlindDetector>,
    /// What to collect next, most important first.
    pub collect_next: Vec<String>,
}

/// Plain-language advice from the gaps.
fn advice(report: &CoverageReport, present: &BTreeSet<Telemetry>) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ALL_TELEMETRY {
        if !present.contains(&kind) && kind != Telemetry::CloudAudit {
            out.push(format!("Collect {}.", kind.advice()));
        }
    }
    if !report.unmanaged_hosts.is_empty() {
        let shown: Vec<&str> = report
            .unmanaged_hosts
            .iter()
            .take(5)
            .map(String::as_str)
            .collect();
        out.push(format!(
            "Deploy the endpoint agent (Sysmon or EDR) on the {} host(s) seen only in network data ({}{}): on them no question about scripts or automation can be answered.",
            report.unmanaged_hosts.len(),
            shown.join(", "),
            if report.unmanaged_hosts.len() > shown.len() { ", ..." } else { "" }
        ));
    }
    if report.encrypted_invisible_share >= 0.05 {
        out.push(format!(
            "{:.0}% of outbound bytes leave encrypted to destinations no log names: add TLS handshake logging (Zeek ssl.log) or DNS logs so destinations can be judged.",
            report.encrypted_invisible_share * 100.0
        ));
    }
    if !report.direct_web_hosts.is_empty() {
        if report.proxies_configured {
            out.push(format!(
                "{} host(s) reach the web directly, bypassing the proxies: block direct egress on ports 80/443 or route them through the proxy.",
                report.direct_web_hosts.len()
            ));
        } else {
            out.push("No proxies are configured ([network] proxies): if the organisation has a web proxy, list it so that direct-to-internet paths around it are reported.".into());
        }
    }
    if !present.contains(&Telemetry::CloudAudit) {
        // The advice names its own condition ("if data is kept in those
        // services"): a second "If ..." in front read twice.
        out.push(format!("Collect {}.", Telemetry::CloudAudit.advice()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::event::NetworkInfo;

    fn flow(src: &str, dst: &str, port: u16, bytes: u64) -> Event {
        Event {
            kind: EventKind::Network,
            network: Some(Box::new(NetworkInfo {
                source_ip: Some(src.parse().unwrap()),
                destination_ip: Some(dst.parse().unwrap()),
                destination_port: Some(port),
                source_bytes: Some(bytes),
                destination_bytes: Some(10),
                ..Default::default()
            })),
            ..Event::default()
        }
    }

    fn endpoint(kind: EventKind, host: &str) -> Event {
        Event {
            kind,
            host_name: Some(host.into()),
            channel: Some("Microsoft-Windows-Sysmon/Operational".into()),
            ..Event::default()
        }
    }

    #[test]
    fn hosts_are_tied_across_endpoint_and_network_data_and_gaps_are_named() {
        let mut b =
            CoverageBuilder::new(Networks::default(), vec!["10.0.0.10/32".parse().unwrap()]);
        b.observe("evtx-json", &endpoint(EventKind::ProcessStart, "ws1.corp"));
        let mut sysmon3 = flow("10.1.1.1", "198.51.100.7", 443, 0);
        sysmon3.host_name = Some("ws1.corp".into());
        sysmon3.channel = Some("Microsoft-Windows-Sysmon/Operational".into());
        sysmon3.network.as_mut().unwrap().source_bytes = None;
        sysmon3.network.as_mut().unwrap().destination_bytes = None;
        b.observe("evtx-json", &sysmon3);
        b.observe("zeek", &flow("10.1.1.1", "198.51.100.7", 443, 1_000));
        b.observe("zeek", &flow("10.9.9.9", "203.0.113.5", 443, 3_000));
        b.observe("zeek", &flow("10.0.0.10", "203.0.113.6", 80, 500));
        let r = b.finish();
        assert_eq!(r.events, 5);
        assert_eq!(r.hosts.len(), 3, "{:?}", r.hosts);
        let ws1 = r
            .hosts
            .iter()
            .find(|h| h.name.as_deref() == Some("ws1.corp"))
            .unwrap();
        assert!(ws1.endpoint_telemetry && ws1.network_telemetry);
        assert!(ws1.has(Telemetry::ProcessExecution) && ws1.has(Telemetry::NetworkFlows));
        assert_eq!(ws1.outbound_bytes, 1_000);
        assert_eq!(
            r.unmanaged_hosts,
            vec!["10.0.0.10".to_string(), "10.9.9.9".to_string()]
        );
        assert_eq!(r.outbound_bytes, 4_500);
        assert_eq!(
            r.encrypted_invisible_bytes, 4_000,
            "nothing names either HTTPS destination"
        );
        assert_eq!(
            r.direct_web_hosts.len(),
            2,
            "the proxy itself is not a direct path"
        );
        let blind: Vec<&str> = r
            .blind_detectors
            .iter()
            .map(|d| d.detector.as_str())
            .collect();
        assert_eq!(blind, vec!["dns_tunnel", "saas"]);
        assert!(
            r.collect_next
                .iter()
                .any(|l| l.contains("Script Block Logging"))
        );
        assert!(
            r.collect_next
                .iter()
                .any(|l| l.contains("seen only in network data"))
        );
        // Cloud audit advice is last and conditional once, not twice.
        let cloud = r.collect_next.last().unwrap();
        assert!(
            cloud.starts_with("Collect cloud and SaaS audit logs"),
            "{cloud}"
        );
        assert_eq!(cloud.matches("if data is kept").count(), 1, "{cloud}");
    }

    #[test]
    fn named_destinations_are_visible_and_nothing_means_everything_is_blind() {
        let mut b = CoverageBuilder::new(Networks::default(), vec![]);
        let mut tls = flow("10.1.1.1", "198.51.100.7", 443, 0);
        tls.kind = EventKind::Tls;
        tls.tls_server_name = Some("files.example".into());
        b.observe("zeek", &tls);
        b.observe("zeek", &flow("10.1.1.1", "198.51.100.7", 443, 1_000));
        let r = b.finish();
        assert_eq!(r.encrypted_invisible_bytes, 0);
        assert!(
            r.collect_next
                .iter()
                .any(|l| l.contains("No proxies are configured"))
        );
        let empty = CoverageBuilder::new(Networks::default(), vec![]).finish();
        assert_eq!(empty.blind_detectors.len(), DETECTOR_NEEDS.len());
        assert_eq!(empty.encrypted_invisible_share, 0.0);
    }
}
