//! Writers for the network formats this crate reads, so that tests, benchmarks and
//! the `simulate` generator can produce captures and flow exports with known
//! content instead of depending on someone else's files.
//!
//! * [`PcapWriter`]: a classic libpcap file (Ethernet, microsecond timestamps) with
//!   helpers that build IPv4/IPv6 TCP and UDP packets, and [`TcpConversation`] which
//!   writes a whole TCP connection (handshake, data split into segments, FIN or RST).
//! * [`IpfixWriter`]: IPFIX (RFC 7011) messages carrying one template per address
//!   family and data records built from [`FlowRecord`]s.
//!
//! ```
//! use sources::net::write::{PcapWriter, TcpConversation};
//! use model::Timestamp;
//! let mut pcap = PcapWriter::new(Vec::new()).unwrap();
//! let client = "10.0.0.5:50000".parse().unwrap();
//! let server = "198.51.100.7:443".parse().unwrap();
//! let mut conn = TcpConversation::open(&mut pcap, Timestamp::from_secs(1_700_000_000), client, server).unwrap();
//! conn.send(&mut pcap, Timestamp::from_secs(1_700_000_001), true, &[0u8; 3000]).unwrap();
//! conn.close(&mut pcap, Timestamp::from_secs(1_700_000_002)).unwrap();
//! assert!(pcap.into_inner().len() > 3000);
//! ```

use etherparse::{IpHeaders, IpNumber, Ipv4Header, Ipv6Header, PacketBuilder};
use model::Timestamp;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
/// Segment size used by [`TcpConversation::send`].
pub const TCP_SEGMENT_BYTES: usize = 1448;

/// TCP flags of one written segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// PSH.
    pub psh: bool,
}

/// Writes a classic pcap file (link type Ethernet, microsecond timestamps).
pub struct PcapWriter<W: Write> {
    out: W,
    frames: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header and returns the writer.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?; // thiszone
        out.write_all(&0u32.to_le_bytes())?; // sigfigs
        out.write_all(&262_144u32.to_le_bytes())?; // snaplen
        out.write_all(&1u32.to_le_bytes())?; // LINKTYPE_ETHERNET
        Ok(PcapWriter { out, frames: 0 })
    }

    /// Writes one Ethernet frame captured at `ts`.
    pub fn write_frame(&mut self, ts: Timestamp, frame: &[u8]) -> io::Result<()> {
        let secs = ts.0.div_euclid(1_000_000);
        let micros = ts.0.rem_euclid(1_000_000);
        let secs = u32::try_from(secs)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "time outside pcap range"))?;
        let len = u32::try_from(frame.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
        self.out.write_all(&secs.to_le_bytes())?;
        self.out.write_all(&(micros as u32).to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(frame)?;
        self.frames += 1;
        Ok(())
    }

    /// Writes a UDP datagram from `src` to `dst` (both IPv4 or both IPv6).
    pub fn write_udp(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> io::Result<()> {
        let builder = PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
            .ip(ip_headers(src.ip(), dst.ip(), IpNumber::UDP)?)
            .udp(src.port(), dst.port());
        let mut frame = Vec::with_capacity(builder.size(payload.len()));
        builder
            .write(&mut frame, payload)
            .map_err(io::Error::other)?;
        self.write_frame(ts, &frame)
    }

    /// Writes one TCP segment.
    #[allow(clippy::too_many_arguments)]
    pub fn write_tcp(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        flags: TcpFlags,
        seq: u32,
        ack: u32,
        payload: &[u8],
    ) -> io::Result<()> {
        let mut builder = PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
            .ip(ip_headers(src.ip(), dst.ip(), IpNumber::TCP)?)
            .tcp(src.port(), dst.port(), seq, 64_240);
        if flags.syn {
            builder = builder.syn();
        }
        if flags.ack {
            builder = builder.ack(ack);
        }
        if flags.fin {
            builder = builder.fin();
        }
        if flags.rst {
            builder = builder.rst();
        }
        if flags.psh {
            builder = builder.psh();
        }
        let mut frame = Vec::with_capacity(builder.size(payload.len()));
        builder
            .write(&mut frame, payload)
            .map_err(io::Error::other)?;
        self.write_frame(ts, &frame)
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> W {
        let _ = self.out.flush();
        self.out
    }
}

fn ip_headers(src: IpAddr, dst: IpAddr, protocol: IpNumber) -> io::Result<IpHeaders> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let header = Ipv4Header::new(0, 64, protocol, s.octets(), d.octets())
                .map_err(io::Error::other)?;
            Ok(IpHeaders::Ipv4(header, Default::default()))
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let header = Ipv6Header {
                next_header: protocol,
                hop_limit: 64,
                source: s.octets(),
                destination: d.octets(),
                ..Default::default()
            };
            Ok(IpHeaders::Ipv6(header, Default::default()))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "source and destination must be the same address family",
        )),
    }
}

