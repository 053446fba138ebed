//! Allow-lists and source sensitivity, applied to signals already raised.
//!
//! Detectors score what they saw; [`Rescorer`] then lowers the score of expected
//! transfers (`[[allow]]`: destination IP/CIDR/domain suffix, source host, process,
//! user, local-time schedule; every condition given must match) and raises or
//! lowers the score of signals from `[[sensitivity]]` hosts and users. The original
//! score is kept in `evidence.score_raw`, so re-scoring after an allow-list change
//! starts from what the detector said and never needs the logs again. Nothing is
//! dropped: an allowed signal keeps its evidence and says why in `allowed`.

use crate::AnalyticsError;
use crate::calendar::{Calendar, in_window, parse_window};
use crate::config::{DetectorsConfig, ScoringConfig};
use crate::keys::domain_matches;
use chrono::NaiveTime;
use ipnet::IpNet;
use model::{Config, Signal};
use std::net::IpAddr;

/// Evidence keys that may name the process behind a signal.
const PROCESS_KEYS: [&str; 5] = [
    "process.executable",
    "process_executable",
    "linked_process",
    "process",
    "Image",
];

#[derive(Clone, Debug)]
enum Address {
    Net(IpNet),
    Glob(String),
}

impl Address {
    fn parse(text: &str) -> Address {
        let t = text.trim();
        if let Ok(net) = t.parse::<IpNet>() {
            return Address::Net(net);
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Address::Net(IpNet::from(ip));
        }
        Address::Glob(t.to_ascii_lowercase())
    }
}

#[derive(Clone, Debug)]
struct AllowRule {
    destination: Option<Address>,
    host: Option<Address>,
    process: Option<String>,
    user: Option<String>,
    schedule: Option<(NaiveTime, NaiveTime)>,
    reason: String,
}

#[derive(Clone, Debug)]
struct SensitivityRule {
    host: Option<Address>,
    user: Option<String>,
    level: String,
}

/// Case-insensitive glob with `*` and `?` (shared with triage, in `model`).
pub use model::glob::glob_match;

/// Compiled allow-list and sensitivity entries.
#[derive(Clone, Debug)]
pub struct Rescorer {
    allow: Vec<AllowRule>,
    sensitivity: Vec<SensitivityRule>,
    scoring: ScoringConfig,
    calendar: Calendar,
}

fn host_matches(address: &Address, signal: &Signal) -> bool {
    match address {
        Address::Net(net) => signal
            .host_ip
            .is_some_and(|ip| net.contains(&model::net::canonical(ip))),
        Address::Glob(glob) => signal
            .host_name
            .as_deref()
            .is_some_and(|h| glob_match(glob, h)),
    }
}

fn destination_matches(address: &Address, signal: &Signal) -> bool {
    match address {
        Address::Net(net) => signal
            .destination_ip
            .is_some_and(|ip| net.contains(&model::net::canonical(ip))),
        Address::Glob(domain) => signal
            .destination_domain
            .as_deref()
            .is_some_and(|d| domain_matches(d, domain) || glob_match(domain, d)),
    }
}

fn process_matches(glob: &str, signal: &Signal) -> bool {
    PROCESS_KEYS.iter().any(|key| {
        signal
            .evidence
            .get(*key)
            .and_then(|v| v.as_str())
            .is_some_and(|p| {
                let base = p.rsplit(['\\', '/']).next().unwrap_or(p);
                glob_match(glob, p) || glob_match(glob, base)
            })
    })
}

impl Rescorer {
    /// Compiles the `[[allow]]`, `[[sensitivity]]`, `[calendar]` and
    /// `[detectors.scoring]` sections; errors name the entry and key.
    pub fn new(config: &Config) -> Result<Self, AnalyticsError> {
        let scoring = DetectorsConfig::from_table(&config.detectors)?.scoring;
        let calendar = Calendar::from_config(&config.calendar)?;
        let mut allow = Vec::new();
        for (i, entry) in config.allow.iter().enumerate() {
            let schedule = match &entry.schedule {
                Some(s) => Some(parse_window(s).map_err(|message| AnalyticsError::Config {
                    key: format!("allow[{i}].schedule"),
                    message,
                })?),
                None => None,
            };
            let rule = AllowRule {
                destination: entry.destination.as_deref().map(Address::parse),
                host: entry.host.as_deref().map(Address::parse),
                process: entry.process.clone(),
                user: entry.user.clone(),
                schedule,
                reason: entry.reason.clone(),
            };
            if rule.destination.is_none()
                && rule.host.is_none()
                && rule.process.is_none()
                && rule.user.is_none()
            {
                return Err(AnalyticsError::Config {
                    key: format!("allow[{i}]"),
                    message: "needs at least one of destination, host, process or user".into(),
                });
            }
            allow.push(rule);
        }
        let sensitivity = config
            .sensitivity
            .iter()
            .map(|s| SensitivityRule {
                host: s.host.as_deref().map(Address::parse),
                user: s.user.clone(),
                level: s.level.clone(),
            })
            .collect();
        Ok(Rescorer {
            allow,
            sensitivity,
            scoring,
            calendar,
        })
    }

    fn allowed(&self, signal: &Signal) -> Option<&str> {
        self.allow
            .iter()
            .find(|rule| {
                rule.destination
                    .as_ref()
                    .is_none_or(|d| destination_matches(d, signal))
                    && rule.host.as_ref().is_none_or(|h| host_matches(h, signal))
                    && rule
                        .process
                        .as_deref()
                        .is_none_or(|p| process_matches(p, signal))
                    && rule.user.as_deref().is_none_or(|u| {
                        signal
                            .user_name
                            .as_deref()
                            .is_some_and(|n| glob_match(u, n))
                    })
                    && rule.schedule.is_none_or(|(start, end)| {
                        self.calendar
                            .local(signal.timestamp)
                            .is_some_and(|local| in_window(local.time(), start, end))
                    })
            })
            .map(|rule| rule.reason.as_str())
    }

