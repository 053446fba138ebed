//! Microsoft 365 unified audit records and Entra ID (Azure AD) audit and sign-in
//! records, in the shapes they are exported in:
//!
//! * unified audit: the Management Activity API / Purview `AuditData` object
//!   (`CreationTime`, `Operation`, `Workload`), Sentinel's `OfficeActivity` table
//!   (`TimeGenerated`, `OfficeWorkload`) and pipelines that lower-case every key;
//! * Entra audit: Graph `directoryAudits` (`activityDateTime`), Azure Monitor
//!   diagnostic exports (`category: AuditLogs`, `properties`) and Sentinel's
//!   `AuditLogs` table (`Type: AuditLogs`, JSON columns stored as text);
//! * Entra sign-ins: Graph `signIns` (`createdDateTime`, `userPrincipalName`), Azure
//!   Monitor (`category: SignInLogs`) and Sentinel's `SigninLogs`.
//!
//! `CreationTime` has no zone and is UTC. Exchange writes `ClientIP` as `ip:port`.
//! Sentinel stores nested columns as JSON text; those are expanded before
//! flattening so `TargetResources.ModifiedProperties.DisplayName` matches either way.

use super::flatten::{embedded_json, first_text, flatten, get, outcome, parse_ip, text};
use super::{json_time, new_cloud_event};
use model::{Event, LogSource, Origin};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;

/// Whether `record` is a unified audit (M365) record.
pub fn is_m365(record: &Map<String, Json>) -> bool {
    let has = |k: &str| get(record, k).is_some();
    has("Operation")
        && (has("Workload") || has("OfficeWorkload") || has("RecordType"))
        && (has("CreationTime") || has("TimeGenerated"))
}

/// Which Entra ID log a record belongs to, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntraLog {
    /// Directory audit (`auditlogs`).
    Audit,
    /// Sign-ins, interactive or not (`signinlogs`).
    SignIn,
}

/// Recognises an Entra ID audit or sign-in record.
pub fn entra_log(record: &Map<String, Json>) -> Option<EntraLog> {
    let has = |k: &str| get(record, k).is_some();
    let table = first_text(record, &["Type", "category"]).unwrap_or_default();
    let table = table.to_ascii_lowercase();
    if table == "auditlogs" || (has("activityDateTime") && has("activityDisplayName")) {
        return Some(EntraLog::Audit);
    }
    if table.ends_with("signinlogs")
        || (has("createdDateTime")
            && has("userPrincipalName")
            && (has("appDisplayName") || has("appId")))
    {
        return Some(EntraLog::SignIn);
    }
    None
}

/// Expands members that a table export stored as JSON text; borrows the record
/// unchanged when there are none (the common case: API and Purview exports).
fn expand_embedded(record: &Map<String, Json>) -> Cow<'_, Map<String, Json>> {
    let embedded: Vec<(&String, Json)> = record
        .iter()
        .filter_map(|(key, value)| embedded_json(value).map(|parsed| (key, parsed)))
        .collect();
    if embedded.is_empty() {
        return Cow::Borrowed(record);
    }
    let mut expanded = record.clone();
    for (key, parsed) in embedded {
        expanded.insert(key.clone(), parsed);
    }
    Cow::Owned(expanded)
}

