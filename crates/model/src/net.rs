//! Internal networks and traffic direction.

use ipnet::IpNet;
use std::net::IpAddr;

/// The organisation's internal address space (`[network] internal` in the config).
#[derive(Clone, Debug, PartialEq)]
pub struct Networks {
    internal: Vec<IpNet>,
}

/// The default internal ranges: RFC 1918 and IPv6 unique local addresses.
pub const DEFAULT_INTERNAL: [&str; 4] =
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

impl Default for Networks {
    fn default() -> Self {
        Networks::new(
            DEFAULT_INTERNAL
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
        )
    }
}

impl Networks {
    /// From a list of CIDRs.
    pub fn new(internal: Vec<IpNet>) -> Self {
        Networks { internal }
    }

    /// The internal ranges.
    pub fn internal(&self) -> &[IpNet] {
        &self.internal
    }

    /// Whether `ip` is inside the internal ranges.
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.internal.iter().any(|net| net.contains(&ip))
    }

    /// Whether traffic to `ip` can never be outbound: multicast, broadcast,
    /// link-local, loopback or unspecified.
    pub fn is_special(ip: IpAddr) -> bool {
        match canonical(ip) {
            IpAddr::V4(v4) => {
                v4.is_multicast()
                    || v4.is_broadcast()
                    || v4.is_link_local()
                    || v4.is_loopback()
                    || v4.is_unspecified()
                    || v4.octets()[3] == 255 && v4.is_private()
            }
            IpAddr::V6(v6) => {
                v6.is_multicast()
                    || v6.is_loopback()
                    || v6.is_unspecified()
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        }
    }

    /// Whether a flow from `source` to `destination` leaves the organisation.
    pub fn is_outbound(&self, source: IpAddr, destination: IpAddr) -> bool {
        self.is_internal(source) && !self.is_internal(destination) && !Self::is_special(destination)
    }

    /// Whether `ip` is an external (internet) address worth tracking as a destination.
    pub fn is_external(&self, ip: IpAddr) -> bool {
        !self.is_internal(ip) && !Self::is_special(ip)
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction() {
        let nets = Networks::default();
        let ws: IpAddr = "10.1.2.3".parse().unwrap();
        let web: IpAddr = "93.184.216.34".parse().unwrap();
        assert!(nets.is_outbound(ws, web));
        assert!(!nets.is_outbound(web, ws));
        assert!(!nets.is_outbound(ws, "239.255.255.250".parse().unwrap()));
        assert!(!nets.is_outbound(ws, "169.254.1.1".parse().unwrap()));
        assert!(!nets.is_outbound(ws, "10.9.9.9".parse().unwrap()));
        assert!(nets.is_internal("::ffff:192.168.1.1".parse().unwrap()));
    }
}
