//! Flags and helpers shared by several subcommands.

use anyhow::Context;
use model::Config;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Machine or human output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable terminal table.
    Table,
    /// One JSON object per line (DESIGN.md output contract).
    Jsonl,
    /// Comma-separated values.
    Csv,
}

/// `--format` and `--output`.
#[derive(Clone, Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl OutputArgs {
    /// Opens the output: the file, or a buffered, locked stdout. The buffer
    /// is 1 MiB: an alert-heavy hunt writes tens of megabytes, and 8 KiB
    /// buffers meant thousands of `write` calls (two per buffer on stdout,
    /// whose own line buffering splits each at its last newline).
    pub fn open(&self) -> anyhow::Result<Box<dyn Write>> {
        const BUFFER: usize = 1 << 20;
        match &self.output {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                Ok(Box::new(std::io::BufWriter::with_capacity(BUFFER, file)))
            }
            None => Ok(Box::new(std::io::BufWriter::with_capacity(
                BUFFER,
                std::io::stdout().lock(),
            ))),
        }
    }
}

/// `--config FILE`.
#[derive(Clone, Debug, clap::Args)]
pub struct ConfigArgs {
    /// exfilguard.toml (every key optional; see docs/config.md).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// Loads the config, or the defaults when no file is given.
    pub fn load(&self) -> anyhow::Result<Config> {
        match &self.config {
            Some(path) => Ok(Config::load(path)?),
            None => Ok(Config::default()),
        }
    }
}

/// Whether every path exists; a clear error names the first that does not.
pub fn check_paths(paths: &[PathBuf]) -> anyhow::Result<()> {
    for path in paths {
        if !Path::new(path).exists() {
            anyhow::bail!("{}: no such file or folder", path.display());
        }
    }
    Ok(())
}
