//! NetFlow v5, v9 and IPFIX: export files (messages back to back, as collectors
//! store them) and pcap captures of the UDP export packets.
//!
//! [`NetflowDecoder`] keeps templates per (exporter address, source id or
//! observation domain, template id); options templates are learned too and their
//! data records (sampling interval) annotate the flows of the same exporter. Fields
//! without a typed meaning are kept in the native record under their IANA name (or
//! `ie<id>` / `ie<enterprise>.<id>`), so nothing the exporter said is lost.
//!
//! Flow records are unidirectional unless the exporter sends initiator/responder
//! counters (IPFIX 231/232/298/299, Cisco ASA): the side the record did not observe
//! is left empty, never guessed.

use super::{Endpoint, orient};
use crate::{RecordError, SourceContext};
use model::{Event, EventKind, LogSource, Networks, Origin, Sym, Timestamp, Value};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Private enterprise number of the RFC 5103 reverse information elements.
const REVERSE_PEN: u32 = 29305;
/// Variable-length marker in a template field length.
const VARIABLE: u16 = 0xFFFF;
/// Most templates cached per decoder (per file or capture).
const MAX_TEMPLATES: usize = 4096;

#[derive(Clone, Debug)]
struct TemplateField {
    id: u16,
    enterprise: u32,
    len: u16,
    /// Native name, interned once when the template is learned.
    sym: Option<Sym>,
}

#[derive(Clone, Debug)]
struct Template {
    fields: Vec<TemplateField>,
    /// An options template: its records describe the exporter, not flows.
    is_options: bool,
}

type TemplateKey = (Option<IpAddr>, u32, u16);

/// Counters of a NetFlow/IPFIX input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetflowStats {
    /// Export messages decoded.
    pub messages: u64,
    /// Flow records turned into events.
    pub flows: u64,
    /// Templates learned (data and options).
    pub templates: u64,
    /// Options data records applied (sampling).
    pub options_records: u64,
    /// Data sets skipped because their template was not (yet) seen.
    pub sets_without_template: u64,
    /// Malformed messages or sets (reported as record errors).
    pub malformed: u64,
}

/// Decodes NetFlow v5/v9/IPFIX messages into flow events, keeping templates.
pub struct NetflowDecoder {
    path: Arc<str>,
    networks: Networks,
    templates: HashMap<TemplateKey, Arc<Template>>,
    sampling: HashMap<(Option<IpAddr>, u32), u64>,
    stats: NetflowStats,
}

/// Where a message came from and when it was exported.
#[derive(Clone, Copy, Debug)]
struct Header {
    exporter: Option<IpAddr>,
    domain: u32,
    version: u16,
    export_ms: i64,
    uptime_ms: i64,
}

/// Reads a big-endian unsigned integer of 1 to 8 bytes.
fn uint(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64))
}

fn be16(data: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(pos)?, *data.get(pos + 1)?]))
}

fn be32(data: &[u8], pos: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(pos..pos + 4)?.try_into().ok()?))
}

/// The length of the message at the start of `data` when it looks like a NetFlow
/// v5/v9 or IPFIX header; v9 has no length field, so its flowsets are walked.
/// `None`: not a message start. `Some(n)` with `n > data.len()`: need more bytes.
pub fn message_len(data: &[u8]) -> Option<usize> {
    let version = be16(data, 0)?;
    match version {
        5 => {
            let count = be16(data, 2)? as usize;
            (1..=30).contains(&count).then_some(24 + count * 48)
        }
        10 => {
            let len = be16(data, 2)? as usize;
            (len >= 16).then_some(len)
        }
        9 => {
            let count = be16(data, 2)?;
            if count > 2048 || data.len() < 20 {
                return if data.len() < 20 { Some(20) } else { None };
            }
            let mut pos = 20;
            loop {
                let (Some(id), Some(len)) = (be16(data, pos), be16(data, pos + 2)) else {
                    return Some(pos.max(data.len()));
                };
                if (2..=255).contains(&id) || len < 4 {
                    return Some(pos);
                }
                if pos + len as usize > data.len() {
                    return Some(pos + len as usize);
                }
                pos += len as usize;
            }
        }
        _ => None,
    }
}

/// Whether `data` starts with a plausible export message header (for sniffing).
pub fn looks_like_message(data: &[u8]) -> bool {
    let Some(version) = be16(data, 0) else {
        return false;
    };
    match version {
        5 => {
            let count = be16(data, 2).unwrap_or(0) as usize;
            (1..=30).contains(&count) && data.len() >= 24 && be32(data, 8).unwrap_or(0) > 0
        }
        9 => {
            let count = be16(data, 2).unwrap_or(0);
            let set_id = be16(data, 20);
            let set_len = be16(data, 22).unwrap_or(0);
            (1..=2048).contains(&count) && matches!(set_id, Some(0 | 1 | 256..)) && set_len >= 4
        }
        10 => {
            let len = be16(data, 2).unwrap_or(0);
            let set_id = be16(data, 16);
            let set_len = be16(data, 18).unwrap_or(0);
            len >= 20
                && matches!(set_id, Some(2 | 3 | 256..))
                && set_len >= 4
                && set_len <= len - 16
        }
        _ => false,
    }
}

