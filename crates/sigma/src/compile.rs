//! Detection rules compiled to an expression tree over resolved fields, plus what
//! the matcher needs to skip them cheaply: event ids and prefilter literals.

use crate::condition::{self, Cond, Quantifier};
use crate::field_index::FieldIndex;
use crate::mapping::resolve_field;
use crate::pattern::{self, Lowered, Needle, Pattern, StrPattern, compile_values, match_typed};
use crate::rule::{Detection, FieldSpec, RuleError, Scalar, Selection};
use model::{Event, FieldRef, Value, ValueRef};
use std::collections::BTreeMap;

/// A compiled condition.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    Field(FieldItem),
    Keyword(KeywordItem),
    Const(bool),
}

/// `field|modifiers: values`, resolved.
#[derive(Clone, Debug)]
pub(crate) struct FieldItem {
    pub name: Box<str>,
    pub fields: Box<[FieldRef]>,
    pub patterns: Box<[Pattern]>,
    pub all: bool,
    pub negate: bool,
    /// Every pattern is an integer compared as a number (`LogonType: 3`): an
    /// integer value is then tested without writing its text.
    pub numbers_only: bool,
    /// The ordinal of its first pattern among its rule's (see
    /// [`Node::number_patterns`]), which indexes [`Known::patterns`].
    pub first_pattern: u32,
}

/// A keyword list: values searched in every field.
#[derive(Clone, Debug)]
pub(crate) struct KeywordItem {
    pub patterns: Box<[Pattern]>,
    pub all: bool,
}

/// What the prefilter's scan of the current event already tells of one
/// pattern of a rule, by the literal it found or did not find in the field's
/// value (the same value the item reads: the first present candidate).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum KnownPattern {
    /// Nothing: the pattern is tested.
    Unknown,
    /// The pattern can match only if the literal of stamp `.0` was found (its
    /// required literal): when it was not, it does not match.
    Needs(u32),
    /// The pattern (`contains` of exactly that literal, case-insensitive)
    /// matches exactly when the literal of stamp `.0` was found.
    Is(u32),
    /// A `contains` list: one of these literals must be found for a match.
    NeedsAny(Box<[u32]>),
    /// A `contains` list of exactly these literals: it matches exactly when
    /// one was found.
    IsAny(Box<[u32]>),
}

impl KnownPattern {
    /// What the prefilter's findings can tell of `pattern`, given the stamp
    /// of each literal the slot of its field finds (`stamp_of`). A pattern
    /// matches only where its required literal occurs in the lower-cased
    /// value (what the prefilter rests on); a case-insensitive `contains`
    /// whose whole text is that literal matches exactly where it occurs.
    pub fn of(pattern: &Pattern, stamp_of: &impl Fn(&Needle) -> Option<u32>) -> KnownPattern {
        match pattern {
            Pattern::Str(p) => {
                let Some(needle) = pattern::required_literal(pattern) else {
                    return KnownPattern::Unknown;
                };
                let Some(stamp) = stamp_of(&needle) else {
                    return KnownPattern::Unknown;
                };
                let exact = matches!(p.op, pattern::StrOp::Contains(_))
                    && !p.cased
                    && p.number.is_none()
                    && matches!(&needle, Needle::Text(text) if **text == *p.text);
                if exact {
                    KnownPattern::Is(stamp)
                } else {
                    KnownPattern::Needs(stamp)
                }
            }
            // One of the literals that start (or are inside) every match
            // must be there, as the prefilter's groups have it.
            Pattern::Regex(re) => {
                let Some(literals) = pattern::regex_literals(re.as_str()) else {
                    return KnownPattern::Unknown;
                };
                let stamps: Option<Box<[u32]>> = literals
                    .into_iter()
                    .map(|text| stamp_of(&Needle::Text(text)))
                    .collect();
                match stamps {
                    Some(stamps) if stamps.len() == 1 => KnownPattern::Needs(stamps[0]),
                    Some(stamps) => KnownPattern::NeedsAny(stamps),
                    None => KnownPattern::Unknown,
                }
            }
            Pattern::AnyContains(set) => {
                let mut stamps = Vec::with_capacity(set.texts.len());
                let mut exact = !set.cased;
                for text in set.texts.iter() {
                    let Some(needle) = pattern::contains_literal(text) else {
                        return KnownPattern::Unknown;
                    };
                    let Some(stamp) = stamp_of(&needle) else {
                        return KnownPattern::Unknown;
                    };
                    exact &= matches!(&needle, Needle::Text(literal) if **literal == **text);
                    stamps.push(stamp);
                }
                if exact {
                    KnownPattern::IsAny(stamps.into())
                } else {
                    KnownPattern::NeedsAny(stamps.into())
                }
            }
            _ => KnownPattern::Unknown,
        }
    }
}

