//! `volume`: outbound bytes per host (and per user) per hour and per 5 minutes,
//! against a robust baseline.
//!
//! Each entity keeps a ring of its last four weeks of hourly byte counts (672
//! `f32`, allocated on its first transfer). When an hour closes, its bytes are
//! compared with, in order of preference:
//! 1. the same hour-of-week in earlier weeks (median and MAD), once there are
//!    `hour_of_week_weeks` of them;
//! 2. the same hour-of-day on earlier days, once there are `hour_of_day_days`;
//! 3. an EWMA of every hour, once `ewma_min_hours` were seen;
//! 4. the peer group: every host's active hours at the same hour of day.
//!
//! The hour is flagged when it exceeds `max(median + k * 1.4826 * MAD,
//! ratio * median, min_bytes_hour)`. Consecutive flagged hours become a
//! sustained transfer; a 5-minute bucket far above the normal 5 minutes is a burst.

use crate::calendar::Calendar;
use crate::config::VolumeConfig;
use crate::flow::{FastNetworks, Transfer, human_bytes, new_signal};
use crate::keys::{U64Map, name_key};
use crate::persist::{Reader, Writer};
use crate::state::{Stats, evict_coldest};
use crate::stats::{Ewma, MAD_TO_SIGMA, median_mad};
use crate::suite::Member;
use model::detector::Interests;
use model::{Detector, Event, EventKind, Networks, Origin, Signal, Stage, Timestamp};
use serde_json::json;
use std::collections::VecDeque;
use std::net::IpAddr;

const HOUR: i64 = 3600;
const FIVE_MIN: i64 = 300;
const RING_HOURS: usize = 24 * 28;
const SERIES_POINTS: usize = 12;
const PEER_SAMPLES: usize = 256;
const ORIGINS_PER_HOUR: usize = 10;
/// Destinations with large hours remembered per entity.
const HABITS: usize = 8;

/// Destinations whose bytes are kept per open hour (for habits).
const HOUR_DESTINATIONS: usize = 16;

/// How many times an earlier day's largest hour to a destination a new hour or
/// burst to it may be and still count as the habit (see `Entity::habitual`).
const HABIT_GROWTH: u64 = 10;

/// How a baseline was obtained (said in the evidence).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Method {
    HourOfWeek,
    HourOfDay,
    Ewma,
    PeerGroup,
    None,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::HourOfWeek => "hour_of_week",
            Method::HourOfDay => "hour_of_day",
            Method::Ewma => "ewma",
            Method::PeerGroup => "peer_group",
            Method::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Baseline {
    median: f64,
    spread: f64,
    samples: usize,
    method: Method,
}

#[derive(Clone, Copy, Debug)]
struct SeriesPoint {
    hour_start: i64,
    bytes: f32,
    baseline: f32,
    upper: f32,
}

/// The largest transfer of the open hour, named on the signal.
#[derive(Clone, Debug, Default)]
struct TopDestination {
    /// When the largest transfer of the hour was seen (the alert's time).
    ts: i64,
    key: u64,
    ip: Option<IpAddr>,
    domain: Option<String>,
    port: Option<u16>,
    bytes: u64,
}

#[derive(Debug)]
struct Entity {
    host_name: Option<Box<str>>,
    host_ip: Option<IpAddr>,
    user: Option<Box<str>>,
    /// Start (seconds) of the open hour; `i64::MIN` when none is open.
    hour_start: i64,
    hour_bytes: u64,
    hour_transfers: u64,
    five_start: i64,
    five_bytes: u64,
    five_alerted: bool,
    /// Hour index (start / 3600) of the newest closed hour.
    newest_hour: i64,
    first_hour: i64,
    ring: Box<[f32]>,
    ewma: Ewma,
    flagged_run: u32,
    last_median: f64,
    series: VecDeque<SeriesPoint>,
    top: TopDestination,
    origins: Vec<Origin>,
    last_seen: i64,
    /// Large hours per destination: (destination key, day, bytes), newest last.
    habits: Vec<(u64, i64, u64)>,
    /// Bytes per destination in the open hour (at most [`HOUR_DESTINATIONS`],
    /// the smallest giving way), so every large destination of an hour becomes
    /// a habit, not only the one with the largest single transfer.
    hour_destinations: Vec<(u64, u64)>,
}

