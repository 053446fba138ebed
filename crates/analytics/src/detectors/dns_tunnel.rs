//! `dns_tunnel`: data carried in DNS queries. Per (host, registered domain) and
//! hour it counts unique subdomains, the length and Shannon entropy of the
//! subdomain part, the share of TXT/NULL/CNAME queries and of NXDOMAIN answers.
//! Many unique subdomains plus long or random-looking labels, or plus unusual
//! record types, is a tunnel. Reverse lookups, `.local` names and the
//! organisation's own domains are skipped, and a reversed address at the
//! front of the subdomain (a DNSBL lookup such as `4.3.2.1.zen.spamhaus.org`)
//! is not counted as data.

use crate::config::DnsTunnelConfig;
use crate::flow::new_signal;
use crate::keys::{U64Map, U64Set, domain_matches, ip_key, name_key, pair_key, registered_domain};
use crate::stats::shannon_entropy;
use model::detector::Interests;
use model::{Detector, Event, EventKind, Origin, Signal, Stage, Timestamp};
use serde_json::json;
use std::net::IpAddr;

/// Unique subdomains counted per pair and hour (beyond, the count saturates).
const MAX_UNIQUE: usize = 4096;
const MAX_ORIGINS: usize = 5;

#[derive(Debug, Default)]
struct Window {
    hour: i64,
    unique: U64Set,
    queries: u32,
    entropy_sum: f64,
    longest_label_sum: f64,
    odd_types: u32,
    nxdomain: u32,
    next_check: u32,
    alerted: bool,
    sample: Option<String>,
    origins: Vec<Origin>,
}

/// Per-feature verdict of one window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TunnelFeatures {
    /// Unique subdomains this hour.
    pub unique_subdomains: u32,
    /// Queries this hour.
    pub queries: u32,
    /// Mean entropy of the subdomain part, bits/char.
    pub mean_entropy: f64,
    /// Mean length of the longest label.
    pub mean_longest_label: f64,
    /// Share of TXT/NULL/CNAME queries.
    pub odd_type_share: f64,
    /// Share of NXDOMAIN answers.
    pub nxdomain_share: f64,
}

/// The `dns_tunnel` detector.
pub struct DnsTunnelDetector {
    config: DnsTunnelConfig,
    own_domains: Vec<String>,
    windows: U64Map<Window>,
}

impl DnsTunnelDetector {
    /// Builds the detector; `own_domains` are never judged.
    pub fn new(config: DnsTunnelConfig, own_domains: Vec<String>) -> Self {
        DnsTunnelDetector {
            config,
            own_domains,
            windows: U64Map::default(),
        }
    }

    fn skip(&self, name: &str) -> bool {
        let lower_ok = |s: &str| domain_matches(name, s);
        lower_ok("in-addr.arpa")
            || lower_ok("ip6.arpa")
            || lower_ok("local")
            || !name.contains('.')
            || self.own_domains.iter().any(|d| lower_ok(d))
    }

    fn features(w: &Window) -> TunnelFeatures {
        let q = w.queries.max(1) as f64;
        TunnelFeatures {
            unique_subdomains: w.unique.len() as u32,
            queries: w.queries,
            mean_entropy: w.entropy_sum / q,
            mean_longest_label: w.longest_label_sum / q,
            odd_type_share: w.odd_types as f64 / q,
            nxdomain_share: w.nxdomain as f64 / q,
        }
    }

    fn judge(&self, f: &TunnelFeatures) -> Option<(u8, Vec<&'static str>)> {
        let c = &self.config;
        let mut hits = Vec::new();
        if f.mean_entropy >= c.min_entropy {
            hits.push("high_entropy");
        }
        if f.mean_longest_label >= c.min_label_length {
            hits.push("long_labels");
        }
        if f.odd_type_share >= c.record_type_share {
            hits.push("txt_null_cname");
        }
        if f.nxdomain_share >= c.nxdomain_share {
            hits.push("nxdomain");
        }
        if hits.is_empty() {
            return None;
        }
        let volume = (f.unique_subdomains as f64 / c.min_unique_subdomains.max(1) as f64)
            .log2()
            .clamp(0.0, 4.0);
        let score = 45.0 + 10.0 * hits.len() as f64 + 4.0 * volume;
        Some((score.round().min(95.0) as u8, hits))
    }
}

