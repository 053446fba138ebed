//! `[detectors.<name>]`: the typed thresholds of every analytic, with defaults that
//! work on a first run. Unknown detector names and unknown keys are errors that
//! name the key, so a typo never silently falls back to a default.

use crate::AnalyticsError;
use serde::Deserialize;

macro_rules! section {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty = $default:expr),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Deserialize, PartialEq)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }
        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default,)* }
            }
        }
    };
}

section! {
    /// `[detectors.volume]`: outbound bytes per host and user against a baseline.
    VolumeConfig {
        /// Run this detector.
        enabled: bool = true,
        /// An hour below this many bytes out is never flagged.
        min_bytes_hour: u64 = 20_000_000,
        /// A 5-minute bucket needs at least this many bytes to be a burst.
        burst_min_bytes: u64 = 100_000_000,
        /// A 5-minute burst is also this many times the host's normal 5 minutes.
        burst_ratio: f64 = 10.0,
        /// Robust z: bytes above median + k * 1.4826 * MAD.
        mad_factor: f64 = 6.0,
        /// And at least this many times the baseline median.
        ratio: f64 = 4.0,
        /// Weeks of the same hour-of-week needed before that baseline is used.
        hour_of_week_weeks: usize = 3,
        /// Days of the same hour-of-day needed before that baseline is used.
        hour_of_day_days: usize = 3,
        /// Hours of history needed for the EWMA baseline; below, the peer group.
        ewma_min_hours: u32 = 12,
        /// EWMA weight of the newest hour.
        ewma_alpha: f64 = 0.1,
        /// Consecutive flagged hours that make a sustained transfer.
        sustained_hours: u32 = 3,
        /// Days from the first event that only learn (no signal): baselines and habits fill.
        learning_days: u32 = 1,
        /// Also keep baselines per user (not only per host).
        per_user: bool = true,
        /// Most hosts plus users tracked; the coldest are evicted beyond it.
        max_entities: usize = 200_000,
    }
}

section! {
    /// `[detectors.cadence]`: regular transfers per (host, destination).
    CadenceConfig {
        /// Run this detector.
        enabled: bool = true,
        /// Connections needed before a pair is scored.
        min_connections: u32 = 6,
        /// Intervals shorter than this (seconds) are one session, not a beat.
        min_interval_s: u32 = 10,
        /// Beat displacement tolerated by the period test (0.3 = +-30 %).
        jitter: f64 = 0.3,
        /// Regularity score (0..1) needed to raise a signal.
        min_regularity: f64 = 0.8,
        /// Mean bytes out per connection below which a regular pair is a heartbeat,
        /// not a transfer (not raised).
        min_mean_bytes_out: u64 = 20_000,
        /// Pairs first seen longer ago than this are the host's routine (not raised).
        established_days: u32 = 3,
        /// A pair is raised again at most once per this many hours.
        realert_hours: u32 = 24,
        /// A destination that at least this many hosts contact is an organisation-wide
        /// service (mail, updates, collaboration): regular polling of it is routine, so
        /// its cadence score is lowered by `prevalent_penalty` (0 turns this off).
        prevalent_hosts: u32 = 5,
        /// Score points taken off a cadence finding to a prevalent destination.
        prevalent_penalty: f64 = 40.0,
        /// Most (host, destination) pairs tracked; the coldest are evicted beyond it.
        max_pairs: usize = 2_000_000,
    }
}

section! {
    /// `[detectors.novelty]`: destinations never seen before.
    NoveltyConfig {
        /// Run this detector.
        enabled: bool = true,
        /// Days from the first event during which everything is learned, not raised.
        learning_days: u32 = 1,
        /// Bytes out to a new destination (within `window_hours`) before it is raised.
        min_bytes: u64 = 1_000_000,
        /// Hours after first contact during which bytes to a new destination add up.
        window_hours: u32 = 24,
        /// A destination used by at most this many hosts is rare.
        rare_hosts: u32 = 2,
        /// Most destinations remembered; the coldest are evicted beyond it.
        max_destinations: usize = 5_000_000,
        /// The older name of `[detectors] state` (the one state file every detector
        /// shares); empty: not set here.
        state: String = String::new(),
    }
}

