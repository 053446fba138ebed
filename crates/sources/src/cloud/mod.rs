//! Cloud and SaaS audit log readers (CloudTrail, Microsoft 365, GitHub, ...).
//!
//! The crate's sniffer calls [`sniff`] with the first bytes of a (decompressed)
//! input and, on a match, [`open`] to get the event stream.

use crate::{Input, OpenError, Source, SourceContext};

/// The cloud formats this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CloudFormat {}

impl CloudFormat {
    /// Short name for summaries (`cloudtrail`, `m365`...).
    pub fn name(self) -> &'static str {
        match self {}
    }
}

/// Recognises a cloud format from the first bytes of an input.
pub fn sniff(_head: &[u8]) -> Option<CloudFormat> {
    None
}

/// Opens a reader for a sniffed cloud format.
pub fn open(
    format: CloudFormat,
    _input: Input,
    _ctx: &SourceContext,
) -> Result<Box<dyn Source>, OpenError> {
    match format {}
}
