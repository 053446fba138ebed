//! OpenSSH `sftp-server` / `internal-sftp` transfer logs, as syslog writes them
//! when the subsystem runs with `-l INFO`.
//!
//! The lines that matter (OpenSSH `sftp-server.c`):
//! `session opened for local user U from [IP]`, `open "PATH" flags F mode M`,
//! `close "PATH" bytes read R written W` (also `forced close` at session end),
//! `remove name "PATH"`, `rename old "A" new "B"`, `mkdir name "PATH" mode M`,
//! `session closed for local user U from [IP]`. Only the session lines name the
//! user and client, so they are tied to the file lines through the process id
//! (per host). Data leaving our server is `bytes read` (the client read it):
//! it is `destination.bytes` (sent by the server, the responder), and
//! `bytes written` is `source.bytes` (sent by the client).
//!
//! Syslog timestamps: RFC 3339 (rsyslog's high-precision format) or RFC 3164
//! (`Nov 23 10:00:00`), whose missing year is taken as the current one, or the
//! previous one when that would put the line more than a day in the future.
//! Lines of other programs are passed over: the file may be a whole `auth.log`.

use super::CloudFormat;
use super::text::{Line, Lines};
use crate::{Input, RecordError, Source};
use chrono::{Datelike, NaiveDateTime, TimeZone, Utc};
use model::{Event, EventKind, LogSource, Native, Origin, Timestamp, Value};
use std::collections::HashMap;
use std::net::IpAddr;

/// Most concurrent sessions remembered; past this the map is cleared (sessions
/// then lose their user until they log in again) so hostile input cannot grow it.
const MAX_SESSIONS: usize = 100_000;

/// Recognises a syslog file in which sftp-server lines are at least half of the
/// syslog lines of the head (an `auth.log` of a dedicated SFTP server).
pub fn sniff(head: &[u8]) -> Option<CloudFormat> {
    let text = String::from_utf8_lossy(head);
    let mut lines: Vec<&str> = text.lines().collect();
    if !head.ends_with(b"\n") {
        lines.pop();
    }
    let (mut syslog, mut sftp) = (0usize, 0usize);
    for line in lines.iter().take(500) {
        if let Some(parsed) = parse_syslog(line, 2000) {
            syslog += 1;
            sftp += usize::from(is_sftp_program(parsed.program));
        }
    }
    (sftp > 0 && sftp * 2 >= syslog).then_some(CloudFormat::SftpServerLog)
}

fn is_sftp_program(program: &str) -> bool {
    program == "sftp-server" || program == "internal-sftp"
}

/// A syslog line split into its header and message.
struct SyslogLine<'a> {
    timestamp: Timestamp,
    host: &'a str,
    program: &'a str,
    pid: Option<u32>,
    message: &'a str,
}

/// Parses `[<PRI>]TIME HOST PROGRAM[PID]: MESSAGE`; `year` fills RFC 3164 times.
fn parse_syslog(line: &str, year: i32) -> Option<SyslogLine<'_>> {
    let line = match line.strip_prefix('<') {
        Some(rest) => rest.split_once('>')?.1,
        None => line,
    };
    let (timestamp, rest) = parse_time(line, year)?;
    let (host, rest) = rest.trim_start().split_once(' ')?;
    let (tag, message) = rest.split_once(": ")?;
    let (program, pid) = match tag.split_once('[') {
        Some((program, pid)) => (program, pid.trim_end_matches(']').parse().ok()),
        None => (tag, None),
    };
    Some(SyslogLine {
        timestamp,
        host,
        program,
        pid,
        message,
    })
}

fn parse_time(line: &str, year: i32) -> Option<(Timestamp, &str)> {
    let (first, rest) = line.split_once(' ')?;
    if first.len() >= 19 && first.as_bytes()[4] == b'-' {
        return Some((Timestamp::parse(first)?, rest));
    }
    let stamp = line.get(..15)?;
    let text = format!("{year} {}", stamp.replace("  ", " 0"));
    let naive = NaiveDateTime::parse_from_str(&text, "%Y %b %d %H:%M:%S").ok()?;
    Some((
        Timestamp::from_chrono(Utc.from_utc_datetime(&naive)),
        &line[15..],
    ))
}

/// The year for RFC 3164 lines: this year, or last year for a line that would
/// otherwise lie more than a day in the future.
fn fix_year(timestamp: Timestamp, now: Timestamp) -> Timestamp {
    if timestamp.0 <= now.plus_secs(86_400).0 {
        return timestamp;
    }
    timestamp
        .to_datetime()
        .and_then(|dt| dt.with_year(dt.year() - 1))
        .map(Timestamp::from_chrono)
        .unwrap_or(timestamp)
}

