//! Counters shared by the detectors and the engine: evictions of cold state and
//! events the calendar could not judge, so a run summary can report them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Run counters of the analytics (cheap to clone; all clones share the numbers).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    evictions: AtomicU64,
    clock_unset: AtomicU64,
    tracked_pairs: AtomicU64,
    warnings: Mutex<Vec<String>>,
}

impl Stats {
    /// Records `n` entries of cold state dropped to keep memory bounded.
    pub fn add_evictions(&self, n: u64) {
        self.inner.evictions.fetch_add(n, Ordering::Relaxed);
    }

    /// Entries of cold state dropped so far (pairs, entities, destinations).
    pub fn evictions(&self) -> u64 {
        self.inner.evictions.load(Ordering::Relaxed)
    }

    /// Records an event whose clock was not set (before 2000): no calendar judgement.
    pub fn add_clock_unset(&self) {
        self.inner.clock_unset.fetch_add(1, Ordering::Relaxed);
    }

    /// Transfers seen with a clock that was never set (1970 timestamps).
    pub fn clock_unset(&self) -> u64 {
        self.inner.clock_unset.load(Ordering::Relaxed)
    }

    /// Sets the number of (host, destination) pairs the cadence detector tracks.
    pub fn set_tracked_pairs(&self, n: u64) {
        self.inner.tracked_pairs.store(n, Ordering::Relaxed);
    }

    /// Records a problem that did not stop the run (state database not written).
    pub fn warn(&self, message: String) {
        if let Ok(mut w) = self.inner.warnings.lock() {
            w.push(message);
        }
    }

    /// Problems that did not stop the run, for the summary.
    pub fn warnings(&self) -> Vec<String> {
        self.inner
            .warnings
            .lock()
            .map(|w| w.clone())
            .unwrap_or_default()
    }

    /// (host, destination) pairs tracked at the last count.
    pub fn tracked_pairs(&self) -> u64 {
        self.inner.tracked_pairs.load(Ordering::Relaxed)
    }
}

/// Drops the `fraction` of entries with the oldest `last_seen`, returns how many.
pub fn evict_coldest<V>(
    map: &mut crate::keys::U64Map<V>,
    fraction: f64,
    last_seen: impl Fn(&V) -> i64,
) -> u64 {
    let n = ((map.len() as f64) * fraction).ceil() as usize;
    if n == 0 {
        return 0;
    }
    let mut ages: Vec<i64> = map.values().map(&last_seen).collect();
    let idx = (n - 1).min(ages.len() - 1);
    let (_, cutoff, _) = ages.select_nth_unstable(idx);
    let cutoff = *cutoff;
    let before = map.len();
    let mut budget = n;
    map.retain(|_, v| {
        if budget > 0 && last_seen(v) <= cutoff {
            budget -= 1;
            false
        } else {
            true
        }
    });
    (before - map.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_coldest() {
        let mut map = crate::keys::U64Map::default();
        for i in 0..100u64 {
            map.insert(i, i as i64);
        }
        let n = evict_coldest(&mut map, 0.1, |v| *v);
        assert_eq!(n, 10);
        assert!(!map.contains_key(&5));
        assert!(map.contains_key(&50));
        let stats = Stats::default();
        stats.add_evictions(n);
        assert_eq!(stats.clone().evictions(), 10);
    }
}
