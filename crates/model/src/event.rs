//! The normalised event every source produces and every detector reads.

use crate::field::{Field, FieldRef};
use crate::symbol::Sym;
use crate::time::Timestamp;
use crate::value::{Value, ValueRef};
use serde::Serialize;
use serde::ser::SerializeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// What kind of activity an event records; detectors route on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A process started (Sysmon 1, Security 4688, auditd execve).
    ProcessStart,
    /// A network connection or flow with addresses (Zeek conn, NetFlow, Sysmon 3, 5156).
    Network,
    /// A DNS query (Zeek dns, Sysmon 22, DNS server logs).
    Dns,
    /// An HTTP request (Zeek http, proxy logs).
    Http,
    /// A TLS handshake (Zeek ssl).
    Tls,
    /// A file was created or written (Sysmon 11, Zeek files).
    File,
    /// Script content (PowerShell 4104, AMSI).
    Script,
    /// A scheduled task or cron job was created or changed.
    ScheduledTask,
    /// A logon or authentication.
    Authentication,
    /// A cloud or SaaS audit record.
    Cloud,
    /// Anything else.
    #[default]
    Other,
}

impl EventKind {
    /// Every kind, in declaration order (`kind as usize` is its index).
    pub const ALL: [EventKind; 11] = [
        EventKind::ProcessStart,
        EventKind::Network,
        EventKind::Dns,
        EventKind::Http,
        EventKind::Tls,
        EventKind::File,
        EventKind::Script,
        EventKind::ScheduledTask,
        EventKind::Authentication,
        EventKind::Cloud,
        EventKind::Other,
    ];
}

/// Where a record came from: the file and the byte offset (or record number for
/// container formats such as EVTX), so every alert can point back at its evidence.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Origin {
    /// The file path as given by the user (shared between the events of one file).
    pub file: Arc<str>,
    /// Byte offset of the record in the (decompressed) stream, or EVTX record id.
    pub offset: u64,
}

/// The Sigma logsource an event belongs to, as interned names (`product`,
/// `category`, `service`), set by the source so rules route without string work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogSource {
    /// e.g. `windows`, `linux`, `zeek`, `aws`.
    pub product: Option<Sym>,
    /// e.g. `process_creation`, `network_connection`, `dns`.
    pub category: Option<Sym>,
    /// e.g. `sysmon`, `security`, `powershell`, `conn`.
    pub service: Option<Sym>,
}

impl LogSource {
    /// Builds a logsource from names (interned).
    pub fn new(product: Option<&str>, category: Option<&str>, service: Option<&str>) -> Self {
        LogSource {
            product: product.and_then(Sym::intern),
            category: category.and_then(Sym::intern),
            service: service.and_then(Sym::intern),
        }
    }
}

/// The source-native record: keys as interned symbols, values as found.
///
/// Nested objects are flattened to dotted keys (`id.orig_h`); EVTX `EventData`
/// children appear under their own names (`Image`, `CommandLine`) as Sigma expects.
///
/// The record's text values live in one buffer ([`Native::text`]), each
/// followed by a NUL, not in an allocation each: a parser that pushes text
/// with [`Native::push_str`] allocates nothing per value once the buffer has
/// grown, a clone is two copies, and a keyword search reads the event's text
/// in one pass, as it is.
#[derive(Clone, Debug, Default)]
pub struct Native {
    /// The string values' text, each followed by a NUL.
    text: String,
    pairs: Vec<(Sym, Stored)>,
    /// One bit per `sym % 128` of the fields pushed: most lookups are of fields
    /// the record does not have (a Sigma rule tries `CommandLine`, then its
    /// fallbacks), and the mask answers those without a scan.
    present: u128,
    /// Whether a value kept outside `text` has text (a boolean, a list, a
    /// string too long for it).
    others_with_text: bool,
}

/// A value as [`Native`] keeps it: a string by its place in the record's
/// text, anything else as it is.
#[derive(Clone, Debug)]
enum Stored {
    /// Bytes `start..start + len` of [`Native::text`], a whole string
    /// pushed there (see [`Native::read`]).
    Text { start: u32, len: u32 },
    /// A value that is not a string (numbers, booleans, nulls, lists), or a
    /// string past the text buffer's 4 GiB of offsets.
    Other(Value),
}

