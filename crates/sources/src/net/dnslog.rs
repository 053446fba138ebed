//! DNS server query logs: BIND (`queries` category, also inside syslog) and the
//! Windows DNS server debug log (`PACKET` lines).

use super::text::{LineParser, Parsed};
use super::text::{civil_time, month_number, parse_clock};
use crate::SourceContext;
use model::{Event, EventKind, LogSource, Timestamp, Value};
use std::net::IpAddr;

fn dns_event(timestamp: Timestamp, dataset: &str) -> Event {
    Event {
        timestamp,
        kind: EventKind::Dns,
        logsource: LogSource::new(None, Some("dns"), None),
        dataset: Some(dataset.into()),
        ..Default::default()
    }
}

/// Whether a line is a BIND query log record (with or without its time prefix).
pub fn is_bind_query(line: &str) -> bool {
    line.contains("client ") && line.contains("query: ") && line.contains(" IN ")
}

/// Whether the head is a Windows DNS server debug log.
pub fn sniff_windows_dns(lines: &[String]) -> bool {
    lines
        .iter()
        .any(|l| l.starts_with("DNS Server log file creation"))
        || lines
            .iter()
            .filter(|l| l.contains(" PACKET "))
            .take(2)
            .count()
            == 2
}

/// Fills a DNS event from the BIND message part: `client [@0x..] IP#PORT (name):
/// query: NAME CLASS TYPE FLAGS (SERVER)`.
pub fn parse_bind_message(message: &str, event: &mut Event) -> Result<(), String> {
    let after_client = message.split_once("client ").ok_or("no client")?.1;
    let mut tokens = after_client.split_ascii_whitespace();
    let mut endpoint = tokens.next().ok_or("no client address")?;
    if endpoint.starts_with("@0x") {
        endpoint = tokens.next().ok_or("no client address")?;
    }
    let (ip, port) = endpoint
        .trim_end_matches(':')
        .rsplit_once('#')
        .ok_or("client address without #port")?;
    let client: IpAddr = ip
        .parse()
        .map_err(|_| format!("bad client address {ip:?}"))?;
    let query = message.split_once("query: ").ok_or("no query")?.1;
    let mut q = query.split_ascii_whitespace();
    let name = q.next().ok_or("no query name")?;
    let class = q.next().unwrap_or("IN");
    let qtype = q.next().ok_or("no query type")?;
    let flags = q.next().unwrap_or("");
    let server = q.next().and_then(|s| {
        s.trim_matches(|c| c == '(' || c == ')')
            .parse::<IpAddr>()
            .ok()
    });
    let net = event.network_mut();
    net.source_ip = Some(client);
    net.source_port = port.trim_end_matches(':').parse().ok();
    net.destination_ip = server;
    net.destination_port = Some(53);
    net.transport = Some(if flags.contains('T') { "tcp" } else { "udp" }.into());
    net.protocol = Some("dns".into());
    let dns = event.dns_mut();
    dns.question_name = Some(name.trim_end_matches('.').to_string());
    dns.question_type = Some(qtype.to_string());
    event.native.push("dns.question.class", Value::from(class));
    event.native.push("bind.flags", Value::from(flags));
    Ok(())
}

/// BIND query log file lines: `23-Nov-2026 10:00:00.123 [queries: info: ]client ...`.
#[derive(Default)]
pub struct BindParser;

impl LineParser for BindParser {
    fn parse(&mut self, line: &str, _ctx: &SourceContext) -> Parsed {
        if !is_bind_query(line) {
            return Parsed::Skip; // other categories in the same file
        }
        let mut parts = line.splitn(3, ' ');
        let (Some(date), Some(time)) = (parts.next(), parts.next()) else {
            return Parsed::Bad("BIND line without date and time".into());
        };
        let Some(ts) = bind_time(date, time) else {
            return Parsed::Bad(format!("unreadable BIND time {date} {time}"));
        };
        // BIND writes local time; it is read as UTC (set the server's log to UTC).
        let mut event = dns_event(ts, "bind.query");
        match parse_bind_message(line, &mut event) {
            Ok(()) => Parsed::Event(Box::new(event)),
            Err(reason) => Parsed::Bad(format!("BIND query line: {reason}")),
        }
    }
}

/// `23-Nov-2026` and `10:00:00.123`.
fn bind_time(date: &str, time: &str) -> Option<Timestamp> {
    let mut d = date.split('-');
    let day = d.next()?.parse().ok()?;
    let month = month_number(d.next()?)?;
    let year = d.next()?.parse().ok()?;
    civil_time(year, month, day, parse_clock(time, None)?)
}

/// `11/23/2026 2:05:01 PM` (US order, the server's default) or 24-hour times.
fn windows_dns_time(stamp: &str) -> Option<Timestamp> {
    let mut parts = stamp.split_ascii_whitespace();
    let date = parts.next()?;
    let clock = parse_clock(parts.next()?, parts.next())?;
    let (first, second, year) = if date.contains('/') {
        let mut d = date.split('/');
        (
            d.next()?.parse().ok()?,
            d.next()?.parse().ok()?,
            d.next()?.parse().ok()?,
        )
    } else {
        let mut d = date.split('-');
        let year = d.next()?.parse().ok()?;
        (d.next()?.parse().ok()?, d.next()?.parse().ok()?, year)
    };
    civil_time(year, first, second, clock)
}

/// Windows DNS server debug log `PACKET` lines.
#[derive(Default)]
pub struct WindowsDnsParser;

