//! Replay: many files in, one stream of events out, in event-time order, with
//! bounded memory and both cores busy.
//!
//! * **Per-file streams, k-way merge.** Each file is a [`crate::Source`] read in
//!   batches by tasks on a rayon pool; the merge always takes the earliest head among
//!   the files (ties: file order, then record order), so the output does not depend
//!   on thread timing, thread count or the order the files were given in (they are
//!   sorted first).
//! * **Bounded reorder window.** Files are not always sorted: Zeek writes a `conn`
//!   record when the connection *ends*, so its records are out of order by up to the
//!   longest connection. Merged events wait in a heap until the newest time seen is
//!   `reorder_window_s` past them (default one hour, see [`ReplayOptions`]); the heap
//!   is also capped at `max_reorder_events`. An event that arrives later than the
//!   window allows is still emitted (never dropped) and counted in
//!   [`ReadStats::late_events`].
//! * **Bounded memory.** At most `2 × threads` batches are being parsed; each file
//!   buffers at most two batches, and a batch shrinks when there are many files so
//!   that the heads of all files fit in `max_buffered_events`.
//! * **Parallelism.** Files are parsed on the pool while the caller consumes events;
//!   a single large EVTX file is parsed several chunks at a time. `threads: 1` runs
//!   everything on the calling thread and yields the same sequence.

use crate::{Discovery, Format, ReadStats, Source, SourceContext, open_path};
use model::{Event, Timestamp};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

/// Replay settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayOptions {
    /// Worker threads (0: one per available core; 1: everything on the caller's thread).
    pub threads: usize,
    /// How far (seconds of event time) a record may arrive after later records and
    /// still be put in order. Default 3600: covers Zeek `conn` records of connections
    /// up to an hour long.
    pub reorder_window_s: u64,
    /// Most events held in the reorder heap; past it the earliest is released early.
    pub max_reorder_events: usize,
    /// Most events a file reads per batch.
    pub batch_events: usize,
    /// Budget of events buffered across all files (file heads and read-ahead).
    pub max_buffered_events: usize,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            threads: 0,
            reorder_window_s: 3600,
            max_reorder_events: 250_000,
            batch_events: 2048,
            max_buffered_events: 200_000,
        }
    }
}

/// Most events per batch when everything runs on the calling thread.
const SERIAL_BATCH_EVENTS: usize = 64;

/// Where one file is.
enum FileState {
    /// Not opened yet.
    Unopened,
    /// Open and idle.
    Open(Box<dyn Source>),
    /// A task is reading it.
    Busy,
    /// Fully read (or failed).
    Done,
}

struct FileSlot {
    path: PathBuf,
    format: Option<Format>,
    state: FileState,
    buffer: VecDeque<Event>,
    /// Index of the next event of this file (tie-breaker for equal times).
    next_seq: u64,
    stats: ReadStats,
}

/// The result of one task: a batch of a file's events and its statistics.
struct Batch {
    file: usize,
    format: Option<Format>,
    source: Option<Box<dyn Source>>,
    events: Vec<Event>,
    stats: ReadStats,
}

/// A merge key: event time, file index, record index within the file.
type Key = (Timestamp, usize, u64);

/// The reorder window: a heap of keys over events parked in slots, so that heap
/// operations move 32-byte entries, not whole events.
#[derive(Default)]
struct ReorderWindow {
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    slots: Vec<Option<Event>>,
    free: Vec<usize>,
}

impl ReorderWindow {
    fn push(&mut self, key: Key, event: Event) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                self.slots.len() - 1
            }
        };
        self.heap.push(Reverse((key, slot)));
    }

    fn peek_key(&self) -> Option<Key> {
        self.heap.peek().map(|Reverse((key, _))| *key)
    }

    fn pop(&mut self) -> Option<(Key, Event)> {
        let Reverse((key, slot)) = self.heap.pop()?;
        self.free.push(slot);
        Some((key, self.slots.get_mut(slot)?.take()?))
    }

    fn len(&self) -> usize {
        self.heap.len()
    }
}