/// The prefilter's findings for one event and rule: per pattern ordinal what
/// is known, and the stamps that say which literals were found (equal to
/// `generation`).
pub(crate) struct Known<'a> {
    pub patterns: &'a [KnownPattern],
    pub stamps: &'a [u32],
    pub generation: u32,
}

impl Known<'_> {
    /// The answer of pattern `ordinal`, when the findings settle it.
    #[inline]
    fn answer(&self, ordinal: usize) -> Option<bool> {
        let found = |stamp: &u32| self.stamps[*stamp as usize] == self.generation;
        match self.patterns.get(ordinal)? {
            KnownPattern::Unknown => None,
            KnownPattern::Needs(stamp) => (!found(stamp)).then_some(false),
            KnownPattern::Is(stamp) => Some(found(stamp)),
            KnownPattern::NeedsAny(stamps) => (!stamps.iter().any(found)).then_some(false),
            KnownPattern::IsAny(stamps) => Some(stamps.iter().any(found)),
        }
    }
}

/// Reusable buffers for one thread's evaluations, and the lower-cased copies
/// of the current event's values: a command line read by ten rules is
/// lower-cased once. [`EvalBuffers::start_event`] must be called before each
/// event's evaluations (the copies are keyed by the values' addresses, which
/// another event may reuse).
#[derive(Default, Debug)]
pub(crate) struct EvalBuffers {
    text: String,
    lower: String,
    other: String,
    lowered: Vec<LoweredCopy>,
    lowered_used: usize,
    /// Where the current event's fields are, when the matcher indexed it.
    pub(crate) fields: FieldIndex,
}

/// A lower-cased copy of one value of the current event.
#[derive(Default, Debug)]
struct LoweredCopy {
    /// Address and length of the value (the event is not changed while it is
    /// evaluated, so they name one value).
    at: (usize, usize),
    ready: bool,
    /// See [`Lowered::into_ascii`].
    into_ascii: Option<bool>,
    text: String,
}

impl LoweredCopy {
    /// Runs `test` with this copy as the value's [`Lowered`], keeping what
    /// it learns (the lower-cased text, and whether the value lower-cases
    /// into ASCII) for the value's next test in this event.
    fn with_lowered<R>(&mut self, test: impl FnOnce(&mut Lowered<'_>) -> R) -> R {
        let mut lowered = Lowered {
            buf: &mut self.text,
            ready: self.ready,
            into_ascii: self.into_ascii,
        };
        let result = test(&mut lowered);
        (self.ready, self.into_ascii) = (lowered.ready, lowered.into_ascii);
        result
    }
}

/// Most values of one event whose lower-cased copies are kept.
const LOWERED_PER_EVENT: usize = 32;

impl EvalBuffers {
    /// Forgets the copies of the previous event's values.
    pub fn start_event(&mut self) {
        self.lowered_used = 0;
        self.fields.forget();
    }