impl NetflowDecoder {
    /// A decoder for one input.
    pub fn new(path: Arc<str>, ctx: &SourceContext) -> Self {
        NetflowDecoder {
            path,
            networks: ctx.networks.clone(),
            templates: HashMap::new(),
            sampling: HashMap::new(),
            stats: NetflowStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> NetflowStats {
        self.stats
    }

    fn error(&mut self, offset: u64, reason: String) -> RecordError {
        self.stats.malformed += 1;
        RecordError {
            file: self.path.clone(),
            offset,
            reason,
        }
    }

    /// Decodes one message (`msg` is exactly the message) found at `offset`, from
    /// `exporter` when known (UDP source), pushing events and errors to `out`.
    pub fn decode(
        &mut self,
        exporter: Option<IpAddr>,
        msg: &[u8],
        offset: u64,
        out: &mut VecDeque<Result<Event, RecordError>>,
    ) {
        self.stats.messages += 1;
        let result = match be16(msg, 0) {
            Some(5) => self.decode_v5(exporter, msg, offset, out),
            Some(9) => self.decode_v9(exporter, msg, offset, out),
            Some(10) => self.decode_ipfix(exporter, msg, offset, out),
            _ => Err("not a NetFlow v5/v9 or IPFIX message".to_string()),
        };
        if let Err(reason) = result {
            let err = self.error(offset, reason);
            out.push_back(Err(err));
        }
    }

    fn decode_v5(
        &mut self,
        exporter: Option<IpAddr>,
        msg: &[u8],
        offset: u64,
        out: &mut VecDeque<Result<Event, RecordError>>,
    ) -> Result<(), String> {
        let count = be16(msg, 2).unwrap_or(0) as usize;
        if msg.len() < 24 + count * 48 {
            return Err(format!(
                "NetFlow v5 message cut short ({} of {} bytes)",
                msg.len(),
                24 + count * 48
            ));
        }
        let uptime_ms = be32(msg, 4).unwrap_or(0) as i64;
        let export_ms =
            be32(msg, 8).unwrap_or(0) as i64 * 1000 + be32(msg, 12).unwrap_or(0) as i64 / 1_000_000;
        let sampling = (be16(msg, 22).unwrap_or(0) & 0x3FFF) as u64;
        for i in 0..count {
            let r = &msg[24 + i * 48..24 + (i + 1) * 48];
            let word = |pos| be32(r, pos).unwrap_or(0);
            let half = |pos| be16(r, pos).unwrap_or(0);
            let mut flow = FlowFacts {
                src: Some(IpAddr::V4(Ipv4Addr::from(word(0)))),
                dst: Some(IpAddr::V4(Ipv4Addr::from(word(4)))),
                src_port: half(32),
                dst_port: half(34),
                protocol: r[38],
                packets: Some(word(16) as u64),
                octets: Some(word(20) as u64),
                start_ms: Some(export_ms - (uptime_ms - word(24) as i64)),
                end_ms: Some(export_ms - (uptime_ms - word(28) as i64)),
                ..Default::default()
            };
            let native = &mut flow.native;
            native.push(("netflow.version", Value::Int(5)));
            native.push((
                "netflow.next_hop",
                Value::from(Ipv4Addr::from(word(8)).to_string()),
            ));
            native.push(("netflow.input_snmp", Value::Int(half(12) as i64)));
            native.push(("netflow.output_snmp", Value::Int(half(14) as i64)));
            native.push(("netflow.tcp_flags", Value::Int(r[37] as i64)));
            native.push(("netflow.tos", Value::Int(r[39] as i64)));
            native.push(("netflow.src_as", Value::Int(half(40) as i64)));
            native.push(("netflow.dst_as", Value::Int(half(42) as i64)));
            if sampling > 1 {
                native.push(("netflow.sampling_interval", Value::Int(sampling as i64)));
            }
            let header = Header {
                exporter,
                domain: be16(msg, 20).unwrap_or(0) as u32,
                version: 5,
                export_ms,
                uptime_ms,
            };
            out.push_back(Ok(self.event(&header, flow, offset + 24 + (i * 48) as u64)));
        }
        Ok(())
    }

    fn decode_v9(
        &mut self,
        exporter: Option<IpAddr>,
        msg: &[u8],
        offset: u64,
        out: &mut VecDeque<Result<Event, RecordError>>,
    ) -> Result<(), String> {
        if msg.len() < 20 {
            return Err("NetFlow v9 header cut short".into());
        }
        let header = Header {
            exporter,
            domain: be32(msg, 16).unwrap_or(0),
            version: 9,
            uptime_ms: be32(msg, 4).unwrap_or(0) as i64,
            export_ms: be32(msg, 8).unwrap_or(0) as i64 * 1000,
        };
        self.decode_sets(&header, msg, 20, offset, out)
    }

    fn decode_ipfix(
        &mut self,
        exporter: Option<IpAddr>,
        msg: &[u8],
        offset: u64,
        out: &mut VecDeque<Result<Event, RecordError>>,
    ) -> Result<(), String> {
        let len = be16(msg, 2).unwrap_or(0) as usize;
        if len < 16 || msg.len() < len {
            return Err(format!(
                "IPFIX message length {len} does not fit ({} bytes present)",
                msg.len()
            ));
        }
        let header = Header {
            exporter,
            domain: be32(msg, 12).unwrap_or(0),
            version: 10,
            uptime_ms: 0,
            export_ms: be32(msg, 4).unwrap_or(0) as i64 * 1000,
        };
        self.decode_sets(&header, &msg[..len], 16, offset, out)
    }

    fn decode_sets(
        &mut self,
        header: &Header,
        msg: &[u8],
        mut pos: usize,
        offset: u64,
        out: &mut VecDeque<Result<Event, RecordError>>,
    ) -> Result<(), String> {
        let ipfix = header.version == 10;
        while pos + 4 <= msg.len() {
            let set_id = be16(msg, pos).unwrap_or(0);
            let set_len = be16(msg, pos + 2).unwrap_or(0) as usize;
            if set_len < 4 || pos + set_len > msg.len() {
                if msg[pos..].iter().all(|b| *b == 0) {
                    return Ok(()); // zero padding after the last set
                }
                return Err(format!("set {set_id} at +{pos} has a bad length {set_len}"));
            }
            let body = &msg[pos + 4..pos + set_len];
            let set_offset = offset + pos as u64;
            let result = match (set_id, ipfix) {
                (0, false) | (2, true) => self.learn_templates(header, body, false),
                (1, false) | (3, true) => self.learn_templates(header, body, true),
                (256.., _) => {
                    self.decode_data(header, set_id, body, set_offset, out);
                    Ok(())
                }
                _ => Ok(()), // reserved set ids: skipped as the RFCs say
            };
            if let Err(reason) = result {
                let err = self.error(set_offset, reason);
                out.push_back(Err(err));
            }
            pos += set_len;
        }
        Ok(())
    }

    fn learn_templates(
        &mut self,
        header: &Header,
        body: &[u8],
        options: bool,
    ) -> Result<(), String> {
        let ipfix = header.version == 10;
        let mut pos = 0;
        while pos + 4 <= body.len() {
            let template_id = be16(body, pos).unwrap_or(0);
            if template_id == 0 && body[pos..].iter().all(|b| *b == 0) {
                break; // padding
            }
            // Options templates list scope fields first; both kinds are kept whole.
            let (field_count, mut p) = match (options, ipfix) {
                (false, _) => (be16(body, pos + 2).unwrap_or(0) as usize, pos + 4),
                (true, true) => {
                    be16(body, pos + 4).ok_or("options template cut short")?;
                    (be16(body, pos + 2).unwrap_or(0) as usize, pos + 6)
                }
                (true, false) => {
                    // v9 options: lengths in bytes of the scope and option field lists.
                    let scope_len = be16(body, pos + 2).unwrap_or(0) as usize;
                    let option_len =
                        be16(body, pos + 4).ok_or("options template cut short")? as usize;
                    ((scope_len + option_len) / 4, pos + 6)
                }
            };
            let mut fields = Vec::with_capacity(field_count);
            for _ in 0..field_count {
                let raw_id = be16(body, p).ok_or("template cut short")?;
                let len = be16(body, p + 2).ok_or("template cut short")?;
                p += 4;
                let (id, enterprise) = if ipfix && raw_id & 0x8000 != 0 {
                    let enterprise = be32(body, p).ok_or("template cut short")?;
                    p += 4;
                    (raw_id & 0x7FFF, enterprise)
                } else {
                    (raw_id, 0)
                };
                fields.push(TemplateField {
                    id,
                    enterprise,
                    len,
                    sym: Sym::intern(&element_name(id, enterprise)),
                });
            }
            if template_id < 256 {
                return Err(format!("template id {template_id} below 256"));
            }
            if self.templates.len() >= MAX_TEMPLATES {
                self.templates.clear();
            }
            self.templates.insert(
                (header.exporter, header.domain, template_id),
                Arc::new(Template {
                    fields,
                    is_options: options,
                }),
            );
            self.stats.templates += 1;
            pos = p;
        }
        Ok(())
    }

    fn decode_data(
        &mut self,
        header: &Header,
        template_id: u16,
        body: &[u8],
        set_offset: u64,
        out: &mut VecDeque<Result<Event, RecordError>>,
    ) {
        let key = (header.exporter, header.domain, template_id);
        let Some(template) = self.templates.get(&key).map(Arc::clone) else {
            self.stats.sets_without_template += 1;
            let err = self.error(
                set_offset,
                format!(
                    "data set for template {template_id} (domain {}) whose template was not seen",
                    header.domain
                ),
            );
            out.push_back(Err(err));
            return;
        };
        let min_len: usize = template
            .fields
            .iter()
            .map(|f| if f.len == VARIABLE { 1 } else { f.len as usize })
            .sum();
        if min_len == 0 {
            return;
        }
        let mut values: FieldValues<'_, '_> = Vec::with_capacity(template.fields.len());
        let mut pos = 0;
        while pos + min_len <= body.len() {
            let record_offset = set_offset + 4 + pos as u64;
            let Some(next) = split_record(&template, body, pos, &mut values) else {
                let err = self.error(
                    record_offset,
                    format!("record of template {template_id} cut short"),
                );
                out.push_back(Err(err));
                return;
            };
            pos = next;
            if template.is_options {
                self.apply_options(header, &values);
                continue;
            }
            let flow = flow_facts(header, &values);
            if flow.src.is_none() && flow.dst.is_none() {
                continue; // not a flow record (e.g. a vendor statistics template)
            }
            let mut flow = flow;
            if let Some(rate) = self.sampling.get(&(header.exporter, header.domain)) {
                flow.native
                    .push(("netflow.sampling_interval", Value::Int(*rate as i64)));
            }
            out.push_back(Ok(self.event(header, flow, record_offset)));
        }
    }

    fn apply_options(&mut self, header: &Header, values: &[(&TemplateField, &[u8])]) {
        self.stats.options_records += 1;
        for (field, bytes) in values {
            if field.enterprise == 0
                && matches!(field.id, 34 | 305 | 50)
                && let Some(rate) = uint(bytes).filter(|r| *r > 0)
            {
                self.sampling.insert((header.exporter, header.domain), rate);
            }
        }
    }

    fn event(&mut self, header: &Header, flow: FlowFacts, offset: u64) -> Event {
        self.stats.flows += 1;
        flow_event(header, flow, offset, &self.path, &self.networks)
    }
}

/// The (field, bytes) pairs of one data record.
type FieldValues<'t, 'b> = Vec<(&'t TemplateField, &'b [u8])>;

/// Splits one data record into (field, bytes) pairs; `None` when cut short.
fn split_record<'t, 'b>(
    template: &'t Template,
    body: &'b [u8],
    mut pos: usize,
    values: &mut FieldValues<'t, 'b>,
) -> Option<usize> {
    values.clear();
    for field in &template.fields {
        let len = if field.len == VARIABLE {
            let first = *body.get(pos)? as usize;
            pos += 1;
            if first == 255 {
                let long = be16(body, pos)? as usize;
                pos += 2;
                long
            } else {
                first
            }
        } else {
            field.len as usize
        };
        values.push((field, body.get(pos..pos + len)?));
        pos += len;
    }
    Some(pos)
}

/// The typed facts of one flow record, before orientation.
#[derive(Clone, Debug, Default)]
struct FlowFacts {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    src_port: u16,
    dst_port: u16,
    protocol: u8,
    packets: Option<u64>,
    octets: Option<u64>,
    /// Initiator/responder counters (biflow exporters).
    initiator_octets: Option<u64>,
    responder_octets: Option<u64>,
    initiator_packets: Option<u64>,
    responder_packets: Option<u64>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    native: Vec<(&'static str, Value)>,
    native_syms: Vec<(Sym, Value)>,
}

/// Native names written for every record, interned once per process.
const STATIC_NAMES: [&str; 12] = [
    "netflow.record_direction",
    "netflow.exporter",
    "netflow.domain",
    "netflow.sampling_interval",
    "netflow.version",
    "netflow.next_hop",
    "netflow.input_snmp",
    "netflow.output_snmp",
    "netflow.tcp_flags",
    "netflow.tos",
    "netflow.src_as",
    "netflow.dst_as",
];

/// Pushes a native field whose name is one of [`STATIC_NAMES`] without interning
/// it again per record.
fn push_static(native: &mut model::Native, name: &'static str, value: Value) {
    static SYMS: std::sync::OnceLock<Vec<(&'static str, Option<Sym>)>> = std::sync::OnceLock::new();
    let syms = SYMS.get_or_init(|| STATIC_NAMES.iter().map(|n| (*n, Sym::intern(n))).collect());
    match syms.iter().find(|(n, _)| *n == name) {
        Some((_, Some(sym))) => native.push_sym(*sym, value),
        Some((_, None)) => {}
        None => native.push(name, value),
    }
}

/// An exporter's time value (`value * multiply / divide`) in milliseconds, kept in
/// range whatever the record says.
fn millis(value: u64, multiply: u64, divide: u64) -> i64 {
    let ms = (value / divide).saturating_mul(multiply);
    i64::try_from(ms).unwrap_or(i64::MAX / 1000)
}

fn ip_of(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(bytes).ok()?,
        ))),
        _ => None,
    }
}

