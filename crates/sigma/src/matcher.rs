//! The per-event matcher: routing by logsource and event id, an aho-corasick
//! prefilter over the event's values, then the compiled conditions of the few
//! rules left.
//!
//! [`Matcher`] is immutable and `Sync`; each thread keeps a [`MatchScratch`] with
//! its routing cache and buffers, so matching allocates nothing per event once
//! the caches are warm.

use crate::compile::{EvalBuffers, Literal, Node};
use crate::mapping::Route;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use model::{Event, FieldRef, LogSource, Value, ValueRef};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// One detection rule as the matcher sees it.
#[derive(Debug)]
pub(crate) struct MatchRule {
    pub route: Route,
    pub codes: Option<Box<[u32]>>,
    pub node: Node,
}

/// Compiled detection rules with their routing and prefilter; shareable across
/// threads (`Sync`).
///
/// The prefilter is built per route: the events of one logsource and event id
/// are scanned only for the literals of the rules that can see them, so a
/// Sysmon network event never pays for the 6,000 command-line literals of
/// `process_creation`, and keywords of `service: system` rules are not looked
/// for in every event. Routes with the same rules share one prefilter.
#[derive(Debug)]
pub struct Matcher {
    rules: Vec<MatchRule>,
    /// Per rule: its prefilter literal groups (from each group one literal must
    /// be seen), or `None` when the rule is evaluated on every routed event.
    rule_groups: Vec<Option<Box<[Box<[Literal]>]>>>,
    /// Per rule: the mask with one bit per literal group (all must be seen).
    full_mask: Vec<u8>,
    /// Prefilters built so far, by the rules they serve (shared by threads).
    prefilters: Mutex<HashMap<Box<[u32]>, Arc<RoutePrefilter>>>,
}

/// The (rule, literal group) pairs one prefilter literal satisfies.
type RuleGroups = Box<[(u32, u8)]>;

/// The prefilter of one route: its rules evaluated on every event and one
/// automaton per place its other rules' literals must occur.
#[derive(Debug)]
struct RoutePrefilter {
    always: Box<[u32]>,
    slots: Box<[Slot]>,
    /// Patterns over all slots (size of the per-thread pattern stamps).
    total_patterns: usize,
}

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
    /// Distinct prefilter literals over all rules.
    pub literals: usize,
    /// Prefilters built so far (one per distinct set of routed rules).
    pub prefilters: usize,
    /// Heap bytes of the prefilter automata built so far.
    pub prefilter_bytes: usize,
}

