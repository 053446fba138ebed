//! simulate: realistic, labelled telemetry of an organisation in which automated
//! exfiltration happens, so that exfilguard (or any tool) can be scored against a
//! known answer.
//!
//! [`run`] writes, into one folder:
//!
//! * `zeek/{conn,dns,http,ssl}.log`: Zeek TSV logs of every host's traffic;
//! * `endpoint/{windows,linux}.jsonl`: Sysmon 1/3/11/22, Security 4698 and
//!   PowerShell 4104 events in the `evtx` crate's JSON shape, from managed hosts;
//! * `flows/border.ipfix`: IPFIX from the border router, and
//!   `pcap/<host>-<scenario>.pcap`: a capture around each exfiltration's first
//!   transfer, when asked for (see [`OutputFormat`]);
//! * `cloud/{m365_audit,github_audit}.jsonl`: the organisation's Microsoft 365
//!   unified audit trail and GitHub audit log, with the SaaS scenarios ([`saas`]);
//! * `labels.json` ([`Labels`]): hosts, scenarios and the expected verdicts;
//! * `exfilguard.toml`: the organisation's config (internal ranges, calendar and the
//!   allow-list for its sanctioned backup, update and sync services).
//!
//! [`score::score`] compares a detection run's alerts and incidents with the labels
//! (what `exfilguard validate` prints), and [`coverage`] reports which telemetry a
//! set of logs holds and which blind spots remain (`exfilguard coverage`): the two
//! halves of a detection validation exercise.
//!
//! The organisation ([`org`]) does ordinary work every day ([`benign`]), including
//! benign look-alikes of exfiltration; [`scenario`] injects the exfiltration on the
//! last working day. Everything is drawn from one seed through derived streams
//! ([`rng`]): the same options give the same bytes, and output is written one day at
//! a time so a week of a 1,000-host organisation needs little memory.
#![deny(missing_docs)]

pub mod benign;
pub mod build;
pub mod coverage;
pub mod endpoint;
pub mod ipfix;
pub mod labels;
pub mod org;
pub mod output;
pub mod pcap;
pub mod record;
pub mod rng;
pub mod saas;
pub mod scenario;
pub mod score;
pub mod zeek;

pub use labels::{LABELS_FILE, LabelDestination, LabelHost, Labels, ScenarioLabel};

use chrono::{Datelike, NaiveDate, Weekday};
use labels::Tally;
use model::Timestamp;
use record::Record;
use scenario::{ScenarioContext, Target};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Writing an output file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An option is out of range or unknown.
    #[error("{0}")]
    Options(String),
    /// `labels.json` could not be read.
    #[error("{path}: not a valid labels file: {reason}")]
    Labels {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// An output format the generator can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// Zeek TSV logs.
    Zeek,
    /// Endpoint events as JSON Lines (evtx-crate shape).
    Jsonl,
    /// IPFIX flow export from the border router.
    Ipfix,
    /// A packet capture of each exfiltration host around its first transfer.
    Pcap,
}

impl FromStr for OutputFormat {
    type Err = SimError;

    fn from_str(text: &str) -> Result<Self, SimError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zeek" => Ok(OutputFormat::Zeek),
            "jsonl" | "json" | "endpoint" => Ok(OutputFormat::Jsonl),
            "ipfix" => Ok(OutputFormat::Ipfix),
            "pcap" => Ok(OutputFormat::Pcap),
            other => Err(SimError::Options(format!(
                "unknown format {other:?}: choose from zeek, jsonl, ipfix, pcap"
            ))),
        }
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Hosts in the organisation (at least 3).
    pub hosts: usize,
    /// Days to simulate (at least 1).
    pub days: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// First day (UTC).
    pub start: NaiveDate,
    /// Exfiltration scenarios to inject (names from [`scenario::SCENARIOS`]).
    pub scenarios: Vec<String>,
    /// Output formats.
    pub formats: Vec<OutputFormat>,
    /// Gzip the Zeek logs, endpoint JSONL and cloud audit JSONL (`.gz`), as archived
    /// logs usually are.
    pub gzip: bool,
    /// Minutes each packet capture covers from 30 s before its scenario's first
    /// transfer (pcap format).
    pub pcap_minutes: u32,
}

