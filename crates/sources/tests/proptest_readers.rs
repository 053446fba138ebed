//! No reader panics on any input: random bytes, and inputs shaped like each format
//! (so that the generator gets past the sniffers into the record parsers).

use proptest::prelude::*;
use sources::{Format, JsonShape, SourceContext, ZeekEncoding, ZeekLog, open_bytes, open_bytes_as};

fn drain(name: &str, bytes: Vec<u8>) {
    let ctx = SourceContext::default();
    if let Ok((_, source)) = open_bytes(name, bytes, &ctx) {
        for record in source.take(10_000) {
            let _ = record;
        }
    }
}

fn drain_as(bytes: Vec<u8>, format: Format) {
    let ctx = SourceContext::default();
    if let Ok(source) = open_bytes_as("fuzz", bytes, format, &ctx) {
        for record in source.take(10_000) {
            let _ = record;
        }
    }
}

fn zeek_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_string()),
        Just("(empty)".to_string()),
        Just("#fields".to_string()),
        Just("#types".to_string()),
        Just("#separator \\x09".to_string()),
        Just("#set_separator".to_string()),
        Just("#unset_field".to_string()),
        Just("#path".to_string()),
        Just("ts".to_string()),
        Just("id.orig_h".to_string()),
        Just("orig_bytes".to_string()),
        Just("set[string]".to_string()),
        Just("count".to_string()),
        Just("\\x".to_string()),
        Just("\\xZZ".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        any::<u64>().prop_map(|u| u.to_string()),
        "[ -~]{0,8}",
        "\\PC{0,4}",
    ]
}

fn zeek_text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(zeek_token(), 0..80).prop_map(|tokens| {
        let mut text = String::from("#separator \\x09\n");
        for token in tokens {
            text.push_str(&token);
            if !token.starts_with('\t') && !token.starts_with('\n') {
                text.push('\t');
            }
        }
        text.into_bytes()
    })
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from("2026-01-01T00:00:00Z")),
        Just(serde_json::Value::from("-")),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![
            Just("Event".to_string()),
            Just("System".to_string()),
            Just("EventData".to_string()),
            Just("EventID".to_string()),
            Just("Channel".to_string()),
            Just("TimeCreated".to_string()),
            Just("#attributes".to_string()),
            Just("#text".to_string()),
            Just("SystemTime".to_string()),
            Just("winlog".to_string()),
            Just("event_data".to_string()),
            Just("@timestamp".to_string()),
            Just("ts".to_string()),
            Just("uid".to_string()),
            Just("_path".to_string()),
            Just("id.orig_h".to_string()),
            Just("orig_bytes".to_string()),
            Just("answers".to_string()),
            Just("dns".to_string()),
            Just("source".to_string()),
            Just("ip".to_string()),
            "[a-zA-Z_.]{1,6}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        drain("random", bytes.clone());
        let mut evtx = b"ElfFile\0".to_vec();
        evtx.extend_from_slice(&bytes);
        drain("random.evtx", evtx);
    }

    #[test]
    fn zeek_shaped_text_never_panics(bytes in zeek_text()) {
        drain("zeek", bytes.clone());
        drain_as(bytes, Format::Zeek(ZeekLog::Other, ZeekEncoding::Tsv));
    }

    #[test]
    fn json_shaped_records_never_panic(values in proptest::collection::vec(json_value(), 1..8), cut in 0usize..400) {
        let lines: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let jsonl = lines.join("\n").into_bytes();
        drain("jsonl", jsonl.clone());
        let mut truncated = jsonl;
        truncated.truncate(cut);
        drain_as(truncated, Format::Json(JsonShape::Generic));
        let array = serde_json::Value::from(values).to_string().into_bytes();
        drain("array", array);
    }
}
