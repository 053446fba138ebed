//! Cheap, stable keys for entities and destinations, and registered domains.
//!
//! State is keyed by 64-bit hashes so that the hot path never allocates: an IP
//! address or a host name is folded into a `u64` (case-insensitive for names), and
//! maps use [`U64Map`], whose hasher only mixes an already-hashed key.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

/// A hasher for keys that are already good 64-bit hashes (one multiply to spread).
#[derive(Clone, Copy, Debug, Default)]
pub struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
}

/// A map from pre-hashed `u64` keys.
pub type U64Map<V> = HashMap<u64, V, BuildHasherDefault<PrehashedHasher>>;
/// A set of pre-hashed `u64` keys.
pub type U64Set = HashSet<u64, BuildHasherDefault<PrehashedHasher>>;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Final avalanche so that nearby inputs (consecutive IPs) spread over the table.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The key of a name, ASCII case-insensitive, ignoring one trailing dot.
pub fn name_key(name: &str) -> u64 {
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut h = FNV_OFFSET ^ 0x6e61_6d65;
    for b in name.bytes() {
        h = (h ^ b.to_ascii_lowercase() as u64).wrapping_mul(FNV_PRIME);
    }
    mix(h)
}

/// The key of an IP address (IPv4-mapped IPv6 folds to IPv4).
pub fn ip_key(ip: IpAddr) -> u64 {
    match model::net::canonical(ip) {
        IpAddr::V4(v4) => mix(u32::from(v4) as u64 ^ 0x4000_0000_0000_0000),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            mix((bits as u64) ^ mix((bits >> 64) as u64) ^ 0x6000_0000_0000_0000)
        }
    }
}

/// Combines two keys into one (order matters).
pub fn pair_key(a: u64, b: u64) -> u64 {
    mix(a.rotate_left(17) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Second-level labels under which registrations happen one level deeper
/// (`example.co.uk`); a compact stand-in for the public suffix list that covers the
/// common country-code patterns.
const SECOND_LEVEL: [&str; 14] = [
    "co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil", "nom", "ltd",
];

/// Hosting suffixes where each customer name is its own registered domain.
const SHARED_SUFFIXES: [&str; 12] = [
    "amazonaws.com",
    "cloudfront.net",
    "azurewebsites.net",
    "blob.core.windows.net",
    "appspot.com",
    "herokuapp.com",
    "github.io",
    "ngrok.io",
    "ngrok-free.app",
    "workers.dev",
    "pages.dev",
    "duckdns.org",
];

/// The registered domain of `name` (`a.b.example.com` -> `example.com`,
/// `x.example.co.uk` -> `example.co.uk`, `bucket.s3.amazonaws.com` kept per
/// customer). Returns the name itself for single labels and IP literals.
pub fn registered_domain(name: &str) -> &str {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.parse::<IpAddr>().is_ok() {
        return name;
    }
    for suffix in SHARED_SUFFIXES {
        if let Some(head) = strip_suffix_ci(name, suffix)
            && let Some(head) = head.strip_suffix('.')
        {
            let start = head.rfind('.').map(|i| i + 1).unwrap_or(0);
            return &name[start..];
        }
    }
    let dots: Vec<usize> = name.match_indices('.').map(|(i, _)| i).collect();
    if dots.is_empty() {
        return name;
    }
    let last = dots[dots.len() - 1];
    let tld = &name[last + 1..];
    let keep = if dots.len() >= 2 {
        let second = &name[dots[dots.len() - 2] + 1..last];
        let cc = tld.len() == 2;
        if cc && SECOND_LEVEL.iter().any(|s| s.eq_ignore_ascii_case(second)) {
            3
        } else {
            2
        }
    } else {
        2
    };
    if dots.len() < keep {
        return name;
    }
    &name[dots[dots.len() - keep] + 1..]
}

fn strip_suffix_ci<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    if name.len() < suffix.len() {
        return None;
    }
    let split = name.len() - suffix.len();
    if !name.is_char_boundary(split) {
        return None;
    }
    let (head, tail) = name.split_at(split);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

/// Whether `name` equals `suffix` or ends with `.suffix` (case-insensitive).
pub fn domain_matches(name: &str, suffix: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let suffix = suffix.trim_start_matches('.');
    match strip_suffix_ci(name, suffix) {
        Some("") => true,
        Some(head) => head.ends_with('.'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_domains() {
        assert_eq!(registered_domain("a.b.example.com"), "example.com");
        assert_eq!(registered_domain("example.com."), "example.com");
        assert_eq!(registered_domain("x.example.co.uk"), "example.co.uk");
        assert_eq!(registered_domain("www.example.de"), "example.de");
        assert_eq!(
            registered_domain("files.bucket1.s3.amazonaws.com"),
            "s3.amazonaws.com"
        );
        assert_eq!(registered_domain("evil.ngrok.io"), "evil.ngrok.io");
        assert_eq!(registered_domain("localhost"), "localhost");
        assert_eq!(registered_domain("10.1.2.3"), "10.1.2.3");
    }

    #[test]
    fn keys_are_case_insensitive_and_distinct() {
        assert_eq!(name_key("Example.COM"), name_key("example.com."));
        assert_ne!(name_key("a.com"), name_key("b.com"));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(mapped));
        assert_ne!(pair_key(1, 2), pair_key(2, 1));
    }

    #[test]
    fn suffix_match_respects_labels() {
        assert!(domain_matches("backup.example.net", "example.net"));
        assert!(domain_matches("example.net", "example.net"));
        assert!(!domain_matches("badexample.net", "example.net"));
        assert!(domain_matches("A.Example.NET.", ".example.net"));
    }
}
