//! The per-event matcher: routing by logsource and event id, an aho-corasick
//! prefilter over the event's values, then the compiled conditions of the few
//! rules left.
//!
//! [`Matcher`] is immutable and `Sync`; each thread keeps a [`MatchScratch`] with
//! its routing cache and buffers, so matching allocates nothing per event once
//! the caches are warm.

use crate::answer_cache::{AnswerCache, Lookup, ReadLists};
use crate::case_fold::{self, FoldSink};
use crate::compile::{EvalBuffers, Known, KnownPattern, Literal, Node};
use crate::literal_filter::LiteralFilter;
use crate::mapping::Route;
use crate::memo::{Memo, ReadSet};
use crate::pattern::Needle;
use crate::text_values;
use crate::window_scan::WindowScan;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use model::{Event, FieldRef, LogSource, ValueRef};
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
    rule_groups: Vec<Option<LiteralGroups>>,
    /// Per rule without a prefilter (and without keywords): what its answer
    /// depends on, for [`AnswerCache`].
    answer_reads: Vec<Option<ReadLists>>,
    /// Per rule: whether it has a keyword item (reads every value of the
    /// event, so its answer is never remembered).
    keyword_rules: Vec<bool>,
    /// Whether answers for repeated events are remembered.
    remember_answers: bool,
    /// One more than the largest native field symbol a prefilter slot reads
    /// (the size of the per-event [`crate::field_index::FieldIndex`]; other
    /// fields are read by walking the record).
    slot_symbols: usize,
    /// Prefilters built so far, by the rules they serve (shared by threads).
    prefilters: Mutex<HashMap<Box<[u32]>, Arc<RoutePrefilter>>>,
    /// The prefilter of each logsource and event id seen so far.
    routes: Mutex<RouteMap>,
    /// Their automata, shared between routes.
    slot_cache: Mutex<SlotCache>,
}

/// The prefilter of each (logsource, event id) seen.
type RouteMap = HashMap<(LogSource, Option<u32>), Arc<RoutePrefilter>>;

/// A rule's prefilter literals: one literal of each group must be seen.
type LiteralGroups = Box<[Box<[Literal]>]>;

/// Where a slot's literals must occur: the candidate fields rules read, or any
/// value (`None`).
type SlotFields = Option<Box<[FieldRef]>>;

/// The rules one prefilter literal triggers: those whose first literal group
/// (their most selective) holds it.
type TriggeredRules = Box<[u32]>;

/// The prefilter of one route. When answers are remembered (see
/// [`crate::memo`]) it has two stages: the rules that read named fields only,
/// whose answer for an event is remembered, and the rules with keyword items,
/// evaluated on every event. Otherwise every rule is in the first stage and
/// the second is empty.
#[derive(Debug)]
struct RoutePrefilter {
    fields: Stage,
    keywords: Stage,
    /// What the `fields` rules read, when their answers are remembered.
    read: Option<ReadSet>,
    /// Patterns over all slots (size of the per-thread pattern stamps).
    total_patterns: usize,
}

/// Rules evaluated on every event of the route and one automaton per place
/// the other rules' literals must occur.
#[derive(Debug, Default)]
struct Stage {
    always: Box<[u32]>,
    slots: Box<[Slot]>,
    /// Per rule of the stage whose patterns' answers its scan can settle:
    /// what it tells of each (by pattern ordinal, see
    /// [`Node::number_patterns`]). A candidate rule's `contains` tests of a
    /// command line are then the windows scanner's findings, not a second
    /// search, and a test whose required literal was not found is false
    /// without running.
    known: RuleTable<Box<[KnownPattern]>>,
    /// Per rule of the stage with more than one literal group: for each
    /// group after the first, the stamps of its literals (one must be
    /// found). A rule is marked only by the literals of its first group,
    /// and its other groups are checked when one was: a literal as common
    /// as `\cmd.exe` no longer marks every rule whose image it names.
    confirm: ConfirmTable,
}

/// [`Stage::confirm`] in one array: by rule index, where its groups are in
/// `groups`, which holds for each such rule the number of its groups, then
/// each group as its length followed by its stamps.
#[derive(Debug, Default)]
struct ConfirmTable {
    start_of: DenseIndex,
    groups: Box<[u32]>,
}

impl ConfirmTable {
    /// The table of `rules`' groups (rule index, its groups after the
    /// first, by stamps).
    fn new(rules: Vec<(u32, Vec<Vec<u32>>)>) -> ConfirmTable {
        let mut start_of = DenseIndex::over(rules.iter().map(|(rule, _)| *rule));
        let mut flat = Vec::new();
        for (rule, groups) in rules {
            start_of.set(rule, flat.len());
            flat.push(groups.len() as u32);
            for group in groups {
                flat.push(group.len() as u32);
                flat.extend(group);
            }
        }
        ConfirmTable {
            start_of,
            groups: flat.into_boxed_slice(),
        }
    }

    /// Whether rule `rule`, triggered, is a candidate: each of its other
    /// groups has a stamp for which `found` is true (a rule without other
    /// groups is).
    #[inline(always)]
    fn confirms(&self, rule: u32, found: impl Fn(u32) -> bool) -> bool {
        let Some(start) = self.start_of.get(rule) else {
            return true;
        };
        let groups = &self.groups[start..];
        let mut at = 1;
        for _ in 0..groups[0] {
            let len = groups[at] as usize;
            let stamps = &groups[at + 1..at + 1 + len];
            if !stamps.iter().any(|&stamp| found(stamp)) {
                return false;
            }
            at += 1 + len;
        }
        true
    }
}

/// Something kept for some rules of a stage, found by rule index with one
/// load from a dense array (the tables were hash maps: their probes and
/// pointer chases for each rule a slot's literals touched showed as a
/// quarter of the matcher's own time outside the scans, by `perf`, in
/// process creation routes, where an event touches 10 rules (Sysmon 1) to
/// 17 (Security 4688), counted over the EVTX corpus).
#[derive(Debug)]
struct RuleTable<T> {
    index: DenseIndex,
    entries: Box<[T]>,
}

impl<T> Default for RuleTable<T> {
    fn default() -> Self {
        RuleTable {
            index: DenseIndex::default(),
            entries: Box::default(),
        }
    }
}

impl<T> RuleTable<T> {
    /// The table of `entries` (rule index, entry); each rule at most once.
    fn new(entries: Vec<(u32, T)>) -> RuleTable<T> {
        let mut index = DenseIndex::over(entries.iter().map(|(rule, _)| *rule));
        let mut kept = Vec::with_capacity(entries.len());
        for (rule, entry) in entries {
            index.set(rule, kept.len());
            kept.push(entry);
        }
        RuleTable {
            index,
            entries: kept.into_boxed_slice(),
        }
    }

    /// The entry of rule `rule`, if it has one.
    #[inline(always)]
    fn get(&self, rule: u32) -> Option<&T> {
        self.index.get(rule).map(|at| &self.entries[at])
    }
}

/// Positions by rule index, over the span from the first rule with one to
/// the last (a logsource's rules are mostly neighbours in the rule list,
/// so the span is about the stage's size).
#[derive(Debug, Default)]
struct DenseIndex {
    first: u32,
    /// By rule index less `first`: one more than the position, or 0.
    at: Box<[u32]>,
}

impl DenseIndex {
    /// An index without positions, spanning `rules`.
    fn over(rules: impl Iterator<Item = u32> + Clone) -> DenseIndex {
        let first = rules.clone().min().unwrap_or(0);
        let len = rules.max().map_or(0, |last| (last - first) as usize + 1);
        DenseIndex {
            first,
            at: vec![0; len].into_boxed_slice(),
        }
    }

