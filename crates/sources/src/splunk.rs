//! Splunk's JSON exports: the records of a Splunk search, unwrapped and named
//! as the other readers name them.
//!
//! Splunk writes search results as JSON in two layouts:
//!
//! * one object a line, `{"preview":false,"offset":0,"result":{…}}` (the REST
//!   `search/jobs/export` endpoint, `splunk search … -output json`, the web
//!   UI's JSON export), with a last line that may carry `"lastrow":true`;
//! * one document, `{"preview":false,"init_offset":0,"messages":[],
//!   "fields":[…],"results":[{…},…]}` (the `search/jobs/<sid>/results`
//!   endpoint with `output_mode=json`).
//!
//! A result holds Splunk's fields: `_time`, `_raw` (the event as received),
//! `host`, `source`, `sourcetype`, Splunk's own bookkeeping (`_cd`, `_bkt`,
//! `_si`, `punct`, `date_*`, …) and the fields the search extracted, as strings
//! or, for multi-valued fields, arrays of strings.
//!
//! Each result becomes one event:
//!
//! * when `_raw` is itself a JSON object (Zeek's JSON writer, CloudTrail,
//!   Suricata EVE, any JSON log Splunk indexed), that object is read as if it
//!   came from a file of its own, so it keeps its own shape and mapping;
//! * when `_raw` is a Windows event's XML (`XmlWinEventLog`), it is read as
//!   the Windows event XML reader reads it, whatever fields the search kept;
//! * when `_raw` is a line of text that a network or cloud reader recognises
//!   and types (a FortiGate session, a proxy request), it is read as that
//!   line;
//! * otherwise the result's fields are read. Windows results (an `EventCode`
//!   or a `LogName`, which Splunk's Windows add-on writes) are named as
//!   SigmaHQ's rules name Windows fields: `EventCode` is `EventID`, `LogName`
//!   is `Channel`, and the add-on's names for the message's labels
//!   (`New_Process_Name`, `Process_Command_Line`, `Account_Name`, …) gain
//!   their EventData names beside them (`NewProcessName`, `CommandLine`,
//!   `SubjectUserName`/`TargetUserName`, …), so Windows Sigma rules route to
//!   and read them. Splunk's bookkeeping fields are dropped.
//!
//! Lines without a result (`{"preview":false,"lastrow":true}`, messages) are
//! not events and are passed over without being counted as bad records.

use serde_json::{Map, Value as Json};

/// What one JSON object of a Splunk export holds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Export<'a> {
    /// One result (`{"preview":…,"result":{…}}`).
    Result(&'a Map<String, Json>),
    /// A whole results document (`{"preview":…,"results":[…]}`).
    Results(&'a [Json]),
    /// A line with no result: `lastrow`, `messages` and the like.
    Control,
}

/// The reason given for an export line that holds no event; the JSON readers
/// pass such lines over without counting them.
pub(crate) const NOT_AN_EVENT: &str = "splunk export line without a result";

/// What `obj` holds when it is a Splunk export object: it has Splunk's
/// `preview` flag and either a `result`, a `results` array or only Splunk's
/// other export keys.
pub(crate) fn export(obj: &Map<String, Json>) -> Option<Export<'_>> {
    if !obj.get("preview").is_some_and(Json::is_boolean) {
        return None;
    }
    if let Some(Json::Object(result)) = obj.get("result") {
        return Some(Export::Result(result));
    }
    if let Some(Json::Array(results)) = obj.get("results") {
        return Some(Export::Results(results));
    }
    const CONTROL_KEYS: [&str; 8] = [
        "preview",
        "offset",
        "init_offset",
        "lastrow",
        "messages",
        "fields",
        "highlighted",
        "post_process_count",
    ];
    obj.keys()
        .all(|key| CONTROL_KEYS.contains(&key.as_str()))
        .then_some(Export::Control)
}

