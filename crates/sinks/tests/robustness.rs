//! Odd signals (extreme timestamps, empty fields, huge numbers, malformed evidence)
//! never panic anywhere from correlation to every renderer.

use correlate::{DestinationKey, Observer, Telemetry};
use model::{Config, Networks, Signal, Stage, Timestamp};
use sinks::{
    CaseFilesSink, CsvSink, HtmlReportSink, JsonlSink, NavigatorSink, TableSink, write_run,
};

fn odd_signals(seed: u64) -> Vec<Signal> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let times = [
        i64::MIN,
        i64::MAX,
        0,
        -1,
        1_795_485_000_000_000,
        86_400_000_000,
    ];
    let stages = [
        Stage::Collection,
        Stage::Staging,
        Stage::Automation,
        Stage::Exfiltration,
    ];
    let detectors = [
        "sigma", "volume", "cadence", "novelty", "saas", "intel", "offhours", "",
    ];
    (0..60)
        .map(|i| {
            let r = next();
            let mut s = Signal {
                timestamp: Timestamp(times[(r % 6) as usize].saturating_add((i as i64) * 1_000_000)),
                detector: detectors[(r >> 3) as usize % detectors.len()].to_string().into(),
                rule_id: format!("r{}", r % 5).into(),
                rule_name: ["", "x|y`z", "<script>alert(1)</script>", "=cmd"][(r >> 7) as usize % 4].to_string().into(),
                stage: stages[(r >> 9) as usize % 4],
                host_name: [None, Some(String::new()), Some("H".into()), Some("h".into())][(r >> 11) as usize % 4].clone(),
                host_ip: [None, Some("10.0.0.1".parse().unwrap()), Some("::ffff:10.0.0.1".parse().unwrap())][(r >> 13) as usize % 3],
                user_name: [None, Some("SYSTEM".into()), Some("bob".into()), Some(String::new())][(r >> 15) as usize % 4].clone(),
                destination_ip: [None, Some("203.0.113.1".parse().unwrap()), Some("2001:db8::1".parse().unwrap())][(r >> 17) as usize % 3],
                destination_domain: [None, Some(".".into()), Some("a.b.example".into()), Some("".into())][(r >> 19) as usize % 4].clone(),
                destination_port: [None, Some(0), Some(65535)][(r >> 21) as usize % 3],
                bytes_out: [None, Some(0), Some(u64::MAX)][(r >> 23) as usize % 3],
                transfers: [None, Some(u64::MAX)][(r >> 25) as usize % 2],
                techniques: vec!["T1020".into(), "".into(), "T1053.005".into()],
                allowed: [None, Some("backup".into())][(r >> 27) as usize % 2].clone(),
                evidence: serde_json::json!({
                    "series": [{"t": "not a time", "bytes": -1}, {"t": 1e300, "bytes": 1e300}, {"t": "2026-11-24T02:00:00Z", "bytes": 5, "baseline": "x"}],
                    "intervals_s": [0, -5, 1e308, "x", null],
                    "fields": {"CommandLine": "schtasks /create /tn \"", "QueryName": "...."},
                    "task_name": "",
                    "cron_entry": "'; rm -rf / #"
                })
                .as_object()
                .cloned()
                .unwrap(),
                ..Default::default()
            };
            s.set_score((r >> 29) as u8);
            s.assign_id();
            s
        })
        .collect()
}

#[test]
fn odd_input_never_panics_and_stays_deterministic() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("robustness");
    for seed in 1..20u64 {
        let signals = odd_signals(seed);
        let mut observations = Observer::new(Networks::default()).finish();
        let facts = observations.host_facts_mut(Some("h"), None);
        facts.add_telemetry(Telemetry::FlowBytes, 3);
        for t in [i64::MIN, 0, i64::MAX] {
            facts.add_transfer(
                DestinationKey::Ip("203.0.113.1".parse().unwrap()),
                Timestamp(t),
                u64::MAX,
                None,
            );
        }
        let incidents = triage::incidents(&signals, &observations, &Config::default()).unwrap();
        let again = triage::incidents(&signals, &observations, &Config::default()).unwrap();
        assert_eq!(incidents, again);
        let mut jsonl = JsonlSink::new(Vec::new(), "memory");
        write_run(&mut jsonl, &incidents, &signals, None).unwrap();
        let mut table = TableSink::new(Vec::new(), true);
        write_run(&mut table, &incidents, &signals, None).unwrap();
        let mut csv = CsvSink::new(Vec::new());
        write_run(&mut csv, &incidents, &signals, None).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let mut html = HtmlReportSink::new(dir.join("r.html")).with_observations(&observations);
        write_run(&mut html, &incidents, &signals, None).unwrap();
        let text = std::fs::read_to_string(dir.join("r.html")).unwrap();
        assert!(!text.contains("<script>"), "rule names must be escaped");
        let mut cases = CaseFilesSink::new(dir.join("cases"));
        write_run(&mut cases, &incidents, &signals, None).unwrap();
        let mut layer = NavigatorSink::new(dir.join("layer.json"));
        write_run(&mut layer, &incidents, &signals, None).unwrap();
    }
}
