//! L1 steps done by the tool, Tier-2 actions, and containment made concrete.

use crate::case::{Case, Trust};
use crate::evidence::{self, Persistence, format_bytes, short_time};
use correlate::Telemetry;
use model::Decision;
use std::net::IpAddr;

/// Destinations worth a firewall line or a Tier-2 look (most bytes first).
const MAX_DESTINATIONS: usize = 5;

/// What the tool already did for the L1 analyst, with the results.
pub fn l1_steps(case: &Case<'_>) -> Vec<String> {
    let mut steps = Vec::new();
    let total: u64 = case
        .destinations
        .iter()
        .fold(0u64, |acc, v| acc.saturating_add(v.destination.bytes_out));
    if case.destinations.is_empty() {
        steps.push(
            "Documented outbound connection anomalies: the signals name no destination."
                .to_string(),
        );
    } else {
        steps.push(format!(
            "Documented outbound connection anomalies: {} destination(s), {} out: {}.",
            case.destinations.len(),
            format_bytes(total),
            case.destination_summary(MAX_DESTINATIONS)
        ));
    }
    let automation = case
        .signals()
        .iter()
        .copied()
        .filter(|s| evidence::is_automation(s))
        .count();
    let tools = case.tools();
    steps.push(match (automation, case.has(Telemetry::ProcessExecution)) {
        (0, true) => format!("Checked {} for scripts and automation tools: none found in the process-execution records.", case.subject),
        (0, false) => format!("Checked {} for scripts and automation tools: not possible, {}.", case.subject, case.missing(Telemetry::ProcessExecution)),
        (n, _) => format!(
            "Checked {} for scripts and automation tools: {n} finding(s){}.",
            case.subject,
            if tools.is_empty() { String::new() } else { format!(", tools named: {}", tools.join(", ")) }
        ),
    });
    let hits: Vec<&str> = case
        .destinations
        .iter()
        .filter(|v| matches!(v.trust, Trust::Intel(_)))
        .map(|v| v.label.as_str())
        .collect();
    steps.push(match (case.playbook.intel_feeds(), hits.is_empty()) {
        (0, _) => "Checked destinations against threat intel: no feed configured ([intel] feeds), so nothing was checked.".to_string(),
        (n, true) => format!("Checked destinations against {n} threat-intel feed(s): no hit."),
        (n, false) => format!("Checked destinations against {n} threat-intel feed(s): hit for {}.", hits.join(", ")),
    });
    steps.push(format!(
        "Checked the transfer times against the business calendar ({}).",
        case.playbook.calendar().describe()
    ));
    if let Some(facts) = &case.facts {
        let present: Vec<&str> = facts.present().iter().map(|k| k.short_name()).collect();
        let missing: Vec<&str> = Telemetry::ALL
            .iter()
            .filter(|k| !facts.has(**k))
            .map(|k| k.short_name())
            .collect();
        steps.push(format!(
            "Telemetry for {}: present {}; missing {}.",
            case.subject,
            if present.is_empty() {
                "none".to_string()
            } else {
                present.join(", ")
            },
            if missing.is_empty() {
                "none".to_string()
            } else {
                missing.join(", ")
            }
        ));
    }
    steps
}

