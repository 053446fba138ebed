//! pcap/pcapng to flows: captures written by `sources::net::write`, plus the public
//! captures in ../shared/data/pcap when present.

use model::{Event, EventKind, Timestamp};
use sources::net::pcap::PcapFlowSource;
use sources::net::write::{PcapWriter, TcpConversation};
use sources::{Input, SourceContext};
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;

fn input(name: &str, bytes: Vec<u8>) -> Input {
    Input {
        path: Arc::from(name),
        reader: Box::new(Cursor::new(bytes)),
    }
}

fn read_all(bytes: Vec<u8>) -> (Vec<Event>, Vec<sources::RecordError>) {
    let source =
        PcapFlowSource::open(input("test.pcap", bytes), &SourceContext::default()).unwrap();
    let (mut events, mut errors) = (Vec::new(), Vec::new());
    for item in source {
        match item {
            Ok(e) => events.push(e),
            Err(e) => errors.push(e),
        }
    }
    (events, errors)
}

fn flows(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::Network)
        .collect()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const T0: i64 = 1_700_000_000;

#[test]
fn upload_seen_from_the_server_side_first_is_still_outbound() {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    let client = addr("10.0.0.5:50000");
    let server = addr("203.0.113.9:8443");
    // The capture starts mid-connection with a server packet.
    let mut conn = TcpConversation::midstream(client, server);
    conn.send(&mut pcap, Timestamp::from_secs(T0), false, b"ok")
        .unwrap();
    conn.send(
        &mut pcap,
        Timestamp::from_secs(T0 + 1),
        true,
        &vec![7u8; 100_000],
    )
    .unwrap();
    conn.close(&mut pcap, Timestamp::from_secs(T0 + 2)).unwrap();
    let (events, errors) = read_all(pcap.into_inner());
    assert!(errors.is_empty(), "{errors:?}");
    let flows = flows(&events);
    assert_eq!(flows.len(), 1);
    let net = flows[0].network.as_deref().unwrap();
    assert_eq!(net.source_ip, Some(client.ip()));
    assert_eq!(net.destination_port, Some(8443));
    assert_eq!(net.source_bytes, Some(100_000));
    assert_eq!(net.destination_bytes, Some(2));
    assert_eq!(net.state.as_deref(), Some("OTH"));
    assert_eq!(net.direction.as_deref(), Some("outbound"));
}

#[test]
fn handshake_states_and_http_request() {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    let client = addr("192.168.1.10:40001");
    let server = addr("198.51.100.20:80");
    let t = Timestamp::from_secs(T0);
    let mut conn = TcpConversation::open(&mut pcap, t, client, server).unwrap();
    let body = vec![b'x'; 5000];
    let mut request = b"POST /upload HTTP/1.1\r\nHost: files.example.net\r\nUser-Agent: curl/8.5\r\nContent-Length: 5000\r\n\r\n".to_vec();
    request.extend_from_slice(&body);
    conn.send(&mut pcap, Timestamp::from_secs(T0 + 1), true, &request)
        .unwrap();
    conn.send(
        &mut pcap,
        Timestamp::from_secs(T0 + 2),
        false,
        b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
    )
    .unwrap();
    conn.close(&mut pcap, Timestamp::from_secs(T0 + 3)).unwrap();
    // A rejected connection and an unanswered SYN.
    let rejected = addr("192.168.1.10:40002");
    let mut rej = TcpConversation::midstream(rejected, addr("198.51.100.20:21"));
    let syn = sources::net::write::TcpFlags {
        syn: true,
        ..Default::default()
    };
    pcap.write_tcp(
        Timestamp::from_secs(T0 + 4),
        rejected,
        addr("198.51.100.20:21"),
        syn,
        1,
        0,
        &[],
    )
    .unwrap();
    rej.reset(&mut pcap, Timestamp::from_secs(T0 + 4), false)
        .unwrap();
    pcap.write_tcp(
        Timestamp::from_secs(T0 + 5),
        addr("192.168.1.10:40003"),
        addr("198.51.100.20:22"),
        syn,
        1,
        0,
        &[],
    )
    .unwrap();
    let (events, errors) = read_all(pcap.into_inner());
    assert!(errors.is_empty(), "{errors:?}");
    let flows = flows(&events);
    let states: Vec<&str> = flows
        .iter()
        .map(|f| f.network.as_ref().unwrap().state.as_deref().unwrap())
        .collect();
    assert_eq!(states, ["SF", "REJ", "S0"]);
    let web = flows[0].network.as_deref().unwrap();
    assert_eq!(web.protocol.as_deref(), Some("http"));
    assert_eq!(web.destination_domain.as_deref(), Some("files.example.net"));
    assert_eq!(web.source_bytes, Some(request.len() as u64));
    // SYN, ACK, the data segments, FIN, last ACK.
    assert_eq!(
        web.source_packets,
        Some(2 + request.len().div_ceil(1448) as u64 + 2)
    );
    let http: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == EventKind::Http)
        .collect();
    assert_eq!(http.len(), 1);
    let h = http[0].http.as_deref().unwrap();
    assert_eq!(h.method.as_deref(), Some("POST"));
    assert_eq!(
        h.url_full.as_deref(),
        Some("http://files.example.net/upload")
    );
    assert_eq!(h.request_body_bytes, Some(5000));
    assert_eq!(h.status_code, Some(201));
    assert_eq!(h.user_agent.as_deref(), Some("curl/8.5"));
    assert_eq!(
        http[0].network.as_ref().unwrap().source_ip,
        Some(client.ip())
    );
}

fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut msg = id.to_be_bytes().to_vec();
    msg.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        msg.push(label.len() as u8);
        msg.extend_from_slice(label.as_bytes());
    }
    msg.extend_from_slice(&[0, 0, 16, 0, 1]);
    msg
}

#[test]
fn dns_queries_matched_with_answers_and_tunnel_on_odd_port_flagged() {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    let client = addr("10.9.8.7:53001");
    let resolver = addr("8.8.8.8:53");
    for i in 0..3u16 {
        let t = Timestamp::from_secs(T0 + i as i64);
        let query = dns_query(i, &format!("a{i}b.tunnel.example"));
        pcap.write_udp(t, client, resolver, &query).unwrap();
        let mut response = query.clone();
        response[2] = 0x81;
        response[3] = 0x83; // NXDOMAIN
        pcap.write_udp(Timestamp(t.0 + 500), resolver, client, &response)
            .unwrap();
    }
    // DNS to port 5300: a mismatch.
    pcap.write_udp(
        Timestamp::from_secs(T0 + 9),
        addr("10.9.8.7:53002"),
        addr("203.0.113.1:5300"),
        &dns_query(9, "x.example"),
    )
    .unwrap();
    let (events, errors) = read_all(pcap.into_inner());
    assert!(errors.is_empty());
    let dns: Vec<&Event> = events.iter().filter(|e| e.kind == EventKind::Dns).collect();
    assert_eq!(dns.len(), 4);
    let first = dns[0].dns.as_deref().unwrap();
    assert_eq!(first.question_name.as_deref(), Some("a0b.tunnel.example"));
    assert_eq!(first.question_type.as_deref(), Some("TXT"));
    assert_eq!(first.response_code.as_deref(), Some("NXDOMAIN"));
    let flows = flows(&events);
    assert_eq!(flows.len(), 2);
    assert_eq!(flows[0].network.as_ref().unwrap().source_packets, Some(3));
    let odd = flows[1];
    assert_eq!(
        odd.network.as_ref().unwrap().protocol.as_deref(),
        Some("dns")
    );
    assert_eq!(
        odd.native.get_by_name("network.protocol_mismatch"),
        Some(model::ValueRef::Bool(true))
    );
}

#[test]
fn flow_table_cap_evicts_and_counts() {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    for i in 0..50u16 {
        let src = addr(&format!("10.0.0.1:{}", 10_000 + i));
        pcap.write_udp(
            Timestamp::from_secs(T0),
            src,
            addr("203.0.113.5:9999"),
            b"hi",
        )
        .unwrap();
    }
    let limits = sources::net::flow::FlowLimits {
        max_flows: 10,
        ..Default::default()
    };
    let mut source = PcapFlowSource::with_limits(
        input("cap.pcap", pcap.into_inner()),
        &SourceContext::default(),
        limits,
    )
    .unwrap();
    let count = source.by_ref().filter(|e| e.is_ok()).count();
    assert_eq!(count, 50);
    let stats = source.stats();
    assert!(stats.flows.evicted >= 40, "{stats:?}");
    assert!(stats.flows.peak_flows <= 10);
}

