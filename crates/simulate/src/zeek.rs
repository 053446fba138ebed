//! Zeek ASCII (TSV) logs: `conn.log`, `dns.log`, `http.log` and `ssl.log` with the
//! header lines Zeek writes (`#separator`, `#fields`, `#types`, `#open`, `#close`),
//! so that any Zeek tool, and exfilguard's sniffer, takes them for the real thing.
//!
//! Payload bytes go in `orig_bytes`/`resp_bytes` (what the originator/responder sent
//! above TCP/UDP); `*_ip_bytes` add 52 bytes of headers per packet.

use crate::org::{Host, RESOLVER};
use crate::output::Output;
use crate::record::{Connection, DnsLookup, Record, Transport};
use crate::rng::Rng;
use model::Timestamp;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

const CONN_FIELDS: &[(&str, &str)] = &[
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("proto", "enum"),
    ("service", "string"),
    ("duration", "interval"),
    ("orig_bytes", "count"),
    ("resp_bytes", "count"),
    ("conn_state", "string"),
    ("local_orig", "bool"),
    ("local_resp", "bool"),
    ("missed_bytes", "count"),
    ("history", "string"),
    ("orig_pkts", "count"),
    ("orig_ip_bytes", "count"),
    ("resp_pkts", "count"),
    ("resp_ip_bytes", "count"),
    ("tunnel_parents", "set[string]"),
];
const DNS_FIELDS: &[(&str, &str)] = &[
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("proto", "enum"),
    ("trans_id", "count"),
    ("rtt", "interval"),
    ("query", "string"),
    ("qclass", "count"),
    ("qclass_name", "string"),
    ("qtype", "count"),
    ("qtype_name", "string"),
    ("rcode", "count"),
    ("rcode_name", "string"),
    ("AA", "bool"),
    ("TC", "bool"),
    ("RD", "bool"),
    ("RA", "bool"),
    ("Z", "count"),
    ("answers", "vector[string]"),
    ("TTLs", "vector[interval]"),
    ("rejected", "bool"),
];
const HTTP_FIELDS: &[(&str, &str)] = &[
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("trans_depth", "count"),
    ("method", "string"),
    ("host", "string"),
    ("uri", "string"),
    ("referrer", "string"),
    ("version", "string"),
    ("user_agent", "string"),
    ("request_body_len", "count"),
    ("response_body_len", "count"),
    ("status_code", "count"),
    ("status_msg", "string"),
    ("tags", "set[enum]"),
    ("resp_mime_types", "vector[string]"),
];
const SSL_FIELDS: &[(&str, &str)] = &[
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("version", "string"),
    ("cipher", "string"),
    ("curve", "string"),
    ("server_name", "string"),
    ("resumed", "bool"),
    ("established", "bool"),
    ("ssl_history", "string"),
];

/// Bytes of IP + TCP headers counted per packet in `*_ip_bytes`.
const HEADER_BYTES_PER_PACKET: u64 = 52;
/// Maximum payload per packet.
const SEGMENT_BYTES: u64 = 1448;

/// One Zeek log file being written.
struct LogFile {
    out: Output,
    line: String,
}

impl LogFile {
    fn create(
        dir: &Path,
        path: &str,
        fields: &[(&str, &str)],
        open: Timestamp,
        gzip: bool,
        files: &mut Vec<PathBuf>,
    ) -> io::Result<Self> {
        let (mut out, file) = Output::create(dir, &format!("{path}.log"), gzip)?;
        files.push(file);
        writeln!(out, "#separator \\x09")?;
        writeln!(out, "#set_separator\t,")?;
        writeln!(out, "#empty_field\t(empty)")?;
        writeln!(out, "#unset_field\t-")?;
        writeln!(out, "#path\t{path}")?;
        writeln!(out, "#open\t{}", zeek_date(open))?;
        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
        let types: Vec<&str> = fields.iter().map(|(_, t)| *t).collect();
        writeln!(out, "#fields\t{}", names.join("\t"))?;
        writeln!(out, "#types\t{}", types.join("\t"))?;
        Ok(LogFile {
            out,
            line: String::with_capacity(512),
        })
    }

