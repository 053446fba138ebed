//! Cloud file-sharing audit events: Box (Events API, `admin_logs` and user
//! streams) and Dropbox Business (team log, `team_log/get_events`).
//!
//! Box: `created_at` (RFC 3339 with offset), `event_type` (`DOWNLOAD`, `PREVIEW`,
//! `UPLOAD`, `SHARE`, `COLLABORATION_INVITE`, ...), `created_by.login` /
//! `created_by.name`, `ip_address`, the item in `source` (`source.name`,
//! `source.parent.name` or `source.item_name` / `source.parent_name` in admin logs).
//!
//! Dropbox: `timestamp`, `event_type[".tag"]` (`file_download`,
//! `shared_content_download`, `file_add`, `sso_change_login_url`, ...),
//! `event_category[".tag"]`, the actor's `email` under `actor.user` (or
//! `actor.admin`), `origin.geo_location.ip_address`, and the files in `assets`
//! (`path.contextual`, `display_name`).
//!
//! Both map to ECS (`cloud.provider` `box` / `dropbox`, `event.action`,
//! `user.name` = the login, `source.ip`, `file.path`) so that the `saas`
//! analytic counts their downloads per user like OneDrive's and Drive's.

use super::flatten::{first_text, flatten, get, get_path, parse_ip, text};
use super::{json_time, new_cloud_event};
use model::{Event, LogSource, Origin};
use serde_json::{Map, Value as Json};

/// Whether `record` is a Box event (Events API shape).
pub fn is_box(record: &Map<String, Json>) -> bool {
    record.get("event_type").is_some_and(Json::is_string)
        && record.get("created_by").is_some_and(Json::is_object)
        && (record.contains_key("created_at") || record.contains_key("recorded_at"))
        && (record.contains_key("event_id")
            || record.get("type").and_then(Json::as_str) == Some("event"))
}

/// Maps a Box event.
pub fn box_event(record: &Map<String, Json>, origin: Origin) -> Result<Event, &'static str> {
    let timestamp = ["created_at", "recorded_at"]
        .iter()
        .find_map(|k| record.get(*k).and_then(json_time))
        .ok_or("bad created_at")?;
    let logsource = LogSource::new(Some("box"), None, Some("events"));
    let mut event = new_cloud_event(timestamp, logsource, origin, flatten(record));
    event.dataset = Some("box.events".into());
    event.action = text(record, "event_type");
    event.user_name = first_text(record, &["created_by.login", "created_by.name"]);
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("box".into());
        cloud.service = Some("box".into());
        cloud.account_id = text(record, "created_by.enterprise.id");
    }
    let name = first_text(record, &["source.name", "source.item_name"]);
    let folder = first_text(record, &["source.parent.name", "source.parent_name"]);
    event.file_path = match (folder, name) {
        (Some(folder), Some(name)) => Some(format!("{folder}/{name}")),
        (None, name) => name,
        (Some(folder), None) => Some(folder),
    };
    if let Some(ip) = text(record, "ip_address").as_deref().and_then(parse_ip) {
        event.network_mut().source_ip = Some(ip);
    }
    Ok(event)
}

/// Whether `record` is a Dropbox team log event.
pub fn is_dropbox(record: &Map<String, Json>) -> bool {
    record.contains_key("timestamp")
        && tag(record, "event_type").is_some()
        && record.contains_key("event_category")
}

