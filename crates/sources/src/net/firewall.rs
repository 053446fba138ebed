//! Firewall and flow exports: CSV files whose header is mapped to event fields
//! (ready aliases for common exports, overridable in `[sources.firewall]`), and the
//! pfSense `filterlog` and iptables/UFW kernel lines found inside syslog.
//!
//! ```toml
//! [sources.firewall]
//! delimiter = ";"                 # default ","
//! [sources.firewall.columns]      # event field = CSV header name (case-insensitive)
//! source_ip = "SrcAddr"
//! destination_ip = "DstAddr"
//! source_bytes = "SentBytes"      # bytes the source (initiator) sent
//! destination_bytes = "RcvdBytes"
//! ```

use super::text::{LineParser, Parsed, split_csv, value};
use super::{Endpoint, orient};
use crate::SourceContext;
use model::{Event, EventKind, LogSource, Timestamp, Value};
use std::net::IpAddr;

/// The event fields a CSV column can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// Record time.
    Timestamp,
    /// Initiator address.
    SourceIp,
    /// Responder address.
    DestinationIp,
    /// Initiator port.
    SourcePort,
    /// Responder port.
    DestinationPort,
    /// Transport (`tcp`, `6`...).
    Transport,
    /// Bytes sent by the initiator.
    SourceBytes,
    /// Bytes sent by the responder.
    DestinationBytes,
    /// Packets sent by the initiator.
    SourcePackets,
    /// Packets sent by the responder.
    DestinationPackets,
    /// Allow/deny verdict.
    Action,
    /// Duration in seconds.
    Duration,
    /// Application or service name.
    Application,
    /// User name.
    User,
    /// Device or host name.
    Host,
    /// Bytes both ways (Argus `TotBytes`): the destination's share is the rest.
    TotalBytes,
    /// Packets both ways (Argus `TotPkts`).
    TotalPackets,
}

/// (config key, field, ready header aliases) for each column.
const COLUMNS: [(&str, Column, &[&str]); 17] = [
    (
        "timestamp",
        Column::Timestamp,
        &[
            "timestamp",
            "time",
            "ts",
            "date",
            "datetime",
            "@timestamp",
            "start",
            "start_time",
            "starttime",
            "event_time",
            "receive_time",
            "generated_time",
        ],
    ),
    (
        "source_ip",
        Column::SourceIp,
        &[
            "src",
            "src_ip",
            "srcip",
            "source",
            "source_ip",
            "sourceip",
            "srcaddr",
            "src_addr",
            "source address",
            "saddr",
            "client_ip",
        ],
    ),
    (
        "destination_ip",
        Column::DestinationIp,
        &[
            "dst",
            "dst_ip",
            "dstip",
            "destination",
            "destination_ip",
            "destinationip",
            "dstaddr",
            "dst_addr",
            "destination address",
            "daddr",
            "dest_ip",
            "server_ip",
        ],
    ),
    (
        "source_port",
        Column::SourcePort,
        &[
            "sport",
            "src_port",
            "srcport",
            "source_port",
            "source port",
            "spt",
        ],
    ),
    (
        "destination_port",
        Column::DestinationPort,
        &[
            "dport",
            "dst_port",
            "dstport",
            "destination_port",
            "destination port",
            "dpt",
            "dest_port",
        ],
    ),
    (
        "transport",
        Column::Transport,
        &["proto", "protocol", "ip_protocol", "transport"],
    ),
    (
        "source_bytes",
        Column::SourceBytes,
        &[
            "bytes_out",
            "out_bytes",
            "bytes_sent",
            "sent_bytes",
            "sentbyte",
            "bytes sent",
            "src_bytes",
            "orig_bytes",
            "sbytes",
            "srcbytes",
        ],
    ),
    (
        "destination_bytes",
        Column::DestinationBytes,
        &[
            "bytes_in",
            "in_bytes",
            "bytes_received",
            "rcvd_bytes",
            "rcvdbyte",
            "bytes received",
            "dst_bytes",
            "resp_bytes",
            "dbytes",
            "dstbytes",
        ],
    ),
    (
        "source_packets",
        Column::SourcePackets,
        &[
            "packets_out",
            "pkts_out",
            "packets_sent",
            "sentpkt",
            "src_pkts",
            "orig_pkts",
            "spkts",
            "srcpkts",
        ],
    ),
    (
        "destination_packets",
        Column::DestinationPackets,
        &[
            "packets_in",
            "pkts_in",
            "packets_received",
            "rcvdpkt",
            "dst_pkts",
            "resp_pkts",
            "dpkts",
            "dstpkts",
        ],
    ),
    (
        "action",
        Column::Action,
        &["action", "act", "disposition", "rule_action", "verdict"],
    ),
    (
        "duration",
        Column::Duration,
        &["duration", "elapsed", "elapsed_time", "dur"],
    ),
    (
        "application",
        Column::Application,
        &["app", "application", "service"],
    ),
    (
        "user",
        Column::User,
        &["user", "username", "src_user", "user_name"],
    ),
    (
        "host",
        Column::Host,
        &["host", "device", "devname", "hostname", "device_name"],
    ),
    (
        "total_bytes",
        Column::TotalBytes,
        &["totbytes", "total_bytes", "bytes"],
    ),
    (
        "total_packets",
        Column::TotalPackets,
        &["totpkts", "total_packets", "packets"],
    ),
];