/// Maps a unified audit record; `org` decides which mail recipients are
/// external (see [`super::derive`]).
pub fn m365_event(
    record: &Map<String, Json>,
    origin: Origin,
    org: &super::derive::OrgFacts,
) -> Result<Event, &'static str> {
    let expanded = expand_embedded(record);
    let record = expanded.as_ref();
    let timestamp = ["CreationTime", "TimeGenerated"]
        .iter()
        .find_map(|k| get(record, k).and_then(json_time))
        .ok_or("bad CreationTime")?;
    let mut native = flatten(record);
    super::derive::add_mail_facts(record, &org.domains, &mut native);
    super::derive::add_vip_facts(record, &org.vips, &mut native);
    let logsource = LogSource::new(Some("m365"), None, Some("audit"));
    let mut event = new_cloud_event(timestamp, logsource, origin, native);
    // Mail forwarded outside: the recipient's domain is where the data goes, so
    // incidents and the playbook's destination question name it.
    let recipient_domain = match event.native.get_by_name("eg.external_recipient") {
        Some(model::ValueRef::Str(address)) => address
            .rsplit_once('@')
            .map(|(_, domain)| domain.to_ascii_lowercase()),
        _ => None,
    };
    if let Some(domain) = recipient_domain {
        event.network_mut().destination_domain = Some(domain);
    }
    event.dataset = Some("m365.audit".into());
    event.action = text(record, "Operation");
    event.outcome = text(record, "ResultStatus")
        .as_deref()
        .and_then(outcome)
        .map(str::to_owned);
    event.user_name = first_text(record, &["UserId", "MailboxOwnerUPN"]);
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("m365".into());
        cloud.account_id = first_text(record, &["OrganizationId", "TenantId"]);
        cloud.service =
            first_text(record, &["Workload", "OfficeWorkload"]).map(|w| w.to_ascii_lowercase());
    }
    let ip = first_text(
        record,
        &[
            "ClientIP",
            "ClientIPAddress",
            "ActorIpAddress",
            "Client_IPAddress",
        ],
    );
    if let Some(ip) = ip.as_deref().and_then(parse_ip) {
        event.network_mut().source_ip = Some(ip);
    }
    if let Some(agent) = text(record, "UserAgent") {
        event.http_mut().user_agent = Some(agent);
    }
    set_object(&mut event, record);
    Ok(event)
}

/// SharePoint/OneDrive records name the file by URL (`ObjectId`) and by name.
fn set_object(event: &mut Event, record: &Map<String, Json>) {
    let object = text(record, "ObjectId");
    if let Some(url) = object.as_deref().filter(|o| o.starts_with("http")) {
        event.http_mut().url_full = Some(url.to_owned());
    }
    let relative = text(record, "SourceRelativeUrl");
    let name = text(record, "SourceFileName");
    event.file_path = match (relative, name) {
        (Some(dir), Some(name)) => Some(format!("{}/{name}", dir.trim_end_matches('/'))),
        (None, Some(name)) => Some(name),
        _ => None,
    };
}

/// Maps an Entra ID audit or sign-in record.
pub fn entra_event(
    log: EntraLog,
    record: &Map<String, Json>,
    origin: Origin,
) -> Result<Event, &'static str> {
    let expanded = expand_embedded(record);
    let record = expanded.as_ref();
    // Azure Monitor exports put the Graph-shaped record under `properties`.
    let inner = get(record, "properties")
        .and_then(Json::as_object)
        .unwrap_or(record);
    let timestamp = [
        "activityDateTime",
        "createdDateTime",
        "TimeGenerated",
        "time",
    ]
    .iter()
    .find_map(|k| get(record, k).or_else(|| get(inner, k)).and_then(json_time))
    .ok_or("bad timestamp")?;
    let service = match log {
        EntraLog::Audit => "auditlogs",
        EntraLog::SignIn => "signinlogs",
    };
    let logsource = LogSource::new(Some("azure"), None, Some(service));
    let mut event = new_cloud_event(timestamp, logsource, origin, flatten(record));
    event.dataset = Some(format!("azure.{service}"));
    let lookup = |paths: &[&str]| first_text(inner, paths).or_else(|| first_text(record, paths));
    match log {
        EntraLog::Audit => {
            event.action = lookup(&["activityDisplayName", "OperationName", "operationName"]);
            event.user_name = lookup(&[
                "initiatedBy.user.userPrincipalName",
                "initiatedBy.app.displayName",
                "identity",
            ]);
            event.outcome = lookup(&["result", "resultType"])
                .as_deref()
                .and_then(outcome)
                .map(str::to_owned);
        }
        EntraLog::SignIn => {
            event.action = Some("sign-in".into());
            event.user_name = lookup(&["userPrincipalName", "identity"]);
            event.outcome = lookup(&["status.errorCode", "ResultType", "resultType"])
                .map(|code| if code == "0" { "success" } else { "failure" }.to_owned());
            if let Some(agent) = lookup(&["userAgent"]) {
                event.http_mut().user_agent = Some(agent);
            }
        }
    }
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("azure".into());
        cloud.account_id = lookup(&["tenantId", "AADTenantId"]);
        cloud.service = Some(service.into());
    }
    let ip = lookup(&[
        "initiatedBy.user.ipAddress",
        "ipAddress",
        "IPAddress",
        "callerIpAddress",
    ]);
    if let Some(ip) = ip.as_deref().and_then(parse_ip) {
        event.network_mut().source_ip = Some(ip);
    }
    Ok(event)
}

