//! `exfilguard events`: the normalised events, one per line (a log normaliser).

use super::common::{ConfigArgs, Format, OutputArgs, check_paths};
use model::Event;
use sources::{Replay, ReplayOptions, SourceContext};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `exfilguard events`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Log files or folders (searched recursively; formats are sniffed from content).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Parser threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Stop after this many events.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
}

/// Prints every event in event-time order; the summary of what was read and skipped
/// goes to standard error.
pub fn run(args: Args) -> anyhow::Result<u8> {
    check_paths(&args.paths)?;
    let config = Arc::new(args.config.load()?);
    let ctx = SourceContext::from_config(config);
    let options = ReplayOptions {
        threads: args.threads,
        ..ReplayOptions::default()
    };
    let mut replay = Replay::from_discovery(sources::discover(&args.paths), ctx, options);
    let mut out = args.output.open()?;
    if args.output.format == Format::Csv {
        writeln!(
            out,
            "@timestamp,event.kind,host.name,user.name,summary,log.file.path,log.offset"
        )?;
    }
    let limit = args.limit.unwrap_or(u64::MAX);
    let mut written = 0u64;
    for event in replay.by_ref() {
        if written >= limit {
            break;
        }
        match args.output.format {
            Format::Jsonl => {
                serde_json::to_writer(&mut out, &event)?;
                out.write_all(b"\n")?;
            }
            Format::Table => writeln!(out, "{}", table_line(&event))?,
            Format::Csv => writeln!(out, "{}", csv_line(&event))?,
        }
        written += 1;
    }
    out.flush()?;
    let stats = replay.stats();
    eprintln!(
        "{} events from {} files ({} records skipped, {} files not read)",
        written,
        stats.files_by_format.values().sum::<u64>(),
        stats.total_skipped(),
        stats.failed_files.len()
    );
    for example in stats
        .skip_examples
        .iter()
        .take(if std::io::stderr().is_terminal() {
            10
        } else {
            100
        })
    {
        eprintln!(
            "  skipped {}:{}: {}",
            example.file, example.offset, example.reason
        );
    }
    for failure in &stats.failed_files {
        eprintln!("  not read {}: {}", failure.path.display(), failure.reason);
    }
    Ok(0)
}

/// A one-line description of what the event says happened.
fn describe(event: &Event) -> String {
    if let Some(p) = &event.process
        && let Some(cmd) = p.command_line.as_deref().or(p.executable.as_deref())
    {
        return cmd.to_string();
    }
    if let Some(d) = &event.dns
        && let Some(q) = &d.question_name
    {
        return format!("dns {} {}", d.question_type.as_deref().unwrap_or(""), q);
    }
    if let Some(n) = &event.network {
        let ip =
            |ip: Option<std::net::IpAddr>| ip.map(|i| i.to_string()).unwrap_or_else(|| "?".into());
        let port = |p: Option<u16>| p.map(|p| p.to_string()).unwrap_or_else(|| "?".into());
        return format!(
            "{}:{} -> {}:{} {} out={} in={}{}",
            ip(n.source_ip),
            port(n.source_port),
            ip(n.destination_ip),
            port(n.destination_port),
            n.protocol
                .as_deref()
                .or(n.transport.as_deref())
                .unwrap_or(""),
            n.source_bytes
                .map(|b| b.to_string())
                .unwrap_or_else(|| "-".into()),
            n.destination_bytes
                .map(|b| b.to_string())
                .unwrap_or_else(|| "-".into()),
            event
                .destination_name()
                .map(|d| format!(" {d}"))
                .unwrap_or_default()
        );
    }
    if let Some(h) = &event.http
        && let Some(url) = h.url_full.as_deref().or(h.url_domain.as_deref())
    {
        return format!("{} {}", h.method.as_deref().unwrap_or(""), url);
    }
    if let Some(text) = &event.script_text {
        return text.chars().take(120).collect();
    }
    if let Some(path) = &event.file_path {
        return path.clone();
    }
    event
        .action
        .clone()
        .or_else(|| event.message.clone())
        .or_else(|| event.code.map(|c| format!("event {c}")))
        .unwrap_or_default()
}

fn table_line(event: &Event) -> String {
    let text: String = describe(event).chars().take(160).collect();
    format!(
        "{}  {:<13} {:<20} {:<16} {}",
        event.timestamp,
        sources::stats::kind_name(event.kind),
        event.host_name.as_deref().unwrap_or("-"),
        event.user_name.as_deref().unwrap_or("-"),
        text.replace(['\n', '\r'], " ")
    )
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv_line(event: &Event) -> String {
    let origin = event.origin.as_ref();
    [
        event.timestamp.to_rfc3339(),
        sources::stats::kind_name(event.kind).to_string(),
        event.host_name.clone().unwrap_or_default(),
        event.user_name.clone().unwrap_or_default(),
        describe(event),
        origin.map(|o| o.file.to_string()).unwrap_or_default(),
        origin.map(|o| o.offset.to_string()).unwrap_or_default(),
    ]
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
}
