//! The one lower-casing that case-insensitive matching uses, for rule text and
//! event text alike.
//!
//! Sigma compares strings ignoring case. Both sides must be lower-cased the
//! same way, or a rule misses its own text in another case. Rust's
//! `str::to_lowercase` is context-dependent in one place, the Greek capital
//! sigma (`Σ` becomes `ς` at the end of a word, `σ` elsewhere), while
//! lower-casing character by character always gives `σ`. Rule text lowered by
//! the first and event text by the second made `ΟΔΟΣ` fail to match
//! `ΟΔΟΣ`. Here every character is lowered alone, and the final form `ς` is
//! folded to `σ` as well (as Unicode's case folding does), so `ΟΔΟΣ`,
//! `οδος` and `οδοσ` all read the same.
//!
//! Runs of ASCII are copied and lowered in bulk; only the other characters
//! go one by one (most non-ASCII values are ASCII but for a few characters,
//! such as `Microsoft® Windows®`).

/// Greek small letter final sigma, folded to [`SIGMA`].
const FINAL_SIGMA: char = 'ς';

/// Greek small letter sigma.
const SIGMA: char = 'σ';

/// `c` lowered as matching compares it (one or more characters: `İ` gives
/// `i` and a combining dot).
pub(crate) fn fold_char(c: char) -> impl Iterator<Item = char> {
    let c = if c == FINAL_SIGMA { SIGMA } else { c };
    c.to_lowercase()
}

/// Where [`fold_into`] writes: a `String`, or the bytes of one.
pub(crate) trait FoldSink {
    /// Appends `run` (ASCII) lower-cased.
    fn push_ascii_lowered(&mut self, run: &str);
    /// Appends one character.
    fn push_char(&mut self, c: char);
}

impl FoldSink for String {
    fn push_ascii_lowered(&mut self, run: &str) {
        let start = self.len();
        self.push_str(run);
        self[start..].make_ascii_lowercase();
    }

    fn push_char(&mut self, c: char) {
        self.push(c);
    }
}

impl FoldSink for Vec<u8> {
    fn push_ascii_lowered(&mut self, run: &str) {
        let start = self.len();
        self.extend_from_slice(run.as_bytes());
        self[start..].make_ascii_lowercase();
    }

    fn push_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

/// Appends `text` lowered as matching compares it to `out`.
pub(crate) fn fold_into(text: &str, out: &mut impl FoldSink) {
    if text.is_ascii() {
        out.push_ascii_lowered(text);
        return;
    }
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = ascii_prefix_len(rest.as_bytes());
        out.push_ascii_lowered(&rest[..ascii]);
        rest = &rest[ascii..];
        let Some(c) = rest.chars().next() else { break };
        fold_char(c).for_each(|lower| out.push_char(lower));
        rest = &rest[c.len_utf8()..];
    }
}

/// Whether `text` holds one of the two characters whose lower case is
/// ASCII: U+0130 (`İ`, bytes C4 B0, `i` and a combining dot) and U+212A (the
/// Kelvin sign, E2 84 AA, `k`). Text without either can be compared with an
/// ASCII text byte by byte, ignoring ASCII case; text with one cannot (the
/// Kelvin sign is three bytes and one `k`).
pub(crate) fn folds_into_ascii(text: &[u8]) -> bool {
    memchr::memchr2_iter(0xC4, 0xE2, text).any(|at| match text[at] {
        0xC4 => text.get(at + 1) == Some(&0xB0),
        _ => text.get(at + 1..at + 3) == Some(&[0x84, 0xAA][..]),
    })
}