/// `(7)example(3)com(0)` to `example.com`.
fn debug_log_name(raw: &str) -> String {
    let mut name = String::with_capacity(raw.len());
    let mut in_count = false;
    for c in raw.chars() {
        match c {
            '(' => in_count = true,
            ')' => {
                in_count = false;
                if !name.is_empty() {
                    name.push('.');
                }
            }
            c if !in_count => name.push(c),
            _ => {}
        }
    }
    name.trim_end_matches('.').to_string()
}

impl LineParser for WindowsDnsParser {
    fn parse(&mut self, line: &str, _ctx: &SourceContext) -> Parsed {
        let Some(packet_at) = line.find(" PACKET ") else {
            return Parsed::Skip; // header lines, EVENT and NOTE lines
        };
        let stamp = line[..packet_at].trim();
        // Drop the thread id after the time: `11/23/2026 10:00:00 AM 0E34`.
        let stamp = stamp.rsplit_once(' ').map_or(stamp, |(s, _)| s);
        let Some(ts) = windows_dns_time(stamp) else {
            return Parsed::Bad(format!("unreadable DNS debug log time {stamp:?}"));
        };
        let rest = &line[packet_at + 8..];
        let mut tokens = rest.split_ascii_whitespace();
        let _context = tokens.next();
        let (Some(proto), Some(direction), Some(remote), Some(xid)) =
            (tokens.next(), tokens.next(), tokens.next(), tokens.next())
        else {
            return Parsed::Bad("DNS debug PACKET line cut short".into());
        };
        let Ok(remote) = remote.parse::<IpAddr>() else {
            return Parsed::Bad(format!("DNS debug line remote address {remote:?}"));
        };
        let (Some(open), Some(close)) = (rest.find('['), rest.find(']')) else {
            return Parsed::Bad("DNS debug line without [flags]".into());
        };
        let before_flags = &rest[..open];
        let is_response = before_flags.split_ascii_whitespace().rev().nth(1) == Some("R");
        let rcode = rest[open + 1..close]
            .split_ascii_whitespace()
            .last()
            .unwrap_or("")
            .to_string();
        let mut after = rest[close + 1..].split_ascii_whitespace();
        let (Some(qtype), Some(raw_name)) = (after.next(), after.next()) else {
            return Parsed::Bad("DNS debug line without type and name".into());
        };
        let mut event = dns_event(ts, "windows.dns_debug");
        let client_side = (direction == "Rcv") != is_response;
        let net = event.network_mut();
        if client_side {
            net.source_ip = Some(remote);
        } else {
            net.destination_ip = Some(remote);
        }
        net.destination_port = Some(53);
        net.transport = Some(proto.to_ascii_lowercase());
        net.protocol = Some("dns".into());
        let dns = event.dns_mut();
        dns.question_name = Some(debug_log_name(raw_name));
        dns.question_type = Some(qtype.to_string());
        if is_response {
            dns.response_code = Some(rcode);
        }
        let native = &mut event.native;
        native.push("dns.packet.direction", Value::from(direction));
        native.push("dns.packet.response", Value::Bool(is_response));
        native.push("dns.id", Value::from(xid));
        Parsed::Event(Box::new(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_query_line() {
        let line = "23-Nov-2026 10:00:00.123 queries: info: client @0x7f8e3c0e8f70 10.0.0.5#53422 (aGVsbG8.exfil.example): query: aGVsbG8.exfil.example IN TXT +E(0)K (10.0.0.1)";
        assert!(is_bind_query(line));
        let Parsed::Event(e) = BindParser.parse(line, &SourceContext::default()) else {
            panic!()
        };
        assert_eq!(
            e.dns.as_ref().unwrap().question_name.as_deref(),
            Some("aGVsbG8.exfil.example")
        );
        assert_eq!(
            e.dns.as_ref().unwrap().question_type.as_deref(),
            Some("TXT")
        );
        assert_eq!(e.network.as_ref().unwrap().source_port, Some(53422));
        assert_eq!(
            e.timestamp,
            Timestamp::parse("2026-11-23T10:00:00.123Z").unwrap()
        );
    }

    #[test]
    fn windows_debug_line() {
        let line = "11/23/2026 2:05:01 PM 0E34 PACKET  000000D4E2B5B0F0 UDP Rcv 10.0.0.5        1a2b   Q [0001   D   NOERROR] A      (7)example(3)com(0)";
        assert!(sniff_windows_dns(&[line.to_string(), line.to_string()]));
        let Parsed::Event(e) = WindowsDnsParser.parse(line, &SourceContext::default()) else {
            panic!()
        };
        assert_eq!(
            e.dns.as_ref().unwrap().question_name.as_deref(),
            Some("example.com")
        );
        assert_eq!(
            e.network.as_ref().unwrap().source_ip,
            Some("10.0.0.5".parse().unwrap())
        );
        assert_eq!(
            e.timestamp,
            Timestamp::parse("2026-11-23T14:05:01Z").unwrap()
        );
        let resp = "11/23/2026 2:05:01 PM 0E34 PACKET  000000D4E2B5B0F0 UDP Snd 10.0.0.5        1a2b R Q [8385 A DR NXDOMAIN] TXT    (4)abcd(6)tunnel(3)net(0)";
        let Parsed::Event(e) = WindowsDnsParser.parse(resp, &SourceContext::default()) else {
            panic!()
        };
        assert_eq!(
            e.dns.as_ref().unwrap().response_code.as_deref(),
            Some("NXDOMAIN")
        );
        assert_eq!(
            e.network.as_ref().unwrap().source_ip,
            Some("10.0.0.5".parse().unwrap())
        );
    }
}