/// Whether `record` is a Microsoft Defender XDR advanced-hunting row (the
/// `Device*`, `Email*`, `Identity*` and `CloudAppEvents` tables, as exported from
/// the portal or Sentinel): `Timestamp` and `ActionType` beside a device, account,
/// mail or report key.
pub fn is_defender_hunting(record: &Map<String, Json>) -> bool {
    let has = |k: &str| record.contains_key(k);
    has("Timestamp")
        && has("ActionType")
        && [
            "DeviceId",
            "DeviceName",
            "ReportId",
            "AccountUpn",
            "AccountObjectId",
            "NetworkMessageId",
        ]
        .iter()
        .any(|k| has(k))
}

/// Maps a Defender advanced-hunting row. The event kind follows the row: process
/// creation, network connection, file activity, or a cloud event (mail, cloud
/// apps, directory queries); the native record keeps every column for rules.
pub fn defender_hunting_event(
    record: &Map<String, Json>,
    origin: Origin,
) -> Result<Event, &'static str> {
    let timestamp = record
        .get("Timestamp")
        .and_then(json_time)
        .ok_or("bad Timestamp")?;
    let table = text(record, "Type");
    let logsource = LogSource::new(Some("microsoft365defender"), None, table.as_deref());
    let mut event = new_cloud_event(timestamp, logsource, origin, flatten(record));
    event.dataset = Some("m365_defender.advanced_hunting".into());
    let action = text(record, "ActionType").unwrap_or_default();
    event.kind = defender_kind(&action, record);
    event.action = Some(action);
    event.host_name = text(record, "DeviceName");
    event.user_name = first_text(
        record,
        &[
            "AccountUpn",
            "AccountName",
            "InitiatingProcessAccountUpn",
            "InitiatingProcessAccountName",
            "SenderFromAddress",
        ],
    );
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("m365".into());
        cloud.service = Some("defender".into());
        cloud.account_id = text(record, "TenantId");
    }
    if let Some(command) = text(record, "ProcessCommandLine") {
        event.process_mut().command_line = Some(command);
    }
    if let (Some(folder), Some(name)) = (text(record, "FolderPath"), text(record, "FileName")) {
        let path = if folder.ends_with(&name) {
            folder
        } else {
            format!("{}\\{name}", folder.trim_end_matches('\\'))
        };
        event.file_path = Some(path);
    }
    event.file_size = unsigned(record, "FileSize");
    let remote = text(record, "RemoteIP").as_deref().and_then(parse_ip);
    let local = first_text(record, &["LocalIP", "IPAddress"])
        .as_deref()
        .and_then(parse_ip);
    if remote.is_some() || local.is_some() {
        let network = event.network_mut();
        network.source_ip = local;
        network.destination_ip = remote;
        network.destination_port =
            unsigned(record, "RemotePort").and_then(|p| u16::try_from(p).ok());
    }
    if let Some(url) = text(record, "RemoteUrl") {
        event.http_mut().url_full = Some(url);
    }
    Ok(event)
}

/// A whole number from a JSON number or from text (CSV exports).
fn unsigned(record: &Map<String, Json>, key: &str) -> Option<u64> {
    match get(record, key)? {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The event kind of a Defender row, from its action and columns.
fn defender_kind(action: &str, record: &Map<String, Json>) -> model::EventKind {
    use model::EventKind;
    if action == "ProcessCreated" {
        EventKind::ProcessStart
    } else if action.starts_with("Connection") || action == "InboundConnectionAccepted" {
        EventKind::Network
    } else if action.starts_with("File") && record.contains_key("DeviceId") {
        EventKind::File
    } else {
        EventKind::Cloud
    }
}
