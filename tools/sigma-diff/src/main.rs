//! Differential check of exfilguard's Sigma engine against the `rsigma` crates.
//!
//! Both engines load the same rule folders and see the same events: every file under
//! the event paths is read once with exfilguard's `sources` readers, and each event's
//! native record (the fields a Sigma rule names, `EventData` children under their
//! own names) is given to rsigma as a flat JSON object together with the event's
//! logsource. Only rules that compiled in both engines are compared, so a
//! disagreement is about matching, never about loading.
//!
//! The output lists, per rule, on how many events only one engine matched, with the
//! first such event's file, offset and fields; `--jsonl FILE` writes every
//! disagreement, and `--dump FILE` the events as rsigma saw them (one flat JSON
//! object per line: the input of the JSONL speed comparison). Each class of disagreement is explained by a test in
//! `crates/sigma/tests/differential.rs` that shows which engine is right.
//!
//! ```text
//! cargo run --release --manifest-path tools/sigma-diff/Cargo.toml -- \
//!     --rules ../shared/data/sigmahq/rules/windows --events ../shared/data/evtx
//! ```

use model::{Event, Value};
use rsigma_eval::Engine;
use rsigma_parser::LogSource as TheirLogSource;
use serde_json::{Map, Value as Json, json};
use sigma::{RuleSetBuilder, SigmaOptions};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Command-line arguments.
#[derive(Default)]
struct Args {
    rules: Vec<PathBuf>,
    events: Vec<PathBuf>,
    jsonl: Option<PathBuf>,
    dump: Option<PathBuf>,
    examples: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        examples: 40,
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--rules" => args.rules.push(value()?.into()),
            "--events" => args.events.push(value()?.into()),
            "--jsonl" => args.jsonl = Some(value()?.into()),
            "--dump" => args.dump = Some(value()?.into()),
            "--examples" => args.examples = value()?.parse().map_err(|e| format!("{e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.rules.is_empty() || args.events.is_empty() {
        return Err(
            "usage: sigma-diff --rules DIR... --events PATH... [--jsonl FILE] [--dump FILE]".into(),
        );
    }
    Ok(args)
}

/// One event on which the engines disagree about one rule.
struct Disagreement {
    rule: String,
    ours: bool,
    file: String,
    offset: u64,
    fields: Json,
}

/// Both engines, restricted to the rules that compiled in both.
struct Engines {
    ours: sigma::RuleSet,
    theirs: Engine,
    /// Rule ids compiled by both engines.
    common: BTreeSet<String>,
    titles: HashMap<String, String>,
}

fn load(rules: &[PathBuf]) -> Engines {
    let started = Instant::now();
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).expect("no pipelines given");
    for dir in rules {
        builder.add_path(dir);
    }
    let ours = builder.build();
    let our_ids: BTreeSet<String> = ours.rules().iter().map(|r| r.id.clone()).collect();
    let titles = ours
        .rules()
        .iter()
        .map(|r| (r.id.clone(), r.title.clone()))
        .collect();
    let ours_time = started.elapsed();

    let started = Instant::now();
    let mut theirs = Engine::new();
    let mut their_ids = BTreeSet::new();
    let mut parse_errors = 0;
    for dir in rules {
        let collection = match rsigma_parser::parse_sigma_directory(dir) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("rsigma: {}: {e}", dir.display());
                continue;
            }
        };
        parse_errors += collection.errors.len();
        let failed: BTreeSet<usize> = theirs
            .add_rules(collection.rules.iter())
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        for (i, rule) in collection.rules.iter().enumerate() {
            if let (false, Some(id)) = (failed.contains(&i), &rule.id) {
                their_ids.insert(id.clone());
            }
        }
    }
    let theirs_time = started.elapsed();
    let common: BTreeSet<String> = our_ids.intersection(&their_ids).cloned().collect();
    println!(
        "rules: exfilguard {} in {:.2?}, rsigma {} in {:.2?} ({parse_errors} parse errors); \
         compared: {} in both",
        our_ids.len(),
        ours_time,
        their_ids.len(),
        theirs_time,
        common.len()
    );
    Engines {
        ours,
        theirs,
        common,
        titles,
    }
}

fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Str(s) => Json::String(s.to_string()),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Bool(b) => Json::Bool(*b),
        Value::Null => Json::Null,
        Value::List(items) => Json::Array(items.iter().map(value_to_json).collect()),
    }
}

