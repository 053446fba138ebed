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
    /// and epoch seconds or milliseconds given as digits.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
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
        const NAIVE: [&str; 4] = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.fZ",
            "%Y-%m-%d %H:%M:%S%.f %z",
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

#[cfg(test)]
mod tests {
    use super::*;

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