    /// Gives rule `rule` (within the span) `position`.
    fn set(&mut self, rule: u32, position: usize) {
        self.at[(rule - self.first) as usize] = position as u32 + 1;
    }

    /// The position of rule `rule`, if it has one.
    #[inline(always)]
    fn get(&self, rule: u32) -> Option<usize> {
        match self.at.get(rule.wrapping_sub(self.first) as usize) {
            Some(&at) if at != 0 => Some(at as usize - 1),
            _ => None,
        }
    }
}

impl Stage {
    fn is_empty(&self) -> bool {
        self.always.is_empty() && self.slots.is_empty()
    }
}

/// One automaton of a route's prefilter.
#[derive(Debug)]
struct Slot {
    core: Arc<SlotAutomaton>,
    /// Offset of this slot's pattern ids in the per-thread stamps.
    first_pattern: usize,
}

/// The literals some rules tie to one field (as rules read it: first present
/// candidate), or to any value (`fields: None`, keywords), with their
/// automaton; shared by the routes that have the same rules on that field.
#[derive(Debug)]
struct SlotAutomaton {
    /// Its number among the matcher's slot automata (indexes the per-thread
    /// scan cache without hashing).
    id: usize,
    fields: SlotFields,
    /// What finds the literals (`None` when the slot only has the non-ASCII
    /// needle).
    automaton: Option<SlotScanner>,
    /// The pattern id standing for [`Needle::NonAscii`], when rules use it.
    non_ascii: Option<u32>,
    /// Whether the automaton ignores ASCII case itself; otherwise haystacks are
    /// lower-cased before the scan.
    folds: bool,
    /// For slots of up to [`GATE_MAX_LITERALS`] literals: leftmost-first SIMD
    /// searchers over the same literals, case-sensitive (they run on
    /// lower-cased text). The overlapping scan the prefilter needs walks every
    /// byte (1.5 ns a byte, measured); the gate skips a 1 KB value without a
    /// literal in about 0.1 microseconds.
    gate: Option<Gate>,
    /// For slots of up to 64 literals that suit it: the SIMD search that
    /// reads text as it is (see [`crate::literal_filter`]). A keyword slot
    /// asks it whether the event holds a literal (most do not, and are not
    /// joined and lower-cased); a field slot has it report every literal a
    /// value holds, in place of the lower-cased copy, the gate and the DFA.
    literal_filter: Option<LiteralFilter>,
    /// Pattern id -> the rules it triggers (see [`Stage::confirm`]).
    pattern_rules: Box<[TriggeredRules]>,
    /// Literal -> pattern id (for [`Stage::known`]).
    literal_ids: HashMap<Box<[u8]>, u32>,
    /// Bytes of the shortest literal: a shorter value holds none, even
    /// lower-cased (each ASCII byte of its lower case comes from at least
    /// one byte of it, other literal characters from themselves), so it is
    /// not scanned, nor hashed for the scan cache, unless the slot has the
    /// non-ASCII needle.
    min_len: usize,
}

/// How a slot finds every literal a value holds.
#[derive(Debug)]
enum SlotScanner {
    /// Aho-corasick's overlapping search: field slots small enough for a
    /// DFA ([`fits_dfa`]) and keyword slots of up to [`GATE_MAX_LITERALS`]
    /// literals, whose gate skips most text first.
    Automaton(AhoCorasick),
    /// Hashed windows (see [`crate::window_scan`]): the other field slots;
    /// about a third of the automaton walk's instructions a byte.
    Windows(WindowScan),
}

impl SlotScanner {
    fn memory_usage(&self) -> usize {
        match self {
            SlotScanner::Automaton(automaton) => automaton.memory_usage(),
            SlotScanner::Windows(windows) => windows.memory_usage(),
        }
    }
}

/// Slot automata built so far, by field and contributing rules.
type SlotCache = HashMap<(SlotFields, Box<[u32]>), Arc<SlotAutomaton>>;

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
    /// By (logsource, event id); hashed with foldhash (SipHash's hashing was
    /// 1.1% of matching's instructions on the EVTX corpus, whose routes change
    /// from event to event).
    route_index: hashbrown::HashMap<(LogSource, Option<u32>), usize>,
    routes: Vec<Arc<RoutePrefilter>>,
    last: Option<((LogSource, Option<u32>), usize)>,
    rule_stamp: Vec<u32>,
    touched: Vec<u32>,
    pattern_stamp: Vec<u32>,
    generation: u32,
    candidates: Vec<u32>,
    buffers: EvalBuffers,
    text: String,
    /// ASCII-lower-cased copy of the value being scanned.
    folded: Vec<u8>,
    /// The event's text values, joined (then lower-cased) for the keyword scan.
    joined: String,
    /// Pattern ids found in the value being scanned.
    found: Vec<u32>,
    /// Values scanned recently, per slot, with the patterns found in them.
    scan_cache: ScanCache,
    /// Answers remembered for repeated events.
    memo: Memo,
    /// Answers of the rules without a prefilter, for repeated values.
    answers: AnswerCache,
    /// The key of the event being matched.
    key: Vec<u8>,
    /// Rules evaluated for the last event (those the prefilter let through).
    evaluated: usize,
}

impl MatchScratch {
    /// How many rules the last [`Matcher::match_event`] evaluated, after routing,
    /// the remembered answers and the prefilter: the figure that says how well
    /// the prefilter works.
    pub fn evaluated(&self) -> usize {
        self.evaluated
    }

    /// The rules the last [`Matcher::match_event`] evaluated in its last stage
    /// (all of them unless answers are remembered): which rules the prefilter
    /// lets through, for profiling.
    pub fn last_evaluated(&self) -> &[u32] {
        &self.candidates
    }

    /// Events answered from memory and events looked up but not found, so far:
    /// how repetitive the data is (benchmarks, `--verbose`).
    pub fn remembered(&self) -> (u64, u64) {
        (self.memo.hits, self.memo.misses)
    }
}

/// Longest value whose scan result is remembered: paths, names, users and
/// hashes repeat across events; long command lines and scripts rarely do.
const SCAN_CACHE_MAX_VALUE: usize = 256;

/// Most values remembered per thread before the cache starts afresh (a few MB).
const SCAN_CACHE_ENTRIES: usize = 16_384;

/// Arena bytes reserved per entry: a path or name of about 60 bytes and a
/// few pattern ids.
const SCAN_CACHE_TYPICAL_ENTRY: usize = 80;

/// The patterns found in recently scanned values, per slot automaton. Field
/// values repeat heavily in real logs (the same image path, parent, user and
/// hashes over thousands of events), and a hash lookup costs a fraction of a
/// scan through an automaton too large for the cache.
///
/// One table for all slots, its entries small and the bytes they name in
/// one arena: each value's text followed by the ids of the patterns found
/// in it, so that a hit reads the text and the ids from one place and an
/// insert allocates nothing once the arena has grown (a box for each value
/// and each answer, as before, cost two allocations a miss and a pointer
/// chase a hit).
#[derive(Debug, Default)]
struct ScanCache {
    table: hashbrown::HashTable<ScanEntry>,
    /// Texts and pattern ids (`u32`, little-endian) of the entries.
    arena: Vec<u8>,
    hasher: hashbrown::DefaultHashBuilder,
}

/// A remembered value: its slot, and where its text and then its pattern
/// ids are in the arena.
#[derive(Debug, Clone, Copy)]
struct ScanEntry {
    hash: u64,
    slot: u32,
    start: u32,
    text_len: u16,
    patterns: u16,
}

