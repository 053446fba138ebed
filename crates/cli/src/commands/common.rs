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

/// The help heading of [`SelectionArgs`].
const SELECTION: &str = "Rule selection (docs/sigma.md, \"Choosing rules\")";

/// Which loaded Sigma rules a run uses (added to the config's `[sigma]`
/// selection; see docs/sigma.md, "Choosing rules").
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SelectionArgs {
    /// Leave out rules below this level: informational, low, medium, high,
    /// critical (a rule without a level counts as medium). Replaces
    /// `[sigma] min_level`.
    #[arg(help_heading = SELECTION, long, value_name = "LEVEL", value_parser = parse_level)]
    pub min_level: Option<model::Severity>,
    /// Leave out rules of this status (deprecated, unsupported,
    /// experimental, test...); repeatable.
    #[arg(help_heading = SELECTION, long, value_name = "STATUS")]
    pub exclude_status: Vec<String>,
    /// Leave out the rule with this id or name; repeatable.
    #[arg(help_heading = SELECTION, long, value_name = "ID")]
    pub exclude_rule: Vec<String>,
    /// Use only rules with this tag (attack.exfiltration, attack.t1020...);
    /// repeatable: a rule with any of them is used.
    #[arg(help_heading = SELECTION, long, value_name = "TAG")]
    pub include_tag: Vec<String>,
    /// Leave out rules with this tag; repeatable.
    #[arg(help_heading = SELECTION, long, value_name = "TAG")]
    pub exclude_tag: Vec<String>,
}

impl SelectionArgs {
    /// The flags as a selection.
    pub fn selection(&self) -> sigma::RuleSelection {
        let mut selection = sigma::RuleSelection::default();
        selection.merge(&sigma::RuleSelection {
            min_level: self.min_level,
            exclude_status: self.exclude_status.clone(),
            exclude_rules: self.exclude_rule.clone(),
            include_tags: self.include_tag.clone(),
            exclude_tags: self.exclude_tag.clone(),
        });
        selection
    }
}

/// A Sigma level, as `--min-level` takes it.
fn parse_level(text: &str) -> Result<model::Severity, String> {
    model::Severity::from_sigma_level(text)
        .ok_or_else(|| "expected informational, low, medium, high or critical".to_owned())
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
