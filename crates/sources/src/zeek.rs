//! Zeek logs in the ASCII (TSV) and JSON writers' encodings.
//!
//! TSV is header-driven: `#separator` (with `\xHH` escapes), `#set_separator`,
//! `#empty_field`, `#unset_field`, `#path`, `#fields` and `#types` are honoured, a
//! file may hold several header blocks (rotated logs concatenated, `#close` lines
//! between them), and extra columns (labels, `_node_name`) are kept in the native
//! record. JSON records may use dotted (`id.orig_h`) or flattened (`id_orig_h`) names;
//! flattened id names are stored under their dotted names so that rules see one
//! spelling.
//!
//! Typed mapping: addresses and ports from `id.*` (ICMP type/code stay in the port
//! columns as Zeek writes them), payload bytes from `orig_bytes`/`resp_bytes` (not
//! `orig_ip_bytes`, which include headers and can even be smaller under offload),
//! packets, duration, `conn_state`, transport and service; DNS query, type, rcode and
//! answers; HTTP host, URI, method, body lengths, user agent and status; TLS SNI;
//! file names and sizes. `-`, `(empty)` and the unset marker in a numeric field mean
//! "absent", never zero.

use crate::format::ZeekLog;
use crate::windows::{orient, parse_ip};
use crate::{Input, RecordError};
use model::{Event, EventKind, LogSource, Networks, Origin, Sym, Timestamp, Value};
use std::sync::Arc;

/// Where a Zeek field goes in the typed event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Ts,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Proto,
    Service,
    Duration,
    OrigBytes,
    RespBytes,
    ConnState,
    OrigPkts,
    RespPkts,
    Query,
    QtypeName,
    RcodeName,
    Answers,
    Host,
    Uri,
    Method,
    RequestBodyLen,
    ResponseBodyLen,
    UserAgent,
    StatusCode,
    ServerName,
    Filename,
    TotalBytes,
    SeenBytes,
    TxHosts,
    RxHosts,
    None,
}

/// The slot of a field name; `log` disambiguates names that mean different things
/// in different logs.
fn slot_of(name: &str, log: ZeekLog) -> Slot {
    match name {
        "ts" => Slot::Ts,
        "id.orig_h" | "id_orig_h" => Slot::OrigH,
        "id.orig_p" | "id_orig_p" => Slot::OrigP,
        "id.resp_h" | "id_resp_h" => Slot::RespH,
        "id.resp_p" | "id_resp_p" => Slot::RespP,
        "proto" => Slot::Proto,
        "service" if log == ZeekLog::Conn => Slot::Service,
        "duration" => Slot::Duration,
        "orig_bytes" => Slot::OrigBytes,
        "resp_bytes" => Slot::RespBytes,
        "conn_state" => Slot::ConnState,
        "orig_pkts" => Slot::OrigPkts,
        "resp_pkts" => Slot::RespPkts,
        "query" if log == ZeekLog::Dns => Slot::Query,
        "qtype_name" => Slot::QtypeName,
        "rcode_name" => Slot::RcodeName,
        "answers" if log == ZeekLog::Dns => Slot::Answers,
        "host" if log == ZeekLog::Http => Slot::Host,
        "uri" => Slot::Uri,
        "method" => Slot::Method,
        "request_body_len" => Slot::RequestBodyLen,
        "response_body_len" => Slot::ResponseBodyLen,
        "user_agent" => Slot::UserAgent,
        "status_code" => Slot::StatusCode,
        "server_name" => Slot::ServerName,
        "filename" if log == ZeekLog::Files => Slot::Filename,
        "total_bytes" if log == ZeekLog::Files => Slot::TotalBytes,
        "seen_bytes" if log == ZeekLog::Files => Slot::SeenBytes,
        "tx_hosts" => Slot::TxHosts,
        "rx_hosts" => Slot::RxHosts,
        _ => Slot::None,
    }
}

/// The dotted spelling of a flattened connection id name.
fn canonical_name(name: &str) -> &str {
    match name {
        "id_orig_h" => "id.orig_h",
        "id_orig_p" => "id.orig_p",
        "id_resp_h" => "id.resp_h",
        "id_resp_p" => "id.resp_p",
        other => other,
    }
}