impl ScanCache {
    /// An empty cache with room for a full table and a typical arena, so
    /// that filling it does not copy the arena as it grows (pages are only
    /// touched as it fills).
    fn with_capacity() -> ScanCache {
        ScanCache {
            table: hashbrown::HashTable::with_capacity(SCAN_CACHE_ENTRIES),
            arena: Vec::with_capacity(SCAN_CACHE_ENTRIES * SCAN_CACHE_TYPICAL_ENTRY),
            hasher: hashbrown::DefaultHashBuilder::default(),
        }
    }

    fn hash(&self, slot: usize, value: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one((slot, value.as_bytes()))
    }

    /// The ids of the patterns found in `value` by `slot`, if it was scanned
    /// recently; `hash` is [`ScanCache::hash`] of both (computed once for
    /// the lookup and the insert after a miss).
    ///
    /// Inlined into the slot scan: when the keyword filter grew parts, the
    /// compiler stopped inlining it, and the call cost 1.7% of the matcher's
    /// instructions over the EVTX corpus.
    #[inline(always)]
    fn get(&self, hash: u64, slot: usize, value: &str) -> Option<impl Iterator<Item = u32> + '_> {
        let entry = self.table.find(hash, |e| {
            e.slot as usize == slot
                && usize::from(e.text_len) == value.len()
                && crate::window_scan::same_bytes(
                    &self.arena[e.start as usize..e.start as usize + value.len()],
                    value.as_bytes(),
                )
        })?;
        let ids = entry.start as usize + usize::from(entry.text_len);
        let ids = &self.arena[ids..ids + 4 * usize::from(entry.patterns)];
        Some(
            ids.chunks_exact(4)
                .map(|id| u32::from_le_bytes([id[0], id[1], id[2], id[3]])),
        )
    }

    fn insert(&mut self, hash: u64, slot: usize, value: &str, found: &[u32]) {
        if value.len() > usize::from(u16::MAX) || found.len() > usize::from(u16::MAX) {
            return;
        }
        if self.table.len() >= SCAN_CACHE_ENTRIES {
            self.table.clear();
            self.arena.clear();
        }
        let entry = ScanEntry {
            hash,
            slot: slot as u32,
            start: self.arena.len() as u32,
            text_len: value.len() as u16,
            patterns: found.len() as u16,
        };
        self.arena.extend_from_slice(value.as_bytes());
        for id in found {
            self.arena.extend_from_slice(&id.to_le_bytes());
        }
        self.table.insert_unique(hash, entry, |e| e.hash);
    }
}

/// Stamps each found pattern, once per event, and lists the rules it
/// triggers.
struct Marks<'a> {
    pattern_stamp: &'a mut [u32],
    rule_stamp: &'a mut [u32],
    touched: &'a mut Vec<u32>,
    generation: u32,
}

impl Marks<'_> {
    fn mark(&mut self, slot: &Slot, pid: usize) {
        let stamp = &mut self.pattern_stamp[slot.first_pattern + pid];
        if *stamp == self.generation {
            return;
        }
        *stamp = self.generation;
        for &rule in slot.core.pattern_rules[pid].iter() {
            let r = rule as usize;
            if self.rule_stamp[r] != self.generation {
                self.rule_stamp[r] = self.generation;
                self.touched.push(rule);
            }
        }
    }
}

