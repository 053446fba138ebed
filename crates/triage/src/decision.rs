//! The escalation decision, as the playbook states it.

use crate::case::{Case, DestinationView, MIN_HISTORY_BUCKETS, Trust};
use crate::evidence::{self, format_bytes};
use crate::questions::quote;
use correlate::Telemetry;
use model::{Decision, Signal, Stage};

/// An allow-listed transfer this many times above its usual daily volume is not
/// explained by its allow-list entry any more.
pub(crate) const HISTORY_FACTOR: u64 = 3;
/// Days of history needed before "same as previous days" is claimed.
pub(crate) const HISTORY_MIN_DAYS: usize = 3;

/// Escalate when any playbook criterion holds; otherwise benign with the reasons
/// that rule malicious exfiltration out. Without such a reason the incident is
/// escalated: missing telemetry never rules anything out.
pub fn decide(case: &Case<'_>) -> (Decision, Vec<String>) {
    let mut escalate = Vec::new();
    escalate.extend(volume_reasons(case));
    escalate.extend(destination_reasons(case));
    escalate.extend(off_hours_reason(case));
    escalate.extend(automation_reasons(case));
    if !escalate.is_empty() {
        return (Decision::Escalate, escalate);
    }
    let rule_outs = rule_outs(case);
    if !rule_outs.is_empty() && case.unexplained().all(|s| !is_suspicious(s)) {
        return (Decision::Benign, rule_outs);
    }
    let unexplained: Vec<&Signal> = case.unexplained().collect();
    let mut reasons = vec![if unexplained.is_empty() {
        "Malicious exfiltration cannot be ruled out: nothing in the data explains the activity."
            .to_string()
    } else {
        format!(
            "Malicious exfiltration cannot be ruled out: no allow-list entry or history explains {}.",
            quote(&unexplained)
        )
    }];
    reasons.extend(missing_telemetry(case));
    (Decision::Escalate, reasons)
}

/// A signal that keeps an incident open unless something explains it: anything
/// about a transfer, automation, or of medium severity and up.
fn is_suspicious(signal: &Signal) -> bool {
    evidence::is_transfer(signal) || evidence::is_automation(signal) || signal.score >= 40
}

fn volume_reasons(case: &Case<'_>) -> Vec<String> {
    let mut reasons = Vec::new();
    let unexplained: Vec<&Signal> = case
        .unexplained()
        .filter(|s| evidence::is_volume(s))
        .collect();
    if !unexplained.is_empty() {
        reasons.push(format!(
            "Outbound volume exceeded normal without a legitimate business reason on record (no allow-list entry covers it): {}.",
            quote(&unexplained)
        ));
    }
    let all_trusted = !case.destinations.is_empty()
        && case
            .destinations
            .iter()
            .all(|v| matches!(v.trust, Trust::AllowListed(_)));
    if unexplained.is_empty()
        && !all_trusted
        && !case.signals().iter().copied().any(evidence::is_volume)
        && let Some(profile) = case
            .outbound_profile()
            .filter(|p| p.is_burst() || p.is_sustained_increase())
    {
        let numbers = if profile.is_burst() {
            format!("a burst, {}", profile.describe())
        } else {
            format!("a sustained increase, {}", profile.describe_daily())
        };
        reasons.push(format!(
            "Outbound volume exceeded normal without a legitimate business reason on record: flow records show {numbers}."
        ));
    }
    for view in case
        .destinations
        .iter()
        .filter(|v| matches!(v.trust, Trust::AllowListed(_)))
    {
        if let Some((days, median)) = case.history(view)
            && days >= HISTORY_MIN_DAYS
            && median > 0
            && view.destination.bytes_out > median.saturating_mul(HISTORY_FACTOR)
        {
            reasons.push(format!(
                "Volume to allow-listed {} is {} in this window, {}x the median of {} per day over {days} previous day(s): the allow-list reason does not cover it.",
                view.label,
                format_bytes(view.destination.bytes_out),
                view.destination.bytes_out / median,
                format_bytes(median)
            ));
        }
    }
    reasons
}

fn destination_reasons(case: &Case<'_>) -> Vec<String> {
    case.destinations
        .iter()
        .filter_map(|view| match &view.trust {
            Trust::AllowListed(_) | Trust::Habitual(_) | Trust::Prevalent(_) => None,
            Trust::Intel(rule) => Some(format!(
                "Destination {} is listed in threat intel ({rule}).",
                view.label
            )),
            Trust::New(_) => Some(format!(
                "Destination {} is new: no prior communication history ({}).",
                view.label,
                volume_note(view)
            )),
            Trust::Unrecognised => Some(format!(
                "Destination {} is unrecognised: no allow-list entry names it ({}).",
                view.label,
                volume_note(view)
            )),
        })
        .collect()
}

/// `2.4 GB out`, or `600 transfer(s), no byte count` when nothing measured bytes
/// (DNS queries, endpoint connection events).
fn volume_note(view: &DestinationView<'_>) -> String {
    let d = view.destination;
    if d.bytes_out == 0 && d.transfers > 0 {
        format!("{} transfer(s), no byte count", d.transfers)
    } else {
        format!("{} out", format_bytes(d.bytes_out))
    }
}

