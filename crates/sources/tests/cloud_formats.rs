//! Each cloud format read end to end from a small hand-written sample in the
//! vendor's documented shape: sniffed, mapped to ECS fields, native names kept,
//! origins pointing at the record, bad records reported with their offset.

use model::{Event, EventKind, LogSource, Value};
use sources::cloud::{CloudFormat, open, sniff};
use sources::{Input, RecordError, SourceContext};
use std::io::Cursor;
use std::net::IpAddr;

fn read(text: &str) -> (CloudFormat, Vec<Event>, Vec<RecordError>) {
    let bytes = text.as_bytes();
    let format = sniff(&bytes[..bytes.len().min(64 * 1024)]).expect("sniffed");
    let input = Input {
        path: "sample".into(),
        reader: Box::new(Cursor::new(bytes.to_vec())),
    };
    let source = open(format, input, &SourceContext::default()).expect("opened");
    let (mut events, mut errors) = (Vec::new(), Vec::new());
    for item in source {
        match item {
            Ok(event) => events.push(event),
            Err(error) => errors.push(error),
        }
    }
    (format, events, errors)
}

fn native(event: &Event, name: &str) -> Option<Value> {
    event.native.get_by_name(name).map(|v| v.to_owned_value())
}

fn ip(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

const TRAIL: &str = r#"{"Records": [
  {"eventVersion": "1.08", "eventTime": "2020-09-14T01:58:12Z", "eventSource": "s3.amazonaws.com",
   "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
   "userAgent": "aws-cli/1.18", "recipientAccountId": "123456789012",
   "userIdentity": {"type": "AssumedRole", "principalId": "AROA:i-0abc",
     "arn": "arn:aws:sts::123456789012:assumed-role/cloud-breach-role/i-0abc",
     "accountId": "123456789012",
     "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "cloud-breach-role"}}},
   "requestParameters": {"bucketName": "cardholder-data", "key": "cards.csv"}},
  {"eventVersion": "1.08", "eventTime": "2020-09-14T01:57:00Z", "eventSource": "sts.amazonaws.com",
   "eventName": "AssumeRole", "awsRegion": "us-east-1", "sourceIPAddress": "ec2.amazonaws.com",
   "errorCode": "AccessDenied",
   "userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}}
]}"#;

#[test]
fn cloudtrail_records_file() {
    let (format, events, errors) = read(TRAIL);
    assert_eq!(format, CloudFormat::CloudTrail);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 2);
    let get = &events[0];
    assert_eq!(get.kind, EventKind::Cloud);
    assert_eq!(
        get.logsource,
        LogSource::new(Some("aws"), None, Some("cloudtrail"))
    );
    assert_eq!(
        get.origin.as_ref().unwrap().offset as usize,
        TRAIL.find("{\"eventVersion").unwrap()
    );
    assert_eq!(get.action.as_deref(), Some("GetObject"));
    assert_eq!(get.outcome.as_deref(), Some("success"));
    assert_eq!(get.user_name.as_deref(), Some("cloud-breach-role/i-0abc"));
    assert_eq!(get.network.as_ref().unwrap().source_ip, ip("203.0.113.7"));
    assert_eq!(
        get.http.as_ref().unwrap().user_agent.as_deref(),
        Some("aws-cli/1.18")
    );
    assert_eq!(
        get.http.as_ref().unwrap().url_full.as_deref(),
        Some("s3://cardholder-data/cards.csv")
    );
    assert_eq!(get.file_path.as_deref(), Some("cards.csv"));
    let cloud = get.cloud.as_ref().unwrap();
    assert_eq!(cloud.provider.as_deref(), Some("aws"));
    assert_eq!(cloud.account_id.as_deref(), Some("123456789012"));
    assert_eq!(cloud.region.as_deref(), Some("us-east-1"));
    assert_eq!(cloud.service.as_deref(), Some("s3"));
    assert_eq!(
        native(get, "requestParameters.bucketName"),
        Some(Value::from("cardholder-data"))
    );
    assert_eq!(
        native(get, "eventSource"),
        Some(Value::from("s3.amazonaws.com"))
    );

    let assume = &events[1];
    assert_eq!(
        assume.origin.as_ref().unwrap().offset as usize,
        TRAIL.rfind("{\"eventVersion").unwrap()
    );
    assert_eq!(assume.outcome.as_deref(), Some("failure"));
    assert_eq!(assume.user_name.as_deref(), Some("ec2.amazonaws.com"));
    assert!(assume.network.is_none(), "a service name is not an address");
    assert_eq!(
        native(assume, "sourceIPAddress"),
        Some(Value::from("ec2.amazonaws.com"))
    );
}

