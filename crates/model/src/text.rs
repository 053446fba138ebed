//! Small text tests shared by the readers and the observer.

/// Whether `needle` occurs in `haystack`, ignoring ASCII case, without
/// lower-casing a copy of either (channel and provider names, on every event).
///
/// Candidates are found with `memchr2` on the needle's first byte in both
/// cases: comparing every window was about 570 instructions a call on the
/// provider and channel names of a Windows event, paid on every event.
pub fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last_start) = haystack.len().checked_sub(needle.len()) else {
        return false;
    };
    let starts = &haystack[..=last_start];
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lower, upper, starts)
        .any(|at| haystack[at + 1..at + needle.len()].eq_ignore_ascii_case(rest))
}

/// Whether `byte` must be escaped in a JSON string: `"`, `\\` or a control
/// character.
pub fn is_json_special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// The bytes of `chunk` that [`is_json_special`] marks, as a 16-bit mask (bit
/// `i` for byte `i`): one SSE2 comparison (every x86-64 has it) where a byte
/// loop would take sixteen. The JSON reader marks a line's strings with it,
/// and the JSONL writer finds what to escape.
#[cfg(target_arch = "x86_64")]
pub fn json_special_mask(chunk: &[u8; 16]) -> u16 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline; the load reads `chunk`,
    // sixteen bytes (an unaligned load).
    let mask = unsafe {
        let word = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
        let quotes = _mm_cmpeq_epi8(word, _mm_set1_epi8(b'"' as i8));
        let backslashes = _mm_cmpeq_epi8(word, _mm_set1_epi8(b'\\' as i8));
        // A control character is one that min(byte, 0x1F) leaves as it is.
        let below_space = _mm_set1_epi8(0x1F);
        let controls = _mm_cmpeq_epi8(_mm_min_epu8(word, below_space), word);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quotes, backslashes), controls))
    };
    mask as u16
}

/// [`json_special_mask`] where SSE2 is not there.
#[cfg(not(target_arch = "x86_64"))]
pub fn json_special_mask(chunk: &[u8; 16]) -> u16 {
    chunk.iter().enumerate().fold(0, |mask, (i, &b)| {
        mask | (u16::from(is_json_special(b)) << i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_needle_in_any_case() {
        assert!(contains_ignore_ascii_case(
            "Microsoft-Windows-Sysmon/Operational",
            "sysmon/operational"
        ));
        assert!(!contains_ignore_ascii_case("Security", "sysmon"));
        assert!(!contains_ignore_ascii_case("", "a"));
        assert!(contains_ignore_ascii_case("abc", ""));
        assert!(contains_ignore_ascii_case("xxPCAP", "pcap"));
        assert!(contains_ignore_ascii_case("pcap", "PCAP"));
        assert!(!contains_ignore_ascii_case("pca", "pcap"));
        assert!(!contains_ignore_ascii_case("ppcaq pcax", "pcap"));
    }

    proptest::proptest! {
        /// The same answer as lower-casing both and searching.
        #[test]
        fn agrees_with_lowercased_search(haystack in "[aAbB/ é]{0,12}", needle in "[aAbB/ é]{0,3}") {
            let expected = haystack.to_ascii_lowercase().contains(&needle.to_ascii_lowercase());
            proptest::prop_assert_eq!(contains_ignore_ascii_case(&haystack, &needle), expected);
        }
    }

    proptest::proptest! {
        /// The vector mask marks what a byte loop marks.
        #[test]
        fn json_special_mask_marks_what_a_byte_loop_marks(chunk in proptest::array::uniform16(proptest::prelude::any::<u8>())) {
            let mask = json_special_mask(&chunk);
            for (i, &b) in chunk.iter().enumerate() {
                proptest::prop_assert_eq!(mask >> i & 1 == 1, is_json_special(b));
            }
        }
    }
}