/// What a result's `_raw` holds, when it is something a reader reads on its
/// own.
pub(crate) enum Raw<'a> {
    /// A JSON object: a JSON log Splunk indexed.
    Json(Map<String, Json>),
    /// A Windows event's XML (`XmlWinEventLog`).
    WindowsXml(&'a str),
    /// One line of text: a firewall's, a proxy's or a DNS server's record,
    /// with or without its syslog header.
    Line(&'a str),
}

/// What `result`'s `_raw` holds; `None` when it is absent, empty, text of
/// several lines, or JSON that is not an object.
pub(crate) fn raw(result: &Map<String, Json>) -> Option<Raw<'_>> {
    let raw = result.get("_raw")?.as_str()?.trim();
    if raw.starts_with('{') {
        return match serde_json::from_str(raw) {
            Ok(Json::Object(obj)) => Some(Raw::Json(obj)),
            _ => None,
        };
    }
    if raw.starts_with("<Event") {
        return Some(Raw::WindowsXml(raw));
    }
    (!raw.is_empty() && !raw.contains('\n')).then_some(Raw::Line(raw))
}

/// Whether a result came from Splunk's Windows add-on: it has the add-on's
/// event code or log name.
pub(crate) fn is_windows(result: &Map<String, Json>) -> bool {
    result.contains_key("EventCode") || result.contains_key("LogName")
}

/// Splunk's own fields, dropped from the events (`_time` and `_raw` are kept:
/// one is the event's time, the other what was received).
fn is_bookkeeping(key: &str) -> bool {
    (key.starts_with('_') && key != "_time" && key != "_raw")
        || key.starts_with("date_")
        || key.starts_with("tag::")
        || matches!(
            key,
            "punct"
                | "linecount"
                | "splunk_server"
                | "splunk_server_group"
                | "timestartpos"
                | "timeendpos"
                | "eventtype"
                | "tag"
                | "index"
        )
}

/// The add-on's single names for the labels of Windows messages (the label
/// with its spaces written as `_`), and the EventData name of each.
const WINDOWS_NAMES: [(&str, &str); 32] = [
    ("New_Process_Name", "NewProcessName"),
    ("New_Process_ID", "NewProcessId"),
    ("Process_Command_Line", "CommandLine"),
    ("Creator_Process_Name", "ParentProcessName"),
    ("Creator_Process_ID", "ProcessId"),
    ("Token_Elevation_Type", "TokenElevationType"),
    ("Mandatory_Label", "MandatoryLabel"),
    ("Logon_Type", "LogonType"),
    ("Logon_Process", "LogonProcessName"),
    ("Authentication_Package", "AuthenticationPackageName"),
    ("Workstation_Name", "WorkstationName"),
    ("Source_Network_Address", "IpAddress"),
    ("Failure_Reason", "FailureReason"),
    ("Sub_Status", "SubStatus"),
    ("Process_Name", "ProcessName"),
    ("Process_ID", "ProcessId"),
    ("Caller_Process_Name", "ProcessName"),
    ("Caller_Process_ID", "ProcessId"),
    ("Share_Name", "ShareName"),
    ("Share_Path", "ShareLocalPath"),
    ("Relative_Target_Name", "RelativeTargetName"),
    ("Accesses", "AccessList"),
    ("Object_Type", "ObjectType"),
    ("Object_Name", "ObjectName"),
    ("Task_Name", "TaskName"),
    ("Service_Name", "ServiceName"),
    ("Service_File_Name", "ImagePath"),
    ("Service_Type", "ServiceType"),
    ("Service_Start_Type", "StartType"),
    ("Service_Account", "AccountName"),
    ("Application_Name", "Application"),
    ("Target_Server_Name", "TargetServerName"),
];

/// Labels that appear once for the subject and once for the target account
/// (Creator and Target Subject of 4688, Subject and New Logon of 4624, the
/// account that failed of 4625, …): the add-on makes them multi-valued, the
/// subject's value first.
const ACCOUNT_NAMES: [(&str, &str, &str); 4] = [
    ("Security_ID", "SubjectUserSid", "TargetUserSid"),
    ("Account_Name", "SubjectUserName", "TargetUserName"),
    ("Account_Domain", "SubjectDomainName", "TargetDomainName"),
    ("Logon_ID", "SubjectLogonId", "TargetLogonId"),
];

/// The classic (not XML) Security log's provider name, as the add-on writes
/// it in `SourceName`.
const CLASSIC_SECURITY_SOURCE: &str = "Microsoft Windows security auditing.";

