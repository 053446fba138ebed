//! Winlogbeat's renderings of the shared EVTX corpus fire the same SigmaHQ
//! rules as the EVTX itself.
//!
//! Two renderings of each record are made from the `evtx` crate's XML:
//!
//! * **raw**: Winlogbeat 8 without modules (`winlog.event_data` by name,
//!   unnamed `<Data>` items as `param1`…, ids and record numbers as text);
//! * **modules**: the same document after Winlogbeat's sysmon, security and
//!   powershell ingest pipelines, which move EventData fields to ECS names
//!   (`Image` → `process.executable`), split some (`Hashes`, `User`,
//!   `ContextInfo`) and drop empty ones. Only the pipelines' documented
//!   moves are rendered (facts: which field goes where, for which ids).
//!
//! The pipelines' tables (which fields move, for which event ids:
//! `SECURITY_AUTH`, the PowerShell moves) are written out here again, apart
//! from the reader's in `sources::winlogbeat`, on purpose: the rendering is
//! the reader's inverse, and one table serving both would let a wrong entry
//! pass.
//!
//! Winlogbeat is not run here (it runs on Windows only). Every record of
//! both renderings must fire the rules its EVTX record fires, apart from the
//! rules listed in [`LOST_TO_MODULES`], whose fields the modules delete for
//! good.

mod support;

use model::{Event, ValueRef};
use serde_json::{Map, Value as Json, json};
use sigma::{RuleSet, RuleSetBuilder, SigmaOptions};
use sources::{Format, JsonShape, SourceContext, open_bytes};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use support::corpus::{shared, shared_evtx_files, xml_records};
use support::xml_tree::{Element, attribute, child, parse};

/// One record as Winlogbeat 8 writes it without modules.
fn raw_doc(xml: &str) -> Map<String, Json> {
    let event = parse(xml);
    let system = child(&event, "System").unwrap();
    let text = |name: &str| child(system, name).map(|c| c.text.clone());
    let provider = child(system, "Provider");
    let execution = child(system, "Execution");
    let number = |value: Option<String>| value.and_then(|v| v.parse::<u64>().ok());
    let mut winlog = json!({
        "channel": text("Channel"),
        "computer_name": text("Computer"),
        "event_id": text("EventID"),
        "provider_name": attribute(provider, "Name"),
        "provider_guid": attribute(provider, "Guid"),
        "record_id": text("EventRecordID"),
        "version": number(text("Version")),
        "process": {
            "pid": number(attribute(execution, "ProcessID")),
            "thread": {"id": number(attribute(execution, "ThreadID"))},
        },
        "user": {"identifier": attribute(child(system, "Security"), "UserID")},
        "activity_id": attribute(child(system, "Correlation"), "ActivityID"),
    });
    let winlog = winlog.as_object_mut().unwrap();
    winlog.retain(|_, v| !v.is_null());
    if let Some(data) = child(&event, "EventData") {
        winlog.insert("event_data".into(), Json::Object(event_data(data)));
    }
    if let Some(user_data) = child(&event, "UserData").and_then(|u| u.children.first()) {
        let mut map = Map::new();
        map.insert("xml_name".into(), user_data.name.clone().into());
        for item in &user_data.children {
            map.insert(item.name.clone(), item.text.clone().into());
        }
        winlog.insert("user_data".into(), Json::Object(map));
    }
    let time = attribute(child(system, "TimeCreated"), "SystemTime").unwrap();
    let Json::Object(doc) = json!({
        "@timestamp": time,
        "event": {"code": text("EventID"), "kind": "event", "provider": attribute(provider, "Name")},
        "host": {"name": text("Computer")},
        "winlog": winlog,
    }) else {
        unreachable!()
    };
    doc
}

/// `EventData` as Winlogbeat names it: `Data` items by their `Name`, unnamed
/// ones `param1`…, `Binary` as its hex text.
fn event_data(data: &Element) -> Map<String, Json> {
    let mut map = Map::new();
    let mut unnamed = 0;
    for item in &data.children {
        let key = match attribute(Some(item), "Name") {
            Some(name) => name,
            None if item.name == "Data" => {
                unnamed += 1;
                format!("param{unnamed}")
            }
            None => item.name.clone(),
        };
        map.insert(key, item.text.clone().into());
    }
    map
}

