//! The per-event matcher: routing by logsource and event id, an aho-corasick
//! prefilter over the event's values, then the compiled conditions of the few
//! rules left.
//!
//! [`Matcher`] is immutable and `Sync`; each thread keeps a [`MatchScratch`] with
//! its routing cache and buffers, so matching allocates nothing per event once
//! the caches are warm.

use crate::compile::{EvalBuffers, Node};
use crate::mapping::Route;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use model::{Event, FieldRef, LogSource, Value, ValueRef};
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
    /// One prefilter automaton per place literals must occur.
    slots: Vec<Slot>,
    prefiltered: Vec<bool>,
    /// Per rule: the mask with one bit per literal group (all must be seen).
    full_mask: Vec<u8>,
    /// Per rule: the slots its literals live in.
    rule_slots: Vec<Box<[u32]>>,
    /// Patterns over all slots (size of the per-thread pattern stamps).
    total_patterns: usize,
}

/// The (rule, literal group) pairs one prefilter literal satisfies.
type RuleGroups = Box<[(u32, u8)]>;

/// The literals tied to one field (as rules read it: first present candidate),
/// or to any value (`fields: None`, keywords), with their automaton.
#[derive(Debug)]
struct Slot {
    fields: Option<Box<[FieldRef]>>,
    automaton: AhoCorasick,
    /// Offset of this slot's pattern ids in the per-thread stamps.
    first_pattern: usize,
    /// Pattern id -> (rule, literal group) pairs it satisfies.
    pattern_rules: Box<[RuleGroups]>,
}

/// Figures about a compiled [`Matcher`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatcherStats {
    /// Detection rules.
    pub rules: usize,
    /// Rules behind the literal prefilter (the rest are evaluated on every event
    /// their logsource and event id route to them).
    pub prefiltered: usize,
    /// Distinct prefilter literals.
    pub literals: usize,
    /// Heap bytes of the prefilter automaton.
    pub prefilter_bytes: usize,
}

/// Per-thread state of a [`Matcher`]: routing cache and buffers.
#[derive(Debug, Default)]
pub struct MatchScratch {
    route_index: HashMap<(LogSource, Option<u32>), usize>,
    routes: Vec<RouteEntry>,
    last: Option<((LogSource, Option<u32>), usize)>,
    rule_stamp: Vec<u32>,
    rule_mask: Vec<u8>,
    touched: Vec<u32>,
    pattern_stamp: Vec<u32>,
    generation: u32,
    candidates: Vec<u32>,
    buffers: EvalBuffers,
    text: String,
    /// ASCII-lower-cased copy of the value being scanned.
    folded: Vec<u8>,
}

#[derive(Debug)]
struct RouteEntry {
    always: Box<[u32]>,
    filtered: Box<[u64]>,
    any_filtered: bool,
    /// Slots the prefilter scans on this route's events.
    slots: Box<[u32]>,
}

