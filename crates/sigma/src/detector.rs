//! [`SigmaDetector`]: the rule set as a [`model::Detector`], turning matches and
//! fired correlations into [`Signal`]s.

use crate::correlation::{CorrelationAlert, CorrelationState};
use crate::matcher::MatchScratch;
use crate::rule::RuleDoc;
use crate::ruleset::Shared;
use model::attack::technique_from_tag;
use model::{Detector, Event, FieldRef, Severity, SharedText, Signal, Stage, Timestamp};
use std::sync::Arc;

/// What every signal of one rule carries, computed once.
#[derive(Clone, Debug)]
pub(crate) struct SignalMeta {
    /// `sigma`, shared by every alert.
    detector: SharedText,
    rule_id: SharedText,
    title: SharedText,
    author: Option<SharedText>,
    tags: Vec<SharedText>,
    severity: Severity,
    stage: Stage,
    techniques: Vec<SharedText>,
    /// Fields whose values go into `evidence.fields`.
    evidence: Vec<(Box<str>, Box<[FieldRef]>)>,
}

impl SignalMeta {
    /// The rule's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn of(doc: &RuleDoc, evidence: Vec<(Box<str>, Box<[FieldRef]>)>) -> Self {
        let severity = doc
            .level
            .as_deref()
            .and_then(Severity::from_sigma_level)
            .unwrap_or(Severity::Medium);
        let mut techniques: Vec<String> = doc
            .tags
            .iter()
            .filter_map(|t| technique_from_tag(t))
            .collect();
        techniques.dedup();
        SignalMeta {
            detector: SharedText::from("sigma"),
            rule_id: if doc.id.is_empty() {
                doc.title.as_str().into()
            } else {
                doc.id.as_str().into()
            },
            title: doc.title.as_str().into(),
            author: doc.author.as_deref().map(SharedText::from),
            tags: doc.tags.iter().map(SharedText::from).collect(),
            severity,
            stage: stage_of(&doc.tags, &techniques),
            techniques: techniques.iter().map(SharedText::from).collect(),
            evidence,
        }
    }

    fn signal(&self, timestamp: Timestamp) -> Signal {
        Signal {
            timestamp,
            detector: self.detector.clone(),
            rule_id: self.rule_id.clone(),
            rule_name: self.title.clone(),
            rule_author: self.author.clone(),
            rule_tags: self.tags.clone(),
            score: self.severity.base_score(),
            severity: self.severity,
            stage: self.stage,
            techniques: self.techniques.clone(),
            ..Default::default()
        }
    }
}

/// The chain stage a rule's ATT&CK tags point at (the furthest one named).
pub(crate) fn stage_of(tags: &[String], techniques: &[String]) -> Stage {
    let has_tag = |t: &str| tags.iter().any(|x| x.eq_ignore_ascii_case(t));
    let has_technique = |ids: &[&str]| {
        techniques.iter().any(|t| {
            ids.iter()
                .any(|id| t == id || t.starts_with(&format!("{id}.")))
        })
    };
    if has_tag("attack.exfiltration")
        || has_technique(&["T1020", "T1041", "T1048", "T1567", "T1030", "T1537"])
    {
        Stage::Exfiltration
    } else if has_tag("attack.execution")
        || has_tag("attack.persistence")
        || has_technique(&["T1053", "T1059", "T1197"])
    {
        Stage::Automation
    } else if has_technique(&["T1560", "T1074"]) {
        Stage::Staging
    } else {
        Stage::Collection
    }
}

fn copy_context(signal: &mut Signal, event: &Event) {
    signal.host_name = event.host_name.clone();
    signal.host_ip = event.host_address();
    signal.user_name = event.user_name.clone();
    if let Some(net) = event.network.as_deref() {
        signal.destination_ip = net.destination_ip;
        signal.destination_port = net.destination_port;
    }
    signal.destination_domain = event.destination_name().map(str::to_owned);
}

/// Runs a rule set over events in event-time order: per-event matching plus the
/// correlation windows (stateful; one per pipeline partition).
#[derive(Debug)]
pub struct SigmaDetector {
    shared: Arc<Shared>,
    scratch: MatchScratch,
    hits: Vec<u32>,
    correlations: CorrelationState,
    fired: Vec<CorrelationAlert>,
}

