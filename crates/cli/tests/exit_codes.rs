//! The binary's exit-code contract, run as a user runs it: 0 no incident, 1
//! incidents found, 2 usage or configuration error, with the error naming what
//! is wrong (here: state files that are not exfilguard's).

mod common;

use common::{examples, exfilguard, hunt_examples};
use std::path::{Path, PathBuf};

/// A fresh folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("exfilguard-exit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A config that keeps state in `state` (relative to the config's folder).
fn config_with_state(dir: &Path, state: &str) -> PathBuf {
    let config = dir.join("exfilguard.toml");
    std::fs::write(&config, format!("[detectors]\nstate = \"{state}\"\n")).unwrap();
    config
}

#[test]
fn incidents_found_exit_1_and_a_quiet_input_exits_0() {
    let hunt = hunt_examples(&["-q"]);
    assert_eq!(
        hunt.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&hunt.stderr)
    );
    assert!(String::from_utf8_lossy(&hunt.stdout).contains("\"kind\":\"incident\""));

    let dir = temp_dir("quiet");
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let quiet = exfilguard(&["hunt", empty.to_str().unwrap(), "--format", "jsonl", "-q"]);
    assert_eq!(
        quiet.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_file_that_is_not_exfilguards_exits_2_naming_it() {
    let dir = temp_dir("state");
    let input = examples().join("zeek");
    // Not a database at all, then another application's SQLite database.
    std::fs::write(dir.join("garbage.sqlite"), vec![0x5au8; 8192]).unwrap();
    let foreign = dir.join("foreign.sqlite");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);")
        .unwrap();
    drop(conn);
    for state in ["garbage.sqlite", "foreign.sqlite"] {
        let config = config_with_state(&dir, state);
        let run = exfilguard(&[
            "hunt",
            input.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "-q",
        ]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{state}: {stderr}");
        assert!(stderr.contains(state), "{state}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_file_is_written_and_read_back_on_the_next_run() {
    let dir = temp_dir("roundtrip");
    let config = config_with_state(&dir, "state.sqlite");
    let input = examples().join("zeek");
    for run in 0..2 {
        let out = exfilguard(&[
            "hunt",
            input.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "-q",
        ]);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0) | Some(1)),
            "run {run}: {code:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(dir.join("state.sqlite").is_file(), "run {run}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_exit_2() {
    let unknown = exfilguard(&["hunt", "--no-such-flag"]);
    assert_eq!(unknown.status.code(), Some(2));
    let dir = temp_dir("config");
    let config = dir.join("bad.toml");
    std::fs::write(&config, "[calendar]\ntimezone = \"Mars/Olympus\"\n").unwrap();
    let bad = exfilguard(&[
        "hunt",
        dir.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("timezone"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
