//! Small text tests shared by the readers and the observer.

/// Whether `needle` occurs in `haystack`, ignoring ASCII case, without
/// lower-casing a copy of either (channel and provider names, on every event).
pub fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
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
    }
}
