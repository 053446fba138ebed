//! A small deterministic generator of labelled traffic for the analytics tests:
//! background hosts browsing known destinations in business hours, plus whatever a
//! scenario injects, run through every detector in event-time order.
#![allow(dead_code)]

use model::{Config, Event, EventKind, Origin, Signal, Timestamp};
use std::net::IpAddr;
use std::sync::Arc;

/// Monday 2026-11-02 00:00 UTC.
pub const START: i64 = 1_793_577_600;
pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;

/// xorshift64*: deterministic and dependency-free.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo).max(1) as u64) as i64
    }
}

/// Events of one scenario.
#[derive(Default)]
pub struct Traffic {
    pub events: Vec<Event>,
    file: Option<Arc<str>>,
}

impl Traffic {
    pub fn new() -> Self {
        Traffic {
            events: Vec::new(),
            file: Some("generated/conn.log".into()),
        }
    }

    fn origin(&self) -> Option<Origin> {
        Some(Origin {
            file: self.file.clone().unwrap_or_else(|| "generated".into()),
            offset: self.events.len() as u64 * 100,
        })
    }

    /// A Zeek-style connection record.
    #[allow(clippy::too_many_arguments)]
    pub fn conn(
        &mut self,
        ts: i64,
        src: &str,
        dst: &str,
        port: u16,
        out: u64,
        inn: u64,
        domain: Option<&str>,
    ) {
        let mut e = Event {
            timestamp: Timestamp::from_secs(ts),
            kind: EventKind::Network,
            dataset: Some("zeek.conn".into()),
            origin: self.origin(),
            ..Event::default()
        };
        let n = e.network_mut();
        n.source_ip = Some(src.parse().unwrap());
        n.destination_ip = Some(dst.parse().unwrap());
        n.destination_port = Some(port);
        n.source_bytes = Some(out);
        n.destination_bytes = Some(inn);
        n.transport = Some("tcp".into());
        n.protocol = Some(if port == 443 { "ssl" } else { "-" }.into());
        n.destination_domain = domain.map(str::to_string);
        self.events.push(e);
    }

    /// A DNS query record.
    pub fn dns(&mut self, ts: i64, src: &str, name: &str, qtype: &str, rcode: &str) {
        let mut e = Event {
            timestamp: Timestamp::from_secs(ts),
            kind: EventKind::Dns,
            dataset: Some("zeek.dns".into()),
            origin: self.origin(),
            ..Event::default()
        };
        let n = e.network_mut();
        n.source_ip = Some(src.parse().unwrap());
        n.destination_ip = Some("10.0.0.2".parse().unwrap());
        n.destination_port = Some(53);
        let d = e.dns_mut();
        d.question_name = Some(name.into());
        d.question_type = Some(qtype.into());
        d.response_code = Some(rcode.into());
        self.events.push(e);
    }

    /// A process start on a named host.
    pub fn process(&mut self, ts: i64, host: &str, ip: &str, image: &str, cmd: &str, parent: &str) {
        let mut e = Event {
            timestamp: Timestamp::from_secs(ts),
            kind: EventKind::ProcessStart,
            host_name: Some(host.into()),
            host_ip: Some(ip.parse().unwrap()),
            user_name: Some("alice".into()),
            origin: self.origin(),
            ..Event::default()
        };
        let p = e.process_mut();
        p.executable = Some(image.into());
        p.command_line = Some(cmd.into());
        p.parent_executable = Some(parent.into());
        self.events.push(e);
    }

    /// Background: `hosts` workstations (10.0.1.x) browsing 40 known sites in
    /// business hours (Mon-Fri 08-18 UTC) for `days` days.
    pub fn background(&mut self, rng: &mut Rng, hosts: u32, days: i64) {
        for day in 0..days {
            if (day % 7) >= 5 {
                continue;
            }
            for h in 0..hosts {
                let src = format!("10.0.1.{}", 10 + h);
                for _ in 0..rng.range(30, 60) {
                    let ts = START + day * DAY + 8 * HOUR + rng.range(0, 10 * HOUR);
                    let site = rng.range(0, 40);
                    let dst = format!("93.184.{}.{}", 200 + site / 10, 10 + site);
                    let domain = format!("site{site}.example.com");
                    let out = rng.range(500, 60_000) as u64;
                    let inn = rng.range(5_000, 3_000_000) as u64;
                    self.conn(ts, &src, &dst, 443, out, inn, Some(&domain));
                }
            }
        }
    }

    /// As [`Traffic::run`], but every detector separately, each computing its own
    /// transfer view and seeing the others' signals the way the engine's pipeline
    /// shows them: what the analytics found before they ran as one suite.
    pub fn run_separately(mut self, config: &Config) -> Vec<Signal> {
        self.events.sort_by_key(|e| e.timestamp);
        let (mut detectors, _) = analytics::build_members(config).expect("config is valid");
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let mut next_advance = i64::MIN;
        let relay = |from: usize,
                     scratch: &mut Vec<Signal>,
                     detectors: &mut Vec<Box<dyn analytics::Member>>,
                     out: &mut Vec<Signal>| {
            for signal in std::mem::take(scratch) {
                for (j, d) in detectors.iter_mut().enumerate() {
                    if j != from {
                        d.observe_signal(&signal, &mut Vec::new());
                    }
                }
                out.push(signal);
            }
        };
        for event in &self.events {
            let ts = event.timestamp.secs();
            if ts >= next_advance {
                for i in 0..detectors.len() {
                    detectors[i].advance(event.timestamp, &mut scratch);
                    relay(i, &mut scratch, &mut detectors, &mut out);
                }
                next_advance = ts + 60;
            }
            for i in 0..detectors.len() {
                if detectors[i].interests().contains(event.kind) {
                    detectors[i].observe(event, &mut scratch);
                    relay(i, &mut scratch, &mut detectors, &mut out);
                }
            }
        }
        for i in 0..detectors.len() {
            detectors[i].advance(Timestamp::MAX, &mut scratch);
            detectors[i].finish(&mut scratch);
            relay(i, &mut scratch, &mut detectors, &mut out);
        }
        out
    }

    /// Runs every detector of `config` over the events in time order (advancing each
    /// minute of event time) and returns the signals.
    pub fn run(mut self, config: &Config) -> Vec<Signal> {
        self.events.sort_by_key(|e| e.timestamp);
        let mut detectors = analytics::build_detectors(config).expect("config is valid");
        let mut out = Vec::new();
        let mut next_advance = i64::MIN;
        for event in &self.events {
            let ts = event.timestamp.secs();
            if ts >= next_advance {
                for d in detectors.iter_mut() {
                    d.advance(event.timestamp, &mut out);
                }
                next_advance = ts + 60;
            }
            for d in detectors.iter_mut() {
                if d.interests().contains(event.kind) {
                    d.observe(event, &mut out);
                }
            }
        }
        for d in detectors.iter_mut() {
            d.advance(Timestamp::MAX, &mut out);
            d.finish(&mut out);
        }
        out
    }
}

/// Signals about a destination IP.
pub fn about<'a>(signals: &'a [Signal], dst: &str) -> Vec<&'a Signal> {
    let ip: IpAddr = dst.parse().unwrap();
    signals
        .iter()
        .filter(|s| s.destination_ip == Some(ip))
        .collect()
}

/// Compact listing for assertion messages.
pub fn listing(signals: &[&Signal]) -> String {
    signals
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {} {:?}\n",
                s.timestamp, s.detector, s.score, s.rule_name, s.destination_ip
            )
        })
        .collect()
}
