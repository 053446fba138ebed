//! Reads every file of the public cloud samples in `../shared/data/cloud` (see its
//! MANIFEST): each file the cloud sniffer takes must be read without a crash, and
//! events plus reported errors must add up to an independent count of its records
//! (non-empty lines, or the elements of a whole-file JSON document).
//!
//! The samples are not part of the repository: without them the test says so and
//! passes. Point `EXFILGUARD_SHARED_DATA` at another copy of `shared/data` to use it.

use sources::cloud::{CloudFormat, open, sniff};
use sources::{Input, SourceContext};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

fn cloud_dir() -> Option<PathBuf> {
    let root = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = root.join("cloud");
    dir.is_dir().then_some(dir)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Records in a file counted without the readers: a whole-file JSON document's
/// records, else non-empty lines that are not a VPC header or a NODATA line.
fn independent_count(bytes: &[u8]) -> usize {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
        return match &json {
            serde_json::Value::Array(items) => items.len(),
            serde_json::Value::Object(o) => o
                .get("Records")
                .and_then(|r| r.as_array())
                .map_or(1, |r| r.len()),
            _ => 1,
        };
    }
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| {
            !l.contains(" srcaddr ") && !l.ends_with(" NODATA") && !l.ends_with(" SKIPDATA")
        })
        .count()
}

/// What the sniffer must say about the files whose format is known from the MANIFEST.
fn expected_format(name: &str) -> Option<Option<CloudFormat>> {
    Some(match name {
        "ec2_proxy_s3_exfiltration_2020-09-14011940.json"
        | "aws_cloudtrail.events.jsonl"
        | "attacker_cloudtrail.jsonl"
        | "victim_cloudtrail.jsonl" => Some(CloudFormat::CloudTrail),
        "OfficeActivityEvents.json" | "m365_audit.events.jsonl" => Some(CloudFormat::M365Audit),
        "AADAuditEvents.json" => Some(CloudFormat::EntraAudit),
        "github_audit.events.jsonl" => Some(CloudFormat::GitHubAudit),
        "attacker_okta.jsonl" | "victim_okta.jsonl" => Some(CloudFormat::OktaSystemLog),
        "attacker_vpc.log" => Some(CloudFormat::VpcFlowLog),
        "attacker_s3_access.log" => Some(CloudFormat::S3AccessLog),
        "Microsoft365DefenderEvents.json" => Some(CloudFormat::DefenderHunting),
        "WindowsEvents.json" => None,
        name if name.ends_with(".labels.jsonl")
            || name.ends_with(".yaml")
            || name.ends_with(".md") =>
        {
            None
        }
        _ => return None,
    })
}

#[test]
fn every_shared_cloud_file_reads_and_counts_match() {
    let Some(dir) = cloud_dir() else {
        println!("shared cloud samples not found; skipping");
        return;
    };
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    let (mut total_events, mut total_errors, mut read_files) = (0, 0, 0);
    for path in paths {
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let format = sniff(&bytes[..bytes.len().min(64 * 1024)]);
        if let Some(expected) = expected_format(&name) {
            assert_eq!(format, expected, "{name}");
        }
        let Some(format) = format else { continue };
        let input = Input {
            path: path.display().to_string().into(),
            reader: Box::new(BufReader::new(std::fs::File::open(&path).unwrap())),
        };
        let (mut events, mut errors) = (0, Vec::new());
        for item in open(format, input, &SourceContext::default()).unwrap() {
            match item {
                Ok(_) => events += 1,
                Err(e) => errors.push(e),
            }
        }
        let expected = independent_count(&bytes);
        println!(
            "{name}: {} -> {events} events, {} errors",
            format.name(),
            errors.len()
        );
        for error in &errors {
            println!("  {error}");
        }
        assert_eq!(
            events + errors.len(),
            expected,
            "{name}: events + errors vs records"
        );
        read_files += 1;
        total_events += events;
        total_errors += errors.len();
    }
    println!("{read_files} files, {total_events} events, {total_errors} records reported");
    assert!(read_files >= 10);
}

/// The OTRF S3-theft trail: the two `GetObject` calls are made by the stolen
/// instance role, named from its ARN, from the attacker's address.
#[test]
fn otrf_s3_theft_names_the_stolen_role() {
    let Some(dir) = cloud_dir() else {
        println!("shared cloud samples not found; skipping");
        return;
    };
    let path = dir.join("aws-ec2-proxy-s3-exfil/ec2_proxy_s3_exfiltration_2020-09-14011940.json");
    let input = Input {
        path: path.display().to_string().into(),
        reader: Box::new(BufReader::new(std::fs::File::open(&path).unwrap())),
    };
    let events: Vec<_> = open(CloudFormat::CloudTrail, input, &SourceContext::default())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let gets: Vec<_> = events
        .iter()
        .filter(|e| e.action.as_deref() == Some("GetObject"))
        .collect();
    assert_eq!(gets.len(), 2);
    for get in gets {
        assert_eq!(
            get.user_name.as_deref(),
            Some("MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40")
        );
        assert_eq!(get.file_path.as_deref(), Some("ring.txt"));
        assert!(get.network.as_ref().unwrap().source_ip.is_some());
    }
}