impl Matcher {
    /// Builds the matcher and its prefilter automata.
    pub(crate) fn new(rules: Vec<MatchRule>) -> Matcher {
        /// Literals of one slot while building.
        #[derive(Default)]
        struct SlotBuild {
            ids: HashMap<String, usize>,
            literals: Vec<String>,
            pattern_rules: Vec<Vec<(u32, u8)>>,
        }
        let mut slot_index: HashMap<Option<Box<[FieldRef]>>, usize> = HashMap::new();
        let mut builds: Vec<(Option<Box<[FieldRef]>>, SlotBuild)> = Vec::new();
        let mut prefiltered = vec![false; rules.len()];
        let mut full_mask = vec![0u8; rules.len()];
        let mut rule_slots = vec![Box::<[u32]>::default(); rules.len()];
        for (index, rule) in rules.iter().enumerate() {
            let Some(groups) = rule.node.required_groups() else {
                continue;
            };
            if groups.is_empty() || groups.iter().any(Vec::is_empty) {
                continue;
            }
            prefiltered[index] = true;
            full_mask[index] = ((1u16 << groups.len()) - 1) as u8;
            let mut own: Vec<u32> = Vec::new();
            for (group, literals) in groups.into_iter().enumerate() {
                for (fields, needle) in literals {
                    let slot = *slot_index.entry(fields.clone()).or_insert_with(|| {
                        builds.push((fields, SlotBuild::default()));
                        builds.len() - 1
                    });
                    if !own.contains(&(slot as u32)) {
                        own.push(slot as u32);
                    }
                    let build = &mut builds[slot].1;
                    let id = *build.ids.entry(needle.clone()).or_insert_with(|| {
                        build.literals.push(needle);
                        build.pattern_rules.push(Vec::new());
                        build.literals.len() - 1
                    });
                    let pair = (index as u32, group as u8);
                    if !build.pattern_rules[id].contains(&pair) {
                        build.pattern_rules[id].push(pair);
                    }
                }
            }
            rule_slots[index] = own.into_boxed_slice();
        }
        let mut slots = Vec::with_capacity(builds.len());
        let mut total_patterns = 0;
        for (fields, build) in builds {
            let Some(automaton) = build_prefilter(&build.literals) else {
                // Cannot happen for non-empty literal sets; if it did, no rule may
                // rely on the prefilter.
                prefiltered.iter_mut().for_each(|p| *p = false);
                break;
            };
            slots.push(Slot {
                fields,
                automaton,
                first_pattern: total_patterns,
                pattern_rules: build
                    .pattern_rules
                    .into_iter()
                    .map(Vec::into_boxed_slice)
                    .collect(),
            });
            total_patterns += build.literals.len();
        }
        Matcher {
            rules,
            slots,
            prefiltered,
            full_mask,
            rule_slots,
            total_patterns,
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

    /// Figures about the compiled matcher, for benchmarks and `--verbose` output.
    pub fn stats(&self) -> MatcherStats {
        MatcherStats {
            rules: self.rules.len(),
            prefiltered: self.prefiltered.iter().filter(|p| **p).count(),
            literals: self.total_patterns,
            prefilter_bytes: self.slots.iter().map(|s| s.automaton.memory_usage()).sum(),
        }
    }

    /// A fresh per-thread scratch for this matcher.
    pub fn scratch(&self) -> MatchScratch {
        MatchScratch {
            rule_stamp: vec![0; self.rules.len()],
            rule_mask: vec![0; self.rules.len()],
            pattern_stamp: vec![0; self.total_patterns],
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

    /// The reference answer: every rule whose logsource and event id accept the
    /// event is evaluated, without the prefilter. Slow; for same-answer tests of
    /// the prefilter.
    pub fn match_event_exhaustive(&self, event: &Event, out: &mut Vec<u32>) {
        let mut buffers = EvalBuffers::default();
        for (index, rule) in self.rules.iter().enumerate() {
            let routed = rule.route.accepts(&event.logsource, event.code)
                && rule
                    .codes
                    .as_ref()
                    .is_none_or(|codes| event.code.is_some_and(|c| codes.contains(&c)));
            if routed && rule.node.eval(event, &mut buffers) {
                out.push(index as u32);
            }
        }
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
        let mut slots: Vec<u32> = Vec::new();
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
                slots.extend_from_slice(&self.rule_slots[index]);
            } else {
                always.push(index as u32);
            }
        }
        slots.sort_unstable();
        slots.dedup();
        RouteEntry {
            always: always.into_boxed_slice(),
            filtered: filtered.into_boxed_slice(),
            any_filtered,
            slots: slots.into_boxed_slice(),
        }
    }

    fn prefilter_hits(
        &self,
        event: &Event,
        route: usize,
        scratch: &mut MatchScratch,
        candidates: &mut Vec<u32>,
    ) {
        let MatchScratch {
            routes,
            rule_stamp,
            rule_mask,
            touched,
            pattern_stamp,
            generation,
            text,
            folded,
            ..
        } = scratch;
        let entry = &routes[route];
        let filtered = &entry.filtered;
        let generation = *generation;
        touched.clear();
        for &slot_id in entry.slots.iter() {
            let slot = &self.slots[slot_id as usize];
            let mut scan = |haystack: &str| {
                // Folding the bytes first lets the automaton be case-sensitive,
                // which is smaller and faster than an ASCII-case-insensitive one.
                folded.clear();
                folded.extend_from_slice(haystack.as_bytes());
                folded.make_ascii_lowercase();
                for hit in slot.automaton.find_overlapping_iter(folded.as_slice()) {
                    let pid = hit.pattern().as_usize();
                    let stamp = &mut pattern_stamp[slot.first_pattern + pid];
                    if *stamp == generation {
                        continue;
                    }
                    *stamp = generation;
                    for &(rule, group) in slot.pattern_rules[pid].iter() {
                        let r = rule as usize;
                        if filtered[r / 64] & (1 << (r % 64)) == 0 {
                            continue;
                        }
                        if rule_stamp[r] != generation {
                            rule_stamp[r] = generation;
                            rule_mask[r] = 0;
                            touched.push(rule);
                        }
                        rule_mask[r] |= 1 << group;
                    }
                }
            };
            let Some(refs) = &slot.fields else {
                // Keyword literals: any string value of the event.
                for (_, value) in event.native.iter() {
                    scan_value(value, &mut scan);
                }
                if let Some(message) = &event.message {
                    scan(message);
                }
                continue;
            };
            // The value the rules read: the first present candidate, as evaluation does.
            let Some(value) = refs.iter().find_map(|f| event.get(*f)) else {
                continue;
            };
            match value {
                ValueRef::Str(s) => scan(s),
                ValueRef::StrList(items) => items.iter().for_each(|s| scan(s)),
                ValueRef::List(items) => items.iter().for_each(|v| scan_value(v, &mut scan)),
                ValueRef::Int(_) | ValueRef::UInt(_) | ValueRef::Null => {}
                other => {
                    if other.write_text(text) {
                        scan(text);
                    }
                }
            }
        }
        for &rule in touched.iter() {
            if rule_mask[rule as usize] == self.full_mask[rule as usize] {
                candidates.push(rule);
            }
        }
    }
}

/// Scans a native value's text (strings, booleans, string list elements).
fn scan_value(value: &Value, scan: &mut impl FnMut(&str)) {
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

/// A prefilter automaton over lower-cased literals (haystacks are folded the
/// same way before the scan): a contiguous NFA. (A DFA over SigmaHQ's 20,000
/// literals takes 200 MB and measured slower: it no longer fits in cache.)
fn build_prefilter(literals: &[String]) -> Option<AhoCorasick> {
    if literals.is_empty() {
        return None;
    }
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(literals)
        .ok()
}
