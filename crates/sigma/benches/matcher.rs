//! Matching alone: every SigmaHQ rule loaded, the EVTX sample corpus already
//! parsed into events, one thread. Needs the shared sample data
//! (`../shared/data`, or `EXFILGUARD_SHARED_DATA`); prints a line and does
//! nothing without it.
//!
//! `cargo bench -p sigma --bench matcher`

mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use model::{Detector, Event};
use sigma::{RuleSet, SigmaOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The allocator exfilguard runs with, so that the figures are the
/// product's: the matcher's tables on huge pages (see the `allocator` crate).
#[global_allocator]
static GLOBAL: allocator::Allocator = allocator::Allocator;

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    dir.join("sigmahq").is_dir().then_some(dir)
}

fn load_rules(dir: &Path) -> RuleSet {
    let started = Instant::now();
    let (set, rows) = support::load_rules(dir, SigmaOptions::default());
    eprintln!(
        "loaded {rows} rule documents ({} detection rules in the matcher) in {:.2?}",
        set.matcher().len(),
        started.elapsed()
    );
    set
}

fn load_events(dir: &Path) -> Vec<Event> {
    let started = Instant::now();
    let (events, files) = support::load_events(dir);
    let text_bytes: usize = events
        .iter()
        .flat_map(|e| e.native.iter())
        .map(|(_, v)| match v {
            model::ValueRef::Str(s) => s.len(),
            _ => 0,
        })
        .sum();
    eprintln!(
        "read {} events ({} bytes of native text, {} per event) from {files} EVTX files in {:.2?}",
        events.len(),
        text_bytes,
        text_bytes / events.len().max(1),
        started.elapsed()
    );
    events
}

fn bench(c: &mut Criterion) {
    let Some(dir) = shared_data() else {
        eprintln!("skipped: shared sample data not found (set EXFILGUARD_SHARED_DATA)");
        return;
    };
    let set = load_rules(&dir);
    let events = load_events(&dir);
    let matcher = set.matcher();
    eprintln!("{:?}", matcher.stats());
    let mut scratch = matcher.scratch();
    let mut hits = Vec::new();
    let mut total_hits = 0;
    for event in &events {
        hits.clear();
        matcher.match_event(event, &mut scratch, &mut hits);
        total_hits += hits.len();
    }
    eprintln!("{total_hits} rule matches over the corpus");
    eprintln!("{:?}", matcher.stats());
    // Same answer as evaluating every routed rule, on the whole corpus.
    let mut disagreements = 0;
    for event in &events {
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        matcher.match_event(event, &mut scratch, &mut fast);
        matcher.match_event_exhaustive(event, &mut slow);
        disagreements += usize::from(fast != slow);
    }
    eprintln!(
        "prefilter vs exhaustive: {disagreements} disagreements on {} events",
        events.len()
    );
    assert_eq!(disagreements, 0, "the prefilter changed an answer");
    // CPU time of this thread, so that other load on the machine does not
    // count: events per CPU-second is the per-core figure. Each pass starts
    // with a fresh scratch, as each hunt does: no scan result is remembered
    // from an earlier pass over the same events.
    let passes = 5;
    let (cpu_before, wall_before) = (support::thread_cpu_seconds(), Instant::now());
    for _ in 0..passes {
        let mut scratch = matcher.scratch();
        for event in &events {
            hits.clear();
            matcher.match_event(event, &mut scratch, &mut hits);
        }
    }
    if let (Some(before), Some(after)) = (cpu_before, support::thread_cpu_seconds()) {
        let n = (events.len() * passes) as f64;
        eprintln!(
            "match only: {:.0} events per CPU-second ({:.0} per wall second)",
            n / (after - before).max(1e-9),
            n / wall_before.elapsed().as_secs_f64()
        );
    }

    let mut group = c.benchmark_group("sigmahq_evtx_corpus");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(20);
    group.bench_function("match_only", |b| {
        b.iter(|| {
            let mut scratch = matcher.scratch();
            let mut n = 0;
            for event in &events {
                hits.clear();
                matcher.match_event(event, &mut scratch, &mut hits);
                n += hits.len();
            }
            n
        })
    });
    group.bench_function("detector_with_signals", |b| {
        b.iter(|| {
            let mut detector = set.detector();
            let mut out = Vec::new();
            for event in &events {
                detector.observe(event, &mut out);
            }
            detector.finish(&mut out);
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
