//! Local threat-intelligence feeds, loaded offline when the detectors are built
//! (`[intel] feeds`), and the `intel` detector that matches destinations.
//!
//! Formats, sniffed per file:
//! * plain lists: one IP, CIDR, domain or URL per line; `#` starts a comment;
//! * STIX 2.1 bundles (JSON with `"type": "bundle"`): `indicator` objects whose
//!   `pattern` compares `ipv4-addr:value`, `ipv6-addr:value`, `domain-name:value`
//!   or `url:value` (each comparison in an `OR` pattern counts);
//! * MISP CSV exports: a header with `type` and `value` columns (`ip-dst`,
//!   `ip-src`, `domain`, `hostname`, `url`, `ip-dst|port`, ...).

use crate::AnalyticsError;
use crate::config::IntelDetectorConfig;
use crate::flow::{FastNetworks, Transfer, new_signal};
use crate::keys::{U64Map, domain_matches, name_key, pair_key};
use crate::suite::Member;
use ipnet::IpNet;
use model::detector::Interests;
use model::{Detector, Event, EventKind, Networks, Signal, Stage, Timestamp};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

/// Where an indicator came from, for the evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorSource {
    /// The feed file.
    pub feed: String,
    /// The indicator as written.
    pub indicator: String,
    /// A name or description, when the feed gave one (STIX `name`, MISP `comment`).
    pub label: Option<String>,
}

/// All indicators of all feeds.
#[derive(Clone, Debug, Default)]
pub struct IntelSet {
    ips: HashMap<IpAddr, IndicatorSource>,
    nets: Vec<(IpNet, IndicatorSource)>,
    domains: HashMap<String, IndicatorSource>,
    /// Lines or entries that were not indicators, per feed (reported, not fatal).
    pub skipped: Vec<(String, usize)>,
}

impl IntelSet {
    /// Number of indicators loaded.
    pub fn len(&self) -> usize {
        self.ips.len() + self.nets.len() + self.domains.len()
    }

    /// Whether no indicator was loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Loads every feed of the config (paths relative to the config's folder).
    pub fn load(config: &model::Config) -> Result<Self, AnalyticsError> {
        let mut set = IntelSet::default();
        for feed in &config.intel.feeds {
            let path = config.resolve_path(feed);
            set.load_file(&path)?;
        }
        Ok(set)
    }

