//! Cloud and SaaS audit log readers: AWS CloudTrail, VPC Flow Logs, S3 server
//! access logs and Route 53 Resolver query logs, Microsoft 365 unified audit (Management Activity API JSON and the
//! Purview CSV export), Entra ID audit and sign-in logs, GitHub audit logs (JSON,
//! JSON Lines and CSV), Okta System Log, Google Cloud audit logs, Google Workspace
//! activity records, Box events, Dropbox team log events, Microsoft Defender XDR
//! advanced-hunting rows (JSON and CSV), MOVEit Transfer audit exports (CSV) and
//! OpenSSH `sftp-server` transfer logs. JSON comes bare, as JSON Lines, as an array,
//! or in an API page (`{"Records":[...]}`, `{"value":[...]}`, `{"items":[...]}`,
//! `{"entries":[...]}`, `{"events":[...]}`).
//!
//! The crate's sniffer calls [`sniff`] with the first bytes of a (decompressed)
//! input, before its generic JSON reader, and on a match [`open`] to get the event
//! stream. Sniffing parses the first record and recognises it by the vendor's own
//! keys, so a generic JSON file is never taken for an audit log.
//!
//! Every record becomes an [`Event`] of kind [`EventKind::Cloud`] (VPC flows:
//! [`EventKind::Network`]; Route 53 Resolver queries: [`EventKind::Dns`]; SFTP: file and authentication events) with ECS fields set
//! (`cloud.*`, `event.action`, `event.outcome`, `user.name`, `source.ip`,
//! `user_agent.original`, `file.path`, `url.full`) and the vendor record flattened to
//! dotted keys in [`Event::native`], so Sigma rules for `product: aws`, `m365`,
//! `azure`, `github`, `okta` and `gcp` match on the names the vendors document.
//! Each event's origin is the file and the byte offset of its record (for
//! `{"Records":[...]}` files, the offset of the record's own opening brace).
//!
//! A record that cannot be read is returned as a [`RecordError`] with its offset and
//! a short reason, and reading goes on. Newest-first exports (GitHub, Management
//! Activity API pages, Purview CSV) are handed out oldest first, so the replay's
//! bounded reorder window holds.

mod aws;
mod derive;
mod flatten;
mod lake;
mod microsoft;
mod moveit;
mod order;
mod saas;
mod sftp;
mod split;
mod storage;
mod tables;
pub(crate) use tables::Table;
mod text;

use crate::{Input, OpenError, RecordError, Source, SourceContext};
use flatten::flatten as flatten_record;
use model::{Event, EventKind, LogSource, Native, Origin, Timestamp};
use serde_json::{Map, Value as Json};
use split::{JsonSplitter, Piece};
use std::io::BufRead;
use std::sync::Arc;

pub use split::MAX_RECORD_BYTES;

/// The cloud formats this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CloudFormat {
    /// AWS CloudTrail: `{"Records":[...]}` delivery files, JSON Lines or arrays of
    /// records, and EventBridge events with the record in `detail`.
    CloudTrail,
    /// Microsoft 365 unified audit log as JSON (Management Activity API, Purview
    /// `AuditData` objects, Sentinel `OfficeActivity` exports).
    M365Audit,
    /// Entra ID (Azure AD) directory audit log as JSON.
    EntraAudit,
    /// Entra ID (Azure AD) sign-in log as JSON.
    EntraSignIn,
    /// GitHub organisation or enterprise audit log as JSON or JSON Lines.
    GitHubAudit,
    /// Okta System Log as JSON.
    OktaSystemLog,
    /// Google Cloud audit log entries as JSON.
    GcpAudit,
    /// Google Workspace activity records (Admin SDK Reports API) as JSON.
    GoogleWorkspace,
    /// The Microsoft Purview audit search CSV export (an `AuditData` JSON column).
    PurviewCsv,
    /// The GitHub audit log CSV export.
    GitHubCsv,
    /// AWS VPC Flow Logs in their text form (default v2 or a custom field list).
    VpcFlowLog,
    /// AWS S3 server access logs.
    S3AccessLog,
    /// OpenSSH `sftp-server` / `internal-sftp` syslog lines (`-l INFO`).
    SftpServerLog,
    /// Box events (Events API JSON, bare or in an `{"entries":[...]}` page).
    BoxEvents,
    /// Dropbox Business team log events (`team_log/get_events` JSON).
    DropboxTeamLog,
    /// Microsoft Defender XDR advanced-hunting rows as JSON.
    DefenderHunting,
    /// Microsoft Defender XDR advanced-hunting rows as a CSV export.
    DefenderHuntingCsv,
    /// Progress MOVEit Transfer audit log as a CSV export.
    MoveItCsv,
    /// AWS CloudTrail Lake query results (`get-query-results` pages).
    CloudTrailLake,
    /// AWS Route 53 Resolver query logs (a VPC's DNS queries) as JSON.
    Route53Resolver,
}