/// A Windows result's fields under the names the Windows readers use, for
/// the flat Windows shape: bookkeeping dropped, `EventCode`, `LogName` and
/// the message labels named as EventData names them (beside the add-on's
/// names, which are kept), and `host` as the computer when no other field
/// names it.
pub(crate) fn windows_fields(result: &Map<String, Json>) -> Map<String, Json> {
    let mut fields = Map::with_capacity(result.len() + 8);
    for (key, value) in result {
        if !is_bookkeeping(key) && key != "host" {
            fields.insert(key.clone(), value.clone());
        }
    }
    let add = |fields: &mut Map<String, Json>, name: &str, value: Json| {
        if !fields.contains_key(name) {
            fields.insert(name.to_owned(), value);
        }
    };
    for (from, to) in [
        ("EventCode", "EventID"),
        ("LogName", "Channel"),
        ("ComputerName", "Computer"),
        ("host", "Computer"),
    ] {
        if let Some(value) = result.get(from) {
            add(&mut fields, to, value.clone());
        }
    }
    if result.get("SourceName").and_then(Json::as_str) == Some(CLASSIC_SECURITY_SOURCE) {
        add(
            &mut fields,
            "Provider_Name",
            Json::from("Microsoft-Windows-Security-Auditing"),
        );
    }
    for (from, to) in WINDOWS_NAMES {
        if let Some(value) = result.get(from) {
            add(&mut fields, to, value.clone());
        }
    }
    network_names(result, &mut fields);
    for (from, subject, target) in ACCOUNT_NAMES {
        match result.get(from) {
            Some(Json::Array(values)) => {
                if let Some(first) = values.first() {
                    add(&mut fields, subject, first.clone());
                }
                if let Some(second) = values.get(1) {
                    add(&mut fields, target, second.clone());
                }
            }
            Some(value) => add(&mut fields, subject, value.clone()),
            None => {}
        }
    }
    fields
}

/// `Source_Address` and `Source_Port` name the client of a share access
/// (5140, 5145: `IpAddress`, `IpPort`) or of a logon (`IpPort`, beside
/// `Source_Network_Address`), and the local end of a filtered connection
/// otherwise (5156, 5157: `SourceAddress`, `SourcePort`).
fn network_names(result: &Map<String, Json>, fields: &mut Map<String, Json>) {
    let code = result
        .get("EventCode")
        .and_then(|c| {
            c.as_str()
                .map(str::to_owned)
                .or_else(|| Some(c.to_string()))
        })
        .unwrap_or_default();
    let client =
        matches!(code.trim(), "5140" | "5145") || result.contains_key("Source_Network_Address");
    let (address, port) = if client {
        ("IpAddress", "IpPort")
    } else {
        ("SourceAddress", "SourcePort")
    };
    for (from, to) in [
        ("Source_Address", address),
        ("Source_Port", port),
        ("Destination_Address", "DestAddress"),
        ("Destination_Port", "DestPort"),
    ] {
        if let Some(value) = result.get(from)
            && !fields.contains_key(to)
        {
            fields.insert(to.to_owned(), value.clone());
        }
    }
}

