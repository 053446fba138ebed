//! Values with their modifiers compiled into [`Pattern`]s, and the per-value test.
//!
//! Strings match case-insensitively unless `cased` is given; plain values are
//! wildcard patterns (`*` any run, `?` one character, `\` escapes them), which are
//! reduced to exact / prefix / suffix / substring tests whenever the shape allows.

use crate::rule::{CmpOp, RuleError, Scalar};
use base64::Engine;
use chrono::{Datelike, Timelike};
use memchr::memmem;
use model::{FieldRef, Timestamp, ValueRef};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Largest compiled regex accepted (bytes of the compiled program).
pub const REGEX_SIZE_LIMIT: usize = 8 << 20;
/// Most variants one value may expand to (windash, expand, base64offset).
const MAX_VARIANTS: usize = 1024;
/// Most values one field item may hold after expansion (SigmaHQ's largest list,
/// vulnerable-driver hashes, has a few thousand).
const MAX_FIELD_VALUES: usize = 100_000;

/// Where a literal must sit in the value.
#[derive(Clone, Debug)]
pub(crate) enum StrOp {
    Exact,
    Prefix,
    Suffix,
    Contains(Box<memmem::Finder<'static>>),
    /// Boxed: a wildcard's parts would triple the size of every string test
    /// (and a hunt's peak memory moved by 23 MB with them inline).
    Glob(Box<Glob>),
}

/// A wildcard pattern: its tokens, and, when it has a `*`, its literal
/// parts between `*`s (a `?` is one byte of ASCII text), matched by
/// substring search instead of the backtracking walk (about 2,900
/// instructions a test on SigmaHQ's wildcard values over the EVTX corpus,
/// most of them paths with two or three `*`).
#[derive(Clone, Debug)]
pub(crate) struct Glob {
    pub tokens: Vec<GlobTok>,
    stars: Option<StarGlob>,
}

impl Glob {
    /// The pattern of `tokens` (already case-folded when not `cased`).
    pub fn new(tokens: Vec<GlobTok>) -> Glob {
        let stars = StarGlob::new(&tokens);
        Glob { tokens, stars }
    }

    /// Whether the wildcard pattern matches all of `text`.
    pub fn matches(&self, text: &str) -> bool {
        self.stars
            .as_ref()
            .and_then(|stars| stars.matches(text.as_bytes()))
            .unwrap_or_else(|| glob_match(&self.tokens, text))
    }
}

/// A wildcard pattern with a `*`: the part before the first `*` must start
/// the text, the part after the last end it, and the parts between occur in
/// order, each leftmost after the one before (which is exact: every part has
/// a fixed length, and an earlier occurrence never leaves less room). Parts
/// are compared as UTF-8 bytes: an occurrence of a character sequence's bytes
/// in valid UTF-8 starts on a character boundary, so this is the character
/// walk. A `?` in a part stands for one byte, which is one character only in
/// ASCII text; other texts with such a pattern take the walk.
///
/// SigmaHQ writes `?` inside `contains` values (`>?%TEMP%\`, one quote or
/// the other): those took the backtracking walk, about 3 microseconds a
/// command line for the costliest process-creation rule of the EVTX corpus.
#[derive(Clone, Debug)]
struct StarGlob {
    head: Part,
    middles: Box<[MiddlePart]>,
    tail: Part,
    /// Whether some part holds a `?`.
    has_one: bool,
}

/// A part of a [`StarGlob`] between `*`s: its bytes, and which of them are
/// a `?` (any byte; empty when the part has none).
#[derive(Clone, Debug, Default)]
struct Part {
    bytes: Box<[u8]>,
    any: Box<[bool]>,
}

impl Part {
    /// Whether `hay` starts with the part.
    fn starts(&self, hay: &[u8]) -> bool {
        if self.any.is_empty() {
            return hay.starts_with(&self.bytes);
        }
        hay.len() >= self.bytes.len()
            && self
                .bytes
                .iter()
                .zip(self.any.iter())
                .zip(hay)
                .all(|((byte, any), h)| *any || byte == h)
    }
}

/// A middle part with the longest run of it without a `?` (all of it when it
/// has none), searched for with `memmem` to find where the part can start.
#[derive(Clone, Debug)]
struct MiddlePart {
    part: Part,
    /// `None` when the part is all `?`.
    anchor: Option<memmem::Finder<'static>>,
    /// Where the anchor starts in the part.
    anchor_at: usize,
}

impl MiddlePart {
    fn new(part: Part) -> MiddlePart {
        let mut best = (0, 0);
        let mut run_start = 0;
        for at in 0..=part.bytes.len() {
            let ends = at == part.bytes.len() || part.any.get(at).copied().unwrap_or(false);
            if ends {
                if at - run_start > best.1 - best.0 {
                    best = (run_start, at);
                }
                run_start = at + 1;
            }
        }
        let anchor = (best.1 > best.0)
            .then(|| memmem::Finder::new(&part.bytes[best.0..best.1]).into_owned());
        MiddlePart {
            part,
            anchor,
            anchor_at: best.0,
        }
    }

    /// Where the leftmost occurrence of the part in `hay` ends.
    fn leftmost_end(&self, hay: &[u8]) -> Option<usize> {
        let len = self.part.bytes.len();
        let Some(anchor) = &self.anchor else {
            return (hay.len() >= len).then_some(len);
        };
        // Anchors found left to right give part starts left to right.
        let mut from = self.anchor_at;
        loop {
            let found = from + anchor.find(hay.get(from..)?)?;
            let start = found - self.anchor_at;
            if start + len > hay.len() {
                return None;
            }
            if self.part.starts(&hay[start..]) {
                return Some(start + len);
            }
            from = found + 1;
        }
    }
}

impl StarGlob {
    /// The parts of `tokens`, if it has a `*`.
    fn new(tokens: &[GlobTok]) -> Option<StarGlob> {
        if !tokens.contains(&GlobTok::Many) {
            return None;
        }
        let mut parts: Vec<(Vec<u8>, Vec<bool>)> = vec![Default::default()];
        let mut buf = [0u8; 4];
        for token in tokens {
            let (bytes, any) = parts.last_mut().expect("never empty");
            match token {
                GlobTok::Char(c) => {
                    let encoded = c.encode_utf8(&mut buf).as_bytes();
                    bytes.extend_from_slice(encoded);
                    any.extend(std::iter::repeat_n(false, encoded.len()));
                }
                GlobTok::One => {
                    bytes.push(b'?');
                    any.push(true);
                }
                GlobTok::Many => parts.push(Default::default()),
            }
        }
        let has_one = tokens.contains(&GlobTok::One);
        let part = |(bytes, any): (Vec<u8>, Vec<bool>)| Part {
            bytes: bytes.into(),
            any: if any.contains(&true) {
                any.into()
            } else {
                Box::default()
            },
        };
        // At least two parts (one `*`): before the first and after the last.
        let tail = part(parts.pop().expect("two parts"));
        let head = part(parts.remove(0));
        let middles = parts
            .into_iter()
            .filter(|(bytes, _)| !bytes.is_empty())
            .map(|p| MiddlePart::new(part(p)))
            .collect();
        Some(StarGlob {
            head,
            middles,
            tail,
            has_one,
        })
    }

    /// Whether the pattern matches `hay`; `None` when it cannot tell (a `?`
    /// over non-ASCII text).
    fn matches(&self, hay: &[u8]) -> Option<bool> {
        if self.has_one && !hay.is_ascii() {
            return None;
        }
        let fixed = self.head.bytes.len() + self.tail.bytes.len();
        if hay.len() < fixed
            || !self.head.starts(hay)
            || !self.tail.starts(&hay[hay.len() - self.tail.bytes.len()..])
        {
            return Some(false);
        }
        let mut rest = &hay[self.head.bytes.len()..hay.len() - self.tail.bytes.len()];
        for middle in self.middles.iter() {
            match middle.leftmost_end(rest) {
                Some(end) => rest = &rest[end..],
                None => return Some(false),
            }
        }
        Some(true)
    }
}

/// One token of a wildcard pattern.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum GlobTok {
    Char(char),
    One,
    Many,
}

/// A string test; `text` is lower-cased unless `cased`.
#[derive(Clone, Debug)]
pub(crate) struct StrPattern {
    pub op: StrOp,
    pub text: Box<str>,
    pub cased: bool,
    /// The value as an integer, so numeric fields compare without formatting.
    pub number: Option<i64>,
    pub ascii: bool,
}

