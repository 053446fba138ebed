//! `asymmetry`: sessions that send far more than they receive (uploads), from flow
//! and proxy logs. One signal per (host, destination) per `realert_hours`; a pair
//! that had upload-heavy sessions on `routine_days` earlier days is routine (a
//! nightly backup) and is not raised.

use crate::config::AsymmetryConfig;
use crate::flow::{FastNetworks, Transfer, human_bytes, new_signal};
use crate::keys::pair_key;
use crate::routine::Routine;
use crate::suite::Member;
use model::detector::Interests;
use model::{Detector, Event, EventKind, Networks, Signal, Stage};
use serde_json::json;

const MAX_PAIRS: usize = 200_000;

/// Techniques for a transfer by its port: web services or an alternative protocol.
pub fn transfer_techniques(port: Option<u16>) -> &'static [&'static str] {
    match port {
        Some(80 | 443 | 8080 | 8443) => &["T1020", "T1567"],
        _ => &["T1020", "T1048"],
    }
}

/// The `asymmetry` detector.
pub struct AsymmetryDetector {
    config: AsymmetryConfig,
    networks: FastNetworks,
    routine: Routine,
    first_event: Option<i64>,
}

impl AsymmetryDetector {
    /// Builds the detector.
    pub fn new(config: AsymmetryConfig, networks: Networks) -> Self {
        AsymmetryDetector {
            config,
            networks: FastNetworks::new(&networks),
            routine: Routine::new(MAX_PAIRS),
            first_event: None,
        }
    }
}

impl Detector for AsymmetryDetector {
    fn name(&self) -> &str {
        "asymmetry"
    }

    fn interests(&self) -> Interests {
        Interests::of(&[EventKind::Network, EventKind::Http])
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let transfer = Transfer::from_event(event, &self.networks);
        self.observe_with(event, transfer.as_ref(), out);
    }
}

impl Member for AsymmetryDetector {
    /// The days each pair had upload-heavy sessions, and the start of the data
    /// (the learning day is the first day of all runs, not of each).
    fn load_state(&mut self, store: &store::Store) -> Result<(), store::StoreError> {
        self.routine.load(store, "asymmetry.routine")?;
        if let Some(first) = store.fact("asymmetry.first_event")? {
            self.first_event = Some(first);
        }
        Ok(())
    }

    fn save_state(&self, snapshot: &mut store::Snapshot) {
        self.routine.save(snapshot, "asymmetry.routine");
        if let Some(first) = self.first_event {
            snapshot.fact("asymmetry.first_event", first);
        }
    }

    fn observe_with(
        &mut self,
        event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        let Some(t) = transfer else {
            return;
        };
        if t.bytes_out < self.config.min_bytes_out {
            return;
        }
        let ratio = t.bytes_out as f64 / t.bytes_in.max(1) as f64;
        if ratio < self.config.min_ratio {
            return;
        }
        let key = pair_key(t.host_key, t.dest_key);
        let now = t.ts.secs();
        let days_before = self.routine.observe(key, now);
        let first = *self.first_event.get_or_insert(now);
        if now - first < self.config.learning_days as i64 * 86_400
            || days_before as u32 >= self.config.routine_days
            || !self
                .routine
                .should_alert(key, now, self.config.realert_hours as i64 * 3600)
        {
            return;
        }
        let mut signal = new_signal(
            "asymmetry",
            "exfilguard.asymmetry.upload",
            &format!(
                "Upload-heavy session: {} out, {} in",
                human_bytes(t.bytes_out as f64),
                human_bytes(t.bytes_in as f64)
            ),
            t.ts,
            Stage::Exfiltration,
            transfer_techniques(t.port),
        );
        t.describe(&mut signal);
        let score = 40.0
            + 2.5 * (ratio / self.config.min_ratio).log2().min(4.0)
            + 2.5
                * (t.bytes_out as f64 / self.config.min_bytes_out as f64)
                    .log2()
                    .min(4.0);
        signal.set_score(score.round().clamp(0.0, 100.0) as u8);
        signal.bytes_out = Some(t.bytes_out);
        signal.transfers = Some(1);
        signal.evidence.insert("bytes_in".into(), t.bytes_in.into());
        signal
            .evidence
            .insert("out_in_ratio".into(), json!((ratio * 10.0).round() / 10.0));
        if let Some(d) = t.event.network.as_deref().and_then(|n| n.duration_s) {
            signal.evidence.insert("duration_s".into(), json!(d));
        }
        signal
            .evidence
            .insert("earlier_days_with_uploads".into(), days_before.into());
        signal.add_record(event.origin.as_ref());
        signal.assign_id();
        out.push(signal);
    }
}
