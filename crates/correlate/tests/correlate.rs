//! Correlation and observation on hand-built signals and events.

use correlate::{DestinationKey, EntityKey, Observer, Telemetry, correlate};
use model::event::Origin;
use model::{Config, Event, EventKind, Networks, Signal, Stage, Timestamp};
use std::net::IpAddr;
use std::sync::Arc;

const T0: i64 = 1_795_400_000; // 2026-11-23 ~02:13 UTC

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn signal(detector: &str, at: i64, host: Option<&str>, stage: Stage) -> Signal {
    let mut s = Signal {
        detector: detector.into(),
        rule_id: format!("exfilguard.{detector}.test").into(),
        rule_name: format!("{detector} finding").into(),
        timestamp: Timestamp::from_secs(at),
        host_name: host.map(str::to_string),
        stage,
        ..Default::default()
    };
    s.set_score(50);
    s.assign_id();
    s
}

fn flow(at: i64, src: &str, dst: &str, bytes: u64) -> Event {
    let mut e = Event {
        timestamp: Timestamp::from_secs(at),
        kind: EventKind::Network,
        dataset: Some("zeek.conn".into()),
        origin: Some(Origin {
            file: Arc::from("conn.log"),
            offset: at as u64,
        }),
        ..Default::default()
    };
    let n = e.network_mut();
    n.source_ip = Some(ip(src));
    n.destination_ip = Some(ip(dst));
    n.destination_port = Some(443);
    n.source_bytes = Some(bytes);
    e
}

#[test]
fn one_host_one_window_one_incident_and_gap_splits() {
    let mut a = signal("staging", T0, Some("WS1"), Stage::Staging);
    a.techniques = vec!["T1560.001".into()];
    let mut b = signal("volume", T0 + 600, Some("ws1"), Stage::Exfiltration);
    b.destination_domain = Some("drop.example".into());
    b.bytes_out = Some(5_000_000);
    let c = signal("cadence", T0 + 3 * 86_400, Some("ws1"), Stage::Exfiltration);
    let other = signal("volume", T0, Some("ws2"), Stage::Exfiltration);
    let signals_in = [c.clone(), b.clone(), other, a.clone()];
    let drafts = correlate(
        &signals_in,
        &Observer::new(Networks::default()).finish(),
        &Config::default(),
    );
    assert_eq!(drafts.len(), 3);
    let first = drafts
        .iter()
        .find(|d| d.entity == EntityKey::Host("ws1".into()) && d.first_seen == a.timestamp)
        .unwrap();
    assert_eq!(first.alert_ids(), vec![a.id.clone(), b.id.clone()]);
    assert_eq!(first.stage, Stage::Exfiltration);
    assert_eq!(first.detectors, vec!["staging", "volume"]);
    assert_eq!(first.techniques, vec!["T1560.001"]);
    assert_eq!(
        first.destinations[0].domain.as_deref(),
        Some("drop.example")
    );
    assert_eq!(first.destinations[0].bytes_out, 5_000_000);
    assert!(first.score > 75, "{}", first.score);
}

#[test]
fn configured_gap_is_respected() {
    let config = Config::from_toml(
        "[triage]\nincident_gap_hours = 1\n",
        std::path::Path::new("x.toml"),
    )
    .unwrap();
    let a = signal("volume", T0, Some("ws1"), Stage::Exfiltration);
    let b = signal("volume", T0 + 7200, Some("ws1"), Stage::Exfiltration);
    let signals_in = [a, b];
    let drafts = correlate(
        &signals_in,
        &Observer::new(Networks::default()).finish(),
        &config,
    );
    assert_eq!(drafts.len(), 2);
}