impl PartialEq for Native {
    /// Same fields with the same values in the same order (wherever their
    /// text sits in the buffer).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

fn sym_bit(sym: Sym) -> u128 {
    1 << (sym.0 % 128)
}

/// Bytes of text reserved per field by [`Native::with_capacity`]: a typical
/// Windows value (a SID, a name, a path) and its NUL.
const TYPICAL_TEXT: usize = 24;

impl Native {
    /// An empty record with room for `n` fields (and typical text for them).
    pub fn with_capacity(n: usize) -> Self {
        Native {
            text: String::with_capacity(n * TYPICAL_TEXT),
            pairs: Vec::with_capacity(n),
            present: 0,
            others_with_text: false,
        }
    }

    /// Adds a field; names past the symbol cap are dropped (see [`Sym`]).
    pub fn push(&mut self, name: &str, value: Value) {
        if let Some(sym) = Sym::intern(name) {
            self.push_sym(sym, value);
        }
    }

    /// Adds a field by symbol. A string's text is copied into the record's
    /// text ([`Native::push_sym_str`] spares the string's allocation).
    pub fn push_sym(&mut self, sym: Sym, value: Value) {
        match value {
            Value::Str(text) => self.push_sym_str(sym, &text),
            other => self.push_stored(sym, Stored::Other(other)),
        }
    }

    /// Adds a string field; names past the symbol cap are dropped.
    pub fn push_str(&mut self, name: &str, text: &str) {
        if let Some(sym) = Sym::intern(name) {
            self.push_sym_str(sym, text);
        }
    }

    /// Adds a field from a JSON value as [`Value::from_json`] reads it; a
    /// string's text goes straight into the record's, with no allocation
    /// of its own.
    pub fn push_json(&mut self, name: &str, json: &serde_json::Value) {
        match json {
            serde_json::Value::String(text) => self.push_str(name, text),
            other => self.push(name, Value::from_json(other)),
        }
    }

    /// Adds a string field by symbol, its text copied into the record's.
    pub fn push_sym_str(&mut self, sym: Sym, text: &str) {
        let start = self.text.len();
        let stored = match (u32::try_from(start), u32::try_from(text.len())) {
            (Ok(start), Ok(len)) if start.checked_add(len).is_some() => {
                self.text.push_str(text);
                self.text.push('\0');
                Stored::Text { start, len }
            }
            _ => Stored::Other(Value::Str(text.into())),
        };
        self.push_stored(sym, stored);
    }

    fn push_stored(&mut self, sym: Sym, stored: Stored) {
        self.present |= sym_bit(sym);
        self.others_with_text |= matches!(
            stored,
            Stored::Other(Value::Bool(_) | Value::List(_) | Value::Str(_))
        );
        self.pairs.push((sym, stored));
    }

    /// The first value under `sym`.
    pub fn get(&self, sym: Sym) -> Option<ValueRef<'_>> {
        if self.present & sym_bit(sym) == 0 {
            return None;
        }
        self.pairs
            .iter()
            .find(|(s, _)| *s == sym)
            .map(|(_, v)| self.read(v))
    }

