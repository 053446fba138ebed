//! `labels.json`: what a correct tool must conclude about a simulated folder.
//!
//! The file is the contract between `exfilguard simulate` and `exfilguard validate`
//! (and any other tool a user wants to score): the organisation's hosts with their
//! addresses, and per scenario its hosts, user, destinations, when the first
//! exfiltration event happened, the bytes and transfers it moved, and the expected
//! detectors, decision and stage.

use crate::record::{HostId, Record};
use crate::scenario::Target;
use model::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::Path;

/// The name of the labels file inside a simulated folder.
pub const LABELS_FILE: &str = "labels.json";

/// The whole `labels.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    /// What wrote it (`exfilguard simulate <version>`).
    pub generator: String,
    /// The seed; the same seed and flags give the same bytes.
    pub seed: u64,
    /// First simulated day (UTC midnight, RFC 3339).
    pub start: String,
    /// Simulated days.
    pub days: u64,
    /// Business calendar the expectations assume (also in `exfilguard.toml`).
    pub calendar: String,
    /// Every host, with the name <-> address mapping used in all formats.
    pub hosts: Vec<LabelHost>,
    /// Every scenario present in the data.
    pub scenarios: Vec<ScenarioLabel>,
}

/// One host of the organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelHost {
    /// Fully qualified name.
    pub name: String,
    /// Address.
    pub ip: IpAddr,
    /// `workstation`, `linux_server`, `backup_server` or `unmanaged`.
    pub role: String,
    /// Usual user, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Whether endpoint telemetry is collected from it.
    pub managed: bool,
}

/// One destination of a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LabelDestination {
    /// Address, when fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// Domain (for DNS tunnels: the tunnel's parent domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// What a correct tool must conclude about one scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioLabel {
    /// Scenario name.
    pub name: String,
    /// A benign look-alike (must not escalate).
    pub benign: bool,
    /// What happens, in one sentence.
    pub description: String,
    /// Host names involved.
    pub hosts: Vec<String>,
    /// Their addresses (same order).
    pub host_ips: Vec<IpAddr>,
    /// The user behind it, when one user is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Where the data goes.
    pub destinations: Vec<LabelDestination>,
    /// First activity of an injected scenario, setup included (a scheduled task or
    /// crontab created the day before), RFC 3339. Absent for benign look-alikes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_activity: Option<String>,
    /// First transfer (connection start or tunnel query), RFC 3339; absent if none
    /// happened inside the simulated days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_event: Option<String>,
    /// Last transfer, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event: Option<String>,
    /// Payload bytes sent to the destinations (query name bytes for DNS tunnels).
    pub bytes_out: u64,
    /// Connections (or queries) to the destinations.
    pub transfers: u64,
    /// Detectors a complete deployment is expected to fire.
    pub expected_detectors: Vec<String>,
    /// `escalate` or `benign`.
    pub expected_decision: String,
    /// Furthest chain stage expected (`exfiltration`, or `none`).
    pub expected_stage: String,
}

impl Labels {
    /// Reads `labels.json` from a simulated folder (or the file itself).
    pub fn load(path: &Path) -> Result<Labels, crate::SimError> {
        let file = if path.is_dir() {
            path.join(LABELS_FILE)
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&file).map_err(|source| crate::SimError::Io {
            path: file.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| crate::SimError::Labels {
            path: file.display().to_string(),
            reason: e.to_string(),
        })
    }
}

/// Watches the records as they are written and keeps each scenario's first and last
/// transfer, bytes and transfer count, so the labels describe the files exactly.
#[derive(Debug)]
pub struct Tally {
    hosts: HashSet<HostId>,
    ips: HashSet<IpAddr>,
    dns_suffix: Option<String>,
    /// First transfer.
    pub first: Option<Timestamp>,
    /// Last transfer.
    pub last: Option<Timestamp>,
    /// Bytes out.
    pub bytes_out: u64,
    /// Transfers.
    pub transfers: u64,
}

impl Tally {
    /// A tally for a scenario's target.
    pub fn new(target: &Target) -> Self {
        Tally {
            hosts: target.hosts.iter().copied().collect(),
            ips: target.destinations.iter().filter_map(|d| d.0).collect(),
            dns_suffix: target.dns_suffix.as_ref().map(|s| format!(".{s}")),
            first: None,
            last: None,
            bytes_out: 0,
            transfers: 0,
        }
    }

    /// Counts `record` when it is one of the scenario's transfers.
    pub fn observe(&mut self, record: &Record) {
        let (ts, bytes) = match record {
            Record::Connection(c)
                if self.hosts.contains(&c.host) && self.is_destination(c.destination_ip) =>
            {
                (c.start, c.bytes_out)
            }
            Record::Dns(d)
                if self.hosts.contains(&d.host)
                    && self
                        .dns_suffix
                        .as_deref()
                        .is_some_and(|s| d.query.ends_with(s)) =>
            {
                (d.ts, d.query.len() as u64)
            }
            _ => return,
        };
        self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
        self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
        self.bytes_out += bytes;
        self.transfers += 1;
    }

    fn is_destination(&self, ip: IpAddr) -> bool {
        self.ips.contains(&ip)
    }
}
