//! Helpers that turn "host H talks to service S at time T" into records: the DNS
//! lookup before a connection, TLS and HTTP connections, process starts.

use crate::org::{Host, Service};
use crate::record::{
    Connection, DnsLookup, EndpointEvent, EndpointKind, HostId, HttpRequest, ProcessTag, Record,
    Transport,
};
use crate::rng::Rng;
use model::Timestamp;
use std::net::IpAddr;

/// Microseconds in a second.
pub const SEC: i64 = 1_000_000;
/// Microseconds in a minute.
pub const MINUTE: i64 = 60 * SEC;
/// Microseconds in an hour.
pub const HOUR: i64 = 60 * MINUTE;
/// Microseconds in a day.
pub const DAY: i64 = 24 * HOUR;

/// Collects the records of one generator step.
#[derive(Debug, Default)]
pub struct Recorder {
    /// What was generated so far.
    pub records: Vec<Record>,
}

/// A connection being described before it is recorded.
#[derive(Clone, Debug)]
pub struct Flow {
    /// Start time.
    pub start: Timestamp,
    /// Duration in seconds.
    pub duration_s: f64,
    /// Bytes out (originator payload).
    pub bytes_out: u64,
    /// Bytes in (responder payload).
    pub bytes_in: u64,
}

impl Flow {
    /// A flow at `start` of `duration_s` seconds moving the given payload bytes.
    pub fn new(start: Timestamp, duration_s: f64, bytes_out: u64, bytes_in: u64) -> Self {
        Flow {
            start,
            duration_s,
            bytes_out,
            bytes_in,
        }
    }
}

impl Recorder {
    /// A DNS lookup of `query` with its answers (empty: NXDOMAIN).
    #[allow(clippy::too_many_arguments)]
    pub fn lookup(
        &mut self,
        rng: &mut Rng,
        host: HostId,
        ts: Timestamp,
        query: &str,
        qtype: &'static str,
        answers: Vec<String>,
        process: Option<ProcessTag>,
    ) {
        self.records.push(Record::Dns(DnsLookup {
            ts,
            host,
            source_port: ephemeral_port(rng),
            query: query.to_string(),
            qtype,
            answers,
            process,
        }));
    }

    /// A lookup of `service` shortly before `ts`, then a TLS connection to it on 443
    /// with SNI.
    pub fn tls_to(
        &mut self,
        rng: &mut Rng,
        host: HostId,
        service: &Service,
        flow: Flow,
        process: Option<ProcessTag>,
        with_lookup: bool,
    ) {
        if with_lookup {
            let at = Timestamp(flow.start.0 - rng.range(2_000, 40_000) as i64);
            let answers = vec![service.ip.to_string()];
            self.lookup(
                rng,
                host,
                at,
                &service.domain,
                "A",
                answers,
                process.clone(),
            );
        }
        self.connection(
            rng,
            host,
            (service.ip, 443),
            flow,
            Some("ssl"),
            Some(Some(service.domain.clone())),
            None,
            process,
        );
    }

    /// A plain HTTP request to `service` on port 80 (with its lookup).
    #[allow(clippy::too_many_arguments)]
    pub fn http_to(
        &mut self,
        rng: &mut Rng,
        host: HostId,
        service: &Service,
        flow: Flow,
        method: &'static str,
        uri: &str,
        user_agent: &str,
        process: Option<ProcessTag>,
    ) {
        let at = Timestamp(flow.start.0 - rng.range(2_000, 40_000) as i64);
        let answers = vec![service.ip.to_string()];
        self.lookup(
            rng,
            host,
            at,
            &service.domain,
            "A",
            answers,
            process.clone(),
        );
        let request = HttpRequest {
            method,
            host: service.domain.clone(),
            uri: uri.to_string(),
            user_agent: user_agent.to_string(),
            status: 200,
        };
        self.connection(
            rng,
            host,
            (service.ip, 80),
            flow,
            Some("http"),
            None,
            Some(request),
            process,
        );
    }

    /// Any TCP connection.
    #[allow(clippy::too_many_arguments)]
    pub fn connection(
        &mut self,
        rng: &mut Rng,
        host: HostId,
        destination: (IpAddr, u16),
        flow: Flow,
        service: Option<&'static str>,
        tls_server_name: Option<Option<String>>,
        http: Option<HttpRequest>,
        process: Option<ProcessTag>,
    ) {
        self.records.push(Record::Connection(Connection {
            start: flow.start,
            duration_s: flow.duration_s,
            host,
            source_port: ephemeral_port(rng),
            destination_ip: destination.0,
            destination_port: destination.1,
            transport: Transport::Tcp,
            service,
            bytes_out: flow.bytes_out,
            bytes_in: flow.bytes_in,
            tls_server_name,
            http,
            process,
        }));
    }

    /// A process start (Sysmon 1).
    pub fn process(
        &mut self,
        host: HostId,
        ts: Timestamp,
        process: &ProcessTag,
        command_line: &str,
        parent_image: &str,
    ) {
        self.records.push(Record::Endpoint(EndpointEvent {
            ts,
            host,
            kind: EndpointKind::Process {
                image: process.image.clone(),
                command_line: command_line.to_string(),
                parent_image: parent_image.to_string(),
                original_file_name: original_file_name(&process.image),
                user: process.user.clone(),
                pid: process.pid,
            },
        }));
    }

    /// Any other endpoint event.
    pub fn endpoint(&mut self, host: HostId, ts: Timestamp, kind: EndpointKind) {
        self.records
            .push(Record::Endpoint(EndpointEvent { ts, host, kind }));
    }
}

/// A process tag for `image` run by the host's user (or `user` when given).
pub fn tag(rng: &mut Rng, host: &Host, image: &str, user: Option<&str>) -> ProcessTag {
    ProcessTag {
        image: image.to_string(),
        user: match user {
            Some(user) => user.to_string(),
            None if host.is_windows() => host.windows_account(),
            None => host.user.clone().unwrap_or_else(|| "root".into()),
        },
        pid: rng.range(1_000, 60_000) as u32 & !3,
    }
}

/// The PE original file name Sysmon reports for a Windows image (its base name);
/// empty for Linux paths.
pub fn original_file_name(image: &str) -> String {
    if image.starts_with('/') {
        return String::new();
    }
    image.rsplit('\\').next().unwrap_or(image).to_string()
}

/// An ephemeral source port.
pub fn ephemeral_port(rng: &mut Rng) -> u16 {
    rng.range(49_152, 65_535) as u16
}

/// The time `offset` microseconds into `day`.
pub fn at(day_start: Timestamp, hours: i64, minutes: i64) -> Timestamp {
    Timestamp(day_start.0 + hours * HOUR + minutes * MINUTE)
}

/// A time uniform in `[from, to)`.
pub fn between(rng: &mut Rng, from: Timestamp, to: Timestamp) -> Timestamp {
    if to.0 <= from.0 {
        return from;
    }
    Timestamp(from.0 + rng.range(0, (to.0 - from.0 - 1) as u64) as i64)
}
