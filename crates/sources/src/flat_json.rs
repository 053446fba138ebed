//! A reader for the common case of JSON Lines logs: one object per line whose
//! values are strings, integers, booleans or null (flat Windows exports, most
//! JSON audit logs). It builds the same [`Entries`] as `serde_json` does,
//! instead of going through serde's visitors: the line's quotes, backslashes
//! and control characters are first marked in a bitmap, sixteen bytes at a
//! time, and the strings are then read from one mark to the next, escapes
//! decoded on the way. On the EVTX corpus as flat JSON its strings cost about
//! 130 instructions each (mostly unescaping Windows paths); serde's path took
//! about a fifth more per line than the first version of this reader (190).
//!
//! It declines (returns `None`) whenever the line holds anything else: nested
//! objects, arrays, numbers with a fraction or exponent or more than 18 digits,
//! `-0`, `\u` escapes, bad syntax. The caller then parses the line with
//! `serde_json`, so every answer and every error is the one `serde_json` gives.
//! Property tests check that both build the same entries, and that arbitrary
//! text is read as `serde_json` reads it or declined.

use crate::json_entries::{Entries, Scalar};
use model::text::{is_json_special, json_special_mask};
use std::borrow::Cow;

/// The entries of `line` (already trimmed), or `None` to leave it to
/// `serde_json`.
pub(crate) fn parse(line: &str) -> Option<Entries<'_>> {
    // One bit per byte of the line, set at `"`, `\\` and control characters,
    // on the stack for lines of up to 8 KiB.
    let words = line.len().div_ceil(64);
    let mut on_stack = [0u64; STACK_WORDS];
    let mut on_heap = Vec::new();
    let specials: &mut [u64] = if words <= STACK_WORDS {
        &mut on_stack[..words]
    } else {
        on_heap.resize(words, 0);
        &mut on_heap
    };
    mark_specials(line.as_bytes(), specials);
    let mut reader = Reader {
        text: line,
        bytes: line.as_bytes(),
        specials,
        at: 0,
    };
    reader.expect(b'{')?;
    let mut entries = Vec::with_capacity(32);
    reader.skip_ws();
    if reader.peek()? == b'}' {
        reader.at += 1;
    } else {
        loop {
            reader.skip_ws();
            reader.expect(b'"')?;
            let key = reader.string()?;
            reader.skip_ws();
            reader.expect(b':')?;
            reader.skip_ws();
            let value = reader.value()?;
            entries.push((key, value));
            reader.skip_ws();
            match reader.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    reader.skip_ws();
    (reader.at == reader.bytes.len()).then_some(Entries(entries))
}

/// Words of the special-byte map kept on the stack (lines of up to 8 KiB).
const STACK_WORDS: usize = 128;

/// A line being read: its text, the same as bytes, where its special bytes
/// are, and the read position.
struct Reader<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    /// Bit `i % 64` of word `i / 64` is set when byte `i` is `"`, `\\` or a
    /// control character ([`mark_specials`]).
    specials: &'s [u64],
    at: usize,
}

