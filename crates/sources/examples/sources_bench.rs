//! Throughput of the readers, for bench/sources.sh.
//!
//! ```text
//! sources_bench evtx-floor PATH...   the evtx crate alone (records as JSON values), files in parallel
//! sources_bench read PATH...         exfilguard's readers, files in parallel (no ordering)
//! sources_bench replay N PATH...     the ordered replay with N threads
//! sources_bench evtx-to-xml OUT PATH... each EVTX file's records as XML text (as
//!                                    `wevtutil qe /f:xml` writes them), one file each in OUT
//! ```
//! Each prints one line: what, files, events, skipped, input MB, seconds, events/s, MB/s.

use rayon::prelude::*;

/// The replay frees events in a different order and on a different thread than it
/// allocates them; glibc's allocator spends a third of the time on that, mimalloc
/// does not. The `exfilguard` binary should use it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use sources::{Replay, ReplayOptions, SourceContext, discover, open_path};
use std::path::PathBuf;
use std::time::Instant;

fn files(args: &[String]) -> Vec<PathBuf> {
    discover(&args.iter().map(PathBuf::from).collect::<Vec<_>>()).files
}

fn megabytes(files: &[PathBuf]) -> f64 {
    files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len() as f64)
        .sum::<f64>()
        / 1e6
}

fn report(what: &str, files: &[PathBuf], events: u64, skipped: u64, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let mb = megabytes(files);
    println!(
        "{what}: files={} events={events} skipped={skipped} input_mb={mb:.1} seconds={secs:.3} events_per_s={:.0} mb_per_s={:.1}",
        files.len(),
        events as f64 / secs,
        mb / secs
    );
}

fn evtx_floor(files: &[PathBuf]) {
    let started = Instant::now();
    let (events, skipped) = files
        .par_iter()
        .map(|path| {
            let Ok(mut parser) = evtx::EvtxParser::from_path(path) else {
                return (0, 0);
            };
            let settings = evtx::ParserSettings::new().num_threads(1);
            parser = parser.with_configuration(settings);
            parser
                .records_json_value()
                .fold((0u64, 0u64), |(ok, bad), r| {
                    if r.is_ok() {
                        (ok + 1, bad)
                    } else {
                        (ok, bad + 1)
                    }
                })
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    report("evtx-crate-floor", files, events, skipped, started);
}

fn read(files: &[PathBuf]) {
    let started = Instant::now();
    let ctx = SourceContext {
        threads: 1,
        ..SourceContext::default()
    };
    let (events, skipped) = files
        .par_iter()
        .map(|path| match open_path(path, &ctx) {
            Ok((_, source)) => source.fold((0u64, 0u64), |(ok, bad), r| {
                if r.is_ok() {
                    (ok + 1, bad)
                } else {
                    (ok, bad + 1)
                }
            }),
            Err(_) => (0, 0),
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    report("read-unordered", files, events, skipped, started);
}

fn replay(threads: usize, files: Vec<PathBuf>) {
    let started = Instant::now();
    let options = ReplayOptions {
        threads,
        ..ReplayOptions::default()
    };
    let mut replay = Replay::new(files.clone(), SourceContext::default(), options);
    let events = replay.by_ref().count() as u64;
    let stats = replay.stats();
    assert_eq!(events, stats.total_events());
    report(
        &format!("replay-ordered-{threads}-threads"),
        &files,
        events,
        stats.total_skipped(),
        started,
    );
}

/// Writes each EVTX file's records, rendered as XML by the `evtx` crate, to a
/// numbered `.xml` file in `out` (input for timing the Windows XML reader).
fn evtx_to_xml(out: &str, files: &[PathBuf]) {
    use std::io::Write;
    std::fs::create_dir_all(out).expect("output folder");
    let mut written = 0;
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
    {
        let Ok(mut parser) = evtx::EvtxParser::from_path(path) else {
            continue;
        };
        written += 1;
        let name = std::path::Path::new(out).join(format!("{written:04}.xml"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(name).expect("create"));
        for record in parser.records().flatten() {
            file.write_all(record.data.as_bytes()).expect("write");
            file.write_all(b"\n").expect("write");
        }
    }
    println!("{written} files written to {out}");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("evtx-floor") => evtx_floor(&files(&args[1..])),
        Some("read") => read(&files(&args[1..])),
        Some("evtx-to-xml") if args.len() > 2 => evtx_to_xml(&args[1], &files(&args[2..])),
        Some("replay") if args.len() > 2 => {
            let threads = args[1].parse().expect("thread count");
            replay(threads, files(&args[2..]));
        }
        _ => {
            eprintln!("usage: sources_bench evtx-floor|read PATH... | replay THREADS PATH...");
            std::process::exit(2);
        }
    }
}
