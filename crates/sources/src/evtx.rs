//! Windows EVTX files through the `evtx` crate, and the `evtx` crate's JSON shape
//! (which SigmaHQ's regression data and `evtx_dump -o json` use).
//!
//! Native names follow what Sigma rules use: the `System` fields flattened
//! (`EventID`, `Channel`, `Computer`, `Provider_Name`, `Provider_Guid`, `Level`,
//! `Task`, `Opcode`, `Keywords`, `EventRecordID`, `SystemTime`, `Execution_ProcessID`,
//! `Execution_ThreadID`, `Security_UserID`), and the `EventData`/`UserData` children
//! under their own names (`Image`, `CommandLine`, …; unnamed `Data` items as `Data`).
//! Typed fields, kind and logsource come from [`crate::windows::normalise`].
//!
//! A file is read chunk by chunk (64 KiB each): several chunks are parsed in parallel
//! on the current rayon pool and their events are yielded in file order. A chunk or
//! record that cannot be parsed is reported (offset: the chunk's byte offset, or the
//! record id for a bad record) and every readable record is kept.

use crate::evtx_tree::{Entries, Node, entry};
use crate::{RecordError, windows};
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, IntoIterChunks, ParserSettings};
use model::{Event, Networks, Origin, Timestamp, Value};
use rayon::prelude::*;
use serde_json::{Map, Value as Json};
use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::sync::Arc;

/// Bytes before the first chunk.
const FILE_HEADER_BYTES: u64 = 4096;
/// Bytes per chunk.
const CHUNK_BYTES: u64 = 65536;

/// The `#text` of an element that carries attributes, or the value itself.
fn element_value<'n, 'a>(value: &'n Node<'a>) -> &'n Node<'a> {
    match value {
        Node::Object(_) => value.get("#text").unwrap_or(value),
        other => other,
    }
}

fn attributes<'n, 'a>(value: &'n Node<'a>) -> Option<&'n Entries<'a>> {
    value.get("#attributes").and_then(Node::as_object)
}

/// Adds a field from a JSON value as [`Value::from_json`] reads it, a
/// string's text straight into the record's.
fn push_node(event: &mut Event, name: &str, node: &Node<'_>) {
    match node {
        Node::Str(text) => event.native.push_str(name, text),
        other => event.native.push(name, other.to_value()),
    }
}

/// Builds an event from the `Event` object of the `evtx` crate's JSON, parsed
/// by `serde_json` (JSON Lines in that shape).
pub(crate) fn event_from_evtx_json(
    root: &Map<String, Json>,
    networks: &Networks,
) -> Result<Event, String> {
    event_from_evtx_tree(&Node::entries_of(root), networks)
}

/// Builds an event from the entries of the `Event` object of the `evtx`
/// crate's JSON.
pub(crate) fn event_from_evtx_tree(
    root: &Entries<'_>,
    networks: &Networks,
) -> Result<Event, String> {
    let system = entry(root, "System")
        .and_then(Node::as_object)
        .ok_or("evtx json without System")?;
    // Room for the record's fields and their text at once (growing the
    // text buffer value by value cost more than the allocation per value
    // it replaced).
    let payload_fields = match entry(root, "EventData").or_else(|| entry(root, "UserData")) {
        Some(Node::Object(entries)) => entries.len(),
        _ => 0,
    };
    let mut event = Event {
        native: model::Native::with_capacity(system.len() + payload_fields + 8),
        ..Event::default()
    };
    push_system(&mut event, system);
    let system_fields = event.native.len();
    if let Some(data) = entry(root, "EventData") {
        push_event_data(&mut event, data);
    }
    if let Some(Node::Object(user_data)) = entry(root, "UserData") {
        for (_, child) in user_data {
            push_leaves(&mut event, child);
        }
    }
    if let Some(message) = entry(root, "RenderingInfo")
        .and_then(|r| r.get("Message"))
        .and_then(Node::as_str)
    {
        event.message = Some(message.to_owned());
    }
    let time = entry(system, "TimeCreated")
        .and_then(attributes)
        .and_then(|a| entry(a, "SystemTime"))
        .and_then(Node::as_str)
        .and_then(Timestamp::parse)
        .ok_or("missing timestamp")?;
    event.timestamp = time;
    windows::normalise(&mut event, networks);
    // Routing and typed fields came from `System` above; for rules, a payload
    // field of the same name (event 104's `Channel`) is the one that counts.
    event.native.shadow_head(system_fields);
    Ok(event)
}

