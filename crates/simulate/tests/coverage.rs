//! Coverage on a generated folder: the counts match what the generator wrote and
//! the blind spots it planted (an unmanaged device, an upload without SNI, no proxy,
//! no cloud audit) are the ones reported.

use model::Networks;
use simulate::coverage::{CoverageBuilder, Telemetry};
use simulate::{Options, run};
use sources::{SourceContext, open_path};

#[test]
fn coverage_of_a_simulated_folder_matches_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(&Options::default(), dir.path()).unwrap();
    let mut builder = CoverageBuilder::new(Networks::default(), vec![]);
    let mut windows_lines = 0u64;
    for (path, _) in &summary.files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "labels.json" || name == "exfilguard.toml" {
            continue;
        }
        if name == "windows.jsonl" {
            windows_lines = std::fs::read_to_string(path).unwrap().lines().count() as u64;
        }
        let (format, source) = open_path(path, &SourceContext::default()).unwrap();
        for event in source {
            builder.observe(format.name(), &event.unwrap());
        }
    }
    let report = builder.finish();
    let labels = &summary.labels;
    assert_eq!(
        report.hosts.len(),
        labels.hosts.len(),
        "{:#?}",
        report.hosts.iter().map(|h| h.label()).collect::<Vec<_>>()
    );
    let unmanaged: Vec<String> = labels
        .hosts
        .iter()
        .filter(|h| !h.managed)
        .map(|h| h.ip.to_string())
        .collect();
    assert_eq!(report.unmanaged_hosts, unmanaged);
    for host in labels.hosts.iter().filter(|h| h.managed) {
        let row = report
            .hosts
            .iter()
            .find(|r| r.name.as_deref() == Some(host.name.as_str()))
            .unwrap();
        assert!(
            row.endpoint_telemetry && row.network_telemetry,
            "{}",
            host.name
        );
        assert!(
            row.ips.contains(&host.ip),
            "{} is tied to its address",
            host.name
        );
        assert!(row.has(Telemetry::ProcessExecution));
    }
    for kind in [
        Telemetry::ProcessExecution,
        Telemetry::ScriptContent,
        Telemetry::FileEvents,
        Telemetry::ScheduledTasks,
        Telemetry::NetworkFlows,
        Telemetry::Dns,
        Telemetry::ProxyHttp,
        Telemetry::TlsNames,
    ] {
        assert!(
            report
                .overall
                .iter()
                .any(|k| k.kind == kind && k.events > 0),
            "{kind:?} missing"
        );
    }
    let endpoint_events: u64 = report
        .overall
        .iter()
        .filter(|k| k.kind.is_endpoint())
        .map(|k| k.events)
        .sum();
    assert!(endpoint_events <= windows_lines + 1_000 && endpoint_events > 0);
    let cron = labels
        .scenarios
        .iter()
        .find(|s| s.name == "linux-cron-curl")
        .unwrap();
    assert_eq!(
        report.encrypted_invisible_bytes, cron.bytes_out,
        "only the curl uploads to a bare IP go unnamed"
    );
    assert!(report.encrypted_invisible_share > 0.0 && report.encrypted_invisible_share < 0.5);
    let blind: Vec<&str> = report
        .blind_detectors
        .iter()
        .map(|d| d.detector.as_str())
        .collect();
    // The simulated organisation writes its M365 and GitHub audit trail too, so
    // no detector is blind (the saas analytic was, before SaaS scenarios).
    assert!(blind.is_empty(), "{blind:?}");
    assert!(!report.proxies_configured);
    assert!(
        report
            .collect_next
            .iter()
            .any(|l| l.contains("No proxies are configured"))
    );
}

/// On the public samples (when present): every event the readers produce is
/// counted under the telemetry kind of its event kind, and nothing else.
#[test]
fn coverage_counts_match_the_readers_on_the_public_samples() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if !data.is_dir() {
        println!("skipped: {} is absent", data.display());
        return;
    }
    let mut builder = CoverageBuilder::new(Networks::default(), vec![]);
    let mut by_kind: std::collections::HashMap<model::EventKind, u64> = Default::default();
    let mut flows_with_bytes = 0u64;
    let mut named_tls = 0u64;
    for path in
        sources::discover(&[data.join("netflow"), data.join("evtx"), data.join("proxy")]).files
    {
        let Ok((format, source)) = open_path(&path, &SourceContext::default()) else {
            continue;
        };
        for event in source.flatten() {
            *by_kind.entry(event.kind).or_default() += 1;
            let net = event.network.as_deref();
            if event.kind == model::EventKind::Network
                && net.is_some_and(|n| n.source_bytes.is_some() || n.destination_bytes.is_some())
            {
                flows_with_bytes += 1;
            }
            if event.kind == model::EventKind::Tls
                && event
                    .tls_server_name
                    .as_deref()
                    .is_some_and(|s| !s.is_empty())
            {
                named_tls += 1;
            }
            builder.observe(format.name(), &event);
        }
    }
    let report = builder.finish();
    let count = |kind: Telemetry| {
        report
            .overall
            .iter()
            .find(|k| k.kind == kind)
            .unwrap()
            .events
    };
    let read = |kind: model::EventKind| by_kind.get(&kind).copied().unwrap_or(0);
    assert_eq!(
        count(Telemetry::ProcessExecution),
        read(model::EventKind::ProcessStart)
    );
    assert_eq!(
        count(Telemetry::ScriptContent),
        read(model::EventKind::Script)
    );
    assert_eq!(count(Telemetry::FileEvents), read(model::EventKind::File));
    assert_eq!(
        count(Telemetry::ScheduledTasks),
        read(model::EventKind::ScheduledTask)
    );
    assert_eq!(count(Telemetry::Dns), read(model::EventKind::Dns));
    assert_eq!(count(Telemetry::TlsNames), named_tls);
    assert!(count(Telemetry::NetworkFlows) >= flows_with_bytes);
    assert!(count(Telemetry::ProcessExecution) > 0 && count(Telemetry::NetworkFlows) > 0);
    assert_eq!(report.events, by_kind.values().sum::<u64>());
}
