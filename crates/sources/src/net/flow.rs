//! Bidirectional flows rebuilt from packets, with the application facts seen inside.
//!
//! A [`FlowTable`] keys flows by the direction-independent 5-tuple. Memory stays
//! bounded: flows expire on packet time after an idle timeout (TCP 5 min, other
//! 1 min, a closed TCP connection 5 s), and when the table holds `max_flows` the
//! least recently active tenth is evicted early and counted.

use super::app;
use super::packet::{Flags, PacketInfo};
use model::Timestamp;
use std::collections::{HashMap, VecDeque};

/// Limits of a [`FlowTable`].
#[derive(Clone, Debug)]
pub struct FlowLimits {
    /// Idle seconds after which a TCP flow ends.
    pub tcp_idle_s: i64,
    /// Idle seconds after which a UDP/ICMP/other flow ends.
    pub other_idle_s: i64,
    /// Idle seconds after which a closed (FIN both ways or RST) TCP flow ends.
    pub closed_idle_s: i64,
    /// Most flows held at once; beyond it the least recently active are evicted.
    pub max_flows: usize,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits {
            tcp_idle_s: 300,
            other_idle_s: 60,
            closed_idle_s: 5,
            max_flows: 200_000,
        }
    }
}

/// One side of a flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SideStats {
    /// Packets sent.
    pub packets: u64,
    /// Payload bytes sent (TCP/UDP payload as declared by the headers).
    pub payload_bytes: u64,
    /// Bytes on the wire (original frame lengths).
    pub frame_bytes: u64,
    /// Sent a SYN (without ACK).
    pub syn: bool,
    /// Sent a SYN-ACK.
    pub syn_ack: bool,
    /// Sent a FIN.
    pub fin: bool,
    /// Sent a RST.
    pub rst: bool,
}

/// An address and port.
pub use super::Endpoint;

/// A DNS transaction seen in a flow.
#[derive(Clone, Debug)]
pub struct DnsTransaction {
    /// Query time.
    pub ts: Timestamp,
    /// File offset of the query packet.
    pub offset: u64,
    /// The query, completed by the response when one came.
    pub message: app::DnsMessage,
    /// Whether a response was matched.
    pub answered: bool,
}

/// An HTTP request seen in a flow.
#[derive(Clone, Debug)]
pub struct HttpTransaction {
    /// Request time.
    pub ts: Timestamp,
    /// File offset of the packet holding the request line.
    pub offset: u64,
    /// The request head.
    pub request: app::HttpRequestHead,
    /// Body bytes sent after the head (counted from later segments).
    pub body_bytes: u64,
    /// Response status when seen.
    pub status: Option<u16>,
}

/// What an application record says.
#[derive(Clone, Debug)]
pub enum AppFact {
    /// A DNS query (with its answer when matched).
    Dns(DnsTransaction),
    /// An HTTP request (with its status when seen).
    Http(HttpTransaction),
    /// A TLS ClientHello with SNI, at its time and offset.
    Tls(Timestamp, u64, String),
}

/// Something a flow produced besides itself, with the flow's endpoints.
#[derive(Clone, Debug)]
pub struct AppRecord {
    /// Originator of the flow.
    pub orig: Endpoint,
    /// Responder of the flow.
    pub resp: Endpoint,
    /// IP protocol number.
    pub protocol: u8,
    /// The fact.
    pub fact: AppFact,
}

/// A flow's state. `orig` is the originator (TCP SYN sender, or first sender).
#[derive(Clone, Debug)]
pub struct Flow {
    /// Originator endpoint.
    pub orig: Endpoint,
    /// Responder endpoint.
    pub resp: Endpoint,
    /// IP protocol number.
    pub protocol: u8,
    /// First packet time.
    pub first_ts: Timestamp,
    /// Last packet time.
    pub last_ts: Timestamp,
    /// File offset of the first packet.
    pub first_offset: u64,
    /// Originator side.
    pub orig_stats: SideStats,
    /// Responder side.
    pub resp_stats: SideStats,
    /// Application protocol detected from payload.
    pub detected: Option<&'static str>,
    /// First DNS question name.
    pub dns_question: Option<String>,
    /// First HTTP host.
    pub http_host: Option<String>,
    /// First HTTP method.
    pub http_method: Option<String>,
    /// TLS SNI.
    pub tls_sni: Option<String>,
    /// Whether the flow was evicted early (table full).
    pub evicted: bool,
    payload_checks: u8,
    pending_dns: VecDeque<DnsTransaction>,
    pending_http: VecDeque<HttpTransaction>,
}

