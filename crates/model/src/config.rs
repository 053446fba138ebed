//! `exfilguard.toml`: the keys every stage reads (DESIGN.md's config contract).
//!
//! Every key is optional; defaults work on a first run. Sections that belong to one
//! stage (`[detectors.*]`, `[sources.*]`, `[triage]`, `[output]`) are kept as raw TOML
//! here and given types by the crate that owns them, so `model` stays at the bottom
//! of the dependency graph.

use crate::net::Networks;
use ipnet::IpNet;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A configuration error, with the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has wrong keys.
    #[error("invalid config {path}: {message}")]
    Invalid {
        /// The path.
        path: PathBuf,
        /// What is wrong, with the line where known.
        message: String,
    },
}

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[network]`.
    pub network: NetworkConfig,
    /// `[organisation]`.
    pub organisation: OrganisationConfig,
    /// `[calendar]`.
    pub calendar: CalendarConfig,
    /// `[[allow]]` entries.
    pub allow: Vec<AllowEntry>,
    /// `[[sensitivity]]` entries.
    pub sensitivity: Vec<SensitivityEntry>,
    /// `[intel]`.
    pub intel: IntelConfig,
    /// `[detectors.<name>]` thresholds, typed by the `analytics` crate.
    pub detectors: toml::Table,
    /// `[sources.<name>]` reader settings (e.g. firewall CSV header mappings).
    pub sources: toml::Table,
    /// `[sigma]` settings (placeholders for `expand`, pipelines).
    pub sigma: toml::Table,
    /// `[triage]` settings.
    pub triage: toml::Table,
    /// `[output]` settings.
    pub output: OutputConfig,
    /// The folder the config file was read from; relative paths (intel feeds)
    /// resolve against it. Not a TOML key.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

/// `[network]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Internal ranges; outbound = inside to outside.
    pub internal: Vec<IpNet>,
    /// Proxies (IPs or CIDRs) that front the organisation's web traffic.
    pub proxies: Vec<IpNet>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            internal: Networks::default().internal().to_vec(),
            proxies: Vec::new(),
        }
    }
}

/// `[organisation]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrganisationConfig {
    /// Own mail/web domains; default: inferred from user names.
    pub domains: Vec<String>,
    /// Organisation name for reports.
    pub name: Option<String>,
    /// VIP mailboxes (executives, finance, legal): mailbox-permission changes and
    /// mail searches that target one of them are raised by the rule pack. Full
    /// addresses (`ceo@corp.example`); a bare alias matches the local part.
    pub vip: Vec<String>,
}

/// `[calendar]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA time zone name.
    pub timezone: String,
    /// `HH:MM-HH:MM` local time.
    pub business_hours: String,
    /// Three-letter lower-case day names.
    pub business_days: Vec<String>,
    /// `YYYY-MM-DD` local dates.
    pub holidays: Vec<String>,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            timezone: "UTC".into(),
            business_hours: "08:00-18:00".into(),
            business_days: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| d.to_string())
                .collect(),
            holidays: Vec::new(),
        }
    }
}

/// One `[[allow]]` entry: an expected transfer.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AllowEntry {
    /// IP, CIDR or domain (suffix match).
    pub destination: Option<String>,
    /// Only from these sources: IP, CIDR or host-name glob.
    pub host: Option<String>,
    /// Only for this process image (glob, case-insensitive).
    pub process: Option<String>,
    /// Only for this user (glob).
    pub user: Option<String>,
    /// Only inside this local time window `HH:MM-HH:MM`.
    pub schedule: Option<String>,
    /// Why it is expected (shown in alerts and triage).
    pub reason: String,
}

/// One `[[sensitivity]]` entry.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SensitivityEntry {
    /// CIDR, IP or host-name glob.
    pub host: Option<String>,
    /// A user (name or glob); users at `high` are the VIP list.
    pub user: Option<String>,
    /// low | normal | high.
    pub level: String,
}

/// `[intel]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntelConfig {
    /// Feed files: one indicator per line, STIX 2.1 bundles, MISP CSV.
    pub feeds: Vec<PathBuf>,
}

/// `[output]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Exit code when incidents were found (DESIGN.md: 1 by default).
    pub exit_code_on_incident: i32,
    /// Only incidents with this decision count for the exit code: `escalate` or `any`.
    pub exit_code_counts: String,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            exit_code_on_incident: 1,
            exit_code_counts: "any".into(),
        }
    }
}

impl Config {
    /// Parses TOML text; `path` is only for messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        config.base_dir = path.parent().map(Path::to_path_buf);
        config.validate(path)?;
        Ok(config)
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// The internal networks.
    pub fn networks(&self) -> Networks {
        Networks::new(self.network.internal.clone())
    }

