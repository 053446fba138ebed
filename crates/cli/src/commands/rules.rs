//! `exfilguard rules`: lint a Sigma rule tree, list what is loaded.
//!
//! `rules lint PATH...` compiles every rule document under the paths and reports,
//! per document, `ok` or the reason it failed with its line (exit 1 when any
//! failed). `rules list` shows the loaded rules: the built-in pack (by default
//! without `--rules`, or with `--builtin`; never with `--no-builtin-rules`) and
//! any `--rules` folders.

use super::common::{ConfigArgs, Format, OutputArgs, SelectionArgs, check_paths};
use sigma::{LintRow, RuleInfo, RuleSetBuilder, SigmaOptions};
use std::io::Write;
use std::path::PathBuf;

/// Flags of `exfilguard rules`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do with the rules.
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// The `rules` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Compile every rule file under the paths; report each document's status and,
    /// for failures, the file, line and reason. Exits 1 when any rule failed.
    Lint(LintArgs),
    /// List the loaded rules: id, title, level, ATT&CK tags, logsource, author.
    List(ListArgs),
}

/// Flags shared by `lint` and `list`.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// pySigma-style processing pipeline (YAML) applied to every rule; repeatable.
    #[arg(long = "pipeline", value_name = "FILE")]
    pub pipelines: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of `exfilguard rules lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Rule files or folders (searched recursively for .yml and .yaml).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Flags of `exfilguard rules list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Rule folder or file to load; repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Include the built-in pack (the default when no --rules is given).
    #[arg(long, conflicts_with = "no_builtin_rules")]
    pub builtin: bool,
    /// Leave the built-in pack out, as `hunt --no-builtin-rules` does (the
    /// default when --rules is given; with no --rules, nothing is listed).
    #[arg(long)]
    pub no_builtin_rules: bool,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub load: LoadArgs,
}

