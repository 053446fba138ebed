//! `cadence`: transfers per (host, destination) that keep a clock no person keeps.
//!
//! Each pair keeps a compact state ([`PairState`], 72 bytes plus its 8-byte key):
//! the last 12 intervals and transfer sizes, totals and times. When a pair has
//! enough connections it is scored the way RITA scores beacons (public reference:
//! RITA v5): Bowley skew and MAD of the intervals (symmetric, tight intervals score
//! high), the same for the sizes, plus a period test that tolerates +-30 % jitter
//! and missed beats, and coverage of the span by the expected beats. Upload-heavy
//! pairs score higher. Pairs first seen longer ago than `established_days` are the
//! host's routine (a nightly backup) and are not raised.

use crate::config::CadenceConfig;
use crate::flow::{FastNetworks, Transfer, human_bytes, new_signal};
use crate::keys::{U64Map, pair_key};
use crate::persist::{Reader, Writer};
use crate::state::{Stats, evict_coldest};
use crate::stats::{Scratch, bowley_skew, median, median_mad, period_test};
use crate::suite::Member;
use model::detector::Interests;
use model::{Detector, Event, EventKind, Networks, Signal, Stage, Timestamp};
use serde_json::json;

/// Intervals (and sizes) remembered per pair.
pub const SAMPLES: usize = 12;

/// What one (host, destination) pair remembers. Times are seconds since the
/// detector's first event, so they fit `u32` (136 years).
#[derive(Clone, Debug, Default)]
pub struct PairState {
    first_seen: u32,
    last_seen: u32,
    connections: u32,
    last_alert: u32,
    bytes_out: u64,
    bytes_in: u64,
    intervals: [u16; SAMPLES],
    sizes: [u8; SAMPLES],
    head: u8,
    len: u8,
}

/// Intervals up to 32767 s are kept to the second, longer ones in 64 s steps (24 days).
fn encode_interval(secs: u32) -> u16 {
    if secs < 32_768 {
        secs as u16
    } else {
        (32_768 + (secs / 64).min(32_767)) as u16
    }
}

fn decode_interval(code: u16) -> f64 {
    if code < 32_768 {
        code as f64
    } else {
        (code as f64 - 32_768.0) * 64.0
    }
}

/// Sizes on a log scale: 1/7 of a binary order of magnitude (10 % steps, up to
/// 2^36 bytes); enough to tell consistent sizes from scattered ones.
fn encode_size(bytes: u64) -> u8 {
    ((bytes as f64 + 1.0).log2() * 7.0)
        .round()
        .min(u8::MAX as f64) as u8
}

fn decode_size(code: u8) -> f64 {
    (code as f64 / 7.0).exp2() - 1.0
}

impl PairState {
    fn push(&mut self, interval: u32, size: u64) {
        let slot = self.head as usize;
        self.intervals[slot] = encode_interval(interval);
        self.sizes[slot] = encode_size(size);
        self.head = ((slot + 1) % SAMPLES) as u8;
        self.len = (self.len + 1).min(SAMPLES as u8);
    }

    /// Intervals and sizes, oldest first.
    fn samples(&self) -> (Scratch, Scratch) {
        let len = self.len as usize;
        let start = (self.head as usize + SAMPLES - len) % SAMPLES;
        let mut intervals = Scratch::default();
        let mut sizes = Scratch::default();
        for i in 0..len {
            let slot = (start + i) % SAMPLES;
            intervals.push(decode_interval(self.intervals[slot]));
            sizes.push(decode_size(self.sizes[slot]));
        }
        (intervals, sizes)
    }
}

/// The scores behind one verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Regularity {
    /// 0..1, higher is more machine-like.
    pub score: f64,
    /// 1 - |Bowley skew| of the intervals.
    pub skew_score: f64,
    /// 1 - MAD/median of the intervals.
    pub dispersion_score: f64,
    /// Share of intervals a whole number of periods explains.
    pub period_fit: f64,
    /// 1 - MAD/median of the sizes.
    pub size_score: f64,
    /// Connections seen over the beats the period predicts in the span.
    pub coverage: f64,
    /// The period, seconds.
    pub period_s: f64,
    /// Intervals spanning missed beats.
    pub gaps: usize,
}