/// What one sftp-server message says.
#[derive(Debug, PartialEq)]
enum Message<'a> {
    SessionOpened {
        user: &'a str,
        ip: Option<IpAddr>,
    },
    SessionClosed {
        user: &'a str,
        ip: Option<IpAddr>,
    },
    Open {
        path: &'a str,
        flags: &'a str,
    },
    Close {
        path: &'a str,
        read: u64,
        written: u64,
        forced: bool,
    },
    Other {
        verb: &'static str,
        path: &'a str,
        to: Option<&'a str>,
    },
}

fn parse_message(message: &str) -> Option<Message<'_>> {
    if let Some(rest) = message.strip_prefix("session opened for local user ") {
        let (user, ip) = session_user(rest)?;
        return Some(Message::SessionOpened { user, ip });
    }
    if let Some(rest) = message.strip_prefix("session closed for local user ") {
        let (user, ip) = session_user(rest)?;
        return Some(Message::SessionClosed { user, ip });
    }
    if let Some(rest) = message.strip_prefix("open \"") {
        let (path, tail) = rest.rsplit_once("\" flags ")?;
        let flags = tail.split(" mode ").next().unwrap_or(tail);
        return Some(Message::Open { path, flags });
    }
    for (prefix, forced) in [("close \"", false), ("forced close \"", true)] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (path, tail) = rest.rsplit_once("\" bytes read ")?;
            let (read, written) = tail.split_once(" written ")?;
            return Some(Message::Close {
                path,
                read: read.trim().parse().ok()?,
                written: written.trim().parse().ok()?,
                forced,
            });
        }
    }
    const PATH_VERBS: [(&str, &str); 5] = [
        ("remove name \"", "remove"),
        ("mkdir name \"", "mkdir"),
        ("rmdir name \"", "rmdir"),
        ("opendir \"", "opendir"),
        ("set \"", "setstat"),
    ];
    for (prefix, verb) in PATH_VERBS {
        if let Some(rest) = message.strip_prefix(prefix) {
            let path = rest.split('"').next().unwrap_or(rest);
            return Some(Message::Other {
                verb,
                path,
                to: None,
            });
        }
    }
    for (prefix, verb) in [
        ("rename old \"", "rename"),
        ("posix-rename old \"", "rename"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (from, to) = rest.split_once("\" new \"")?;
            return Some(Message::Other {
                verb,
                path: from,
                to: Some(to.trim_end_matches('"')),
            });
        }
    }
    None
}

/// `alice from [10.0.0.5]` as the user and address.
fn session_user(rest: &str) -> Option<(&str, Option<IpAddr>)> {
    let (user, from) = match rest.split_once(" from ") {
        Some((user, from)) => (user, Some(from)),
        None => (rest, None),
    };
    let ip = from.and_then(|f| {
        f.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    });
    (!user.is_empty()).then_some((user, ip))
}

/// Opens an sftp-server log.
pub fn open(input: Input) -> Box<dyn Source> {
    let mut reader = SftpReader {
        lines: Lines::new(input.reader),
        file: input.path,
        sessions: HashMap::new(),
        now: Timestamp::from_chrono(Utc::now()),
    };
    Box::new(std::iter::from_fn(move || reader.next_event()))
}

struct SftpReader {
    lines: Lines,
    file: std::sync::Arc<str>,
    /// (host, pid) to (user, client address).
    sessions: HashMap<(String, u32), (String, Option<IpAddr>)>,
    now: Timestamp,
}

impl SftpReader {
    fn next_event(&mut self) -> Option<Result<Event, RecordError>> {
        let year = self.now.to_datetime().map(|d| d.year()).unwrap_or(1970);
        loop {
            let (offset, text) = match self.lines.next_line()? {
                Line::Bad(offset, reason) => {
                    return Some(Err(RecordError::new(&self.file, offset, reason)));
                }
                Line::Text(offset, text) => (offset, text),
            };
            if text.trim().is_empty() {
                continue;
            }
            let Some(mut line) = parse_syslog(text, year) else {
                return Some(Err(RecordError::new(
                    &self.file,
                    offset,
                    "not a syslog line",
                )));
            };
            if !is_sftp_program(line.program) {
                continue;
            }
            let Some(message) = parse_message(line.message) else {
                continue;
            };
            line.timestamp = fix_year(line.timestamp, self.now);
            let origin = Origin {
                file: self.file.clone(),
                offset,
            };
            let session = track_session(&mut self.sessions, line.host, line.pid, &message);
            return Some(Ok(sftp_event(&line, &message, session, origin)));
        }
    }
}