    /// The copy slot of `value` (an event's own text), and the other buffers.
    fn parts_for(&mut self, value: &str) -> (&mut LoweredCopy, &mut String) {
        let at = (value.as_ptr() as usize, value.len());
        let used = self.lowered_used;
        let index = match self.lowered[..used].iter().position(|c| c.at == at) {
            Some(index) => index,
            None => {
                let index = used.min(LOWERED_PER_EVENT);
                if index == self.lowered.len() {
                    self.lowered.push(LoweredCopy::default());
                }
                if used < LOWERED_PER_EVENT {
                    self.lowered_used += 1;
                }
                let copy = &mut self.lowered[index];
                copy.at = at;
                copy.ready = false;
                copy.into_ascii = None;
                index
            }
        };
        (&mut self.lowered[index], &mut self.other)
    }
}

/// Compiles a detection section into one node (several conditions are OR-ed).
pub(crate) fn compile_detection(
    detection: &Detection,
    placeholders: &BTreeMap<String, Vec<String>>,
) -> Result<Node, RuleError> {
    let mut selections: Vec<(&str, Node)> = Vec::with_capacity(detection.selections.len());
    for (name, selection) in &detection.selections {
        let node = compile_selection(selection, placeholders).map_err(|mut e| {
            e.message = format!("in `{name}`: {}", e.message);
            e
        })?;
        selections.push((name, node));
    }
    let mut roots = Vec::with_capacity(detection.conditions.len());
    for (text, line) in &detection.conditions {
        let cond = condition::parse(text).map_err(|mut e| {
            e.line = Some(*line);
            e
        })?;
        let node = lower_condition(&cond, &selections).map_err(|mut e| {
            e.line = Some(*line);
            e
        })?;
        roots.push(node);
    }
    Ok(if roots.len() == 1 {
        roots.remove(0)
    } else {
        Node::Or(roots.into_boxed_slice())
    })
}

fn lower_condition(cond: &Cond, selections: &[(&str, Node)]) -> Result<Node, RuleError> {
    Ok(match cond {
        Cond::And(parts) => Node::And(
            parts
                .iter()
                .map(|p| lower_condition(p, selections))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Or(parts) => Node::Or(
            parts
                .iter()
                .map(|p| lower_condition(p, selections))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Not(inner) => Node::Not(Box::new(lower_condition(inner, selections)?)),
        Cond::Ident(name) => selections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node.clone())
            .ok_or_else(|| RuleError::new(format!("condition names unknown selection `{name}`")))?,
        Cond::Of(quantifier, pattern) => {
            let chosen: Vec<Node> = selections
                .iter()
                .filter(|(name, _)| match pattern {
                    None => !name.starts_with('_'),
                    Some(p) => condition::name_matches(p, name),
                })
                .map(|(_, node)| node.clone())
                .collect();
            if chosen.is_empty() {
                let what = pattern.as_deref().unwrap_or("them");
                return Err(RuleError::new(format!("`of {what}` matches no selection")));
            }
            match quantifier {
                Quantifier::All => Node::And(chosen.into_boxed_slice()),
                Quantifier::AtLeast(1) => Node::Or(chosen.into_boxed_slice()),
                Quantifier::AtLeast(n) => at_least(*n, chosen),
            }
        }
    })
}

/// `N of` as an OR over the N-element combinations (bounded).
fn at_least(n: usize, nodes: Vec<Node>) -> Node {
    if n == 0 {
        return Node::Const(true);
    }
    if n > nodes.len() {
        return Node::Const(false);
    }
    let mut combos = Vec::new();
    let mut index: Vec<usize> = (0..n).collect();
    loop {
        combos.push(Node::And(index.iter().map(|&i| nodes[i].clone()).collect()));
        if combos.len() > 4096 {
            break;
        }
        let mut i = n;
        while i > 0 && index[i - 1] == nodes.len() - n + i - 1 {
            i -= 1;
        }
        if i == 0 {
            break;
        }
        index[i - 1] += 1;
        for j in i..n {
            index[j] = index[j - 1] + 1;
        }
    }
    Node::Or(combos.into_boxed_slice())
}

fn compile_selection(
    selection: &Selection,
    placeholders: &BTreeMap<String, Vec<String>>,
) -> Result<Node, RuleError> {
    let mut groups = Vec::with_capacity(selection.groups.len());
    for group in &selection.groups {
        let mut items = Vec::with_capacity(group.len());
        for spec in group {
            items.push(compile_spec(spec, placeholders).map_err(|mut e| {
                e.line.get_or_insert(spec.line);
                e
            })?);
        }
        groups.push(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items.into_boxed_slice())
        });
    }
    Ok(match groups.len() {
        0 => Node::Const(false),
        1 => groups.remove(0),
        _ => Node::Or(groups.into_boxed_slice()),
    })
}