#[test]
fn observer_counts_telemetry_bytes_spread_and_pcap() {
    let mut observer = Observer::new(Networks::default());
    let mut sysmon = Event {
        timestamp: Timestamp::from_secs(T0),
        kind: EventKind::ProcessStart,
        host_name: Some("WS1".into()),
        host_ip: Some(ip("10.1.2.3")),
        user_name: Some("alice".into()),
        ..Default::default()
    };
    sysmon.process_mut().command_line = Some("rclone copy".into());
    observer.observe(&sysmon);
    observer.observe(&flow(T0 + 10, "10.1.2.3", "203.0.113.9", 1000));
    observer.observe(&flow(T0 + 20, "10.1.2.3", "203.0.113.9", 2000));
    observer.observe(&flow(T0 + 400, "10.1.2.4", "203.0.113.9", 500));
    observer.observe(&flow(T0 + 30, "10.1.2.3", "10.9.9.9", 7777));
    let mut packet = flow(T0 + 50, "10.1.2.3", "198.51.100.1", 10);
    packet.dataset = Some("pcap.flow".into());
    packet.origin = Some(Origin {
        file: Arc::from("capture.pcap"),
        offset: 24,
    });
    observer.observe(&packet);
    let obs = observer.finish();

    let by_name = obs.host(Some("ws1"), None).unwrap();
    assert!(by_name.has(Telemetry::ProcessExecution));
    assert!(by_name.has(Telemetry::FlowBytes));
    assert_eq!(by_name.users.get("alice"), Some(&1));
    // Flows keyed by address are found through the name's address.
    assert_eq!(
        by_name.outbound_between(Timestamp::from_secs(T0), Timestamp::from_secs(T0 + 60)),
        3010
    );
    let traffic = &by_name.destinations[&DestinationKey::Ip(ip("203.0.113.9"))];
    assert_eq!(
        traffic.between(Timestamp::from_secs(T0), Timestamp::from_secs(T0 + 60)),
        (3000, 2)
    );
    let (hosts, more) = obs.hosts_talking_to(&DestinationKey::Ip(ip("203.0.113.9")));
    assert_eq!(hosts, vec!["10.1.2.3", "10.1.2.4"]);
    assert_eq!(more, 0);
    assert_eq!(obs.name_of(ip("10.1.2.3")), Some("ws1"));
    let pcaps = obs.pcaps_covering(Timestamp::from_secs(T0), Timestamp::from_secs(T0 + 100));
    assert_eq!(pcaps.len(), 1);
    assert_eq!(pcaps[0].file, "capture.pcap");
    // Address-only signals join the named host.
    let mut by_ip = signal("volume", T0 + 60, None, Stage::Exfiltration);
    by_ip.host_ip = Some(ip("10.1.2.3"));
    by_ip.destination_ip = Some(ip("203.0.113.9"));
    let named = signal("automation", T0, Some("ws1"), Stage::Automation);
    let signals_in = [by_ip, named];
    let drafts = correlate(&signals_in, &obs, &Config::default());
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].destinations[0].bytes_out, 3000);
    assert_eq!(drafts[0].destinations[0].transfers, 2);
    assert_eq!(drafts[0].destinations[0].port, Some(443));
}

#[test]
fn merge_of_shards_equals_one_observer() {
    let events: Vec<Event> = (0..40)
        .map(|i| {
            flow(
                T0 + i * 97,
                if i % 3 == 0 { "10.0.0.1" } else { "10.0.0.2" },
                "203.0.113.7",
                100 + i as u64,
            )
        })
        .collect();
    let mut whole = Observer::new(Networks::default());
    let mut left = Observer::new(Networks::default());
    let mut right = Observer::new(Networks::default());
    for (i, e) in events.iter().enumerate() {
        whole.observe(e);
        if i % 2 == 0 {
            left.observe(e)
        } else {
            right.observe(e)
        }
    }
    left.merge(right);
    let (a, b) = (whole.finish(), left.finish());
    for host in ["10.0.0.1", "10.0.0.2"] {
        let h = Some(ip(host));
        assert_eq!(
            a.host(None, h).unwrap().outbound_buckets,
            b.host(None, h).unwrap().outbound_buckets
        );
    }
}

#[test]
fn saas_signals_without_host_are_keyed_by_user_and_order_does_not_matter() {
    let mut s1 = signal("saas", T0, None, Stage::Exfiltration);
    s1.user_name = Some("Bob@corp.example".into());
    s1.assign_id();
    let mut s2 = signal("saas", T0 + 100, None, Stage::Collection);
    s2.user_name = Some("bob@corp.example".into());
    s2.assign_id();
    let s3 = signal("volume", T0 + 50, Some("ws9"), Stage::Exfiltration);
    let obs = Observer::new(Networks::default()).finish();
    let signals_in = [s1.clone(), s2.clone(), s3.clone()];
    let forward = correlate(&signals_in, &obs, &Config::default());
    let signals_in = [s3, s2, s1];
    let backward = correlate(&signals_in, &obs, &Config::default());
    assert_eq!(forward, backward);
    assert_eq!(forward.len(), 2);
    assert!(
        forward
            .iter()
            .any(|d| d.entity == EntityKey::User("bob@corp.example".into()))
    );
}