fn flow_facts(header: &Header, values: &[(&TemplateField, &[u8])]) -> FlowFacts {
    let mut flow = FlowFacts::default();
    let mut system_init_ms = None;
    let mut relative_start = None;
    let mut relative_end = None;
    for (field, bytes) in values {
        let number = uint(bytes);
        let typed = field.enterprise == 0;
        match (typed, field.id) {
            (true, 8 | 27) => flow.src = ip_of(bytes),
            (true, 12 | 28) => flow.dst = ip_of(bytes),
            (true, 7) => flow.src_port = number.unwrap_or(0) as u16,
            (true, 11) => flow.dst_port = number.unwrap_or(0) as u16,
            (true, 4) => flow.protocol = number.unwrap_or(0) as u8,
            (true, 1 | 85) => flow.octets = number,
            (true, 2 | 86) => flow.packets = number,
            (true, 231) => flow.initiator_octets = number,
            (true, 232) => flow.responder_octets = number,
            (true, 298) => flow.initiator_packets = number,
            (true, 299) => flow.responder_packets = number,
            (true, 150) => flow.start_ms = number.map(|s| millis(s, 1000, 1)),
            (true, 151) => flow.end_ms = number.map(|s| millis(s, 1000, 1)),
            (true, 152) => flow.start_ms = number.map(|ms| millis(ms, 1, 1)),
            (true, 153) => flow.end_ms = number.map(|ms| millis(ms, 1, 1)),
            (true, 154) => flow.start_ms = number.map(|us| millis(us, 1, 1000)),
            (true, 155) => flow.end_ms = number.map(|us| millis(us, 1, 1000)),
            (true, 156) => flow.start_ms = number.map(|ns| millis(ns, 1, 1_000_000)),
            (true, 157) => flow.end_ms = number.map(|ns| millis(ns, 1, 1_000_000)),
            // RFC 5103 reverse elements (YAF and other biflow exporters).
            (false, 1 | 85) if field.enterprise == REVERSE_PEN => flow.responder_octets = number,
            (false, 2 | 86) if field.enterprise == REVERSE_PEN => flow.responder_packets = number,
            (true, 176 | 178) => flow.src_port = number.unwrap_or(0) as u16,
            (true, 177 | 179) => flow.dst_port = number.unwrap_or(0) as u16,
            (true, 22) => relative_start = number,
            (true, 21) => relative_end = number,
            (true, 160) => system_init_ms = number,
            (true, 32 | 139) if flow.src_port == 0 => {
                // ICMP type and code, stored in the ports as Zeek does.
                let v = number.unwrap_or(0);
                flow.src_port = (v >> 8) as u16;
                flow.dst_port = (v & 0xFF) as u16;
            }
            _ => {}
        }
        // Elements with a typed home (addresses, ports, protocol, counters) are
        // not repeated in the native record.
        let has_typed_home =
            typed && matches!(field.id, 1 | 2 | 4 | 7 | 8 | 11 | 12 | 27 | 28 | 85 | 86);
        if let Some(sym) = field.sym.filter(|_| !has_typed_home) {
            flow.native_syms.push((sym, native_value(field, bytes)));
        }
    }
    if flow.responder_octets.is_some() && flow.initiator_octets.is_none() {
        flow.initiator_octets = flow.octets;
        flow.initiator_packets = flow.packets;
    }
    if flow.start_ms.is_none() {
        // v9 FIRST/LAST_SWITCHED are milliseconds of system uptime.
        let base = match system_init_ms {
            Some(init) => Some(millis(init, 1, 1)),
            None if header.version == 9 => Some(header.export_ms - header.uptime_ms),
            None => None,
        };
        if let (Some(base), Some(start)) = (base, relative_start) {
            flow.start_ms = Some(base.saturating_add(millis(start, 1, 1)));
            flow.end_ms = relative_end.map(|end| base.saturating_add(millis(end, 1, 1)));
        }
    }
    flow
}