impl<'a> Reader<'a, '_> {
    /// Index of the first special byte at or after `from`: a few instructions
    /// on the line's map instead of a vector search per string and per
    /// escape (strings of the flat EVTX corpus: 160 to 130 instructions
    /// each; what remains is mostly unescaping Windows paths).
    fn next_special(&self, from: usize) -> Option<usize> {
        next_special(self.specials, from)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// A string's contents after its opening quote: borrowed when it has no
    /// escapes. Control characters are refused, as JSON (and `serde_json`) do.
    /// A string with escapes is unescaped in the same pass that finds them
    /// (Windows paths have several `\\`): a second pass that searched each
    /// run between escapes again cost about 60 instructions an escape.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at;
        let mut unescaped: Option<String> = None;
        // Where the text not yet copied into `unescaped` starts.
        let mut run = start;
        loop {
            let at = self.next_special(self.at)?;
            match self.bytes[at] {
                b'"' => {
                    self.at = at + 1;
                    return Some(match unescaped {
                        None => Cow::Borrowed(&self.text[start..at]),
                        Some(mut text) => {
                            text.push_str(&self.text[run..at]);
                            Cow::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    let decoded = match self.bytes.get(at + 1)? {
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        // `\u` (and surrogate pairs) are left to serde_json.
                        _ => return None,
                    };
                    // Room for the text up to the next quote, the closing one
                    // unless an escaped quote comes first (then it grows).
                    let text = unescaped.get_or_insert_with(|| {
                        let to_quote = memchr::memchr(b'"', &self.bytes[at..]).unwrap_or(0);
                        String::with_capacity(at - start + to_quote)
                    });
                    text.push_str(&self.text[run..at]);
                    text.push(decoded);
                    self.at = at + 2;
                    run = self.at;
                }
                _ => return None,
            }
        }
    }

    fn value(&mut self) -> Option<Scalar> {
        match self.peek()? {
            b'"' => {
                self.at += 1;
                Some(Scalar::Str(self.string()?.into_owned()))
            }
            b't' => self.literal("true", Scalar::Bool(true)),
            b'f' => self.literal("false", Scalar::Bool(false)),
            b'n' => self.literal("null", Scalar::Null),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, value: Scalar) -> Option<Scalar> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            value
        })
    }

    /// An integer of at most 18 digits, as `serde_json` stores it (`u64` when
    /// not negative, else `i64`); other numbers are left to serde_json.
    fn integer(&mut self) -> Option<Scalar> {
        let negative = self.peek()? == b'-';
        let digits_start = self.at + usize::from(negative);
        let digits = self.bytes[digits_start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = digits_start + digits;
        let leading_zero = digits > 1 && self.bytes[digits_start] == b'0';
        if digits == 0 || digits > 18 || leading_zero {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(end) {
            return None;
        }
        let magnitude: u64 = self.text[digits_start..end].parse().ok()?;
        if negative && magnitude == 0 {
            // serde_json reads `-0` as the float -0.0.
            return None;
        }
        self.at = end;
        Some(Scalar::Number(if negative {
            // 18 digits fit in an i64.
            serde_json::Number::from(-(magnitude as i64))
        } else {
            serde_json::Number::from(magnitude)
        }))
    }
}

/// Index of the first set bit at or after `from` in a map of
/// [`mark_specials`].
fn next_special(specials: &[u64], from: usize) -> Option<usize> {
    let mut word = from / 64;
    let mut bits = specials.get(word)? & (u64::MAX << (from % 64));
    while bits == 0 {
        word += 1;
        bits = *specials.get(word)?;
    }
    Some(word * 64 + bits.trailing_zeros() as usize)
}

/// Sets the bit of every `"`, `\\` and control character of `bytes` in
/// `specials` (zeroed, one word per 64 bytes): sixteen bytes at a time with
/// [`model::text::json_special_mask`], the rest byte by byte.
fn mark_specials(bytes: &[u8], specials: &mut [u64]) {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 16) {
        let chunk: &[u8; 16] = chunk.try_into().expect("sixteen bytes");
        specials[at / 64] |= u64::from(json_special_mask(chunk)) << (at % 64);
        at += 16;
    }
    for (i, &b) in bytes.iter().enumerate().skip(at) {
        if is_json_special(b) {
            specials[i / 64] |= 1 << (i % 64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value as Json;

    /// What serde_json builds for the line, as entries.
    fn by_serde(line: &str) -> Option<Vec<(String, Json)>> {
        let entries: Entries = serde_json::from_str(line).ok()?;
        Some(
            entries
                .0
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_json()))
                .collect(),
        )
    }

    fn by_reader(line: &str) -> Option<Vec<(String, Json)>> {
        let entries = parse(line)?;
        Some(
            entries
                .0
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_json()))
                .collect(),
        )
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            r#""[a-z\\"/\\\\ ]{0,6}(\\\\[nrtbf/"\\\\u]|\\\\u00e9)?[a-z]{0,4}""#,
            "-?[0-9]{1,20}",
            "-?[0-9]{1,3}\\.[0-9]{1,3}",
            "[0-9]e[0-9]",
            Just("true".to_string()),
            Just("false".to_string()),
            Just("null".to_string()),
            Just("[1,\"a\"]".to_string()),
            Just("{\"n\":1}".to_string()),
            Just("tru".to_string()),
            Just("\"\u{1}\"".to_string()),
        ]
    }

    proptest! {
        /// Whenever the reader answers, it answers as serde_json does; it
        /// declines only lines that serde_json must read.
        #[test]
        fn the_reader_builds_what_serde_json_builds(
            entries in proptest::collection::vec(("[A-Za-z_]{0,8}", scalar()), 0..12),
            spaced in any::<bool>(),
            tail in prop_oneof![Just(""), Just(" "), Just("x"), Just(",")],
        ) {
            let gap = if spaced { " " } else { "" };
            let body: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{gap}{k:?}{gap}:{gap}{v}{gap}"))
                .collect();
            let line = format!("{{{}}}{tail}", body.join(","));
            if let Some(read) = by_reader(&line) {
                prop_assert_eq!(Some(read), by_serde(&line), "{}", line);
            }
            let plain = entries.iter().all(|(_, v)| {
                // `-0` is serde_json's float -0.0, left to it.
                !v.contains(['[', '{', '.', 'e', 'u', '\u{1}']) && v != "tru" && v != "-0" && v.trim_start_matches('-').len() <= 18
            });
            if plain && tail.trim().is_empty() && by_serde(&line).is_some() {
                prop_assert!(by_reader(&line).is_some(), "declined {}", line);
            }
        }
    }

    proptest! {
        /// The map finds, from every position, what a byte loop finds.
        #[test]
        fn special_bytes_are_found_as_a_byte_loop_finds_them(bytes in proptest::collection::vec(prop_oneof![0x20u8..0x7f, Just(b'"'), Just(b'\\'), 0u8..0x20, 0x80u8..=0xff], 0..300)) {
            let mut specials = vec![0u64; bytes.len().div_ceil(64)];
            mark_specials(&bytes, &mut specials);
            for from in 0..=bytes.len() {
                let expected = bytes[from..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                    .map(|i| from + i);
                prop_assert_eq!(next_special(&specials, from), expected);
            }
        }
    }

    proptest! {
        /// Arbitrary text from JSON's alphabet (most of it not JSON at all):
        /// the reader never panics, and whatever it accepts, serde_json reads
        /// the same way.
        #[test]
        fn any_text_is_read_as_serde_json_reads_it_or_declined(
            line in r#"\{[{}\[\]":,\\ /a-fnrtu0-9\-\.eE\u{e9}\u{1}]{0,60}\}?"#,
        ) {
            if let Some(read) = by_reader(&line) {
                prop_assert_eq!(Some(read), by_serde(&line), "{}", line);
            }
        }
    }

    #[test]
    fn windows_paths_and_ids_read_as_serde_json_reads_them() {
        let line = r#"{"EventID":4688,"Channel":"Security","NewProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c \"echo\"\ttab","Neg":-12,"Zero":0,"Ok":true,"None":null}"#;
        assert_eq!(by_reader(line), by_serde(line));
        assert!(by_reader(line).is_some());
        let entries = parse(line).unwrap();
        assert!(matches!(entries.0[0].0, Cow::Borrowed("EventID")));
    }

    #[test]
    fn anything_unusual_is_left_to_serde_json() {
        for line in [
            r#"{"a":"\u00e9"}"#,
            r#"{"a":1.5}"#,
            r#"{"a":12345678901234567890}"#,
            r#"{"a":[1]}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":01}"#,
            r#"{"a":1} x"#,
            r#"{"a":1,}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":"unterminated}"#,
            r#"["a"]"#,
        ] {
            assert!(parse(line).is_none(), "{line}");
        }
    }
}