impl Matcher {
    /// Compiles the rules; prefilter automata are built on first use of a
    /// route. With `remember_answers`, answers for repeated events are kept
    /// (see [`crate::memo`]).
    pub(crate) fn new(mut rules: Vec<MatchRule>, remember_answers: bool) -> Matcher {
        for rule in &mut rules {
            if let Some(codes) = &rule.codes {
                let node = std::mem::replace(&mut rule.node, Node::Const(false));
                rule.node = node.without_routed_codes(codes);
            }
            rule.node.number_patterns(0);
        }
        let mut rule_groups = Vec::with_capacity(rules.len());
        let keyword_rules: Vec<bool> = rules.iter().map(|r| r.node.has_keywords()).collect();
        for rule in &rules {
            let groups = rule
                .node
                .required_groups()
                .filter(|g| !g.is_empty() && !g.iter().any(Vec::is_empty))
                .map(drop_weak_groups)
                .map(|mut groups| {
                    // The most selective group first: it triggers the rule.
                    groups.sort_by_key(|g| std::cmp::Reverse(crate::compile::selectivity(g)));
                    groups
                });
            rule_groups.push(groups.map(|g| g.into_iter().map(Vec::into_boxed_slice).collect()));
        }
        // The fields the prefilter reads; the index of all fields rules read
        // measured 0.7% more instructions (more of each record indexed, for
        // fields few candidates read).
        let slot_symbols = rule_groups
            .iter()
            .flatten()
            .flat_map(|groups: &LiteralGroups| groups.iter().flat_map(|group| group.iter()))
            .filter_map(|(fields, _)| fields.as_deref())
            .flatten()
            .filter_map(|field| match field {
                FieldRef::Native(sym) => Some(sym.0 as usize + 1),
                FieldRef::Canonical(_) => None,
            })
            .max()
            .unwrap_or(0);
        let answer_reads = rules
            .iter()
            .zip(&rule_groups)
            .zip(&keyword_rules)
            .map(|((rule, groups), &keywords)| {
                (groups.is_none() && !keywords).then(|| rule.node.read_lists())
            })
            .collect();
        Matcher {
            rules,
            rule_groups,
            answer_reads,
            keyword_rules,
            remember_answers,
            slot_symbols,
            prefilters: Mutex::default(),
            routes: Mutex::default(),
            slot_cache: Mutex::default(),
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
        let slots = self.slot_cache.lock().unwrap_or_else(|e| e.into_inner());
        MatcherStats {
            rules: self.rules.len(),
            prefiltered: self.rule_groups.iter().filter(|g| g.is_some()).count(),
            literals: literals.len(),
            prefilters: prefilters.len(),
            prefilter_bytes: slots
                .values()
                .filter_map(|s| s.automaton.as_ref())
                .map(SlotScanner::memory_usage)
                .sum(),
        }
    }

    /// A fresh per-thread scratch for this matcher. Its tables are read at
    /// every event, so they are long-lived memory (see
    /// [`allocator::long_lived`]).
    pub fn scratch(&self) -> MatchScratch {
        allocator::long_lived(|| MatchScratch {
            rule_stamp: vec![0; self.rules.len()],
            scan_cache: ScanCache::with_capacity(),
            ..Default::default()
        })
    }

    /// Pushes the indices of the rules `event` matches into `out`, in rule order.
    ///
    /// What matching allocates is kept for the rest of the run: a route's
    /// prefilter built on first use, the thread's caches and buffers as they
    /// grow, the regex engines' caches (once warm, matching allocates
    /// nothing). So it runs as long-lived memory, on huge pages under
    /// exfilguard's allocator (see [`allocator::long_lived`]; measured in
    /// docs/BENCHMARKS.md, section Sigma, "Update, nineteenth session").
    pub fn match_event(&self, event: &Event, scratch: &mut MatchScratch, out: &mut Vec<u32>) {
        allocator::long_lived(|| self.match_routed(event, scratch, out))
    }

    fn match_routed(&self, event: &Event, scratch: &mut MatchScratch, out: &mut Vec<u32>) {
        let route = self.route(event, scratch);
        scratch.generation = scratch.generation.wrapping_add(1);
        if scratch.generation == 0 {
            scratch.rule_stamp.iter_mut().for_each(|s| *s = 0);
            scratch.pattern_stamp.iter_mut().for_each(|s| *s = 0);
            scratch.generation = 1;
        }
        scratch.evaluated = 0;
        scratch.buffers.start_event();
        // Lent out of the scratch for the event (cloning the `Arc` cost two
        // atomic operations an event).
        let routes = std::mem::take(&mut scratch.routes);
        let prefilter = &*routes[route];
        let start = out.len();
        let mut key = std::mem::take(&mut scratch.key);
        let remember = match &prefilter.read {
            Some(read) => scratch.memo.active(route) && read.write_key(route, event, &mut key),
            None => false,
        };
        if !(remember && scratch.memo.get_into(route, &key, out)) {
            self.run_stage(&prefilter.fields, event, scratch, out);
            if remember {
                scratch.memo.insert(&key, &out[start..]);
            }
        }
        scratch.key = key;
        if !prefilter.keywords.is_empty() {
            let fields_end = out.len();
            self.run_stage(&prefilter.keywords, event, scratch, out);
            if fields_end > start && out.len() > fields_end {
                out[start..].sort_unstable();
            }
        }
        scratch.routes = routes;
    }

    /// Evaluates the rules of one stage that its prefilter lets through,
    /// pushing the matches in rule order.
    fn run_stage(
        &self,
        stage: &Stage,
        event: &Event,
        scratch: &mut MatchScratch,
        out: &mut Vec<u32>,
    ) {
        // Indexed once per event, and not at all when remembered answers
        // spare both stages.
        scratch.buffers.fields.ensure(event, self.slot_symbols);
        let mut candidates = std::mem::take(&mut scratch.candidates);
        candidates.clear();
        candidates.extend_from_slice(&stage.always);
        if !stage.slots.is_empty() {
            self.prefilter_hits(event, stage, scratch, &mut candidates);
        }
        candidates.sort_unstable();
        scratch.evaluated += candidates.len();
        let MatchScratch {
            buffers,
            pattern_stamp,
            generation,
            answers,
            ..
        } = scratch;
        for &index in &candidates {
            let known = stage.known.get(index).map(|patterns| Known {
                patterns,
                stamps: pattern_stamp,
                generation: *generation,
            });
            let node = &self.rules[index as usize].node;
            let lookup = match &self.answer_reads[index as usize] {
                Some(reads) => answers.lookup(index, reads, event, &buffers.fields),
                None => Lookup::Skip,
            };
            let hit = match lookup {
                Lookup::Hit(answer) => answer,
                Lookup::Skip => node.eval_known(event, buffers, known.as_ref()),
                Lookup::Miss(hash) => {
                    let answer = node.eval_known(event, buffers, known.as_ref());
                    answers.remember(hash, answer);
                    answer
                }
            };
            if hit {
                out.push(index);
            }
        }
        scratch.candidates = candidates;
    }

    /// Evaluates rule `index` alone on `event` (no routing, no prefilter): for
    /// profiling what each rule's conditions cost.
    pub fn eval_rule(&self, index: u32, event: &Event, scratch: &mut MatchScratch) -> bool {
        scratch.buffers.start_event();
        self.rules[index as usize]
            .node
            .eval(event, &mut scratch.buffers)
    }

    /// Evaluates rule `index` on `event` right after [`Matcher::match_event`]
    /// matched that event with `scratch`, as the matcher evaluates a
    /// candidate: with what the prefilter's scan found (its stamps are still
    /// those of the event). For profiling what each candidate really costs
    /// (`RULECOST=1` of the `match_profile` example).
    pub fn eval_candidate(&self, index: u32, event: &Event, scratch: &mut MatchScratch) -> bool {
        let Some((_, route)) = scratch.last else {
            return self.eval_rule(index, event, scratch);
        };
        let routes = std::mem::take(&mut scratch.routes);
        let prefilter = &*routes[route];
        let patterns = prefilter
            .fields
            .known
            .get(index)
            .or_else(|| prefilter.keywords.known.get(index));
        let known = patterns.map(|patterns| Known {
            patterns,
            stamps: &scratch.pattern_stamp,
            generation: scratch.generation,
        });
        scratch.buffers.start_event();
        scratch.buffers.fields.ensure(event, self.slot_symbols);
        let hit =
            self.rules[index as usize]
                .node
                .eval_known(event, &mut scratch.buffers, known.as_ref());
        scratch.routes = routes;
        hit
    }

    /// The reference answer: every rule whose logsource and event id accept the
    /// event is evaluated, without the prefilter. Slow; for same-answer tests of
    /// the prefilter.
    pub fn match_event_exhaustive(&self, event: &Event, out: &mut Vec<u32>) {
        let mut buffers = EvalBuffers::default();
        for (index, rule) in self.rules.iter().enumerate() {
            buffers.start_event();
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
        let key = (*logsource, code);
        if let Some(prefilter) = self.lock_routes().get(&key) {
            return Arc::clone(prefilter);
        }
        let prefilter = self.build_route(logsource, code);
        self.lock_routes().insert(key, Arc::clone(&prefilter));
        prefilter
    }

    fn lock_routes(&self) -> std::sync::MutexGuard<'_, RouteMap> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The prefilter of the rules routed to `logsource` and `code`, shared with
    /// other routes that have the same rules.
    fn build_route(&self, logsource: &LogSource, code: Option<u32>) -> Arc<RoutePrefilter> {
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
        // Keyword rules are kept apart only so that the others' answers can be
        // remembered: one stage is one scan and no merge.
        let (keyword_rules, field_rules): (Vec<u32>, Vec<u32>) = if self.remember_answers {
            routed
                .iter()
                .partition(|&&rule| self.keyword_rules[rule as usize])
        } else {
            (Vec::new(), routed.to_vec())
        };
        let mut total_patterns = 0;
        let fields = self.build_stage(&field_rules, &mut total_patterns);
        let keywords = self.build_stage(&keyword_rules, &mut total_patterns);
        let read = (self.remember_answers && !field_rules.is_empty())
            .then(|| {
                let mut read_fields = Vec::new();
                for &rule in &field_rules {
                    self.rules[rule as usize].node.read_fields(&mut read_fields);
                }
                ReadSet::new(&read_fields)
            })
            .flatten();
        RoutePrefilter {
            fields,
            keywords,
            read,
            total_patterns,
        }
    }

    /// The prefilter of `rules`; their slots' pattern ids start at
    /// `total_patterns`, which grows by their count.
    fn build_stage(&self, rules: &[u32], total_patterns: &mut usize) -> Stage {
        let mut always = Vec::new();
        // The rules with literals in each slot, in rule order.
        let mut slot_rules: Vec<(&SlotFields, Vec<u32>)> = Vec::new();
        for &rule in rules {
            let Some(groups) = &self.rule_groups[rule as usize] else {
                always.push(rule);
                continue;
            };
            for (fields, _) in groups.iter().flat_map(|g| g.iter()) {
                let index = match slot_rules.iter().position(|(f, _)| *f == fields) {
                    Some(index) => index,
                    None => {
                        slot_rules.push((fields, Vec::new()));
                        slot_rules.len() - 1
                    }
                };
                let rules = &mut slot_rules[index].1;
                if rules.last() != Some(&rule) {
                    rules.push(rule);
                }
            }
        }
        let mut slots = Vec::with_capacity(slot_rules.len());
        let mut cache = self.slot_cache.lock().unwrap_or_else(|e| e.into_inner());
        for (fields, slot_rules) in slot_rules {
            let key = (fields.clone(), slot_rules.into_boxed_slice());
            let core = match cache.get(&key) {
                Some(core) => Arc::clone(core),
                None => {
                    let Some(core) = self.build_slot(fields, &key.1, cache.len()) else {
                        // Cannot happen for non-empty literal sets; if it did, every
                        // rule of the stage is evaluated on every event.
                        return Stage {
                            always: rules.into(),
                            ..Stage::default()
                        };
                    };
                    let core = Arc::new(core);
                    cache.insert(key, Arc::clone(&core));
                    core
                }
            };
            let patterns = core.pattern_rules.len();
            slots.push(Slot {
                core,
                first_pattern: *total_patterns,
            });
            *total_patterns += patterns;
        }
        let known = self.known_tables(rules, &slots);
        let confirm = self.confirm_tables(rules, &slots);
        Stage {
            always: always.into_boxed_slice(),
            slots: slots.into_boxed_slice(),
            known,
            confirm,
        }
    }

    /// What the scans of `slots` settle of each pattern of `rules` (rules
    /// with nothing settled are left out).
    fn known_tables(&self, rules: &[u32], slots: &[Slot]) -> RuleTable<Box<[KnownPattern]>> {
        let mut tables = Vec::new();
        for &rule in rules {
            let mut table = Vec::new();
            self.rules[rule as usize]
                .node
                .for_each_field_item(&mut |item| {
                    let stamp_of =
                        |needle: &Needle| literal_stamp(slots, Some(&item.fields), needle);
                    table.resize(item.first_pattern as usize, KnownPattern::Unknown);
                    for pattern in item.patterns.iter() {
                        table.push(KnownPattern::of(pattern, &stamp_of));
                    }
                });
            if table.iter().any(|k| *k != KnownPattern::Unknown) {
                tables.push((rule, table.into_boxed_slice()));
            }
        }
        RuleTable::new(tables)
    }

    /// The stamps of the literals of each group after the first, for the
    /// rules of `rules` with more than one group (see [`Stage::confirm`]).
    fn confirm_tables(&self, rules: &[u32], slots: &[Slot]) -> ConfirmTable {
        let stamp_of = |(fields, needle): &Literal| literal_stamp(slots, fields.as_deref(), needle);
        let mut tables = Vec::new();
        for &rule in rules {
            let Some(groups) = &self.rule_groups[rule as usize] else {
                continue;
            };
            if groups.len() < 2 {
                continue;
            }
            let rest: Option<Vec<Vec<u32>>> = groups[1..]
                .iter()
                .map(|group| group.iter().map(stamp_of).collect::<Option<Vec<u32>>>())
                .collect();
            // Every literal of the stage's rules is in one of its slots;
            // were one not, the rule would be a candidate whenever its
            // first group is found (looser, never a wrong answer).
            if let Some(rest) = rest {
                tables.push((rule, rest));
            }
        }
        ConfirmTable::new(tables)
    }

    /// The automaton over the literals `rules` tie to `fields`.
    fn build_slot(&self, fields: &SlotFields, rules: &[u32], id: usize) -> Option<SlotAutomaton> {
        let mut ids: HashMap<&[u8], usize> = HashMap::new();
        let mut literals: Vec<&[u8]> = Vec::new();
        let mut pattern_rules: Vec<Vec<u32>> = Vec::new();
        // Whether a group of these rules uses the non-ASCII needle here, and
        // the rules whose first group does.
        let mut non_ascii_used = false;
        let mut non_ascii_rules: Vec<u32> = Vec::new();
        for &rule in rules {
            let groups = self.rule_groups[rule as usize]
                .as_deref()
                .unwrap_or_default();
            for (group, group_literals) in groups.iter().enumerate() {
                // Every group's literals are found (their stamps confirm a
                // rule); only the first group's trigger it.
                let triggers = group == 0;
                for (_, needle) in group_literals.iter().filter(|(f, _)| f == fields) {
                    let needle = match needle {
                        Needle::Text(text) => text.as_bytes(),
                        Needle::NonAscii => {
                            non_ascii_used = true;
                            if triggers && !non_ascii_rules.contains(&rule) {
                                non_ascii_rules.push(rule);
                            }
                            continue;
                        }
                    };
                    let id = *ids.entry(needle).or_insert_with(|| {
                        literals.push(needle);
                        pattern_rules.push(Vec::new());
                        literals.len() - 1
                    });
                    if triggers && !pattern_rules[id].contains(&rule) {
                        pattern_rules[id].push(rule);
                    }
                }
            }
        }
        // A keyword slot's exact path costs more than a field slot's other
        // scanners, so its filter may take more passes.
        let parts = match fields {
            None => KEYWORD_FILTER_PARTS,
            Some(_) => 1,
        };
        // The non-ASCII needle asks about every value, so its slots have no
        // filter (nor slots whose literals it does not take).
        let literal_filter = (!non_ascii_used)
            .then(|| LiteralFilter::new(&literals, parts))
            .flatten();
        // A field slot with the filter needs no automaton or gate: the
        // filter finds every literal itself.
        let filtered_field = fields.is_some() && literal_filter.is_some();
        let built = (!filtered_field)
            .then(|| build_automaton(&literals, fields.is_none()))
            .flatten();
        if built.is_none() && !filtered_field && (!literals.is_empty() || !non_ascii_used) {
            return None;
        }
        let (automaton, folds) = built.map_or((None, false), |(a, folds)| (Some(a), folds));
        // The non-ASCII needle is the pattern after the literals.
        let non_ascii = non_ascii_used.then(|| {
            pattern_rules.push(non_ascii_rules);
            literals.len() as u32
        });
        let literal_ids = ids
            .into_iter()
            .map(|(literal, id)| (Box::from(literal), id as u32))
            .collect();
        Some(SlotAutomaton {
            id,
            fields: fields.clone(),
            folds,
            literal_ids,
            min_len: literals.iter().map(|l| l.len()).min().unwrap_or(0),
            gate: (!filtered_field).then(|| Gate::new(&literals)).flatten(),
            literal_filter,
            automaton,
            non_ascii,
            pattern_rules: pattern_rules
                .into_iter()
                .map(Vec::into_boxed_slice)
                .collect(),
        })
    }

    fn prefilter_hits(
        &self,
        event: &Event,
        stage: &Stage,
        scratch: &mut MatchScratch,
        candidates: &mut Vec<u32>,
    ) {
        let MatchScratch {
            rule_stamp,
            touched,
            pattern_stamp,
            generation,
            text,
            folded,
            joined,
            found,
            scan_cache,
            buffers,
            ..
        } = scratch;
        let field_index = &buffers.fields;
        let mut marks = Marks {
            pattern_stamp,
            rule_stamp,
            touched,
            generation: *generation,
        };
        marks.touched.clear();
        for route_slot in stage.slots.iter() {
            let slot = &*route_slot.core;
            let slot_id = slot.id;
            let Some(refs) = &slot.fields else {
                // Most events hold none of the literals: the filter shows it
                // reading their text as it is (`folded` is its buffer).
                if slot
                    .literal_filter
                    .as_ref()
                    .is_some_and(|filter| !filter.occurs_in(event, folded))
                {
                    continue;
                }
                // Keyword literals: any text value of the event, joined
                // lower-cased into one scan (through the gate, a few hundred
                // bytes without a literal cost about 0.1 microseconds; a literal
                // across two values only costs an evaluation).
                join_text_values(event, joined);
                // ASCII lower-cased in place (UTF-8 stays valid); a copy
                // folded by Unicode's rules only when some other character
                // changes (`®` and most others do not).
                joined.make_ascii_lowercase();
                let ascii = joined.is_ascii();
                let hay = if ascii || !case_fold::changes_beyond_ascii(joined) {
                    joined.as_bytes()
                } else {
                    folded.clear();
                    case_fold::fold_into(joined, folded);
                    &folded[..]
                };
                scan_folded(route_slot, hay, ascii, found, &mut marks);
                continue;
            };
            let mut scan = |haystack: &str, cacheable: bool| {
                if haystack.len() < slot.min_len && slot.non_ascii.is_none() {
                    return;
                }
                let cacheable = cacheable && haystack.len() <= SCAN_CACHE_MAX_VALUE;
                let hash = if cacheable {
                    scan_cache.hash(slot_id, haystack)
                } else {
                    0
                };
                if cacheable && let Some(found) = scan_cache.get(hash, slot_id, haystack) {
                    for pid in found {
                        marks.mark(route_slot, pid as usize);
                    }
                    return;
                }
                // Small literal sets: every literal found by the filter.
                if let Some(filter) = &slot.literal_filter {
                    filter.find_all(haystack, found);
                    for &pid in found.iter() {
                        marks.mark(route_slot, pid as usize);
                    }
                    if cacheable {
                        scan_cache.insert(hash, slot_id, haystack, found);
                    }
                    return;
                }
                let ascii = haystack.is_ascii();
                // The automaton folds ASCII case itself; the gate does not.
                let gated = slot.gate.is_some() && haystack.len() >= GATE_MIN_VALUE;
                let as_is = ascii && slot.folds && !gated;
                let hay = fold_haystack(haystack, ascii, as_is, &mut *folded);
                scan_folded(route_slot, hay, ascii, found, &mut marks);
                if cacheable {
                    scan_cache.insert(hash, slot_id, haystack, found);
                }
            };
            // The value the rules read: the first present candidate, as evaluation does.
            let Some(value) = refs.iter().find_map(|f| field_index.get(event, *f)) else {
                continue;
            };
            match value {
                ValueRef::Str(s) => scan(s, true),
                ValueRef::StrList(items) => items.iter().for_each(|s| scan(s, true)),
                ValueRef::List(items) => items.iter().for_each(|v| {
                    text_values::scan_value(v.as_ref(), Some(&mut *text), &mut |s| scan(s, true))
                }),
                ValueRef::Null => {}
                // Numbers too: evaluation tests their text (`contains: '8080'`).
                other => {
                    if other.write_text(text) {
                        scan(text, true);
                    }
                }
            }
        }
        let Marks {
            pattern_stamp,
            touched,
            generation,
            ..
        } = marks;
        // A triggered rule is a candidate when each of its other groups
        // has a literal found too.
        let found = |stamp: u32| pattern_stamp[stamp as usize] == generation;
        for &rule in touched.iter() {
            if stage.confirm.confirms(rule, found) {
                candidates.push(rule);
            }
        }
    }
}

/// The stamp (index in the per-thread pattern stamps) of `needle` in the
/// slot of `fields` among `slots` (`None` for the keyword slot's fields),
/// when that slot looks for it.
fn literal_stamp(slots: &[Slot], fields: Option<&[FieldRef]>, needle: &Needle) -> Option<u32> {
    let slot = slots.iter().find(|s| s.core.fields.as_deref() == fields)?;
    let pid = match needle {
        Needle::Text(text) => *slot.core.literal_ids.get(text.as_bytes())?,
        Needle::NonAscii => slot.core.non_ascii?,
    };
    Some((slot.first_pattern + pid as usize) as u32)
}

/// A rule's literal groups without those holding a short literal when
/// another group has only long ones. A literal shorter than the windows
/// scanner's window (` -e`, `/c`, `12`) cannot be indexed by it: a slot with
/// any needs a second filter of byte pairs read at every position, and such
/// a literal is in most command lines anyway, so it filters little that
/// the long group does not. Dropping a group only makes the prefilter let
/// more through, never less. Measured with callgrind (SigmaHQ's Windows
/// rules over the EVTX corpus, three hot passes): 615.8M -> 598.3M
/// instructions; with a bound of 3, 5 or 6 bytes 617.0M, 623.5M and 656.2M.
fn drop_weak_groups(groups: Vec<Vec<Literal>>) -> Vec<Vec<Literal>> {
    let strong = |group: &Vec<Literal>| {
        group
            .iter()
            .all(|(_, needle)| needle.weight() >= STRONG_LITERAL)
    };
    if !groups.iter().any(strong) {
        return groups;
    }
    groups.into_iter().filter(strong).collect()
}

/// Bytes of the shortest literal a strong group holds (the windows
/// scanner's window, see [`drop_weak_groups`]).
const STRONG_LITERAL: usize = crate::window_scan::WINDOW;

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

/// Scans `hay` (lower-cased, or as it is when the slot's automaton folds case
/// itself and no gate is used) for the slot's literals, marking the rules they
/// satisfy and listing the patterns found in `found`; `ascii` says whether the
/// original text was ASCII (for the non-ASCII needle).
fn scan_folded(
    route_slot: &Slot,
    hay: &[u8],
    ascii: bool,
    found: &mut Vec<u32>,
    marks: &mut Marks<'_>,
) {
    let slot = &*route_slot.core;
    found.clear();
    if let Some(automaton) = &slot.automaton {
        let gate = slot.gate.as_ref().filter(|_| hay.len() >= GATE_MIN_VALUE);
        if let (Some(gate), SlotScanner::Automaton(automaton)) = (gate, automaton) {
            gate.each_literal(automaton, hay, |pid| {
                found.push(pid as u32);
                marks.mark(route_slot, pid);
            });
            return scan_non_ascii(route_slot, ascii, found, marks);
        }
        // No literal starts before the gate's leftmost match: without one,
        // nothing is there; with one, the exhaustive scan starts at it.
        let from = match gate {
            Some(gate) => gate.leftmost(hay),
            None => Some(0),
        };
        let hay = from.map_or(&[][..], |from| &hay[from..]);
        match automaton {
            SlotScanner::Automaton(automaton) => {
                for hit in automaton.find_overlapping_iter(hay) {
                    let pid = hit.pattern().as_usize();
                    found.push(pid as u32);
                    marks.mark(route_slot, pid);
                }
            }
            SlotScanner::Windows(windows) => windows.for_each_match(hay, |pid| {
                found.push(pid);
                marks.mark(route_slot, pid as usize);
            }),
        }
    }
    scan_non_ascii(route_slot, ascii, found, marks);
}

/// The non-ASCII needle of the slot, found when the text was not ASCII.
fn scan_non_ascii(route_slot: &Slot, ascii: bool, found: &mut Vec<u32>, marks: &mut Marks<'_>) {
    if let Some(pid) = route_slot.core.non_ascii
        && !ascii
    {
        found.push(pid);
        marks.mark(route_slot, pid as usize);
    }
}

/// The bytes a slot scans for `haystack`: as they are when `as_is`, else
/// lower-cased into `folded` as evaluation compares them (ASCII folded in place;
/// other text by Unicode's rules, where the Kelvin sign is a `k`, so that no
/// literal a rule would match is missed).
fn fold_haystack<'a>(
    haystack: &'a str,
    ascii: bool,
    as_is: bool,
    folded: &'a mut Vec<u8>,
) -> &'a [u8] {
    if as_is {
        return haystack.as_bytes();
    }
    folded.clear();
    if ascii {
        folded.push_ascii_lowered(haystack);
    } else {
        case_fold::fold_into(haystack, folded);
    }
    folded
}