fn native_value(field: &TemplateField, bytes: &[u8]) -> Value {
    if field.enterprise == 0
        && matches!(
            field.id,
            8 | 12 | 15 | 18 | 27 | 28 | 62 | 63 | 225 | 226 | 281 | 282 | 40001 | 40002
        )
        && let Some(ip) = ip_of(bytes)
    {
        return Value::from(ip.to_string());
    }
    if field.enterprise == 0 && matches!(field.id, 82 | 83 | 84 | 94 | 96 | 100)
        || field.len == VARIABLE
    {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_end_matches('\0');
        if text.chars().all(|c| !c.is_control()) {
            return Value::from(text);
        }
    }
    match uint(bytes) {
        Some(v) if v <= i64::MAX as u64 => Value::Int(v as i64),
        _ => Value::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()),
    }
}

/// IANA names for the elements analysts look at; others as `ie<id>`.
fn element_name(id: u16, enterprise: u32) -> String {
    if enterprise == REVERSE_PEN {
        return format!(
            "netflow.reverse.{}",
            element_name(id, 0).trim_start_matches("netflow.")
        );
    }
    if enterprise != 0 {
        return format!("netflow.ie{enterprise}.{id}");
    }
    let name = match id {
        1 => "octetDeltaCount",
        2 => "packetDeltaCount",
        4 => "protocolIdentifier",
        5 => "ipClassOfService",
        6 => "tcpControlBits",
        7 => "sourceTransportPort",
        8 => "sourceIPv4Address",
        9 => "sourceIPv4PrefixLength",
        10 => "ingressInterface",
        11 => "destinationTransportPort",
        12 => "destinationIPv4Address",
        13 => "destinationIPv4PrefixLength",
        14 => "egressInterface",
        15 => "ipNextHopIPv4Address",
        16 => "bgpSourceAsNumber",
        17 => "bgpDestinationAsNumber",
        21 => "flowEndSysUpTime",
        22 => "flowStartSysUpTime",
        27 => "sourceIPv6Address",
        28 => "destinationIPv6Address",
        32 => "icmpTypeCodeIPv4",
        34 => "samplingInterval",
        56 => "sourceMacAddress",
        58 => "vlanId",
        61 => "flowDirection",
        80 => "destinationMacAddress",
        82 => "interfaceName",
        85 => "octetTotalCount",
        86 => "packetTotalCount",
        95 => "applicationId",
        96 => "applicationName",
        136 => "flowEndReason",
        148 => "flowId",
        150 => "flowStartSeconds",
        151 => "flowEndSeconds",
        152 => "flowStartMilliseconds",
        153 => "flowEndMilliseconds",
        154 => "flowStartMicroseconds",
        155 => "flowEndMicroseconds",
        160 => "systemInitTimeMilliseconds",
        176 => "icmpTypeIPv4",
        177 => "icmpCodeIPv4",
        178 => "icmpTypeIPv6",
        179 => "icmpCodeIPv6",
        323 => "observationTimeMilliseconds",
        40001 => "asa.xlateSourceIPv4Address",
        40002 => "asa.xlateDestinationIPv4Address",
        40003 => "asa.xlateSourcePort",
        40004 => "asa.xlateDestinationPort",
        40005 => "asa.firewallEvent",
        225 => "postNATSourceIPv4Address",
        226 => "postNATDestinationIPv4Address",
        227 => "postNAPTSourceTransportPort",
        228 => "postNAPTDestinationTransportPort",
        231 => "initiatorOctets",
        232 => "responderOctets",
        233 => "firewallEvent",
        298 => "initiatorPackets",
        299 => "responderPackets",
        305 => "samplingPacketInterval",
        _ => return format!("netflow.ie{id}"),
    };
    format!("netflow.{name}")
}