/// Bytes of ASCII at the start of `bytes`, read eight at a time (a
/// byte-by-byte search for the first non-ASCII byte cost more than the
/// lower-casing itself on long script blocks).
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut len = 0;
    for word in words.by_ref() {
        let word = u64::from_le_bytes(word.try_into().unwrap_or([0x80; 8]));
        let high = word & HIGH_BITS;
        if high != 0 {
            return len + (high.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    len + words
        .remainder()
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(words.remainder().len())
}

/// `text` lowered as matching compares it.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// `text` lowered as matching compares it, in place when it is ASCII.
pub(crate) fn fold_in_place(text: &mut String) {
    if text.is_ascii() {
        text.make_ascii_lowercase();
    } else {
        *text = fold(text);
    }
}

/// Whether folding changes a character of `text` other than an ASCII letter
/// (most non-ASCII text, `®` say, has none, and can be read as it is once
/// its ASCII is lowered).
pub(crate) fn changes_beyond_ascii(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = &rest[ascii_prefix_len(rest.as_bytes())..];
        let Some(c) = rest.chars().next() else { break };
        if !fold_char(c).eq(std::iter::once(c)) {
            return true;
        }
        rest = &rest[c.len_utf8()..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_word_ending_in_sigma_folds_alike_in_every_case() {
        assert_eq!(fold("ΟΔΟΣ"), "οδοσ");
        assert_eq!(fold("οδος"), "οδοσ");
        assert_eq!(fold("ΟΔΟΣ ΣΟΦΟΣ"), fold("οδος σοφος"));
        // `str::to_lowercase` does not: the reason this module exists.
        assert_ne!(
            "ΟΔΟΣ".to_lowercase(),
            "ΟΔΟΣ"
                .chars()
                .flat_map(char::to_lowercase)
                .collect::<String>()
        );
    }

    #[test]
    fn ascii_runs_and_other_characters_are_lowered() {
        assert_eq!(fold("C:\\Windows\\SYSTEM32"), "c:\\windows\\system32");
        assert_eq!(fold("Microsoft® Windows®"), "microsoft® windows®");
        assert_eq!(fold("İSTANBUL"), "i\u{307}stanbul");
        assert_eq!(fold("\u{212A}elvin"), "kelvin");
        let mut bytes = Vec::new();
        fold_into("ÄBC Σ", &mut bytes);
        assert_eq!(bytes, "äbc σ".as_bytes());
    }

    #[test]
    fn changes_beyond_ascii_sees_only_characters_that_fold() {
        assert!(!changes_beyond_ascii("ABC"));
        assert!(!changes_beyond_ascii("Microsoft® Windows®"));
        assert!(changes_beyond_ascii("ä Ä"));
        assert!(changes_beyond_ascii("οδος"));
        // Already ASCII lower-cased, as the keyword scan has its joined text.
        assert!(!changes_beyond_ascii(
            "microsoft® windows® operating system"
        ));
        assert!(!changes_beyond_ascii("plain ascii"));
        assert!(!changes_beyond_ascii("straße 🦆 ünïcödé"));
        // The Kelvin sign lower-cases to an ASCII `k`, a dotted capital I to
        // `i` and a dot: a literal could appear only after folding.
        assert!(changes_beyond_ascii("mimi\u{212A}atz"));
        assert!(changes_beyond_ascii("®\u{0130}stanbul"));
        assert!(changes_beyond_ascii("σας ΣΑΣ"));
    }

    #[test]
    fn folding_in_place_is_folding() {
        for text in ["C:\\Windows", "CORP\\MÜLLER", "ΟΔΟΣ"] {
            let mut in_place = text.to_string();
            fold_in_place(&mut in_place);
            assert_eq!(in_place, fold(text));
        }
    }

    #[test]
    fn the_ascii_prefix_is_found_at_every_offset() {
        for len in 0..40 {
            for at in 0..=len {
                let mut text = "a".repeat(len);
                if at < len {
                    text.replace_range(at..at + 1, "é");
                }
                let expected = text
                    .bytes()
                    .position(|b| !b.is_ascii())
                    .unwrap_or(text.len());
                assert_eq!(ascii_prefix_len(text.as_bytes()), expected, "{len} {at}");
            }
        }
    }

    proptest! {
        /// Folding is character by character: the fold of a text is the
        /// folds of its pieces, wherever it is cut (no context, unlike
        /// `str::to_lowercase`), and folding twice changes nothing more.
        #[test]
        fn folding_has_no_context(text in "\\PC{0,40}", cut in 0usize..41) {
            let cut = (0..=cut.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let (a, b) = text.split_at(cut);
            prop_assert_eq!(fold(&text), fold(a) + &fold(b));
            prop_assert_eq!(fold(&fold(&text)), fold(&text));
        }
    }
}
