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
