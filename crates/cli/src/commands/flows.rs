//! `exfilguard flows`: rebuild the flows of pcap/pcapng captures and print them like
//! a Zeek conn.log (table) or as JSON Lines (DESIGN.md's `flows` output contract).

use super::common::{ConfigArgs, Format, OutputArgs};
use anyhow::Context;
use model::{Event, EventKind};
use serde_json::{Map, Value as Json};
use sources::SourceContext;
use sources::net::flow::FlowLimits;
use sources::net::pcap::{PcapFlowSource, PcapStats};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `exfilguard flows`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// pcap or pcapng captures (.gz and .zst too).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    config: ConfigArgs,
    /// Most flows held in memory at once; older idle flows are ended early beyond it.
    #[arg(long, default_value_t = 200_000)]
    max_flows: usize,
    /// Seconds without packets after which a TCP flow ends.
    #[arg(long, default_value_t = 300)]
    tcp_idle_s: i64,
    /// Seconds without packets after which a UDP or ICMP flow ends.
    #[arg(long, default_value_t = 60)]
    udp_idle_s: i64,
}

/// Runs the command: one capture after the other, flows in the order they end
/// (start-time order within each batch), a summary per capture on stderr.
pub fn run(args: Args) -> anyhow::Result<u8> {
    super::common::check_paths(&args.paths)?;
    if args.output.format == Format::Csv {
        anyhow::bail!("`flows` writes --format table or jsonl");
    }
    let config = Arc::new(args.config.load()?);
    let ctx = SourceContext::from_config(config);
    let limits = FlowLimits {
        tcp_idle_s: args.tcp_idle_s,
        other_idle_s: args.udp_idle_s,
        max_flows: args.max_flows.max(1),
        ..FlowLimits::default()
    };
    let mut out = args.output.open()?;
    if args.output.format == Format::Table {
        writeln!(out, "{}", table_header())?;
    }
    for path in &args.paths {
        let input = open_capture(path)?;
        let mut source = PcapFlowSource::with_limits(input, &ctx, limits.clone())?;
        let mut errors = 0u64;
        for item in source.by_ref() {
            match item {
                Ok(event) if event.kind == EventKind::Network => match args.output.format {
                    Format::Jsonl => {
                        serde_json::to_writer(&mut out, &flow_json(&event))?;
                        out.write_all(b"\n")?;
                    }
                    _ => writeln!(out, "{}", table_row(&event))?,
                },
                Ok(_) => {}
                Err(err) => {
                    errors += 1;
                    if errors <= 10 {
                        eprintln!("exfilguard: skipped: {err}");
                    }
                }
            }
        }
        report(path, &source.stats(), errors);
    }
    out.flush()?;
    Ok(0)
}

/// Opens a capture (decompressing .gz and .zst, recognised by their magic bytes).
fn open_capture(path: &std::path::Path) -> anyhow::Result<sources::Input> {
    sources::open_input(path).with_context(|| format!("cannot open {}", path.display()))
}

fn report(path: &std::path::Path, stats: &PcapStats, errors: u64) {
    eprintln!(
        "{}: {} frames, {} flows ({} evicted early, peak {} held), {} non-IP, {} unsupported link, {} malformed{}",
        path.display(),
        stats.frames,
        stats.flows.flows,
        stats.flows.evicted,
        stats.flows.peak_flows,
        stats.non_ip,
        stats.unsupported_link,
        stats.malformed,
        if errors > 10 {
            format!(" ({errors} errors, first 10 shown)")
        } else {
            String::new()
        },
    );
}

