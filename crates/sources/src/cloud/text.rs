//! Line-oriented AWS logs: VPC Flow Logs (text form) and S3 server access logs.
//!
//! VPC Flow Logs: files delivered to S3 start with a header naming the fields
//! (`version account-id interface-id srcaddr dstaddr ...`), default or custom;
//! lines without a header are read with the default version 2 field list. Each line
//! is one direction of a flow as seen on one interface, so `source.bytes` is what
//! `srcaddr` sent; `network.direction` is set from the configured internal networks.
//! `NODATA` and `SKIPDATA` lines carry no flow and are passed over.
//!
//! S3 server access logs: one request per line, space separated, with `[time]` and
//! quoted fields; `bytes_sent` is what the bucket sent to the requester.

use super::CloudFormat;
use super::flatten::parse_ip;
use crate::{Input, RecordError, Source, SourceContext};
use model::{Event, EventKind, LogSource, Native, Networks, Origin, Timestamp, Value};
use std::io::{BufRead, Read};
use std::net::IpAddr;

/// Lines longer than this are reported and skipped.
const MAX_LINE_BYTES: usize = 1 << 20;

/// The default (version 2) VPC Flow Log fields, in order.
const VPC_V2_FIELDS: [&str; 14] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// Recognises VPC Flow Log or S3 access log text from its first line.
pub fn sniff(head: &[u8]) -> Option<CloudFormat> {
    let first = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.trim_end();
    let tokens: Vec<&str> = line.split(' ').collect();
    if tokens.contains(&"srcaddr") && tokens.contains(&"dstaddr") {
        return Some(CloudFormat::VpcFlowLog);
    }
    if tokens.len() == VPC_V2_FIELDS.len()
        && tokens[0] == "2"
        && (tokens[2].starts_with("eni-") || tokens[2] == "-")
        && tokens[10].bytes().all(|b| b.is_ascii_digit())
    {
        return Some(CloudFormat::VpcFlowLog);
    }
    if is_s3_access_line(line) {
        return Some(CloudFormat::S3AccessLog);
    }
    None
}

fn is_s3_access_line(line: &str) -> bool {
    let mut parts = line.splitn(4, ' ');
    let owner = parts.next().unwrap_or_default();
    let _bucket = parts.next();
    let time = parts.next().unwrap_or_default();
    owner.len() >= 16
        && owner.bytes().all(|b| b.is_ascii_alphanumeric())
        && time.starts_with('[')
        && time.len() == 21
}

/// Reads lines with their byte offsets, reusing one buffer.
pub(crate) struct Lines {
    reader: Box<dyn BufRead + Send>,
    buf: Vec<u8>,
    offset: u64,
    done: bool,
}

/// One line read by [`Lines`].
pub(crate) enum Line<'a> {
    /// The line's offset and text (without its line end).
    Text(u64, &'a str),
    /// A line that is too long or not UTF-8, or a read error, at this offset.
    Bad(u64, &'static str),
}

impl Lines {
    pub(crate) fn new(reader: Box<dyn BufRead + Send>) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
            offset: 0,
            done: false,
        }
    }

    pub(crate) fn next_line(&mut self) -> Option<Line<'_>> {
        if self.done {
            return None;
        }
        self.buf.clear();
        let start = self.offset;
        let read = (&mut self.reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut self.buf);
        match read {
            Err(_) => {
                self.done = true;
                Some(Line::Bad(start, "read error"))
            }
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(n) => {
                self.offset += n as u64;
                if self.buf.len() > MAX_LINE_BYTES && !self.buf.ends_with(b"\n") {
                    self.skip_rest_of_line();
                    return Some(Line::Bad(start, "line too long"));
                }
                let text = trim_line_end(&self.buf);
                match std::str::from_utf8(text) {
                    Ok(text) => Some(Line::Text(start, text)),
                    Err(_) => Some(Line::Bad(start, "not utf-8")),
                }
            }
        }
    }

    fn skip_rest_of_line(&mut self) {
        let mut sink = Vec::new();
        loop {
            sink.clear();
            match (&mut self.reader)
                .take(1 << 16)
                .read_until(b'\n', &mut sink)
            {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    self.offset += n as u64;
                    if sink.ends_with(b"\n") {
                        return;
                    }
                }
            }
        }
    }
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Opens a VPC Flow Log text file.
pub fn open_vpc_flow(input: Input, ctx: &SourceContext) -> Box<dyn Source> {
    let mut lines = Lines::new(input.reader);
    let file = input.path;
    let networks = ctx.networks.clone();
    let mut fields: Vec<String> = VPC_V2_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    Box::new(std::iter::from_fn(move || {
        loop {
            let (offset, text) = match lines.next_line()? {
                Line::Bad(offset, reason) => {
                    return Some(Err(RecordError::new(&file, offset, reason)));
                }
                Line::Text(offset, text) => (offset, text),
            };
            if text.trim().is_empty() {
                continue;
            }
            let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
            if tokens.contains(&"srcaddr") && tokens.contains(&"dstaddr") {
                fields = tokens.iter().map(|t| (*t).to_owned()).collect();
                continue;
            }
            let origin = Origin {
                file: file.clone(),
                offset,
            };
            match vpc_flow_event(&fields, &tokens, origin, &networks) {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => continue,
                Err(reason) => return Some(Err(RecordError::new(&file, offset, reason))),
            }
        }
    }))
}

