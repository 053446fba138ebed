//! The `saas` analytic: per-user activity in cloud and SaaS audit logs against the
//! user's own history and the peer group, with fixed floors for new users.
//!
//! What it counts, per user and per bucket (event time):
//!
//! | metric | from | bucket |
//! |---|---|---|
//! | `files_downloaded` | M365 `FileDownloaded`, Google Drive `download`, Box `DOWNLOAD`, Dropbox `file_download` / `shared_content_download`, S3 `GetObject` (CloudTrail and access logs), GCS `storage.objects.get` | hour |
//! | `folders_touched` | distinct folders of those downloads | hour |
//! | `files_synced` | M365 `FileSyncDownloadedFull` (a sync client pulling a library) | hour |
//! | `repos_cloned` | distinct repositories of GitHub `git.clone` | day |
//! | `sftp_files_read`, `sftp_bytes_read` | `sftp-server` `close` lines with bytes read and MOVEit Transfer downloads (data that left our transfer server) | hour |
//!
//! When a bucket closes (the watermark passed its end) its value is compared with a
//! robust baseline, the same method as the volume detector: median and MAD of the
//! user's earlier active buckets once there are [`SaasConfig::min_history`] of them,
//! else the peer group's (every user's recent buckets) raised to `ratio` times the
//! median of the short history the user has, and never below the metric's minimum.
//! A user with no history at all must also pass the metric's fixed floor.
//! The threshold is `max(median + k * 1.4826 * MAD, ratio * median, minimum)`.
//!
//! Sync downloads are their own metric with a high floor, so the first sync of a new
//! laptop is not a mass download. State is per user, so the detector shards by user.

use model::detector::Interests;
use model::{Detector, Event, EventKind, Origin, Signal, Stage, Timestamp};
use serde_json::json;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;

/// Earlier buckets kept per user and metric (four weeks of hours).
const MAX_HISTORY: usize = 24 * 28;
/// Peer values kept per metric.
const MAX_PEER_VALUES: usize = 5_000;
/// Distinct folders or repositories counted per bucket.
const MAX_DISTINCT: usize = 10_000;

/// The tuning of the `saas` analytic (`[detectors.saas]`).
#[derive(Clone, Debug, PartialEq)]
pub struct SaasConfig {
    /// Earlier active buckets a user needs before their own baseline is used.
    pub min_history: usize,
    /// MADs above the median that count as a burst.
    pub mad_factor: f64,
    /// A burst is also at least this many times the median.
    pub median_ratio: f64,
    /// Days from the first record in which bursts are held back (see
    /// [`SaasDetector`]).
    pub learning_days: u32,
}

impl Default for SaasConfig {
    fn default() -> Self {
        SaasConfig {
            min_history: 5,
            mad_factor: 5.0,
            median_ratio: 3.0,
            learning_days: 1,
        }
    }
}

/// How long a held burst waits for the account to repeat it.
const HOLD_S: i64 = 2 * 86_400;

/// A burst of the learning days, waiting to see whether the account repeats it.
#[derive(Debug)]
struct Held {
    key: (String, Metric),
    start: Timestamp,
    value: f64,
    signal: Signal,
}

/// The activity metrics; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Files downloaded from cloud storage per hour.
    FilesDownloaded,
    /// Distinct folders of those downloads per hour.
    FoldersTouched,
    /// Files pulled by a sync client per hour.
    FilesSynced,
    /// Distinct repositories cloned per day.
    ReposCloned,
    /// Files read from our SFTP server per hour.
    SftpFilesRead,
    /// Bytes read from our SFTP server per hour.
    SftpBytesRead,
}

