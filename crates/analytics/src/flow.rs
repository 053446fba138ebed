//! The outbound-transfer view of an event that the transfer detectors share.
//!
//! A transfer is a connection, flow or proxied request from an internal source to
//! an external destination (`[network] internal`); multicast, broadcast and
//! link-local destinations never count. HTTP records from Zeek or pcap are skipped
//! for bytes because the connection record of the same session already counts them.

use crate::keys::{ip_key, name_key, registered_domain};
use model::{Event, EventKind, Networks, Signal, Timestamp};
use std::net::IpAddr;

/// The internal ranges as masks, for a direction test in a few nanoseconds (the
/// detectors each ask it once per event).
#[derive(Clone, Debug, Default)]
pub struct FastNetworks {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl FastNetworks {
    /// From the configured internal networks.
    pub fn new(networks: &Networks) -> Self {
        let mut fast = FastNetworks::default();
        for net in networks.internal() {
            match net {
                ipnet::IpNet::V4(n) => fast
                    .v4
                    .push((u32::from(n.network()), u32::from(n.netmask()))),
                ipnet::IpNet::V6(n) => fast
                    .v6
                    .push((u128::from(n.network()), u128::from(n.netmask()))),
            }
        }
        fast
    }

    /// Whether `ip` is inside the internal ranges.
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        match model::net::canonical(ip) {
            IpAddr::V4(v4) => {
                let bits = u32::from(v4);
                self.v4.iter().any(|(net, mask)| bits & mask == *net)
            }
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                self.v6.iter().any(|(net, mask)| bits & mask == *net)
            }
        }
    }

    /// Whether `ip` is outside the internal ranges and not special (multicast,
    /// broadcast, link-local, loopback, unspecified).
    pub fn is_external(&self, ip: IpAddr) -> bool {
        !self.is_internal(ip) && !Networks::is_special(ip)
    }

    /// Whether a flow from `source` to `destination` leaves the organisation.
    pub fn is_outbound(&self, source: IpAddr, destination: IpAddr) -> bool {
        self.is_internal(source) && self.is_external(destination)
    }
}

/// One outbound transfer, borrowed from its event.
#[derive(Clone, Copy, Debug)]
pub struct Transfer<'a> {
    /// Event time.
    pub ts: Timestamp,
    /// Key of the sending host (its IP when known, else its name).
    pub host_key: u64,
    /// The sending host's name.
    pub host_name: Option<&'a str>,
    /// The sending host's address.
    pub host_ip: Option<IpAddr>,
    /// The user, when the record names one.
    pub user: Option<&'a str>,
    /// Key of the destination (full domain name when known, else IP).
    pub dest_key: u64,
    /// Key of the destination's registered domain (or IP).
    pub registered_key: u64,
    /// Destination address.
    pub dest_ip: Option<IpAddr>,
    /// Destination name (domain, HTTP host or SNI).
    pub dest_name: Option<&'a str>,
    /// Destination port.
    pub port: Option<u16>,
    /// Bytes the host sent.
    pub bytes_out: u64,
    /// Bytes the host received.
    pub bytes_in: u64,
    /// The event behind it.
    pub event: &'a Event,
}

/// Whether an event kind can carry a transfer.
pub fn is_transfer_kind(kind: EventKind) -> bool {
    matches!(kind, EventKind::Network | EventKind::Http)
}

fn is_session_duplicate(event: &Event) -> bool {
    event.kind == EventKind::Http
        && event
            .dataset
            .as_deref()
            .is_some_and(|d| d.starts_with("zeek.") || d.starts_with("pcap."))
}

