//! The business calendar: time zone, business hours and days, holidays
//! (`[calendar]`), and the hour-of-week slots the baselines are kept in.

use crate::AnalyticsError;
use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use model::Timestamp;
use model::config::CalendarConfig;
use std::collections::HashSet;

/// Event times before this (2000-01-01) come from a clock that was never set
/// (captures starting at 0): they are neither business nor off-hours.
pub const CLOCK_SET_AFTER_S: i64 = 946_684_800;

/// Where a moment falls in the business calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkTime {
    /// Inside business hours on a business day.
    Business,
    /// Outside business hours on a business day (evening, night, early morning).
    OffHours,
    /// A weekend (non-business) day.
    Weekend,
    /// A configured holiday.
    Holiday,
    /// The clock was not set (1970 timestamps): no judgement.
    Unknown,
}

impl WorkTime {
    /// Whether this counts as outside business time.
    pub fn is_off(self) -> bool {
        matches!(
            self,
            WorkTime::OffHours | WorkTime::Weekend | WorkTime::Holiday
        )
    }

    /// A short word for evidence (`business`, `off_hours`, `weekend`, `holiday`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkTime::Business => "business",
            WorkTime::OffHours => "off_hours",
            WorkTime::Weekend => "weekend",
            WorkTime::Holiday => "holiday",
            WorkTime::Unknown => "clock_unset",
        }
    }
}

/// The configured calendar, parsed once.
#[derive(Clone, Debug)]
pub struct Calendar {
    tz: Tz,
    start: NaiveTime,
    end: NaiveTime,
    days: [bool; 7],
    holidays: HashSet<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::from_config(&CalendarConfig::default()).expect("default calendar is valid")
    }
}

fn invalid(key: &str, message: String) -> AnalyticsError {
    AnalyticsError::Config {
        key: format!("calendar.{key}"),
        message,
    }
}

/// Parses `HH:MM-HH:MM` (an end before the start wraps past midnight).
pub fn parse_window(text: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let (a, b) = text
        .split_once('-')
        .ok_or_else(|| format!("{text:?} is not HH:MM-HH:MM"))?;
    let parse = |s: &str| {
        let s = s.trim();
        if s == "24:00" {
            return NaiveTime::from_hms_opt(23, 59, 59)
                .ok_or_else(|| "24:00 not representable".to_string());
        }
        NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| format!("{s:?} in {text:?}: {e}"))
    };
    Ok((parse(a)?, parse(b)?))
}

/// Whether local time `t` is inside `start..end` (wrapping past midnight).
pub fn in_window(t: NaiveTime, start: NaiveTime, end: NaiveTime) -> bool {
    if start <= end {
        t >= start && t < end
    } else {
        t >= start || t < end
    }
}

impl Calendar {
    /// Parses the `[calendar]` section; errors name the key and the bad value.
    pub fn from_config(config: &CalendarConfig) -> Result<Self, AnalyticsError> {
        let tz: Tz = config.timezone.parse().map_err(|_| {
            invalid(
                "timezone",
                format!(
                    "{:?} is not an IANA time zone name (e.g. Europe/Berlin)",
                    config.timezone
                ),
            )
        })?;
        let (start, end) =
            parse_window(&config.business_hours).map_err(|m| invalid("business_hours", m))?;
        let mut days = [false; 7];
        for name in &config.business_days {
            let day: Weekday = name.parse().map_err(|_| {
                invalid(
                    "business_days",
                    format!("{name:?} is not a day name (mon, tue, ...)"),
                )
            })?;
            days[day.num_days_from_monday() as usize] = true;
        }
        let mut holidays = HashSet::new();
        for text in &config.holidays {
            let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|e| invalid("holidays", format!("{text:?} is not YYYY-MM-DD: {e}")))?;
            holidays.insert(date);
        }
        Ok(Calendar {
            tz,
            start,
            end,
            days,
            holidays,
        })
    }

    /// The configured time zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The local date and time of `ts`, when the clock was set.
    pub fn local(&self, ts: Timestamp) -> Option<chrono::DateTime<Tz>> {
        if ts.secs() < CLOCK_SET_AFTER_S {
            return None;
        }
        let utc = ts.to_datetime()?;
        Some(self.tz.from_utc_datetime(&utc.naive_utc()))
    }

    /// Where `ts` falls in the calendar.
    pub fn classify(&self, ts: Timestamp) -> WorkTime {
        let Some(local) = self.local(ts) else {
            return WorkTime::Unknown;
        };
        if self.holidays.contains(&local.date_naive()) {
            return WorkTime::Holiday;
        }
        if !self.days[local.weekday().num_days_from_monday() as usize] {
            return WorkTime::Weekend;
        }
        if in_window(local.time(), self.start, self.end) {
            WorkTime::Business
        } else {
            WorkTime::OffHours
        }
    }

    /// Local hour of week, 0 = Monday 00:00-01:00 (168 slots); 1970 clocks use UTC.
    pub fn hour_of_week(&self, ts: Timestamp) -> usize {
        match self.local(ts) {
            Some(local) => {
                local.weekday().num_days_from_monday() as usize * 24 + local.hour() as usize
            }
            None => {
                // 1970-01-01 was a Thursday.
                let hours = ts.secs().div_euclid(3600);
                ((hours + 3 * 24).rem_euclid(168)) as usize
            }
        }
    }

    /// Local hour of day (0..24).
    pub fn hour_of_day(&self, ts: Timestamp) -> usize {
        self.hour_of_week(ts) % 24
    }

    /// Local day number (days since the epoch in local time), for "once a day" logic.
    pub fn local_day(&self, ts: Timestamp) -> i64 {
        match self.local(ts) {
            Some(local) => local.date_naive().num_days_from_ce() as i64,
            None => ts.secs().div_euclid(86_400),
        }
    }
}