/// The same document after Winlogbeat 8's module pipelines.
fn with_modules(mut doc: Map<String, Json>) -> Map<String, Json> {
    let winlog = doc["winlog"].as_object().unwrap();
    let provider = winlog["provider_name"].as_str().unwrap_or("").to_owned();
    let code: u32 = winlog["event_id"].as_str().unwrap().parse().unwrap();
    let mut data = match winlog.get("event_data") {
        Some(Json::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    let mut ecs = Map::new();
    match provider.as_str() {
        "Microsoft-Windows-Sysmon" => sysmon(code, &mut data, &mut ecs),
        "Microsoft-Windows-Security-Auditing" => security(code, &mut data, &mut ecs),
        "Microsoft-Windows-PowerShell" => powershell(code, &mut data, &mut ecs),
        "PowerShell" => classic_powershell(code, &mut data, &mut ecs),
        _ => return doc,
    }
    let winlog = doc.get_mut("winlog").unwrap().as_object_mut().unwrap();
    if data.is_empty() {
        winlog.remove("event_data");
    } else {
        winlog.insert("event_data".into(), Json::Object(data));
    }
    for (path, value) in ecs {
        put_path(&mut doc, &path, value);
    }
    doc
}

/// Sets a dotted ECS path in nested objects.
fn put_path(doc: &mut Map<String, Json>, path: &str, value: Json) {
    match path.split_once('.') {
        None => {
            doc.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let inner = doc
                .entry(head.to_owned())
                .or_insert_with(|| Json::Object(Map::new()));
            if !inner.is_object() {
                *inner = Json::Object(Map::new());
            }
            put_path(inner.as_object_mut().unwrap(), rest, value);
        }
    }
}

/// Moves `from` out of `data` to the ECS `to`, as a number when `number`.
fn rename(data: &mut Map<String, Json>, ecs: &mut Map<String, Json>, from: &str, to: &str) {
    if let Some(value) = data.remove(from) {
        ecs.insert(to.to_owned(), value);
    }
}

fn to_long(data: &mut Map<String, Json>, ecs: &mut Map<String, Json>, from: &str, to: &str) {
    if let Some(value) = data.remove(from) {
        let number = value.as_str().and_then(|s| s.parse::<i64>().ok());
        ecs.insert(to.to_owned(), number.map_or(value, Json::from));
    }
}

fn text_of(data: &Map<String, Json>, key: &str) -> Option<String> {
    data.get(key).and_then(Json::as_str).map(str::to_owned)
}

/// Winlogbeat 8's `sysmon` pipeline.
fn sysmon(code: u32, data: &mut Map<String, Json>, ecs: &mut Map<String, Json>) {
    let zero_guid = "{00000000-0000-0000-0000-000000000000}";
    data.retain(|_, v| !matches!(v.as_str(), Some("" | "-")) && v.as_str() != Some(zero_guid));
    if code == 255 {
        rename(data, ecs, "ID", "error.code");
    }
    rename(data, ecs, "RuleName", "rule.name");
    if code == 25 {
        rename(data, ecs, "Type", "message");
    }
    if let Some(hash) = data.remove("Hash") {
        data.insert("Hashes".into(), hash);
    }
    // Split into `process.hash` for 1 and 23-26, `file.hash` for 6, 7, 15
    // and 29; any other event's hashes are dropped with the pipeline's
    // temporary fields.
    let ns = match code {
        1 | 23..=26 => Some("process"),
        6 | 7 | 15 | 29 => Some("file"),
        _ => None,
    };
    if let Some(hashes) = text_of(data, "Hashes")
        && let Some(ns) = ns
    {
        for part in hashes.split(',') {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            let value = value.to_ascii_lowercase();
            if value.is_empty() || value.bytes().all(|b| b == b'0') {
                continue;
            }
            let key = key.to_ascii_lowercase();
            let path = if key == "imphash" {
                format!("{ns}.pe.imphash")
            } else {
                format!("{ns}.hash.{key}")
            };
            ecs.insert(path, value.into());
        }
    }
    for (from, to) in [
        ("ProcessGuid", "process.entity_id"),
        ("Image", "process.executable"),
        ("SourceProcessGuid", "process.entity_id"),
        ("SourceProcessGUID", "process.entity_id"),
        ("SourceImage", "process.executable"),
        ("Destination", "process.executable"),
        ("CommandLine", "process.command_line"),
        ("CurrentDirectory", "process.working_directory"),
        ("ParentProcessGuid", "process.parent.entity_id"),
        ("ParentImage", "process.parent.executable"),
        ("ParentCommandLine", "process.parent.command_line"),
        ("TargetFilename", "file.path"),
        ("Device", "file.path"),
        ("PipeName", "file.name"),
        ("ImageLoaded", "file.path"),
        ("Protocol", "network.transport"),
        ("SourceHostname", "source.domain"),
        ("DestinationHostname", "destination.domain"),
        ("QueryName", "dns.question.name"),
    ] {
        rename(data, ecs, from, to);
    }
    for (from, to) in [
        ("ProcessId", "process.pid"),
        ("SourceProcessId", "process.pid"),
        ("SourceThreadId", "process.thread.id"),
        ("ParentProcessId", "process.parent.pid"),
        ("SourcePort", "source.port"),
        ("DestinationPort", "destination.port"),
    ] {
        to_long(data, ecs, from, to);
    }
    let original = if code == 7 {
        "file.pe.original_file_name"
    } else {
        "process.pe.original_file_name"
    };
    rename(data, ecs, "OriginalFileName", original);
    if code != 22 {
        rename(data, ecs, "DestinationPortName", "network.protocol");
        rename(data, ecs, "SourcePortName", "network.protocol");
    }
    rename(data, ecs, "SourceIp", "source.ip");
    rename(data, ecs, "DestinationIp", "destination.ip");
    match text_of(data, "Initiated").as_deref() {
        Some("true") => drop(ecs.insert("network.direction".into(), "egress".into())),
        Some("false") => drop(ecs.insert("network.direction".into(), "ingress".into())),
        _ => {}
    }
    match text_of(data, "SourceIsIpv6").as_deref() {
        Some("true") => drop(ecs.insert("network.type".into(), "ipv6".into())),
        Some("false") => drop(ecs.insert("network.type".into(), "ipv4".into())),
        _ => {}
    }
    if let Some(results) = text_of(data, "QueryResults") {
        ecs.insert("dns.answers".into(), dns_answers(&results));
    }
    if let Some(user) = text_of(data, "User")
        && let Some((domain, name)) = user.split_once('\\')
    {
        ecs.insert("user.domain".into(), domain.into());
        ecs.insert("user.name".into(), name.into());
    }
    if let Some(status) = data.remove("QueryStatus") {
        let name = match status.as_str() {
            Some("0") => Json::from("SUCCESS"),
            Some("9003") => Json::from("DNS_ERROR_RCODE_NAME_ERROR"),
            Some("9501") => Json::from("DNS_INFO_NO_RECORDS"),
            _ => status,
        };
        ecs.insert("sysmon.dns.status".into(), name);
    }
    for (from, to) in [
        ("Archived", "sysmon.file.archived"),
        ("IsExecutable", "sysmon.file.is_executable"),
    ] {
        if let Some(value) = data.remove(from) {
            ecs.insert(to.into(), (value.as_str() == Some("true")).into());
        }
    }
    if matches!(code, 12..=14)
        && let Some(path) = text_of(data, "TargetObject")
    {
        ecs.insert("registry.path".into(), path.into());
        if let Some(details) = text_of(data, "Details") {
            ecs.insert("registry.data".into(), registry_data(&details));
        }
    }
    if let Some(guid) = data.remove("TargetProcessGuid") {
        data.insert("TargetProcessGUID".into(), guid);
    }
    for gone in [
        "ProcessId",
        "ParentProcessId",
        "SourcePortName",
        "DestinationPortName",
        "User",
        "Initiated",
        "SourceIsIpv6",
        "DestinationIsIpv6",
        "QueryResults",
        "UtcTime",
        "Hash",
        "Hashes",
        "TargetObject",
        "Details",
    ] {
        data.remove(gone);
    }
}

/// Sysmon 22's `QueryResults` as the pipeline's `dns.answers`.
fn dns_answers(results: &str) -> Json {
    let mut answers = Vec::new();
    for answer in results.split(';').filter(|a| !a.is_empty()) {
        if let Some(typed) = answer.strip_prefix("type:") {
            let parts: Vec<&str> = typed.split_whitespace().collect();
            let kind = match parts.first() {
                Some(&"5") => "CNAME",
                Some(&"12") => "PTR",
                Some(&"2") => "NS",
                Some(&"15") => "MX",
                Some(&"16") => "TXT",
                Some(&"33") => "SRV",
                Some(&"6") => "SOA",
                _ => "",
            };
            if let Some(data) = parts.get(1) {
                answers.push(json!({"type": kind, "data": data}));
            }
        } else {
            let ip = answer.strip_prefix("::ffff:").unwrap_or(answer);
            let kind = if ip.contains(':') { "AAAA" } else { "A" };
            answers.push(json!({"type": kind, "data": ip}));
        }
    }
    Json::Array(answers)
}

/// A registry value's `Details` as the pipeline's `registry.data`: a DWORD in
/// decimal, anything else as it was.
fn registry_data(details: &str) -> Json {
    if let Some(hex) = details
        .strip_prefix("DWORD (0x")
        .and_then(|rest| rest.strip_suffix(')'))
        && let Ok(value) = u64::from_str_radix(hex, 16)
    {
        return json!({"strings": [value.to_string()], "type": "SZ_DWORD"});
    }
    let kind = if details == "Binary Data" {
        "REG_BINARY"
    } else {
        "REG_SZ"
    };
    json!({"strings": [details], "type": kind})
}

/// Security event ids whose auth fields the security pipeline moves.
const SECURITY_AUTH: &[u32] = &[
    1100, 1102, 1104, 1105, 1108, 4624, 4625, 4648, 4670, 4673, 4674, 4689, 4697, 4719, 4720, 4722,
    4723, 4724, 4725, 4726, 4727, 4728, 4729, 4730, 4731, 4732, 4733, 4734, 4735, 4737, 4738, 4740,
    4741, 4742, 4743, 4744, 4745, 4746, 4747, 4748, 4749, 4750, 4751, 4752, 4753, 4754, 4755, 4756,
    4757, 4758, 4759, 4760, 4761, 4762, 4763, 4764, 4767, 4768, 4769, 4770, 4771, 4798, 4799, 4817,
    4904, 4905, 4907, 4912, 5140, 5145,
];

/// A Windows hex process id (`0x1a4`) as the number the pipeline writes.
fn hex_to_long(data: &mut Map<String, Json>, ecs: &mut Map<String, Json>, from: &str, to: &str) {
    if let Some(text) = text_of(data, from)
        && let Some(value) = text
            .strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok())
    {
        data.remove(from);
        ecs.insert(to.to_owned(), value.into());
    }
}

/// Winlogbeat 8's `security` pipeline.
fn security(code: u32, data: &mut Map<String, Json>, ecs: &mut Map<String, Json>) {
    if SECURITY_AUTH.contains(&code) {
        hex_to_long(data, ecs, "ProcessId", "process.pid");
        rename(data, ecs, "ProcessName", "process.executable");
        for (from, to) in [("IpAddress", "source.ip"), ("IpPort", "source.port")] {
            if text_of(data, from).is_some_and(|v| v != "-") {
                rename(data, ecs, from, to);
            }
        }
        rename(data, ecs, "WorkstationName", "source.domain");
    }
    if code == 4688 {
        hex_to_long(data, ecs, "NewProcessId", "process.pid");
        rename(data, ecs, "NewProcessName", "process.executable");
        rename(data, ecs, "ParentProcessName", "process.parent.executable");
    }
    for key in ["UserAccountControl", "AccessList"] {
        if let Some(text) = text_of(data, key)
            && text.contains("%%")
        {
            let ids: Vec<Json> = text
                .split("%%")
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(Json::from)
                .collect();
            data.insert(key.into(), Json::Array(ids));
        }
    }
    if matches!(code, 4672 | 4673 | 4674 | 4741 | 4742 | 4743)
        && let Some(text) = text_of(data, "PrivilegeList")
    {
        let items: Vec<Json> = text.split_whitespace().map(Json::from).collect();
        data.insert("PrivilegeList".into(), Json::Array(items));
    }
}

/// The PowerShell/Operational fields the powershell pipeline moves.
const POWERSHELL_MOVES: &[(&str, &str)] = &[
    ("HostID", "process.entity_id"),
    ("HostApplication", "process.command_line"),
    ("HostName", "process.title"),
    ("ShellID", "powershell.id"),
    ("EngineVersion", "powershell.engine.version"),
    ("PipelineID", "powershell.pipeline_id"),
    ("RunspaceID", "powershell.runspace_id"),
    ("RunspaceId", "powershell.runspace_id"),
    ("HostVersion", "powershell.process.executable_version"),
    ("CommandLine", "powershell.command.value"),
    ("CommandPath", "powershell.command.path"),
    ("CommandName", "powershell.command.name"),
    ("CommandType", "powershell.command.type"),
    ("ScriptBlockId", "powershell.file.script_block_id"),
    ("ScriptBlockText", "powershell.file.script_block_text"),
];

/// Winlogbeat 8's `powershell_operational` pipeline.
fn powershell(code: u32, data: &mut Map<String, Json>, ecs: &mut Map<String, Json>) {
    if code == 4103
        && let Some(context) = text_of(data, "ContextInfo")
    {
        for line in context.split('\n') {
            if let Some((key, value)) = line.split_once('=') {
                let key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
                data.insert(key, value.trim_matches([' ', '\n', '\t', '\r']).into());
            }
        }
    }
    to_long(data, ecs, "MessageNumber", "powershell.sequence");
    to_long(data, ecs, "MessageTotal", "powershell.total");
    to_long(data, ecs, "SequenceNumber", "event.sequence");
    for (from, to) in POWERSHELL_MOVES {
        if text_of(data, from).is_some_and(|v| !v.is_empty()) {
            rename(data, ecs, from, to);
        }
    }
    if code == 4103
        && let Some(payload) = text_of(data, "Payload")
    {
        ecs.insert(
            "powershell.command.invocation_details".into(),
            invocation_details(&payload),
        );
    }
    if let Some(path) = data.remove("Path") {
        data.insert("ScriptName".into(), path);
    }
    if text_of(data, "ScriptName").is_some_and(|v| !v.is_empty()) {
        rename(data, ecs, "ScriptName", "file.path");
    }
    split_user(data, ecs, "User");
    for gone in [
        "User",
        "ConnectedUser",
        "ContextInfo",
        "Severity",
        "Payload",
        "SequenceNumber",
    ] {
        data.remove(gone);
    }
    data.retain(|_, v| !matches!(v.as_str(), Some("")));
}

/// `DOMAIN\name` at `key` as `user.domain` and `user.name`.
fn split_user(data: &Map<String, Json>, ecs: &mut Map<String, Json>, key: &str) {
    if let Some(user) = text_of(data, key)
        && let Some((domain, name)) = user.split_once('\\')
    {
        ecs.insert("user.domain".into(), domain.trim().into());
        ecs.insert("user.name".into(), name.trim().into());
    }
}

/// A 4103 `Payload` (or 800 detail block) as `invocation_details`.
fn invocation_details(payload: &str) -> Json {
    let details: Vec<Json> = payload
        .split('\n')
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.is_empty())
        .map(|line| {
            let parsed = line.split_once("): ").and_then(|(head, value)| {
                let (kind, command) = head.split_once('(')?;
                Some((kind, command, value))
            });
            match parsed {
                Some(("ParameterBinding", command, value)) => {
                    match value
                        .split_once(';')
                        .and_then(|(n, v)| Some((n.strip_prefix("name=")?, v.trim().strip_prefix("value=")?)))
                    {
                        Some((name, value)) => json!({"type": "ParameterBinding", "related_command": command, "name": name, "value": value}),
                        None => json!({"value": value}),
                    }
                }
                Some((kind, command, value)) => {
                    json!({"type": kind, "related_command": command, "value": value})
                }
                None => json!({"value": line}),
            }
        })
        .collect();
    Json::Array(details)
}

