//! JSON and JSON Lines event exports.
//!
//! A file may be JSON Lines (one object per line), one JSON array of objects, or one
//! or more (pretty-printed) objects. Each record's shape is recognised on its own
//! ([`JsonShape`], or a Zeek JSON record), so mixed exports work:
//!
//! * the `evtx` crate's JSON (`{"Event":{"System":…,"EventData":…}}`);
//! * Winlogbeat / Elastic Agent, ECS 7 and 8: `winlog.event_data.*` become native
//!   fields without the prefix (`Image`, `CommandLine`), `winlog.event_id` becomes
//!   `EventID`, `winlog.channel` `Channel`, `winlog.provider_name` `Provider_Name`,
//!   `winlog.computer_name` `Computer`; every other key stays under its dotted name;
//!   the fields Winlogbeat's modules move to ECS names are put back (see the
//!   private `winlogbeat` module);
//! * plain ECS documents (typed fields read from their ECS names);
//! * flat Windows exports (OTRF/Mordor, nxlog: `EventID`, `Channel`, `SourceName`,
//!   `Hostname` and the event data at the top level);
//! * Sysmon for Linux in any of the Windows shapes (provider `Linux-Sysmon`);
//! * Splunk search exports, a result a line or one `results` document (see
//!   the private `splunk` module);
//! * Elasticsearch and Kibana exports: search hits, a search response, the
//!   `fields` rendering (see the private `elastic` module);
//! * anything else with a recognisable timestamp, kept generically.
//!
//! In JSON Lines a line that is not a JSON object is reported with its byte offset
//! and skipped. In an array or a multi-object document a syntax error cannot be
//! resynchronised: it is reported with its offset and ends the file.

use crate::elastic;
use crate::flat_shape::{Shape, Shapes};
use crate::format::{JsonShape, ZeekLog};
use crate::json_entries::{Entries, Scalar};
use crate::splunk;
use crate::windows;
use crate::{Format, Input, RecordError, SourceContext};
use model::{Event, EventKind, Field, LogSource, Networks, Origin, Sym, Timestamp, Value};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::sync::Arc;

/// Keys that name a Windows event id in flat exports.
const EVENT_ID_KEYS: [&str; 4] = ["EventID", "EventId", "event_id", "EventCode"];

/// Keys that name a Windows channel, provider or computer in flat exports.
const WINDOWS_SOURCE_KEYS: [&str; 8] = [
    "Channel",
    "SourceName",
    "ProviderName",
    "Provider_Name",
    "Hostname",
    "Computer",
    "ComputerName",
    "LogName",
];

/// Builds the event of one JSON Lines record read as [`Entries`]: flat Windows
/// records directly, every other shape through the same map as
/// [`event_from_object`].
///
/// What the keys decide (flat Windows or not, where the time is, each key's
/// symbol) comes from the thread's remembered [`Shapes`].
#[cfg(test)]
pub(crate) fn event_from_entries(
    entries: Entries<'_>,
    networks: &Networks,
) -> Result<Event, String> {
    match read_entries(entries, networks) {
        EntriesRead::Event(event) => event,
        EntriesRead::Export(map) => event_from_object(&map, networks),
    }
}

/// What one JSON Lines record read as [`Entries`] gives. (The event is left
/// unboxed: it is the answer for nearly every line, and boxing it would cost
/// an allocation a record.)
#[allow(clippy::large_enum_variant)]
enum EntriesRead {
    /// One event (or why not).
    Event(Result<Event, String>),
    /// A Splunk export object or an Elasticsearch search response, which the
    /// source reads with its context (a result's text `_raw` goes through the
    /// other readers; a results document or a response holds many records).
    Export(Map<String, Json>),
}

/// Reads one JSON Lines record as [`event_from_entries`] does, but hands back
/// a Splunk export object or an Elasticsearch search response for the source
/// to read.
fn read_entries(entries: Entries<'_>, networks: &Networks) -> EntriesRead {
    SHAPES.with_borrow_mut(|shapes| {
        let shape = shapes.of(&entries);
        if shape.flat_windows && !entries.has_object() {
            return EntriesRead::Event(flat_windows_entries(entries, shape, networks));
        }
        let map = entries.into_map();
        if splunk::export(&map).is_some()
            || matches!(elastic::export(&map), Some(elastic::Export::Hits(_)))
        {
            return EntriesRead::Export(map);
        }
        EntriesRead::Event(event_from_object(&map, networks))
    })
}

thread_local! {
    /// The key sequences of the flat records last read on this thread.
    static SHAPES: std::cell::RefCell<Shapes> = std::cell::RefCell::default();
}

/// The shape of one JSON record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordShape {
    /// A Windows or ECS shape, or generic.
    Json(JsonShape),
    /// A Zeek record of this log.
    Zeek(ZeekLog),
}

/// Recognises the shape of one record.
pub(crate) fn record_shape(obj: &Map<String, Json>) -> RecordShape {
    if splunk::export(obj).is_some() {
        return RecordShape::Json(JsonShape::SplunkExport);
    }
    if elastic::is_export(obj) {
        return RecordShape::Json(JsonShape::ElasticExport);
    }
    if obj
        .get("Event")
        .and_then(Json::as_object)
        .is_some_and(|e| e.contains_key("System"))
    {
        return RecordShape::Json(JsonShape::EvtxJson);
    }
    if crate::evtxecmd::is_evtxecmd(obj.keys().map(String::as_str)) {
        return RecordShape::Json(JsonShape::EvtxECmd);
    }
    if obj.get("winlog").is_some_and(Json::is_object) {
        return RecordShape::Json(JsonShape::Winlogbeat);
    }
    if let Some((log, _)) = crate::zeek::json_log(obj) {
        return RecordShape::Zeek(log);
    }
    let has_event_id = EVENT_ID_KEYS.iter().any(|k| obj.contains_key(*k));
    let has_windows_source = WINDOWS_SOURCE_KEYS.iter().any(|k| obj.contains_key(*k));
    if has_event_id && has_windows_source {
        return RecordShape::Json(JsonShape::FlatWindows);
    }
    let ecs = obj.contains_key("@timestamp")
        && [
            "ecs",
            "event",
            "host",
            "source",
            "destination",
            "process",
            "agent",
        ]
        .iter()
        .any(|k| obj.contains_key(*k) || obj.keys().any(|key| key.starts_with(&format!("{k}."))));
    if ecs {
        return RecordShape::Json(JsonShape::Ecs);
    }
    RecordShape::Json(JsonShape::Generic)
}