    /// Loads one feed file, sniffing its format.
    pub fn load_file(&mut self, path: &Path) -> Result<(), AnalyticsError> {
        let text = std::fs::read_to_string(path).map_err(|e| AnalyticsError::Feed {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let feed = path.display().to_string();
        let trimmed = text.trim_start();
        let skipped = if trimmed.starts_with('{') {
            self.load_stix(&text, &feed)?
        } else if is_misp_header(trimmed.lines().next().unwrap_or("")) {
            self.load_misp(&text, &feed)?
        } else {
            self.load_lines(&text, &feed)
        };
        if skipped > 0 {
            self.skipped.push((feed, skipped));
        }
        Ok(())
    }

    /// Adds one indicator (IP, CIDR, domain or URL); false when it is none of them.
    pub fn add(&mut self, indicator: &str, source: IndicatorSource) -> bool {
        let value = indicator.trim().trim_matches(|c| c == '\'' || c == '"');
        if value.is_empty() {
            return false;
        }
        if let Ok(ip) = value.parse::<IpAddr>() {
            self.ips.insert(model::net::canonical(ip), source);
            return true;
        }
        if let Ok(net) = value.parse::<IpNet>() {
            self.nets.push((net, source));
            return true;
        }
        let host = url_host(value).unwrap_or(value);
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.parse::<IpAddr>().is_ok() {
            return self.add(&host, source);
        }
        let valid = host.contains('.')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
        if valid {
            self.domains.insert(host, source);
        }
        valid
    }

    fn load_lines(&mut self, text: &str, feed: &str) -> usize {
        let mut skipped = 0;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let value = line.split([',', ' ', '\t']).next().unwrap_or(line);
            let source = IndicatorSource {
                feed: feed.to_string(),
                indicator: value.to_string(),
                label: None,
            };
            if !self.add(value, source) {
                skipped += 1;
            }
        }
        skipped
    }

    fn load_stix(&mut self, text: &str, feed: &str) -> Result<usize, AnalyticsError> {
        let bad = |message: String| AnalyticsError::Feed {
            path: feed.to_string(),
            message,
        };
        let doc: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let objects = match doc.get("objects").and_then(|o| o.as_array()) {
            Some(objects) => objects.clone(),
            None if doc.get("type").and_then(|t| t.as_str()) == Some("indicator") => vec![doc],
            None => return Err(bad("a STIX 2.1 bundle needs an \"objects\" list".into())),
        };
        let mut skipped = 0;
        for object in &objects {
            if object.get("type").and_then(|t| t.as_str()) != Some("indicator") {
                continue;
            }
            let Some(pattern) = object.get("pattern").and_then(|p| p.as_str()) else {
                skipped += 1;
                continue;
            };
            let label = object
                .get("name")
                .or_else(|| object.get("description"))
                .and_then(|n| n.as_str())
                .map(str::to_string);
            let values = stix_values(pattern);
            if values.is_empty() {
                skipped += 1;
            }
            for value in values {
                let source = IndicatorSource {
                    feed: feed.to_string(),
                    indicator: value.clone(),
                    label: label.clone(),
                };
                if !self.add(&value, source) {
                    skipped += 1;
                }
            }
        }
        Ok(skipped)
    }

    fn load_misp(&mut self, text: &str, feed: &str) -> Result<usize, AnalyticsError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| AnalyticsError::Feed {
                path: feed.to_string(),
                message: format!("MISP CSV header: {e}"),
            })?
            .clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let (Some(type_col), Some(value_col)) = (col("type"), col("value")) else {
            return Ok(0);
        };
        let comment_col = col("comment");
        let mut skipped = 0;
        for record in reader.records() {
            let Ok(record) = record else {
                skipped += 1;
                continue;
            };
            let kind = record.get(type_col).unwrap_or("").trim();
            let value = record.get(value_col).unwrap_or("").trim();
            let wanted = matches!(
                kind,
                "ip-dst"
                    | "ip-src"
                    | "domain"
                    | "hostname"
                    | "url"
                    | "uri"
                    | "ip-dst|port"
                    | "domain|ip"
                    | "hostname|port"
            );
            if !wanted {
                continue;
            }
            let label = comment_col
                .and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            let first = value.split('|').next().unwrap_or(value);
            let source = IndicatorSource {
                feed: feed.to_string(),
                indicator: value.to_string(),
                label,
            };
            if !self.add(first, source) {
                skipped += 1;
            }
        }
        Ok(skipped)
    }

    /// The indicator an IP address matches.
    pub fn match_ip(&self, ip: IpAddr) -> Option<&IndicatorSource> {
        let ip = model::net::canonical(ip);
        self.ips.get(&ip).or_else(|| {
            self.nets
                .iter()
                .find(|(n, _)| n.contains(&ip))
                .map(|(_, s)| s)
        })
    }

    /// The indicator a domain matches (the domain itself or a parent domain).
    pub fn match_domain(&self, name: &str) -> Option<&IndicatorSource> {
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        let mut rest = lower.as_str();
        loop {
            if let Some(source) = self.domains.get(rest) {
                debug_assert!(domain_matches(&lower, rest));
                return Some(source);
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => return None,
            }
        }
    }
}

fn is_misp_header(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    let cols: Vec<&str> = lower
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    cols.contains(&"type") && cols.contains(&"value")
}

/// The host of a URL (`https://x.example/a` -> `x.example`).
fn url_host(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?;
    if host.starts_with('[') {
        return host.split(']').next().map(|h| h.trim_start_matches('['));
    }
    Some(host.split(':').next().unwrap_or(host))
}

