//! `novelty`: data sent to a destination with no prior communication history.
//!
//! Destinations are judged by registered domain (`files.evil.example` counts as
//! `evil.example`) or by IP when no name is known. The first `learning_days` of
//! data only learn. After that, a destination first seen for the organisation, or
//! first seen for this host and used by at most `rare_hosts` hosts, is followed for
//! `window_hours`; once `min_bytes` went to it, a signal says so (low-and-slow
//! uploads add up). Memory: one 8-byte key per (host, destination) pair seen and
//! 32 bytes per destination.
//!
//! With a state file (`[detectors] state`, or the older `[detectors.novelty]
//! state`), the first-seen sets and the start of the data are loaded from and saved
//! to it through the suite (the `store` crate), so history spans runs: a second
//! run does not learn again and knows what the first run saw.

use crate::config::NoveltyConfig;
use crate::flow::{FastNetworks, Transfer, human_bytes, new_signal};
use crate::keys::{U64Map, U64Set, pair_key};
use crate::state::{Stats, evict_coldest};
use crate::suite::Member;
use model::detector::Interests;
use model::{Detector, Event, EventKind, Networks, Signal, Stage, Timestamp};
use serde_json::json;

#[derive(Clone, Copy, Debug)]
struct Destination {
    first_seen: i64,
    last_seen: i64,
    hosts: u32,
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    first_seen: i64,
    bytes: u64,
    transfers: u32,
    new_to_org: bool,
    alerted: bool,
}

/// The `novelty` detector.
pub struct NoveltyDetector {
    config: NoveltyConfig,
    networks: FastNetworks,
    stats: Stats,
    destinations: U64Map<Destination>,
    pairs: U64Set,
    pending: U64Map<Pending>,
    first_event: Option<i64>,
    last_sweep_hour: i64,
    last_ts: i64,
}

const SCOPE_DESTINATIONS: &str = "novelty.destinations";
const SCOPE_PAIRS: &str = "novelty.pairs";
const FACT_FIRST_EVENT: &str = "novelty.first_event";

impl NoveltyDetector {
    /// Builds the detector.
    pub fn new(config: NoveltyConfig, networks: Networks, stats: Stats) -> Self {
        NoveltyDetector {
            config,
            networks: FastNetworks::new(&networks),
            stats,
            destinations: U64Map::default(),
            pairs: U64Set::default(),
            pending: U64Map::default(),
            first_event: None,
            last_sweep_hour: i64::MIN,
            last_ts: i64::MIN,
        }
    }

    fn learning(&self, ts: i64) -> bool {
        self.first_event
            .is_none_or(|first| ts - first < self.config.learning_days as i64 * 86_400)
    }

    fn update(&mut self, t: &Transfer<'_>, out: &mut Vec<Signal>) {
        let ts = t.ts.secs();
        self.first_event.get_or_insert(ts);
        self.last_ts = self.last_ts.max(ts);
        let learning = self.learning(ts);
        let pair = pair_key(t.host_key, t.registered_key);
        let mut new_to_org = false;
        let dest = self
            .destinations
            .entry(t.registered_key)
            .or_insert_with(|| {
                new_to_org = true;
                Destination {
                    first_seen: ts,
                    last_seen: ts,
                    hosts: 0,
                }
            });
        dest.last_seen = dest.last_seen.max(ts);
        let new_to_host = self.pairs.insert(pair);
        if new_to_host {
            dest.hosts = dest.hosts.saturating_add(1);
        }
        let hosts = dest.hosts;
        let org_first_seen = dest.first_seen;
        if new_to_host && !learning && (new_to_org || hosts <= self.config.rare_hosts) {
            self.pending.insert(
                pair,
                Pending {
                    first_seen: ts,
                    bytes: 0,
                    transfers: 0,
                    new_to_org,
                    alerted: false,
                },
            );
        }
        let Some(p) = self.pending.get_mut(&pair) else {
            return;
        };
        if p.alerted || ts - p.first_seen > self.config.window_hours as i64 * 3600 {
            return;
        }
        p.bytes = p.bytes.saturating_add(t.bytes_out);
        p.transfers += 1;
        if p.bytes < self.config.min_bytes {
            return;
        }
        p.alerted = true;
        let p = *p;
        out.push(self.signal(t, &p, hosts, org_first_seen));
    }

