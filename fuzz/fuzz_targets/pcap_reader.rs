//! Any bytes through the pcap/pcapng flow reader and the NetFlow-capture reader:
//! no panic, no hang (event count is bounded by the input size).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::net::{NetFormat, open};
use sources::{Input, SourceContext};
use std::io::Cursor;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    for format in [NetFormat::Pcap, NetFormat::NetflowCapture] {
        let input = Input {
            path: Arc::from("fuzz.pcap"),
            reader: Box::new(Cursor::new(data.to_vec())),
        };
        if let Ok(source) = open(format, input, &SourceContext::default()) {
            let produced = source.take(1 << 20).count();
            assert!(produced <= data.len() + 1, "more records than bytes");
        }
    }
    let _ = sources::net::sniff(data);
});
