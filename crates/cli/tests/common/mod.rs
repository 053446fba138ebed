//! What the CLI's test files share: running the built binary as a user
//! does, and the bundled examples.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `exfilguard` binary of this build with `args`.
pub fn exfilguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exfilguard"))
        .args(args)
        .output()
        .expect("run the exfilguard binary")
}

/// The project's `examples/` folder.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// `exfilguard hunt examples/ --config examples/exfilguard.toml --format
/// jsonl`, with `flags` after.
pub fn hunt_examples(flags: &[&str]) -> Output {
    let examples = examples();
    let config = examples.join("exfilguard.toml");
    let mut args = vec![
        "hunt",
        examples.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--format",
        "jsonl",
    ];
    args.extend_from_slice(flags);
    exfilguard(&args)
}
