//! `exfilguard rescore`: apply a changed allow-list or sensitivity list to the alerts
//! of an earlier hunt without reading the logs again.
//!
//! Only alerts are written: an incident's triage needs what the logs showed about
//! each host (outbound baselines, which telemetry exists, daily history per
//! destination), which the alerts alone do not carry, so incidents come from `hunt`.

use super::common::{ConfigArgs, Format, OutputArgs};
use anyhow::Context;
use model::Signal;
use sinks::{JsonlSink, Sink, TableSink};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

/// Flags of `exfilguard rescore`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSONL files written by `exfilguard hunt --format jsonl` (alerts are read;
    /// incident lines are ignored).
    #[arg(required = true, value_name = "HUNT.jsonl")]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Re-scores the alerts with the config's allow-lists and sensitivity and writes them
/// like `hunt` does; the exit code is 0.
pub fn run(args: Args) -> anyhow::Result<u8> {
    let config = args.config.load()?;
    let mut alerts = Vec::new();
    let mut bad_lines = 0usize;
    for path in &args.inputs {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
                bad_lines += 1;
                eprintln!("skipped {}:{}: not JSON", path.display(), number + 1);
                continue;
            };
            if value.get("kind").and_then(|k| k.as_str()) == Some("alert") {
                match Signal::from_alert_json(&value) {
                    Some(signal) => alerts.push(signal),
                    None => {
                        bad_lines += 1;
                        eprintln!(
                            "skipped {}:{}: alert without the contract's keys",
                            path.display(),
                            number + 1
                        );
                    }
                }
            }
        }
    }
    analytics::rescore(&mut alerts, &config);
    let allowed = alerts.iter().filter(|a| a.allowed.is_some()).count();
    let to_terminal = args.output.output.is_none() && std::io::stdout().is_terminal();
    let mut sink: Box<dyn Sink> = match args.output.format {
        Format::Table => Box::new(TableSink::new(args.output.open()?, to_terminal)),
        Format::Jsonl => Box::new(JsonlSink::new(args.output.open()?, "rescore output")),
        Format::Csv => Box::new(sinks::CsvSink::new(args.output.open()?)),
    };
    sinks::write_run(sink.as_mut(), &[], &alerts, None)?;
    drop(sink);
    eprintln!(
        "re-scored {} alerts without reading the logs ({allowed} now allow-listed, {bad_lines} lines skipped); incidents need the logs' telemetry: run `exfilguard hunt` again for them",
        alerts.len()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::common::{ConfigArgs, OutputArgs};

    #[test]
    fn an_allow_list_added_later_lowers_the_alert_and_says_why() {
        let dir = std::env::temp_dir().join(format!("exfilguard-rescore-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut alert = Signal {
            detector: "volume".into(),
            rule_id: "exfilguard.volume.burst".into(),
            rule_name: "Outbound burst".into(),
            timestamp: model::Timestamp::parse("2026-11-03T01:00:00Z").unwrap(),
            host_name: Some("bkp01".into()),
            host_ip: Some("10.20.0.5".parse().unwrap()),
            destination_domain: Some("vault.offsite-backup.example".into()),
            ..Signal::default()
        };
        alert.set_score(80);
        alert.assign_id();
        let hunt = dir.join("hunt.jsonl");
        std::fs::write(
            &hunt,
            format!("{}\nnot json\n", serde_json::to_string(&alert).unwrap()),
        )
        .unwrap();
        let config = dir.join("exfilguard.toml");
        std::fs::write(
            &config,
            "[[allow]]\ndestination = \"offsite-backup.example\"\nreason = \"nightly offsite backup\"\n",
        )
        .unwrap();
        let out = dir.join("out.jsonl");
        let args = Args {
            inputs: vec![hunt],
            config: ConfigArgs {
                config: Some(config),
            },
            output: OutputArgs {
                format: Format::Jsonl,
                output: Some(out.clone()),
            },
        };
        assert_eq!(run(args).unwrap(), 0);
        let written: serde_json::Value =
            serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(
            written["evidence"]["allow_listed"],
            "nightly offsite backup"
        );
        assert_eq!(written["evidence"]["score_raw"], 80);
        assert!(written["score"].as_u64().unwrap() < 80, "{written}");
    }
}
