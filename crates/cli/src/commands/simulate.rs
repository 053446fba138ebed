//! `exfilguard simulate`: writes labelled telemetry of a simulated organisation with
//! exfiltration scenarios and benign look-alikes (see the `simulate` crate).

use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

/// Flags of `exfilguard simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exfiltration scenarios to inject: `all`, `none`, or comma-separated names
    /// (rclone-overnight, https-low-and-slow, offhours-burst, dns-tunnel,
    /// powershell-ftp, linux-cron-curl, sync-hijack). The benign look-alikes
    /// (backup, update, sync, habitual uploads) are always part of the organisation.
    #[arg(long, default_value = "all", value_name = "NAME|all")]
    pub scenario: String,
    /// Folder to write (created if missing; existing files with the same names are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Hosts in the organisation (about 85% Windows workstations, a backup server,
    /// Linux servers and unmanaged devices).
    #[arg(long, default_value_t = 12)]
    pub hosts: usize,
    /// Days to simulate; the exfiltration happens on the last working day.
    #[arg(long, default_value_t = 2)]
    pub days: u64,
    /// Seed: the same seed and flags write the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day (UTC, YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-02", value_name = "DATE")]
    pub start: chrono::NaiveDate,
    /// Output formats, comma-separated: zeek (TSV logs), jsonl (endpoint events in
    /// the evtx JSON shape), ipfix (border-router flow export), pcap (a capture of
    /// each exfiltration host around its first transfer).
    #[arg(long, default_value = "zeek,jsonl", value_delimiter = ',')]
    pub formats: Vec<String>,
    /// Gzip the Zeek logs, endpoint JSONL and cloud audit JSONL (`.gz`), as archived
    /// logs usually are.
    #[arg(long)]
    pub gzip: bool,
    /// Minutes each packet capture covers, from 30 s before the first transfer.
    #[arg(long, default_value_t = 10)]
    pub pcap_minutes: u32,
}

/// Runs the command: writes the folder and prints what was written.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let formats = args
        .formats
        .iter()
        .map(|f| f.parse::<simulate::OutputFormat>())
        .collect::<Result<Vec<_>, _>>()?;
    let options = simulate::Options {
        hosts: args.hosts,
        days: args.days,
        seed: args.seed,
        start: args.start,
        scenarios: simulate::Options::parse_scenarios(&args.scenario)?,
        formats,
        gzip: args.gzip,
        pcap_minutes: args.pcap_minutes,
    };
    let summary = simulate::run(&options, &args.out)
        .with_context(|| format!("cannot simulate into {}", args.out.display()))?;
    let total_bytes: u64 = summary.files.iter().map(|(_, size)| size).sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wrote {} records for {} hosts over {} day(s) to {} ({} files, {})",
        summary.records,
        summary.labels.hosts.len(),
        summary.labels.days,
        args.out.display(),
        summary.files.len(),
        human_bytes(total_bytes)
    )?;
    for (path, size) in &summary.files {
        writeln!(out, "  {:<50} {:>10}", path.display(), human_bytes(*size))?;
    }
    writeln!(out, "scenarios (see labels.json):")?;
    for s in &summary.labels.scenarios {
        writeln!(
            out,
            "  {:<24} {:<9} {:<28} first {}",
            s.name,
            if s.benign { "benign" } else { "exfil" },
            s.hosts
                .first()
                .map(String::as_str)
                .unwrap_or("-")
                .to_string()
                + if s.hosts.len() > 1 { " +" } else { "" },
            s.first_event.as_deref().unwrap_or("-")
        )?;
    }
    writeln!(out, "next: exfilguard validate {}", args.out.display())?;
    Ok(0)
}

/// Bytes as B, KB, MB or GB (decimal units).
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} KB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}
