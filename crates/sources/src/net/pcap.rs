//! pcap and pcapng captures to flow, DNS, HTTP and TLS events.
//!
//! [`PcapFlowSource`] streams the capture through pcap-parser's circular buffer,
//! decodes each frame ([`super::packet`]), feeds a bounded [`FlowTable`] and turns
//! ended flows and application transactions into events. Memory depends on the
//! number of concurrent flows (capped), never on the capture size.

use super::flow::{AppFact, AppRecord, Flow, FlowCounters, FlowLimits, FlowTable, HttpTransaction};
use super::orient;
use super::packet::{self, Skip};
use crate::{Input, OpenError, RecordError, SourceContext};
use model::{Event, EventKind, LogSource, Networks, Origin, Timestamp, Value};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::collections::VecDeque;
use std::sync::Arc;

/// Read buffer: holds the largest block a capture may have (snap lengths reach
/// 256 KiB) several times over.
const BUFFER_BYTES: usize = 1 << 20;

/// Counters of one capture, for the run summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PcapStats {
    /// Frames read.
    pub frames: u64,
    /// Frames that were not IP (ARP, LLDP...): normal, not errors.
    pub non_ip: u64,
    /// Frames with a link type this reader does not decode.
    pub unsupported_link: u64,
    /// Malformed or truncated frames (reported as record errors).
    pub malformed: u64,
    /// Flow table counters (flows, evictions, peak size).
    pub flows: FlowCounters,
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: i32,
    /// Timestamp units per second.
    resolution: u64,
    offset_s: i64,
}

/// Reads a capture frame by frame (pcap or pcapng, any interface), through
/// pcap-parser's circular buffer.
pub(crate) struct FrameReader {
    reader: Box<dyn PcapReaderIterator + Send>,
    interfaces: Vec<Interface>,
    last_ts: Timestamp,
}

/// What one [`FrameReader::step`] did.
pub(crate) enum Step {
    /// A block was read (maybe a frame, given to the callback).
    Progress,
    /// The capture ended cleanly.
    End,
    /// The capture cannot be read further: offset and reason.
    Failed(u64, String),
}

impl FrameReader {
    /// Opens a capture; fails when the header is not pcap or pcapng.
    pub(crate) fn open(input: Input) -> Result<Self, OpenError> {
        Self::with_buffer(input, BUFFER_BYTES)
    }

    /// Opens a capture with a read buffer of `capacity` bytes (small for sniffing).
    pub(crate) fn with_buffer(input: Input, capacity: usize) -> Result<Self, OpenError> {
        let path = input.path.clone();
        let reader = pcap_parser::create_reader(capacity, input.reader).map_err(|err| {
            OpenError::Invalid {
                path: path.to_string(),
                detail: format!("not a readable pcap/pcapng capture ({err})"),
            }
        })?;
        Ok(FrameReader {
            reader,
            interfaces: Vec::new(),
            last_ts: Timestamp(0),
        })
    }

    /// Reads one block; a frame is handed to `on_frame` with its file offset.
    pub(crate) fn step(&mut self, on_frame: &mut dyn FnMut(Frame<'_>, u64)) -> Step {
        let offset = self.reader.consumed() as u64;
        match self.reader.next() {
            Ok((size, block)) => {
                if let Some(mut frame) = frame_of(&block, &mut self.interfaces) {
                    // Simple packet blocks carry no time: they take the latest one seen.
                    let ts = frame.ts.unwrap_or(self.last_ts);
                    self.last_ts = ts;
                    frame.ts = Some(ts);
                    on_frame(frame, offset);
                }
                self.reader.consume(size);
                Step::Progress
            }
            Err(PcapError::Eof) => Step::End,
            Err(PcapError::Incomplete(_)) => match self.reader.refill() {
                Ok(()) => Step::Progress,
                Err(err) => Step::Failed(offset, format!("truncated capture ({err})")),
            },
            Err(PcapError::UnexpectedEof) => Step::Failed(offset, "truncated capture".into()),
            Err(PcapError::BufferTooSmall) => Step::Failed(
                offset,
                "block larger than the read buffer; rest of capture skipped".into(),
            ),
            Err(other) => Step::Failed(
                offset,
                format!("unreadable block ({other}); rest of capture skipped"),
            ),
        }
    }
}

/// Streams a capture and yields flow events (kind `Network`, when each flow ends,
/// in start-time order per batch) and DNS/HTTP/TLS events (as their transactions
/// complete).
pub struct PcapFlowSource {
    frames: FrameReader,
    state: Assembler,
    done: bool,
}

/// Everything but the reader, so that a borrowed frame and the state can be used
/// together.
struct Assembler {
    path: Arc<str>,
    networks: Networks,
    table: FlowTable,
    queue: VecDeque<Result<Event, RecordError>>,
    ended: Vec<Flow>,
    records: Vec<AppRecord>,
    stats: PcapStats,
}

impl PcapFlowSource {
    /// Opens a capture with the default flow limits.
    pub fn open(input: Input, ctx: &SourceContext) -> Result<Self, OpenError> {
        Self::with_limits(input, ctx, FlowLimits::default())
    }

