//! Line-oriented network logs: a reader that hands each line and its byte offset
//! to a format's [`LineParser`], and small helpers the parsers share.

use crate::{RecordError, SourceContext};
use model::{Event, Origin, Timestamp};
use std::io::BufRead;
use std::sync::Arc;

/// What a parser made of one line.
pub enum Parsed {
    /// An event.
    Event(Box<Event>),
    /// A line that carries no record (comment, header, blank, a directive).
    Skip,
    /// A malformed line: the reason, counted and reported.
    Bad(String),
}

/// A line format: turns one line (without its end of line) into a [`Parsed`].
pub trait LineParser: Send {
    /// Parses one line (end of line removed); the caller sets the origin.
    fn parse(&mut self, line: &str, ctx: &SourceContext) -> Parsed;
}

/// Streams the lines of an input through a [`LineParser`]; each event gets the
/// file and the byte offset of its line as origin.
pub struct LineSource<P: LineParser> {
    path: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    parser: P,
    ctx: SourceContext,
    offset: u64,
    line: Vec<u8>,
    done: bool,
}

impl<P: LineParser> LineSource<P> {
    /// Wraps an input.
    pub fn new(input: crate::Input, ctx: &SourceContext, parser: P) -> Self {
        LineSource {
            path: input.path,
            reader: input.reader,
            parser,
            ctx: ctx.clone(),
            offset: 0,
            line: Vec::with_capacity(512),
            done: false,
        }
    }

    fn error(&self, offset: u64, reason: String) -> RecordError {
        RecordError {
            file: self.path.clone(),
            offset,
            reason,
        }
    }
}

const MAX_LINE: usize = 1 << 20;

impl<P: LineParser> Iterator for LineSource<P> {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line.clear();
            let offset = self.offset;
            let reader: &mut (dyn BufRead + Send) = &mut *self.reader;
            let read = match std::io::Read::take(reader, MAX_LINE as u64)
                .read_until(b'\n', &mut self.line)
            {
                Ok(n) => n,
                Err(err) => {
                    self.done = true;
                    return Some(Err(self.error(offset, format!("read error: {err}"))));
                }
            };
            if read == 0 {
                self.done = true;
                return None;
            }
            self.offset += read as u64;
            if read == MAX_LINE && self.line.last() != Some(&b'\n') {
                // Skip the rest of an overlong line.
                let mut rest = Vec::new();
                if let Ok(n) = self.reader.read_until(b'\n', &mut rest) {
                    self.offset += n as u64;
                }
                return Some(Err(self.error(offset, "line longer than 1 MiB".into())));
            }
            let text = String::from_utf8_lossy(&self.line);
            let text = text.trim_end_matches(['\n', '\r']);
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if text.trim().is_empty() {
                continue;
            }
            match self.parser.parse(text, &self.ctx) {
                Parsed::Event(mut event) => {
                    event.origin = Some(Origin {
                        file: self.path.clone(),
                        offset,
                    });
                    return Some(Ok(*event));
                }
                Parsed::Skip => continue,
                Parsed::Bad(reason) => return Some(Err(self.error(offset, reason))),
            }
        }
        None
    }
}

/// `-` and empty mean "no value" in most text logs.
pub fn value(field: &str) -> Option<&str> {
    let field = field.trim();
    (!field.is_empty() && field != "-").then_some(field)
}

