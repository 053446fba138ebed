//! Throughput of every behavioural detector together over synthetic Zeek conn
//! events (events built up front; the bench measures the detectors only).
//!
//! `cargo bench -p analytics --bench detectors`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use model::{Config, Event, Timestamp};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

mod support;
use support::{conn_events, run_all, thread_cpu_s};

fn measure(c: &mut Criterion, name: &str, events: &[Event]) {
    if let Some(before) = thread_cpu_s() {
        let rounds = 3;
        for _ in 0..rounds {
            black_box(run_all(events).len());
        }
        if let Some(after) = thread_cpu_s() {
            let per_s = (rounds * events.len()) as f64 / (after - before).max(0.01);
            println!(
                "analytics/{name}: {per_s:.0} events per CPU-second ({rounds} rounds of {} events)",
                events.len()
            );
        }
    }
    let mut group = c.benchmark_group("analytics");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function(name, |b| {
        b.iter(|| black_box(run_all(black_box(events)).len()))
    });
    group.finish();
}

/// Resident memory of the process, bytes (Linux), once mimalloc has given back
/// what was freed (the tables a growing map outgrew; it keeps them 100 ms).
fn rss_bytes() -> Option<u64> {
    // SAFETY: asks the allocator to return freed memory; no pointers involved.
    unsafe { libmimalloc_sys::mi_collect(true) };
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Memory per tracked (host, destination) pair of the cadence detector: feeds
/// `pairs` distinct pairs through one reused event and divides the growth of RSS.
fn cadence_memory_per_pair(pairs: u32) {
    let config = Config::from_toml(
        &format!("[detectors.cadence]\nmax_pairs = {}\n", pairs as usize * 2),
        std::path::Path::new("bench.toml"),
    )
    .expect("config");
    let (mut suite, stats) = analytics::build_suite(&config).expect("defaults");
    let cadence = suite.member_mut("cadence").expect("cadence on");
    let mut event = conn_events(1, 0.0).pop().expect("one event");
    let mut out = Vec::new();
    let Some(before) = rss_bytes() else { return };
    for i in 0..pairs {
        let net = event.network_mut();
        net.source_ip = Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i % 4_096))));
        net.destination_ip = Some(IpAddr::V4(Ipv4Addr::from(0x5db8_0000 + i / 4_096)));
        event.timestamp = Timestamp(event.timestamp.0 + 1_000);
        cadence.observe(&event, &mut out);
    }
    cadence.advance(event.timestamp, &mut out);
    let Some(after) = rss_bytes() else { return };
    println!(
        "analytics/cadence_memory: {} pairs tracked, {:.0} bytes per pair (RSS growth)",
        stats.tracked_pairs(),
        (after.saturating_sub(before)) as f64 / pairs as f64
    );
    drop(suite);
}

fn bench(c: &mut Criterion) {
    support::allocator_as_in_the_binary();
    cadence_memory_per_pair(2_000_000);
    measure(c, "all_detectors_zeek_conn", &conn_events(500_000, 0.8));
    measure(
        c,
        "all_detectors_distinct_pairs",
        &conn_events(500_000, 0.0),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
