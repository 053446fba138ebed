//! The prefilter against evaluating every rule, on random rules and events.
//!
//! The matcher runs a rule only when its literals were found (per field slot,
//! through the literal filter, the windows scanner or an automaton, with
//! scan and answer caches kept across events), and settles many of its tests
//! from what the scan found. Any of that may only make it faster: the rules
//! it answers must be exactly those that evaluating every routed rule on the
//! event answers. The corpus check (`CHECK=1` of the `match_profile`
//! example) holds that on real logs with SigmaHQ's rules; this test holds it
//! on generated ones, with the corners real logs seldom have: case changes,
//! characters that lower-case into ASCII or change length, wildcards,
//! `all`, `windash`, `cased`, regular expressions, keywords, negations, and
//! value lists long enough for the windows scanner.

mod common;

use model::{Event, Value};
use sigma::{RuleSetBuilder, SigmaOptions};

/// Pieces of rule values and event values.
const TOKENS: &[&str] = &[
    "cmd",
    "powershell",
    "-enc",
    "/c",
    " -e ",
    "\\temp\\",
    "rclone",
    "copy",
    ".exe",
    "mimikatz",
    "sekurlsa::",
    "whoami",
    "net use",
    "σας",
    "ΣΑΣ",
    "οδος",
    "\u{212A}iwi",
    "\u{130}nstall",
    "straße",
    "—",
    "–",
    "--",
    "::",
    "x",
    "ab",
    "http://",
    "\\\\",
    "7z",
    "a.zip",
    "Ж",
];

/// Fields rules read and events carry.
const FIELDS: &[&str] = &["CommandLine", "Image", "Description", "ParentImage"];

/// Modifier chains of a field item.
const MODIFIERS: &[&str] = &[
    "",
    "|contains",
    "|startswith",
    "|endswith",
    "|contains|all",
    "|contains|windash",
    "|contains|cased",
    "|endswith|cased",
    "|re",
    "|re|i",
];

/// Conditions over selections `sel1`..`sel3` (and `keywords` when present).
const CONDITIONS: &[&str] = &[
    "sel1",
    "sel1 and sel2",
    "1 of sel*",
    "all of sel*",
    "sel1 and not sel2",
    "(sel1 or sel2) and not sel3",
    "not sel1",
];

/// A small deterministic generator (splitmix64), seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// A token, or a few random lower-case letters (so that long value
    /// lists hold many distinct literals).
    fn token(&mut self) -> String {
        if self.chance(70) {
            return self.pick(TOKENS).to_string();
        }
        (0..3 + self.below(6))
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }

    /// `text` with the case of some letters changed.
    fn recase(&mut self, text: &str) -> String {
        text.chars()
            .flat_map(|c| {
                let flip = self.chance(30);
                let upper: Vec<char> = c.to_uppercase().collect();
                let lower: Vec<char> = c.to_lowercase().collect();
                match (flip, self.chance(50)) {
                    (false, _) => vec![c],
                    (true, true) => upper,
                    (true, false) => lower,
                }
            })
            .collect()
    }
}

/// A rule value for `modifiers`: tokens, maybe with wildcards, or a regular
/// expression over tokens.
fn rule_value(rng: &mut Rng, modifiers: &str) -> String {
    let text = if modifiers.contains("|re") {
        let a = regex::escape(&rng.token());
        let b = regex::escape(&rng.token());
        match rng.below(3) {
            0 => format!("{a}.*{b}"),
            1 => format!("(?:{a}|{b})"),
            _ => format!("^{a}"),
        }
    } else {
        let mut text = rng.token();
        if rng.chance(30) {
            text = format!("{text}{}{}", rng.pick(&["*", "?", ""]), rng.token());
        }
        rng.recase(&text)
    };
    // YAML single quotes: a quote is doubled (no token has one).
    text.replace('\'', "''")
}