/// Builds an event from one JSON object of any supported shape.
pub(crate) fn event_from_object(
    obj: &Map<String, Json>,
    networks: &Networks,
) -> Result<Event, String> {
    match record_shape(obj) {
        RecordShape::Zeek(log) => {
            let path = crate::zeek::json_log(obj)
                .map(|(_, p)| p)
                .unwrap_or_default();
            crate::zeek::event_from_json(obj, log, &path, networks)
        }
        RecordShape::Json(JsonShape::EvtxJson) => {
            let inner = obj
                .get("Event")
                .and_then(Json::as_object)
                .ok_or("no Event object")?;
            if crate::evtxecmd::is_newtonsoft_event(inner) {
                return crate::evtxecmd::event_from_newtonsoft(inner, networks);
            }
            crate::evtx::event_from_evtx_json(inner, networks)
        }
        RecordShape::Json(JsonShape::Winlogbeat) => winlogbeat(obj, networks),
        RecordShape::Json(JsonShape::FlatWindows) => flat_windows(obj, networks),
        RecordShape::Json(JsonShape::Ecs) => ecs(obj),
        RecordShape::Json(JsonShape::Generic) => generic(obj),
        RecordShape::Json(JsonShape::EvtxECmd) => crate::evtxecmd::event_from_record(obj, networks),
        RecordShape::Json(JsonShape::SplunkExport) => match splunk::export(obj) {
            Some(splunk::Export::Result(result)) => splunk_result(result, networks, None),
            Some(splunk::Export::Results(_)) => {
                Err("splunk results document inside a record".into())
            }
            Some(splunk::Export::Control) | None => Err(splunk::NOT_AN_EVENT.into()),
        },
        RecordShape::Json(JsonShape::ElasticExport) => match elastic::export(obj) {
            Some(elastic::Export::Document(doc)) => event_from_object(&doc, networks),
            Some(elastic::Export::Hits(_)) | None => Err(elastic::HITS_INSIDE_A_RECORD.into()),
        },
    }
}

/// One result of a Splunk export (see [`splunk`]): the JSON record or the
/// Windows event XML its `_raw` holds when that reads as an event; with the
/// readers' context, a text line that a line reader types (a FortiGate
/// session, a proxy request); else its fields, Windows ones under the Windows
/// readers' names.
fn splunk_result(
    result: &Map<String, Json>,
    networks: &Networks,
    readers: Option<&SourceContext>,
) -> Result<Event, String> {
    let windows = splunk::is_windows(result);
    let from_raw = match splunk::raw(result) {
        Some(splunk::Raw::Json(obj)) => event_from_object(&obj, networks).ok(),
        Some(splunk::Raw::WindowsXml(xml)) => {
            crate::windows_xml::event_from_xml(xml, networks).ok()
        }
        Some(splunk::Raw::Line(line)) if !windows => {
            readers.and_then(|ctx| typed_event_of_line(line, ctx))
        }
        _ => None,
    };
    if let Some(event) = from_raw {
        return Ok(event);
    }
    let fields = if windows {
        splunk::windows_fields(result)
    } else {
        splunk::plain_fields(result)
    };
    event_from_object(&fields, networks)
}

/// The JSON object written in `text`, for tests (panics on anything else).
#[cfg(test)]
pub(crate) fn object_of(text: &str) -> Map<String, Json> {
    match serde_json::from_str(text) {
        Ok(Json::Object(obj)) => obj,
        other => panic!("not an object: {other:?}"),
    }
}

/// The event of one log line (a Splunk result's `_raw`) when a network or
/// cloud reader recognises it and types it (a connection, a DNS query, an
/// HTTP request, …); `None` for anything else, whose Splunk fields are then
/// read instead.
fn typed_event_of_line(line: &str, ctx: &SourceContext) -> Option<Event> {
    let (format, mut source) =
        crate::open::open_bytes("splunk _raw", line.as_bytes().to_vec(), ctx).ok()?;
    if !matches!(format, Format::Net(_) | Format::Cloud(_)) {
        return None;
    }
    source
        .next()?
        .ok()
        .filter(|event| event.kind != EventKind::Other)
}

/// Pushes `value` under `prefix`, flattening objects to dotted names.
pub(crate) fn flatten_into(event: &mut Event, prefix: &str, value: &Json) {
    match value {
        Json::Object(map) => {
            for (key, child) in map {
                if prefix.is_empty() {
                    flatten_into(event, key, child);
                } else {
                    flatten_into(event, &format!("{prefix}.{key}"), child);
                }
            }
        }
        other => event.native.push_json(prefix, other),
    }
}

/// Text of a scalar JSON value (numbers as written).
fn scalar_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Time from the first of `keys` that holds a parsable timestamp.
fn timestamp_of(obj: &Map<String, Json>, keys: &[&str]) -> Option<Timestamp> {
    keys.iter().find_map(|key| json_timestamp(obj.get(*key)?))
}

/// A timestamp from a JSON string or number.
fn json_timestamp(value: &Json) -> Option<Timestamp> {
    match value {
        Json::String(s) => Timestamp::parse(s),
        Json::Number(n) => Timestamp::parse(&n.to_string()),
        _ => None,
    }
}

/// [`json_timestamp`] of an entry's value.
fn scalar_timestamp(value: &Scalar) -> Option<Timestamp> {
    match value {
        Scalar::Str(s) => Timestamp::parse(s),
        Scalar::Number(n) => Timestamp::parse(&n.to_string()),
        _ => None,
    }
}

/// Pushes an entry's value under `sym` as [`Value::from_json`] converts it
/// (an event id's text as [`event_id_value`] does); a string's text goes
/// straight into the record's.
fn push_scalar(native: &mut model::Native, sym: Sym, value: &Scalar, event_id: bool) {
    match value {
        Scalar::Str(s) if event_id => native.push_sym(sym, event_id_text(s)),
        Scalar::Str(s) => native.push_sym_str(sym, windows::without_padding(s)),
        Scalar::Bool(b) => native.push_sym(sym, Value::Bool(*b)),
        Scalar::Null => native.push_sym(sym, Value::Null),
        Scalar::Number(n) => native.push_sym(sym, Value::from_json(&Json::Number(n.clone()))),
        Scalar::Other(json) => native.push_sym(sym, Value::from_json(json)),
    }
}

/// A number-looking `EventID` as an integer value, so rules compare numerically.
fn event_id_value(value: &Json) -> Value {
    match value {
        Json::String(s) => event_id_text(s),
        other => Value::from_json(other),
    }
}

/// An event id written as text: an integer when it reads as one.
fn event_id_text(text: &str) -> Value {
    text.trim()
        .parse::<i64>()
        .map(Value::Int)
        .unwrap_or_else(|_| Value::from(text))
}

