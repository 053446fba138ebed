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

    /// Loads the rows of `scope` that [`Routine::save`] wrote.
    pub fn load(&mut self, store: &store::Store, scope: &str) -> Result<(), store::StoreError> {
        store.each_blob(scope, |row| {
            let decode = || -> Result<Entry, String> {
                let mut r = crate::persist::Reader::new(&row.data)?;
                let e = Entry {
                    last_day: r.i64()?,
                    days: r.u16()?,
                    last_alert: r.i64()?,
                };
                r.end()?;
                Ok(e)
            };
            let entry = decode()?;
            self.entries.insert(row.key, entry);
            Ok(())
        })?;
        Ok(())
    }

    /// Adds every key's day count and last alert to `snapshot` under `scope`.
    pub fn save(&self, snapshot: &mut store::Snapshot, scope: &str) {
        let rows = self
            .entries
            .iter()
            .map(|(key, e)| {
                let mut w = crate::persist::Writer::default();
                w.i64(e.last_day).u16(e.days).i64(e.last_alert);
                store::Blob {
                    key: *key,
                    last_seen: e.last_day.saturating_mul(86_400),
                    data: w.finish(),
                }
            })
            .collect();
        snapshot.blobs(scope, rows);
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