fn alias_column(header: &str) -> Option<Column> {
    let header = header.trim().trim_matches('"').to_ascii_lowercase();
    COLUMNS
        .iter()
        .find(|(_, _, aliases)| aliases.contains(&header.as_str()))
        .map(|(_, c, _)| *c)
}

/// The header's delimiter: the most frequent of `,`, `;` and tab.
fn guess_delimiter(header: &str) -> char {
    [',', ';', '\t']
        .into_iter()
        .max_by_key(|d| header.matches(*d).count())
        .unwrap_or(',')
}

/// Whether the head is a CSV whose header names a source and a destination address.
pub fn sniff_csv(lines: &[String]) -> bool {
    let Some(header) = lines.first() else {
        return false;
    };
    let names = split_csv(header, guess_delimiter(header));
    names.len() >= 3
        && names
            .iter()
            .any(|n| alias_column(n) == Some(Column::SourceIp))
        && names
            .iter()
            .any(|n| alias_column(n) == Some(Column::DestinationIp))
}

/// `[sources.firewall]` settings.
#[derive(Clone, Debug, Default)]
pub struct FirewallCsvConfig {
    /// Field delimiter; `None` = guessed from the header (`,` or `;`).
    pub delimiter: Option<char>,
    /// Explicit header names per column (override the ready aliases).
    pub columns: Vec<(Column, String)>,
}

impl FirewallCsvConfig {
    /// Reads `[sources.firewall]` from the configuration; unknown column keys are
    /// an error that names the valid ones.
    pub fn from_context(ctx: &SourceContext) -> Result<Self, String> {
        let mut config = FirewallCsvConfig::default();
        let Some(section) = ctx
            .config
            .sources
            .get("firewall")
            .and_then(|v| v.as_table())
        else {
            return Ok(config);
        };
        if let Some(d) = section.get("delimiter").and_then(|v| v.as_str()) {
            let mut chars = d.chars();
            config.delimiter = match (chars.next(), chars.next()) {
                (Some(c), None) => Some(c),
                _ => {
                    return Err(format!(
                        "[sources.firewall] delimiter must be one character, not {d:?}"
                    ));
                }
            };
        }
        if let Some(columns) = section.get("columns").and_then(|v| v.as_table()) {
            for (key, header) in columns {
                let Some((_, column, _)) = COLUMNS.iter().find(|(name, _, _)| name == key) else {
                    let valid: Vec<&str> = COLUMNS.iter().map(|(n, _, _)| *n).collect();
                    return Err(format!(
                        "[sources.firewall.columns] unknown key {key:?}; valid: {}",
                        valid.join(", ")
                    ));
                };
                let Some(header) = header.as_str() else {
                    return Err(format!(
                        "[sources.firewall.columns] {key} must be a header name"
                    ));
                };
                config.columns.push((*column, header.to_ascii_lowercase()));
            }
        }
        Ok(config)
    }
}

/// Link-layer "protocols" some flow exporters (Argus) list beside IP flows.
const NON_IP: [&str; 8] = ["arp", "rarp", "llc", "man", "stp", "lldp", "ipx/spx", "cdp"];