    /// The first value under `name` (string lookup: for tools and tests, not hot paths).
    pub fn get_by_name(&self, name: &str) -> Option<ValueRef<'_>> {
        Sym::lookup(name).and_then(|sym| self.get(sym))
    }

    /// The field at position `at` in record order (for callers that index
    /// a record's fields once, by [`Native::symbols`], and then read them
    /// by position).
    #[inline]
    pub fn value_at(&self, at: usize) -> Option<ValueRef<'_>> {
        self.pairs.get(at).map(|(_, v)| self.read(v))
    }

    /// The fields' names in record order.
    pub fn symbols(&self) -> impl Iterator<Item = Sym> + '_ {
        self.pairs.iter().map(|(s, _)| *s)
    }

    /// All fields in record order.
    pub fn iter(&self) -> impl Iterator<Item = (Sym, ValueRef<'_>)> {
        self.pairs.iter().map(|(s, v)| (*s, self.read(v)))
    }

    /// The text of the record's string values in record order, each
    /// followed by a NUL (values of other kinds, lists included, are not in
    /// it): what a search of all the record's strings reads in one pass.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether [`Native::text`] holds all the record's text: no value is a
    /// boolean or a list (numbers and nulls are not text: Sigma's keywords,
    /// the search of all of an event's text, leave them out), nor a string
    /// kept apart (past the buffer's 4 GiB of offsets).
    pub fn text_is_complete(&self) -> bool {
        !self.others_with_text
    }

    /// The values not in [`Native::text`], in record order: numbers,
    /// booleans, nulls, lists, and strings past its 4 GiB of offsets.
    pub fn values_outside_text(&self) -> impl Iterator<Item = ValueRef<'_>> {
        self.pairs.iter().filter_map(|(_, v)| match v {
            Stored::Text { .. } => None,
            Stored::Other(value) => Some(value.as_ref()),
        })
    }

    #[inline]
    fn read<'a>(&'a self, stored: &'a Stored) -> ValueRef<'a> {
        match stored {
            Stored::Text { start, len } => {
                let start = *start as usize;
                let range = start..start + *len as usize;
                debug_assert!(self.text.get(range.clone()).is_some());
                // SAFETY: a `Stored::Text` is made only by `push_sym_str`,
                // from the place where it appended a whole `&str` to `text`,
                // which is never shortened or changed after (`shadow_head`
                // builds a new record): the range is in `text` and on
                // character boundaries. (Reads of record fields are the
                // matcher's innermost loop; the checked slice's boundary
                // tests were a measurable part of it.)
                ValueRef::Str(unsafe { self.text.get_unchecked(range) })
            }
            Stored::Other(value) => value.as_ref(),
        }
    }

    /// Drops each of the first `head` fields whose name appears again after them,
    /// so the later field shadows the earlier one for [`Native::get`]. EVTX readers
    /// use it so that an event's payload (`EventData`/`UserData`) wins over a
    /// `System` field of the same name: event 104's `Channel` is the log that was
    /// cleared, which is what Sigma rules about it test; the `System` value stays
    /// in the typed fields used for routing. Order of the kept fields is unchanged,
    /// and the text of the dropped ones leaves [`Native::text`].
    pub fn shadow_head(&mut self, head: usize) {
        let head = head.min(self.pairs.len());
        let (first, rest) = self.pairs.split_at(head);
        // Most records shadow nothing: the names after the head, as a mask,
        // answer most head names without a walk of them.
        let rest_mask = rest.iter().fold(0u128, |mask, (s, _)| mask | sym_bit(*s));
        let shadowed =
            |sym: &Sym| rest_mask & sym_bit(*sym) != 0 && rest.iter().any(|(s, _)| s == sym);
        if !first.iter().any(|(s, _)| shadowed(s)) {
            return;
        }
        let tail_syms: Vec<Sym> = self.pairs[head..].iter().map(|(s, _)| *s).collect();
        let old = std::mem::replace(self, Native::with_capacity(self.pairs.len()));
        for (at, (sym, stored)) in old.pairs.iter().enumerate() {
            if at < head && tail_syms.contains(sym) {
                continue;
            }
            match stored {
                Stored::Text { .. } => {
                    if let ValueRef::Str(text) = old.read(stored) {
                        self.push_sym_str(*sym, text);
                    }
                }
                Stored::Other(value) => self.push_stored(*sym, Stored::Other(value.clone())),
            }
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// Process facts (Sysmon 1, 4688, auditd).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: Option<u64>,
    /// Image path.
    pub executable: Option<String>,
    /// Image base name.
    pub name: Option<String>,
    /// Command line.
    pub command_line: Option<String>,
    /// PE original file name.
    pub original_file_name: Option<String>,
    /// Parent image path.
    pub parent_executable: Option<String>,
    /// Parent command line.
    pub parent_command_line: Option<String>,
    /// Working directory.
    pub working_directory: Option<String>,
}

/// Network facts of a connection, flow, or request.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NetworkInfo {
    /// Originator address.
    pub source_ip: Option<IpAddr>,
    /// Originator port (ICMP type for ICMP, as Zeek does).
    pub source_port: Option<u16>,
    /// Responder address.
    pub destination_ip: Option<IpAddr>,
    /// Responder port.
    pub destination_port: Option<u16>,
    /// Responder name when known (HTTP host, SNI, DNS answer, proxy target).
    pub destination_domain: Option<String>,
    /// Payload bytes sent by the originator.
    pub source_bytes: Option<u64>,
    /// Payload bytes sent by the responder.
    pub destination_bytes: Option<u64>,
    /// Packets sent by the originator.
    pub source_packets: Option<u64>,
    /// Packets sent by the responder.
    pub destination_packets: Option<u64>,
    /// Transport: tcp, udp, icmp.
    pub transport: Option<String>,
    /// Application protocol as detected.
    pub protocol: Option<String>,
    /// Direction as the source classified it.
    pub direction: Option<String>,
    /// Connection state (Zeek conn_state vocabulary).
    pub state: Option<String>,
    /// Duration in seconds.
    pub duration_s: Option<f64>,
}

