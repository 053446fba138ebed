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
}
