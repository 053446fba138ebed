//! No input makes a network reader panic: arbitrary and mutated bytes through the
//! packet decoder, the application parsers, the pcap and NetFlow/IPFIX readers and
//! every line format.

use model::Timestamp;
use proptest::prelude::*;
use sources::net::write::{FlowRecord, IpfixWriter, PcapWriter, TcpConversation};
use sources::net::{NetFormat, app, open, packet, sniff};
use sources::{Input, SourceContext};
use std::io::Cursor;
use std::sync::Arc;

fn drain(format: NetFormat, bytes: Vec<u8>) -> usize {
    let input = Input {
        path: Arc::from("fuzz"),
        reader: Box::new(Cursor::new(bytes)),
    };
    match open(format, input, &SourceContext::default()) {
        Ok(source) => source.take(100_000).count(),
        Err(_) => 0,
    }
}

fn sample_capture() -> Vec<u8> {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    let client = "10.0.0.1:40000".parse().unwrap();
    let server = "198.51.100.2:80".parse().unwrap();
    let mut conn = TcpConversation::open(
        &mut pcap,
        Timestamp::from_secs(1_700_000_000),
        client,
        server,
    )
    .unwrap();
    conn.send(
        &mut pcap,
        Timestamp::from_secs(1_700_000_001),
        true,
        b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
    )
    .unwrap();
    conn.send(
        &mut pcap,
        Timestamp::from_secs(1_700_000_001),
        false,
        b"HTTP/1.1 200 OK\r\n\r\n",
    )
    .unwrap();
    pcap.write_udp(
        Timestamp::from_secs(1_700_000_002),
        "10.0.0.1:5000".parse().unwrap(),
        "8.8.8.8:53".parse().unwrap(),
        &[0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 1, 0, 1],
    )
    .unwrap();
    conn.close(&mut pcap, Timestamp::from_secs(1_700_000_003))
        .unwrap();
    pcap.into_inner()
}

fn sample_ipfix() -> Vec<u8> {
    let mut writer = IpfixWriter::new(Vec::new(), 1);
    let flow = FlowRecord {
        start: Timestamp::from_secs(1_700_000_000),
        end: Timestamp::from_secs(1_700_000_010),
        source: "[fd00::1]:1".parse().unwrap(),
        destination: "[2001:db8::1]:2".parse().unwrap(),
        protocol: 6,
        packets: 1,
        octets: 2,
        tcp_flags: 0,
    };
    let v4 = FlowRecord {
        source: "10.0.0.1:1".parse().unwrap(),
        destination: "198.51.100.1:2".parse().unwrap(),
        ..flow.clone()
    };
    writer
        .write_message(Timestamp::from_secs(1_700_000_100), &[flow, v4])
        .unwrap();
    writer.into_inner()
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    for (pos, value) in edits {
        if !bytes.is_empty() {
            let i = pos % bytes.len();
            bytes[i] = *value;
        }
    }
    let keep = bytes.len().saturating_sub(cut % 64);
    bytes.truncate(keep);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn packet_and_app_parsers(data in proptest::collection::vec(any::<u8>(), 0..256), from_orig: bool) {
        for linktype in [0, 1, 12, 101, 108, 113, 228, 229, 276, 9999] {
            let _ = packet::decode(linktype, &data);
        }
        let _ = app::parse_dns(&data);
        let _ = app::parse_http_request(&data);
        let _ = app::parse_http_status(&data);
        let _ = app::parse_tls_client_hello_sni(&data);
        let _ = app::detect_protocol(&data, from_orig, true);
        let _ = app::detect_protocol(&data, from_orig, false);
        let _ = sniff(&data);
    }

    #[test]
    fn mutated_captures(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..12), cut in any::<usize>()) {
        let bytes = mutate(sample_capture(), &edits, cut);
        drain(NetFormat::Pcap, bytes.clone());
        drain(NetFormat::NetflowCapture, bytes);
    }

    #[test]
    fn mutated_flow_exports(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..12), cut in any::<usize>(), tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = mutate(sample_ipfix(), &edits, cut);
        bytes.extend(tail);
        drain(NetFormat::NetflowFile, bytes);
    }

    #[test]
    fn arbitrary_flow_export_bytes(version in prop_oneof![Just(5u16), Just(9u16), Just(10u16)], body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = version.to_be_bytes().to_vec();
        bytes.extend(body);
        drain(NetFormat::NetflowFile, bytes);
    }

    /// EVE-shaped records with odd values where numbers, addresses, times
    /// and objects belong: no panic, each line an event or a counted error
    /// (or skipped, as `stats` and a query after an answer are).
    #[test]
    fn suricata_eve_shaped_lines(
        records in proptest::collection::vec((
            prop_oneof![Just("flow"), Just("netflow"), Just("dns"), Just("http"), Just("tls"), Just("alert"), Just("stats"), Just("x")],
            prop_oneof![Just("\"10.0.0.5\""), Just("\"::1\""), Just("7"), Just("null"), Just("\"999.1.1.1\""), Just("{}")],
            prop_oneof![Just("443"), Just("-1"), Just("70000"), Just("1.5"), Just("\"80\""), Just("18446744073709551615")],
            prop_oneof![Just("\"2021-06-06T16:38:55.8+0200\""), Just("\"2021-06-06\""), Just("1"), Just("\"\""), Just("[]")],
            prop_oneof![Just("{\"type\":\"answer\",\"rrname\":\"a.b\",\"rcode\":3}"), Just("{\"type\":\"query\",\"queries\":[{\"rrname\":5}]}"), Just("[1]"), Just("{\"answers\":[{\"rdata\":{}}]}")],
        ), 1..6),
    ) {
        let lines: Vec<String> = records
            .iter()
            .map(|(kind, ip, num, time, inner)| format!(
                "{{\"timestamp\":\"2021-06-06T16:00:00+0200\",\"event_type\":\"{kind}\",\"src_ip\":{ip},\"dest_ip\":{ip},\"src_port\":{num},\"dest_port\":{num},\"flow\":{{\"bytes_toserver\":{num},\"start\":{time},\"end\":{time}}},\"dns\":{inner},\"http\":{inner},\"tls\":{inner}}}"
            ))
            .collect();
        let read = drain(NetFormat::SuricataEve, lines.join("\n").into_bytes());
        // Only `stats` and queries after an answer are skipped.
        let kept = records.iter().filter(|r| r.0 != "stats" && r.0 != "dns").count();
        prop_assert!(kept <= read && read <= records.len(), "{read} of {lines:?}");
    }

    #[test]
    fn line_formats(lines in proptest::collection::vec("[ -~\\t]{0,120}", 0..8)) {
        let text = lines.join("\n");
        for format in [NetFormat::Squid, NetFormat::W3c, NetFormat::FirewallCsv, NetFormat::BindQuery, NetFormat::WindowsDns, NetFormat::Syslog, NetFormat::SuricataEve, NetFormat::Fortigate] {
            drain(format, text.clone().into_bytes());
            let mut prefixed = String::from("#Fields: date time c-ip cs-method\ntime,src,dst\n<13>Nov 23 01:02:03 h app: date=2026-11-23 time=01:02:03 devname=f type=traffic srcip=");
            prefixed.push_str(&text);
            drain(format, prefixed.into_bytes());
        }
    }
}
