//! The Windows event XML reader and the EvtxECmd CSV reader on arbitrary
//! bytes, forced and through the sniffer: they must never panic, only report
//! records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::{Format, SourceContext, open_bytes, open_bytes_as};

fuzz_target!(|data: &[u8]| {
    let ctx = SourceContext::default();
    if let Ok(source) = open_bytes_as("fuzz.xml", data.to_vec(), Format::WindowsXml, &ctx) {
        source.take(100_000).for_each(drop);
    }
    if let Ok(source) = open_bytes_as("fuzz.csv", data.to_vec(), Format::EvtxECmdCsv, &ctx) {
        source.take(100_000).for_each(drop);
    }
    if let Ok((_, source)) = open_bytes("fuzz.xml", data.to_vec(), &ctx) {
        source.take(100_000).for_each(drop);
    }
});