/// A firewall/flow CSV: the first line is the header.
pub struct FirewallCsvParser {
    config: FirewallCsvConfig,
    delimiter: char,
    header: Vec<String>,
    mapping: Vec<Option<Column>>,
}

impl FirewallCsvParser {
    /// A parser with the given settings.
    pub fn new(config: FirewallCsvConfig) -> Self {
        FirewallCsvParser {
            delimiter: config.delimiter.unwrap_or(','),
            config,
            header: Vec::new(),
            mapping: Vec::new(),
        }
    }

    fn learn_header(&mut self, line: &str) {
        if self.config.delimiter.is_none() {
            self.delimiter = guess_delimiter(line);
        }
        self.header = split_csv(line, self.delimiter)
            .into_iter()
            .map(|h| h.trim().to_string())
            .collect();
        self.mapping = self
            .header
            .iter()
            .map(|name| {
                let lower = name.to_ascii_lowercase();
                self.config
                    .columns
                    .iter()
                    .find(|(_, header)| *header == lower)
                    .map(|(column, _)| *column)
                    .or_else(|| {
                        // A column named explicitly elsewhere wins over an alias.
                        let aliased = alias_column(name)?;
                        (!self.config.columns.iter().any(|(c, _)| *c == aliased)).then_some(aliased)
                    })
            })
            .collect();
    }
}

impl LineParser for FirewallCsvParser {
    fn parse(&mut self, line: &str, ctx: &SourceContext) -> Parsed {
        if self.header.is_empty() {
            self.learn_header(line);
            return Parsed::Skip;
        }
        let values = split_csv(line, self.delimiter);
        if values.len() != self.header.len() {
            return Parsed::Bad(format!(
                "{} fields for {} header columns",
                values.len(),
                self.header.len()
            ));
        }
        if let Some(i) = self
            .mapping
            .iter()
            .position(|c| *c == Some(Column::Transport))
            && NON_IP.contains(&values[i].trim().to_ascii_lowercase().as_str())
        {
            return Parsed::Skip; // ARP, LLC... rows of flow exporters: not IP traffic
        }
        let mut flow = ConnectionFacts::default();
        let mut event = Event {
            kind: EventKind::Network,
            logsource: LogSource::new(None, Some("firewall"), None),
            dataset: Some("firewall.csv".into()),
            ..Default::default()
        };
        for ((name, column), raw) in self.header.iter().zip(&self.mapping).zip(&values) {
            let Some(v) = value(raw) else { continue };
            match column {
                Some(column) => {
                    if let Err(reason) = flow.set(*column, v, &mut event) {
                        return Parsed::Bad(format!("{name}: {reason}"));
                    }
                }
                None => event.native.push(name, Value::from(v)),
            }
        }
        if event.timestamp == Timestamp::default() && !flow.has_time {
            return Parsed::Bad(
                "no timestamp column (map one in [sources.firewall.columns])".into(),
            );
        }
        if flow.src.is_none() || flow.dst.is_none() {
            return Parsed::Bad("source or destination address missing".into());
        }
        flow.finish(&mut event, ctx);
        Parsed::Event(Box::new(event))
    }
}

/// Connection facts collected from columns or key=value pairs, oriented at the end.
#[derive(Default)]
pub(super) struct ConnectionFacts {
    pub(super) src: Option<IpAddr>,
    pub(super) dst: Option<IpAddr>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    src_bytes: Option<u64>,
    dst_bytes: Option<u64>,
    src_packets: Option<u64>,
    dst_packets: Option<u64>,
    total_bytes: Option<u64>,
    total_packets: Option<u64>,
    has_time: bool,
}

