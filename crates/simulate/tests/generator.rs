//! The generator's claims, checked on what it writes: determinism, the jitter and
//! volumes each scenario states, consistent hosts across formats, and well-formed
//! Zeek headers.

use simulate::{Labels, Options, OutputFormat, run};
use std::collections::HashMap;
use std::fs;
use std::net::IpAddr;
use std::path::Path;

fn options(scenarios: &str) -> Options {
    Options {
        hosts: 12,
        days: 2,
        scenarios: Options::parse_scenarios(scenarios).unwrap(),
        ..Options::default()
    }
}

/// `(ts, orig_h, resp_h, resp_p, orig_bytes)` of every conn.log record.
fn conn_rows(dir: &Path) -> Vec<(f64, String, String, u16, u64)> {
    let text = fs::read_to_string(dir.join("zeek/conn.log")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].parse().unwrap(),
                f[2].into(),
                f[4].into(),
                f[5].parse().unwrap(),
                f[9].parse().unwrap(),
            )
        })
        .collect()
}

fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn same_seed_same_bytes_and_another_seed_differs() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let opts = options("all");
    run(&opts, a.path()).unwrap();
    run(&opts, b.path()).unwrap();
    run(&Options { seed: 2, ..opts }, c.path()).unwrap();
    let (fa, fb, fc) = (
        all_files(a.path()),
        all_files(b.path()),
        all_files(c.path()),
    );
    assert!(
        fa.len() >= 8,
        "{:?}",
        fa.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(fa, fb, "same seed must give identical files");
    let conn = |files: &[(String, Vec<u8>)]| {
        files
            .iter()
            .find(|f| f.0.ends_with("conn.log"))
            .unwrap()
            .1
            .clone()
    };
    assert_ne!(conn(&fa), conn(&fc), "another seed must give other traffic");
}

#[test]
fn low_and_slow_keeps_its_stated_interval_jitter_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(&options("https-low-and-slow"), dir.path()).unwrap();
    let label = summary
        .labels
        .scenarios
        .iter()
        .find(|s| s.name == "https-low-and-slow")
        .unwrap();
    let dest = label.destinations[0].ip.unwrap().to_string();
    let posts: Vec<_> = conn_rows(dir.path())
        .into_iter()
        .filter(|r| r.2 == dest)
        .collect();
    assert!(
        (13..=24).contains(&posts.len()),
        "{} posts in 8 business hours",
        posts.len()
    );
    assert_eq!(posts.len() as u64, label.transfers);
    for pair in posts.windows(2) {
        let interval = pair[1].0 - pair[0].0;
        assert!(
            (1260.0..=2340.0).contains(&interval),
            "interval {interval}s outside 30 min +-30%"
        );
    }
    for post in &posts {
        assert!(
            (180_000..=220_000).contains(&post.4),
            "post of {} bytes outside 200 KB +-10%",
            post.4
        );
        assert_eq!(post.1, label.host_ips[0].to_string());
    }
    let intervals: Vec<f64> = posts.windows(2).map(|p| p[1].0 - p[0].0).collect();
    let spread = intervals.iter().cloned().fold(f64::MIN, f64::max)
        - intervals.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        spread > 120.0,
        "jitter must actually vary the interval (spread {spread}s)"
    );
}

#[test]
fn scenario_volumes_match_their_descriptions_and_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(&options("all"), dir.path()).unwrap();
    let rows = conn_rows(dir.path());
    let by_name: HashMap<_, _> = summary
        .labels
        .scenarios
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    for label in summary.labels.scenarios.iter() {
        assert!(
            label.first_event.is_some(),
            "{} has no transfer",
            label.name
        );
        assert!(label.transfers > 0, "{}", label.name);
        assert_eq!(
            label.expected_decision,
            if label.benign { "benign" } else { "escalate" }
        );
    }
    let rclone = by_name["rclone-overnight"];
    assert!(
        (2_000_000_000..=2_800_000_000).contains(&rclone.bytes_out),
        "{}",
        rclone.bytes_out
    );
    assert_eq!(rclone.transfers, 4);
    assert!(
        rclone.first_event.as_deref().unwrap().contains("T02:"),
        "overnight: {:?}",
        rclone.first_event
    );
    let burst = by_name["offhours-burst"];
    assert!((1_800_000_000..=2_250_000_000).contains(&burst.bytes_out));
    assert!(burst.first_event.as_deref().unwrap().contains("T22:40"));
    assert_eq!(by_name["dns-tunnel"].transfers, 600);
    let ftp = by_name["powershell-ftp"];
    let ftp_ip = ftp.destinations[0].ip.unwrap().to_string();
    let control = rows.iter().filter(|r| r.2 == ftp_ip && r.3 == 2121).count();
    assert!(
        (20..=27).contains(&control),
        "{control} FTP sessions in four hours every 10 min +-10%"
    );
    let cron = by_name["linux-cron-curl"];
    assert_eq!(cron.transfers, 24, "hourly for a day");
    let sum: u64 = rows
        .iter()
        .filter(|r| Some(r.2.parse::<IpAddr>().unwrap()) == cron.destinations[0].ip)
        .map(|r| r.4)
        .sum();
    assert_eq!(
        sum, cron.bytes_out,
        "labels count exactly what conn.log holds"
    );
    let backup = by_name["benign-backup"];
    assert_eq!(backup.transfers, 8, "four streams a night for two nights");
    assert!(backup.bytes_out >= 24_000_000_000);
}

