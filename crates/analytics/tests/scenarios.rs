//! Labelled scenarios from the issue, on generated traffic (tests/support).

mod support;

use model::{Config, EventKind, Stage, Timestamp};
use support::*;

#[test]
fn periodic_uploads_with_up_to_30_percent_jitter_are_found() {
    for (i, jitter) in [0.0, 0.1, 0.2, 0.3].into_iter().enumerate() {
        let mut rng = Rng::new(7 + i as u64);
        let mut t = Traffic::new();
        t.background(&mut rng, 8, 5);
        let mut ts = START + 3 * DAY + 20 * HOUR;
        for _ in 0..14 {
            let size = 5_000_000 + rng.range(0, 100_000) as u64;
            t.conn(ts, "10.0.1.66", "203.0.113.50", 443, size, 4_000, None);
            let shift = (rng.unit() * 2.0 - 1.0) * jitter;
            ts += (3600.0 * (1.0 + shift)) as i64;
        }
        let signals = t.run(&Config::default());
        let cadence: Vec<_> = about(&signals, "203.0.113.50")
            .into_iter()
            .filter(|s| s.detector == "cadence")
            .collect();
        assert!(
            !cadence.is_empty(),
            "jitter {jitter}: no cadence signal\n{}",
            listing(&about(&signals, "203.0.113.50"))
        );
        let best = cadence.iter().map(|s| s.score).max().unwrap();
        assert!(best >= 50, "jitter {jitter}: score {best}");
        let intervals = cadence[0].evidence["intervals_s"].as_array().unwrap();
        assert!(intervals.len() >= 5);
        assert_eq!(cadence[0].stage, Stage::Exfiltration);
        assert!(cadence[0].techniques.iter().any(|t| t == "T1020"));
        // Background browsing is not a beacon.
        let noise: Vec<_> = signals
            .iter()
            .filter(|s| s.detector == "cadence" && s.destination_ip != cadence[0].destination_ip)
            .collect();
        assert!(
            noise.is_empty(),
            "jitter {jitter}: background flagged\n{}",
            listing(&noise)
        );
    }
}

#[test]
fn nightly_backup_is_not_flagged_after_the_learning_window() {
    let mut rng = Rng::new(11);
    let mut t = Traffic::new();
    t.background(&mut rng, 6, 10);
    for day in 0..10 {
        let ts = START + day * DAY + 2 * HOUR + rng.range(0, 600);
        for chunk in 0..4 {
            t.conn(
                ts + chunk * 120,
                "10.0.1.20",
                "198.51.100.20",
                443,
                500_000_000,
                200_000,
                Some("vault.backup.example.net"),
            );
        }
    }
    let signals = t.run(&Config::default());
    let backup = about(&signals, "198.51.100.20");
    let after_learning: Vec<_> = backup
        .iter()
        .copied()
        .filter(|s| s.timestamp.secs() >= START + 4 * DAY && s.score >= 40)
        .collect();
    assert!(
        after_learning.is_empty(),
        "backup flagged after learning:\n{}",
        listing(&after_learning)
    );
    // With an allow-list entry, any signal about the backup says why and scores
    // low. The run above is silent after the learning day, so a signal shaped like
    // a first-night volume alert is checked too (the list is never empty).
    let config = Config::from_toml(
        "[[allow]]\ndestination = \"backup.example.net\"\nreason = \"nightly offsite backup\"\n",
        std::path::Path::new("x.toml"),
    )
    .unwrap();
    let mut all: Vec<_> = backup.into_iter().cloned().collect();
    let mut first_night = model::Signal {
        detector: "volume".into(),
        destination_domain: Some("vault.backup.example.net".into()),
        ..model::Signal::default()
    };
    first_night.set_score(60);
    all.push(first_night);
    analytics::rescore(&mut all, &config);
    assert!(
        all.iter()
            .all(|s| s.allowed.as_deref() == Some("nightly offsite backup") && s.score < 40)
    );
}