/// Maps a Dropbox team log event.
pub fn dropbox_event(record: &Map<String, Json>, origin: Origin) -> Result<Event, &'static str> {
    let timestamp = record
        .get("timestamp")
        .and_then(json_time)
        .ok_or("bad timestamp")?;
    let logsource = LogSource::new(Some("dropbox"), None, Some("team_log"));
    let mut event = new_cloud_event(timestamp, logsource, origin, flatten(record));
    event.dataset = Some("dropbox.team_log".into());
    event.action = tag(record, "event_type");
    event.user_name = ["user", "admin", "app"]
        .iter()
        .filter_map(|role| get_path(record, &format!("actor.{role}")))
        .filter_map(Json::as_object)
        .find_map(|who| first_text(who, &["email", "display_name"]));
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("dropbox".into());
        cloud.service = tag(record, "event_category");
    }
    event.file_path = record
        .get("assets")
        .and_then(Json::as_array)
        .and_then(|assets| assets.iter().filter_map(Json::as_object).next())
        .and_then(|asset| first_text(asset, &["path.contextual", "display_name"]));
    let ip = first_text(
        record,
        &["origin.geo_location.ip_address", "origin.ip_address"],
    );
    if let Some(ip) = ip.as_deref().and_then(parse_ip) {
        event.network_mut().source_ip = Some(ip);
    }
    Ok(event)
}

/// Dropbox's tagged unions: `{".tag": "file_download", ...}`.
fn tag(record: &Map<String, Json>, member: &str) -> Option<String> {
    get(record, member)?
        .as_object()?
        .get(".tag")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn origin() -> Origin {
        Origin {
            file: Arc::from("t.json"),
            offset: 0,
        }
    }

    fn object(text: &str) -> Map<String, Json> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn box_download_maps_user_file_and_address() {
        let record = object(
            r#"{"type":"event","event_id":"e1","created_at":"2026-03-02T23:10:00-08:00","event_type":"DOWNLOAD","ip_address":"203.0.113.9","created_by":{"type":"user","id":"11","name":"Ann Lee","login":"ann@corp.example"},"source":{"type":"file","id":"9","name":"payroll.xlsx","parent":{"type":"folder","id":"3","name":"Finance"}}}"#,
        );
        assert!(is_box(&record));
        let event = box_event(&record, origin()).unwrap();
        assert_eq!(event.action.as_deref(), Some("DOWNLOAD"));
        assert_eq!(event.user_name.as_deref(), Some("ann@corp.example"));
        assert_eq!(event.file_path.as_deref(), Some("Finance/payroll.xlsx"));
        assert_eq!(
            event.cloud.as_ref().unwrap().provider.as_deref(),
            Some("box")
        );
        assert_eq!(
            event.network.as_ref().unwrap().source_ip,
            "203.0.113.9".parse().ok()
        );
        assert_eq!(
            event.timestamp,
            model::Timestamp::parse("2026-03-03T07:10:00Z").unwrap()
        );
    }

    #[test]
    fn dropbox_download_maps_tagged_unions() {
        let record = object(
            r#"{"timestamp":"2026-03-03T02:00:01Z","event_category":{".tag":"file_operations"},"actor":{".tag":"user","user":{".tag":"team_member","display_name":"Bo","email":"bo@corp.example"}},"origin":{"geo_location":{"ip_address":"198.51.100.4","country":"NL"}},"assets":[{".tag":"file","path":{"contextual":"/Legal/contract.pdf"},"display_name":"contract.pdf"}],"event_type":{".tag":"file_download","description":"Downloaded files and/or folders"},"details":{".tag":"file_download_details"}}"#,
        );
        assert!(is_dropbox(&record));
        assert!(!is_box(&record));
        let event = dropbox_event(&record, origin()).unwrap();
        assert_eq!(event.action.as_deref(), Some("file_download"));
        assert_eq!(event.user_name.as_deref(), Some("bo@corp.example"));
        assert_eq!(event.file_path.as_deref(), Some("/Legal/contract.pdf"));
        assert_eq!(
            event.cloud.as_ref().unwrap().service.as_deref(),
            Some("file_operations")
        );
        assert_eq!(
            event.network.as_ref().unwrap().source_ip,
            "198.51.100.4".parse().ok()
        );
    }

    #[test]
    fn other_json_is_neither() {
        let record = object(r#"{"timestamp":"2026-03-03T02:00:01Z","event_type":"x"}"#);
        assert!(!is_box(&record) && !is_dropbox(&record));
    }
}