/// Joins the text values of `event` (strings, booleans, list elements; not
/// numbers, which keywords do not match) and its message into `joined`, each
/// value followed by a NUL so that no literal spans two: the record's text
/// buffer as it is, then the text kept outside it.
fn join_text_values(event: &Event, joined: &mut String) {
    joined.clear();
    joined.push_str(event.native.text());
    text_values::for_each_outside_buffer(event, &mut |s| {
        joined.push_str(s);
        joined.push('\0');
    });
}

/// Most passes of a keyword slot's literal filter (see
/// [`LiteralFilter::new`]). An event the filter cannot clear takes the exact
/// path: its values joined, lower-cased and read by the gate and the
/// automaton, about four passes' work. SigmaHQ's application keywords
/// (antivirus names, with Mimikatz's, which reach every Windows event) are
/// 89 literals, too many for one part: every application event, a tenth of
/// the EVTX corpus, took the exact path. In four parts: three hot passes
/// over the corpus 511.0M -> 505.5M instructions (callgrind).
const KEYWORD_FILTER_PARTS: usize = 4;

/// Literals per SIMD searcher of a gate: Teddy's own limit as a prefilter,
/// where its buckets still tell most literals apart.
const GATE_CHUNK: usize = 64;

/// Most literals of a slot with a gate: beyond four searchers, running them
/// all costs about what the automaton's walk does.
const GATE_MAX_LITERALS: usize = 4 * GATE_CHUNK;