/// The classic channel's detail keys and where the pipeline moves them.
const CLASSIC_MOVES: &[(&str, &str)] = &[
    ("HostId", "process.entity_id"),
    ("HostApplication", "process.command_line"),
    ("HostName", "process.title"),
    ("NewEngineState", "powershell.engine.new_state"),
    ("PreviousEngineState", "powershell.engine.previous_state"),
    ("NewProviderState", "powershell.provider.new_state"),
    ("ProviderName", "powershell.provider.name"),
    ("EngineVersion", "powershell.engine.version"),
    ("PipelineId", "powershell.pipeline_id"),
    ("RunspaceId", "powershell.runspace_id"),
    ("HostVersion", "powershell.process.executable_version"),
    ("CommandLine", "powershell.command.value"),
    ("CommandPath", "powershell.command.path"),
    ("CommandName", "powershell.command.name"),
    ("CommandType", "powershell.command.type"),
    ("ScriptName", "file.path"),
];

/// Winlogbeat 8's `powershell` pipeline (the classic `Windows PowerShell`
/// channel).
fn classic_powershell(code: u32, data: &mut Map<String, Json>, ecs: &mut Map<String, Json>) {
    let block = if code == 800 { "param2" } else { "param3" };
    if let Some(text) = text_of(data, block) {
        for line in text.split(['\n', '\t']) {
            if let Some((key, value)) = line.split_once('=') {
                data.insert(key.trim().to_owned(), value.trim_end_matches('\r').into());
            }
        }
    }
    if code == 800
        && let Some(details) = text_of(data, "param3")
    {
        ecs.insert(
            "powershell.command.invocation_details".into(),
            invocation_details(&details),
        );
    }
    to_long(data, ecs, "SequenceNumber", "event.sequence");
    for (from, to) in CLASSIC_MOVES {
        if text_of(data, from).is_some_and(|v| !v.is_empty()) {
            rename(data, ecs, from, to);
        }
    }
    split_user(data, ecs, "UserId");
    for gone in ["UserId", "param1", "param2", "param3", "SequenceNumber"] {
        data.remove(gone);
    }
    data.retain(|_, v| !matches!(v.as_str(), Some("")));
}

