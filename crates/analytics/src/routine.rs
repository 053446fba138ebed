//! Per-key day counts: how many distinct days something (an upload-heavy session
//! to a destination, a transfer protocol to a host) already happened, so that a
//! job that runs every night stops being raised once it is the routine.

use crate::keys::U64Map;

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    last_day: i64,
    days: u16,
    last_alert: i64,
}

/// Day counts and last-alert times per key, bounded.
#[derive(Debug)]
pub struct Routine {
    entries: U64Map<Entry>,
    max: usize,
}

impl Routine {
    /// A book for at most `max` keys (cleared of stale keys beyond that).
    pub fn new(max: usize) -> Self {
        Routine {
            entries: U64Map::default(),
            max,
        }
    }

    /// Counts `now` (seconds) for `key`; returns the days seen before today.
    pub fn observe(&mut self, key: u64, now: i64) -> u16 {
        if self.entries.len() >= self.max && !self.entries.contains_key(&key) {
            let horizon = now - 30 * 86_400;
            self.entries.retain(|_, e| e.last_day * 86_400 >= horizon);
            if self.entries.len() >= self.max {
                self.entries.clear();
            }
        }
        let day = now.div_euclid(86_400);
        let e = self.entries.entry(key).or_insert(Entry {
            last_day: i64::MIN,
            days: 0,
            last_alert: i64::MIN,
        });
        let before = e.days;
        if e.last_day != day {
            e.last_day = day;
            e.days = e.days.saturating_add(1);
        }
        before
    }

    /// Whether `key` was alerted within `window_s` of `now`; if not, marks it now.
    pub fn should_alert(&mut self, key: u64, now: i64, window_s: i64) -> bool {
        match self.entries.get_mut(&key) {
            Some(e) if e.last_alert != i64::MIN && now - e.last_alert < window_s => false,
            Some(e) => {
                e.last_alert = now;
                true
            }
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_days_once() {
        let mut r = Routine::new(10);
        assert_eq!(r.observe(1, 0), 0);
        assert_eq!(r.observe(1, 100), 1);
        assert_eq!(r.observe(1, 86_400 + 5), 1);
        assert_eq!(r.observe(1, 2 * 86_400 + 5), 2);
        assert!(r.should_alert(1, 10, 3600));
        assert!(!r.should_alert(1, 20, 3600));
        assert!(r.should_alert(1, 4000, 3600));
    }
}