impl Entity {
    fn new(hour_index: i64) -> Self {
        Entity {
            host_name: None,
            host_ip: None,
            user: None,
            hour_start: i64::MIN,
            hour_bytes: 0,
            hour_transfers: 0,
            five_start: i64::MIN,
            five_bytes: 0,
            five_alerted: false,
            newest_hour: hour_index - 1,
            first_hour: hour_index,
            ring: vec![0.0; RING_HOURS].into_boxed_slice(),
            ewma: Ewma::default(),
            flagged_run: 0,
            last_median: 0.0,
            series: VecDeque::with_capacity(SERIES_POINTS),
            top: TopDestination::default(),
            origins: Vec::new(),
            last_seen: 0,
            habits: Vec::new(),
            hour_destinations: Vec::new(),
        }
    }

    /// Bytes of an earlier closed hour, when the ring still holds it.
    fn hour_value(&self, hour: i64) -> Option<f64> {
        if hour < self.first_hour
            || hour > self.newest_hour
            || self.newest_hour - hour >= RING_HOURS as i64
        {
            return None;
        }
        Some(self.ring[hour.rem_euclid(RING_HOURS as i64) as usize] as f64)
    }

    /// Whether this entity sent at least a tenth of `bytes` to the destination
    /// in one hour of an earlier day: a habit (a designer's daily upload to the
    /// print shop, whose size varies several-fold from day to day). An order of
    /// magnitude more than ever before to the same place is still news.
    fn habitual(&self, dest_key: u64, day: i64, bytes: u64) -> bool {
        self.habits
            .iter()
            .any(|(k, d, b)| *k == dest_key && *d < day && b.saturating_mul(HABIT_GROWTH) >= bytes)
    }

    /// Remembers a large hour to `dest_key`. The day kept is the *first* day the
    /// destination was large: a later large hour on the same day as a transfer
    /// being judged must not hide that the habit began on an earlier day.
    fn remember_habit(&mut self, dest_key: u64, day: i64, bytes: u64) {
        if let Some(h) = self.habits.iter_mut().find(|h| h.0 == dest_key) {
            h.1 = h.1.min(day);
            h.2 = h.2.max(bytes);
            return;
        }
        if self.habits.len() >= HABITS {
            self.habits.remove(0);
        }
        self.habits.push((dest_key, day, bytes));
    }

    /// The baseline an entity keeps between runs: names, the closed hours the ring
    /// holds, EWMA, run of flagged hours, series for the evidence and habits. The
    /// open hour is not kept: the end of input closed it.
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.opt_str(self.host_name.as_deref())
            .opt_ip(self.host_ip)
            .opt_str(self.user.as_deref())
            .i64(self.newest_hour)
            .i64(self.first_hour)
            .i64(self.last_seen);
        let oldest = self
            .first_hour
            .max(self.newest_hour - RING_HOURS as i64 + 1);
        let hours = (self.newest_hour - oldest + 1).max(0) as usize;
        w.u32(hours as u32);
        for hour in oldest..oldest + hours as i64 {
            w.f32(self.ring[hour.rem_euclid(RING_HOURS as i64) as usize]);
        }
        w.f64(self.ewma.mean)
            .f64(self.ewma.deviation)
            .u32(self.ewma.count)
            .u32(self.flagged_run)
            .f64(self.last_median);
        w.u32(self.series.len() as u32);
        for p in &self.series {
            w.i64(p.hour_start)
                .f32(p.bytes)
                .f32(p.baseline)
                .f32(p.upper);
        }
        w.u32(self.habits.len() as u32);
        for (dest, day, bytes) in &self.habits {
            w.u64(*dest).i64(*day).u64(*bytes);
        }
        w.finish()
    }

    fn decode(data: &[u8]) -> Result<Entity, String> {
        let mut r = Reader::new(data)?;
        let host_name = r.opt_str()?.map(Into::into);
        let host_ip = r.opt_ip()?;
        let user = r.opt_str()?.map(Into::into);
        let newest_hour = r.i64()?;
        let first_hour = r.i64()?;
        let last_seen = r.i64()?;
        let mut entity = Entity::new(first_hour);
        entity.host_name = host_name;
        entity.host_ip = host_ip;
        entity.user = user;
        entity.newest_hour = newest_hour;
        entity.last_seen = last_seen;
        let hours = r.count(RING_HOURS)?;
        let oldest = newest_hour - hours as i64 + 1;
        for hour in oldest..=newest_hour {
            entity.ring[hour.rem_euclid(RING_HOURS as i64) as usize] = r.f32()?;
        }
        entity.ewma = Ewma {
            mean: r.f64()?,
            deviation: r.f64()?,
            count: r.u32()?,
        };
        entity.flagged_run = r.u32()?;
        entity.last_median = r.f64()?;
        for _ in 0..r.count(SERIES_POINTS)? {
            entity.series.push_back(SeriesPoint {
                hour_start: r.i64()?,
                bytes: r.f32()?,
                baseline: r.f32()?,
                upper: r.f32()?,
            });
        }
        for _ in 0..r.count(HABITS)? {
            entity.habits.push((r.u64()?, r.i64()?, r.u64()?));
        }
        r.end()?;
        Ok(entity)
    }

    fn record_hour(&mut self, hour: i64, bytes: f64, alpha: f64) {
        // Hours with no transfer between the last closed hour and this one are zeros.
        let gap = (hour - self.newest_hour - 1).clamp(0, RING_HOURS as i64);
        for k in 0..gap {
            let h = hour - gap + k;
            self.ring[h.rem_euclid(RING_HOURS as i64) as usize] = 0.0;
            self.ewma.update(0.0, alpha);
        }
        self.ring[hour.rem_euclid(RING_HOURS as i64) as usize] = bytes as f32;
        self.ewma.update(bytes, alpha);
        self.newest_hour = self.newest_hour.max(hour);
    }
}