fn count(text: &str) -> Option<u64> {
    text.parse().ok()
}

fn some_text(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Applies one present (not unset, not empty) single value to the typed event.
/// Returns false when a value in a typed slot does not parse (the record is bad).
fn apply(event: &mut Event, slot: Slot, text: &str) -> bool {
    match slot {
        Slot::Ts => match parse_ts(text) {
            Some(ts) => event.timestamp = ts,
            None => return false,
        },
        Slot::OrigH => event.network_mut().source_ip = parse_ip(text),
        Slot::RespH => event.network_mut().destination_ip = parse_ip(text),
        Slot::OrigP => event.network_mut().source_port = text.parse().ok(),
        Slot::RespP => event.network_mut().destination_port = text.parse().ok(),
        Slot::Proto => event.network_mut().transport = some_text(text),
        Slot::Service => event.network_mut().protocol = some_text(text),
        Slot::Duration => event.network_mut().duration_s = text.parse().ok(),
        Slot::OrigBytes => event.network_mut().source_bytes = count(text),
        Slot::RespBytes => event.network_mut().destination_bytes = count(text),
        Slot::OrigPkts => event.network_mut().source_packets = count(text),
        Slot::RespPkts => event.network_mut().destination_packets = count(text),
        Slot::ConnState => event.network_mut().state = some_text(text),
        Slot::Query => event.dns_mut().question_name = some_text(text),
        Slot::QtypeName => event.dns_mut().question_type = some_text(text),
        Slot::RcodeName => event.dns_mut().response_code = some_text(text),
        Slot::Answers => event.dns_mut().answers.push(text.to_owned()),
        Slot::Host => event.http_mut().url_domain = some_text(text),
        Slot::Uri => event.http_mut().url_path = some_text(text),
        Slot::Method => event.http_mut().method = some_text(text),
        Slot::RequestBodyLen => event.http_mut().request_body_bytes = count(text),
        Slot::ResponseBodyLen => event.http_mut().response_body_bytes = count(text),
        Slot::UserAgent => event.http_mut().user_agent = some_text(text),
        Slot::StatusCode => event.http_mut().status_code = text.parse().ok(),
        Slot::ServerName => event.tls_server_name = some_text(text),
        Slot::Filename => event.file_path = some_text(text),
        Slot::TotalBytes => event.file_size = count(text).or(event.file_size),
        Slot::SeenBytes => event.file_size = event.file_size.or(count(text)),
        Slot::TxHosts => {
            let net = event.network_mut();
            net.source_ip = net.source_ip.or(parse_ip(text));
        }
        Slot::RxHosts => {
            let net = event.network_mut();
            net.destination_ip = net.destination_ip.or(parse_ip(text));
        }
        Slot::None => {}
    }
    true
}

/// `ts` as epoch seconds (TSV and default JSON) or ISO 8601 (`json_timestamps`).
fn parse_ts(text: &str) -> Option<Timestamp> {
    match text.parse::<f64>() {
        Ok(secs) => Timestamp::from_secs_f64(secs),
        Err(_) => Timestamp::parse(text),
    }
}

/// Sets kind, logsource, dataset and the derived fields once all values are in.
/// The logsource and dataset of a log (`zeek`, `conn`, `zeek.conn`).
fn labels(log: ZeekLog, path_name: &str) -> (LogSource, Arc<str>) {
    let service = log.service().unwrap_or(path_name);
    let logsource = LogSource::new(Some("zeek"), None, (!service.is_empty()).then_some(service));
    (logsource, Arc::from(format!("zeek.{service}")))
}

fn finish(event: &mut Event, log: ZeekLog, labels: &(LogSource, Arc<str>), networks: &Networks) {
    event.kind = match log {
        ZeekLog::Conn => EventKind::Network,
        ZeekLog::Dns => EventKind::Dns,
        ZeekLog::Http => EventKind::Http,
        ZeekLog::Ssl => EventKind::Tls,
        ZeekLog::Files => EventKind::File,
        ZeekLog::Other => EventKind::Other,
    };
    event.logsource = labels.0;
    event.dataset = Some(labels.1.to_string());
    match log {
        ZeekLog::Http => {
            let http = event.http_mut();
            if let (Some(host), Some(path)) = (&http.url_domain, &http.url_path) {
                http.url_full = Some(format!("http://{host}{path}"));
            }
            let host = http.url_domain.clone();
            if host.is_some() {
                event.network_mut().destination_domain = host;
            }
        }
        ZeekLog::Ssl => {
            if let Some(sni) = event.tls_server_name.clone() {
                event.network_mut().destination_domain = Some(sni);
            }
        }
        ZeekLog::Dns => {
            event.network_mut().protocol = Some("dns".into());
        }
        _ => {}
    }
    if event
        .network
        .as_deref()
        .is_some_and(|n| *n == Default::default())
    {
        event.network = None;
    }
    orient(event, networks);
}

/// The header state of a TSV block.
#[derive(Clone, Debug)]
struct Header {
    separator: Vec<u8>,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    path: String,
    log: ZeekLog,
    fields: Vec<String>,
    types: Vec<String>,
    /// Per column: symbol, slot, native value kind.
    plan: Vec<Column>,
    /// Logsource and dataset of the records of this block.
    labels: (LogSource, Arc<str>),
}

#[derive(Clone, Debug)]
struct Column {
    sym: Option<Sym>,
    slot: Slot,
    kind: ColumnKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColumnKind {
    Text,
    Int,
    Float,
    Bool,
    Container,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            separator: b"\t".to_vec(),
            set_separator: ",".into(),
            empty_field: "(empty)".into(),
            unset_field: "-".into(),
            path: String::new(),
            log: ZeekLog::Other,
            fields: Vec::new(),
            types: Vec::new(),
            plan: Vec::new(),
            labels: (LogSource::default(), Arc::from("")),
        }
    }
}

