//! Every cloud and SaaS reader on arbitrary bytes: through the sniffer, and forced
//! with the first byte choosing the format. They must never panic, only report
//! records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::cloud::CloudFormat;
use sources::{Format, SourceContext, open_bytes, open_bytes_as};

const FORMATS: [CloudFormat; 20] = CloudFormat::ALL;

fuzz_target!(|data: &[u8]| {
    let ctx = SourceContext::default();
    if let Ok((_, source)) = open_bytes("fuzz.log", data.to_vec(), &ctx) {
        source.take(100_000).for_each(drop);
    }
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let format = FORMATS[pick as usize % FORMATS.len()];
    if let Ok(source) = open_bytes_as("fuzz.log", rest.to_vec(), Format::Cloud(format), &ctx) {
        source.take(100_000).for_each(drop);
    }
});
