//! What a run read: files per format, events per format and kind, time range, hosts,
//! files that could not be opened, and records skipped by reason with examples.

use crate::{Format, RecordError};
use model::{Event, EventKind, Timestamp};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;

/// How many skipped-record examples are kept (the counts stay exact).
pub const MAX_SKIP_EXAMPLES: usize = 100;

/// Event times before this (1990-01-01) are taken for a capture clock that started
/// at 0 rather than real time.
pub const EPOCH_CLOCK_LIMIT: Timestamp = Timestamp(631_152_000 * 1_000_000);

/// A file that could not be opened or read at all.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileFailure {
    /// The file.
    pub path: PathBuf,
    /// Why (empty, binary, unknown format, I/O error, …).
    pub reason: String,
}

/// Counts of one run; merging per-file statistics in file order gives the same
/// result whatever the thread count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadStats {
    /// Files opened, per format name.
    pub files_by_format: BTreeMap<&'static str, u64>,
    /// Events read, per (format name, event kind name).
    pub events: BTreeMap<(&'static str, &'static str), u64>,
    /// Earliest event time.
    pub first: Option<Timestamp>,
    /// Latest event time.
    pub last: Option<Timestamp>,
    /// Distinct host names (`host.name`).
    pub hosts: BTreeSet<String>,
    /// Distinct hosts known only by address: `host.ip`, else a flow's `source.ip`,
    /// for events without a host name. See [`ReadStats::distinct_hosts`].
    pub host_ips: BTreeSet<IpAddr>,
    /// Files that could not be opened, in path order.
    pub failed_files: Vec<FileFailure>,
    /// Skipped records per reason.
    pub skipped: BTreeMap<String, u64>,
    /// The first [`MAX_SKIP_EXAMPLES`] skipped records (file, offset, reason), in
    /// file order.
    pub skip_examples: Vec<RecordError>,
    /// Events whose time is before 1990: the capture clock probably started at 0.
    pub epoch_clock_events: u64,
    /// Events that arrived later than the reorder window allowed and were emitted
    /// out of order (after later events).
    pub late_events: u64,
}

/// The name of an event kind, as in the JSONL output.
pub fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ProcessStart => "process_start",
        EventKind::Network => "network",
        EventKind::Dns => "dns",
        EventKind::Http => "http",
        EventKind::Tls => "tls",
        EventKind::File => "file",
        EventKind::Script => "script",
        EventKind::ScheduledTask => "scheduled_task",
        EventKind::Authentication => "authentication",
        EventKind::Cloud => "cloud",
        EventKind::Other => "other",
    }
}

impl ReadStats {
    /// Counts a file opened as `format`.
    pub fn add_file(&mut self, format: Format) {
        *self.files_by_format.entry(format.name()).or_default() += 1;
    }

    /// Counts a file that could not be opened.
    pub fn add_failure(&mut self, path: PathBuf, reason: String) {
        self.failed_files.push(FileFailure { path, reason });
    }

    /// Counts one event read from a file of `format`.
    pub fn add_event(&mut self, format: Format, event: &Event) {
        self.add_events(format, std::slice::from_ref(event));
    }

    /// Counts a batch of events read from a file of `format`: kinds are
    /// tallied on the stack and a host name is looked up only when it
    /// differs from the event before (an event at a time, the map and set
    /// lookups were 500 instructions an event).
    pub fn add_events(&mut self, format: Format, events: &[Event]) {
        let mut kinds: Vec<(EventKind, u64)> = Vec::new();
        let mut last_host: Option<&str> = None;
        for event in events {
            match kinds.iter_mut().find(|(kind, _)| *kind == event.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((event.kind, 1)),
            }
            let ts = event.timestamp;
            self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
            self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
            if ts < EPOCH_CLOCK_LIMIT {
                self.epoch_clock_events += 1;
            }
            // No allocation per event: names are copied only when new.
            match event.host_name.as_deref() {
                Some(name) if last_host == Some(name) => {}
                Some(name) => {
                    if !self.hosts.contains(name) {
                        self.hosts.insert(name.to_owned());
                    }
                    last_host = Some(name);
                }
                None => {
                    let ip = event
                        .host_ip
                        .or_else(|| event.network.as_ref().and_then(|n| n.source_ip));
                    if let Some(ip) = ip {
                        self.host_ips.insert(ip);
                    }
                }
            }
        }
        for (kind, n) in kinds {
            *self
                .events
                .entry((format.name(), kind_name(kind)))
                .or_default() += n;
        }
    }

