//! Fortinet FortiGate logs: FortiOS `key=value` records (`date=2026-11-23
//! time=20:18:05 devname="fw01" logid="0000000013" type="traffic" ...`), as
//! a file of lines (a FortiAnalyzer export, or syslog the firewall sent
//! without a header, `<189>date=...`) and inside syslog messages relayed by
//! a collector.
//!
//! Traffic records (`type=traffic`) become network events: `srcip`/`srcport`
//! are the session's initiator, `sentbyte`/`sentpkt` what it sent and
//! `rcvdbyte`/`rcvdpkt` what it received, oriented internal-first as every
//! network reader does; `proto` (IP protocol number), `duration`, `action`,
//! `service`, `hostname` (the web host, when the policy inspects it) and
//! `user` fill their fields. Other records (UTM, event logs) stay `other`
//! events. Every pair is kept natively under its own name (`srcip`,
//! `policyid`), logsource `product: fortigate`, `category: firewall`,
//! `service: <type>`. The time is `date` and `time` in the device's zone
//! (`tz`, `+0100`; UTC when absent). `devname` names the firewall, not a
//! host of the network, so it is not taken as `host.name`.

use super::firewall::{Column, ConnectionFacts, verdict};
use super::text::{LineParser, Parsed};
use crate::SourceContext;
use model::{Event, EventKind, LogSource, Timestamp, Value};

/// Whether a message is a FortiOS key=value record.
pub fn is_fortigate(message: &str) -> bool {
    let message = message.trim_start();
    message.starts_with("date=")
        && message.contains(" time=")
        && message.contains(" type=")
        && (message.contains("devname=") || message.contains("logid="))
}

/// `line` without a leading `<PRI>`.
fn without_priority(line: &str) -> &str {
    line.strip_prefix('<')
        .and_then(|rest| {
            let close = rest.find('>')?;
            rest[..close]
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| &rest[close + 1..])
        })
        .unwrap_or(line)
}

/// Whether the head's lines are FortiGate records (the first one, and two
/// thirds of them).
pub fn sniff(lines: &[String]) -> bool {
    let is = |line: &String| is_fortigate(without_priority(line));
    let good = lines.iter().filter(|l| is(l)).count();
    lines.first().is_some_and(is) && good * 3 >= lines.len() * 2
}

/// Reads a file of FortiGate records, one a line.
#[derive(Default)]
pub struct FortigateParser;

impl LineParser for FortigateParser {
    fn parse(&mut self, line: &str, ctx: &SourceContext) -> Parsed {
        let message = without_priority(line);
        if !is_fortigate(message) {
            return Parsed::Bad("not a FortiGate key=value record".into());
        }
        let mut event = Event::default();
        match parse_fortigate(message, &mut event, ctx) {
            Ok(()) => Parsed::Event(Box::new(event)),
            Err(reason) => Parsed::Bad(reason),
        }
    }
}

/// The `key=value` pairs of a record; a value may be quoted (`"a b"`, with
/// `\"` inside).
fn pairs(message: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut rest = message.trim_start();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let after = &rest[eq + 1..];
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let mut value = String::new();
                let mut end = quoted.len();
                let mut chars = quoted.char_indices();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, escaped)) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                (value, &quoted[end.min(quoted.len())..])
            }
            None => {
                let end = after.find(' ').unwrap_or(after.len());
                (after[..end].to_owned(), &after[end..])
            }
        };
        if !key.is_empty() && !key.contains(' ') {
            out.push((key, value));
        }
        rest = next.trim_start();
    }
    out
}

/// The column a traffic record's key fills, if any.
fn traffic_column(key: &str) -> Option<Column> {
    Some(match key {
        "srcip" => Column::SourceIp,
        "dstip" => Column::DestinationIp,
        "srcport" => Column::SourcePort,
        "dstport" => Column::DestinationPort,
        "sentbyte" => Column::SourceBytes,
        "rcvdbyte" => Column::DestinationBytes,
        "sentpkt" => Column::SourcePackets,
        "rcvdpkt" => Column::DestinationPackets,
        "proto" => Column::Transport,
        "duration" => Column::Duration,
        _ => return None,
    })
}

/// The record's time: `date` and `time` in the zone `tz` gives.
fn record_time(pairs: &[(&str, String)]) -> Option<Timestamp> {
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    };
    let zone = get("tz").filter(|tz| tz.starts_with(['+', '-']) && tz.len() == 5);
    Timestamp::parse(&format!(
        "{} {}{}",
        get("date")?,
        get("time")?,
        zone.unwrap_or("")
    ))
}

/// Fills `event` from one FortiOS record (the syslog message, or a line).
pub fn parse_fortigate(
    message: &str,
    event: &mut Event,
    ctx: &SourceContext,
) -> Result<(), String> {
    let pairs = pairs(message);
    event.timestamp =
        record_time(&pairs).ok_or("FortiGate record without a readable date and time")?;
    let kind = pairs
        .iter()
        .find(|(k, _)| *k == "type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    event.logsource = LogSource::new(Some("fortigate"), Some("firewall"), Some(&kind));
    event.dataset = Some(format!("fortigate.{kind}"));
    event.host_name = None;
    let traffic = kind == "traffic";
    event.kind = if traffic {
        EventKind::Network
    } else {
        EventKind::Other
    };
    let mut facts = ConnectionFacts::default();
    for (key, value) in &pairs {
        event.native.push(key, Value::from(value.as_str()));
        if !traffic || value.is_empty() {
            continue;
        }
        if let Some(column) = traffic_column(key) {
            facts
                .set(column, value, event)
                .map_err(|reason| format!("{key}: {reason}"))?;
            continue;
        }
        match *key {
            "action" => {
                event.action = Some(value.to_ascii_lowercase());
                event.outcome = Some(verdict(value).into());
            }
            "user" | "unauthuser" if event.user_name.is_none() => {
                event.user_name = Some(value.clone());
            }
            "hostname" => event.network_mut().destination_domain = Some(value.clone()),
            "service" => event.network_mut().protocol = service_protocol(value),
            _ => {}
        }
    }
    if traffic {
        if facts.src.is_none() || facts.dst.is_none() {
            return Err("FortiGate traffic record without srcip and dstip".into());
        }
        facts.finish(event, ctx);
    }
    Ok(())
}

/// A FortiGate service name as the application protocol (`HTTPS` is TLS);
/// port-only services (`tcp/8443`) name none.
fn service_protocol(service: &str) -> Option<String> {
    match service.to_ascii_lowercase().as_str() {
        s if s.contains('/') || s.is_empty() => None,
        "https" => Some("tls".into()),
        s => Some(s.to_owned()),
    }
}