fn winlogbeat(obj: &Map<String, Json>, networks: &Networks) -> Result<Event, String> {
    let mut event = Event::default();
    let winlog = obj
        .get("winlog")
        .and_then(Json::as_object)
        .ok_or("no winlog object")?;
    for section in ["event_data", "user_data"] {
        if let Some(Json::Object(data)) = winlog.get(section) {
            for (key, value) in data {
                let value = crate::winlogbeat::event_data_value(key, value);
                event.native.push_json(key, &value);
            }
        }
    }
    let aliases = [
        ("event_id", "EventID"),
        ("channel", "Channel"),
        ("provider_name", "Provider_Name"),
        ("computer_name", "Computer"),
        ("record_id", "EventRecordID"),
        ("task", "Task"),
        ("opcode", "Opcode"),
    ];
    for (key, alias) in aliases {
        if let Some(value) = winlog.get(key) {
            let value = if key == "event_id" {
                event_id_value(value)
            } else {
                Value::from_json(value)
            };
            event.native.push(alias, value);
        }
    }
    for (key, value) in obj {
        if key == "winlog" {
            for (wkey, wvalue) in winlog {
                if wkey != "event_data" && wkey != "user_data" {
                    flatten_into(&mut event, &format!("winlog.{wkey}"), wvalue);
                }
            }
        } else {
            flatten_into(&mut event, key, value);
        }
    }
    crate::winlogbeat::restore(&mut event, winlog, obj);
    // The event's own channel, not a payload field of that name (1102 and
    // 104 name the log that was cleared `Channel`).
    if let Some(channel) = winlog.get("channel").and_then(Json::as_str) {
        event.channel = Some(channel.to_owned());
    }
    event.timestamp = timestamp_of(obj, &["@timestamp"])
        .or_else(|| {
            winlog
                .get("time_created")
                .and_then(Json::as_str)
                .and_then(Timestamp::parse)
        })
        .ok_or("missing timestamp")?;
    windows::normalise(&mut event, networks);
    fill_from_ecs(&mut event, obj);
    Ok(event)
}

fn flat_windows(obj: &Map<String, Json>, networks: &Networks) -> Result<Event, String> {
    let entries = obj
        .iter()
        .map(|(k, v)| (Cow::Borrowed(k.as_str()), Scalar::from(v.clone())))
        .collect();
    let entries = Entries(entries);
    let shape = Shape::learn(&entries);
    flat_windows_entries(entries, &shape, networks)
}

/// A flat Windows record (unique keys, no nested object) of shape `shape`:
/// every entry becomes a native field in order, string values' text copied
/// into the record's (see [`model::Native`]).
fn flat_windows_entries(
    entries: Entries<'_>,
    shape: &Shape,
    networks: &Networks,
) -> Result<Event, String> {
    let timestamp = shape
        .time_at
        .iter()
        .find_map(|&index| scalar_timestamp(&entries.0[index].1))
        .ok_or("missing timestamp")?;
    let mut event = Event {
        native: model::Native::with_capacity(entries.0.len() + 2),
        ..Event::default()
    };
    for ((_, value), field) in entries.0.iter().zip(&shape.fields) {
        if let Some(sym) = field.sym {
            push_scalar(&mut event.native, sym, value, field.event_id);
        }
        if let Some((Some(sym), event_id)) = field.alias {
            push_scalar(&mut event.native, sym, value, event_id);
        }
    }
    event.timestamp = timestamp;
    windows::normalise(&mut event, networks);
    Ok(event)
}

fn ecs(obj: &Map<String, Json>) -> Result<Event, String> {
    let mut event = Event::default();
    for (key, value) in obj {
        flatten_into(&mut event, key, value);
    }
    event.timestamp = timestamp_of(obj, &["@timestamp"]).ok_or("missing timestamp")?;
    fill_from_ecs(&mut event, obj);
    event.kind = ecs_kind(&event, obj);
    let product = lookup_path(obj, "host.os.type")
        .or_else(|| lookup_path(obj, "os.type"))
        .and_then(Json::as_str)
        .map(str::to_ascii_lowercase);
    let category = match event.kind {
        EventKind::ProcessStart => Some("process_creation"),
        EventKind::Network => Some("network_connection"),
        EventKind::Dns => Some("dns_query"),
        EventKind::File => Some("file_event"),
        _ => None,
    };
    event.logsource = LogSource::new(product.as_deref(), category, None);
    Ok(event)
}

fn generic(obj: &Map<String, Json>) -> Result<Event, String> {
    let mut event = Event::default();
    for (key, value) in obj {
        flatten_into(&mut event, key, value);
    }
    event.timestamp = timestamp_of(
        obj,
        &[
            "@timestamp",
            "timestamp",
            "time",
            "ts",
            "eventTime",
            "EventTime",
            "TimeCreated",
            "UtcTime",
            "date",
            "datetime",
            "created_at",
            // Splunk's exported events, Sentinel/Log Analytics and Defender
            // rows outside the shapes recognised above.
            "_time",
            "TimeGenerated",
            "Timestamp",
        ],
    )
    .ok_or("missing timestamp")?;
    fill_from_ecs(&mut event, obj);
    Ok(event)
}

/// A value at a dotted path, whether the document nests objects or uses dotted keys.
pub(crate) fn lookup_path<'a>(obj: &'a Map<String, Json>, path: &str) -> Option<&'a Json> {
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    let (head, rest) = path.split_once('.')?;
    match obj.get(head)? {
        Json::Object(inner) => lookup_path(inner, rest),
        _ => None,
    }
}

/// The ECS fields exfilguard types, read from their ECS paths when the typed member
/// is still empty.
fn fill_from_ecs(event: &mut Event, obj: &Map<String, Json>) {
    for field in Field::ALL {
        let name = field.name();
        if name == "@timestamp" || event.get_canonical(*field).is_some() {
            continue;
        }
        if let Some(value) = lookup_path(obj, name) {
            set_canonical(event, *field, value);
        }
    }
    if event.dns.as_ref().is_none_or(|d| d.answers.is_empty())
        && let Some(Json::Array(answers)) = lookup_path(obj, "dns.answers")
    {
        let data: Vec<String> = answers
            .iter()
            .filter_map(|a| a.get("data").and_then(scalar_text))
            .collect();
        if !data.is_empty() {
            event.dns_mut().answers = data;
        }
    }
}