/// DNS facts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DnsInfo {
    /// Query name.
    pub question_name: Option<String>,
    /// Query type name (A, AAAA, TXT, NULL, CNAME...).
    pub question_type: Option<String>,
    /// Response code name (NOERROR, NXDOMAIN...).
    pub response_code: Option<String>,
    /// Answers as text.
    pub answers: Vec<String>,
}

/// HTTP facts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HttpInfo {
    /// Full URL.
    pub url_full: Option<String>,
    /// URL host.
    pub url_domain: Option<String>,
    /// URL path and query.
    pub url_path: Option<String>,
    /// Method.
    pub method: Option<String>,
    /// Request body bytes.
    pub request_body_bytes: Option<u64>,
    /// Response body bytes.
    pub response_body_bytes: Option<u64>,
    /// Status code.
    pub status_code: Option<u16>,
    /// User agent.
    pub user_agent: Option<String>,
}

/// Cloud audit facts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CloudInfo {
    /// aws, azure, gcp, m365, github...
    pub provider: Option<String>,
    /// Account or tenant id.
    pub account_id: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Service (s3, exchange, sharepoint...).
    pub service: Option<String>,
}

/// One normalised record.
///
/// Typed common fields live in members (grouped, boxed where sparse); everything
/// else the source said stays in [`Native`]. [`Event::get`] reads either by a
/// [`FieldRef`] resolved once per rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    /// Event time.
    pub timestamp: Timestamp,
    /// Activity kind, for routing.
    pub kind: EventKind,
    /// Sigma logsource, for routing.
    pub logsource: LogSource,
    /// File and offset of the record.
    pub origin: Option<Origin>,
    /// Windows event id or other numeric code.
    pub code: Option<u32>,
    /// Provider name.
    pub provider: Option<String>,
    /// Channel or log path.
    pub channel: Option<String>,
    /// Dataset (`windows.sysmon`, `zeek.conn`...).
    pub dataset: Option<String>,
    /// Action verb.
    pub action: Option<String>,
    /// Outcome.
    pub outcome: Option<String>,
    /// Host name.
    pub host_name: Option<String>,
    /// Host IP.
    pub host_ip: Option<IpAddr>,
    /// User name.
    pub user_name: Option<String>,
    /// User domain.
    pub user_domain: Option<String>,
    /// Process facts.
    pub process: Option<Box<ProcessInfo>>,
    /// Network facts.
    pub network: Option<Box<NetworkInfo>>,
    /// DNS facts.
    pub dns: Option<Box<DnsInfo>>,
    /// HTTP facts.
    pub http: Option<Box<HttpInfo>>,
    /// TLS SNI.
    pub tls_server_name: Option<String>,
    /// File path the event is about.
    pub file_path: Option<String>,
    /// File size.
    pub file_size: Option<u64>,
    /// Script block text.
    pub script_text: Option<String>,
    /// Cloud facts.
    pub cloud: Option<Box<CloudInfo>>,
    /// Free text message.
    pub message: Option<String>,
    /// The source-native record.
    pub native: Native,
}