    /// Opens a capture with explicit flow limits (idle timeouts, table cap).
    pub fn with_limits(
        input: Input,
        ctx: &SourceContext,
        limits: FlowLimits,
    ) -> Result<Self, OpenError> {
        let path = input.path.clone();
        Ok(PcapFlowSource {
            frames: FrameReader::open(input)?,
            state: Assembler {
                path,
                networks: ctx.networks.clone(),
                table: FlowTable::new(limits),
                queue: VecDeque::new(),
                ended: Vec::new(),
                records: Vec::new(),
                stats: PcapStats::default(),
            },
            done: false,
        })
    }

    /// Counters so far (complete once the iterator returned `None`).
    pub fn stats(&self) -> PcapStats {
        PcapStats {
            flows: self.state.table.counters(),
            ..self.state.stats
        }
    }

    /// Reads blocks until something is queued or the capture ends.
    fn pump(&mut self) {
        while self.state.queue.is_empty() && !self.done {
            let state = &mut self.state;
            let step = self
                .frames
                .step(&mut |frame, offset| state.frame(frame, offset));
            match step {
                Step::Progress => {}
                Step::End => self.done = true,
                Step::Failed(offset, reason) => {
                    let err = self.state.error(offset, reason);
                    self.state.queue.push_back(Err(err));
                    self.done = true;
                }
            }
            if self.done {
                self.state
                    .table
                    .flush(&mut self.state.ended, &mut self.state.records);
            }
            self.state.emit_ready();
        }
    }
}

impl Assembler {
    fn error(&self, offset: u64, reason: impl Into<String>) -> RecordError {
        RecordError {
            file: self.path.clone(),
            offset,
            reason: reason.into(),
        }
    }

    fn frame(&mut self, frame: Frame<'_>, offset: u64) {
        self.stats.frames += 1;
        let ts = frame.ts.unwrap_or(Timestamp(0));
        match packet::decode(frame.linktype, frame.data) {
            Ok(info) => {
                self.table.add(
                    &info,
                    ts,
                    offset,
                    frame.wire_len,
                    &mut self.ended,
                    &mut self.records,
                );
            }
            Err(Skip::NotIp) => self.stats.non_ip += 1,
            Err(Skip::UnsupportedLink) => self.stats.unsupported_link += 1,
            Err(Skip::Malformed(reason)) => {
                self.stats.malformed += 1;
                let err = self.error(offset, reason);
                self.queue.push_back(Err(err));
            }
        }
    }

    fn emit_ready(&mut self) {
        if self.ended.is_empty() && self.records.is_empty() {
            return;
        }
        let mut events: Vec<Event> = Vec::with_capacity(self.ended.len() + self.records.len());
        for flow in self.ended.drain(..) {
            events.push(flow_event(&flow, &self.networks, &self.path));
        }
        for record in self.records.drain(..) {
            events.push(app_event(record, &self.networks, &self.path));
        }
        events.sort_by_key(|e| e.timestamp);
        self.queue.extend(events.into_iter().map(Ok));
    }
}

/// One frame's time (none for simple packet blocks), link type, wire length and bytes.
pub(crate) struct Frame<'a> {
    pub(crate) ts: Option<Timestamp>,
    pub(crate) linktype: i32,
    pub(crate) wire_len: u64,
    pub(crate) data: &'a [u8],
}

