//! `staging`: data compressed or packed on a host shortly before it leaves.
//!
//! Marks come from archiver processes (7-Zip, RAR, zip, tar, makecab,
//! `Compress-Archive`), archive files written (Sysmon 11, Zeek files), and Sigma
//! alerts whose stage is staging. When the host then sends `min_bytes_out` within
//! `window_minutes`, a signal ties the two. An archive file of at least
//! `large_archive_bytes` is reported by itself at a low score.

use super::marks::{Mark, MarkBook, MarkFinding, base_name, clip, mark_then_transfer_signal};
use crate::config::StagingConfig;
use crate::flow::{FastNetworks, Transfer, human_bytes, is_transfer_kind, new_signal};
use crate::suite::Member;
use model::{Detector, Event, EventKind, Networks, Signal, Stage, Timestamp};

const ARCHIVERS: [&str; 16] = [
    "7z.exe",
    "7za.exe",
    "7zr.exe",
    "7zg.exe",
    "rar.exe",
    "winrar.exe",
    "zip",
    "zip.exe",
    "tar",
    "tar.exe",
    "gzip",
    "bzip2",
    "xz",
    "zstd",
    "makecab.exe",
    "7z",
];

const ARCHIVE_EXTENSIONS: [&str; 11] = [
    ".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".cab", ".tar.gz",
];

/// Whether a path names an archive file.
pub fn is_archive_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ARCHIVE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

fn is_compress_script(event: &Event) -> bool {
    event
        .script_text
        .as_deref()
        .is_some_and(|s| s.to_ascii_lowercase().contains("compress-archive"))
}

/// What a process start says about staging, if anything.
fn archiver_mark(event: &Event) -> Option<(String, String)> {
    let p = event.process.as_deref()?;
    let image = p
        .executable
        .as_deref()
        .or(p.name.as_deref())
        .map(base_name)?;
    let cmd = p.command_line.as_deref().unwrap_or("");
    let lower = cmd.to_ascii_lowercase();
    let packs = ARCHIVERS.contains(&image.as_str())
        && !lower.contains(" x ")
        && !lower.contains(" e ")
        && !lower.contains(" -x")
        && !lower.contains(" -d");
    if packs || lower.contains("compress-archive") {
        return Some((format!("{image} created an archive"), clip(cmd, 300)));
    }
    None
}

/// The `staging` detector.
pub struct StagingDetector {
    config: StagingConfig,
    networks: FastNetworks,
    book: MarkBook,
}

impl StagingDetector {
    /// Builds the detector.
    pub fn new(config: StagingConfig, networks: Networks) -> Self {
        StagingDetector {
            config,
            networks: FastNetworks::new(&networks),
            book: MarkBook::default(),
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

    fn large_archive(&self, event: &Event, path: &str, size: u64) -> Signal {
        let mut signal = new_signal(
            "staging",
            "exfilguard.staging.large_archive",
            &format!(
                "Large archive written: {} ({})",
                base_name(path),
                human_bytes(size as f64)
            ),
            event.timestamp,
            Stage::Staging,
            &["T1560", "T1074"],
        );
        signal.host_name = event.host_name.clone();
        signal.host_ip = event.host_ip;
        signal.user_name = event.user_name.clone();
        signal.set_score(35);
        signal.evidence.insert("file_path".into(), path.into());
        signal.evidence.insert("file_size".into(), size.into());
        signal.add_record(event.origin.as_ref());
        signal.assign_id();
        signal
    }
}

fn staged_transfer_signal(mark: &Mark, t: &Transfer<'_>, window_min: u32) -> Signal {
    let finding = MarkFinding {
        detector: "staging",
        rule_id: "exfilguard.staging.archive_then_transfer",
        stage: Stage::Staging,
        techniques: &["T1560", "T1074", "T1020"],
    };
    mark_then_transfer_signal(&finding, mark, t, window_min)
}

impl Detector for StagingDetector {
    fn name(&self) -> &str {
        "staging"
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let transfer = if is_transfer_kind(event.kind) && !self.book.is_empty() {
            Transfer::from_event(event, &self.networks)
        } else {
            None
        };
        self.observe_with(event, transfer.as_ref(), out);
    }

    fn observe_signal(&mut self, signal: &Signal, _out: &mut Vec<Signal>) {
        if let Some(mark) = super::marks::SigmaMark::of(signal, Stage::Staging) {
            self.mark(&mark.event, mark.what, mark.detail, &mark.techniques);
        }
    }

    fn advance(&mut self, watermark: Timestamp, _out: &mut Vec<Signal>) {
        self.book
            .expire_on_schedule(watermark, self.config.window_minutes);
    }
}

impl Member for StagingDetector {
    fn observe_with(
        &mut self,
        event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        self.book.learn(event, &self.networks);
        match event.kind {
            EventKind::ProcessStart => {
                if let Some((what, detail)) = archiver_mark(event) {
                    self.mark(event, what, detail, &["T1560.001"]);
                }
            }
            EventKind::File => {
                if let Some(path) = event.file_path.as_deref().filter(|p| is_archive_path(p)) {
                    let path = path.to_string();
                    if let Some(size) = event.file_size
                        && size >= self.config.large_archive_bytes
                    {
                        out.push(self.large_archive(event, &path, size));
                    }
                    self.mark(
                        event,
                        format!("archive {} written", base_name(&path)),
                        path,
                        &["T1074"],
                    );
                }
            }
            EventKind::Script if is_compress_script(event) => {
                let text = clip(event.script_text.as_deref().unwrap_or(""), 300);
                self.mark(event, "a script compressed files".into(), text, &["T1560"]);
            }
            EventKind::Network | EventKind::Http if !self.book.is_empty() => {
                if let Some(t) = transfer
                    && t.bytes_out > 0
                {
                    let window = self.config.window_minutes;
                    self.book.on_transfer(
                        t,
                        window as i64 * 60,
                        self.config.min_bytes_out,
                        |mark| staged_transfer_signal(mark, t, window),
                        out,
                    );
                }
            }
            _ => {}
        }
    }
}