fn off_hours_reason(case: &Case<'_>) -> Option<String> {
    let calendar = case.playbook.calendar();
    let outside: Vec<&Signal> = case
        .unexplained()
        .filter(|s| evidence::is_transfer(s))
        .filter(|s| {
            s.detector == "offhours"
                || (s.timestamp.secs() >= 946_684_800 && !calendar.is_business_time(s.timestamp))
        })
        .collect();
    let first = outside.first()?;
    Some(format!(
        "The transfer happened outside business hours ({}): {} finding(s), first at {}.",
        calendar.describe(),
        outside.len(),
        calendar.local_label(first.timestamp)
    ))
}

fn automation_reasons(case: &Case<'_>) -> Vec<String> {
    let mut reasons = Vec::new();
    let automation: Vec<&Signal> = case
        .unexplained()
        .filter(|s| evidence::is_automation(s))
        .collect();
    if !automation.is_empty() {
        let tools = case.tools();
        let tools = if tools.is_empty() {
            String::new()
        } else {
            format!(" (tools: {})", tools.join(", "))
        };
        reasons.push(format!(
            "Automation suggesting malicious intent{tools}: {}.",
            quote(&automation)
        ));
    }
    let cadence: Vec<&Signal> = case
        .unexplained()
        .filter(|s| s.detector == "cadence")
        .collect();
    if !cadence.is_empty() {
        reasons.push(format!(
            "Transfers repeat at machine-regular intervals, as a scheduled job would send them: {}.",
            quote(&cadence)
        ));
    }
    reasons
}

/// What rules malicious exfiltration out: allow-list entries (with their reasons),
/// the same destination and volume on previous days, or no transfer after staging
/// while flow telemetry watched the host.
fn rule_outs(case: &Case<'_>) -> Vec<String> {
    let mut reasons = Vec::new();
    let mut allow_reasons: Vec<String> = case
        .signals()
        .iter()
        .copied()
        .filter_map(|s| s.allowed.clone())
        .collect();
    allow_reasons.extend(case.destinations.iter().filter_map(|v| match &v.trust {
        Trust::AllowListed(reason) => Some(reason.clone()),
        _ => None,
    }));
    allow_reasons.sort();
    allow_reasons.dedup();
    for reason in &allow_reasons {
        let destinations: Vec<&str> = case
            .destinations
            .iter()
            .filter(|v| matches!(&v.trust, Trust::AllowListed(r) if r == reason))
            .map(|v| v.label.as_str())
            .collect();
        if destinations.is_empty() {
            reasons.push(format!("Allow-listed: {reason}."));
        } else {
            reasons.push(format!(
                "Allow-listed: {reason} (destination {}).",
                destinations.join(", ")
            ));
        }
    }
    for view in &case.destinations {
        if let Some(sentence) = history_sentence(case, view) {
            reasons.push(sentence);
        }
        if let Trust::Habitual(habit) = &view.trust {
            reasons.push(format!(
                "The host's habit, not on the allow-list: {} was {habit}.",
                view.label
            ));
        }
    }
    for (label, others) in case.routine_polling() {
        reasons.push(format!(
            "Routine polling: the regular transfers go to {label}, an organisation-wide service {others} other host(s) send to, as mail, chat and sync clients do."
        ));
    }
    if reasons.is_empty()
        && case.draft.stage <= Stage::Staging
        && case.destinations.is_empty()
        && case.outbound_profile().is_some_and(|p| {
            p.buckets_outside >= MIN_HISTORY_BUCKETS && !p.is_burst() && !p.is_sustained_increase()
        })
        && let Some(bytes) = case.observed_outbound()
    {
        reasons.push(format!(
            "No transfer followed: flow telemetry for {} shows {} out in the window and no volume, cadence or novelty finding.",
            case.subject,
            format_bytes(bytes)
        ));
    }
    reasons
}

fn history_sentence(case: &Case<'_>, view: &DestinationView<'_>) -> Option<String> {
    if !matches!(view.trust, Trust::AllowListed(_)) {
        return None;
    }
    let (days, median) = case.history(view)?;
    (days >= HISTORY_MIN_DAYS && view.destination.bytes_out <= median.saturating_mul(HISTORY_FACTOR)).then(|| {
        format!(
            "Same destination {} on {days} previous day(s) with similar volume: median {} per day, {} in this window.",
            view.label,
            format_bytes(median),
            format_bytes(view.destination.bytes_out)
        )
    })
}

/// Sentences naming telemetry whose absence left a question unanswered.
fn missing_telemetry(case: &Case<'_>) -> Vec<String> {
    if case.facts.is_none() && case.draft.host_name.is_none() && case.draft.host_ip.is_none() {
        return Vec::new();
    }
    [Telemetry::FlowBytes, Telemetry::ProcessExecution]
        .into_iter()
        .filter(|k| !case.has(*k))
        .map(|k| format!("Unknown, not ruled out: {}.", case.missing(k)))
        .collect()
}
