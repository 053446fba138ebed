//! The seam between the engine and the detectors.

use crate::event::{Event, EventKind};
use crate::signal::Signal;
use crate::time::Timestamp;

/// A set of [`EventKind`]s a detector wants to see; the engine routes by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interests(u32);

impl Interests {
    /// Every kind.
    pub const ALL: Interests = Interests(u32::MAX);
    /// No kind (detectors that only read signals).
    pub const NONE: Interests = Interests(0);

    /// Exactly these kinds.
    pub fn of(kinds: &[EventKind]) -> Self {
        Interests(kinds.iter().fold(0, |acc, k| acc | (1 << (*k as u32))))
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: EventKind) -> bool {
        self.0 & (1 << (kind as u32)) != 0
    }

    /// The kinds of either set.
    pub fn union(self, other: Interests) -> Interests {
        Interests(self.0 | other.0)
    }

    /// For each event kind (indexed by `kind as usize`), the indices of the
    /// sets in `sets` that contain it, in order: the table by which a pipeline
    /// hands an event only to the detectors that want its kind.
    pub fn route_table(sets: &[Interests]) -> Vec<Vec<usize>> {
        EventKind::ALL
            .iter()
            .map(|&kind| {
                (0..sets.len())
                    .filter(|&i| sets[i].contains(kind))
                    .collect()
            })
            .collect()
    }
}

/// How many rounds a signal may cascade (a detector reacting to another's
/// signal, and so on) before it is no longer passed on.
pub const MAX_SIGNAL_ROUNDS: usize = 3;

/// Moves the signals in `raised` (raised by member `from` of `members`) to
/// `out`, showing each first to every other member through `show(member,
/// signal, raised)` (a [`Detector::observe_signal`]), and what those raise in
/// turn, for at most [`MAX_SIGNAL_ROUNDS`] rounds. The engine's pipeline and
/// the analytics suite pass signals between their detectors this way.
pub fn relay_signals(
    members: usize,
    from: usize,
    raised: &mut Vec<Signal>,
    out: &mut Vec<Signal>,
    mut show: impl FnMut(usize, &Signal, &mut Vec<Signal>),
) {
    if members <= 1 {
        // Nobody else to show them to (a Sigma-only hunt): one move.
        out.append(raised);
        return;
    }
    let mut wave: Vec<(usize, Signal)> = raised.drain(..).map(|s| (from, s)).collect();
    for _ in 0..MAX_SIGNAL_ROUNDS {
        if wave.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for (origin, signal) in &wave {
            for member in (0..members).filter(|m| m != origin) {
                show(member, signal, raised);
                next.extend(raised.drain(..).map(|s| (member, s)));
            }
        }
        out.extend(wave.into_iter().map(|(_, s)| s));
        wave = next;
    }
    out.extend(wave.into_iter().map(|(_, s)| s));
}

/// A detector: a Sigma rule set or a behavioural analytic.
///
/// Only [`Detector::observe`] is required. Events arrive in event-time order (within
/// the engine's reorder window); state must advance on event time. Signals are pushed
/// into the caller's buffer so that no allocation is needed when nothing is found.
pub trait Detector: Send {
    /// Short name used as the alert's `detector` (e.g. `volume`).
    fn name(&self) -> &str;

    /// Reads one event; pushes any findings.
    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>);

    /// The event kinds this detector reads; others are never passed to `observe`.
    fn interests(&self) -> Interests {
        Interests::ALL
    }

    /// Reads a signal raised by another detector (e.g. a Sigma alert for staging).
    fn observe_signal(&mut self, _signal: &Signal, _out: &mut Vec<Signal>) {}

    /// Event time has reached `watermark`: close windows that end before it.
    fn advance(&mut self, _watermark: Timestamp, _out: &mut Vec<Signal>) {}

    /// End of input: flush every open window.
    fn finish(&mut self, _out: &mut Vec<Signal>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interests_route() {
        let only_net = Interests::of(&[EventKind::Network, EventKind::Dns]);
        assert!(only_net.contains(EventKind::Dns));
        assert!(!only_net.contains(EventKind::ProcessStart));
        assert!(Interests::ALL.contains(EventKind::Other));
        assert!(!Interests::NONE.contains(EventKind::Other));
    }

    #[test]
    fn route_table_lists_the_sets_of_each_kind_in_order() {
        let sets = [
            Interests::of(&[EventKind::ProcessStart]),
            Interests::ALL,
            Interests::NONE,
            Interests::of(&[EventKind::Network, EventKind::ProcessStart]),
        ];
        let table = Interests::route_table(&sets);
        assert_eq!(table.len(), EventKind::ALL.len());
        assert_eq!(table[EventKind::ProcessStart as usize], vec![0, 1, 3]);
        assert_eq!(table[EventKind::Network as usize], vec![1, 3]);
        assert_eq!(table[EventKind::Cloud as usize], vec![1]);
        for (index, kind) in EventKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, index);
        }
        let union = sets[0].union(sets[3]);
        assert!(union.contains(EventKind::Network) && !union.contains(EventKind::Dns));
    }
}
