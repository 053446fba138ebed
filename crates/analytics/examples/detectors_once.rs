//! Runs every detector once over the `detectors` bench's input, for a stable
//! yardstick: `valgrind --tool=callgrind --toggle-collect='*run_all*'` counts the
//! instructions of the detectors alone (the input is built outside `run_all`).
//!
//! `cargo run --release -p analytics --example detectors_once -- usual|distinct [N]`

#[path = "../benches/support/mod.rs"]
mod support;

fn main() {
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
    let events = support::conn_events(n, regular_share);
    let start = std::time::Instant::now();
    let signals = support::run_all(std::hint::black_box(&events));
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{mix}: {n} events, {signals} signals, {:.0} events/s wall",
        n as f64 / elapsed
    );
}
