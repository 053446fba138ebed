//! Observer throughput on synthetic Zeek-like flows: `cargo bench -p correlate`.
//!
//! 2,000 internal hosts, each with about 200 usual external destinations and a 2 %
//! tail spread over 20,000 others (hosts of a real network talk to hundreds of
//! destinations a day, not to all of them), event time advancing, a process event
//! every 50 flows; prints events per second.

use correlate::Observer;
use model::event::Origin;
use model::{Event, EventKind, Networks, Timestamp};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

const EVENTS: u64 = 4_000_000;

fn events() -> Vec<Event> {
    let file: Arc<str> = Arc::from("conn.log");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..EVENTS)
        .map(|i| {
            let r = next();
            let host = (r % 2000) as u32;
            let dest = if (r >> 40) % 50 == 0 {
                ((r >> 16) % 20_000) as u32
            } else {
                (host * 7 + ((r >> 16) % 200) as u32) % 20_000
            };
            let mut event = Event {
                timestamp: Timestamp::from_secs(1_795_400_000 + (i / 50) as i64),
                origin: Some(Origin {
                    file: file.clone(),
                    offset: i * 120,
                }),
                ..Default::default()
            };
            if i % 50 == 0 {
                event.kind = EventKind::ProcessStart;
                event.host_name = Some(format!("ws{host}"));
                event.user_name = Some(format!("user{host}"));
            } else {
                event.kind = EventKind::Network;
                let net = event.network_mut();
                net.source_ip = Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | host)));
                net.destination_ip = Some(IpAddr::V4(Ipv4Addr::from(0x5db8_0000 | dest)));
                net.destination_port = Some(443);
                net.source_bytes = Some(r % 100_000);
            }
            event
        })
        .collect()
}

/// CPU seconds used by this process so far (Linux `/proc/self/stat`, 100 Hz
/// ticks), so the figure holds on a shared, busy machine; `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() {
    let events = events();
    for round in 0..3 {
        let mut observer = Observer::new(Networks::default());
        let start = Instant::now();
        let cpu_start = cpu_seconds();
        for event in &events {
            observer.observe(event);
        }
        let observations = observer.finish();
        let secs = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds().zip(cpu_start).map(|(b, a)| b - a);
        println!(
            "round {round}: {} events in {secs:.3} s wall = {:.2} M events/s; {} ({} observed)",
            events.len(),
            events.len() as f64 / secs / 1e6,
            match cpu {
                Some(cpu) if cpu > 0.0 => format!(
                    "{cpu:.2} s CPU = {:.2} M events per CPU-second",
                    events.len() as f64 / cpu / 1e6
                ),
                _ => "CPU time not available".to_string(),
            },
            observations.events()
        );
    }
}