impl Header {
    fn build_plan(&mut self) {
        self.log = if self.path.is_empty() {
            ZeekLog::from_field_names(self.fields.iter().map(String::as_str))
        } else {
            ZeekLog::from_path_name(&self.path)
        };
        let log = self.log;
        self.labels = labels(log, &self.path);
        self.plan = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, name)| Column {
                sym: Sym::intern(canonical_name(name)),
                slot: slot_of(name, log),
                kind: column_kind(self.types.get(i).map(String::as_str).unwrap_or("string")),
            })
            .collect();
    }
}

fn column_kind(zeek_type: &str) -> ColumnKind {
    match zeek_type {
        "count" | "int" | "port" => ColumnKind::Int,
        "time" | "interval" | "double" => ColumnKind::Float,
        "bool" => ColumnKind::Bool,
        t if t.starts_with("set[") || t.starts_with("vector[") => ColumnKind::Container,
        _ => ColumnKind::Text,
    }
}

/// Decodes `\xHH` escapes (Zeek escapes separators and non-printable bytes), and
/// `\t`, which some writers put in `#separator` instead of `\x09`.
fn unescape(text: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memchr(b'\\', text.as_bytes()).is_none() {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1] == b'x';
        if escaped
            && let Some(byte) = std::str::from_utf8(&bytes[i + 2..i + 4])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 4;
            continue;
        }
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b't') {
            out.push(b'\t');
            i += 2;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Whether the first bytes of a file are a Zeek TSV header.
pub(crate) fn sniff_tsv(head: &[u8]) -> Option<ZeekLog> {
    let header = tsv_header(head)?;
    if !header.plan.is_empty() {
        return Some(header.log);
    }
    if !header.path.is_empty() {
        return Some(ZeekLog::from_path_name(&header.path));
    }
    Some(ZeekLog::Other)
}

/// For a Zeek TSV log whose `#fields` have no `ts` column, its `#path`
/// (`loaded_scripts`, which lists the sensor's scripts): a list, not events,
/// so it is skipped as a whole (with the files in no log format) instead of
/// reporting each of its lines as a record without a timestamp.
pub(crate) fn untimed_tsv(head: &[u8]) -> Option<String> {
    let header = tsv_header(head)?;
    let untimed = !header.fields.is_empty() && !header.fields.iter().any(|f| f == "ts");
    untimed.then(|| match header.path.as_str() {
        "" => "unnamed".to_owned(),
        path => path.to_owned(),
    })
}

/// The header lines at the start of `head`, when it is Zeek TSV, up to its
/// `#fields` and `#types` (or as far as the head goes).
fn tsv_header(head: &[u8]) -> Option<Header> {
    if !head.starts_with(b"#separator ") {
        return None;
    }
    let mut reader = TsvState::new();
    for line in head.split(|b| *b == b'\n') {
        if !line.starts_with(b"#") {
            break;
        }
        reader.header_line(line);
        if !reader.header.plan.is_empty() {
            break;
        }
    }
    Some(reader.header)
}

struct TsvState {
    header: Header,
}

impl TsvState {
    fn new() -> Self {
        TsvState {
            header: Header::default(),
        }
    }

    /// Applies a `#…` line; returns false for unknown header lines (ignored).
    fn header_line(&mut self, line: &[u8]) -> bool {
        let line = trim_eol(line);
        if let Some(rest) = line.strip_prefix(b"#separator ") {
            let decoded = unescape(&String::from_utf8_lossy(rest))
                .into_owned()
                .into_bytes();
            if !decoded.is_empty() {
                self.header = Header {
                    separator: decoded,
                    ..Header::default()
                };
            }
            return true;
        }
        let text = String::from_utf8_lossy(line);
        let sep = String::from_utf8_lossy(&self.header.separator).into_owned();
        let (key, value) = text.split_once(sep.as_str()).unwrap_or((&text, ""));
        match key {
            "#set_separator" => self.header.set_separator = unescape(value).into_owned(),
            "#empty_field" => self.header.empty_field = unescape(value).into_owned(),
            "#unset_field" => self.header.unset_field = unescape(value).into_owned(),
            "#path" => self.header.path = value.to_owned(),
            "#fields" => {
                self.header.fields = value.split(sep.as_str()).map(str::to_owned).collect();
                self.header.types.clear();
                self.header.build_plan();
            }
            "#types" => {
                self.header.types = value.split(sep.as_str()).map(str::to_owned).collect();
                self.header.build_plan();
            }
            "#open" | "#close" => {}
            _ => return false,
        }
        true
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads a Zeek TSV log; see the module docs.
pub struct ZeekTsvSource {
    input: Input,
    state: TsvState,
    networks: Networks,
    line: Vec<u8>,
    offset: u64,
    done: bool,
}

impl ZeekTsvSource {
    /// A reader over `input`.
    pub fn new(input: Input, networks: Networks) -> Self {
        ZeekTsvSource {
            input,
            state: TsvState::new(),
            networks,
            line: Vec::with_capacity(1024),
            offset: 0,
            done: false,
        }
    }

    fn record(&self, line: &[u8], offset: u64) -> Result<Event, RecordError> {
        let file = &self.input.path;
        let header = &self.state.header;
        if header.plan.is_empty() {
            return Err(RecordError::new(
                file,
                offset,
                "zeek record before #fields header",
            ));
        }
        let mut line = std::str::from_utf8(line)
            .map_err(|_| RecordError::new(file, offset, "zeek record is not UTF-8"))?;
        // Some writers end every record with one more separator (a public dnscat2
        // capture's http.log does): an empty last column past #fields is dropped.
        let sep_text = std::str::from_utf8(&header.separator).unwrap_or("\t");
        if let Some(trimmed) = line.strip_suffix(sep_text)
            && trimmed.matches(sep_text).count() + 1 == header.plan.len()
        {
            line = trimmed;
        }
        let mut event = Event {
            native: model::Native::with_capacity(header.plan.len()),
            ..Event::default()
        };
        let sep = std::str::from_utf8(&header.separator).unwrap_or("\t");
        let columns = match header.separator.as_slice() {
            [byte] => memchr::memchr_iter(*byte, line.as_bytes()).count() + 1,
            _ => line.matches(sep).count() + 1,
        };
        let fields: Box<dyn Iterator<Item = &str>> = match header.separator.as_slice() {
            [byte] if byte.is_ascii() => Box::new(line.split(char::from(*byte))),
            _ => Box::new(line.split(sep)),
        };
        if columns != header.plan.len() {
            return Err(RecordError::new(
                file,
                offset,
                "zeek record field count differs from #fields",
            ));
        }
        let mut have_ts = false;
        for ((raw, column), name) in fields.zip(&header.plan).zip(&header.fields) {
            if !self.column(&mut event, column, raw) {
                return Err(RecordError::new(
                    file,
                    offset,
                    format!("zeek field {name} does not parse"),
                ));
            }
            have_ts |= column.slot == Slot::Ts && raw != header.unset_field;
        }
        if !have_ts {
            return Err(RecordError::new(file, offset, "missing timestamp"));
        }
        finish(&mut event, header.log, &header.labels, &self.networks);
        event.origin = Some(Origin {
            file: file.clone(),
            offset,
        });
        Ok(event)
    }

    /// Stores one column natively and in its typed slot; false when a typed value
    /// does not parse.
    fn column(&self, event: &mut Event, column: &Column, raw: &str) -> bool {
        let header = &self.state.header;
        let value = if raw == header.unset_field {
            Value::Null
        } else if raw == header.empty_field {
            match column.kind {
                ColumnKind::Container => Value::List(Vec::new()),
                _ => Value::Str("".into()),
            }
        } else {
            match column.kind {
                ColumnKind::Int => match raw.parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(_) => return false,
                },
                ColumnKind::Float => match raw.parse::<f64>() {
                    Ok(f) => Value::Float(f),
                    Err(_) => return false,
                },
                ColumnKind::Bool => Value::Bool(raw == "T"),
                ColumnKind::Container => Value::List(
                    raw.split(header.set_separator.as_str())
                        .map(|item| Value::from(unescape(item).as_ref()))
                        .collect(),
                ),
                ColumnKind::Text => Value::from(unescape(raw).as_ref()),
            }
        };
        match &value {
            Value::Null => {}
            Value::List(items) => {
                for item in items {
                    if let Value::Str(s) = item {
                        apply(event, column.slot, s);
                    }
                }
            }
            Value::Str(s) if s.is_empty() => {}
            Value::Str(s) => {
                if !apply(event, column.slot, s) {
                    return false;
                }
            }
            _ => {
                if !apply(event, column.slot, raw) {
                    return false;
                }
            }
        }
        if let Some(sym) = column.sym {
            event.native.push_sym(sym, value);
        }
        true
    }
}

impl Iterator for ZeekTsvSource {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line.clear();
            let offset = self.offset;
            match crate::input::read_line(&mut self.input.reader, &mut self.line) {
                Ok(0) => self.done = true,
                Ok(n) => {
                    self.offset += n as u64;
                    let line = std::mem::take(&mut self.line);
                    let trimmed = trim_eol(&line);
                    let result = if trimmed.is_empty() {
                        None
                    } else if trimmed.starts_with(b"#") {
                        self.state.header_line(trimmed);
                        None
                    } else {
                        Some(self.record(trimmed, offset))
                    };
                    self.line = line;
                    if result.is_some() {
                        return result;
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(RecordError::new(
                        &self.input.path,
                        offset,
                        format!("read error: {e}"),
                    )));
                }
            }
        }
        None
    }
}

