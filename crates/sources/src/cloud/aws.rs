//! AWS CloudTrail records (trail delivery files, JSON Lines, EventBridge `detail`),
//! and Route 53 Resolver query logs (the DNS queries a VPC's instances make).
//!
//! The actor is taken from `userIdentity` the way an analyst reads it: an IAM user's
//! name, `root`, or for assumed roles and federated users `Role/Session` from the
//! `arn` (falling back to the session issuer), because assumed-role records carry no
//! `userName`. `sourceIPAddress` is an address only for calls from outside AWS; for
//! calls made by a service it is the service's name, which stays in the native
//! record only.

use super::flatten::{first_text, get, get_path, parse_ip, text};
use super::{json_time, new_cloud_event};
use model::{Event, EventKind, LogSource, Native, Origin, Value};
use serde_json::{Map, Value as Json};

/// The Sigma logsource of CloudTrail records.
pub fn logsource() -> LogSource {
    LogSource::new(Some("aws"), None, Some("cloudtrail"))
}

/// Whether `record` is a CloudTrail record.
pub fn is_cloudtrail(record: &Map<String, Json>) -> bool {
    record.contains_key("eventSource")
        && record.contains_key("eventName")
        && [
            "eventTime",
            "eventVersion",
            "@timestamp",
            "awsRegion",
            "userIdentity",
            "eventType",
        ]
        .iter()
        .any(|k| record.contains_key(*k))
}

/// Whether `record` is an EventBridge event carrying a CloudTrail record in `detail`.
pub fn is_eventbridge(record: &Map<String, Json>) -> bool {
    record.contains_key("detail-type")
        && record
            .get("detail")
            .and_then(Json::as_object)
            .is_some_and(is_cloudtrail)
}

/// Maps an EventBridge envelope: the inner record is flattened at the top (so rules
/// see `eventName`), the envelope's `detail-type` and `source` are kept beside it.
pub fn eventbridge_event(
    record: &Map<String, Json>,
    origin: Origin,
) -> Result<Event, &'static str> {
    let detail = record
        .get("detail")
        .and_then(Json::as_object)
        .ok_or("missing detail")?;
    let mut native = super::flatten::flatten(detail);
    for key in ["detail-type", "source"] {
        if let Some(value) = text(record, key) {
            native.push(key, Value::from(value));
        }
    }
    cloudtrail_event(detail, native, origin)
}

/// Maps one CloudTrail record whose native form is `native`.
pub fn cloudtrail_event(
    record: &Map<String, Json>,
    native: Native,
    origin: Origin,
) -> Result<Event, &'static str> {
    // Logstash-shipped trails (as in OTRF's datasets) replace `eventTime` by
    // `@timestamp`.
    let timestamp = ["eventTime", "@timestamp"]
        .iter()
        .find_map(|k| record.get(*k).and_then(json_time))
        .ok_or("no eventTime")?;
    let mut native = native;
    super::derive::add_exposure_facts(record, &mut native);
    let mut event = new_cloud_event(timestamp, logsource(), origin, native);
    event.dataset = Some("aws.cloudtrail".into());
    event.action = text(record, "eventName");
    event.outcome = Some(outcome(record).into());
    event.user_name = actor(record);
    let source = text(record, "eventSource");
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("aws".into());
        cloud.account_id = first_text(record, &["recipientAccountId", "userIdentity.accountId"]);
        cloud.region = text(record, "awsRegion");
        cloud.service = source
            .as_deref()
            .map(|s| s.trim_end_matches(".amazonaws.com").to_owned());
    }
    if let Some(ip) = text(record, "sourceIPAddress")
        .as_deref()
        .and_then(parse_ip)
    {
        event.network_mut().source_ip = Some(ip);
    }
    if let Some(agent) = text(record, "userAgent") {
        event.http_mut().user_agent = Some(agent);
    }
    set_object(&mut event, record);
    Ok(event)
}

/// Whether `record` is a Route 53 Resolver query log record: the DNS queries
/// a VPC's resolver answered (`query_timestamp`, `query_name`, `query_type`,
/// `srcaddr`, as AWS documents them).
pub fn is_resolver_query(record: &Map<String, Json>) -> bool {
    ["query_timestamp", "query_name", "query_type", "srcaddr"]
        .iter()
        .all(|k| record.contains_key(*k))
}