/// A calendar part for the time modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// One compiled value of a detection item.
#[derive(Clone, Debug)]
pub(crate) enum Pattern {
    Str(StrPattern),
    Regex(regex::Regex),
    Cmp(CmpOp, f64),
    /// In any of these networks (an item's `cidr` values, merged unless `all`:
    /// the address is parsed once, not once per network).
    Cidr(Box<[ipnet::IpNet]>),
    TimePart(TimePart, i64),
    /// Compares with another field of the same event.
    FieldRef {
        fields: Box<[FieldRef]>,
        kind: FieldRefKind,
        cased: bool,
    },
    /// `null`: the field is absent or null.
    Null,
    /// `exists: true|false`.
    Exists(bool),
    /// An `expand` placeholder with no configured values: matches nothing.
    Never,
    /// Several `contains` values of one item, searched in one pass.
    AnyContains(ContainsSet),
    /// A regex that only asks for a long run of characters (`.{1000,}`): a
    /// count, where the regex engine would step through a 1,000-state loop.
    LongRun {
        /// Fewest characters in the run.
        chars: usize,
        /// Whether newlines count (`s` flag); otherwise the run is one line.
        newlines: bool,
    },
}

impl Pattern {
    /// Whether `text` holds a run of `chars` characters (see [`Pattern::LongRun`]).
    pub fn long_run(text: &str, chars: usize, newlines: bool) -> bool {
        if text.len() < chars {
            return false;
        }
        if newlines {
            text.chars().count() >= chars
        } else {
            text.split('\n')
                .any(|line| line.len() >= chars && line.chars().count() >= chars)
        }
    }
}

/// `.{N,}`, `.{N,M}` (M >= N) or `.{N}`: unanchored, each matches exactly when
/// the text has a run of N characters (of one line, without the `s` flag).
fn long_run_regex(source: &str) -> Option<usize> {
    let body = source.strip_prefix(".{")?.strip_suffix('}')?;
    let (min, max) = match body.split_once(',') {
        Some((min, max)) => (min, Some(max)),
        None => (body, None),
    };
    let min: usize = min.parse().ok()?;
    match max {
        Some("") | None => Some(min),
        Some(max) => (max.parse::<usize>().ok()? >= min).then_some(min),
    }
}

/// The `contains` values of one detection item (any of them), searched with one
/// automaton instead of one substring search per value: a rule with 300 emoji
/// or 50 tool names costs one pass over the value, not 300.
///
/// The automaton is built when the item is first evaluated: most items of a
/// large rule set never are (their rule is routed no event, or its prefilter
/// never lets it through), and building them all at load was a sixth of the
/// instructions of loading SigmaHQ.
#[derive(Clone, Debug)]
pub(crate) struct ContainsSet {
    /// `None` inside once built means too large for one automaton: the values
    /// are then searched one by one.
    automaton: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
    /// The values, lower-cased unless `cased` (for the prefilter's literals).
    pub texts: Box<[Box<str>]>,
    pub cased: bool,
}

/// Fewest `contains` values of one item worth one automaton.
const CONTAINS_SET_MIN: usize = 4;

impl ContainsSet {
    /// Whether any value occurs in `raw` (compared lower-cased unless `cased`).
    pub fn matches(&self, raw: &str, lowered: &mut Lowered<'_>) -> bool {
        let hay = if self.cased { raw } else { lowered.get(raw) };
        match self.automaton() {
            Some(automaton) => automaton.is_match(hay.as_bytes()),
            None => self.texts.iter().any(|text| hay.contains(&**text)),
        }
    }

    fn automaton(&self) -> Option<&aho_corasick::AhoCorasick> {
        self.automaton
            .get_or_init(|| {
                // Only whether some value occurs is asked: leftmost-first answers
                // that as Standard does, and keeps its SIMD prefilter (Standard
                // searches walk every byte: 1.5 ns a byte against 0.1, measured).
                // Built on first use, then read for the rest of the run.
                allocator::long_lived(|| {
                    aho_corasick::AhoCorasick::builder()
                        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                        .build(self.texts.iter().map(|t| t.as_bytes()))
                        .ok()
                })
            })
            .as_ref()
    }
}

/// Merges the values of an item matched by any value (not `all`) that are
/// tested faster together: its `contains` values ([`merge_contains`]) and its
/// `cidr` networks ([`merge_cidrs`]).
pub(crate) fn merge_any_of(patterns: Vec<Pattern>, all: bool) -> Vec<Pattern> {
    if all {
        return patterns;
    }
    merge_contains(merge_cidrs(patterns), false)
}

/// Merges the `contains` values of an item matched by any value (not `all`)
/// into [`ContainsSet`]s, one per case mode, when there are enough of them.
pub(crate) fn merge_contains(patterns: Vec<Pattern>, all: bool) -> Vec<Pattern> {
    if all {
        return patterns;
    }
    let is_contains = |p: &Pattern, cased: bool| matches!(p, Pattern::Str(StrPattern { op: StrOp::Contains(_), cased: c, .. }) if *c == cased);
    let mut patterns = patterns;
    for cased in [false, true] {
        if patterns.iter().filter(|p| is_contains(p, cased)).count() < CONTAINS_SET_MIN {
            continue;
        }
        let (merged, rest): (Vec<Pattern>, Vec<Pattern>) =
            patterns.into_iter().partition(|p| is_contains(p, cased));
        let texts: Box<[Box<str>]> = merged
            .iter()
            .filter_map(|p| match p {
                Pattern::Str(p) => Some(p.text.clone()),
                _ => None,
            })
            .collect();
        patterns = rest;
        patterns.push(Pattern::AnyContains(ContainsSet {
            automaton: std::sync::OnceLock::new(),
            texts,
            cased,
        }));
    }
    patterns
}

/// One [`Pattern::Cidr`] for all of an item's networks, where the first of
/// them stood (an address is then parsed once per value, not once per
/// network: "Failed Logon From Public IP" has 19).
fn merge_cidrs(patterns: Vec<Pattern>) -> Vec<Pattern> {
    if patterns
        .iter()
        .filter(|p| matches!(p, Pattern::Cidr(_)))
        .count()
        < 2
    {
        return patterns;
    }
    let mut nets = Vec::new();
    let mut out = Vec::with_capacity(patterns.len());
    let mut at = None;
    for pattern in patterns {
        match pattern {
            Pattern::Cidr(some) => {
                at.get_or_insert(out.len());
                nets.extend(some.iter().copied());
            }
            other => out.push(other),
        }
    }
    if let Some(at) = at {
        out.insert(at, Pattern::Cidr(nets.into_boxed_slice()));
    }
    out
}

/// Position of a `fieldref` comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldRefKind {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

/// The modifiers of one field spec, parsed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Modifiers {
    pub position: Option<&'static str>,
    pub all: bool,
    pub cased: bool,
    pub regex: bool,
    pub regex_flags: String,
    pub base64: bool,
    pub base64offset: bool,
    pub utf16: Option<&'static str>,
    pub windash: bool,
    pub cmp: Option<CmpOp>,
    pub cidr: bool,
    pub expand: bool,
    pub fieldref: bool,
    pub exists: bool,
    pub neq: bool,
    pub time: Option<TimePart>,
}

impl Modifiers {
    pub fn parse(names: &[String]) -> Result<Modifiers, RuleError> {
        let mut m = Modifiers::default();
        for name in names {
            match name.as_str() {
                "contains" => m.position = Some("contains"),
                "startswith" => m.position = Some("startswith"),
                "endswith" => m.position = Some("endswith"),
                "all" => m.all = true,
                "cased" => m.cased = true,
                "re" => m.regex = true,
                "i" | "ignorecase" => m.regex_flags.push('i'),
                "m" | "multiline" => m.regex_flags.push('m'),
                "s" | "dotall" => m.regex_flags.push('s'),
                "base64" => m.base64 = true,
                "base64offset" => m.base64offset = true,
                "utf16le" | "wide" => m.utf16 = Some("le"),
                "utf16be" => m.utf16 = Some("be"),
                "utf16" => m.utf16 = Some("bom"),
                "windash" => m.windash = true,
                "lt" => m.cmp = Some(CmpOp::Lt),
                "lte" => m.cmp = Some(CmpOp::Lte),
                "gt" => m.cmp = Some(CmpOp::Gt),
                "gte" => m.cmp = Some(CmpOp::Gte),
                "cidr" => m.cidr = true,
                "expand" => m.expand = true,
                "fieldref" => m.fieldref = true,
                "exists" => m.exists = true,
                "neq" => m.neq = true,
                "minute" => m.time = Some(TimePart::Minute),
                "hour" => m.time = Some(TimePart::Hour),
                "day" => m.time = Some(TimePart::Day),
                "week" => m.time = Some(TimePart::Week),
                "month" => m.time = Some(TimePart::Month),
                "year" => m.time = Some(TimePart::Year),
                other => return Err(RuleError::new(format!("unknown modifier `{other}`"))),
            }
        }
        if !m.regex && !m.regex_flags.is_empty() {
            return Err(RuleError::new("regex flags i/m/s need the `re` modifier"));
        }
        if (m.base64 || m.base64offset) && m.regex {
            return Err(RuleError::new(
                "`re` cannot be combined with base64 modifiers",
            ));
        }
        Ok(m)
    }
}

