//! Behavioural analytics: the detectors that catch automated exfiltration by how
//! data leaves (too much, too regular, somewhere new, at night, after an archive,
//! from a scheduled job, hidden in DNS), not by a signature.
//!
//! * [`build_detectors`] turns a [`model::Config`] into the enabled detectors, each a
//!   [`model::Detector`] the engine feeds in event-time order.
//! * [`rescore`] applies allow-lists and source sensitivity to signals already
//!   raised, so changing an allow-list re-scores without re-reading the logs.
//! * Thresholds live in `[detectors.<name>]` ([`config::DetectorsConfig`]); the
//!   calendar in `[calendar]` ([`calendar::Calendar`]).
//!
//! State is keyed by 64-bit hashes of hosts and destinations and bounded per
//! detector (cold entries are evicted and counted in [`Stats`]), so memory stays
//! flat in the input size.
#![deny(missing_docs)]

pub mod calendar;
pub mod config;
pub mod detectors;
pub mod flow;
pub mod intel;
pub mod keys;
pub mod persist;
pub mod rescore;
pub mod routine;
pub mod saas;
pub mod state;
pub mod stats;
pub mod suite;

pub use calendar::Calendar;
pub use config::DetectorsConfig;
pub use rescore::{Rescorer, rescore};
pub use state::Stats;
pub use suite::{Member, Suite};

use model::{Config, Detector};

/// An analytics configuration error: the key and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A config key has a bad value.
    #[error("config key {key}: {message}")]
    Config {
        /// The dotted key (`calendar.timezone`, `detectors`).
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An intel feed could not be read or parsed.
    #[error("intel feed {path}: {message}")]
    Feed {
        /// The feed path.
        path: String,
        /// What is wrong, with the line where known.
        message: String,
    },
}

/// Builds every enabled behavioural detector from the configuration.
pub fn build_detectors(config: &Config) -> Result<Vec<Box<dyn Detector>>, AnalyticsError> {
    build_detectors_with_stats(config).map(|(detectors, _)| detectors)
}

/// As [`build_detectors`], plus the [`Stats`] the detectors update (evictions,
/// transfers with an unset clock, pairs tracked) for the run summary. The
/// detectors come as one [`Suite`] (none when every detector is off).
pub fn build_detectors_with_stats(
    config: &Config,
) -> Result<(Vec<Box<dyn Detector>>, Stats), AnalyticsError> {
    let (suite, stats) = build_suite(config)?;
    let mut out: Vec<Box<dyn Detector>> = Vec::new();
    if !suite.names().is_empty() {
        out.push(Box::new(suite));
    }
    Ok((out, stats))
}

/// Every enabled behavioural detector as one [`Suite`], which computes each
/// event's transfer view once for all of them, and the [`Stats`] they update.
pub fn build_suite(config: &Config) -> Result<(Suite, Stats), AnalyticsError> {
    let (members, stats) = build_members(config)?;
    let typed = DetectorsConfig::from_table(&config.detectors)?;
    let mut suite = Suite::new(members, &config.networks(), stats.clone());
    if let Some((file, key)) = typed.state_file()? {
        let path = config.resolve_path(std::path::Path::new(file));
        let error = |e: store::StoreError| AnalyticsError::Config {
            key: key.into(),
            message: e.to_string(),
        };
        let store = store::Store::open(&path).map_err(error)?;
        suite
            .attach_state(store, typed.state_max_rows)
            .map_err(error)?;
    }
    Ok((suite, stats))
}

/// Every enabled behavioural detector on its own, in the suite's order (each also
/// works as a separate [`Detector`] that computes its own transfer view).
pub fn build_members(config: &Config) -> Result<(Vec<Box<dyn Member>>, Stats), AnalyticsError> {
    use detectors::*;
    let typed = DetectorsConfig::from_table(&config.detectors)?;
    let calendar = Calendar::from_config(&config.calendar)?;
    let networks = config.networks();
    Rescorer::new(config)?;
    let intel = intel::IntelSet::load(config)?;
    let stats = Stats::default();
    for (feed, skipped) in &intel.skipped {
        stats.warn(format!(
            "intel feed {feed}: {skipped} line(s) or entries were not indicators and were skipped"
        ));
    }
    let mut out: Vec<Box<dyn Member>> = Vec::new();
    if typed.volume.enabled {
        out.push(Box::new(volume::VolumeDetector::new(
            typed.volume.clone(),
            calendar.clone(),
            networks.clone(),
            stats.clone(),
        )));
    }
    if typed.cadence.enabled {
        out.push(Box::new(cadence::CadenceDetector::new(
            typed.cadence.clone(),
            networks.clone(),
            stats.clone(),
        )));
    }
    if typed.novelty.enabled {
        out.push(Box::new(novelty::NoveltyDetector::new(
            typed.novelty.clone(),
            networks.clone(),
            stats.clone(),
        )));
    }
    if typed.port.enabled {
        out.push(Box::new(port::PortDetector::new(
            typed.port.clone(),
            networks.clone(),
        )));
    }
    if typed.offhours.enabled {
        out.push(Box::new(offhours::OffhoursDetector::new(
            typed.offhours.clone(),
            calendar.clone(),
            networks.clone(),
            stats.clone(),
        )));
    }
    if typed.staging.enabled {
        out.push(Box::new(staging::StagingDetector::new(
            typed.staging.clone(),
            networks.clone(),
        )));
    }
    if typed.automation.enabled {
        out.push(Box::new(automation::AutomationDetector::new(
            typed.automation.clone(),
            networks.clone(),
        )));
    }
    if typed.dns_tunnel.enabled {
        out.push(Box::new(dns_tunnel::DnsTunnelDetector::new(
            typed.dns_tunnel.clone(),
            config.organisation.domains.clone(),
        )));
    }
    if typed.asymmetry.enabled {
        out.push(Box::new(asymmetry::AsymmetryDetector::new(
            typed.asymmetry.clone(),
            networks.clone(),
        )));
    }
    if typed.saas.enabled {
        out.push(Box::new(saas::SaasDetector::new(saas::SaasConfig {
            min_history: typed.saas.min_history,
            mad_factor: typed.saas.mad_factor,
            median_ratio: typed.saas.median_ratio,
            learning_days: typed.saas.learning_days,
        })));
    }
    if typed.intel.enabled && !intel.is_empty() {
        out.push(Box::new(crate::intel::IntelDetector::new(
            typed.intel.clone(),
            networks.clone(),
            intel,
        )));
    }
    Ok((out, stats))
}
