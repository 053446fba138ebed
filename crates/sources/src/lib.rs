//! Readers for every telemetry format exfilguard accepts, format sniffing, and the
//! replay merge that hands events to the engine in event-time order.
//!
//! A reader is a [`Source`]: an iterator of `Result<Event, RecordError>` that knows
//! the file and offset of each record, so a malformed record is counted, reported and
//! skipped while the rest of the file is still read.
#![deny(missing_docs)]

pub mod cloud;
pub mod net;

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
}

impl SourceContext {
    /// From a configuration.
    pub fn from_config(config: Arc<Config>) -> Self {
        SourceContext {
            networks: config.networks(),
            config,
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
