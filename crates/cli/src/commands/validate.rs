//! `exfilguard validate`.

/// Flags of `exfilguard validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Inputs.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`exfilguard validate` is not built yet in this version")
}