/// Maps one flow line; `Ok(None)` for `NODATA`/`SKIPDATA` lines.
fn vpc_flow_event(
    fields: &[String],
    tokens: &[&str],
    origin: Origin,
    networks: &Networks,
) -> Result<Option<Event>, &'static str> {
    if tokens.len() != fields.len() {
        return Err("wrong field count");
    }
    let value = |name: &str| {
        fields
            .iter()
            .position(|f| f == name)
            .map(|i| tokens[i])
            .filter(|v| *v != "-")
    };
    if matches!(value("log-status"), Some("NODATA" | "SKIPDATA")) {
        return Ok(None);
    }
    let number = |name: &str| value(name).and_then(|v| v.parse::<u64>().ok());
    let start = number("start").ok_or("bad start")?;
    let source_ip: IpAddr = value("srcaddr").and_then(parse_ip).ok_or("bad srcaddr")?;
    let destination_ip: IpAddr = value("dstaddr").and_then(parse_ip).ok_or("bad dstaddr")?;
    let mut native = Native::with_capacity(fields.len());
    for (name, token) in fields.iter().zip(tokens) {
        native.push(name, native_value(token));
    }
    let mut event = Event {
        timestamp: Timestamp::from_secs(start as i64),
        kind: EventKind::Network,
        logsource: LogSource::new(Some("aws"), None, Some("vpcflow")),
        origin: Some(origin),
        dataset: Some("aws.vpcflow".into()),
        action: value("action").map(str::to_ascii_lowercase),
        native,
        ..Event::default()
    };
    event.outcome = event
        .action
        .as_deref()
        .map(|a| if a == "accept" { "success" } else { "failure" }.to_owned());
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("aws".into());
        cloud.account_id = value("account-id").map(str::to_owned);
        cloud.region = value("region").map(str::to_owned);
        cloud.service = Some("vpc".into());
    }
    let network = event.network_mut();
    network.source_ip = Some(source_ip);
    network.destination_ip = Some(destination_ip);
    network.source_port = value("srcport").and_then(|p| p.parse().ok());
    network.destination_port = value("dstport").and_then(|p| p.parse().ok());
    network.source_bytes = number("bytes");
    network.source_packets = number("packets");
    network.transport = value("protocol").map(transport_name);
    network.duration_s = number("end").map(|end| end.saturating_sub(start) as f64);
    network.direction = Some(direction(networks, source_ip, destination_ip).into());
    Ok(Some(event))
}

fn native_value(token: &str) -> Value {
    match token {
        "-" => Value::Null,
        _ => match token.parse::<i64>() {
            Ok(n) if !token.starts_with('0') || token == "0" => Value::Int(n),
            _ => Value::from(token),
        },
    }
}

/// IANA protocol number to name, as ECS `network.transport` wants it.
fn transport_name(number: &str) -> String {
    match number {
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "ipv6-icmp".into(),
        "47" => "gre".into(),
        "50" => "esp".into(),
        other => other.to_owned(),
    }
}

/// ECS `network.direction` from the internal networks.
pub(crate) fn direction(networks: &Networks, source: IpAddr, destination: IpAddr) -> &'static str {
    match (
        networks.is_internal(source),
        networks.is_internal(destination),
    ) {
        (true, true) => "internal",
        (true, false) if Networks::is_special(destination) => "internal",
        (true, false) => "outbound",
        (false, true) => "inbound",
        (false, false) => "external",
    }
}

/// The S3 server access log fields, in order (newer logs add fields at the end).
const S3_FIELDS: [&str; 26] = [
    "bucket_owner",
    "bucket",
    "time",
    "remote_ip",
    "requester",
    "request_id",
    "operation",
    "key",
    "request_uri",
    "http_status",
    "error_code",
    "bytes_sent",
    "object_size",
    "total_time",
    "turn_around_time",
    "referrer",
    "user_agent",
    "version_id",
    "host_id",
    "signature_version",
    "cipher_suite",
    "authentication_type",
    "host_header",
    "tls_version",
    "access_point_arn",
    "acl_required",
];

