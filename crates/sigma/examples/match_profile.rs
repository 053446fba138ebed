//! Where matching time goes: all SigmaHQ rules over the EVTX corpus (shared
//! data), timed per route (logsource and event id), with the rules each route
//! evaluates per event after the prefilter. For profiling (`perf record`,
//! `valgrind --tool=callgrind`): the events are parsed first, then matched
//! `PASSES` times (default 5) with a fresh scratch each pass.
//!
//! `cargo run --release -p sigma --example match_profile [SHARED_DATA]`
//!
//! Knobs (environment): `PASSES=n`; `HOT=1` (each event read just before it
//! is matched, matching alone timed; also in batches of `BATCH=n` events,
//! default 64, under one clock reading each); `ROUTES=1` (time per route, with
//! `HOT=1` also hot); `RULES=1` and `RULECOST=1` (per rule); `ONLY=text`
//! (only the routes whose name holds it); `SIZES=1` (text per route);
//! `CHECK=1` (same answers as evaluating every routed rule); `COLD=0` (no
//! cold passes: with `HOT=1`, a sampling profile of hot matching); `MEMO=1`
//! (answers for repeated events remembered); `WINDOWS=1` (only SigmaHQ's
//! `rules/windows` tree, not every tree).

#[path = "../benches/support/mod.rs"]
mod support;