/// Scores intervals and sizes (oldest first); `span_s` is last minus first seen.
pub fn regularity(
    intervals: &[f64],
    sizes: &[f64],
    span_s: f64,
    connections: u32,
    jitter: f64,
) -> Option<Regularity> {
    let period = period_test(intervals, jitter)?;
    // Dispersion is judged on the intervals the period explains as one beat.
    let mut single = Scratch::default();
    single.extend(
        intervals
            .iter()
            .copied()
            .filter(|v| (v / period.period_s) < 1.5),
    );
    let mut sorted = if single.len() >= 3 {
        single
    } else {
        Scratch::from_slice(intervals)
    };
    let sorted = sorted.as_mut_slice();
    let mid = median(sorted)?;
    let skew_score = 1.0 - bowley_skew(sorted).abs();
    let (_, mad) = median_mad(sorted)?;
    let dispersion_score = (1.0 - mad / mid.max(1.0)).clamp(0.0, 1.0);
    let (size_mid, size_mad) = median_mad(sizes)?;
    let size_score = (1.0 - size_mad / size_mid.max(1.0)).clamp(0.0, 1.0);
    let expected = (span_s / period.period_s).floor() + 1.0;
    let coverage = (connections as f64 / expected.max(1.0)).min(1.0);
    let score = 0.2 * skew_score
        + 0.25 * dispersion_score
        + 0.3 * period.fit
        + 0.15 * size_score
        + 0.1 * coverage;
    Some(Regularity {
        score,
        skew_score,
        dispersion_score,
        period_fit: period.fit,
        size_score,
        coverage,
        period_s: period.period_s,
        gaps: period.gaps,
    })
}

/// The `cadence` detector.
pub struct CadenceDetector {
    config: CadenceConfig,
    networks: FastNetworks,
    stats: Stats,
    pairs: U64Map<PairState>,
    /// Distinct hosts seen per destination (prevalence), saturating.
    hosts_per_destination: U64Map<u16>,
    epoch: Option<i64>,
}

impl CadenceDetector {
    /// Builds the detector.
    pub fn new(config: CadenceConfig, networks: Networks, stats: Stats) -> Self {
        CadenceDetector {
            config,
            networks: FastNetworks::new(&networks),
            stats,
            pairs: U64Map::default(),
            hosts_per_destination: U64Map::default(),
            epoch: None,
        }
    }

    /// Pairs tracked now.
    pub fn tracked(&self) -> usize {
        self.pairs.len()
    }

    fn relative(&mut self, ts: Timestamp) -> u32 {
        let epoch = *self.epoch.get_or_insert(ts.secs());
        (ts.secs() - epoch).clamp(0, u32::MAX as i64) as u32
    }

    fn update(&mut self, transfer: &Transfer<'_>, out: &mut Vec<Signal>) {
        let now = self.relative(transfer.ts);
        let key = pair_key(transfer.host_key, transfer.dest_key);
        // One lookup of the (large, cache-cold) pair table per transfer.
        let hosts_per_destination = &mut self.hosts_per_destination;
        let state = self.pairs.entry(key).or_insert_with(|| {
            let hosts = hosts_per_destination.entry(transfer.dest_key).or_insert(0);
            *hosts = hosts.saturating_add(1);
            PairState {
                first_seen: now,
                last_seen: now,
                ..PairState::default()
            }
        });
        state.bytes_out = state.bytes_out.saturating_add(transfer.bytes_out);
        state.bytes_in = state.bytes_in.saturating_add(transfer.bytes_in);
        if state.connections > 0 {
            let interval = now.saturating_sub(state.last_seen);
            if interval < self.config.min_interval_s {
                // Same session (or an out-of-order record): not a new beat.
                state.last_seen = state.last_seen.max(now);
                return;
            }
            state.push(interval, transfer.bytes_out);
        }
        state.connections = state.connections.saturating_add(1);
        state.last_seen = state.last_seen.max(now);
        let due = state.connections >= self.config.min_connections
            && (state.connections == self.config.min_connections
                || state.connections.is_multiple_of(4))
            && (state.last_alert == 0
                || now.saturating_sub(state.last_alert) >= self.config.realert_hours * 3600)
            && now.saturating_sub(state.first_seen) <= self.config.established_days * 86_400;
        if !due {
            return;
        }
        let state = state.clone();
        if let Some(signal) = self.judge(&state, transfer) {
            if let Some(s) = self.pairs.get_mut(&key) {
                s.last_alert = now.max(1);
            }
            out.push(signal);
        }
    }