/// A TCP connection being written: keeps both sides' sequence numbers so the
/// segments form a consistent stream.
#[derive(Clone, Debug)]
pub struct TcpConversation {
    client: SocketAddr,
    server: SocketAddr,
    client_seq: u32,
    server_seq: u32,
}

impl TcpConversation {
    /// Writes the three-way handshake (SYN, SYN-ACK, ACK) at `ts` (1 ms apart).
    pub fn open<W: Write>(
        pcap: &mut PcapWriter<W>,
        ts: Timestamp,
        client: SocketAddr,
        server: SocketAddr,
    ) -> io::Result<Self> {
        let mut conn = TcpConversation {
            client,
            server,
            client_seq: 1_000,
            server_seq: 5_000,
        };
        let syn = TcpFlags {
            syn: true,
            ..Default::default()
        };
        pcap.write_tcp(ts, client, server, syn, conn.client_seq, 0, &[])?;
        conn.client_seq += 1;
        let syn_ack = TcpFlags {
            syn: true,
            ack: true,
            ..Default::default()
        };
        let t1 = Timestamp(ts.0 + 1_000);
        pcap.write_tcp(
            t1,
            server,
            client,
            syn_ack,
            conn.server_seq,
            conn.client_seq,
            &[],
        )?;
        conn.server_seq += 1;
        conn.ack(pcap, Timestamp(ts.0 + 2_000), true)?;
        Ok(conn)
    }

    /// A conversation whose handshake was not captured (the capture started
    /// mid-stream); nothing is written.
    pub fn midstream(client: SocketAddr, server: SocketAddr) -> Self {
        TcpConversation {
            client,
            server,
            client_seq: 1_000,
            server_seq: 5_000,
        }
    }

    fn ack<W: Write>(
        &self,
        pcap: &mut PcapWriter<W>,
        ts: Timestamp,
        from_client: bool,
    ) -> io::Result<()> {
        let flags = TcpFlags {
            ack: true,
            ..Default::default()
        };
        let (src, dst, seq, ack) = self.endpoints(from_client);
        pcap.write_tcp(ts, src, dst, flags, seq, ack, &[])
    }

    fn endpoints(&self, from_client: bool) -> (SocketAddr, SocketAddr, u32, u32) {
        if from_client {
            (self.client, self.server, self.client_seq, self.server_seq)
        } else {
            (self.server, self.client, self.server_seq, self.client_seq)
        }
    }

    /// Sends `data` from the client (`from_client`) or the server in segments of
    /// [`TCP_SEGMENT_BYTES`], all stamped `ts`.
    pub fn send<W: Write>(
        &mut self,
        pcap: &mut PcapWriter<W>,
        ts: Timestamp,
        from_client: bool,
        data: &[u8],
    ) -> io::Result<()> {
        let flags = TcpFlags {
            ack: true,
            psh: true,
            ..Default::default()
        };
        for chunk in data.chunks(TCP_SEGMENT_BYTES) {
            let (src, dst, seq, ack) = self.endpoints(from_client);
            pcap.write_tcp(ts, src, dst, flags, seq, ack, chunk)?;
            let next = seq.wrapping_add(chunk.len() as u32);
            if from_client {
                self.client_seq = next;
            } else {
                self.server_seq = next;
            }
        }
        Ok(())
    }