section! {
    /// `[detectors.port]`: transfer protocols to the internet, protocols on odd ports.
    PortConfig {
        /// Run this detector.
        enabled: bool = true,
        /// Bytes out in one connection before it is raised.
        min_bytes: u64 = 1_000_000,
        /// A (host, destination, port) is raised again at most once per this many hours.
        realert_hours: u32 = 24,
        /// Earlier days with the same (host, destination, port) that make it routine.
        routine_days: u32 = 3,
    }
}

section! {
    /// `[detectors.offhours]`: transfers outside the business calendar.
    OffhoursConfig {
        /// Run this detector.
        enabled: bool = true,
        /// Bytes out by a host within one off-hours hour before it is raised.
        min_bytes: u64 = 10_000_000,
        /// Days on which the host already sent this much at this hour that make it routine.
        habitual_days: u32 = 3,
    }
}

section! {
    /// `[detectors.staging]`: archives made shortly before data leaves.
    StagingConfig {
        /// Run this detector.
        enabled: bool = true,
        /// Minutes after an archive during which outbound bytes count.
        window_minutes: u32 = 120,
        /// Bytes out within the window that make it a staged transfer.
        min_bytes_out: u64 = 10_000_000,
        /// A written archive file at least this large is staging by itself.
        large_archive_bytes: u64 = 50_000_000,
    }
}

section! {
    /// `[detectors.automation]`: scheduled tasks, scripts and transfer tools near a transfer.
    AutomationConfig {
        /// Run this detector.
        enabled: bool = true,
        /// Minutes after the automation during which outbound bytes count.
        window_minutes: u32 = 60,
        /// Bytes out within the window that tie the automation to a transfer.
        min_bytes_out: u64 = 1_000_000,
    }
}

section! {
    /// `[detectors.dns_tunnel]`: data hidden in DNS queries.
    DnsTunnelConfig {
        /// Run this detector.
        enabled: bool = true,
        /// Unique subdomains per (host, registered domain) per hour to consider it.
        min_unique_subdomains: u32 = 50,
        /// Mean Shannon entropy (bits/char) of the subdomain part that is suspicious.
        min_entropy: f64 = 3.3,
        /// Mean length of the longest label that is suspicious.
        min_label_length: f64 = 24.0,
        /// Share of TXT/NULL/CNAME queries that is suspicious.
        record_type_share: f64 = 0.5,
        /// Share of NXDOMAIN answers that is suspicious.
        nxdomain_share: f64 = 0.5,
        /// Most (host, domain) pairs tracked per hour.
        max_pairs: usize = 100_000,
        /// Leading labels that spell a reversed IPv4 or IPv6 address are
        /// not counted as subdomain data: DNSBL and reputation lookups
        /// (`4.3.2.1.zen.spamhaus.org`) ask about an address, a mail
        /// server makes thousands an hour, and most answer NXDOMAIN
        /// ("not listed"). Labels after the address still count, so data
        /// cannot ride behind one.
        strip_address_labels: bool = true,
    }
}

section! {
    /// `[detectors.asymmetry]`: sessions that send far more than they receive.
    AsymmetryConfig {
        /// Run this detector.
        enabled: bool = true,
        /// Bytes out in one session before it is considered.
        min_bytes_out: u64 = 10_000_000,
        /// Bytes out divided by bytes in that makes it upload-heavy.
        min_ratio: f64 = 10.0,
        /// A (host, destination) is raised again at most once per this many hours.
        realert_hours: u32 = 1,
        /// Earlier days with upload-heavy sessions to the pair that make it routine.
        routine_days: u32 = 1,
        /// Days from the first event that only learn (no signal).
        learning_days: u32 = 1,
    }
}

section! {
    /// `[detectors.intel]`: destinations listed in the `[intel] feeds`.
    IntelDetectorConfig {
        /// Run this detector.
        enabled: bool = true,
        /// A (host, indicator) is raised again at most once per this many hours.
        realert_hours: u32 = 1,
    }
}

section! {
    /// `[detectors.saas]`: per-user cloud and SaaS activity (see [`crate::saas`]).
    SaasSection {
        /// Run this detector.
        enabled: bool = true,
        /// Earlier active buckets a user needs before their own baseline is used.
        min_history: usize = 5,
        /// MADs above the median that count as a burst.
        mad_factor: f64 = 5.0,
        /// A burst is also at least this many times the median.
        median_ratio: f64 = 3.0,
        /// Days from the first SaaS record in which a burst is held back: it is
        /// raised only if the same account does not repeat it (at a third of the
        /// size or more) within two days, or when the data ends first.
        learning_days: u32 = 1,
    }
}

