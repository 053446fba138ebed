//! What the generator produces before it is written in any format: connections,
//! DNS lookups and endpoint events, each tied to a host by index. Writers render one
//! list of records into Zeek logs, endpoint JSONL, IPFIX and pcap, so every format
//! tells the same story.

use model::Timestamp;
use std::net::IpAddr;

/// Index of a host in the organisation's host list.
pub type HostId = usize;

/// Transport protocol of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Transport {
    /// Zeek's name (`tcp`, `udp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// The HTTP request carried by a plain-HTTP connection.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PUT`.
    pub method: &'static str,
    /// The Host header.
    pub host: String,
    /// The request path.
    pub uri: String,
    /// The User-Agent header.
    pub user_agent: String,
    /// Status code of the response.
    pub status: u16,
}

/// What an endpoint agent knows about the process behind a connection or lookup.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessTag {
    /// Image path.
    pub image: String,
    /// Account (`CORP\a.becker`, `root`).
    pub user: String,
    /// Process id.
    pub pid: u32,
}

/// One connection as a network sensor sees it when it ends.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// First packet.
    pub start: Timestamp,
    /// Duration in seconds.
    pub duration_s: f64,
    /// Originating host.
    pub host: HostId,
    /// Originator port.
    pub source_port: u16,
    /// Responder address.
    pub destination_ip: IpAddr,
    /// Responder port.
    pub destination_port: u16,
    /// Transport.
    pub transport: Transport,
    /// Zeek's detected service (`ssl`, `http`, `ftp`, `dns`, `ftp-data`), if any.
    pub service: Option<&'static str>,
    /// Payload bytes the originator sent.
    pub bytes_out: u64,
    /// Payload bytes the responder sent.
    pub bytes_in: u64,
    /// TLS handshake seen: `Some(Some(sni))`, or `Some(None)` for TLS without SNI.
    pub tls_server_name: Option<Option<String>>,
    /// Plain HTTP request, when there is one.
    pub http: Option<HttpRequest>,
    /// The process behind it, reported as Sysmon 3 when the host is managed.
    pub process: Option<ProcessTag>,
}

/// One DNS lookup from a host to the resolver.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsLookup {
    /// Query time.
    pub ts: Timestamp,
    /// Asking host.
    pub host: HostId,
    /// Source port.
    pub source_port: u16,
    /// Query name.
    pub query: String,
    /// Query type name (`A`, `TXT`).
    pub qtype: &'static str,
    /// Answers (addresses or TXT strings); empty with NXDOMAIN.
    pub answers: Vec<String>,
    /// The process behind it, reported as Sysmon 22 when the host is managed.
    pub process: Option<ProcessTag>,
}

/// An endpoint-only event.
#[derive(Clone, Debug, PartialEq)]
pub enum EndpointKind {
    /// Process creation (Sysmon 1).
    Process {
        /// Image path.
        image: String,
        /// Full command line.
        command_line: String,
        /// Parent image path.
        parent_image: String,
        /// PE original file name (Windows) or empty.
        original_file_name: String,
        /// Account.
        user: String,
        /// Process id.
        pid: u32,
    },
    /// File created (Sysmon 11).
    FileCreate {
        /// Image of the creating process.
        image: String,
        /// The created file.
        target: String,
        /// Account.
        user: String,
    },
    /// Scheduled task created (Security 4698).
    TaskCreated {
        /// Task path (`\MicrosoftEdgeUpdateTaskCore`).
        task_name: String,
        /// What it runs.
        command: String,
        /// Creating account.
        user: String,
    },
    /// PowerShell script block logged (4104).
    ScriptBlock {
        /// Script text.
        text: String,
        /// Script file, when the block came from one.
        path: String,
    },
}

/// One endpoint event on a host.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointEvent {
    /// When.
    pub ts: Timestamp,
    /// Where.
    pub host: HostId,
    /// What.
    pub kind: EndpointKind,
}

/// Any generated record.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// A network connection.
    Connection(Connection),
    /// A DNS lookup.
    Dns(DnsLookup),
    /// An endpoint event.
    Endpoint(EndpointEvent),
}

impl Record {
    /// Event time (a connection's start).
    pub fn ts(&self) -> Timestamp {
        match self {
            Record::Connection(c) => c.start,
            Record::Dns(d) => d.ts,
            Record::Endpoint(e) => e.ts,
        }
    }

    /// The host the record belongs to.
    pub fn host(&self) -> HostId {
        match self {
            Record::Connection(c) => c.host,
            Record::Dns(d) => d.host,
            Record::Endpoint(e) => e.host,
        }
    }
}

/// Sorts records by time, then host, keeping generation order for ties (stable).
pub fn sort_records(records: &mut [Record]) {
    records.sort_by_key(|r| (r.ts(), r.host()));
}
