//! Readers for every telemetry format exfilguard accepts, format sniffing, and the
//! replay merge that hands events to the engine in event-time order.
//!
//! * [`discover`] walks files and folders (recursively, in sorted order) and reports
//!   what it could not read without stopping.
//! * [`open_path`] decompresses (`.gz`, `.zst`, recognised by magic bytes), sniffs the
//!   [`Format`] from the content (never from the file name) and returns a [`Source`].
//! * A reader is a [`Source`]: an iterator of `Result<Event, RecordError>` that knows
//!   the file and offset of each record, so a malformed record is counted, reported and
//!   skipped while the rest of the file is still read.
//! * [`Replay`] runs many sources in parallel and yields their events in event-time
//!   order (a k-way merge plus a bounded reorder window), keeping [`ReadStats`].
#![deny(missing_docs)]

pub mod cloud;
pub mod discover;
mod elastic;
pub mod evtx;
mod evtx_tree;
mod evtxecmd;
mod flat_json;
mod flat_shape;
pub mod format;
pub mod input;
pub mod json;
mod json_entries;
pub mod net;
mod open;
pub mod replay;
mod splunk;
pub mod stats;
pub mod windows;
pub mod windows_xml;
mod winlogbeat;
pub mod zeek;

pub use discover::{Discovery, discover};
pub use format::{Format, JsonShape, ZeekEncoding, ZeekLog};
pub use input::open_input;
pub use open::{open_bytes, open_bytes_as, open_path, open_path_as, sniff};
pub use replay::{Replay, ReplayOptions};
pub use stats::{FileFailure, ReadStats};

use model::{Config, Event, Networks};
use std::io::BufRead;
use std::sync::Arc;

/// A record that could not be read: where it is and why. Non-fatal: the reader
/// goes on with the next record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{offset}: {reason}")]
pub struct RecordError {
    /// The file.
    pub file: Arc<str>,
    /// Byte offset (or EVTX record id / chunk offset) of the bad record.
    pub offset: u64,
    /// Short reason class, used to count skips (e.g. `invalid json`).
    pub reason: String,
}

impl RecordError {
    /// A record error at `offset` of `file`.
    pub fn new(file: &Arc<str>, offset: u64, reason: impl Into<String>) -> Self {
        RecordError {
            file: file.clone(),
            offset,
            reason: reason.into(),
        }
    }
}

/// A file that could not be opened or read at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// An I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The content matches no supported format.
    #[error("{path}: not a supported log format ({detail})")]
    Unsupported {
        /// The file.
        path: String,
        /// What was seen.
        detail: String,
    },
    /// The format was recognised but the file is unusable.
    #[error("{path}: {detail}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

impl OpenError {
    /// The reason without the path, for summaries that print the path beside it.
    pub fn reason(&self) -> String {
        match self {
            OpenError::Io { source, .. } => source.to_string(),
            OpenError::Unsupported { detail, .. } => {
                format!("not a supported log format ({detail})")
            }
            OpenError::Invalid { detail, .. } => detail.clone(),
        }
    }
}

/// A stream of events from one input.
pub trait Source: Iterator<Item = Result<Event, RecordError>> + Send {}

impl<T: Iterator<Item = Result<Event, RecordError>> + Send> Source for T {}

/// What every reader may need besides its bytes.
#[derive(Clone, Debug, Default)]
pub struct SourceContext {
    /// Internal networks, to orient flows (outbound = internal to external).
    pub networks: Networks,
    /// The whole configuration (readers look at `[sources.<name>]`).
    pub config: Arc<Config>,
    /// How many parts of one file a reader may parse at once on the current rayon
    /// pool (EVTX chunks); 0 means the pool's size. 1 keeps a reader on its thread.
    pub threads: usize,
}

impl SourceContext {
    /// From a configuration.
    pub fn from_config(config: Arc<Config>) -> Self {
        SourceContext {
            networks: config.networks(),
            config,
            threads: 0,
        }
    }
}

/// An opened, decompressed input: its name and a buffered reader over its bytes.
pub struct Input {
    /// The path as given (shared by the events' origins).
    pub path: Arc<str>,
    /// The decompressed bytes.
    pub reader: Box<dyn BufRead + Send>,
}