#[test]
fn truncated_and_garbage_captures_report_errors() {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    pcap.write_udp(
        Timestamp::from_secs(T0),
        addr("10.0.0.1:1"),
        addr("10.0.0.2:2"),
        b"abc",
    )
    .unwrap();
    let mut bytes = pcap.into_inner();
    bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]); // a cut record header
    let (events, errors) = read_all(bytes);
    assert_eq!(flows(&events).len(), 1);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].offset >= 24, "{:?}", errors[0]);
    assert!(
        PcapFlowSource::open(
            input("x", b"not a pcap at all".to_vec()),
            &SourceContext::default()
        )
        .is_err()
    );
}

/// Wraps frames of a classic capture into a pcapng file (SHB, IDB, EPBs).
fn to_pcapng(frames: &[(i64, Vec<u8>)]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let padded = body.len().div_ceil(4) * 4;
        let len = (12 + padded) as u32;
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.resize(out.len() + padded - body.len(), 0);
        out.extend_from_slice(&len.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut shb = 0x1A2B3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    block(&mut out, 0x0A0D0D0A, &shb);
    let mut idb = vec![1, 0, 0, 0];
    idb.extend_from_slice(&65535u32.to_le_bytes());
    block(&mut out, 1, &idb);
    for (micros, frame) in frames {
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((*micros as u64 >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(*micros as u32).to_le_bytes());
        epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        epb.extend_from_slice(frame);
        epb.resize(20 + frame.len().div_ceil(4) * 4, 0);
        block(&mut out, 6, &epb);
    }
    out
}

/// Splits a classic capture written by PcapWriter back into (time, frame) pairs.
fn frames_of(classic: &[u8]) -> Vec<(i64, Vec<u8>)> {
    let mut frames = Vec::new();
    let mut pos = 24;
    while pos + 16 <= classic.len() {
        let word = |i: usize| u32::from_le_bytes(classic[pos + i..pos + i + 4].try_into().unwrap());
        let micros = word(0) as i64 * 1_000_000 + word(4) as i64;
        let len = word(8) as usize;
        frames.push((micros, classic[pos + 16..pos + 16 + len].to_vec()));
        pos += 16 + len;
    }
    frames
}

#[test]
fn pcapng_gives_the_same_flows_as_pcap() {
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    let mut conn = TcpConversation::open(
        &mut pcap,
        Timestamp::from_secs(T0),
        addr("[fd00::5]:40000"),
        addr("[2001:db8::1]:443"),
    )
    .unwrap();
    conn.send(
        &mut pcap,
        Timestamp::from_secs(T0 + 1),
        true,
        &[0x16, 3, 1, 0, 10, 1, 0, 0, 6, 3, 3],
    )
    .unwrap();
    conn.close(&mut pcap, Timestamp::from_secs(T0 + 2)).unwrap();
    let classic = pcap.into_inner();
    let ng = to_pcapng(&frames_of(&classic));
    let (a, _) = read_all(classic);
    let (b, errors) = read_all(ng);
    assert!(errors.is_empty(), "{errors:?}");
    let strip = |events: Vec<Event>| -> Vec<String> {
        events
            .into_iter()
            .filter(|e| e.kind == EventKind::Network)
            .map(|mut e| {
                e.origin = None;
                serde_json::to_string(&e).unwrap()
            })
            .collect()
    };
    let (a, b) = (strip(a), strip(b));
    assert_eq!(a, b);
    assert!(a[0].contains("\"source.ip\":\"fd00::5\""), "{}", a[0]);
    assert!(a[0].contains("\"network.protocol\":\"tls\""), "{}", a[0]);
}

fn shared(dir: &str) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(dir);
    if path.is_dir() {
        Some(path)
    } else {
        println!("skipped: {} not present", path.display());
        None
    }
}

#[test]
fn public_captures_read_without_errors() {
    let Some(dir) = shared("pcap/zeek-traces") else {
        return;
    };
    let mut total_flows = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let (events, errors) = read_all(bytes);
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        total_flows += flows(&events).len();
        if path.ends_with("http-post-large.pcap") {
            let post = events.iter().find(|e| {
                e.http
                    .as_ref()
                    .is_some_and(|h| h.method.as_deref() == Some("POST"))
            });
            assert!(post.is_some(), "no POST found in {}", path.display());
        }
    }
    assert!(total_flows > 10);
}