impl<'a> Transfer<'a> {
    /// The transfer an event records, when it is outbound.
    pub fn from_event(event: &'a Event, networks: &FastNetworks) -> Option<Transfer<'a>> {
        if !is_transfer_kind(event.kind) || is_session_duplicate(event) {
            return None;
        }
        let net = event.network.as_deref();
        let http = event.http.as_deref();
        let source_ip = net.and_then(|n| n.source_ip).or(event.host_ip);
        let dest_ip = net.and_then(|n| n.destination_ip);
        let dest_name = event.destination_name().filter(|n| !n.is_empty());
        match (source_ip, dest_ip) {
            (Some(src), Some(dst)) if !networks.is_outbound(src, dst) => return None,
            (None, Some(dst)) if !networks.is_external(dst) => return None,
            (Some(src), None) if !networks.is_internal(src) => return None,
            (_, None) if dest_name.is_none() => return None,
            _ => {}
        }
        let host_name = event.host_name.as_deref().filter(|n| !n.is_empty());
        let host_key = match (source_ip, host_name) {
            (Some(ip), _) => ip_key(ip),
            (None, Some(name)) => name_key(name),
            (None, None) => return None,
        };
        let (dest_key, registered_key) = match (dest_name, dest_ip) {
            (Some(name), _) => (name_key(name), name_key(registered_domain(name))),
            (None, Some(ip)) => (ip_key(ip), ip_key(ip)),
            (None, None) => return None,
        };
        let bytes_out = net
            .and_then(|n| n.source_bytes)
            .or_else(|| http.and_then(|h| h.request_body_bytes))
            .unwrap_or(0);
        let bytes_in = net
            .and_then(|n| n.destination_bytes)
            .or_else(|| http.and_then(|h| h.response_body_bytes))
            .unwrap_or(0);
        Some(Transfer {
            ts: event.timestamp,
            host_key,
            host_name,
            host_ip: source_ip,
            user: event.user_name.as_deref().filter(|u| !u.is_empty()),
            dest_key,
            registered_key,
            dest_ip,
            dest_name,
            port: net.and_then(|n| n.destination_port),
            bytes_out,
            bytes_in,
            event,
        })
    }

    /// The registered domain of the destination name, else the IP as text.
    pub fn registered_name(&self) -> String {
        match (self.dest_name, self.dest_ip) {
            (Some(name), _) => registered_domain(name).to_ascii_lowercase(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => String::new(),
        }
    }

    /// Copies host, user and destination onto a signal.
    pub fn describe(&self, signal: &mut Signal) {
        signal.host_name = self.host_name.map(str::to_string);
        signal.host_ip = self.host_ip;
        signal.user_name = self.user.map(str::to_string);
        signal.destination_ip = self.dest_ip;
        signal.destination_domain = self.dest_name.map(str::to_ascii_lowercase);
        signal.destination_port = self.port;
    }
}

/// A new analytic signal with the common fields set.
pub fn new_signal(
    detector: &str,
    rule_id: &str,
    rule_name: &str,
    ts: Timestamp,
    stage: model::Stage,
    techniques: &[&str],
) -> Signal {
    Signal {
        detector: detector.into(),
        rule_id: rule_id.into(),
        rule_name: rule_name.into(),
        timestamp: ts,
        stage,
        techniques: techniques.iter().map(|t| (*t).into()).collect(),
        ..Signal::default()
    }
}

/// Human-readable bytes for rule names and sentences (`12.3 MB`).
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(src: &str, dst: &str, out: u64) -> Event {
        let mut event = Event {
            kind: EventKind::Network,
            ..Event::default()
        };
        let n = event.network_mut();
        n.source_ip = Some(src.parse().unwrap());
        n.destination_ip = Some(dst.parse().unwrap());
        n.source_bytes = Some(out);
        event
    }

    #[test]
    fn only_internal_to_external_is_outbound() {
        let nets = FastNetworks::new(&Networks::default());
        assert!(Transfer::from_event(&flow("10.0.0.5", "93.184.216.34", 10), &nets).is_some());
        assert!(Transfer::from_event(&flow("93.184.216.34", "10.0.0.5", 10), &nets).is_none());
        assert!(Transfer::from_event(&flow("10.0.0.5", "239.255.255.250", 10), &nets).is_none());
        assert!(Transfer::from_event(&flow("10.0.0.5", "169.254.3.3", 10), &nets).is_none());
        assert!(Transfer::from_event(&flow("10.0.0.5", "10.0.0.9", 10), &nets).is_none());
    }

    #[test]
    fn fast_networks_agree_with_the_model() {
        let model = Networks::default();
        let fast = FastNetworks::new(&model);
        for ip in [
            "10.1.2.3",
            "172.31.0.1",
            "172.32.0.1",
            "192.168.9.9",
            "8.8.8.8",
            "fd00::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "239.255.255.250",
            "169.254.1.1",
            "fe80::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(fast.is_internal(ip), model.is_internal(ip), "{ip}");
            assert_eq!(fast.is_external(ip), model.is_external(ip), "{ip}");
        }
    }

    #[test]
    fn zeek_http_is_not_counted_twice() {
        let nets = FastNetworks::new(&Networks::default());
        let mut event = flow("10.0.0.5", "93.184.216.34", 10);
        event.kind = EventKind::Http;
        event.dataset = Some("zeek.http".into());
        assert!(Transfer::from_event(&event, &nets).is_none());
        event.dataset = Some("squid.access".into());
        assert!(Transfer::from_event(&event, &nets).is_some());
    }

    #[test]
    fn bytes_read_as_units() {
        assert_eq!(human_bytes(999.0), "999 B");
        assert_eq!(human_bytes(2_500_000.0), "2.5 MB");
    }
}
