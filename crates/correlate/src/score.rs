//! The incident score: independent evidence and later chain stages raise it.

use model::{Signal, Stage};
use std::collections::BTreeMap;

/// How much an allow-listed signal still counts (its own score is already lowered
/// by the detector; this halves its weight in the combination again).
const ALLOWED_WEIGHT: f64 = 0.5;

/// Combines the signals of one incident into a 0-100 score.
///
/// Each independent evidence source (an analytic by name, or one Sigma rule) counts
/// once with its highest score; sources combine as independent probabilities
/// (`1 - Π(1 - s/100)`), so two medium findings from different detectors outrank one.
/// Allow-listed signals count at half weight. The furthest chain stage adds a small
/// bonus (0/3/6/10 for collection/staging/automation/exfiltration) unless every
/// signal is allow-listed.
pub fn incident_score<S: std::borrow::Borrow<Signal>>(signals: &[S], stage: Stage) -> u8 {
    let mut best: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for signal in signals.iter().map(S::borrow) {
        let rule = if signal.detector == "sigma" {
            signal.rule_id.as_str()
        } else {
            ""
        };
        let weight = if signal.allowed.is_some() {
            ALLOWED_WEIGHT
        } else {
            1.0
        };
        let effective = f64::from(signal.score.min(100)) / 100.0 * weight;
        let slot = best.entry((signal.detector.as_str(), rule)).or_insert(0.0);
        *slot = slot.max(effective);
    }
    let missing = best.values().fold(1.0, |acc, s| acc * (1.0 - s));
    let mut score = 100.0 * (1.0 - missing);
    if signals.iter().any(|s| s.borrow().allowed.is_none()) {
        score += match stage {
            Stage::Collection => 0.0,
            Stage::Staging => 3.0,
            Stage::Automation => 6.0,
            Stage::Exfiltration => 10.0,
        };
    }
    score.round().clamp(0.0, 100.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(detector: &str, score: u8, allowed: bool) -> Signal {
        Signal {
            detector: detector.into(),
            score,
            allowed: allowed.then(|| "backup".to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn independent_detectors_raise_the_score() {
        let one = incident_score(&[signal("volume", 50, false)], Stage::Collection);
        let same_twice = incident_score(
            &[signal("volume", 50, false), signal("volume", 50, false)],
            Stage::Collection,
        );
        let two = incident_score(
            &[signal("volume", 50, false), signal("cadence", 50, false)],
            Stage::Collection,
        );
        assert_eq!(one, 50);
        assert_eq!(same_twice, 50);
        assert_eq!(two, 75);
    }

    #[test]
    fn later_stage_raises_and_allow_listed_counts_less() {
        let plain = incident_score(&[signal("volume", 50, false)], Stage::Exfiltration);
        assert_eq!(plain, 60);
        let allowed = incident_score(&[signal("volume", 50, true)], Stage::Exfiltration);
        assert_eq!(allowed, 25);
    }
}
