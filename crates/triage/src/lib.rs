//! The SOC playbook for automated exfiltration, answered from the data.
//!
//! [`Playbook::assess`] takes an [`IncidentDraft`] (from `correlate`) and the run's
//! [`Observations`] and returns a [`model::Incident`] whose triage carries:
//!
//! * the five questions of [`model::incident::QUESTIONS`], each answered yes / no /
//!   unknown with evidence sentences. An "unknown" caused by missing telemetry names
//!   the telemetry (e.g. "no process-execution telemetry (Sysmon 1 / Security 4688 /
//!   auditd execve) for host ws1") and never rules anything out by itself;
//! * the decision exactly as the playbook states it: **escalate** when the volume
//!   exceeds normal without a legitimate business reason, the destination is new or
//!   unrecognised, the transfer is off-hours, automation suggests malicious intent,
//!   or malicious exfiltration cannot be ruled out; otherwise **benign**, with the
//!   reasons that rule it out (allow-list entries with their reasons, the same
//!   destination and volume on previous days);
//! * the L1 steps the tool did, the Tier-2 actions with what the data already shows
//!   (other hosts talking to the destination, packet captures covering the window,
//!   intel hits, questions for the user), and containment made concrete (the host to
//!   isolate, ready firewall lines, the scheduled task or cron entry to remove).
//!
//! [`incidents`] runs correlation and triage in one call.
#![deny(missing_docs)]

mod actions;
mod calendar;
mod case;
mod decision;
pub mod evidence;
mod questions;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use calendar::BusinessCalendar;
pub use evidence::format_bytes;

use case::Case;
use correlate::{IncidentDraft, Observations};
use model::config::AllowEntry;
use model::{Config, Incident, Signal, Triage};

/// A configuration problem the playbook cannot work around.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    /// `[calendar]` is malformed (the message names the key and the expected shape).
    #[error("invalid calendar: {0}")]
    Calendar(String),
}

/// The playbook, built once per run from the config.
#[derive(Clone, Debug)]
pub struct Playbook {
    calendar: BusinessCalendar,
    allow: Vec<AllowEntry>,
    intel_feeds: usize,
    vip_users: Vec<String>,
}

impl Playbook {
    /// Reads `[calendar]`, `[[allow]]`, `[[sensitivity]]` and `[intel]`.
    pub fn from_config(config: &Config) -> Result<Self, TriageError> {
        Ok(Playbook {
            calendar: BusinessCalendar::from_config(&config.calendar)?,
            allow: config.allow.clone(),
            intel_feeds: config.intel.feeds.len(),
            vip_users: config
                .sensitivity
                .iter()
                .filter(|s| s.level == "high")
                .filter_map(|s| s.user.clone())
                .collect(),
        })
    }

    /// Users at sensitivity `high` (the VIP list), as globs.
    pub fn vip_users(&self) -> &[String] {
        &self.vip_users
    }

    /// Whether intel feeds are configured (`[intel] feeds`), and how many.
    pub fn intel_feeds(&self) -> usize {
        self.intel_feeds
    }

    /// The business calendar in use.
    pub fn calendar(&self) -> &BusinessCalendar {
        &self.calendar
    }

    /// Answers the playbook for one incident draft.
    pub fn assess(&self, draft: IncidentDraft, observations: &Observations) -> Incident {
        let case = Case::new(&draft, observations, self);
        let answers = questions::answer_all(&case);
        let (decision, reasons) = decision::decide(&case);
        let triage = Triage {
            decision,
            reasons,
            answers,
            l1_steps: actions::l1_steps(&case),
            t2_actions: actions::t2_actions(&case, decision),
            containment: actions::containment(&case, decision),
        };
        drop(case);
        draft.into_incident(triage)
    }
}

/// Correlates signals into incidents and triages each: the whole back half of a
/// hunt. Incidents come sorted by score (highest first), then first-seen time, then
/// id, so that the same input always gives the same list.
pub fn incidents(
    signals: &[Signal],
    observations: &Observations,
    config: &Config,
) -> Result<Vec<Incident>, TriageError> {
    let playbook = Playbook::from_config(config)?;
    let mut out: Vec<Incident> = correlate::correlate(signals, observations, config)
        .into_iter()
        .map(|draft| playbook.assess(draft, observations))
        .collect();
    sort_incidents(&mut out);
    Ok(out)
}

/// Sorts incidents for reading: score descending, then first seen, then id.
pub fn sort_incidents(incidents: &mut [Incident]) {
    incidents.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.id.cmp(&b.id))
    });
}