/// Compiles the values of one field spec under its modifiers.
pub(crate) fn compile_values(
    values: &[Scalar],
    m: &Modifiers,
    placeholders: &BTreeMap<String, Vec<String>>,
    resolve: &dyn Fn(&str) -> Box<[FieldRef]>,
) -> Result<Vec<Pattern>, RuleError> {
    let mut out = Vec::new();
    for value in values {
        compile_value(value, m, placeholders, resolve, &mut out)?;
        if out.len() > MAX_FIELD_VALUES {
            return Err(RuleError::new("too many value variants in one field"));
        }
    }
    Ok(out)
}

fn compile_value(
    value: &Scalar,
    m: &Modifiers,
    placeholders: &BTreeMap<String, Vec<String>>,
    resolve: &dyn Fn(&str) -> Box<[FieldRef]>,
    out: &mut Vec<Pattern>,
) -> Result<(), RuleError> {
    if m.exists {
        return match value {
            Scalar::Bool(b) => {
                out.push(Pattern::Exists(*b));
                Ok(())
            }
            Scalar::Str(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                out.push(Pattern::Exists(s.eq_ignore_ascii_case("true")));
                Ok(())
            }
            _ => Err(RuleError::new("`exists` takes true or false")),
        };
    }
    if matches!(value, Scalar::Null) {
        out.push(Pattern::Null);
        return Ok(());
    }
    let text = value.text().unwrap_or_default();
    if let Some(op) = m.cmp {
        let number: f64 = text
            .trim()
            .parse()
            .map_err(|_| RuleError::new(format!("`{text}` is not a number")))?;
        out.push(Pattern::Cmp(op, number));
        return Ok(());
    }
    if let Some(part) = m.time {
        let number: i64 = text
            .trim()
            .parse()
            .map_err(|_| RuleError::new(format!("`{text}` is not a whole number")))?;
        out.push(Pattern::TimePart(part, number));
        return Ok(());
    }
    if m.cidr {
        let net = parse_cidr(&text)
            .ok_or_else(|| RuleError::new(format!("`{text}` is not a CIDR network")))?;
        out.push(Pattern::Cidr(Box::new([net])));
        return Ok(());
    }
    if m.fieldref {
        let kind = match m.position {
            Some("contains") => FieldRefKind::Contains,
            Some("startswith") => FieldRefKind::Prefix,
            Some("endswith") => FieldRefKind::Suffix,
            _ => FieldRefKind::Exact,
        };
        out.push(Pattern::FieldRef {
            fields: resolve(&text),
            kind,
            cased: m.cased,
        });
        return Ok(());
    }
    let texts = if m.expand {
        let expanded = expand_placeholders(&text, placeholders);
        if expanded.is_empty() {
            out.push(Pattern::Never);
            return Ok(());
        }
        expanded
    } else {
        vec![text]
    };
    for text in texts {
        if m.regex {
            if let Some(chars) = long_run_regex(&text) {
                out.push(Pattern::LongRun {
                    chars,
                    newlines: m.regex_flags.contains('s'),
                });
                continue;
            }
            out.push(Pattern::Regex(compile_regex(
                &text,
                &m.regex_flags,
                m.cased,
            )?));
            continue;
        }
        let number = match value {
            Scalar::Int(i) if m.position.is_none() => Some(*i),
            _ => None,
        };
        for variant in string_variants(&text, m) {
            out.push(Pattern::Str(variant_pattern(&variant, m, number)));
        }
    }
    Ok(())
}

fn parse_cidr(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
}

/// Replaces `%name%` placeholders with every configured value (cartesian product).
fn expand_placeholders(text: &str, placeholders: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut results = vec![String::new()];
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('%') else { break };
        let name = &after[..end];
        let Some(values) = placeholders.get(name) else {
            return Vec::new();
        };
        let prefix = &rest[..start];
        let mut next = Vec::new();
        for r in &results {
            for v in values {
                if next.len() >= MAX_VARIANTS {
                    break;
                }
                next.push(format!("{r}{prefix}{v}"));
            }
        }
        results = next;
        rest = &after[end + 1..];
    }
    for r in &mut results {
        r.push_str(rest);
    }
    results
}

fn compile_regex(text: &str, flags: &str, _cased: bool) -> Result<regex::Regex, RuleError> {
    // The flags go into the pattern itself, so that the prefilter's literal
    // extraction (which reads `Regex::as_str`) sees case-insensitivity too.
    let inline: String = ['i', 'm', 's']
        .into_iter()
        .filter(|f| flags.contains(*f))
        .collect();
    let source = if inline.is_empty() {
        text.to_owned()
    } else {
        format!("(?{inline}){text}")
    };
    let mut builder = regex::RegexBuilder::new(&source);
    builder
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT * 2)
        .nest_limit(100);
    builder.build().map_err(|e| {
        let reason = match e {
            regex::Error::CompiledTooBig(limit) => {
                format!("regex too large (over {limit} bytes compiled); simplify it")
            }
            other => {
                let text = other.to_string();
                let last = text.lines().last().unwrap_or("").trim().to_owned();
                format!("regex not supported by the linear-time engine: {last}")
            }
        };
        RuleError::new(reason)
    })
}

/// The literal strings a value stands for after windash, utf16 and base64.
fn string_variants(text: &str, m: &Modifiers) -> Vec<String> {
    let mut variants = if m.windash {
        windash_variants(text)
    } else {
        vec![text.to_owned()]
    };
    if m.base64 || m.base64offset || m.utf16.is_some() {
        let mut encoded = Vec::new();
        for v in &variants {
            let literal = unescape_literal(v);
            let bytes = encode_utf16(&literal, m.utf16);
            if m.base64offset {
                encoded.extend(base64_offsets(&bytes));
            } else if m.base64 {
                encoded.push(escape_literal(
                    &base64::engine::general_purpose::STANDARD.encode(&bytes),
                ));
            } else {
                // utf16 without base64: the text with its code units as characters.
                let chars: String = bytes.iter().map(|b| *b as char).collect();
                encoded.push(escape_literal(&chars));
            }
        }
        variants = encoded;
    }
    variants
}

fn encode_utf16(text: &str, mode: Option<&str>) -> Vec<u8> {
    match mode {
        None => text.as_bytes().to_vec(),
        Some("be") => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some("bom") => [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        Some(_) => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    }
}

/// The three base64 renderings of `bytes` at offsets 0, 1 and 2 of a larger blob,
/// trimmed to the characters that do not depend on the neighbouring bytes.
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    let mut out = Vec::new();
    for shift in 0..3 {
        let mut padded = vec![b' '; shift];
        padded.extend_from_slice(bytes);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&padded);
        let trim = END_TRIM[(bytes.len() + shift) % 3];
        let end = encoded.len().saturating_sub(trim);
        if START[shift] < end {
            out.push(escape_literal(&encoded[START[shift]..end]));
        }
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every combination of `-`, `/`, en dash, em dash and horizontal bar at the
/// positions where a command-line switch starts.
fn windash_variants(text: &str) -> Vec<String> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let chars: Vec<char> = text.chars().collect();
    let positions: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            (chars[i] == '-' || chars[i] == '/')
                && (i == 0 || !is_word(chars[i - 1]))
                && chars.get(i + 1).is_some_and(|c| is_word(*c))
        })
        .collect();
    if positions.is_empty() {
        return vec![text.to_owned()];
    }
    let mut variants = Vec::new();
    if positions.len() > 3 {
        for dash in DASHES {
            let mut c = chars.clone();
            for &p in &positions {
                c[p] = dash;
            }
            variants.push(c.into_iter().collect());
        }
        return variants;
    }
    let combos = DASHES.len().pow(positions.len() as u32);
    for mut n in 0..combos {
        let mut c = chars.clone();
        for &p in &positions {
            c[p] = DASHES[n % DASHES.len()];
            n /= DASHES.len();
        }
        variants.push(c.into_iter().collect());
    }
    variants
}