/// A port in decimal or Argus' hexadecimal (`0x0303`).
fn port(v: &str) -> Result<u16, String> {
    match v.strip_prefix("0x") {
        Some(hex) => u16::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
    .ok_or_else(|| format!("{v:?} is not a port"))
}

impl ConnectionFacts {
    pub(super) fn set(&mut self, column: Column, v: &str, event: &mut Event) -> Result<(), String> {
        let number = || {
            v.parse::<u64>()
                .map_err(|_| format!("{v:?} is not a number"))
        };
        let ip = || {
            v.parse::<IpAddr>()
                .map_err(|_| format!("{v:?} is not an IP address"))
        };
        match column {
            Column::Timestamp => {
                // Argus writes `2018/05/10 10:52:47.283479`.
                event.timestamp = Timestamp::parse(v)
                    .or_else(|| Timestamp::parse(&v.replacen('/', "-", 2)))
                    .ok_or_else(|| format!("unreadable time {v:?}"))?;
                self.has_time = true;
            }
            Column::SourceIp => self.src = Some(ip()?),
            Column::DestinationIp => self.dst = Some(ip()?),
            Column::SourcePort => self.src_port = Some(port(v)?),
            Column::DestinationPort => self.dst_port = Some(port(v)?),
            Column::TotalBytes => self.total_bytes = Some(number()?),
            Column::TotalPackets => self.total_packets = Some(number()?),
            Column::SourceBytes => self.src_bytes = Some(number()?),
            Column::DestinationBytes => self.dst_bytes = Some(number()?),
            Column::SourcePackets => self.src_packets = Some(number()?),
            Column::DestinationPackets => self.dst_packets = Some(number()?),
            Column::Transport => event.network_mut().transport = Some(transport_text(v)),
            Column::Action => {
                event.action = Some(v.to_ascii_lowercase());
                event.outcome = Some(verdict(v).into());
            }
            Column::Duration => {
                event.network_mut().duration_s = Some(
                    v.parse()
                        .map_err(|_| format!("{v:?} is not a duration in seconds"))?,
                )
            }
            Column::Application => event.network_mut().protocol = Some(v.to_ascii_lowercase()),
            Column::User => event.user_name = Some(v.to_string()),
            Column::Host => event.host_name = Some(v.to_string()),
        }
        Ok(())
    }

    pub(super) fn finish(mut self, event: &mut Event, ctx: &SourceContext) {
        let (Some(src), Some(dst)) = (self.src, self.dst) else {
            return;
        };
        if let (None, Some(total), Some(sent)) = (self.dst_bytes, self.total_bytes, self.src_bytes)
        {
            self.dst_bytes = Some(total.saturating_sub(sent));
        }
        if let (Some(total), None) = (self.total_bytes, self.src_bytes) {
            event.native.push(
                "network.bytes",
                Value::Int(total.min(i64::MAX as u64) as i64),
            );
        }
        if let (None, Some(total), Some(sent)) =
            (self.dst_packets, self.total_packets, self.src_packets)
        {
            self.dst_packets = Some(total.saturating_sub(sent));
        }
        let initiator: Endpoint = (src, self.src_port.unwrap_or(0));
        let o = orient(&ctx.networks, initiator, (dst, self.dst_port.unwrap_or(0)));
        let net = event.network_mut();
        o.fill(net);
        let (sp, dp) = if o.swapped {
            (self.dst_port, self.src_port)
        } else {
            (self.src_port, self.dst_port)
        };
        net.source_port = sp;
        net.destination_port = dp;
        let ((sb, db), (spk, dpk)) = if o.swapped {
            (
                (self.dst_bytes, self.src_bytes),
                (self.dst_packets, self.src_packets),
            )
        } else {
            (
                (self.src_bytes, self.dst_bytes),
                (self.src_packets, self.dst_packets),
            )
        };
        net.source_bytes = sb;
        net.destination_bytes = db;
        net.source_packets = spk;
        net.destination_packets = dpk;
        event.native.push(
            "initiator",
            Value::from(if o.swapped { "destination" } else { "source" }),
        );
    }
}

fn transport_text(v: &str) -> String {
    match v.parse::<u8>() {
        Ok(n) => super::pcap::transport_name(n),
        Err(_) => v.to_ascii_lowercase(),
    }
}

pub(super) fn verdict(action: &str) -> &'static str {
    let lower = action.to_ascii_lowercase();
    if [
        "block", "deny", "drop", "reject", "denied", "blocked", "dropped",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        "failure"
    } else {
        "success"
    }
}

