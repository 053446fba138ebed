//! Suricata EVE JSON (`eve.json`): one JSON object a line, its kind in
//! `event_type`. Flows (`flow`, `netflow`) become network events with bytes
//! per side, `dns` DNS events, `http` HTTP events, `tls` TLS events with the
//! server name; alerts, file and anomaly records are kept as other events with
//! every field native (Sigma rules with `product: suricata` read them). Engine
//! `stats` records carry no traffic and are skipped.
//!
//! Sides: Suricata's `src_ip` is the client (the flow's initiator); as every
//! network reader does, the internal host is put on the source side
//! ([`super::orient`]), so `source.bytes` is what left it (`bytes_toserver`
//! when the internal host is the client; a `netflow` record is one direction,
//! its `netflow.bytes` what its source sent). A flow is timed at its start,
//! as Zeek times a connection (the record's own `timestamp` is when it was
//! logged, after the flow ended).
//!
//! DNS: Suricata logs a query and its answer as two records. Both are read
//! while a file has only queries; from its first answer record on, queries
//! are skipped, so that each lookup counts once and carries its response code
//! (a sensor configured to log queries alone still gives every lookup).

use super::orient;
use super::text::{LineParser, Parsed};
use crate::SourceContext;
use crate::json::{flatten_into, lookup_path};
use model::{Event, EventKind, LogSource, Timestamp};
use serde_json::{Map, Value as Json};
use std::net::IpAddr;

/// Whether the head's lines are EVE records: each a JSON object with a
/// `timestamp`, an `event_type` and Suricata's `flow_id` (engine `stats`
/// records have none), the first line at least and most of them. Other JSON
/// with a `timestamp` and an `event_type` is left to the generic reader.
pub fn sniff_eve(lines: &[String]) -> bool {
    let is_eve = |line: &String| {
        let Ok(Json::Object(obj)) = serde_json::from_str::<Json>(line) else {
            return false;
        };
        let Some(event_type) = obj.get("event_type").and_then(Json::as_str) else {
            return false;
        };
        obj.get("timestamp").is_some_and(Json::is_string)
            && (obj.get("flow_id").is_some_and(Json::is_u64) || event_type == "stats")
    };
    let complete: Vec<&String> = lines.iter().filter(|l| l.ends_with('}')).collect();
    let good = complete.iter().filter(|l| is_eve(l)).count();
    complete.first().is_some_and(|l| is_eve(l)) && good * 3 >= complete.len() * 2
}

/// Reads EVE records; see the module docs.
#[derive(Default)]
pub struct EveParser {
    /// Whether an answer record has been seen (queries are then skipped).
    answers_seen: bool,
}

impl LineParser for EveParser {
    fn parse(&mut self, line: &str, ctx: &SourceContext) -> Parsed {
        let obj = match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(obj)) => obj,
            Ok(_) => return Parsed::Bad("EVE record is not a JSON object".into()),
            Err(err) => return Parsed::Bad(format!("invalid json: {err}")),
        };
        let Some(event_type) = obj.get("event_type").and_then(Json::as_str) else {
            return Parsed::Bad("EVE record without event_type".into());
        };
        let event_type = event_type.to_owned();
        let kind = match event_type.as_str() {
            "stats" => return Parsed::Skip,
            "flow" | "netflow" => EventKind::Network,
            "dns" => {
                match dns_record_type(&obj) {
                    Some("answer") => self.answers_seen = true,
                    Some("query") if self.answers_seen => return Parsed::Skip,
                    _ => {}
                }
                EventKind::Dns
            }
            "http" => EventKind::Http,
            "tls" => EventKind::Tls,
            _ => EventKind::Other,
        };
        let Some(logged) = str_at(&obj, "timestamp").and_then(Timestamp::parse) else {
            return Parsed::Bad("EVE record without a readable timestamp".into());
        };
        // A `netflow` record is one direction of a flow, its facts under
        // `netflow` (`bytes`, `pkts`); a `flow` record both, under `flow`.
        let section = if event_type == "netflow" {
            "netflow"
        } else {
            "flow"
        };
        let started = str_at(&obj, &format!("{section}.start")).and_then(Timestamp::parse);
        let mut event = Event {
            timestamp: match kind {
                EventKind::Network => started.unwrap_or(logged),
                _ => logged,
            },
            kind,
            logsource: LogSource::new(Some("suricata"), None, Some(&event_type)),
            dataset: Some(format!("suricata.{event_type}")),
            ..Event::default()
        };
        fill_network(&mut event, &obj, (section, started), ctx);
        match kind {
            EventKind::Dns => fill_dns(&mut event, &obj),
            EventKind::Http => fill_http(&mut event, &obj),
            EventKind::Tls => fill_tls(&mut event, &obj),
            _ => {}
        }
        // EVE's `host` is the sensor's name, not the monitored host's: it
        // stays native, and hosts are told by address as in Zeek's logs.
        flatten_into(&mut event, "", &Json::Object(obj));
        Parsed::Event(Box::new(event))
    }
}

/// The string at a dotted `path` (`flow.start`).
fn str_at<'a>(obj: &'a Map<String, Json>, path: &str) -> Option<&'a str> {
    lookup_path(obj, path)?.as_str()
}

fn u64_at(obj: &Map<String, Json>, path: &str) -> Option<u64> {
    lookup_path(obj, path)?.as_u64()
}

/// `query` or `answer`, from `dns.type` (EVE v1 and v2; v3 records of
/// Suricata 8 say `request` and `response`).
fn dns_record_type(obj: &Map<String, Json>) -> Option<&'static str> {
    match str_at(obj, "dns.type")? {
        "query" | "request" => Some("query"),
        "answer" | "response" => Some("answer"),
        _ => None,
    }
}

