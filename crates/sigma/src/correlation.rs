//! Correlation rules over other rules' matches: `event_count`, `value_count`,
//! `temporal`, `temporal_ordered`, `value_sum`, `value_avg`, `value_percentile`,
//! with group-by, aliases and chaining. Windows slide over event time: each group
//! keeps the matches of the last `timespan` and is tested on every new match
//! (conditions with only upper bounds, such as `lt: 5`, are tested when a window
//! closes, since more matches could still arrive before that).

use crate::rule::{CmpOp, CorrelationType};
use model::{Event, FieldRef, Origin, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Where a correlation's input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InputRef {
    /// A detection rule (matcher index).
    Rule(u32),
    /// Another correlation (correlation index).
    Correlation(u32),
}

/// How one input feeds a correlation.
#[derive(Clone, Debug)]
pub(crate) struct InputSpec {
    pub source: InputRef,
    /// Per group-by key: the fields to read on this input's events, or the
    /// group name to read on a chained correlation's alert.
    pub group_fields: Vec<(String, Box<[FieldRef]>)>,
    pub value_field: Option<(String, Box<[FieldRef]>)>,
}

/// A correlation rule ready to run.
#[derive(Clone, Debug)]
pub(crate) struct CorrelationDef {
    /// Index into the rule set's infos / signal metadata.
    pub meta: usize,
    pub kind: CorrelationType,
    pub group_by: Vec<String>,
    pub timespan_us: i64,
    pub bounds: Vec<(CmpOp, f64)>,
    pub percentile: Option<f64>,
    pub inputs: Vec<InputSpec>,
}

impl CorrelationDef {
    /// A correlation that never fires: the place of one that could not be
    /// resolved, so that the others keep their positions.
    pub(crate) fn inert(meta: usize) -> Self {
        CorrelationDef {
            meta,
            kind: crate::rule::CorrelationType::EventCount,
            group_by: Vec::new(),
            timespan_us: 0,
            bounds: Vec::new(),
            percentile: None,
            inputs: Vec::new(),
        }
    }

    fn deferred(&self) -> bool {
        !self.bounds.is_empty()
            && self
                .bounds
                .iter()
                .all(|(op, _)| matches!(op, CmpOp::Lt | CmpOp::Lte))
    }
}

/// Context copied from the last contributing event onto the alert.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Context {
    pub host_name: Option<String>,
    pub host_ip: Option<IpAddr>,
    pub user_name: Option<String>,
    pub destination_ip: Option<IpAddr>,
    pub destination_domain: Option<String>,
    pub destination_port: Option<u16>,
}

impl Context {
    pub fn of(event: &Event) -> Context {
        let net = event.network.as_deref();
        Context {
            host_name: event.host_name.clone(),
            host_ip: event.host_address(),
            user_name: event.user_name.clone(),
            destination_ip: net.and_then(|n| n.destination_ip),
            destination_domain: event.destination_name().map(str::to_owned),
            destination_port: net.and_then(|n| n.destination_port),
        }
    }
}

/// One match waiting in a window.
#[derive(Clone, Debug)]
struct Entry {
    ts: Timestamp,
    input: usize,
    number: Option<f64>,
    text: Option<String>,
    records: Vec<Origin>,
    records_total: u64,
}

#[derive(Debug, Default)]
struct Group {
    entries: VecDeque<Entry>,
    context: Context,
}

/// A fired correlation.
#[derive(Clone, Debug)]
pub(crate) struct CorrelationAlert {
    pub correlation: usize,
    pub timestamp: Timestamp,
    pub group: Vec<(String, String)>,
    pub records: Vec<Origin>,
    pub records_total: u64,
    pub context: Context,
    /// The aggregate that met the condition (count, distinct values, sum...).
    pub value: f64,
}

/// The state of every correlation of a rule set.
#[derive(Debug)]
pub(crate) struct CorrelationState {
    defs: Vec<CorrelationDef>,
    /// Rule index -> (correlation, input) pairs fed by it.
    by_rule: HashMap<u32, Vec<(usize, usize)>>,
    by_correlation: HashMap<u32, Vec<(usize, usize)>>,
    groups: Vec<HashMap<Vec<String>, Group>>,
}

/// Most records kept per window entry list (evidence), beyond which only counts grow.
const MAX_RECORDS: usize = model::signal::MAX_EVIDENCE_RECORDS;
/// Most groups kept per correlation; the oldest windows are dropped past it.
const MAX_GROUPS: usize = 100_000;

