//! `exfilguard coverage`: reads logs with the `sources` readers and reports which
//! telemetry the detection strategy relies on is present, per host and overall,
//! the blind spots (unmanaged hosts, encrypted traffic to unnamed destinations,
//! direct-to-internet paths), the detectors that cannot fire, and what to collect
//! next (`simulate::coverage` does the counting).

use super::common::{ConfigArgs, Format, OutputArgs, check_paths};
use super::simulate::human_bytes;
use serde_json::json;
use simulate::coverage::{ALL_TELEMETRY, CoverageBuilder, CoverageReport, Telemetry};
use sources::{ReadStats, SourceContext};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Files `exfilguard simulate` writes beside the logs; not logs themselves.
const NOT_LOGS: [&str; 3] = ["labels.json", "exfilguard.toml", "README.md"];

/// Flags of `exfilguard coverage`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Log files or folders (read recursively; formats are sniffed from content).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Most hosts listed in the table (all of them in JSONL and CSV).
    #[arg(long, default_value_t = 40)]
    pub max_hosts: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    /// `[network] internal` and `proxies` decide what is outbound and what bypasses the proxy.
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Reads the logs and prints the report; exit code 0.
pub fn run(args: Args) -> anyhow::Result<u8> {
    check_paths(&args.paths)?;
    let config = Arc::new(args.config.load()?);
    let ctx = SourceContext::from_config(config.clone());
    let mut builder = CoverageBuilder::new(config.networks(), config.network.proxies.clone());
    let mut stats = ReadStats::default();
    let found = sources::discover(&args.paths);
    for (path, reason) in found.unreadable {
        stats.add_failure(path, reason);
    }
    for path in found.files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if NOT_LOGS.contains(&name) {
            continue;
        }
        match sources::open_path(&path, &ctx) {
            Ok((format, source)) => {
                stats.add_file(format);
                for item in source {
                    match item {
                        Ok(event) => {
                            stats.add_event(format, &event);
                            builder.observe(format.name(), &event);
                        }
                        Err(error) => stats.add_skip(error),
                    }
                }
            }
            Err(error) => stats.add_failure(path, error.reason()),
        }
    }
    let report = builder.finish();
    let mut out = args.output.open()?;
    match args.output.format {
        Format::Table => write_table(&mut out, &report, &stats, args.max_hosts)?,
        Format::Jsonl => write_jsonl(&mut out, &report, &stats)?,
        Format::Csv => write_csv(&mut out, &report)?,
    }
    out.flush()?;
    Ok(0)
}

fn files_line(stats: &ReadStats) -> String {
    let files: u64 = stats.files_by_format.values().sum();
    let formats: Vec<String> = stats
        .files_by_format
        .iter()
        .map(|(f, n)| format!("{f} {n}"))
        .collect();
    format!(
        "{files} files ({}), {} events, {} records skipped, {} files not read",
        formats.join(", "),
        stats.total_events(),
        stats.total_skipped(),
        stats.failed_files.len()
    )
}