fn push_system(event: &mut Event, system: &Entries<'_>) {
    // `Provider_Name`, `Execution_ProcessID`...: written into one buffer
    // (`format!` per attribute was about a tenth of converting a record).
    let mut joined = String::new();
    let mut push_attributes = |event: &mut Event, prefix: &str, value: &Node<'_>| {
        for (name, v) in attributes(value).into_iter().flatten() {
            joined.clear();
            joined.push_str(prefix);
            joined.push('_');
            joined.push_str(name);
            push_node(event, &joined, v);
        }
    };
    for (key, value) in system {
        match key.as_ref() {
            "Provider" => push_attributes(event, "Provider", value),
            "TimeCreated" => {
                if let Some(t) = attributes(value).and_then(|a| entry(a, "SystemTime")) {
                    push_node(event, "SystemTime", t);
                }
            }
            "Execution" | "Security" | "Correlation" => push_attributes(event, key, value),
            "EventID" => {
                let id = match element_value(value) {
                    Node::Str(s) => s
                        .parse::<i64>()
                        .map(Value::Int)
                        .unwrap_or_else(|_| Value::from(s.as_ref())),
                    other => other.to_value(),
                };
                event.native.push("EventID", id);
                if let Some(q) = attributes(value).and_then(|a| entry(a, "Qualifiers")) {
                    push_node(event, "EventID_Qualifiers", q);
                }
            }
            _ => push_node(event, key, element_value(value)),
        }
    }
}

/// `EventData`: its children as [`push_leaves`] reads them, or the value
/// itself when it is not an object.
fn push_event_data(event: &mut Event, data: &Node<'_>) {
    match data {
        Node::Object(_) => push_leaves(event, data),
        Node::Null => {}
        other => push_node(event, "EventData", other),
    }
}

/// Pushes a payload value as rules should see it (see
/// [`crate::windows::without_padding`]).
fn push_payload(event: &mut Event, key: &str, node: &Node<'_>) {
    match node {
        Node::Str(s) => event
            .native
            .push_str(key, crate::windows::without_padding(s)),
        other => push_node(event, key, other),
    }
}

/// UserData and nested EventData: every leaf under its own name.
fn push_leaves(event: &mut Event, value: &Node<'_>) {
    if let Node::Object(entries) = value {
        for (key, child) in entries {
            if key == "#attributes" {
                continue;
            }
            match child {
                Node::Object(_) if child.get("#text").is_some() => {
                    push_payload(event, key, element_value(child))
                }
                Node::Object(_) => push_leaves(event, child),
                other => push_payload(event, key, other),
            }
        }
    }
}

/// Reads a binary EVTX file; see the module docs.
pub struct EvtxSource<T: Read + Seek + Send> {
    path: Arc<str>,
    networks: Networks,
    chunks: IntoIterChunks<T>,
    settings: Arc<ParserSettings>,
    ready: VecDeque<Result<Event, RecordError>>,
    chunks_per_batch: usize,
    next_chunk_index: u64,
    /// A trailing partial chunk (truncated file): its byte offset and bytes.
    partial_chunk: Option<(u64, Vec<u8>)>,
    done: bool,
}

/// The trailing bytes of an EVTX file that do not fill a whole chunk (a truncated
/// file), with their offset; the `evtx` crate itself skips them silently.
pub(crate) fn partial_chunk_of(file_len: u64) -> Option<(u64, u64)> {
    let data = file_len.checked_sub(FILE_HEADER_BYTES)?;
    let rest = data % CHUNK_BYTES;
    (rest > 0).then(|| (file_len - rest, rest))
}

