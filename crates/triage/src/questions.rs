//! The five playbook questions, answered from the signals and the observations.

use crate::case::{Case, MIN_HISTORY_BUCKETS, Trust};
use crate::evidence::{self, describe, format_bytes};
use correlate::{EntityKey, Telemetry};
use model::incident::QUESTIONS;
use model::{Answer, AnswerValue, Signal};

/// Most signal sentences quoted in one answer.
const MAX_QUOTED: usize = 3;
/// Before this year a capture's clock was not set (starts at the epoch).
const MIN_PLAUSIBLE_YEAR_SECS: i64 = 946_684_800; // 2000-01-01

/// Answers the five questions, in playbook order.
pub fn answer_all(case: &Case<'_>) -> Vec<Answer> {
    let answers = [
        volume(case),
        destination(case),
        off_hours(case),
        automation(case),
        user_behaviour(case),
    ];
    answers
        .into_iter()
        .zip(QUESTIONS)
        .map(|((answer, evidence), question)| Answer {
            question: question.to_string(),
            answer,
            evidence,
        })
        .collect()
}

/// Quotes up to [`MAX_QUOTED`] signals, saying how many more there are.
pub fn quote(signals: &[&Signal]) -> String {
    let mut parts: Vec<String> = signals
        .iter()
        .take(MAX_QUOTED)
        .map(|s| describe(s))
        .collect();
    if signals.len() > MAX_QUOTED {
        parts.push(format!("and {} more", signals.len() - MAX_QUOTED));
    }
    parts.join("; ")
}

/// 1. A significant increase in outbound data flow within a short period.
fn volume(case: &Case<'_>) -> (AnswerValue, String) {
    let found: Vec<&Signal> = case
        .signals()
        .iter()
        .copied()
        .filter(|s| evidence::is_volume(s))
        .collect();
    if !found.is_empty() {
        let mut text = format!(
            "Outbound volume above the host's baseline: {}.",
            quote(&found)
        );
        if found.iter().all(|s| s.allowed.is_some()) {
            text.push_str(" Every such finding is covered by an allow-list entry.");
        }
        return (AnswerValue::Yes, text);
    }
    if let EntityKey::User(_) = case.draft.entity {
        let saas: Vec<&Signal> = case
            .signals()
            .iter()
            .copied()
            .filter(|s| {
                evidence::is_user_anomaly(s) && (s.bytes_out.is_some() || s.transfers.is_some())
            })
            .collect();
        if !saas.is_empty() {
            return (
                AnswerValue::Yes,
                format!(
                    "Mass data movement in cloud audit records: {}.",
                    quote(&saas)
                ),
            );
        }
        return (
            AnswerValue::Unknown,
            format!(
                "The incident is about {} in cloud audit records; no flow telemetry ties the account to a host's outbound traffic.",
                case.subject
            ),
        );
    }
    let flow_records = case
        .facts
        .as_ref()
        .map_or(0, |f| f.telemetry_count(Telemetry::FlowBytes));
    match case.outbound_profile() {
        None => (
            AnswerValue::Unknown,
            format!(
                "{}: outbound volume cannot be measured against a baseline.",
                capitalise(&case.missing(Telemetry::FlowBytes))
            ),
        ),
        Some(profile) if profile.is_sustained_increase() && !profile.is_burst() => (
            AnswerValue::Yes,
            format!(
                "Flow records show a sustained increase: {}.",
                profile.describe_daily()
            ),
        ),
        Some(profile) if profile.buckets_outside < MIN_HISTORY_BUCKETS => (
            AnswerValue::Unknown,
            format!(
                "Too little history to call the volume normal or not: {} ({} flow records with byte counts for {}).",
                profile.describe(),
                flow_records,
                case.subject
            ),
        ),
        Some(profile) if profile.is_burst() => (
            AnswerValue::Yes,
            format!(
                "Flow records show a burst: {} ({}x the median).",
                profile.describe(),
                profile.peak_bytes / profile.median_outside.max(1)
            ),
        ),
        Some(profile) => (
            AnswerValue::No,
            format!(
                "Flow records show no burst: {} ({} flow records with byte counts for {}).",
                profile.describe(),
                flow_records,
                case.subject
            ),
        ),
    }
}

