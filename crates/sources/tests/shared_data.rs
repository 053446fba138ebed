//! Counts over the public sample data in ../shared/data, checked against
//! independent readers (the `evtx` crate's own record iterator, line counting).
//! Every test skips (prints a line and returns) when the data is absent.
//! `EXFILGUARD_SHARED_DATA` overrides where the data is looked for.

use sources::{Format, Replay, ReplayOptions, SourceContext, ZeekEncoding, discover, open_path};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

fn shared(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = root.join(sub);
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: {} is absent", path.display());
        None
    }
}

/// Decompressed bytes of a file (gzip by magic), read independently of the crate.
fn raw_text(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // Truncated archives: count what decompresses.
        let _ = flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out);
        out
    } else {
        bytes
    }
}

#[test]
fn zeek_tsv_records_match_line_counts() {
    let Some(root) = shared("zeek-rita") else {
        return;
    };
    let mut paths = discover(&[root]).files;
    if let Some(more) = shared("zeek-stratosphere") {
        paths.extend(discover(&[more]).files);
    }
    let ctx = SourceContext::default();
    let mut checked = 0;
    for path in paths {
        let Ok((format, source)) = open_path(&path, &ctx) else {
            continue;
        };
        if !matches!(format, Format::Zeek(_, ZeekEncoding::Tsv)) {
            continue;
        }
        let (mut ok, mut bad) = (0u64, 0u64);
        for record in source {
            match record {
                Ok(_) => ok += 1,
                Err(_) => bad += 1,
            }
        }
        let text = raw_text(&path);
        let data_lines = BufReader::new(&text[..])
            .split(b'\n')
            .map_while(Result::ok)
            .filter(|l| !l.is_empty() && l != b"\r" && !l.starts_with(b"#"))
            .count() as u64;
        assert_eq!(ok + bad, data_lines, "{}", path.display());
        checked += 1;
    }
    assert!(checked > 20, "only {checked} Zeek TSV files found");
}

#[test]
fn evtx_event_counts_match_the_evtx_crate() {
    let Some(root) = shared("evtx") else { return };
    let ctx = SourceContext::default();
    let files = discover(&[root]).files;
    let mut total = 0u64;
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
    {
        let Ok(mut parser) = evtx::EvtxParser::from_path(path) else {
            continue;
        };
        let (mut want_ok, mut want_err) = (0u64, 0u64);
        for record in parser.records_json_value() {
            match record {
                Ok(_) => want_ok += 1,
                Err(_) => want_err += 1,
            }
        }
        let (format, source) = open_path(path, &ctx).unwrap();
        assert_eq!(format, Format::Evtx);
        let (mut ok, mut bad) = (0u64, 0u64);
        for record in source {
            match record {
                Ok(_) => ok += 1,
                Err(_) => bad += 1,
            }
        }
        assert_eq!((ok, bad), (want_ok, want_err), "{}", path.display());
        total += ok;
    }
    assert!(total > 20_000, "only {total} EVTX events");
}

#[test]
fn sigma_regression_json_twins_read_as_one_event_each() {
    let Some(root) = shared("sigmahq/regression_data") else {
        return;
    };
    let ctx = SourceContext::default();
    let mut checked = 0;
    for path in discover(&[root])
        .files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let bytes = std::fs::read(path).unwrap();
        let want: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&bytes)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        let (format, source) = open_path(path, &ctx).unwrap();
        assert_eq!(format.name(), "json-evtx", "{}", path.display());
        let events: Vec<_> = source.collect::<Result<_, _>>().unwrap();
        assert_eq!(events.len(), want.len(), "{}", path.display());
        for (event, want) in events.iter().zip(&want) {
            let id = &want["Event"]["System"]["EventID"];
            let id = id.get("#text").unwrap_or(id).as_i64().unwrap();
            assert_eq!(event.code, Some(id as u32), "{}", path.display());
        }
        checked += 1;
    }
    assert!(checked > 100);
}

#[test]
fn replay_of_all_shared_data_is_ordered_and_counted() {
    let Some(root) = shared("") else { return };
    let found = discover(&[root]);
    let mut replay =
        Replay::from_discovery(found, SourceContext::default(), ReplayOptions::default());
    let mut yielded = 0u64;
    let mut newest = None;
    let mut out_of_order = 0u64;
    for event in replay.by_ref() {
        if newest.is_some_and(|l| event.timestamp < l) {
            out_of_order += 1;
        } else {
            newest = Some(event.timestamp);
        }
        yielded += 1;
    }
    let stats = replay.stats();
    assert_eq!(stats.total_events(), yielded);
    assert_eq!(stats.late_events, out_of_order);
    assert!(stats.files_by_format.get("evtx").copied().unwrap_or(0) > 500);
    assert!(
        !stats.failed_files.is_empty(),
        "MANIFEST.md and READMEs are not logs"
    );
    println!("{stats:#?}");
}
