//! The input and the driver shared by the `detectors` bench and the
//! `detectors_once` example (which callgrind runs for instruction counts).

use model::detector::Interests;
use model::{Config, Event, EventKind, Origin, Signal, Timestamp};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// The allocator of the `exfilguard` binary (mimalloc), so that the detectors
/// are measured as they run there: glibc's allocator returns each outgrown hash
/// table to the system and faults the next one in again.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sets mimalloc's purge delay as the `exfilguard` binary does (100 ms); call it
/// first thing.
pub fn allocator_as_in_the_binary() {
    // SAFETY: a process-wide allocator option, set before any other thread starts.
    unsafe { libmimalloc_sys::mi_option_set(15, 100) };
}

/// `n` conn records from 2,000 hosts to 5,000 destinations over about a day.
/// `regular_share` of them go to one of the host's 20 usual destinations (as real
/// hosts mostly do); the rest to any destination, which makes a new pair nearly
/// every time (the worst case for per-pair state).
pub fn conn_events(n: usize, regular_share: f64) -> Vec<Event> {
    let file: Arc<str> = "bench/conn.log".into();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let start = 1_793_577_600i64;
    (0..n)
        .map(|i| {
            let r = next();
            let host = (r % 2_000) as u32;
            let regular = ((r >> 48) % 1000) as f64 / 1000.0 < regular_share;
            let dest = if regular {
                (host * 7 + ((r >> 16) % 20) as u32) % 5_000
            } else {
                ((r >> 16) % 5_000) as u32
            };
            let mut e = Event {
                timestamp: Timestamp(start * 1_000_000 + i as i64 * 86_400_000_000 / n as i64),
                kind: EventKind::Network,
                dataset: Some("zeek.conn".into()),
                origin: Some(Origin {
                    file: file.clone(),
                    offset: i as u64 * 120,
                }),
                ..Event::default()
            };
            let net = e.network_mut();
            net.source_ip = Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | host)));
            net.destination_ip = Some(IpAddr::V4(Ipv4Addr::from(0x5db8_0000 | dest)));
            net.source_port = Some(40_000 + (r >> 40) as u16 % 20_000);
            net.destination_port = Some(if r & 7 == 0 { 80 } else { 443 });
            net.source_bytes = Some((r >> 24) % 40_000);
            net.destination_bytes = Some((r >> 32) % 400_000);
            net.transport = Some("tcp".into());
            net.protocol = Some("ssl".into());
            e
        })
        .collect()
}

/// Defaults, except that nothing waits for a learning day: the input covers one
/// day, and every signal path should run.
pub fn bench_config() -> Config {
    Config::from_toml(
        "[detectors.volume]\nlearning_days = 0\n[detectors.novelty]\nlearning_days = 0\n\
         [detectors.asymmetry]\nlearning_days = 0\n",
        std::path::Path::new("bench.toml"),
    )
    .expect("bench config")
}

/// Every detector of the bench config over `events`, fed as the engine's
/// pipeline feeds them: a routing table by event kind built once from each
/// detector's interests, `advance` each minute of event time, `finish` at the end.
/// Returns the signals.
#[inline(never)]
pub fn run_all(events: &[Event]) -> Vec<Signal> {
    let mut detectors = analytics::build_detectors(&bench_config()).expect("defaults");
    let interests: Vec<Interests> = detectors.iter().map(|d| d.interests()).collect();
    let routes = Interests::route_table(&interests);
    let mut out = Vec::new();
    let mut next_advance = i64::MIN;
    for event in events {
        let ts = event.timestamp.secs();
        if ts >= next_advance {
            for d in detectors.iter_mut() {
                d.advance(event.timestamp, &mut out);
            }
            next_advance = ts + 60;
        }
        for &i in &routes[event.kind as usize] {
            detectors[i].observe(event, &mut out);
        }
    }
    for d in detectors.iter_mut() {
        d.finish(&mut out);
    }
    out
}

/// CPU seconds this thread has used (utime + stime from /proc), when readable: the
/// per-core figure stays meaningful on a machine shared with other builds.
pub fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
