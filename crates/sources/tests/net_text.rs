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

/// Suricata EVE JSON: a server-initiated flow is oriented internal-first (its
/// bytes swapped with it), flows are timed at their start, DNS queries are
/// dropped once answers appear, HTTP and TLS fill their facts, alerts keep
/// their fields natively, `stats` is skipped and a broken line is reported
/// with its offset.
#[test]
fn suricata_eve_records() {
    let text = concat!(
        r#"{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":1,"event_type":"flow","src_ip":"203.0.113.9","src_port":51000,"dest_ip":"10.0.0.5","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":10,"pkts_toclient":900,"bytes_toserver":1200,"bytes_toclient":52000000,"start":"2021-06-06T16:38:55.855844+0200","end":"2021-06-06T16:39:05.855844+0200","state":"closed"},"host":"sensor1"}"#,
        "\n",
        r#"{"timestamp":"2021-06-06T16:26:27.431769+0200","flow_id":2,"event_type":"dns","src_ip":"10.0.0.5","src_port":35790,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"type":"query","id":2,"rrname":"first.example","rrtype":"TXT","tx_id":0}}"#,
        "\n",
        r#"{"timestamp":"2021-06-06T16:26:27.442512+0200","flow_id":2,"event_type":"dns","src_ip":"10.0.0.5","src_port":35790,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"version":2,"type":"answer","id":2,"rrname":"first.example","rrtype":"TXT","rcode":"NXDOMAIN"}}"#,
        "\n",
        r#"{"timestamp":"2021-06-06T16:26:28.000000+0200","flow_id":3,"event_type":"dns","src_ip":"10.0.0.5","src_port":35791,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"type":"query","id":3,"rrname":"second.example","rrtype":"A","tx_id":0}}"#,
        "\n",
        r#"{"timestamp":"2021-06-06T16:30:00.000000+0200","flow_id":4,"event_type":"http","src_ip":"10.0.0.5","src_port":50000,"dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","http":{"hostname":"upload.example","url":"/put?x=1","http_method":"POST","status":200,"http_user_agent":"curl/8.0","length":12}}"#,
        "\n",
        r#"{"timestamp":"2021-06-06T16:31:00.000000+0200","flow_id":5,"event_type":"tls","src_ip":"10.0.0.5","src_port":50001,"dest_ip":"198.51.100.8","dest_port":443,"proto":"TCP","tls":{"sni":"files.example","version":"TLS 1.3"}}"#,
        "\n",
        r#"{"timestamp":"2021-06-06T16:32:00.000000+0200","event_type":"stats","stats":{"uptime":60}}"#,
        "\n",
        "{\"timestamp\":\"2021-06-06T16:33:00\",\"event_type\":\n",
        r#"{"timestamp":"2021-06-06T16:34:00.000000+0200","flow_id":6,"event_type":"alert","src_ip":"203.0.113.9","src_port":4444,"dest_ip":"10.0.0.5","dest_port":445,"proto":"TCP","alert":{"signature":"ET SCAN test","severity":2}}"#,
        "\n",
    );
    let (format, events, errors) = read(text);
    assert_eq!(format, NetFormat::SuricataEve);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].offset,
        text.find("{\"timestamp\":\"2021-06-06T16:33").unwrap() as u64
    );
    let datasets: Vec<&str> = events
        .iter()
        .map(|e| e.dataset.as_deref().unwrap())
        .collect();
    assert_eq!(
        datasets,
        [
            "suricata.flow",
            "suricata.dns",
            "suricata.dns",
            "suricata.http",
            "suricata.tls",
            "suricata.alert"
        ],
        "the query after the first answer is dropped, stats skipped"
    );
    let flow = &events[0];
    assert_eq!(flow.kind, EventKind::Network);
    assert_eq!(
        flow.timestamp,
        model::Timestamp::parse("2021-06-06T14:38:55.855844Z").unwrap()
    );
    assert!(flow.host_name.is_none(), "EVE's host is the sensor");
    let n = flow.network.as_deref().unwrap();
    assert_eq!(n.source_ip, Some("10.0.0.5".parse().unwrap()));
    assert_eq!(n.source_port, Some(443));
    assert_eq!(
        n.source_bytes,
        Some(52_000_000),
        "what left the internal server"
    );
    assert_eq!(n.destination_bytes, Some(1_200));
    assert_eq!(n.destination_packets, Some(10));
    assert_eq!(n.direction.as_deref(), Some("inbound"));
    assert_eq!(n.protocol.as_deref(), Some("tls"));
    assert_eq!(n.duration_s, Some(10.0));
    let query = events[1].dns.as_deref().unwrap();
    assert_eq!(query.question_name.as_deref(), Some("first.example"));
    assert_eq!(query.response_code, None);
    let answer = events[2].dns.as_deref().unwrap();
    assert_eq!(answer.question_type.as_deref(), Some("TXT"));
    assert_eq!(answer.response_code.as_deref(), Some("NXDOMAIN"));
    let http = events[3].http.as_deref().unwrap();
    assert_eq!(
        http.url_full.as_deref(),
        Some("http://upload.example/put?x=1")
    );
    assert_eq!(http.method.as_deref(), Some("POST"));
    assert_eq!(http.status_code, Some(200));
    assert_eq!(
        events[3]
            .network
            .as_deref()
            .unwrap()
            .destination_domain
            .as_deref(),
        Some("upload.example")
    );
    assert_eq!(events[4].tls_server_name.as_deref(), Some("files.example"));
    let alert = &events[5];
    assert_eq!(alert.kind, EventKind::Other);
    assert_eq!(
        alert.logsource,
        model::LogSource::new(Some("suricata"), None, Some("alert"))
    );
    assert!(alert.native.get_by_name("alert.signature").is_some());
    // Other JSON with a `timestamp` and an `event_type` is not EVE.
    let app_log =
        b"{\"timestamp\":\"2021-06-06T16:00:00Z\",\"event_type\":\"login\",\"user\":\"bob\"}\n";
    assert_eq!(sniff(app_log), None);
}