use model::{Event, Sym};
use sigma::SigmaOptions;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let passes: usize = std::env::var("PASSES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5);
    let options = SigmaOptions {
        // MEMO=1: answers for repeated events remembered (`[sigma]
        // remember_answers = true`).
        remember_answers: std::env::var_os("MEMO").is_some(),
        ..SigmaOptions::default()
    };
    // WINDOWS=1: the Windows rule tree alone (`rules/windows`), as the
    // peers' hunts load it; by default every SigmaHQ tree.
    let (set, _) = if std::env::var_os("WINDOWS").is_some() {
        support::load_trees(&dir, &[support::SIGMAHQ_WINDOWS_TREE], options)
    } else {
        support::load_rules(&dir, options)
    };
    let matcher = set.matcher();
    let (mut events, _) = support::load_events(&dir);
    if let Ok(only) = std::env::var("ONLY") {
        // Keep the events of routes whose name contains ONLY (`security 5447`).
        events.retain(|e| route_name(e).contains(&only));
    }
    if std::env::var_os("SIZES").is_some() {
        print_sizes(&events);
    }
    let mut hits = Vec::new();
    // Warm the shared prefilters.
    let mut scratch = matcher.scratch();
    for event in &events {
        hits.clear();
        matcher.match_event(event, &mut scratch, &mut hits);
    }
    if std::env::var_os("CHECK").is_some() {
        // Same answer as evaluating every routed rule, on every event.
        let mut scratch = matcher.scratch();
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        let mut disagreements = 0;
        for event in &events {
            fast.clear();
            slow.clear();
            matcher.match_event(event, &mut scratch, &mut fast);
            matcher.match_event_exhaustive(event, &mut slow);
            disagreements += usize::from(fast != slow);
        }
        println!(
            "prefilter vs exhaustive: {disagreements} disagreements on {} events",
            events.len()
        );
    }
    let started = Instant::now();
    let cpu_started = support::thread_cpu_seconds().unwrap_or(0.0);
    let mut routes: HashMap<String, (usize, usize, usize, f64)> = HashMap::new();
    let detail = std::env::var_os("ROUTES").is_some();
    let mut scratch_totals = (0, 0);
    // RULES=1: per rule, how often the prefilter let it through and it matched.
    let per_rule = std::env::var_os("RULES").is_some();
    let mut rule_counts: HashMap<u32, (usize, usize)> = HashMap::new();
    // RULECOST=1 (with RULES=1): also the time each evaluated rule's
    // conditions take on the event, alone.
    let rule_cost = std::env::var_os("RULECOST").is_some();
    let mut rule_secs: HashMap<u32, f64> = HashMap::new();
    // COLD=0: no cold passes (events read from the whole corpus, larger
    // than the cache), so that a sampling profiler (`perf record`) of a
    // `HOT=1` run sees the hot passes alone.
    let cold_passes = match std::env::var("COLD").as_deref() {
        Ok("0") => 0,
        _ => passes,
    };
    measured_passes(cold_passes, &mut || {
        let mut scratch = matcher.scratch();
        for event in &events {
            hits.clear();
            let t = detail.then(Instant::now);
            matcher.match_event(event, &mut scratch, &mut hits);
            if per_rule {
                let evaluated = scratch.last_evaluated().to_vec();
                for rule in evaluated {
                    let entry = rule_counts.entry(rule).or_default();
                    entry.0 += 1;
                    entry.1 += usize::from(hits.contains(&rule));
                    if rule_cost {
                        // As the matcher evaluates it: with the prefilter's
                        // findings for this event (in `scratch`).
                        let t = Instant::now();
                        for _ in 0..16 {
                            std::hint::black_box(matcher.eval_candidate(rule, event, &mut scratch));
                        }
                        *rule_secs.entry(rule).or_default() += t.elapsed().as_secs_f64() / 16.0;
                    }
                }
            }
            if let Some(t) = t {
                let entry = routes.entry(route_name(event)).or_default();
                entry.0 += 1;
                entry.1 += scratch.evaluated();
                entry.2 += hits.len();
                entry.3 += t.elapsed().as_secs_f64();
            }
        }
        let (hits, misses) = scratch.remembered();
        scratch_totals.0 += hits;
        scratch_totals.1 += hits + misses;
    });
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = support::thread_cpu_seconds().unwrap_or(0.0) - cpu_started;
    let (remembered, looked_up) = scratch_totals;
    println!(
        "{} events x {cold_passes} cold passes: {:.0} events per CPU-second ({:.0} per wall second); {remembered} of {looked_up} answers remembered",
        events.len(),
        (events.len() * cold_passes) as f64 / cpu.max(1e-9),
        (events.len() * cold_passes) as f64 / elapsed
    );
    if std::env::var_os("HOT").is_some() {
        // HOT=1: each event is read once (cloned) just before it is matched,
        // as the hunt does (it matches an event right after parsing it), and
        // only the matching is timed: the figure without the cache misses of
        // fetching a cold event from a corpus larger than the cache. Each
        // pass has a fresh scratch, as the measured passes do: one kept
        // across passes would find every value and answer of the pass
        // before in its caches, which distinct events never give.
        let mut matching = 0.0;
        let mut hot_routes: HashMap<String, (usize, f64)> = HashMap::new();
        for _ in 0..passes {
            let mut scratch = matcher.scratch();
            for event in &events {
                let copy = std::hint::black_box(event.clone());
                hits.clear();
                let t = Instant::now();
                hot_match(matcher, event, &mut scratch, &mut hits);
                let took = t.elapsed().as_secs_f64();
                matching += took;
                if detail {
                    let entry = hot_routes.entry(route_name(event)).or_default();
                    entry.0 += 1;
                    entry.1 += took;
                }
                drop(copy);
            }
        }
        // What timing one event itself costs (the end of one clock read
        // and the start of the next fall inside each interval): measured on
        // empty intervals, and shown taken out as a second figure.
        let calibration = 1 << 20;
        let mut empty = 0.0;
        for _ in 0..calibration {
            let t = Instant::now();
            empty += std::hint::black_box(t).elapsed().as_secs_f64();
        }
        let per_interval = empty / calibration as f64;
        let n = (events.len() * passes) as f64;
        println!(
            "hot events: {:.0} events per matching second ({:.0} without the {:.0} ns an event of timing itself)",
            n / matching,
            n / (matching - per_interval * n).max(1e-9),
            per_interval * 1e9
        );
        // The same in batches: BATCH events are read (cloned) together,
        // then matched under one clock reading, so no per-event timing is
        // in the figure (the batch's events are in the core's caches, as
        // events just parsed are).
        let batch: usize = std::env::var("BATCH")
            .ok()
            .and_then(|b| b.parse().ok())
            .unwrap_or(64);
        let mut batch_secs = 0.0;
        let mut copies: Vec<Event> = Vec::with_capacity(batch);
        for _ in 0..passes {
            let mut scratch = matcher.scratch();
            for chunk in events.chunks(batch.max(1)) {
                copies.clear();
                copies.extend(chunk.iter().cloned());
                let t = Instant::now();
                for event in &copies {
                    hits.clear();
                    hot_match(matcher, event, &mut scratch, &mut hits);
                }
                batch_secs += t.elapsed().as_secs_f64();
            }
        }
        println!(
            "hot events in batches of {batch}: {:.0} events per matching second",
            n / batch_secs
        );
        let mut rows: Vec<_> = hot_routes.into_iter().collect();
        rows.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
        for (name, (n, secs)) in rows.into_iter().take(20) {
            println!(
                "   hot {:>5.1}% {n:>7} events {:>6.2} us/event  {name}",
                100.0 * secs / matching,
                1e6 * secs / n as f64
            );
        }
    }
    // The automata and tables the routes seen have built (prefilter bytes).
    println!("{:?}", matcher.stats());
    let mut counts: Vec<_> = rule_counts.into_iter().collect();
    if rule_cost {
        let total: f64 = rule_secs.values().sum();
        println!("evaluating alone: {:.3} s in all", total);
        counts.sort_by(|a, b| rule_secs[&b.0].total_cmp(&rule_secs[&a.0]));
    } else {
        counts.sort_by_key(|(_, (evaluated, matched))| std::cmp::Reverse(evaluated - matched));
    }
    for (rule, (evaluated, matched)) in counts.into_iter().take(40) {
        let title = set.detection_title(rule).unwrap_or("?");
        let secs = rule_secs.get(&rule).copied().unwrap_or(0.0);
        println!(
            "{evaluated:>8} evaluated {matched:>8} matched {:>8.3} ms  {rule:>5}  {title}",
            secs * 1e3
        );
    }
    let mut rows: Vec<_> = routes.into_iter().collect();
    rows.sort_by(|a, b| b.1.3.total_cmp(&a.1.3));
    for (name, (n, evaluated, matched, secs)) in rows.into_iter().take(25) {
        println!(
            "{:>6.1}% {n:>7} events {:>6.2} us/event {:>7.1} evaluated {:>5.2} matched  {name}",
            100.0 * secs / elapsed,
            1e6 * secs / n as f64,
            evaluated as f64 / n as f64,
            matched as f64 / n as f64
        );
    }
}

