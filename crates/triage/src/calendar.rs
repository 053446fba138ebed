//! The business calendar: when a transfer counts as off-hours.

use crate::TriageError;
use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use model::Timestamp;
use model::config::CalendarConfig;
use std::collections::BTreeSet;

/// `[calendar]` parsed: time zone, business hours, days and holidays.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    tz: Tz,
    start_min: u32,
    end_min: u32,
    days: [bool; 7],
    holidays: BTreeSet<NaiveDate>,
    hours_text: String,
    days_text: String,
}

impl BusinessCalendar {
    /// Parses the `[calendar]` section; an unknown zone, day or malformed hour range
    /// is an error naming the key.
    pub fn from_config(config: &CalendarConfig) -> Result<Self, TriageError> {
        let tz: Tz = config
            .timezone
            .parse()
            .map_err(|_| TriageError::Calendar(format!("unknown time zone {:?} in [calendar] timezone (use an IANA name such as \"Europe/Berlin\")", config.timezone)))?;
        let (start_min, end_min) = parse_hours(&config.business_hours)?;
        let mut days = [false; 7];
        for day in &config.business_days {
            let weekday: Weekday = day.parse().map_err(|_| {
                TriageError::Calendar(format!(
                    "unknown day {day:?} in [calendar] business_days (use mon..sun)"
                ))
            })?;
            days[weekday.num_days_from_monday() as usize] = true;
        }
        let holidays = config
            .holidays
            .iter()
            .map(|d| {
                NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                    TriageError::Calendar(format!(
                        "holiday {d:?} in [calendar] holidays is not YYYY-MM-DD"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(BusinessCalendar {
            tz,
            start_min,
            end_min,
            days,
            holidays,
            hours_text: config.business_hours.trim().to_string(),
            days_text: config.business_days.join(","),
        })
    }

    /// Whether `time` falls inside business hours on a business day that is not a
    /// holiday, in the configured zone. A range such as `22:00-06:00` wraps midnight.
    pub fn is_business_time(&self, time: Timestamp) -> bool {
        let Some(utc) = time.to_datetime() else {
            return false;
        };
        let local = self.tz.from_utc_datetime(&utc.naive_utc());
        if self.holidays.contains(&local.date_naive()) {
            return false;
        }
        if !self.days[local.weekday().num_days_from_monday() as usize] {
            return false;
        }
        let minute = local.hour() * 60 + local.minute();
        if self.start_min <= self.end_min {
            minute >= self.start_min && minute < self.end_min
        } else {
            minute >= self.start_min || minute < self.end_min
        }
    }

    /// Local wall time for sentences: `Mon 2026-11-23 02:14 Europe/Berlin`.
    pub fn local_label(&self, time: Timestamp) -> String {
        match time.to_datetime() {
            Some(utc) => self
                .tz
                .from_utc_datetime(&utc.naive_utc())
                .format(&format!("%a %Y-%m-%d %H:%M {}", self.tz.name()))
                .to_string(),
            None => time.to_rfc3339(),
        }
    }

    /// The calendar in words: `08:00-18:00 mon,tue,wed,thu,fri Europe/Berlin`.
    pub fn describe(&self) -> String {
        format!("{} {} {}", self.hours_text, self.days_text, self.tz.name())
    }
}

fn parse_hours(text: &str) -> Result<(u32, u32), TriageError> {
    let bad = || {
        TriageError::Calendar(format!(
            "business_hours {text:?} in [calendar] must look like \"08:00-18:00\""
        ))
    };
    let (start, end) = text.trim().split_once('-').ok_or_else(bad)?;
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
    };
    Ok((
        minutes(start).ok_or_else(bad)?,
        minutes(end).ok_or_else(bad)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(tz: &str) -> BusinessCalendar {
        BusinessCalendar::from_config(&CalendarConfig {
            timezone: tz.into(),
            holidays: vec!["2026-12-25".into()],
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn business_time_in_zone() {
        let berlin = calendar("Europe/Berlin");
        // Monday 2026-11-23 07:30 UTC = 08:30 Berlin.
        assert!(berlin.is_business_time(Timestamp::parse("2026-11-23T07:30:00Z").unwrap()));
        // 06:30 UTC = 07:30 Berlin: before opening.
        assert!(!berlin.is_business_time(Timestamp::parse("2026-11-23T06:30:00Z").unwrap()));
        // Saturday.
        assert!(!berlin.is_business_time(Timestamp::parse("2026-11-28T10:00:00Z").unwrap()));
        // Holiday (Friday).
        assert!(!berlin.is_business_time(Timestamp::parse("2026-12-25T10:00:00Z").unwrap()));
        assert_eq!(
            berlin.local_label(Timestamp::parse("2026-11-23T07:30:00Z").unwrap()),
            "Mon 2026-11-23 08:30 Europe/Berlin"
        );
    }

    #[test]
    fn bad_calendar_says_which_key() {
        let err = BusinessCalendar::from_config(&CalendarConfig {
            timezone: "Mars/Olympus".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("timezone"), "{err}");
        let err = BusinessCalendar::from_config(&CalendarConfig {
            business_hours: "8-18".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("business_hours"), "{err}");
    }
}