    fn finish(mut self, close: Timestamp) -> io::Result<()> {
        writeln!(self.out, "#close\t{}", zeek_date(close))?;
        self.out.finish()
    }
}

/// Writes the network records of a run as Zeek TSV logs in one folder.
pub struct ZeekWriter {
    conn: LogFile,
    dns: LogFile,
    http: LogFile,
    ssl: LogFile,
    uids: Rng,
    last: Timestamp,
    files: Vec<PathBuf>,
}

impl ZeekWriter {
    /// Creates the four logs in `dir` (gzip-compressed when `gzip`), stamped as
    /// opened at `open`.
    pub fn create(dir: &Path, open: Timestamp, seed: u64, gzip: bool) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut files = Vec::new();
        Ok(ZeekWriter {
            conn: LogFile::create(dir, "conn", CONN_FIELDS, open, gzip, &mut files)?,
            dns: LogFile::create(dir, "dns", DNS_FIELDS, open, gzip, &mut files)?,
            http: LogFile::create(dir, "http", HTTP_FIELDS, open, gzip, &mut files)?,
            ssl: LogFile::create(dir, "ssl", SSL_FIELDS, open, gzip, &mut files)?,
            uids: Rng::derive(seed, &[crate::rng::label("zeek-uid")]),
            last: open,
            files,
        })
    }

    /// Writes the records of one batch (time-sorted); endpoint events are skipped.
    pub fn write(&mut self, hosts: &[Host], records: &[Record]) -> io::Result<()> {
        for record in records {
            match record {
                Record::Connection(c) => self.connection(hosts[c.host].ip, c)?,
                Record::Dns(d) => self.dns(hosts[d.host].ip, d)?,
                Record::Endpoint(_) => {}
            }
            self.last = self.last.max(record.ts());
        }
        Ok(())
    }

    /// Writes the `#close` lines, flushes, and returns the files written.
    pub fn finish(self) -> io::Result<Vec<PathBuf>> {
        let close = Timestamp(self.last.0 + 1_000_000);
        self.conn.finish(close)?;
        self.dns.finish(close)?;
        self.http.finish(close)?;
        self.ssl.finish(close)?;
        Ok(self.files)
    }

    fn uid(&mut self) -> String {
        const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        format!("C{}", self.uids.string(BASE62, 17))
    }

    fn connection(&mut self, source: IpAddr, c: &Connection) -> io::Result<()> {
        let uid = self.uid();
        let line = &mut self.conn.line;
        line.clear();
        let (orig_pkts, resp_pkts) = (packets(c.bytes_out), packets(c.bytes_in));
        let history = match c.transport {
            Transport::Tcp => "ShADadFf",
            Transport::Udp => "Dd",
        };
        let _ = write!(
            line,
            "{}\t{uid}\t{source}\t{}\t{}\t{}\t{}\t{}\t{:.6}\t{}\t{}\tSF\tT\t{}\t0\t{history}\t{orig_pkts}\t{}\t{resp_pkts}\t{}\t(empty)",
            zeek_ts(c.start),
            c.source_port,
            c.destination_ip,
            c.destination_port,
            c.transport.as_str(),
            c.service.unwrap_or("-"),
            c.duration_s,
            c.bytes_out,
            c.bytes_in,
            bool_flag(is_internal(c.destination_ip)),
            ip_bytes(c.bytes_out),
            ip_bytes(c.bytes_in),
        );
        writeln!(self.conn.out, "{line}")?;
        if let Some(sni) = &c.tls_server_name {
            let line = &mut self.ssl.line;
            line.clear();
            let _ = write!(
                line,
                "{}\t{uid}\t{source}\t{}\t{}\t{}\tTLSv13\tTLS_AES_128_GCM_SHA256\tx25519\t{}\tF\tT\tCsiI",
                zeek_ts(Timestamp(c.start.0 + 20_000)),
                c.source_port,
                c.destination_ip,
                c.destination_port,
                sni.as_deref().map(escape).unwrap_or_else(|| "-".into()),
            );
            writeln!(self.ssl.out, "{line}")?;
        }
        if let Some(http) = &c.http {
            let line = &mut self.http.line;
            line.clear();
            let request_body = if http.method == "GET" {
                0
            } else {
                c.bytes_out.saturating_sub(400)
            };
            let _ = write!(
                line,
                "{}\t{uid}\t{source}\t{}\t{}\t{}\t1\t{}\t{}\t{}\t-\t1.1\t{}\t{request_body}\t{}\t{}\tOK\t(empty)\t-",
                zeek_ts(Timestamp(c.start.0 + 10_000)),
                c.source_port,
                c.destination_ip,
                c.destination_port,
                http.method,
                escape(&http.host),
                escape(&http.uri),
                escape(&http.user_agent),
                c.bytes_in.saturating_sub(300),
                http.status,
            );
            writeln!(self.http.out, "{line}")?;
        }
        Ok(())
    }

    fn dns(&mut self, source: IpAddr, d: &DnsLookup) -> io::Result<()> {
        let uid = self.uid();
        let trans_id = self.uids.range(1, 65_535);
        let query_bytes = d.query.len() as u64 + 18;
        let answer_bytes = query_bytes + d.answers.iter().map(|a| a.len() as u64 + 12).sum::<u64>();
        let conn_line = format!(
            "{}\t{uid}\t{source}\t{}\t{RESOLVER}\t53\tudp\tdns\t0.012000\t{query_bytes}\t{answer_bytes}\tSF\tT\tT\t0\tDd\t1\t{}\t1\t{}\t(empty)",
            zeek_ts(d.ts),
            d.source_port,
            query_bytes + 28,
            answer_bytes + 28,
        );
        writeln!(self.conn.out, "{conn_line}")?;
        let qtype = match d.qtype {
            "A" => 1,
            "TXT" => 16,
            "AAAA" => 28,
            _ => 255,
        };
        let (rcode, rcode_name) = if d.answers.is_empty() {
            (3, "NXDOMAIN")
        } else {
            (0, "NOERROR")
        };
        let answers = if d.answers.is_empty() {
            "-".to_string()
        } else {
            d.answers
                .iter()
                .map(|a| escape(a))
                .collect::<Vec<_>>()
                .join(",")
        };
        let ttls = if d.answers.is_empty() {
            "-".to_string()
        } else {
            vec!["300.000000"; d.answers.len()].join(",")
        };
        let line = &mut self.dns.line;
        line.clear();
        let _ = write!(
            line,
            "{}\t{uid}\t{source}\t{}\t{RESOLVER}\t53\tudp\t{trans_id}\t0.012000\t{}\t1\tC_INTERNET\t{qtype}\t{}\t{rcode}\t{rcode_name}\tF\tF\tT\tT\t0\t{answers}\t{ttls}\tF",
            zeek_ts(d.ts),
            d.source_port,
            escape(&d.query),
            d.qtype,
        );
        writeln!(self.dns.out, "{line}")
    }
}

