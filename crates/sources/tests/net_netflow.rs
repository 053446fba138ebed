//! NetFlow v5/v9/IPFIX: files written by `IpfixWriter`, captures of export
//! datagrams written by `PcapWriter`, and the public exporter samples in
//! ../shared/data/netflow when present.

use model::{Event, Timestamp};
use sources::net::netflow::{NetflowFileSource, NetflowPcapSource};
use sources::net::write::{FlowRecord, IpfixWriter, PcapWriter};
use sources::net::{NetFormat, sniff};
use sources::{Input, RecordError, SourceContext};
use std::io::Cursor;
use std::sync::Arc;

fn input(bytes: Vec<u8>) -> Input {
    Input {
        path: Arc::from("flows.ipfix"),
        reader: Box::new(Cursor::new(bytes)),
    }
}

fn split(
    items: impl Iterator<Item = Result<Event, RecordError>>,
) -> (Vec<Event>, Vec<RecordError>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for item in items {
        match item {
            Ok(e) => ok.push(e),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

fn record(i: u64, src: &str, dst: &str) -> FlowRecord {
    FlowRecord {
        start: Timestamp::from_secs(1_700_000_000 + i as i64),
        end: Timestamp::from_secs(1_700_000_030 + i as i64),
        source: src.parse().unwrap(),
        destination: dst.parse().unwrap(),
        protocol: 6,
        packets: 10 + i,
        octets: 1000 * (i + 1),
        tcp_flags: 0x1b,
    }
}

fn ipfix_file(messages: usize, per_message: u64) -> Vec<u8> {
    let mut writer = IpfixWriter::new(Vec::new(), 42);
    for m in 0..messages as u64 {
        let flows: Vec<FlowRecord> = (0..per_message)
            .map(|i| {
                if i % 2 == 0 {
                    record(m * per_message + i, "10.1.1.1:50000", "203.0.113.10:443")
                } else {
                    record(m * per_message + i, "[2001:db8::9]:443", "[fd00::7]:51000")
                }
            })
            .collect();
        writer
            .write_message(Timestamp::from_secs(1_700_000_100), &flows)
            .unwrap();
    }
    writer.into_inner()
}

#[test]
fn ipfix_written_then_read_back() {
    let bytes = ipfix_file(3, 20);
    assert_eq!(sniff(&bytes), Some(NetFormat::NetflowFile));
    let mut source = NetflowFileSource::open(input(bytes), &SourceContext::default());
    let (events, errors) = split(source.by_ref());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events.len(), 60);
    assert_eq!(source.stats().templates, 2);
    let first = events[0].network.as_deref().unwrap();
    assert_eq!(first.source_ip, Some("10.1.1.1".parse().unwrap()));
    assert_eq!(first.source_bytes, Some(1000));
    assert_eq!(first.duration_s, Some(30.0));
    assert_eq!(events[0].timestamp, Timestamp::from_secs(1_700_000_000));
    // The IPv6 records were exported server to client: the internal client is the
    // source and the bytes are what it received.
    let v6 = events.iter().find(|e| {
        e.network
            .as_ref()
            .unwrap()
            .source_ip
            .is_some_and(|ip| ip.is_ipv6())
    });
    let second = v6.unwrap().network.as_deref().unwrap();
    assert_eq!(second.source_ip, Some("fd00::7".parse().unwrap()));
    assert_eq!(second.destination_port, Some(443));
    assert_eq!(second.destination_bytes, Some(2000));
    assert_eq!(second.source_bytes, None);
}

#[test]
fn truncated_file_and_garbage_are_reported_with_offsets() {
    let mut bytes = b"garbage!".to_vec();
    bytes.extend(ipfix_file(2, 5));
    bytes.truncate(bytes.len() - 10);
    let (events, errors) = split(NetflowFileSource::open(
        input(bytes),
        &SourceContext::default(),
    ));
    assert_eq!(events.len(), 5);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].offset, 0);
    assert!(errors[1].reason.contains("cut short"), "{errors:?}");
}