/// Remembers or forgets a session; returns the user and client for this line.
fn track_session(
    sessions: &mut HashMap<(String, u32), (String, Option<IpAddr>)>,
    host: &str,
    pid: Option<u32>,
    message: &Message<'_>,
) -> Option<(String, Option<IpAddr>)> {
    let key = (host.to_owned(), pid?);
    match message {
        Message::SessionOpened { user, ip } => {
            if sessions.len() >= MAX_SESSIONS {
                sessions.clear();
            }
            let session = ((*user).to_owned(), *ip);
            sessions.insert(key, session.clone());
            Some(session)
        }
        Message::SessionClosed { user, ip } => {
            sessions.remove(&key);
            Some(((*user).to_owned(), *ip))
        }
        _ => sessions.get(&key).cloned(),
    }
}

fn sftp_event(
    line: &SyslogLine<'_>,
    message: &Message<'_>,
    session: Option<(String, Option<IpAddr>)>,
    origin: Origin,
) -> Event {
    let message_text = line.message.to_owned();
    let mut native = Native::with_capacity(8);
    native.push("program", Value::from(line.program));
    if let Some(pid) = line.pid {
        native.push("pid", Value::Int(pid.into()));
    }
    let mut event = Event {
        timestamp: line.timestamp,
        kind: EventKind::File,
        logsource: LogSource::new(Some("linux"), None, Some("sftp")),
        origin: Some(origin),
        dataset: Some("sftp.server".into()),
        host_name: Some(line.host.to_owned()),
        ..Event::default()
    };
    let (action, path) = match message {
        Message::SessionOpened { .. } => ("sftp-session-opened", None),
        Message::SessionClosed { .. } => ("sftp-session-closed", None),
        Message::Open { path, flags } => {
            native.push("flags", Value::from(*flags));
            ("sftp-open", Some(*path))
        }
        Message::Close {
            path,
            read,
            written,
            forced,
        } => {
            native.push("bytes_read", Value::Int(*read as i64));
            native.push("bytes_written", Value::Int(*written as i64));
            native.push("forced", Value::Bool(*forced));
            let network = event.network_mut();
            network.destination_bytes = Some(*read);
            network.source_bytes = Some(*written);
            ("sftp-close", Some(*path))
        }
        Message::Other { verb, path, to } => {
            if let Some(to) = to {
                native.push("target_path", Value::from(*to));
            }
            (*verb, Some(*path))
        }
    };
    if matches!(
        message,
        Message::SessionOpened { .. } | Message::SessionClosed { .. }
    ) {
        event.kind = EventKind::Authentication;
    }
    if let Some((user, ip)) = session {
        native.push("user", Value::from(user.as_str()));
        event.user_name = Some(user);
        if let Some(ip) = ip {
            event.network_mut().source_ip = Some(ip);
        }
    }
    native.push("message", Value::from(message_text.as_str()));
    event.action = Some(action.into());
    event.file_path = path.map(str::to_owned);
    event.native = native;
    event.message = Some(message_text);
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages() {
        assert_eq!(
            parse_message("close \"/home/a/x y.pdf\" bytes read 1048576 written 0"),
            Some(Message::Close {
                path: "/home/a/x y.pdf",
                read: 1_048_576,
                written: 0,
                forced: false
            })
        );
        assert_eq!(
            parse_message("session opened for local user alice from [10.0.0.5]"),
            Some(Message::SessionOpened {
                user: "alice",
                ip: "10.0.0.5".parse().ok()
            })
        );
        assert_eq!(
            parse_message("open \"/x\" flags READ mode 0666"),
            Some(Message::Open {
                path: "/x",
                flags: "READ"
            })
        );
        assert_eq!(parse_message("received client version 3"), None);
    }

    #[test]
    fn syslog_times() {
        let line =
            parse_syslog("Nov  3 10:00:01 srv sftp-server[42]: opendir \"/\"", 2026).unwrap();
        assert_eq!(
            line.timestamp,
            Timestamp::parse("2026-11-03T10:00:01Z").unwrap()
        );
        assert_eq!(
            (line.host, line.program, line.pid),
            ("srv", "sftp-server", Some(42))
        );
        let line = parse_syslog("2026-11-03T10:00:01.5+01:00 srv internal-sftp[7]: x", 0).unwrap();
        assert_eq!(
            line.timestamp,
            Timestamp::parse("2026-11-03T09:00:01.5Z").unwrap()
        );
        let future = Timestamp::parse("2026-12-30T00:00:00Z").unwrap();
        let now = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
        assert_eq!(
            fix_year(future, now),
            Timestamp::parse("2025-12-30T00:00:00Z").unwrap()
        );
    }
}