/// 2. Whether the destination is a known and trusted entity.
fn destination(case: &Case<'_>) -> (AnswerValue, String) {
    if case.destinations.is_empty() {
        let text = if case.has(Telemetry::NetworkFlows)
            || case.has(Telemetry::FlowBytes)
            || case.has(Telemetry::ProxyHttp)
        {
            {
                let top = case.top_outbound(3);
                if top.is_empty() {
                    "The signals name no destination, and the flow records show no outbound traffic from the host in the incident window.".to_string()
                } else {
                    let rows: Vec<String> = top
                        .iter()
                        .map(|(label, bytes, n)| {
                            format!("{label} ({} in {n} transfer(s))", format_bytes(*bytes))
                        })
                        .collect();
                    format!(
                        "The signals name no destination; the host's largest outbound destinations in the incident window per the flow records are {}: check them.",
                        rows.join(", ")
                    )
                }
            }
        } else {
            format!(
                "The signals name no destination, and there is {}.",
                case.missing(Telemetry::NetworkFlows)
            )
        };
        return (AnswerValue::Unknown, text);
    }
    let mut sentences = Vec::new();
    let mut all_trusted = true;
    for view in case.destinations.iter().take(5) {
        let spread = match &view.other_hosts {
            (hosts, 0) if hosts.is_empty() => "no other host in the data sent to it".to_string(),
            (hosts, more) => format!(
                "{} other host(s) also sent to it",
                hosts.len() as u64 + more
            ),
        };
        let standing = match &view.trust {
            Trust::AllowListed(reason) => format!("allow-listed ({reason})"),
            Trust::Habitual(habit) => format!("known from this host's own history ({habit})"),
            Trust::Prevalent(others) => format!(
                "an organisation-wide service ({others} other hosts in the data send to it), not on the allow-list"
            ),
            Trust::Intel(rule) => {
                all_trusted = false;
                format!("listed in threat intel ({rule})")
            }
            Trust::New(why) => {
                all_trusted = false;
                format!("new: no prior communication history ({why})")
            }
            Trust::Unrecognised => {
                all_trusted = false;
                "unrecognised: not on the allow-list".to_string()
            }
        };
        sentences.push(format!("{} is {standing}; {spread}.", view.label));
    }
    if case.destinations.len() > 5 {
        sentences.push(format!(
            "{} more destinations not listed.",
            case.destinations.len() - 5
        ));
    }
    let value = if all_trusted {
        AnswerValue::Yes
    } else {
        AnswerValue::No
    };
    (value, sentences.join(" "))
}

/// 3. Whether the transfer happened outside business hours.
fn off_hours(case: &Case<'_>) -> (AnswerValue, String) {
    let calendar = case.playbook.calendar();
    let flagged: Vec<&Signal> = case
        .signals()
        .iter()
        .copied()
        .filter(|s| s.detector == "offhours")
        .collect();
    if !flagged.is_empty() {
        return (
            AnswerValue::Yes,
            format!(
                "Off-hours transfer against the calendar ({}): {}.",
                calendar.describe(),
                quote(&flagged)
            ),
        );
    }
    let transfers: Vec<&Signal> = case
        .signals()
        .iter()
        .copied()
        .filter(|s| evidence::is_transfer(s))
        .collect();
    if transfers.is_empty() {
        return (
            AnswerValue::Unknown,
            "No transfer in the incident's signals to time: the findings are about collection, staging or automation only.".to_string(),
        );
    }
    if transfers
        .iter()
        .all(|s| s.timestamp.secs() < MIN_PLAUSIBLE_YEAR_SECS)
    {
        return (
            AnswerValue::Unknown,
            "The transfer timestamps are before the year 2000: the capture's clock was not set, so the time of day means nothing.".to_string(),
        );
    }
    let outside: Vec<&Signal> = transfers
        .iter()
        .copied()
        .filter(|s| !calendar.is_business_time(s.timestamp))
        .collect();
    if outside.is_empty() {
        let first = transfers
            .first()
            .map(|s| calendar.local_label(s.timestamp))
            .unwrap_or_default();
        let last = transfers
            .last()
            .map(|s| calendar.local_label(s.timestamp))
            .unwrap_or_default();
        return (
            AnswerValue::No,
            format!(
                "All {} transfer finding(s) fall inside business hours ({}), from {first} to {last}.",
                transfers.len(),
                calendar.describe()
            ),
        );
    }
    let mut times: Vec<String> = Vec::new();
    for signal in &outside {
        let label = calendar.local_label(signal.timestamp);
        if !times.contains(&label) {
            times.push(label);
        }
    }
    let more_times = times.len() > MAX_QUOTED;
    times.truncate(MAX_QUOTED);
    (
        AnswerValue::Yes,
        format!(
            "{} of {} transfer finding(s) fall outside business hours ({}): {}{}.",
            outside.len(),
            transfers.len(),
            calendar.describe(),
            times.join(", "),
            if more_times { ", ..." } else { "" }
        ),
    )
}

