//! The string operators and keywords against a plain model of what they mean.
//!
//! The same-answer tests hold the prefilter to evaluation; this one holds
//! evaluation itself to the definitions: with case ignored (both sides
//! lowered character by character, `ς` read as `σ`), `contains` is a
//! substring, `startswith` a prefix, `endswith` a suffix, a bare value
//! equality, and a keyword a substring of any one text value of the event
//! (never of two values run together, and never of a number).

mod common;

use common::model_lowercase as lowered;
use model::{Event, Value};
use proptest::prelude::*;
use sigma::{RuleSetBuilder, SigmaOptions};

/// Pieces of values and of rule text: no Sigma wildcard or escape.
const PIECES: &[&str] = &[
    "cmd", "Power", "shell", " -e", "/c", ".exe", "x", "ab", "AB", "σας", "ΣΑΣ", "ς", "\u{212A}",
    "k", "K", "\u{130}", "i", "ß", "Ж", "ж", "é", "É", " ", "-", ":", "7",
];

fn text(pieces: &[&str]) -> String {
    pieces.concat()
}

fn event(command: &str, description: &str, port: i64) -> Event {
    let mut event = common::process_creation(0);
    event.native.push("CommandLine", Value::from(command));
    event.native.push("Description", Value::from(description));
    event.native.push("DestinationPort", Value::Int(port));
    event
}

fn rules(needle: &str) -> String {
    let quoted = needle.replace('\'', "''");
    let rule = |n: usize, detection: &str| {
        format!(
            "title: model {n}\nid: 22222222-0000-0000-0000-{n:012}\nlogsource: {{product: windows, category: process_creation}}\ndetection:\n{detection}  condition: selection\n"
        )
    };
    [
        rule(
            0,
            &format!("  selection:\n    CommandLine|contains: '{quoted}'\n"),
        ),
        rule(
            1,
            &format!("  selection:\n    CommandLine|startswith: '{quoted}'\n"),
        ),
        rule(
            2,
            &format!("  selection:\n    CommandLine|endswith: '{quoted}'\n"),
        ),
        rule(3, &format!("  selection:\n    CommandLine: '{quoted}'\n")),
        rule(4, &format!("  selection:\n    - '{quoted}'\n")),
    ]
    .join("---\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn operators_and_keywords_answer_as_their_definitions(
        needle in proptest::collection::vec(proptest::sample::select(PIECES), 1..4),
        command in proptest::collection::vec(proptest::sample::select(PIECES), 0..8),
        description in proptest::collection::vec(proptest::sample::select(PIECES), 0..4),
        port in 0i64..100_000,
    ) {
        let (needle, command, description) = (text(&needle), text(&command), text(&description));
        let mut builder = RuleSetBuilder::new(SigmaOptions::default()).unwrap();
        let rows = builder.add_yaml(&rules(&needle), "model.yml");
        prop_assert!(rows.iter().all(|r| r.is_ok()), "{:?}", rows);
        let set = builder.build();
        let matcher = set.matcher();
        let mut scratch = matcher.scratch();
        let event = event(&command, &description, port);
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        matcher.match_event(&event, &mut scratch, &mut fast);
        matcher.match_event_exhaustive(&event, &mut slow);

        let (n, c, d) = (lowered(&needle), lowered(&command), lowered(&description));
        let mut expected = Vec::new();
        for (rule, holds) in [
            (0, c.contains(&n)),
            (1, c.starts_with(&n)),
            (2, c.ends_with(&n)),
            (3, c == n),
            // Keywords: one text value at a time (the port is a number).
            (4, c.contains(&n) || d.contains(&n)),
        ] {
            if holds {
                expected.push(rule);
            }
        }
        prop_assert_eq!(&slow, &expected, "needle {:?} command {:?} description {:?}", needle, command, description);
        prop_assert_eq!(fast, slow);
    }
}
