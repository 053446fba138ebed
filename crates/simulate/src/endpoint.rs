//! Endpoint telemetry as JSON Lines in the `evtx` crate's shape
//! (`{"Event":{"System":{...},"EventData":{...}}}`), one file for Windows hosts and
//! one for Linux hosts (Sysmon for Linux uses the same shape and event ids):
//!
//! * Sysmon 1 process creation, 3 network connection (for connections whose process
//!   is known), 11 file create, 22 DNS query;
//! * Security 4698 scheduled task created;
//! * PowerShell 4104 script block;
//! * for Linux hosts, the cron syslog lines (`CRON[pid]: (root) CMD (...)`).
//!
//! Unmanaged hosts produce nothing here: that is what makes them unmanaged.

use crate::org::{Host, RESOLVER};
use crate::output::Output;
use crate::record::{Connection, DnsLookup, EndpointKind, Record};
use model::Timestamp;
use serde_json::{Value, json};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes endpoint JSONL for Windows (`windows.jsonl`) and Linux (`linux.jsonl`),
/// and the Linux hosts' cron syslog lines (`linux-syslog.log`, RFC 5424).
pub struct EndpointWriter {
    windows: Output,
    linux: Output,
    syslog: Output,
    record_id: u64,
    files: Vec<PathBuf>,
}

impl EndpointWriter {
    /// Creates both files in `dir` (gzip-compressed when `gzip`).
    pub fn create(dir: &Path, gzip: bool) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (windows, windows_path) = Output::create(dir, "windows.jsonl", gzip)?;
        let (linux, linux_path) = Output::create(dir, "linux.jsonl", gzip)?;
        let (syslog, syslog_path) = Output::create(dir, "linux-syslog.log", gzip)?;
        Ok(EndpointWriter {
            windows,
            linux,
            syslog,
            record_id: 0,
            files: vec![windows_path, linux_path, syslog_path],
        })
    }

    /// Writes the endpoint view of one time-sorted batch.
    pub fn write(&mut self, hosts: &[Host], records: &[Record]) -> io::Result<()> {
        for record in records {
            let host = &hosts[record.host()];
            if !host.managed {
                continue;
            }
            let event = match record {
                Record::Connection(c) => match network_event(host, c) {
                    Some(event) => event,
                    None => continue,
                },
                Record::Dns(d) => match dns_event(host, d) {
                    Some(event) => event,
                    None => continue,
                },
                Record::Endpoint(e) => {
                    if !host.is_windows() {
                        write_cron_syslog(&mut self.syslog, host, e.ts, &e.kind)?;
                    }
                    endpoint_event(host, e.ts, &e.kind)
                }
            };
            self.record_id += 1;
            let line = wrap(host, record.ts(), self.record_id, event);
            let out = if host.is_windows() {
                &mut self.windows
            } else {
                &mut self.linux
            };
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Flushes both files and returns their paths.
    pub fn finish(self) -> io::Result<Vec<PathBuf>> {
        self.windows.finish()?;
        self.linux.finish()?;
        self.syslog.finish()?;
        Ok(self.files)
    }
}

/// The syslog line cron (or crontab) writes for a Linux process start, when it is
/// one: `CRON[pid]: (root) CMD (command)` for jobs cron runs, `crontab[pid]: (root)
/// REPLACE (root)` when a crontab is installed. Facility cron, severity info.
fn write_cron_syslog(
    out: &mut Output,
    host: &Host,
    ts: Timestamp,
    kind: &EndpointKind,
) -> io::Result<()> {
    let EndpointKind::Process {
        image,
        command_line,
        parent_image,
        user,
        pid,
        ..
    } = kind
    else {
        return Ok(());
    };
    let short = host.name.split('.').next().unwrap_or(&host.name);
    let stamp = ts
        .to_datetime()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string())
        .unwrap_or_default();
    if parent_image == "/usr/sbin/cron" {
        let command = command_line
            .strip_prefix("/bin/sh -c ")
            .unwrap_or(command_line);
        writeln!(
            out,
            "<78>1 {stamp} {short} CRON {} - - ({user}) CMD ({command})",
            pid.saturating_sub(1)
        )?;
    } else if image == "/usr/bin/crontab" {
        writeln!(
            out,
            "<78>1 {stamp} {short} crontab {pid} - - ({user}) REPLACE ({user})"
        )?;
    }
    Ok(())
}

/// What goes inside `System` and `EventData` for one event.
struct Body {
    id: u32,
    channel: &'static str,
    provider: &'static str,
    data: Value,
}

fn sysmon(host: &Host, id: u32, data: Value) -> Body {
    let (channel, provider) = if host.is_windows() {
        (
            "Microsoft-Windows-Sysmon/Operational",
            "Microsoft-Windows-Sysmon",
        )
    } else {
        ("Linux-Sysmon/Operational", "Linux-Sysmon")
    };
    Body {
        id,
        channel,
        provider,
        data,
    }
}

