//! Network telemetry readers: NetFlow v5/v9/IPFIX, pcap/pcapng, proxy, firewall,
//! DNS server, syslog, Suricata EVE and FortiGate files. They all produce the same network events as Zeek.
//!
//! The crate's sniffer calls [`sniff`] with the first bytes of a (decompressed)
//! input and, on a match, [`open`] to get the event stream.
//!
//! Orientation: every reader puts the internal host (per `[network] internal`) on
//! the source side, so `source.bytes` is what left the internal host even when the
//! capture or exporter saw the reverse direction first; who started the
//! conversation is kept in `network.direction` (ECS: inbound, outbound, internal,
//! external) and in the native `initiator` field. See docs/network.md.

pub mod app;
pub mod dnslog;
pub mod firewall;
pub mod flow;
pub mod fortigate;
pub mod netflow;
pub mod packet;
pub mod pcap;
pub mod proxy;
pub mod suricata;
pub mod syslog;
pub mod text;
pub mod write;

use crate::{Input, OpenError, Source, SourceContext};
use model::Networks;
use model::event::NetworkInfo;
use std::net::IpAddr;

/// The network formats this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetFormat {
    /// A pcap or pcapng packet capture (flows are rebuilt).
    Pcap,
    /// NetFlow v5/v9 or IPFIX export messages stored back to back.
    NetflowFile,
    /// A pcap/pcapng capture of NetFlow/IPFIX export datagrams.
    NetflowCapture,
    /// Squid native access log.
    Squid,
    /// W3C extended log (IIS, Blue Coat and other proxies).
    W3c,
    /// Firewall or flow export as CSV with a header (`[sources.firewall]`).
    FirewallCsv,
    /// BIND query log.
    BindQuery,
    /// Windows DNS server debug log.
    WindowsDns,
    /// RFC 3164/5424 syslog (with pfSense, iptables and BIND lines recognised).
    Syslog,
    /// Suricata EVE JSON (flows, DNS, HTTP, TLS, alerts).
    SuricataEve,
    /// Fortinet FortiGate key=value records (traffic, UTM, event logs).
    Fortigate,
}

impl NetFormat {
    /// Short name for summaries (`pcap`, `netflow-v9`, `squid`...).
    pub fn name(self) -> &'static str {
        match self {
            NetFormat::Pcap => "pcap",
            NetFormat::NetflowFile => "netflow",
            NetFormat::NetflowCapture => "netflow-pcap",
            NetFormat::Squid => "squid",
            NetFormat::W3c => "w3c",
            NetFormat::FirewallCsv => "firewall-csv",
            NetFormat::BindQuery => "bind-query",
            NetFormat::WindowsDns => "windows-dns",
            NetFormat::Syslog => "syslog",
            NetFormat::SuricataEve => "suricata-eve",
            NetFormat::Fortigate => "fortigate",
        }
    }
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Recognises a network format from the first bytes of an input.
pub fn sniff(head: &[u8]) -> Option<NetFormat> {
    let magic: [u8; 4] = head.get(..4)?.try_into().ok()?;
    if PCAP_MAGICS.contains(&magic) || magic == PCAPNG_MAGIC {
        if netflow::sniff_capture(head) {
            return Some(NetFormat::NetflowCapture);
        }
        return Some(NetFormat::Pcap);
    }
    if netflow::looks_like_message(head) {
        return Some(NetFormat::NetflowFile);
    }
    sniff_text(head)
}

/// Text formats, from the first complete lines of the head.
fn sniff_text(head: &[u8]) -> Option<NetFormat> {
    if head.contains(&0) {
        return None;
    }
    let lines = text::head_lines(head, 8);
    let first = lines.first()?;
    if first.starts_with('{') {
        return suricata::sniff_eve(&lines).then_some(NetFormat::SuricataEve);
    }
    if fortigate::sniff(&lines) {
        return Some(NetFormat::Fortigate);
    }
    if proxy::sniff_w3c(&lines) {
        Some(NetFormat::W3c)
    } else if dnslog::sniff_windows_dns(&lines) {
        Some(NetFormat::WindowsDns)
    } else if dnslog::is_bind_query(first)
        && !first.starts_with('<')
        && syslog::parse_line(first, 2000).is_none()
    {
        Some(NetFormat::BindQuery)
    } else if proxy::sniff_squid(&lines) {
        Some(NetFormat::Squid)
    } else if syslog::sniff(&lines, 2000) {
        Some(NetFormat::Syslog)
    } else if firewall::sniff_csv(&lines) {
        Some(NetFormat::FirewallCsv)
    } else {
        None
    }
}