const MAX_PENDING: usize = 64;
const MAX_PAYLOAD_CHECKS: u8 = 8;

impl Flow {
    fn new(orig: Endpoint, resp: Endpoint, protocol: u8, ts: Timestamp, offset: u64) -> Self {
        Flow {
            orig,
            resp,
            protocol,
            first_ts: ts,
            last_ts: ts,
            first_offset: offset,
            orig_stats: SideStats::default(),
            resp_stats: SideStats::default(),
            detected: None,
            dns_question: None,
            http_host: None,
            http_method: None,
            tls_sni: None,
            evicted: false,
            payload_checks: 0,
            pending_dns: VecDeque::new(),
            pending_http: VecDeque::new(),
        }
    }

    /// Whether the TCP connection is over (FIN both ways, or a RST).
    pub fn is_closed(&self) -> bool {
        self.protocol == 6
            && ((self.orig_stats.fin && self.resp_stats.fin)
                || self.orig_stats.rst
                || self.resp_stats.rst)
    }

    /// Zeek's `conn_state` for this flow.
    pub fn conn_state(&self) -> &'static str {
        let (o, r) = (&self.orig_stats, &self.resp_stats);
        if self.protocol != 6 {
            return if r.packets > 0 { "SF" } else { "S0" };
        }
        let established = o.syn && r.syn_ack;
        match () {
            _ if !o.syn && !r.syn_ack => "OTH",
            _ if o.syn && !r.syn_ack && r.rst => "REJ",
            _ if established && o.rst => "RSTO",
            _ if established && r.rst => "RSTR",
            _ if established && o.fin && r.fin => "SF",
            _ if established && o.fin => "S2",
            _ if established && r.fin => "S3",
            _ if established => "S1",
            _ if o.syn && o.rst => "RSTOS0",
            _ if o.syn && o.fin => "SH",
            _ if o.syn => "S0",
            _ if r.syn_ack && r.rst => "RSTRH",
            _ if r.syn_ack && r.fin => "SHR",
            _ => "OTH",
        }
    }

    /// The protocol the responder's port is registered for.
    pub fn expected_protocol(&self) -> Option<&'static str> {
        app::protocol_for_port(self.resp.1, self.protocol == 6)
    }

    fn update(&mut self, from_orig: bool, packet: &PacketInfo<'_>, frame_len: u64) {
        let side = if from_orig {
            &mut self.orig_stats
        } else {
            &mut self.resp_stats
        };
        side.packets += 1;
        side.payload_bytes += packet.payload_len;
        side.frame_bytes += frame_len;
        let Flags { syn, ack, fin, rst } = packet.flags;
        side.syn |= syn && !ack;
        side.syn_ack |= syn && ack;
        side.fin |= fin;
        side.rst |= rst;
    }

    fn inspect(
        &mut self,
        from_orig: bool,
        packet: &PacketInfo<'_>,
        ts: Timestamp,
        offset: u64,
        out: &mut Vec<AppRecord>,
    ) {
        if packet.payload.is_empty() {
            return;
        }
        let is_tcp = self.protocol == 6;
        if self.detected.is_none() && self.payload_checks < MAX_PAYLOAD_CHECKS {
            self.payload_checks += 1;
            self.detected = app::detect_protocol(packet.payload, from_orig, is_tcp);
        }
        match self.detected {
            Some("dns") if !is_tcp => self.inspect_dns(from_orig, packet.payload, ts, offset, out),
            Some("http") => self.inspect_http(from_orig, packet, ts, offset, out),
            Some("tls") if from_orig && self.tls_sni.is_none() => {
                if let Some(sni) = app::parse_tls_client_hello_sni(packet.payload) {
                    self.tls_sni = Some(sni.clone());
                    out.push(self.record(AppFact::Tls(ts, offset, sni)));
                }
            }
            _ => {}
        }
    }

    fn inspect_dns(
        &mut self,
        from_orig: bool,
        payload: &[u8],
        ts: Timestamp,
        offset: u64,
        out: &mut Vec<AppRecord>,
    ) {
        let Some(message) = app::parse_dns(payload) else {
            return;
        };
        if !message.is_response {
            if self.dns_question.is_none() {
                self.dns_question = Some(message.question_name.clone());
            }
            if self.pending_dns.len() >= MAX_PENDING
                && let Some(oldest) = self.pending_dns.pop_front()
            {
                out.push(self.record(AppFact::Dns(oldest)));
            }
            self.pending_dns.push_back(DnsTransaction {
                ts,
                offset,
                message,
                answered: false,
            });
            return;
        }
        let matched = self.pending_dns.iter().position(|q| {
            q.message.id == message.id && q.message.question_name == message.question_name
        });
        match matched.and_then(|i| self.pending_dns.remove(i)) {
            Some(mut query) => {
                query.message.response_code = message.response_code;
                query.message.answers = message.answers;
                query.message.is_response = true;
                query.answered = true;
                out.push(self.record(AppFact::Dns(query)));
            }
            None if !from_orig || self.dns_question.is_none() => {
                // A response whose query was not captured: still a DNS fact.
                if self.dns_question.is_none() {
                    self.dns_question = Some(message.question_name.clone());
                }
                let tx = DnsTransaction {
                    ts,
                    offset,
                    message,
                    answered: true,
                };
                out.push(self.record(AppFact::Dns(tx)));
            }
            None => {}
        }
    }

    fn inspect_http(
        &mut self,
        from_orig: bool,
        packet: &PacketInfo<'_>,
        ts: Timestamp,
        offset: u64,
        out: &mut Vec<AppRecord>,
    ) {
        if from_orig {
            if let Some(request) = app::parse_http_request(packet.payload) {
                if self.http_host.is_none() {
                    self.http_host = request.host.clone();
                    self.http_method = Some(request.method.clone());
                }
                if self.pending_http.len() >= MAX_PENDING
                    && let Some(oldest) = self.pending_http.pop_front()
                {
                    out.push(self.record(AppFact::Http(oldest)));
                }
                let body_bytes = request.body_bytes_in_payload;
                self.pending_http.push_back(HttpTransaction {
                    ts,
                    offset,
                    request,
                    body_bytes,
                    status: None,
                });
            } else if let Some(last) = self.pending_http.back_mut() {
                last.body_bytes += packet.payload_len;
            }
        } else if let Some(status) = app::parse_http_status(packet.payload)
            && let Some(mut first) = self.pending_http.pop_front()
        {
            first.status = Some(status);
            out.push(self.record(AppFact::Http(first)));
        }
    }

    /// Hands out the transactions still waiting for an answer (at flow end).
    fn drain_pending(&mut self, out: &mut Vec<AppRecord>) {
        while let Some(tx) = self.pending_dns.pop_front() {
            out.push(self.record(AppFact::Dns(tx)));
        }
        while let Some(tx) = self.pending_http.pop_front() {
            out.push(self.record(AppFact::Http(tx)));
        }
    }

    fn record(&self, fact: AppFact) -> AppRecord {
        AppRecord {
            orig: self.orig,
            resp: self.resp,
            protocol: self.protocol,
            fact,
        }
    }
}