#[test]
fn cloudtrail_lines_and_eventbridge() {
    let text = concat!(
        r#"{"eventVersion":"1.08","eventTime":"2023-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateTrafficMirrorSession","awsRegion":"eu-west-1","userIdentity":{"type":"IAMUser","userName":"mallory"}}"#,
        "\n",
        r#"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.rds","detail":{"eventVersion":"1.08","eventTime":"2023-01-01T00:01:00Z","eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","awsRegion":"eu-west-1","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"},"requestParameters":{"masterUserPassword":"****"}}}"#,
        "\n"
    );
    let (format, events, errors) = read(text);
    assert_eq!(format, CloudFormat::CloudTrail);
    assert!(errors.is_empty());
    assert_eq!(events[0].user_name.as_deref(), Some("mallory"));
    assert_eq!(events[1].action.as_deref(), Some("ModifyDBInstance"));
    assert_eq!(events[1].user_name.as_deref(), Some("root"));
    assert_eq!(
        native(&events[1], "requestParameters.masterUserPassword"),
        Some(Value::from("****"))
    );
    assert_eq!(
        native(&events[1], "detail-type"),
        Some(Value::from("AWS API Call via CloudTrail"))
    );
    assert_eq!(
        events[1].origin.as_ref().unwrap().offset as usize,
        text.find("{\"version").unwrap()
    );
}

#[test]
fn m365_management_api_array() {
    let text = r#"[
 {"CreationTime": "2024-03-01T22:19:00", "Id": "a", "Operation": "Set-Mailbox", "OrganizationId": "org-1",
  "RecordType": 1, "ResultStatus": "True", "UserId": "homer@corp.example", "Workload": "Exchange",
  "ClientIP": "198.51.100.4:51234",
  "Parameters": [{"Name": "Identity", "Value": "homer"}, {"Name": "ForwardingSmtpAddress", "Value": "smtp:h@mail.example"}]},
 {"CreationTime": "2024-03-01T22:20:00", "Id": "b", "Operation": "FileDownloaded", "OrganizationId": "org-1",
  "RecordType": 6, "UserId": "homer@corp.example", "Workload": "SharePoint", "ClientIP": "2001:db8::5",
  "ObjectId": "https://corp.sharepoint.com/sites/x/Shared Documents/plan.docx",
  "SourceRelativeUrl": "Shared Documents", "SourceFileName": "plan.docx", "UserAgent": "OneDriveMpc"}
]"#;
    let (format, events, errors) = read(text);
    assert_eq!(format, CloudFormat::M365Audit);
    assert!(errors.is_empty());
    let forward = &events[0];
    assert_eq!(
        forward.logsource,
        LogSource::new(Some("m365"), None, Some("audit"))
    );
    assert_eq!(
        forward.timestamp,
        model::Timestamp::parse("2024-03-01T22:19:00Z").unwrap()
    );
    assert_eq!(forward.action.as_deref(), Some("Set-Mailbox"));
    assert_eq!(forward.outcome.as_deref(), Some("success"));
    assert_eq!(forward.user_name.as_deref(), Some("homer@corp.example"));
    assert_eq!(
        forward.network.as_ref().unwrap().source_ip,
        ip("198.51.100.4")
    );
    assert_eq!(
        forward.cloud.as_ref().unwrap().service.as_deref(),
        Some("exchange")
    );
    assert_eq!(
        native(forward, "Parameters.ForwardingSmtpAddress"),
        Some(Value::from("smtp:h@mail.example"))
    );
    let download = &events[1];
    assert_eq!(
        download.network.as_ref().unwrap().source_ip,
        ip("2001:db8::5")
    );
    assert_eq!(
        download.file_path.as_deref(),
        Some("Shared Documents/plan.docx")
    );
    assert!(
        download
            .http
            .as_ref()
            .unwrap()
            .url_full
            .as_deref()
            .unwrap()
            .ends_with("plan.docx")
    );
    assert_eq!(
        download.origin.as_ref().unwrap().offset as usize,
        text.rfind("{\"CreationTime").unwrap()
    );
}

fn purview_row(time: &str, operation: &str) -> String {
    let audit = format!(
        r#"{{"CreationTime":"{time}","Operation":"{operation}","Workload":"Exchange","UserId":"a@corp.example","RecordType":1,"Parameters":[{{"Name":"RedirectTo","Value":"x@mail.example"}}]}}"#
    );
    audit.replace('"', "\"\"")
}

