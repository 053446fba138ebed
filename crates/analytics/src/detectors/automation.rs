//! `automation`: scheduled tasks, cron jobs, scripts and transfer tools on a host
//! near a transfer from it.
//!
//! Marks come from scheduled-task events (4698, cron), `schtasks /create`,
//! `crontab`, `at`, transfer tools (rclone, curl, wget, scp, bitsadmin, ...)
//! started by a script interpreter or with upload arguments, PowerShell upload
//! APIs in script blocks, and Sigma alerts whose stage is automation. A transfer of
//! `min_bytes_out` within `window_minutes` after a mark raises a signal. A network
//! connection whose process is a transfer tool (Sysmon 3, Security 5156) links the
//! process to the flow directly.

use super::marks::{Mark, MarkBook, MarkFinding, base_name, clip, mark_then_transfer_signal};
use crate::config::AutomationConfig;
use crate::flow::{FastNetworks, Transfer, is_transfer_kind, new_signal};
use crate::keys::{U64Map, name_key, pair_key};
use crate::suite::Member;
use model::{Detector, Event, EventKind, Networks, Signal, Stage, Timestamp};

const TRANSFER_TOOLS: [&str; 22] = [
    "rclone",
    "rclone.exe",
    "curl",
    "curl.exe",
    "wget",
    "wget.exe",
    "scp",
    "scp.exe",
    "sftp",
    "sftp.exe",
    "pscp.exe",
    "psftp.exe",
    "winscp.exe",
    "bitsadmin.exe",
    "ftp",
    "ftp.exe",
    "megacmd.exe",
    "mega-put",
    "azcopy",
    "azcopy.exe",
    "gsutil",
    "restic",
];

const INTERPRETERS: [&str; 14] = [
    "powershell.exe",
    "pwsh.exe",
    "pwsh",
    "cmd.exe",
    "wscript.exe",
    "cscript.exe",
    "mshta.exe",
    "python",
    "python3",
    "python.exe",
    "bash",
    "sh",
    "taskeng.exe",
    "cron",
];

const UPLOAD_MARKERS: [&str; 12] = [
    "-method put",
    "-method post",
    "-infile",
    "uploadfile",
    "uploaddata",
    "uploadstring",
    "--upload-file",
    "--data-binary @",
    "-t ",
    "--post-file",
    "/upload",
    " copy ",
];

const TASK_MAKERS: [&str; 4] = ["schtasks", "crontab", "at.exe", "register-scheduledtask"];

/// What a process start says about automation, if anything.
fn process_mark(event: &Event) -> Option<(String, String, &'static [&'static str])> {
    let p = event.process.as_deref()?;
    let image = p
        .executable
        .as_deref()
        .or(p.name.as_deref())
        .map(base_name)?;
    let cmd = p.command_line.as_deref().unwrap_or("");
    let lower = cmd.to_ascii_lowercase();
    if TASK_MAKERS
        .iter()
        .any(|t| image.starts_with(t) || lower.contains(t))
        && (lower.contains("/create")
            || lower.contains("crontab")
            || lower.contains("register-scheduledtask")
            || image == "at.exe")
    {
        return Some((
            format!("{image} set up a scheduled job"),
            clip(cmd, 300),
            &["T1053"],
        ));
    }
    let parent = p
        .parent_executable
        .as_deref()
        .map(base_name)
        .unwrap_or_default();
    if TRANSFER_TOOLS.contains(&image.as_str()) {
        let scripted = INTERPRETERS.contains(&parent.as_str());
        let uploads = UPLOAD_MARKERS.iter().any(|m| lower.contains(m));
        if scripted || uploads {
            let by = if scripted {
                format!(" by {parent}")
            } else {
                String::new()
            };
            return Some((
                format!("transfer tool {image} started{by}"),
                clip(cmd, 300),
                &["T1059", "T1105"],
            ));
        }
    }
    if INTERPRETERS.contains(&image.as_str())
        && (lower.contains("invoke-webrequest")
            || lower.contains("invoke-restmethod")
            || lower.contains("net.webclient"))
        && UPLOAD_MARKERS.iter().any(|m| lower.contains(m))
    {
        return Some((
            format!("{image} ran an upload command"),
            clip(cmd, 300),
            &["T1059.001"],
        ));
    }
    None
}

