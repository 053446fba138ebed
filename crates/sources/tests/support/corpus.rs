//! The shared sample data, and comparing events read from other renderings
//! of the same EVTX records.
// Each test crate uses a part of this.
#![allow(dead_code)]

use model::{Event, ValueRef};
use std::path::{Path, PathBuf};

/// `../shared/data/<sub>` (or under `EXFILGUARD_SHARED_DATA`), or `None`
/// with a line saying the test skips.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = root.join(sub);
    if path.exists() {
        return Some(path);
    }
    println!("skipped: {} is absent", path.display());
    None
}

/// Each record of an EVTX file rendered as XML by the `evtx` crate.
pub fn xml_records(evtx: &[u8]) -> Vec<String> {
    let mut parser = evtx::EvtxParser::from_buffer(evtx.to_vec()).unwrap();
    parser
        .records()
        .filter_map(Result::ok)
        .map(|record| record.data)
        .collect()
}

/// The EVTX files of the shared corpus, each with its bytes.
pub fn shared_evtx_files() -> Vec<(PathBuf, Vec<u8>)> {
    let Some(root) = shared("evtx") else {
        return Vec::new();
    };
    sources::discover(&[root])
        .files
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "evtx"))
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

/// What an event means to rules and analytics, without its origin and the
/// native fields named in `skip`. Values are compared as text: EVTX types
/// numbers and booleans where the other renderings hold text, and Sigma
/// compares both as text. XML 1.0 cannot hold most control characters (the
/// `evtx` crate writes `_` for them), and the model holds integers past i64
/// as floats where text keeps the digits.
pub fn meaning(event: &Event, skip: &[&str]) -> String {
    let mut event = event.clone();
    event.origin = None;
    let natives: Vec<String> = event
        .native
        .iter()
        .filter(|(name, _)| !skip.contains(&name.name()))
        .map(|(name, value)| format!("{}={}", name.name(), text_of(value)))
        .collect();
    event.native = Default::default();
    format!("{event:?} {natives:?}")
}

fn text_of(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Int(n) => n.to_string(),
        ValueRef::UInt(n) => n.to_string(),
        ValueRef::Bool(b) => b.to_string(),
        ValueRef::Float(f) if f.fract() == 0.0 && f >= 0.0 => format!("{f:e}"),
        ValueRef::Str(s) if s.len() >= 19 && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<f64>()
            .map_or_else(|_| s.to_string(), |f| format!("{f:e}")),
        ValueRef::Str(s) => s
            .chars()
            .map(|c| {
                if c.is_control() && !"\t\r\n".contains(c) {
                    '_'
                } else {
                    c
                }
            })
            .collect(),
        other => format!("{other:?}"),
    }
}
