//! What the generator writes is read back by exfilguard's own readers without a
//! single skipped record, with the same hosts, bytes and kinds the labels describe.

use model::EventKind;
use simulate::{Options, OutputFormat, run};
use sources::{SourceContext, open_path};
use std::collections::HashMap;
use std::path::Path;

fn read_all(path: &Path) -> (String, Vec<model::Event>, usize) {
    let (format, source) = open_path(path, &SourceContext::default()).unwrap();
    let mut events = Vec::new();
    let mut errors = 0;
    for item in source {
        match item {
            Ok(event) => events.push(event),
            Err(_) => errors += 1,
        }
    }
    (format!("{format:?}"), events, errors)
}

#[test]
fn every_file_reads_back_cleanly_and_agrees_with_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        formats: vec![OutputFormat::Zeek, OutputFormat::Jsonl, OutputFormat::Ipfix],
        gzip: true,
        ..Options::default()
    };
    let summary = run(&options, dir.path()).unwrap();
    let mut kinds: HashMap<EventKind, usize> = HashMap::new();
    let mut ipfix_bytes_to = HashMap::new();
    for (path, _) in &summary.files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "labels.json" || name == "exfilguard.toml" {
            continue;
        }
        let (format, events, errors) = read_all(path);
        assert_eq!(errors, 0, "{name} ({format}) had unreadable records");
        assert!(!events.is_empty(), "{name} ({format}) read as empty");
        for event in &events {
            *kinds.entry(event.kind).or_default() += 1;
            if name.ends_with(".ipfix")
                && let Some(net) = event.network.as_deref()
                && let (Some(dst), Some(bytes)) = (net.destination_ip, net.source_bytes)
            {
                *ipfix_bytes_to.entry(dst).or_insert(0u64) += bytes;
            }
        }
    }
    for kind in [
        EventKind::Network,
        EventKind::Dns,
        EventKind::Tls,
        EventKind::Http,
        EventKind::ProcessStart,
        EventKind::File,
        EventKind::Script,
        EventKind::ScheduledTask,
    ] {
        assert!(
            kinds.get(&kind).copied().unwrap_or(0) > 0,
            "no {kind:?} events read back: {kinds:?}"
        );
    }
    let rclone = summary
        .labels
        .scenarios
        .iter()
        .find(|s| s.name == "rclone-overnight")
        .unwrap();
    let ip = rclone.destinations[0].ip.unwrap();
    let seen = ipfix_bytes_to.get(&ip).copied().unwrap_or(0);
    assert!(
        seen >= rclone.bytes_out,
        "IPFIX carries IP bytes >= payload: {seen} vs {}",
        rclone.bytes_out
    );
    assert!(
        seen < rclone.bytes_out + rclone.bytes_out / 20,
        "and not much more: {seen}"
    );
}

#[test]
fn captures_rebuild_into_flows_with_server_names_and_dns() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        formats: vec![OutputFormat::Pcap],
        scenarios: Options::parse_scenarios("https-low-and-slow,dns-tunnel,rclone-overnight")
            .unwrap(),
        pcap_minutes: 40,
        ..Options::default()
    };
    let summary = run(&options, dir.path()).unwrap();
    let captures: Vec<_> = summary
        .files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    assert_eq!(captures.len(), 3, "{:?}", summary.files);
    for (path, size) in &captures {
        assert!(
            *size <= simulate::pcap::CAPTURE_PAYLOAD_LIMIT * 2,
            "{} is {size} bytes",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (format, events, errors) = read_all(path);
        assert_eq!(errors, 0, "{name} ({format})");
        let label = summary
            .labels
            .scenarios
            .iter()
            .find(|s| name.ends_with(&format!("-{}.pcap", s.name)))
            .unwrap();
        let dest = &label.destinations[0];
        if name.contains("low-and-slow") {
            let posts: Vec<_> = events
                .iter()
                .filter(|e| {
                    e.kind == EventKind::Network
                        && e.network.as_deref().and_then(|n| n.destination_ip) == dest.ip
                })
                .collect();
            assert!(
                posts.len() >= 2,
                "{name}: {} flows to the destination",
                posts.len()
            );
            for post in posts {
                let out = post.network.as_deref().unwrap().source_bytes.unwrap();
                assert!(
                    (180_000..=220_000).contains(&out),
                    "{name}: a post of {out} bytes"
                );
            }
            assert!(
                events
                    .iter()
                    .any(|e| e.tls_server_name.as_deref() == dest.domain.as_deref()),
                "{name}: SNI"
            );
        }
        if name.contains("dns-tunnel") {
            let queries = events
                .iter()
                .filter(|e| {
                    e.kind == EventKind::Dns
                        && e.dns
                            .as_deref()
                            .and_then(|d| d.question_name.as_deref())
                            .is_some_and(|q| q.ends_with("cdn-metrics.example"))
                })
                .count();
            assert!(
                queries >= 300,
                "{name}: {queries} tunnel queries in 40 minutes"
            );
        }
        if name.contains("rclone") {
            assert!(
                events
                    .iter()
                    .any(|e| e.tls_server_name.as_deref() == Some("g.api.cloudvault.example")),
                "{name}: SNI"
            );
        }
    }
}