/// Opens a reader for a sniffed network format.
pub fn open(
    format: NetFormat,
    input: Input,
    ctx: &SourceContext,
) -> Result<Box<dyn Source>, OpenError> {
    match format {
        NetFormat::Pcap => Ok(Box::new(pcap::PcapFlowSource::open(input, ctx)?)),
        NetFormat::NetflowFile => Ok(Box::new(netflow::NetflowFileSource::open(input, ctx))),
        NetFormat::NetflowCapture => Ok(Box::new(netflow::NetflowPcapSource::open(input, ctx)?)),
        NetFormat::Squid => Ok(Box::new(text::LineSource::new(
            input,
            ctx,
            proxy::SquidParser,
        ))),
        NetFormat::W3c => Ok(Box::new(text::LineSource::new(
            input,
            ctx,
            proxy::W3cParser::default(),
        ))),
        NetFormat::FirewallCsv => {
            let config = firewall::FirewallCsvConfig::from_context(ctx).map_err(|detail| {
                OpenError::Invalid {
                    path: input.path.to_string(),
                    detail,
                }
            })?;
            let parser = firewall::FirewallCsvParser::new(config);
            Ok(Box::new(text::LineSource::new(input, ctx, parser)))
        }
        NetFormat::BindQuery => Ok(Box::new(text::LineSource::new(
            input,
            ctx,
            dnslog::BindParser,
        ))),
        NetFormat::WindowsDns => Ok(Box::new(text::LineSource::new(
            input,
            ctx,
            dnslog::WindowsDnsParser,
        ))),
        NetFormat::Syslog => Ok(Box::new(text::LineSource::new(
            input,
            ctx,
            syslog::SyslogParser::default(),
        ))),
        NetFormat::SuricataEve => Ok(Box::new(text::LineSource::new(
            input,
            ctx,
            suricata::EveParser::default(),
        ))),
        NetFormat::Fortigate => Ok(Box::new(text::LineSource::new(
            input,
            ctx,
            fortigate::FortigateParser,
        ))),
    }
}

/// An address and port.
pub type Endpoint = (IpAddr, u16);

/// Whether a host name is a domain (not an IP literal), for `destination.domain`.
pub fn is_domain(host: &str) -> bool {
    !host.is_empty()
        && host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_err()
}

/// A conversation's endpoints put internal-first, with who started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Oriented {
    /// The internal side (or the initiator when both or neither are internal).
    pub source: Endpoint,
    /// The other side.
    pub destination: Endpoint,
    /// Whether source and destination are the reverse of initiator and responder.
    pub swapped: bool,
    /// ECS `network.direction` judged from the initiator.
    pub direction: &'static str,
}

/// Orients a conversation from `initiator` to `responder`: the internal side
/// becomes the source; when both or neither side is internal the initiator stays
/// the source.
pub fn orient(networks: &Networks, initiator: Endpoint, responder: Endpoint) -> Oriented {
    let init_internal = networks.is_internal(initiator.0);
    let resp_internal = networks.is_internal(responder.0);
    let resp_external = networks.is_external(responder.0);
    let direction = match (init_internal, resp_internal) {
        (true, _) if !resp_external => "internal",
        (true, _) => "outbound",
        (false, true) => "inbound",
        (false, false) => "external",
    };
    let swapped = resp_internal && !init_internal;
    let (source, destination) = if swapped {
        (responder, initiator)
    } else {
        (initiator, responder)
    };
    Oriented {
        source,
        destination,
        swapped,
        direction,
    }
}

impl Oriented {
    /// Writes addresses, ports and direction into the network facts.
    pub fn fill(&self, net: &mut NetworkInfo) {
        net.source_ip = Some(self.source.0);
        net.source_port = Some(self.source.1);
        net.destination_ip = Some(self.destination.0);
        net.destination_port = Some(self.destination.1);
        net.direction = Some(self.direction.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_host_becomes_the_source() {
        let nets = Networks::default();
        let web: Endpoint = ("93.184.216.34".parse().unwrap(), 443);
        let ws: Endpoint = ("10.1.2.3".parse().unwrap(), 50000);
        let o = orient(&nets, web, ws);
        assert!(o.swapped);
        assert_eq!(o.source, ws);
        assert_eq!(o.direction, "inbound");
        let o = orient(&nets, ws, web);
        assert!(!o.swapped);
        assert_eq!(o.direction, "outbound");
        let mcast: Endpoint = ("239.255.255.250".parse().unwrap(), 1900);
        assert_eq!(orient(&nets, ws, mcast).direction, "internal");
    }

    #[test]
    fn sniffs_captures() {
        assert_eq!(
            sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]),
            Some(NetFormat::Pcap)
        );
        assert_eq!(sniff(&PCAPNG_MAGIC), Some(NetFormat::Pcap));
        assert_eq!(sniff(b"{\"a\":1}"), None);
        assert_eq!(sniff(b""), None);
    }
}