/// A pfSense/OPNsense `filterlog` CSV message (the syslog message part).
pub fn parse_filterlog(
    message: &str,
    event: &mut Event,
    ctx: &SourceContext,
) -> Result<(), String> {
    let f: Vec<&str> = message.split(',').collect();
    let get = |i: usize| f.get(i).copied().unwrap_or("");
    if f.len() < 9 {
        return Err("filterlog line with too few fields".into());
    }
    let (proto, src, dst, ports_at) = match get(8) {
        "4" => (get(16), get(18), get(19), 20),
        "6" => (get(12), get(15), get(16), 17),
        other => return Err(format!("filterlog IP version {other:?}")),
    };
    let mut facts = ConnectionFacts {
        src: Some(
            src.parse()
                .map_err(|_| format!("filterlog source {src:?}"))?,
        ),
        dst: Some(
            dst.parse()
                .map_err(|_| format!("filterlog destination {dst:?}"))?,
        ),
        ..Default::default()
    };
    if matches!(proto, "tcp" | "udp") {
        facts.src_port = get(ports_at).parse().ok();
        facts.dst_port = get(ports_at + 1).parse().ok();
    }
    event.kind = EventKind::Network;
    event.logsource = LogSource::new(Some("pfsense"), Some("firewall"), None);
    event.dataset = Some("pfsense.filterlog".into());
    event.action = Some(get(6).to_string());
    event.outcome = Some(verdict(get(6)).into());
    event.network_mut().transport = Some(proto.to_ascii_lowercase());
    let native = &mut event.native;
    native.push("pfsense.rule", Value::from(get(0)));
    native.push("pfsense.tracker", Value::from(get(3)));
    native.push("pfsense.interface", Value::from(get(4)));
    native.push("pfsense.reason", Value::from(get(5)));
    native.push("pfsense.direction", Value::from(get(7)));
    facts.finish(event, ctx);
    Ok(())
}

/// Whether a kernel log message is an iptables/UFW/firewalld packet log.
pub fn is_iptables(message: &str) -> bool {
    message.contains("SRC=") && message.contains("DST=") && message.contains("PROTO=")
}