    fn signal(&self, t: &Transfer<'_>, p: &Pending, hosts: u32, org_first_seen: i64) -> Signal {
        let name = t.registered_name();
        let (rule_id, title, base) = if p.new_to_org {
            (
                "exfilguard.novelty.new_destination",
                format!(
                    "{} sent to {name}, a destination with no prior communication history",
                    human_bytes(p.bytes as f64)
                ),
                60.0,
            )
        } else {
            (
                "exfilguard.novelty.rare_destination",
                format!(
                    "{} sent to {name}, new for this host and used by {hosts} host(s)",
                    human_bytes(p.bytes as f64)
                ),
                40.0,
            )
        };
        let mut signal = new_signal(
            "novelty",
            rule_id,
            &title,
            t.ts,
            Stage::Exfiltration,
            &["T1020", "T1041"],
        );
        t.describe(&mut signal);
        let size_bonus =
            ((p.bytes as f64 / self.config.min_bytes.max(1) as f64).log2() * 3.0).clamp(0.0, 20.0);
        signal.set_score((base + size_bonus).round() as u8);
        signal.bytes_out = Some(p.bytes);
        signal.transfers = Some(p.transfers as u64);
        let e = &mut signal.evidence;
        e.insert("registered_domain".into(), name.into());
        e.insert("new_to_organisation".into(), p.new_to_org.into());
        e.insert("hosts_using_destination".into(), hosts.into());
        e.insert(
            "first_seen_host".into(),
            Timestamp::from_secs(p.first_seen).to_rfc3339().into(),
        );
        e.insert(
            "first_seen_organisation".into(),
            Timestamp::from_secs(org_first_seen).to_rfc3339().into(),
        );
        e.insert(
            "history_days".into(),
            json!((t.ts.secs() - self.first_event.unwrap_or(0)) / 86_400),
        );
        e.insert("bytes_since_first_contact".into(), p.bytes.into());
        signal.add_record(t.event.origin.as_ref());
        signal.assign_id();
        signal
    }

    fn sweep(&mut self, now: i64) {
        let hour = now.div_euclid(3600);
        if hour <= self.last_sweep_hour {
            return;
        }
        self.last_sweep_hour = hour;
        let window = self.config.window_hours as i64 * 3600;
        self.pending.retain(|_, p| now - p.first_seen <= window);
        if self.destinations.len() > self.config.max_destinations {
            let evicted = evict_coldest(&mut self.destinations, 0.1, |d| d.last_seen);
            self.stats.add_evictions(evicted);
        }
    }
}

impl Detector for NoveltyDetector {
    fn name(&self) -> &str {
        "novelty"
    }

    fn interests(&self) -> Interests {
        Interests::of(&[EventKind::Network, EventKind::Http])
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let transfer = Transfer::from_event(event, &self.networks);
        self.observe_with(event, transfer.as_ref(), out);
    }

    fn advance(&mut self, watermark: Timestamp, _out: &mut Vec<Signal>) {
        if watermark != Timestamp::MAX {
            self.sweep(watermark.secs());
        }
    }
}

impl Member for NoveltyDetector {
    /// The first-seen sets and the start of the data.
    fn load_state(&mut self, store: &store::Store) -> Result<(), store::StoreError> {
        for row in store.load_seen(SCOPE_DESTINATIONS)? {
            self.destinations.insert(
                row.key,
                Destination {
                    first_seen: row.first_seen,
                    last_seen: row.last_seen,
                    hosts: row.count,
                },
            );
        }
        for row in store.load_seen(SCOPE_PAIRS)? {
            self.pairs.insert(row.key);
        }
        self.first_event = store.fact(FACT_FIRST_EVENT)?;
        Ok(())
    }

    fn save_state(&self, snapshot: &mut store::Snapshot) {
        let destinations: Vec<store::Seen> = self
            .destinations
            .iter()
            .map(|(key, d)| store::Seen {
                key: *key,
                first_seen: d.first_seen,
                last_seen: d.last_seen,
                count: d.hosts,
            })
            .collect();
        snapshot.seen(SCOPE_DESTINATIONS, destinations);
        let last = self.last_ts;
        let pairs: Vec<store::Seen> = self
            .pairs
            .iter()
            .map(|key| store::Seen {
                key: *key,
                first_seen: last,
                last_seen: last,
                count: 0,
            })
            .collect();
        snapshot.seen(SCOPE_PAIRS, pairs);
        if let Some(first) = self.first_event {
            snapshot.fact(FACT_FIRST_EVENT, first);
        }
    }

    fn observe_with(
        &mut self,
        _event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        if let Some(t) = transfer {
            self.update(t, out);
        }
    }
}