fn is_service_port(port: u16, protocol: u8) -> bool {
    port < 1024 || super::app::protocol_for_port(port, protocol == 6).is_some()
}

fn flow_event(
    header: &Header,
    flow: FlowFacts,
    offset: u64,
    path: &Arc<str>,
    networks: &Networks,
) -> Event {
    let unspecified = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    let record_src: Endpoint = (flow.src.unwrap_or(unspecified), flow.src_port);
    let record_dst: Endpoint = (flow.dst.unwrap_or(unspecified), flow.dst_port);
    let biflow = flow.initiator_octets.is_some() || flow.responder_octets.is_some();
    // A unidirectional record from a service port to an ephemeral port is the
    // answer half of a conversation the other side started.
    let reply_half = !biflow
        && matches!(flow.protocol, 6 | 17)
        && is_service_port(record_src.1, flow.protocol)
        && !is_service_port(record_dst.1, flow.protocol)
        && record_dst.1 >= 1024;
    let (initiator, responder) = if reply_half {
        (record_dst, record_src)
    } else {
        (record_src, record_dst)
    };
    let o = orient(networks, initiator, responder);
    let record_src_is_source = o.source == record_src;
    let (src_bytes, dst_bytes, src_packets, dst_packets) = if biflow {
        let (i_b, r_b) = (flow.initiator_octets, flow.responder_octets);
        let (i_p, r_p) = (flow.initiator_packets, flow.responder_packets);
        if o.swapped {
            (r_b, i_b, r_p, i_p)
        } else {
            (i_b, r_b, i_p, r_p)
        }
    } else if record_src_is_source {
        (flow.octets, None, flow.packets, None)
    } else {
        (None, flow.octets, None, flow.packets)
    };
    let start_ms = flow.start_ms.unwrap_or(header.export_ms);
    let mut event = Event {
        timestamp: Timestamp::from_millis(start_ms),
        kind: EventKind::Network,
        logsource: LogSource::new(Some("netflow"), Some("network_connection"), None),
        origin: Some(Origin {
            file: path.clone(),
            offset,
        }),
        dataset: Some(match header.version {
            5 => "netflow.v5".into(),
            9 => "netflow.v9".into(),
            _ => "netflow.ipfix".into(),
        }),
        ..Default::default()
    };
    let net = event.network_mut();
    o.fill(net);
    net.source_bytes = src_bytes;
    net.destination_bytes = dst_bytes;
    net.source_packets = src_packets;
    net.destination_packets = dst_packets;
    net.transport = Some(super::pcap::transport_name(flow.protocol));
    if let Some(end) = flow.end_ms {
        net.duration_s = Some(end.saturating_sub(start_ms).max(0) as f64 / 1000.0);
    }
    let native = &mut event.native;
    push_static(
        native,
        "netflow.record_direction",
        Value::from(if record_src_is_source {
            "source_to_destination"
        } else {
            "destination_to_source"
        }),
    );
    if let Some(exporter) = header.exporter {
        push_static(
            native,
            "netflow.exporter",
            Value::from(exporter.to_string()),
        );
    }
    push_static(native, "netflow.domain", Value::Int(header.domain as i64));
    for (name, value) in flow.native {
        push_static(native, name, value);
    }
    for (sym, value) in flow.native_syms {
        native.push_sym(sym, value);
    }
    event
}