/// Whether a JSON object looks like a Zeek record, and which log it is.
pub(crate) fn json_log(
    obj: &serde_json::Map<String, serde_json::Value>,
) -> Option<(ZeekLog, String)> {
    let path = obj
        .get("_path")
        .or_else(|| obj.get("@stream"))
        .and_then(|v| v.as_str());
    let has_id = obj.contains_key("id.orig_h") || obj.contains_key("id_orig_h");
    let zeekish = obj.contains_key("ts") && (obj.contains_key("uid") || has_id || path.is_some());
    if !zeekish {
        return None;
    }
    Some(match path {
        Some(path) => (ZeekLog::from_path_name(path), path.to_owned()),
        None => (
            ZeekLog::from_field_names(obj.keys().map(String::as_str)),
            String::new(),
        ),
    })
}

/// Builds an event from a Zeek JSON record (dotted or flattened names).
pub(crate) fn event_from_json(
    obj: &serde_json::Map<String, serde_json::Value>,
    log: ZeekLog,
    path_name: &str,
    networks: &Networks,
) -> Result<Event, String> {
    let mut event = Event {
        native: model::Native::with_capacity(obj.len()),
        ..Event::default()
    };
    let mut have_ts = false;
    let mut number = String::new();
    for (name, value) in obj {
        let slot = slot_of(name, log);
        let ok = match value {
            serde_json::Value::String(s) if s == "-" || s == "(empty)" => true,
            serde_json::Value::String(s) => apply(&mut event, slot, s),
            serde_json::Value::Number(n) => {
                use std::fmt::Write;
                number.clear();
                let _ = write!(number, "{n}");
                if matches!(
                    slot,
                    Slot::OrigP
                        | Slot::RespP
                        | Slot::OrigBytes
                        | Slot::RespBytes
                        | Slot::OrigPkts
                        | Slot::RespPkts
                        | Slot::StatusCode
                        | Slot::RequestBodyLen
                        | Slot::ResponseBodyLen
                        | Slot::TotalBytes
                        | Slot::SeenBytes
                ) {
                    // Some exporters write counts as floats (`719.0`).
                    if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0) {
                        number.clear();
                        let _ = write!(number, "{}", f as u64);
                    }
                }
                apply(&mut event, slot, &number)
            }
            serde_json::Value::Array(items) => {
                for item in items.iter().filter_map(|i| i.as_str()) {
                    apply(&mut event, slot, item);
                }
                true
            }
            _ => true,
        };
        if !ok {
            return Err(format!("zeek field {name} does not parse"));
        }
        have_ts |= slot == Slot::Ts;
        event.native.push_json(canonical_name(name), value);
    }
    if !have_ts {
        return Err("missing timestamp".into());
    }
    finish(&mut event, log, &labels(log, path_name), networks);
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn tsv(text: &str) -> Vec<Result<Event, RecordError>> {
        let input = Input {
            path: Arc::from("test.log"),
            reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
        };
        ZeekTsvSource::new(input, Networks::default()).collect()
    }

    const CONN: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\torig_pkts\torig_ip_bytes\tresp_pkts\ttunnel_parents\tlabel\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tcount\tcount\tcount\tset[string]\tstring\n";

    #[test]
    fn conn_maps_payload_bytes_and_unset_fields() {
        let text = format!(
            "{CONN}1714420815.679485\tC1\t10.0.0.238\t53501\t203.0.113.5\t443\ttcp\tssl\t0.5\t5000\t300\tSF\t7\t4000\t5\t(empty)\tBenign\n\
             1714420816.0\tC2\t10.0.0.11\t8\t8.8.8.8\t0\ticmp\t-\t-\t-\t-\tOTH\t1\t84\t1\t-\tx\n#close\t2024\n"
        );
        let events: Vec<Event> = tsv(&text).into_iter().map(Result::unwrap).collect();
        assert_eq!(events.len(), 2);
        let net = events[0].network.as_deref().unwrap();
        assert_eq!(net.source_bytes, Some(5000));
        assert_eq!(net.destination_bytes, Some(300));
        assert_eq!(net.source_packets, Some(7));
        assert_eq!(net.direction.as_deref(), Some("outbound"));
        assert_eq!(net.protocol.as_deref(), Some("ssl"));
        assert_eq!(
            events[0].native.get_by_name("label"),
            Some(model::ValueRef::Str("Benign"))
        );
        assert_eq!(
            events[0].native.get_by_name("tunnel_parents"),
            Some(model::ValueRef::List(&[]))
        );
        let icmp = events[1].network.as_deref().unwrap();
        assert_eq!(
            (icmp.source_port, icmp.destination_port),
            (Some(8), Some(0))
        );
        assert_eq!(icmp.source_bytes, None);
        assert_eq!(icmp.duration_s, None);
        assert_eq!(events[1].timestamp, Timestamp(1_714_420_816_000_000));
        assert_eq!(
            events[0].logsource,
            LogSource::new(Some("zeek"), None, Some("conn"))
        );
    }

    #[test]
    fn bad_lines_are_reported_with_offsets() {
        let good =
            "1714420815.5\tC1\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t1\t1\t1\tSF\t1\t1\t1\t-\tx\n";
        let text = format!(
            "{CONN}{good}garbage\n{good}1714420815.5\tC1\t10.0.0.1\tnotaport\t10.0.0.2\t2\ttcp\t-\t1\t1\t1\tSF\t1\t1\t1\t-\tx\n"
        );
        let results = tsv(&text);
        assert_eq!(results.len(), 4);
        assert!(results[0].is_ok() && results[2].is_ok());
        let bad = results[1].as_ref().unwrap_err();
        assert_eq!(bad.offset as usize, CONN.len() + good.len());
        assert!(bad.reason.contains("fields"), "{}", bad.reason);
        assert!(
            results[3]
                .as_ref()
                .unwrap_err()
                .reason
                .contains("id.orig_p")
        );
    }

    #[test]
    fn a_trailing_separator_after_the_last_field_is_dropped() {
        // The same dnscat2 http.log ends every record with a tab: 32 columns for
        // 31 #fields, the last one empty. A real extra value is still an error.
        let text = "#separator \\x09\n#path\thttp\n#fields\tts\thost\turi\tmethod\n#types\ttime\tstring\tstring\tstring\n\
                    1551355621.0\texample.org\t/x\tGET\t\n\
                    1551355622.0\texample.org\t/y\tGET\textra\n";
        let results = tsv(text);
        assert_eq!(results.len(), 2);
        let event = results[0].as_ref().unwrap();
        assert_eq!(
            event.http.as_deref().unwrap().method.as_deref(),
            Some("GET")
        );
        assert!(
            results[1]
                .as_ref()
                .unwrap_err()
                .reason
                .contains("field count")
        );
    }

    #[test]
    fn separator_written_as_backslash_t_is_a_tab() {
        // As in a public dnscat2 capture's http.log: `#separator \t`, tabs after it.
        let text = "#separator \\t\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n#fields\tts\thost\turi\tmethod\n#types\ttime\tstring\tstring\tstring\n1551355621.0\texample.org\t/x\tGET\n";
        let results = tsv(text);
        assert_eq!(results.len(), 1);
        let event = results.into_iter().next().unwrap().unwrap();
        assert_eq!(
            event.http.as_deref().unwrap().method.as_deref(),
            Some("GET")
        );
    }

    #[test]
    fn multiple_header_blocks_and_custom_separators() {
        let text = "#separator \\x7c\n#set_separator|;\n#empty_field|EMPTY\n#unset_field|NONE\n#path|dns\n#fields|ts|id.orig_h|id.resp_h|query|qtype_name|rcode_name|answers\n#types|time|addr|addr|string|string|string|vector[string]\n\
                    1.5|10.0.0.1|10.0.0.53|a\\x7cb.example|TXT|NOERROR|x;y\n\
                    #separator \\x09\n#path\thttp\n#fields\tts\thost\turi\tmethod\tstatus_code\trequest_body_len\n#types\ttime\tstring\tstring\tstring\tcount\tcount\n\
                    2.5\tup.example\t/u\tPOST\t200\t99\n";
        let events: Vec<Event> = tsv(text).into_iter().map(Result::unwrap).collect();
        let dns = events[0].dns.as_deref().unwrap();
        assert_eq!(dns.question_name.as_deref(), Some("a|b.example"));
        assert_eq!(dns.answers, ["x", "y"]);
        assert_eq!(events[0].kind, EventKind::Dns);
        let http = events[1].http.as_deref().unwrap();
        assert_eq!(http.url_full.as_deref(), Some("http://up.example/u"));
        assert_eq!(http.request_body_bytes, Some(99));
        assert_eq!(events[1].kind, EventKind::Http);
    }

    #[test]
    fn json_flattened_names() {
        let obj: serde_json::Value = serde_json::from_str(
            r#"{"@stream":"conn","ts":"2024-01-08T18:35:46.055436Z","id_orig_h":"10.1.1.1","id_orig_p":5545,"id_resp_h":"198.51.100.1","id_resp_p":443,"proto":"tcp","orig_bytes":146.0,"resp_bytes":"-","conn_state":"SF"}"#,
        )
        .unwrap();
        let obj = obj.as_object().unwrap();
        let (log, path) = json_log(obj).unwrap();
        assert_eq!(log, ZeekLog::Conn);
        let event = event_from_json(obj, log, &path, &Networks::default()).unwrap();
        let net = event.network.as_deref().unwrap();
        assert_eq!(net.source_bytes, Some(146));
        assert_eq!(net.destination_bytes, None);
        assert_eq!(net.destination_port, Some(443));
        assert!(event.native.get_by_name("id.orig_h").is_some());
        assert_eq!(event.timestamp.to_rfc3339(), "2024-01-08T18:35:46.055436Z");
    }
}