    fn judge(&self, state: &PairState, transfer: &Transfer<'_>) -> Option<Signal> {
        if (state.len as usize) + 1 < self.config.min_connections as usize {
            return None;
        }
        let mean_out = state.bytes_out as f64 / state.connections.max(1) as f64;
        if mean_out < self.config.min_mean_bytes_out as f64 {
            // A heartbeat or keep-alive: however regular, it carries no data.
            // (Checked first: it is cheaper than the regularity.)
            return None;
        }
        let (intervals, sizes) = state.samples();
        let intervals = intervals.as_slice();
        let span = (state.last_seen - state.first_seen) as f64;
        let r = regularity(
            intervals,
            sizes.as_slice(),
            span,
            state.connections,
            self.config.jitter,
        )?;
        if r.score < self.config.min_regularity {
            return None;
        }
        let upload_heavy = state.bytes_out > state.bytes_in;
        let mut score = 45.0
            + 35.0 * (r.score - self.config.min_regularity)
                / (1.0 - self.config.min_regularity).max(0.05);
        if upload_heavy {
            score += 10.0;
        } else {
            score -= 10.0;
        }
        let hosts_contacting = self
            .hosts_per_destination
            .get(&transfer.dest_key)
            .copied()
            .unwrap_or(1);
        let prevalent = self.config.prevalent_hosts > 0
            && u32::from(hosts_contacting) >= self.config.prevalent_hosts;
        if prevalent {
            // Mail clients, update agents and collaboration apps poll an
            // organisation-wide service from every host: routine, not a script.
            score -= self.config.prevalent_penalty;
        }
        let mut signal = new_signal(
            "cadence",
            "exfilguard.cadence.periodic",
            &format!(
                "Transfers every {} (regularity {:.2}), {} out each on average",
                human_interval(r.period_s),
                r.score,
                human_bytes(mean_out)
            ),
            transfer.ts,
            Stage::Exfiltration,
            &["T1020", "T1029"],
        );
        transfer.describe(&mut signal);
        signal.set_score(score.round().clamp(1.0, 100.0) as u8);
        signal.bytes_out = Some(state.bytes_out);
        signal.transfers = Some(state.connections as u64);
        let round2 = |v: f64| (v * 100.0).round() / 100.0;
        let e = &mut signal.evidence;
        e.insert(
            "intervals_s".into(),
            json!(
                intervals
                    .iter()
                    .map(|v| v.round() as u64)
                    .collect::<Vec<_>>()
            ),
        );
        e.insert("period_s".into(), json!(r.period_s.round()));
        e.insert("regularity".into(), json!(round2(r.score)));
        e.insert("skew_score".into(), json!(round2(r.skew_score)));
        e.insert("dispersion_score".into(), json!(round2(r.dispersion_score)));
        e.insert("period_fit".into(), json!(round2(r.period_fit)));
        e.insert("size_score".into(), json!(round2(r.size_score)));
        e.insert("coverage".into(), json!(round2(r.coverage)));
        e.insert("missed_beats".into(), r.gaps.into());
        e.insert("connections".into(), state.connections.into());
        e.insert("bytes_in".into(), state.bytes_in.into());
        e.insert("mean_bytes_out".into(), json!(mean_out.round()));
        e.insert("upload_heavy".into(), upload_heavy.into());
        e.insert("hosts_contacting".into(), hosts_contacting.into());
        if prevalent {
            e.insert(
                "prevalent_destination".into(),
                format!(
                    "{hosts_contacting} hosts contact this destination: an organisation-wide service, score lowered"
                )
                .into(),
            );
        }
        let first = Timestamp::from_secs(self.epoch.unwrap_or(0) + state.first_seen as i64);
        e.insert("first_seen".into(), first.to_rfc3339().into());
        signal.add_record(transfer.event.origin.as_ref());
        signal.assign_id();
        Some(signal)
    }
}

