//! Any text through the syslog reader (RFC 3164/5424 with pfSense, iptables and
//! BIND lines inside) and the other line formats that share its parsers,
//! Suricata EVE JSON and FortiGate key=value records among them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::net::{NetFormat, open};
use sources::{Input, SourceContext};
use std::io::Cursor;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    for format in [
        NetFormat::Syslog,
        NetFormat::FirewallCsv,
        NetFormat::Squid,
        NetFormat::W3c,
        NetFormat::BindQuery,
        NetFormat::WindowsDns,
        NetFormat::SuricataEve,
        NetFormat::Fortigate,
    ] {
        let input = Input {
            path: Arc::from("fuzz.log"),
            reader: Box::new(Cursor::new(data.to_vec())),
        };
        if let Ok(source) = open(format, input, &SourceContext::default()) {
            for item in source.take(1 << 20) {
                if let Ok(event) = item {
                    let offset = event.origin.map(|o| o.offset).unwrap_or(0);
                    assert!(offset <= data.len() as u64, "origin past the input");
                }
            }
        }
    }
});
