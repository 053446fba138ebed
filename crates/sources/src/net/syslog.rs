//! Syslog files: RFC 3164 (`<PRI>Mmm dd hh:mm:ss host app[pid]: msg`, the PRI is
//! often absent in files), RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD
//! MSG`) and the RFC 3339 "high precision" variant rsyslog writes. Lines from
//! pfSense `filterlog`, iptables/UFW, FortiGate and BIND `named` become network or
//! DNS events; the rest are generic events with host, program and message.
//!
//! RFC 3164 has no year: it is taken from the clock when the reader starts, and a
//! date more than a day in the future is put in the previous year.

use super::dnslog::{is_bind_query, parse_bind_message};
use super::firewall::{is_iptables, parse_filterlog, parse_iptables};
use super::fortigate::{is_fortigate, parse_fortigate};
use super::text::{LineParser, Parsed, civil_time, month_number, parse_clock};
use crate::SourceContext;
use model::{Event, EventKind, LogSource, Timestamp, Value};

/// One syslog line split into its header fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyslogLine<'a> {
    /// Priority (facility * 8 + severity) when present.
    pub priority: Option<u8>,
    /// Time.
    pub timestamp: Timestamp,
    /// Host name.
    pub host: Option<&'a str>,
    /// Program (tag / APP-NAME).
    pub app: Option<&'a str>,
    /// Process id.
    pub pid: Option<&'a str>,
    /// RFC 5424 MSGID.
    pub msgid: Option<&'a str>,
    /// RFC 5424 structured data.
    pub structured_data: Option<&'a str>,
    /// The message.
    pub message: &'a str,
}

fn split_word(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches(' ');
    let end = text.find(' ').unwrap_or(text.len());
    (end > 0).then(|| {
        (
            &text[..end],
            text[end..].strip_prefix(' ').unwrap_or(&text[end..]),
        )
    })
}

fn nil(field: &str) -> Option<&str> {
    (field != "-").then_some(field)
}

/// Parses one syslog line; `year` is used for RFC 3164 dates.
pub fn parse_line(line: &str, year: i64) -> Option<SyslogLine<'_>> {
    let (priority, rest) = match line.strip_prefix('<') {
        Some(after) => {
            let close = after.find('>')?;
            let pri: u8 = after[..close].parse().ok().filter(|p| *p < 192)?;
            (Some(pri), &after[close + 1..])
        }
        None => (None, line),
    };
    if let Some(rest5424) = rest.strip_prefix("1 ") {
        return parse_5424(priority, rest5424);
    }
    let (timestamp, rest) = if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (stamp, rest) = split_word(rest)?;
        (Timestamp::parse(stamp)?, rest)
    } else {
        let month = month_number(rest.get(..3)?)?;
        let day: u32 = rest.get(4..6)?.trim().parse().ok()?;
        let clock = parse_clock(rest.get(7..15)?, None)?;
        (civil_time(year, month, day, clock)?, rest.get(16..)?)
    };
    let (host, rest) = split_word(rest)?;
    let (app, pid, message) = split_tag(rest);
    Some(SyslogLine {
        priority,
        timestamp,
        host: Some(host),
        app,
        pid,
        msgid: None,
        structured_data: None,
        message,
    })
}

/// `app[pid]: message` or `app: message`; no tag when the first word does not end
/// in `:`.
fn split_tag(rest: &str) -> (Option<&str>, Option<&str>, &str) {
    let Some(colon) = rest.find(": ") else {
        return (None, None, rest);
    };
    let tag = &rest[..colon];
    if tag.is_empty() || tag.contains(' ') {
        return (None, None, rest);
    }
    let message = &rest[colon + 2..];
    match tag.split_once('[') {
        Some((app, pid)) => (Some(app), Some(pid.trim_end_matches(']')), message),
        None => (Some(tag), None, message),
    }
}

fn parse_5424(priority: Option<u8>, rest: &str) -> Option<SyslogLine<'_>> {
    let (stamp, rest) = split_word(rest)?;
    let (host, rest) = split_word(rest)?;
    let (app, rest) = split_word(rest)?;
    let (pid, rest) = split_word(rest)?;
    let (msgid, rest) = split_word(rest)?;
    let (structured_data, message) = if rest.starts_with('[') {
        let end = structured_data_end(rest)?;
        (Some(&rest[..end]), rest[end..].trim_start())
    } else {
        let (sd, message) = split_word(rest).unwrap_or(("-", ""));
        (nil(sd), message)
    };
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    Some(SyslogLine {
        priority,
        timestamp: if stamp == "-" {
            Timestamp(0)
        } else {
            Timestamp::parse(stamp)?
        },
        host: nil(host),
        app: nil(app),
        pid: nil(pid),
        msgid: nil(msgid),
        structured_data,
        message,
    })
}

/// The end of the structured data elements `[id k="v"][...]` (escapes honoured).
fn structured_data_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while bytes.get(i) == Some(&b'[') {
        let mut in_quotes = false;
        i += 1;
        loop {
            match *bytes.get(i)? {
                b'\\' if in_quotes => i += 1,
                b'"' => in_quotes = !in_quotes,
                b']' if !in_quotes => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    Some(i)
}

/// Whether the head's first lines are syslog.
pub fn sniff(lines: &[String], year: i64) -> bool {
    let sample: Vec<&String> = lines.iter().take(3).collect();
    !sample.is_empty()
        && sample.iter().all(|l| {
            parse_line(l, year).is_some_and(|s| {
                // A relayed FortiGate record has neither tag nor priority.
                s.app.is_some() || s.priority.is_some() || is_fortigate(s.message)
            })
        })
}

/// The current year (for RFC 3164 dates).
pub fn current_year() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let rfc3339 = Timestamp::from_secs(now).to_rfc3339();
    rfc3339
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970)
}

