//! Network telemetry readers: NetFlow v5/v9/IPFIX, pcap/pcapng, proxy, firewall,
//! DNS server and syslog files. They all produce the same network events as Zeek.
//!
//! The crate's sniffer calls [`sniff`] with the first bytes of a (decompressed)
//! input and, on a match, [`open`] to get the event stream.

use crate::{Input, OpenError, Source, SourceContext};

/// The network formats this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetFormat {}

impl NetFormat {
    /// Short name for summaries (`pcap`, `netflow-v9`, `squid`...).
    pub fn name(self) -> &'static str {
        match self {}
    }
}

/// Recognises a network format from the first bytes of an input.
pub fn sniff(_head: &[u8]) -> Option<NetFormat> {
    None
}

/// Opens a reader for a sniffed network format.
pub fn open(
    format: NetFormat,
    _input: Input,
    _ctx: &SourceContext,
) -> Result<Box<dyn Source>, OpenError> {
    match format {}
}