impl CloudFormat {
    /// Every cloud format (for tests and fuzzing that must cover each reader).
    pub const ALL: [CloudFormat; 20] = [
        CloudFormat::CloudTrail,
        CloudFormat::M365Audit,
        CloudFormat::EntraAudit,
        CloudFormat::EntraSignIn,
        CloudFormat::GitHubAudit,
        CloudFormat::OktaSystemLog,
        CloudFormat::GcpAudit,
        CloudFormat::GoogleWorkspace,
        CloudFormat::PurviewCsv,
        CloudFormat::GitHubCsv,
        CloudFormat::VpcFlowLog,
        CloudFormat::S3AccessLog,
        CloudFormat::SftpServerLog,
        CloudFormat::BoxEvents,
        CloudFormat::DropboxTeamLog,
        CloudFormat::DefenderHunting,
        CloudFormat::DefenderHuntingCsv,
        CloudFormat::MoveItCsv,
        CloudFormat::CloudTrailLake,
        CloudFormat::Route53Resolver,
    ];

    /// Short name for summaries (`cloudtrail`, `m365-audit`...).
    pub fn name(self) -> &'static str {
        match self {
            CloudFormat::CloudTrail => "cloudtrail",
            CloudFormat::M365Audit => "m365-audit",
            CloudFormat::EntraAudit => "entra-audit",
            CloudFormat::EntraSignIn => "entra-signin",
            CloudFormat::GitHubAudit => "github-audit",
            CloudFormat::OktaSystemLog => "okta-system-log",
            CloudFormat::GcpAudit => "gcp-audit",
            CloudFormat::GoogleWorkspace => "google-workspace",
            CloudFormat::PurviewCsv => "m365-purview-csv",
            CloudFormat::GitHubCsv => "github-audit-csv",
            CloudFormat::VpcFlowLog => "aws-vpc-flow",
            CloudFormat::S3AccessLog => "aws-s3-access",
            CloudFormat::SftpServerLog => "sftp-server",
            CloudFormat::BoxEvents => "box-events",
            CloudFormat::DropboxTeamLog => "dropbox-team-log",
            CloudFormat::DefenderHunting => "m365-defender-hunting",
            CloudFormat::DefenderHuntingCsv => "m365-defender-hunting-csv",
            CloudFormat::MoveItCsv => "moveit-audit-csv",
            CloudFormat::CloudTrailLake => "cloudtrail-lake",
            CloudFormat::Route53Resolver => "aws-route53-resolver",
        }
    }

    /// Whether records of this format are JSON objects read by the JSON splitter.
    fn is_json(self) -> bool {
        matches!(
            self,
            CloudFormat::CloudTrail
                | CloudFormat::M365Audit
                | CloudFormat::EntraAudit
                | CloudFormat::EntraSignIn
                | CloudFormat::GitHubAudit
                | CloudFormat::OktaSystemLog
                | CloudFormat::GcpAudit
                | CloudFormat::GoogleWorkspace
                | CloudFormat::BoxEvents
                | CloudFormat::DropboxTeamLog
                | CloudFormat::DefenderHunting
                | CloudFormat::Route53Resolver
        )
    }
}

/// Recognises a cloud format from the first bytes of an input.
///
/// JSON inputs are recognised by their first complete record (the first one inside
/// `{"Records":[` or `[`), text inputs by their header or first lines. Returns `None`
/// for anything else, including JSON whose records belong to no audit log here.
pub fn sniff(head: &[u8]) -> Option<CloudFormat> {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF))?;
    match head[start] {
        b'{' | b'[' => sniff_json(head),
        _ => tables::sniff(head)
            .or_else(|| text::sniff(head))
            .or_else(|| sftp::sniff(head)),
    }
}

fn sniff_json(head: &[u8]) -> Option<CloudFormat> {
    if lake::sniff(head) {
        return Some(CloudFormat::CloudTrailLake);
    }
    let mut splitter = JsonSplitter::new(head);
    for _ in 0..4 {
        match splitter.next_piece()? {
            Piece::Record(_, bytes) => {
                let record: Map<String, Json> = serde_json::from_slice(bytes).ok()?;
                return classify(&record).map(Shape::format);
            }
            Piece::Bad(_, "truncated record") => break,
            Piece::Bad(..) => continue,
        }
    }
    // The head ended inside the first record: fall back to CloudTrail's own keys.
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    (has(b"\"eventVersion\"") && has(b"\"eventSource\"") && has(b"\"eventName\""))
        .then_some(CloudFormat::CloudTrail)
}