#[test]
fn purview_csv_both_headers_crlf_newest_first() {
    let old_header = format!(
        "\u{feff}CreationDate,UserIds,Operations,AuditData\r\n2024-03-02T10:00:00.0000000Z,a@corp.example,New-InboxRule,\"{}\"\r\n2024-03-01T10:00:00.0000000Z,a@corp.example,Set-Mailbox,\"{}\"\r\n",
        purview_row("2024-03-02T10:00:00", "New-InboxRule"),
        purview_row("2024-03-01T10:00:00", "Set-Mailbox"),
    );
    let new_header = format!(
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\r\nr2,2024-03-02T10:00:00,1,New-InboxRule,a@corp.example,\"{}\",,\r\nr1,2024-03-01T10:00:00,1,Set-Mailbox,a@corp.example,not json,,\r\n",
        purview_row("2024-03-02T10:00:00", "New-InboxRule"),
    );
    let (format, events, errors) = read(&old_header);
    assert_eq!(format, CloudFormat::PurviewCsv);
    assert!(errors.is_empty(), "{errors:?}");
    let actions: Vec<_> = events
        .iter()
        .map(|e| e.action.as_deref().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["Set-Mailbox", "New-InboxRule"],
        "sorted oldest first"
    );
    assert_eq!(
        native(&events[1], "Parameters.RedirectTo"),
        Some(Value::from("x@mail.example"))
    );
    let second_row = old_header.find("2024-03-01T10:00:00.0000000Z").unwrap();
    assert_eq!(
        events[0].origin.as_ref().unwrap().offset as usize,
        second_row
    );

    let (format, events, errors) = read(&new_header);
    assert_eq!(format, CloudFormat::PurviewCsv);
    assert_eq!(events.len(), 1);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason, "invalid AuditData json");
    assert_eq!(errors[0].offset as usize, new_header.find("r1,").unwrap());
}

#[test]
fn entra_audit_signin_and_sentinel_shapes() {
    let graph_audit = r#"{"id":"x","category":"ApplicationManagement","activityDateTime":"2024-01-01T10:00:00Z","activityDisplayName":"Consent to application","result":"success","loggedByService":"Core Directory","initiatedBy":{"user":{"userPrincipalName":"eve@corp.example","ipAddress":"192.0.2.9"}},"targetResources":[{"displayName":"MailSync","modifiedProperties":[{"displayName":"ConsentAction.Permissions","newValue":"Mail.Read Files.Read.All"}]}]}"#;
    let (format, events, errors) = read(graph_audit);
    assert_eq!(format, CloudFormat::EntraAudit);
    assert!(errors.is_empty());
    let event = &events[0];
    assert_eq!(
        event.logsource,
        LogSource::new(Some("azure"), None, Some("auditlogs"))
    );
    assert_eq!(event.action.as_deref(), Some("Consent to application"));
    assert_eq!(event.user_name.as_deref(), Some("eve@corp.example"));
    assert_eq!(event.network.as_ref().unwrap().source_ip, ip("192.0.2.9"));
    assert_eq!(
        native(event, "targetResources.modifiedProperties.newValue"),
        Some(Value::List(vec![Value::from("Mail.Read Files.Read.All")]))
    );

    let sentinel = r#"{"TimeGenerated":"2021-08-02T13:29:25.983Z","OperationName":"Add delegated permission grant","Category":"ApplicationManagement","Result":"success","Type":"AuditLogs","LoggedByService":"Core Directory","InitiatedBy":"{\"user\":{\"userPrincipalName\":\"pg@corp.example\"}}","TargetResources":"[{\"displayName\":\"App\",\"modifiedProperties\":[{\"displayName\":\"DelegatedPermissionGrant.Scope\",\"newValue\":\"Mail.ReadWrite\"}]}]"}"#;
    let (format, events, _) = read(sentinel);
    assert_eq!(format, CloudFormat::EntraAudit);
    assert_eq!(events[0].user_name.as_deref(), Some("pg@corp.example"));
    assert_eq!(
        native(&events[0], "TargetResources.modifiedProperties.displayName"),
        Some(Value::List(vec![Value::from(
            "DelegatedPermissionGrant.Scope"
        )]))
    );

    let signin = r#"{"createdDateTime":"2024-01-01T10:00:00Z","userPrincipalName":"eve@corp.example","appDisplayName":"Office 365 Exchange Online","ipAddress":"192.0.2.9","status":{"errorCode":50126}}"#;
    let (format, events, _) = read(signin);
    assert_eq!(format, CloudFormat::EntraSignIn);
    assert_eq!(
        events[0].logsource,
        LogSource::new(Some("azure"), None, Some("signinlogs"))
    );
    assert_eq!(events[0].outcome.as_deref(), Some("failure"));
}