/// Escapes wildcard characters so that the text is taken literally.
fn escape_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The text with Sigma escapes removed (wildcards kept as plain characters).
fn unescape_literal(text: &str) -> String {
    parse_glob(text)
        .into_iter()
        .map(|t| match t {
            GlobTok::Char(c) => c,
            GlobTok::One => '?',
            GlobTok::Many => '*',
        })
        .collect()
}

/// Sigma wildcard syntax: `*`, `?`, and `\` escaping `*`, `?` and `\` (a backslash
/// before any other character is literal).
pub(crate) fn parse_glob(text: &str) -> Vec<GlobTok> {
    let mut tokens = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    chars.next();
                    tokens.push(GlobTok::Char(next));
                }
                _ => tokens.push(GlobTok::Char('\\')),
            },
            '*' => tokens.push(GlobTok::Many),
            '?' => tokens.push(GlobTok::One),
            other => tokens.push(GlobTok::Char(other)),
        }
    }
    tokens
}

/// Builds the string test for one literal variant.
fn variant_pattern(text: &str, m: &Modifiers, number: Option<i64>) -> StrPattern {
    let mut tokens = parse_glob(text);
    match m.position {
        Some("contains") => {
            tokens.insert(0, GlobTok::Many);
            tokens.push(GlobTok::Many);
        }
        Some("startswith") => tokens.push(GlobTok::Many),
        Some("endswith") => tokens.insert(0, GlobTok::Many),
        _ => {}
    }
    tokens.dedup_by(|a, b| *a == GlobTok::Many && *b == GlobTok::Many);
    let lead = tokens.first() == Some(&GlobTok::Many);
    let trail = tokens.len() > 1 && tokens.last() == Some(&GlobTok::Many);
    let inner = &tokens[lead as usize..tokens.len() - trail as usize];
    let literal: Option<String> = inner
        .iter()
        .map(|t| match t {
            GlobTok::Char(c) => Some(*c),
            _ => None,
        })
        .collect();
    let fold = |s: &str| {
        if m.cased {
            s.to_owned()
        } else {
            crate::case_fold::fold(s)
        }
    };
    let (op, text) = match (literal, lead, trail) {
        (Some(lit), false, false) => (StrOp::Exact, fold(&lit)),
        (Some(lit), false, true) => (StrOp::Prefix, fold(&lit)),
        (Some(lit), true, false) => (StrOp::Suffix, fold(&lit)),
        (Some(lit), true, true) => {
            let lit = fold(&lit);
            (
                StrOp::Contains(Box::new(memmem::Finder::new(lit.as_bytes()).into_owned())),
                lit,
            )
        }
        (None, _, _) => {
            let folded: Vec<GlobTok> = tokens
                .iter()
                .flat_map(|t| match t {
                    GlobTok::Char(c) if !m.cased => crate::case_fold::fold_char(*c)
                        .map(GlobTok::Char)
                        .collect::<Vec<_>>(),
                    other => vec![other.clone()],
                })
                .collect();
            (StrOp::Glob(Box::new(Glob::new(folded))), fold(text))
        }
    };
    let ascii = text.is_ascii();
    StrPattern {
        op,
        text: text.into_boxed_str(),
        cased: m.cased,
        number,
        ascii,
    }
}

impl StrPattern {
    /// Tests the raw value text; `lowered` yields the lower-cased text on demand.
    pub fn matches(&self, raw: &str, lowered: &mut Lowered<'_>) -> bool {
        if self.cased {
            let (hay, pat) = (raw.as_bytes(), self.text.as_bytes());
            return match &self.op {
                StrOp::Exact => hay == pat,
                StrOp::Prefix => hay.starts_with(pat),
                StrOp::Suffix => hay.ends_with(pat),
                StrOp::Contains(finder) => finder.find(hay).is_some(),
                StrOp::Glob(glob) => glob.matches(raw),
            };
        }
        if self.ascii
            && let Some(answer) = self.ascii_answer(raw, lowered)
        {
            return answer;
        }
        let hay = lowered.get(raw);
        match &self.op {
            StrOp::Exact => hay == &*self.text,
            StrOp::Prefix => hay.starts_with(&*self.text),
            StrOp::Suffix => hay.ends_with(&*self.text),
            StrOp::Contains(finder) => finder.find(hay.as_bytes()).is_some(),
            StrOp::Glob(glob) => glob.matches(hay),
        }
    }

    /// The answer of this ASCII pattern (`Exact`, `Prefix`, `Suffix`) read
    /// against the value's bytes with ASCII case ignored, when that is the
    /// answer of the lower-cased value (no copy made); `None` when only the
    /// lower-cased value can tell. A match read this way always is one (the
    /// bytes compared are ASCII). A miss is one unless a character of the
    /// value lower-cases into ASCII (the Kelvin sign, three bytes, into `k`;
    /// `İ` into `i` and a combining dot, which no ASCII pattern matches): so a
    /// prefix or suffix miss whose compared bytes are ASCII is final, and an
    /// equality miss is, unless the value is longer by an even number of
    /// bytes and holds such a character.
    fn ascii_answer(&self, raw: &str, lowered: &mut Lowered<'_>) -> Option<bool> {
        let (hay, pat) = (raw.as_bytes(), self.text.as_bytes());
        let settled = |window: &[u8]| {
            if window.eq_ignore_ascii_case(pat) {
                Some(true)
            } else {
                window.is_ascii().then_some(false)
            }
        };
        match &self.op {
            StrOp::Exact if hay.len() == pat.len() => Some(hay.eq_ignore_ascii_case(pat)),
            StrOp::Exact => {
                let may_shrink_to_it = hay.len() > pat.len() && (hay.len() - pat.len()) % 2 == 0;
                (!may_shrink_to_it || lowered.compares_as_ascii(raw)).then_some(false)
            }
            // A value shorter than the pattern is shorter lower-cased too, or
            // holds a combining dot.
            StrOp::Prefix | StrOp::Suffix if hay.len() < pat.len() => Some(false),
            StrOp::Prefix => settled(&hay[..pat.len()]),
            StrOp::Suffix => settled(&hay[hay.len() - pat.len()..]),
            StrOp::Contains(_) | StrOp::Glob(_) => None,
        }
    }
}

/// A lazily lower-cased copy of a value, in a buffer reused across values.
pub(crate) struct Lowered<'b> {
    pub buf: &'b mut String,
    pub ready: bool,
    /// Whether the value holds a character that lower-cases into ASCII,
    /// once asked (see [`Lowered::compares_as_ascii`]).
    pub into_ascii: Option<bool>,
}

impl<'b> Lowered<'b> {
    pub fn new(buf: &'b mut String) -> Self {
        Lowered {
            buf,
            ready: false,
            into_ascii: None,
        }
    }

    /// Whether `raw` holds no character whose lower case is (or starts
    /// with) an ASCII letter, the Kelvin sign or `İ`: then an ASCII pattern
    /// compared with its bytes, ASCII case ignored, answers as the
    /// lower-cased value would. Asked once per value.
    pub fn compares_as_ascii(&mut self, raw: &str) -> bool {
        !*self.into_ascii.get_or_insert_with(|| {
            !raw.is_ascii() && crate::case_fold::folds_into_ascii(raw.as_bytes())
        })
    }

    /// The lower-cased `raw` (computed on first use).
    pub fn get(&mut self, raw: &str) -> &str {
        if !self.ready {
            self.buf.clear();
            crate::case_fold::fold_into(raw, self.buf);
            self.ready = true;
        }
        self.buf
    }
}

/// Wildcard match over characters, backtracking only to the last `*` (linear in
/// practice, O(n·m) at worst).
pub(crate) fn glob_match(tokens: &[GlobTok], text: &str) -> bool {
    if text.is_ascii() {
        // One byte is one character: no decoding (most values are ASCII).
        return glob_match_ascii(tokens, text.as_bytes());
    }
    let chars = text.char_indices().map(|(_, c)| c);
    let hay: smallvec_lite::Chars = smallvec_lite::Chars::new(chars);
    glob_walk(tokens, hay.as_slice())
}

/// [`glob_match`] over an ASCII text, byte by byte (a non-ASCII token
/// character matches no byte of it).
fn glob_match_ascii(tokens: &[GlobTok], hay: &[u8]) -> bool {
    glob_walk(tokens, hay)
}

/// One unit of a text for the wildcard walk: a character, or a byte of an
/// ASCII text.
trait GlobUnit: Copy {
    fn is(self, c: char) -> bool;
}

impl GlobUnit for char {
    fn is(self, c: char) -> bool {
        self == c
    }
}

impl GlobUnit for u8 {
    fn is(self, c: char) -> bool {
        c as u32 == self as u32
    }
}

