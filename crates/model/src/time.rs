//! Event time: microseconds since the Unix epoch, UTC.
//!
//! Every stage advances on event time (never wall time), so a replay of last month
//! gives the same answers as running live through it.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize, Serializer};

/// A point in event time: microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct Timestamp(pub i64);

/// Microseconds in one second.
pub const MICROS_PER_SEC: i64 = 1_000_000;

impl Timestamp {
    /// The smallest timestamp; used as "no time known yet".
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    /// The largest timestamp; used as "end of stream" watermark.
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// From whole seconds since the epoch.
    pub fn from_secs(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(MICROS_PER_SEC))
    }

    /// From fractional seconds since the epoch (Zeek's `ts`).
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || secs.abs() > 9.0e12 {
            return None;
        }
        Some(Timestamp((secs * 1e6).round() as i64))
    }

    /// From milliseconds since the epoch.
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms.saturating_mul(1000))
    }

    /// Whole seconds since the epoch (floor).
    pub fn secs(self) -> i64 {
        self.0.div_euclid(MICROS_PER_SEC)
    }

    /// Seconds since the epoch as a float.
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// This time plus `secs` seconds (saturating).
    pub fn plus_secs(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(MICROS_PER_SEC)))
    }

    /// As a chrono UTC time, when representable.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::<Utc>::from_timestamp_micros(self.0)
    }

    /// RFC 3339 UTC with the precision the value needs (`2026-11-23T20:18:05.123456Z`).
    pub fn to_rfc3339(self) -> String {
        match self.to_datetime() {
            Some(dt) => dt.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            None => String::from("1970-01-01T00:00:00Z"),
        }
    }

    /// Parses the timestamp shapes found in logs: RFC 3339 with or without a zone
    /// (no zone means UTC; `+0200` without a colon too), a space instead of `T`,
    /// epoch seconds or milliseconds given as digits, and RFC 2822.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Some(time) = parse_iso_fast(text.as_bytes()) {
            return Some(time);
        }
        Self::parse_general(text)
    }

    /// [`Timestamp::parse`] without its fast path: chrono's parsers, one
    /// format after another (each strftime format is parsed anew on every
    /// call, which cost a third of reading Suricata's EVE JSON).
    fn parse_general(text: &str) -> Option<Self> {
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Some(Self::from_chrono(dt.with_timezone(&Utc)));
        }
        let bytes = text.as_bytes();
        if bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
            let value: f64 = text.parse().ok()?;
            // Epoch milliseconds once past the year 5138 in seconds.
            return if value > 1.0e11 {
                Some(Timestamp((value * 1000.0).round() as i64))
            } else {
                Self::from_secs_f64(value)
            };
        }
        // Zone-less shapes only: a naive parse of a format with `%z` reads
        // the offset and drops it (`2026-11-23 20:18:05-0530` was taken as
        // UTC); zoned shapes are read below with their offset.
        const NAIVE: [&str; 3] = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.fZ",
        ];
        for fmt in NAIVE {
            if let Ok(naive) = NaiveDateTime::parse_from_str(text, fmt) {
                return Some(Self::from_chrono(Utc.from_utc_datetime(&naive)));
            }
        }
        // With a zone, as "%z" reads it: "+0200" without the colon RFC 3339
        // wants (Suricata's EVE `timestamp`), and after a space.
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f %z"] {
            if let Ok(dt) = DateTime::parse_from_str(text, fmt) {
                return Some(Self::from_chrono(dt.with_timezone(&Utc)));
            }
        }
        // "2026-11-23 20:18:05.123 UTC"
        if let Some(stripped) = text.strip_suffix(" UTC") {
            return Self::parse(stripped);
        }
        // RFC 2822, as mail, HTTP and some appliance logs write it
        // ("Mon, 23 Nov 2026 20:18:05 GMT", "23 Nov 2026 21:18:05 +0100").
        if let Ok(dt) = DateTime::parse_from_rfc2822(text) {
            return Some(Self::from_chrono(dt.with_timezone(&Utc)));
        }
        None
    }

    /// From a chrono UTC time.
    pub fn from_chrono(dt: DateTime<Utc>) -> Self {
        Timestamp(dt.timestamp_micros())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// The common shape of log times, read without chrono's format parsing:
/// `YYYY-MM-DD`, `T` or a space, `HH:MM:SS`, an optional fraction of up to
/// nine digits (kept to the microsecond, as chrono's path keeps it), then
/// nothing (UTC), `Z`, or an offset `+HH:MM` or `+HHMM`. Anything else
/// (leap seconds, other zones, text after the time) is `None` and left to
/// the general path, so both give the same answer wherever this one answers
/// (`fast_path_agrees_with_chrono` checks it).
fn parse_iso_fast(b: &[u8]) -> Option<Timestamp> {
    fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
        let part = b.get(at..at + n)?;
        part.iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    }
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && (sep(10, b'T') || sep(10, b' ')))
        || !(sep(13, b':') && sep(16, b':'))
    {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        digits(b, 0, 4)? as i32,
        digits(b, 5, 2)?,
        digits(b, 8, 2)?,
    )?;
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if second > 59 {
        return None;
    }
    let time = date.and_hms_opt(hour, minute, second)?;
    let mut at = 19;
    let mut micros = 0i64;
    if sep(at, b'.') {
        let start = at + 1;
        let len = b[start..].iter().take_while(|d| d.is_ascii_digit()).count();
        if !(1..=9).contains(&len) {
            return None;
        }
        let fraction = digits(b, start, len)?;
        micros = i64::from(fraction) * 10i64.pow(9 - len as u32) / 1_000;
        at = start + len;
    }
    let offset_secs = match &b[at..] {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hours, minutes) = match rest {
                [_, _, b':', _, _] => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
                [_, _, _, _] => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let secs = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let secs = time.and_utc().timestamp() - offset_secs;
    Some(Timestamp(secs * MICROS_PER_SEC + micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Wherever the fast path answers, chrono's path gives the same
        /// time; and the shapes logs use are all answered by it.
        #[test]
        fn fast_path_agrees_with_chrono(
            secs in 0i64..4_102_444_800,
            nanos in 0u32..1_000_000_000,
            digits in 0usize..10,
            sep in proptest::sample::select(vec!["T", " "]),
            zone in proptest::sample::select(vec!["", "Z", "+02:00", "-0530", "+0000", "+05", "-11:45", "+24:00", " UTC", "+1", "z"]),
            noise in proptest::option::of("[0-9:.+TZ -]{1,3}"),
        ) {
            let dt = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
            let fraction = match digits {
                0 => String::new(),
                n => format!(".{}", &format!("{:09}", nanos)[..n]),
            };
            let mut text = format!("{}{sep}{}{fraction}{zone}", dt.format("%Y-%m-%d"), dt.format("%H:%M:%S"));
            if let Some(noise) = &noise {
                text.insert_str(text.len() / 2, noise);
            }
            let fast = parse_iso_fast(text.as_bytes());
            if let Some(fast) = fast {
                proptest::prop_assert_eq!(Some(fast), Timestamp::parse_general(&text), "{}", text);
            }
            let common = noise.is_none() && ["", "Z", "+02:00", "-0530", "+0000", "-11:45"].contains(&zone);
            if common {
                proptest::prop_assert!(fast.is_some(), "{} not on the fast path", text);
            }
        }
    }

    #[test]
    fn parses_common_shapes() {
        let expected = Timestamp::parse("2026-11-23T20:18:05Z").unwrap();
        assert_eq!(expected.secs(), 1_795_465_085);
        for text in [
            "2026-11-23T20:18:05+00:00",
            "2026-11-23 20:18:05",
            "2026-11-23T20:18:05",
            "1795465085",
            "1795465085000",
            "1795465085.000000",
            "2026-11-23 20:18:05 UTC",
        ] {
            assert_eq!(Timestamp::parse(text), Some(expected), "{text}");
        }
        assert_eq!(
            Timestamp::parse("2026-11-23T21:18:05+01:00"),
            Some(expected)
        );
        assert_eq!(
            Timestamp::parse("2026-11-23T22:18:05.000000+0200"),
            Some(expected)
        );
        for text in [
            "Mon, 23 Nov 2026 20:18:05 GMT",
            "23 Nov 2026 21:18:05 +0100",
        ] {
            assert_eq!(Timestamp::parse(text), Some(expected), "{text}");
        }
        // The offset counts after a space too (it was dropped).
        for text in ["2026-11-23 14:48:05-0530", "2026-11-23 14:48:05 -0530"] {
            assert_eq!(Timestamp::parse(text), Some(expected), "{text}");
            assert_eq!(Timestamp::parse_general(text), Some(expected), "{text}");
        }
        assert_eq!(Timestamp::parse("garbage"), None);
    }

    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(Timestamp::from_secs(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp(1_500_000).to_rfc3339(),
            "1970-01-01T00:00:01.500Z"
        );
    }
}