fn s(v: &Option<String>) -> Option<ValueRef<'_>> {
    v.as_deref().map(ValueRef::Str)
}

fn u(v: Option<u64>) -> Option<ValueRef<'static>> {
    v.map(ValueRef::UInt)
}

impl Event {
    /// Reads a field resolved at compile time.
    pub fn get(&self, field: FieldRef) -> Option<ValueRef<'_>> {
        match field {
            FieldRef::Canonical(f) => self.get_canonical(f),
            FieldRef::Native(sym) => self.native.get(sym),
        }
    }

    /// Reads a typed common field.
    pub fn get_canonical(&self, field: Field) -> Option<ValueRef<'_>> {
        let p = self.process.as_deref();
        let n = self.network.as_deref();
        let d = self.dns.as_deref();
        let h = self.http.as_deref();
        let c = self.cloud.as_deref();
        match field {
            Field::Timestamp => Some(ValueRef::Int(self.timestamp.0)),
            Field::EventCode => self.code.map(|c| ValueRef::Int(c as i64)),
            Field::EventProvider => s(&self.provider),
            Field::EventChannel => s(&self.channel),
            Field::EventDataset => s(&self.dataset),
            Field::EventAction => s(&self.action),
            Field::EventOutcome => s(&self.outcome),
            Field::EventDuration => n?.duration_s.map(ValueRef::Float),
            Field::HostName => s(&self.host_name),
            Field::HostIp => self.host_ip.map(ValueRef::Ip),
            Field::UserName => s(&self.user_name),
            Field::UserDomain => s(&self.user_domain),
            Field::ProcessPid => u(p?.pid),
            Field::ProcessExecutable => s(&p?.executable),
            Field::ProcessName => s(&p?.name),
            Field::ProcessCommandLine => s(&p?.command_line),
            Field::ProcessOriginalFileName => s(&p?.original_file_name),
            Field::ProcessParentExecutable => s(&p?.parent_executable),
            Field::ProcessParentCommandLine => s(&p?.parent_command_line),
            Field::ProcessWorkingDirectory => s(&p?.working_directory),
            Field::FilePath => s(&self.file_path),
            Field::FileSize => u(self.file_size),
            Field::SourceIp => n?.source_ip.map(ValueRef::Ip),
            Field::SourcePort => n?.source_port.map(|p| ValueRef::UInt(p as u64)),
            Field::SourceBytes => u(n?.source_bytes),
            Field::SourcePackets => u(n?.source_packets),
            Field::DestinationIp => n?.destination_ip.map(ValueRef::Ip),
            Field::DestinationPort => n?.destination_port.map(|p| ValueRef::UInt(p as u64)),
            Field::DestinationDomain => s(&n?.destination_domain),
            Field::DestinationBytes => u(n?.destination_bytes),
            Field::DestinationPackets => u(n?.destination_packets),
            Field::NetworkTransport => s(&n?.transport),
            Field::NetworkProtocol => s(&n?.protocol),
            Field::NetworkDirection => s(&n?.direction),
            Field::ConnectionState => s(&n?.state),
            Field::DnsQuestionName => s(&d?.question_name),
            Field::DnsQuestionType => s(&d?.question_type),
            Field::DnsResponseCode => s(&d?.response_code),
            Field::DnsAnswers => d
                .filter(|d| !d.answers.is_empty())
                .map(|d| ValueRef::StrList(&d.answers)),
            Field::UrlFull => s(&h?.url_full),
            Field::UrlDomain => s(&h?.url_domain),
            Field::UrlPath => s(&h?.url_path),
            Field::HttpRequestMethod => s(&h?.method),
            Field::HttpRequestBodyBytes => u(h?.request_body_bytes),
            Field::HttpResponseBodyBytes => u(h?.response_body_bytes),
            Field::HttpResponseStatusCode => h?.status_code.map(|c| ValueRef::UInt(c as u64)),
            Field::UserAgent => s(&h?.user_agent),
            Field::TlsServerName => s(&self.tls_server_name),
            Field::ScriptBlockText => s(&self.script_text),
            Field::CloudProvider => s(&c?.provider),
            Field::CloudAccountId => s(&c?.account_id),
            Field::CloudRegion => s(&c?.region),
            Field::CloudService => s(&c?.service),
            Field::Message => s(&self.message),
        }
    }

    /// The process facts, created empty on first use (for sources filling them).
    pub fn process_mut(&mut self) -> &mut ProcessInfo {
        self.process.get_or_insert_with(Default::default)
    }

    /// The network facts, created empty on first use.
    pub fn network_mut(&mut self) -> &mut NetworkInfo {
        self.network.get_or_insert_with(Default::default)
    }

    /// The DNS facts, created empty on first use.
    pub fn dns_mut(&mut self) -> &mut DnsInfo {
        self.dns.get_or_insert_with(Default::default)
    }

    /// The HTTP facts, created empty on first use.
    pub fn http_mut(&mut self) -> &mut HttpInfo {
        self.http.get_or_insert_with(Default::default)
    }

    /// The cloud facts, created empty on first use.
    pub fn cloud_mut(&mut self) -> &mut CloudInfo {
        self.cloud.get_or_insert_with(Default::default)
    }

    /// The address of the host the event is about: `host.ip`, else the source of a
    /// network record (readers orient flows so that the internal side is the source).
    pub fn host_address(&self) -> Option<IpAddr> {
        self.host_ip
            .or_else(|| self.network.as_ref().and_then(|n| n.source_ip))
    }

    /// Bytes sent out by the originator, when known.
    pub fn bytes_out(&self) -> Option<u64> {
        self.network.as_ref().and_then(|n| n.source_bytes)
    }

    /// Destination domain, else HTTP host, else TLS SNI.
    pub fn destination_name(&self) -> Option<&str> {
        self.network
            .as_ref()
            .and_then(|n| n.destination_domain.as_deref())
            .or_else(|| self.http.as_ref().and_then(|h| h.url_domain.as_deref()))
            .or(self.tls_server_name.as_deref())
    }
}