fn compile_spec(
    spec: &FieldSpec,
    placeholders: &BTreeMap<String, Vec<String>>,
) -> Result<Node, RuleError> {
    let mut modifiers = pattern::Modifiers::parse(&spec.modifiers)?;
    if spec.field.is_none() && modifiers.position.is_none() && !modifiers.regex {
        // Keywords are a full-text search: a value may sit anywhere in a field.
        modifiers.position = Some("contains");
    }
    let patterns = compile_values(&spec.values, &modifiers, placeholders, &resolve_field)?;
    if patterns.is_empty() {
        return Ok(Node::Const(false));
    }
    let all = modifiers.all && patterns.len() > 1;
    let patterns = pattern::merge_any_of(patterns, all);
    match &spec.field {
        None => Ok(Node::Keyword(KeywordItem {
            patterns: patterns.into_boxed_slice(),
            all,
        })),
        Some(name) => Ok(Node::Field(FieldItem {
            name: name.as_str().into(),
            fields: spec
                .fallbacks
                .iter()
                .fold(resolve_field(name).into_vec(), |mut refs, extra| {
                    refs.extend(resolve_field(extra).iter().copied());
                    refs
                })
                .into_boxed_slice(),
            numbers_only: patterns
                .iter()
                .all(|p| matches!(p, Pattern::Str(p) if p.number.is_some())),
            patterns: patterns.into_boxed_slice(),
            all,
            negate: modifiers.neq,
            first_pattern: 0,
        })),
    }
}

impl Node {
    /// Evaluates the condition for one event.
    pub fn eval(&self, event: &Event, buf: &mut EvalBuffers) -> bool {
        self.eval_known(event, buf, None)
    }

    /// Evaluates the condition for one event, taking from `known` what the
    /// prefilter's scan of this event already answers.
    pub fn eval_known(&self, event: &Event, buf: &mut EvalBuffers, known: Option<&Known>) -> bool {
        match self {
            Node::And(parts) => parts.iter().all(|p| p.eval_known(event, buf, known)),
            Node::Or(parts) => parts.iter().any(|p| p.eval_known(event, buf, known)),
            Node::Not(inner) => !inner.eval_known(event, buf, known),
            Node::Field(item) => item.eval(event, buf, known),
            Node::Keyword(item) => item.eval(event, buf),
            Node::Const(b) => *b,
        }
    }

    /// Numbers the patterns of the node's field items in order from `next`
    /// (each item's [`FieldItem::first_pattern`]); returns the count after.
    pub fn number_patterns(&mut self, next: u32) -> u32 {
        match self {
            Node::And(parts) | Node::Or(parts) => parts
                .iter_mut()
                .fold(next, |next, part| part.number_patterns(next)),
            Node::Not(inner) => inner.number_patterns(next),
            Node::Field(item) => {
                item.first_pattern = next;
                next + item.patterns.len() as u32
            }
            Node::Keyword(_) | Node::Const(_) => next,
        }
    }

    /// Calls `visit` with every field item of the node.
    pub fn for_each_field_item(&self, visit: &mut impl FnMut(&FieldItem)) {
        match self {
            Node::And(parts) | Node::Or(parts) => {
                parts.iter().for_each(|p| p.for_each_field_item(visit))
            }
            Node::Not(inner) => inner.for_each_field_item(visit),
            Node::Field(item) => visit(item),
            Node::Keyword(_) | Node::Const(_) => {}
        }
    }

    /// The node without the event-id tests its routing already answers: a
    /// rule routed only events whose id is in `codes` (see
    /// [`Node::required_codes`]) need not test `EventID: 4625` again at the
    /// top of its condition. Such a test reads the event's id first (the
    /// canonical `EventCode`, present whenever the event has an id, which a
    /// routed event does), so it holds for every event routed to the rule.
    pub fn without_routed_codes(self, codes: &[u32]) -> Node {
        match self {
            Node::And(parts) => {
                let mut kept: Vec<Node> = parts
                    .into_vec()
                    .into_iter()
                    .filter(|part| !part.is_routed_code_test(codes))
                    .collect();
                match kept.len() {
                    0 => Node::Const(true),
                    1 => kept.pop().unwrap_or(Node::Const(true)),
                    _ => Node::And(kept.into_boxed_slice()),
                }
            }
            node if node.is_routed_code_test(codes) => Node::Const(true),
            node => node,
        }
    }

