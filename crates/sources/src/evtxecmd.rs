//! EvtxECmd's output: Eric Zimmerman's EVTX parser, the event-log module of
//! most KAPE triage collections, so often what a responder is handed instead
//! of the `.evtx` files.
//!
//! EvtxECmd writes one record per event:
//!
//! * as CSV (`--csv`): the columns `RecordNumber`, `EventRecordId`,
//!   `TimeCreated`, `EventId`, `Level`, `Provider`, `Channel`, `ProcessId`,
//!   `ThreadId`, `Computer`, `UserId`, `MapDescription`, `UserName`,
//!   `RemoteHost`, `PayloadData1`…`6`, `ExecutableInfo`, `HiddenRecord`,
//!   `SourceFile`, `Keywords`, `Payload`;
//! * as JSON Lines (`--json`): the same names as keys.
//!
//! `Payload` holds the event's `EventData` (or `UserData`) element as
//! Newtonsoft's rendering of XML in JSON: attributes as `@Name` keys, text as
//! `#text`, repeated elements as arrays
//! (`{"EventData":{"Data":[{"@Name":"CommandLine","#text":"…"},…]}}`). The
//! `PayloadData` columns are the maps' summaries, not the fields Sigma rules
//! name, so the payload is what the event is read from.
//!
//! With `--fj` ("full JSON") each line is the whole event in that rendering,
//! `{"Event":{"System":{"Provider":{"@Name":…},…},"EventData":…}}`.
//!
//! All three are turned into the tree the `evtx` crate's JSON gives and mapped
//! by the EVTX reader's own code, so an event reads as from its `.evtx`. The
//! system columns EvtxECmd renamed are named back: `Level` `Info` is `4`,
//! `Keywords` `Audit success` is `0x8020000000000000`.

use crate::evtx::event_from_evtx_tree;
use crate::windows_xml::Frame;
use crate::{Input, OpenError, Source, SourceContext};
use model::{Event, Networks};
use serde_json::{Map, Value as Json};

/// Whether a record's keys (JSON) or columns (CSV) are EvtxECmd's: its event
/// id, its payload or a record number, and one of the columns only it writes.
/// (Its JSON leaves out empty properties: a record without event data has
/// no `Payload`, one without a map no `MapDescription`; `ChunkNumber`,
/// `HiddenRecord` and `ExtraDataOffset` are always there.)
pub(crate) fn is_evtxecmd<'a>(keys: impl IntoIterator<Item = &'a str>) -> bool {
    let (mut record, mut event_id, mut own) = (false, false, false);
    for key in keys {
        match key {
            "Payload" | "EventRecordId" | "RecordNumber" => record = true,
            "EventId" => event_id = true,
            "MapDescription" | "PayloadData1" | "ExecutableInfo" | "ChunkNumber"
            | "HiddenRecord" | "ExtraDataOffset" => own = true,
            _ => {}
        }
    }
    record && event_id && own
}

/// Whether `event` (the value of an `{"Event":…}` record) is Newtonsoft's
/// rendering of the XML (`@` attributes), not the `evtx` crate's
/// (`#attributes` objects).
pub(crate) fn is_newtonsoft_event(event: &Map<String, Json>) -> bool {
    let Some(Json::Object(system)) = event.get("System") else {
        return false;
    };
    ["Provider", "TimeCreated", "Execution"].iter().any(|key| {
        system
            .get(*key)
            .and_then(Json::as_object)
            .is_some_and(|element| element.keys().any(|k| k.starts_with('@')))
    })
}

/// The event of an `{"Event":…}` record in Newtonsoft's rendering.
pub(crate) fn event_from_newtonsoft(
    event: &Map<String, Json>,
    networks: &Networks,
) -> Result<Event, String> {
    let root = frame_of_object("Event", event);
    event_from_evtx_tree(&root.into_children(), networks)
}

/// The event of one EvtxECmd record (a JSON line's object, or a CSV row's
/// cells by column name).
pub(crate) fn event_from_record(
    record: &Map<String, Json>,
    networks: &Networks,
) -> Result<Event, String> {
    let text = |key: &str| -> Option<String> {
        match record.get(key)? {
            Json::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Json::Null => None,
            other => Some(other.to_string()),
        }
    };
    let mut event = Frame::named("Event");
    event.add(system_frame(&text));
    if let Some(payload) = text("Payload") {
        let payload: Json =
            serde_json::from_str(&payload).map_err(|_| "evtxecmd payload is not json")?;
        if let Json::Object(elements) = payload {
            for (name, value) in &elements {
                event.add(frame_of_json(name, value));
            }
        }
    }
    event_from_evtx_tree(&event.into_children(), networks)
}