/// The `volume` detector.
pub struct VolumeDetector {
    config: VolumeConfig,
    calendar: Calendar,
    networks: FastNetworks,
    stats: Stats,
    entities: U64Map<Entity>,
    peers: Vec<VecDeque<f32>>,
    first_event: Option<i64>,
    closed_through_hour: i64,
    /// Peer baselines per hour of day, valid for one close round (`generation`).
    peer_cache: [Option<(u64, Baseline)>; 24],
    generation: u64,
}

impl VolumeDetector {
    /// Builds the detector.
    pub fn new(config: VolumeConfig, calendar: Calendar, networks: Networks, stats: Stats) -> Self {
        VolumeDetector {
            config,
            calendar,
            networks: FastNetworks::new(&networks),
            stats,
            entities: U64Map::default(),
            peers: vec![VecDeque::with_capacity(PEER_SAMPLES); 24],
            first_event: None,
            closed_through_hour: i64::MIN,
            peer_cache: [None; 24],
            generation: 0,
        }
    }

    /// Entities (hosts and users) tracked now.
    pub fn tracked(&self) -> usize {
        self.entities.len()
    }

    fn add(&mut self, key: u64, transfer: &Transfer<'_>, is_user: bool, out: &mut Vec<Signal>) {
        let ts = transfer.ts.secs();
        let hour_start = ts.div_euclid(HOUR) * HOUR;
        let mut closed = None;
        let entity = self
            .entities
            .entry(key)
            .or_insert_with(|| Entity::new(hour_start / HOUR));
        if entity.host_name.is_none() {
            entity.host_name = transfer.host_name.map(Into::into);
        }
        if is_user {
            entity.user = transfer.user.map(Into::into);
        }
        entity.host_ip = entity.host_ip.or(transfer.host_ip);
        entity.last_seen = entity.last_seen.max(ts);
        if entity.hour_start != i64::MIN && hour_start > entity.hour_start {
            closed = Some(key);
        }
        if let Some(key) = closed {
            self.close_hour(key, out);
        }
        let Some(entity) = self.entities.get_mut(&key) else {
            return;
        };
        if entity.hour_start == i64::MIN || hour_start > entity.hour_start {
            entity.hour_start = hour_start;
        }
        entity.hour_bytes = entity.hour_bytes.saturating_add(transfer.bytes_out);
        entity.hour_transfers += 1;
        let destinations = &mut entity.hour_destinations;
        if let Some(slot) = destinations
            .iter()
            .position(|(k, _)| *k == transfer.dest_key)
        {
            destinations[slot].1 = destinations[slot].1.saturating_add(transfer.bytes_out);
        } else if destinations.len() < HOUR_DESTINATIONS {
            destinations.push((transfer.dest_key, transfer.bytes_out));
        } else if let Some(smallest) = destinations.iter_mut().min_by_key(|(_, bytes)| *bytes)
            && smallest.1 < transfer.bytes_out
        {
            // A busy hour (mail, updates, CDNs): the smallest gives way, so a
            // large upload late in the hour still becomes a habit.
            *smallest = (transfer.dest_key, transfer.bytes_out);
        }
        if transfer.bytes_out > entity.top.bytes {
            entity.top = TopDestination {
                ts: transfer.ts.secs(),
                key: transfer.dest_key,
                ip: transfer.dest_ip,
                domain: transfer.dest_name.map(str::to_ascii_lowercase),
                port: transfer.port,
                bytes: transfer.bytes_out,
            };
        }
        if entity.origins.len() < ORIGINS_PER_HOUR
            && transfer.bytes_out >= 1_000_000
            && let Some(origin) = &transfer.event.origin
        {
            entity.origins.push(origin.clone());
        }
        let five = ts.div_euclid(FIVE_MIN) * FIVE_MIN;
        if five > entity.five_start {
            entity.five_start = five;
            entity.five_bytes = 0;
            entity.five_alerted = false;
        }
        entity.five_bytes = entity.five_bytes.saturating_add(transfer.bytes_out);
        let normal_five = (entity.last_median / 12.0).max(1_000_000.0);
        let learning = self
            .first_event
            .is_some_and(|first| ts - first < self.config.learning_days as i64 * 86_400);
        if !entity.five_alerted
            && !learning
            && entity.five_bytes >= self.config.burst_min_bytes
            && entity.five_bytes as f64 >= self.config.burst_ratio * normal_five
            && !entity.habitual(entity.top.key, ts.div_euclid(86_400), entity.five_bytes)
        {
            entity.five_alerted = true;
            let signal = self.burst_signal(key, transfer, normal_five);
            out.push(signal);
        }
    }