/// A result that is neither Windows nor raw JSON: its fields without Splunk's
/// bookkeeping.
pub(crate) fn plain_fields(result: &Map<String, Json>) -> Map<String, Json> {
    result
        .iter()
        .filter(|(key, _)| !is_bookkeeping(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::object_of as object;

    #[test]
    fn export_objects_are_told_from_records_with_a_result_key() {
        let line = object(r#"{"preview":false,"offset":3,"result":{"_time":"x"}}"#);
        assert!(matches!(export(&line), Some(Export::Result(r)) if r.contains_key("_time")));
        let doc = object(r#"{"preview":false,"init_offset":0,"results":[{},{}]}"#);
        assert!(matches!(export(&doc), Some(Export::Results(r)) if r.len() == 2));
        let last = object(r#"{"preview":false,"offset":9,"lastrow":true}"#);
        assert!(matches!(export(&last), Some(Export::Control)));
        // A record of another log that happens to have a `result` key.
        let other = object(r#"{"time":"x","result":{"ok":true}}"#);
        assert!(export(&other).is_none());
        let unknown = object(r#"{"preview":false,"user":"x"}"#);
        assert!(export(&unknown).is_none());
    }

    #[test]
    fn classic_security_labels_gain_their_eventdata_names() {
        let result = object(
            r#"{"_time":"2026-11-23T14:48:05.000+00:00","_cd":"1:2","punct":"//_::",
                "LogName":"Security","EventCode":"4688","ComputerName":"ws1.corp",
                "SourceName":"Microsoft Windows security auditing.",
                "Account_Name":["WS1$","-"],"Logon_ID":["0x3E7","0x0"],
                "New_Process_Name":"C:\\Windows\\System32\\rclone.exe",
                "Process_Command_Line":"rclone copy C:\\data remote:x",
                "Creator_Process_Name":"C:\\Windows\\System32\\cmd.exe"}"#,
        );
        let fields = windows_fields(&result);
        let text = |k: &str| fields.get(k).and_then(Json::as_str).map(str::to_owned);
        assert_eq!(text("EventID").as_deref(), Some("4688"));
        assert_eq!(text("Channel").as_deref(), Some("Security"));
        assert_eq!(text("Computer").as_deref(), Some("ws1.corp"));
        assert_eq!(
            text("Provider_Name").as_deref(),
            Some("Microsoft-Windows-Security-Auditing")
        );
        assert_eq!(
            text("CommandLine").as_deref(),
            Some("rclone copy C:\\data remote:x")
        );
        assert_eq!(text("SubjectUserName").as_deref(), Some("WS1$"));
        assert_eq!(text("TargetUserName").as_deref(), Some("-"));
        assert_eq!(text("TargetLogonId").as_deref(), Some("0x0"));
        // The add-on's own names stay; Splunk's bookkeeping goes.
        assert!(fields.contains_key("New_Process_Name"));
        assert!(!fields.contains_key("_cd") && !fields.contains_key("punct"));
        assert!(fields.contains_key("_time"));
    }

    #[test]
    fn source_address_is_the_client_of_a_share_and_the_local_end_of_a_connection() {
        let share =
            object(r#"{"EventCode":"5145","Source_Address":"10.0.0.9","Source_Port":"50123"}"#);
        let fields = windows_fields(&share);
        assert_eq!(fields.get("IpAddress"), Some(&Json::from("10.0.0.9")));
        assert!(!fields.contains_key("SourceAddress"));
        let flow = object(
            r#"{"EventCode":"5156","Source_Address":"10.0.0.9","Source_Port":"50123",
                "Destination_Address":"203.0.113.7","Destination_Port":"443"}"#,
        );
        let fields = windows_fields(&flow);
        assert_eq!(fields.get("SourceAddress"), Some(&Json::from("10.0.0.9")));
        assert_eq!(fields.get("DestAddress"), Some(&Json::from("203.0.113.7")));
        assert!(!fields.contains_key("IpAddress"));
    }

    #[test]
    fn host_names_the_computer_only_when_nothing_else_does() {
        let result = object(r#"{"EventCode":"4624","host":"collector","Computer":"dc1"}"#);
        assert_eq!(
            windows_fields(&result).get("Computer"),
            Some(&Json::from("dc1"))
        );
        let result = object(r#"{"EventCode":"4624","host":"dc2"}"#);
        assert_eq!(
            windows_fields(&result).get("Computer"),
            Some(&Json::from("dc2"))
        );
    }

    #[test]
    fn raw_json_is_read_only_when_it_is_an_object() {
        let json =
            |text: &str| matches!(raw(&object(text)), Some(Raw::Json(o)) if o.contains_key("uid"));
        assert!(json(r#"{"_raw":"{\"ts\":1.5,\"uid\":\"C1\"}"}"#));
        let result = object(r#"{"_raw":"<Event xmlns=...>"}"#);
        assert!(matches!(raw(&result), Some(Raw::WindowsXml(_))));
        let result = object(r#"{"_raw":"{not json"}"#);
        assert!(raw(&result).is_none());
        let result = object(r#"{"_raw":"deny tcp 10.0.0.5 -> 198.51.100.1"}"#);
        assert!(matches!(raw(&result), Some(Raw::Line(_))));
        let result = object(r#"{"_raw":"11/23/2026 02:48:05 PM\nLogName=Security"}"#);
        assert!(raw(&result).is_none());
    }
}