/// Shortest value scanned through the gate: shorter ones cost about as much
/// through the automaton alone (and most are answered by the scan cache).
const GATE_MIN_VALUE: usize = 64;

/// A slot's gate (see [`SlotAutomaton::gate`]): SIMD searchers (Teddy) over
/// a rare part of each of its literals, up to [`GATE_CHUNK`] each, that find
/// where the leftmost literal can start, skipping text without one at a
/// fraction of a byte-by-byte walk. A keyword slot (SigmaHQ's Mimikatz
/// keywords reach every Windows event) scans a whole event's text through it.
///
/// Teddy tells candidates apart by the first bytes of its patterns; given
/// whole literals, prefixes such as `even` (`event::clear`) or `priv`
/// (`privilege::debug`) made candidates to verify all through ordinary
/// Windows text. Each literal is therefore searched from its rarest window
/// of [`GATE_WINDOW`] bytes on (by [`crate::window_scan::window_commonness`]):
/// measured with callgrind over the EVTX corpus and all SigmaHQ rules, the
/// gates' Teddy searches took 19% fewer instructions (0.6% of matching).
#[derive(Debug)]
struct Gate {
    /// Each searcher with the length of its longest pattern.
    searchers: Box<[(aho_corasick::packed::Searcher, usize)]>,
    /// The largest offset of a pattern in its literal: a literal starts at
    /// most this far before the leftmost pattern found.
    max_offset: usize,
    /// The longest literal's length.
    longest_literal: usize,
}