/// 4. Whether scripts or automation tools ran recently on the systems involved.
fn automation(case: &Case<'_>) -> (AnswerValue, String) {
    let found: Vec<&Signal> = case
        .signals()
        .iter()
        .copied()
        .filter(|s| evidence::is_automation(s))
        .collect();
    let cadence: Vec<&Signal> = case
        .signals()
        .iter()
        .copied()
        .filter(|s| s.detector == "cadence")
        .collect();
    if !found.is_empty() {
        let mut text = format!("Automation on {}: {}.", case.subject, quote(&found));
        if !cadence.is_empty() {
            text.push_str(&format!(
                " Machine-regular transfers support it: {}.",
                quote(&cadence)
            ));
        }
        return (AnswerValue::Yes, text);
    }
    if let EntityKey::User(_) = case.draft.entity {
        return (
            AnswerValue::Unknown,
            format!(
                "The incident is about {} in cloud audit records; there is no host whose process execution could be checked.",
                case.subject
            ),
        );
    }
    let jobs = case.recent_persistence();
    let cadence_note = if cadence.is_empty() {
        String::new()
    } else {
        format!(
            " The transfers repeat at machine-regular intervals, which suggests a scheduler: {}.",
            quote(&cadence)
        )
    };
    if !jobs.is_empty() {
        let described: Vec<String> = jobs
            .iter()
            .take(MAX_QUOTED)
            .map(|r| evidence::describe_persistence(r))
            .collect();
        return (
            AnswerValue::Yes,
            format!(
                "Scheduled jobs were set up on {} within a day before or during the activity: {}{}.{cadence_note}",
                case.subject,
                described.join("; "),
                if jobs.len() > MAX_QUOTED {
                    format!("; and {} more", jobs.len() - MAX_QUOTED)
                } else {
                    String::new()
                }
            ),
        );
    }
    if case.has(Telemetry::ProcessExecution) || case.has(Telemetry::ScriptContent) {
        let facts = case.facts.as_ref();
        let count = |k| facts.map_or(0, |f| f.telemetry_count(k));
        return (
            AnswerValue::No,
            format!(
                "{} process-execution and {} script-content records for {} matched no scheduled-task, script-interpreter or transfer-tool rule.{cadence_note}",
                count(Telemetry::ProcessExecution),
                count(Telemetry::ScriptContent),
                case.subject
            ),
        );
    }
    (
        AnswerValue::Unknown,
        format!(
            "{} and no {}: script and tool execution cannot be checked.{cadence_note}",
            capitalise(&case.missing(Telemetry::ProcessExecution)),
            Telemetry::ScriptContent.describe()
        ),
    )
}