    /// Whether the node is an event-id test that every id of `codes` passes.
    fn is_routed_code_test(&self, codes: &[u32]) -> bool {
        let Node::Field(item) = self else {
            return false;
        };
        let numbers = || {
            item.patterns.iter().filter_map(|p| match p {
                Pattern::Str(StrPattern {
                    number: Some(n), ..
                }) => Some(*n),
                _ => None,
            })
        };
        !item.negate
            && !item.all
            && item.fields.first() == Some(&FieldRef::Canonical(model::Field::EventCode))
            && !codes.is_empty()
            && codes
                .iter()
                .all(|&code| numbers().any(|n| n == i64::from(code)))
    }

    /// Event ids the node requires (for dispatch), when it pins them.
    pub fn required_codes(&self) -> Option<Vec<u32>> {
        match self {
            Node::Field(item) if is_event_id(item) && !item.negate && !item.all => {
                let mut codes = Vec::new();
                for p in item.patterns.iter() {
                    match p {
                        Pattern::Str(StrPattern {
                            number: Some(n), ..
                        }) => codes.push(u32::try_from(*n).ok()?),
                        _ => return None,
                    }
                }
                Some(codes)
            }
            Node::And(parts) => parts.iter().find_map(Node::required_codes),
            Node::Or(parts) => {
                let mut all = Vec::new();
                for p in parts.iter() {
                    all.extend(p.required_codes()?);
                }
                Some(all)
            }
            _ => None,
        }
    }

    /// Literal groups every matching event satisfies: from each group, at least one
    /// literal occurs in the event, in the field it is tied to (ASCII,
    /// lower-cased; keyword literals may be in any value). `None` when the node
    /// can match without any literal. At most [`MAX_GROUPS`] groups, the most
    /// selective.
    pub fn required_groups(&self) -> Option<Vec<Vec<Literal>>> {
        let groups = match self {
            Node::And(parts) => {
                let groups: Vec<Vec<Literal>> = parts
                    .iter()
                    .filter_map(Node::required_groups)
                    .flatten()
                    .collect();
                (!groups.is_empty()).then_some(groups)?
            }
            Node::Or(parts) => {
                let branches = parts
                    .iter()
                    .map(Node::required_groups)
                    .collect::<Option<Vec<_>>>()?;
                or_groups(branches)?
            }
            Node::Field(item) if !item.negate => {
                literal_groups(&item.patterns, item.all, Some(&*item.fields))?
            }
            Node::Keyword(item) => literal_groups(&item.patterns, item.all, None)?,
            _ => return None,
        };
        let mut groups = groups;
        if groups.len() > MAX_GROUPS {
            groups.sort_by_key(|g| std::cmp::Reverse(selectivity(g)));
            groups.truncate(MAX_GROUPS);
        }
        Some(groups)
    }

    /// Whether the node holds a keyword item (a search of every value of the
    /// event, which no fixed set of fields bounds).
    pub fn has_keywords(&self) -> bool {
        match self {
            Node::And(parts) | Node::Or(parts) => parts.iter().any(Node::has_keywords),
            Node::Not(inner) => inner.has_keywords(),
            Node::Keyword(_) => true,
            Node::Field(_) | Node::Const(_) => false,
        }
    }

    /// Every field the node can read: each item's candidates and the fields
    /// `fieldref` values compare with. The node's answer depends on the event
    /// through these alone (when it has no keyword item).
    pub fn read_fields(&self, out: &mut Vec<FieldRef>) {
        self.for_each_field_item(&mut |item| {
            out.extend(item.fields.iter().copied());
            for pattern in item.patterns.iter() {
                if let Pattern::FieldRef { fields, .. } = pattern {
                    out.extend(fields.iter().copied());
                }
            }
        });
    }

    /// What the node's answer depends on (when it has no keyword item): per
    /// field item, the fields it reads (the first present of which it
    /// reads), and the fields its `fieldref` values compare with; each list
    /// once.
    pub fn read_lists(&self) -> Box<[Box<[FieldRef]>]> {
        let mut lists: Vec<Box<[FieldRef]>> = Vec::new();
        let mut add = |list: &[FieldRef]| {
            if !lists.iter().any(|l| **l == *list) {
                lists.push(list.into());
            }
        };
        self.for_each_field_item(&mut |item| {
            add(&item.fields);
            for pattern in item.patterns.iter() {
                if let Pattern::FieldRef { fields, .. } = pattern {
                    add(fields);
                }
            }
        });
        lists.into_boxed_slice()
    }