/// An iptables `LOG` target line: `[prefix] IN=.. OUT=.. SRC=.. DST=.. PROTO=.. SPT=.. DPT=..`.
pub fn parse_iptables(message: &str, event: &mut Event, ctx: &SourceContext) -> Result<(), String> {
    let start = message.find("IN=").unwrap_or(0);
    let prefix = message[..start]
        .trim()
        .trim_start_matches(|c: char| {
            c == '[' || c.is_ascii_digit() || c == '.' || c == ' ' || c == ']'
        })
        .trim();
    let mut facts = ConnectionFacts::default();
    for token in message[start..].split_ascii_whitespace() {
        let Some((key, v)) = token.split_once('=') else {
            continue;
        };
        match key {
            "SRC" => facts.src = v.parse().ok(),
            "DST" => facts.dst = v.parse().ok(),
            "SPT" => facts.src_port = v.parse().ok(),
            "DPT" => facts.dst_port = v.parse().ok(),
            "PROTO" => event.network_mut().transport = Some(v.to_ascii_lowercase()),
            "IN" | "OUT" | "LEN" | "TTL" | "MAC" if !v.is_empty() => {
                event.native.push(
                    &format!("iptables.{}", key.to_ascii_lowercase()),
                    Value::from(v),
                );
            }
            _ => {}
        }
    }
    if facts.src.is_none() || facts.dst.is_none() {
        return Err("iptables line without SRC/DST addresses".into());
    }
    event.kind = EventKind::Network;
    event.logsource = LogSource::new(Some("linux"), Some("firewall"), Some("iptables"));
    event.dataset = Some("iptables".into());
    if !prefix.is_empty() {
        event.native.push("iptables.prefix", Value::from(prefix));
        event.action = Some(prefix.trim_matches(|c| c == '[' || c == ']').to_string());
        event.outcome = Some(verdict(prefix).into());
    }
    facts.finish(event, ctx);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_ready_mapping() {
        let lines = ["time,src,dst,sport,dport,proto,bytes_out,bytes_in,action,rule".to_string()];
        assert!(sniff_csv(&lines));
        let mut p = FirewallCsvParser::new(FirewallCsvConfig::default());
        let ctx = SourceContext::default();
        assert!(matches!(p.parse(&lines[0], &ctx), Parsed::Skip));
        let Parsed::Event(e) = p.parse(
            "2026-11-23T01:00:00Z,203.0.113.9,10.0.0.8,443,50123,6,1000,88000000,allow,r1",
            &ctx,
        ) else {
            panic!()
        };
        let n = e.network.as_deref().unwrap();
        assert_eq!(n.source_ip, Some("10.0.0.8".parse().unwrap()));
        assert_eq!(n.source_bytes, Some(88_000_000));
        assert_eq!(n.destination_port, Some(443));
        assert_eq!(n.transport.as_deref(), Some("tcp"));
        assert_eq!(
            e.native.get_by_name("rule"),
            Some(model::ValueRef::Str("r1"))
        );
        assert!(matches!(
            p.parse(
                "2026-11-23T01:00:00Z,not-an-ip,10.0.0.8,1,2,6,1,1,allow,r",
                &ctx
            ),
            Parsed::Bad(_)
        ));
    }

    #[test]
    fn argus_binetflow_tab_separated() {
        let header = "StartTime\tDur\tProto\tSrcAddr\tSport\tDir\tDstAddr\tDport\tState\tsTos\tdTos\tTotPkts\tTotBytes\tSrcBytes\tSrcPkts\tLabel";
        assert!(sniff_csv(&[header.to_string()]));
        let ctx = SourceContext::default();
        let mut p = FirewallCsvParser::new(FirewallCsvConfig::default());
        p.parse(header, &ctx);
        let row = "2018/05/10 10:52:48.101\t1.5\ttcp\t192.168.1.5\t0xc350\t   ->\t198.51.100.2\t443\tFSPA_FSPA\t0\t0\t12\t9000\t7000\t7\tflow=x";
        let Parsed::Event(e) = p.parse(row, &ctx) else {
            panic!()
        };
        let n = e.network.as_deref().unwrap();
        assert_eq!(n.source_port, Some(50000));
        assert_eq!(
            (n.source_bytes, n.destination_bytes),
            (Some(7000), Some(2000))
        );
        assert_eq!(
            (n.source_packets, n.destination_packets),
            (Some(7), Some(5))
        );
        assert_eq!(
            e.timestamp,
            Timestamp::parse("2018-05-10T10:52:48.101Z").unwrap()
        );
        let arp = "2018/05/10 10:52:48\t0\tarp\t00:11:22:33:44:55\t0\t who\t00:11:22:33:44:66\t0\tINT\t\t\t1\t60\t60\t1\t";
        assert!(matches!(p.parse(arp, &ctx), Parsed::Skip));
    }

    #[test]
    fn csv_mapping_from_config() {
        let config = model::Config::from_toml(
            "[sources.firewall]\ndelimiter = \";\"\n[sources.firewall.columns]\nsource_ip = \"Quelle\"\ndestination_ip = \"Ziel\"\ntimestamp = \"Zeit\"\nsource_bytes = \"Gesendet\"\n",
            std::path::Path::new("x.toml"),
        )
        .unwrap();
        let ctx = SourceContext::from_config(std::sync::Arc::new(config));
        let mut p = FirewallCsvParser::new(FirewallCsvConfig::from_context(&ctx).unwrap());
        p.parse("Zeit;Quelle;Ziel;Gesendet", &ctx);
        let Parsed::Event(e) = p.parse("2026-11-23 01:00:00;10.1.1.1;198.51.100.1;4096", &ctx)
        else {
            panic!()
        };
        assert_eq!(e.network.as_ref().unwrap().source_bytes, Some(4096));
    }

    #[test]
    fn filterlog_and_iptables() {
        let ctx = SourceContext::default();
        let mut e = Event::default();
        parse_filterlog("5,,,1000000103,igb1,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,203.0.113.7,192.168.1.10,51000,22,0,S,1,,64240,,mss", &mut e, &ctx).unwrap();
        let n = e.network.as_deref().unwrap();
        assert_eq!(n.source_ip, Some("192.168.1.10".parse().unwrap()));
        assert_eq!(n.destination_port, Some(51000));
        assert_eq!(n.direction.as_deref(), Some("inbound"));
        assert_eq!(e.outcome.as_deref(), Some("failure"));
        let mut e = Event::default();
        parse_iptables("[12345.678] [UFW BLOCK] IN=eth0 OUT= MAC=aa SRC=10.0.0.2 DST=198.51.100.3 LEN=60 PROTO=TCP SPT=40000 DPT=21 SYN", &mut e, &ctx).unwrap();
        assert_eq!(e.network.as_ref().unwrap().destination_port, Some(21));
        assert_eq!(e.action.as_deref(), Some("UFW BLOCK"));
    }
}