    fn sensitivity(&self, signal: &Signal) -> Option<&str> {
        let mut best: Option<&str> = None;
        for rule in &self.sensitivity {
            let host = rule.host.as_ref().is_some_and(|h| host_matches(h, signal));
            let user = rule.user.as_deref().is_some_and(|u| {
                signal
                    .user_name
                    .as_deref()
                    .is_some_and(|n| glob_match(u, n))
            });
            if host || user {
                best = match (best, rule.level.as_str()) {
                    (Some("high"), _) => Some("high"),
                    (_, level) => Some(level),
                };
            }
        }
        best
    }

    /// Re-scores one signal from its raw score.
    pub fn apply(&self, signal: &mut Signal) {
        let raw = signal
            .evidence
            .get("score_raw")
            .and_then(|v| v.as_u64())
            .map(|v| v.min(100) as u8)
            .unwrap_or(signal.score);
        let mut score = raw as f64;
        let level = self.sensitivity(signal).map(str::to_string);
        match level.as_deref() {
            Some("high") => score *= self.scoring.high_multiplier,
            Some("low") => score *= self.scoring.low_multiplier,
            _ => {}
        }
        let reason = self.allowed(signal).map(str::to_string);
        if reason.is_some() {
            score *= self.scoring.allowed_multiplier;
        }
        signal.allowed = reason;
        match level {
            Some(level) => {
                signal.evidence.insert("sensitivity".into(), level.into());
            }
            None => {
                signal.evidence.remove("sensitivity");
            }
        }
        let new = score.round().clamp(0.0, 100.0) as u8;
        if new != raw || signal.evidence.contains_key("score_raw") {
            signal.evidence.insert("score_raw".into(), raw.into());
        }
        signal.set_score(new);
    }
}

/// Applies allow-lists and sensitivity from `config` to `signals`; an invalid
/// entry (already refused by [`crate::build_detectors`]) leaves scores as they are.
pub fn rescore(signals: &mut [Signal], config: &Config) {
    if let Ok(rescorer) = Rescorer::new(config) {
        for signal in signals.iter_mut() {
            rescorer.apply(signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Timestamp;
    use std::path::Path;

    fn signal() -> Signal {
        let mut s = Signal {
            detector: "cadence".into(),
            host_name: Some("ws-fin-01".into()),
            host_ip: Some("10.1.2.7".parse().unwrap()),
            user_name: Some("alice".into()),
            destination_ip: Some("198.51.100.4".parse().unwrap()),
            destination_domain: Some("vault.backup.example.net".into()),
            timestamp: Timestamp::parse("2026-11-23T02:10:00Z").unwrap(),
            ..Signal::default()
        };
        s.set_score(70);
        s
    }

    fn config(text: &str) -> Config {
        Config::from_toml(text, Path::new("x.toml")).unwrap()
    }

    #[test]
    fn allow_lowers_keeps_reason_and_reverts() {
        let c = config(
            "[[allow]]\ndestination = \"backup.example.net\"\nhost = \"10.1.2.0/24\"\nschedule = \"01:00-04:00\"\nreason = \"nightly offsite backup\"\n",
        );
        let mut signals = vec![signal()];
        rescore(&mut signals, &c);
        assert_eq!(
            signals[0].allowed.as_deref(),
            Some("nightly offsite backup")
        );
        assert_eq!(signals[0].score, 21);
        // Twice is the same as once.
        rescore(&mut signals, &c);
        assert_eq!(signals[0].score, 21);
        // Allow-list removed: back to the detector's score.
        rescore(&mut signals, &Config::default());
        assert_eq!(signals[0].score, 70);
        assert!(signals[0].allowed.is_none());
    }

    #[test]
    fn conditions_must_all_match() {
        let c = config(
            "[[allow]]\ndestination = \"backup.example.net\"\nhost = \"10.9.0.0/16\"\nreason = \"other site\"\n\
             [[allow]]\ndestination = \"198.51.100.0/24\"\nschedule = \"09:00-17:00\"\nreason = \"daytime\"\n",
        );
        let mut signals = vec![signal()];
        rescore(&mut signals, &c);
        assert!(signals[0].allowed.is_none());
        assert_eq!(signals[0].score, 70);
    }

    #[test]
    fn sensitivity_raises() {
        let c = config("[[sensitivity]]\nhost = \"ws-fin-*\"\nlevel = \"high\"\n");
        let mut signals = vec![signal()];
        rescore(&mut signals, &c);
        assert_eq!(signals[0].score, 91);
        assert_eq!(signals[0].evidence["sensitivity"], "high");
    }

    #[test]
    fn globs() {
        assert!(glob_match("ws-*", "WS-01"));
        assert!(glob_match("*.exe", "rclone.exe"));
        assert!(!glob_match("ws-?", "ws-10"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn process_allow_reads_evidence() {
        let c = config("[[allow]]\nprocess = \"restic*\"\nreason = \"backup agent\"\n");
        let mut s = signal();
        s.evidence
            .insert("linked_process".into(), "/usr/bin/restic".into());
        let mut signals = vec![s];
        rescore(&mut signals, &c);
        assert_eq!(signals[0].allowed.as_deref(), Some("backup agent"));
    }
}
