//! `exfilguard`: find automated exfiltration (MITRE ATT&CK T1020) in the logs a SOC
//! already has, and triage each incident the way the SOC playbook asks.
//!
//! The binary is thin: it parses flags and the config, builds the pipeline's stages
//! from the library crates and runs one command. Exit codes are decided in one
//! place: 0 ran and found no incident, 1 ran and found incidents (configurable),
//! 2 usage or configuration error.

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Detection and triage of automated exfiltration (MITRE ATT&CK T1020).
///
/// Reads Windows event logs (EVTX, XML, EvtxECmd's CSV/JSON), JSON/JSONL
/// exports (Winlogbeat, Elasticsearch's and Splunk's too),
/// Zeek, NetFlow/IPFIX, pcap,
/// Suricata EVE, FortiGate, proxy, DNS and syslog files (sniffed from content,
/// .gz and .zst too), runs Sigma rules and behavioural analytics, ties findings
/// into incidents and answers the SOC playbook for each one.
#[derive(Parser)]
#[command(name = "exfilguard", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Hunt a set of log files or folders: detect, correlate into incidents, triage.
    ///
    /// Reads every supported file under the given paths in event-time order, runs the
    /// built-in rule pack, any --rules, and every behavioural analytic, and prints
    /// incidents (then alerts) with the playbook's five answers and the decision.
    Hunt(commands::hunt::Args),
    /// Re-score an earlier hunt's alerts with a changed allow-list or sensitivity list,
    /// without reading the logs again, and rebuild the incidents from them.
    Rescore(commands::rescore::Args),
    /// Print the normalised events of the given logs (exfilguard as a log normaliser).
    Events(commands::events::Args),
    /// Rebuild network flows from pcap/pcapng captures and print them like a Zeek conn.log.
    Flows(commands::flows::Args),
    /// Work with Sigma rules: lint a rule tree, list what is loaded.
    Rules(commands::rules::Args),
    /// Write realistic, labelled telemetry with exfiltration scenarios and benign look-alikes.
    Simulate(commands::simulate::Args),
    /// Run the full pipeline on a simulated folder and score it against its labels.
    Validate(commands::validate::Args),
    /// Report which telemetry is present, which blind spots remain and which detectors cannot fire.
    Coverage(commands::coverage::Args),
}

/// mimalloc's `mi_option_purge_delay` (index in `mimalloc.h`, v2 and v3 alike).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc keeps freed memory before returning it to the system. Its
/// default (10 ms) made a hunt give pages back and fault them in again, zeroed,
/// all the time: 17% of a JSONL hunt was the kernel clearing pages. 100 ms
/// removed most of that system time (1.2 s to 0.3-0.6 s) and measured the same
/// as 1 s, with less memory held.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

fn main() -> ExitCode {
    // SAFETY: sets a process-wide allocator option before any other thread starts.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hunt(args) => commands::hunt::run(args),
        Command::Rescore(args) => commands::rescore::run(args),
        Command::Events(args) => commands::events::run(args),
        Command::Flows(args) => commands::flows::run(args),
        Command::Rules(args) => commands::rules::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Coverage(args) => commands::coverage::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("exfilguard: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// mimalloc: the replay frees millions of small event allocations; glibc's free()
/// was a third of replay time in the sources benchmark. The rule engine's
/// long-lived tables go on transparent huge pages (see the `allocator` crate).
#[global_allocator]
static GLOBAL: allocator::Allocator = allocator::Allocator;
