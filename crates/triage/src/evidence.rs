//! Reading signals: what kind of finding each is, and sentences describing them.

use model::{Signal, Stage, Timestamp};

/// Tools whose use near a transfer the playbook asks about (lower case).
const TRANSFER_TOOLS: &[&str] = &[
    "rclone",
    "curl",
    "wget",
    "scp",
    "sftp",
    "bitsadmin",
    "ftp",
    "megacmd",
    "mega-put",
    "rsync",
    "azcopy",
    "gsutil",
    "aws s3",
    "invoke-webrequest",
    "invoke-restmethod",
    "start-bitstransfer",
    "7z",
    "7za",
    "7-zip",
    "rar",
    "winrar",
    "makecab",
    "tar",
    "schtasks",
    "crontab",
    "at.exe",
    "powershell",
    "pwsh",
    "python",
    "cscript",
    "wscript",
];

/// Technique prefixes that mean scripting or scheduling.
const AUTOMATION_TECHNIQUES: &[&str] = &["T1053", "T1059", "T1197", "T1119", "T1020"];

/// Whether the signal shows automation: a scheduled task, cron job, script
/// interpreter or transfer tool run (the `automation` analytic, or a rule at the
/// automation stage or tagged with scheduling/scripting techniques).
pub fn is_automation(signal: &Signal) -> bool {
    match signal.detector.as_str() {
        "automation" => true,
        "sigma" => {
            signal.stage == Stage::Automation
                || signal.techniques.iter().any(|t| {
                    AUTOMATION_TECHNIQUES.iter().any(|p| t.starts_with(p))
                        && !t.starts_with("T1020")
                })
                || runs_automation_tool(signal)
        }
        _ => false,
    }
}

/// Tools of [`TRANSFER_TOOLS`] that pack files rather than run or schedule
/// anything: staging, not automation.
const ARCHIVE_TOOLS: &[&str] = &["7z", "7za", "7-zip", "rar", "winrar", "makecab", "tar"];

/// Script interpreters of [`TRANSFER_TOOLS`]: their names are common words in
/// command-line arguments (`wevtutil cl "Windows PowerShell"`), so a command
/// line counts only when it launches one.
const INTERPRETERS: &[&str] = &["powershell", "pwsh", "python", "cscript", "wscript"];

/// Whether a rule's match was on a tool run: a transfer tool, scheduler or
/// script interpreter as the process, client agent or command (`rclone copy
/// …`, `…\powershell.exe -nop …`, a `curl/8.4` user agent), or a script's
/// own text. The rule saw such a tool run, whatever technique it is tagged
/// with. Only the matched fields (`evidence.fields`) are read, and only
/// those about a process, command, script or agent: a file name or URL that
/// holds a tool's name does not count.
fn runs_automation_tool(signal: &Signal) -> bool {
    let Some(serde_json::Value::Object(fields)) = signal.evidence.get("fields") else {
        return false;
    };
    fields.iter().any(|(key, value)| {
        let Some(text) = value.as_str() else {
            return false;
        };
        let key = key.to_ascii_lowercase();
        if key.contains("scriptblock") || key.contains("script_block") {
            return true;
        }
        let command = key.contains("commandline") || key.contains("command_line");
        if !command
            && !["image", "process", "agent"]
                .iter()
                .any(|k| key.contains(k))
        {
            return false;
        }
        let mut seen = [false; TRANSFER_TOOLS.len()];
        mark_tools(text, &mut seen);
        TRANSFER_TOOLS.iter().zip(seen).any(|(tool, seen)| {
            seen && !ARCHIVE_TOOLS.contains(tool)
                && (!command || !INTERPRETERS.contains(tool) || launches(text, tool))
        })
    })
}

/// Whether `command` runs `tool` rather than naming it in an argument: the
/// name is the program's file name (`….exe`), or comes right after a path
/// separator or at the command's start.
fn launches(command: &str, tool: &str) -> bool {
    let lower = command.to_ascii_lowercase();
    lower.match_indices(tool).any(|(at, _)| {
        let before = lower[..at].trim_end_matches('"');
        let after = &lower[at + tool.len()..];
        after.starts_with(".exe") || before.is_empty() || before.ends_with(['\\', '/'])
    })
}