    /// Resolves a path from the config against the config's folder.
    pub fn resolve_path(&self, path: &Path) -> PathBuf {
        match &self.base_dir {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.to_path_buf(),
        }
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        for entry in &self.sensitivity {
            if !matches!(entry.level.as_str(), "low" | "normal" | "high") {
                return Err(invalid(format!(
                    "sensitivity level {:?} must be low, normal or high",
                    entry.level
                )));
            }
        }
        for entry in &self.allow {
            if entry.reason.trim().is_empty() {
                return Err(invalid("every [[allow]] entry needs a reason".into()));
            }
        }
        if !matches!(self.output.exit_code_counts.as_str(), "any" | "escalate") {
            return Err(invalid(
                "output.exit_code_counts must be \"any\" or \"escalate\"".into(),
            ));
        }
        check_sigma_table(&self.sigma).map_err(invalid)
    }
}

/// `[sigma]` is read by the Sigma crate from a free table; its keys and
/// types are checked here with the other sections', so that a misspelt key
/// (`remeber_answers`) is an error, not a silently ignored line.
fn check_sigma_table(table: &toml::Table) -> Result<(), String> {
    const KNOWN: &str = "placeholders, pipelines, remember_answers, min_level, \
                         exclude_status, exclude_rules, include_tags, exclude_tags";
    let strings = |value: &toml::Value| {
        value
            .as_array()
            .is_some_and(|items| items.iter().all(toml::Value::is_str))
    };
    for (key, value) in table {
        let (fits, wanted) = match key.as_str() {
            "remember_answers" => (value.is_bool(), "true or false"),
            "pipelines" => (strings(value), "a list of file names"),
            "placeholders" => (
                value
                    .as_table()
                    .is_some_and(|names| names.values().all(|v| v.is_str() || strings(v))),
                "a table of names, each a string or a list of strings",
            ),
            "min_level" => (
                value
                    .as_str()
                    .and_then(crate::Severity::from_sigma_level)
                    .is_some(),
                "one of \"informational\", \"low\", \"medium\", \"high\", \"critical\"",
            ),
            "exclude_status" | "exclude_rules" | "include_tags" | "exclude_tags" => {
                (strings(value), "a list of strings")
            }
            other => return Err(format!("unknown key sigma.{other} (known: {KNOWN})")),
        };
        if !fits {
            return Err(format!("sigma.{key} must be {wanted}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigma_keys_and_types_are_checked() {
        let check = |text: &str| Config::from_toml(text, Path::new("t.toml")).map(|_| ());
        assert!(check("[sigma]\nremember_answers = true\npipelines = [\"p.yml\"]\n[sigma.placeholders]\nadmins = [\"a\", \"b\"]\nshare = \"s\"\n").is_ok());
        let message = |text: &str| check(text).unwrap_err().to_string();
        assert!(
            message("[sigma]\nremeber_answers = true\n")
                .contains("unknown key sigma.remeber_answers")
        );
        assert!(
            message("[sigma]\nremember_answers = \"yes\"\n")
                .contains("sigma.remember_answers must be true or false")
        );
        assert!(
            message("[sigma]\npipelines = \"p.yml\"\n").contains("sigma.pipelines must be a list")
        );
        assert!(
            message("[sigma.placeholders]\nadmins = 3\n").contains("sigma.placeholders must be")
        );
        assert!(
            check("[sigma]\nmin_level = \"high\"\nexclude_status = [\"deprecated\"]\nexclude_rules = [\"x\"]\ninclude_tags = [\"attack.exfiltration\"]\nexclude_tags = [\"attack.t1059\"]\n").is_ok()
        );
        assert!(
            message("[sigma]\nmin_level = \"severe\"\n").contains("sigma.min_level must be one of")
        );
        assert!(
            message("[sigma]\nexclude_rules = \"x\"\n")
                .contains("sigma.exclude_rules must be a list of strings")
        );
    }

    #[test]
    fn design_example_parses() {
        let text = r#"
[network]
internal = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
[organisation]
domains = ["corp.example"]
[calendar]
timezone = "Europe/Berlin"
business_hours = "08:00-18:00"
business_days = ["mon", "tue", "wed", "thu", "fri"]
holidays = ["2026-12-25"]
[[allow]]
destination = "backup.example.net"
host = "10.1.2.0/24"
reason = "nightly offsite backup"
[[sensitivity]]
host = "10.1.5.0/24"
level = "high"
[intel]
feeds = ["intel/bad-ips.txt", "intel/bundle.stix.json"]
[detectors.volume]
min_bytes = 1000
"#;
        let config = Config::from_toml(text, Path::new("/etc/exfilguard/exfilguard.toml")).unwrap();
        assert_eq!(config.calendar.timezone, "Europe/Berlin");
        assert_eq!(config.allow[0].reason, "nightly offsite backup");
        assert_eq!(
            config.resolve_path(Path::new("intel/bad-ips.txt")),
            PathBuf::from("/etc/exfilguard/intel/bad-ips.txt")
        );
        assert!(config.detectors.contains_key("volume"));
    }

    #[test]
    fn unknown_key_is_an_error_with_a_reason() {
        let err = Config::from_toml("[netwrk]\ninternal=[]\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("netwrk"), "{err}");
    }
}