/// Opens a reader for a sniffed cloud format.
pub fn open(
    format: CloudFormat,
    input: Input,
    ctx: &SourceContext,
) -> Result<Box<dyn Source>, OpenError> {
    if format.is_json() {
        return Ok(order::oldest_first(Box::new(JsonRecords::new(input, ctx))));
    }
    match format {
        CloudFormat::PurviewCsv => tables::open_purview(input, ctx),
        CloudFormat::GitHubCsv => tables::open_github(input).map(order::oldest_first),
        CloudFormat::VpcFlowLog => Ok(text::open_vpc_flow(input, ctx)),
        CloudFormat::S3AccessLog => Ok(text::open_s3_access(input)),
        CloudFormat::SftpServerLog => Ok(sftp::open(input)),
        CloudFormat::DefenderHuntingCsv => {
            tables::open_defender_hunting(input).map(order::oldest_first)
        }
        CloudFormat::MoveItCsv => moveit::open(input).map(order::oldest_first),
        CloudFormat::CloudTrailLake => Ok(order::oldest_first(lake::open(
            input,
            derive::OrgFacts::from_config(&ctx.config),
        ))),
        _ => Err(OpenError::Invalid {
            path: input.path.to_string(),
            detail: format!("no reader for {}", format.name()),
        }),
    }
}

/// The record shapes of the JSON formats, recognised per record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    CloudTrail,
    EventBridge,
    M365,
    Entra(microsoft::EntraLog),
    GitHub,
    Okta,
    Gcp,
    GoogleWorkspace,
    Box,
    Dropbox,
    DefenderHunting,
    Route53Resolver,
}

impl Shape {
    fn format(self) -> CloudFormat {
        match self {
            Shape::CloudTrail | Shape::EventBridge => CloudFormat::CloudTrail,
            Shape::M365 => CloudFormat::M365Audit,
            Shape::Entra(microsoft::EntraLog::Audit) => CloudFormat::EntraAudit,
            Shape::Entra(microsoft::EntraLog::SignIn) => CloudFormat::EntraSignIn,
            Shape::GitHub => CloudFormat::GitHubAudit,
            Shape::Okta => CloudFormat::OktaSystemLog,
            Shape::Gcp => CloudFormat::GcpAudit,
            Shape::GoogleWorkspace => CloudFormat::GoogleWorkspace,
            Shape::Box => CloudFormat::BoxEvents,
            Shape::Dropbox => CloudFormat::DropboxTeamLog,
            Shape::DefenderHunting => CloudFormat::DefenderHunting,
            Shape::Route53Resolver => CloudFormat::Route53Resolver,
        }
    }
}

fn classify(record: &Map<String, Json>) -> Option<Shape> {
    if aws::is_cloudtrail(record) {
        Some(Shape::CloudTrail)
    } else if aws::is_eventbridge(record) {
        Some(Shape::EventBridge)
    } else if microsoft::is_m365(record) {
        Some(Shape::M365)
    } else if let Some(log) = microsoft::entra_log(record) {
        Some(Shape::Entra(log))
    } else if saas::is_github(record) {
        Some(Shape::GitHub)
    } else if saas::is_okta(record) {
        Some(Shape::Okta)
    } else if saas::is_gcp_audit(record) {
        Some(Shape::Gcp)
    } else if saas::is_google_workspace(record) {
        Some(Shape::GoogleWorkspace)
    } else if storage::is_box(record) {
        Some(Shape::Box)
    } else if storage::is_dropbox(record) {
        Some(Shape::Dropbox)
    } else if microsoft::is_defender_hunting(record) {
        Some(Shape::DefenderHunting)
    } else if aws::is_resolver_query(record) {
        Some(Shape::Route53Resolver)
    } else {
        None
    }
}