#[test]
fn github_json_lines_and_csv() {
    let text = concat!(
        r#"{"@timestamp":1700000000000,"action":"repo.access","actor":"octo","actor_ip":"203.0.113.5","org":"acme","repo":"acme/secret","visibility":"public","_document_id":"d1"}"#,
        "\n",
        r#"{"created_at":"2023-11-14T22:13:20Z","action":"git.clone","actor":"ci-bot","org":"acme","repo":"acme/app"}"#,
        "\n",
        r#"{"action":"org.invite_member","actor":"octo","org":"acme","_document_id":"d3"}"#,
        "\n"
    );
    let (format, events, errors) = read(text);
    assert_eq!(format, CloudFormat::GitHubAudit);
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].timestamp,
        model::Timestamp::from_millis(1_700_000_000_000)
    );
    assert_eq!(events[0].timestamp, events[1].timestamp);
    assert_eq!(
        events[0].logsource,
        LogSource::new(Some("github"), None, Some("audit"))
    );
    assert_eq!(events[0].user_name.as_deref(), Some("octo"));
    assert_eq!(
        events[0].network.as_ref().unwrap().source_ip,
        ip("203.0.113.5")
    );
    assert_eq!(
        events[0].cloud.as_ref().unwrap().account_id.as_deref(),
        Some("acme")
    );
    assert_eq!(
        events[1].cloud.as_ref().unwrap().service.as_deref(),
        Some("git")
    );
    assert_eq!(errors.len(), 1, "a record without any time is reported");
    assert_eq!(
        errors[0].offset as usize,
        text.find("{\"action\":\"org").unwrap()
    );

    let csv =
        "@timestamp,action,actor,org,repo\n1700000000000,repo.transfer,octo,acme,acme/secret\n";
    let (format, events, errors) = read(csv);
    assert_eq!(format, CloudFormat::GitHubCsv);
    assert!(errors.is_empty());
    assert_eq!(events[0].action.as_deref(), Some("repo.transfer"));
    assert_eq!(
        events[0].timestamp,
        model::Timestamp::from_millis(1_700_000_000_000)
    );
    assert_eq!(
        events[0].origin.as_ref().unwrap().offset as usize,
        csv.find("1700").unwrap()
    );
}

#[test]
fn vpc_flow_text_with_and_without_header() {
    let with_header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
2 123456789012 eni-1 172.31.77.31 198.51.100.245 38316 22 6 19 1048576 1604271600 1604271660 ACCEPT OK\n\
2 123456789012 eni-1 - - - - - - - 1604271600 1604271660 - NODATA\n\
2 123456789012 eni-1 198.51.100.245 172.31.77.31 48316 22 6 19 7119 1604266544 1604266560 REJECT OK\n\
2 123456789012 eni-1 172.31.77.31\n";
    let (format, events, errors) = read(with_header);
    assert_eq!(format, CloudFormat::VpcFlowLog);
    assert_eq!(events.len(), 2, "NODATA carries no flow");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason, "wrong field count");
    let out = &events[0];
    assert_eq!(out.kind, EventKind::Network);
    let net = out.network.as_ref().unwrap();
    assert_eq!(net.source_ip, ip("172.31.77.31"));
    assert_eq!(net.destination_port, Some(22));
    assert_eq!(net.source_bytes, Some(1_048_576));
    assert_eq!(net.transport.as_deref(), Some("tcp"));
    assert_eq!(net.direction.as_deref(), Some("outbound"));
    assert_eq!(net.duration_s, Some(60.0));
    assert_eq!(out.timestamp, model::Timestamp::from_secs(1_604_271_600));
    assert_eq!(
        events[1].network.as_ref().unwrap().direction.as_deref(),
        Some("inbound")
    );
    assert_eq!(events[1].action.as_deref(), Some("reject"));

    let bare =
        "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 17 1 60 1604271600 1604271601 ACCEPT OK\n";
    let (format, events, _) = read(bare);
    assert_eq!(format, CloudFormat::VpcFlowLog);
    assert_eq!(
        events[0].network.as_ref().unwrap().direction.as_deref(),
        Some("internal")
    );
}