/// Per-thread state of a [`Matcher`]: routing cache and buffers.
#[derive(Debug, Default)]
pub struct MatchScratch {
    route_index: HashMap<(LogSource, Option<u32>), usize>,
    routes: Vec<Arc<RoutePrefilter>>,
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

impl Matcher {
    /// Compiles the rules; prefilter automata are built on first use of a route.
    pub(crate) fn new(rules: Vec<MatchRule>) -> Matcher {
        let mut rule_groups = Vec::with_capacity(rules.len());
        let mut full_mask = Vec::with_capacity(rules.len());
        for rule in &rules {
            let groups = rule
                .node
                .required_groups()
                .filter(|g| !g.is_empty() && !g.iter().any(Vec::is_empty));
            full_mask.push(groups.as_ref().map_or(0, |g| ((1u16 << g.len()) - 1) as u8));
            rule_groups.push(groups.map(|g| g.into_iter().map(Vec::into_boxed_slice).collect()));
        }
        Matcher {
            rules,
            rule_groups,
            full_mask,
            prefilters: Mutex::default(),
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
        let mut literals: HashSet<&Literal> = HashSet::new();
        for groups in self.rule_groups.iter().flatten() {
            literals.extend(groups.iter().flat_map(|g| g.iter()));
        }
        let prefilters = self.prefilters.lock().unwrap_or_else(|e| e.into_inner());
        MatcherStats {
            rules: self.rules.len(),
            prefiltered: self.rule_groups.iter().filter(|g| g.is_some()).count(),
            literals: literals.len(),
            prefilters: prefilters.len(),
            prefilter_bytes: prefilters
                .values()
                .flat_map(|p| p.slots.iter())
                .map(|s| s.automaton.memory_usage())
                .sum(),
        }
    }

    /// A fresh per-thread scratch for this matcher.
    pub fn scratch(&self) -> MatchScratch {
        MatchScratch {
            rule_stamp: vec![0; self.rules.len()],
            rule_mask: vec![0; self.rules.len()],
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
        let prefilter = Arc::clone(&scratch.routes[route]);
        candidates.extend_from_slice(&prefilter.always);
        if !prefilter.slots.is_empty() {
            self.prefilter_hits(event, &prefilter, scratch, &mut candidates);
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
            if rule.routes(&event.logsource, event.code) && rule.node.eval(event, &mut buffers) {
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
                let prefilter = self.prefilter_for(&key.0, key.1);
                if scratch.pattern_stamp.len() < prefilter.total_patterns {
                    scratch.pattern_stamp.resize(prefilter.total_patterns, 0);
                }
                scratch.routes.push(prefilter);
                let index = scratch.routes.len() - 1;
                scratch.route_index.insert(key, index);
                index
            }
        };
        scratch.last = Some((key, index));
        index
    }

    /// The shared prefilter for the rules that see events of `logsource` and
    /// `code`, built on first use.
    fn prefilter_for(&self, logsource: &LogSource, code: Option<u32>) -> Arc<RoutePrefilter> {
        let routed: Box<[u32]> = (0..self.rules.len() as u32)
            .filter(|&i| self.rules[i as usize].routes(logsource, code))
            .collect();
        let mut prefilters = self.prefilters.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(prefilter) = prefilters.get(&routed) {
            return Arc::clone(prefilter);
        }
        let prefilter = Arc::new(self.build_prefilter(&routed));
        prefilters.insert(routed, Arc::clone(&prefilter));
        prefilter
    }

    fn build_prefilter(&self, routed: &[u32]) -> RoutePrefilter {
        /// Literals of one slot while building.
        #[derive(Default)]
        struct SlotBuild<'a> {
            ids: HashMap<&'a str, usize>,
            literals: Vec<&'a str>,
            pattern_rules: Vec<Vec<(u32, u8)>>,
        }
        let mut always = Vec::new();
        let mut slot_index: HashMap<&Option<Box<[FieldRef]>>, usize> = HashMap::new();
        let mut builds: Vec<(&Option<Box<[FieldRef]>>, SlotBuild)> = Vec::new();
        for &rule in routed {
            let Some(groups) = &self.rule_groups[rule as usize] else {
                always.push(rule);
                continue;
            };
            for (group, literals) in groups.iter().enumerate() {
                for (fields, needle) in literals.iter() {
                    let slot = *slot_index.entry(fields).or_insert_with(|| {
                        builds.push((fields, SlotBuild::default()));
                        builds.len() - 1
                    });
                    let build = &mut builds[slot].1;
                    let id = *build.ids.entry(needle).or_insert_with(|| {
                        build.literals.push(needle);
                        build.pattern_rules.push(Vec::new());
                        build.literals.len() - 1
                    });
                    let pair = (rule, group as u8);
                    if !build.pattern_rules[id].contains(&pair) {
                        build.pattern_rules[id].push(pair);
                    }
                }
            }
        }
        let mut slots = Vec::with_capacity(builds.len());
        let mut total_patterns = 0;
        for (fields, build) in builds {
            let Some(automaton) = build_automaton(&build.literals) else {
                // Cannot happen for non-empty literal sets; if it did, every rule
                // of the route is evaluated on every event.
                return RoutePrefilter {
                    always: routed.into(),
                    slots: Box::default(),
                    total_patterns: 0,
                };
            };
            slots.push(Slot {
                fields: fields.clone(),
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
        RoutePrefilter {
            always: always.into_boxed_slice(),
            slots: slots.into_boxed_slice(),
            total_patterns,
        }
    }

    fn prefilter_hits(
        &self,
        event: &Event,
        prefilter: &RoutePrefilter,
        scratch: &mut MatchScratch,
        candidates: &mut Vec<u32>,
    ) {
        let MatchScratch {
            rule_stamp,
            rule_mask,
            touched,
            pattern_stamp,
            generation,
            text,
            folded,
            ..
        } = scratch;
        let generation = *generation;
        touched.clear();
        for slot in prefilter.slots.iter() {
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

impl MatchRule {
    /// Whether events of `logsource` with event id `code` reach this rule.
    fn routes(&self, logsource: &LogSource, code: Option<u32>) -> bool {
        self.route.accepts(logsource, code)
            && self
                .codes
                .as_ref()
                .is_none_or(|codes| code.is_some_and(|c| codes.contains(&c)))
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
fn build_automaton(literals: &[&str]) -> Option<AhoCorasick> {
    if literals.is_empty() {
        return None;
    }
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(literals)
        .ok()
}