/// What the calendar says about one UTC minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalFacts {
    /// Business, off-hours, weekend, holiday or unknown.
    pub work: WorkTime,
    /// Local hour of day.
    pub hour_of_day: usize,
    /// Local day number.
    pub local_day: i64,
}

/// A calendar with a one-entry cache per UTC minute: events arrive in time order,
/// so almost every lookup is a hit and the time-zone conversion runs once a minute.
#[derive(Clone, Debug)]
pub struct CachedCalendar {
    calendar: Calendar,
    minute: i64,
    facts: LocalFacts,
}

impl CachedCalendar {
    /// Wraps a calendar.
    pub fn new(calendar: Calendar) -> Self {
        CachedCalendar {
            calendar,
            minute: i64::MIN,
            facts: LocalFacts {
                work: WorkTime::Unknown,
                hour_of_day: 0,
                local_day: 0,
            },
        }
    }

    /// The calendar behind the cache.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The facts of `ts` (business hours are whole minutes, so the minute decides).
    pub fn facts(&mut self, ts: Timestamp) -> LocalFacts {
        let minute = ts.secs().div_euclid(60);
        if minute != self.minute {
            self.minute = minute;
            self.facts = LocalFacts {
                work: self.calendar.classify(ts),
                hour_of_day: self.calendar.hour_of_day(ts),
                local_day: self.calendar.local_day(ts),
            };
        }
        self.facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn berlin() -> Calendar {
        Calendar::from_config(&CalendarConfig {
            timezone: "Europe/Berlin".into(),
            holidays: vec!["2026-12-25".into()],
            ..CalendarConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn classifies_in_local_time() {
        let cal = berlin();
        // 07:30 UTC = 08:30 Berlin (winter) on a Monday.
        assert_eq!(cal.classify(at("2026-11-23T07:30:00Z")), WorkTime::Business);
        // 17:30 UTC = 18:30 Berlin.
        assert_eq!(cal.classify(at("2026-11-23T17:30:00Z")), WorkTime::OffHours);
        assert_eq!(cal.classify(at("2026-11-22T10:00:00Z")), WorkTime::Weekend);
        assert_eq!(cal.classify(at("2026-12-25T10:00:00Z")), WorkTime::Holiday);
        assert_eq!(cal.hour_of_week(at("2026-11-23T07:30:00Z")), 8);
    }

    #[test]
    fn unset_clock_is_not_off_hours() {
        let cal = berlin();
        for secs in [0, 3600 * 3, 86_400 * 2 + 7200] {
            let w = cal.classify(Timestamp::from_secs(secs));
            assert_eq!(w, WorkTime::Unknown);
            assert!(!w.is_off());
        }
    }

    #[test]
    fn bad_values_name_the_key() {
        let bad_tz = CalendarConfig {
            timezone: "Mars/Olympus".into(),
            ..CalendarConfig::default()
        };
        let err = Calendar::from_config(&bad_tz).unwrap_err().to_string();
        assert!(err.contains("calendar.timezone"), "{err}");
        let bad_day = CalendarConfig {
            business_days: vec!["funday".into()],
            ..CalendarConfig::default()
        };
        assert!(Calendar::from_config(&bad_day).is_err());
        let bad_hours = CalendarConfig {
            business_hours: "8-18".into(),
            ..CalendarConfig::default()
        };
        assert!(Calendar::from_config(&bad_hours).is_err());
    }

    #[test]
    fn cache_gives_the_same_answers() {
        let cal = berlin();
        let mut cached = CachedCalendar::new(cal.clone());
        for secs in (1_795_400_000..1_795_600_000).step_by(7_919) {
            let ts = Timestamp::from_secs(secs);
            let f = cached.facts(ts);
            assert_eq!(f.work, cal.classify(ts));
            assert_eq!(f.hour_of_day, cal.hour_of_day(ts));
            assert_eq!(f.local_day, cal.local_day(ts));
        }
    }

    #[test]
    fn windows_wrap_midnight() {
        let (s, e) = parse_window("22:00-04:00").unwrap();
        assert!(in_window(NaiveTime::from_hms_opt(23, 0, 0).unwrap(), s, e));
        assert!(in_window(NaiveTime::from_hms_opt(3, 0, 0).unwrap(), s, e));
        assert!(!in_window(NaiveTime::from_hms_opt(12, 0, 0).unwrap(), s, e));
    }
}