/// The wildcard walk over a text's units, backtracking only to the last `*`.
fn glob_walk<U: GlobUnit>(tokens: &[GlobTok], hay: &[U]) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while s < hay.len() {
        match tokens.get(p) {
            Some(GlobTok::Char(c)) if hay[s].is(*c) => {
                p += 1;
                s += 1;
            }
            Some(GlobTok::One) => {
                p += 1;
                s += 1;
            }
            Some(GlobTok::Many) => {
                star = Some((p, s));
                p += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    p = sp + 1;
                    s = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|t| *t == GlobTok::Many)
}

/// A small on-stack character buffer so glob matching does not allocate for
/// typical values.
mod smallvec_lite {
    const INLINE: usize = 512;

    #[allow(clippy::large_enum_variant)] // on the stack on purpose: no allocation
    pub enum Chars {
        Inline([char; INLINE], usize),
        Heap(Vec<char>),
    }

    impl Chars {
        pub fn new(iter: impl Iterator<Item = char>) -> Self {
            let mut buf = ['\0'; INLINE];
            let mut n = 0;
            let mut iter = iter.peekable();
            while let Some(c) = iter.next() {
                if n == INLINE {
                    let mut v = buf.to_vec();
                    v.push(c);
                    v.extend(iter);
                    return Chars::Heap(v);
                }
                buf[n] = c;
                n += 1;
            }
            Chars::Inline(buf, n)
        }

        pub fn as_slice(&self) -> &[char] {
            match self {
                Chars::Inline(buf, n) => &buf[..*n],
                Chars::Heap(v) => v,
            }
        }
    }
}

/// Tests a non-string pattern (numbers, networks, times) against a value.
pub(crate) fn match_typed(pattern: &Pattern, value: ValueRef<'_>) -> bool {
    match pattern {
        Pattern::Cmp(op, n) => value.as_f64().is_some_and(|v| op.holds(v, *n)),
        Pattern::Cidr(nets) => {
            let ip = match value {
                ValueRef::Ip(ip) => Some(ip),
                ValueRef::Str(s) => {
                    let mut text = s.trim();
                    while let Some(rest) = text.strip_prefix("::ffff:") {
                        text = rest;
                    }
                    text.parse::<IpAddr>().ok()
                }
                _ => None,
            };
            ip.is_some_and(|ip| nets.iter().any(|net| net.contains(&ip)))
        }
        Pattern::TimePart(part, n) => {
            let ts = match value {
                ValueRef::Str(s) => Timestamp::parse(s),
                ValueRef::Int(i) => Some(Timestamp(i)),
                _ => None,
            };
            ts.and_then(Timestamp::to_datetime).is_some_and(|dt| {
                let v = match part {
                    TimePart::Minute => dt.minute() as i64,
                    TimePart::Hour => dt.hour() as i64,
                    TimePart::Day => dt.day() as i64,
                    TimePart::Week => dt.iso_week().week() as i64,
                    TimePart::Month => dt.month() as i64,
                    TimePart::Year => dt.year() as i64,
                };
                v == *n
            })
        }
        _ => false,
    }
}

/// What the prefilter looks for in a value: a literal every match contains
/// (lower-cased, as the scan folds ASCII case), or, for values whose only
/// literal parts are letters outside ASCII (Cyrillic look-alikes, modifier
/// letters), that the value has a byte outside ASCII: the lower-cased form of
/// an ASCII text is ASCII, so such a pattern cannot match a pure-ASCII value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Needle {
    /// Literal text, lower-cased.
    Text(String),
    /// Some byte of the value is outside ASCII.
    NonAscii,
}

impl Needle {
    /// How much the needle narrows: its length in bytes (a non-ASCII byte is
    /// about as rare in logs as a three-letter literal).
    pub fn weight(&self) -> usize {
        match self {
            Needle::Text(text) => text.len(),
            Needle::NonAscii => 3,
        }
    }
}

/// The needle every match of this pattern contains, for the prefilter; `None`
/// when there is no usable one.
pub(crate) fn required_literal(pattern: &Pattern) -> Option<Needle> {
    let p = match pattern {
        Pattern::Str(p) => p,
        Pattern::Regex(re) => {
            return regex_literals(re.as_str())
                .filter(|l| l.len() == 1)?
                .pop()
                .map(Needle::Text);
        }
        _ => return None,
    };
    let best = match &p.op {
        StrOp::Glob(glob) => {
            let tokens = &glob.tokens;
            let mut best = String::new();
            let mut current = String::new();
            for t in tokens {
                match t {
                    GlobTok::Char(c) if fold_safe(*c) => current.push(*c),
                    _ => {
                        if current.len() > best.len() {
                            best = std::mem::take(&mut current);
                        }
                        current.clear();
                    }
                }
            }
            if current.len() > best.len() {
                best = current;
            }
            best
        }
        _ => longest_fold_safe_run(&p.text),
    };
    // A value compared as a number (`EventID: 4688` against an integer field)
    // need not contain its digits as written (`007` is 7): no digit literal.
    let numeric = p.number.is_some();
    let needs_non_ascii = match &p.op {
        StrOp::Glob(glob) => glob
            .tokens
            .iter()
            .any(|t| matches!(t, GlobTok::Char(c) if !c.is_ascii())),
        _ => !p.text.is_ascii(),
    };
    useful_literal(best, !numeric)
        .map(Needle::Text)
        .or_else(|| needs_non_ascii.then_some(Needle::NonAscii))
}

/// The prefilter needle of one value of a [`ContainsSet`].
pub(crate) fn contains_literal(text: &str) -> Option<Needle> {
    useful_literal(longest_fold_safe_run(text), true)
        .map(Needle::Text)
        .or_else(|| (!text.is_ascii()).then_some(Needle::NonAscii))
}

/// Characters rare enough in logs to prefilter on alone.
const RARE_SINGLE_BYTES: &[u8] = b"`^~|{}<>!$@#";

/// `best`, lower-cased, when it is long and distinctive enough to prefilter on:
/// two bytes at least (`^^`, `&&` are rare in command lines, and a weak
/// literal still beats evaluating a rule on every event), and not only digits
/// and signs unless `digits` (numbers written as text are scanned as text).
fn useful_literal(best: String, digits: bool) -> Option<String> {
    if let [byte] = best.as_bytes() {
        // One character is a needle only when it is rare in ordinary text:
        // PowerShell's escape backtick, cmd's caret, shell punctuation.
        return RARE_SINGLE_BYTES.contains(byte).then_some(best);
    }
    let useful = best.len() >= 2
        && (digits
            || best
                .bytes()
                .any(|b| !(b.is_ascii_digit() || b == b'-' || b == b'+' || b == b'.')));
    useful.then(|| best.to_ascii_lowercase())
}

/// Whether `c` reads the same in the prefilter's ASCII-folded haystack as in
/// the matcher's Unicode-lower-cased one: ASCII, or a character with no case
/// that no other character lower-cases to (emoji, dashes, symbols). Letters and
/// U+0307 (from `İ`) are not: only the full lower-casing finds them.
fn fold_safe(c: char) -> bool {
    c.is_ascii()
        || (!c.is_alphabetic()
            && c != '\u{307}'
            && c.to_lowercase().eq([c])
            && c.to_uppercase().eq([c]))
}

/// The literals one of which starts every match of a regex (lower-cased, each
/// cut to its longest run of fold-safe characters), when that set is finite and each is usable.
pub(crate) fn regex_literals(source: &str) -> Option<Vec<String>> {
    literals_of_regex(&parse_regex(source)?)
}

/// The regex `source` parsed as the prefilter reads it, if it parses.
fn parse_regex(source: &str) -> Option<regex_syntax::hir::Hir> {
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(source)
        .ok()
}

/// [`regex_literals`] of a parsed regex.
fn literals_of_regex(hir: &regex_syntax::hir::Hir) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix).limit_total(64);
    let seq = extractor.extract(hir);
    let prefixes = seq.literals().and_then(|literals| {
        let mut out = Vec::new();
        for literal in literals {
            let text = String::from_utf8_lossy(literal.as_bytes());
            out.push(useful_literal(longest_fold_safe_run(&text), true)?);
        }
        out.sort();
        out.dedup();
        (!out.is_empty()).then_some(out)
    });
    // A literal inside every match (`werfaultsecure.exe` in
    // `\.exe\s+[^"]{0,64}werfaultsecure\.exe`) beats short prefixes that
    // nearly every value has (`.exe`).
    let inner = required_literal_of(hir)
        .and_then(|text| useful_literal(longest_fold_safe_run(&text), true));
    match (prefixes, inner) {
        (Some(prefixes), Some(inner)) if prefixes.iter().all(|p| p.len() < inner.len()) => {
            Some(vec![inner])
        }
        (None, Some(inner)) => Some(vec![inner]),
        (prefixes, _) => prefixes,
    }
}

