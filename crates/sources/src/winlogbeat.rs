//! Winlogbeat and Elastic Agent documents: the EventData names Sigma rules
//! use, put back where Winlogbeat or its modules moved them.
//!
//! * Unnamed `<Data>` items are `winlog.event_data.param1`…`paramN` in
//!   Winlogbeat; the EVTX reader holds them as one `Data` list, which is what
//!   rules on classic PowerShell (400/403/600/800) and MsiInstaller events read.
//! * The sysmon, security and powershell modules (Winlogbeat 7's script
//!   processors, Winlogbeat 8's ingest pipelines, and Elastic Agent's
//!   `windows` and `system` integrations) rename EventData fields to ECS ones
//!   (`Image` → `process.executable`, `ImageLoaded` → `file.path`,
//!   `ScriptBlockText` → `powershell.file.script_block_text`), or split them
//!   and delete them (`Hashes`, `User`, `Initiated`, 4103's `ContextInfo` and
//!   `Payload`). Without this step a Sigma rule on `ImageLoaded` never matches
//!   a module's Sysmon 7, and no error says so.
//!
//! Each field is rebuilt from its ECS home only for the provider and event ids
//! the module moves it for, and only when the document lacks the name (a
//! Winlogbeat without modules keeps every EventData field).

use crate::json::lookup_path;
use crate::windows::without_padding;
use model::{Event, Sym, Value};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;

