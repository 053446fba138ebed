//! The HTML report: self-contained, and rendered by a real browser (headless
//! Chromium) into a screenshot that is not blank.
//!
//! Without Chromium the browser test skips with a message, unless
//! `EXFILGUARD_REQUIRE_BROWSER=1` is set (CI), where a missing browser fails it.
//! `EXFILGUARD_CHROMIUM` names the browser binary when it is not `chromium` on PATH.

use correlate::Observations;
use model::{Incident, Signal};
use sinks::{HtmlReportSink, RunSummary, SkipExample, SkippedRecords, write_run};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run() -> (Vec<Incident>, Vec<Signal>, Observations) {
    let mut incidents = Vec::new();
    let mut alerts = Vec::new();
    let mut all = Observations::default();
    for (signals, observations, config) in [
        triage::testkit::exfiltration_case(),
        triage::testkit::backup_case(),
        triage::testkit::flows_only_case(),
    ] {
        incidents.extend(triage::incidents(&signals, &observations, &config).unwrap());
        alerts.extend(signals);
        all.merge(observations);
    }
    (incidents, alerts, all)
}

fn summary() -> RunSummary {
    RunSummary {
        files_by_format: [("evtx".to_string(), 3), ("zeek-conn".to_string(), 2)].into(),
        events_by_kind: [
            ("network".to_string(), 22_000),
            ("process_start".to_string(), 5400),
        ]
        .into(),
        hosts: 4,
        rules_loaded: 42,
        skipped: vec![SkippedRecords {
            reason: "malformed line".into(),
            count: 2,
            examples: vec![SkipExample {
                file: "conn.log".into(),
                offset: 8812,
                detail: "9 fields, expected 21".into(),
            }],
        }],
        duration: Duration::from_millis(1234),
        ..Default::default()
    }
}

fn write_report(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("report.html");
    let (incidents, alerts, observations) = run();
    let mut sink = HtmlReportSink::new(&path).with_observations(&observations);
    write_run(&mut sink, &incidents, &alerts, Some(&summary())).unwrap();
    path
}

#[test]
fn report_is_self_contained_and_has_every_part() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-static");
    let html = std::fs::read_to_string(write_report(&dir)).unwrap();
    assert!(!html.to_ascii_lowercase().contains("<script"));
    for external in ["src=\"http", "href=\"http", "url(", "@import", "<link"] {
        assert!(!html.contains(external), "external resource: {external}");
    }
    assert_eq!(
        html.matches("<section class=\"card\" id=\"incident-")
            .count(),
        3
    );
    for part in [
        "Overview",
        "The five playbook questions",
        "Timeline",
        "Outbound bytes over time against the baseline band",
        "Intervals between transfers",
        "Containment",
        "<polygon",
        "schtasks /Delete /TN",
        "malformed line",
        "From the flow records",
    ] {
        assert!(html.contains(part), "missing {part:?}");
    }
    // Same input, same bytes.
    let again = std::fs::read_to_string(write_report(&dir.join("again"))).unwrap();
    assert_eq!(html, again);
}

fn find_browser() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("EXFILGUARD_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Runs the browser with a time limit; returns its exit status.
fn screenshot(browser: &Path, page: &Path, png: &Path, profile: &Path) -> std::process::ExitStatus {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("browser starts");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("browser wait") {
            return status;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("the browser did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = find_browser() else {
        if std::env::var("EXFILGUARD_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "EXFILGUARD_REQUIRE_BROWSER=1 but no chromium found (install Debian's chromium or set EXFILGUARD_CHROMIUM)"
            );
        }
        // Written to the stderr handle, not with eprintln!, so that the test
        // harness does not swallow the message of a passing (skipped) test.
        let _ = writeln!(
            std::io::stderr(),
            "skipping report_renders_in_headless_chromium: no chromium on PATH (set EXFILGUARD_REQUIRE_BROWSER=1 to make this a failure)"
        );
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-browser");
    let _ = std::fs::remove_dir_all(&dir);
    let page = write_report(&dir).canonicalize().unwrap();
    let png = dir.join("report.png");
    let status = screenshot(&browser, &page, &png, &dir.join("profile"));
    assert!(status.success(), "browser exited with {status}");
    let file = std::fs::File::open(&png).expect("screenshot written");
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1280, 2000));
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = pixels[pixels.len() - 1];
    let differing = pixels.iter().filter(|p| p[..3] != background[..3]).count();
    let mut colours: Vec<[u8; 3]> = pixels
        .iter()
        .map(|p| [p[0] / 16, p[1] / 16, p[2] / 16])
        .collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        differing * 20 > pixels.len(),
        "mostly blank: {differing} of {} pixels differ",
        pixels.len()
    );
    assert!(colours.len() > 20, "only {} colours", colours.len());
    // The dark header band is at the top: the page was laid out, not an error page.
    let top = pixels[20 * info.width as usize + 640];
    assert!(top[0] < 60 && top[2] < 100, "header not dark: {top:?}");
    eprintln!("screenshot: {}", png.display());
}