/// The passes that are measured, in a function of their own so that
/// `valgrind --tool=callgrind --collect-atstart=no
/// --toggle-collect=*measured_passes*` counts them alone.
#[inline(never)]
fn measured_passes(passes: usize, pass: &mut dyn FnMut()) {
    for _ in 0..passes {
        pass();
    }
}

/// One match of the `HOT=1` passes, in a function of its own so that
/// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=*hot_match*`
/// counts the instructions of matching hot events alone.
#[inline(never)]
fn hot_match(
    matcher: &sigma::Matcher,
    event: &Event,
    scratch: &mut sigma::MatchScratch,
    hits: &mut Vec<u32>,
) {
    matcher.match_event(event, scratch, hits);
}

/// `SIZES=1`: per route, the text the keyword and field scans read (bytes
/// and values of text per event, and bytes in values over 256 bytes, which
/// the scan cache does not keep).
fn print_sizes(events: &[Event]) {
    // Per route: events, text bytes, text values, bytes in long values.
    let mut routes: HashMap<String, (usize, usize, usize, usize)> = HashMap::new();
    for event in events {
        let row = routes.entry(route_name(event)).or_default();
        row.0 += 1;
        for (_, value) in event.native.iter() {
            if let model::ValueRef::Str(text) = value {
                row.1 += text.len();
                row.2 += 1;
                if text.len() > 256 {
                    row.3 += text.len();
                }
            }
        }
    }
    let total_bytes: usize = routes.values().map(|row| row.1).sum();
    let mut rows: Vec<_> = routes.into_iter().collect();
    rows.sort_by_key(|(_, row)| std::cmp::Reverse(row.1));
    for (name, (n, bytes, values, long)) in rows.iter().take(15) {
        println!(
            "{n:>6} events {:>6} bytes/event {:>5.1} values/event {:>6} long bytes/event  {name}",
            bytes / n,
            *values as f64 / *n as f64,
            long / n
        );
    }
    println!(
        "all: {} events, {} text bytes per event",
        events.len(),
        total_bytes / events.len().max(1)
    );
}

fn route_name(event: &Event) -> String {
    let name = |s: Option<Sym>| s.map_or("*", Sym::name);
    format!(
        "{}/{}/{} {}",
        name(event.logsource.product),
        name(event.logsource.category),
        name(event.logsource.service),
        event.code.map_or("-".to_owned(), |c| c.to_string())
    )
}

/// The allocator exfilguard runs with, so that the figures are the
/// product's: the matcher's tables on huge pages (see the `allocator` crate).
#[global_allocator]
static GLOBAL: allocator::Allocator = allocator::Allocator;