#[test]
fn one_off_large_upload_to_a_known_destination_in_business_hours_is_not_high() {
    let mut rng = Rng::new(5);
    let mut t = Traffic::new();
    t.background(&mut rng, 6, 9);
    // 10.0.1.12 is a background host that knows site3 for a week; Tuesday 11:37 it uploads 300 MB.
    let ts = START + 8 * DAY + 11 * HOUR + 37 * 60;
    t.conn(
        ts,
        "10.0.1.12",
        "93.184.200.13",
        443,
        300_000_000,
        400_000,
        Some("site3.example.com"),
    );
    let signals = t.run(&Config::default());
    let mine: Vec<_> = signals
        .iter()
        .filter(|s| {
            s.host_ip == Some("10.0.1.12".parse().unwrap()) && s.timestamp.secs() >= ts - HOUR
        })
        .collect();
    assert!(
        mine.iter().all(|s| s.score < 70),
        "escalated:\n{}",
        listing(&mine)
    );
    assert!(
        mine.iter()
            .all(|s| !matches!(s.detector.as_str(), "novelty" | "offhours" | "cadence")),
        "{}",
        listing(&mine)
    );
    // Volume still reports it with its numbers.
    let volume: Vec<_> = mine.iter().filter(|s| s.detector == "volume").collect();
    assert!(!volume.is_empty(), "volume silent");
    // The hourly finding is stamped at the upload, not at 11:00; the hour is evidence.
    let hour = volume
        .iter()
        .find(|s| s.rule_id == "exfilguard.volume.hour")
        .expect("an hourly finding");
    assert_eq!(hour.timestamp.secs(), ts);
    assert_eq!(
        hour.evidence["bucket_start"],
        Timestamp::from_secs(START + 8 * DAY + 11 * HOUR).to_rfc3339()
    );
    assert!(
        volume[0].evidence["series"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );
}

fn base32ish(rng: &mut Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..len)
        .map(|_| ALPHABET[(rng.next() % 32) as usize] as char)
        .collect()
}

#[test]
fn dns_tunnel_is_found_and_normal_dns_is_not() {
    let mut rng = Rng::new(3);
    let mut t = Traffic::new();
    let base = START + 2 * DAY + 9 * HOUR;
    for i in 0..400 {
        let ts = base + i * 9;
        let label = base32ish(&mut rng, 48);
        t.dns(
            ts,
            "10.0.1.40",
            &format!("{label}.{}.t.exfil-dns.example", i),
            "TXT",
            "NOERROR",
        );
        let normal = [
            "www.google.com",
            "outlook.office365.com",
            "cdn.site1.example.com",
            "api.github.com",
        ];
        t.dns(
            ts + 3,
            "10.0.1.41",
            normal[(i % 4) as usize],
            "A",
            "NOERROR",
        );
    }
    let signals = t.run(&Config::default());
    let tunnels: Vec<_> = signals
        .iter()
        .filter(|s| s.detector == "dns_tunnel")
        .collect();
    assert_eq!(tunnels.len(), 1, "{}", listing(&tunnels));
    let s = tunnels[0];
    assert_eq!(s.destination_domain.as_deref(), Some("exfil-dns.example"));
    assert!(s.score >= 60);
    assert!(s.evidence["mean_entropy"].as_f64().unwrap() > 3.3);
    assert!(s.techniques.iter().any(|t| t == "T1071.004"));
}

#[test]
fn dnsbl_lookups_of_a_mail_server_are_not_a_tunnel() {
    // A mail server asks zen.spamhaus.org about each connecting address:
    // hundreds of unique names an hour, most answered NXDOMAIN (not listed).
    let tunnels = |config: &Config| -> usize {
        let mut rng = Rng::new(5);
        let mut t = Traffic::new();
        let base = START + 2 * DAY + 9 * HOUR;
        for i in 0..300 {
            let octets: Vec<String> = (0..4).map(|_| (rng.next() % 256).to_string()).collect();
            let rcode = if i % 10 == 0 { "NOERROR" } else { "NXDOMAIN" };
            let name = format!("{}.zen.spamhaus.org", octets.join("."));
            t.dns(base + i * 10, "10.0.2.25", &name, "A", rcode);
        }
        t.run(config)
            .iter()
            .filter(|s| s.detector == "dns_tunnel")
            .count()
    };
    assert_eq!(tunnels(&Config::default()), 0);
    // Counted as subdomain data, the same lookups look like a tunnel.
    let counted = Config::from_toml(
        "[detectors.dns_tunnel]\nstrip_address_labels = false\n",
        std::path::Path::new("x.toml"),
    )
    .unwrap();
    assert_eq!(tunnels(&counted), 1);
}