#[test]
fn s3_server_access_log() {
    let line = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be acme-data [01/Nov/2020:10:43:07 +0000] 203.0.113.31 arn:aws:iam::493859302102:user/tracy DD6CC733AEXAMPLE REST.GET.OBJECT id-01.pdf \"GET /id-01.pdf HTTP/1.1\" 200 - 4406583 4406583 28 20 \"-\" \"S3Console/0.4\" - hostid SigV4 ECDHE-RSA-AES128-SHA AuthHeader acme-data.s3.amazonaws.com TLSv1.2\n";
    let (format, events, errors) = read(line);
    assert_eq!(format, CloudFormat::S3AccessLog);
    assert!(errors.is_empty());
    let event = &events[0];
    assert_eq!(event.action.as_deref(), Some("REST.GET.OBJECT"));
    assert_eq!(event.user_name.as_deref(), Some("tracy"));
    assert_eq!(event.file_path.as_deref(), Some("id-01.pdf"));
    assert_eq!(
        event.network.as_ref().unwrap().destination_bytes,
        Some(4_406_583)
    );
    assert_eq!(event.http.as_ref().unwrap().status_code, Some(200));
    assert_eq!(
        event.timestamp,
        model::Timestamp::parse("2020-11-01T10:43:07Z").unwrap()
    );
}

#[test]
fn sftp_server_ties_files_to_users_by_pid() {
    let log = "\
2026-11-20T02:10:00Z files sshd[900]: Accepted publickey for alice from 203.0.113.50 port 51000 ssh2\n\
2026-11-20T02:10:01Z files sftp-server[901]: session opened for local user alice from [203.0.113.50]\n\
2026-11-20T02:10:02Z files sftp-server[901]: open \"/srv/data/payroll.xlsx\" flags READ mode 0666\n\
2026-11-20T02:10:03Z files sftp-server[777]: close \"/srv/x\" bytes read 10 written 0\n\
2026-11-20T02:10:04Z files sftp-server[901]: close \"/srv/data/payroll.xlsx\" bytes read 5242880 written 0\n\
2026-11-20T02:10:05Z files sftp-server[901]: session closed for local user alice from [203.0.113.50]\n\
this is not syslog\n";
    let (format, events, errors) = read(log);
    assert_eq!(format, CloudFormat::SftpServerLog);
    assert_eq!(events.len(), 5, "the sshd line is not an sftp event");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].offset as usize, log.find("this is not").unwrap());
    let close = events
        .iter()
        .find(|e| {
            e.file_path.as_deref() == Some("/srv/data/payroll.xlsx")
                && e.action.as_deref() == Some("sftp-close")
        })
        .unwrap();
    assert_eq!(close.user_name.as_deref(), Some("alice"));
    assert_eq!(
        close.network.as_ref().unwrap().destination_bytes,
        Some(5_242_880)
    );
    assert_eq!(
        close.network.as_ref().unwrap().source_ip,
        ip("203.0.113.50")
    );
    assert_eq!(close.host_name.as_deref(), Some("files"));
    let orphan = events
        .iter()
        .find(|e| e.file_path.as_deref() == Some("/srv/x"))
        .unwrap();
    assert_eq!(orphan.user_name, None, "no session seen for pid 777");
    assert_eq!(events[0].kind, EventKind::Authentication);
}

#[test]
fn malformed_json_records_are_reported_and_skipped() {
    let text = concat!(
        r#"{"action":"repo.create","actor":"a","@timestamp":1700000000000}"#,
        "\n",
        r#"{"action":"repo.create","actor":"a","@timestamp":"#,
        "\n",
        "not json at all\n",
        r#"{"action":"repo.destroy","actor":"a","@timestamp":1700000000001}"#,
        "\n"
    );
    let (_, events, errors) = read(text);
    assert_eq!(events.len(), 2);
    let reasons: Vec<_> = errors
        .iter()
        .map(|e| (e.offset, e.reason.as_str()))
        .collect();
    let second = text.find("\n{").unwrap() as u64 + 1;
    assert_eq!(reasons[0], (second, "truncated record"));
    assert_eq!(reasons[1].1, "not a json object");
    assert_eq!(&*errors[0].file, "sample");
}