/// `sub` without the leading labels that spell a reversed IPv4 address (four
/// decimal octets) or IPv6 address (32 hexadecimal nibbles), as DNSBL and
/// reputation lookups put them (`4.3.2.1.zen` under `spamhaus.org` leaves
/// `zen`); `sub` itself when it does not start with one.
fn strip_address_labels(sub: &str) -> &str {
    fn skip_labels(sub: &str, count: usize, is_part: fn(&str) -> bool) -> Option<&str> {
        let mut rest = sub;
        for _ in 0..count {
            let (label, after) = rest.split_once('.').unwrap_or((rest, ""));
            if !is_part(label) {
                return None;
            }
            rest = after;
        }
        Some(rest)
    }
    let octet = |label: &str| {
        (1..=3).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_digit())
            && label.parse::<u16>().is_ok_and(|n| n <= 255)
    };
    let nibble = |label: &str| label.len() == 1 && label.as_bytes()[0].is_ascii_hexdigit();
    skip_labels(sub, 32, nibble)
        .or_else(|| skip_labels(sub, 4, octet))
        .unwrap_or(sub)
}

/// The subdomain part of `name` under its registered domain (`a.b` of `a.b.x.com`).
fn subdomain<'a>(name: &'a str, registered: &str) -> &'a str {
    name.len()
        .checked_sub(registered.len() + 1)
        .and_then(|end| name.get(..end))
        .unwrap_or("")
}

impl Detector for DnsTunnelDetector {
    fn name(&self) -> &str {
        "dns_tunnel"
    }