fn frame_of<'a>(
    block: &'a PcapBlockOwned<'a>,
    interfaces: &mut Vec<Interface>,
) -> Option<Frame<'a>> {
    match block {
        PcapBlockOwned::LegacyHeader(header) => {
            interfaces.clear();
            interfaces.push(Interface {
                linktype: header.network.0,
                resolution: if header.is_nanosecond_precision() {
                    1_000_000_000
                } else {
                    1_000_000
                },
                offset_s: header.thiszone as i64,
            });
            None
        }
        PcapBlockOwned::Legacy(packet) => {
            let iface = interfaces.first()?;
            let frac = packet.ts_usec as i64 * 1_000_000 / iface.resolution as i64;
            let ts = Timestamp((packet.ts_sec as i64 + iface.offset_s) * 1_000_000 + frac);
            let caplen = (packet.caplen as usize).min(packet.data.len());
            Some(Frame {
                ts: Some(ts),
                linktype: iface.linktype,
                wire_len: packet.origlen as u64,
                data: &packet.data[..caplen],
            })
        }
        PcapBlockOwned::NG(Block::SectionHeader(_)) => {
            interfaces.clear();
            None
        }
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            interfaces.push(Interface {
                linktype: idb.linktype.0,
                resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                offset_s: idb.ts_offset(),
            });
            None
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            let iface = interfaces.get(epb.if_id as usize)?;
            let units = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
            let micros = i64::try_from(units as u128 * 1_000_000 / iface.resolution as u128)
                .unwrap_or(i64::MAX);
            let caplen = (epb.caplen as usize).min(epb.data.len());
            Some(Frame {
                ts: Some(Timestamp(
                    micros.saturating_add(iface.offset_s.saturating_mul(1_000_000)),
                )),
                linktype: iface.linktype,
                wire_len: epb.origlen as u64,
                data: &epb.data[..caplen],
            })
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
            let iface = interfaces.first()?;
            let caplen = (spb.origlen as usize).min(spb.data.len());
            Some(Frame {
                ts: None,
                linktype: iface.linktype,
                wire_len: spb.origlen as u64,
                data: &spb.data[..caplen],
            })
        }
        PcapBlockOwned::NG(_) => None,
    }
}

impl Iterator for PcapFlowSource {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.pump();
        self.state.queue.pop_front()
    }
}

/// The transport name of an IP protocol number, as Zeek and ECS write it.
pub fn transport_name(protocol: u8) -> String {
    match protocol {
        6 => "tcp".into(),
        17 => "udp".into(),
        1 => "icmp".into(),
        58 => "ipv6-icmp".into(),
        47 => "gre".into(),
        50 => "esp".into(),
        132 => "sctp".into(),
        other => other.to_string(),
    }
}

fn pcap_logsource(category: Option<&str>, service: &str) -> LogSource {
    LogSource::new(Some("pcap"), category, Some(service))
}

/// The flow event: oriented internal-first, payload bytes each way, Zeek state.
pub fn flow_event(flow: &Flow, networks: &Networks, path: &Arc<str>) -> Event {
    let o = orient(networks, flow.orig, flow.resp);
    let (src_stats, dst_stats) = if o.swapped {
        (&flow.resp_stats, &flow.orig_stats)
    } else {
        (&flow.orig_stats, &flow.resp_stats)
    };
    let mut event = Event {
        timestamp: flow.first_ts,
        kind: EventKind::Network,
        logsource: pcap_logsource(Some("network_connection"), "conn"),
        origin: Some(Origin {
            file: path.clone(),
            offset: flow.first_offset,
        }),
        dataset: Some("pcap.flow".into()),
        ..Default::default()
    };
    let net = event.network_mut();
    o.fill(net);
    net.source_bytes = Some(src_stats.payload_bytes);
    net.destination_bytes = Some(dst_stats.payload_bytes);
    net.source_packets = Some(src_stats.packets);
    net.destination_packets = Some(dst_stats.packets);
    net.transport = Some(transport_name(flow.protocol));
    net.protocol = flow.detected.map(str::to_string);
    net.state = Some(flow.conn_state().to_string());
    net.duration_s = Some(flow.last_ts.0.saturating_sub(flow.first_ts.0) as f64 / 1e6);
    net.destination_domain = flow
        .tls_sni
        .clone()
        .or_else(|| flow.http_host.as_deref().map(strip_port))
        .filter(|h| super::is_domain(h));
    if let Some(question) = &flow.dns_question {
        event.dns_mut().question_name = Some(question.clone());
    }
    if let Some(host) = &flow.http_host {
        let http = event.http_mut();
        http.url_domain = Some(strip_port(host));
        http.method = flow.http_method.clone();
    }
    event.tls_server_name = flow.tls_sni.clone();
    let native = &mut event.native;
    native.push("event.end", Value::from((flow.last_ts).to_rfc3339()));
    native.push(
        "source.frame_bytes",
        Value::Int(src_stats.frame_bytes as i64),
    );
    native.push(
        "destination.frame_bytes",
        Value::Int(dst_stats.frame_bytes as i64),
    );
    native.push(
        "initiator",
        Value::from(if o.swapped { "destination" } else { "source" }),
    );
    if let Some(expected) = flow.expected_protocol() {
        native.push("network.port_protocol", Value::from(expected));
    }
    if let Some(detected) = flow.detected {
        let mismatch = flow.expected_protocol().is_some_and(|e| e != detected)
            || (flow.expected_protocol().is_none()
                && matches!(
                    detected,
                    "tls" | "ftp" | "ssh" | "smtp" | "smb" | "http" | "dns"
                ));
        native.push("network.protocol_mismatch", Value::Bool(mismatch));
    }
    if flow.evicted {
        native.push("flow.evicted", Value::Bool(true));
    }
    event
}

