//! Set-up shared by the engine's integration tests.

use engine::{HuntOptions, HuntOutcome, hunt};

/// A hunt with the default options over one file, `name` holding
/// `content`, written to a folder of its own (removed afterwards).
pub fn hunt_one_file(name: &str, content: &str) -> HuntOutcome {
    let dir = std::env::temp_dir().join(format!(
        "exfilguard-{}-{}",
        name.replace('.', "-"),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), content).unwrap();
    let outcome = hunt(
        std::slice::from_ref(&dir),
        &HuntOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    outcome
}