fn set_canonical(event: &mut Event, field: Field, value: &Json) {
    let text = || scalar_text(value).filter(|s| !s.is_empty());
    let uint = || match value {
        Json::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let ip = || text().and_then(|t| windows::parse_ip(&t));
    let port = || uint().and_then(|p| u16::try_from(p).ok());
    match field {
        Field::Timestamp => {}
        Field::EventCode => event.code = uint().and_then(|c| u32::try_from(c).ok()),
        Field::EventProvider => event.provider = text(),
        Field::EventChannel => event.channel = text(),
        Field::EventDataset => event.dataset = text(),
        Field::EventAction => event.action = text(),
        Field::EventOutcome => event.outcome = text(),
        Field::EventDuration => event.network_mut().duration_s = uint().map(|ns| ns as f64 / 1e9),
        Field::HostName => event.host_name = text(),
        Field::HostIp => {
            event.host_ip = match value {
                Json::Array(items) => items
                    .iter()
                    .filter_map(Json::as_str)
                    .find_map(windows::parse_ip),
                _ => ip(),
            }
        }
        Field::UserName => event.user_name = text(),
        Field::UserDomain => event.user_domain = text(),
        Field::ProcessPid => event.process_mut().pid = uint(),
        Field::ProcessExecutable => event.process_mut().executable = text(),
        Field::ProcessName => event.process_mut().name = text(),
        Field::ProcessCommandLine => event.process_mut().command_line = text(),
        Field::ProcessOriginalFileName => event.process_mut().original_file_name = text(),
        Field::ProcessParentExecutable => event.process_mut().parent_executable = text(),
        Field::ProcessParentCommandLine => event.process_mut().parent_command_line = text(),
        Field::ProcessWorkingDirectory => event.process_mut().working_directory = text(),
        Field::FilePath => event.file_path = text(),
        Field::FileSize => event.file_size = uint(),
        Field::SourceIp => event.network_mut().source_ip = ip(),
        Field::SourcePort => event.network_mut().source_port = port(),
        Field::SourceBytes => event.network_mut().source_bytes = uint(),
        Field::SourcePackets => event.network_mut().source_packets = uint(),
        Field::DestinationIp => event.network_mut().destination_ip = ip(),
        Field::DestinationPort => event.network_mut().destination_port = port(),
        Field::DestinationDomain => event.network_mut().destination_domain = text(),
        Field::DestinationBytes => event.network_mut().destination_bytes = uint(),
        Field::DestinationPackets => event.network_mut().destination_packets = uint(),
        Field::NetworkTransport => event.network_mut().transport = text(),
        Field::NetworkProtocol => event.network_mut().protocol = text(),
        Field::NetworkDirection => event.network_mut().direction = text(),
        Field::ConnectionState => event.network_mut().state = text(),
        Field::DnsQuestionName => event.dns_mut().question_name = text(),
        Field::DnsQuestionType => event.dns_mut().question_type = text(),
        Field::DnsResponseCode => event.dns_mut().response_code = text(),
        Field::DnsAnswers => {
            if let Json::Array(items) = value {
                event.dns_mut().answers = items.iter().filter_map(scalar_text).collect();
            }
        }
        Field::UrlFull => event.http_mut().url_full = text(),
        Field::UrlDomain => event.http_mut().url_domain = text(),
        Field::UrlPath => event.http_mut().url_path = text(),
        Field::HttpRequestMethod => event.http_mut().method = text(),
        Field::HttpRequestBodyBytes => event.http_mut().request_body_bytes = uint(),
        Field::HttpResponseBodyBytes => event.http_mut().response_body_bytes = uint(),
        Field::HttpResponseStatusCode => {
            event.http_mut().status_code = uint().and_then(|c| u16::try_from(c).ok())
        }
        Field::UserAgent => event.http_mut().user_agent = text(),
        Field::TlsServerName => event.tls_server_name = text(),
        Field::ScriptBlockText => event.script_text = text(),
        Field::CloudProvider => event.cloud_mut().provider = text(),
        Field::CloudAccountId => event.cloud_mut().account_id = text(),
        Field::CloudRegion => event.cloud_mut().region = text(),
        Field::CloudService => event.cloud_mut().service = text(),
        Field::Message => event.message = text(),
    }
}

/// ECS `event.category`/`event.type` to an event kind, falling back on which typed
/// parts are present.
fn ecs_kind(event: &Event, obj: &Map<String, Json>) -> EventKind {
    let categories: Vec<String> = match lookup_path(obj, "event.category") {
        Some(Json::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(other) => scalar_text(other).into_iter().collect(),
        None => Vec::new(),
    };
    let has = |c: &str| categories.iter().any(|x| x == c);
    let types = lookup_path(obj, "event.type")
        .map(Json::to_string)
        .unwrap_or_default();
    if has("process")
        && (types.contains("start")
            || event
                .process
                .as_ref()
                .is_some_and(|p| p.command_line.is_some()))
    {
        EventKind::ProcessStart
    } else if event.dns.is_some() {
        EventKind::Dns
    } else if event.http.is_some() {
        EventKind::Http
    } else if event.tls_server_name.is_some() {
        EventKind::Tls
    } else if has("authentication") {
        EventKind::Authentication
    } else if has("file") || event.file_path.is_some() && !has("network") {
        EventKind::File
    } else if has("network")
        || event
            .network
            .as_ref()
            .is_some_and(|n| n.source_ip.is_some() || n.destination_ip.is_some())
    {
        EventKind::Network
    } else {
        EventKind::Other
    }
}

/// How a JSON file is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One object per line.
    Lines,
    /// A JSON array of objects, or one or more (pretty-printed) objects.
    Document,
}

/// Recognises JSON from the first bytes; returns the layout and the first record's
/// shape (when the head holds a whole first record).
pub(crate) fn sniff(head: &[u8]) -> Option<(Layout, Option<RecordShape>)> {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    match text.first()? {
        b'[' => {
            let first = first_array_element(text);
            Some((
                Layout::Document,
                first.as_ref().and_then(Json::as_object).map(record_shape),
            ))
        }
        b'{' => match sniff_lines(text) {
            Some(shape) => Some((Layout::Lines, Some(shape))),
            None => {
                let first = serde_json::Deserializer::from_slice(text)
                    .into_iter::<Json>()
                    .next()
                    .and_then(Result::ok);
                Some((
                    Layout::Document,
                    first.as_ref().and_then(Json::as_object).map(record_shape),
                ))
            }
        },
        _ => sniff_lines(text).map(|shape| (Layout::Lines, Some(shape))),
    }
}

/// JSON Lines when at least half of the first (up to 20) complete non-empty lines
/// are JSON objects, so that garbage lines, even at the top, do not hide a JSONL
/// file; returns the first object's shape.
fn sniff_lines(text: &[u8]) -> Option<RecordShape> {
    let complete = match memchr::memrchr(b'\n', text) {
        Some(end) if text.len() >= crate::input::HEAD_BYTES => &text[..end],
        _ => text,
    };
    let (mut sampled, mut objects, mut first) = (0, 0, None);
    for line in complete.split(|b| *b == b'\n').map(<[u8]>::trim_ascii) {
        if line.is_empty() {
            continue;
        }
        sampled += 1;
        if let Ok(Json::Object(obj)) = serde_json::from_slice::<Json>(line) {
            objects += 1;
            first.get_or_insert_with(|| record_shape(&obj));
        }
        if sampled == 20 {
            break;
        }
    }
    (objects > 0 && objects * 2 >= sampled)
        .then_some(first)
        .flatten()
}

fn first_array_element(text: &[u8]) -> Option<Json> {
    let rest = &text[1..];
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    serde_json::Deserializer::from_slice(&rest[start..])
        .into_iter::<Json>()
        .next()?
        .ok()
}

/// The event with its file and offset, or the reason it could not be built.
fn with_origin(
    event: Result<Event, String>,
    path: &Arc<str>,
    offset: u64,
) -> Result<Event, RecordError> {
    let mut event = event.map_err(|reason| RecordError::new(path, offset, reason))?;
    event.origin = Some(Origin {
        file: path.clone(),
        offset,
    });
    Ok(event)
}

/// Reads JSON and JSON Lines files; see the module docs.
pub struct JsonSource {
    path: Arc<str>,
    /// The readers' context: its networks orient flows, and the text lines a
    /// Splunk export holds are read with it.
    ctx: SourceContext,
    state: State,
    /// Records read and not yet handed out: a Splunk results document holds
    /// many.
    pending: VecDeque<Result<Event, RecordError>>,
}

enum State {
    Lines {
        reader: Box<dyn BufRead + Send>,
        line: Vec<u8>,
        offset: u64,
    },
    Document {
        buf: Vec<u8>,
        pos: usize,
        in_array: bool,
    },
    Done,
}

impl JsonSource {
    /// A reader over `input` with the given layout. Document layouts are read into
    /// memory whole (an array cannot be split without parsing it).
    pub(crate) fn new(
        input: Input,
        layout: Layout,
        ctx: &SourceContext,
    ) -> Result<Self, std::io::Error> {
        let state = match layout {
            Layout::Lines => State::Lines {
                reader: input.reader,
                line: Vec::with_capacity(4096),
                offset: 0,
            },
            Layout::Document => {
                let mut buf = Vec::new();
                let mut reader = input.reader;
                reader.read_to_end(&mut buf)?;
                let mut pos = if buf.starts_with(b"\xef\xbb\xbf") {
                    3
                } else {
                    0
                };
                pos += skip_ws(&buf[pos..]);
                let in_array = buf.get(pos) == Some(&b'[');
                if in_array {
                    pos += 1;
                }
                State::Document { buf, pos, in_array }
            }
        };
        Ok(JsonSource {
            path: input.path,
            ctx: ctx.clone(),
            state,
            pending: VecDeque::new(),
        })
    }

    /// The record of `value`, read at `offset`; `None` when it holds none (a
    /// Splunk export's control line, or an empty results document). A Splunk
    /// results document's records are queued, and the first returned.
    fn read_value(&mut self, value: Json, offset: u64) -> Option<Result<Event, RecordError>> {
        let Json::Object(obj) = value else {
            return Some(Err(RecordError::new(
                &self.path,
                offset,
                "json record is not an object",
            )));
        };
        match splunk::export(&obj) {
            Some(splunk::Export::Results(results)) => {
                for result in results {
                    let event = match result {
                        Json::Object(result) => {
                            splunk_result(result, &self.ctx.networks, Some(&self.ctx))
                        }
                        _ => Err("splunk result is not an object".into()),
                    };
                    self.pending
                        .push_back(with_origin(event, &self.path, offset));
                }
                return self.pending.pop_front();
            }
            Some(splunk::Export::Result(result)) => {
                let event = splunk_result(result, &self.ctx.networks, Some(&self.ctx));
                return self.event_at(event, offset);
            }
            Some(splunk::Export::Control) | None => {}
        }
        if let Some(elastic::Export::Hits(hits)) = elastic::export(&obj) {
            for hit in hits {
                let event = match hit {
                    Json::Object(hit) => event_from_object(hit, &self.ctx.networks),
                    _ => Err("elasticsearch hit is not an object".into()),
                };
                self.pending
                    .push_back(with_origin(event, &self.path, offset));
            }
            return self.pending.pop_front();
        }
        self.event_at(event_from_object(&obj, &self.ctx.networks), offset)
    }

    /// `event` with its origin, or `None` for a line that holds no event.
    fn event_at(
        &self,
        event: Result<Event, String>,
        offset: u64,
    ) -> Option<Result<Event, RecordError>> {
        if matches!(&event, Err(reason) if reason == splunk::NOT_AN_EVENT) {
            return None;
        }
        Some(with_origin(event, &self.path, offset))
    }

    fn next_line(&mut self) -> Option<Result<Event, RecordError>> {
        loop {
            let State::Lines {
                reader,
                line,
                offset,
            } = &mut self.state
            else {
                return None;
            };
            line.clear();
            let start = *offset;
            match crate::input::read_line(reader, line) {
                Ok(0) => {
                    self.state = State::Done;
                    return None;
                }
                Ok(n) => {
                    *offset += n as u64;
                    let trimmed = line.trim_ascii();
                    if trimmed.is_empty() {
                        continue;
                    }
                    let read = match Entries::parse(trimmed) {
                        Some(entries) => match read_entries(entries, &self.ctx.networks) {
                            EntriesRead::Event(event) => self.event_at(event, start),
                            EntriesRead::Export(map) => self.read_value(Json::Object(map), start),
                        },
                        // Not a flat object: the general path reads it or
                        // reports why.
                        None => match serde_json::from_slice::<Json>(trimmed) {
                            Ok(value) => self.read_value(value, start),
                            Err(_) => {
                                Some(Err(RecordError::new(&self.path, start, "invalid json")))
                            }
                        },
                    };
                    if read.is_some() {
                        return read;
                    }
                }
                Err(e) => {
                    self.state = State::Done;
                    return Some(Err(RecordError::new(
                        &self.path,
                        start,
                        format!("read error: {e}"),
                    )));
                }
            }
        }
    }

    fn next_document(&mut self) -> Option<Result<Event, RecordError>> {
        loop {
            let (value, start) = self.next_value()?;
            if let Some(read) = self.read_value(value, start) {
                return Some(read);
            }
        }
    }

    /// The next JSON value of a document and its offset; `None` at the end
    /// (an error is queued in `pending` and ends the file).
    fn next_value(&mut self) -> Option<(Json, u64)> {
        let State::Document { buf, pos, in_array } = &mut self.state else {
            return None;
        };
        *pos += skip_ws(&buf[*pos..]);
        if *in_array {
            if buf.get(*pos) == Some(&b',') {
                *pos += 1;
                *pos += skip_ws(&buf[*pos..]);
            }
            if buf.get(*pos) == Some(&b']') {
                self.state = State::Done;
                return None;
            }
        }
        if *pos >= buf.len() {
            let unterminated = *in_array;
            let at = *pos as u64;
            self.state = State::Done;
            if unterminated {
                self.pending.push_back(Err(RecordError::new(
                    &self.path,
                    at,
                    "json array not terminated",
                )));
            }
            return None;
        }
        let start = *pos;
        let mut stream = serde_json::Deserializer::from_slice(&buf[start..]).into_iter::<Json>();
        match stream.next() {
            Some(Ok(value)) => {
                *pos = start + stream.byte_offset();
                Some((value, start as u64))
            }
            Some(Err(e)) => {
                self.state = State::Done;
                self.pending.push_back(Err(RecordError::new(
                    &self.path,
                    start as u64,
                    format!("invalid json ({}), rest of file skipped", e.classify_name()),
                )));
                None
            }
            None => {
                self.state = State::Done;
                None
            }
        }
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "data error",
            serde_json::error::Category::Eof => "unexpected end of file",
        }
    }
}