impl Default for Options {
    /// A quick demo: 12 hosts, two days from Monday 2 November 2026, seed 1, every
    /// exfiltration scenario, Zeek and endpoint JSONL.
    fn default() -> Self {
        Options {
            hosts: 12,
            days: 2,
            seed: 1,
            start: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
            scenarios: scenario::exfil_names()
                .iter()
                .chain(&saas::exfil_names())
                .map(|s| s.to_string())
                .collect(),
            formats: vec![OutputFormat::Zeek, OutputFormat::Jsonl],
            gzip: false,
            pcap_minutes: 10,
        }
    }
}

impl Options {
    /// Parses a `--scenario` value: `all`, `none`, or comma-separated names.
    pub fn parse_scenarios(text: &str) -> Result<Vec<String>, SimError> {
        let mut names = Vec::new();
        for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "all" => names.extend(
                    scenario::exfil_names()
                        .iter()
                        .chain(&saas::exfil_names())
                        .map(|s| s.to_string()),
                ),
                "none" => {}
                _ => match scenario::info(name) {
                    Some(info) if !info.benign => names.push(name.to_string()),
                    Some(_) => {}
                    None => {
                        return Err(SimError::Options(format!(
                            "unknown scenario {name:?}; known: all, none, {}",
                            scenario::SCENARIOS
                                .iter()
                                .chain(saas::SCENARIOS)
                                .map(|s| s.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                },
            }
        }
        names.dedup();
        Ok(names)
    }

    fn check(&self) -> Result<(), SimError> {
        if self.hosts < 3 || self.hosts > 100_000 {
            return Err(SimError::Options(
                "--hosts must be between 3 and 100000".into(),
            ));
        }
        if self.days == 0 || self.days > 366 {
            return Err(SimError::Options("--days must be between 1 and 366".into()));
        }
        Ok(())
    }

    fn midnight(&self, day: u64) -> Timestamp {
        let date = self.start + chrono::Days::new(day);
        let secs = date
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp())
            .unwrap_or(0);
        Timestamp::from_secs(secs)
    }

    fn working_day(&self, day: u64) -> bool {
        let date = self.start + chrono::Days::new(day);
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The day the exfiltration happens: the last working day (or the last day).
    pub fn exfil_day(&self) -> u64 {
        (0..self.days)
            .rev()
            .find(|d| self.working_day(*d))
            .unwrap_or(self.days - 1)
    }
}

/// What a run wrote.
#[derive(Clone, Debug)]
pub struct Summary {
    /// The labels (also in `labels.json`).
    pub labels: Labels,
    /// Records generated (connections, lookups, endpoint events).
    pub records: u64,
    /// Files written with their sizes in bytes.
    pub files: Vec<(PathBuf, u64)>,
}

/// Generates the organisation and scenarios of `options` into `out`.
pub fn run(options: &Options, out: &Path) -> Result<Summary, SimError> {
    options.check()?;
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| SimError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let hosts = org::hosts(options.hosts);
    let exfil_day = options.exfil_day();
    let ctx = ScenarioContext {
        seed: options.seed,
        hosts: &hosts,
        exfil_day: options.midnight(exfil_day),
        setup_day: exfil_day.checked_sub(1).map(|d| options.midnight(d)),
    };
    let mut injected = build::Recorder::default();
    let mut targets: Vec<(&'static scenario::ScenarioInfo, Target)> = Vec::new();
    let mut first_activity = std::collections::HashMap::new();
    for name in &options.scenarios {
        let info = scenario::info(name)
            .ok_or_else(|| SimError::Options(format!("unknown scenario {name:?}")))?;
        let before = injected.records.len();
        if let Some(target) = scenario::generate(name, &ctx, &mut injected) {
            let first = injected.records[before..].iter().map(Record::ts).min();
            first_activity.insert(info.name, first);
            targets.push((info, target));
        }
    }
    for info in scenario::SCENARIOS.iter().filter(|s| s.benign) {
        if let Some(target) = scenario::benign_target(&hosts, info.name) {
            targets.push((info, target));
        }
    }
    let mut scenario_records = injected.records;
    record::sort_records(&mut scenario_records);
    let mut tallies: Vec<Tally> = targets.iter().map(|(_, t)| Tally::new(t)).collect();

    let mut writers = Writers::create(options, out)?;
    if options.formats.contains(&OutputFormat::Pcap) {
        writers.captures = captures(options, &hosts, &targets, &scenario_records);
    }
    let mut total = 0u64;
    let mut next_injected = 0usize;
    for day in 0..options.days {
        let day_ctx = benign::DayContext {
            seed: options.seed,
            day,
            day_start: options.midnight(day),
            working_day: options.working_day(day),
        };
        let mut recorder = build::Recorder::default();
        for id in 0..hosts.len() {
            benign::host_day(&hosts, id, day_ctx, &mut recorder);
        }
        let day_end = options.midnight(day + 1);
        let last_day = day + 1 == options.days;
        while next_injected < scenario_records.len()
            && (last_day || scenario_records[next_injected].ts() < day_end)
        {
            recorder
                .records
                .push(scenario_records[next_injected].clone());
            next_injected += 1;
        }
        let mut batch = recorder.records;
        batch.retain(|r| r.ts() < day_end || last_day);
        record::sort_records(&mut batch);
        for record in &batch {
            for tally in &mut tallies {
                tally.observe(record);
            }
        }
        total += batch.len() as u64;
        writers.write(&hosts, &batch, out)?;
    }
    let mut files = writers.finish(out, &hosts, options.seed)?;
    let days = saas::Days {
        days: (0..options.days)
            .map(|d| (options.midnight(d), options.working_day(d)))
            .collect(),
        exfil_day: exfil_day as usize,
    };
    let (saas_files, saas_targets) = saas::write(
        options.seed,
        &hosts,
        &days,
        &options.scenarios,
        out,
        options.gzip,
    )
    .map_err(io(&out.join("cloud")))?;
    files.extend(saas_files);

    let mut labels = make_labels(options, &hosts, &targets, &tallies, &first_activity);
    labels.scenarios.extend(saas_targets.iter().map(saas_label));
    let labels_path = out.join(LABELS_FILE);
    let text = serde_json::to_string_pretty(&labels).map_err(|e| SimError::Io {
        path: labels_path.display().to_string(),
        source: e.into(),
    })?;
    std::fs::write(&labels_path, text + "\n").map_err(io(&labels_path))?;
    let config_path = out.join("exfilguard.toml");
    std::fs::write(&config_path, config_text(options, &hosts)).map_err(io(&config_path))?;
    files.push(labels_path);
    files.push(config_path);
    let files = files
        .into_iter()
        .map(|p| {
            let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            (p, size)
        })
        .collect();
    Ok(Summary {
        labels,
        records: total,
        files,
    })
}

/// The output writers chosen by the options.
struct Writers {
    zeek: Option<zeek::ZeekWriter>,
    endpoint: Option<endpoint::EndpointWriter>,
    ipfix: Option<ipfix::IpfixExport>,
    captures: Vec<pcap::Capture>,
}

/// One capture per exfiltration scenario, from its first transfer.
fn captures(
    options: &Options,
    hosts: &[org::Host],
    targets: &[(&'static scenario::ScenarioInfo, Target)],
    scenario_records: &[Record],
) -> Vec<pcap::Capture> {
    let mut out = Vec::new();
    for (info, target) in targets.iter().filter(|(info, _)| !info.benign) {
        let mut tally = Tally::new(target);
        for record in scenario_records {
            tally.observe(record);
        }
        if let (Some(first), Some(&host)) = (tally.first, target.hosts.first()) {
            let short = hosts[host].name.split('.').next().unwrap_or("host");
            let name = format!("{short}-{}.pcap", info.name);
            out.push(pcap::Capture::new(name, host, first, options.pcap_minutes));
        }
    }
    out
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + use<> {
    let path = path.display().to_string();
    move |source| SimError::Io { path, source }
}

impl Writers {
    fn create(options: &Options, out: &Path) -> Result<Self, SimError> {
        let wants = |f| options.formats.contains(&f);
        let (zeek_dir, endpoint_dir, flows_dir) =
            (out.join("zeek"), out.join("endpoint"), out.join("flows"));
        Ok(Writers {
            zeek: match wants(OutputFormat::Zeek) {
                true => Some(
                    zeek::ZeekWriter::create(
                        &zeek_dir,
                        options.midnight(0),
                        options.seed,
                        options.gzip,
                    )
                    .map_err(io_error(&zeek_dir))?,
                ),
                false => None,
            },
            endpoint: match wants(OutputFormat::Jsonl) {
                true => Some(
                    endpoint::EndpointWriter::create(&endpoint_dir, options.gzip)
                        .map_err(io_error(&endpoint_dir))?,
                ),
                false => None,
            },
            ipfix: match wants(OutputFormat::Ipfix) {
                true => Some(ipfix::IpfixExport::create(&flows_dir).map_err(io_error(&flows_dir))?),
                false => None,
            },
            captures: Vec::new(),
        })
    }

    fn write(&mut self, hosts: &[org::Host], batch: &[Record], out: &Path) -> Result<(), SimError> {
        if let Some(w) = &mut self.zeek {
            w.write(hosts, batch).map_err(io_error(&out.join("zeek")))?;
        }
        if let Some(w) = &mut self.endpoint {
            w.write(hosts, batch)
                .map_err(io_error(&out.join("endpoint")))?;
        }
        if let Some(w) = &mut self.ipfix {
            w.write(hosts, batch)
                .map_err(io_error(&out.join("flows")))?;
        }
        for capture in &mut self.captures {
            capture.collect(batch);
        }
        Ok(())
    }

    fn finish(self, out: &Path, hosts: &[org::Host], seed: u64) -> Result<Vec<PathBuf>, SimError> {
        let mut files = Vec::new();
        if let Some(w) = self.zeek {
            files.extend(w.finish().map_err(io_error(&out.join("zeek")))?);
        }
        if let Some(w) = self.endpoint {
            files.extend(w.finish().map_err(io_error(&out.join("endpoint")))?);
        }
        if let Some(w) = self.ipfix {
            files.push(w.finish().map_err(io_error(&out.join("flows")))?);
        }
        let pcap_dir = out.join("pcap");
        for capture in &self.captures {
            files.push(
                capture
                    .write(&pcap_dir, hosts, seed)
                    .map_err(io_error(&pcap_dir.join(&capture.file_name)))?,
            );
        }
        Ok(files)
    }
}

fn make_labels(
    options: &Options,
    hosts: &[org::Host],
    targets: &[(&'static scenario::ScenarioInfo, Target)],
    tallies: &[Tally],
    first_activity: &std::collections::HashMap<&'static str, Option<Timestamp>>,
) -> Labels {
    let role = |r: org::Role| {
        serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    };
    let scenarios = targets
        .iter()
        .zip(tallies)
        .map(|((info, target), tally)| ScenarioLabel {
            hosts: target
                .hosts
                .iter()
                .map(|&h| hosts[h].name.clone())
                .collect(),
            host_ips: target.hosts.iter().map(|&h| hosts[h].ip).collect(),
            user: target.user.clone(),
            destinations: target
                .destinations
                .iter()
                .map(|(ip, domain, port)| LabelDestination {
                    ip: *ip,
                    domain: domain.clone(),
                    port: *port,
                })
                .collect(),
            first_activity: first_activity
                .get(info.name)
                .copied()
                .flatten()
                .map(Timestamp::to_rfc3339),
            first_event: tally.first.map(Timestamp::to_rfc3339),
            last_event: tally.last.map(Timestamp::to_rfc3339),
            bytes_out: tally.bytes_out,
            transfers: tally.transfers,
            ..expectations(info)
        })
        .collect();
    Labels {
        generator: format!("exfilguard simulate {}", env!("CARGO_PKG_VERSION")),
        seed: options.seed,
        start: options.midnight(0).to_rfc3339(),
        days: options.days,
        calendar: "UTC, business hours 08:00-18:00, Monday to Friday".into(),
        hosts: hosts
            .iter()
            .map(|h| LabelHost {
                name: h.name.clone(),
                ip: h.ip,
                role: role(h.role),
                user: h.user.clone(),
                managed: h.managed,
            })
            .collect(),
        scenarios,
    }
}

/// The label of a SaaS scenario: keyed by its account, not by a host.
fn saas_label(target: &saas::SaasTarget) -> ScenarioLabel {
    let info = target.info;
    ScenarioLabel {
        user: Some(target.user.clone()),
        destinations: target
            .destination
            .iter()
            .map(|domain| LabelDestination {
                ip: None,
                domain: Some(domain.clone()),
                port: None,
            })
            .collect(),
        first_activity: (!info.benign).then(|| target.first.to_rfc3339()),
        first_event: Some(target.first.to_rfc3339()),
        last_event: Some(target.last.to_rfc3339()),
        transfers: target.records,
        ..expectations(info)
    }
}

/// A label with a scenario's name, description and expected verdict, and nothing
/// observed yet: the two label builders fill in the rest.
fn expectations(info: &scenario::ScenarioInfo) -> ScenarioLabel {
    ScenarioLabel {
        name: info.name.to_string(),
        benign: info.benign,
        description: info.description.to_string(),
        hosts: Vec::new(),
        host_ips: Vec::new(),
        user: None,
        destinations: Vec::new(),
        first_activity: None,
        first_event: None,
        last_event: None,
        bytes_out: 0,
        transfers: 0,
        expected_detectors: info
            .expected_detectors
            .iter()
            .map(|s| s.to_string())
            .collect(),
        expected_decision: if info.benign { "benign" } else { "escalate" }.to_string(),
        expected_stage: info.expected_stage.to_string(),
    }
}

/// The organisation's `exfilguard.toml`: what its SOC would configure.
fn config_text(options: &Options, hosts: &[org::Host]) -> String {
    let backup_ip = hosts
        .iter()
        .find(|h| h.role == org::Role::BackupServer)
        .map(|h| h.ip.to_string())
        .unwrap_or_default();
    let mut text = String::new();
    text.push_str(&format!(
        "# The configuration of the organisation `exfilguard simulate` generated\n\
         # (seed {}, {} hosts, {} days from {}). Every key is optional; see docs/config.md.\n\n\
         [network]\n\
         internal = [\"10.0.0.0/8\", \"172.16.0.0/12\", \"192.168.0.0/16\", \"fc00::/7\"]\n\n\
         [organisation]\n\
         domains = [\"{}\"]\n\
         name = \"Corp Example (simulated)\"\n\n\
         [calendar]\n\
         timezone = \"UTC\"\n\
         business_hours = \"08:00-18:00\"\n\
         business_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n",
        options.seed,
        options.hosts,
        options.days,
        options.start,
        org::DOMAIN
    ));
    let allow = [
        (
            org::backup_service(),
            Some(backup_ip.as_str()),
            "nightly offsite backup",
        ),
        (
            org::update_service(),
            None,
            "software updates from the update vendor",
        ),
        (
            org::sync_service(),
            None,
            "the organisation's sanctioned cloud sync tenant",
        ),
    ];
    for (service, host, reason) in allow {
        for destination in [service.domain.clone(), service.ip.to_string()] {
            text.push_str(&format!("\n[[allow]]\ndestination = \"{destination}\"\n"));
            if let Some(host) = host {
                text.push_str(&format!("host = \"{host}\"\n"));
            }
            text.push_str(&format!("reason = \"{reason}\"\n"));
        }
    }
    text
}