impl Metric {
    /// Stable name, used in rule ids (`exfilguard.saas.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Metric::FilesDownloaded => "files_downloaded",
            Metric::FoldersTouched => "folders_touched",
            Metric::FilesSynced => "files_synced",
            Metric::ReposCloned => "repos_cloned",
            Metric::SftpFilesRead => "sftp_files_read",
            Metric::SftpBytesRead => "sftp_bytes_read",
        }
    }

    fn window_s(self) -> i64 {
        match self {
            Metric::ReposCloned => 86_400,
            _ => 3_600,
        }
    }

    /// The least value that can be a burst, whatever the baseline.
    fn minimum(self) -> f64 {
        match self {
            Metric::FilesDownloaded | Metric::SftpFilesRead => 50.0,
            Metric::FoldersTouched | Metric::ReposCloned => 10.0,
            Metric::FilesSynced => 2_000.0,
            Metric::SftpBytesRead => 100.0 * 1024.0 * 1024.0,
        }
    }

    /// The fixed threshold for a user without any history.
    fn new_user_floor(self) -> f64 {
        match self {
            Metric::FilesDownloaded | Metric::SftpFilesRead => 200.0,
            Metric::FoldersTouched => 30.0,
            Metric::ReposCloned => 25.0,
            Metric::FilesSynced => 20_000.0,
            Metric::SftpBytesRead => 1024.0 * 1024.0 * 1024.0,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Metric::FilesDownloaded => "Burst of cloud file downloads by a user",
            Metric::FoldersTouched => "User downloads from unusually many cloud folders",
            Metric::FilesSynced => "Sync client pulls an unusual number of files",
            Metric::ReposCloned => "Burst of repository clones by a user",
            Metric::SftpFilesRead => "User reads unusually many files from the SFTP server",
            Metric::SftpBytesRead => "User reads an unusual volume from the SFTP server",
        }
    }

    /// Chain stage and ATT&CK techniques of a burst.
    fn stage_and_techniques(self) -> (Stage, &'static [&'static str]) {
        match self {
            Metric::SftpFilesRead | Metric::SftpBytesRead => {
                (Stage::Exfiltration, &["T1020", "T1048"])
            }
            Metric::ReposCloned => (Stage::Collection, &["T1213.003"]),
            _ => (Stage::Collection, &["T1530", "T1213.002"]),
        }
    }
}

/// One user's open bucket of one metric.
#[derive(Debug)]
struct Bucket {
    start: Timestamp,
    count: f64,
    distinct: HashSet<String>,
    last_seen: Timestamp,
    destination_ip: Option<IpAddr>,
    host_name: Option<String>,
    records: Vec<Origin>,
    records_total: u64,
}

#[derive(Debug, Default)]
struct Series {
    open: Option<Bucket>,
    history: VecDeque<f64>,
    /// Time of the newest record (seconds): the coldest series are dropped first
    /// when the state file is over its bound.
    last_seen: i64,
}

/// The detector; see the module docs.
///
/// In the first `learning_days` of the data every account is new, so a burst
/// there cannot be told from the account's routine (a CI account cloning every
/// repository each night). Such a burst is held: it is dropped when the same
/// account repeats it (a later bucket of at least a third of its size) within two
/// days, and raised, with its original time, when the account does not or when
/// the data ends first (a one-day export still gets its findings).
pub struct SaasDetector {
    config: SaasConfig,
    series: HashMap<(String, Metric), Series>,
    peers: HashMap<Metric, VecDeque<f64>>,
    /// The earliest end of an open bucket: nothing to close before it.
    next_close: Timestamp,
    /// Time of the first record seen.
    first_record: Option<Timestamp>,
    /// Bursts of the learning days, waiting for a repeat.
    held: Vec<Held>,
}

impl SaasDetector {
    /// A detector with `config`.
    pub fn new(config: SaasConfig) -> Self {
        SaasDetector {
            config,
            series: HashMap::new(),
            peers: HashMap::new(),
            next_close: Timestamp::MAX,
            first_record: None,
            held: Vec::new(),
        }
    }

    /// Whether a bucket starting at `start` lies in the learning days.
    fn learning(&self, start: Timestamp) -> bool {
        self.first_record.is_some_and(|first| {
            start.secs() < first.secs() + i64::from(self.config.learning_days) * 86_400
        })
    }

    /// A later bucket of `key` closed with `value` at `start`: drops the held
    /// bursts it repeats, raises those whose wait is over.
    fn settle_held(
        &mut self,
        key: &(String, Metric),
        start: Timestamp,
        value: f64,
        out: &mut Vec<Signal>,
    ) {
        let mut kept = Vec::with_capacity(self.held.len());
        for held in std::mem::take(&mut self.held) {
            let later = start > held.start;
            if later && held.key == *key && value * 3.0 >= held.value {
                continue; // The account does this routinely: not a burst.
            }
            if later && start.secs() - held.start.secs() > HOLD_S {
                out.push(held.signal);
            } else {
                kept.push(held);
            }
        }
        self.held = kept;
    }