impl SigmaDetector {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        SigmaDetector {
            scratch: shared.matcher.scratch(),
            correlations: CorrelationState::new(shared.correlations.clone()),
            shared,
            hits: Vec::new(),
            fired: Vec::new(),
        }
    }

    /// The signal of detection rule `rule` (a matcher index) on `event`.
    fn detection_signal(&self, rule: u32, event: &Event) -> Signal {
        let meta = &self.shared.detection_meta[rule as usize];
        let mut signal = meta.signal(event.timestamp);
        copy_context(&mut signal, event);
        // Exact sizes: the alert is kept until the incidents are built, and
        // a growing vector or map would hold room for four.
        signal.records.reserve_exact(1);
        signal.add_record(event.origin.as_ref());
        let mut fields = serde_json::Map::with_capacity(
            meta.evidence.len() + usize::from(event.action.is_some()),
        );
        let mut text = String::new();
        for (name, refs) in &meta.evidence {
            if let Some(value) = refs.iter().find_map(|f| event.get(*f))
                && value.write_text(&mut text)
            {
                // Moved, not copied: the next field writes into a new buffer.
                fields.insert(name.to_string(), std::mem::take(&mut text).into());
            }
        }
        // What the record did (a cloud API call, an audit operation), so that an
        // analyst reads "GetObject" beside the fields the rule tested.
        if let Some(action) = event.action.as_deref()
            && !fields.contains_key("event.action")
        {
            fields.insert("event.action".into(), action.into());
        }
        if !fields.is_empty() {
            signal.evidence = serde_json::Map::with_capacity(1);
            signal.evidence.insert("fields".into(), fields.into());
        }
        signal.assign_id();
        signal
    }

    fn correlation_signal(&self, alert: &CorrelationAlert) -> Signal {
        let def = &self.shared.correlations[alert.correlation];
        let meta = &self.shared.correlation_meta[def.meta];
        let mut signal = meta.signal(alert.timestamp);
        let ctx = &alert.context;
        signal.host_name = ctx.host_name.clone();
        signal.host_ip = ctx.host_ip;
        signal.user_name = ctx.user_name.clone();
        signal.destination_ip = ctx.destination_ip;
        signal.destination_domain = ctx.destination_domain.clone();
        signal.destination_port = ctx.destination_port;
        for origin in &alert.records {
            signal.add_record(Some(origin));
        }
        signal.records_total = signal.records_total.max(alert.records_total);
        let group: serde_json::Map<String, serde_json::Value> = alert
            .group
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        if !group.is_empty() {
            signal.evidence.insert("group_by".into(), group.into());
        }
        signal.evidence.insert(
            "correlation_value".into(),
            serde_json::Number::from_f64(alert.value)
                .map(Into::into)
                .unwrap_or_default(),
        );
        signal.assign_id();
        signal
    }

    fn drain_correlations(&mut self, out: &mut Vec<Signal>) {
        let fired = std::mem::take(&mut self.fired);
        for alert in &fired {
            if self.shared.correlation_generate[alert.correlation] {
                out.push(self.correlation_signal(alert));
            }
        }
        self.fired = fired;
        self.fired.clear();
    }
}

impl Detector for SigmaDetector {
    fn name(&self) -> &str {
        "sigma"
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        self.hits.clear();
        self.shared
            .matcher
            .match_event(event, &mut self.scratch, &mut self.hits);
        if self.hits.is_empty() {
            return;
        }
        let hits = std::mem::take(&mut self.hits);
        for &rule in &hits {
            if self.shared.generate[rule as usize] {
                out.push(self.detection_signal(rule, event));
            }
            if !self.correlations.is_empty() && self.correlations.reads_rule(rule) {
                self.correlations.observe_rule(rule, event, &mut self.fired);
            }
        }
        self.hits = hits;
        self.drain_correlations(out);
    }

    fn advance(&mut self, watermark: Timestamp, out: &mut Vec<Signal>) {
        if self.correlations.is_empty() {
            return;
        }
        self.correlations.advance(watermark, &mut self.fired);
        self.drain_correlations(out);
    }

    fn finish(&mut self, out: &mut Vec<Signal>) {
        self.advance(Timestamp::MAX, out);
    }
}