fn write_table(
    out: &mut dyn Write,
    r: &CoverageReport,
    stats: &ReadStats,
    max_hosts: usize,
) -> anyhow::Result<()> {
    writeln!(out, "telemetry coverage: {}", files_line(stats))?;
    for failure in stats.failed_files.iter().take(5) {
        writeln!(
            out,
            "  not read: {}: {}",
            failure.path.display(),
            failure.reason
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{:<18} {:>10} {:>9}", "telemetry", "events", "hosts")?;
    for kind in &r.overall {
        let hosts = r.hosts.iter().filter(|h| h.has(kind.kind)).count();
        let hosts = if kind.kind == Telemetry::CloudAudit {
            "-".to_string()
        } else {
            format!("{hosts}/{}", r.hosts.len())
        };
        writeln!(
            out,
            "{:<18} {:>10} {:>9}",
            kind.kind.name(),
            kind.events,
            hosts
        )?;
    }
    writeln!(out)?;
    let short = [
        "proc", "script", "file", "task", "flows", "dns", "http", "tls",
    ];
    let width = r
        .hosts
        .iter()
        .take(max_hosts)
        .map(|h| h.name.as_deref().map_or(19, str::len))
        .max()
        .unwrap_or(4)
        .clamp(19, 48);
    write!(out, "{:<width$} {:<16}", "host", "address")?;
    for s in short {
        write!(out, " {s:>6}")?;
    }
    writeln!(out, " {:>10}", "outbound")?;
    for host in r.hosts.iter().take(max_hosts) {
        let ips: Vec<String> = host.ips.iter().map(|ip| ip.to_string()).collect();
        write!(
            out,
            "{:<width$} {:<16}",
            host.name.as_deref().unwrap_or("(no endpoint agent)"),
            ips.join(",")
        )?;
        for kind in ALL_TELEMETRY.iter().take(short.len()) {
            write!(out, " {:>6}", if host.has(*kind) { "yes" } else { "-" })?;
        }
        writeln!(out, " {:>10}", human_bytes(host.outbound_bytes))?;
    }
    if r.hosts.len() > max_hosts {
        writeln!(
            out,
            "... {} more hosts (--max-hosts, or --format jsonl for all)",
            r.hosts.len() - max_hosts
        )?;
    }
    writeln!(out)?;
    writeln!(out, "blind spots")?;
    writeln!(
        out,
        "  unmanaged endpoints (network data only): {}{}",
        r.unmanaged_hosts.len(),
        list(&r.unmanaged_hosts, 8)
    )?;
    writeln!(
        out,
        "  encrypted without a visible server name: {} of {} outbound ({:.1}%{})",
        human_bytes(r.encrypted_invisible_bytes),
        human_bytes(r.outbound_bytes),
        r.encrypted_invisible_share * 100.0,
        r.byte_sensor
            .as_deref()
            .map(|s| format!(", bytes from {s}"))
            .unwrap_or_default()
    )?;
    if r.proxies_configured {
        let names: Vec<String> = r
            .direct_web_hosts
            .iter()
            .map(|(h, b)| format!("{h} {}", human_bytes(*b)))
            .collect();
        writeln!(
            out,
            "  direct-to-internet web paths bypassing the proxies: {}{}",
            r.direct_web_hosts.len(),
            list(&names, 8)
        )?;
    } else {
        writeln!(
            out,
            "  direct-to-internet web paths: {} hosts talk to the web directly; no [network] proxies configured to compare with",
            r.direct_web_hosts.len()
        )?;
    }
    if r.blind_detectors.is_empty() {
        writeln!(out, "detectors that cannot fire: none")?;
    } else {
        writeln!(out, "detectors that cannot fire:")?;
        for d in &r.blind_detectors {
            writeln!(
                out,
                "  {:<11} needs one of: {}",
                d.detector,
                d.needs.join(", ")
            )?;
        }
    }
    writeln!(out, "collect next:")?;
    for (i, line) in r.collect_next.iter().enumerate() {
        writeln!(out, "  {}. {line}", i + 1)?;
    }
    Ok(())
}

fn list(items: &[String], max: usize) -> String {
    if items.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let more = if items.len() > max {
        format!(", +{} more", items.len() - max)
    } else {
        String::new()
    };
    format!(" ({}{more})", shown.join(", "))
}

fn write_jsonl(out: &mut dyn Write, r: &CoverageReport, stats: &ReadStats) -> anyhow::Result<()> {
    for host in &r.hosts {
        let mut row = serde_json::to_value(host)?;
        if let Some(map) = row.as_object_mut() {
            map.insert("kind".into(), json!("coverage.host"));
        }
        serde_json::to_writer(&mut *out, &row)?;
        writeln!(out)?;
    }
    let mut summary = serde_json::to_value(r)?;
    if let Some(map) = summary.as_object_mut() {
        map.remove("hosts");
        map.insert("kind".into(), json!("coverage.summary"));
        map.insert("files".into(), json!(stats.files_by_format));
        map.insert("records_skipped".into(), json!(stats.total_skipped()));
        map.insert(
            "files_not_read".into(),
            json!(
                stats
                    .failed_files
                    .iter()
                    .map(|f| json!({"path": f.path.display().to_string(), "reason": f.reason}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    serde_json::to_writer(&mut *out, &summary)?;
    writeln!(out)?;
    Ok(())
}

fn write_csv(out: &mut dyn Write, r: &CoverageReport) -> anyhow::Result<()> {
    write!(
        out,
        "host,ips,endpoint_telemetry,network_telemetry,outbound_bytes"
    )?;
    for kind in ALL_TELEMETRY {
        write!(out, ",{}", kind.name())?;
    }
    writeln!(out)?;
    for host in &r.hosts {
        let ips: Vec<String> = host.ips.iter().map(|ip| ip.to_string()).collect();
        write!(
            out,
            "{},\"{}\",{},{},{}",
            host.name.as_deref().unwrap_or(""),
            ips.join(","),
            host.endpoint_telemetry,
            host.network_telemetry,
            host.outbound_bytes
        )?;
        for kind in ALL_TELEMETRY {
            let n = host
                .telemetry
                .iter()
                .find(|k| k.kind == kind)
                .map(|k| k.events)
                .unwrap_or(0);
            write!(out, ",{n}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