impl ListArgs {
    /// Whether the built-in pack is listed: when asked for, or by default
    /// when no folder is given.
    fn lists_builtin(&self) -> bool {
        self.builtin || (self.rules.is_empty() && !self.no_builtin_rules)
    }
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let result = match args.command {
        RulesCommand::Lint(lint) => run_lint(lint),
        RulesCommand::List(list) => run_list(list),
    };
    match result {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if is_broken_pipe(&e) => Ok(0),
        other => other,
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// A builder with the config's options. `selection`: the command line's
/// rule selection, added to the config's; `None` (for `lint`, which checks
/// every rule it is given) uses every rule.
fn builder(load: &LoadArgs, selection: Option<&SelectionArgs>) -> anyhow::Result<RuleSetBuilder> {
    let config = load.config.load()?;
    let mut options = SigmaOptions::from_config(&config, &load.pipelines);
    match selection {
        Some(flags) => options.selection.merge(&flags.selection()),
        None => options.selection = sigma::RuleSelection::default(),
    }
    Ok(RuleSetBuilder::new(options)?)
}

fn run_lint(args: LintArgs) -> anyhow::Result<u8> {
    check_paths(&args.paths)?;
    let mut builder = builder(&args.load, None)?;
    let mut rows = Vec::new();
    for path in &args.paths {
        rows.extend(builder.add_path(path));
    }
    let set = builder.build();
    rows.extend(set.problems().iter().cloned());
    // On stderr, so the lint records keep their contract on stdout.
    for note in engine::placeholder_notes(&set) {
        eprintln!("warning: {note}");
    }
    let mut out = args.load.output.open()?;
    write_lint(&mut out, args.load.output.format, &rows)?;
    let failed = rows.iter().filter(|r| !r.is_ok()).count();
    if args.load.output.format == Format::Table {
        writeln!(
            out,
            "\n{} documents, {} ok, {} failed",
            rows.len(),
            rows.len() - failed,
            failed
        )?;
    }
    out.flush()?;
    Ok(u8::from(failed > 0))
}

fn write_lint(out: &mut dyn Write, format: Format, rows: &[LintRow]) -> anyhow::Result<()> {
    match format {
        Format::Jsonl => {
            for row in rows {
                serde_json::to_writer(&mut *out, row)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            writeln!(out, "path,id,title,status,error")?;
            for r in rows {
                let fields = [
                    &r.path,
                    &r.id,
                    &r.title,
                    r.status,
                    r.error.as_deref().unwrap_or(""),
                ];
                writeln!(out, "{}", csv_line(&fields))?;
            }
        }
        Format::Table => {
            for r in rows {
                match &r.error {
                    None => writeln!(out, "ok     {}  {}", r.path, r.title)?,
                    Some(error) => writeln!(out, "ERROR  {}  {}\n       {error}", r.path, r.title)?,
                }
            }
        }
    }
    Ok(())
}

fn run_list(args: ListArgs) -> anyhow::Result<u8> {
    check_paths(&args.rules)?;
    let mut builder = builder(&args.load, Some(&args.selection))?;
    let mut failed = Vec::new();
    if args.lists_builtin() {
        for rule in rulepack::builtin() {
            failed.extend(
                builder
                    .add_yaml(rule.yaml, rule.path)
                    .into_iter()
                    .filter(|r| !r.is_ok()),
            );
        }
    }
    for path in &args.rules {
        failed.extend(builder.add_path(path).into_iter().filter(|r| !r.is_ok()));
    }
    let set = builder.build();
    let mut out = args.load.output.open()?;
    write_list(&mut out, args.load.output.format, set.rules())?;
    out.flush()?;
    if !failed.is_empty() {
        eprintln!(
            "{} rule documents did not load; run `exfilguard rules lint` for the reasons",
            failed.len()
        );
    }
    for note in engine::selection_notes(set.selection()) {
        eprintln!("{note}");
    }
    Ok(0)
}

fn attack_tags(info: &RuleInfo) -> Vec<&str> {
    info.tags
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("attack."))
        .collect()
}

fn write_list(out: &mut dyn Write, format: Format, rules: &[RuleInfo]) -> anyhow::Result<()> {
    match format {
        Format::Jsonl => {
            for info in rules {
                serde_json::to_writer(&mut *out, info)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            writeln!(out, "id,title,level,tags,logsource,author,kind,status,path")?;
            for i in rules {
                let tags = i.tags.join(" ");
                let kind = format!("{:?}", i.kind).to_lowercase();
                let fields = [
                    i.id.as_str(),
                    &i.title,
                    i.level.as_deref().unwrap_or(""),
                    &tags,
                    &i.logsource,
                    i.author.as_deref().unwrap_or(""),
                    &kind,
                    i.status.as_deref().unwrap_or(""),
                    &i.path,
                ];
                writeln!(out, "{}", csv_line(&fields))?;
            }
        }
        Format::Table => {
            writeln!(
                out,
                "{:<36}  {:<13}  {:<40}  {:<50}  TITLE / AUTHOR",
                "ID", "LEVEL", "LOGSOURCE", "ATT&CK"
            )?;
            for i in rules {
                writeln!(
                    out,
                    "{:<36}  {:<13}  {:<40}  {:<50}  {}{}{}",
                    i.id,
                    i.level.as_deref().unwrap_or("-"),
                    i.logsource,
                    attack_tags(i).join(" "),
                    i.title,
                    i.author
                        .as_deref()
                        .map(|a| format!(" ({a})"))
                        .unwrap_or_default(),
                    if i.quiet {
                        "  [no alerts of its own: read by a correlation]"
                    } else {
                        ""
                    }
                )?;
            }
            writeln!(out, "\n{} rules", rules.len())?;
        }
    }
    Ok(())
}

/// One CSV line with RFC 4180 quoting where needed.
fn csv_line(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                (*f).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_line(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"");
    }

    #[test]
    fn lint_jsonl_rows_follow_the_contract() {
        let mut builder = RuleSetBuilder::new(SigmaOptions::default()).unwrap();
        let rows = builder.add_yaml("title: broken\n", "x.yml");
        let mut out = Vec::new();
        write_lint(&mut out, Format::Jsonl, &rows).unwrap();
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["path"], "x.yml");
        assert_eq!(line["status"], "error");
        assert!(line["error"].as_str().unwrap().contains("no `detection`"));
    }
}