#[test]
fn capture_of_export_datagrams_keeps_templates_per_exporter() {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    for (exporter, domain) in [("192.0.2.1:40000", 1u32), ("192.0.2.2:40000", 1)] {
        let mut writer = IpfixWriter::new(Vec::new(), domain);
        writer
            .write_message(
                Timestamp::from_secs(1_700_000_100),
                &[record(0, "10.0.0.1:1000", "198.51.100.1:22")],
            )
            .unwrap();
        pcap.write_udp(
            Timestamp::from_secs(1_700_000_100),
            exporter.parse().unwrap(),
            "192.0.2.100:4739".parse().unwrap(),
            &writer.into_inner(),
        )
        .unwrap();
    }
    // A data-only message from a third exporter that never sent templates.
    let mut writer = IpfixWriter::new(Vec::new(), 1);
    writer.write_message(Timestamp::from_secs(1), &[]).unwrap();
    let mut data_only = IpfixWriter::new(Vec::new(), 1);
    data_only
        .write_message(
            Timestamp::from_secs(1),
            &[record(1, "10.0.0.1:1000", "198.51.100.1:22")],
        )
        .unwrap();
    let bytes = data_only.into_inner();
    // Drop the template set: header (16) + template set length.
    let tpl_len = u16::from_be_bytes([bytes[18], bytes[19]]) as usize;
    let mut stripped = bytes[..16].to_vec();
    stripped.extend_from_slice(&bytes[16 + tpl_len..]);
    let total = stripped.len() as u16;
    stripped[2..4].copy_from_slice(&total.to_be_bytes());
    pcap.write_udp(
        Timestamp::from_secs(1_700_000_101),
        "192.0.2.3:40000".parse().unwrap(),
        "192.0.2.100:4739".parse().unwrap(),
        &stripped,
    )
    .unwrap();
    let bytes = pcap.into_inner();
    assert_eq!(sniff(&bytes), Some(NetFormat::NetflowCapture));
    let source = NetflowPcapSource::open(input(bytes), &SourceContext::default()).unwrap();
    let (events, errors) = split(source);
    assert_eq!(events.len(), 2);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].reason.contains("template"), "{errors:?}");
    assert_eq!(
        events[1].native.get_by_name("netflow.exporter"),
        Some(model::ValueRef::Str("192.0.2.2"))
    );
}

fn shared(dir: &str) -> Option<std::path::PathBuf> {
    let base = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        });
    let path = base.join(dir);
    if path.is_dir() {
        Some(path)
    } else {
        println!("skipped: {} not present", path.display());
        None
    }
}

fn read_files(paths: &[std::path::PathBuf]) -> (Vec<Event>, Vec<RecordError>) {
    let mut bytes = Vec::new();
    for p in paths {
        bytes.extend(std::fs::read(p).unwrap());
    }
    split(NetflowFileSource::open(
        input(bytes),
        &SourceContext::default(),
    ))
}

#[test]
fn public_exporter_samples_decode() {
    let Some(dir) = shared("netflow/logstash-codec-netflow") else {
        return;
    };
    let mut total = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        if name.contains("invalid") {
            // Deliberately broken samples: never a panic, whatever is read.
            let _ = read_files(std::slice::from_ref(path));
            continue;
        }
        assert_eq!(
            sniff(&bytes),
            Some(NetFormat::NetflowFile),
            "{}",
            path.display()
        );
        let (events, _errors) = read_files(std::slice::from_ref(path));
        total += events.len();
    }
    assert!(total > 100, "{total}");
    // Template then data, as a collector stores them.
    let pairs = [
        (
            "netflow9_test_cisco_asa_1_tpl.dat",
            "netflow9_test_cisco_asa_1_data.dat",
        ),
        (
            "ipfix_test_mikrotik_tpl.dat",
            "ipfix_test_mikrotik_data258.dat",
        ),
        (
            "ipfix_test_openbsd_pflow_tpl.dat",
            "ipfix_test_openbsd_pflow_data.dat",
        ),
    ];
    for (tpl, data) in pairs {
        let (events, errors) = read_files(&[dir.join(tpl), dir.join(data)]);
        assert!(errors.is_empty(), "{tpl}: {errors:?}");
        assert!(!events.is_empty(), "{tpl}");
        assert!(
            events
                .iter()
                .all(|e| e.network.as_ref().unwrap().source_ip.is_some())
        );
    }
    // v5 from a real exporter: 30 records with bytes and a start time.
    let (events, errors) = read_files(&[dir.join("netflow5.dat")]);
    assert!(errors.is_empty());
    assert!(events.len() >= 29, "{}", events.len());
}

#[test]
fn public_export_captures_decode() {
    let Some(dir) = shared("netflow/akvorado") else {
        return;
    };
    let bytes_of = |name: &str| std::fs::read(dir.join(name)).unwrap();
    for name in ["nfv5.pcap", "data+templates.pcap", "template.pcap"] {
        let bytes = bytes_of(name);
        assert_eq!(sniff(&bytes), Some(NetFormat::NetflowCapture), "{name}");
    }
    let bytes = bytes_of("data+templates.pcap");
    let (events, errors) =
        split(NetflowPcapSource::open(input(bytes), &SourceContext::default()).unwrap());
    // The capture starts with one data set sent before its template.
    assert!(errors.len() <= 1, "{errors:?}");
    assert!(events.len() >= 10, "{}", events.len());
    let (events, _) = split(
        NetflowPcapSource::open(input(bytes_of("nfv5.pcap")), &SourceContext::default()).unwrap(),
    );
    assert!(events.len() >= 20, "{}", events.len());
}
