//! Packet captures: for each exfiltration scenario, a capture of its host from 30
//! seconds before its first transfer, for the configured minutes, as a Tier-2
//! analyst would take one (`pcap/<host>-<scenario>.pcap`).
//!
//! Every connection becomes a real TCP conversation (handshake, segments carrying
//! the payload, FIN when it ends inside the window) whose first client segment is a
//! TLS ClientHello with the SNI, or the HTTP request line and headers, so a reader
//! can rebuild flows, bytes each way, server names and HTTP hosts. DNS lookups are
//! proper DNS queries and answers over UDP. Payload is spread evenly over each
//! connection's duration; a capture stops carrying payload once it holds
//! [`CAPTURE_PAYLOAD_LIMIT`] bytes (like a capture with a size limit), so a
//! multi-gigabyte transfer gives an excerpt, not a multi-gigabyte file.

use crate::org::{Host, RESOLVER};
use crate::record::{Connection, DnsLookup, Record, Transport};
use crate::rng::Rng;
use model::Timestamp;
use sources::net::write::{PcapWriter, TCP_SEGMENT_BYTES, TcpFlags};
use std::io::{self, BufWriter};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// Most payload bytes one capture holds.
pub const CAPTURE_PAYLOAD_LIMIT: u64 = 8_000_000;
/// Seconds captured before the first transfer.
const LEAD_IN_S: i64 = 30;

/// One capture being collected.
#[derive(Debug)]
pub struct Capture {
    /// File name (without folder).
    pub file_name: String,
    host: usize,
    from: Timestamp,
    to: Timestamp,
    records: Vec<Record>,
}

impl Capture {
    /// A capture of `host` starting shortly before `first_transfer`, `minutes` long.
    pub fn new(file_name: String, host: usize, first_transfer: Timestamp, minutes: u32) -> Self {
        let from = first_transfer.plus_secs(-LEAD_IN_S);
        Capture {
            file_name,
            host,
            from,
            to: from.plus_secs(i64::from(minutes) * 60 + LEAD_IN_S),
            records: Vec::new(),
        }
    }

    /// Keeps the records of this host that start inside the window.
    pub fn collect(&mut self, records: &[Record]) {
        for record in records {
            let ts = record.ts();
            let wanted = record.host() == self.host
                && ts >= self.from
                && ts < self.to
                && matches!(record, Record::Connection(_) | Record::Dns(_));
            if wanted {
                self.records.push(record.clone());
            }
        }
    }

    /// Writes the capture into `dir`; returns its path.
    pub fn write(&self, dir: &Path, hosts: &[Host], seed: u64) -> io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let mut rng = Rng::derive(seed, &[crate::rng::label(&self.file_name)]);
        let filler: Vec<u8> = (0..TCP_SEGMENT_BYTES)
            .map(|_| rng.next_u64() as u8)
            .collect();
        let client_ip = hosts[self.host].ip;
        let mut packets = Vec::new();
        let mut budget = CAPTURE_PAYLOAD_LIMIT;
        for record in &self.records {
            match record {
                Record::Connection(c) if c.transport == Transport::Tcp => {
                    tcp_packets(c, client_ip, self.to, &mut budget, &mut rng, &mut packets)
                }
                Record::Dns(d) => dns_packets(d, client_ip, &mut rng, &mut packets),
                _ => {}
            }
        }
        packets.sort_by_key(|p| p.ts);
        let path = dir.join(&self.file_name);
        let mut pcap = PcapWriter::new(BufWriter::new(std::fs::File::create(&path)?))?;
        for p in &packets {
            let payload: &[u8] = match &p.payload {
                Payload::Bytes(bytes) => bytes,
                Payload::Filler(len) => &filler[..*len],
            };
            match p.flags {
                Some(flags) => pcap.write_tcp(p.ts, p.src, p.dst, flags, p.seq, p.ack, payload)?,
                None => pcap.write_udp(p.ts, p.src, p.dst, payload)?,
            }
        }
        use std::io::Write;
        pcap.into_inner().flush()?;
        Ok(path)
    }
}

/// What a packet carries.
enum Payload {
    /// Real bytes (TLS ClientHello, HTTP request, DNS message).
    Bytes(Vec<u8>),
    /// This many bytes of the capture's filler (encrypted-looking data).
    Filler(usize),
}