    fn learning(&self, ts: i64) -> bool {
        self.first_event
            .is_some_and(|first| ts - first < self.config.learning_days as i64 * 86_400)
    }

    fn burst_signal(&self, key: u64, transfer: &Transfer<'_>, normal_five: f64) -> Signal {
        let entity = &self.entities[&key];
        let ratio = entity.five_bytes as f64 / normal_five;
        let mut signal = new_signal(
            "volume",
            "exfilguard.volume.burst",
            &format!(
                "Outbound burst: {} in 5 minutes ({:.0} times normal)",
                human_bytes(entity.five_bytes as f64),
                ratio
            ),
            transfer.ts,
            Stage::Exfiltration,
            &["T1020", "T1030"],
        );
        transfer.describe(&mut signal);
        if entity.user.is_some() {
            signal.user_name = entity.user.as_deref().map(str::to_string);
        }
        let mut score = (35.0 + 6.0 * ratio.log2().max(0.0)).min(65.0);
        if entity.five_bytes >= 1_000_000_000 {
            score += 10.0;
        }
        signal.set_score(score.round().clamp(0.0, 100.0) as u8);
        signal.bytes_out = Some(entity.five_bytes);
        signal.evidence.insert("bucket_s".into(), FIVE_MIN.into());
        signal
            .evidence
            .insert("observed_bytes".into(), entity.five_bytes.into());
        signal
            .evidence
            .insert("baseline_bytes".into(), json!(normal_five.round()));
        signal
            .evidence
            .insert("ratio".into(), json!((ratio * 10.0).round() / 10.0));
        signal.evidence.insert(
            "times_normal".into(),
            format!("{ratio:.1} times normal").into(),
        );
        let open_hour = SeriesPoint {
            hour_start: entity.hour_start,
            bytes: entity.hour_bytes as f32,
            baseline: entity.last_median as f32,
            upper: entity.series.back().map(|p| p.upper).unwrap_or(0.0),
        };
        signal.evidence.insert(
            "series".into(),
            series_json(entity.series.iter().chain(std::iter::once(&open_hour))),
        );
        signal.add_record(transfer.event.origin.as_ref());
        signal.assign_id();
        signal
    }