    /// Closes with FIN from the client, FIN from the server, and the last ACK.
    pub fn close<W: Write>(&mut self, pcap: &mut PcapWriter<W>, ts: Timestamp) -> io::Result<()> {
        let fin = TcpFlags {
            fin: true,
            ack: true,
            ..Default::default()
        };
        let (src, dst, seq, ack) = self.endpoints(true);
        pcap.write_tcp(ts, src, dst, fin, seq, ack, &[])?;
        self.client_seq += 1;
        let (src, dst, seq, ack) = self.endpoints(false);
        pcap.write_tcp(Timestamp(ts.0 + 1_000), src, dst, fin, seq, ack, &[])?;
        self.server_seq += 1;
        self.ack(pcap, Timestamp(ts.0 + 2_000), true)
    }

    /// Aborts with a RST from the client (`from_client`) or the server.
    pub fn reset<W: Write>(
        &mut self,
        pcap: &mut PcapWriter<W>,
        ts: Timestamp,
        from_client: bool,
    ) -> io::Result<()> {
        let rst = TcpFlags {
            rst: true,
            ack: true,
            ..Default::default()
        };
        let (src, dst, seq, ack) = self.endpoints(from_client);
        pcap.write_tcp(ts, src, dst, rst, seq, ack, &[])
    }
}

/// One unidirectional flow for [`IpfixWriter`]: what an exporter saw going from
/// `source` to `destination`.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowRecord {
    /// First packet time.
    pub start: Timestamp,
    /// Last packet time.
    pub end: Timestamp,
    /// Sender address and port.
    pub source: SocketAddr,
    /// Receiver address and port.
    pub destination: SocketAddr,
    /// IP protocol number (6 TCP, 17 UDP).
    pub protocol: u8,
    /// Packets sent.
    pub packets: u64,
    /// Octets sent (IP bytes, as exporters count them).
    pub octets: u64,
    /// Cumulative TCP flags.
    pub tcp_flags: u8,
}

/// IPFIX information elements of the templates [`IpfixWriter`] writes, in order:
/// (element id, length).
const IPFIX_V4_FIELDS: [(u16, u16); 10] = [
    (152, 8), // flowStartMilliseconds
    (153, 8), // flowEndMilliseconds
    (8, 4),   // sourceIPv4Address
    (12, 4),  // destinationIPv4Address
    (7, 2),   // sourceTransportPort
    (11, 2),  // destinationTransportPort
    (4, 1),   // protocolIdentifier
    (6, 1),   // tcpControlBits
    (2, 8),   // packetDeltaCount
    (1, 8),   // octetDeltaCount
];
const IPFIX_V6_FIELDS: [(u16, u16); 10] = [
    (152, 8),
    (153, 8),
    (27, 16), // sourceIPv6Address
    (28, 16), // destinationIPv6Address
    (7, 2),
    (11, 2),
    (4, 1),
    (6, 1),
    (2, 8),
    (1, 8),
];
/// Template id of IPv4 records written by [`IpfixWriter`].
pub const IPFIX_V4_TEMPLATE_ID: u16 = 256;
/// Template id of IPv6 records written by [`IpfixWriter`].
pub const IPFIX_V6_TEMPLATE_ID: u16 = 257;

/// Writes IPFIX messages (RFC 7011) as an export file: a stream of messages, each
/// self-delimited by its length, as a collector would store them.
///
/// The first message carries the templates; [`IpfixWriter::resend_templates`]
/// repeats them (exporters do so periodically over UDP).
pub struct IpfixWriter<W: Write> {
    out: W,
    observation_domain: u32,
    sequence: u32,
    templates_sent: bool,
}

impl<W: Write> IpfixWriter<W> {
    /// A writer for one exporter observation domain.
    pub fn new(out: W, observation_domain: u32) -> Self {
        IpfixWriter {
            out,
            observation_domain,
            sequence: 0,
            templates_sent: false,
        }
    }

