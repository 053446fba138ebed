//! The per-event matcher: routing by logsource and event id, an aho-corasick
//! prefilter over the event's values, then the compiled conditions of the few
//! rules left.
//!
//! [`Matcher`] is immutable and `Sync`; each thread keeps a [`MatchScratch`] with
//! its routing cache and buffers, so matching allocates nothing per event once
//! the caches are warm.

use crate::compile::{EvalBuffers, Node};
use crate::mapping::Route;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use model::{Event, Field, FieldRef, LogSource, Value, ValueRef};
use std::collections::HashMap;

/// One detection rule as the matcher sees it.
#[derive(Debug)]
pub(crate) struct MatchRule {
    pub route: Route,
    pub codes: Option<Box<[u32]>>,
    pub node: Node,
}

/// Compiled detection rules with their routing and prefilter; shareable across
/// threads (`Sync`).
#[derive(Debug)]
pub struct Matcher {
    rules: Vec<MatchRule>,
    prefilter: Option<AhoCorasick>,
    /// Prefilter pattern id -> rules that need it.
    pattern_rules: Vec<Box<[u32]>>,
    prefiltered: Vec<bool>,
    /// Typed fields read by prefiltered rules, scanned beside the native record.
    canonical_scan: Vec<Field>,
}

/// Per-thread state of a [`Matcher`]: routing cache and buffers.
#[derive(Debug, Default)]
pub struct MatchScratch {
    route_index: HashMap<(LogSource, Option<u32>), usize>,
    routes: Vec<RouteEntry>,
    last: Option<((LogSource, Option<u32>), usize)>,
    rule_stamp: Vec<u32>,
    pattern_stamp: Vec<u32>,
    generation: u32,
    candidates: Vec<u32>,
    buffers: EvalBuffers,
    text: String,
}

#[derive(Debug)]
struct RouteEntry {
    always: Box<[u32]>,
    filtered: Box<[u64]>,
    any_filtered: bool,
}