/// The compared values of a STIX pattern (`[ipv4-addr:value = '1.2.3.4' OR ...]`).
fn stix_values(pattern: &str) -> Vec<String> {
    const OBJECTS: [&str; 4] = [
        "ipv4-addr:value",
        "ipv6-addr:value",
        "domain-name:value",
        "url:value",
    ];
    let mut values = Vec::new();
    for object in OBJECTS {
        let mut rest = pattern;
        while let Some(pos) = rest.find(object) {
            rest = &rest[pos + object.len()..];
            let after = rest.trim_start();
            let Some(after) = after.strip_prefix('=') else {
                continue;
            };
            let after = after.trim_start();
            let Some(after) = after.strip_prefix('\'') else {
                continue;
            };
            if let Some(end) = after.find('\'') {
                values.push(after[..end].replace("\\'", "'"));
            }
        }
    }
    values
}

/// The `intel` detector.
pub struct IntelDetector {
    config: IntelDetectorConfig,
    networks: FastNetworks,
    set: IntelSet,
    seen: U64Map<i64>,
}

impl IntelDetector {
    /// Builds the detector over loaded feeds.
    pub fn new(config: IntelDetectorConfig, networks: Networks, set: IntelSet) -> Self {
        IntelDetector {
            config,
            networks: FastNetworks::new(&networks),
            set,
            seen: U64Map::default(),
        }
    }

    fn hit<'t, 'e>(
        &self,
        event: &'e Event,
        transfer: Option<&'t Transfer<'e>>,
    ) -> Option<(IndicatorSource, Option<&'t Transfer<'e>>)> {
        if let Some(t) = transfer {
            let hit = t
                .dest_ip
                .and_then(|ip| self.set.match_ip(ip))
                .or_else(|| t.dest_name.and_then(|n| self.set.match_domain(n)));
            return hit.map(|h| (h.clone(), Some(t)));
        }
        let name = event
            .dns
            .as_deref()
            .and_then(|d| d.question_name.as_deref())?;
        self.set.match_domain(name).map(|h| (h.clone(), None))
    }
}

impl Detector for IntelDetector {
    fn name(&self) -> &str {
        "intel"
    }

    fn interests(&self) -> Interests {
        if self.set.is_empty() {
            Interests::NONE
        } else {
            Interests::of(&[
                EventKind::Network,
                EventKind::Http,
                EventKind::Dns,
                EventKind::Tls,
            ])
        }
    }

    fn observe(&mut self, event: &Event, out: &mut Vec<Signal>) {
        if self.set.is_empty() {
            return;
        }
        let transfer = Transfer::from_event(event, &self.networks);
        self.observe_with(event, transfer.as_ref(), out);
    }

    fn advance(&mut self, watermark: Timestamp, _out: &mut Vec<Signal>) {
        if self.seen.len() > 10_000 && watermark != Timestamp::MAX {
            let horizon = watermark.secs() - self.config.realert_hours as i64 * 3600;
            self.seen.retain(|_, last| *last >= horizon);
        }
    }
}