/// Opens an S3 server access log.
pub fn open_s3_access(input: Input) -> Box<dyn Source> {
    let mut lines = Lines::new(input.reader);
    let file = input.path;
    Box::new(std::iter::from_fn(move || {
        loop {
            let (offset, text) = match lines.next_line()? {
                Line::Bad(offset, reason) => {
                    return Some(Err(RecordError::new(&file, offset, reason)));
                }
                Line::Text(offset, text) => (offset, text),
            };
            if text.trim().is_empty() {
                continue;
            }
            let origin = Origin {
                file: file.clone(),
                offset,
            };
            return Some(
                s3_access_event(text, origin).map_err(|r| RecordError::new(&file, offset, r)),
            );
        }
    }))
}

/// Splits an access log line: spaces separate, `"..."` and `[...]` group.
fn s3_tokens(line: &str) -> Vec<&str> {
    let mut tokens = Vec::with_capacity(S3_FIELDS.len());
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let (token, after) = match rest.as_bytes()[0] {
            b'"' => match rest[1..].find('"') {
                Some(end) => (&rest[1..end + 1], &rest[end + 2..]),
                None => (&rest[1..], ""),
            },
            b'[' => match rest.find(']') {
                Some(end) => (&rest[1..end], &rest[end + 1..]),
                None => (&rest[1..], ""),
            },
            _ => match rest.find(' ') {
                Some(end) => (&rest[..end], &rest[end..]),
                None => (rest, ""),
            },
        };
        tokens.push(token);
        rest = after.trim_start();
    }
    tokens
}

fn s3_access_event(line: &str, origin: Origin) -> Result<Event, &'static str> {
    let tokens = s3_tokens(line);
    if tokens.len() < 18 {
        return Err("too few fields");
    }
    let value = |i: usize| {
        tokens
            .get(i)
            .copied()
            .filter(|v| *v != "-" && !v.is_empty())
    };
    let time = chrono::DateTime::parse_from_str(tokens[2], "%d/%b/%Y:%H:%M:%S %z")
        .map_err(|_| "bad time")?;
    let mut native = Native::with_capacity(tokens.len());
    for (name, token) in S3_FIELDS.iter().zip(&tokens) {
        native.push(name, native_value(token));
    }
    let mut event = Event {
        timestamp: Timestamp::from_chrono(time.with_timezone(&chrono::Utc)),
        kind: EventKind::Cloud,
        logsource: LogSource::new(Some("aws"), None, Some("s3_access")),
        origin: Some(origin),
        dataset: Some("aws.s3access".into()),
        action: value(6).map(str::to_owned),
        user_name: value(4).map(requester_name),
        file_path: value(7).map(str::to_owned),
        native,
        ..Event::default()
    };
    let status: Option<u16> = value(9).and_then(|s| s.parse().ok());
    event.outcome = status.map(|s| if s < 400 { "success" } else { "failure" }.to_owned());
    {
        let cloud = event.cloud_mut();
        cloud.provider = Some("aws".into());
        cloud.account_id = value(4)
            .and_then(|r| r.split(':').nth(4))
            .map(str::to_owned);
        cloud.service = Some("s3".into());
    }
    let bucket = value(1).unwrap_or_default().to_owned();
    let key = value(7).map(str::to_owned);
    {
        let http = event.http_mut();
        http.status_code = status;
        http.user_agent = value(16).map(str::to_owned);
        http.response_body_bytes = value(11).and_then(|b| b.parse().ok());
        if let Some(uri) = value(8) {
            let mut parts = uri.split(' ');
            http.method = parts.next().map(str::to_owned);
            http.url_path = parts.next().map(str::to_owned);
        }
        http.url_full = Some(match &key {
            Some(key) => format!("s3://{bucket}/{key}"),
            None => format!("s3://{bucket}"),
        });
    }
    if let Some(ip) = value(3).and_then(parse_ip) {
        let bytes_sent = value(11).and_then(|b| b.parse().ok());
        let network = event.network_mut();
        network.source_ip = Some(ip);
        network.destination_bytes = bytes_sent;
    }
    Ok(event)
}

/// `arn:aws:iam::1:user/alice` as `alice`, assumed roles as `Role/Session`.
fn requester_name(requester: &str) -> String {
    let resource = requester.splitn(6, ':').nth(5).unwrap_or(requester);
    resource
        .strip_prefix("user/")
        .or_else(|| resource.strip_prefix("assumed-role/"))
        .unwrap_or(resource)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_tokens_group_quotes_and_brackets() {
        let tokens = s3_tokens(
            r#"o b [01/Nov/2020:10:43:07 +0000] 1.2.3.4 - R REST.GET.OBJECT k "GET /k HTTP/1.1" 200"#,
        );
        assert_eq!(tokens[2], "01/Nov/2020:10:43:07 +0000");
        assert_eq!(tokens[8], "GET /k HTTP/1.1");
        assert_eq!(tokens[9], "200");
    }

    #[test]
    fn requester_names() {
        assert_eq!(
            requester_name("arn:aws:iam::1:user/tracy_stone"),
            "tracy_stone"
        );
        assert_eq!(requester_name("arn:aws:sts::1:assumed-role/R/S"), "R/S");
    }
}