/// Events of many files in event-time order; see the module docs. Iterate it, then
/// read [`Replay::stats`].
pub struct Replay {
    options: ReplayOptions,
    ctx: SourceContext,
    files: Vec<FileSlot>,
    /// Files whose buffer has a head, keyed by that head.
    heads: BinaryHeap<Reverse<Key>>,
    /// Files waiting for data (buffer empty, not done).
    waiting: usize,
    /// Files the merge waits on, to be read first.
    urgent: VecDeque<usize>,
    /// Files being drained whose next batch may be read ahead.
    ahead: VecDeque<usize>,
    in_flight: usize,
    buffered: usize,
    batch: usize,
    pool: Option<rayon::ThreadPool>,
    sender: Sender<Batch>,
    receiver: Receiver<Batch>,
    reorder: ReorderWindow,
    newest: Option<Timestamp>,
    last_emitted: Option<Timestamp>,
    merge_done: bool,
    late_events: u64,
    discovery_failures: Vec<(PathBuf, String)>,
}

impl Replay {
    /// A replay of `files` (sorted and deduplicated first, so their order does not
    /// matter).
    pub fn new(mut files: Vec<PathBuf>, ctx: SourceContext, options: ReplayOptions) -> Replay {
        files.sort();
        files.dedup();
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let pool = (threads > 1)
            .then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .ok()
            })
            .flatten();
        let mut ctx = ctx;
        // Many files keep the pool busy on their own; chunk parallelism inside a file
        // only pays when there are fewer files than threads.
        ctx.threads = if pool.is_none() || files.len() >= threads {
            1
        } else {
            threads
        };
        // With no pool a batch is read just before its events are matched,
        // on the same core: small batches keep them in the cache (a JSON
        // Lines hunt on one core ran 14% faster with 64 than with 2,048
        // events of 480 bytes and their values). Across threads, larger
        // batches spare wake-ups (64 there: 1.87-2.36 s wall against
        // 1.60-1.94, three runs each).
        let most = if pool.is_none() {
            options.batch_events.min(SERIAL_BATCH_EVENTS)
        } else {
            options.batch_events
        };
        let batch =
            (options.max_buffered_events / (files.len().max(1) * 2)).clamp(16, most.max(16));
        let (sender, receiver) = channel();
        let waiting = files.len();
        let files = files
            .into_iter()
            .map(|path| FileSlot {
                path,
                format: None,
                state: FileState::Unopened,
                buffer: VecDeque::new(),
                next_seq: 0,
                stats: ReadStats::default(),
            })
            .collect();
        Replay {
            options: ReplayOptions { threads, ..options },
            ctx,
            files,
            heads: BinaryHeap::new(),
            waiting,
            urgent: (0..waiting).collect(),
            ahead: VecDeque::new(),
            in_flight: 0,
            buffered: 0,
            batch,
            pool,
            sender,
            receiver,
            reorder: ReorderWindow::default(),
            newest: None,
            last_emitted: None,
            merge_done: false,
            late_events: 0,
            discovery_failures: Vec::new(),
        }
    }

    /// A replay of the files a [`crate::discover`] found; the paths it could not list
    /// are reported in the statistics as failed files.
    pub fn from_discovery(
        discovery: Discovery,
        ctx: SourceContext,
        options: ReplayOptions,
    ) -> Replay {
        let mut replay = Replay::new(discovery.files, ctx, options);
        replay.discovery_failures = discovery.unreadable;
        replay
    }

    /// The options in effect (with `threads` resolved).
    pub fn options(&self) -> &ReplayOptions {
        &self.options
    }

    /// Statistics so far (complete once the iterator has returned `None`), merged
    /// in file order.
    pub fn stats(&self) -> ReadStats {
        let mut total = ReadStats::default();
        for (path, reason) in &self.discovery_failures {
            total.add_failure(path.clone(), reason.clone());
        }
        for file in &self.files {
            total.merge(file.stats.clone());
        }
        total.failed_files.sort();
        total.late_events = self.late_events;
        total
    }

    /// Files that are not done and hold no buffered events, in need of a read.
    fn needs_read(&self, index: usize, read_ahead: bool) -> bool {
        let file = &self.files[index];
        let idle = matches!(file.state, FileState::Unopened | FileState::Open(_));
        idle && (file.buffer.is_empty() || read_ahead && file.buffer.len() < self.batch)
    }

    /// Starts reads: first for files the merge is waiting on, then read-ahead for
    /// files being drained, within the task and memory budgets.
    fn schedule(&mut self) {
        let max_tasks = if self.pool.is_some() {
            self.options.threads * 2
        } else {
            1
        };
        while self.in_flight < max_tasks {
            let Some(index) = self.urgent.pop_front() else {
                break;
            };
            if self.needs_read(index, false) {
                self.start(index);
            }
        }
        while self.in_flight < max_tasks && self.buffered < self.options.max_buffered_events {
            let Some(index) = self.ahead.pop_front() else {
                break;
            };
            if self.needs_read(index, true) {
                self.start(index);
            }
        }
    }

    fn start(&mut self, index: usize) {
        let file = &mut self.files[index];
        let state = std::mem::replace(&mut file.state, FileState::Busy);
        let task = Task {
            file: index,
            path: file.path.clone(),
            format: file.format,
            source: match state {
                FileState::Open(source) => Some(source),
                _ => None,
            },
            batch: self.batch,
            ctx: self.ctx.clone(),
        };
        self.in_flight += 1;
        match &self.pool {
            Some(pool) => {
                let sender = self.sender.clone();
                pool.spawn(move || {
                    let _ = sender.send(task.run());
                });
            }
            None => {
                let batch = task.run();
                let _ = self.sender.send(batch);
            }
        }
    }

    /// Applies a finished task's batch to its file.
    fn receive(&mut self, batch: Batch) {
        self.in_flight -= 1;
        let file = &mut self.files[batch.file];
        file.format = batch.format;
        file.stats.merge(batch.stats);
        let was_empty = file.buffer.is_empty();
        self.buffered += batch.events.len();
        if was_empty {
            // The batch becomes the buffer (a `Vec` turns into a `VecDeque`
            // in place) instead of being copied into the old one, 480 bytes
            // an event.
            file.buffer = VecDeque::from(batch.events);
        } else {
            file.buffer.extend(batch.events);
        }
        file.state = match batch.source {
            Some(source) => FileState::Open(source),
            None => FileState::Done,
        };
        if was_empty {
            if let Some(head) = file.buffer.front() {
                self.heads
                    .push(Reverse((head.timestamp, batch.file, file.next_seq)));
                self.waiting -= 1;
            } else if matches!(file.state, FileState::Done) {
                self.waiting -= 1;
            } else {
                self.urgent.push_back(batch.file);
            }
        }
    }

    /// The next event of the k-way merge, or `None` when every file is read.
    fn next_merged(&mut self) -> Option<(Key, Event)> {
        loop {
            self.schedule();
            if self.waiting == 0 {
                break;
            }
            let batch = self.receiver.recv().ok()?;
            self.receive(batch);
        }
        let Reverse(key) = self.heads.pop()?;
        let index = key.1;
        let file = &mut self.files[index];
        let event = file.buffer.pop_front()?;
        self.buffered -= 1;
        file.next_seq += 1;
        let idle = matches!(file.state, FileState::Open(_));
        match file.buffer.front() {
            Some(head) => {
                self.heads
                    .push(Reverse((head.timestamp, index, file.next_seq)));
                if idle && self.pool.is_some() && file.buffer.len() + 1 == self.batch {
                    self.ahead.push_back(index);
                }
            }
            None if !matches!(file.state, FileState::Done) => {
                self.waiting += 1;
                if idle {
                    self.urgent.push_back(index);
                }
            }
            None => {}
        }
        Some((key, event))
    }
}