/// One packet to write; TCP when `flags` is set, UDP otherwise.
struct Packet {
    ts: Timestamp,
    src: SocketAddr,
    dst: SocketAddr,
    flags: Option<TcpFlags>,
    seq: u32,
    ack: u32,
    payload: Payload,
}

fn flags(syn: bool, ack: bool, fin: bool, psh: bool) -> Option<TcpFlags> {
    Some(TcpFlags {
        syn,
        ack,
        fin,
        psh,
        rst: false,
    })
}

/// The packets of one TCP connection, cut at `window_end`.
fn tcp_packets(
    c: &Connection,
    client_ip: IpAddr,
    window_end: Timestamp,
    budget: &mut u64,
    rng: &mut Rng,
    out: &mut Vec<Packet>,
) {
    let client = SocketAddr::new(client_ip, c.source_port);
    let server = SocketAddr::new(c.destination_ip, c.destination_port);
    let (mut cseq, mut sseq) = (rng.next_u64() as u32, rng.next_u64() as u32);
    let t0 = c.start.0;
    let push = |out: &mut Vec<Packet>, ts: i64, from_client: bool, f, seq, ack, payload| {
        let (src, dst) = if from_client {
            (client, server)
        } else {
            (server, client)
        };
        out.push(Packet {
            ts: Timestamp(ts),
            src,
            dst,
            flags: f,
            seq,
            ack,
            payload,
        });
    };
    push(
        out,
        t0,
        true,
        flags(true, false, false, false),
        cseq,
        0,
        Payload::Bytes(Vec::new()),
    );
    cseq = cseq.wrapping_add(1);
    push(
        out,
        t0 + 1_000,
        false,
        flags(true, true, false, false),
        sseq,
        cseq,
        Payload::Bytes(Vec::new()),
    );
    sseq = sseq.wrapping_add(1);
    push(
        out,
        t0 + 2_000,
        true,
        flags(false, true, false, false),
        cseq,
        sseq,
        Payload::Bytes(Vec::new()),
    );
    let head = first_client_bytes(c, rng);
    let head_len = head.len() as u64;
    push(
        out,
        t0 + 3_000,
        true,
        flags(false, true, false, true),
        cseq,
        sseq,
        Payload::Bytes(head),
    );
    cseq = cseq.wrapping_add(head_len as u32);
    let duration_us = ((c.duration_s * 1e6) as i64).max(10_000);
    let end = t0 + duration_us;
    let cut = window_end.0.min(end);
    for (from_client, total) in [
        (true, c.bytes_out.saturating_sub(head_len)),
        (false, c.bytes_in),
    ] {
        let segments = total.div_ceil(TCP_SEGMENT_BYTES as u64);
        for i in 0..segments {
            let ts = t0 + 4_000 + (duration_us - 4_000).max(1) * i as i64 / segments.max(1) as i64;
            let len = (total - i * TCP_SEGMENT_BYTES as u64).min(TCP_SEGMENT_BYTES as u64);
            if ts >= cut || *budget < len {
                break;
            }
            *budget -= len;
            let (seq, ack) = if from_client {
                (cseq, sseq)
            } else {
                (sseq, cseq)
            };
            push(
                out,
                ts,
                from_client,
                flags(false, true, false, true),
                seq,
                ack,
                Payload::Filler(len as usize),
            );
            if from_client {
                cseq = cseq.wrapping_add(len as u32);
            } else {
                sseq = sseq.wrapping_add(len as u32);
            }
        }
    }
    if end < window_end.0 && *budget > 0 {
        push(
            out,
            end,
            true,
            flags(false, true, true, false),
            cseq,
            sseq,
            Payload::Bytes(Vec::new()),
        );
        push(
            out,
            end + 1_000,
            false,
            flags(false, true, true, false),
            sseq,
            cseq.wrapping_add(1),
            Payload::Bytes(Vec::new()),
        );
        push(
            out,
            end + 2_000,
            true,
            flags(false, true, false, false),
            cseq.wrapping_add(1),
            sseq.wrapping_add(1),
            Payload::Bytes(Vec::new()),
        );
    }
}