    fn add(
        &mut self,
        user: &str,
        metric: Metric,
        amount: f64,
        distinct: Option<String>,
        event: &Event,
        out: &mut Vec<Signal>,
    ) {
        let window = metric.window_s();
        let start = Timestamp::from_secs(event.timestamp.secs().div_euclid(window) * window);
        let key = (user.to_owned(), metric);
        let stale = self
            .series
            .get(&key)
            .and_then(|s| s.open.as_ref())
            .is_some_and(|b| b.start != start);
        if stale {
            self.close(&key, out);
        }
        let series = self.series.entry(key).or_default();
        series.last_seen = series.last_seen.max(event.timestamp.secs());
        let bucket = series.open.get_or_insert_with(|| Bucket {
            start,
            count: 0.0,
            distinct: HashSet::new(),
            last_seen: event.timestamp,
            destination_ip: None,
            host_name: None,
            records: Vec::new(),
            records_total: 0,
        });
        match distinct {
            Some(item) if bucket.distinct.len() < MAX_DISTINCT => {
                bucket.distinct.insert(item);
            }
            Some(_) => {}
            None => bucket.count += amount,
        }
        bucket.last_seen = bucket.last_seen.max(event.timestamp);
        if let Some(ip) = event.network.as_ref().and_then(|n| n.source_ip) {
            bucket.destination_ip = Some(ip);
        }
        if bucket.host_name.is_none() {
            bucket.host_name = event.host_name.clone();
        }
        bucket.records_total += 1;
        if let Some(origin) = &event.origin
            && bucket.records.len() < model::signal::MAX_EVIDENCE_RECORDS
        {
            bucket.records.push(origin.clone());
        }
        let end = start.plus_secs(window);
        self.next_close = self.next_close.min(end);
    }

    /// Closes the open bucket of `key`: evaluates it, then adds it to the history.
    fn close(&mut self, key: &(String, Metric), out: &mut Vec<Signal>) {
        let Some(series) = self.series.get_mut(key) else {
            return;
        };
        let Some(bucket) = series.open.take() else {
            return;
        };
        let metric = key.1;
        let value = if bucket.distinct.is_empty() {
            bucket.count
        } else {
            bucket.distinct.len() as f64
        };
        let peers = self.peers.entry(metric).or_default();
        let start = bucket.start;
        let burst = judge(&self.config, metric, value, &series.history, peers)
            .map(|verdict| signal(&key.0, metric, value, &verdict, bucket));
        push_bounded(&mut series.history, value, MAX_HISTORY);
        push_bounded(peers, value, MAX_PEER_VALUES);
        self.settle_held(key, start, value, out);
        match burst {
            Some(signal) if self.learning(start) => self.held.push(Held {
                key: key.clone(),
                start,
                value,
                signal,
            }),
            Some(signal) => out.push(signal),
            None => {}
        }
    }
}

impl Default for SaasDetector {
    fn default() -> Self {
        SaasDetector::new(SaasConfig::default())
    }
}

fn push_bounded(values: &mut VecDeque<f64>, value: f64, cap: usize) {
    if values.len() >= cap {
        values.pop_front();
    }
    values.push_back(value);
}

/// Why a bucket is a burst.
#[derive(Debug, PartialEq)]
struct Verdict {
    threshold: f64,
    basis: &'static str,
    median: Option<f64>,
    mad: Option<f64>,
    baseline_buckets: usize,
}

/// Median and MAD of `values` (not empty).
fn median_mad(values: &VecDeque<f64>) -> (f64, f64) {
    let mut sorted: Vec<f64> = values.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let median = middle(&sorted);
    let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    (median, middle(&deviations))
}