/// The `automation` detector.
pub struct AutomationDetector {
    config: AutomationConfig,
    networks: FastNetworks,
    book: MarkBook,
    linked: U64Map<i64>,
    recurring: Recurrence,
}

/// Score kept by a finding that recurs within a day (see [`Recurrence`]).
const RECURRING_SCORE: u8 = 20;

/// Findings that recur: an hourly cron job that uploads, a tool a schedule
/// runs. The first of a day is reported as found; the same job on the same
/// host again within 24 hours keeps its evidence but drops to a low score and
/// says how often it ran, so a scheduled job does not raise 24 findings a day
/// at full weight. Cadence still judges the rhythm itself.
#[derive(Debug, Default)]
struct Recurrence {
    /// Job key -> (start of its day, times seen in it).
    seen: U64Map<(i64, u32)>,
}

impl Recurrence {
    fn note(&mut self, key: u64, now: i64, signal: &mut Signal) {
        if self.seen.len() > 100_000 {
            self.seen.clear();
        }
        let entry = self.seen.entry(key).or_insert((now, 0));
        if now - entry.0 >= 86_400 {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 < 2 {
            return;
        }
        signal.set_score(signal.score.min(RECURRING_SCORE));
        signal.rule_name = format!(
            "{} (recurring: {} times since {})",
            signal.rule_name,
            entry.1,
            Timestamp::from_secs(entry.0).to_rfc3339()
        )
        .into();
        signal
            .evidence
            .insert("recurring_count".into(), entry.1.into());
        signal.evidence.insert(
            "recurring_since".into(),
            Timestamp::from_secs(entry.0).to_rfc3339().into(),
        );
    }
}

impl AutomationDetector {
    /// Builds the detector.
    pub fn new(config: AutomationConfig, networks: Networks) -> Self {
        AutomationDetector {
            config,
            networks: FastNetworks::new(&networks),
            book: MarkBook::default(),
            linked: U64Map::default(),
            recurring: Recurrence::default(),
        }
    }

    fn mark(&mut self, event: &Event, what: String, detail: String, techniques: &[&str]) {
        let mark = Mark {
            ts: event.timestamp.secs(),
            what,
            detail,
            techniques: techniques.iter().map(|t| t.to_string()).collect(),
            origin: event.origin.clone(),
            host_name: event.host_name.clone(),
            user_name: event.user_name.clone(),
            bytes_after: 0,
            transfers_after: 0,
            reported: false,
        };
        self.book.add(event, &self.networks, mark);
    }