/// SigmaHQ rules whose fields the modules delete for good, with why.
const LOST_TO_MODULES: &[(&str, &str)] = &[];

fn windows_rules() -> Option<RuleSet> {
    let dir = shared("sigmahq/rules/windows")?;
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).unwrap();
    builder.add_path(&dir);
    Some(builder.build())
}

/// Per record, the titles of the rules it fires.
fn fired(set: &RuleSet, events: &[Event]) -> Vec<BTreeSet<String>> {
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    let mut hits = Vec::new();
    events
        .iter()
        .map(|event| {
            hits.clear();
            matcher.match_event(event, &mut scratch, &mut hits);
            hits.iter()
                .filter_map(|&i| set.detection_title(i))
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn json_lines(docs: &[Map<String, Json>]) -> String {
    docs.iter()
        .map(|d| format!("{}\n", Json::Object(d.clone())))
        .collect()
}

/// Writes `raw/<name>.json` and `modules/<name>.json` under `dir`, named by
/// the EVTX file's path.
fn write_renderings(
    dir: &Path,
    evtx: &Path,
    raw: &[Map<String, Json>],
    modules: &[Map<String, Json>],
) {
    let name = format!(
        "{:016x}",
        evtx.to_string_lossy()
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(b))
    );
    for (sub, docs) in [("raw", raw), ("modules", modules)] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::write(dir.join(sub).join(format!("{name}.json")), json_lines(docs)).unwrap();
    }
}

/// A document as an Elasticsearch search hit (`elasticdump`'s lines).
fn as_hit(doc: &Map<String, Json>) -> Map<String, Json> {
    let Json::Object(hit) = json!({
        "_index": ".ds-winlogbeat-8.17.0-2026.11.02-000001",
        "_id": "x1",
        "_score": 1.0,
        "_source": doc,
    }) else {
        unreachable!()
    };
    hit
}

/// A document in Elasticsearch's `fields` rendering: dotted names, every
/// value a list, with a `.keyword` multi-field beside each text field.
fn as_fields(doc: &Map<String, Json>) -> Map<String, Json> {
    fn walk(prefix: &str, value: &Json, out: &mut Map<String, Json>) {
        match value {
            Json::Object(map) => {
                for (key, child) in map {
                    let name = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&name, child, out);
                }
            }
            Json::Null => {}
            Json::Array(items) => {
                out.insert(prefix.to_owned(), Json::Array(items.clone()));
            }
            scalar => {
                if scalar.is_string() {
                    out.insert(format!("{prefix}.keyword"), json!([scalar]));
                }
                out.insert(prefix.to_owned(), json!([scalar]));
            }
        }
    }
    let mut out = Map::new();
    walk("", &Json::Object(doc.clone()), &mut out);
    out
}