/// Direction-independent key: the smaller endpoint first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FlowKey {
    low: Endpoint,
    high: Endpoint,
    protocol: u8,
}

impl FlowKey {
    fn new(a: Endpoint, b: Endpoint, protocol: u8) -> Self {
        if a <= b {
            FlowKey {
                low: a,
                high: b,
                protocol,
            }
        } else {
            FlowKey {
                low: b,
                high: a,
                protocol,
            }
        }
    }
}

/// Counters of a [`FlowTable`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowCounters {
    /// Flows ended (all reasons).
    pub flows: u64,
    /// Flows evicted early because the table was full.
    pub evicted: u64,
    /// Largest number of flows held at once.
    pub peak_flows: u64,
    /// Non-first IP fragments (not attributed to a flow).
    pub fragments: u64,
}

/// Flows keyed by 5-tuple, expiring on packet time.
pub struct FlowTable {
    limits: FlowLimits,
    flows: HashMap<FlowKey, Flow>,
    now: Timestamp,
    next_sweep: Timestamp,
    counters: FlowCounters,
}

const SWEEP_EVERY_US: i64 = 5_000_000;

impl FlowTable {
    /// An empty table.
    pub fn new(limits: FlowLimits) -> Self {
        FlowTable {
            limits,
            flows: HashMap::new(),
            now: Timestamp::MIN,
            next_sweep: Timestamp::MIN,
            counters: FlowCounters::default(),
        }
    }

    /// The counters so far.
    pub fn counters(&self) -> FlowCounters {
        self.counters
    }

