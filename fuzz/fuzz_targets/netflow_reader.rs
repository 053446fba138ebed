//! Any bytes through the NetFlow v5/v9/IPFIX export-file reader (templates,
//! options templates, variable-length fields, resynchronisation on garbage).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::net::{NetFormat, open};
use sources::{Input, SourceContext};
use std::io::Cursor;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let input = Input {
        path: Arc::from("fuzz.nf"),
        reader: Box::new(Cursor::new(data.to_vec())),
    };
    if let Ok(source) = open(NetFormat::NetflowFile, input, &SourceContext::default()) {
        for item in source.take(1 << 20) {
            if let Err(err) = item {
                assert!(
                    err.offset <= data.len() as u64,
                    "error offset past the input"
                );
            }
        }
    }
});