fn middle(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Compares one closed bucket with the user's history, else the peers, else the floor.
fn judge(
    config: &SaasConfig,
    metric: Metric,
    value: f64,
    history: &VecDeque<f64>,
    peers: &VecDeque<f64>,
) -> Option<Verdict> {
    if value < metric.minimum() {
        return None;
    }
    let robust = |values: &VecDeque<f64>| {
        let (median, mad) = median_mad(values);
        let spread = (1.4826 * mad).max(0.1 * median).max(1.0);
        let threshold = (median + config.mad_factor * spread)
            .max(config.median_ratio * median)
            .max(metric.minimum());
        (threshold, median, mad)
    };
    let verdict = if history.len() >= config.min_history {
        let (threshold, median, mad) = robust(history);
        Verdict {
            threshold,
            basis: "user history",
            median: Some(median),
            mad: Some(mad),
            baseline_buckets: history.len(),
        }
    } else if peers.len() >= config.min_history {
        let (threshold, median, mad) = robust(peers);
        let (threshold, basis) = if history.is_empty() {
            (
                threshold.max(metric.new_user_floor()),
                "peer group and new-user floor",
            )
        } else {
            // A short history still says what is normal for this user.
            let own = config.median_ratio * median_mad(history).0;
            (threshold.max(own), "peer group and short user history")
        };
        Verdict {
            threshold,
            basis,
            median: Some(median),
            mad: Some(mad),
            baseline_buckets: peers.len(),
        }
    } else if history.is_empty() {
        Verdict {
            threshold: metric.new_user_floor(),
            basis: "new-user floor",
            median: None,
            mad: None,
            baseline_buckets: 0,
        }
    } else {
        // No peers to compare with, but the user's short history says what is
        // normal for them (a CI account's nightly clone of every repository).
        let (median, mad) = median_mad(history);
        Verdict {
            threshold: metric.new_user_floor().max(config.median_ratio * median),
            basis: "new-user floor and short user history",
            median: Some(median),
            mad: Some(mad),
            baseline_buckets: history.len(),
        }
    };
    (value >= verdict.threshold).then_some(verdict)
}

/// 55 at the threshold, +10 for each doubling beyond it, at most 90.
fn score(value: f64, threshold: f64) -> u8 {
    let doublings = (value / threshold.max(1.0)).log2().max(0.0);
    (55.0 + 10.0 * doublings).min(90.0) as u8
}

fn signal(user: &str, metric: Metric, value: f64, verdict: &Verdict, bucket: Bucket) -> Signal {
    let (stage, techniques) = metric.stage_and_techniques();
    let mut signal = Signal {
        timestamp: bucket.last_seen,
        detector: "saas".into(),
        rule_id: format!("exfilguard.saas.{}", metric.name()).into(),
        rule_name: metric.title().into(),
        rule_author: Some("exfilguard team".into()),
        stage,
        user_name: Some(user.to_owned()),
        host_name: bucket.host_name,
        destination_ip: bucket.destination_ip,
        techniques: techniques.iter().map(|t| (*t).into()).collect(),
        transfers: Some(bucket.records_total),
        ..Signal::default()
    };
    if metric == Metric::SftpBytesRead {
        signal.bytes_out = Some(value as u64);
    }
    signal.set_score(score(value, verdict.threshold));
    let evidence = json!({
        "metric": metric.name(),
        "window_s": metric.window_s(),
        "bucket_start": bucket.start.to_rfc3339(),
        "value": value,
        "threshold": verdict.threshold,
        "basis": verdict.basis,
        "baseline_median": verdict.median,
        "baseline_mad": verdict.mad,
        "baseline_buckets": verdict.baseline_buckets,
    });
    if let serde_json::Value::Object(map) = evidence {
        signal.evidence = map;
    }
    for origin in &bucket.records {
        signal.add_record(Some(origin));
    }
    signal.records_total = bucket.records_total;
    signal.assign_id();
    signal
}

/// What an event adds: (metric, amount, distinct item).
fn contributions(event: &Event) -> Vec<(Metric, f64, Option<String>)> {
    let action = event.action.as_deref().unwrap_or_default();
    let provider = event
        .cloud
        .as_ref()
        .and_then(|c| c.provider.as_deref())
        .unwrap_or_default();
    let mut out = Vec::new();
    match (event.kind, provider, action) {
        (EventKind::Cloud, "m365", "FileDownloaded")
        | (EventKind::Cloud, "aws", "GetObject" | "REST.GET.OBJECT")
        | (EventKind::Cloud, "gcp", "storage.objects.get")
        | (EventKind::Cloud, "google_workspace", "download")
        | (EventKind::Cloud, "box", "DOWNLOAD")
        | (EventKind::Cloud, "dropbox", "file_download" | "shared_content_download") => {
            out.push((Metric::FilesDownloaded, 1.0, None));
            if let Some(folder) = folder_of(event) {
                out.push((Metric::FoldersTouched, 0.0, Some(folder)));
            }
        }
        (EventKind::Cloud, "m365", "FileSyncDownloadedFull") => {
            out.push((Metric::FilesSynced, 1.0, None))
        }
        (EventKind::Cloud, "github", "git.clone") => {
            let repo = event
                .native
                .get_by_name("repo")
                .and_then(|v| v.as_str().map(str::to_owned));
            out.push((
                Metric::ReposCloned,
                0.0,
                Some(repo.unwrap_or_else(|| "?".into())),
            ));
        }
        (EventKind::File, _, "sftp-close") | (EventKind::File, "moveit", "file_download") => {
            let read = event
                .network
                .as_ref()
                .and_then(|n| n.destination_bytes)
                .unwrap_or(0);
            if read > 0 {
                out.push((Metric::SftpFilesRead, 1.0, None));
                out.push((Metric::SftpBytesRead, read as f64, None));
            }
        }
        _ => {}
    }
    out
}

/// The folder of the object an event names (URL or path without its last part).
fn folder_of(event: &Event) -> Option<String> {
    let path = event
        .http
        .as_ref()
        .and_then(|h| h.url_full.as_deref())
        .or(event.file_path.as_deref())?;
    Some(
        path.rsplit_once('/')
            .map_or(path, |(dir, _)| dir)
            .to_owned(),
    )
}

impl Detector for SaasDetector {
    fn name(&self) -> &str {
        "saas"
    }

    fn interests(&self) -> Interests {
        Interests::of(&[EventKind::Cloud, EventKind::File])
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let Some(user) = event.user_name.as_deref() else {
            return;
        };
        let contributions = contributions(event);
        if !contributions.is_empty() && self.first_record.is_none() {
            self.first_record = Some(event.timestamp);
        }
        for (metric, amount, distinct) in contributions {
            self.add(user, metric, amount, distinct, event, out);
        }
    }

    fn advance(&mut self, watermark: Timestamp, out: &mut Vec<Signal>) {
        if watermark < self.next_close {
            return;
        }
        let due: Vec<(String, Metric)> = self
            .series
            .iter()
            .filter(|(key, s)| {
                s.open
                    .as_ref()
                    .is_some_and(|b| b.start.plus_secs(key.1.window_s()) <= watermark)
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in &due {
            self.close(key, out);
        }
        self.next_close = self
            .series
            .iter()
            .filter_map(|(key, s)| s.open.as_ref().map(|b| b.start.plus_secs(key.1.window_s())))
            .min()
            .unwrap_or(Timestamp::MAX);
    }

    fn finish(&mut self, out: &mut Vec<Signal>) {
        let mut keys: Vec<(String, Metric)> = self.series.keys().cloned().collect();
        keys.sort_by(|a, b| (a.0.as_str(), a.1.name()).cmp(&(b.0.as_str(), b.1.name())));
        for key in &keys {
            self.close(key, out);
        }
        // The data ended before these bursts could be repeated: raise them.
        out.extend(self.held.drain(..).map(|h| h.signal));
        self.next_close = Timestamp::MAX;
    }
}

/// Scope of the per-account histories in the state file.
const SCOPE_SERIES: &str = "saas.series";
/// Scope of the detector's own state (start of the data, peer values).
const SCOPE_DETECTOR: &str = "saas.detector";

const METRICS: [Metric; 6] = [
    Metric::FilesDownloaded,
    Metric::FoldersTouched,
    Metric::FilesSynced,
    Metric::ReposCloned,
    Metric::SftpFilesRead,
    Metric::SftpBytesRead,
];

fn metric_code(metric: Metric) -> u8 {
    METRICS.iter().position(|m| *m == metric).unwrap_or(0) as u8
}

fn metric_of(code: u8) -> Result<Metric, String> {
    METRICS
        .get(code as usize)
        .copied()
        .ok_or_else(|| format!("metric code {code}"))
}

/// The row key of an account's series: its exact name (the detector tells
/// `Alice` from `alice`) and the metric.
fn series_key(user: &str, metric: Metric) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in user.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    crate::keys::pair_key(h, metric_code(metric) as u64)
}

impl SaasDetector {
    fn encode_detector(&self) -> Vec<u8> {
        let mut w = crate::persist::Writer::default();
        match self.first_record {
            Some(first) => w.u8(1).i64(first.0),
            None => w.u8(0),
        };
        let peers: Vec<(&Metric, &VecDeque<f64>)> = METRICS
            .iter()
            .filter_map(|m| self.peers.get(m).map(|p| (m, p)))
            .collect();
        w.u32(peers.len() as u32);
        for (metric, values) in peers {
            w.u8(metric_code(*metric)).u32(values.len() as u32);
            for v in values {
                w.f64(*v);
            }
        }
        w.finish()
    }

    fn decode_detector(&mut self, data: &[u8]) -> Result<(), String> {
        let mut r = crate::persist::Reader::new(data)?;
        self.first_record = match r.u8()? {
            0 => None,
            _ => Some(Timestamp(r.i64()?)),
        };
        for _ in 0..r.count(METRICS.len())? {
            let metric = metric_of(r.u8()?)?;
            let n = r.count(MAX_PEER_VALUES)?;
            let mut values = VecDeque::with_capacity(n);
            for _ in 0..n {
                values.push_back(r.f64()?);
            }
            self.peers.insert(metric, values);
        }
        r.end()
    }
}

/// Audit records carry no transfer: the suite feeds the event as it is. Each
/// account's closed buckets and the peer values are kept between runs; open
/// buckets were closed by the end of input, and bursts held in the learning days
/// were raised then, so neither is kept.
impl crate::suite::Member for SaasDetector {
    fn load_state(&mut self, store: &store::Store) -> Result<(), store::StoreError> {
        store.each_blob(SCOPE_DETECTOR, |row| {
            self.decode_detector(&row.data)?;
            Ok(())
        })?;
        store.each_blob(SCOPE_SERIES, |row| {
            let decode = || -> Result<((String, Metric), Series), String> {
                let mut r = crate::persist::Reader::new(&row.data)?;
                let user = r.opt_str()?.ok_or("no account name")?;
                let metric = metric_of(r.u8()?)?;
                let n = r.count(MAX_HISTORY)?;
                let mut history = VecDeque::with_capacity(n);
                for _ in 0..n {
                    history.push_back(r.f64()?);
                }
                r.end()?;
                Ok((
                    (user, metric),
                    Series {
                        open: None,
                        history,
                        last_seen: row.last_seen,
                    },
                ))
            };
            let (key, series) = decode()?;
            self.series.insert(key, series);
            Ok(())
        })?;
        Ok(())
    }

    fn save_state(&self, snapshot: &mut store::Snapshot) {
        let rows = self
            .series
            .iter()
            .map(|((user, metric), series)| {
                let mut w = crate::persist::Writer::default();
                w.opt_str(Some(user))
                    .u8(metric_code(*metric))
                    .u32(series.history.len() as u32);
                for v in &series.history {
                    w.f64(*v);
                }
                store::Blob {
                    key: series_key(user, *metric),
                    last_seen: series.last_seen,
                    data: w.finish(),
                }
            })
            .collect();
        snapshot.blobs(SCOPE_SERIES, rows);
        snapshot.blobs(
            SCOPE_DETECTOR,
            vec![store::Blob {
                key: 0,
                last_seen: self.first_record.map_or(0, |t| t.secs()),
                data: self.encode_detector(),
            }],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{LogSource, Origin};
    use std::sync::Arc;

    fn download(user: &str, secs: i64, n: u64) -> Event {
        let mut event = Event {
            timestamp: Timestamp::from_secs(secs),
            kind: EventKind::Cloud,
            logsource: LogSource::new(Some("m365"), None, Some("audit")),
            action: Some("FileDownloaded".into()),
            user_name: Some(user.into()),
            origin: Some(Origin {
                file: Arc::from("audit.json"),
                offset: n,
            }),
            ..Event::default()
        };
        event.cloud_mut().provider = Some("m365".into());
        event.http_mut().url_full = Some(format!(
            "https://corp.sharepoint.com/sites/s/folder{}/f{n}.docx",
            n % 3
        ));
        event
    }

    fn run(detector: &mut SaasDetector, events: &[Event]) -> Vec<Signal> {
        let mut out = Vec::new();
        for event in events {
            detector.observe(event, &mut out);
            detector.advance(event.timestamp, &mut out);
        }
        detector.finish(&mut out);
        out
    }

    const DAY0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    #[test]
    fn burst_against_own_history() {
        let mut events = Vec::new();
        let mut n = 0;
        for hour in 0..10 {
            for _ in 0..5 {
                n += 1;
                events.push(download(
                    "alice@corp.example",
                    DAY0 + hour * 3600 + n as i64,
                    n,
                ));
            }
        }
        for i in 0..300 {
            n += 1;
            events.push(download("alice@corp.example", DAY0 + 20 * 3600 + i, n));
        }
        let signals = run(&mut SaasDetector::default(), &events);
        assert_eq!(signals.len(), 1, "{signals:#?}");
        let signal = &signals[0];
        assert_eq!(signal.rule_id, "exfilguard.saas.files_downloaded");
        assert_eq!(signal.user_name.as_deref(), Some("alice@corp.example"));
        assert_eq!(signal.evidence["basis"], "user history");
        assert_eq!(signal.evidence["value"], 300.0);
        assert_eq!(signal.records.len(), model::signal::MAX_EVIDENCE_RECORDS);
        assert_eq!(signal.records_total, 300);
        assert!(signal.score >= 55);
    }

    #[test]
    fn steady_heavy_user_is_not_flagged_and_quiet_users_stay_quiet() {
        let mut events = Vec::new();
        let mut n = 0;
        for hour in 0..30 {
            for _ in 0..120 {
                n += 1;
                events.push(download(
                    "bot@corp.example",
                    DAY0 + hour * 3600 + (n % 3000) as i64 % 3600,
                    n,
                ));
            }
            n += 1;
            events.push(download("carol@corp.example", DAY0 + hour * 3600, n));
        }
        events.sort_by_key(|e| e.timestamp);
        let signals = run(&mut SaasDetector::default(), &events);
        assert!(signals.is_empty(), "{signals:#?}");
    }

    #[test]
    fn new_user_needs_the_fixed_floor() {
        let below: Vec<Event> = (0..150)
            .map(|i| download("new@corp.example", DAY0 + i, i as u64))
            .collect();
        assert!(run(&mut SaasDetector::default(), &below).is_empty());
        let above: Vec<Event> = (0..250)
            .map(|i| download("new@corp.example", DAY0 + i, i as u64))
            .collect();
        let signals = run(&mut SaasDetector::default(), &above);
        assert_eq!(signals.len(), 1);
        assert_eq!(signals[0].evidence["basis"], "new-user floor");
    }

    #[test]
    fn sftp_bytes_read_is_exfiltration() {
        let mut events = Vec::new();
        for i in 0..3 {
            let mut event = Event {
                timestamp: Timestamp::from_secs(DAY0 + i),
                kind: EventKind::File,
                action: Some("sftp-close".into()),
                user_name: Some("partner".into()),
                host_name: Some("files".into()),
                ..Event::default()
            };
            event.network_mut().destination_bytes = Some(600 * 1024 * 1024);
            event.network_mut().source_ip = "203.0.113.9".parse().ok();
            events.push(event);
        }
        let signals = run(&mut SaasDetector::default(), &events);
        let bytes = signals
            .iter()
            .find(|s| s.rule_id == "exfilguard.saas.sftp_bytes_read")
            .unwrap();
        assert_eq!(bytes.stage, Stage::Exfiltration);
        assert_eq!(bytes.bytes_out, Some(3 * 600 * 1024 * 1024));
        assert_eq!(bytes.destination_ip, "203.0.113.9".parse().ok());
        assert_eq!(bytes.host_name.as_deref(), Some("files"));
    }

    #[test]
    fn a_nightly_ci_clone_of_every_repository_is_routine_from_the_first_day() {
        let nightly = |days: i64| -> Vec<Event> {
            (0..days)
                .flat_map(|day| {
                    (0..40).map(move |repo| {
                        clone(
                            "ci-bot",
                            DAY0 + day * 86_400 + 2 * 3600 + repo * 20,
                            &format!("r{repo}"),
                        )
                    })
                })
                .collect()
        };
        // A week of it: the first night's burst is held, then repeated: nothing.
        let signals = run(&mut SaasDetector::default(), &nightly(7));
        assert!(signals.is_empty(), "{signals:#?}");
        // A one-day export: nothing to compare with, so the burst is raised.
        let signals = run(&mut SaasDetector::default(), &nightly(1));
        assert_eq!(signals.len(), 1);
        assert_eq!(signals[0].rule_id, "exfilguard.saas.repos_cloned");
        assert_eq!(
            signals[0].timestamp.secs().div_euclid(86_400),
            DAY0.div_euclid(86_400)
        );
    }

    #[test]
    fn moveit_and_box_and_dropbox_downloads_count() {
        let mut moveit = Vec::new();
        for i in 0..3 {
            let mut event = Event {
                timestamp: Timestamp::from_secs(DAY0 + i),
                kind: EventKind::File,
                action: Some("file_download".into()),
                user_name: Some("partner".into()),
                ..Event::default()
            };
            event.cloud_mut().provider = Some("moveit".into());
            event.network_mut().destination_bytes = Some(600 * 1024 * 1024);
            moveit.push(event);
        }
        let signals = run(&mut SaasDetector::default(), &moveit);
        assert!(
            signals
                .iter()
                .any(|s| s.rule_id == "exfilguard.saas.sftp_bytes_read")
        );
        for (provider, action) in [("box", "DOWNLOAD"), ("dropbox", "shared_content_download")] {
            let events: Vec<Event> = (0..250)
                .map(|i| {
                    let mut event = download("new@corp.example", DAY0 + i, i as u64);
                    event.cloud_mut().provider = Some(provider.into());
                    event.action = Some(action.into());
                    event
                })
                .collect();
            let signals = run(&mut SaasDetector::default(), &events);
            assert_eq!(signals.len(), 1, "{provider}");
            assert_eq!(signals[0].rule_id, "exfilguard.saas.files_downloaded");
        }
    }

    fn clone(user: &str, secs: i64, repo: &str) -> Event {
        let mut event = Event {
            timestamp: Timestamp::from_secs(secs),
            kind: EventKind::Cloud,
            action: Some("git.clone".into()),
            user_name: Some(user.into()),
            ..Event::default()
        };
        event.cloud_mut().provider = Some("github".into());
        event.native.push_str("repo", repo);
        event
    }

    #[test]
    fn clone_burst_counts_distinct_repositories_per_day() {
        let mut events = Vec::new();
        for day in 0..7 {
            for i in 0..6 {
                // The same two repositories, cloned three times each.
                events.push(clone(
                    "dev",
                    DAY0 + day * 86_400 + i * 60,
                    &format!("corp/app{}", i % 2),
                ));
            }
        }
        for i in 0..60 {
            events.push(clone(
                "dev",
                DAY0 + 8 * 86_400 + i * 60,
                &format!("corp/repo{i}"),
            ));
        }
        let signals = run(&mut SaasDetector::default(), &events);
        assert_eq!(signals.len(), 1, "{signals:#?}");
        assert_eq!(signals[0].rule_id, "exfilguard.saas.repos_cloned");
        assert_eq!(signals[0].evidence["value"], 60.0);
        assert_eq!(signals[0].evidence["baseline_median"], 2.0);
    }

    #[test]
    fn robust_statistics() {
        let values: VecDeque<f64> = [1.0, 2.0, 3.0, 4.0, 100.0].into_iter().collect();
        assert_eq!(median_mad(&values), (3.0, 1.0));
        assert_eq!(score(100.0, 100.0), 55);
        assert_eq!(score(400.0, 100.0), 75);
        assert_eq!(score(1e9, 1.0), 90);
    }
}