#[test]
fn hosts_are_the_same_in_endpoint_and_network_data_and_unmanaged_hosts_are_silent() {
    let dir = tempfile::tempdir().unwrap();
    run(&options("all"), dir.path()).unwrap();
    let labels = Labels::load(dir.path()).unwrap();
    let ip_of: HashMap<_, _> = labels
        .hosts
        .iter()
        .map(|h| (h.name.clone(), h.ip.to_string()))
        .collect();
    let mut sysmon3 = 0;
    let mut computers = std::collections::HashSet::new();
    for file in ["endpoint/windows.jsonl", "endpoint/linux.jsonl"] {
        for line in fs::read_to_string(dir.path().join(file)).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let computer = v["Event"]["System"]["Computer"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(v["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"].is_string());
            if v["Event"]["System"]["EventID"] == 3 {
                sysmon3 += 1;
                assert_eq!(
                    v["Event"]["EventData"]["SourceIp"].as_str().unwrap(),
                    ip_of[&computer]
                );
            }
            computers.insert(computer);
        }
    }
    assert!(sysmon3 > 0);
    for host in &labels.hosts {
        assert_eq!(
            computers.contains(&host.name),
            host.managed,
            "{}",
            host.name
        );
    }
    let unmanaged: Vec<_> = labels
        .hosts
        .iter()
        .filter(|h| !h.managed)
        .map(|h| h.ip.to_string())
        .collect();
    assert!(
        conn_rows(dir.path())
            .iter()
            .any(|r| unmanaged.contains(&r.1)),
        "unmanaged hosts still show in network data"
    );
}

#[test]
fn zeek_logs_have_headers_matching_their_columns() {
    let dir = tempfile::tempdir().unwrap();
    run(&options("all"), dir.path()).unwrap();
    for log in ["conn", "dns", "http", "ssl"] {
        let text = fs::read_to_string(dir.path().join(format!("zeek/{log}.log"))).unwrap();
        assert!(text.starts_with("#separator \\x09\n"));
        let fields = text
            .lines()
            .find(|l| l.starts_with("#fields"))
            .unwrap()
            .split('\t')
            .count()
            - 1;
        let types = text
            .lines()
            .find(|l| l.starts_with("#types"))
            .unwrap()
            .split('\t')
            .count()
            - 1;
        assert_eq!(fields, types, "{log}");
        let rows: Vec<_> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(!rows.is_empty(), "{log}.log is empty");
        for row in rows {
            assert_eq!(row.split('\t').count(), fields, "{log}: {row}");
        }
        assert!(text.lines().last().unwrap().starts_with("#close"));
    }
}

#[test]
fn weekends_are_quiet() {
    let (week, weekend) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let base = Options {
        days: 1,
        scenarios: vec![],
        formats: vec![OutputFormat::Zeek],
        ..Options::default()
    };
    run(&base, week.path()).unwrap();
    let saturday = chrono::NaiveDate::from_ymd_opt(2026, 11, 7).unwrap();
    run(
        &Options {
            start: saturday,
            ..base
        },
        weekend.path(),
    )
    .unwrap();
    let (w, s) = (
        conn_rows(week.path()).len(),
        conn_rows(weekend.path()).len(),
    );
    assert!(s * 4 < w, "weekend {s} connections vs weekday {w}");
}

#[test]
fn bad_options_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        Options::parse_scenarios("rclone-overnight,nope")
            .unwrap_err()
            .to_string()
            .contains("nope")
    );
    assert!(
        run(
            &Options {
                hosts: 1,
                ..Options::default()
            },
            dir.path()
        )
        .is_err()
    );
    assert!(
        run(
            &Options {
                days: 0,
                ..Options::default()
            },
            dir.path()
        )
        .is_err()
    );
    assert!("smoke".parse::<OutputFormat>().is_err());
}