impl Member for IntelDetector {
    fn observe_with(
        &mut self,
        event: &Event,
        transfer: Option<&Transfer<'_>>,
        out: &mut Vec<Signal>,
    ) {
        if self.set.is_empty() {
            return;
        }
        let Some((hit, transfer)) = self.hit(event, transfer) else {
            return;
        };
        let host = event
            .network
            .as_deref()
            .and_then(|n| n.source_ip)
            .map(|ip| ip.to_string())
            .or_else(|| event.host_name.clone())
            .unwrap_or_default();
        let key = pair_key(name_key(&host), name_key(&hit.indicator));
        let now = event.timestamp.secs();
        if self
            .seen
            .get(&key)
            .is_some_and(|last| now - last < self.config.realert_hours as i64 * 3600)
        {
            return;
        }
        if self.seen.len() > 100_000 {
            self.seen.clear();
        }
        self.seen.insert(key, now);
        let bytes_out = transfer.as_ref().map(|t| t.bytes_out).unwrap_or(0);
        let what = match &hit.label {
            Some(label) => format!("{} ({label})", hit.indicator),
            None => hit.indicator.clone(),
        };
        let mut signal = new_signal(
            "intel",
            if transfer.is_some() {
                "exfilguard.intel.destination"
            } else {
                "exfilguard.intel.dns_lookup"
            },
            &format!("Destination listed in threat intel: {what}"),
            event.timestamp,
            Stage::Exfiltration,
            if transfer.is_some() {
                &["T1020", "T1041"]
            } else {
                &["T1071.004"]
            },
        );
        match &transfer {
            Some(t) => t.describe(&mut signal),
            None => {
                signal.host_name = event.host_name.clone();
                signal.host_ip = event
                    .network
                    .as_deref()
                    .and_then(|n| n.source_ip)
                    .or(event.host_ip);
                signal.destination_domain =
                    event.dns.as_deref().and_then(|d| d.question_name.clone());
            }
        }
        let score = if bytes_out >= 1_000_000 {
            90
        } else if transfer.is_some() {
            75
        } else {
            60
        };
        signal.set_score(score);
        if transfer.is_some() {
            signal.bytes_out = Some(bytes_out);
            signal.transfers = Some(1);
        }
        signal
            .evidence
            .insert("indicator".into(), hit.indicator.clone().into());
        signal
            .evidence
            .insert("feed".into(), hit.feed.clone().into());
        if let Some(label) = &hit.label {
            signal
                .evidence
                .insert("indicator_label".into(), label.clone().into());
        }
        signal.add_record(event.origin.as_ref());
        signal.assign_id();
        out.push(signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> IndicatorSource {
        IndicatorSource {
            feed: "t".into(),
            indicator: "x".into(),
            label: None,
        }
    }

    #[test]
    fn plain_list_with_comments_and_urls() {
        let mut set = IntelSet::default();
        let skipped = set.load_lines(
            "# feed\n203.0.113.7\n198.51.100.0/24 # range\nhttps://drop.evil.example:8443/up?x=1\nnot an indicator!\n",
            "list.txt",
        );
        assert_eq!(skipped, 1);
        assert!(set.match_ip("203.0.113.7".parse().unwrap()).is_some());
        assert!(set.match_ip("198.51.100.77".parse().unwrap()).is_some());
        assert!(set.match_ip("198.51.101.1".parse().unwrap()).is_none());
        assert!(set.match_domain("drop.evil.example").is_some());
        assert!(set.match_domain("a.drop.evil.example").is_some());
        assert!(set.match_domain("evil.example").is_none());
    }

    #[test]
    fn stix_bundle_patterns() {
        let bundle = r#"{"type":"bundle","id":"bundle--1","objects":[
          {"type":"indicator","spec_version":"2.1","id":"indicator--a","name":"exfil relay",
           "pattern":"[ipv4-addr:value = '192.0.2.10' OR domain-name:value = 'relay.bad.example']",
           "pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
          {"type":"malware","id":"malware--b","name":"x"},
          {"type":"indicator","id":"indicator--c","pattern":"[url:value = 'http://up.bad.example/u']"}]}"#;
        let mut set = IntelSet::default();
        let skipped = set.load_stix(bundle, "b.json").unwrap();
        assert_eq!(skipped, 0);
        let hit = set.match_ip("192.0.2.10".parse().unwrap()).unwrap();
        assert_eq!(hit.label.as_deref(), Some("exfil relay"));
        assert!(set.match_domain("relay.bad.example").is_some());
        assert!(set.match_domain("up.bad.example").is_some());
        assert!(set.load_stix("{\"type\":\"bundle\"}", "b.json").is_err());
        assert!(set.load_stix("{nope", "b.json").is_err());
    }

    #[test]
    fn misp_csv() {
        let csv = "uuid,event_id,category,type,value,comment,to_ids,date\n\
            1,7,Network activity,ip-dst,203.0.113.9,c2 box,1,20260101\n\
            2,7,Network activity,domain,\"files.bad.example\",,1,20260101\n\
            3,7,Payload delivery,md5,d41d8cd98f00b204e9800998ecf8427e,,1,20260101\n\
            4,7,Network activity,ip-dst|port,203.0.113.10|8443,,1,20260101\n";
        let mut set = IntelSet::default();
        assert!(is_misp_header(csv.lines().next().unwrap()));
        set.load_misp(csv, "m.csv").unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(
            set.match_ip("203.0.113.9".parse().unwrap())
                .unwrap()
                .label
                .as_deref(),
            Some("c2 box")
        );
        assert!(set.match_ip("203.0.113.10".parse().unwrap()).is_some());
        assert!(set.add("1.2.3.4", src()));
    }
}