/// Whether the signal is about a transfer leaving the organisation.
pub fn is_transfer(signal: &Signal) -> bool {
    matches!(
        signal.detector.as_str(),
        "volume"
            | "cadence"
            | "novelty"
            | "port"
            | "offhours"
            | "asymmetry"
            | "dns_tunnel"
            | "intel"
            // Files downloaded or cloned out of the organisation's SaaS tenants.
            | "saas"
    ) || signal.stage == Stage::Exfiltration
        || signal.bytes_out.is_some()
}

/// Whether the signal measures outbound volume (a burst or an upload-heavy session).
pub fn is_volume(signal: &Signal) -> bool {
    matches!(signal.detector.as_str(), "volume" | "asymmetry")
}

/// Whether the signal is an anomaly of a user account (SaaS/cloud thresholds).
pub fn is_user_anomaly(signal: &Signal) -> bool {
    signal.detector == "saas"
}

/// Decimal byte sizes for sentences: `1.5 GB`, `320 kB`, `12 B`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Short UTC time: `2026-11-23 02:14:05Z`.
pub fn short_time(time: Timestamp) -> String {
    match time.to_datetime() {
        Some(dt) => dt.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        None => time.to_rfc3339(),
    }
}

/// The destination a signal names, as text.
pub fn destination_label(signal: &Signal) -> Option<String> {
    match (&signal.destination_domain, signal.destination_ip) {
        (Some(d), Some(ip)) => Some(format!("{d} ({ip})")),
        (Some(d), None) => Some(d.clone()),
        (None, Some(ip)) => Some(ip.to_string()),
        (None, None) => None,
    }
}

/// One sentence describing a signal: time, rule, destination, bytes and the scalar
/// numbers of its evidence, and its allow-list reason.
pub fn describe(signal: &Signal) -> String {
    let mut text = format!(
        "{} {} [{}]",
        short_time(signal.timestamp),
        signal.rule_name,
        signal.detector
    );
    if let Some(dest) = destination_label(signal) {
        text.push_str(&format!(" to {dest}"));
        if let Some(port) = signal.destination_port {
            text.push_str(&format!(":{port}"));
        }
    }
    if let Some(bytes) = signal.bytes_out {
        text.push_str(&format!(", {} out", format_bytes(bytes)));
    }
    if let Some(n) = signal.transfers {
        text.push_str(&format!(
            " in {n} transfer{}",
            if n == 1 { "" } else { "s" }
        ));
    }
    let numbers = scalar_evidence(signal);
    if !numbers.is_empty() {
        text.push_str(&format!(" ({numbers})"));
    }
    if let Some(reason) = &signal.allowed {
        text.push_str(&format!("; allow-listed: {reason}"));
    }
    text
}

/// Up to six scalar evidence entries as `key=value`, in key order, looking one level
/// into objects (Sigma puts the matched fields under `evidence.fields`); long
/// strings are cut so that a sentence stays readable.
fn scalar_evidence(signal: &Signal) -> String {
    let mut parts = Vec::new();
    for (key, value) in &signal.evidence {
        if matches!(
            key.as_str(),
            "bytes_out" | "transfers" | "records" | "records_total" | "allow_listed"
        ) {
            continue;
        }
        match value {
            serde_json::Value::Object(inner) => {
                for (inner_key, inner_value) in inner {
                    if let Some(text) = scalar_text(inner_value) {
                        parts.push(format!("{inner_key}={text}"));
                    }
                }
            }
            other => {
                if let Some(text) = scalar_text(other) {
                    parts.push(format!("{key}={text}"));
                }
            }
        }
    }
    parts.truncate(6);
    parts.join(", ")
}

fn scalar_text(value: &serde_json::Value) -> Option<String> {
    Some(match value {
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.2}"),
            _ => n.to_string(),
        },
        serde_json::Value::String(s) if s.chars().count() > 80 => {
            format!("{}…", s.chars().take(80).collect::<String>())
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => return None,
    })
}

/// Most strings read from one signal (its rule name and evidence), so that a
/// signal with a huge evidence tree costs a bounded time.
const EVIDENCE_STRINGS: usize = 256;

/// Transfer, archive and script tools named in the signals, sorted (a name
/// counts only as a whole word); see [`named`].
pub fn tools_named(signals: &[&Signal]) -> Vec<String> {
    named(signals).tools
}