fn skip_ws(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len())
}

impl Iterator for JsonSource {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(read) = self.pending.pop_front() {
            return Some(read);
        }
        let read = match self.state {
            State::Lines { .. } => self.next_line(),
            State::Document { .. } => self.next_document(),
            State::Done => None,
        };
        read.or_else(|| self.pending.pop_front())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_flat_windows_test_is_the_two_key_lists() {
        use super::*;
        use crate::flat_shape::is_flat_windows;
        let flat = |line: String| {
            let entries = Entries::parse(line.as_bytes()).unwrap();
            let keys: Vec<&str> = entries.0.iter().map(|(k, _)| k.as_ref()).collect();
            is_flat_windows(&keys)
        };
        for id in EVENT_ID_KEYS {
            for source in WINDOWS_SOURCE_KEYS {
                assert!(
                    flat(format!(r#"{{"{id}":1,"{source}":"x"}}"#)),
                    "{id} {source}"
                );
                assert!(!flat(format!(r#"{{"{id}":1,"{source}":"x","ts":1}}"#)));
            }
            assert!(!flat(format!(r#"{{"{id}":1,"Other":"x"}}"#)));
        }
        for source in WINDOWS_SOURCE_KEYS {
            assert!(!flat(format!(r#"{{"Id":1,"{source}":"x"}}"#)));
        }
    }

    fn json_key() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        // The keys the shape detectors look for, and some others.
        use crate::flat_shape::{FLAT_ALIASES, FLAT_TIME_KEYS};
        let marked: Vec<&str> = EVENT_ID_KEYS
            .iter()
            .chain(&WINDOWS_SOURCE_KEYS)
            .chain(&FLAT_TIME_KEYS)
            .chain(FLAT_ALIASES.iter().map(|(name, _)| name))
            .chain(&[
                "ts",
                "uid",
                "id.orig_h",
                "_path",
                "CommandLine",
                "Image",
                "winlog",
                "Event",
                "event",
            ])
            .copied()
            .collect();
        prop_oneof![
            proptest::sample::select(marked).prop_map(str::to_string),
            "[a-zA-Z_.]{1,8}",
        ]
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Json> {
        use proptest::prelude::*;
        let scalar = prop_oneof![
            proptest::sample::select(vec![
                "4688",
                "Security",
                "2024-01-02T03:04:05Z",
                "C:\\x.exe",
                "-",
                "10.0.0.5",
            ])
            .prop_map(Json::from),
            "\\PC{0,12}".prop_map(Json::from),
            any::<i64>().prop_map(Json::from),
            (0.0f64..1e12).prop_map(Json::from),
            any::<bool>().prop_map(Json::from),
            Just(Json::Null),
        ];
        scalar.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Json::Array),
                proptest::collection::vec(("[a-z]{1,4}", inner), 0..3)
                    .prop_map(|pairs| Json::Object(pairs.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Generated records (repeated keys, nested values, every shape's
        /// marker keys) build the same event, or the same error, both ways.
        #[test]
        fn entries_and_map_agree_on_generated_records(
            windows in proptest::bool::weighted(0.7),
            fields in proptest::collection::vec((json_key(), json_value()), 0..12)
        ) {
            // Most records start as a flat Windows export, so the direct path runs.
            let base = [
                ("EventID", Json::from(4688)),
                ("Channel", Json::from("Security")),
                ("TimeCreated", Json::from("2024-01-02T03:04:05Z")),
            ];
            let base = if windows { &base[..] } else { &base[..0] };
            let body: Vec<String> = base
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .chain(fields)
                .map(|(k, v)| format!("{}:{}", Json::from(k.as_str()), v))
                .collect();
            let line = format!("{{{}}}", body.join(","));
            let nets = Networks::default();
            let entries = Entries::parse(line.as_bytes()).expect("an object");
            let map: Map<String, Json> = serde_json::from_str(&line).unwrap();
            proptest::prop_assert_eq!(
                event_from_entries(entries, &nets),
                event_from_object(&map, &nets),
                "{}", line
            );
        }
    }

    /// The entries path and the map path build the same event from every shape,
    /// including the ones the entries path hands over (nested, Zeek, repeated
    /// keys) and flat records with aliases, escapes, numbers and arrays.
    #[test]
    fn entries_and_map_paths_build_the_same_events() {
        let nets = Networks::default();
        let lines = [
            r#"{"EventID":"4688","Channel":"Security","Hostname":"ws1","SourceName":"Microsoft-Windows-Security-Auditing","TimeCreated":"2024-01-02T03:04:05Z","NewProcessName":"C:\\Windows\\cmd.exe","CommandLine":"cmd \"/c\" whoami","SubjectLogonId":"0x3e7"}"#,
            r#"{"EventId":1,"Provider_Name":"Microsoft-Windows-Sysmon","Computer":"ws2","UtcTime":"2024-01-02 03:04:05.123","Image":"C:\\x.exe","Hashes":["SHA1=AB","MD5=CD"],"Flag":true,"Nothing":null,"Ratio":1.5,"Big":18446744073709551615,"Ke\u0079":"escaped key","Tab\tin\\value":"a\tb"}"#,
            r#"{"event_id":7045,"ComputerName":"dc1","Channel":"System","@timestamp":1704164645,"ServiceName":"x"}"#,
            r#"{"EventID":4624,"Channel":"Security","Computer":"a","EventID":4625,"TimeCreated":"2024-01-02T03:04:05Z"}"#,
            r#"{"EventID":4624,"Channel":"Security","Computer":"a","TimeCreated":"2024-01-02T03:04:05Z","Nested":{"a":1}}"#,
            r#"{"ts":1704164645.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":5050,"id.resp_h":"93.184.216.34","id.resp_p":443,"proto":"tcp","orig_bytes":1000,"resp_bytes":20}"#,
            r#"{"@timestamp":"2024-01-02T03:04:05Z","event":{"category":"process"},"process":{"command_line":"curl -T x"},"host":{"name":"h"}}"#,
            r#"{"EventID":4688,"Channel":"Security","Computer":"a"}"#,
            r#"{"message":"hello","timestamp":"2024-01-02T03:04:05Z"}"#,
        ];
        for line in lines {
            let entries = Entries::parse(line.as_bytes()).expect(line);
            let map: Map<String, Json> = serde_json::from_str(line).unwrap();
            assert_eq!(
                event_from_entries(entries, &nets),
                event_from_object(&map, &nets),
                "{line}"
            );
        }
        assert!(Entries::parse(b"[1,2]").is_none());
        assert!(Entries::parse(b"{\"a\":").is_none());
    }

    use super::*;
    use std::io::Cursor;

    fn read(text: &str) -> Vec<Result<Event, RecordError>> {
        let (layout, _) = sniff(text.as_bytes()).expect("json");
        let input = Input {
            path: Arc::from("t.json"),
            reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
        };
        JsonSource::new(input, layout, &SourceContext::default())
            .unwrap()
            .collect()
    }

    #[test]
    fn jsonl_with_garbage_lines_keeps_good_records() {
        let good = r#"{"@timestamp":"2026-01-01T00:00:00Z","message":"a"}"#;
        let text = format!("{good}\nnot json\n\n{good}\n[1,2]\n{good}\n");
        let results = read(&text);
        assert_eq!(results.len(), 5);
        let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].offset as usize, good.len() + 1);
        assert_eq!(errors[1].reason, "json record is not an object");
    }

    #[test]
    fn generic_records_take_splunk_sentinel_and_defender_times() {
        let text = concat!(
            r#"{"_time":"2026-11-23T20:18:05.000+00:00","host":"ws1","_raw":"x"}"#,
            "\n",
            r#"{"TimeGenerated":"2026-11-23T20:18:05Z","Computer":"ws1","Activity":"a"}"#,
            "\n",
            r#"{"Timestamp":"Mon, 23 Nov 2026 20:18:05 GMT","message":"b"}"#,
            "\n",
        );
        let expected = Timestamp::parse("2026-11-23T20:18:05Z").unwrap();
        let results = read(text);
        assert_eq!(results.len(), 3);
        for result in results {
            assert_eq!(result.unwrap().timestamp, expected);
        }
    }

    /// A Splunk export (one result a line) of a classic Security 4688, a Zeek
    /// conn record indexed as JSON, a firewall line, and the last line.
    const SPLUNK_LINES: &str = concat!(
        r#"{"preview":false,"offset":0,"result":{"_bkt":"main~1~X","_cd":"1:22","_raw":"11/23/2026 02:48:05 PM\nLogName=Security\nEventCode=4688","_time":"2026-11-23T14:48:05.000+00:00","host":"ws1","index":"wineventlog","linecount":"30","source":"WinEventLog:Security","sourcetype":"WinEventLog","LogName":"Security","EventCode":"4688","ComputerName":"ws1.corp.example","SourceName":"Microsoft Windows security auditing.","Account_Name":["WS1$","-"],"Account_Domain":["CORP","-"],"Logon_ID":["0x3E7","0x0"],"New_Process_Name":"C:\\Tools\\rclone.exe","New_Process_ID":"0x1a2c","Process_Command_Line":"rclone.exe copy C:\\Finance remote:drop","Creator_Process_Name":"C:\\Windows\\System32\\cmd.exe"}}"#,
        "\n",
        r#"{"preview":false,"offset":1,"result":{"_raw":"{\"ts\":1795964885.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.5\",\"id.orig_p\":50000,\"id.resp_h\":\"203.0.113.9\",\"id.resp_p\":443,\"proto\":\"tcp\",\"orig_bytes\":7340032,\"resp_bytes\":1200}","_time":"2026-11-23T14:48:05.500+00:00","host":"zeek1","sourcetype":"bro:conn:json"}}"#,
        "\n",
        r#"{"preview":false,"offset":2,"result":{"_raw":"deny tcp 10.0.0.5 -> 198.51.100.1","_time":"2026-11-23T14:48:06.000+0000","host":"fw1","sourcetype":"cisco:asa","action":"blocked"}}"#,
        "\n",
        r#"{"preview":false,"offset":3,"lastrow":true}"#,
        "\n",
    );

    #[test]
    fn splunk_export_lines_are_unwrapped_and_windows_results_renamed() {
        assert_eq!(
            sniff(SPLUNK_LINES.as_bytes()).map(|(_, shape)| shape),
            Some(Some(RecordShape::Json(JsonShape::SplunkExport)))
        );
        let events: Vec<Event> = read(SPLUNK_LINES)
            .into_iter()
            .map(|r| r.expect("every result reads; the last line is no record"))
            .collect();
        assert_eq!(events.len(), 3);
        let process = &events[0];
        assert_eq!(process.code, Some(4688));
        assert_eq!(process.kind, EventKind::ProcessStart);
        assert_eq!(process.logsource.category, Sym::intern("process_creation"));
        assert_eq!(process.host_name.as_deref(), Some("ws1.corp.example"));
        assert_eq!(
            process.native.get_by_name("CommandLine"),
            Some(model::ValueRef::Str(
                "rclone.exe copy C:\\Finance remote:drop"
            ))
        );
        assert_eq!(
            process.native.get_by_name("SubjectUserName"),
            Some(model::ValueRef::Str("WS1$"))
        );
        assert!(process.native.get_by_name("_bkt").is_none());
        assert_eq!(
            process.timestamp,
            Timestamp::parse("2026-11-23T14:48:05Z").unwrap()
        );
        let conn = &events[1];
        assert_eq!(conn.kind, EventKind::Network);
        assert_eq!(
            conn.network.as_deref().and_then(|n| n.source_bytes),
            Some(7_340_032)
        );
        let other = &events[2];
        assert_eq!(
            other.native.get_by_name("action"),
            Some(model::ValueRef::Str("blocked"))
        );
        assert_eq!(
            other.timestamp,
            Timestamp::parse("2026-11-23T14:48:06Z").unwrap()
        );
    }

    #[test]
    fn a_splunk_xml_win_event_log_result_reads_its_raw_xml() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>1</EventID><TimeCreated SystemTime='2026-11-23T02:48:05.123456700Z'/><EventRecordID>7</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws1.corp.example</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='Image'>C:\\Tools\\rclone.exe</Data><Data Name='CommandLine'>rclone copy C:\\Finance &quot;mega:drop&quot;</Data><Data Name='User'>CORP\\alice</Data></EventData></Event>";
        let line = serde_json::json!({
            "preview": false,
            "result": {"_raw": xml, "_time": "2026-11-23T02:48:05.000+00:00", "host": "ws1", "sourcetype": "XmlWinEventLog"}
        })
        .to_string();
        let event = read(&line).remove(0).unwrap();
        assert_eq!(event.code, Some(1));
        assert_eq!(event.kind, EventKind::ProcessStart);
        assert_eq!(event.host_name.as_deref(), Some("ws1.corp.example"));
        assert_eq!(
            event.native.get_by_name("CommandLine"),
            Some(model::ValueRef::Str(
                "rclone copy C:\\Finance \"mega:drop\""
            ))
        );
        assert_eq!(
            event.timestamp,
            Timestamp::parse("2026-11-23T02:48:05.1234567Z").unwrap()
        );
    }

    #[test]
    fn a_splunk_result_whose_raw_is_a_firewall_line_reads_as_that_line() {
        let fortigate = r#"<189>date=2026-11-23 time=21:18:05 devname="FGT60E" logid="0000000013" type="traffic" subtype="forward" tz="+0100" srcip=10.1.1.5 srcport=52344 dstip=203.0.113.7 dstport=443 proto=6 action="close" service="HTTPS" duration=120 sentbyte=73400320 rcvdbyte=7890"#;
        let line = serde_json::json!({
            "preview": false,
            "result": {"_raw": fortigate, "_time": "2026-11-23T20:18:05.000+00:00", "host": "fgt60e",
                       "sourcetype": "fortigate_traffic", "srcip": "10.1.1.5", "sentbyte": "73400320"}
        })
        .to_string();
        let event = read(&line).remove(0).unwrap();
        assert_eq!(event.kind, EventKind::Network);
        let network = event.network.as_deref().unwrap();
        assert_eq!(network.source_bytes, Some(73_400_320));
        assert_eq!(network.destination_port, Some(443));
        assert_eq!(
            event.timestamp,
            Timestamp::parse("2026-11-23T20:18:05Z").unwrap()
        );
        // A line no reader types keeps the result's fields (see SPLUNK_LINES).
    }

    #[test]
    fn a_splunk_results_document_gives_one_event_a_result() {
        let text = r#"{
  "preview": false, "init_offset": 0, "messages": [],
  "fields": [{"name": "_time"}, {"name": "EventCode"}],
  "results": [
    {"_time": "2026-11-23T14:48:05.000+00:00", "LogName": "Security", "EventCode": "4624", "host": "dc1", "Logon_Type": "3", "Account_Name": ["-", "alice"]},
    {"_time": "2026-11-23T14:49:05.000+00:00", "LogName": "Security", "EventCode": "4625", "host": "dc1", "Logon_Type": "3"},
    "not a result"
  ]
}"#;
        let results = read(text);
        assert_eq!(results.len(), 3);
        let first = results[0].as_ref().unwrap();
        assert_eq!(first.code, Some(4624));
        assert_eq!(first.host_name.as_deref(), Some("dc1"));
        assert_eq!(
            first.native.get_by_name("TargetUserName"),
            Some(model::ValueRef::Str("alice"))
        );
        assert_eq!(results[1].as_ref().unwrap().code, Some(4625));
        assert!(
            results[2].is_err(),
            "a result that is not an object is a bad record"
        );
        // The same document on one line reads the same.
        let one_line = text.replace('\n', " ");
        assert_eq!(read(&one_line).len(), 3);
    }

    #[test]
    fn jsonl_starting_with_garbage_is_still_jsonl() {
        let good = r#"{"@timestamp":"2026-01-01T00:00:00Z","message":"a"}"#;
        let text = format!("garbage first\n{good}\n{good}\n");
        let results = read(&text);
        assert_eq!(results.len(), 3);
        assert_eq!(results[0].as_ref().unwrap_err().offset, 0);
        assert!(sniff(b"just some text\nand more\n{\"a\":1}\n").is_none());
    }

    #[test]
    fn winlogbeat_8_maps_event_data_without_prefix() {
        let text = r#"{"@timestamp":"2026-01-01T10:00:00.000Z","host":{"name":"ws1"},"winlog":{"event_id":"1","channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","computer_name":"ws1.corp","event_data":{"Image":"C:\\rclone.exe","CommandLine":"rclone copy . remote:"}}}"#;
        let event = read(text).remove(0).unwrap();
        assert_eq!(event.code, Some(1));
        assert_eq!(event.kind, EventKind::ProcessStart);
        assert_eq!(
            event.native.get_by_name("EventID"),
            Some(model::ValueRef::Int(1))
        );
        assert_eq!(
            event.native.get_by_name("Image"),
            Some(model::ValueRef::Str("C:\\rclone.exe"))
        );
        assert_eq!(
            event.process.as_deref().unwrap().name.as_deref(),
            Some("rclone.exe")
        );
        assert_eq!(event.host_name.as_deref(), Some("ws1.corp"));
        assert!(event.native.get_by_name("winlog.channel").is_some());
    }

    #[test]
    fn array_document_and_flat_windows() {
        let text = r#"[
 {"EventID": 4688, "Channel": "Security", "Hostname": "dc1", "@timestamp": "2020-09-21T19:52:54.000Z", "NewProcessName": "C:\\x\\curl.exe"},
 {"EventID": 3, "SourceName": "Linux-Sysmon", "Channel": "Linux-Sysmon/Operational", "Hostname": "web1", "UtcTime": "2021-01-01 00:00:00.000", "DestinationIp": "203.0.113.4", "DestinationPort": 22, "SourceIp": "10.0.0.2"}
]"#;
        let events: Vec<Event> = read(text).into_iter().map(Result::unwrap).collect();
        assert_eq!(events[0].kind, EventKind::ProcessStart);
        assert_eq!(events[0].host_name.as_deref(), Some("dc1"));
        assert_eq!(events[1].kind, EventKind::Network);
        assert_eq!(
            events[1].logsource,
            LogSource::new(Some("linux"), Some("network_connection"), Some("sysmon"))
        );
        assert_eq!(
            events[1].network.as_deref().unwrap().destination_port,
            Some(22)
        );
    }

    #[test]
    fn windows_padding_is_dropped_from_flat_and_winlogbeat_values() {
        let flat = r#"{"EventID": 4624, "Channel": "Security", "Hostname": "dc1", "@timestamp": "2020-09-21T19:52:54.000Z", "LogonProcessName": "NtLmSsp ", "WorkstationName": " KALI"}"#;
        let winlogbeat = r#"{"@timestamp": "2020-09-21T19:52:54.000Z", "winlog": {"channel": "Security", "event_id": "4624", "provider_name": "Microsoft-Windows-Security-Auditing", "event_data": {"LogonProcessName": "NtLmSsp ", "WorkstationName": " KALI"}}}"#;
        for text in [flat, winlogbeat] {
            let event = read(text).remove(0).unwrap();
            let value = |name: &str| event.native.get_by_name(name).and_then(|v| v.as_str());
            assert_eq!(value("LogonProcessName"), Some("NtLmSsp"), "{text}");
            // Leading spaces are kept, as the EVTX reader keeps them.
            assert_eq!(value("WorkstationName"), Some(" KALI"), "{text}");
        }
    }

    #[test]
    fn plain_ecs_reads_typed_fields() {
        let text = r#"{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":["network"]},"source":{"ip":"10.0.0.1","bytes":100},"destination":{"ip":"203.0.113.1","port":443}}"#;
        let event = read(text).remove(0).unwrap();
        assert_eq!(event.kind, EventKind::Network);
        assert_eq!(event.network.as_deref().unwrap().source_bytes, Some(100));
    }

    #[test]
    fn truncated_array_reports_offset() {
        let text = r#"[{"ts":"2026-01-01T00:00:00Z","a":1},{"ts":"2026-01-01T00:00:01Z","a":"#;
        let results = read(text);
        assert!(results[0].is_ok());
        assert_eq!(results[1].as_ref().unwrap_err().offset, 37);
        assert_eq!(results.len(), 2);
    }
}