/// FortiGate traffic records, as a file the firewall wrote to a syslog
/// server without a header (`<189>date=...`) and relayed inside syslog: an
/// outbound session's bytes on the internal side, the device's zone applied,
/// quoted values read, the firewall not taken as the host; a record without
/// addresses is reported with its offset.
#[test]
fn fortigate_traffic_records() {
    let text = concat!(
        r#"<189>date=2026-11-23 time=21:18:05 devname="FGT60E" devid="FGT60E0000000001" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" eventtime=1795465085123456789 tz="+0100" srcip=10.1.1.5 srcport=52344 srcintf="port2" dstip=203.0.113.7 dstport=443 dstintf="wan1" proto=6 action="close" policyid=1 policyname="LAN to WAN" service="HTTPS" hostname="upload.example" duration=120 sentbyte=73400320 rcvdbyte=7890 sentpkt=50000 rcvdpkt=8000 user="bob" appcat="unscanned""#,
        "\n",
        r#"<189>date=2026-11-23 time=21:19:05 devname="FGT60E" logid="0000000013" type="traffic" subtype="forward" tz="+0100" srcip=203.0.113.9 srcport=4444 dstip=10.1.1.6 dstport=21 proto=6 action="deny" service="FTP" msg="a \"quoted\" note" sentbyte=60 rcvdbyte=0"#,
        "\n",
        r#"<189>date=2026-11-23 time=21:20:05 devname="FGT60E" logid="0000000013" type="traffic" tz="+0100" proto=6 action="close""#,
        "\n",
        r#"<190>date=2026-11-23 time=21:21:05 devname="FGT60E" logid="0100032001" type="event" subtype="system" tz="+0100" logdesc="Admin login successful" user="admin""#,
        "\n",
    );
    let (format, events, errors) = read(text);
    assert_eq!(format, NetFormat::Fortigate);
    assert_eq!(events.len(), 3);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].offset,
        text.find("<189>date=2026-11-23 time=21:20").unwrap() as u64
    );
    let out = &events[0];
    assert_eq!(out.kind, EventKind::Network);
    assert_eq!(
        out.timestamp,
        model::Timestamp::parse("2026-11-23T20:18:05Z").unwrap()
    );
    assert!(out.host_name.is_none(), "devname is the firewall");
    assert_eq!(out.user_name.as_deref(), Some("bob"));
    assert_eq!(out.action.as_deref(), Some("close"));
    let n = out.network.as_deref().unwrap();
    assert_eq!(n.source_ip, Some("10.1.1.5".parse().unwrap()));
    assert_eq!(n.source_bytes, Some(73_400_320));
    assert_eq!(n.destination_bytes, Some(7_890));
    assert_eq!(n.transport.as_deref(), Some("tcp"));
    assert_eq!(n.protocol.as_deref(), Some("tls"));
    assert_eq!(n.destination_domain.as_deref(), Some("upload.example"));
    assert_eq!(n.duration_s, Some(120.0));
    assert_eq!(n.direction.as_deref(), Some("outbound"));
    assert_eq!(
        out.logsource,
        model::LogSource::new(Some("fortigate"), Some("firewall"), Some("traffic"))
    );
    assert_eq!(
        out.native.get_by_name("policyname"),
        Some(model::ValueRef::Str("LAN to WAN"))
    );
    // Inbound, denied: the internal host becomes the source, its bytes swapped.
    let denied = &events[1];
    assert_eq!(denied.outcome.as_deref(), Some("failure"));
    let n = denied.network.as_deref().unwrap();
    assert_eq!(n.source_ip, Some("10.1.1.6".parse().unwrap()));
    assert_eq!(n.destination_bytes, Some(60));
    assert_eq!(n.protocol.as_deref(), Some("ftp"));
    assert_eq!(
        denied.native.get_by_name("msg"),
        Some(model::ValueRef::Str("a \"quoted\" note"))
    );
    // Not traffic: kept as an other event with its fields.
    assert_eq!(events[2].kind, EventKind::Other);
    assert_eq!(
        events[2].native.get_by_name("logdesc"),
        Some(model::ValueRef::Str("Admin login successful"))
    );

    // The same record relayed inside syslog by a collector.
    let relayed = format!(
        "Nov 23 20:18:06 collector01 {}\n",
        &text[5..text.find('\n').unwrap()]
    );
    let (format, events, errors) = read(&relayed);
    assert_eq!(format, NetFormat::Syslog);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(events[0].kind, EventKind::Network);
    assert!(events[0].host_name.is_none());
    assert_eq!(
        events[0].network.as_deref().unwrap().source_bytes,
        Some(73_400_320)
    );
    assert_eq!(
        events[0].native.get_by_name("syslog.hostname"),
        Some(model::ValueRef::Str("collector01"))
    );
}