/// Groups of literals every match of a regex holds, for the prefilter: from
/// each group at least one literal occurs in any text the regex matches
/// (lower-cased, each cut to its longest fold-safe run). Each required run
/// of exact text is a group of one (`&&` and `set` in
/// `(?i)set.*&&\s?set`), an alternation whose every branch requires a
/// literal is a group of those (`invoke|environment`), and the set of
/// prefixes is one more. Groups another group implies (`.exe` beside
/// `curl.exe|wget.exe`) are left out: they filter nothing more and cost a
/// mark wherever they occur. Empty when no literal is required.
pub(crate) fn regex_literal_groups(source: &str) -> Vec<Vec<String>> {
    let Some(hir) = parse_regex(source) else {
        return Vec::new();
    };
    let mut groups = Vec::new();
    if let Some(prefixes) = literals_of_regex(&hir) {
        groups.push(prefixes);
    }
    required_groups_of(&hir, &mut groups);
    for group in &mut groups {
        group.sort();
        group.dedup();
    }
    groups.sort();
    groups.dedup();
    let implied = |weaker: &Vec<String>, stronger: &Vec<String>| {
        weaker != stronger
            && stronger
                .iter()
                .all(|literal| weaker.iter().any(|w| literal.contains(w.as_str())))
    };
    // Of groups that imply each other, the first is kept.
    (0..groups.len())
        .filter(|&i| {
            !groups.iter().enumerate().any(|(j, other)| {
                implied(&groups[i], other) && (j < i || !implied(other, &groups[i]))
            })
        })
        .map(|i| groups[i].clone())
        .collect()
}

/// Most literals one alternation's group may hold (a longer list filters
/// little and costs a mark at each of them).
const ALTERNATION_GROUP_MAX: usize = 16;

/// Appends to `out` the literal groups every match of `hir` satisfies (see
/// [`regex_literal_groups`]).
fn required_groups_of(hir: &regex_syntax::hir::Hir, out: &mut Vec<Vec<String>>) {
    use regex_syntax::hir::HirKind;
    let push_run = |text: &str, out: &mut Vec<Vec<String>>| {
        if let Some(literal) = useful_literal(longest_fold_safe_run(text), true) {
            out.push(vec![literal]);
        }
    };
    match hir.kind() {
        HirKind::Capture(capture) => required_groups_of(&capture.sub, out),
        HirKind::Repetition(rep) if rep.min >= 1 => required_groups_of(&rep.sub, out),
        HirKind::Concat(parts) => {
            let mut run = String::new();
            for part in parts {
                match exact_text(part) {
                    Some(text) => run.push_str(&text),
                    None => {
                        push_run(&std::mem::take(&mut run), out);
                        required_groups_of(part, out);
                    }
                }
            }
            push_run(&run, out);
        }
        HirKind::Alternation(branches) => {
            // One literal set per branch: its most selective group.
            let mut group = Vec::new();
            for branch in branches {
                let mut inner = Vec::new();
                required_groups_of(branch, &mut inner);
                let Some(best) = inner
                    .into_iter()
                    .max_by_key(|g| (g.iter().map(String::len).min(), std::cmp::Reverse(g.len())))
                else {
                    return;
                };
                group.extend(best);
            }
            if group.len() <= ALTERNATION_GROUP_MAX {
                out.push(group);
            }
        }
        _ => {
            if let Some(text) = exact_text(hir) {
                push_run(&text, out);
            }
        }
    }
}

/// The longest literal every match of `hir` contains, when one is found: runs
/// of exact pieces in a concatenation, through groups and repetitions of at
/// least one.
fn required_literal_of(hir: &regex_syntax::hir::Hir) -> Option<String> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(capture) => required_literal_of(&capture.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required_literal_of(&rep.sub),
        HirKind::Concat(parts) => {
            let mut best: Option<String> = None;
            let mut run = String::new();
            let keep = |candidate: String, best: &mut Option<String>| {
                if best.as_ref().is_none_or(|b| candidate.len() > b.len()) {
                    *best = Some(candidate);
                }
            };
            for part in parts {
                match exact_text(part) {
                    Some(text) => run.push_str(&text),
                    None => {
                        keep(std::mem::take(&mut run), &mut best);
                        if let Some(inner) = required_literal_of(part) {
                            keep(inner, &mut best);
                        }
                    }
                }
            }
            keep(run, &mut best);
            best.filter(|b| !b.is_empty())
        }
        _ => exact_text(hir),
    }
}

/// The one string `hir` matches, ASCII case aside: literals, one-character
/// classes, and the case pair of one ASCII letter (`(?i)w` is `[Ww]`; classes
/// with more members, like `(?i)k` with the Kelvin sign, are not exact).
fn exact_text(hir: &regex_syntax::hir::Hir) -> Option<String> {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Literal(literal) => String::from_utf8(literal.0.to_vec()).ok(),
        HirKind::Capture(capture) => exact_text(&capture.sub),
        HirKind::Concat(parts) => parts.iter().map(exact_text).collect(),
        HirKind::Class(Class::Unicode(class)) => {
            let chars: Vec<char> = class
                .ranges()
                .iter()
                .flat_map(|r| (r.start() as u32..=r.end() as u32).take(3))
                .filter_map(char::from_u32)
                .take(3)
                .collect();
            one_char_or_case_pair(&chars)
        }
        HirKind::Class(Class::Bytes(class)) => {
            let chars: Vec<char> = class
                .ranges()
                .iter()
                .flat_map(|r| (r.start()..=r.end()).take(3))
                .take(3)
                .filter(u8::is_ascii)
                .map(char::from)
                .collect();
            one_char_or_case_pair(&chars)
        }
        _ => None,
    }
}

fn one_char_or_case_pair(chars: &[char]) -> Option<String> {
    match chars {
        [c] => Some(c.to_string()),
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(b) && a != b => {
            Some(a.to_ascii_lowercase().to_string())
        }
        _ => None,
    }
}