/// Syslog file lines to events.
pub struct SyslogParser {
    year: i64,
    now: Timestamp,
}

impl Default for SyslogParser {
    fn default() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        SyslogParser {
            year: current_year(),
            now: Timestamp::from_secs(now),
        }
    }
}

impl LineParser for SyslogParser {
    fn parse(&mut self, line: &str, ctx: &SourceContext) -> Parsed {
        let Some(mut parsed) = parse_line(line, self.year) else {
            return Parsed::Bad("not a syslog line".into());
        };
        if parsed.msgid.is_none()
            && parsed.timestamp > self.now.plus_secs(86_400)
            && let Some(earlier) = parse_line(line, self.year - 1)
        {
            parsed = earlier;
        }
        let mut event = Event {
            timestamp: parsed.timestamp,
            kind: EventKind::Other,
            logsource: LogSource::new(Some("linux"), None, Some("syslog")),
            dataset: Some("syslog".into()),
            host_name: parsed.host.map(str::to_string),
            message: Some(parsed.message.to_string()),
            ..Default::default()
        };
        if let Some(app) = parsed.app {
            let process = event.process_mut();
            process.name = Some(app.to_string());
            process.pid = parsed.pid.and_then(|p| p.parse().ok());
        }
        let native = &mut event.native;
        if let Some(pri) = parsed.priority {
            native.push("syslog.facility", Value::Int((pri >> 3) as i64));
            native.push("syslog.severity", Value::Int((pri & 7) as i64));
        }
        for (key, v) in [
            ("syslog.appname", parsed.app),
            ("syslog.procid", parsed.pid),
            ("syslog.msgid", parsed.msgid),
            ("syslog.structured_data", parsed.structured_data),
        ] {
            if let Some(v) = v {
                native.push(key, Value::from(v));
            }
        }
        let message = parsed.message;
        let embedded = match parsed.app {
            _ if is_fortigate(message) => {
                if let Some(host) = parsed.host {
                    event.native.push("syslog.hostname", Value::from(host));
                }
                Some(parse_fortigate(message, &mut event, ctx))
            }
            Some("filterlog") => Some(parse_filterlog(message, &mut event, ctx)),
            _ if is_iptables(message) => Some(parse_iptables(message, &mut event, ctx)),
            Some("named") if is_bind_query(message) => {
                event.kind = EventKind::Dns;
                event.logsource = LogSource::new(None, Some("dns"), None);
                event.dataset = Some("bind.query".into());
                Some(parse_bind_message(message, &mut event))
            }
            _ => None,
        };
        if let Some(Err(reason)) = embedded {
            return Parsed::Bad(reason);
        }
        Parsed::Event(Box::new(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3164_with_and_without_priority() {
        let l = parse_line(
            "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick",
            2026,
        )
        .unwrap();
        assert_eq!(l.priority, Some(34));
        assert_eq!(l.host, Some("mymachine"));
        assert_eq!(l.app, Some("su"));
        assert_eq!(l.pid, Some("230"));
        assert_eq!(
            l.timestamp,
            Timestamp::parse("2026-10-11T22:14:15Z").unwrap()
        );
        let l = parse_line(
            "Nov  3 01:02:03 fw filterlog[123]: 5,,,1000,igb1,match,pass,out,4",
            2026,
        )
        .unwrap();
        assert_eq!(l.app, Some("filterlog"));
        assert_eq!(l.message, "5,,,1000,igb1,match,pass,out,4");
    }

    #[test]
    fn rfc5424_with_structured_data() {
        let line = r#"<165>1 2026-11-23T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App]lication"] An application event"#;
        let l = parse_line(line, 2026).unwrap();
        assert_eq!(l.app, Some("evntslog"));
        assert_eq!(l.msgid, Some("ID47"));
        assert_eq!(l.message, "An application event");
        assert_eq!(l.structured_data.map(|s| s.ends_with("\"]")), Some(true));
        assert!(sniff(&[line.to_string()], 2026));
        assert!(!sniff(&["{\"json\": 1}".to_string()], 2026));
        assert!(!sniff(&["#separator \\x09".to_string()], 2026));
    }

    #[test]
    fn firewall_lines_inside_syslog_become_network_events() {
        let mut p = SyslogParser {
            year: 2026,
            now: Timestamp::from_secs(1_800_000_000),
        };
        let line = "Nov 23 02:00:00 gw kernel: [UFW ALLOW] IN= OUT=eth0 SRC=10.0.0.7 DST=198.51.100.9 LEN=60 PROTO=TCP SPT=51000 DPT=22";
        let Parsed::Event(e) = p.parse(line, &SourceContext::default()) else {
            panic!()
        };
        assert_eq!(e.kind, EventKind::Network);
        assert_eq!(e.host_name.as_deref(), Some("gw"));
        assert_eq!(e.network.as_ref().unwrap().destination_port, Some(22));
        let Parsed::Event(e) = p.parse(
            "Nov 23 02:00:01 gw sshd[77]: Accepted publickey for bob",
            &SourceContext::default(),
        ) else {
            panic!()
        };
        assert_eq!(e.kind, EventKind::Other);
        assert_eq!(e.process.as_ref().unwrap().pid, Some(77));
        assert!(matches!(
            p.parse("garbage", &SourceContext::default()),
            Parsed::Bad(_)
        ));
    }
}