/// Bytes from a gate's leftmost start in which [`Gate::each_literal`] looks
/// for literal starts with the automaton before it asks the gate again.
const GATE_STRIDE: usize = 64;

/// Bytes of the window a gate pattern starts with (Teddy's fingerprint is
/// up to four bytes).
const GATE_WINDOW: usize = 4;

impl Gate {
    /// The gate of `literals` (lower-cased text), if SIMD searchers take them.
    fn new(literals: &[&[u8]]) -> Option<Gate> {
        if literals.is_empty() || literals.len() > GATE_MAX_LITERALS {
            return None;
        }
        let offsets: Vec<usize> = literals.iter().map(|l| rarest_gate_offset(l)).collect();
        let max_offset = offsets.iter().copied().max().unwrap_or(0);
        let patterns: Vec<&[u8]> = literals
            .iter()
            .zip(&offsets)
            .map(|(literal, &offset)| &literal[offset..])
            .collect();
        let searchers = patterns
            .chunks(GATE_CHUNK)
            .map(|chunk| {
                let longest = chunk.iter().map(|l| l.len()).max().unwrap_or(0);
                aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    .builder()
                    .extend(chunk)
                    .build()
                    .map(|searcher| (searcher, longest))
            })
            .collect::<Option<Box<[_]>>>()?;
        Some(Gate {
            searchers,
            max_offset,
            longest_literal: literals.iter().map(|l| l.len()).max().unwrap_or(0),
        })
    }

    /// Calls `report` with the pattern id of every literal `automaton` (an
    /// overlapping automaton over the gate's literals) finds in `haystack`,
    /// once per place each starts. The gate finds where the first literal
    /// can start; the automaton reads from there only the text in which a
    /// literal can start within [`GATE_STRIDE`] bytes (and end), and the gate
    /// searches again after those. A gate match that is no literal (a
    /// literal's rarest four bytes in other text) thus costs a stride, not
    /// an automaton walk to the end of the text.
    fn each_literal(
        &self,
        automaton: &AhoCorasick,
        haystack: &[u8],
        mut report: impl FnMut(usize),
    ) {
        let mut from = 0;
        while from < haystack.len() {
            let Some(start) = self.leftmost(&haystack[from..]) else {
                return;
            };
            let start = from + start;
            let starts_end = start + GATE_STRIDE;
            let end = (starts_end - 1 + self.longest_literal).min(haystack.len());
            for hit in automaton.find_overlapping_iter(&haystack[start..end]) {
                if start + hit.start() < starts_end {
                    report(hit.pattern().as_usize());
                }
            }
            from = starts_end;
        }
    }

    /// Where the leftmost literal can start in `haystack` (none is before
    /// it), if any can.
    fn leftmost(&self, haystack: &[u8]) -> Option<usize> {
        let mut first: Option<usize> = None;
        for (searcher, longest) in &self.searchers {
            // Only text before the best start so far can hold an earlier one.
            let end = first.map_or(haystack.len(), |at| (at + longest).min(haystack.len()));
            if let Some(found) = searcher.find(&haystack[..end]) {
                first = Some(first.map_or(found.start(), |at| at.min(found.start())));
            }
        }
        // Any literal holds its pattern at most `max_offset` bytes in, so it
        // starts no earlier than that before the leftmost pattern.
        first.map(|at| at.saturating_sub(self.max_offset))
    }
}

/// Where in `literal` its gate pattern starts: at the window of
/// [`GATE_WINDOW`] bytes least likely in ordinary text (the literal's start
/// when it is no longer than a window).
fn rarest_gate_offset(literal: &[u8]) -> usize {
    if literal.len() <= GATE_WINDOW {
        return 0;
    }
    (0..=literal.len() - GATE_WINDOW)
        .min_by_key(|&offset| {
            crate::window_scan::window_commonness(&literal[offset..offset + GATE_WINDOW])
        })
        .unwrap_or(0)
}

/// Most literal bytes of a slot built as a DFA that ignores ASCII case itself
/// (no copy of the haystack). Larger field slots are hashed windows over
/// lower-cased copies (as DFAs all slots took 224 MB and measured no faster,
/// being out of cache; as contiguous NFAs, behind their gate, those of up to
/// 256 literals took 1.3% more instructions of a hot pass).
const DFA_MAX_LITERAL_BYTES: usize = 1024;

/// Whether a slot's literals make a DFA small enough: about a state per
/// literal byte, times an alphabet of up to ~64 classes. Measured on SigmaHQ
/// over the EVTX corpus: DFAs up to 1 KB of literals took the automata from
/// 6.6 MB (all NFA) to 13 MB and matching from 196k to 242k events per
/// CPU-second; a 3,000-literal limit took 65 MB for no further gain.
fn fits_dfa(literals: &[&[u8]]) -> bool {
    literals.iter().map(|l| l.len()).sum::<usize>() <= DFA_MAX_LITERAL_BYTES
}