impl<T: Read + Seek + Send> EvtxSource<T> {
    /// A reader over an opened parser. Up to `2 * threads` chunks are parsed at once
    /// on the current rayon pool (0: the pool's size; 1: all on the calling thread).
    pub fn new(path: Arc<str>, parser: EvtxParser<T>, networks: Networks, threads: usize) -> Self {
        let settings = Arc::new(ParserSettings::new().num_threads(1).indent(false));
        EvtxSource {
            path,
            networks,
            chunks: parser.into_chunks(),
            settings,
            ready: VecDeque::new(),
            chunks_per_batch: match threads {
                0 => rayon::current_num_threads().max(1) * 2,
                1 => 1,
                n => n * 2,
            },
            next_chunk_index: 0,
            partial_chunk: None,
            done: false,
        }
    }

    /// Also reads the records of a trailing partial chunk (`bytes` starting at byte
    /// `offset` of the file): every record before the cut is kept, the cut one is
    /// reported.
    pub fn with_partial_chunk(mut self, offset: u64, bytes: Vec<u8>) -> Self {
        self.partial_chunk = Some((offset, bytes));
        self
    }

    /// Parses the trailing partial chunk, zero-padded to a whole chunk.
    fn read_partial_chunk(&mut self, offset: u64, mut bytes: Vec<u8>) {
        let cut = bytes.len() as u64;
        bytes.resize(CHUNK_BYTES as usize, 0);
        let truncated = RecordError::new(
            &self.path,
            offset + cut,
            "evtx file truncated inside a chunk (the cut record is lost)",
        );
        let index = (offset - FILE_HEADER_BYTES) / CHUNK_BYTES;
        let chunk = match EvtxChunkData::new(bytes, false) {
            Ok(chunk) => chunk,
            Err(_) => {
                self.ready.push_back(Err(truncated));
                return;
            }
        };
        let converted = convert_chunk(&self.path, &self.networks, &self.settings, index, Ok(chunk));
        // The zero padding shows up as a damaged record; report the cut instead.
        self.ready
            .extend(converted.into_iter().filter(|r| r.is_ok()));
        self.ready.push_back(Err(truncated));
    }