    /// A transfer tool's own connection (Sysmon 3 / 5156): the process is the flow.
    fn linked_connection(&mut self, t: &Transfer<'_>, out: &mut Vec<Signal>) {
        let Some(p) = t.event.process.as_deref() else {
            return;
        };
        let Some(image) = p.executable.as_deref().or(p.name.as_deref()).map(base_name) else {
            return;
        };
        if !TRANSFER_TOOLS.contains(&image.as_str()) {
            return;
        }
        let key = pair_key(pair_key(t.host_key, t.dest_key), name_key(&image));
        let now = t.ts.secs();
        if self.linked.get(&key).is_some_and(|last| now - last < 3600) {
            return;
        }
        if self.linked.len() > 100_000 {
            self.linked.clear();
        }
        self.linked.insert(key, now);
        let mut signal = new_signal(
            "automation",
            "exfilguard.automation.tool_connection",
            &format!(
                "Transfer tool {image} connected out to {}",
                t.dest_name
                    .map(str::to_string)
                    .or(t.dest_ip.map(|i| i.to_string()))
                    .unwrap_or_default()
            ),
            t.ts,
            Stage::Automation,
            &["T1020", "T1105", "T1059"],
        );
        t.describe(&mut signal);
        signal.set_score(if t.bytes_out >= self.config.min_bytes_out {
            65
        } else {
            50
        });
        if t.bytes_out > 0 {
            signal.bytes_out = Some(t.bytes_out);
        }
        signal.transfers = Some(1);
        signal.evidence.insert(
            "linked_process".into(),
            p.executable.clone().unwrap_or(image).into(),
        );
        if let Some(pid) = p.pid {
            signal.evidence.insert("process_pid".into(), pid.into());
        }
        signal.add_record(t.event.origin.as_ref());
        signal.assign_id();
        self.recurring.note(key, now, &mut signal);
        out.push(signal);
    }
}

fn automated_transfer_signal(mark: &Mark, t: &Transfer<'_>, window_min: u32) -> Signal {
    let finding = MarkFinding {
        detector: "automation",
        rule_id: "exfilguard.automation.job_then_transfer",
        stage: Stage::Automation,
        techniques: &["T1020"],
    };
    mark_then_transfer_signal(&finding, mark, t, window_min)
}

impl Detector for AutomationDetector {
    fn name(&self) -> &str {
        "automation"
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let transfer =
            if is_transfer_kind(event.kind) && !(self.book.is_empty() && event.process.is_none()) {
                Transfer::from_event(event, &self.networks)
            } else {
                None
            };
        self.observe_with(event, transfer.as_ref(), out);
    }

    fn observe_signal(&mut self, signal: &Signal, _out: &mut Vec<Signal>) {
        if let Some(mark) = super::marks::SigmaMark::of(signal, Stage::Automation) {
            self.mark(&mark.event, mark.what, mark.detail, &mark.techniques);
        }
    }

    fn advance(&mut self, watermark: Timestamp, _out: &mut Vec<Signal>) {
        self.book
            .expire_on_schedule(watermark, self.config.window_minutes);
    }
}

impl Member for AutomationDetector {
    fn observe_with(
        &mut self,
        event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        self.book.learn(event, &self.networks);
        match event.kind {
            EventKind::ProcessStart => {
                if let Some((what, detail, techniques)) = process_mark(event) {
                    self.mark(event, what, detail, techniques);
                }
            }
            EventKind::ScheduledTask => {
                let detail = event
                    .process
                    .as_deref()
                    .and_then(|p| p.command_line.clone())
                    .or_else(|| event.message.clone())
                    .unwrap_or_default();
                self.mark(
                    event,
                    "a scheduled task or cron job was created".into(),
                    clip(&detail, 300),
                    &["T1053"],
                );
            }
            EventKind::Script => {
                let text = event.script_text.as_deref().unwrap_or("");
                let lower = text.to_ascii_lowercase();
                if (lower.contains("invoke-webrequest")
                    || lower.contains("invoke-restmethod")
                    || lower.contains("webclient"))
                    && UPLOAD_MARKERS.iter().any(|m| lower.contains(m))
                {
                    self.mark(
                        event,
                        "a script used an upload API".into(),
                        clip(text, 300),
                        &["T1059.001"],
                    );
                }
            }
            EventKind::Network | EventKind::Http => {
                if self.book.is_empty() && event.process.is_none() {
                    return;
                }
                let Some(t) = transfer else {
                    return;
                };
                self.linked_connection(t, out);
                if t.bytes_out > 0 {
                    let window = self.config.window_minutes;
                    let recurring = &mut self.recurring;
                    self.book.on_transfer(
                        t,
                        window as i64 * 60,
                        self.config.min_bytes_out,
                        |mark| {
                            let mut signal = automated_transfer_signal(mark, t, window);
                            let job = pair_key(
                                pair_key(t.host_key, name_key(&mark.what)),
                                name_key(&mark.detail),
                            );
                            recurring.note(job, t.ts.secs(), &mut signal);
                            signal
                        },
                        out,
                    );
                }
            }
            _ => {}
        }
    }
}