fn strip_port(host: &str) -> String {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name.to_ascii_lowercase()
        }
        _ => host
            .trim_matches(|c| c == '[' || c == ']')
            .to_ascii_lowercase(),
    }
}

fn app_event(record: AppRecord, networks: &Networks, path: &Arc<str>) -> Event {
    let mut event = match record.fact {
        AppFact::Dns(tx) => {
            let mut event = base_event(tx.ts, tx.offset, path, EventKind::Dns, "pcap.dns");
            event.logsource = pcap_logsource(Some("dns"), "dns");
            let dns = event.dns_mut();
            dns.question_name = Some(tx.message.question_name);
            dns.question_type = Some(tx.message.question_type);
            if tx.answered {
                dns.response_code = Some(tx.message.response_code);
                dns.answers = tx.message.answers;
            }
            event
        }
        AppFact::Http(tx) => http_event(tx, path),
        AppFact::Tls(ts, offset, sni) => {
            let mut event = base_event(ts, offset, path, EventKind::Tls, "pcap.tls");
            event.logsource = pcap_logsource(None, "ssl");
            event.network_mut().destination_domain = Some(sni.clone());
            event.tls_server_name = Some(sni);
            event
        }
    };
    let o = orient(networks, record.orig, record.resp);
    let net = event.network_mut();
    o.fill(net);
    net.transport = Some(transport_name(record.protocol));
    event.native.push(
        "initiator",
        Value::from(if o.swapped { "destination" } else { "source" }),
    );
    event
}

fn http_event(tx: HttpTransaction, path: &Arc<str>) -> Event {
    let mut event = base_event(tx.ts, tx.offset, path, EventKind::Http, "pcap.http");
    event.logsource = pcap_logsource(None, "http");
    let request = tx.request;
    let host = request.host.as_deref().map(strip_port);
    let http = event.http_mut();
    http.url_full = Some(
        if request.target.starts_with("http://") || request.method == "CONNECT" {
            request.target.clone()
        } else {
            format!(
                "http://{}{}",
                request.host.as_deref().unwrap_or(""),
                request.target
            )
        },
    );
    http.url_domain = host.clone();
    http.url_path = Some(request.target);
    http.method = Some(request.method);
    http.request_body_bytes = Some(request.content_length.unwrap_or(tx.body_bytes));
    http.status_code = tx.status;
    http.user_agent = request.user_agent;
    let net = event.network_mut();
    net.destination_domain = host.filter(|h| super::is_domain(h));
    net.protocol = Some("http".into());
    event
}

fn base_event(
    ts: Timestamp,
    offset: u64,
    path: &Arc<str>,
    kind: EventKind,
    dataset: &str,
) -> Event {
    Event {
        timestamp: ts,
        kind,
        origin: Some(Origin {
            file: path.clone(),
            offset,
        }),
        dataset: Some(dataset.into()),
        ..Default::default()
    }
}