section! {
    /// `[detectors.scoring]`: how allow-lists and sensitivity change scores.
    ScoringConfig {
        /// Score multiplier for signals an `[[allow]]` entry matches.
        allowed_multiplier: f64 = 0.3,
        /// Score multiplier for signals from `high` sensitivity hosts or users.
        high_multiplier: f64 = 1.3,
        /// Score multiplier for signals from `low` sensitivity hosts or users.
        low_multiplier: f64 = 0.8,
    }
}

/// All `[detectors.*]` sections, and the state file they share.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorsConfig {
    /// `[detectors] state`: SQLite file (relative to the config file) in which the
    /// detectors keep their baselines between runs; empty: none kept.
    pub state: String,
    /// `[detectors] state_max_rows`: rows kept per scope of the state file (one
    /// scope per kind of state: volume entities, SaaS series, cadence pairs,
    /// novelty pairs...); beyond it the coldest are dropped when saving.
    pub state_max_rows: usize,
    /// `[detectors.volume]`.
    pub volume: VolumeConfig,
    /// `[detectors.cadence]`.
    pub cadence: CadenceConfig,
    /// `[detectors.novelty]`.
    pub novelty: NoveltyConfig,
    /// `[detectors.port]`.
    pub port: PortConfig,
    /// `[detectors.offhours]`.
    pub offhours: OffhoursConfig,
    /// `[detectors.staging]`.
    pub staging: StagingConfig,
    /// `[detectors.automation]`.
    pub automation: AutomationConfig,
    /// `[detectors.dns_tunnel]`.
    pub dns_tunnel: DnsTunnelConfig,
    /// `[detectors.asymmetry]`.
    pub asymmetry: AsymmetryConfig,
    /// `[detectors.intel]`.
    pub intel: IntelDetectorConfig,
    /// `[detectors.scoring]`.
    pub scoring: ScoringConfig,
    /// `[detectors.saas]`.
    pub saas: SaasSection,
}

impl Default for DetectorsConfig {
    fn default() -> Self {
        DetectorsConfig {
            state: String::new(),
            state_max_rows: 2_000_000,
            volume: VolumeConfig::default(),
            cadence: CadenceConfig::default(),
            novelty: NoveltyConfig::default(),
            port: PortConfig::default(),
            offhours: OffhoursConfig::default(),
            staging: StagingConfig::default(),
            automation: AutomationConfig::default(),
            dns_tunnel: DnsTunnelConfig::default(),
            asymmetry: AsymmetryConfig::default(),
            intel: IntelDetectorConfig::default(),
            scoring: ScoringConfig::default(),
            saas: SaasSection::default(),
        }
    }
}

impl DetectorsConfig {
    /// The state file every detector shares, and the key that named it:
    /// `[detectors] state`, or the older `[detectors.novelty] state`, which now
    /// keeps every detector's state too. Both set to different files is an error.
    pub fn state_file(&self) -> Result<Option<(&str, &'static str)>, AnalyticsError> {
        match (self.state.as_str(), self.novelty.state.as_str()) {
            ("", "") => Ok(None),
            (shared, "") => Ok(Some((shared, "detectors.state"))),
            ("", novelty) => Ok(Some((novelty, "detectors.novelty.state"))),
            (shared, novelty) if shared == novelty => Ok(Some((shared, "detectors.state"))),
            (shared, novelty) => Err(AnalyticsError::Config {
                key: "detectors.state".into(),
                message: format!(
                    "{shared:?} and detectors.novelty.state {novelty:?} name different files; the detectors share one state file, so set only detectors.state"
                ),
            }),
        }
    }