    fn interests(&self) -> Interests {
        Interests::of(&[EventKind::Dns])
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        let Some(dns) = event.dns.as_deref() else {
            return;
        };
        let Some(qname) = dns.question_name.as_deref() else {
            return;
        };
        let qname = qname.strip_suffix('.').unwrap_or(qname);
        if self.skip(qname) {
            return;
        }
        let host_ip: Option<IpAddr> = event
            .network
            .as_deref()
            .and_then(|n| n.source_ip)
            .or(event.host_ip);
        let host_key = match (host_ip, event.host_name.as_deref()) {
            (Some(ip), _) => ip_key(ip),
            (None, Some(name)) => name_key(name),
            (None, None) => return,
        };
        let registered = registered_domain(qname);
        let mut sub = subdomain(qname, registered);
        if self.config.strip_address_labels {
            sub = strip_address_labels(sub);
        }
        if sub.is_empty() {
            return;
        }
        let hour = event.timestamp.secs().div_euclid(3600);
        let key = pair_key(host_key, name_key(registered));
        if !self.windows.contains_key(&key) && self.windows.len() >= self.config.max_pairs {
            return;
        }
        let min_unique = self.config.min_unique_subdomains.max(1);
        let w = self.windows.entry(key).or_default();
        if w.hour != hour {
            *w = Window {
                hour,
                next_check: min_unique,
                ..Window::default()
            };
        }
        w.queries += 1;
        if w.unique.len() < MAX_UNIQUE {
            w.unique.insert(name_key(sub));
        }
        let label_bytes: Vec<u8> = sub.bytes().filter(|b| *b != b'.').collect();
        w.entropy_sum += shannon_entropy(&label_bytes);
        w.longest_label_sum += sub.split('.').map(str::len).max().unwrap_or(0) as f64;
        if let Some(t) = dns.question_type.as_deref()
            && matches!(
                t.to_ascii_uppercase().as_str(),
                "TXT" | "NULL" | "CNAME" | "16" | "10" | "5"
            )
        {
            w.odd_types += 1;
        }
        if dns
            .response_code
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("NXDOMAIN") || r == "3")
        {
            w.nxdomain += 1;
        }
        if w.origins.len() < MAX_ORIGINS
            && let Some(o) = &event.origin
        {
            w.origins.push(o.clone());
        }
        if w.sample.is_none() && sub.len() >= 20 {
            w.sample = Some(qname.to_ascii_lowercase());
        }
        if w.alerted || (w.unique.len() as u32) < w.next_check {
            return;
        }
        w.next_check = w.next_check.saturating_mul(2);
        let features = Self::features(w);
        let Some((score, hits)) = self.judge(&features) else {
            return;
        };
        let w = self.windows.get_mut(&key).expect("window exists");
        w.alerted = true;
        let mut signal = new_signal(
            "dns_tunnel",
            "exfilguard.dns_tunnel.queries",
            &format!(
                "Possible DNS tunnel to {registered}: {} unique subdomains in an hour ({})",
                features.unique_subdomains,
                hits.join(", ").replace('_', " ")
            ),
            event.timestamp,
            Stage::Exfiltration,
            &["T1020", "T1048", "T1071.004"],
        );
        signal.host_name = event.host_name.clone();
        signal.host_ip = host_ip;
        signal.user_name = event.user_name.clone();
        signal.destination_domain = Some(registered.to_ascii_lowercase());
        signal.set_score(score);
        signal.transfers = Some(features.queries as u64);
        let round2 = |v: f64| (v * 100.0).round() / 100.0;
        let e = &mut signal.evidence;
        e.insert(
            "unique_subdomains".into(),
            features.unique_subdomains.into(),
        );
        e.insert("queries".into(), features.queries.into());
        e.insert("mean_entropy".into(), json!(round2(features.mean_entropy)));
        e.insert(
            "mean_longest_label".into(),
            json!(round2(features.mean_longest_label)),
        );
        e.insert(
            "txt_null_cname_share".into(),
            json!(round2(features.odd_type_share)),
        );
        e.insert(
            "nxdomain_share".into(),
            json!(round2(features.nxdomain_share)),
        );
        e.insert("indicators".into(), json!(hits));
        if let Some(sample) = &w.sample {
            e.insert("sample_query".into(), sample.clone().into());
        }
        for origin in &w.origins {
            signal.add_record(Some(origin));
        }
        signal.assign_id();
        out.push(signal);
    }

    fn advance(&mut self, watermark: Timestamp, _out: &mut Vec<Signal>) {
        if watermark == Timestamp::MAX {
            return;
        }
        let hour = watermark.secs().div_euclid(3600);
        if self.windows.len() > 1024 || hour % 6 == 0 {
            self.windows.retain(|_, w| w.hour >= hour - 1);
        }
    }
}

/// DNS queries carry no transfer: the suite feeds the event as it is.
impl crate::suite::Member for DnsTunnelDetector {}

#[cfg(test)]
mod tests {
    use super::strip_address_labels;

    #[test]
    fn reversed_addresses_are_stripped_and_other_labels_kept() {
        assert_eq!(strip_address_labels("10.126.85.93.zen"), "zen");
        assert_eq!(strip_address_labels("2.0.0.127"), "");
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl";
        assert_eq!(strip_address_labels(v6), "bl");
        // Data behind an address still counts.
        assert_eq!(
            strip_address_labels("1.2.3.4.mzxw6ytboi4dcmzv.x"),
            "mzxw6ytboi4dcmzv.x"
        );
        // Not an address: an octet out of range, too few octets, letters.
        for kept in [
            "256.1.2.3.zen",
            "1.2.3.zen",
            "1.2.3.a4.zen",
            "www",
            "1234.5.6.7",
        ] {
            assert_eq!(strip_address_labels(kept), kept);
        }
    }
}
