//! Hostile or random rule text never panics: it loads or becomes a lint row.

use proptest::prelude::*;
use sigma::{RuleSetBuilder, SigmaOptions};

fn lint(text: &str) -> usize {
    let mut builder = RuleSetBuilder::new(SigmaOptions::default()).unwrap();
    let rows = builder.add_yaml(text, "fuzz.yml");
    let set = builder.build();
    rows.len() + set.rules().len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_is_a_row_not_a_panic(text in "\\PC{0,300}") {
        lint(&text);
    }

    #[test]
    fn arbitrary_conditions_and_values(
        condition in "[a-z_* ()]{0,40}|(not |1 of |all of )?[a-z_*]{1,8}( (and|or) (not )?[a-z_*]{1,8}){0,4}",
        modifiers in prop::collection::vec(
            prop::sample::select(vec![
                "contains", "startswith", "endswith", "all", "re", "i", "base64",
                "base64offset", "wide", "utf16be", "windash", "cidr", "gt", "lte",
                "exists", "expand", "fieldref", "cased", "neq", "hour", "bogus",
            ]),
            0..4,
        ),
        value in "\\PC{0,24}",
    ) {
        let key = std::iter::once("Field").chain(modifiers.iter().copied()).collect::<Vec<_>>().join("|");
        let yaml = format!(
            "title: fuzz\nlogsource: {{product: windows}}\ndetection:\n  sel:\n    '{key}': {value:?}\n  filter_x:\n    Other: '{value}'\n  condition: {condition}\n"
        );
        lint(&yaml);
    }

    #[test]
    fn arbitrary_correlations(
        kind in prop::sample::select(vec!["event_count", "value_count", "temporal", "temporal_ordered", "value_sum", "value_avg", "value_percentile", "nope"]),
        timespan in "[0-9]{0,4}[smhdwxM]?",
        op in prop::sample::select(vec!["gte", "lt", "eq", "field", "percentile", "zz"]),
        n in "[0-9a-z.-]{0,6}",
    ) {
        let yaml = format!(
            "title: base\nname: base\nlogsource: {{product: windows}}\ndetection:\n  sel: {{a: b}}\n  condition: sel\n---\ntitle: corr\ncorrelation:\n  type: {kind}\n  rules: [base, base]\n  group-by: [a]\n  timespan: '{timespan}'\n  condition: {{{op}: '{n}'}}\n"
        );
        lint(&yaml);
    }
}

/// A naive reference for Sigma wildcards: the pattern as an anchored,
/// case-insensitive regex.
fn reference(pattern: &str, text: &str) -> bool {
    let mut re = String::from("(?is)^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                re.push_str(&regex::escape(&chars.next().unwrap().to_string()));
            }
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap().is_match(text)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Wildcard values match exactly what the reference says, through the whole
    /// engine (routing, prefilter, compiled test).
    #[test]
    fn wildcards_agree_with_a_regex_reference(
        pattern in "[abAB*?\\\\.]{0,8}",
        text in "[abAB\\\\.]{0,10}",
    ) {
        let quoted = pattern.replace('\'', "''");
        let yaml = format!(
            "title: w\nlogsource: {{product: windows}}\ndetection:\n  sel:\n    Field: '{quoted}'\n  condition: sel\n"
        );
        let mut builder = RuleSetBuilder::new(SigmaOptions::default()).unwrap();
        let rows = builder.add_yaml(&yaml, "w.yml");
        prop_assert!(rows[0].is_ok(), "{:?}", rows);
        let set = builder.build();
        let mut event = model::Event {
            logsource: model::LogSource::new(Some("windows"), None, None),
            ..Default::default()
        };
        event.native.push("Field", model::Value::from(text.as_str()));
        let mut scratch = set.matcher().scratch();
        let mut hits = Vec::new();
        set.matcher().match_event(&event, &mut scratch, &mut hits);
        prop_assert_eq!(!hits.is_empty(), reference(&pattern, &text), "pattern {:?} text {:?}", pattern, text);
    }
}