/// The contract's keys for one flow; absent facts are omitted.
fn flow_json(event: &Event) -> Json {
    let mut map = Map::new();
    let mut put = |key: &str, value: Json| {
        if !value.is_null() {
            map.insert(key.to_string(), value);
        }
    };
    let net = event.network.as_deref().cloned().unwrap_or_default();
    put("@timestamp", Json::from(event.timestamp.to_rfc3339()));
    put("event.start", Json::from(event.timestamp.to_rfc3339()));
    put(
        "event.end",
        native_str(event, "event.end")
            .map(Json::from)
            .unwrap_or(Json::Null),
    );
    put(
        "event.duration",
        net.duration_s
            .map(|s| Json::from((s * 1e9).round() as i64))
            .unwrap_or(Json::Null),
    );
    put(
        "source.ip",
        net.source_ip
            .map(|ip| Json::from(ip.to_string()))
            .unwrap_or(Json::Null),
    );
    put("source.port", Json::from(net.source_port));
    put(
        "destination.ip",
        net.destination_ip
            .map(|ip| Json::from(ip.to_string()))
            .unwrap_or(Json::Null),
    );
    put("destination.port", Json::from(net.destination_port));
    put("destination.domain", Json::from(net.destination_domain));
    put("network.transport", Json::from(net.transport));
    put("network.protocol", Json::from(net.protocol));
    put("network.direction", Json::from(net.direction));
    put("connection.state", Json::from(net.state));
    put("source.packets", Json::from(net.source_packets));
    put("destination.packets", Json::from(net.destination_packets));
    put("source.bytes", Json::from(net.source_bytes));
    put("destination.bytes", Json::from(net.destination_bytes));
    if let Some(dns) = event.dns.as_deref() {
        put("dns.question.name", Json::from(dns.question_name.clone()));
    }
    if let Some(http) = event.http.as_deref() {
        put("url.domain", Json::from(http.url_domain.clone()));
        put("http.request.method", Json::from(http.method.clone()));
    }
    put(
        "tls.client.server_name",
        Json::from(event.tls_server_name.clone()),
    );
    for (sym, value) in event.native.iter() {
        if sym.name() != "event.end" {
            put(
                sym.name(),
                serde_json::to_value(value).unwrap_or(Json::Null),
            );
        }
    }
    if let Some(origin) = &event.origin {
        put("log.file.path", Json::from(&*origin.file));
        put("log.offset", Json::from(origin.offset));
    }
    Json::Object(map)
}

fn native_str<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    event.native.get_by_name(name)?.as_str()
}

fn table_header() -> String {
    format!(
        "{:<27} {:<39} {:>5}  {:<39} {:>5} {:<5} {:<5} {:>10} {:>12} {:>12} {:>7} {:>7} {:<6} {}",
        "ts",
        "source",
        "sport",
        "destination",
        "dport",
        "proto",
        "svc",
        "duration",
        "src_bytes",
        "dst_bytes",
        "src_pkt",
        "dst_pkt",
        "state",
        "name"
    )
}

fn table_row(event: &Event) -> String {
    let net = event.network.as_deref().cloned().unwrap_or_default();
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let name = event
        .tls_server_name
        .clone()
        .or_else(|| event.http.as_ref().and_then(|h| h.url_domain.clone()))
        .or_else(|| event.dns.as_ref().and_then(|d| d.question_name.clone()));
    format!(
        "{:<27} {:<39} {:>5}  {:<39} {:>5} {:<5} {:<5} {:>10.3} {:>12} {:>12} {:>7} {:>7} {:<6} {}",
        event.timestamp.to_rfc3339(),
        dash(net.source_ip.map(|ip| ip.to_string())),
        dash(net.source_port.map(|p| p.to_string())),
        dash(net.destination_ip.map(|ip| ip.to_string())),
        dash(net.destination_port.map(|p| p.to_string())),
        dash(net.transport),
        dash(net.protocol),
        net.duration_s.unwrap_or(0.0),
        net.source_bytes.unwrap_or(0),
        net.destination_bytes.unwrap_or(0),
        net.source_packets.unwrap_or(0),
        net.destination_packets.unwrap_or(0),
        dash(net.state),
        dash(name),
    )
}
