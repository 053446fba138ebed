//! Precision and recall of exfilguard's own cloud rules (`rules/cloud/**`) against the
//! labelled test events of Panther's public detection rules (`../shared/data/cloud/
//! panther-analysis`, see its MANIFEST): each labelled event is read on its own with
//! the cloud readers and run through the Sigma engine with the cloud rules loaded; it
//! counts as alerted when any of them fires.
//!
//! Panther labels each event for one of its own rules. Where that rule watches a
//! behaviour of our seed list, the event is *in scope* and our pack must agree with
//! the label; elsewhere (webhooks, archived repositories, brute force...) a positive
//! label is not something our pack claims to catch, and the table says so.
//!
//! Panther's unit-test events sometimes carry no time at all; such events get
//! `created_at: 0` (GitHub) or `eventTime: 1970-01-01T00:00:00Z` (CloudTrail) before
//! reading, because a record without a time is (rightly) reported as unreadable.
//!
//! Without the samples the test says so and passes; `EXFILGUARD_SHARED_DATA` points
//! at another copy of `shared/data`.

use model::{Detector, Signal};
use serde_json::Value as Json;
use sigma::{RuleSet, RuleSetBuilder, SigmaOptions};
use sources::cloud::{open, sniff};
use sources::{Input, SourceContext};
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn panther_dir() -> Option<PathBuf> {
    let root = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"));
    let dir = root.join("cloud/panther-analysis");
    dir.is_dir().then_some(dir)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml") {
            out.push(path);
        }
    }
}

/// Every rule under `rules/cloud`, loaded without a problem, and each file stem's
/// rule id.
fn cloud_rules() -> (RuleSet, BTreeMap<String, String>) {
    let mut paths = Vec::new();
    yaml_files(&repo_root().join("rules/cloud"), &mut paths);
    assert!(paths.len() >= 19, "cloud rules found: {}", paths.len());
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).expect("default options");
    let mut ids = BTreeMap::new();
    for path in &paths {
        let yaml = std::fs::read_to_string(path).unwrap();
        let id = yaml
            .lines()
            .find_map(|l| l.strip_prefix("id:"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        ids.insert(stem, id);
        for row in builder.add_yaml(&yaml, &path.display().to_string()) {
            assert!(row.is_ok(), "{}: {:?}", path.display(), row.error);
        }
    }
    let set = builder.build();
    assert!(set.problems().is_empty(), "{:#?}", set.problems());
    (set, ids)
}

/// The Panther rules whose behaviour our pack covers (the seed list, plus RDS
/// snapshot export and cross-region copy), with the file stems of our rules.
const IN_SCOPE: [(&str, &[&str]); 16] = [
    ("AWS.RDS.PublicRestore", &["aws_rds_restore_public"]),
    (
        "AWS.RDS.MasterPasswordUpdated",
        &["aws_rds_master_password_change"],
    ),
    ("AWS.EC2.Traffic.Mirroring", &["aws_ec2_traffic_mirroring"]),
    ("AWS.RDS.InstanceMadePublic", &["aws_rds_made_public"]),
    ("AWS.RDS.SnapshotShared", &["aws_rds_snapshot_shared"]),
    ("AWS.RDS.SnapshotExport", &["aws_rds_snapshot_export"]),
    (
        "AWS.RDS.SnapshotCopiedCrossRegion",
        &["aws_rds_snapshot_copied_cross_region"],
    ),
    (
        "AWS.CloudTrail.SnapshotMadePublic",
        &["aws_ebs_snapshot_ami_shared"],
    ),
    (
        "AWS.CloudTrail.AMIModifiedForPublicAccess",
        &["aws_ebs_snapshot_ami_shared"],
    ),
    (
        "AWS.CloudTrail.ResourceMadePublic",
        &[
            "aws_resource_policy_public",
            "aws_s3_bucket_policy_public_or_external",
        ],
    ),
    (
        "AWS.S3.CopyObjectToExternalAccountBucket",
        &["aws_s3_copy_object_external_account"],
    ),
    (
        "AWS.S3.BucketPolicyModified",
        &["aws_s3_bucket_policy_public_or_external"],
    ),
    ("Github.Repo.VisibilityChange", &["github_repo_made_public"]),
    ("Github.Repository.Transfer", &["github_repo_transfer"]),
    (
        "Github.Public.Repository.Created",
        &["github_repo_made_public"],
    ),
    (
        "Microsoft365.Exchange.External.Forwarding",
        &[
            "m365_inbox_rule_external_forwarding",
            "m365_mailbox_forwarding_external",
        ],
    ),
];

/// Our rules covering a Panther rule, when it is in scope.
fn covering(panther_rule: &str) -> Option<&'static [&'static str]> {
    IN_SCOPE
        .iter()
        .find(|(rule, _)| *rule == panther_rule)
        .map(|(_, stems)| *stems)
}

/// Adds a time to a Panther test event that has none (see the module docs).
fn with_time(mut record: serde_json::Map<String, Json>) -> serde_json::Map<String, Json> {
    let has = |r: &serde_json::Map<String, Json>, k: &str| r.contains_key(k);
    if has(&record, "eventSource") && !has(&record, "eventTime") {
        record.insert("eventTime".into(), Json::from("1970-01-01T00:00:00Z"));
    }
    if has(&record, "action") && !has(&record, "created_at") && !has(&record, "@timestamp") {
        record.insert("created_at".into(), Json::from(0));
    }
    record
}