    /// The field items in the node, for evidence.
    pub fn collect_fields<'a>(&'a self, out: &mut Vec<&'a FieldItem>) {
        match self {
            Node::And(parts) | Node::Or(parts) => {
                parts.iter().for_each(|p| p.collect_fields(out));
            }
            Node::Not(_) | Node::Keyword(_) | Node::Const(_) => {}
            Node::Field(item) => {
                if !out.iter().any(|f| f.name == item.name) {
                    out.push(item);
                }
            }
        }
    }
}

fn is_event_id(item: &FieldItem) -> bool {
    &*item.name == "EventID"
}

/// The groups of an OR of branches, each given as its own groups (all of a
/// branch's groups hold when it matches): the OR distributed over them, so
/// `(a and b) or c` needs `a or c` and `b or c`. Each branch contributes its most
/// selective groups, as many as keep the product of their counts (the number of
/// groups made) within [`MAX_GROUPS`]: `1 of selection_*` keeps the needle a
/// rare branch needs instead of the common one of another (`\windows\` in
/// every image path).
fn or_groups(mut branches: Vec<Vec<Vec<Literal>>>) -> Option<Vec<Vec<Literal>>> {
    for groups in &mut branches {
        if groups.is_empty() {
            return None;
        }
        groups.sort_by_key(|g| std::cmp::Reverse(selectivity(g)));
    }
    // How many groups of each branch take part: one each, then more while the
    // product stays within the limit, most selective first.
    let mut taken = vec![1usize; branches.len()];
    loop {
        let product: usize = taken.iter().product();
        let next = (0..branches.len())
            .filter(|&b| {
                taken[b] < branches[b].len() && product / taken[b] * (taken[b] + 1) <= MAX_GROUPS
            })
            .max_by_key(|&b| selectivity(&branches[b][taken[b]]));
        match next {
            Some(b) => taken[b] += 1,
            None => break,
        }
    }
    // One union of literals per choice of a group from every branch.
    let mut combos: Vec<Vec<Literal>> = vec![Vec::new()];
    for (groups, &count) in branches.iter().zip(&taken) {
        let mut next = Vec::with_capacity(combos.len() * count);
        for combo in &combos {
            for group in &groups[..count] {
                let mut union = combo.clone();
                for literal in group {
                    if !union.contains(literal) {
                        union.push(literal.clone());
                    }
                }
                next.push(union);
            }
        }
        combos = next;
    }
    Some(combos)
}

/// Most literal groups kept per rule (the matcher tracks them in a byte mask).
pub(crate) const MAX_GROUPS: usize = 8;

/// A prefilter needle and where it must occur: in the value of a field slot
/// (as rules read it), or anywhere (`None`, keywords).
pub(crate) type Literal = (Option<Box<[FieldRef]>>, Needle);

/// How selective a literal group is: longer shortest literal and fewer
/// alternatives are better.
pub(crate) fn selectivity(group: &[Literal]) -> usize {
    let shortest = group
        .iter()
        .map(|l| l.1.weight())
        .min()
        .unwrap_or(0)
        .min(16);
    shortest * 64 / (group.len() + 3)
}

fn literal_groups(
    patterns: &[Pattern],
    all: bool,
    slot: Option<&[FieldRef]>,
) -> Option<Vec<Vec<Literal>>> {
    let tie = |needle: Needle| (slot.map(Box::from), needle);
    // A regex every match must satisfy (the item's only pattern, or one of
    // `all`) gives each literal group it requires, not only one literal.
    let regex_groups = |re: &regex::Regex| {
        pattern::regex_literal_groups(re.as_str())
            .into_iter()
            .map(|group| group.into_iter().map(|t| tie(Needle::Text(t))).collect())
    };
    if all {
        let mut groups: Vec<Vec<Literal>> = Vec::new();
        for p in patterns {
            match p {
                Pattern::Regex(re) => groups.extend(regex_groups(re)),
                other => groups.extend(pattern::required_literal(other).map(|l| vec![tie(l)])),
            }
        }
        return (!groups.is_empty()).then_some(groups);
    }
    if let [Pattern::Regex(re)] = patterns {
        let groups: Vec<Vec<Literal>> = regex_groups(re).collect();
        return (!groups.is_empty()).then_some(groups);
    }
    let mut texts = Vec::new();
    for p in patterns {
        match p {
            Pattern::Regex(re) => texts.extend(
                pattern::regex_literals(re.as_str())?
                    .into_iter()
                    .map(Needle::Text),
            ),
            Pattern::AnyContains(set) => {
                for text in set.texts.iter() {
                    texts.push(pattern::contains_literal(text)?);
                }
            }
            other => texts.push(pattern::required_literal(other)?),
        }
    }
    texts.sort();
    texts.dedup();
    Some(vec![texts.into_iter().map(tie).collect()])
}