#[test]
fn low_and_slow_uploads_to_a_new_domain_are_found() {
    let mut rng = Rng::new(9);
    let mut t = Traffic::new();
    t.background(&mut rng, 6, 7);
    let mut ts = START + 4 * DAY + 9 * HOUR;
    for _ in 0..12 {
        t.conn(
            ts,
            "10.0.1.50",
            "203.0.113.77",
            443,
            200_000,
            1_500,
            Some("upload.newsite.example"),
        );
        ts += 1800 + rng.range(-180, 180);
    }
    let signals = t.run(&Config::default());
    let found = about(&signals, "203.0.113.77");
    let detectors: Vec<&str> = found.iter().map(|s| s.detector.as_str()).collect();
    assert!(detectors.contains(&"novelty"), "{}", listing(&found));
    assert!(detectors.contains(&"cadence"), "{}", listing(&found));
    let novelty = found.iter().find(|s| s.detector == "novelty").unwrap();
    assert_eq!(novelty.evidence["new_to_organisation"], true);
    assert_eq!(novelty.evidence["registered_domain"], "newsite.example");
}

#[test]
fn archive_then_upload_is_staging_and_scheduled_job_then_upload_is_automation() {
    let mut t = Traffic::new();
    let ts = START + 2 * DAY + 23 * HOUR;
    // The endpoint names the host and its address; the flow only has the address.
    t.process(
        ts,
        "ws-fin-07",
        "10.0.1.70",
        r"C:\Program Files\7-Zip\7z.exe",
        r"7z.exe a -p secret C:\Users\Public\q4.7z C:\Finance",
        r"C:\Windows\System32\cmd.exe",
    );
    t.process(
        ts + 60,
        "ws-fin-07",
        "10.0.1.70",
        r"C:\Windows\System32\schtasks.exe",
        r"schtasks /create /tn upd /tr C:\u.ps1 /sc hourly",
        r"C:\Windows\System32\cmd.exe",
    );
    t.conn(
        ts + 600,
        "10.0.1.70",
        "203.0.113.90",
        443,
        40_000_000,
        10_000,
        None,
    );
    let signals = t.run(&Config::default());
    let staging: Vec<_> = signals.iter().filter(|s| s.detector == "staging").collect();
    assert_eq!(staging.len(), 1, "{}", listing(&staging));
    assert_eq!(staging[0].stage, Stage::Staging);
    assert_eq!(staging[0].host_ip, Some("10.0.1.70".parse().unwrap()));
    assert_eq!(
        staging[0].records.len(),
        2,
        "archive record and flow record"
    );
    let automation: Vec<_> = signals
        .iter()
        .filter(|s| s.detector == "automation")
        .collect();
    assert_eq!(automation.len(), 1, "{}", listing(&automation));
    assert!(automation[0].techniques.iter().any(|t| t == "T1053"));
    // 23:00 on a Wednesday, UTC calendar: off-hours too.
    assert!(signals.iter().any(|s| s.detector == "offhours"));
}

#[test]
fn unset_clocks_are_not_off_hours() {
    let mut t = Traffic::new();
    for i in 0..20 {
        t.conn(
            100 + i * 400,
            "10.0.1.80",
            "203.0.113.3",
            443,
            30_000_000,
            1_000,
            None,
        );
    }
    let signals = t.run(&Config::default());
    assert!(signals.iter().all(|s| s.detector != "offhours"));
}

#[test]
fn sigma_staging_alerts_feed_the_staging_detector() {
    let (mut suite, _) = analytics::build_suite(&Config::default()).unwrap();
    let staging = suite.member_mut("staging").unwrap();
    let mut sigma = model::Signal {
        detector: "sigma".into(),
        rule_name: "Compress data with rar".into(),
        rule_id: "rule-1".into(),
        stage: Stage::Staging,
        host_ip: Some("10.0.1.90".parse().unwrap()),
        timestamp: model::Timestamp::from_secs(START + DAY),
        techniques: vec!["T1560.001".into()],
        ..model::Signal::default()
    };
    sigma.set_score(50);
    let mut out = Vec::new();
    staging.observe_signal(&sigma, &mut out);
    let mut t = Traffic::new();
    t.conn(
        START + DAY + 300,
        "10.0.1.90",
        "203.0.113.91",
        443,
        30_000_000,
        1_000,
        None,
    );
    assert_eq!(t.events[0].kind, EventKind::Network);
    staging.observe(&t.events[0], &mut out);
    assert_eq!(out.len(), 1);
    assert!(
        out[0].rule_name.contains("Compress data with rar"),
        "{}",
        out[0].rule_name
    );
    assert!(out[0].techniques.iter().any(|t| t == "T1560.001"));
}