/// Which event ids of a provider a move applies to.
enum Codes {
    All,
    Only(&'static [u32]),
    Except(&'static [u32]),
}

impl Codes {
    fn cover(&self, code: u32) -> bool {
        match self {
            Codes::All => true,
            Codes::Only(codes) => codes.contains(&code),
            Codes::Except(codes) => !codes.contains(&code),
        }
    }
}

/// An EventData field a module renamed: `name` now lives at the ECS path
/// `from`, unchanged.
struct Moved {
    name: &'static str,
    from: &'static str,
    codes: Codes,
}

const fn moved(name: &'static str, from: &'static str, codes: Codes) -> Moved {
    Moved { name, from, codes }
}

/// Sysmon event ids whose process is the event's subject (`Image`,
/// `ProcessGuid`, `ProcessId`): all but the two that name a source process
/// (8, 10), the WMI consumer (20, whose `Destination` takes
/// `process.executable`) and the driver load (6).
const NOT_SUBJECT: &[u32] = &[6, 8, 10, 20];

/// What the sysmon module renames (the moves without a change of value).
const SYSMON: &[Moved] = &[
    moved("Image", "process.executable", Codes::Except(NOT_SUBJECT)),
    moved(
        "ProcessGuid",
        "process.entity_id",
        Codes::Except(NOT_SUBJECT),
    ),
    moved("ProcessId", "process.pid", Codes::Except(NOT_SUBJECT)),
    moved("SourceImage", "process.executable", Codes::Only(&[8, 10])),
    moved("SourceProcessGuid", "process.entity_id", Codes::Only(&[8])),
    moved("SourceProcessGUID", "process.entity_id", Codes::Only(&[10])),
    moved("SourceProcessId", "process.pid", Codes::Only(&[8, 10])),
    moved("SourceThreadId", "process.thread.id", Codes::Only(&[10])),
    moved("Destination", "process.executable", Codes::Only(&[20])),
    moved("CommandLine", "process.command_line", Codes::Only(&[1])),
    moved(
        "CurrentDirectory",
        "process.working_directory",
        Codes::Only(&[1]),
    ),
    moved(
        "ParentProcessGuid",
        "process.parent.entity_id",
        Codes::Only(&[1]),
    ),
    moved("ParentProcessId", "process.parent.pid", Codes::Only(&[1])),
    moved(
        "ParentImage",
        "process.parent.executable",
        Codes::Only(&[1]),
    ),
    moved(
        "ParentCommandLine",
        "process.parent.command_line",
        Codes::Only(&[1]),
    ),
    moved(
        "OriginalFileName",
        "process.pe.original_file_name",
        Codes::Only(&[1]),
    ),
    moved(
        "OriginalFileName",
        "file.pe.original_file_name",
        Codes::Only(&[7]),
    ),
    moved(
        "TargetFilename",
        "file.path",
        Codes::Only(&[2, 11, 15, 23, 26, 27, 28, 29]),
    ),
    moved("ImageLoaded", "file.path", Codes::Only(&[6, 7])),
    moved("Device", "file.path", Codes::Only(&[9])),
    moved("PipeName", "file.name", Codes::Only(&[17, 18])),
    moved("Protocol", "network.transport", Codes::Only(&[3])),
    moved("SourceIp", "source.ip", Codes::Only(&[3])),
    moved("SourceHostname", "source.domain", Codes::Only(&[3])),
    moved("SourcePort", "source.port", Codes::Only(&[3])),
    moved("DestinationIp", "destination.ip", Codes::Only(&[3])),
    moved(
        "DestinationHostname",
        "destination.domain",
        Codes::Only(&[3]),
    ),
    moved("DestinationPort", "destination.port", Codes::Only(&[3])),
    moved("DestinationPortName", "network.protocol", Codes::Only(&[3])),
    moved("QueryName", "dns.question.name", Codes::Only(&[22])),
    moved("RuleName", "rule.name", Codes::All),
    moved("ID", "error.code", Codes::Only(&[255])),
    moved("TargetObject", "registry.path", Codes::Only(&[12, 13, 14])),
    moved("Type", "message", Codes::Only(&[25])),
    // Winlogbeat 8 renames Sysmon 8's `TargetProcessGuid` to Sysmon 10's
    // spelling, inside `event_data`.
    moved(
        "TargetProcessGuid",
        "winlog.event_data.TargetProcessGUID",
        Codes::Only(&[8]),
    ),
];

/// Security event ids whose process, address and workstation fields the
/// security module moves (its "common auth fields").
const SECURITY_AUTH: &[u32] = &[
    1100, 1102, 1104, 1105, 1108, 4624, 4625, 4648, 4670, 4673, 4674, 4689, 4697, 4719, 4720, 4722,
    4723, 4724, 4725, 4726, 4727, 4728, 4729, 4730, 4731, 4732, 4733, 4734, 4735, 4737, 4738, 4740,
    4741, 4742, 4743, 4744, 4745, 4746, 4747, 4748, 4749, 4750, 4751, 4752, 4753, 4754, 4755, 4756,
    4757, 4758, 4759, 4760, 4761, 4762, 4763, 4764, 4767, 4768, 4769, 4770, 4771, 4798, 4799, 4817,
    4904, 4905, 4907, 4912, 5140, 5145,
];

/// What the security module renames without a change of value (its
/// process ids, written in hex by Windows, are rebuilt apart).
const SECURITY: &[Moved] = &[
    moved(
        "ProcessName",
        "process.executable",
        Codes::Only(SECURITY_AUTH),
    ),
    moved("IpAddress", "source.ip", Codes::Only(SECURITY_AUTH)),
    moved("IpPort", "source.port", Codes::Only(SECURITY_AUTH)),
    moved(
        "WorkstationName",
        "source.domain",
        Codes::Only(SECURITY_AUTH),
    ),
    moved("NewProcessName", "process.executable", Codes::Only(&[4688])),
    moved(
        "ParentProcessName",
        "process.parent.executable",
        Codes::Only(&[4688]),
    ),
];

/// What the powershell module renames on the PowerShell/Operational channel.
const POWERSHELL: &[Moved] = &[
    moved(
        "ScriptBlockText",
        "powershell.file.script_block_text",
        Codes::All,
    ),
    moved(
        "ScriptBlockId",
        "powershell.file.script_block_id",
        Codes::All,
    ),
    moved("MessageNumber", "powershell.sequence", Codes::All),
    moved("MessageTotal", "powershell.total", Codes::All),
    moved("Path", "file.path", Codes::Only(&[4104, 4105, 4106])),
    moved(
        "RunspaceId",
        "powershell.runspace_id",
        Codes::Only(&[4105, 4106]),
    ),
];

/// Puts back the EventData fields Winlogbeat or its modules moved (see the
/// module documentation). `winlog` is the document's `winlog` object.
pub(crate) fn restore(event: &mut Event, winlog: &Map<String, Json>, doc: &Map<String, Json>) {
    restore_unnamed_data(event, winlog);
    let Some(provider) = winlog.get("provider_name").and_then(Json::as_str) else {
        return;
    };
    let Some(code) = winlog.get("event_id").and_then(event_id) else {
        return;
    };
    match provider {
        "Microsoft-Windows-Sysmon" => {
            restore_moved(event, SYSMON, code, doc);
            restore_sysmon_rebuilt(event, code, doc);
        }
        "Microsoft-Windows-Security-Auditing" => {
            restore_moved(event, SECURITY, code, doc);
            let pid = hex_pid(doc, "process.pid");
            if code == 4688 {
                put(event, "NewProcessId", pid);
            } else if SECURITY_AUTH.contains(&code) {
                put(event, "ProcessId", pid);
            }
        }
        "PowerShell" => restore_classic_powershell(event, code, doc),
        "Microsoft-Windows-PowerShell" => {
            restore_moved(event, POWERSHELL, code, doc);
            if code == 4103 {
                restore_context_info(event, doc);
                restore_payload(event, doc);
            }
        }
        _ => {}
    }
}

/// An `event_data` value as the EVTX reader reads it. The security module turns
/// `UserAccountControl` and `AccessList` (`%%2080 %%2082`) into lists of bare
/// ids (`["2080", "2082"]`), which rules looking for `%%2080` miss.
///
/// Text loses Windows' padding as in every Windows shape
/// ([`crate::windows::without_padding`]).
pub(crate) fn event_data_value<'a>(key: &str, value: &'a Json) -> Cow<'a, Json> {
    let bare_id = |item: &Json| {
        item.as_str()
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
    };
    let ids: &[Json] = match value {
        Json::String(text) if without_padding(text).len() < text.len() => {
            return Cow::Owned(Json::String(without_padding(text).to_owned()));
        }
        // Elasticsearch's `fields` rendering gives a one-id list back as
        // the id alone; Windows never writes a bare id in these fields.
        Json::String(_) => std::slice::from_ref(value),
        Json::Array(items) => items,
        _ => return Cow::Borrowed(value),
    };
    if !matches!(key, "UserAccountControl" | "AccessList")
        || ids.is_empty()
        || !ids.iter().all(bare_id)
    {
        return Cow::Borrowed(value);
    }
    let text: String = ids
        .iter()
        .filter_map(Json::as_str)
        .map(|id| format!("\r\n\t\t%%{id}"))
        .collect();
    Cow::Owned(Json::String(text))
}