/// The event as rsigma sees it: its native record as one flat JSON object.
fn flat_json(event: &Event) -> Json {
    let mut map = Map::new();
    for (sym, value) in event.native.iter() {
        map.insert(sym.name().to_owned(), value_to_json(&value.to_owned_value()));
    }
    Json::Object(map)
}

fn their_logsource(event: &Event) -> TheirLogSource {
    let name = |s: Option<model::Sym>| s.map(|s| s.name().to_owned());
    TheirLogSource {
        category: name(event.logsource.category),
        product: name(event.logsource.product),
        service: name(event.logsource.service),
        definition: None,
        custom: HashMap::new(),
    }
}

/// Compares the engines on one event; returns the disagreements.
fn compare(
    engines: &Engines,
    event: &Event,
    scratch: &mut sigma::MatchScratch,
    hits: &mut Vec<u32>,
) -> Vec<(String, bool)> {
    hits.clear();
    engines.ours.matcher().match_event(event, scratch, hits);
    let ours: BTreeSet<&str> = hits
        .iter()
        .map(|&i| engines.ours.rules()[i as usize].id.as_str())
        .filter(|id| engines.common.contains(*id))
        .collect();
    let flat = flat_json(event);
    let their_event = rsigma_eval::JsonEvent::borrow(&flat);
    let theirs: BTreeSet<String> = engines
        .theirs
        .evaluate_with_logsource(&their_event, &their_logsource(event))
        .into_iter()
        .filter(|r| r.is_detection())
        .filter_map(|r| r.header.rule_id)
        .filter(|id| engines.common.contains(id))
        .collect();
    let mut out = Vec::new();
    for id in &ours {
        if !theirs.contains(*id) {
            out.push(((*id).to_owned(), true));
        }
    }
    for id in &theirs {
        if !ours.contains(id.as_str()) {
            out.push((id.clone(), false));
        }
    }
    out
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let engines = load(&args.rules);
    let ctx = sources::SourceContext {
        threads: 1,
        ..Default::default()
    };
    let mut scratch = engines.ours.matcher().scratch();
    let mut hits = Vec::new();
    let mut found = Vec::new();
    let mut events = 0u64;
    let mut unreadable = 0;
    let mut dump = args.dump.as_ref().map(|path| {
        std::io::BufWriter::new(std::fs::File::create(path).expect("create dump file"))
    });
    for file in sources::discover(&args.events).files {
        let Ok((_, source)) = sources::open_path(&file, &ctx) else {
            unreadable += 1;
            continue;
        };
        for record in source {
            let Ok(event) = record else { continue };
            events += 1;
            if let Some(out) = dump.as_mut() {
                writeln!(out, "{}", flat_json(&event)).expect("write dump");
            }
            for (rule, ours) in compare(&engines, &event, &mut scratch, &mut hits) {
                let origin = event.origin.as_ref();
                found.push(Disagreement {
                    rule,
                    ours,
                    file: origin.map(|o| o.file.to_string()).unwrap_or_default(),
                    offset: origin.map(|o| o.offset).unwrap_or(0),
                    fields: flat_json(&event),
                });
            }
        }
    }
    report(&engines, &args, events, unreadable, &found)
}

fn report(
    engines: &Engines,
    args: &Args,
    events: u64,
    unreadable: usize,
    found: &[Disagreement],
) -> ExitCode {
    let mut per_rule: BTreeMap<&str, (usize, usize, &Disagreement)> = BTreeMap::new();
    for d in found {
        let entry = per_rule.entry(&d.rule).or_insert((0, 0, d));
        if d.ours {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    println!(
        "events: {events} ({unreadable} files unreadable); disagreements: {} on {} rules",
        found.len(),
        per_rule.len()
    );
    println!("{:>6} {:>6}  rule", "ours", "rsigma");
    for (rule, (ours, theirs, first)) in per_rule.iter().take(args.examples) {
        let title = engines.titles.get(*rule).map(String::as_str).unwrap_or("");
        println!("{ours:>6} {theirs:>6}  {rule} {title}");
        println!("               first: {}@{}", first.file, first.offset);
    }
    if let Some(path) = &args.jsonl {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create jsonl"));
        for d in found {
            let row = json!({
                "rule": d.rule,
                "matched_by": if d.ours { "exfilguard" } else { "rsigma" },
                "file": d.file,
                "offset": d.offset,
                "fields": d.fields,
            });
            writeln!(out, "{row}").expect("write jsonl");
        }
    }
    if found.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