/// The `System` element EvtxECmd's columns stand for.
fn system_frame(text: &dyn Fn(&str) -> Option<String>) -> Frame {
    let mut system = Frame::named("System");
    let element = |name: &str, value: Option<String>| value.map(|v| Frame::with_text(name, v));
    let with_attributes = |name: &str, attributes: &[(&str, Option<String>)]| {
        let attributes: Vec<(String, String)> = attributes
            .iter()
            .filter_map(|(k, v)| Some(((*k).to_owned(), v.clone()?)))
            .collect();
        (!attributes.is_empty()).then(|| {
            let mut frame = Frame::named(name);
            frame.attributes = attributes;
            frame
        })
    };
    let frames = [
        with_attributes("Provider", &[("Name", text("Provider"))]),
        element("EventID", text("EventId")),
        element("Level", text("Level").map(|l| level_number(&l))),
        element("Keywords", text("Keywords").map(|k| keywords_mask(&k))),
        with_attributes("TimeCreated", &[("SystemTime", text("TimeCreated"))]),
        element("EventRecordID", text("EventRecordId")),
        with_attributes(
            "Execution",
            &[
                ("ProcessID", text("ProcessId")),
                ("ThreadID", text("ThreadId")),
            ],
        ),
        element("Channel", text("Channel")),
        element("Computer", text("Computer")),
        with_attributes("Security", &[("UserID", text("UserId"))]),
    ];
    for frame in frames.into_iter().flatten() {
        system.add(frame);
    }
    system
}

/// EvtxECmd writes `Level` by name; the log holds its number.
fn level_number(level: &str) -> String {
    let number = match level {
        "LogAlways" => "0",
        "Critical" => "1",
        "Error" => "2",
        "Warning" => "3",
        "Info" => "4",
        "Verbose" => "5",
        "Success" => "8",
        "Failure" => "16",
        other => other,
    };
    number.to_owned()
}

/// EvtxECmd writes common `Keywords` masks by name; the log holds the mask.
fn keywords_mask(keywords: &str) -> String {
    let mask = match keywords {
        "Audit failure" => "0x8010000000000000",
        "Audit success" => "0x8020000000000000",
        "Time" => "0x8000000000000010",
        "State" => "0x8000000000000080",
        "Reboot" => "0x8000000000000040",
        "Installation" => "0x8000000000000018",
        "Download" => "0x8000000000000014",
        "Audit success, classic" => "0x8080000000000000",
        "Classic" => "0x8000000000000000",
        other => other,
    };
    mask.to_owned()
}

/// An element named `name` from its Newtonsoft rendering: an object of `@`
/// attributes, `#text` and children (an array stands for a repeated child),
/// or a plain value for an element with text only.
fn frame_of_json(name: &str, value: &Json) -> Frame {
    match value {
        Json::Object(object) => frame_of_object(name, object),
        Json::Null => Frame::named(name),
        Json::String(text) => Frame::with_text(name, text.clone()),
        other => Frame::with_text(name, other.to_string()),
    }
}