/// EVE `netflow` records are one direction each: the bytes under `netflow`
/// are what the record's source sent, on the internal side after orientation.
#[test]
fn suricata_eve_netflow_directions() {
    let text = concat!(
        r#"{"timestamp":"2026-11-23T20:20:00.000000+0000","flow_id":7,"event_type":"netflow","src_ip":"10.0.0.5","src_port":50000,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP","netflow":{"pkts":900,"bytes":52000000,"start":"2026-11-23T20:18:05.000000+0000","end":"2026-11-23T20:19:05.000000+0000","age":60}}"#,
        "\n",
        r#"{"timestamp":"2026-11-23T20:20:00.000000+0000","flow_id":7,"event_type":"netflow","src_ip":"198.51.100.7","src_port":443,"dest_ip":"10.0.0.5","dest_port":50000,"proto":"TCP","netflow":{"pkts":400,"bytes":30000,"start":"2026-11-23T20:18:05.000000+0000","end":"2026-11-23T20:19:05.000000+0000","age":60}}"#,
        "\n",
    );
    let (format, events, errors) = read(text);
    assert_eq!(format, NetFormat::SuricataEve);
    assert!(errors.is_empty(), "{errors:?}");
    let start = model::Timestamp::parse("2026-11-23T20:18:05Z").unwrap();
    let sent = events[0].network.as_deref().unwrap();
    assert_eq!(events[0].timestamp, start);
    assert_eq!(sent.source_ip, Some("10.0.0.5".parse().unwrap()));
    assert_eq!(
        (sent.source_bytes, sent.destination_bytes),
        (Some(52_000_000), None)
    );
    assert_eq!(sent.duration_s, Some(60.0));
    let reply = events[1].network.as_deref().unwrap();
    assert_eq!(reply.source_ip, Some("10.0.0.5".parse().unwrap()));
    assert_eq!(
        (reply.source_bytes, reply.destination_bytes),
        (None, Some(30_000))
    );
    assert_eq!(reply.destination_packets, Some(400));
}