/// Maps a Route 53 Resolver query log record to a DNS event: the query, its
/// type, the response code and the answers' `Rdata`, asked from `srcaddr`
/// (`srcport`, `transport`) by the instance in `srcids.instance`, which is
/// the host (`host.name`), so that DNS analytics (tunnels, new domains) see
/// each instance apart.
pub fn resolver_query_event(
    record: &Map<String, Json>,
    origin: Origin,
) -> Result<Event, &'static str> {
    let timestamp = record
        .get("query_timestamp")
        .and_then(json_time)
        .ok_or("no query_timestamp")?;
    let logsource = LogSource::new(Some("aws"), Some("dns"), Some("route53"));
    let mut event = new_cloud_event(
        timestamp,
        logsource,
        origin,
        super::flatten::flatten(record),
    );
    event.kind = EventKind::Dns;
    event.dataset = Some("aws.route53_resolver".into());
    event.host_name = text(record, "srcids.instance");
    // `answers` is a list; some exports hold a single answer as an object.
    let answers: Vec<String> = match record.get("answers") {
        Some(Json::Array(list)) => list
            .iter()
            .filter_map(|a| a.as_object().and_then(|a| text(a, "Rdata")))
            .collect(),
        Some(Json::Object(one)) => text(one, "Rdata").into_iter().collect(),
        _ => Vec::new(),
    };
    let dns = event.dns_mut();
    dns.question_name = text(record, "query_name");
    dns.question_type = text(record, "query_type");
    dns.response_code = text(record, "rcode");
    dns.answers = answers;
    let net = event.network_mut();
    net.source_ip = text(record, "srcaddr").as_deref().and_then(parse_ip);
    net.source_port = text(record, "srcport").and_then(|p| p.parse().ok());
    net.transport = text(record, "transport").map(|t| t.to_ascii_lowercase());
    net.protocol = Some("dns".into());
    Ok(event)
}

/// `failure` when the call returned an error code (or a console login failed).
fn outcome(record: &Map<String, Json>) -> &'static str {
    let failed_login =
        text(record, "responseElements.ConsoleLogin").is_some_and(|r| r == "Failure");
    if record.get("errorCode").is_some_and(|v| !v.is_null()) || failed_login {
        "failure"
    } else {
        "success"
    }
}

/// The principal that made the call; see the module docs.
pub fn actor(record: &Map<String, Json>) -> Option<String> {
    let identity = get(record, "userIdentity")?.as_object()?;
    let kind = text(identity, "type").unwrap_or_default();
    let arn = text(identity, "arn");
    match kind.as_str() {
        "AssumedRole" | "FederatedUser" => arn
            .as_deref()
            .and_then(role_session)
            .or_else(|| text(identity, "sessionContext.sessionIssuer.userName"))
            .or_else(|| text(identity, "principalId")),
        "Root" => Some(text(identity, "userName").unwrap_or_else(|| "root".into())),
        "AWSService" => text(identity, "invokedBy"),
        _ => first_text(
            identity,
            &["userName", "onBehalfOf.userId", "principalId", "accountId"],
        )
        .or_else(|| arn.as_deref().map(arn_resource).map(str::to_owned)),
    }
}

/// `arn:aws:sts::1:assumed-role/Role/Session` as `Role/Session`.
fn role_session(arn: &str) -> Option<String> {
    let resource = arn_resource(arn);
    resource
        .strip_prefix("assumed-role/")
        .or_else(|| resource.strip_prefix("federated-user/"))
        .filter(|rest| !rest.is_empty())
        .map(str::to_owned)
}

/// The resource part of an ARN (after the fifth colon).
fn arn_resource(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

/// The S3 object or bucket a call names, as `file.path` (key) and `url.full`.
fn set_object(event: &mut Event, record: &Map<String, Json>) {
    let Some(bucket) = get_path(record, "requestParameters.bucketName").and_then(Json::as_str)
    else {
        return;
    };
    match text(record, "requestParameters.key") {
        Some(key) => {
            event.http_mut().url_full = Some(format!("s3://{bucket}/{key}"));
            event.file_path = Some(key);
        }
        None => event.http_mut().url_full = Some(format!("s3://{bucket}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assumed_role_actor_from_arn() {
        let record = json!({"userIdentity": {"type": "AssumedRole",
            "arn": "arn:aws:sts::123:assumed-role/cloud-breach-role/i-0abc",
            "sessionContext": {"sessionIssuer": {"userName": "cloud-breach-role"}}}});
        assert_eq!(
            actor(record.as_object().unwrap()).as_deref(),
            Some("cloud-breach-role/i-0abc")
        );
        let record = json!({"userIdentity": {"type": "AssumedRole",
            "sessionContext": {"sessionIssuer": {"userName": "r"}}}});
        assert_eq!(actor(record.as_object().unwrap()).as_deref(), Some("r"));
    }

    #[test]
    fn user_root_service_actors() {
        let user = json!({"userIdentity": {"type": "IAMUser", "userName": "pedro"}});
        assert_eq!(actor(user.as_object().unwrap()).as_deref(), Some("pedro"));
        let root = json!({"userIdentity": {"type": "Root", "arn": "arn:aws:iam::1:root"}});
        assert_eq!(actor(root.as_object().unwrap()).as_deref(), Some("root"));
        let svc = json!({"userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}});
        assert_eq!(
            actor(svc.as_object().unwrap()).as_deref(),
            Some("ec2.amazonaws.com")
        );
    }
}