/// Splits one CSV line with quoting (`"a,b"`, doubled quotes inside quotes).
pub fn split_csv(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            c if c == delimiter && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The first `n` non-empty lines of a sniffed head (the last, maybe cut, line is
/// dropped unless the head holds only one line).
pub fn head_lines(head: &[u8], n: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(head);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let complete = text.ends_with('\n');
    let mut lines: Vec<&str> = text.lines().collect();
    if !complete && lines.len() > 1 {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .map(str::to_string)
        .collect()
}

/// Host and port of a URL or of a CONNECT target (`host:443`).
pub fn url_host_port(url: &str) -> (Option<String>, Option<u16>, Option<String>) {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let path = (authority_end < rest.len()).then(|| rest[authority_end..].to_string());
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((host, tail)) => (
                host.to_string(),
                tail.strip_prefix(':').and_then(|p| p.parse().ok()),
            ),
            None => (v6.to_string(), None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
                (host.to_string(), port.parse().ok())
            }
            _ => (authority.to_string(), None),
        }
    };
    let port = port.or(match scheme.as_deref() {
        Some("http") => Some(80),
        Some("https") => Some(443),
        Some("ftp") => Some(21),
        _ => None,
    });
    let host = (!host.is_empty()).then(|| host.to_ascii_lowercase());
    (host, port, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        assert_eq!(
            split_csv(r#"a,"b,c","d""e",,f"#, ','),
            vec!["a", "b,c", "d\"e", "", "f"]
        );
    }

    #[test]
    fn civil_times() {
        let clock = parse_clock("2:05:01.5", Some("PM")).unwrap();
        assert_eq!(
            civil_time(2026, 11, 23, clock),
            Timestamp::parse("2026-11-23T14:05:01.5Z")
        );
        assert_eq!(
            civil_time(2024, 2, 29, Clock::default()),
            Timestamp::parse("2024-02-29T00:00:00Z")
        );
        assert_eq!(civil_time(2026, 2, 29, Clock::default()), None);
        assert_eq!(civil_time(i64::MAX, 1, 1, Clock::default()), None);
        assert_eq!(month_number("Nov"), Some(11));
    }

    #[test]
    fn url_parts() {
        assert_eq!(
            url_host_port("http://Example.com:8080/a?b"),
            (Some("example.com".into()), Some(8080), Some("/a?b".into()))
        );
        assert_eq!(
            url_host_port("domain.xyz:443"),
            (Some("domain.xyz".into()), Some(443), None)
        );
        assert_eq!(
            url_host_port("https://[2001:db8::1]/x").0.as_deref(),
            Some("2001:db8::1")
        );
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A UTC time from its parts; `None` when a part is out of range.
pub fn civil_time(year: i64, month: u32, day: u32, clock: Clock) -> Option<Timestamp> {
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=9999).contains(&year)
        || day == 0
        || day > days_in_month
        || clock.hour > 23
        || clock.minute > 59
        || clock.second > 60
    {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400
        + clock.hour as i64 * 3600
        + clock.minute as i64 * 60
        + clock.second as i64;
    Some(Timestamp(secs * 1_000_000 + clock.micros as i64))
}

/// A time of day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
    /// 0-60.
    pub second: u32,
    /// Fraction of the second in microseconds.
    pub micros: u32,
}

/// Parses `H:MM:SS[.fraction]`, optionally followed by `AM`/`PM` in `meridiem`.
pub fn parse_clock(text: &str, meridiem: Option<&str>) -> Option<Clock> {
    let mut parts = text.split(':');
    let mut hour: u32 = parts.next()?.parse().ok()?;
    let minute = parts.next()?.parse().ok()?;
    let sec_text = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let (sec, frac) = sec_text.split_once(['.', ',']).unwrap_or((sec_text, ""));
    let second = sec.parse().ok()?;
    let micros = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().take(6).collect();
        digits.parse::<u32>().ok()? * 10u32.pow(6 - digits.len() as u32)
    };
    match meridiem.map(str::to_ascii_uppercase).as_deref() {
        Some("PM") if hour < 12 => hour += 12,
        Some("AM") if hour == 12 => hour = 0,
        Some("AM" | "PM") | None => {}
        Some(_) => return None,
    }
    Some(Clock {
        hour,
        minute,
        second,
        micros,
    })
}

/// `Jan`..`Dec` to 1..12.
pub fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower)
        .map(|i| i as u32 + 1)
}