const READ_CHUNK: usize = 1 << 20;
/// Largest message a UDP datagram can carry: the buffer always holds this much
/// ahead of the parse position (or the rest of the file).
const MAX_MESSAGE: usize = 65_536 + 64;

/// Reads an export file: NetFlow v5/v9 and IPFIX messages back to back (zero
/// padding between them is skipped; garbage is reported once and skipped up to the
/// next plausible header).
pub struct NetflowFileSource {
    reader: Box<dyn std::io::BufRead + Send>,
    buf: Vec<u8>,
    start: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    decoder: NetflowDecoder,
    queue: VecDeque<Result<Event, RecordError>>,
    done: bool,
}

impl NetflowFileSource {
    /// Opens an export file.
    pub fn open(input: crate::Input, ctx: &SourceContext) -> Self {
        NetflowFileSource {
            reader: input.reader,
            buf: Vec::with_capacity(READ_CHUNK),
            start: 0,
            base: 0,
            eof: false,
            decoder: NetflowDecoder::new(input.path, ctx),
            queue: VecDeque::new(),
            done: false,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> NetflowStats {
        self.decoder.stats()
    }

    /// Tops the buffer up to `MAX_MESSAGE` bytes past `start` (or end of file).
    fn fill(&mut self) -> Result<(), std::io::Error> {
        if self.start > READ_CHUNK {
            self.buf.drain(..self.start);
            self.base += self.start as u64;
            self.start = 0;
        }
        while !self.eof && self.buf.len() - self.start < MAX_MESSAGE {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let n = chunk.len();
            self.buf.extend_from_slice(chunk);
            self.reader.consume(n);
        }
        Ok(())
    }

    fn pump(&mut self) {
        while self.queue.is_empty() && !self.done {
            if let Err(err) = self.fill() {
                let offset = self.base + self.start as u64;
                let err = self.decoder.error(offset, format!("read error: {err}"));
                self.queue.push_back(Err(err));
                self.done = true;
                return;
            }
            let data = &self.buf[self.start..];
            if data.is_empty() {
                self.done = true;
                return;
            }
            let offset = self.base + self.start as u64;
            if data[0] == 0 && data.get(1) == Some(&0) {
                // Zero padding (some exporters pad datagrams): skip it.
                self.start += data.iter().take_while(|b| **b == 0).count();
                continue;
            }
            match message_len(data) {
                Some(len) if len <= data.len() && len > 0 => {
                    let msg = &self.buf[self.start..self.start + len];
                    self.decoder.decode(None, msg, offset, &mut self.queue);
                    self.start += len;
                }
                Some(len) if len > data.len() => {
                    let err = self.decoder.error(
                        offset,
                        format!("message cut short ({} of {len} bytes)", data.len()),
                    );
                    self.queue.push_back(Err(err));
                    self.done = true;
                }
                _ => {
                    let skip = (1..data.len())
                        .find(|i| looks_like_message(&data[*i..]))
                        .unwrap_or(data.len());
                    let err = self.decoder.error(
                        offset,
                        format!("not a NetFlow/IPFIX message; {skip} bytes skipped"),
                    );
                    self.queue.push_back(Err(err));
                    self.start += skip;
                }
            }
        }
    }
}

impl Iterator for NetflowFileSource {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.pump();
        self.queue.pop_front()
    }
}

/// Reads a pcap/pcapng capture of NetFlow/IPFIX export datagrams: each UDP payload
/// is decoded with the sending address as the exporter (templates are per
/// exporter). Other packets are counted and ignored.
pub struct NetflowPcapSource {
    frames: super::pcap::FrameReader,
    decoder: NetflowDecoder,
    queue: VecDeque<Result<Event, RecordError>>,
    /// Frames that were not NetFlow/IPFIX datagrams.
    pub other_frames: u64,
    done: bool,
}

impl NetflowPcapSource {
    /// Opens a capture of export datagrams.
    pub fn open(input: crate::Input, ctx: &SourceContext) -> Result<Self, crate::OpenError> {
        let path = input.path.clone();
        Ok(NetflowPcapSource {
            frames: super::pcap::FrameReader::open(input)?,
            decoder: NetflowDecoder::new(path, ctx),
            queue: VecDeque::new(),
            other_frames: 0,
            done: false,
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> NetflowStats {
        self.decoder.stats()
    }
}

impl Iterator for NetflowPcapSource {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.queue.is_empty() && !self.done {
            let decoder = &mut self.decoder;
            let queue = &mut self.queue;
            let other = &mut self.other_frames;
            let step = self
                .frames
                .step(
                    &mut |frame, offset| match super::packet::decode(frame.linktype, frame.data) {
                        Ok(packet)
                            if packet.protocol == 17 && looks_like_message(packet.payload) =>
                        {
                            let payload_offset =
                                offset + (frame.data.len() - packet.payload.len()) as u64;
                            decoder.decode(Some(packet.src), packet.payload, payload_offset, queue);
                        }
                        _ => *other += 1,
                    },
                );
            match step {
                super::pcap::Step::Progress => {}
                super::pcap::Step::End => self.done = true,
                super::pcap::Step::Failed(offset, reason) => {
                    let err = self.decoder.error(offset, reason);
                    self.queue.push_back(Err(err));
                    self.done = true;
                }
            }
        }
        self.queue.pop_front()
    }
}

/// Whether a capture's first bytes hold NetFlow/IPFIX export datagrams (the first
/// UDP packet in `head` carries a plausible export header).
pub fn sniff_capture(head: &[u8]) -> bool {
    let input = crate::Input {
        path: Arc::from("sniff"),
        reader: Box::new(std::io::Cursor::new(head.to_vec())),
    };
    let Ok(mut frames) = super::pcap::FrameReader::with_buffer(input, head.len().max(4096)) else {
        return false;
    };
    let mut verdict = None;
    for _ in 0..16 {
        let step = frames.step(&mut |frame, _| {
            if verdict.is_some() {
                return;
            }
            if let Ok(packet) = super::packet::decode(frame.linktype, frame.data)
                && packet.protocol == 17
            {
                verdict = Some(looks_like_message(packet.payload));
            }
        });
        if verdict.is_some() || !matches!(step, super::pcap::Step::Progress) {
            break;
        }
    }
    verdict.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    type V5Record = ([u8; 4], [u8; 4], u16, u16, u32);

    fn v5_message(records: &[V5Record]) -> Vec<u8> {
        let mut msg = vec![0, 5, 0, records.len() as u8];
        msg.extend_from_slice(&100_000u32.to_be_bytes()); // uptime ms
        msg.extend_from_slice(&1_700_000_000u32.to_be_bytes());
        msg.extend_from_slice(&0u32.to_be_bytes());
        msg.extend_from_slice(&[0; 8]); // sequence, engine, sampling
        for (src, dst, sport, dport, octets) in records {
            let mut r = [0u8; 48];
            r[0..4].copy_from_slice(src);
            r[4..8].copy_from_slice(dst);
            r[16..20].copy_from_slice(&10u32.to_be_bytes());
            r[20..24].copy_from_slice(&octets.to_be_bytes());
            r[24..28].copy_from_slice(&90_000u32.to_be_bytes());
            r[28..32].copy_from_slice(&95_000u32.to_be_bytes());
            r[32..34].copy_from_slice(&sport.to_be_bytes());
            r[34..36].copy_from_slice(&dport.to_be_bytes());
            r[38] = 6;
            msg.extend_from_slice(&r);
        }
        msg
    }

    #[test]
    fn v5_reply_half_is_oriented_to_the_internal_client() {
        let msg = v5_message(&[
            ([10, 0, 0, 5], [203, 0, 113, 7], 50000, 443, 9000),
            ([203, 0, 113, 7], [10, 0, 0, 5], 443, 50000, 700),
        ]);
        assert!(looks_like_message(&msg));
        assert_eq!(message_len(&msg), Some(msg.len()));
        let mut decoder = NetflowDecoder::new(Arc::from("t"), &SourceContext::default());
        let mut out = VecDeque::new();
        decoder.decode(None, &msg, 0, &mut out);
        let events: Vec<Event> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(events.len(), 2);
        for e in &events {
            let n = e.network.as_deref().unwrap();
            assert_eq!(n.source_ip, Some("10.0.0.5".parse().unwrap()));
            assert_eq!(n.destination_port, Some(443));
            assert_eq!(n.direction.as_deref(), Some("outbound"));
            assert_eq!(
                e.timestamp,
                Timestamp::from_millis(1_700_000_000_000 - 10_000)
            );
        }
        assert_eq!(events[0].network.as_ref().unwrap().source_bytes, Some(9000));
        assert_eq!(
            events[1].network.as_ref().unwrap().destination_bytes,
            Some(700)
        );
        assert_eq!(events[1].network.as_ref().unwrap().source_bytes, None);
    }

    #[test]
    fn v9_with_options_template_and_missing_template() {
        // Template 256: src v4, dst v4, bytes(4), proto(1); options template 257
        // with scope (system, 4 bytes) and samplingInterval (34, 4 bytes).
        let mut msg = vec![0, 9, 0, 4];
        msg.extend_from_slice(&50_000u32.to_be_bytes());
        msg.extend_from_slice(&1_700_000_000u32.to_be_bytes());
        msg.extend_from_slice(&1u32.to_be_bytes());
        msg.extend_from_slice(&7u32.to_be_bytes()); // source id
        msg.extend_from_slice(&[
            0, 0, 0, 24, 1, 0, 0, 4, 0, 8, 0, 4, 0, 12, 0, 4, 0, 1, 0, 4, 0, 4, 0, 1,
        ]);
        msg.extend_from_slice(&[0, 1, 0, 20, 1, 1, 0, 4, 0, 4, 0, 1, 0, 4, 0, 34, 0, 4, 0, 0]);
        msg.extend_from_slice(&[1, 1, 0, 12, 0, 0, 0, 1, 0, 0, 0, 100]);
        msg.extend_from_slice(&[
            1, 0, 0, 20, 10, 1, 1, 1, 8, 8, 8, 8, 0, 0, 4, 0, 17, 0, 0, 0,
        ]);
        msg.extend_from_slice(&[1, 9, 0, 8, 1, 2, 3, 4]); // data for unknown template 265
        assert_eq!(message_len(&msg), Some(msg.len()));
        let mut decoder = NetflowDecoder::new(Arc::from("t"), &SourceContext::default());
        let mut out = VecDeque::new();
        decoder.decode(None, &msg, 0, &mut out);
        let (ok, errors): (Vec<_>, Vec<_>) = out.into_iter().partition(Result::is_ok);
        assert_eq!(ok.len(), 1);
        assert_eq!(errors.len(), 1);
        let event = ok.into_iter().next().unwrap().unwrap();
        let net = event.network.as_deref().unwrap();
        assert_eq!(net.source_bytes, Some(1024));
        assert_eq!(net.transport.as_deref(), Some("udp"));
        assert_eq!(
            event.native.get_by_name("netflow.sampling_interval"),
            Some(model::ValueRef::Int(100))
        );
        assert_eq!(decoder.stats().options_records, 1);
        assert_eq!(decoder.stats().templates, 2);
    }

    /// Found by the pcap_reader fuzz target: a millisecond start time near u64::MAX
    /// overflowed the duration.
    #[test]
    fn huge_times_do_not_overflow() {
        let field = |id| TemplateField {
            id,
            enterprise: 0,
            len: 8,
            sym: None,
        };
        let (start, end, src) = (
            field(152),
            field(153),
            TemplateField {
                id: 8,
                enterprise: 0,
                len: 4,
                sym: None,
            },
        );
        let header = Header {
            exporter: None,
            domain: 0,
            version: 10,
            export_ms: 0,
            uptime_ms: 0,
        };
        let max = u64::MAX.to_be_bytes();
        let zero = 0u64.to_be_bytes();
        for (a, b) in [(&max, &zero), (&zero, &max), (&max, &max)] {
            let values = vec![
                (&start, &a[..]),
                (&end, &b[..]),
                (&src, &[10u8, 0, 0, 1][..]),
            ];
            let facts = flow_facts(&header, &values);
            let event = flow_event(&header, facts, 0, &Arc::from("t"), &Networks::default());
            assert!(event.network.unwrap().duration_s.unwrap() >= 0.0);
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut decoder = NetflowDecoder::new(Arc::from("t"), &SourceContext::default());
        let mut out = VecDeque::new();
        for msg in [
            &[0u8, 9, 0, 1][..],
            &[0, 10, 0, 200, 0, 0],
            &[0, 5, 0, 30],
            &[0, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3],
        ] {
            decoder.decode(None, msg, 0, &mut out);
        }
        assert!(out.iter().all(Result::is_err));
    }
}
