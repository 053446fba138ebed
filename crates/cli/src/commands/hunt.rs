//! `exfilguard hunt`: the main job.

use super::common::{ConfigArgs, Format, OutputArgs, SelectionArgs, check_paths};
use super::progress::Spinner;
use engine::{HuntOptions, HuntOutcome};
use sinks::{
    CaseFilesSink, HtmlReportSink, JsonlSink, NavigatorSink, Sink, TableSink, render_summary,
};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `exfilguard hunt`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Log files or folders (searched recursively; formats are sniffed from content).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Sigma rule file or folder to load besides the built-in pack (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in T1020 rule pack.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// pySigma-style processing pipeline YAML applied to every rule (repeatable).
    #[arg(long = "pipeline", value_name = "FILE")]
    pub pipelines: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Run Sigma rules only, without the behavioural analytics.
    #[arg(long)]
    pub no_analytics: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also write a self-contained HTML report (incidents, timelines, charts).
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Also write one Markdown case file per incident into this folder (for tickets).
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Also write an ATT&CK Navigator layer (format 4.5) of the techniques seen.
    #[arg(long, value_name = "FILE.json")]
    pub navigator: Option<PathBuf>,
    /// Parser threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Do not print the run summary (what was read and skipped).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Runs the hunt and writes its results; returns the exit code.
pub fn run(args: Args) -> anyhow::Result<u8> {
    check_paths(&args.paths)?;
    let config = Arc::new(args.config.load()?);
    let options = HuntOptions {
        config: config.clone(),
        rule_paths: args.rules.clone(),
        no_builtin_rules: args.no_builtin_rules,
        pipelines: args.pipelines.clone(),
        threads: args.threads,
        no_analytics: args.no_analytics,
        selection: args.selection.selection(),
    };
    let spinner = Spinner::new("reading");
    let outcome = engine::hunt(&args.paths, &options, &mut |p| {
        spinner.update(p.events, p.event_time)
    })?;
    spinner.finish();
    write_outputs(&args, &outcome)?;
    let code = exit_code(&outcome, &config);
    // The process ends right after: returning the alerts' and incidents'
    // allocations one by one (tens of thousands of alerts, each with its
    // evidence) would only delay the exit.
    std::mem::forget(outcome);
    Ok(code)
}

fn write_outputs(args: &Args, outcome: &HuntOutcome) -> anyhow::Result<()> {
    let summary = outcome.summary();
    let to_terminal = args.output.output.is_none() && std::io::stdout().is_terminal();
    let mut sink: Box<dyn Sink> = match args.output.format {
        Format::Table => Box::new(TableSink::new(args.output.open()?, to_terminal)),
        Format::Jsonl => Box::new(JsonlSink::new(args.output.open()?, "hunt output")),
        Format::Csv => Box::new(sinks::CsvSink::new(args.output.open()?)),
    };
    let table_summary = args.output.format == Format::Table && !args.quiet;
    sinks::write_run(
        sink.as_mut(),
        &outcome.incidents,
        &outcome.alerts,
        table_summary.then_some(&summary),
    )?;
    drop(sink);
    if args.output.format != Format::Table && !args.quiet {
        eprint!(
            "{}",
            render_summary(&summary, std::io::stderr().is_terminal())
        );
    }
    if let Some(path) = &args.report {
        let mut report = HtmlReportSink::new(path).with_observations(&outcome.observations);
        sinks::write_run(
            &mut report,
            &outcome.incidents,
            &outcome.alerts,
            Some(&summary),
        )?;
        announce(args, "report", path);
    }
    if let Some(dir) = &args.cases {
        let mut cases = CaseFilesSink::new(dir);
        sinks::write_run(
            &mut cases,
            &outcome.incidents,
            &outcome.alerts,
            Some(&summary),
        )?;
        announce(args, "case files", dir);
    }
    if let Some(path) = &args.navigator {
        let mut layer = NavigatorSink::new(path);
        sinks::write_run(
            &mut layer,
            &outcome.incidents,
            &outcome.alerts,
            Some(&summary),
        )?;
        announce(args, "ATT&CK Navigator layer", path);
    }
    Ok(())
}

fn announce(args: &Args, what: &str, path: &std::path::Path) {
    if !args.quiet {
        eprintln!("{what} written to {}", path.display());
    }
}

/// 1 when incidents were found (only escalated ones when configured), else 0.
fn exit_code(outcome: &HuntOutcome, config: &model::Config) -> u8 {
    let counted = outcome
        .incidents
        .iter()
        .filter(|i| {
            config.output.exit_code_counts == "any"
                || i.triage.decision == model::Decision::Escalate
        })
        .count();
    if counted > 0 {
        config.output.exit_code_on_incident.clamp(0, 255) as u8
    } else {
        0
    }
}
