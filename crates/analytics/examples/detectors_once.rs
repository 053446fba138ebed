//! Runs every detector once over the `detectors` bench's input, for a stable
//! yardstick: `valgrind --tool=callgrind --toggle-collect='*run_all*'` counts the
//! instructions of the detectors alone (the input is built outside `run_all`).
//!
//! `cargo run --release -p analytics --example detectors_once -- usual|distinct [N] [ROUNDS]`
//!
//! With several rounds it also prints events per CPU-second of each round (this
//! thread's user + system time, as the bench reports it).

#[path = "../benches/support/mod.rs"]
mod support;

fn main() {
    support::allocator_as_in_the_binary();
    let mut args = std::env::args().skip(1);
    let mix = args.next().unwrap_or_else(|| "usual".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500_000);
    let regular_share = match mix.as_str() {
        "usual" => 0.8,
        "distinct" => 0.0,
        other => {
            eprintln!("unknown mix {other}: use usual or distinct");
            std::process::exit(2);
        }
    };
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let events = support::conn_events(n, regular_share);
    for round in 1..rounds {
        let cpu = support::thread_cpu_s();
        let start = std::time::Instant::now();
        let found = support::run_all(std::hint::black_box(&events)).len();
        let wall = start.elapsed().as_secs_f64();
        let cpu = support::thread_cpu_s()
            .zip(cpu)
            .map(|(after, before)| after - before)
            .unwrap_or(f64::NAN);
        println!(
            "{mix} round {round}: {found} signals, {:.0} events per CPU-second, {:.0} events/s wall",
            n as f64 / cpu.max(0.01),
            n as f64 / wall
        );
    }
    let start = std::time::Instant::now();
    let signals = support::run_all(std::hint::black_box(&events));
    let elapsed = start.elapsed().as_secs_f64();
    // A digest of what was found, so that a change meant to be faster only can be
    // checked to find exactly the same (ids hash the rule, entities and records).
    let mut ids: Vec<String> = signals
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {} {}",
                s.id,
                s.rule_id,
                s.score,
                s.timestamp.secs(),
                serde_json::Value::Object(s.evidence.clone())
            )
        })
        .collect();
    ids.sort();
    let mut digest = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&ids, &mut digest);
    println!(
        "{mix}: {n} events, {} signals (digest {:016x}), {:.0} events/s wall",
        signals.len(),
        std::hash::Hasher::finish(&digest),
        n as f64 / elapsed
    );
}