#[test]
fn google_workspace_drive_activity() {
    let text = r#"[{"kind":"admin#reports#activity","id":{"time":"2026-01-05T02:00:00.000Z","uniqueQualifier":"-1","applicationName":"drive","customerId":"C03az79cb"},"actor":{"callerType":"USER","email":"liz@corp.example"},"ipAddress":"203.0.113.5","events":[{"type":"access","name":"download","parameters":[{"name":"doc_title","value":"Q4 board deck"},{"name":"doc_type","value":"presentation"},{"name":"primary_event","boolValue":true}]}]}]"#;
    let (format, events, errors) = read(text);
    assert_eq!(format, CloudFormat::GoogleWorkspace);
    assert!(errors.is_empty());
    let event = &events[0];
    assert_eq!(
        event.logsource,
        LogSource::new(
            Some("google_workspace"),
            None,
            Some("google_workspace.drive")
        )
    );
    assert_eq!(event.action.as_deref(), Some("download"));
    assert_eq!(event.user_name.as_deref(), Some("liz@corp.example"));
    assert_eq!(event.file_path.as_deref(), Some("Q4 board deck"));
    assert_eq!(event.network.as_ref().unwrap().source_ip, ip("203.0.113.5"));
    assert_eq!(
        native(event, "events.parameters.doc_type"),
        Some(Value::List(vec![Value::from("presentation")]))
    );
}

/// Through the crate's own entry point: a gzip'd CloudTrail delivery file (as S3
/// stores them) is sniffed as CloudTrail before the generic JSON reader sees it, and
/// offsets count decompressed bytes.
#[test]
fn gzipped_trail_through_open_bytes() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(TRAIL.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let (format, source) =
        sources::open_bytes("trail.json.gz", bytes, &SourceContext::default()).unwrap();
    assert_eq!(format, sources::Format::Cloud(CloudFormat::CloudTrail));
    let events: Vec<Event> = source.collect::<Result<_, _>>().unwrap();
    assert_eq!(events.len(), 2);
    let offsets: Vec<u64> = events
        .iter()
        .map(|e| e.origin.as_ref().unwrap().offset)
        .collect();
    assert!(offsets.contains(&(TRAIL.find("{\"eventVersion").unwrap() as u64)));
}

#[test]
fn graph_value_page_of_signins_with_next_link() {
    let page = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[
  {"id":"s1","createdDateTime":"2026-03-02T09:00:00Z","userPrincipalName":"ann@corp.example","appDisplayName":"Office 365 Exchange Online","ipAddress":"198.51.100.7","status":{"errorCode":0}},
  {"id":"s2","createdDateTime":"2026-03-02T09:05:00Z","userPrincipalName":"bo@corp.example","appDisplayName":"Azure Portal","ipAddress":"198.51.100.8","status":{"errorCode":50126}}
],"@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=abc"}"#;
    let (format, events, errors) = read(page);
    assert_eq!(format, CloudFormat::EntraSignIn);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].user_name.as_deref(), Some("ann@corp.example"));
    assert_eq!(
        events[1].origin.as_ref().unwrap().offset as usize,
        page.find(r#"{"id":"s2""#).unwrap()
    );
}

#[test]
fn box_entries_page() {
    let page = r#"{"chunk_size":2,"next_stream_position":"1152922976252290886","entries":[
  {"type":"event","event_id":"b1","created_at":"2026-03-02T23:10:00-08:00","event_type":"DOWNLOAD","ip_address":"203.0.113.9","created_by":{"type":"user","id":"11","name":"Ann Lee","login":"ann@corp.example"},"source":{"type":"file","id":"9","name":"payroll.xlsx","parent":{"type":"folder","id":"3","name":"Finance"}}},
  {"type":"event","event_id":"b2","created_at":"2026-03-02T23:11:00-08:00","event_type":"PREVIEW","ip_address":"203.0.113.9","created_by":{"type":"user","id":"11","name":"Ann Lee","login":"ann@corp.example"},"source":{"type":"file","id":"10","name":"plan.docx"}}
]}"#;
    let (format, events, errors) = read(page);
    assert_eq!(format, CloudFormat::BoxEvents);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].action.as_deref(), Some("DOWNLOAD"));
    assert_eq!(events[0].file_path.as_deref(), Some("Finance/payroll.xlsx"));
    assert_eq!(
        events[0].logsource,
        LogSource::new(Some("box"), None, Some("events"))
    );
    assert_eq!(
        native(&events[0], "created_by.login"),
        Some(Value::from("ann@corp.example"))
    );
}