/// `30m`, `2h`, `45s`, `1d` for rule names.
pub fn human_interval(secs: f64) -> String {
    if secs >= 86_400.0 * 0.95 {
        format!("{:.1}d", secs / 86_400.0)
    } else if secs >= 3600.0 {
        format!("{:.1}h", secs / 3600.0)
    } else if secs >= 60.0 {
        format!("{:.0}m", secs / 60.0)
    } else {
        format!("{secs:.0}s")
    }
}

impl Detector for CadenceDetector {
    fn name(&self) -> &str {
        "cadence"
    }

    fn interests(&self) -> Interests {
        Interests::of(&[EventKind::Network, EventKind::Http])
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let transfer = Transfer::from_event(event, &self.networks);
        self.observe_with(event, transfer.as_ref(), out);
    }

    fn advance(&mut self, _watermark: Timestamp, _out: &mut Vec<Signal>) {
        if self.pairs.len() > self.config.max_pairs {
            let evicted = evict_coldest(&mut self.pairs, 0.1, |p| p.last_seen as i64);
            self.stats.add_evictions(evicted);
        }
        self.stats.set_tracked_pairs(self.pairs.len() as u64);
    }

    fn finish(&mut self, _out: &mut Vec<Signal>) {
        self.stats.set_tracked_pairs(self.pairs.len() as u64);
    }
}

/// Scope of the pairs in the state file.
const SCOPE_PAIRS: &str = "cadence.pairs";
/// Scope of the hosts seen per destination (prevalence).
const SCOPE_DESTINATIONS: &str = "cadence.destinations";
/// Scope of the detector's own state (the epoch of the pairs' times).
const SCOPE_DETECTOR: &str = "cadence.detector";

impl PairState {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(self.first_seen)
            .u32(self.last_seen)
            .u32(self.connections)
            .u32(self.last_alert)
            .u64(self.bytes_out)
            .u64(self.bytes_in)
            .u8(self.head)
            .u8(self.len);
        for i in 0..SAMPLES {
            w.u16(self.intervals[i]).u8(self.sizes[i]);
        }
        w.finish()
    }

    fn decode(data: &[u8]) -> Result<PairState, String> {
        let mut r = Reader::new(data)?;
        let mut p = PairState {
            first_seen: r.u32()?,
            last_seen: r.u32()?,
            connections: r.u32()?,
            last_alert: r.u32()?,
            bytes_out: r.u64()?,
            bytes_in: r.u64()?,
            head: r.u8()?,
            len: r.u8()?,
            ..PairState::default()
        };
        if p.head as usize >= SAMPLES || p.len as usize > SAMPLES {
            return Err(format!("sample ring at {} of {}", p.head, p.len));
        }
        for i in 0..SAMPLES {
            p.intervals[i] = r.u16()?;
            p.sizes[i] = r.u8()?;
        }
        r.end()?;
        Ok(p)
    }
}