/// Documents as one Elasticsearch search response.
fn as_response(docs: &[Map<String, Json>]) -> String {
    let hits: Vec<Map<String, Json>> = docs.iter().map(as_hit).collect();
    json!({"took": 5, "timed_out": false, "hits": {"total": {"value": hits.len()}, "hits": hits}})
        .to_string()
}

fn read_text(text: String, shape: JsonShape) -> Vec<Event> {
    let (format, source) =
        open_bytes("export.json", text.into_bytes(), &SourceContext::default()).unwrap();
    assert_eq!(format, Format::Json(shape));
    source.map(|r| r.expect("every document reads")).collect()
}

fn read_lines(docs: &[Map<String, Json>]) -> Vec<Event> {
    let lines = json_lines(docs);
    let (format, source) = open_bytes(
        "winlogbeat.json",
        lines.into_bytes(),
        &SourceContext::default(),
    )
    .unwrap();
    assert_eq!(format, Format::Json(JsonShape::Winlogbeat));
    source.map(|r| r.expect("every document reads")).collect()
}

#[derive(Default)]
struct Tally {
    records: usize,
    evtx_alerts: usize,
    /// (rendering, rule title) -> records where the rendering differs.
    missed: BTreeMap<(String, String), usize>,
    extra: BTreeMap<(String, String), usize>,
    /// (rendering, rule title) -> the first EVTX file and record differing.
    example: BTreeMap<(String, String), (PathBuf, usize)>,
}

#[test]
fn winlogbeat_renderings_fire_the_rules_the_evtx_fires() {
    let Some(set) = windows_rules() else {
        return;
    };
    let mut tally = Tally::default();
    for (path, bytes) in shared_evtx_files() {
        let (_, source) = open_bytes("a.evtx", bytes.clone(), &SourceContext::default()).unwrap();
        let evtx: Vec<Event> = source.filter_map(Result::ok).collect();
        let raw: Vec<Map<String, Json>> = xml_records(&bytes).iter().map(|x| raw_doc(x)).collect();
        if raw.len() != evtx.len() {
            // A damaged record the EVTX reader skipped: compare the rest
            // only when they line up.
            println!("{}: record counts differ, skipped", path.display());
            continue;
        }
        let modules: Vec<Map<String, Json>> = raw.iter().cloned().map(with_modules).collect();
        // For timing the reader and comparing hunts:
        // EXFILGUARD_WRITE_WINLOGBEAT=DIR writes both renderings there.
        if let Some(dir) = std::env::var_os("EXFILGUARD_WRITE_WINLOGBEAT") {
            write_renderings(&PathBuf::from(dir), &path, &raw, &modules);
        }
        let want = fired(&set, &evtx);
        tally.records += evtx.len();
        tally.evtx_alerts += want.iter().map(BTreeSet::len).sum::<usize>();
        let fields: Vec<Map<String, Json>> = modules.iter().map(as_fields).collect();
        let renderings = [
            ("raw", read_lines(&raw)),
            ("modules", read_lines(&modules)),
            (
                "modules as Elasticsearch fields",
                read_text(json_lines(&fields), JsonShape::ElasticExport),
            ),
        ];
        for (label, events) in renderings {
            let got = fired(&set, &events);
            for (index, (want, got)) in want.iter().zip(&got).enumerate() {
                for (title, extra) in want
                    .difference(got)
                    .map(|t| (t, false))
                    .chain(got.difference(want).map(|t| (t, true)))
                {
                    let key = (label.to_owned(), title.clone());
                    let counts = if extra {
                        &mut tally.extra
                    } else {
                        &mut tally.missed
                    };
                    *counts.entry(key.clone()).or_default() += 1;
                    tally.example.entry(key).or_insert((path.clone(), index));
                }
            }
        }
    }
    println!(
        "{} records, {} EVTX alerts",
        tally.records, tally.evtx_alerts
    );
    for (kind, counts) in [("missed by", &tally.missed), ("extra in", &tally.extra)] {
        for (key, n) in counts {
            let (path, index) = &tally.example[key];
            println!(
                "{kind} {}: {n} x {} (first: {} record {index})",
                key.0,
                key.1,
                path.display()
            );
        }
    }
    let allowed = |label: &str, title: &str| {
        label.starts_with("modules") && LOST_TO_MODULES.iter().any(|(t, _)| *t == title)
    };
    let unexplained: Vec<_> = tally
        .missed
        .keys()
        .chain(tally.extra.keys())
        .filter(|(label, title)| !allowed(label, title))
        .collect();
    assert!(unexplained.is_empty(), "{unexplained:#?}");
}