    /// Adds a packet; ended flows go to `ended`, application records to `records`.
    pub fn add(
        &mut self,
        packet: &PacketInfo<'_>,
        ts: Timestamp,
        offset: u64,
        frame_len: u64,
        ended: &mut Vec<Flow>,
        records: &mut Vec<AppRecord>,
    ) {
        if packet.fragment && packet.src_port == 0 && packet.dst_port == 0 {
            self.counters.fragments += 1;
            return;
        }
        self.now = self.now.max(ts);
        if self.now >= self.next_sweep {
            self.expire_idle(ended, records);
            self.next_sweep = Timestamp(self.now.0.saturating_add(SWEEP_EVERY_US));
        }
        let src = (packet.src, packet.src_port);
        let dst = (packet.dst, packet.dst_port);
        let key = FlowKey::new(src, dst, packet.protocol);
        // A new SYN on a finished connection is a new connection (port reuse).
        let reused = packet.flags.syn
            && !packet.flags.ack
            && self
                .flows
                .get(&key)
                .is_some_and(|f| f.is_closed() || f.orig != src);
        if reused && let Some(mut old) = self.flows.remove(&key) {
            old.drain_pending(records);
            self.finish(old, ended);
        }
        let is_new = !self.flows.contains_key(&key);
        if is_new && self.flows.len() >= self.limits.max_flows {
            self.evict(ended, records);
        }
        let held = self.flows.len() as u64 + u64::from(is_new);
        self.counters.peak_flows = self.counters.peak_flows.max(held);
        let flow = self.flows.entry(key).or_insert_with(|| {
            let (orig, resp) = originator(packet);
            Flow::new(orig, resp, packet.protocol, ts, offset)
        });
        flow.last_ts = flow.last_ts.max(ts);
        let from_orig = src == flow.orig;
        flow.update(from_orig, packet, frame_len);
        flow.inspect(from_orig, packet, ts, offset, records);
    }

    fn finish(&mut self, flow: Flow, ended: &mut Vec<Flow>) {
        self.counters.flows += 1;
        ended.push(flow);
    }

    fn idle_limit_us(&self, flow: &Flow) -> i64 {
        let secs = if flow.is_closed() {
            self.limits.closed_idle_s
        } else if flow.protocol == 6 {
            self.limits.tcp_idle_s
        } else {
            self.limits.other_idle_s
        };
        secs.saturating_mul(1_000_000)
    }

    fn expire_idle(&mut self, ended: &mut Vec<Flow>, records: &mut Vec<AppRecord>) {
        let now = self.now;
        let expired: Vec<FlowKey> = self
            .flows
            .iter()
            .filter(|(_, f)| now.0.saturating_sub(f.last_ts.0) > self.idle_limit_us(f))
            .map(|(k, _)| *k)
            .collect();
        self.remove_all(&expired, false, ended, records);
    }

    fn evict(&mut self, ended: &mut Vec<Flow>, records: &mut Vec<AppRecord>) {
        let mut by_age: Vec<(Timestamp, FlowKey)> =
            self.flows.iter().map(|(k, f)| (f.last_ts, *k)).collect();
        let count = (by_age.len() / 10).max(1);
        by_age.select_nth_unstable_by_key(count - 1, |(ts, _)| *ts);
        let keys: Vec<FlowKey> = by_age[..count].iter().map(|(_, k)| *k).collect();
        self.remove_all(&keys, true, ended, records);
    }

    fn remove_all(
        &mut self,
        keys: &[FlowKey],
        evicted: bool,
        ended: &mut Vec<Flow>,
        records: &mut Vec<AppRecord>,
    ) {
        for key in keys {
            if let Some(mut flow) = self.flows.remove(key) {
                flow.evicted = evicted;
                if evicted {
                    self.counters.evicted += 1;
                }
                flow.drain_pending(records);
                self.finish(flow, ended);
            }
        }
    }

    /// Ends every flow (end of input).
    pub fn flush(&mut self, ended: &mut Vec<Flow>, records: &mut Vec<AppRecord>) {
        let keys: Vec<FlowKey> = self.flows.keys().copied().collect();
        self.remove_all(&keys, false, ended, records);
    }

    /// Flows currently held.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Whether no flow is held.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }
}

/// Who started the flow, judged from its first packet: the SYN sender; the
/// receiver of a SYN-ACK; otherwise the sender, unless it sends from a service port
/// to an ephemeral one (a capture that started mid-connection).
fn originator(packet: &PacketInfo<'_>) -> (Endpoint, Endpoint) {
    let src = (packet.src, packet.src_port);
    let dst = (packet.dst, packet.dst_port);
    let flags = packet.flags;
    let reverse = if packet.protocol == 6 && flags.syn {
        flags.ack
    } else if matches!(packet.protocol, 6 | 17) {
        is_service_port(packet.src_port, packet.protocol)
            && !is_service_port(packet.dst_port, packet.protocol)
            && packet.dst_port >= 1024
    } else {
        false
    };
    if reverse { (dst, src) } else { (src, dst) }
}

fn is_service_port(port: u16, protocol: u8) -> bool {
    port < 1024 || app::protocol_for_port(port, protocol == 6).is_some()
}
