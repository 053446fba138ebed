//! One captured frame to the addresses, ports, flags and payload a flow needs.
//!
//! Link layers: Ethernet (with VLAN/QinQ through etherparse), Linux cooked capture
//! v1 (SLL) and v2 (SLL2), raw IP, and BSD loopback (NULL/LOOP). Truncated frames
//! (snap length) still count with their on-the-wire sizes.

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};
use std::net::IpAddr;

/// pcap link types this module decodes.
pub const LINKTYPE_NULL: i32 = 0;
/// Ethernet.
pub const LINKTYPE_ETHERNET: i32 = 1;
/// Raw IP (OpenBSD value).
pub const LINKTYPE_RAW_OPENBSD: i32 = 12;
/// Raw IP.
pub const LINKTYPE_RAW: i32 = 101;
/// OpenBSD loopback.
pub const LINKTYPE_LOOP: i32 = 108;
/// Linux cooked capture v1.
pub const LINKTYPE_LINUX_SLL: i32 = 113;
/// Raw IPv4.
pub const LINKTYPE_IPV4: i32 = 228;
/// Raw IPv6.
pub const LINKTYPE_IPV6: i32 = 229;
/// Linux cooked capture v2.
pub const LINKTYPE_LINUX_SLL2: i32 = 276;

/// TCP flags of a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
}

/// What a flow needs from one IP packet.
#[derive(Clone, Debug)]
pub struct PacketInfo<'a> {
    /// Sender address.
    pub src: IpAddr,
    /// Receiver address.
    pub dst: IpAddr,
    /// IP protocol number.
    pub protocol: u8,
    /// Sender port (ICMP type).
    pub src_port: u16,
    /// Receiver port (ICMP code).
    pub dst_port: u16,
    /// TCP flags (all false for other transports).
    pub flags: Flags,
    /// The payload bytes present in the capture (may be cut by the snap length).
    pub payload: &'a [u8],
    /// Payload length as the headers declare it (what was sent on the wire).
    pub payload_len: u64,
    /// Whether this is a non-first IP fragment (no transport header).
    pub fragment: bool,
}

/// Why a frame gave no packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not IP (ARP, LLDP, STP...): normal, only counted.
    NotIp,
    /// Link type not supported.
    UnsupportedLink,
    /// A malformed or truncated header: counted and reported.
    Malformed(&'static str),
}

/// Decodes one frame of the given link type.
pub fn decode(linktype: i32, frame: &[u8]) -> Result<PacketInfo<'_>, Skip> {
    let sliced = match linktype {
        LINKTYPE_ETHERNET => LaxSlicedPacket::from_ethernet(frame)
            .map_err(|_| Skip::Malformed("truncated ethernet header"))?,
        LINKTYPE_RAW | LINKTYPE_RAW_OPENBSD | LINKTYPE_IPV4 | LINKTYPE_IPV6 => {
            LaxSlicedPacket::from_ip(frame).map_err(|_| Skip::Malformed("bad IP header"))?
        }
        LINKTYPE_LINUX_SLL => {
            let ether_type = be16(frame, 14).ok_or(Skip::Malformed("truncated SLL header"))?;
            LaxSlicedPacket::from_ether_type(EtherType(ether_type), &frame[16..])
        }
        LINKTYPE_LINUX_SLL2 => {
            let ether_type = be16(frame, 0).ok_or(Skip::Malformed("truncated SLL2 header"))?;
            if frame.len() < 20 {
                return Err(Skip::Malformed("truncated SLL2 header"));
            }
            LaxSlicedPacket::from_ether_type(EtherType(ether_type), &frame[20..])
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            if frame.len() < 4 {
                return Err(Skip::Malformed("truncated loopback header"));
            }
            LaxSlicedPacket::from_ip(&frame[4..]).map_err(|_| Skip::NotIp)?
        }
        _ => return Err(Skip::UnsupportedLink),
    };
    from_sliced(sliced)
}

fn be16(data: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(pos)?, *data.get(pos + 1)?]))
}