/// 5. Anomalies in user behaviour around the time of the transfer.
fn user_behaviour(case: &Case<'_>) -> (AnswerValue, String) {
    let saas: Vec<&Signal> = case
        .signals()
        .iter()
        .copied()
        .filter(|s| evidence::is_user_anomaly(s))
        .collect();
    if !saas.is_empty() {
        return (
            AnswerValue::Yes,
            format!(
                "Account anomalies in cloud audit records: {}.",
                quote(&saas)
            ),
        );
    }
    let Some(user) = case.draft.user_name.as_deref() else {
        return (
            AnswerValue::Unknown,
            format!(
                "No user attribution: the signals name no user and there is {}, so user behaviour cannot be compared.",
                case.missing(Telemetry::Authentication)
            ),
        );
    };
    if evidence::is_service_account(user) {
        let creators: Vec<String> = case
            .recent_persistence()
            .iter()
            .filter_map(|r| r.user.clone())
            .filter(|u| !evidence::is_service_account(u))
            .collect();
        if let Some(creator) = creators.first() {
            return (
                AnswerValue::Unknown,
                format!(
                    "The activity ran as the service account {user}, so there is no person's behaviour to compare directly; the job behind it was set up by {creator} ({}): compare that with {creator}'s usual work.",
                    case.recent_persistence()
                        .iter()
                        .map(|r| evidence::describe_persistence(r))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            );
        }
        return (
            AnswerValue::Unknown,
            format!(
                "The activity ran as the service account {user}: there is no person's behaviour to compare; find who created the job that runs it."
            ),
        );
    }
    let calendar = case.playbook.calendar();
    let mut anomalies = Vec::new();
    let user_signals: Vec<&Signal> = case
        .unexplained()
        .filter(|s| {
            s.user_name
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(user))
        })
        .collect();
    let allowed_off_hours = case
        .signals()
        .iter()
        .copied()
        .find(|s| s.allowed.is_some() && !calendar.is_business_time(s.timestamp))
        .and_then(|s| s.allowed.clone());
    let off: Vec<&Signal> = user_signals
        .iter()
        .copied()
        .filter(|s| !calendar.is_business_time(s.timestamp))
        .collect();
    if !off.is_empty()
        && off
            .iter()
            .all(|s| s.timestamp.secs() >= MIN_PLAUSIBLE_YEAR_SECS)
    {
        anomalies.push(format!(
            "activity under {user}'s account outside business hours ({} finding(s), first at {})",
            off.len(),
            calendar.local_label(off[0].timestamp)
        ));
    }
    if let Some(facts) = &case.facts {
        let total: u64 = facts.users.values().sum();
        let mine = facts
            .users
            .iter()
            .filter(|(u, _)| u.eq_ignore_ascii_case(user))
            .map(|(_, n)| *n)
            .sum::<u64>();
        if total >= 20 && mine * 10 < total {
            anomalies.push(format!(
                "{user} is not a usual user of {} ({mine} of {total} events with a user)",
                case.subject
            ));
        }
    }
    if case
        .playbook
        .vip_users()
        .iter()
        .any(|v| crate::case::glob(v, user))
    {
        anomalies.push(format!("{user} is on the high-sensitivity (VIP) list"));
    }
    if !anomalies.is_empty() {
        return (
            AnswerValue::Yes,
            format!("{}.", capitalise(&anomalies.join("; "))),
        );
    }
    let timing = match allowed_off_hours {
        Some(reason) => format!("its off-hours activity is allow-listed ({reason})"),
        None => format!(
            "its findings fall inside business hours ({})",
            calendar.describe()
        ),
    };
    let Some((mine, total)) = case
        .facts
        .as_ref()
        .filter(|f| !f.users.is_empty())
        .map(|facts| {
            let mine: u64 = facts
                .users
                .iter()
                .filter(|(u, _)| u.eq_ignore_ascii_case(user))
                .map(|(_, n)| *n)
                .sum();
            (mine, facts.users.values().sum::<u64>())
        })
    else {
        return (
            AnswerValue::Unknown,
            format!(
                "{}, but there is {} with user names to compare against {user}'s usual behaviour.",
                capitalise(&timing),
                case.missing(Telemetry::Authentication)
            ),
        );
    };
    (
        AnswerValue::No,
        format!(
            "No anomaly under {user}'s account: {} and {user} is a usual user of {} ({mine} of {total} events with a user).",
            timing, case.subject
        ),
    )
}

/// Upper-cases the first letter of a sentence.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