fn wrap(host: &Host, ts: Timestamp, record_id: u64, body: Body) -> Value {
    json!({
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": body.provider}},
                "EventID": body.id,
                "Level": 4,
                "EventRecordID": record_id,
                "Channel": body.channel,
                "Computer": host.name,
                "TimeCreated": {"#attributes": {"SystemTime": ts.to_rfc3339()}},
            },
            "EventData": body.data,
        }
    })
}

/// Sysmon's `UtcTime`: `2026-11-02 08:15:02.123`.
fn utc_time(ts: Timestamp) -> String {
    ts.to_datetime()
        .map(|d| d.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

fn network_event(host: &Host, c: &Connection) -> Option<Body> {
    let process = c.process.as_ref()?;
    let hostname = match &c.tls_server_name {
        Some(Some(sni)) => sni.clone(),
        _ => c
            .http
            .as_ref()
            .map(|h| h.host.clone())
            .unwrap_or_else(|| "-".into()),
    };
    Some(sysmon(
        host,
        3,
        json!({
            "RuleName": "-",
            "UtcTime": utc_time(c.start),
            "ProcessId": process.pid,
            "Image": process.image,
            "User": process.user,
            "Protocol": c.transport.as_str(),
            "Initiated": "true",
            "SourceIsIpv6": "false",
            "SourceIp": host.ip.to_string(),
            "SourceHostname": host.name,
            "SourcePort": c.source_port,
            "DestinationIsIpv6": "false",
            "DestinationIp": c.destination_ip.to_string(),
            "DestinationHostname": hostname,
            "DestinationPort": c.destination_port,
        }),
    ))
}

fn dns_event(host: &Host, d: &DnsLookup) -> Option<Body> {
    let process = d.process.as_ref()?;
    let results = if d.answers.is_empty() {
        "-".to_string()
    } else if d.qtype == "A" {
        d.answers.iter().map(|a| format!("::ffff:{a};")).collect()
    } else {
        d.answers
            .iter()
            .map(|a| format!("type:  16 {a};"))
            .collect()
    };
    Some(sysmon(
        host,
        22,
        json!({
            "RuleName": "-",
            "UtcTime": utc_time(d.ts),
            "ProcessId": process.pid,
            "QueryName": d.query,
            "QueryStatus": if d.answers.is_empty() { "9003" } else { "0" },
            "QueryResults": results,
            "Image": process.image,
            "User": process.user,
            "DnsServer": RESOLVER.to_string(),
        }),
    ))
}

fn endpoint_event(host: &Host, ts: Timestamp, kind: &EndpointKind) -> Body {
    match kind {
        EndpointKind::Process {
            image,
            command_line,
            parent_image,
            original_file_name,
            user,
            pid,
        } => sysmon(
            host,
            1,
            json!({
                "RuleName": "-",
                "UtcTime": utc_time(ts),
                "ProcessId": pid,
                "Image": image,
                "OriginalFileName": original_file_name,
                "CommandLine": command_line,
                "CurrentDirectory": if host.is_windows() { "C:\\Windows\\system32\\" } else { "/" },
                "User": user,
                "IntegrityLevel": if user.contains("SYSTEM") { "System" } else { "Medium" },
                "ParentImage": parent_image,
            }),
        ),
        EndpointKind::FileCreate {
            image,
            target,
            user,
        } => sysmon(
            host,
            11,
            json!({
                "RuleName": "-",
                "UtcTime": utc_time(ts),
                "Image": image,
                "TargetFilename": target,
                "CreationUtcTime": utc_time(ts),
                "User": user,
            }),
        ),
        EndpointKind::TaskCreated {
            task_name,
            command,
            user,
        } => {
            let (domain, name) = user.split_once('\\').unwrap_or(("", user.as_str()));
            Body {
                id: 4698,
                channel: "Security",
                provider: "Microsoft-Windows-Security-Auditing",
                data: json!({
                    "SubjectUserName": name,
                    "SubjectDomainName": domain,
                    "TaskName": task_name,
                    "TaskContent": format!("<?xml version=\"1.0\" encoding=\"UTF-16\"?><Task><Triggers><CalendarTrigger><StartBoundary>2026-01-01T02:00:00</StartBoundary><ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger></Triggers><Actions><Exec><Command>{command}</Command></Exec></Actions></Task>"),
                }),
            }
        }
        EndpointKind::ScriptBlock { text, path } => Body {
            id: 4104,
            channel: "Microsoft-Windows-PowerShell/Operational",
            provider: "Microsoft-Windows-PowerShell",
            data: json!({
                "MessageNumber": 1,
                "MessageTotal": 1,
                "ScriptBlockText": text,
                "Path": path,
            }),
        },
    }
}