    fn refill(&mut self) {
        if self.done {
            if let Some((offset, bytes)) = self.partial_chunk.take() {
                self.read_partial_chunk(offset, bytes);
            }
            return;
        }
        let mut batch = Vec::with_capacity(self.chunks_per_batch);
        while batch.len() < self.chunks_per_batch {
            match self.chunks.next() {
                Some(chunk) => {
                    batch.push((self.next_chunk_index, chunk));
                    self.next_chunk_index += 1;
                }
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        let convert = |(index, chunk): (u64, Result<EvtxChunkData, EvtxError>)| {
            convert_chunk(&self.path, &self.networks, &self.settings, index, chunk)
        };
        let converted: Vec<Vec<Result<Event, RecordError>>> = if batch.len() > 1 {
            batch.into_par_iter().map(convert).collect()
        } else {
            batch.into_iter().map(convert).collect()
        };
        self.ready.extend(converted.into_iter().flatten());
    }
}

fn chunk_offset(index: u64) -> u64 {
    FILE_HEADER_BYTES + index.saturating_mul(CHUNK_BYTES)
}

/// Converts every record of one chunk; errors carry the chunk offset or record id.
fn convert_chunk(
    path: &Arc<str>,
    networks: &Networks,
    settings: &Arc<ParserSettings>,
    index: u64,
    chunk: Result<EvtxChunkData, EvtxError>,
) -> Vec<Result<Event, RecordError>> {
    let mut chunk = match chunk {
        Ok(chunk) => chunk,
        Err(e) => return vec![Err(evtx_error(path, &e, index))],
    };
    let number = chunk.number.unwrap_or(index);
    let mut parsed = match chunk.parse(settings.clone()) {
        Ok(parsed) => parsed,
        Err(_) => {
            return vec![Err(RecordError::new(
                path,
                chunk_offset(number),
                "evtx chunk does not parse",
            ))];
        }
    };
    let mut out = Vec::with_capacity(128);
    for record in parsed.iter() {
        let result = record
            .and_then(|r| r.into_json())
            .map_err(|e| evtx_error(path, &e, number))
            .and_then(|serialized| {
                let record_id = serialized.event_record_id;
                let tree = Node::parse(&serialized.data).map_err(|e| {
                    RecordError::new(path, record_id, format!("evtx record JSON: {e}"))
                })?;
                let root = tree.get("Event").and_then(Node::as_object).ok_or_else(|| {
                    RecordError::new(path, record_id, "evtx record without Event element")
                })?;
                let mut event = event_from_evtx_tree(root, networks)
                    .map_err(|reason| RecordError::new(path, record_id, reason))?;
                event.origin = Some(Origin {
                    file: path.clone(),
                    offset: record_id,
                });
                Ok(event)
            });
        out.push(result);
    }
    out
}

/// A record error for an `evtx` crate error: record id for a bad record, byte
/// offset for a bad chunk or record header.
fn evtx_error(path: &Arc<str>, error: &EvtxError, chunk_index: u64) -> RecordError {
    match error {
        EvtxError::FailedToParseRecord { record_id, .. } => RecordError::new(
            path,
            *record_id,
            "evtx record does not parse (offset is the record id)",
        ),
        EvtxError::FailedToReadRecordAt { chunk, offset, .. } => RecordError::new(
            path,
            chunk_offset(chunk.unwrap_or(chunk_index)).saturating_add(*offset),
            "evtx record header damaged",
        ),
        EvtxError::FailedToParseChunk { chunk_id, .. } => {
            RecordError::new(path, chunk_offset(*chunk_id), "evtx chunk does not parse")
        }
        _ => RecordError::new(path, chunk_offset(chunk_index), "evtx chunk does not parse"),
    }
}

impl<T: Read + Seek + Send> Iterator for EvtxSource<T> {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.done && self.partial_chunk.is_none() {
                return None;
            }
            self.refill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::EventKind;

    #[test]
    fn evtx_json_shape_flattens_system_and_event_data() {
        let json: Json = serde_json::from_str(
            r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing","Guid":"G"}},"EventID":{"#attributes":{"Qualifiers":0},"#text":4698},"Level":0,"TimeCreated":{"#attributes":{"SystemTime":"2026-01-02T03:04:05.123456Z"}},"EventRecordID":9,"Execution":{"#attributes":{"ProcessID":4,"ThreadID":8}},"Channel":"Security","Computer":"dc1.corp","Security":null},"EventData":{"SubjectUserName":"alice","TaskName":"\\Upload","TaskContent":"<Task/>"}}}"##,
        )
        .unwrap();
        let root = json["Event"].as_object().unwrap();
        let event = event_from_evtx_json(root, &Networks::default()).unwrap();
        assert_eq!(event.code, Some(4698));
        assert_eq!(event.kind, EventKind::ScheduledTask);
        assert_eq!(
            event.native.get_by_name("Provider_Name"),
            Some(model::ValueRef::Str("Microsoft-Windows-Security-Auditing"))
        );
        assert_eq!(
            event.native.get_by_name("EventID"),
            Some(model::ValueRef::Int(4698))
        );
        assert_eq!(
            event.native.get_by_name("Execution_ProcessID"),
            Some(model::ValueRef::Int(4))
        );
        assert_eq!(
            event.native.get_by_name("TaskName"),
            Some(model::ValueRef::Str("\\Upload"))
        );
        assert_eq!(event.host_name.as_deref(), Some("dc1.corp"));
        assert_eq!(event.user_name.as_deref(), Some("alice"));
        assert_eq!(event.timestamp.to_rfc3339(), "2026-01-02T03:04:05.123456Z");
    }

    #[test]
    fn missing_time_is_an_error() {
        let json: Json = serde_json::from_str(r#"{"Event":{"System":{"EventID":1}}}"#).unwrap();
        assert!(
            event_from_evtx_json(json["Event"].as_object().unwrap(), &Networks::default()).is_err()
        );
    }
}