    /// The peer group's baseline at an hour of day, computed once per close round.
    fn peer_baseline(&mut self, hod: usize) -> Baseline {
        if let Some((generation, base)) = self.peer_cache[hod]
            && generation == self.generation
        {
            return base;
        }
        let peers: Vec<f64> = self.peers[hod].iter().map(|v| *v as f64).collect();
        let base = if peers.len() >= 5 {
            robust(&peers, Method::PeerGroup)
        } else {
            Baseline {
                median: 0.0,
                spread: 0.0,
                samples: 0,
                method: Method::None,
            }
        };
        self.peer_cache[hod] = Some((self.generation, base));
        base
    }

    fn baseline(&self, entity: &Entity, hour: i64, peer: Baseline) -> Baseline {
        let collect = |step: i64, max: i64| -> Vec<f64> {
            (1..=max)
                .filter_map(|k| entity.hour_value(hour - k * step))
                .collect()
        };
        let week = collect(168, 3);
        if week.len() >= self.config.hour_of_week_weeks.max(1) {
            return robust(&week, Method::HourOfWeek);
        }
        let day = collect(24, 7);
        if day.len() >= self.config.hour_of_day_days.max(1) {
            return robust(&day, Method::HourOfDay);
        }
        if entity.ewma.count >= self.config.ewma_min_hours {
            return Baseline {
                median: entity.ewma.mean,
                spread: entity.ewma.deviation * 1.2533,
                samples: entity.ewma.count as usize,
                method: Method::Ewma,
            };
        }
        peer
    }

    fn close_hour(&mut self, key: u64, out: &mut Vec<Signal>) {
        let hour_start = match self.entities.get(&key) {
            Some(entity) if entity.hour_start != i64::MIN => entity.hour_start,
            _ => return,
        };
        let hod = self.calendar.hour_of_day(Timestamp::from_secs(hour_start));
        let peer = self.peer_baseline(hod);
        let Some(entity) = self.entities.get(&key) else {
            return;
        };
        let hour = hour_start / HOUR;
        let bytes = entity.hour_bytes as f64;
        let base = self.baseline(entity, hour, peer);
        let upper = (base.median + self.config.mad_factor * base.spread)
            .max(self.config.ratio * base.median)
            .max(self.config.min_bytes_hour as f64);
        let day = hour_start.div_euclid(86_400);
        let flagged = bytes > upper
            && !self.learning(hour_start)
            && !entity.habitual(entity.top.key, day, bytes as u64);
        let signal = flagged.then(|| self.hour_signal(entity, bytes, &base, upper));
        if bytes > 0.0 && entity.user.is_none() {
            let peers = &mut self.peers[hod];
            if peers.len() == PEER_SAMPLES {
                peers.pop_front();
            }
            peers.push_back(bytes as f32);
        }
        let alpha = self.config.ewma_alpha;
        let Some(entity) = self.entities.get_mut(&key) else {
            return;
        };
        entity.record_hour(hour, bytes, alpha);
        let large = self.config.min_bytes_hour;
        for (dest, dest_bytes) in std::mem::take(&mut entity.hour_destinations) {
            if dest_bytes >= large {
                entity.remember_habit(dest, day, dest_bytes);
            }
        }
        entity.last_median = base.median;
        if entity.series.len() == SERIES_POINTS {
            entity.series.pop_front();
        }
        entity.series.push_back(SeriesPoint {
            hour_start,
            bytes: bytes as f32,
            baseline: base.median as f32,
            upper: upper as f32,
        });
        entity.flagged_run = if flagged { entity.flagged_run + 1 } else { 0 };
        let run = entity.flagged_run;
        entity.hour_start = i64::MIN;
        entity.hour_bytes = 0;
        entity.hour_transfers = 0;
        entity.top = TopDestination::default();
        let origins = std::mem::take(&mut entity.origins);
        if let Some(mut signal) = signal {
            signal
                .evidence
                .insert("series".into(), series_json(entity.series.iter()));
            if run >= self.config.sustained_hours {
                signal.rule_id = "exfilguard.volume.sustained".into();
                signal.rule_name =
                    format!("Sustained outbound transfer: {run} hours in a row above baseline")
                        .into();
                signal.evidence.insert("hours_in_a_row".into(), run.into());
                signal.set_score(signal.score.saturating_add(10));
            }
            for origin in &origins {
                signal.add_record(Some(origin));
            }
            signal.assign_id();
            out.push(signal);
        }
    }