impl Member for CadenceDetector {
    /// The pairs (intervals, sizes, totals, first seen and last alert), the hosts
    /// per destination and the epoch their times count from: a daily job's
    /// rhythm and a pair's age (`established_days`) span runs.
    fn load_state(&mut self, store: &store::Store) -> Result<(), store::StoreError> {
        store.each_blob(SCOPE_DETECTOR, |row| {
            let mut r = Reader::new(&row.data)?;
            let epoch = r.i64().and_then(|e| r.end().map(|_| e))?;
            self.epoch = Some(epoch);
            Ok(())
        })?;
        store.each_blob(SCOPE_PAIRS, |row| {
            let pair = PairState::decode(&row.data)?;
            self.pairs.insert(row.key, pair);
            Ok(())
        })?;
        store.each_blob(SCOPE_DESTINATIONS, |row| {
            let mut r = Reader::new(&row.data)?;
            let hosts = r.u16().and_then(|h| r.end().map(|_| h))?;
            self.hosts_per_destination.insert(row.key, hosts);
            Ok(())
        })?;
        self.stats.set_tracked_pairs(self.pairs.len() as u64);
        Ok(())
    }

    fn save_state(&self, snapshot: &mut store::Snapshot) {
        let Some(epoch) = self.epoch else {
            return;
        };
        let mut w = Writer::default();
        w.i64(epoch);
        snapshot.blobs(
            SCOPE_DETECTOR,
            vec![store::Blob {
                key: 0,
                last_seen: epoch,
                data: w.finish(),
            }],
        );
        let pairs = self
            .pairs
            .iter()
            .map(|(key, p)| store::Blob {
                key: *key,
                last_seen: epoch + p.last_seen as i64,
                data: p.encode(),
            })
            .collect();
        snapshot.blobs(SCOPE_PAIRS, pairs);
        let destinations = self
            .hosts_per_destination
            .iter()
            .map(|(key, hosts)| {
                let mut w = Writer::default();
                w.u16(*hosts);
                store::Blob {
                    key: *key,
                    last_seen: epoch,
                    data: w.finish(),
                }
            })
            .collect();
        snapshot.blobs(SCOPE_DESTINATIONS, destinations);
    }

    fn observe_with(
        &mut self,
        _event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        if let Some(transfer) = transfer {
            self.update(transfer, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_state_is_small() {
        assert!(std::mem::size_of::<PairState>() + 8 < 200);
        assert_eq!(std::mem::size_of::<PairState>(), 72);
    }

    #[test]
    fn a_pair_survives_its_encoding() {
        let mut p = PairState {
            first_seen: 5,
            last_seen: 900,
            connections: 14,
            last_alert: 800,
            bytes_out: 1 << 40,
            bytes_in: 7,
            ..PairState::default()
        };
        for i in 0..15 {
            p.push(1800 + i, 200_000 + i as u64);
        }
        let data = p.encode();
        let back = PairState::decode(&data).unwrap();
        assert_eq!(back.encode(), data);
        assert_eq!(back.samples().0.as_slice(), p.samples().0.as_slice());
        assert!(PairState::decode(&data[..10]).is_err());
    }

    #[test]
    fn codes_round_trip() {
        assert_eq!(decode_interval(encode_interval(1800)), 1800.0);
        let day = decode_interval(encode_interval(86_400));
        assert!((day - 86_400.0).abs() <= 64.0);
        let size = decode_size(encode_size(200_000));
        assert!((size - 200_000.0).abs() / 200_000.0 < 0.06);
    }

    #[test]
    fn jittered_beats_score_high_and_random_low() {
        let jittered = [
            1800.0, 1300.0, 2300.0, 1900.0, 1500.0, 2100.0, 1750.0, 1650.0, 2000.0,
        ];
        let sizes = [200_000.0; 9];
        let r = regularity(&jittered, &sizes, 16_300.0, 10, 0.3).unwrap();
        assert!(r.score >= 0.8, "{r:?}");
        let random = [17.0, 900.0, 41.0, 7000.0, 260.0, 3.0, 12000.0, 560.0, 80.0];
        let sizes = [1e3, 5e6, 2e4, 300.0, 8e5, 1e3, 4e4, 9e6, 12.0];
        let r = regularity(&random, &sizes, 20_000.0, 10, 0.3).unwrap();
        assert!(r.score < 0.7, "{r:?}");
    }
}