/// Marks the tools of [`TRANSFER_TOOLS`] that occur in `text` as whole words.
fn mark_tools(text: &str, seen: &mut [bool]) {
    static FINDER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(TRANSFER_TOOLS)
                .expect("the static tool list builds")
        });
    // Most evidence names no tool: a search that can skip ahead (its
    // prefilter) says so before the overlapping walk of every byte.
    if !FINDER.is_match(text) {
        return;
    }
    let bytes = text.as_bytes();
    let boundary = |b: Option<&u8>| b.is_none_or(|b| !b.is_ascii_alphanumeric());
    for found in FINDER.find_overlapping_iter(text) {
        let before = found.start().checked_sub(1).and_then(|i| bytes.get(i));
        if boundary(before) && boundary(bytes.get(found.end())) {
            seen[found.pattern().as_usize()] = true;
        }
    }
}

pub use correlate::is_service_account;

/// A job set up on the host, in words with its record.
pub fn describe_persistence(record: &correlate::PersistenceRecord) -> String {
    let what = match record.kind {
        correlate::PersistenceKind::TaskRegistered => "scheduled task registered",
        correlate::PersistenceKind::TaskCommand => "task command",
        correlate::PersistenceKind::Cron => "cron change",
    };
    let mut text = format!("{} {what}: {}", short_time(record.time), record.detail);
    if let Some(user) = &record.user {
        text.push_str(&format!(" by {user}"));
    }
    if let (Some(file), Some(offset)) = (&record.file, record.offset) {
        text.push_str(&format!(" ({file}@{offset})"));
    }
    text
}

/// The task name a persistence record refers to, when it is a Windows task.
pub fn task_name_of(record: &correlate::PersistenceRecord) -> Option<String> {
    match record.kind {
        correlate::PersistenceKind::TaskRegistered => Some(record.detail.clone()),
        correlate::PersistenceKind::TaskCommand => task_from_command(&record.detail),
        correlate::PersistenceKind::Cron => None,
    }
}

/// A scheduled task or cron entry named in a signal's evidence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Persistence {
    /// A Windows scheduled task, by name.
    ScheduledTask(String),
    /// A cron entry line, and the user whose crontab holds it when known.
    Cron {
        /// The crontab line (or the command it runs).
        entry: String,
        /// The crontab owner.
        user: Option<String>,
    },
}

/// Scheduled tasks and cron entries named in the signals (`evidence.task_name`,
/// `schtasks /create /tn NAME`, `Register-ScheduledTask -TaskName NAME`,
/// `evidence.cron_entry` / `evidence.crontab`), sorted and unique.
pub fn persistence_named(signals: &[&Signal]) -> Vec<Persistence> {
    named(signals).persistence
}

/// The tools ([`tools_named`]) and the scheduled tasks and cron entries
/// ([`persistence_named`]) the signals name, found in one walk of their
/// evidence: the triage asks for both, and each walk of an alert-heavy
/// incident's evidence reads tens of thousands of alerts.
///
/// One case-insensitive automaton over the tool list scans each evidence
/// string. A (key, string) pair that named no task is not read again (a rule
/// that fires on a repeated command line repeats its evidence: with a memo,
/// tool naming for the incidents of a 66,000-alert hunt went from 418M to 76M
/// instructions); its string's tools were marked when it was first read.
pub fn named(signals: &[&Signal]) -> Named {
    let mut seen = [false; TRANSFER_TOOLS.len()];
    let mut found = Vec::new();
    let mut nothing_in: hashbrown::HashSet<(&str, &str)> = hashbrown::HashSet::new();
    for signal in signals {
        visit_entries(signal, &mut |key, text| {
            if nothing_in.contains(&(key, text)) {
                return;
            }
            mark_tools(text, &mut seen);
            match persistence_in(signal, key, text) {
                Some(item) => found.push(item),
                None => {
                    nothing_in.insert((key, text));
                }
            }
        });
    }
    let mut tools: Vec<String> = TRANSFER_TOOLS
        .iter()
        .zip(seen)
        .filter(|(_, seen)| *seen)
        .map(|(tool, _)| tool.to_string())
        .collect();
    tools.sort();
    found.sort();
    found.dedup();
    Named {
        tools,
        persistence: found,
    }
}