impl FieldItem {
    fn eval(&self, event: &Event, buf: &mut EvalBuffers, known: Option<&Known>) -> bool {
        let value = self.fields.iter().find_map(|f| buf.fields.get(event, *f));
        // What the prefilter knows is of the field's one text value; list
        // elements are tested one by one.
        let result = match value {
            Some(ValueRef::List(items)) => items
                .iter()
                .any(|v| self.test_value(Some(v.as_ref()), event, buf, None)),
            Some(ValueRef::StrList(items)) => items
                .iter()
                .any(|s| self.test_value(Some(ValueRef::Str(s)), event, buf, None)),
            other => self.test_value(other, event, buf, known),
        };
        result != self.negate
    }

    fn test_value(
        &self,
        value: Option<ValueRef<'_>>,
        event: &Event,
        buf: &mut EvalBuffers,
        known: Option<&Known>,
    ) -> bool {
        let Some(value) = value else {
            let absent = |p: &Pattern| matches!(p, Pattern::Null | Pattern::Exists(false));
            return if self.all {
                self.patterns.iter().all(absent)
            } else {
                self.patterns.iter().any(absent)
            };
        };
        if let ValueRef::Str(s) = value {
            // The event's own text: lower-cased at most once per event.
            let (copy, other) = buf.parts_for(s);
            return copy.with_lowered(|lowered| {
                self.test_patterns(value, Some(s), lowered, event, other, known)
            });
        }
        let EvalBuffers {
            text, lower, other, ..
        } = buf;
        // An integer tested only against numbers (`LogonType: 3`) needs no
        // text: each such pattern compares the integer itself.
        if self.numbers_only && matches!(value, ValueRef::Int(_) | ValueRef::UInt(_)) {
            return self.test_patterns(value, None, &mut Lowered::new(lower), event, other, None);
        }
        let raw = value.write_text(text).then_some(text.as_str());
        // Lower-cased at most once per value, whatever the number of patterns.
        let mut lowered = Lowered::new(lower);
        self.test_patterns(value, raw, &mut lowered, event, other, None)
    }

    fn test_patterns(
        &self,
        value: ValueRef<'_>,
        raw: Option<&str>,
        lowered: &mut Lowered<'_>,
        event: &Event,
        other: &mut String,
        known: Option<&Known>,
    ) -> bool {
        let first = self.first_pattern as usize;
        let mut test = |(i, p): (usize, &Pattern)| {
            if let Some(answer) = known.and_then(|k| k.answer(first + i)) {
                return answer;
            }
            test_pattern(p, value, raw, lowered, event, other)
        };
        if self.all {
            self.patterns.iter().enumerate().all(&mut test)
        } else {
            self.patterns.iter().enumerate().any(&mut test)
        }
    }
}