/// A Windows event's XML as `wevtutil` writes it.
fn event_xml(provider: &str, channel: &str, code: u32, data: &[(&str, &str)]) -> String {
    let items: String = data
        .iter()
        .map(|(name, value)| {
            let value = value
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            if name.is_empty() {
                format!("<Data>{value}</Data>")
            } else {
                format!("<Data Name='{name}'>{value}</Data>")
            }
        })
        .collect();
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
         <Provider Name='{provider}'/><EventID>{code}</EventID><Version>5</Version>\
         <Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>\
         <TimeCreated SystemTime='2026-11-02T03:04:05.123456Z'/><EventRecordID>7</EventRecordID>\
         <Execution ProcessID='4' ThreadID='8'/><Channel>{channel}</Channel>\
         <Computer>ws7.corp.example</Computer><Security/></System>\
         <EventData>{items}</EventData></Event>"
    )
}

const SYSMON: &str = "Microsoft-Windows-Sysmon";
const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";

/// Events whose fields each module moves, written for this test.
fn module_samples() -> Vec<String> {
    vec![
        event_xml(
            SYSMON,
            SYSMON_CHANNEL,
            1,
            &[
                ("RuleName", "technique_id=T1105"),
                ("UtcTime", "2026-11-02 03:04:05.123"),
                ("ProcessGuid", "{0d1e2f3a-0000-1111-2222-333344445555}"),
                ("ProcessId", "4242"),
                ("Image", "C:\\Tools\\rclone.exe"),
                ("OriginalFileName", "rclone.exe"),
                ("CommandLine", "rclone.exe copy C:\\Finance remote:drop "),
                ("CurrentDirectory", "C:\\Tools\\"),
                ("User", "CORP\\svc_backup"),
                ("Hashes", "SHA1=AB12,MD5=CD34,SHA256=EF56,IMPHASH=0000"),
                (
                    "ParentProcessGuid",
                    "{0d1e2f3a-0000-1111-2222-333344440000}",
                ),
                ("ParentProcessId", "1200"),
                ("ParentImage", "C:\\Windows\\System32\\cmd.exe"),
                ("ParentCommandLine", "cmd.exe /c run.bat"),
            ],
        ),
        event_xml(
            SYSMON,
            SYSMON_CHANNEL,
            3,
            &[
                ("Image", "C:\\Tools\\rclone.exe"),
                ("User", "CORP\\svc_backup"),
                ("Protocol", "tcp"),
                ("Initiated", "true"),
                ("SourceIsIpv6", "false"),
                ("SourceIp", "10.1.2.3"),
                ("SourcePort", "50123"),
                ("DestinationIsIpv6", "false"),
                ("DestinationIp", "203.0.113.9"),
                ("DestinationHostname", "drop.example.net"),
                ("DestinationPort", "443"),
                ("DestinationPortName", "https"),
            ],
        ),
        event_xml(
            SYSMON,
            SYSMON_CHANNEL,
            7,
            &[
                ("Image", "C:\\Tools\\rclone.exe"),
                ("ImageLoaded", "C:\\Tools\\winhttp.dll"),
                ("OriginalFileName", "winhttp.dll"),
                ("Hashes", "SHA256=99AA"),
                ("Signed", "false"),
                ("SignatureStatus", "Unavailable"),
            ],
        ),
        event_xml(
            SYSMON,
            SYSMON_CHANNEL,
            8,
            &[
                (
                    "SourceProcessGuid",
                    "{0d1e2f3a-0000-1111-2222-333344445555}",
                ),
                ("SourceProcessId", "4242"),
                ("SourceImage", "C:\\Tools\\inject.exe"),
                (
                    "TargetProcessGuid",
                    "{0d1e2f3a-0000-1111-2222-333344449999}",
                ),
                ("TargetImage", "C:\\Windows\\System32\\lsass.exe"),
                ("StartModule", ""),
                ("StartFunction", ""),
            ],
        ),
        event_xml(
            SYSMON,
            SYSMON_CHANNEL,
            13,
            &[
                ("EventType", "SetValue"),
                ("Image", "C:\\Windows\\regedit.exe"),
                (
                    "TargetObject",
                    "HKLM\\System\\CurrentControlSet\\Control\\Lsa\\DisableRestrictedAdmin",
                ),
                ("Details", "DWORD (0x00000000)"),
            ],
        ),
        event_xml(
            SYSMON,
            SYSMON_CHANNEL,
            17,
            &[
                ("EventType", "CreatePipe"),
                ("PipeName", "\\PSEXESVC"),
                ("Image", "C:\\Windows\\PSEXESVC.exe"),
            ],
        ),
        event_xml(
            SYSMON,
            SYSMON_CHANNEL,
            22,
            &[
                ("Image", "C:\\Tools\\rclone.exe"),
                ("QueryName", "drop.example.net"),
                ("QueryStatus", "0"),
                (
                    "QueryResults",
                    "type:  5 edge.example.net;::ffff:203.0.113.9;",
                ),
            ],
        ),
        event_xml(
            "Microsoft-Windows-Security-Auditing",
            "Security",
            4624,
            &[
                ("SubjectUserSid", "S-1-0-0"),
                ("TargetUserName", "svc_backup"),
                ("LogonType", "3"),
                ("LogonProcessName", "NtLmSsp "),
                ("WorkstationName", "KALI"),
                ("ProcessId", "0x0"),
                ("ProcessName", "-"),
                ("IpAddress", "198.51.100.7"),
                ("IpPort", "50211"),
            ],
        ),
        event_xml(
            "Microsoft-Windows-Security-Auditing",
            "Security",
            4688,
            &[
                ("SubjectUserName", "svc_backup"),
                ("NewProcessId", "0x1a4"),
                ("NewProcessName", "C:\\Tools\\rclone.exe"),
                ("TokenElevationType", "%%1937"),
                ("ProcessId", "0x4b0"),
                ("CommandLine", "rclone.exe copy C:\\Finance remote:drop"),
                ("ParentProcessName", "C:\\Windows\\System32\\cmd.exe"),
            ],
        ),
        event_xml(
            "Microsoft-Windows-Security-Auditing",
            "Security",
            4738,
            &[
                ("TargetUserName", "svc_backup"),
                ("UserAccountControl", "\r\n\t\t%%2089"),
            ],
        ),
        event_xml(
            "Microsoft-Windows-PowerShell",
            "Microsoft-Windows-PowerShell/Operational",
            4104,
            &[
                ("MessageNumber", "1"),
                ("MessageTotal", "1"),
                (
                    "ScriptBlockText",
                    "Compress-Archive C:\\Finance C:\\Temp\\f.zip",
                ),
                ("ScriptBlockId", "5a2c7f3e-0000-4000-8000-000000000001"),
                ("Path", "C:\\Temp\\stage.ps1"),
            ],
        ),
        event_xml(
            "Microsoft-Windows-PowerShell",
            "Microsoft-Windows-PowerShell/Operational",
            4103,
            &[
                (
                    "ContextInfo",
                    "        Severity = Informational\r\n        Host Name = ConsoleHost\r\n        \
                     Host Application = C:\\Tools\\host.exe -File stage.ps1\r\n        \
                     Command Name = Compress-Archive\r\n        Script Name = C:\\Temp\\stage.ps1\r\n",
                ),
                ("UserData", ""),
                (
                    "Payload",
                    "CommandInvocation(Compress-Archive): \"Compress-Archive\"\r\n\
                     ParameterBinding(Compress-Archive): name=\"Path\"; value=\"C:\\Finance\"",
                ),
            ],
        ),
        event_xml(
            "PowerShell",
            "Windows PowerShell",
            400,
            &[
                ("", "Available"),
                ("", "None"),
                (
                    "",
                    "\tNewEngineState=Available\n\tPreviousEngineState=None\n\n\tSequenceNumber=13\n\n\t\
                     HostName=ConsoleHost\n\tHostVersion=5.1\n\tHostId=5cbb33bf-acf7-47cc-9242-141cd0ba9f0c\n\t\
                     HostApplication=C:\\Tools\\host.exe -enc SQBFAFgA\n\tEngineVersion=5.1\n\t\
                     RunspaceId=6b0a0f55-0000-4000-8000-000000000002\n\tPipelineId=\n\tCommandName=\n\t\
                     CommandType=\n\tScriptName=\n\tCommandPath=\n\tCommandLine=",
                ),
            ],
        ),
    ]
}