#[test]
fn dropbox_events_page_with_cursor_and_a_bad_record() {
    let page = r#"{"events":[
  {"timestamp":"2026-03-03T02:00:01Z","event_category":{".tag":"file_operations"},"actor":{".tag":"user","user":{".tag":"team_member","email":"bo@corp.example"}},"origin":{"geo_location":{"ip_address":"198.51.100.4"}},"assets":[{".tag":"file","path":{"contextual":"/Legal/contract.pdf"}}],"event_type":{".tag":"file_download","description":"Downloaded files and/or folders"}},
  {"timestamp":"not a time","event_category":{".tag":"file_operations"},"event_type":{".tag":"file_download"}},
  {"timestamp":"2026-03-03T02:00:09Z","event_category":{".tag":"sharing"},"actor":{".tag":"user","user":{".tag":"team_member","email":"bo@corp.example"}},"event_type":{".tag":"shared_content_download"}}
],"cursor":"AAHx","has_more":false}"#;
    let (format, events, errors) = read(page);
    assert_eq!(format, CloudFormat::DropboxTeamLog);
    assert_eq!(events.len(), 2);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].offset as usize,
        page.find(r#"{"timestamp":"not a time""#).unwrap()
    );
    assert_eq!(events[1].action.as_deref(), Some("shared_content_download"));
    assert_eq!(
        events[0].network.as_ref().unwrap().source_ip,
        ip("198.51.100.4")
    );
}

const DEFENDER_ROW: &str = r#"{"Timestamp":"2021-08-02T13:11:39.7724491Z","DeviceId":"d1","DeviceName":"adfs01.corp.example","ActionType":"ConnectionSuccess","RemoteIP":"203.0.113.50","RemotePort":443,"LocalIP":"10.0.0.5","RemoteUrl":"graph.microsoft.com","InitiatingProcessAccountName":"svc-adfs","InitiatingProcessFileName":"powershell.exe","ReportId":7}"#;

#[test]
fn defender_advanced_hunting_json_and_csv() {
    let lines = format!(
        "{DEFENDER_ROW}\n{}\n",
        r#"{"Timestamp":"2021-08-02T13:12:00Z","DeviceId":"d1","DeviceName":"adfs01.corp.example","ActionType":"ProcessCreated","FolderPath":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","FileName":"powershell.exe","ProcessCommandLine":"powershell -enc AAA","AccountName":"svc-adfs"}"#
    );
    let (format, events, errors) = read(&lines);
    assert_eq!(format, CloudFormat::DefenderHunting);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events[0].kind, EventKind::Network);
    assert_eq!(events[0].host_name.as_deref(), Some("adfs01.corp.example"));
    let network = events[0].network.as_ref().unwrap();
    assert_eq!(network.destination_ip, ip("203.0.113.50"));
    assert_eq!(network.destination_port, Some(443));
    assert_eq!(events[0].action.as_deref(), Some("ConnectionSuccess"));
    assert_eq!(events[1].kind, EventKind::ProcessStart);
    assert_eq!(
        events[1].file_path.as_deref(),
        Some("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
    );

    let csv = "Timestamp,DeviceName,ActionType,RemoteIP,RemotePort,FileSize\r\n\
        2021-08-02T13:11:39Z,adfs01,ConnectionSuccess,203.0.113.50,443,\r\n\
        not-a-time,adfs01,ConnectionSuccess,203.0.113.51,443,\r\n";
    let (format, events, errors) = read(csv);
    assert_eq!(format, CloudFormat::DefenderHuntingCsv);
    assert_eq!(events.len(), 1);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].offset as usize, csv.find("not-a-time").unwrap());
    assert_eq!(
        events[0].network.as_ref().unwrap().destination_port,
        Some(443)
    );
}

#[test]
fn moveit_audit_csv() {
    let csv = "LogTime,Action,Username,IPAddress,FolderPath,FileName,XferSize,Status\n\
        2026-03-04 01:02:03,file_download,partner1,198.51.100.20,/Home/partner1,orders.zip,52428800,Success\n\
        2026-03-04 01:05:00,user_signon,partner1,198.51.100.20,,,,Success\n\
        yesterday,file_download,partner1,198.51.100.20,/Home/partner1,x.zip,1,Success\n";
    let (format, events, errors) = read(csv);
    assert_eq!(format, CloudFormat::MoveItCsv);
    assert_eq!(events.len(), 2);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].offset as usize, csv.find("yesterday").unwrap());
    let download = &events[0];
    assert_eq!(download.kind, EventKind::File);
    assert_eq!(download.action.as_deref(), Some("file_download"));
    assert_eq!(download.user_name.as_deref(), Some("partner1"));
    assert_eq!(
        download.file_path.as_deref(),
        Some("/Home/partner1/orders.zip")
    );
    assert_eq!(download.file_size, Some(52_428_800));
    let network = download.network.as_ref().unwrap();
    assert_eq!(network.destination_bytes, Some(52_428_800));
    assert_eq!(network.source_ip, ip("198.51.100.20"));
    assert_eq!(events[1].kind, EventKind::Authentication);
    assert_eq!(
        download.logsource,
        LogSource::new(Some("moveit"), None, Some("audit"))
    );
}

