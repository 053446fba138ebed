//! The analytics as one stage: every enabled detector behind one
//! [`model::Detector`], so that the work they share is done once per event.
//!
//! Each transfer detector needs the same outbound view of a flow ([`Transfer`]:
//! direction test, host and destination keys, bytes). Computed by each of them it
//! cost about 350 instructions a detector per Zeek conn record, more than most of
//! the detectors' own work. The suite computes it once and lends it to every
//! member ([`Member::observe_with`]), routes each event kind only to the members
//! that want it, and shows a member's signals to the other members, as the
//! engine's pipeline did when they were separate detectors.
//!
//! With a state file (`[detectors] state`) the suite also loads every member's
//! saved state when it is built ([`Member::load_state`]) and, at the end of input,
//! after every member finished, saves what each of them keeps
//! ([`Member::save_state`]) in one transaction.

use crate::flow::{FastNetworks, Transfer, is_transfer_kind};
use model::detector::Interests;
use model::{Detector, Event, Signal, Timestamp};

/// A detector that can take the event's transfer view from the suite.
pub trait Member: Detector {
    /// As [`Detector::observe`], with `transfer` the outbound view of `event`
    /// (`None` when the event is not an outbound transfer). The default ignores it.
    fn observe_with(
        &mut self,
        event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        let _ = transfer;
        self.observe(event, out);
    }

    /// Takes over the state an earlier run saved in `store` (nothing by default).
    fn load_state(&mut self, store: &store::Store) -> Result<(), store::StoreError> {
        let _ = store;
        Ok(())
    }

    /// Adds what this detector keeps between runs to `snapshot` (nothing by
    /// default). Called once, after [`Detector::finish`].
    fn save_state(&self, snapshot: &mut store::Snapshot) {
        let _ = snapshot;
    }
}

/// The state file of a run and its bound.
struct StateFile {
    store: store::Store,
    max_rows: usize,
}

/// Every enabled behavioural detector, fed as one.
pub struct Suite {
    members: Vec<Box<dyn Member>>,
    names: Vec<String>,
    routes: Vec<Vec<usize>>,
    interests: Interests,
    networks: FastNetworks,
    scratch: Vec<Signal>,
    state: Option<StateFile>,
    stats: crate::Stats,
}

impl Suite {
    /// A suite of `members` judging direction with `networks`; `stats` receives
    /// the warnings of saving state.
    pub fn new(
        members: Vec<Box<dyn Member>>,
        networks: &model::Networks,
        stats: crate::Stats,
    ) -> Self {
        let interests: Vec<Interests> = members.iter().map(|m| m.interests()).collect();
        Suite {
            names: members.iter().map(|m| m.name().to_string()).collect(),
            members,
            routes: Interests::route_table(&interests),
            interests: interests
                .iter()
                .fold(Interests::NONE, |all, &one| all.union(one)),
            networks: FastNetworks::new(networks),
            scratch: Vec::new(),
            state: None,
            stats,
        }
    }

    /// Loads every member's state from `store` and saves it there at the end of
    /// input, at most `max_rows` rows per scope (the coldest dropped).
    pub fn attach_state(
        &mut self,
        store: store::Store,
        max_rows: usize,
    ) -> Result<(), store::StoreError> {
        for member in &mut self.members {
            member.load_state(&store)?;
        }
        self.state = Some(StateFile { store, max_rows });
        Ok(())
    }

    /// Saves every member's state in one transaction. A failure is a warning in
    /// the run's [`crate::Stats`]: the findings of the run stand.
    fn save_state(&mut self) {
        let Some(state) = self.state.as_mut() else {
            return;
        };
        let mut snapshot = store::Snapshot::default();
        for member in &self.members {
            member.save_state(&mut snapshot);
        }
        match state.store.save(&snapshot, state.max_rows) {
            Ok(report) if report.dropped > 0 => self.stats.warn(format!(
                "state file {}: {} coldest rows dropped to stay within detectors.state_max_rows = {}",
                state.store.path().display(),
                report.dropped,
                state.max_rows
            )),
            Ok(_) => {}
            Err(e) => self
                .stats
                .warn(format!("analytics state not saved: {e}")),
        }
    }

    /// Names of the members, in the order they see each event.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The member called `name`, when enabled (tests, benches).
    pub fn member_mut(&mut self, name: &str) -> Option<&mut dyn Member> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(self.members[i].as_mut())
    }

    /// Moves the signals member `from` raised into `out`, showing each to the other
    /// members first (a bounded number of rounds, as the engine's pipeline does).
    fn relay(&mut self, from: usize, out: &mut Vec<Signal>) {
        let members = &mut self.members;
        model::detector::relay_signals(
            members.len(),
            from,
            &mut self.scratch,
            out,
            |member, signal, raised| members[member].observe_signal(signal, raised),
        );
    }
}

impl Detector for Suite {
    fn name(&self) -> &str {
        "analytics"
    }

    fn interests(&self) -> Interests {
        self.interests
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let kind = event.kind as usize;
        let transfer = if is_transfer_kind(event.kind) {
            Transfer::from_event(event, &self.networks)
        } else {
            None
        };
        for r in 0..self.routes[kind].len() {
            let i = self.routes[kind][r];
            self.members[i].observe_with(event, transfer.as_ref(), &mut self.scratch);
            if !self.scratch.is_empty() {
                self.relay(i, out);
            }
        }
    }

    fn observe_signal(&mut self, signal: &Signal, out: &mut Vec<Signal>) {
        for i in 0..self.members.len() {
            self.members[i].observe_signal(signal, &mut self.scratch);
            if !self.scratch.is_empty() {
                self.relay(i, out);
            }
        }
    }

    fn advance(&mut self, watermark: Timestamp, out: &mut Vec<Signal>) {
        for i in 0..self.members.len() {
            self.members[i].advance(watermark, &mut self.scratch);
            if !self.scratch.is_empty() {
                self.relay(i, out);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<Signal>) {
        for i in 0..self.members.len() {
            self.members[i].finish(&mut self.scratch);
            if !self.scratch.is_empty() {
                self.relay(i, out);
            }
        }
        self.save_state();
    }
}
