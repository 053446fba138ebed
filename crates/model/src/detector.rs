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
}
