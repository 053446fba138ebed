//! The organisation's SaaS audit trail, with SaaS exfiltration scenarios and their
//! benign look-alikes: Microsoft 365 unified audit records (Management Activity API
//! JSON) and GitHub audit-log events, written as `cloud/m365_audit.jsonl` and
//! `cloud/github_audit.jsonl` in the shapes exfilguard's cloud readers parse.
//!
//! Every working day each user opens and downloads a few SharePoint files from the
//! office, developers (every fourth user) clone one to three repositories, and the
//! CI account clones every repository each night. On the exfil day the scenarios
//! happen:
//!
//! * `saas-mass-download`: a departing user downloads about 450 files from 30
//!   SharePoint folders between 22:30 and 23:50, from a home address;
//! * `mail-forward-freemail`: a user creates an inbox rule forwarding mail to a
//!   free-mail address;
//! * `github-clone-burst`: a developer clones 30 repositories in 40 minutes in the
//!   evening from an address never used before;
//!
//! and the look-alikes: `benign-onedrive-first-sync` (a new laptop's OneDrive
//! client pulls 3,000 files in business hours) and `benign-ci-clones` (the CI
//! account's nightly clone of every repository, the same every day).

use crate::org::{DOMAIN, Host};
use crate::output::Output;
use crate::rng::{Rng, label};
use crate::scenario::ScenarioInfo;
use model::Timestamp;
use serde_json::{Value as Json, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The SaaS scenarios, exfiltration first, then the benign look-alikes.
pub const SCENARIOS: &[ScenarioInfo] = &[
    ScenarioInfo {
        name: "saas-mass-download",
        benign: false,
        description: "a departing user downloads about 450 files from 30 SharePoint folders between 22:30 and 23:50 from a home address",
        expected_detectors: &["saas"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "mail-forward-freemail",
        benign: false,
        description: "a user creates an inbox rule that forwards every message to a free-mail address",
        expected_detectors: &["sigma"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "github-clone-burst",
        benign: false,
        description: "a developer who clones one to three repositories a day clones 30 in 40 minutes in the evening from an address never used before",
        expected_detectors: &["saas"],
        expected_stage: "exfiltration",
    },
    ScenarioInfo {
        name: "benign-onedrive-first-sync",
        benign: true,
        description: "a new laptop's OneDrive client pulls 3,000 files of its user's library in business hours from the office",
        expected_detectors: &[],
        expected_stage: "none",
    },
    ScenarioInfo {
        name: "benign-ci-clones",
        benign: true,
        description: "the CI account clones all 40 repositories every night from the build server, the same every day",
        expected_detectors: &[],
        expected_stage: "none",
    },
];

/// Names of the SaaS exfiltration scenarios.
pub fn exfil_names() -> Vec<&'static str> {
    crate::scenario::exfil_names_of(SCENARIOS)
}

/// The office's egress address, as SaaS audit logs see every user in the office.
const OFFICE_IP: &str = "198.51.100.10";
/// The build server's address.
const CI_IP: &str = "198.51.100.200";
/// The CI account.
const CI_ACCOUNT: &str = "ci-bot";
/// The GitHub organisation.
const GITHUB_ORG: &str = "corp-example";
/// Repositories of the organisation.
const REPOSITORIES: usize = 40;
/// The free-mail domain of the forwarding scenario.
pub const FREEMAIL_DOMAIN: &str = "freemail.example";

/// What one SaaS scenario did, for its label.
#[derive(Clone, Debug)]
pub struct SaasTarget {
    /// The scenario.
    pub info: &'static ScenarioInfo,
    /// The account (M365 UPN or GitHub login).
    pub user: String,
    /// Destination named by the scenario (the forwarding address's domain).
    pub destination: Option<String>,
    /// First and last record of the scenario.
    pub first: Timestamp,
    /// Last record.
    pub last: Timestamp,
    /// Records the scenario wrote.
    pub records: u64,
}

/// The days of the run as the generator needs them.
pub struct Days {
    /// Midnight of each day and whether it is a working day.
    pub days: Vec<(Timestamp, bool)>,
    /// Index of the exfil day.
    pub exfil_day: usize,
}

/// One audit record with its time, for sorting.
struct Line {
    ts: Timestamp,
    json: Json,
}

/// Accounts of the organisation's users.
fn users(hosts: &[Host]) -> Vec<String> {
    let mut users: Vec<String> = hosts.iter().filter_map(|h| h.user.clone()).collect();
    users.sort();
    users.dedup();
    users
}

fn upn(user: &str) -> String {
    format!("{user}@{DOMAIN}")
}

fn m365(ts: Timestamp, user: &str, operation: &str, workload: &str, ip: &str, extra: Json) -> Line {
    let mut record = json!({
        "CreationTime": ts.to_rfc3339().trim_end_matches('Z').to_string(),
        "Id": format!("{:016x}-sim", label(&format!("{user}{operation}{}", ts.secs()))),
        "Operation": operation,
        "OrganizationId": "5f7e2b3c-0000-4000-8000-000000000001",
        "RecordType": if workload == "Exchange" { 1 } else { 6 },
        "ResultStatus": "Succeeded",
        "UserType": 0,
        "Workload": workload,
        "ClientIP": ip,
        "UserId": upn(user),
    });
    if let (Json::Object(record), Json::Object(extra)) = (&mut record, extra) {
        record.extend(extra);
    }
    Line { ts, json: record }
}

fn file_record(
    ts: Timestamp,
    user: &str,
    operation: &str,
    ip: &str,
    folder: &str,
    file: &str,
) -> Line {
    let site = format!("https://corpexample.sharepoint.com/sites/{folder}");
    m365(
        ts,
        user,
        operation,
        "SharePoint",
        ip,
        json!({
            "SiteUrl": site,
            "SourceRelativeUrl": format!("Shared Documents/{folder}"),
            "SourceFileName": file,
            "ObjectId": format!("{site}/Shared Documents/{folder}/{file}"),
            "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        }),
    )
}

fn clone_record(ts: Timestamp, actor: &str, ip: &str, repo: usize) -> Line {
    Line {
        ts,
        json: json!({
            "@timestamp": ts.secs() * 1000,
            "_document_id": format!("{:016x}", label(&format!("{actor}{repo}{}", ts.secs()))),
            "action": "git.clone",
            "actor": actor,
            "actor_ip": ip,
            "org": GITHUB_ORG,
            "repo": format!("{GITHUB_ORG}/service-{repo:02}"),
            "repository": format!("{GITHUB_ORG}/service-{repo:02}"),
            "repository_public": false,
            "transport_protocol_name": "http",
        }),
    }
}

fn at(day: Timestamp, secs: u64) -> Timestamp {
    day.plus_secs(secs as i64)
}

/// Ordinary SaaS work of every user on every day.
fn background(
    rng: &mut Rng,
    users: &[String],
    days: &Days,
    m365_out: &mut Vec<Line>,
    git: &mut Vec<Line>,
) {
    const FOLDERS: [&str; 6] = [
        "finance",
        "sales",
        "hr",
        "engineering",
        "legal",
        "marketing",
    ];
    for &(day, working) in &days.days {
        for repo in 0..REPOSITORIES {
            git.push(clone_record(
                at(day, 2 * 3600 + repo as u64 * 20),
                CI_ACCOUNT,
                CI_IP,
                repo,
            ));
        }
        if !working {
            continue;
        }
        for (i, user) in users.iter().enumerate() {
            let folder = FOLDERS[i % FOLDERS.len()];
            for _ in 0..rng.range(2, 8) {
                let ts = at(day, rng.range(8 * 3600 + 600, 17 * 3600 + 3000));
                let file = format!("doc-{}.docx", rng.range(1, 400));
                m365_out.push(file_record(
                    ts,
                    user,
                    "FileAccessed",
                    OFFICE_IP,
                    folder,
                    &file,
                ));
            }
            for _ in 0..rng.range(0, 4) {
                let ts = at(day, rng.range(8 * 3600 + 600, 17 * 3600 + 3000));
                let file = format!("doc-{}.xlsx", rng.range(1, 400));
                m365_out.push(file_record(
                    ts,
                    user,
                    "FileDownloaded",
                    OFFICE_IP,
                    folder,
                    &file,
                ));
            }
            if i % 4 == 0 {
                for _ in 0..rng.range(1, 3) {
                    let ts = at(day, rng.range(9 * 3600, 17 * 3600));
                    let repo = rng.range(0, REPOSITORIES as u64 - 1) as usize;
                    git.push(clone_record(ts, user, OFFICE_IP, repo));
                }
            }
        }
    }
}

/// Writes the SaaS audit trail with the `scenarios` asked for (exfiltration
/// names; the look-alikes are always there), gzip-compressed when `gzip`, and
/// returns the files and targets.
pub fn write(
    seed: u64,
    hosts: &[Host],
    days: &Days,
    scenarios: &[String],
    out: &Path,
    gzip: bool,
) -> std::io::Result<(Vec<PathBuf>, Vec<SaasTarget>)> {
    let users = users(hosts);
    let mut targets = Vec::new();
    if users.len() < 4 || days.days.is_empty() {
        return Ok((Vec::new(), targets));
    }
    let mut rng = Rng::derive(seed, &[label("saas")]);
    let (mut m365_lines, mut git_lines) = (Vec::new(), Vec::new());
    background(&mut rng, &users, days, &mut m365_lines, &mut git_lines);
    let (exfil_day, _) = days.days[days.exfil_day];
    // Distinct users for distinct scenarios. Developers are every fourth user
    // (index 0, 4, 8...): the clone burst is a developer's, the others are not.
    let others: Vec<&String> = users
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 != 0)
        .map(|(_, u)| u)
        .collect();
    let pick = |k: usize| others[k % others.len()].clone();
    let developer = users[(users.len() - 1) / 4 * 4].clone();
    let wanted = |name: &str| scenarios.iter().any(|s| s == name);
    let mut scenario = |name: &str,
                        user: String,
                        destination: Option<String>,
                        lines: Vec<Line>,
                        into_git: bool| {
        let info = SCENARIOS
            .iter()
            .find(|s| s.name == name)
            .expect("known scenario");
        let first = lines.iter().map(|l| l.ts).min().unwrap_or(exfil_day);
        let last = lines.iter().map(|l| l.ts).max().unwrap_or(exfil_day);
        targets.push(SaasTarget {
            info,
            user,
            destination,
            first,
            last,
            records: lines.len() as u64,
        });
        if into_git {
            &mut git_lines
        } else {
            &mut m365_lines
        }
        .extend(lines);
    };
    if wanted("saas-mass-download") {
        let user = pick(1);
        let lines = (0..450u64)
            .map(|n| {
                let ts = at(exfil_day, 22 * 3600 + 1800 + n * 10 + rng.range(0, 6));
                let folder = format!("projects-{:02}", n % 30);
                file_record(
                    ts,
                    &user,
                    "FileDownloaded",
                    "203.0.113.66",
                    &folder,
                    &format!("file-{n:03}.pdf"),
                )
            })
            .collect();
        scenario("saas-mass-download", upn(&user), None, lines, false);
    }
    if wanted("mail-forward-freemail") {
        let user = pick(2);
        let address = format!("{}.private@{FREEMAIL_DOMAIN}", user.replace('.', ""));
        let line = m365(
            at(exfil_day, 16 * 3600 + 300),
            &user,
            "New-InboxRule",
            "Exchange",
            "203.0.113.67:51234",
            json!({
                "Parameters": [
                    {"Name": "Mailbox", "Value": upn(&user)},
                    {"Name": "Name", "Value": "."},
                    {"Name": "ForwardTo", "Value": address},
                    {"Name": "StopProcessingRules", "Value": "True"},
                ],
            }),
        );
        scenario(
            "mail-forward-freemail",
            upn(&user),
            Some(FREEMAIL_DOMAIN.into()),
            vec![line],
            false,
        );
    }
    if wanted("github-clone-burst") {
        let lines = (0..30u64)
            .map(|n| {
                clone_record(
                    at(exfil_day, 20 * 3600 + 600 + n * 80),
                    &developer,
                    "203.0.113.68",
                    n as usize,
                )
            })
            .collect();
        scenario("github-clone-burst", developer.clone(), None, lines, true);
    }
    let syncing = pick(3);
    let lines = (0..3000u64)
        .map(|n| {
            let ts = at(exfil_day, 10 * 3600 + n);
            let mut line = file_record(
                ts,
                &syncing,
                "FileSyncDownloadedFull",
                OFFICE_IP,
                "onedrive",
                &format!("f{n:04}.docx"),
            );
            line.json["Workload"] = json!("OneDrive");
            line
        })
        .collect();
    scenario(
        "benign-onedrive-first-sync",
        upn(&syncing),
        None,
        lines,
        false,
    );
    targets.push(SaasTarget {
        info: &SCENARIOS[4],
        user: CI_ACCOUNT.into(),
        destination: None,
        first: at(days.days[0].0, 2 * 3600),
        last: at(
            days.days[days.days.len() - 1].0,
            2 * 3600 + REPOSITORIES as u64 * 20,
        ),
        records: (days.days.len() * REPOSITORIES) as u64,
    });
    let dir = out.join("cloud");
    std::fs::create_dir_all(&dir)?;
    let mut files = Vec::new();
    for (name, mut lines) in [
        ("m365_audit.jsonl", m365_lines),
        ("github_audit.jsonl", git_lines),
    ] {
        lines.sort_by_key(|l| l.ts);
        let (mut file, path) = Output::create(&dir, name, gzip)?;
        for line in &lines {
            writeln!(file, "{}", line.json)?;
        }
        file.finish()?;
        files.push(path);
    }
    Ok((files, targets))
}