/// Tier-2 actions, each with what the data already shows.
pub fn t2_actions(case: &Case<'_>, decision: Decision) -> Vec<String> {
    if decision == Decision::Benign {
        return vec![
            "None required: closed as benign; review the allow-list entry if the pattern changes."
                .to_string(),
        ];
    }
    let mut actions = Vec::new();
    for view in case.destinations.iter().take(MAX_DESTINATIONS) {
        let (hosts, more) = &view.other_hosts;
        actions.push(if hosts.is_empty() && *more == 0 {
            format!("Lateral spread: no other host in the data sent to {}; check proxy and firewall logs beyond this data set.", view.label)
        } else {
            let mut list: Vec<&str> = hosts.iter().take(10).map(String::as_str).collect();
            let extra = hosts.len().saturating_sub(10) as u64 + more;
            let tail = if extra > 0 { format!(" and {extra} more") } else { String::new() };
            list.sort();
            format!(
                "Lateral spread: {} other host(s) also sent to {}: {}{tail}; triage each of them.",
                hosts.len() as u64 + more,
                view.label,
                list.join(", ")
            )
        });
    }
    actions.push(packet_capture_action(case));
    for view in case.destinations.iter().take(MAX_DESTINATIONS) {
        actions.push(match &view.trust {
            Trust::Intel(rule) => format!("Threat intel: {} is listed ({rule}); pull the indicator's context and campaign.", view.label),
            _ => format!(
                "Threat intel: look up {} in your intel platform and passive DNS (no local feed entry).",
                view.label
            ),
        });
    }
    actions.push(user_questions(case));
    actions
}

fn packet_capture_action(case: &Case<'_>) -> String {
    let draft = case.draft;
    let captures = case.observations.pcaps_covering(
        draft.first_seen.plus_secs(-3600),
        draft.last_seen.plus_secs(3600),
    );
    if captures.is_empty() {
        return format!(
            "Packet capture: none in the data covers {} to {}; request full-packet or proxy capture for that window.",
            short_time(draft.first_seen),
            short_time(draft.last_seen)
        );
    }
    let filter: Vec<String> = case
        .destinations
        .iter()
        .take(MAX_DESTINATIONS)
        .flat_map(|v| v.addresses.iter().map(|ip| format!("host {ip}")))
        .collect();
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!(" '{}'", filter.join(" or "))
    };
    let files: Vec<String> = captures
        .iter()
        .map(|w| {
            format!(
                "{} ({} to {})",
                w.file,
                short_time(w.start),
                short_time(w.end)
            )
        })
        .collect();
    let first = &captures[0].file;
    format!(
        "Packet capture covers the window: {}; extract the transfer with `tcpdump -nn -r {}{filter} -w incident.pcap`.",
        files.join(", "),
        shell_quote(first)
    )
}

fn user_questions(case: &Case<'_>) -> String {
    let creator = case
        .recent_persistence()
        .iter()
        .filter_map(|r| r.user.clone())
        .find(|u| !evidence::is_service_account(u));
    let who = match case.draft.user_name.clone() {
        Some(user) if !evidence::is_service_account(&user) => user,
        _ => creator.unwrap_or_else(|| format!("the owner of {}", case.short_subject())),
    };
    let tools = case.tools();
    let mut questions = Vec::new();
    if !tools.is_empty() {
        questions.push(format!(
            "Did you run or schedule {} around {}?",
            tools.join(", "),
            short_time(case.draft.first_seen)
        ));
    }
    if let Some(view) = case.destinations.first() {
        questions.push(format!(
            "Is {} a service you use for work, and what was sent to it?",
            view.label
        ));
    }
    questions.push(
        "Did anyone else have access to the account or the machine at that time?".to_string(),
    );
    let numbered: Vec<String> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| format!("({}) {q}", i + 1))
        .collect();
    format!("Ask {who}: {}", numbered.join(" "))
}