/// What [`named`] finds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Named {
    /// Transfer, archive and script tools, sorted.
    pub tools: Vec<String>,
    /// Scheduled tasks and cron entries, sorted and unique.
    pub persistence: Vec<Persistence>,
}

/// The task or cron entry one evidence string names, by its key or, for a
/// command line, by what it runs.
fn persistence_in(signal: &Signal, key: &str, text: &str) -> Option<Persistence> {
    let entry = text.trim();
    let named =
        |names: &[&str]| !entry.is_empty() && names.iter().any(|n| key.eq_ignore_ascii_case(n));
    if named(&["task_name", "task.name", "taskname", "scheduled_task"]) {
        Some(Persistence::ScheduledTask(entry.to_string()))
    } else if named(&["cron_entry", "crontab", "cron", "cron.entry"]) {
        Some(Persistence::Cron {
            entry: entry.to_string(),
            user: signal.user_name.clone(),
        })
    } else {
        task_from_command(text).map(Persistence::ScheduledTask)
    }
}

/// Calls `f` with each (key, string) of a signal: the rule name first, then
/// every string inside its evidence (nested too) under the key it sits under,
/// without copying them; at most [`EVIDENCE_STRINGS`] strings. This is where
/// tool names, task names and cron lines are looked for.
fn visit_entries<'a>(signal: &'a Signal, f: &mut impl FnMut(&'a str, &'a str)) {
    fn walk<'a>(
        key: &'a str,
        value: &'a serde_json::Value,
        budget: &mut usize,
        f: &mut impl FnMut(&'a str, &'a str),
    ) {
        if *budget == 0 {
            return;
        }
        match value {
            serde_json::Value::String(s) => {
                *budget -= 1;
                f(key, s);
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(key, v, budget, f)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| walk(k, v, budget, f)),
            _ => {}
        }
    }
    let mut budget = EVIDENCE_STRINGS - 1;
    f("rule.name", &signal.rule_name);
    for (key, value) in &signal.evidence {
        walk(key, value, &mut budget, f);
    }
}