fn event_id(value: &Json) -> Option<u32> {
    match value {
        Json::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Winlogbeat's `param1`…`paramN` as the `Data` list the EVTX reader makes.
fn restore_unnamed_data(event: &mut Event, winlog: &Map<String, Json>) {
    let Some(Json::Object(data)) = winlog.get("event_data") else {
        return;
    };
    if data.contains_key("Data") || !data.contains_key("param1") {
        return;
    }
    let mut items: Vec<Value> = (1..)
        .map_while(|n| data.get(&format!("param{n}")))
        .map(Value::from_json)
        .collect();
    // One item is a value of its own, as in the EVTX reader.
    let value = match items.len() {
        1 => items.remove(0),
        _ => Value::List(items),
    };
    event.native.push("Data", value);
}

/// A scalar at `path`, or the one scalar of a one-item list (Kibana's and
/// Elasticsearch's `fields` renderings wrap every value in a list).
fn scalar_at<'a>(doc: &'a Map<String, Json>, path: &str) -> Option<&'a Json> {
    match lookup_path(doc, path)? {
        Json::Array(items) if items.len() == 1 => Some(&items[0]),
        Json::Array(_) | Json::Object(_) | Json::Null => None,
        value => Some(value),
    }
}

fn text_at(doc: &Map<String, Json>, path: &str) -> Option<String> {
    match scalar_at(doc, path)? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn lacks(event: &Event, name: &str) -> bool {
    Sym::lookup(name).is_none_or(|sym| event.native.get(sym).is_none())
}

fn restore_moved(event: &mut Event, table: &[Moved], code: u32, doc: &Map<String, Json>) {
    for entry in table {
        if !entry.codes.cover(code) || !lacks(event, entry.name) {
            continue;
        }
        if let Some(value) = scalar_at(doc, entry.from) {
            let value = event_data_value(entry.name, value);
            event.native.push_json(entry.name, &value);
        }
    }
}

/// Pushes `name` = `text` when the event lacks `name` and `text` is known.
fn put(event: &mut Event, name: &str, text: Option<String>) {
    if let Some(text) = text
        && lacks(event, name)
    {
        event.native.push_str(name, &text);
    }
}

/// The Sysmon fields the module splits or translates: rebuilt in Sysmon's
/// own form.
fn restore_sysmon_rebuilt(event: &mut Event, code: u32, doc: &Map<String, Json>) {
    match code {
        1 | 23..=25 => put(event, "Hashes", hashes(doc, "process")),
        // Winlogbeat puts 26's under `process.hash`, Elastic Agent under
        // `file.hash`.
        26 => {
            let found = hashes(doc, "process").or_else(|| hashes(doc, "file"));
            put(event, "Hashes", found);
        }
        6 | 7 | 29 => put(event, "Hashes", hashes(doc, "file")),
        // Sysmon 15 writes `Hash`; Winlogbeat 8 renames it `Hashes` before
        // splitting it, Winlogbeat 7 splits it as it is: `file.hash.*` both.
        15 if lacks(event, "Hashes") => put(event, "Hash", hashes(doc, "file")),
        _ => {}
    }
    if matches!(code, 1 | 3 | 19..=21 | 23..=26) {
        let user = text_at(doc, "user.domain")
            .zip(text_at(doc, "user.name"))
            .map(|(domain, name)| format!("{domain}\\{name}"));
        put(event, "User", user);
    }
    if code == 3 {
        let initiated = text_at(doc, "network.direction").and_then(|d| match d.as_str() {
            "egress" | "outbound" => Some("true".to_owned()),
            "ingress" | "inbound" => Some("false".to_owned()),
            _ => None,
        });
        put(event, "Initiated", initiated);
        let ipv6 = text_at(doc, "network.type").map(|t| (t == "ipv6").to_string());
        put(event, "SourceIsIpv6", ipv6.clone());
        put(event, "DestinationIsIpv6", ipv6);
    }
    if code == 8 {
        // Sysmon writes an empty start module and function for a thread that
        // starts outside any module (the injection SigmaHQ's rules look for);
        // the module drops empty values.
        for name in ["StartModule", "StartFunction"] {
            put(event, name, Some(String::new()));
        }
    }
    if code == 22 {
        let status = text_at(doc, "sysmon.dns.status").map(|s| dns_status_code(&s));
        put(event, "QueryStatus", status);
        put(event, "QueryResults", query_results(doc));
    }
    if (12..=14).contains(&code) {
        put(event, "Details", registry_details(doc));
    }
    if (23..=26).contains(&code) {
        for (name, path) in [
            ("Archived", "sysmon.file.archived"),
            ("IsExecutable", "sysmon.file.is_executable"),
        ] {
            put(event, name, text_at(doc, path));
        }
    }
}

/// Sysmon's `Hashes` text (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`, upper case)
/// from the module's `<ns>.hash.*` and `<ns>.pe.imphash`.
fn hashes(doc: &Map<String, Json>, ns: &str) -> Option<String> {
    let parts: Vec<String> = [
        ("SHA1", format!("{ns}.hash.sha1")),
        ("MD5", format!("{ns}.hash.md5")),
        ("SHA256", format!("{ns}.hash.sha256")),
        ("SHA384", format!("{ns}.hash.sha384")),
        ("SHA512", format!("{ns}.hash.sha512")),
        ("IMPHASH", format!("{ns}.pe.imphash")),
    ]
    .iter()
    .filter_map(|(label, path)| {
        text_at(doc, path).map(|hash| format!("{label}={}", hash.to_ascii_uppercase()))
    })
    .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Windows' DNS status names the module writes, with their codes (the
/// common ones; another name is kept as it is).
const DNS_STATUS: &[(&str, &str)] = &[
    ("SUCCESS", "0"),
    ("ERROR_ACCESS_DENIED", "5"),
    ("ERROR_NOT_ENOUGH_MEMORY", "8"),
    ("ERROR_INVALID_DATA", "13"),
    ("ERROR_OUTOFMEMORY", "14"),
    ("ERROR_INVALID_NAME", "123"),
    ("ERROR_INVALID_NETNAME", "1214"),
    ("ERROR_CANCELLED", "1223"),
    ("ERROR_TIMEOUT", "1460"),
    ("ERROR_OBJECT_NOT_FOUND", "4312"),
    ("DNS_ERROR_RCODE_FORMAT_ERROR", "9001"),
    ("DNS_ERROR_RCODE_SERVER_FAILURE", "9002"),
    ("DNS_ERROR_RCODE_NAME_ERROR", "9003"),
    ("DNS_ERROR_RCODE_NOT_IMPLEMENTED", "9004"),
    ("DNS_ERROR_RCODE_REFUSED", "9005"),
    ("DNS_INFO_NO_RECORDS", "9501"),
    ("DNS_ERROR_BAD_PACKET", "9502"),
    ("DNS_ERROR_NO_PACKET", "9503"),
    ("DNS_ERROR_RCODE", "9504"),
    ("DNS_ERROR_INVALID_NAME_CHAR", "9560"),
    ("DNS_ERROR_NUMERIC_NAME", "9561"),
    ("DNS_ERROR_RECORD_DOES_NOT_EXIST", "9701"),
    ("DNS_ERROR_RECORD_TIMED_OUT", "9705"),
    ("DNS_ERROR_NO_TCPIP", "9851"),
    ("DNS_ERROR_NO_DNS_SERVERS", "9852"),
    ("WSAECONNRESET", "10054"),
    ("WSAENOBUFS", "10055"),
    ("WSAETIMEDOUT", "10060"),
];

fn dns_status_code(status: &str) -> String {
    DNS_STATUS
        .iter()
        .find(|(name, _)| *name == status)
        .map_or(status, |(_, code)| code)
        .to_owned()
}

/// DNS record type names the module writes, with Sysmon's numbers.
const DNS_TYPES: &[(&str, u32)] = &[
    ("NS", 2),
    ("CNAME", 5),
    ("SOA", 6),
    ("PTR", 12),
    ("MX", 15),
    ("TXT", 16),
    ("SRV", 33),
];

/// Sysmon 22's `QueryResults` (`type:  5 alias;::ffff:192.0.2.1;`) from the
/// module's `dns.answers`.
fn query_results(doc: &Map<String, Json>) -> Option<String> {
    let Some(Json::Array(answers)) = lookup_path(doc, "dns.answers") else {
        return None;
    };
    let mut out = String::new();
    for answer in answers {
        let kind = answer.get("type").and_then(Json::as_str).unwrap_or("");
        let Some(data) = answer.get("data").and_then(Json::as_str) else {
            continue;
        };
        match kind {
            "A" => out.push_str(&format!("::ffff:{data};")),
            "AAAA" => out.push_str(&format!("{data};")),
            other => {
                let number = DNS_TYPES.iter().find(|(name, _)| *name == other);
                match number {
                    Some((_, n)) => out.push_str(&format!("type:  {n} {data};")),
                    None => out.push_str(&format!("{data};")),
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// 4103's `ContextInfo` lines (`Host Application = …`), with the ECS field
/// each was moved to after the module split them apart.
const CONTEXT_INFO: &[(&str, &[&str])] = &[
    (
        "Host Name",
        &["process.title", "winlog.event_data.HostName"],
    ),
    (
        "Host Version",
        &[
            "powershell.process.executable_version",
            "winlog.event_data.HostVersion",
        ],
    ),
    (
        "Host ID",
        &["process.entity_id", "winlog.event_data.HostID"],
    ),
    (
        "Host Application",
        &["process.command_line", "winlog.event_data.HostApplication"],
    ),
    (
        "Engine Version",
        &[
            "powershell.engine.version",
            "winlog.event_data.EngineVersion",
        ],
    ),
    (
        "Runspace ID",
        &["powershell.runspace_id", "winlog.event_data.RunspaceID"],
    ),
    (
        "Pipeline ID",
        &["powershell.pipeline_id", "winlog.event_data.PipelineID"],
    ),
    (
        "Command Name",
        &["powershell.command.name", "winlog.event_data.CommandName"],
    ),
    (
        "Command Type",
        &["powershell.command.type", "winlog.event_data.CommandType"],
    ),
    (
        "Script Name",
        &["file.path", "winlog.event_data.ScriptName"],
    ),
    (
        "Command Path",
        &["powershell.command.path", "winlog.event_data.CommandPath"],
    ),
    (
        "Sequence Number",
        &["event.sequence", "winlog.event_data.SequenceNumber"],
    ),
    ("Shell ID", &["powershell.id", "winlog.event_data.ShellID"]),
];

/// 4103's `ContextInfo`, which the module splits into fields and deletes,
/// rebuilt as the `Key = value` lines PowerShell writes (SigmaHQ's module
/// rules look for `= powershell` and script names in it).
fn restore_context_info(event: &mut Event, doc: &Map<String, Json>) {
    if !lacks(event, "ContextInfo") {
        return;
    }
    let mut lines = Vec::new();
    for (label, paths) in CONTEXT_INFO {
        if let Some(value) = paths.iter().find_map(|path| text_at(doc, path)) {
            lines.push(format!("        {label} = {value}"));
        }
    }
    let user = text_at(doc, "user.domain")
        .zip(text_at(doc, "user.name"))
        .map(|(domain, name)| format!("{domain}\\{name}"));
    if let Some(user) = user {
        lines.push(format!("        User = {user}"));
    }
    if !lines.is_empty() {
        event.native.push_str("ContextInfo", &lines.join("\r\n"));
    }
}

/// 4103's `Payload`, which the module parses into
/// `powershell.command.invocation_details` and deletes, rebuilt line by line
/// (`CommandInvocation(Get-Item): "Get-Item"`,
/// `ParameterBinding(Get-Item): name="Path"; value="C:\x"`).
fn restore_payload(event: &mut Event, doc: &Map<String, Json>) {
    if !lacks(event, "Payload") {
        return;
    }
    let Some(Json::Array(details)) = lookup_path(doc, "powershell.command.invocation_details")
    else {
        return;
    };
    let lines: Vec<String> = details
        .iter()
        .filter_map(|detail| {
            let field = |key: &str| detail.get(key).and_then(Json::as_str);
            let value = field("value").unwrap_or("");
            match (field("type"), field("related_command"), field("name")) {
                (Some(kind), Some(command), Some(name)) => {
                    Some(format!("{kind}({command}): name={name}; value={value}"))
                }
                (Some(kind), Some(command), None) => Some(format!("{kind}({command}): {value}")),
                _ => (!value.is_empty()).then(|| value.to_owned()),
            }
        })
        .collect();
    if !lines.is_empty() {
        event.native.push_str("Payload", &lines.join("\r\n"));
    }
}

/// A process id the security module turned from Windows' hex (`0x1a4`) into
/// a number, in hex again.
fn hex_pid(doc: &Map<String, Json>, path: &str) -> Option<String> {
    let pid = match scalar_at(doc, path)? {
        Json::Number(n) => n.as_u64()?,
        Json::String(s) if s.starts_with("0x") => return Some(s.clone()),
        Json::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    Some(format!("{pid:#x}"))
}

/// Sysmon's registry `Details` from the module's `registry.data`: a DWORD,
/// which the module writes in decimal, in Sysmon's `DWORD (0x00000001)`
/// form; text and binary values as they were. (A QWORD's two halves are
/// summed by the module and cannot be split again; its sum is kept.)
fn registry_details(doc: &Map<String, Json>) -> Option<String> {
    let text = text_at(doc, "registry.data.strings").or_else(|| {
        match lookup_path(doc, "registry.data.strings")? {
            Json::Array(items) => items.first()?.as_str().map(str::to_owned),
            _ => None,
        }
    })?;
    let kind = text_at(doc, "registry.data.type").unwrap_or_default();
    if kind == "SZ_DWORD"
        && let Ok(value) = text.parse::<u32>()
    {
        return Some(format!("DWORD (0x{value:08x})"));
    }
    Some(text)
}

/// The keys of the classic PowerShell channel's detail block
/// (`HostApplication=…`), with the ECS field each was moved to.
const CLASSIC_DETAILS: &[(&str, &str)] = &[
    ("NewEngineState", "powershell.engine.new_state"),
    ("PreviousEngineState", "powershell.engine.previous_state"),
    ("ProviderName", "powershell.provider.name"),
    ("NewProviderState", "powershell.provider.new_state"),
    ("SequenceNumber", "event.sequence"),
    ("HostName", "process.title"),
    ("HostVersion", "powershell.process.executable_version"),
    ("HostId", "process.entity_id"),
    ("HostApplication", "process.command_line"),
    ("EngineVersion", "powershell.engine.version"),
    ("RunspaceId", "powershell.runspace_id"),
    ("PipelineId", "powershell.pipeline_id"),
    ("CommandName", "powershell.command.name"),
    ("CommandType", "powershell.command.type"),
    ("ScriptName", "file.path"),
    ("CommandPath", "powershell.command.path"),
    ("CommandLine", "powershell.command.value"),
];

/// The classic `Windows PowerShell` channel (400, 403, 600, 800): the
/// module parses the unnamed `Data` items' `Key=Value` block into fields and
/// deletes the items; SigmaHQ's `ps_classic_*` rules read `Data`. Rebuilt
/// as the list the EVTX reader makes: the two state items (or 800's
/// pipeline text) and the block.
fn restore_classic_powershell(event: &mut Event, code: u32, doc: &Map<String, Json>) {
    if !lacks(event, "Data") {
        return;
    }
    let found = |key: &str, path: &str| {
        text_at(doc, path).or_else(|| text_at(doc, &format!("winlog.event_data.{key}")))
    };
    if CLASSIC_DETAILS
        .iter()
        .all(|(key, path)| found(key, path).is_none())
    {
        return;
    }
    // PowerShell writes every key but `HostApplication` (absent before
    // PowerShell 3) even when empty; the module drops the empty ones.
    let mut block: Vec<String> = CLASSIC_DETAILS
        .iter()
        .filter(|(key, _)| match *key {
            "NewEngineState" | "PreviousEngineState" => code != 600,
            "ProviderName" | "NewProviderState" => code == 600,
            _ => true,
        })
        .filter_map(|(key, path)| {
            let value = found(key, path);
            if value.is_none() && *key == "HostApplication" {
                return None;
            }
            Some(format!("\t{key}={}", value.unwrap_or_default()))
        })
        .collect();
    if code == 800
        && let Some(user) = text_at(doc, "user.domain")
            .zip(text_at(doc, "user.name"))
            .map(|(domain, name)| format!("{domain}\\{name}"))
    {
        block.push(format!("\tUserId={user}"));
    }
    let first_two: [&str; 2] = match code {
        600 => ["powershell.provider.name", "powershell.provider.new_state"],
        _ => [
            "powershell.engine.new_state",
            "powershell.engine.previous_state",
        ],
    };
    let mut items: Vec<Value> = Vec::with_capacity(3);
    if code == 800 {
        items.extend(text_at(doc, "powershell.command.value").map(Value::from));
    } else {
        items.extend(
            first_two
                .iter()
                .filter_map(|p| text_at(doc, p))
                .map(Value::from),
        );
    }
    items.push(Value::from(block.join("\n")));
    event.native.push("Data", Value::List(items));
}
