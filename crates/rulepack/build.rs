//! Walks `../../rules` and writes `builtin_rules.rs` into OUT_DIR: one
//! `BuiltinRule { path, yaml: include_str!(..) }` per `*.yml`, sorted by path, so the
//! binary carries the whole pack and the order is stable across machines.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let rules_dir = manifest_dir.join("../../rules");
    println!("cargo:rerun-if-changed={}", rules_dir.display());

    let mut files = Vec::new();
    if rules_dir.is_dir() {
        collect_yaml(&rules_dir, &rules_dir, &mut files);
    }
    files.sort();

    let mut out = String::from("&[\n");
    for relative in &files {
        let absolute = rules_dir.join(relative);
        // Every file (and its folder) is a rerun trigger: edits and additions rebuild.
        println!("cargo:rerun-if-changed={}", absolute.display());
        let _ = writeln!(
            out,
            "    BuiltinRule {{ path: {:?}, yaml: include_str!({:?}) }},",
            format!("rules/{relative}"),
            absolute.display().to_string()
        );
    }
    out.push_str("]\n");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("builtin_rules.rs"), out).expect("OUT_DIR is writable");
}

/// Adds every `*.yml` / `*.yaml` under `dir` to `files`, as `/`-separated paths
/// relative to `root`.
fn collect_yaml(root: &Path, dir: &Path, files: &mut Vec<String>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(root, &path, files);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            let relative = path.strip_prefix(root).expect("walked from root");
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push(parts.join("/"));
        }
    }
}
