//! The Zeek TSV reader on arbitrary bytes (forced, so that headerless and broken
//! headers reach the record parser): it must never panic, only report records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::{Format, SourceContext, ZeekEncoding, ZeekLog, open_bytes_as};

fuzz_target!(|data: &[u8]| {
    let ctx = SourceContext::default();
    let format = Format::Zeek(ZeekLog::Other, ZeekEncoding::Tsv);
    if let Ok(source) = open_bytes_as("fuzz.log", data.to_vec(), format, &ctx) {
        source.take(100_000).for_each(drop);
    }
});