#[test]
fn forwarding_outside_names_the_recipient_domain_as_destination() {
    let line = r#"{"CreationTime":"2026-03-03T16:05:00","Id":"f1","Operation":"New-InboxRule","OrganizationId":"o","RecordType":1,"ResultStatus":"True","Workload":"Exchange","ClientIP":"203.0.113.67:51234","UserId":"dj@corp.example","Parameters":[{"Name":"Mailbox","Value":"dj@corp.example"},{"Name":"ForwardTo","Value":"dj.private@Freemail.example"}]}"#;
    let (format, events, errors) = read(&format!("{line}\n"));
    assert_eq!(format, CloudFormat::M365Audit);
    assert!(errors.is_empty());
    let network = events[0].network.as_ref().unwrap();
    assert_eq!(
        network.destination_domain.as_deref(),
        Some("freemail.example")
    );
    assert_eq!(network.source_ip, ip("203.0.113.67"));
}

/// Route 53 Resolver query logs in AWS's documented shape (JSON Lines, as
/// delivered to S3 or Firehose): DNS events per query, the instance as the host.
#[test]
fn route53_resolver_query_log() {
    let text = concat!(
        r#"{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0abc","query_timestamp":"2021-02-04T17:51:55Z","query_name":"aGVsbG8gd29ybGQ.t.exfil.example.","query_type":"TXT","query_class":"IN","rcode":"NXDOMAIN","answers":[],"srcaddr":"172.31.10.5","srcport":"53124","transport":"UDP","srcids":{"instance":"i-0123456789abcdef0"}}"#,
        "\n",
        r#"{"version":"1.100000","account_id":"123456789012","region":"us-east-1","vpc_id":"vpc-0abc","query_timestamp":"2021-02-04T17:51:56Z","query_name":"s3.amazonaws.com.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"52.216.1.1","Type":"A","Class":"IN"},{"Rdata":"52.216.1.2","Type":"A","Class":"IN"}],"srcaddr":"172.31.10.5","srcport":"53125","transport":"UDP","srcids":{"instance":"i-0123456789abcdef0"}}"#,
        "\n",
        r#"{"version":"1.100000","query_name":"no-time.example.","query_type":"A","srcaddr":"172.31.10.5","query_timestamp":"soon"}"#,
        "\n",
    );
    let (format, events, errors) = read(text);
    assert_eq!(format, CloudFormat::Route53Resolver);
    assert_eq!(events.len(), 2);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].offset,
        text.find("{\"version\":\"1.100000\",\"query_name\"")
            .unwrap() as u64
    );
    let tunnel = &events[0];
    assert_eq!(tunnel.kind, EventKind::Dns);
    assert_eq!(
        tunnel.logsource,
        LogSource::new(Some("aws"), Some("dns"), Some("route53"))
    );
    assert_eq!(tunnel.host_name.as_deref(), Some("i-0123456789abcdef0"));
    let dns = tunnel.dns.as_deref().unwrap();
    assert_eq!(
        dns.question_name.as_deref(),
        Some("aGVsbG8gd29ybGQ.t.exfil.example.")
    );
    assert_eq!(dns.question_type.as_deref(), Some("TXT"));
    assert_eq!(dns.response_code.as_deref(), Some("NXDOMAIN"));
    let net = tunnel.network.as_deref().unwrap();
    assert_eq!(net.source_ip, ip("172.31.10.5"));
    assert_eq!(net.source_port, Some(53124));
    assert_eq!(net.transport.as_deref(), Some("udp"));
    assert_eq!(native(tunnel, "vpc_id"), Some(Value::from("vpc-0abc")));
    assert_eq!(
        events[1].dns.as_deref().unwrap().answers,
        ["52.216.1.1", "52.216.1.2"]
    );
}
