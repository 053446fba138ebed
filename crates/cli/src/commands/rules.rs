//! `exfilguard rules`.

/// Flags of `exfilguard rules`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Inputs.
    pub paths: Vec<std::path::PathBuf>,
}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`exfilguard rules` is not built yet in this version")
}