/// The first bytes the client sends: a TLS ClientHello with SNI, the HTTP request
/// head, or an FTP command.
fn first_client_bytes(c: &Connection, rng: &mut Rng) -> Vec<u8> {
    if let Some(sni) = &c.tls_server_name {
        return client_hello(sni.as_deref(), rng);
    }
    if let Some(http) = &c.http {
        return format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\n\r\n",
            http.method, http.uri, http.host, http.user_agent
        )
        .into_bytes();
    }
    match c.service {
        Some("ftp") => {
            b"USER drop\r\nPASS Summer2026\r\nTYPE I\r\nPASV\r\nSTOR data.bin\r\n".to_vec()
        }
        _ => Vec::new(),
    }
}

/// A TLS 1.2-framed ClientHello offering TLS_AES_128_GCM_SHA256, with an SNI
/// extension when a name is given.
fn client_hello(sni: Option<&str>, rng: &mut Rng) -> Vec<u8> {
    let mut extensions = Vec::new();
    if let Some(name) = sni {
        let name = name.as_bytes();
        let list_len = name.len() + 3;
        extensions.extend_from_slice(&0u16.to_be_bytes());
        extensions.extend_from_slice(&((list_len + 2) as u16).to_be_bytes());
        extensions.extend_from_slice(&(list_len as u16).to_be_bytes());
        extensions.push(0);
        extensions.extend_from_slice(&(name.len() as u16).to_be_bytes());
        extensions.extend_from_slice(name);
    }
    let mut hello = vec![0x03, 0x03];
    hello.extend((0..32).map(|_| rng.next_u64() as u8));
    hello.push(0); // session id
    hello.extend_from_slice(&[0x00, 0x02, 0x13, 0x01]); // cipher suites
    hello.extend_from_slice(&[0x01, 0x00]); // compression: null
    hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    hello.extend_from_slice(&extensions);
    let mut handshake = vec![0x01];
    handshake.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&hello);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

/// A DNS query and its response.
fn dns_packets(d: &DnsLookup, client_ip: IpAddr, rng: &mut Rng, out: &mut Vec<Packet>) {
    let client = SocketAddr::new(client_ip, d.source_port);
    let resolver = SocketAddr::new(IpAddr::V4(RESOLVER), 53);
    let id = rng.next_u64() as u16;
    let qtype: u16 = match d.qtype {
        "A" => 1,
        "TXT" => 16,
        "AAAA" => 28,
        _ => 255,
    };
    let question = dns_question(&d.query, qtype);
    let mut query = dns_header(id, 0x0100, 0);
    query.extend_from_slice(&question);
    let mut answer = dns_header(
        id,
        if d.answers.is_empty() { 0x8183 } else { 0x8180 },
        d.answers.len() as u16,
    );
    answer.extend_from_slice(&question);
    for a in &d.answers {
        let rdata: Vec<u8> = match (qtype, a.parse::<IpAddr>()) {
            (1, Ok(IpAddr::V4(v4))) => v4.octets().to_vec(),
            _ => {
                let text = &a.as_bytes()[..a.len().min(255)];
                let mut v = vec![text.len() as u8];
                v.extend_from_slice(text);
                v
            }
        };
        answer.extend_from_slice(&[0xc0, 0x0c]);
        answer.extend_from_slice(&qtype.to_be_bytes());
        answer.extend_from_slice(&1u16.to_be_bytes());
        answer.extend_from_slice(&300u32.to_be_bytes());
        answer.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        answer.extend_from_slice(&rdata);
    }
    out.push(Packet {
        ts: d.ts,
        src: client,
        dst: resolver,
        flags: None,
        seq: 0,
        ack: 0,
        payload: Payload::Bytes(query),
    });
    out.push(Packet {
        ts: Timestamp(d.ts.0 + 12_000),
        src: resolver,
        dst: client,
        flags: None,
        seq: 0,
        ack: 0,
        payload: Payload::Bytes(answer),
    });
}

fn dns_header(id: u16, flags: u16, answers: u16) -> Vec<u8> {
    let mut h = Vec::with_capacity(12);
    for v in [id, flags, 1, answers, 0, 0] {
        h.extend_from_slice(&v.to_be_bytes());
    }
    h
}

fn dns_question(name: &str, qtype: u16) -> Vec<u8> {
    let mut q = Vec::with_capacity(name.len() + 6);
    for label in name.trim_end_matches('.').split('.') {
        let label = &label.as_bytes()[..label.len().min(63)];
        q.push(label.len() as u8);
        q.extend_from_slice(label);
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}