    fn hour_signal(&self, entity: &Entity, bytes: f64, base: &Baseline, upper: f64) -> Signal {
        // Stamped at the hour's largest transfer, not the hour's start: an alert
        // must not read as if data left before it did. The bucket is evidence.
        let ts = Timestamp::from_secs(entity.top.ts.max(entity.hour_start));
        let ratio = bytes / base.median.max(1.0);
        let name = if base.median >= 1.0 {
            format!(
                "Outbound volume {} in one hour, {:.1} times normal",
                human_bytes(bytes),
                ratio
            )
        } else {
            format!(
                "Outbound volume {} in one hour, where this entity usually sends nothing",
                human_bytes(bytes)
            )
        };
        let mut signal = new_signal(
            "volume",
            "exfilguard.volume.hour",
            &name,
            ts,
            Stage::Exfiltration,
            &["T1020", "T1030"],
        );
        signal.host_name = entity.host_name.as_deref().map(str::to_string);
        signal.host_ip = entity.host_ip;
        signal.user_name = entity.user.as_deref().map(str::to_string);
        signal.destination_ip = entity.top.ip;
        signal.destination_domain = entity.top.domain.clone();
        signal.destination_port = entity.top.port;
        signal.bytes_out = Some(bytes as u64);
        signal.transfers = Some(entity.hour_transfers);
        let mut score = 35.0 + 8.0 * (bytes / upper).log2().max(0.0);
        score = score.min(75.0);
        if bytes >= 1e9 {
            score += 10.0;
        }
        signal.set_score(score.round().clamp(0.0, 100.0) as u8);
        let e = &mut signal.evidence;
        e.insert("bucket_s".into(), HOUR.into());
        e.insert(
            "bucket_start".into(),
            Timestamp::from_secs(entity.hour_start).to_rfc3339().into(),
        );
        e.insert("observed_bytes".into(), (bytes as u64).into());
        e.insert("baseline_bytes".into(), json!(base.median.round()));
        e.insert("baseline_spread_bytes".into(), json!(base.spread.round()));
        e.insert("upper_bytes".into(), json!(upper.round()));
        e.insert("baseline_method".into(), base.method.as_str().into());
        e.insert("baseline_samples".into(), base.samples.into());
        if base.median >= 1.0 {
            e.insert("ratio".into(), json!((ratio * 10.0).round() / 10.0));
            e.insert(
                "times_normal".into(),
                format!("{ratio:.1} times normal").into(),
            );
        }
        e.insert("top_destination_bytes".into(), entity.top.bytes.into());
        signal
    }

    fn close_all_before(&mut self, watermark_s: i64, out: &mut Vec<Signal>) {
        let hour = watermark_s.div_euclid(HOUR);
        if hour <= self.closed_through_hour {
            return;
        }
        self.closed_through_hour = hour;
        self.generation += 1;
        let mut due: Vec<u64> = self
            .entities
            .iter()
            .filter(|(_, e)| e.hour_start != i64::MIN && e.hour_start + HOUR <= watermark_s)
            .map(|(k, _)| *k)
            .collect();
        due.sort_unstable();
        for key in due {
            self.close_hour(key, out);
        }
        if self.entities.len() > self.config.max_entities {
            let evicted = evict_coldest(&mut self.entities, 0.1, |e| e.last_seen);
            self.stats.add_evictions(evicted);
        }
    }
}

/// The `evidence.series` contract of the HTML report: hourly points around the finding.
fn series_json<'a>(points: impl Iterator<Item = &'a SeriesPoint>) -> serde_json::Value {
    points
        .map(|p| {
            json!({
                "t": Timestamp::from_secs(p.hour_start).to_rfc3339(),
                "bytes": p.bytes.round() as u64,
                "baseline": p.baseline.round() as u64,
                "upper": p.upper.round() as u64,
            })
        })
        .collect::<Vec<_>>()
        .into()
}

fn robust(values: &[f64], method: Method) -> Baseline {
    let (median, mad) = median_mad(values).unwrap_or((0.0, 0.0));
    Baseline {
        median,
        spread: mad * MAD_TO_SIGMA,
        samples: values.len(),
        method,
    }
}

impl Detector for VolumeDetector {
    fn name(&self) -> &str {
        "volume"
    }