/// The ids of the cloud rules that fire on the record of one line; `None` when the
/// cloud readers do not take the record.
fn alerts(set: &RuleSet, line: &str) -> Option<Vec<String>> {
    let record: serde_json::Map<String, Json> = serde_json::from_str(line).ok()?;
    let bytes = serde_json::to_vec(&with_time(record)).ok()?;
    let format = sniff(&bytes)?;
    let input = Input {
        path: "panther".into(),
        reader: Box::new(Cursor::new(bytes)),
    };
    let mut detector = set.detector();
    let mut out: Vec<Signal> = Vec::new();
    let mut read = false;
    for event in open(format, input, &SourceContext::default())
        .ok()?
        .flatten()
    {
        read = true;
        detector.observe(&event, &mut out);
    }
    detector.finish(&mut out);
    read.then(|| out.into_iter().map(|s| s.rule_id.to_string()).collect())
}

#[derive(Default)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
    unread: u32,
}

impl Counts {
    fn add(&mut self, expected: bool, alerted: Option<bool>) {
        match (expected, alerted) {
            (_, None) => self.unread += 1,
            (true, Some(true)) => self.tp += 1,
            (false, Some(true)) => self.fp += 1,
            (true, Some(false)) => self.fn_ += 1,
            (false, Some(false)) => self.tn += 1,
        }
    }

    fn precision(&self) -> Option<f64> {
        let alerted = self.tp + self.fp;
        (alerted > 0).then(|| f64::from(self.tp) / f64::from(alerted))
    }

    fn recall(&self) -> Option<f64> {
        let positives = self.tp + self.fn_;
        (positives > 0).then(|| f64::from(self.tp) / f64::from(positives))
    }

    fn row(&self, name: &str) -> String {
        let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.0}%", v * 100.0));
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            self.tp,
            self.fp,
            self.fn_,
            self.tn,
            self.unread,
            pct(self.precision()),
            pct(self.recall())
        )
    }
}

#[test]
fn cloud_rules_against_panther_labels() {
    let Some(dir) = panther_dir() else {
        println!("shared panther-analysis samples not found; skipping");
        return;
    };
    let (set, ids) = cloud_rules();
    let mut per_rule: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let (mut in_scope, mut out_of_scope) = (Counts::default(), Counts::default());
    for name in [
        "aws_cloudtrail",
        "github_audit",
        "m365_audit",
        "gworkspace_box_dropbox",
        "cloud_storage_bulk",
    ] {
        let events = std::fs::read_to_string(dir.join(format!("{name}.events.jsonl"))).unwrap();
        let labels = std::fs::read_to_string(dir.join(format!("{name}.labels.jsonl"))).unwrap();
        for (line, label) in events.lines().zip(labels.lines()) {
            let label: Json = serde_json::from_str(label).unwrap();
            let rule_id = label["rule_id"].as_str().unwrap_or_default().to_owned();
            let expected = label["expected_result"].as_bool().unwrap_or(false);
            let fired = alerts(&set, line);
            let scope = covering(&rule_id);
            // In scope: the covering rules must fire; elsewhere: any cloud rule.
            let alerted = fired.map(|fired| match scope {
                Some(stems) => stems.iter().any(|stem| fired.contains(&ids[*stem])),
                None => !fired.is_empty(),
            });
            per_rule
                .entry((name.to_owned(), rule_id.clone()))
                .or_default()
                .add(expected, alerted);
            match scope {
                Some(_) => in_scope.add(expected, alerted),
                None => out_of_scope.add(expected, alerted),
            }
        }
    }
    println!("| file / Panther rule | TP | FP | FN | TN | unread | precision | recall |");
    println!("|---|---|---|---|---|---|---|---|");
    for ((file, rule), counts) in &per_rule {
        let scope = if covering(rule).is_some() {
            ""
        } else {
            " (out of scope)"
        };
        println!("{}", counts.row(&format!("{file} / {rule}{scope}")));
    }
    println!("{}", in_scope.row("**in scope**"));
    println!("{}", out_of_scope.row("out of scope"));
    let precision = in_scope.precision().unwrap_or(0.0);
    let recall = in_scope.recall().unwrap_or(0.0);
    assert_eq!(in_scope.unread, 0, "every in-scope event is read");
    assert!(precision >= 0.95, "in-scope precision {precision:.2}");
    assert!(recall >= 0.95, "in-scope recall {recall:.2}");
}

/// The OTRF S3-theft trail: the stolen instance role's calls (from a Mac, with the
/// role's session credentials) raise the instance-credential rule on all 11 of
/// them, the two `GetObject` calls included, and nothing else in the trail alerts.
#[test]
fn otrf_s3_theft_raises_the_stolen_instance_role() {
    let Some(dir) = panther_dir() else {
        println!("shared cloud samples not found; skipping");
        return;
    };
    let path =
        dir.join("../aws-ec2-proxy-s3-exfil/ec2_proxy_s3_exfiltration_2020-09-14011940.json");
    let (set, ids) = cloud_rules();
    let input = Input {
        path: "otrf".into(),
        reader: Box::new(std::io::BufReader::new(std::fs::File::open(path).unwrap())),
    };
    let format = sources::cloud::CloudFormat::CloudTrail;
    let mut detector = set.detector();
    let mut out: Vec<Signal> = Vec::new();
    let mut get_objects = 0;
    for event in open(format, input, &SourceContext::default()).unwrap() {
        let event = event.unwrap();
        let before = out.len();
        detector.observe(&event, &mut out);
        if event.action.as_deref() == Some("GetObject") && out.len() > before {
            get_objects += 1;
        }
    }
    detector.finish(&mut out);
    let rule = &ids["aws_instance_role_used_from_workstation"];
    assert_eq!(
        out.len(),
        11,
        "{:?}",
        out.iter().map(|s| &s.rule_name).collect::<Vec<_>>()
    );
    assert!(out.iter().all(|s| &s.rule_id == rule));
    assert!(out.iter().all(|s| s.user_name.as_deref()
        == Some("MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40")));
    assert_eq!(get_objects, 2);
}