fn from_sliced(sliced: LaxSlicedPacket<'_>) -> Result<PacketInfo<'_>, Skip> {
    let (src, dst, ip_payload_len, payload_info) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(ipv4)) => {
            let header = ipv4.header();
            let declared = (header.total_len() as u64).saturating_sub(header.slice().len() as u64);
            (
                IpAddr::from(header.source()),
                IpAddr::from(header.destination()),
                declared,
                ipv4.payload(),
            )
        }
        Some(LaxNetSlice::Ipv6(ipv6)) => {
            let header = ipv6.header();
            let ext_len = ipv6.extensions().slice().len() as u64;
            let declared = (header.payload_length() as u64).saturating_sub(ext_len);
            (
                IpAddr::from(header.source()),
                IpAddr::from(header.destination()),
                declared,
                ipv6.payload(),
            )
        }
        Some(LaxNetSlice::Arp(_)) | None => {
            return match sliced.stop_err {
                Some((
                    _,
                    etherparse::err::Layer::Ipv4Header | etherparse::err::Layer::Ipv6Header,
                )) => Err(Skip::Malformed("bad IP header")),
                _ => Err(Skip::NotIp),
            };
        }
    };
    // A jumbogram or a lax header can declare 0: fall back to what is present.
    let ip_payload_len = if ip_payload_len == 0 || !payload_info.incomplete {
        payload_info.payload.len() as u64
    } else {
        ip_payload_len
    };
    let mut info = PacketInfo {
        src,
        dst,
        protocol: payload_info.ip_number.0,
        src_port: 0,
        dst_port: 0,
        flags: Flags::default(),
        payload: &[],
        payload_len: 0,
        fragment: payload_info.fragmented,
    };
    match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            info.src_port = tcp.source_port();
            info.dst_port = tcp.destination_port();
            info.flags = Flags {
                syn: tcp.syn(),
                ack: tcp.ack(),
                fin: tcp.fin(),
                rst: tcp.rst(),
            };
            info.payload = tcp.payload();
            let header_len = (tcp.data_offset() as u64) * 4;
            info.payload_len = ip_payload_len.saturating_sub(header_len);
        }
        Some(TransportSlice::Udp(udp)) => {
            info.src_port = udp.source_port();
            info.dst_port = udp.destination_port();
            info.payload = udp.payload();
            info.payload_len = (udp.length() as u64).saturating_sub(8);
            if info.payload_len == 0 && ip_payload_len > 8 {
                info.payload_len = ip_payload_len - 8;
            }
        }
        Some(TransportSlice::Icmpv4(icmp)) => {
            let header = icmp.header();
            let bytes = header.to_bytes();
            info.src_port = bytes[0] as u16;
            info.dst_port = bytes[1] as u16;
            info.payload = icmp.payload();
            info.payload_len = ip_payload_len.saturating_sub(8);
        }
        Some(TransportSlice::Icmpv6(icmp)) => {
            let bytes = icmp.header().to_bytes();
            info.src_port = bytes[0] as u16;
            info.dst_port = bytes[1] as u16;
            info.payload = icmp.payload();
            info.payload_len = ip_payload_len.saturating_sub(8);
        }
        _ => {
            if !info.fragment && matches!(info.protocol, 6 | 17) && sliced.stop_err.is_some() {
                return Err(Skip::Malformed("truncated transport header"));
            }
            info.payload = payload_info.payload;
            info.payload_len = ip_payload_len;
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    #[test]
    fn decodes_tcp_over_vlan_and_sll2() {
        let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
            .single_vlan(etherparse::VlanId::try_new(7).unwrap())
            .ipv4([10, 0, 0, 1], [8, 8, 8, 8], 64)
            .tcp(40000, 443, 1, 1000)
            .syn();
        let mut frame = Vec::new();
        builder.write(&mut frame, b"hello").unwrap();
        let info = decode(LINKTYPE_ETHERNET, &frame).unwrap();
        assert_eq!(info.dst_port, 443);
        assert!(info.flags.syn);
        assert_eq!(info.payload_len, 5);

        let ip_only = PacketBuilder::ipv4([10, 0, 0, 1], [8, 8, 8, 8], 64).udp(5353, 53);
        let mut ip = Vec::new();
        ip_only.write(&mut ip, b"abcd").unwrap();
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.extend_from_slice(&ip);
        let info = decode(LINKTYPE_LINUX_SLL2, &sll2).unwrap();
        assert_eq!(
            (info.src_port, info.dst_port, info.payload_len),
            (5353, 53, 4)
        );

        // Snap length cut: the declared payload size survives.
        let info = decode(LINKTYPE_RAW, &ip[..ip.len() - 2]).unwrap();
        assert_eq!(info.payload_len, 4);
        assert_eq!(info.payload.len(), 2);
    }

    #[test]
    fn garbage_is_skipped_not_panicking() {
        assert!(decode(LINKTYPE_ETHERNET, &[0u8; 3]).is_err());
        assert!(decode(LINKTYPE_LINUX_SLL, &[0u8; 10]).is_err());
        assert_eq!(decode(4242, &[0u8; 64]).unwrap_err(), Skip::UnsupportedLink);
    }
}