    /// Sends the templates again with the next message.
    pub fn resend_templates(&mut self) {
        self.templates_sent = false;
    }

    /// Writes one message exported at `export_time` holding `flows` (at most about
    /// 400 per message, so that it fits the 16-bit message length).
    pub fn write_message(
        &mut self,
        export_time: Timestamp,
        flows: &[FlowRecord],
    ) -> io::Result<()> {
        let mut body = Vec::with_capacity(64 + flows.len() * 64);
        if !self.templates_sent {
            write_template_set(&mut body);
            self.templates_sent = true;
        }
        let (v4, v6): (Vec<&FlowRecord>, Vec<&FlowRecord>) = flows
            .iter()
            .partition(|f| f.source.is_ipv4() && f.destination.is_ipv4());
        write_data_set(&mut body, IPFIX_V4_TEMPLATE_ID, &v4)?;
        write_data_set(&mut body, IPFIX_V6_TEMPLATE_ID, &v6)?;
        let length = u16::try_from(16 + body.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "too many flows for one IPFIX message",
            )
        })?;
        let export_secs = u32::try_from(export_time.secs().max(0)).unwrap_or(u32::MAX);
        self.out.write_all(&10u16.to_be_bytes())?;
        self.out.write_all(&length.to_be_bytes())?;
        self.out.write_all(&export_secs.to_be_bytes())?;
        self.out.write_all(&self.sequence.to_be_bytes())?;
        self.out.write_all(&self.observation_domain.to_be_bytes())?;
        self.out.write_all(&body)?;
        self.sequence = self.sequence.wrapping_add(flows.len() as u32);
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> W {
        let _ = self.out.flush();
        self.out
    }
}

fn write_template_set(body: &mut Vec<u8>) {
    let templates = [
        (IPFIX_V4_TEMPLATE_ID, &IPFIX_V4_FIELDS),
        (IPFIX_V6_TEMPLATE_ID, &IPFIX_V6_FIELDS),
    ];
    let set_len = 4 + templates
        .iter()
        .map(|(_, f)| 4 + f.len() * 4)
        .sum::<usize>();
    body.extend_from_slice(&2u16.to_be_bytes());
    body.extend_from_slice(&(set_len as u16).to_be_bytes());
    for (id, fields) in templates {
        body.extend_from_slice(&id.to_be_bytes());
        body.extend_from_slice(&(fields.len() as u16).to_be_bytes());
        for (element, len) in fields {
            body.extend_from_slice(&element.to_be_bytes());
            body.extend_from_slice(&len.to_be_bytes());
        }
    }
}

fn write_data_set(body: &mut Vec<u8>, template_id: u16, flows: &[&FlowRecord]) -> io::Result<()> {
    if flows.is_empty() {
        return Ok(());
    }
    let start = body.len();
    body.extend_from_slice(&template_id.to_be_bytes());
    body.extend_from_slice(&[0, 0]);
    for flow in flows {
        body.extend_from_slice(&(flow.start.0.div_euclid(1000) as u64).to_be_bytes());
        body.extend_from_slice(&(flow.end.0.div_euclid(1000) as u64).to_be_bytes());
        match (flow.source.ip(), flow.destination.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                body.extend_from_slice(&s.octets());
                body.extend_from_slice(&d.octets());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                body.extend_from_slice(&s.octets());
                body.extend_from_slice(&d.octets());
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "flow source and destination must be the same address family",
                ));
            }
        }
        body.extend_from_slice(&flow.source.port().to_be_bytes());
        body.extend_from_slice(&flow.destination.port().to_be_bytes());
        body.push(flow.protocol);
        body.push(flow.tcp_flags);
        body.extend_from_slice(&flow.packets.to_be_bytes());
        body.extend_from_slice(&flow.octets.to_be_bytes());
    }
    let set_len = (body.len() - start) as u16;
    body[start + 2..start + 4].copy_from_slice(&set_len.to_be_bytes());
    Ok(())
}