    /// Counts one skipped record.
    pub fn add_skip(&mut self, error: RecordError) {
        *self.skipped.entry(error.reason.clone()).or_default() += 1;
        if self.skip_examples.len() < MAX_SKIP_EXAMPLES {
            self.skip_examples.push(error);
        }
    }

    /// Adds `other` (a later file's statistics) to these.
    pub fn merge(&mut self, other: ReadStats) {
        for (k, v) in other.files_by_format {
            *self.files_by_format.entry(k).or_default() += v;
        }
        for (k, v) in other.events {
            *self.events.entry(k).or_default() += v;
        }
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.hosts.extend(other.hosts);
        self.host_ips.extend(other.host_ips);
        self.failed_files.extend(other.failed_files);
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        let room = MAX_SKIP_EXAMPLES.saturating_sub(self.skip_examples.len());
        self.skip_examples
            .extend(other.skip_examples.into_iter().take(room));
        self.epoch_clock_events += other.epoch_clock_events;
        self.late_events += other.late_events;
    }

    /// Distinct hosts: host names plus the addresses of events without a name.
    pub fn distinct_hosts(&self) -> usize {
        self.hosts.len() + self.host_ips.len()
    }

    /// Total events read.
    pub fn total_events(&self) -> u64 {
        self.events.values().sum()
    }

    /// Total records skipped.
    pub fn total_skipped(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Events per format name (all kinds).
    pub fn events_by_format(&self) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        for ((format, _), n) in &self.events {
            *out.entry(*format).or_default() += n;
        }
        out
    }

    /// Whether the timestamps look like a capture clock that started at 0 (1970):
    /// more than half of the events are before 1990.
    pub fn epoch_clock_suspected(&self) -> bool {
        let total = self.total_events();
        total > 0 && self.epoch_clock_events * 2 > total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn merge_keeps_counts_exact_and_examples_bounded() {
        let file: Arc<str> = Arc::from("f");
        let mut a = ReadStats::default();
        let mut b = ReadStats::default();
        for i in 0..80 {
            a.add_skip(RecordError::new(&file, i, "invalid json"));
            b.add_skip(RecordError::new(&file, i, "missing timestamp"));
        }
        let mut event = Event {
            timestamp: Timestamp::from_secs(10),
            ..Event::default()
        };
        a.add_event(Format::Evtx, &event);
        event.timestamp = Timestamp::from_secs(5);
        b.add_event(Format::Evtx, &event);
        a.merge(b);
        assert_eq!(a.total_skipped(), 160);
        assert_eq!(a.skip_examples.len(), MAX_SKIP_EXAMPLES);
        assert_eq!(a.skip_examples[79].reason, "invalid json");
        assert_eq!(a.skip_examples[80].reason, "missing timestamp");
        assert_eq!(a.events[&("evtx", "other")], 2);
        assert_eq!(a.first, Some(Timestamp::from_secs(5)));
        assert!(a.epoch_clock_suspected());
    }

    #[test]
    fn a_batch_counts_as_its_events_one_by_one() {
        let kinds = [
            EventKind::ProcessStart,
            EventKind::Network,
            EventKind::Other,
        ];
        let hosts = [Some("ws1"), Some("ws1"), None, Some("dc1"), Some("ws1")];
        let events: Vec<Event> = (0..40)
            .map(|i: usize| Event {
                timestamp: Timestamp::from_secs(1_000_000_000 + (i as i64 * 37) % 11),
                kind: kinds[i % 3],
                host_name: hosts[i % 5].map(str::to_string),
                host_ip: i
                    .is_multiple_of(7)
                    .then(|| format!("10.0.0.{}", i % 4).parse().unwrap()),
                ..Event::default()
            })
            .collect();
        let (mut one_by_one, mut batched) = (ReadStats::default(), ReadStats::default());
        for event in &events {
            one_by_one.add_event(Format::Evtx, event);
        }
        batched.add_events(Format::Evtx, &events[..17]);
        batched.add_events(Format::Evtx, &events[17..]);
        assert_eq!(batched, one_by_one);
        assert_eq!(batched.hosts.len(), 2);
        assert_eq!(batched.events[&("evtx", "network")], 13);
        assert_eq!(batched.events[&("evtx", "process_start")], 14);
        // Only event 7 has no host name and an address.
        assert_eq!(batched.host_ips.len(), 1);
        assert_eq!(batched.first, Some(Timestamp::from_secs(1_000_000_000)));
        assert_eq!(batched.last, Some(Timestamp::from_secs(1_000_000_010)));
    }
}
