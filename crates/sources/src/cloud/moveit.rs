//! Progress MOVEit Transfer audit log, as the CSV the administrator exports from
//! the Logs page (or a query of the `log` table written out as CSV).
//!
//! Columns read (case-insensitive; others are kept in the native record):
//!
//! | column | meaning | ECS |
//! |---|---|---|
//! | `LogTime` | when (`YYYY-MM-DD HH:MM:SS`, zone-less: read as UTC) | `@timestamp` |
//! | `Action` | what (`file_download`, `file_upload`, `user_signon`, ...; words such as `Download` too) | `event.action` (normalised: `file_download`, `file_upload`, `user_signon`, else as written, lower-case) |
//! | `Username` | the account | `user.name` |
//! | `IPAddress` or `ClientIP` | the client | `source.ip` |
//! | `FolderPath`, `FileName` | the file | `file.path` |
//! | `XferSize`, `XFerSize` or `FileSize` | bytes moved | `file.size`; for downloads also the bytes that left (`destination.bytes`, what the `saas` analytic sums) |
//! | `Status` or `ResultID` | outcome | `event.outcome` |
//!
//! A download is data leaving the organisation through the transfer server, as an
//! SFTP `read` is; the `saas` analytic counts both per user.

use super::flatten::{first_text, flatten, outcome, parse_ip, text};
use super::new_cloud_event;
use super::tables::Table;
use crate::{Input, OpenError, Source};
use model::{Event, EventKind, LogSource, Origin, Timestamp};
use serde_json::{Map, Value as Json};

/// Opens a MOVEit Transfer audit CSV.
pub fn open(input: Input) -> Result<Box<dyn Source>, OpenError> {
    Ok(Table::open(input)?.into_source(moveit_event))
}

/// Maps one audit row.
pub fn moveit_event(row: &Map<String, Json>, origin: Origin) -> Result<Event, &'static str> {
    let timestamp = text(row, "LogTime")
        .as_deref()
        .and_then(Timestamp::parse)
        .ok_or("bad LogTime")?;
    let raw_action = text(row, "Action").ok_or("row without Action")?;
    let action = normalise_action(&raw_action);
    let logsource = LogSource::new(Some("moveit"), None, Some("audit"));
    let mut event = new_cloud_event(timestamp, logsource, origin, flatten(row));
    event.dataset = Some("moveit.audit".into());
    event.kind = match action.as_str() {
        "file_download" | "file_upload" => EventKind::File,
        "user_signon" => EventKind::Authentication,
        _ => EventKind::Cloud,
    };
    event.user_name = text(row, "Username");
    event.outcome = first_text(row, &["Status", "ResultID"])
        .as_deref()
        .and_then(outcome)
        .map(str::to_owned);
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("moveit".into());
        cloud.service = Some("transfer".into());
    }
    event.file_path = match (text(row, "FolderPath"), text(row, "FileName")) {
        (Some(folder), Some(name)) => Some(format!("{}/{name}", folder.trim_end_matches('/'))),
        (None, name) => name,
        (folder, None) => folder,
    };
    let size = first_text(row, &["XferSize", "XFerSize", "FileSize"])
        .and_then(|s| s.trim().parse::<u64>().ok());
    event.file_size = size;
    let client = first_text(row, &["IPAddress", "ClientIP"])
        .as_deref()
        .and_then(parse_ip);
    if client.is_some() || action == "file_download" {
        let network = event.network_mut();
        network.source_ip = client;
        if action == "file_download" {
            network.destination_bytes = size;
        }
    }
    event.action = Some(action);
    Ok(event)
}

/// `file_download`, `file_upload` or `user_signon` for the ways exports write
/// them; anything else lower-cased as written.
fn normalise_action(action: &str) -> String {
    let lower = action.trim().to_ascii_lowercase();
    let squashed: String = lower
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if squashed.contains("download") {
        "file_download".into()
    } else if squashed.contains("upload") {
        "file_upload".into()
    } else if squashed.contains("signon")
        || squashed.contains("login")
        || squashed.contains("signin")
    {
        "user_signon".into()
    } else {
        lower
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_normalise() {
        assert_eq!(normalise_action("file_download"), "file_download");
        assert_eq!(normalise_action("File Downloaded"), "file_download");
        assert_eq!(normalise_action("Upload"), "file_upload");
        assert_eq!(normalise_action("user_signon"), "user_signon");
        assert_eq!(normalise_action("Folder_Create"), "folder_create");
    }
}