/// Addresses and ports (internal side first), transport, application protocol,
/// and for flows the bytes, packets and duration from `section` (`flow`, or
/// `netflow` for one direction's record: what its source sent), whose
/// `start` the caller has already read for the event's time.
fn fill_network(
    event: &mut Event,
    obj: &Map<String, Json>,
    (section, start): (&str, Option<Timestamp>),
    ctx: &SourceContext,
) {
    let ip = |key: &str| str_at(obj, key).and_then(|s| s.parse::<IpAddr>().ok());
    let port = |key: &str| u64_at(obj, key).and_then(|p| u16::try_from(p).ok());
    let (Some(client), Some(server)) = (ip("src_ip"), ip("dest_ip")) else {
        return;
    };
    let oriented = orient(
        &ctx.networks,
        (client, port("src_port").unwrap_or(0)),
        (server, port("dest_port").unwrap_or(0)),
    );
    let swapped = oriented.swapped;
    let is_flow = event.kind == EventKind::Network;
    let net = event.network_mut();
    oriented.fill(net);
    if port("src_port").is_none() {
        *(if swapped {
            &mut net.destination_port
        } else {
            &mut net.source_port
        }) = None;
    }
    if port("dest_port").is_none() {
        *(if swapped {
            &mut net.source_port
        } else {
            &mut net.destination_port
        }) = None;
    }
    net.transport = str_at(obj, "proto").map(str::to_ascii_lowercase);
    net.protocol = str_at(obj, "app_proto")
        .filter(|p| !matches!(*p, "failed" | "unknown"))
        .map(str::to_ascii_lowercase);
    if !is_flow {
        return;
    }
    let side = |key: &str| u64_at(obj, &format!("{section}.{key}"));
    let ((to_server, to_client), (pkts_server, pkts_client)) = if section == "netflow" {
        ((side("bytes"), None), (side("pkts"), None))
    } else {
        (
            (side("bytes_toserver"), side("bytes_toclient")),
            (side("pkts_toserver"), side("pkts_toclient")),
        )
    };
    let ((sb, db), (sp, dp)) = if swapped {
        ((to_client, to_server), (pkts_client, pkts_server))
    } else {
        ((to_server, to_client), (pkts_server, pkts_client))
    };
    net.source_bytes = sb;
    net.destination_bytes = db;
    net.source_packets = sp;
    net.destination_packets = dp;
    let end = str_at(obj, &format!("{section}.end")).and_then(Timestamp::parse);
    if let (Some(start), Some(end)) = (start, end) {
        net.duration_s = Some((end.secs_f64() - start.secs_f64()).max(0.0));
    }
    // `flow.state` (new, established, closed) is not Zeek's conn_state
    // vocabulary, which `network.state` holds: it stays native only.
    event.native.push(
        "initiator",
        model::Value::from(if swapped { "destination" } else { "source" }),
    );
}

/// The question (v1/v2 `rrname`, v3 `queries[0]`), its type, the response code
/// and the answers' data.
fn fill_dns(event: &mut Event, obj: &Map<String, Json>) {
    let dns_obj = obj.get("dns").and_then(Json::as_object);
    let first_query = dns_obj
        .and_then(|d| d.get("queries"))
        .and_then(Json::as_array)
        .and_then(|q| q.first())
        .and_then(Json::as_object);
    let from_dns = |key: &str| {
        dns_obj
            .and_then(|d| d.get(key))
            .and_then(Json::as_str)
            .or_else(|| first_query.and_then(|q| q.get(key)).and_then(Json::as_str))
    };
    let answers: Vec<String> = dns_obj
        .and_then(|d| d.get("answers"))
        .and_then(Json::as_array)
        .map(|answers| {
            answers
                .iter()
                .filter_map(|a| a.get("rdata").and_then(Json::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let dns = event.dns_mut();
    dns.question_name = from_dns("rrname").map(str::to_owned);
    dns.question_type = from_dns("rrtype").map(str::to_owned);
    dns.response_code = str_at(obj, "dns.rcode").map(str::to_owned);
    dns.answers = answers;
    event.network_mut().protocol = Some("dns".into());
}

/// Host, URL, method, status, user agent and body length (Suricata's
/// `length` is the response body's).
fn fill_http(event: &mut Event, obj: &Map<String, Json>) {
    let host = str_at(obj, "http.hostname").map(str::to_owned);
    let path = str_at(obj, "http.url").map(str::to_owned);
    let http = event.http_mut();
    if let (Some(host), Some(path)) = (&host, &path) {
        http.url_full = Some(format!("http://{host}{path}"));
    }
    http.url_domain = host.clone();
    http.url_path = path;
    http.method = str_at(obj, "http.http_method").map(str::to_owned);
    http.status_code = u64_at(obj, "http.status").and_then(|s| u16::try_from(s).ok());
    http.user_agent = str_at(obj, "http.http_user_agent").map(str::to_owned);
    http.response_body_bytes = u64_at(obj, "http.length");
    let net = event.network_mut();
    net.destination_domain = host.filter(|h| super::is_domain(h));
    net.protocol = Some("http".into());
}

/// The server name (SNI), also as the destination's domain.
fn fill_tls(event: &mut Event, obj: &Map<String, Json>) {
    let sni = str_at(obj, "tls.sni").map(str::to_owned);
    event.tls_server_name = sni.clone();
    let net = event.network_mut();
    net.destination_domain = sni;
    net.protocol = Some("tls".into());
}