/// Packets that carry `bytes` of payload plus the handshake and teardown.
pub fn packets(bytes: u64) -> u64 {
    bytes.div_ceil(SEGMENT_BYTES) + 3
}

/// IP bytes on the wire for `bytes` of payload (headers of every packet added).
pub fn ip_bytes(bytes: u64) -> u64 {
    bytes + packets(bytes) * HEADER_BYTES_PER_PACKET
}

fn bool_flag(value: bool) -> &'static str {
    if value { "T" } else { "F" }
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Zeek's `time` column: seconds with six decimals.
pub fn zeek_ts(ts: Timestamp) -> String {
    format!(
        "{}.{:06}",
        ts.0.div_euclid(1_000_000),
        ts.0.rem_euclid(1_000_000)
    )
}

/// Zeek's `#open`/`#close` stamp: `2026-11-02-00-00-00`.
fn zeek_date(ts: Timestamp) -> String {
    ts.to_datetime()
        .map(|d| d.format("%Y-%m-%d-%H-%M-%S").to_string())
        .unwrap_or_else(|| "1970-01-01-00-00-00".into())
}

/// Escapes what would break a TSV field (tabs, newlines, commas in sets, backslashes).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\x09"),
            '\n' => out.push_str("\\x0a"),
            ',' => out.push_str("\\x2c"),
            '\\' => out.push_str("\\x5c"),
            c => out.push(c),
        }
    }
    if out.is_empty() {
        "(empty)".into()
    } else {
        out
    }
}