/// One read of up to `batch` events from a file (opening it first if needed).
struct Task {
    file: usize,
    path: PathBuf,
    format: Option<Format>,
    source: Option<Box<dyn Source>>,
    batch: usize,
    ctx: SourceContext,
}

impl Task {
    fn run(self) -> Batch {
        let Task {
            file,
            path,
            format,
            source,
            batch,
            ctx,
        } = self;
        let mut stats = ReadStats::default();
        let (format, source) = match (format, source) {
            (Some(format), Some(source)) => (format, source),
            _ => match open_path(&path, &ctx) {
                Ok((format, source)) => {
                    stats.add_file(format);
                    (format, source)
                }
                Err(e) => {
                    stats.add_failure(path, e.reason());
                    return Batch {
                        file,
                        format: None,
                        source: None,
                        events: Vec::new(),
                        stats,
                    };
                }
            },
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            read_batch(source, format, batch)
        }));
        match outcome {
            Ok((source, events, batch_stats)) => {
                stats.merge(batch_stats);
                Batch {
                    file,
                    format: Some(format),
                    source,
                    events,
                    stats,
                }
            }
            Err(_) => {
                stats.add_failure(
                    path,
                    "reader failed unexpectedly (a bug: please report it); rest of file skipped"
                        .into(),
                );
                Batch {
                    file,
                    format: Some(format),
                    source: None,
                    events: Vec::new(),
                    stats,
                }
            }
        }
    }
}