/// Serialises an event as one flat JSON object with canonical names as keys, then
/// the native fields under `native` — the `events --format jsonl` shape.
impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("@timestamp", &self.timestamp)?;
        map.serialize_entry("event.kind", &self.kind)?;
        for field in &Field::ALL[1..] {
            if let Some(value) = self.get_canonical(*field) {
                if *field == Field::EventDuration {
                    // ECS: nanoseconds.
                    if let Some(secs) = value.as_f64() {
                        map.serialize_entry(field.name(), &((secs * 1e9).round() as i64))?;
                    }
                    continue;
                }
                map.serialize_entry(field.name(), &value)?;
            }
        }
        let ls = &self.logsource;
        if let Some(p) = ls.product {
            map.serialize_entry("log.product", p.name())?;
        }
        if let Some(c) = ls.category {
            map.serialize_entry("log.category", c.name())?;
        }
        if let Some(sv) = ls.service {
            map.serialize_entry("log.service", sv.name())?;
        }
        if let Some(origin) = &self.origin {
            map.serialize_entry("log.file.path", &*origin.file)?;
            map.serialize_entry("log.offset", &origin.offset)?;
        }
        if !self.native.is_empty() {
            map.serialize_entry("native", &NativeJson(&self.native))?;
        }
        map.end()
    }
}

struct NativeJson<'a>(&'a Native);

