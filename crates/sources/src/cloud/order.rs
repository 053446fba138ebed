//! Puts newest-first exports back in time order.
//!
//! Audit exports often run backwards: the GitHub audit log API and its exports, the
//! Management Activity API pages and portal downloads list the newest record first.
//! The replay merges files with a bounded reorder window (an hour by default), so a
//! backwards file of several days would reach the detectors out of order. This
//! wrapper looks at the first records; when they run backwards it buffers the file
//! (up to [`MAX_SORTED`] records) and hands the records out oldest first. Files in
//! time order, or shuffled within minutes as CloudTrail delivery files are, pass
//! through untouched and unbuffered.

use crate::{RecordError, Source};
use model::Event;
use std::collections::VecDeque;

/// Records looked at to decide the order.
const SAMPLE: usize = 1_000;
/// Most records buffered to sort a backwards file; past it the rest passes through.
pub const MAX_SORTED: usize = 500_000;

type Item = Result<Event, RecordError>;

/// Wraps `inner` so that a newest-first file comes out oldest first.
pub fn oldest_first(inner: Box<dyn Source>) -> Box<dyn Source> {
    Box::new(OldestFirst {
        inner,
        ready: VecDeque::new(),
        decided: false,
    })
}

struct OldestFirst {
    inner: Box<dyn Source>,
    ready: VecDeque<Item>,
    decided: bool,
}

impl OldestFirst {
    fn decide(&mut self) {
        self.decided = true;
        let mut head: Vec<Item> = self.inner.by_ref().take(SAMPLE).collect();
        if runs_backwards(&head) {
            head.extend(
                self.inner
                    .by_ref()
                    .take(MAX_SORTED.saturating_sub(head.len())),
            );
            // Unreadable records first (they carry their own offsets), then by time;
            // the sort is stable, so equal times keep the file's order reversed.
            head.reverse();
            head.sort_by_key(|item| match item {
                Ok(event) => (1, event.timestamp),
                Err(_) => (0, model::Timestamp::MIN),
            });
        }
        self.ready = head.into();
    }
}

/// Whether consecutive readable records mostly go back in time.
fn runs_backwards(items: &[Item]) -> bool {
    let times: Vec<_> = items
        .iter()
        .filter_map(|i| i.as_ref().ok())
        .map(|e| e.timestamp)
        .collect();
    let backwards = times.windows(2).filter(|w| w[1] < w[0]).count();
    let forwards = times.windows(2).filter(|w| w[1] > w[0]).count();
    backwards >= 3 && backwards > 2 * forwards
}

impl Iterator for OldestFirst {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if !self.decided {
            self.decide();
        }
        self.ready.pop_front().or_else(|| self.inner.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Timestamp;

    fn events(secs: &[i64]) -> Box<dyn Source> {
        let items: Vec<Item> = secs
            .iter()
            .map(|s| {
                Ok(Event {
                    timestamp: Timestamp::from_secs(*s),
                    ..Event::default()
                })
            })
            .collect();
        Box::new(items.into_iter())
    }

    fn times(source: Box<dyn Source>) -> Vec<i64> {
        source.map(|i| i.unwrap().timestamp.secs()).collect()
    }

    #[test]
    fn backwards_files_come_out_oldest_first() {
        assert_eq!(
            times(oldest_first(events(&[50, 40, 40, 30, 10]))),
            [10, 30, 40, 40, 50]
        );
    }

    #[test]
    fn ordered_and_shuffled_files_pass_through() {
        assert_eq!(times(oldest_first(events(&[1, 2, 3, 4]))), [1, 2, 3, 4]);
        assert_eq!(
            times(oldest_first(events(&[3, 1, 4, 2, 5, 0, 6]))),
            [3, 1, 4, 2, 5, 0, 6]
        );
    }
}