fn frame_of_object(name: &str, object: &Map<String, Json>) -> Frame {
    let mut frame = Frame::named(name);
    for (key, value) in object {
        if let Some(attribute) = key.strip_prefix('@') {
            if attribute != "xmlns" && !attribute.starts_with("xmlns:") {
                let value = match value {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                frame.attributes.push((attribute.to_owned(), value));
            }
        } else if key == "#text" {
            frame.text = match value {
                Json::String(s) => s.clone(),
                Json::Array(parts) => parts.iter().filter_map(Json::as_str).collect(),
                other => other.to_string(),
            };
        } else if let Json::Array(items) = value {
            for item in items {
                frame.add(frame_of_json(key, item));
            }
        } else {
            frame.add(frame_of_json(key, value));
        }
    }
    frame
}

/// Whether a CSV head's first line is EvtxECmd's header.
pub(crate) fn sniff_csv(head: &[u8]) -> bool {
    let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let line = String::from_utf8_lossy(line);
    let line = line.trim_start_matches('\u{feff}').trim_end();
    line.contains(',')
        && is_evtxecmd(line.split(',').map(|c| c.trim().trim_matches('"')))
        && line.contains("TimeCreated")
}

/// Opens EvtxECmd's CSV output; see the module docs.
pub(crate) fn open_csv(input: Input, ctx: &SourceContext) -> Result<Box<dyn Source>, OpenError> {
    let table = crate::cloud::Table::open(input)?;
    let networks = ctx.networks.clone();
    Ok(table.into_source(move |cells, origin| {
        let mut event = event_from_record(cells, &networks)?;
        event.origin = Some(origin);
        Ok::<_, String>(event)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::object_of as object;

    #[test]
    fn evtxecmd_records_are_told_from_flat_windows_exports() {
        assert!(is_evtxecmd([
            "EventId",
            "Payload",
            "ChunkNumber",
            "Channel"
        ]));
        // No event data and no map: still EvtxECmd's, by its record number.
        assert!(is_evtxecmd(["EventId", "RecordNumber", "HiddenRecord"]));
        assert!(!is_evtxecmd(["EventID", "Channel", "Payload"]));
        assert!(!is_evtxecmd(["EventId", "Channel", "Hostname"]));
    }

    #[test]
    fn a_record_reads_its_columns_and_payload() {
        let record = object(
            r##"{"PayloadData1":"Target: CORP\\alice","ChunkNumber":3,"Computer":"ws1.corp",
                "Payload":"{\"EventData\":{\"@xmlns\":\"http://schemas.microsoft.com/win/2004/08/events/event\",\"Data\":[{\"@Name\":\"NewProcessName\",\"#text\":\"C:\\\\Tools\\\\rclone.exe\"},{\"@Name\":\"CommandLine\",\"#text\":\"rclone copy C:\\\\Finance mega:x\"},{\"@Name\":\"TokenElevationType\"}]}}",
                "Channel":"Security","Provider":"Microsoft-Windows-Security-Auditing","EventId":4688,
                "EventRecordId":"77","ProcessId":4,"ThreadId":8,"Level":"Info","Keywords":"Audit success",
                "TimeCreated":"2026-11-23T02:48:05.1234567+00:00","RecordNumber":77,"HiddenRecord":false}"##,
        );
        let event = event_from_record(&record, &Networks::default()).unwrap();
        assert_eq!(event.code, Some(4688));
        assert_eq!(event.kind, model::EventKind::ProcessStart);
        assert_eq!(event.host_name.as_deref(), Some("ws1.corp"));
        let field = |name| event.native.get_by_name(name);
        assert_eq!(
            field("CommandLine"),
            Some(model::ValueRef::Str("rclone copy C:\\Finance mega:x"))
        );
        assert_eq!(field("TokenElevationType"), Some(model::ValueRef::Str("")));
        assert_eq!(field("Level"), Some(model::ValueRef::Str("4")));
        assert_eq!(
            field("Keywords"),
            Some(model::ValueRef::Str("0x8020000000000000"))
        );
        assert_eq!(
            field("Execution_ProcessID"),
            Some(model::ValueRef::Str("4"))
        );
        // The maps' summaries are not event fields.
        assert_eq!(field("PayloadData1"), None);
    }

    #[test]
    fn user_data_and_a_single_data_element_read_as_the_evtx_crate_shapes_them() {
        let record = object(
            r##"{"Channel":"System","Provider":"Service Control Manager","EventId":7045,"RecordNumber":1,
                "ChunkNumber":0,"TimeCreated":"2026-11-23 02:48:05.0000000",
                "Payload":"{\"UserData\":{\"Log\":{\"@xmlns\":\"x\",\"App\":[\"a\",\"b\"],\"Empty\":null}}}"}"##,
        );
        let event = event_from_record(&record, &Networks::default()).unwrap();
        assert_eq!(
            event.native.get_by_name("App"),
            Some(model::ValueRef::Str("a"))
        );
        assert_eq!(
            event.native.get_by_name("App_1"),
            Some(model::ValueRef::Str("b"))
        );
        let full = object(
            r##"{"@xmlns":"x","System":{"Provider":{"@Name":"Microsoft-Windows-Sysmon"},"EventID":"1",
                "TimeCreated":{"@SystemTime":"2026-11-23T02:48:05Z"},"Channel":"Microsoft-Windows-Sysmon/Operational",
                "Computer":"ws1","Security":null},
                "EventData":{"Data":{"@Name":"Image","#text":"C:\\x\\rclone.exe"}}}"##,
        );
        assert!(is_newtonsoft_event(&full));
        let event = event_from_newtonsoft(&full, &Networks::default()).unwrap();
        assert_eq!(event.code, Some(1));
        assert_eq!(
            event.native.get_by_name("Image"),
            Some(model::ValueRef::Str("C:\\x\\rclone.exe"))
        );
    }
}