fn test_pattern(
    pattern: &Pattern,
    value: ValueRef<'_>,
    raw: Option<&str>,
    lowered: &mut Lowered<'_>,
    event: &Event,
    other_text: &mut String,
) -> bool {
    match pattern {
        Pattern::Null => value.is_null(),
        Pattern::Exists(want) => *want != value.is_null(),
        Pattern::Never => false,
        Pattern::Str(p) => {
            match (p.number, value) {
                (Some(n), ValueRef::Int(i)) => return n == i,
                (Some(n), ValueRef::UInt(u)) => return i64::try_from(u).is_ok_and(|u| u == n),
                _ => {}
            }
            raw.is_some_and(|raw| p.matches(raw, lowered))
        }
        Pattern::Regex(re) => raw.is_some_and(|raw| re.is_match(raw)),
        Pattern::AnyContains(set) => raw.is_some_and(|raw| set.matches(raw, lowered)),
        Pattern::LongRun { chars, newlines } => {
            raw.is_some_and(|raw| Pattern::long_run(raw, *chars, *newlines))
        }
        Pattern::FieldRef {
            fields,
            kind,
            cased,
        } => {
            let (Some(raw), Some(other)) = (raw, fields.iter().find_map(|f| event.get(*f))) else {
                return false;
            };
            if !other.write_text(other_text) {
                return false;
            }
            let text = if *cased {
                raw
            } else {
                // Both sides lowered alike (an ASCII-only lowering here made
                // `MÜLLER` differ from itself).
                crate::case_fold::fold_in_place(other_text);
                lowered.get(raw)
            };
            let other = other_text.as_str();
            match kind {
                pattern::FieldRefKind::Exact => text == other,
                pattern::FieldRefKind::Prefix => text.starts_with(other),
                pattern::FieldRefKind::Suffix => text.ends_with(other),
                pattern::FieldRefKind::Contains => text.contains(other),
            }
        }
        typed => match_typed(typed, value),
    }
}

impl KeywordItem {
    fn eval(&self, event: &Event, buf: &mut EvalBuffers) -> bool {
        if self.all {
            self.patterns
                .iter()
                .all(|p| any_text(event, buf, std::slice::from_ref(p)))
        } else {
            any_text(event, buf, &self.patterns)
        }
    }
}

/// Whether any pattern matches any string value of the event (native record and
/// message), lower-casing each value at most once.
fn any_text(event: &Event, buf: &mut EvalBuffers, patterns: &[Pattern]) -> bool {
    let mut test = |s: &str| {
        let (copy, _) = buf.parts_for(s);
        copy.with_lowered(|lowered| {
            patterns.iter().any(|p| match p {
                Pattern::Str(p) => p.matches(s, lowered),
                Pattern::Regex(re) => re.is_match(s),
                Pattern::AnyContains(set) => set.matches(s, lowered),
                Pattern::LongRun { chars, newlines } => Pattern::long_run(s, *chars, *newlines),
                _ => false,
            })
        })
    };
    for (_, value) in event.native.iter() {
        let hit = match value {
            ValueRef::Str(s) => test(s),
            ValueRef::List(items) => items
                .iter()
                .any(|item| matches!(item, Value::Str(s) if test(s))),
            _ => false,
        };
        if hit {
            return true;
        }
    }
    event.message.as_deref().is_some_and(test)
}

/// Builds a field item for tests and pipelines' `add_condition`.
pub(crate) fn field_spec(field: &str, value: Scalar) -> FieldSpec {
    FieldSpec {
        field: Some(field.to_owned()),
        fallbacks: Vec::new(),
        modifiers: Vec::new(),
        values: vec![value],
        line: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str) -> Literal {
        (None, Needle::Text(text.into()))
    }

    #[test]
    fn an_or_is_distributed_over_its_branches_groups() {
        // (img_windows and (cli_a or cli_b)) or cli_c
        let branches = vec![
            vec![
                vec![lit("\\windows\\")],
                vec![lit("\\..\\a"), lit("\\..\\b")],
            ],
            vec![vec![lit(".exe\\..\\")]],
        ];
        let groups = or_groups(branches).unwrap();
        assert_eq!(groups.len(), 2);
        assert!(groups.contains(&vec![lit("\\windows\\"), lit(".exe\\..\\")]));
        assert!(groups.contains(&vec![lit("\\..\\a"), lit("\\..\\b"), lit(".exe\\..\\")]));
        // A branch with no needle leaves the OR without one.
        assert_eq!(or_groups(vec![vec![vec![lit("abc")]], vec![]]), None);
        // Products past the limit keep the most selective groups only.
        let wide: Vec<Vec<Vec<Literal>>> = (0..4)
            .map(|b| {
                (0..4)
                    .map(|g| vec![lit(&format!("{b}{g}{}", "x".repeat(g)))])
                    .collect()
            })
            .collect();
        let groups = or_groups(wide).unwrap();
        assert!(groups.len() <= MAX_GROUPS, "{}", groups.len());
        assert!(groups.iter().all(|g| g.len() == 4));
    }
}