impl Serialize for NativeJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (sym, value) in self.0.iter() {
            map.serialize_entry(sym.name(), &value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_fields_shadow_head_fields_of_the_same_name() {
        let mut native = Native::default();
        native.push("Channel", Value::from("System"));
        native.push("EventID", Value::Int(104));
        native.push("Channel", Value::from("Security"));
        native.push("BackupPath", Value::Null);
        native.shadow_head(2);
        assert_eq!(
            native.get_by_name("Channel"),
            Some(ValueRef::Str("Security"))
        );
        assert_eq!(native.len(), 3);
        let names: Vec<&str> = native.iter().map(|(s, _)| s.name()).collect();
        assert_eq!(names, ["EventID", "Channel", "BackupPath"]);
        // The shadowed value's text left the record's text too.
        assert_eq!(native.text(), "Security\0");
        // Nothing shadowed: unchanged; a head past the end is clamped.
        native.shadow_head(99);
        assert_eq!(native.len(), 3);
    }

    #[test]
    fn keeps_string_values_in_one_text_and_other_values_as_they_are() {
        let mut native = Native::with_capacity(4);
        native.push_str("Image", "C:\\Windows\\cmd.exe");
        native.push("LogonType", Value::Int(3));
        native.push("CommandLine", Value::from("cmd /c whoami"));
        native.push_str("Empty", "");
        assert!(native.text_is_complete(), "numbers are not text");
        native.push(
            "Tags",
            Value::List(vec![Value::from("a"), Value::Bool(true)]),
        );
        assert_eq!(native.text(), "C:\\Windows\\cmd.exe\0cmd /c whoami\0\0");
        assert!(!native.text_is_complete());
        let outside: Vec<ValueRef> = native.values_outside_text().collect();
        assert_eq!(outside.len(), 2);
        assert_eq!(outside[0], ValueRef::Int(3));
        assert!(matches!(outside[1], ValueRef::List(items) if items.len() == 2));
        assert_eq!(native.get_by_name("LogonType"), Some(ValueRef::Int(3)));
        assert_eq!(
            native.get_by_name("CommandLine"),
            Some(ValueRef::Str("cmd /c whoami"))
        );
        assert_eq!(native.get_by_name("Empty"), Some(ValueRef::Str("")));
        assert_eq!(
            native.value_at(0),
            Some(ValueRef::Str("C:\\Windows\\cmd.exe"))
        );
        assert_eq!(native.value_at(5), None);
        let names: Vec<&str> = native.symbols().map(|s| s.name()).collect();
        assert_eq!(
            names,
            ["Image", "LogonType", "CommandLine", "Empty", "Tags"]
        );
        // Equal records whatever the place of their text: the same fields
        // pushed as owned strings, after a shadowed head field.
        let mut other = Native::default();
        other.push("CommandLine", Value::from("shadowed"));
        other.push("Image", Value::from("C:\\Windows\\cmd.exe"));
        other.push("LogonType", Value::Int(3));
        other.push("CommandLine", Value::from("cmd /c whoami"));
        other.push("Empty", Value::from(""));
        other.push(
            "Tags",
            Value::List(vec![Value::from("a"), Value::Bool(true)]),
        );
        assert_ne!(native, other);
        other.shadow_head(1);
        assert_eq!(native, other);
        assert_eq!(native.clone(), other);
    }

    #[test]
    fn get_reads_canonical_and_native() {
        let mut event = Event::default();
        event.process_mut().command_line = Some("rclone copy x mega:".into());
        event
            .native
            .push("CommandLine", Value::from("rclone copy x mega:"));
        let canonical = FieldRef::resolve("process.command_line").unwrap();
        let native = FieldRef::resolve("CommandLine").unwrap();
        assert_eq!(event.get(canonical), event.get(native));
        assert_eq!(event.get(FieldRef::resolve("missing").unwrap()), None);
    }

    #[test]
    fn host_address_falls_back_to_the_flow_source() {
        let mut event = Event::default();
        assert_eq!(event.host_address(), None);
        event.network_mut().source_ip = Some("10.1.2.3".parse().unwrap());
        assert_eq!(event.host_address(), Some("10.1.2.3".parse().unwrap()));
        event.host_ip = Some("10.9.9.9".parse().unwrap());
        assert_eq!(event.host_address(), Some("10.9.9.9".parse().unwrap()));
    }

    #[test]
    fn serialises_flat() {
        let mut event = Event::default();
        event.network_mut().source_bytes = Some(42);
        event.network_mut().duration_s = Some(1.5);
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["source.bytes"], 42);
        assert_eq!(json["event.duration"], 1_500_000_000i64);
        assert!(json.get("destination.ip").is_none());
    }
}