/// Reads up to `batch` events; returns the source unless it is exhausted.
fn read_batch(
    mut source: Box<dyn Source>,
    format: Format,
    batch: usize,
) -> (Option<Box<dyn Source>>, Vec<Event>, ReadStats) {
    let mut stats = ReadStats::default();
    let mut events = Vec::with_capacity(batch);
    while events.len() < batch {
        match source.next() {
            Some(Ok(event)) => events.push(event),
            Some(Err(error)) => stats.add_skip(error),
            None => {
                stats.add_events(format, &events);
                return (None, events, stats);
            }
        }
    }
    stats.add_events(format, &events);
    (Some(source), events, stats)
}

impl Iterator for Replay {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let window = i64::try_from(self.options.reorder_window_s)
            .unwrap_or(i64::MAX)
            .saturating_mul(1_000_000);
        loop {
            if let Some(top) = self.reorder.peek_key() {
                let ripe = self.merge_done
                    || self.reorder.len() > self.options.max_reorder_events
                    || self
                        .newest
                        .is_some_and(|newest| top.0.0 <= newest.0.saturating_sub(window));
                if ripe {
                    let (key, event) = self.reorder.pop()?;
                    let ts = key.0;
                    if self.last_emitted.is_some_and(|last| ts < last) {
                        self.late_events += 1;
                    } else {
                        self.last_emitted = Some(ts);
                    }
                    return Some(event);
                }
            }
            if self.merge_done {
                return None;
            }
            match self.next_merged() {
                Some((key, event)) => {
                    self.newest = Some(self.newest.map_or(key.0, |n| n.max(key.0)));
                    self.reorder.push(key, event);
                }
                None => self.merge_done = true,
            }
        }
    }
}

/// Shared with tests: the key order used by the merge.
#[cfg(test)]
pub(crate) fn key_of(ts: i64, file: usize, seq: u64) -> Key {
    (Timestamp(ts), file, seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_by_time_then_file_then_record() {
        assert!(key_of(1, 5, 9) < key_of(2, 0, 0));
        assert!(key_of(1, 0, 9) < key_of(1, 1, 0));
        assert!(key_of(1, 1, 0) < key_of(1, 1, 1));
    }
}