    /// Types the raw `[detectors]` table of [`model::Config`].
    pub fn from_table(table: &toml::Table) -> Result<Self, AnalyticsError> {
        let config: DetectorsConfig =
            toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| AnalyticsError::Config {
                    key: "detectors".into(),
                    message: e.message().trim().replace('\n', " "),
                })?;
        config.validate()?;
        Ok(config)
    }

    /// Values that parse but make no sense (a share above 1, a negative factor).
    fn validate(&self) -> Result<(), AnalyticsError> {
        let checks: [(&str, f64, f64, f64); 12] = [
            ("volume.ewma_alpha", self.volume.ewma_alpha, 1e-6, 1.0),
            ("volume.mad_factor", self.volume.mad_factor, 0.0, 1e6),
            ("volume.ratio", self.volume.ratio, 1.0, 1e6),
            ("volume.burst_ratio", self.volume.burst_ratio, 1.0, 1e6),
            ("cadence.jitter", self.cadence.jitter, 0.0, 0.9),
            (
                "cadence.min_regularity",
                self.cadence.min_regularity,
                0.0,
                0.99,
            ),
            (
                "dns_tunnel.record_type_share",
                self.dns_tunnel.record_type_share,
                0.0,
                1.0,
            ),
            (
                "dns_tunnel.nxdomain_share",
                self.dns_tunnel.nxdomain_share,
                0.0,
                1.0,
            ),
            ("asymmetry.min_ratio", self.asymmetry.min_ratio, 1.0, 1e9),
            (
                "scoring.allowed_multiplier",
                self.scoring.allowed_multiplier,
                0.0,
                1.0,
            ),
            (
                "scoring.high_multiplier",
                self.scoring.high_multiplier,
                1.0,
                10.0,
            ),
            (
                "scoring.low_multiplier",
                self.scoring.low_multiplier,
                0.0,
                1.0,
            ),
        ];
        for (key, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(AnalyticsError::Config {
                    key: format!("detectors.{key}"),
                    message: format!("{value} is outside {min}..={max}"),
                });
            }
        }
        if self.state_max_rows == 0 {
            return Err(AnalyticsError::Config {
                key: "detectors.state_max_rows".into(),
                message: "0 would drop every row of the state file; use at least 1".into(),
            });
        }
        self.state_file()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_table_gives_defaults() {
        let config = DetectorsConfig::from_table(&toml::Table::new()).unwrap();
        assert_eq!(config, DetectorsConfig::default());
        assert_eq!(config.cadence.min_connections, 6);
    }

    #[test]
    fn one_state_file_under_either_key() {
        let parse = |text: &str| {
            DetectorsConfig::from_table(&toml::from_str::<toml::Table>(text).unwrap()).unwrap()
        };
        assert_eq!(parse("").state_file().unwrap(), None);
        assert_eq!(parse("").state_max_rows, 2_000_000);
        assert_eq!(
            parse("state = \"s.sqlite\"").state_file().unwrap(),
            Some(("s.sqlite", "detectors.state"))
        );
        assert_eq!(
            parse("[novelty]\nstate = \"n.sqlite\"")
                .state_file()
                .unwrap(),
            Some(("n.sqlite", "detectors.novelty.state"))
        );
        let mut both = parse("state = \"s.sqlite\"");
        both.novelty.state = "n.sqlite".into();
        let err = both.state_file().unwrap_err().to_string();
        assert!(
            err.contains("detectors.state") && err.contains("n.sqlite"),
            "{err}"
        );
    }

    #[test]
    fn keys_override_and_typos_are_errors() {
        let table: toml::Table = toml::from_str("[volume]\nmin_bytes_hour = 5\n").unwrap();
        let config = DetectorsConfig::from_table(&table).unwrap();
        assert_eq!(config.volume.min_bytes_hour, 5);
        let typo: toml::Table = toml::from_str("[volume]\nmin_byte_hour = 5\n").unwrap();
        let err = DetectorsConfig::from_table(&typo).unwrap_err().to_string();
        assert!(err.contains("min_byte_hour"), "{err}");
        let unknown: toml::Table = toml::from_str("[volumes]\n").unwrap();
        let err = DetectorsConfig::from_table(&unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("volumes"), "{err}");
        let wrong_type: toml::Table = toml::from_str("[cadence]\njitter = \"x\"\n").unwrap();
        assert!(DetectorsConfig::from_table(&wrong_type).is_err());
        let out_of_range: toml::Table = toml::from_str("[cadence]\njitter = 1.5\n").unwrap();
        let err = DetectorsConfig::from_table(&out_of_range)
            .unwrap_err()
            .to_string();
        assert!(err.contains("detectors.cadence.jitter"), "{err}");
    }
}