#[test]
fn observer_keeps_scheduled_tasks_and_cron_jobs() {
    let mut observer = Observer::new(Networks::default());
    let mut registered = Event {
        timestamp: Timestamp::from_secs(T0),
        kind: EventKind::ScheduledTask,
        host_name: Some("ws3".into()),
        user_name: Some("carla".into()),
        message: Some("\\Microsoft\\Windows\\EdgeUpdate\\Core".into()),
        ..Default::default()
    };
    observer.observe(&registered);
    registered.timestamp = Timestamp::from_secs(T0 - 10);
    registered.kind = EventKind::ProcessStart;
    let p = registered.process_mut();
    p.executable = Some("C:\\Windows\\System32\\SCHTASKS.EXE".into());
    p.command_line = Some("schtasks /Create /tn Core /tr run.cmd".into());
    observer.observe(&registered);
    let mut listing = registered.clone();
    listing.process_mut().command_line = Some("schtasks /query".into());
    observer.observe(&listing);
    let mut cron = Event {
        timestamp: Timestamp::from_secs(T0 + 5),
        kind: EventKind::File,
        host_name: Some("lnx1".into()),
        file_path: Some("/var/spool/cron/crontabs/root".into()),
        ..Default::default()
    };
    observer.observe(&cron);
    cron.file_path = Some("/tmp/x".into());
    observer.observe(&cron);
    let obs = observer.finish();
    let tasks = obs.host(Some("ws3"), None).unwrap().persistence;
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].kind, correlate::PersistenceKind::TaskCommand);
    assert_eq!(tasks[1].detail, "\\Microsoft\\Windows\\EdgeUpdate\\Core");
    assert_eq!(tasks[1].user.as_deref(), Some("carla"));
    let cron = obs.host(Some("lnx1"), None).unwrap().persistence;
    assert_eq!(cron.len(), 1);
    assert_eq!(cron[0].kind, correlate::PersistenceKind::Cron);
}

#[test]
fn dns_findings_group_under_the_registered_domain() {
    assert_eq!(
        correlate::registered_domain("4a6f.b2.t.evil.example.com.").as_deref(),
        Some("example.com")
    );
    assert_eq!(
        correlate::registered_domain("x.files.co.uk").as_deref(),
        Some("files.co.uk")
    );
    assert_eq!(correlate::registered_domain("10.0.0.1"), None);
    let signals: Vec<Signal> = (0..50)
        .map(|i| {
            let mut s = signal("sigma", T0 + i, Some("ws9"), Stage::Exfiltration);
            s.evidence =
                serde_json::json!({"fields": {"QueryName": format!("{i:04x}aa.t.tunnel.example")}})
                    .as_object()
                    .cloned()
                    .unwrap();
            s.assign_id();
            s
        })
        .collect();
    let drafts = correlate(
        &signals,
        &Observer::new(Networks::default()).finish(),
        &Config::default(),
    );
    assert_eq!(drafts[0].destinations.len(), 1);
    assert_eq!(
        drafts[0].destinations[0].domain.as_deref(),
        Some("tunnel.example")
    );
}

/// A destination every host of a large organisation polls: the hosts past the
/// listed ones are counted once each, however many flows each sends (it once
/// said 137,719 "other hosts" for a 1,000-host week).
#[test]
fn hosts_past_the_list_are_counted_distinct() {
    let mut observer = correlate::Observer::new(Networks::default());
    for round in 0..20 {
        for host in 0..1000u32 {
            let src = format!(
                "10.{}.{}.{}",
                1 + host / 65_536,
                (host / 256) % 256,
                host % 256
            );
            observer.observe(&flow(
                T0 + round * 600 + i64::from(host),
                &src,
                "198.18.10.25",
                50_000,
            ));
        }
    }
    let obs = observer.finish();
    let (listed, more) = obs.hosts_talking_to(&DestinationKey::Ip(ip("198.18.10.25")));
    let total = listed.len() as u64 + more;
    assert!(
        (950..=1050).contains(&total),
        "{} listed + {more} more",
        listed.len()
    );
}

/// A destination known only by address gets its name when the data's DNS
/// answers resolved exactly one name to it; an address shared by two names
/// (a CDN) stays bare rather than take a wrong name.
#[test]
fn bare_addresses_are_named_from_dns_answers() {
    let dns = |name: &str, answer: &str| {
        let mut e = Event {
            timestamp: Timestamp::from_secs(T0 - 5),
            kind: EventKind::Dns,
            ..Default::default()
        };
        let d = e.dns_mut();
        d.question_name = Some(name.into());
        d.answers = vec![answer.into()];
        e
    };
    let mut observer = Observer::new(Networks::default());
    observer.observe(&dns("files.quickdrop.example", "203.0.113.77"));
    observer.observe(&dns("a.cdn.example", "198.51.100.5"));
    observer.observe(&dns("b.cdn.example", "198.51.100.5"));
    let obs = observer.finish();
    let mut named = signal("volume", T0, Some("ws1"), Stage::Exfiltration);
    named.destination_ip = Some(ip("203.0.113.77"));
    let mut shared = signal("volume", T0 + 60, Some("ws1"), Stage::Exfiltration);
    shared.destination_ip = Some(ip("198.51.100.5"));
    let signals_in = [named, shared];
    let drafts = correlate(&signals_in, &obs, &Config::default());
    assert_eq!(drafts.len(), 1);
    let domain_of = |addr: &str| {
        drafts[0]
            .destinations
            .iter()
            .find(|d| d.ip == Some(ip(addr)))
            .and_then(|d| d.domain.clone())
    };
    assert_eq!(
        domain_of("203.0.113.77").as_deref(),
        Some("files.quickdrop.example")
    );
    assert_eq!(domain_of("198.51.100.5"), None);
}