impl CorrelationState {
    pub fn new(defs: Vec<CorrelationDef>) -> Self {
        let mut by_rule: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
        let mut by_correlation: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
        for (c, def) in defs.iter().enumerate() {
            for (i, input) in def.inputs.iter().enumerate() {
                match input.source {
                    InputRef::Rule(r) => by_rule.entry(r).or_default().push((c, i)),
                    InputRef::Correlation(r) => by_correlation.entry(r).or_default().push((c, i)),
                }
            }
        }
        let groups = defs.iter().map(|_| HashMap::new()).collect();
        CorrelationState {
            defs,
            by_rule,
            by_correlation,
            groups,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Whether any correlation reads this rule's matches.
    pub fn reads_rule(&self, rule: u32) -> bool {
        self.by_rule.contains_key(&rule)
    }

    /// Feeds a detection rule's match; pushes fired correlations (chains included).
    pub fn observe_rule(&mut self, rule: u32, event: &Event, out: &mut Vec<CorrelationAlert>) {
        let Some(targets) = self.by_rule.get(&rule).cloned() else {
            return;
        };
        let mut buf = String::new();
        for (c, i) in targets {
            let spec = &self.defs[c].inputs[i];
            let mut key = Vec::with_capacity(spec.group_fields.len());
            for (_, refs) in &spec.group_fields {
                let value = refs.iter().find_map(|f| event.get(*f));
                key.push(match value {
                    Some(v) if v.write_text(&mut buf) => buf.clone(),
                    _ => String::new(),
                });
            }
            let (number, text) = match &spec.value_field {
                Some((_, refs)) => {
                    let value = refs.iter().find_map(|f| event.get(*f));
                    let text = value.and_then(|v| v.write_text(&mut buf).then(|| buf.clone()));
                    (value.and_then(|v| v.as_f64()), text)
                }
                None => (None, None),
            };
            let entry = Entry {
                ts: event.timestamp,
                input: i,
                number,
                text,
                records: event.origin.iter().cloned().collect(),
                records_total: 1,
            };
            self.push(c, key, entry, Context::of(event), out);
        }
    }

    fn observe_alert(&mut self, alert: &CorrelationAlert, out: &mut Vec<CorrelationAlert>) {
        let Some(targets) = self
            .by_correlation
            .get(&(alert.correlation as u32))
            .cloned()
        else {
            return;
        };
        for (c, i) in targets {
            let spec = &self.defs[c].inputs[i];
            let lookup = |name: &str| {
                alert
                    .group
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            let key = spec
                .group_fields
                .iter()
                .map(|(name, _)| lookup(name).unwrap_or_default())
                .collect();
            let text = spec.value_field.as_ref().and_then(|(name, _)| lookup(name));
            let entry = Entry {
                ts: alert.timestamp,
                input: i,
                number: text
                    .as_deref()
                    .and_then(|t| t.parse().ok())
                    .or(Some(alert.value)),
                text,
                records: alert.records.clone(),
                records_total: alert.records_total,
            };
            self.push(c, key, entry, alert.context.clone(), out);
        }
    }

    fn push(
        &mut self,
        c: usize,
        key: Vec<String>,
        entry: Entry,
        context: Context,
        out: &mut Vec<CorrelationAlert>,
    ) {
        let def = &self.defs[c];
        let groups = &mut self.groups[c];
        if groups.len() >= MAX_GROUPS && !groups.contains_key(&key) {
            evict_oldest(groups);
        }
        let now = entry.ts;
        let group = groups.entry(key.clone()).or_default();
        let horizon = Timestamp(now.0.saturating_sub(def.timespan_us));
        if !def.deferred() {
            while group.entries.front().is_some_and(|e| e.ts < horizon) {
                group.entries.pop_front();
            }
        }
        group.entries.push_back(entry);
        group.context = context;
        if def.deferred() {
            return;
        }
        if let Some(value) = evaluate(def, &group.entries) {
            let alert = fire(c, def, &key, group, now, value);
            groups.remove(&key);
            self.emit(alert, out);
        }
    }

    fn emit(&mut self, alert: CorrelationAlert, out: &mut Vec<CorrelationAlert>) {
        let mut chained = Vec::new();
        self.observe_alert(&alert, &mut chained);
        out.push(alert);
        out.extend(chained);
    }

    /// Closes windows that ended before `watermark` (deferred conditions fire here).
    pub fn advance(&mut self, watermark: Timestamp, out: &mut Vec<CorrelationAlert>) {
        let mut fired = Vec::new();
        for (c, def) in self.defs.iter().enumerate() {
            let groups = &mut self.groups[c];
            let mut closed = Vec::new();
            for (key, group) in groups.iter_mut() {
                let Some(first) = group.entries.front().map(|e| e.ts) else {
                    closed.push(key.clone());
                    continue;
                };
                let end = Timestamp(first.0.saturating_add(def.timespan_us));
                if end >= watermark {
                    continue;
                }
                if def.deferred() {
                    if let Some(value) = evaluate(def, &group.entries) {
                        fired.push(fire(c, def, key, group, end, value));
                    }
                    closed.push(key.clone());
                } else {
                    let horizon = Timestamp(watermark.0.saturating_sub(def.timespan_us));
                    while group.entries.front().is_some_and(|e| e.ts < horizon) {
                        group.entries.pop_front();
                    }
                    if group.entries.is_empty() {
                        closed.push(key.clone());
                    }
                }
            }
            for key in closed {
                groups.remove(&key);
            }
        }
        for alert in fired {
            self.emit(alert, out);
        }
    }
}

fn evict_oldest(groups: &mut HashMap<Vec<String>, Group>) {
    let oldest = groups
        .iter()
        .min_by_key(|(_, g)| g.entries.back().map(|e| e.ts))
        .map(|(k, _)| k.clone());
    if let Some(key) = oldest {
        groups.remove(&key);
    }
}

fn fire(
    c: usize,
    def: &CorrelationDef,
    key: &[String],
    group: &Group,
    timestamp: Timestamp,
    value: f64,
) -> CorrelationAlert {
    let mut records = Vec::new();
    let mut records_total = 0;
    for entry in &group.entries {
        records_total += entry.records_total;
        for record in &entry.records {
            if records.len() < MAX_RECORDS {
                records.push(record.clone());
            }
        }
    }
    CorrelationAlert {
        correlation: c,
        timestamp,
        group: def
            .group_by
            .iter()
            .cloned()
            .zip(key.iter().cloned())
            .collect(),
        records,
        records_total,
        context: group.context.clone(),
        value,
    }
}

/// The aggregate when the correlation's condition holds over `entries`.
fn evaluate(def: &CorrelationDef, entries: &VecDeque<Entry>) -> Option<f64> {
    let value = match def.kind {
        CorrelationType::EventCount => entries.len() as f64,
        CorrelationType::ValueCount => {
            let mut seen: Vec<&str> = entries.iter().filter_map(|e| e.text.as_deref()).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len() as f64
        }
        CorrelationType::ValueSum => entries.iter().filter_map(|e| e.number).sum(),
        CorrelationType::ValueAvg => {
            let numbers: Vec<f64> = entries.iter().filter_map(|e| e.number).collect();
            if numbers.is_empty() {
                return None;
            }
            numbers.iter().sum::<f64>() / numbers.len() as f64
        }
        CorrelationType::ValuePercentile => {
            let mut numbers: Vec<f64> = entries.iter().filter_map(|e| e.number).collect();
            if numbers.is_empty() {
                return None;
            }
            numbers.sort_by(f64::total_cmp);
            let rank = def.percentile.unwrap_or(50.0).clamp(0.0, 100.0) / 100.0;
            let index = ((numbers.len() - 1) as f64 * rank).round() as usize;
            numbers[index]
        }
        CorrelationType::Temporal => {
            let mut seen = vec![false; def.inputs.len()];
            entries.iter().for_each(|e| seen[e.input] = true);
            if !seen.iter().all(|s| *s) {
                return None;
            }
            seen.len() as f64
        }
        CorrelationType::TemporalOrdered => {
            let mut next = 0;
            for e in entries {
                if e.input == next {
                    next += 1;
                    if next == def.inputs.len() {
                        break;
                    }
                }
            }
            if next < def.inputs.len() {
                return None;
            }
            next as f64
        }
    };
    def.bounds
        .iter()
        .all(|(op, bound)| op.holds(value, *bound))
        .then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: CorrelationType, bounds: Vec<(CmpOp, f64)>, inputs: usize) -> CorrelationDef {
        CorrelationDef {
            meta: 0,
            kind,
            group_by: vec!["User".into()],
            timespan_us: 60_000_000,
            bounds,
            percentile: Some(90.0),
            inputs: (0..inputs)
                .map(|i| InputSpec {
                    source: InputRef::Rule(i as u32),
                    group_fields: vec![(
                        "User".into(),
                        vec![FieldRef::resolve("User").unwrap()].into(),
                    )],
                    value_field: Some((
                        "Bytes".into(),
                        vec![FieldRef::resolve("Bytes").unwrap()].into(),
                    )),
                })
                .collect(),
        }
    }

    fn event(secs: i64, user: &str, bytes: i64) -> Event {
        let mut e = Event {
            timestamp: Timestamp::from_secs(secs),
            ..Default::default()
        };
        e.native.push("User", user.into());
        e.native.push("Bytes", model::Value::Int(bytes));
        e
    }

    #[test]
    fn event_count_slides_over_event_time() {
        let mut state = CorrelationState::new(vec![def(
            CorrelationType::EventCount,
            vec![(CmpOp::Gte, 3.0)],
            1,
        )]);
        let mut out = Vec::new();
        for t in [0, 50, 100, 130] {
            state.observe_rule(0, &event(t, "a", 1), &mut out);
        }
        // 0,50 then 100 (0 expired: 50,100), 130 -> 50,100,130 = 3 within 60 s? No: 50 < 70.
        assert!(out.is_empty());
        state.observe_rule(0, &event(140, "a", 1), &mut out);
        assert_eq!(out.len(), 1, "100,130,140 fall in one minute");
        assert_eq!(out[0].group, vec![("User".to_string(), "a".to_string())]);
        assert_eq!(out[0].value, 3.0);
    }

    #[test]
    fn groups_are_separate() {
        let mut state = CorrelationState::new(vec![def(
            CorrelationType::EventCount,
            vec![(CmpOp::Gte, 2.0)],
            1,
        )]);
        let mut out = Vec::new();
        state.observe_rule(0, &event(0, "a", 1), &mut out);
        state.observe_rule(0, &event(1, "b", 1), &mut out);
        assert!(out.is_empty());
        state.observe_rule(0, &event(2, "b", 1), &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn value_aggregates() {
        for (kind, bound, expect) in [
            (CorrelationType::ValueSum, 600.0, true),
            (CorrelationType::ValueAvg, 250.0, false),
            (CorrelationType::ValuePercentile, 300.0, true),
            (CorrelationType::ValueCount, 3.0, true),
        ] {
            let mut state = CorrelationState::new(vec![def(kind, vec![(CmpOp::Gte, bound)], 1)]);
            let mut out = Vec::new();
            for (t, b) in [(0, 100), (1, 200), (2, 300)] {
                state.observe_rule(0, &event(t, "a", b), &mut out);
            }
            assert_eq!(!out.is_empty(), expect, "{kind:?}");
        }
    }

    #[test]
    fn temporal_ordered_needs_order() {
        let mut state =
            CorrelationState::new(vec![def(CorrelationType::TemporalOrdered, vec![], 2)]);
        let mut out = Vec::new();
        state.observe_rule(1, &event(0, "a", 0), &mut out);
        state.observe_rule(0, &event(1, "a", 0), &mut out);
        assert!(out.is_empty());
        state.observe_rule(1, &event(2, "a", 0), &mut out);
        assert_eq!(out.len(), 1);
        let mut state = CorrelationState::new(vec![def(CorrelationType::Temporal, vec![], 2)]);
        let mut out = Vec::new();
        state.observe_rule(1, &event(0, "a", 0), &mut out);
        state.observe_rule(0, &event(1, "a", 0), &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn upper_bounds_fire_when_the_window_closes() {
        let mut state = CorrelationState::new(vec![def(
            CorrelationType::EventCount,
            vec![(CmpOp::Lt, 3.0)],
            1,
        )]);
        let mut out = Vec::new();
        state.observe_rule(0, &event(0, "a", 0), &mut out);
        assert!(out.is_empty());
        state.advance(Timestamp::from_secs(30), &mut out);
        assert!(out.is_empty());
        state.advance(Timestamp::from_secs(61), &mut out);
        assert_eq!(out.len(), 1);
    }
}
