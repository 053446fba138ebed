//! A reader for the common case of JSON Lines logs: one object per line whose
//! values are strings, integers, booleans or null (flat Windows exports, most
//! JSON audit logs). It builds the same [`Entries`] as `serde_json` does, in a
//! single pass that looks at eight bytes of a string at a time, instead of
//! going through serde's visitors: on the EVTX corpus as flat JSON, its
//! strings cost about 190 instructions each, and serde's path took about a
//! fifth more per line.
//!
//! It declines (returns `None`) whenever the line holds anything else: nested
//! objects, arrays, numbers with a fraction or exponent or more than 18 digits,
//! `-0`, `\u` escapes, bad syntax. The caller then parses the line with
//! `serde_json`, so every answer and every error is the one `serde_json` gives.
//! Property tests check that both build the same entries, and that arbitrary
//! text is read as `serde_json` reads it or declined.

use crate::json_entries::Entries;
use serde_json::Value as Json;
use std::borrow::Cow;

/// The entries of `line` (already trimmed), or `None` to leave it to
/// `serde_json`.
pub(crate) fn parse(line: &str) -> Option<Entries<'_>> {
    let mut reader = Reader {
        text: line,
        bytes: line.as_bytes(),
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

/// A line being read: its text, the same as bytes, and the read position.
struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
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
            let at = self.at + special_byte(&self.bytes[self.at..])?;
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

    fn value(&mut self) -> Option<Json> {
        match self.peek()? {
            b'"' => {
                self.at += 1;
                Some(Json::String(self.string()?.into_owned()))
            }
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Option<Json> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            value
        })
    }

    /// An integer of at most 18 digits, as `serde_json` stores it (`u64` when
    /// not negative, else `i64`); other numbers are left to serde_json.
    fn integer(&mut self) -> Option<Json> {
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
        Some(if negative {
            // 18 digits fit in an i64.
            Json::from(-(magnitude as i64))
        } else {
            Json::from(magnitude)
        })
    }
}

/// Index of the first `"`, `\\` or control character in `bytes`: sixteen
/// bytes at a time with SSE2 (every x86-64 has it), the last few eight at a
/// time. A string value is 30-40 bytes, too short for `memchr`'s vector loop
/// to pay for its setup; the eight-byte loop alone cost about 160
/// instructions a string, a tenth of reading a flat Windows export.
#[cfg(target_arch = "x86_64")]
fn special_byte(bytes: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut chunks = bytes.chunks_exact(16);
    let mut at = 0;
    // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics are
    // always available; each load reads one `chunk`, sixteen bytes in bounds
    // (unaligned loads).
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below_space = _mm_set1_epi8(0x1F);
        for chunk in &mut chunks {
            let word = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let quotes = _mm_cmpeq_epi8(word, quote);
            let backslashes = _mm_cmpeq_epi8(word, backslash);
            // A byte is a control character when min(byte, 0x1F) is the byte.
            let controls = _mm_cmpeq_epi8(_mm_min_epu8(word, below_space), word);
            let special = _mm_or_si128(_mm_or_si128(quotes, backslashes), controls);
            let found = _mm_movemask_epi8(special);
            if found != 0 {
                return Some(at + found.trailing_zeros() as usize);
            }
            at += 16;
        }
    }
    special_byte_by_words(chunks.remainder()).map(|i| at + i)
}

/// [`special_byte`] where SSE2 is not there.
#[cfg(not(target_arch = "x86_64"))]
fn special_byte(bytes: &[u8]) -> Option<usize> {
    special_byte_by_words(bytes)
}

/// Index of the first `"`, `\\` or control character in `bytes`, eight bytes
/// at a time.
fn special_byte_by_words(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `word` that is zero; the lowest one set is
    // exact (a borrow only marks bytes above a true zero).
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = zero_bytes(word ^ (ONES * u64::from(b'"')));
        let backslash = zero_bytes(word ^ (ONES * u64::from(b'\\')));
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let found = quote | backslash | control;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde_json builds for the line, as entries.
    fn by_serde(line: &str) -> Option<Vec<(String, Json)>> {
        let entries: Entries = serde_json::from_str(line).ok()?;
        Some(
            entries
                .0
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v))
                .collect(),
        )
    }

    fn by_reader(line: &str) -> Option<Vec<(String, Json)>> {
        let entries = parse(line)?;
        Some(
            entries
                .0
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v))
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
        /// The word-at-a-time search finds what a byte loop finds.
        #[test]
        fn special_bytes_are_found_as_a_byte_loop_finds_them(bytes in proptest::collection::vec(prop_oneof![0x20u8..0x7f, Just(b'"'), Just(b'\\'), 0u8..0x20, 0x80u8..=0xff], 0..80)) {
            let expected = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(special_byte(&bytes), expected);
            prop_assert_eq!(special_byte_by_words(&bytes), expected);
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
