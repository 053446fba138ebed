//! IPFIX (RFC 7011) flow export from the organisation's border router: two
//! unidirectional records (out and back) per connection that leaves the internal
//! ranges, written with `sources::net::write::IpfixWriter` so the file is exactly
//! what exfilguard's IPFIX reader expects.
//!
//! Octet counts are IP bytes (payload plus 52 bytes of headers per packet), as
//! exporters count them and as Zeek's `*_ip_bytes` columns in the same run say.

use crate::org::Host;
use crate::output::Output;
use crate::record::{Connection, Record, Transport};
use model::{Networks, Timestamp};
use sources::net::write::{FlowRecord, IpfixWriter};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Flows per IPFIX message (well under the 16-bit message length).
const FLOWS_PER_MESSAGE: usize = 300;
/// Templates are repeated every this many messages, as exporters do.
const TEMPLATE_REFRESH_MESSAGES: u64 = 100;
/// Cumulative TCP flags of a complete connection: FIN, SYN, PSH, ACK.
const TCP_FLAGS_COMPLETE: u8 = 0x1b;

/// Writes `flows/border.ipfix`.
pub struct IpfixExport {
    writer: IpfixWriter<Output>,
    pending: Vec<FlowRecord>,
    messages: u64,
    networks: Networks,
    path: PathBuf,
}

impl IpfixExport {
    /// Creates the export file in `dir`.
    pub fn create(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (out, path) = Output::create(dir, "border.ipfix", false)?;
        Ok(IpfixExport {
            writer: IpfixWriter::new(out, 1),
            pending: Vec::with_capacity(FLOWS_PER_MESSAGE),
            messages: 0,
            networks: Networks::default(),
            path,
        })
    }

    /// Exports the outbound connections of one time-sorted batch.
    pub fn write(&mut self, hosts: &[Host], records: &[Record]) -> io::Result<()> {
        for record in records {
            if let Record::Connection(c) = record {
                let source = hosts[c.host].ip;
                if self.networks.is_outbound(source, c.destination_ip) {
                    let (out, back) = flow_pair(SocketAddr::new(source, c.source_port), c);
                    self.pending.push(out);
                    self.pending.push(back);
                    if self.pending.len() >= FLOWS_PER_MESSAGE {
                        self.flush_message()?;
                    }
                }
            }
        }
        Ok(())
    }

    fn flush_message(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.messages > 0 && self.messages.is_multiple_of(TEMPLATE_REFRESH_MESSAGES) {
            self.writer.resend_templates();
        }
        let export_time = self.pending.iter().map(|f| f.end).max().unwrap_or_default();
        self.writer.write_message(export_time, &self.pending)?;
        self.pending.clear();
        self.messages += 1;
        Ok(())
    }

    /// Writes the last message and returns the file written.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        self.flush_message()?;
        self.writer.into_inner().finish()?;
        Ok(self.path)
    }
}

/// The two unidirectional records of one connection.
fn flow_pair(client: SocketAddr, c: &Connection) -> (FlowRecord, FlowRecord) {
    let server = SocketAddr::new(c.destination_ip, c.destination_port);
    let end = Timestamp(c.start.0 + (c.duration_s * 1e6) as i64);
    let (protocol, flags) = match c.transport {
        Transport::Tcp => (6, TCP_FLAGS_COMPLETE),
        Transport::Udp => (17, 0),
    };
    let record = |source, destination, bytes: u64| FlowRecord {
        start: c.start,
        end,
        source,
        destination,
        protocol,
        packets: crate::zeek::packets(bytes),
        octets: crate::zeek::ip_bytes(bytes),
        tcp_flags: flags,
    };
    (
        record(client, server, c.bytes_out),
        record(server, client, c.bytes_in),
    )
}