#[test]
fn cold_pairs_are_evicted_and_counted() {
    let config = Config::from_toml(
        "[detectors.cadence]\nmax_pairs = 100\n",
        std::path::Path::new("x.toml"),
    )
    .unwrap();
    let (mut detectors, stats) = analytics::build_detectors_with_stats(&config).unwrap();
    let mut t = Traffic::new();
    for i in 0..1000 {
        t.conn(
            START + i * 10,
            "10.0.1.5",
            &format!("198.18.{}.{}", i / 250, i % 250),
            443,
            100,
            100,
            None,
        );
    }
    let mut out = Vec::new();
    for e in &t.events {
        for d in detectors.iter_mut() {
            d.advance(e.timestamp, &mut out);
            d.observe(e, &mut out);
        }
    }
    assert!(stats.evictions() > 0);
    assert!(stats.tracked_pairs() <= 111, "{}", stats.tracked_pairs());
}

#[test]
fn novelty_history_spans_runs_through_the_state_file() {
    let dir = std::env::temp_dir().join(format!("exfilguard-novelty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::remove_file(dir.join("state.sqlite"));
    let config = Config::from_toml(
        "[detectors.novelty]\nstate = \"state.sqlite\"\n",
        &dir.join("exfilguard.toml"),
    )
    .unwrap();
    // Run 1: a week of background; learns the sites.
    let mut rng = Rng::new(21);
    let mut t = Traffic::new();
    t.background(&mut rng, 4, 7);
    t.run(&config);
    // Run 2, a week later: a known site is not new, a new one is, and there is no
    // second learning period.
    let mut t = Traffic::new();
    let ts = START + 14 * DAY + 10 * HOUR;
    t.conn(
        ts,
        "10.0.1.10",
        "93.184.200.11",
        443,
        5_000_000,
        1_000,
        Some("site1.example.com"),
    );
    t.conn(
        ts + 60,
        "10.0.1.10",
        "203.0.113.200",
        443,
        5_000_000,
        1_000,
        Some("fresh.example.org"),
    );
    let signals = t.run(&config);
    let novelty: Vec<_> = signals.iter().filter(|s| s.detector == "novelty").collect();
    assert_eq!(novelty.len(), 1, "{}", listing(&novelty));
    assert_eq!(novelty[0].evidence["registered_domain"], "example.org");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn intel_feeds_are_loaded_offline_and_matched() {
    let dir = std::env::temp_dir().join(format!("exfilguard-intel-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("intel")).unwrap();
    std::fs::write(
        dir.join("intel/bad.txt"),
        "# test feed\n203.0.113.66\nrelay.bad.example\n",
    )
    .unwrap();
    let config = Config::from_toml(
        "[intel]\nfeeds = [\"intel/bad.txt\"]\n",
        &dir.join("exfilguard.toml"),
    )
    .unwrap();
    let mut t = Traffic::new();
    t.conn(
        START + 100,
        "10.0.1.5",
        "203.0.113.66",
        443,
        3_000_000,
        1_000,
        None,
    );
    t.dns(
        START + 200,
        "10.0.1.6",
        "x1.relay.bad.example",
        "A",
        "NOERROR",
    );
    t.conn(
        START + 300,
        "10.0.1.7",
        "203.0.113.67",
        443,
        3_000_000,
        1_000,
        None,
    );
    let signals = t.run(&config);
    let intel: Vec<_> = signals.iter().filter(|s| s.detector == "intel").collect();
    assert_eq!(intel.len(), 2, "{}", listing(&intel));
    assert_eq!(intel[0].score, 90);
    assert_eq!(intel[1].rule_id, "exfilguard.intel.dns_lookup");
    // A missing feed is a configuration error naming the file.
    let missing = Config::from_toml(
        "[intel]\nfeeds = [\"nope.txt\"]\n",
        &dir.join("exfilguard.toml"),
    )
    .unwrap();
    let err = analytics::build_detectors(&missing)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("nope.txt"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn smb_to_the_internet_is_raised_until_it_is_routine() {
    let mut t = Traffic::new();
    for day in 0..6 {
        t.conn(
            START + day * DAY + 10 * HOUR,
            "10.0.1.5",
            "198.51.100.45",
            445,
            5_000_000,
            10_000,
            None,
        );
    }
    let signals = t.run(&Config::default());
    let port: Vec<_> = signals.iter().filter(|s| s.detector == "port").collect();
    assert_eq!(port.len(), 3, "{}", listing(&port));
    assert!(port[0].rule_name.contains("SMB"));
    assert!(port[0].score >= 70);
}

#[test]
fn bad_analytics_config_is_an_error_naming_the_key() {
    let config = Config::from_toml(
        "[[allow]]\nschedule = \"9-17\"\nhost = \"10.0.0.0/8\"\nreason = \"x\"\n",
        std::path::Path::new("x.toml"),
    )
    .unwrap();
    let err = analytics::build_detectors(&config)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("allow[0].schedule"), "{err}");
    let config = Config::from_toml(
        "[calendar]\ntimezone = \"Berlin\"\n",
        std::path::Path::new("x.toml"),
    )
    .unwrap();
    let err = analytics::build_detectors(&config)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("calendar.timezone"), "{err}");
}

/// A designer uploads about a gigabyte of artwork to the same print shop every
/// working day, in a few large transfers. From the second day on, the upload is
/// the host's habit: no volume finding, whatever the hour, as long as it stays
/// within a few times the earlier days' size.
#[test]
fn daily_upload_to_the_same_destination_is_a_habit_from_the_second_day() {
    let mut rng = Rng::new(11);
    let mut t = Traffic::new();
    t.background(&mut rng, 6, 4);
    for day in 0..4 {
        let size: u64 = [1_050_000_000, 1_000_000_000, 340_000_000, 1_500_000_000][day as usize];
        // A morning batch, then the main upload in the afternoon: the morning's
        // large hour must not make the habit look as if it began today.
        for (hour, share) in [(9, 3), (14 + day % 3, 1)] {
            for part in 0..3 {
                t.conn(
                    START + day * DAY + hour * HOUR + part * 60,
                    "10.0.1.13",
                    "198.18.40.12",
                    443,
                    size / 3 / share,
                    200_000,
                    None,
                );
            }
        }
    }
    let signals = t.run(&Config::default());
    let volume: Vec<_> = about(&signals, "198.18.40.12")
        .into_iter()
        .filter(|s| s.detector == "volume")
        .collect();
    assert!(volume.is_empty(), "habit flagged:\n{}", listing(&volume));
}

/// The habit survives a busy hour: twenty small services (mail, updates, CDNs)
/// are seen before the large upload of the first day, and the next day's
/// upload, five times larger, is still the habit. Twenty times larger to the
/// same place is news again.
#[test]
fn habit_of_a_busy_hour_and_its_order_of_magnitude_bound() {
    let run = |second_day_bytes: u64| {
        let mut rng = Rng::new(12);
        let mut t = Traffic::new();
        t.background(&mut rng, 6, 3);
        for day in 0..2 {
            for n in 0..20 {
                t.conn(
                    START + day * DAY + 10 * HOUR + n * 30,
                    "10.0.1.14",
                    &format!("198.18.60.{}", n + 1),
                    443,
                    40_000,
                    90_000,
                    None,
                );
            }
        }
        for (day, bytes) in [(0, 200_000_000), (1, second_day_bytes)] {
            t.conn(
                START + day * DAY + 10 * HOUR + 40 * 60,
                "10.0.1.14",
                "198.18.40.12",
                443,
                bytes,
                200_000,
                None,
            );
        }
        let signals = t.run(&Config::default());
        about(&signals, "198.18.40.12")
            .into_iter()
            .filter(|s| s.detector == "volume" && s.timestamp.secs() >= START + DAY)
            .count()
    };
    assert_eq!(run(1_000_000_000), 0, "five times the habit was flagged");
    assert!(
        run(4_000_000_000) > 0,
        "twenty times the habit was not flagged"
    );
}

/// An hourly cron job that uploads with curl: the first run of the day is an
/// automation finding at full weight; the next five runs are kept, with their
/// evidence and a count, at a low score instead of five more full findings.
#[test]
fn an_hourly_upload_job_is_one_finding_a_day_and_its_repeats_are_low() {
    let mut t = Traffic::new();
    let first = START + 2 * DAY + 9 * HOUR;
    for run in 0..6 {
        let ts = first + run * HOUR;
        t.process(
            ts,
            "srv-metrics",
            "10.0.1.80",
            "/usr/bin/curl",
            "curl -s -T /var/tmp/metrics.tgz https://push.metrics.example/upload",
            "/bin/sh",
        );
        t.conn(
            ts + 20,
            "10.0.1.80",
            "203.0.113.91",
            443,
            5_000_000,
            4_000,
            None,
        );
    }
    let signals = t.run(&Config::default());
    let automation: Vec<_> = signals
        .iter()
        .filter(|s| s.detector == "automation" && s.host_ip == Some("10.0.1.80".parse().unwrap()))
        .collect();
    let full: Vec<_> = automation.iter().filter(|s| s.score > 20).collect();
    let repeats: Vec<_> = automation.iter().filter(|s| s.score <= 20).collect();
    assert!(!full.is_empty(), "{}", listing(&automation));
    assert!(
        full.iter().all(|s| s.timestamp.secs() < first + HOUR),
        "full-weight findings after the first run:\n{}",
        listing(&automation)
    );
    assert!(repeats.len() >= 5, "{}", listing(&automation));
    assert!(
        repeats
            .iter()
            .all(|s| s.evidence.contains_key("recurring_count")),
        "{}",
        listing(&automation)
    );
}

#[test]
fn the_suite_finds_what_the_detectors_found_separately() {
    let build = || {
        let mut rng = Rng::new(99);
        let mut t = Traffic::new();
        t.background(&mut rng, 12, 5);
        let mut ts = START + 3 * DAY + 20 * HOUR;
        for _ in 0..14 {
            t.conn(ts, "10.0.1.66", "203.0.113.50", 443, 5_000_000, 4_000, None);
            ts += 3600 + rng.range(-600, 600);
        }
        let ts = START + 2 * DAY + 23 * HOUR;
        t.process(
            ts,
            "ws-fin-07",
            "10.0.1.70",
            r"C:\Program Files\7-Zip\7z.exe",
            r"7z.exe a C:\Users\Public\q4.7z C:\Finance",
            r"C:\Windows\System32\cmd.exe",
        );
        t.conn(
            ts + 600,
            "10.0.1.70",
            "203.0.113.90",
            445,
            400_000_000,
            1_000,
            None,
        );
        for i in 0..300 {
            let label = base32ish(&mut rng, 48);
            t.dns(
                START + 4 * DAY + i * 5,
                "10.0.1.80",
                &format!("{label}.tunnel.example"),
                "TXT",
                "NOERROR",
            );
        }
        t
    };
    let ids = |signals: Vec<model::Signal>| {
        let mut ids: Vec<(String, String, u8)> = signals
            .into_iter()
            .map(|s| (s.detector.to_string(), s.id, s.score))
            .collect();
        ids.sort();
        ids
    };
    let suite = ids(build().run(&Config::default()));
    let separate = ids(build().run_separately(&Config::default()));
    let detectors: std::collections::BTreeSet<&str> =
        suite.iter().map(|(d, _, _)| d.as_str()).collect();
    for expected in ["cadence", "staging", "dns_tunnel", "port", "volume"] {
        assert!(
            detectors.contains(expected),
            "{expected} missing: {detectors:?}"
        );
    }
    assert_eq!(suite, separate);
}

#[test]
fn a_row_this_build_cannot_read_is_an_error_naming_its_scope() {
    let dir = std::env::temp_dir().join(format!("exfilguard-badrow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.sqlite");
    let config = Config::from_toml(
        "[detectors]\nstate = \"state.sqlite\"\n",
        &dir.join("exfilguard.toml"),
    )
    .unwrap();
    // A first run writes a well-formed file.
    let mut t = Traffic::new();
    t.background(&mut Rng::new(3), 3, 2);
    t.run(&config);
    analytics::build_suite(&config).expect("the file it wrote reads back");
    // Then one volume row is replaced by bytes of an unknown encoding.
    let mut store = store::Store::open(&path).unwrap();
    let mut rows = store.load_blobs("volume.entities").unwrap();
    assert!(!rows.is_empty());
    rows[0].data = vec![200, 1, 2, 3];
    let mut snapshot = store::Snapshot::default();
    snapshot.blobs("volume.entities", rows);
    store.save(&snapshot, usize::MAX).unwrap();
    drop(store);
    let err = analytics::build_suite(&config).err().unwrap().to_string();
    assert!(err.contains("detectors.state"), "{err}");
    assert!(err.contains("volume.entities row"), "{err}");
    assert!(err.contains("encoding version 200"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
