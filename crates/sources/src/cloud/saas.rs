//! SaaS audit records: GitHub organisation/enterprise audit log, Okta System Log,
//! Google Cloud audit logs and Google Workspace activity records (Reports API).
//!
//! GitHub writes `@timestamp` and `created_at` in epoch milliseconds in the API and
//! streaming shapes and as ISO 8601 text in some exports; `created_at` is sometimes
//! absent, so either is used. The actor is `actor`, the organisation `org` (or
//! `business` for enterprise events), the source address `actor_ip` when present.

use super::flatten::{first_text, flatten, get, get_path, outcome, parse_ip, text};
use super::{json_time, new_cloud_event};
use model::{Event, LogSource, Origin, Value};
use serde_json::{Map, Value as Json};

/// Whether `record` is a GitHub audit-log event.
pub fn is_github(record: &Map<String, Json>) -> bool {
    let has = |k: &str| record.contains_key(k);
    record.get("action").is_some_and(Json::is_string)
        && record
            .get("actor")
            .is_some_and(|a| a.is_string() || a.is_null())
        && [
            "@timestamp",
            "created_at",
            "_document_id",
            "org",
            "business",
            "actor_id",
        ]
        .iter()
        .any(|k| has(k))
}

/// Maps a GitHub audit-log event.
pub fn github_event(record: &Map<String, Json>, origin: Origin) -> Result<Event, &'static str> {
    let timestamp = ["@timestamp", "created_at", "timestamp"]
        .iter()
        .find_map(|k| record.get(*k).and_then(json_time))
        .ok_or("no @timestamp or created_at")?;
    let logsource = LogSource::new(Some("github"), None, Some("audit"));
    let mut event = new_cloud_event(timestamp, logsource, origin, flatten(record));
    event.dataset = Some("github.audit".into());
    let action = text(record, "action");
    event.user_name = text(record, "actor");
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("github".into());
        cloud.account_id = first_text(record, &["org", "business"]);
        cloud.service = action
            .as_deref()
            .and_then(|a| a.split('.').next())
            .map(str::to_owned);
    }
    event.action = action;
    if let Some(ip) = text(record, "actor_ip").as_deref().and_then(parse_ip) {
        event.network_mut().source_ip = Some(ip);
    }
    if let Some(agent) = text(record, "user_agent") {
        event.http_mut().user_agent = Some(agent);
    }
    Ok(event)
}

/// Whether `record` is an Okta System Log event.
pub fn is_okta(record: &Map<String, Json>) -> bool {
    record.contains_key("eventType")
        && record.contains_key("published")
        && record.get("actor").is_some_and(Json::is_object)
}

/// Maps an Okta System Log event.
pub fn okta_event(record: &Map<String, Json>, origin: Origin) -> Result<Event, &'static str> {
    let timestamp = get(record, "published")
        .and_then(json_time)
        .ok_or("bad published")?;
    let logsource = LogSource::new(Some("okta"), None, Some("okta"));
    let mut event = new_cloud_event(timestamp, logsource, origin, flatten(record));
    event.dataset = Some("okta.system".into());
    event.action = text(record, "eventType");
    event.user_name = text(record, "actor.alternateId");
    event.outcome = text(record, "outcome.result")
        .as_deref()
        .and_then(outcome)
        .map(str::to_owned);
    event.message = text(record, "displayMessage");
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("okta".into());
        cloud.service = Some("okta".into());
    }
    if let Some(ip) = text(record, "client.ipAddress")
        .as_deref()
        .and_then(parse_ip)
    {
        event.network_mut().source_ip = Some(ip);
    }
    if let Some(agent) = text(record, "client.userAgent.rawUserAgent") {
        event.http_mut().user_agent = Some(agent);
    }
    Ok(event)
}

/// Whether `record` is a Google Cloud audit log entry.
pub fn is_gcp_audit(record: &Map<String, Json>) -> bool {
    get_path(record, "protoPayload.methodName").is_some()
        || text(record, "logName").is_some_and(|l| l.contains("cloudaudit.googleapis.com"))
}

/// Maps a Google Cloud audit log entry; the method name is also kept as
/// `gcp.audit.method_name`, the name SigmaHQ's `gcp.audit` rules use.
pub fn gcp_event(record: &Map<String, Json>, origin: Origin) -> Result<Event, &'static str> {
    let timestamp = ["timestamp", "receiveTimestamp"]
        .iter()
        .find_map(|k| get(record, k).and_then(json_time))
        .ok_or("bad timestamp")?;
    let logsource = LogSource::new(Some("gcp"), None, Some("gcp.audit"));
    let mut native = flatten(record);
    let method = text(record, "protoPayload.methodName");
    if let Some(method) = &method {
        native.push("gcp.audit.method_name", Value::from(method.as_str()));
    }
    let mut event = new_cloud_event(timestamp, logsource, origin, native);
    event.dataset = Some("gcp.audit".into());
    event.action = method;
    event.user_name = text(record, "protoPayload.authenticationInfo.principalEmail");
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("gcp".into());
        cloud.account_id = text(record, "resource.labels.project_id");
        cloud.service = text(record, "protoPayload.serviceName");
    }
    let ip = text(record, "protoPayload.requestMetadata.callerIp");
    if let Some(ip) = ip.as_deref().and_then(parse_ip) {
        event.network_mut().source_ip = Some(ip);
    }
    if let Some(resource) = text(record, "protoPayload.resourceName") {
        event.file_path = Some(resource);
    }
    Ok(event)
}

/// Whether `record` is a Google Workspace activity (Admin SDK Reports API).
pub fn is_google_workspace(record: &Map<String, Json>) -> bool {
    get_path(record, "id.applicationName").is_some()
        && get_path(record, "id.time").is_some()
        && record.get("events").is_some_and(Json::is_array)
}

/// Maps a Google Workspace activity. The action is the first event's `name`
/// (`download`, `change_user_access`, `email_forwarding_out_of_domain`...), the file
/// its `doc_title` parameter; the logsource service is `google_workspace.<application>`.
pub fn google_workspace_event(
    record: &Map<String, Json>,
    origin: Origin,
) -> Result<Event, &'static str> {
    let timestamp = get_path(record, "id.time")
        .and_then(json_time)
        .ok_or("bad id.time")?;
    let application = text(record, "id.applicationName").unwrap_or_default();
    let service = format!("google_workspace.{application}");
    let logsource = LogSource::new(Some("google_workspace"), None, Some(&service));
    let mut event = new_cloud_event(timestamp, logsource, origin, flatten(record));
    event.dataset = Some(service);
    let first = record
        .get("events")
        .and_then(Json::as_array)
        .and_then(|events| events.first())
        .and_then(Json::as_object);
    event.action = first.and_then(|e| text(e, "name"));
    event.file_path = first.and_then(|e| parameter(e, "doc_title"));
    event.user_name = text(record, "actor.email");
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("google_workspace".into());
        cloud.account_id = text(record, "id.customerId");
        cloud.service = Some(application);
    }
    if let Some(ip) = text(record, "ipAddress").as_deref().and_then(parse_ip) {
        event.network_mut().source_ip = Some(ip);
    }
    Ok(event)
}

/// The `value` of the parameter called `name` of a Reports API event.
fn parameter(event: &Map<String, Json>, name: &str) -> Option<String> {
    event
        .get("parameters")?
        .as_array()?
        .iter()
        .filter_map(Json::as_object)
        .find(|p| p.get("name").and_then(Json::as_str) == Some(name))
        .and_then(|p| text(p, "value"))
}