/// The events of `samples` read as one Windows event XML file.
fn read_xml(samples: &[String]) -> Vec<Event> {
    let xml_file = format!("<Events>{}</Events>", samples.concat());
    let (format, source) = open_bytes(
        "events.xml",
        xml_file.into_bytes(),
        &SourceContext::default(),
    )
    .unwrap();
    assert_eq!(format, Format::WindowsXml);
    source.map(|r| r.unwrap()).collect()
}

/// A value as Sigma compares it: as text.
fn value_text(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Str(s) => s.to_owned(),
        ValueRef::Int(n) => n.to_string(),
        ValueRef::UInt(n) => n.to_string(),
        ValueRef::Float(f) => f.to_string(),
        ValueRef::Bool(b) => b.to_string(),
        ValueRef::List(items) => items
            .iter()
            .map(|item| value_text(item.as_ref()))
            .collect::<Vec<_>>()
            .join(" | "),
        other => format!("{other:?}"),
    }
}

/// The Sigma-relevant text of each EventData field the XML event holds, as
/// an event reads it.
fn field_texts(event: &Event, xml: &str) -> BTreeMap<String, String> {
    let tree = parse(xml);
    let data = child(&tree, "EventData").unwrap();
    let mut names: Vec<String> = data
        .children
        .iter()
        .map(|item| attribute(Some(item), "Name").unwrap_or_else(|| "Data".into()))
        .collect();
    names.dedup();
    names
        .into_iter()
        // Gone for good in the modules: the event's time is @timestamp.
        .filter(|name| !matches!(name.as_str(), "UtcTime" | "UserData" | "Severity"))
        .map(|name| {
            let text = event
                .native
                .get_by_name(&name)
                .map_or("<absent>".into(), value_text);
            (name, text)
        })
        .collect()
}

#[test]
fn module_renamed_fields_read_under_their_eventdata_names() {
    let samples = module_samples();
    let from_xml = read_xml(&samples);
    let modules: Vec<Map<String, Json>> =
        samples.iter().map(|x| with_modules(raw_doc(x))).collect();
    // The renderings really moved the fields away.
    let sysmon_1 = Json::Object(modules[0].clone()).to_string();
    assert!(!sysmon_1.contains("\"Image\""), "{sysmon_1}");
    assert!(sysmon_1.contains("process.executable") || sysmon_1.contains("\"executable\""));
    let from_modules = read_lines(&modules);
    for ((xml, want), got) in samples.iter().zip(&from_xml).zip(&from_modules) {
        let want_fields = field_texts(want, xml);
        let got_fields = field_texts(got, xml);
        let differing: Vec<_> = want_fields
            .iter()
            .filter(|(name, text)| got_fields[*name] != **text)
            .map(|(name, text)| (name, text, &got_fields[name]))
            .collect();
        // Values the modules change for good: classic PowerShell's block is
        // rebuilt (its keys and values are checked by the rules below), a
        // 4103 ContextInfo loses its `Severity` line, 4103's `Payload`
        // its line ends.
        let allowed = |name: &str| matches!(name, "Data" | "ContextInfo" | "Payload" | "Hashes");
        assert!(
            differing.iter().all(|(name, _, _)| allowed(name)),
            "{}: {differing:#?}",
            want.code.unwrap_or_default()
        );
    }
    // What a rule sees in the rebuilt fields.
    let text = |event: &Event, name: &str| {
        event
            .native
            .get_by_name(name)
            .map(value_text)
            .unwrap_or_default()
    };
    assert!(text(&from_modules[0], "Hashes").contains("SHA256=EF56"));
    assert!(!text(&from_modules[0], "Hashes").contains("IMPHASH"));
    assert!(
        text(&from_modules[11], "ContextInfo").contains("Host Application = C:\\Tools\\host.exe")
    );
    assert!(text(&from_modules[11], "Payload").contains("name=\"Path\"; value=\"C:\\Finance\""));
    assert!(text(&from_modules[12], "Data").contains("HostApplication=C:\\Tools\\host.exe -enc"));
}

