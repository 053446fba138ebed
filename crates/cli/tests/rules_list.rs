//! `exfilguard rules list` run as a user runs it: which rules it lists with
//! and without `--rules`, `--builtin` and `--no-builtin-rules`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The ids `rules list --format jsonl` prints for `args`, or the exit code
/// and stderr when it fails.
fn listed_ids(args: &[&str]) -> Result<Vec<String>, (Option<i32>, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_exfilguard"))
        .args(["rules", "list", "--format", "jsonl"])
        .args(args)
        .output()
        .expect("run the exfilguard binary");
    if !output.status.success() {
        return Err((
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            record["id"].as_str().expect("an id").to_string()
        })
        .collect())
}

/// A folder holding one rule of our own, with id `id`.
fn rule_folder(id: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("exfilguard-rules-list-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("one.yml"),
        format!(
            "title: One rule\nid: {id}\nlevel: low\nauthor: tests\n\
             logsource:\n    product: windows\n    category: process_creation\n\
             detection:\n    selection:\n        Image|endswith: '\\rclone.exe'\n\
             \x20   condition: selection\n"
        ),
    )
    .unwrap();
    dir
}

fn path(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

#[test]
fn the_builtin_pack_is_listed_by_default_or_when_asked_and_never_with_no_builtin_rules() {
    let id = "0f3c2a4e-8d1b-4c55-9a7e-1b2c3d4e5f60";
    let dir = rule_folder(id);
    let builtin = listed_ids(&[]).unwrap();
    assert!(builtin.len() > 10, "the built-in pack: {builtin:?}");
    assert!(!builtin.contains(&id.to_string()));

    // A folder alone lists the folder's rules.
    assert_eq!(listed_ids(&["--rules", path(&dir)]).unwrap(), [id]);
    // As `hunt` spells it: the same.
    assert_eq!(
        listed_ids(&["--rules", path(&dir), "--no-builtin-rules"]).unwrap(),
        [id]
    );
    // Asked for, the pack is listed beside the folder.
    let both = listed_ids(&["--rules", path(&dir), "--builtin"]).unwrap();
    assert_eq!(both.len(), builtin.len() + 1);
    assert!(both.contains(&id.to_string()));
    // Without a folder, `--no-builtin-rules` leaves nothing to list.
    assert_eq!(
        listed_ids(&["--no-builtin-rules"]).unwrap(),
        Vec::<String>::new()
    );
    // Both flags at once are a usage error (exit 2) that names them.
    let (code, stderr) = listed_ids(&["--builtin", "--no-builtin-rules"]).unwrap_err();
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--no-builtin-rules"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