    fn interests(&self) -> Interests {
        Interests::of(&[EventKind::Network, EventKind::Http])
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let transfer = Transfer::from_event(event, &self.networks);
        self.observe_with(event, transfer.as_ref(), out);
    }

    fn advance(&mut self, watermark: Timestamp, out: &mut Vec<Signal>) {
        self.close_all_before(watermark.secs(), out);
    }

    fn finish(&mut self, out: &mut Vec<Signal>) {
        self.close_all_before(i64::MAX / 2, out);
    }
}

/// Scope of the per-entity baselines in the state file.
const SCOPE_ENTITIES: &str = "volume.entities";
/// Scope of the detector's own state (start of the data, peer group).
const SCOPE_DETECTOR: &str = "volume.detector";

impl VolumeDetector {
    fn encode_detector(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self.first_event {
            Some(first) => w.u8(1).i64(first),
            None => w.u8(0),
        };
        for peers in &self.peers {
            w.u32(peers.len() as u32);
            for v in peers {
                w.f32(*v);
            }
        }
        w.finish()
    }

    fn decode_detector(&mut self, data: &[u8]) -> Result<(), String> {
        let mut r = Reader::new(data)?;
        self.first_event = match r.u8()? {
            0 => None,
            _ => Some(r.i64()?),
        };
        for hod in 0..24 {
            let n = r.count(PEER_SAMPLES)?;
            let mut peers = VecDeque::with_capacity(PEER_SAMPLES);
            for _ in 0..n {
                peers.push_back(r.f32()?);
            }
            self.peers[hod] = peers;
        }
        r.end()
    }
}

impl Member for VolumeDetector {
    /// Every entity's baseline (hourly ring, EWMA, series, habits) and the peer
    /// group, so that hour-of-week and hour-of-day baselines span runs.
    fn load_state(&mut self, store: &store::Store) -> Result<(), store::StoreError> {
        store.each_blob(SCOPE_DETECTOR, |row| {
            self.decode_detector(&row.data)?;
            Ok(())
        })?;
        store.each_blob(SCOPE_ENTITIES, |row| {
            let entity = Entity::decode(&row.data)?;
            self.entities.insert(row.key, entity);
            Ok(())
        })?;
        Ok(())
    }

    fn save_state(&self, snapshot: &mut store::Snapshot) {
        let entities = self
            .entities
            .iter()
            .map(|(key, e)| store::Blob {
                key: *key,
                last_seen: e.last_seen,
                data: e.encode(),
            })
            .collect();
        snapshot.blobs(SCOPE_ENTITIES, entities);
        snapshot.blobs(
            SCOPE_DETECTOR,
            vec![store::Blob {
                key: 0,
                last_seen: self.first_event.unwrap_or(0),
                data: self.encode_detector(),
            }],
        );
    }

    fn observe_with(
        &mut self,
        _event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        let Some(transfer) = transfer else {
            return;
        };
        if transfer.bytes_out == 0 {
            return;
        }
        self.first_event.get_or_insert(transfer.ts.secs());
        self.add(transfer.host_key, transfer, false, out);
        if self.config.per_user
            && let Some(user) = transfer.user
        {
            self.add(name_key(user) ^ 0x7573_6572, transfer, true, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entity_survives_its_encoding() {
        let mut e = Entity::new(1000);
        e.host_name = Some("ws-07".into());
        e.host_ip = "10.0.1.7".parse().ok();
        e.last_seen = 3_600_500;
        for hour in 1000..1000 + 700 {
            e.record_hour(hour, (hour % 24) as f64 * 1e6, 0.1);
        }
        e.flagged_run = 2;
        e.last_median = 5e6;
        e.series.push_back(SeriesPoint {
            hour_start: 3_600_000,
            bytes: 1.0,
            baseline: 2.0,
            upper: 3.0,
        });
        e.remember_habit(42, 11, 30_000_000);
        let data = e.encode();
        let back = Entity::decode(&data).unwrap();
        assert_eq!(back.encode(), data);
        assert_eq!(back.hour_value(1699), e.hour_value(1699));
        assert_eq!(back.hour_value(1699), Some(19e6));
        assert_eq!(back.hour_value(1000), None, "older than the ring");
        assert_eq!(back.ewma, e.ewma);
        assert!(back.habitual(42, 12, 100_000_000));
        assert!(Entity::decode(&data[..data.len() - 1]).is_err());
    }
}
