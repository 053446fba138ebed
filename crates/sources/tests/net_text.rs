//! Proxy, W3C, firewall CSV, DNS server and syslog files: sniffed from content and
//! read through `sources::net::open`, with offsets on every event and error.

use model::{Event, EventKind};
use sources::net::{NetFormat, open, sniff};
use sources::{Input, RecordError, SourceContext};
use std::io::Cursor;
use std::sync::Arc;

fn read(text: &str) -> (NetFormat, Vec<Event>, Vec<RecordError>) {
    read_with(text, &SourceContext::default())
}

fn read_with(text: &str, ctx: &SourceContext) -> (NetFormat, Vec<Event>, Vec<RecordError>) {
    let format = sniff(text.as_bytes()).unwrap_or_else(|| panic!("not sniffed: {text}"));
    let input = Input {
        path: Arc::from("log.txt"),
        reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
    };
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for item in open(format, input, ctx).unwrap() {
        match item {
            Ok(e) => ok.push(e),
            Err(e) => bad.push(e),
        }
    }
    (format, ok, bad)
}

#[test]
fn squid_with_a_bad_line_in_the_middle() {
    let text = "1700000000.100    120 10.0.0.5 TCP_TUNNEL/200 73400320 CONNECT mega.example:443 alice HIER_DIRECT/198.51.100.4 -\n\
                this is not squid\n\
                1700000001.000     10 10.0.0.5 TCP_MISS/404 512 GET http://example.com/x - HIER_DIRECT/93.184.216.34 text/html\n";
    let (format, events, errors) = read(text);
    assert_eq!(format, NetFormat::Squid);
    assert_eq!(events.len(), 2);
    assert_eq!(errors.len(), 1);
    let second_line_offset = text.find("this").unwrap() as u64;
    assert_eq!(errors[0].offset, second_line_offset);
    assert_eq!(
        events[1].origin.as_ref().unwrap().offset,
        text.find("1700000001").unwrap() as u64
    );
    let n = events[0].network.as_deref().unwrap();
    assert_eq!(n.destination_domain.as_deref(), Some("mega.example"));
    assert_eq!(n.destination_port, Some(443));
    assert_eq!(events[0].kind, EventKind::Http);
}

#[test]
fn w3c_iis_log_with_directives() {
    let text = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-11-23 00:00:00\r\n\
                #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken\r\n\
                2026-11-23 00:00:01 10.0.0.10 POST /upload.aspx - 443 - 10.0.0.77 curl/8.0 - 200 0 0 300 9000000 120\r\n";
    let (format, events, errors) = read(text);
    assert_eq!(format, NetFormat::W3c);
    assert!(errors.is_empty(), "{errors:?}");
    let n = events[0].network.as_deref().unwrap();
    assert_eq!(n.source_ip, Some("10.0.0.77".parse().unwrap()));
    assert_eq!(n.source_bytes, Some(9_000_000));
    assert_eq!(
        events[0].http.as_ref().unwrap().method.as_deref(),
        Some("POST")
    );
}

#[test]
fn firewall_csv_ready_mapping_and_config_error() {
    let text = "time,src,dst,sport,dport,proto,bytes_out,bytes_in\n2026-11-23T03:00:00Z,10.0.0.9,203.0.113.80,50500,21,tcp,500000000,1200\n";
    let (format, events, errors) = read(text);
    assert_eq!(format, NetFormat::FirewallCsv);
    assert!(errors.is_empty());
    assert_eq!(
        events[0].network.as_ref().unwrap().source_bytes,
        Some(500_000_000)
    );
    let config = model::Config::from_toml(
        "[sources.firewall.columns]\nsrc_address = \"x\"\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    let ctx = SourceContext::from_config(Arc::new(config));
    let input = Input {
        path: Arc::from("fw.csv"),
        reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
    };
    let err = open(NetFormat::FirewallCsv, input, &ctx)
        .err()
        .expect("bad config must be refused");
    assert!(err.to_string().contains("src_address"), "{err}");
}

#[test]
fn dns_server_logs() {
    let bind = "23-Nov-2026 10:00:00.123 queries: info: client @0x7f8e3c0e8f70 10.0.0.5#53422 (a.b.example): query: a.b.example IN A +E(0)K (10.0.0.1)\n";
    let (format, events, _) = read(bind);
    assert_eq!(format, NetFormat::BindQuery);
    assert_eq!(events[0].kind, EventKind::Dns);
    let windows = "DNS Server log file creation at 11/23/2026 10:00:00 AM\n\nMessage logging key (for packets - other items use a subset of these fields):\n\
                   11/23/2026 10:00:01 AM 0E34 PACKET  000000D4E2B5B0F0 UDP Rcv 10.0.0.5        1a2b   Q [0001   D   NOERROR] TXT    (6)aGVsbG8(6)tunnel(3)net(0)\n";
    let (format, events, errors) = read(windows);
    assert_eq!(format, NetFormat::WindowsDns);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        events[0].dns.as_ref().unwrap().question_name.as_deref(),
        Some("aGVsbG8.tunnel.net")
    );
}

#[test]
fn syslog_mixed_with_firewall_lines() {
    let text = "<134>Nov 23 02:00:00 fw filterlog[4321]: 5,,,1000000103,igb0,match,pass,out,4,0x0,,64,0,0,DF,6,tcp,60,192.168.1.20,198.51.100.9,52000,443,0,S,1,,64240,,mss\n\
                <86>Nov 23 02:00:01 host1 sshd[77]: Accepted publickey for bob from 10.0.0.2\n";
    let (format, events, errors) = read(text);
    assert_eq!(format, NetFormat::Syslog);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events[0].kind, EventKind::Network);
    assert_eq!(
        events[0].network.as_ref().unwrap().destination_port,
        Some(443)
    );
    assert_eq!(events[1].kind, EventKind::Other);
    assert_eq!(events[1].host_name.as_deref(), Some("host1"));
}

#[test]
fn other_text_is_not_claimed() {
    for text in [
        "#separator \\x09\n#fields\tts\tuid\n",
        "{\"a\": 1}\n",
        "just some words\nand more\n",
        "",
    ] {
        assert_eq!(sniff(text.as_bytes()), None, "{text}");
    }
}

#[test]
fn public_squid_sample() {
    let base = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        });
    let path = base.join("proxy/plaso/squid_access.log");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: {} not present", path.display());
        return;
    };
    let (format, events, errors) = read(&text);
    assert_eq!(format, NetFormat::Squid);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        events.len(),
        text.lines().filter(|l| !l.trim().is_empty()).count()
    );
    assert!(
        events
            .iter()
            .any(|e| e.network.as_ref().unwrap().source_ip == Some("2001:db8::1".parse().unwrap()))
    );
}

#[test]
fn public_argus_binetflow() {
    let base = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        });
    let path = base.join("netflow/slips-binetflow/test5-mixed.binetflow");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: {} not present", path.display());
        return;
    };
    let (format, events, errors) = read(&text);
    assert_eq!(format, NetFormat::FirewallCsv);
    println!(
        "{} events, {} errors, first errors: {:?}",
        events.len(),
        errors.len(),
        errors.iter().take(3).collect::<Vec<_>>()
    );
    assert!(events.len() > 100, "{}", events.len());
    assert!(
        errors.len() * 100 <= events.len(),
        "{} errors",
        errors.len()
    );
    assert!(
        events
            .iter()
            .all(|e| e.network.as_ref().unwrap().source_bytes.is_some())
    );
}