/// Maps one JSON audit record, recognising its shape on its own (exports mix them).
fn map_record(
    record: &Map<String, Json>,
    origin: Origin,
    org: &derive::OrgFacts,
) -> Result<Event, &'static str> {
    match classify(record) {
        Some(Shape::CloudTrail) => aws::cloudtrail_event(record, flatten_record(record), origin),
        Some(Shape::EventBridge) => aws::eventbridge_event(record, origin),
        Some(Shape::M365) => microsoft::m365_event(record, origin, org),
        Some(Shape::Entra(log)) => microsoft::entra_event(log, record, origin),
        Some(Shape::GitHub) => saas::github_event(record, origin),
        Some(Shape::Okta) => saas::okta_event(record, origin),
        Some(Shape::Gcp) => saas::gcp_event(record, origin),
        Some(Shape::GoogleWorkspace) => saas::google_workspace_event(record, origin),
        Some(Shape::Box) => storage::box_event(record, origin),
        Some(Shape::Dropbox) => storage::dropbox_event(record, origin),
        Some(Shape::DefenderHunting) => microsoft::defender_hunting_event(record, origin),
        Some(Shape::Route53Resolver) => aws::resolver_query_event(record, origin),
        None => generic_event(record, origin),
    }
}

/// A record of no known shape inside an audit export: kept with its native fields
/// when it has a recognisable time, so nothing the file holds is silently lost.
fn generic_event(record: &Map<String, Json>, origin: Origin) -> Result<Event, &'static str> {
    const TIME_KEYS: [&str; 6] = [
        "@timestamp",
        "timestamp",
        "time",
        "eventTime",
        "TimeGenerated",
        "published",
    ];
    let timestamp = TIME_KEYS
        .iter()
        .find_map(|k| flatten::get(record, k).and_then(json_time))
        .ok_or("unrecognised record")?;
    let mut event = new_cloud_event(
        timestamp,
        LogSource::default(),
        origin,
        flatten_record(record),
    );
    event.kind = EventKind::Other;
    event.cloud = None;
    Ok(event)
}

/// A timestamp from a JSON string (RFC 3339, zone-less = UTC, epoch digits) or
/// number (epoch seconds, or milliseconds when too large for seconds).
fn json_time(value: &Json) -> Option<Timestamp> {
    match value {
        Json::String(text) => Timestamp::parse(text),
        Json::Number(n) => {
            let v = n.as_f64()?;
            if v > 1.0e11 {
                Some(Timestamp::from_millis(v as i64))
            } else {
                Timestamp::from_secs_f64(v)
            }
        }
        _ => None,
    }
}

/// A cloud event with its time, logsource, origin and native record set.
fn new_cloud_event(
    timestamp: Timestamp,
    logsource: LogSource,
    origin: Origin,
    native: Native,
) -> Event {
    Event {
        timestamp,
        kind: EventKind::Cloud,
        logsource,
        origin: Some(origin),
        native,
        ..Event::default()
    }
}

/// The JSON audit reader: splits records, parses and maps each one.
struct JsonRecords {
    splitter: JsonSplitter<Box<dyn BufRead + Send>>,
    file: Arc<str>,
    /// The organisation's mail domains and VIP mailboxes (`[organisation]`).
    org: derive::OrgFacts,
}

impl JsonRecords {
    fn new(input: Input, ctx: &SourceContext) -> Self {
        JsonRecords {
            splitter: JsonSplitter::new(input.reader),
            file: input.path,
            org: derive::OrgFacts::from_config(&ctx.config),
        }
    }
}

impl Iterator for JsonRecords {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        let file = &self.file;
        Some(match self.splitter.next_piece()? {
            Piece::Bad(offset, reason) => Err(RecordError::new(file, offset, reason)),
            Piece::Record(offset, bytes) => {
                let origin = Origin {
                    file: file.clone(),
                    offset,
                };
                match serde_json::from_slice::<Map<String, Json>>(bytes) {
                    Ok(record) => map_record(&record, origin, &self.org),
                    Err(_) => Err("invalid json"),
                }
                .map_err(|reason| RecordError::new(file, offset, reason))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_time_shapes() {
        let t = Timestamp::parse("2021-05-18T02:31:58.553Z").unwrap();
        assert_eq!(json_time(&Json::from(1621305118553i64)), Some(t));
        assert_eq!(json_time(&Json::from("2021-05-18T02:31:58.553Z")), Some(t));
        assert_eq!(
            json_time(&Json::from(1621305118i64)),
            Some(Timestamp::from_secs(1621305118))
        );
        assert_eq!(json_time(&Json::Null), None);
    }

    #[test]
    fn generic_json_is_not_sniffed() {
        assert_eq!(
            sniff(br#"{"@timestamp":"2026-01-01T00:00:00Z","message":"x"}"#),
            None
        );
        assert_eq!(sniff(br#"{"action":"x"}"#), None);
        assert_eq!(sniff(b"hello world\n"), None);
    }
}