/// Containment steps for this case: isolate, block, remove the job.
pub fn containment(case: &Case<'_>, decision: Decision) -> Vec<String> {
    if decision == Decision::Benign {
        return vec!["None: closed as benign.".to_string()];
    }
    let mut steps = Vec::new();
    let draft = case.draft;
    if draft.host_name.is_some() || draft.host_ip.is_some() {
        steps.push(format!(
            "Isolate {} from the network (EDR network containment or quarantine VLAN) until Tier 2 clears it; keep it powered on for memory forensics.",
            case.subject
        ));
    } else if let Some(user) = &draft.user_name {
        steps.push(format!("Suspend the account {user}, revoke its sessions and tokens, and review its mailbox rules and shared links."));
    }
    let to_block: Vec<_> = case
        .destinations
        .iter()
        .filter(|v| !matches!(v.trust, Trust::AllowListed(_) | Trust::Prevalent(_)))
        .take(MAX_DESTINATIONS)
        .collect();
    for view in &to_block {
        for ip in &view.addresses {
            steps.extend(firewall_lines(*ip, draft.host_ip));
        }
        if let Some(domain) = &view.destination.domain {
            steps.push(format!(
                "Block {domain} at the proxy and the DNS resolver, e.g. RPZ: `{domain} CNAME .` and `*.{domain} CNAME .`"
            ));
        }
    }
    for item in case.persistence().iter().cloned() {
        steps.push(match item {
            Persistence::ScheduledTask(name) => format!(
                "Remove the scheduled task on {}: `schtasks /Delete /TN \"{}\" /F` (export it first with `schtasks /Query /TN \"{}\" /XML`).",
                case.short_subject(),
                name.replace('"', ""),
                name.replace('"', "")
            ),
            Persistence::Cron { entry, user } => {
                let owner = user.map(|u| format!(" -u {}", shell_quote(&u))).unwrap_or_default();
                format!(
                    "Remove the cron entry on {}: `crontab{owner} -l | grep -vF {} | crontab{owner} -` (save `crontab{owner} -l` first).",
                    case.short_subject(),
                    shell_quote(&entry),
                )
            }
        });
    }
    let named: Vec<String> = case
        .persistence()
        .iter()
        .cloned()
        .filter_map(|p| match p {
            Persistence::ScheduledTask(name) => Some(name),
            Persistence::Cron { .. } => None,
        })
        .collect();
    let mut seen_tasks = named;
    let mut cron_changes = Vec::new();
    for record in case.recent_persistence() {
        match evidence::task_name_of(record) {
            Some(name) if seen_tasks.contains(&name) => {}
            Some(name) => {
                steps.push(format!(
                    "Review, then remove the scheduled task \"{name}\" on {} (set up {}{}): `schtasks /Delete /TN \"{}\" /F`",
                    case.short_subject(),
                    short_time(record.time),
                    record.user.as_deref().map(|u| format!(" by {u}")).unwrap_or_default(),
                    name.replace('"', "")
                ));
                seen_tasks.push(name);
            }
            None => cron_changes.push(evidence::describe_persistence(record)),
        }
    }
    if !cron_changes.is_empty() {
        steps.push(format!(
            "Review the cron changes on {} ({}) and remove the entry that runs the transfer: `crontab -l -u USER` for each user, `ls -l /etc/cron.d /var/spool/cron/crontabs`.",
            case.short_subject(),
            cron_changes.join("; ")
        ));
    }
    let tools = case.tools();
    if tools.iter().any(|t| t == "rclone") {
        steps.push("Revoke the cloud credentials stored in rclone.conf on the host (`rclone config file` prints its path) and rotate the user's password.".to_string());
    }
    steps
}

/// Ready firewall lines blocking `ip`: perimeter (iptables and nftables, limited to
/// the host when its address is known) and the Windows host firewall.
fn firewall_lines(ip: IpAddr, host: Option<IpAddr>) -> Vec<String> {
    let (iptables, family) = match ip {
        IpAddr::V4(_) => ("iptables", "ip"),
        IpAddr::V6(_) => ("ip6tables", "ip6"),
    };
    let source = match host {
        Some(h) if h.is_ipv4() == ip.is_ipv4() => {
            (format!("-s {h} "), format!("{family} saddr {h} "))
        }
        _ => (String::new(), String::new()),
    };
    vec![
        format!(
            "Block {ip} at the perimeter (iptables): `{iptables} -I FORWARD {}-d {ip} -j DROP`",
            source.0
        ),
        format!(
            "Block {ip} at the perimeter (nftables): `nft insert rule inet filter forward {}{family} daddr {ip} drop`",
            source.1
        ),
        format!(
            "Block {ip} on the Windows host: `netsh advfirewall firewall add rule name=\"exfilguard block {ip}\" dir=out action=block remoteip={ip}`"
        ),
    ]
}

/// Single-quotes a shell word.
fn shell_quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:@".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