/// The task name in a `schtasks /create ... /tn NAME` or
/// `Register-ScheduledTask -TaskName NAME` command line.
fn task_from_command(command: &str) -> Option<String> {
    // Most evidence strings name no task: look before lower-casing a copy.
    static COMMANDS: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(["schtasks", "register-scheduledtask"])
                .expect("two literals build")
        });
    if !COMMANDS.is_match(command) {
        return None;
    }
    let lower = command.to_ascii_lowercase();
    let start = if lower.contains("schtasks") && lower.contains("/create") {
        lower.find("/tn ").map(|i| i + 4)
    } else if lower.contains("register-scheduledtask") {
        lower.find("-taskname ").map(|i| i + 10)
    } else {
        None
    }?;
    let rest = command.get(start..)?.trim_start();
    let name = match rest.chars().next()? {
        quote @ ('"' | '\'') => rest[1..].split(quote).next()?,
        _ => rest.split_whitespace().next()?,
    };
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_well() {
        assert_eq!(format_bytes(12), "12 B");
        assert_eq!(format_bytes(1_500_000), "1.5 MB");
        assert_eq!(format_bytes(320_000), "320 kB");
    }

    #[test]
    fn task_names_from_command_lines() {
        assert_eq!(
            task_from_command(
                r#"schtasks.exe /create /sc minute /mo 15 /tn "Sync Job" /tr "rclone copy""#
            )
            .as_deref(),
            Some("Sync Job")
        );
        assert_eq!(
            task_from_command("powershell Register-ScheduledTask -TaskName Updater -Action $a")
                .as_deref(),
            Some("Updater")
        );
        assert_eq!(task_from_command("schtasks /query"), None);
    }

    #[test]
    fn a_rule_that_matched_a_tool_run_is_automation_whatever_its_tags() {
        let sigma = |fields: serde_json::Value| Signal {
            detector: "sigma".into(),
            stage: Stage::Exfiltration,
            techniques: vec!["T1020".into(), "T1567.002".into()],
            evidence:
                serde_json::json!({"fields": fields, "records": [{"file": "C:\\rclone\\x.evtx"}]})
                    .as_object()
                    .cloned()
                    .unwrap(),
            ..Default::default()
        };
        let rclone = sigma(serde_json::json!({
            "Image": "C:\\Tools\\rclone.exe",
            "CommandLine": "rclone.exe copy C:\\Finance mega:drop"
        }));
        assert!(is_automation(&rclone));
        let curl_agent = sigma(serde_json::json!({"c-useragent": "curl/8.4.0"}));
        assert!(is_automation(&curl_agent));
        // An archiver is staging, not automation; a tool's name in a file
        // path or outside the matched fields does not count.
        let archive = sigma(serde_json::json!({"Image": "C:\\Program Files\\7-Zip\\7z.exe"}));
        assert!(!is_automation(&archive));
        let file = sigma(serde_json::json!({"TargetFilename": "C:\\Users\\Public\\rclone.conf"}));
        assert!(!is_automation(&file));
        // An interpreter counts in a command line only when it is launched.
        let cleared =
            sigma(serde_json::json!({"CommandLine": "wevtutil.exe cl \"Windows PowerShell\""}));
        assert!(!is_automation(&cleared));
        let launched = sigma(
            serde_json::json!({"CommandLine": "cmd.exe /c start /b powershell.exe -nop -w hidden"}),
        );
        assert!(is_automation(&launched));
        let by_path =
            sigma(serde_json::json!({"CommandLine": "\"C:\\Python311\\python\" sync.py"}));
        assert!(is_automation(&by_path));
        let script = sigma(serde_json::json!({"ScriptBlockText": "Get-ChildItem C:\\Finance"}));
        assert!(is_automation(&script));
    }

    #[test]
    fn tools_are_words_not_substrings() {
        let signal = Signal {
            rule_name: "Rclone upload".into(),
            evidence: serde_json::json!({"command_line": "C:\\rclone.exe copy d: mega:x", "note": "curling"})
                .as_object()
                .cloned()
                .unwrap(),
            ..Default::default()
        };
        assert_eq!(tools_named(&[&signal]), vec!["rclone"]);
        let signal = Signal {
            rule_name: "Transfer".into(),
            evidence: serde_json::json!({"process": {"args": ["C:\\Tools\\SFTP.EXE", "ftpd", "Mega-Put -q"]}})
                .as_object()
                .cloned()
                .unwrap(),
            ..Default::default()
        };
        // Case-insensitive, nested evidence, overlapping names: `sftp` is a word,
        // the `ftp` inside it and inside `ftpd` is not.
        assert_eq!(tools_named(&[&signal]), vec!["mega-put", "sftp"]);
    }

    #[test]
    fn one_walk_finds_tools_and_tasks_and_keeps_each_users_cron_entry() {
        let with = |user: &str, evidence: serde_json::Value| Signal {
            rule_name: "Job".into(),
            user_name: Some(user.into()),
            evidence: evidence.as_object().cloned().unwrap(),
            ..Default::default()
        };
        let a = with(
            "alice",
            serde_json::json!({"cron_entry": "0 * * * * rclone copy /d x:"}),
        );
        let b = with(
            "bob",
            serde_json::json!({"cron_entry": "0 * * * * rclone copy /d x:"}),
        );
        let c = with(
            "bob",
            serde_json::json!({"command_line": "schtasks /create /tn Sync /tr x"}),
        );
        let found = named(&[&a, &b, &c, &a]);
        assert_eq!(found.tools, vec!["rclone", "schtasks"]);
        assert_eq!(found.persistence.len(), 3, "{:?}", found.persistence);
        assert!(
            found
                .persistence
                .contains(&Persistence::ScheduledTask("Sync".into()))
        );
        assert_eq!(
            found,
            Named {
                tools: tools_named(&[&a, &b, &c]),
                persistence: persistence_named(&[&a, &b, &c]),
            }
        );
    }

    #[test]
    fn repeated_evidence_is_read_once_and_new_evidence_still_counts() {
        let with = |command: &str| Signal {
            rule_name: "Transfer".into(),
            evidence: serde_json::json!({ "command_line": command })
                .as_object()
                .cloned()
                .unwrap(),
            ..Default::default()
        };
        let (a, b, c) = (with("copy x y"), with("copy x y"), with("curl -T x"));
        assert_eq!(tools_named(&[&a, &b]), Vec::<String>::new());
        assert_eq!(tools_named(&[&a, &b, &c, &a]), vec!["curl"]);
    }
}
