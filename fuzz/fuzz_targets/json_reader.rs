//! The JSON/JSONL reader on arbitrary bytes, both through the sniffer and forced:
//! it must never panic, only report records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::{Format, JsonShape, SourceContext, open_bytes, open_bytes_as};

fuzz_target!(|data: &[u8]| {
    let ctx = SourceContext::default();
    if let Ok((_, source)) = open_bytes("fuzz.json", data.to_vec(), &ctx) {
        source.take(100_000).for_each(drop);
    }
    if let Ok(source) = open_bytes_as(
        "fuzz.json",
        data.to_vec(),
        Format::Json(JsonShape::Generic),
        &ctx,
    ) {
        source.take(100_000).for_each(drop);
    }
});