/// SigmaHQ-style rules on fields the modules move, each of which must fire
/// on the module rendering exactly where it fires on the XML.
const MODULE_RULES: &str = r#"
title: image load from tools
id: 7c1d0a10-0000-4000-8000-000000000001
logsource: {product: windows, category: image_load}
detection:
    selection: {ImageLoaded|endswith: '\winhttp.dll', Image|contains: '\Tools\'}
    condition: selection
---
title: registry dword
id: 7c1d0a10-0000-4000-8000-000000000002
logsource: {product: windows, category: registry_set}
detection:
    selection: {TargetObject|endswith: '\DisableRestrictedAdmin', Details: 'DWORD (0x00000000)'}
    condition: selection
---
title: psexec pipe
id: 7c1d0a10-0000-4000-8000-000000000003
logsource: {product: windows, category: pipe_created}
detection:
    selection: {PipeName|startswith: '\PSEXESVC'}
    condition: selection
---
title: outbound by tool
id: 7c1d0a10-0000-4000-8000-000000000004
logsource: {product: windows, category: network_connection}
detection:
    selection: {Initiated: 'true', Image|endswith: '\rclone.exe', User|contains: 'CORP\'}
    condition: selection
---
title: remote thread outside a module
id: 7c1d0a10-0000-4000-8000-000000000005
logsource: {product: windows, category: create_remote_thread}
detection:
    selection: {TargetImage|endswith: '\lsass.exe', StartModule: ''}
    condition: selection
---
title: ntlm network logon from outside
id: 7c1d0a10-0000-4000-8000-000000000006
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4624, LogonProcessName: 'NtLmSsp', LogonType: 3}
    filter: {IpAddress|cidr: ['10.0.0.0/8', '192.168.0.0/16']}
    condition: selection and not filter
---
title: uac flag
id: 7c1d0a10-0000-4000-8000-000000000007
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4738, UserAccountControl|contains: '%%2089'}
    condition: selection
---
title: classic host application
id: 7c1d0a10-0000-4000-8000-000000000008
logsource: {product: windows, service: powershell-classic}
detection:
    selection: {Data|contains|all: ['HostApplication=', ' -enc ']}
    filter: {Data|contains: 'HostApplication=powershell'}
    condition: selection and not filter
---
title: module host application
id: 7c1d0a10-0000-4000-8000-000000000009
logsource: {product: windows, category: ps_module}
detection:
    selection: {ContextInfo|contains: 'Host Application = C:\Tools\', Payload|contains: 'C:\Finance'}
    condition: selection
---
title: script block path
id: 7c1d0a10-0000-4000-8000-00000000000a
logsource: {product: windows, category: ps_script}
detection:
    selection: {ScriptBlockText|contains: 'Compress-Archive', Path|endswith: '\stage.ps1'}
    condition: selection
---
title: process hashes
id: 7c1d0a10-0000-4000-8000-00000000000b
logsource: {product: windows, category: process_creation}
detection:
    selection: {Hashes|contains: 'SHA256=EF56', ParentImage|endswith: '\cmd.exe', CurrentDirectory: 'C:\Tools\'}
    condition: selection
---
title: 4688 names
id: 7c1d0a10-0000-4000-8000-00000000000c
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4688, NewProcessName|endswith: '\rclone.exe', NewProcessId: '0x1a4'}
    condition: selection
"#;

#[test]
fn rules_on_module_renamed_fields_fire_on_the_module_rendering() {
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).unwrap();
    for row in builder.add_yaml(MODULE_RULES, "module_rules.yml") {
        assert!(row.is_ok(), "{row:?}");
    }
    let set = builder.build();
    let samples = module_samples();
    let raw: Vec<Map<String, Json>> = samples.iter().map(|x| raw_doc(x)).collect();
    let modules: Vec<Map<String, Json>> = raw.iter().cloned().map(with_modules).collect();
    let from_xml = read_xml(&samples);
    let want = fired(&set, &from_xml);
    let fired_titles: BTreeSet<&String> = want.iter().flatten().collect();
    assert_eq!(
        fired_titles.len(),
        12,
        "every rule fires on the XML: {want:#?}"
    );
    assert_eq!(fired(&set, &read_lines(&raw)), want, "raw Winlogbeat");
    assert_eq!(
        fired(&set, &read_lines(&modules)),
        want,
        "Winlogbeat modules"
    );
    // The same documents as Elasticsearch gives them back.
    let hits: Vec<Map<String, Json>> = modules.iter().map(as_hit).collect();
    let fields: Vec<Map<String, Json>> = modules.iter().map(as_fields).collect();
    for (label, text) in [
        ("hits, one a line", json_lines(&hits)),
        ("a search response", as_response(&modules)),
        ("fields rendering", json_lines(&fields)),
    ] {
        let events = read_text(text, JsonShape::ElasticExport);
        assert_eq!(fired(&set, &events), want, "{label}");
    }
}
