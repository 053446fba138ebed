//! The detection stage: routes each event to the detectors that want it, passes
//! every signal to the other detectors, and advances them on event time.

use model::detector::Interests;
use model::{Detector, Event, Signal, Timestamp};

/// How much event time passes between two `advance` calls (seconds).
const ADVANCE_EVERY_S: i64 = 60;

/// Runs a fixed set of detectors over an event stream in event-time order.
pub struct Pipeline {
    detectors: Vec<Box<dyn Detector>>,
    routes: Vec<Vec<usize>>,
    next_advance: Timestamp,
    alerts: Vec<Signal>,
    scratch: Vec<Signal>,
    events_seen: u64,
}

impl Pipeline {
    /// Builds the routing table from each detector's [`Interests`].
    pub fn new(detectors: Vec<Box<dyn Detector>>) -> Self {
        let interests: Vec<Interests> = detectors.iter().map(|d| d.interests()).collect();
        let routes = Interests::route_table(&interests);
        Pipeline {
            detectors,
            routes,
            next_advance: Timestamp::MIN,
            alerts: Vec::new(),
            scratch: Vec::new(),
            events_seen: 0,
        }
    }

    /// Names of the detectors, in order.
    pub fn detector_names(&self) -> Vec<String> {
        self.detectors
            .iter()
            .map(|d| d.name().to_string())
            .collect()
    }

    /// Number of events processed.
    pub fn events_seen(&self) -> u64 {
        self.events_seen
    }

    /// Feeds one event (events must come in event-time order).
    pub fn process(&mut self, event: &Event) {
        self.events_seen += 1;
        if event.timestamp >= self.next_advance {
            if self.next_advance != Timestamp::MIN {
                self.advance(event.timestamp);
            }
            self.next_advance = event.timestamp.plus_secs(ADVANCE_EVERY_S);
        }
        for r in 0..self.routes[event.kind as usize].len() {
            let i = self.routes[event.kind as usize][r];
            self.detectors[i].observe(event, &mut self.scratch);
            if !self.scratch.is_empty() {
                self.dispatch(i);
            }
        }
    }

    fn advance(&mut self, watermark: Timestamp) {
        for i in 0..self.detectors.len() {
            self.detectors[i].advance(watermark, &mut self.scratch);
            if !self.scratch.is_empty() {
                self.dispatch(i);
            }
        }
    }

    /// Moves the signals in `scratch` (raised by detector `from`) to the alerts and
    /// shows them to every other detector, cascading a bounded number of rounds.
    fn dispatch(&mut self, from: usize) {
        let detectors = &mut self.detectors;
        model::detector::relay_signals(
            detectors.len(),
            from,
            &mut self.scratch,
            &mut self.alerts,
            |member, signal, raised| detectors[member].observe_signal(signal, raised),
        );
    }

    /// Ends the stream: flushes every detector and returns all signals raised.
    pub fn finish(mut self) -> Vec<Signal> {
        for i in 0..self.detectors.len() {
            self.detectors[i].finish(&mut self.scratch);
            if !self.scratch.is_empty() {
                self.dispatch(i);
            }
        }
        self.alerts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::EventKind;

    struct CountProcesses {
        seen: usize,
        signals_seen: usize,
    }

    impl Detector for CountProcesses {
        fn name(&self) -> &str {
            "count"
        }
        fn interests(&self) -> Interests {
            Interests::of(&[EventKind::ProcessStart])
        }
        fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
            self.seen += 1;
            out.push(Signal {
                detector: "count".into(),
                timestamp: event.timestamp,
                ..Default::default()
            });
        }
        fn finish(&mut self, out: &mut Vec<Signal>) {
            out.push(Signal {
                detector: "count-finish".into(),
                evidence: [
                    ("seen".to_string(), self.seen.into()),
                    ("signals".to_string(), self.signals_seen.into()),
                ]
                .into_iter()
                .collect(),
                ..Default::default()
            });
        }
    }

    struct Echo;

    impl Detector for Echo {
        fn name(&self) -> &str {
            "echo"
        }
        fn interests(&self) -> Interests {
            Interests::NONE
        }
        fn observe(&mut self, _event: &Event, _out: &mut Vec<Signal>) {
            panic!("routing sent an event to a detector that wants none");
        }
        fn observe_signal(&mut self, signal: &Signal, out: &mut Vec<Signal>) {
            if signal.detector == "count" {
                out.push(Signal {
                    detector: "echo".into(),
                    ..Default::default()
                });
            }
        }
    }

    #[test]
    fn routes_by_kind_and_cascades_signals() {
        let mut pipeline = Pipeline::new(vec![
            Box::new(CountProcesses {
                seen: 0,
                signals_seen: 0,
            }),
            Box::new(Echo),
        ]);
        for (i, kind) in [
            EventKind::ProcessStart,
            EventKind::Network,
            EventKind::ProcessStart,
        ]
        .into_iter()
        .enumerate()
        {
            let event = Event {
                timestamp: Timestamp::from_secs(i as i64 * 100),
                kind,
                ..Default::default()
            };
            pipeline.process(&event);
        }
        let alerts = pipeline.finish();
        let count = |name: &str| alerts.iter().filter(|s| s.detector == name).count();
        assert_eq!(count("count"), 2);
        assert_eq!(count("echo"), 2);
        let finish = alerts
            .iter()
            .find(|s| s.detector == "count-finish")
            .unwrap();
        assert_eq!(finish.evidence["seen"], 2);
    }
}