impl Matcher {
    /// Builds the matcher and its prefilter automaton.
    pub(crate) fn new(rules: Vec<MatchRule>) -> Matcher {
        let mut literal_ids: HashMap<String, usize> = HashMap::new();
        let mut literals: Vec<String> = Vec::new();
        let mut pattern_rules: Vec<Vec<u32>> = Vec::new();
        let mut prefiltered = vec![false; rules.len()];
        let mut canonical_scan = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            let Some(needles) = rule.node.required_literals() else {
                continue;
            };
            if needles.is_empty() {
                continue;
            }
            prefiltered[index] = true;
            let mut items = Vec::new();
            rule.node.collect_fields(&mut items);
            for item in items {
                for f in item.fields.iter() {
                    if let FieldRef::Canonical(field) = f
                        && !canonical_scan.contains(field)
                    {
                        canonical_scan.push(*field);
                    }
                }
            }
            for needle in needles {
                let id = *literal_ids.entry(needle.clone()).or_insert_with(|| {
                    literals.push(needle);
                    pattern_rules.push(Vec::new());
                    literals.len() - 1
                });
                if pattern_rules[id].last() != Some(&(index as u32)) {
                    pattern_rules[id].push(index as u32);
                }
            }
        }
        let prefilter = if literals.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&literals)
                .ok()
        };
        if prefilter.is_none() {
            prefiltered.iter_mut().for_each(|p| *p = false);
        }
        Matcher {
            rules,
            prefilter,
            pattern_rules: pattern_rules
                .into_iter()
                .map(Vec::into_boxed_slice)
                .collect(),
            prefiltered,
            canonical_scan,
        }
    }

    /// Number of detection rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// A fresh per-thread scratch for this matcher.
    pub fn scratch(&self) -> MatchScratch {
        MatchScratch {
            rule_stamp: vec![0; self.rules.len()],
            pattern_stamp: vec![0; self.pattern_rules.len()],
            ..Default::default()
        }
    }

    /// Pushes the indices of the rules `event` matches into `out`, in rule order.
    pub fn match_event(&self, event: &Event, scratch: &mut MatchScratch, out: &mut Vec<u32>) {
        let route = self.route(event, scratch);
        scratch.generation = scratch.generation.wrapping_add(1);
        if scratch.generation == 0 {
            scratch.rule_stamp.iter_mut().for_each(|s| *s = 0);
            scratch.pattern_stamp.iter_mut().for_each(|s| *s = 0);
            scratch.generation = 1;
        }
        let mut candidates = std::mem::take(&mut scratch.candidates);
        candidates.clear();
        candidates.extend_from_slice(&scratch.routes[route].always);
        if scratch.routes[route].any_filtered {
            self.prefilter_hits(event, route, scratch, &mut candidates);
        }
        candidates.sort_unstable();
        for &index in &candidates {
            if self.rules[index as usize]
                .node
                .eval(event, &mut scratch.buffers)
            {
                out.push(index);
            }
        }
        scratch.candidates = candidates;
    }

    fn route(&self, event: &Event, scratch: &mut MatchScratch) -> usize {
        let key = (event.logsource, event.code);
        if let Some((last_key, index)) = scratch.last
            && last_key == key
        {
            return index;
        }
        let index = match scratch.route_index.get(&key) {
            Some(index) => *index,
            None => {
                let entry = self.build_route(&key.0, key.1);
                scratch.routes.push(entry);
                let index = scratch.routes.len() - 1;
                scratch.route_index.insert(key, index);
                index
            }
        };
        scratch.last = Some((key, index));
        index
    }

    fn build_route(&self, logsource: &LogSource, code: Option<u32>) -> RouteEntry {
        let mut always = Vec::new();
        let mut filtered = vec![0u64; self.rules.len().div_ceil(64)];
        let mut any_filtered = false;
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.route.accepts(logsource, code) {
                continue;
            }
            if let Some(codes) = &rule.codes
                && !code.is_some_and(|c| codes.contains(&c))
            {
                continue;
            }
            if self.prefiltered[index] {
                filtered[index / 64] |= 1 << (index % 64);
                any_filtered = true;
            } else {
                always.push(index as u32);
            }
        }
        RouteEntry {
            always: always.into_boxed_slice(),
            filtered: filtered.into_boxed_slice(),
            any_filtered,
        }
    }

    fn prefilter_hits(
        &self,
        event: &Event,
        route: usize,
        scratch: &mut MatchScratch,
        candidates: &mut Vec<u32>,
    ) {
        let Some(ac) = &self.prefilter else { return };
        let MatchScratch {
            routes,
            rule_stamp,
            pattern_stamp,
            generation,
            text,
            ..
        } = scratch;
        let filtered = &routes[route].filtered;
        let generation = *generation;
        let mut scan = |haystack: &str| {
            for hit in ac.find_overlapping_iter(haystack) {
                let pid = hit.pattern().as_usize();
                if pattern_stamp[pid] == generation {
                    continue;
                }
                pattern_stamp[pid] = generation;
                for &rule in self.pattern_rules[pid].iter() {
                    let r = rule as usize;
                    if filtered[r / 64] & (1 << (r % 64)) != 0 && rule_stamp[r] != generation {
                        rule_stamp[r] = generation;
                        candidates.push(rule);
                    }
                }
            }
        };
        for (_, value) in event.native.iter() {
            match value {
                Value::Str(s) => scan(s),
                Value::List(items) => {
                    for item in items {
                        if let Value::Str(s) = item {
                            scan(s);
                        }
                    }
                }
                Value::Bool(b) => scan(if *b { "true" } else { "false" }),
                Value::Float(_) | Value::Int(_) | Value::Null => {}
            }
        }
        if let Some(message) = &event.message {
            scan(message);
        }
        for field in &self.canonical_scan {
            match event.get_canonical(*field) {
                Some(ValueRef::Str(s)) => scan(s),
                Some(ValueRef::StrList(items)) => items.iter().for_each(|s| scan(s)),
                Some(other) if other.write_text(text) => scan(text),
                _ => {}
            }
        }
    }
}