/// One random rule (process_creation, or keywords for any Windows event).
fn rule(rng: &mut Rng, n: usize) -> String {
    let mut out = format!("title: random {n}\nid: 00000000-0000-0000-0000-{n:012}\n",);
    let keywords = rng.chance(15);
    out += if keywords {
        "logsource: {product: windows}\n"
    } else {
        "logsource: {product: windows, category: process_creation}\n"
    };
    out += "detection:\n";
    for sel in 1..=3 {
        out += &format!("  sel{sel}:\n");
        for _ in 0..1 + rng.below(2) {
            let field = rng.pick(FIELDS);
            let modifiers = rng.pick(MODIFIERS);
            // Now and then a long list, for the windows scanner's slots.
            let count = if rng.chance(10) {
                40 + rng.below(60)
            } else {
                1 + rng.below(4)
            };
            out += &format!("    {field}{modifiers}:\n");
            for _ in 0..count {
                out += &format!("      - '{}'\n", rule_value(rng, modifiers));
            }
        }
    }
    let condition = if keywords {
        out += "  keywords:\n";
        for _ in 0..1 + rng.below(30) {
            out += &format!("    - '{}'\n", rule_value(rng, ""));
        }
        ["keywords", "keywords and not sel1", "keywords or sel2"][rng.below(3)]
    } else {
        rng.pick(CONDITIONS)
    };
    out += &format!("  condition: {condition}\n");
    out
}

/// One random process-creation event: each field a few tokens, recased,
/// joined by random separators (or absent).
fn event(rng: &mut Rng) -> Event {
    let mut event = common::process_creation(0);
    for field in FIELDS {
        if rng.chance(10) {
            continue;
        }
        let mut value = String::new();
        for _ in 0..1 + rng.below(5) {
            value += rng.pick(&[" ", "\\", "", "-", " /"]);
            let token = rng.token();
            value += &rng.recase(&token);
        }
        event.native.push(field, Value::from(value.as_str()));
    }
    event
}

fn check(seed: u64, remember_answers: bool) -> Result<usize, String> {
    let mut rng = Rng(seed);
    let options = SigmaOptions {
        remember_answers,
        ..SigmaOptions::default()
    };
    let mut builder = RuleSetBuilder::new(options).map_err(|e| e.to_string())?;
    let yaml: Vec<String> = (0..40).map(|n| rule(&mut rng, n)).collect();
    let yaml = yaml.join("---\n");
    let rows = builder.add_yaml(&yaml, "random.yml");
    if let Some(problem) = rows.iter().find(|r| !r.is_ok()) {
        return Err(format!(
            "seed {seed}: a generated rule did not load: {problem:?}"
        ));
    }
    let set = builder.build();
    let matcher = set.matcher();
    let mut scratch = matcher.scratch();
    // Events repeat now and then, for the scan and answer caches.
    let mut seen: Vec<Event> = Vec::new();
    let mut matched = 0;
    for _ in 0..80 {
        let event = if !seen.is_empty() && rng.chance(20) {
            seen[rng.below(seen.len())].clone()
        } else {
            event(&mut rng)
        };
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        matcher.match_event(&event, &mut scratch, &mut fast);
        matcher.match_event_exhaustive(&event, &mut slow);
        if fast != slow {
            let rules: Vec<&str> = yaml.split("---\n").collect();
            let differ: Vec<u32> = fast
                .iter()
                .filter(|r| !slow.contains(r))
                .chain(slow.iter().filter(|r| !fast.contains(r)))
                .copied()
                .collect();
            let shown: Vec<&str> = differ.iter().map(|&r| rules[r as usize]).collect();
            return Err(format!(
                "seed {seed}, remember_answers {remember_answers}: prefilter {fast:?}, every rule {slow:?}\nevent: {:?}\nrules:\n{}",
                event.native,
                shown.join("---\n")
            ));
        }
        matched += fast.len();
        seen.push(event);
    }
    Ok(matched)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// On random rules and events, the prefilter answers what evaluating
    /// every rule answers, with and without remembered answers.
    #[test]
    fn the_prefilter_answers_what_every_rule_answers(seed in proptest::prelude::any::<u64>()) {
        for remember in [false, true] {
            if let Err(report) = check(seed, remember) {
                proptest::prop_assert!(false, "{}", report);
            }
        }
    }
}

/// The generated rules do fire (the comparison above is not of empty
/// answers), and some of their slots are past the literal filter's 64
/// literals, so the windows scanner is in the comparison.
#[test]
fn the_generated_rules_fire_on_the_generated_events() {
    let matched: usize = (1..=4).map(|seed| check(seed, false).unwrap()).sum();
    assert!(matched > 100, "{matched} matches");
    let mut rng = Rng(1);
    let long_lists = (0..40)
        .map(|n| rule(&mut rng, n))
        .filter(|rule| rule.matches("\n      - ").count() > 64)
        .count();
    assert!(long_lists > 0);
}