/// The scanner of a slot. Slots of more than [`GATE_MAX_LITERALS`] literals
/// (no gate), and field slots too large for a DFA, are hashed windows over
/// lower-cased text. Small field slots are DFAs that ignore ASCII case
/// themselves, and have no prefilter (starting one per value cost more than
/// it saved). The keyword slot scans the whole event's text at once,
/// lower-cased first, so a case-sensitive automaton with its prefilter can
/// skip through it (hashed windows measured worse there). Also says whether
/// the scanner ignores ASCII case itself (then values are scanned as they
/// are).
fn build_automaton(literals: &[&[u8]], keywords: bool) -> Option<(SlotScanner, bool)> {
    if literals.is_empty() {
        return None;
    }
    if literals.len() > GATE_MAX_LITERALS {
        return Some((SlotScanner::Windows(WindowScan::new(literals)), false));
    }
    let dfa = fits_dfa(literals);
    if !dfa && !keywords {
        return Some((SlotScanner::Windows(WindowScan::new(literals)), false));
    }
    let ignores_case = dfa;
    let automaton = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .ascii_case_insensitive(ignores_case)
        .prefilter(keywords)
        .kind(Some(if dfa {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        }))
        .build(literals)
        .ok()?;
    Some((SlotScanner::Automaton(automaton), ignores_case))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_cache_answers_per_slot_and_starts_afresh_when_full() {
        fn ids(cache: &ScanCache, slot: usize, value: &str) -> Option<Vec<u32>> {
            cache
                .get(cache.hash(slot, value), slot, value)
                .map(Iterator::collect)
        }
        fn insert(cache: &mut ScanCache, slot: usize, value: &str, found: &[u32]) {
            cache.insert(cache.hash(slot, value), slot, value, found);
        }
        let mut cache = ScanCache::default();
        insert(
            &mut cache,
            3,
            "c:\\windows\\system32\\cmd.exe",
            &[7, 70_000, 2],
        );
        insert(&mut cache, 4, "c:\\windows\\system32\\cmd.exe", &[]);
        insert(&mut cache, 3, "", &[1]);
        assert_eq!(
            ids(&cache, 3, "c:\\windows\\system32\\cmd.exe"),
            Some(vec![7, 70_000, 2])
        );
        assert_eq!(
            ids(&cache, 4, "c:\\windows\\system32\\cmd.exe"),
            Some(vec![])
        );
        assert_eq!(ids(&cache, 3, ""), Some(vec![1]));
        assert_eq!(ids(&cache, 5, "c:\\windows\\system32\\cmd.exe"), None);
        assert_eq!(ids(&cache, 3, "c:\\windows\\system32\\cmd.ex"), None);
        for i in 0..SCAN_CACHE_ENTRIES {
            insert(&mut cache, 9, &format!("value {i}"), &[i as u32]);
        }
        // Full: the next insert started afresh, so the first values are gone.
        assert_eq!(ids(&cache, 3, ""), None);
        assert_eq!(
            ids(&cache, 9, &format!("value {}", SCAN_CACHE_ENTRIES - 1)),
            Some(vec![SCAN_CACHE_ENTRIES as u32 - 1])
        );
    }

    #[test]
    fn rule_tables_answer_for_their_rules_only() {
        let table = RuleTable::new(vec![(40, "forty"), (7, "seven"), (12, "twelve")]);
        assert_eq!(table.get(7), Some(&"seven"));
        assert_eq!(table.get(12), Some(&"twelve"));
        assert_eq!(table.get(40), Some(&"forty"));
        // Inside the span without an entry, below it and above it.
        for rule in [8, 39, 6, 0, 41, u32::MAX] {
            assert_eq!(table.get(rule), None, "rule {rule}");
        }
        assert_eq!(RuleTable::<u8>::default().get(0), None);
    }

    #[test]
    fn a_triggered_rule_is_confirmed_when_each_other_group_was_found() {
        // Rule 5: groups {1, 2} and {3}; rule 9: group {4}; rule 6 has no
        // other groups.
        let table = ConfirmTable::new(vec![(5, vec![vec![1, 2], vec![3]]), (9, vec![vec![4]])]);
        let with = |found: &'static [u32]| move |stamp: u32| found.contains(&stamp);
        assert!(table.confirms(5, with(&[2, 3])));
        assert!(table.confirms(5, with(&[1, 3, 4])));
        assert!(!table.confirms(5, with(&[1, 2])));
        assert!(!table.confirms(5, with(&[3])));
        assert!(table.confirms(9, with(&[4])));
        assert!(!table.confirms(9, with(&[1, 2, 3])));
        assert!(table.confirms(6, with(&[])));
        assert!(table.confirms(100, with(&[])));
    }

    #[test]
    fn short_literals_are_dropped_only_beside_a_group_of_long_ones() {
        let group = |texts: &[&str]| -> Vec<Literal> {
            texts
                .iter()
                .map(|t| (None, Needle::Text((*t).into())))
                .collect()
        };
        // ` -e` beside `powershell`: only the long group is kept.
        assert_eq!(
            drop_weak_groups(vec![group(&[" -e"]), group(&["powershell"])]),
            vec![group(&["powershell"])]
        );
        // A group with one short literal among long ones is weak too.
        assert_eq!(
            drop_weak_groups(vec![group(&["/c", "cmd.exe"]), group(&["whoami"])]),
            vec![group(&["whoami"])]
        );
        // Without a long group, the short ones are all the rule has.
        let weak = vec![group(&[" -e"]), group(&["/c", "12"])];
        assert_eq!(drop_weak_groups(weak.clone()), weak);
    }

    #[test]
    fn the_gate_never_starts_after_a_literal() {
        let literals: [&[u8]; 4] = [b"\\mimilib.dll", b"event::clear", b"ab", b"sekurlsa::"];
        let gate = Gate::new(&literals).unwrap();
        // Searched from a rare window, not from each literal's start.
        assert!(gate.max_offset > 0);
        for (text, first) in [
            (&b"\\mimilib.dll"[..], 0),
            (b"c:\\windows\\event::clear", 11),
            (b"xx sekurlsa::logonpasswords", 3),
            (b"ab", 0),
        ] {
            let from = gate.leftmost(text).unwrap();
            assert!(from <= first, "{}", String::from_utf8_lossy(text));
        }
        assert_eq!(gate.leftmost(b"c:\\windows\\microsoft\\eventlog"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1_000))]
        /// Wherever a literal occurs, the gate starts the scan at or before it.
        #[test]
        fn the_gate_starts_at_or_before_every_literal(
            literals in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(b"ab:\\ -x".to_vec()), 3..12), 1..40),
            text in proptest::collection::vec(proptest::sample::select(b"ab:\\ -xy".to_vec()), 0..120),
        ) {
            let literals: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
            // Some sets Teddy does not take (then the slot has no gate).
            let Some(gate) = Gate::new(&literals) else {
                return Ok(());
            };
            let first = literals
                .iter()
                .filter_map(|l| text.windows(l.len()).position(|w| w == *l))
                .min();
            if let Some(first) = first {
                let from = gate.leftmost(&text);
                proptest::prop_assert!(from.is_some_and(|from| from <= first));
            }
        }

        /// The gated walk reports each literal once for each place it
        /// occurs, as a plain search does, across strides and gate matches
        /// that are no literal.
        #[test]
        fn the_gated_walk_finds_every_occurrence(
            literals in proptest::collection::hash_set(proptest::collection::vec(proptest::sample::select(b"ab:\\ -x".to_vec()), 3..12), 1..40),
            text in proptest::collection::vec(proptest::sample::select(b"ab:\\ -xy".to_vec()), 0..400),
            planted in proptest::collection::vec((0usize..40, 0usize..400), 0..6),
        ) {
            let literals: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
            // Literals put where strides end (every 64 bytes from a start).
            let mut text = text;
            for (which, at) in planted {
                let at = at.min(text.len());
                text.splice(at..at, literals[which % literals.len()].iter().copied());
            }
            let Some(gate) = Gate::new(&literals) else {
                return Ok(());
            };
            let automaton = AhoCorasick::new(&literals).unwrap();
            let mut reported = Vec::new();
            gate.each_literal(&automaton, &text, |pid| reported.push(pid));
            reported.sort_unstable();
            let mut expected: Vec<usize> = literals
                .iter()
                .enumerate()
                .flat_map(|(id, l)| std::iter::repeat_n(id, text.windows(l.len()).filter(|w| w == l).count()))
                .collect();
            expected.sort_unstable();
            proptest::prop_assert_eq!(reported, expected);
        }
    }
}