fn longest_fold_safe_run(text: &str) -> String {
    text.split(|c: char| !fold_safe(c))
        .max_by_key(|s| s.len())
        .unwrap_or("")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(value: &str, mods: &[&str]) -> Vec<Pattern> {
        let names: Vec<String> = mods.iter().map(|s| s.to_string()).collect();
        let m = Modifiers::parse(&names).unwrap();
        compile_values(&[Scalar::Str(value.into())], &m, &BTreeMap::new(), &|_| {
            Box::new([])
        })
        .unwrap()
    }

    fn test(p: &Pattern, text: &str) -> bool {
        let mut buf = String::new();
        match p {
            Pattern::Str(s) => s.matches(text, &mut Lowered::new(&mut buf)),
            Pattern::Regex(r) => r.is_match(text),
            Pattern::AnyContains(set) => set.matches(text, &mut Lowered::new(&mut buf)),
            other => match_typed(other, ValueRef::Str(text)),
        }
    }

    #[test]
    fn long_run_regexes_answer_as_the_regex_does() {
        let texts = [
            "a".repeat(9),
            "a".repeat(10),
            format!("{}\n{}", "b".repeat(6), "c".repeat(6)),
            "é".repeat(10),
            "é".repeat(9),
            String::new(),
        ];
        for (source, flags) in [
            (".{10,}", ""),
            (".{10,20}", ""),
            (".{10}", ""),
            (".{10,}", "s"),
        ] {
            assert_eq!(long_run_regex(source), Some(10));
            let regex = compile_regex(source, flags, false).unwrap();
            for text in &texts {
                let fast = Pattern::long_run(text, 10, flags.contains('s'));
                assert_eq!(fast, regex.is_match(text), "{source} {flags} {text:?}");
            }
        }
        assert_eq!(long_run_regex(".{10,5}"), None);
        assert_eq!(long_run_regex("^.{10,}"), None);
        assert_eq!(long_run_regex("a{10,}"), None);
    }

    #[test]
    fn contains_values_merge_into_one_set_with_the_same_answers() {
        let values: Vec<Scalar> = ["Alpha", "béta", "🦆", "gamma", "x"]
            .iter()
            .map(|v| Scalar::Str((*v).into()))
            .collect();
        for mods in [&["contains"][..], &["contains", "cased"][..]] {
            let names: Vec<String> = mods.iter().map(|s| s.to_string()).collect();
            let m = Modifiers::parse(&names).unwrap();
            let single = compile_values(&values, &m, &BTreeMap::new(), &|_| Box::new([])).unwrap();
            let merged = merge_contains(single.clone(), false);
            assert_eq!(merged.len(), 1);
            assert!(matches!(merged[0], Pattern::AnyContains(_)));
            for text in ["ALPHA", "Béta", "BÉTA", "a 🦆", "Gam", "none", "XYZ", ""] {
                assert_eq!(any(&single, text), any(&merged, text), "{mods:?} {text}");
            }
        }
        // `all` keeps each value.
        let m = Modifiers::parse(&["contains".into(), "all".into()]).unwrap();
        let all = compile_values(&values, &m, &BTreeMap::new(), &|_| Box::new([])).unwrap();
        assert_eq!(merge_contains(all, true).len(), 5);
    }

    #[test]
    fn caseless_characters_are_prefilter_literals_letters_are_not() {
        let text = |t: &str| Some(Needle::Text(t.into()));
        assert_eq!(contains_literal("🦆"), text("🦆"));
        assert_eq!(contains_literal("a — b"), text("a — b"));
        // `ä` lower-cases from `Ä`: only the run after it is safe.
        assert_eq!(contains_literal("xäRGER"), text("rger"));
        // A lone letter outside ASCII: the value must have a non-ASCII byte.
        assert_eq!(contains_literal("ä"), Some(Needle::NonAscii));
        assert_eq!(contains_literal("a"), None);
        assert!(!fold_safe('\u{307}'));
        assert!(!fold_safe('ⓐ'));
    }

    fn any(ps: &[Pattern], text: &str) -> bool {
        ps.iter().any(|p| test(p, text))
    }

    #[test]
    fn string_tests_stay_small() {
        // Every rule's values are patterns, and rule trees are cloned into
        // their conditions: a wildcard's parts kept inline tripled a string
        // test (112 bytes) and moved a JSONL hunt's peak memory by 23 MB.
        assert!(std::mem::size_of::<StrOp>() <= 16);
        assert!(std::mem::size_of::<Pattern>() <= 64);
    }

    #[test]
    fn star_globs_match_as_the_walk_does() {
        for (pattern, text, expected) in [
            (
                "*/appdata/*/temp/*",
                "c:/users/x/appdata/local/temp/a.exe",
                true,
            ),
            ("*/appdata/*/temp/*", "c:/users/x/appdata/temp/a.exe", false),
            ("c:/*.exe", "c:/x.exe", true),
            ("c:/*.exe", "c:.exe", false),
            ("ab*ba", "aba", false),
            ("ab*ba", "abba", true),
            ("*", "", true),
            ("a*", "", false),
            ("*é*ü", "xéyü", true),
            ("*é*ü", "xüyé", false),
            // A `?` is one byte of ASCII text; other text takes the walk.
            ("*>?%temp%/*", "cmd /c dir >\"%temp%/x\"", true),
            ("*>?%temp%/*", "cmd /c dir >%temp%/x", false),
            ("*a?c*", "xxabxaxc", true),
            ("*a?c*", "xxabxa", false),
            ("a?*", "ab", true),
            ("a?*", "a", false),
            ("*??*", "x", false),
            ("*??*", "xy", true),
            ("*?b", "éb", true),
            ("*a?c*", "aéc", true),
        ] {
            let glob = Glob::new(parse_glob(pattern));
            assert!(glob.stars.is_some(), "{pattern}");
            assert_eq!(glob.matches(text), expected, "{pattern} on {text}");
            assert_eq!(
                glob_match(&glob.tokens, text),
                expected,
                "{pattern} on {text}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        /// Equality, `startswith` and `endswith` of an ASCII pattern answer
        /// what the lower-cased value answers, also when the value holds a
        /// character that lower-cases into ASCII (the Kelvin sign, `İ`) and
        /// the bytes are compared without a lower-cased copy.
        #[test]
        fn ascii_patterns_answer_as_the_lower_cased_value(
            pattern in proptest::collection::vec(proptest::sample::select(&['a', 'k', 'i', 'K', 'I', 'x', '.'][..]), 1..5),
            value in proptest::collection::vec(proptest::sample::select(&['a', 'k', 'i', 'K', 'I', 'x', '.', '\u{212A}', '\u{130}', 'é', 'ı'][..]), 0..9),
        ) {
            let pattern: String = pattern.into_iter().collect();
            let value: String = value.into_iter().collect();
            let (folded, lowered) = (crate::case_fold::fold(&value), pattern.to_ascii_lowercase());
            for (mods, expected) in [
                (&[][..], folded == lowered),
                (&["startswith"][..], folded.starts_with(&lowered)),
                (&["endswith"][..], folded.ends_with(&lowered)),
            ] {
                let patterns = pat(&pattern, mods);
                proptest::prop_assert_eq!(test(&patterns[0], &value), expected, "{:?} {} {}", mods, pattern, value);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3_000))]
        /// Star globs by substring search answer as the character walk does,
        /// with `?` too.
        #[test]
        fn star_glob_search_is_the_walk(
            tokens in proptest::collection::vec(
                proptest::sample::select(vec![
                    GlobTok::Char('a'), GlobTok::Char('b'), GlobTok::Char('\u{e9}'), GlobTok::Many,
                    GlobTok::One,
                ]),
                0..10,
            ),
            text in proptest::collection::vec(proptest::sample::select(vec!['a', 'b', '\u{e9}', 'c']), 0..16),
        ) {
            let text: String = text.into_iter().collect();
            let glob = Glob::new(tokens);
            proptest::prop_assert_eq!(glob.matches(&text), glob_match(&glob.tokens, &text));
        }
    }

    #[test]
    fn ascii_and_unicode_glob_walks_agree() {
        for (pattern, text) in [
            ("a*b?c", "axxbyc"),
            ("a*b?c", "abc"),
            ("*\\cmd.exe", "c:\\windows\\cmd.exe"),
            ("*x*y*", "yyyxxx"),
            ("?", ""),
            ("é*", "e1"),
        ] {
            let tokens = parse_glob(pattern);
            let by_char = {
                let chars: Vec<char> = text.chars().collect();
                let mut extended = text.to_owned();
                // The same text with a non-ASCII tail takes the character walk.
                extended.push('\u{e9}');
                let mut tokens_extended = tokens.clone();
                tokens_extended.push(GlobTok::Char('\u{e9}'));
                assert_eq!(chars.len(), text.len());
                glob_match(&tokens_extended, &extended)
            };
            assert_eq!(glob_match(&tokens, text), by_char, "{pattern} {text}");
        }
    }

    #[test]
    fn wildcards_and_escapes() {
        let p = pat("C:\\Windows\\\\*\\cmd.exe", &[]);
        assert!(any(&p, "c:\\windows\\system32\\CMD.EXE"));
        assert!(!any(&p, "c:\\windows\\cmd.exe.bak"));
        let p = pat("a\\*b", &[]);
        assert!(any(&p, "A*B"));
        assert!(!any(&p, "axxb"));
        let p = pat("a?c", &[]);
        assert!(any(&p, "abc") && !any(&p, "ac"));
        let p = pat("\\\\server\\share", &["startswith"]);
        assert!(any(&p, "\\server\\share\\x"));
    }

    #[test]
    fn positions_and_case() {
        assert!(any(&pat("rclone", &["contains"]), "C:\\RCLONE.exe copy"));
        assert!(any(&pat(".exe", &["endswith"]), "x.EXE"));
        assert!(!any(&pat(".exe", &["endswith", "cased"]), "x.EXE"));
        assert!(any(&pat("ÄBC", &["contains"]), "xäbcx"));
        assert!(any(&pat("x", &["startswith"]), "X1"));
    }

    #[test]
    fn windash_variants_cover_dashes() {
        let p = pat(" -enc ", &["windash", "contains"]);
        assert!(any(&p, "powershell /enc abc"));
        assert!(any(&p, "powershell \u{2013}enc abc"));
        assert!(!any(&p, "powershell enc abc"));
    }

    #[test]
    fn base64_and_offsets() {
        let p = pat("http", &["base64"]);
        assert!(any(&p, "aHR0cA=="));
        let p = pat("http://", &["base64offset", "contains"]);
        for prefix in ["", "x", "xy"] {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{prefix}http://evil"));
            assert!(any(&p, &encoded), "{prefix}: {encoded}");
        }
        let p = pat("ab", &["wide", "base64"]);
        assert!(any(&p, "YQBiAA=="));
    }

    #[test]
    fn regex_numbers_cidr_time() {
        let p = pat("^a.+z$", &["re"]);
        assert!(any(&p, "abcz") && !any(&p, "ABCZ"));
        assert!(any(&pat("^a.+z$", &["re", "i"]), "ABCZ"));
        assert!(any(&pat("10", &["gte"]), "12") && !any(&pat("10", &["gt"]), "10"));
        let p = pat("10.0.0.0/8", &["cidr"]);
        assert!(any(&p, "10.1.2.3") && !any(&p, "11.1.2.3"));
        assert!(any(&pat("fe80::/10", &["cidr"]), "fe80::1"));
        assert!(any(&pat("23", &["hour"]), "2026-11-23T23:10:00Z"));
    }

    #[test]
    fn an_items_networks_are_one_pattern_that_matches_any_of_them() {
        let mut patterns = pat("10.0.0.0/8", &["cidr"]);
        patterns.extend(pat("exact", &[]));
        patterns.extend(pat("192.168.0.0/16", &["cidr"]));
        patterns.extend(pat("fe80::/10", &["cidr"]));
        let merged = merge_any_of(patterns.clone(), false);
        assert_eq!(merged.len(), 2);
        assert!(matches!(&merged[0], Pattern::Cidr(nets) if nets.len() == 3));
        for (text, inside) in [
            ("10.1.2.3", true),
            ("192.168.7.7", true),
            (" ::ffff:192.168.7.7", true),
            ("fe80::1", true),
            ("11.1.2.3", false),
            ("exact", true),
            ("not an address", false),
        ] {
            assert_eq!(any(&merged, text), inside, "{text}");
            assert_eq!(any(&patterns, text), inside, "{text} unmerged");
        }
        // `all` keeps one pattern per network (an address is in all of them).
        assert_eq!(merge_any_of(patterns, true).len(), 4);
    }

    #[test]
    fn hostile_regex_is_refused_or_linear() {
        let names = vec!["re".to_string()];
        let m = Modifiers::parse(&names).unwrap();
        let huge = Scalar::Str("(a{1000}){1000}".into());
        let err = compile_values(&[huge], &m, &BTreeMap::new(), &|_| Box::new([])).unwrap_err();
        assert!(err.message.contains("too large"), "{}", err.message);
        let backref = Scalar::Str("(a)\\1".into());
        assert!(compile_values(&[backref], &m, &BTreeMap::new(), &|_| Box::new([])).is_err());
        let evil = pat("(a+)+$", &["re"]);
        let text = format!("{}!", "a".repeat(50_000));
        let start = std::time::Instant::now();
        assert!(!any(&evil, &text));
        assert!(start.elapsed().as_secs() < 2);
    }

    #[test]
    fn expand_uses_placeholders() {
        let names = vec!["expand".to_string()];
        let m = Modifiers::parse(&names).unwrap();
        let mut ph = BTreeMap::new();
        ph.insert(
            "admins".to_string(),
            vec!["root".to_string(), "admin".to_string()],
        );
        let ps = compile_values(
            &[Scalar::Str("%admins%".into())],
            &m,
            &ph,
            &|_| Box::new([]),
        )
        .unwrap();
        assert!(any(&ps, "admin") && !any(&ps, "bob"));
        let none =
            compile_values(&[Scalar::Str("%other%".into())], &m, &ph, &|_| Box::new([])).unwrap();
        assert!(matches!(none[0], Pattern::Never));
    }

    #[test]
    fn unknown_modifier_is_an_error() {
        assert!(Modifiers::parse(&["bogus".to_string()]).is_err());
    }

    #[test]
    fn regex_prefilter_literals() {
        assert_eq!(
            regex_literals(r"(?:curl|wget)\.exe\s+-T").unwrap(),
            vec!["curl.exe", "wget.exe"]
        );
        // No usable prefix: the literal every match contains.
        assert_eq!(regex_literals(r"\w+\.exe").unwrap(), vec![".exe"]);
        assert_eq!(regex_literals(r"ab").unwrap(), vec!["ab"]);
        assert_eq!(regex_literals(r"a"), None);
        // A lone rare character is a needle: PowerShell's backtick escapes.
        assert_eq!(regex_literals(r"\w+`(?:\w+|-|.)`").unwrap(), vec!["`"]);
        // A long inner literal beats a short common prefix (`(?i)s` also
        // matches `ſ`, so the run restarts after it).
        assert_eq!(
            regex_literals(r#"(?i)\.exe["']?\s+[^"]{0,64}werfaultsecure\.exe["']?\s+\d{2,10}"#)
                .unwrap(),
            vec!["ecure.exe"]
        );
        // `(?i)k` also matches the Kelvin sign, which the ASCII-folded scan would
        // not find: some literal must still occur in such a match. Flags given
        // as modifiers reach the extraction too.
        let kelvin = "XYZ\u{212A}ILL";
        let folded = kelvin.to_ascii_lowercase();
        for re in [
            compile_regex("(?i)xyzkill", "", false).unwrap(),
            compile_regex("xyzkill", "i", false).unwrap(),
        ] {
            assert!(re.is_match(kelvin));
            let literals = regex_literals(re.as_str()).unwrap();
            assert!(
                literals.iter().any(|l| folded.contains(l.as_str())),
                "{literals:?}"
            );
        }
    }

    #[test]
    fn regex_prefilter_groups() {
        let groups = |re: &str| regex_literal_groups(re);
        let owned = |groups: &[&[&str]]| -> Vec<Vec<String>> {
            groups
                .iter()
                .map(|g| g.iter().map(|t| t.to_string()).collect())
                .collect()
        };
        // Every required run is a group, and so is an alternation whose
        // branches each require one (`$` alone loses to `input`). Under
        // `(?i)`, `s` and `k` also match `ſ` and the Kelvin sign, which the
        // ASCII-folded scan would not find: runs break there.
        assert_eq!(
            groups(r#"(?i)(?:set).*&&\s?set.*(?:environment|invoke|\$\{?input).*&&.*""#),
            owned(&[&["&&"], &["environment", "input", "invo"], &["et"]])
        );
        // Groups the prefixes imply (`.exe`, `curl|wget`) are left out.
        assert_eq!(
            groups(r"(?:curl|wget)\.exe\s+-T"),
            owned(&[&["-t"], &["curl.exe", "wget.exe"]])
        );
        // Optional pieces and branches without a literal require nothing.
        assert_eq!(groups(r"\w+(?:bcd)?\w"), Vec::<Vec<String>>::new());
        assert_eq!(groups(r"(?:abc|\d+)x"), Vec::<Vec<String>>::new());
        // Texts each regex matches hold a literal of every group, lower-cased
        // as the prefilter reads them (the Kelvin sign breaks a run).
        for (re, texts) in [
            (
                r#"(?i)(?:set).*&&\s?set.*(?:environment|invoke|\$\{?input).*&&.*""#,
                &["SET a=1&& set b=$INPUT && echo \"x", "set&&set invoke&&\""][..],
            ),
            (
                r"(?i)xyzkill\s+-(?:f|force)",
                &["XYZ\u{212A}ILL -force", "xyzKILL  -f"],
            ),
            (
                r"cmd.{0,5}(?:/c|/r).+powershell.+(?:\$?\{?input\}?|noexit)",
                &["cmd.exe /c powershell -noexit"],
            ),
        ] {
            let compiled = regex::Regex::new(re).unwrap();
            for text in texts {
                assert!(compiled.is_match(text), "{re} on {text}");
                let lowered = text.to_lowercase();
                for group in groups(re) {
                    assert!(
                        group.iter().any(|l| lowered.contains(l.as_str())),
                        "{re}: no literal of {group:?} in {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn prefilter_literals() {
        let text = |t: &str| Some(Needle::Text(t.into()));
        let p = &pat("*\\rclone.exe", &[])[0];
        assert_eq!(required_literal(p), text("\\rclone.exe"));
        // Digits as text are scanned as text; a number compared as a number is not.
        assert_eq!(
            required_literal(&pat("12345", &["contains"])[0]),
            text("12345")
        );
        let number = Modifiers::parse(&[]).unwrap();
        let as_number = compile_values(&[Scalar::Int(7)], &number, &BTreeMap::new(), &|_| {
            Box::new([])
        })
        .unwrap();
        assert_eq!(required_literal(&as_number[0]), None);
        assert_eq!(required_literal(&pat("a*b", &[])[0]), None);
        assert_eq!(required_literal(&pat("^^", &["contains"])[0]), text("^^"));
        // Cyrillic look-alikes: only the non-ASCII byte can be looked for.
        assert_eq!(
            required_literal(&pat("а", &["contains"])[0]),
            Some(Needle::NonAscii)
        );
        assert_eq!(
            required_literal(&pat("*ѕ*", &[])[0]),
            Some(Needle::NonAscii)
        );
    }
}
