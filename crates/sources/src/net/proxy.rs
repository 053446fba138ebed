//! Proxy and web server access logs: Squid native format and W3C extended logs
//! (IIS, Blue Coat and other proxies; the `#Fields:` header drives the columns).

use super::text::{LineParser, Parsed, url_host_port, value};
use super::{Endpoint, orient};
use crate::SourceContext;
use model::{Event, EventKind, LogSource, Timestamp, Value};
use std::net::IpAddr;

/// Whether the head looks like a Squid native access log.
pub fn sniff_squid(lines: &[String]) -> bool {
    let sample: Vec<&String> = lines.iter().take(5).collect();
    let good = sample
        .iter()
        .filter(|l| parse_squid_fields(l).is_some())
        .count();
    sample
        .first()
        .is_some_and(|l| parse_squid_fields(l).is_some())
        && good * 3 >= sample.len() * 2
}

/// Whether the head looks like a W3C extended log (a `#Fields:` directive).
pub fn sniff_w3c(lines: &[String]) -> bool {
    lines.first().is_some_and(|l| l.starts_with('#'))
        && lines
            .iter()
            .take_while(|l| l.starts_with('#'))
            .any(|l| l.starts_with("#Fields:"))
}

struct SquidFields<'a> {
    time: f64,
    elapsed_ms: u64,
    client: &'a str,
    result: &'a str,
    status: u16,
    bytes: u64,
    method: &'a str,
    url: &'a str,
    user: &'a str,
    hierarchy: &'a str,
    content_type: &'a str,
}

fn parse_squid_fields(line: &str) -> Option<SquidFields<'_>> {
    let mut it = line.split_ascii_whitespace();
    let time: f64 = it.next()?.parse().ok()?;
    let elapsed_ms = it.next()?.parse().ok()?;
    let client = it.next()?;
    let (result, status) = it.next()?.split_once('/')?;
    if !result.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return None;
    }
    let bytes = it.next()?.parse().ok()?;
    let method = it.next()?;
    let url = it.next()?;
    Some(SquidFields {
        time,
        elapsed_ms,
        client,
        result,
        status: status.parse().ok()?,
        bytes,
        method,
        url,
        user: it.next().unwrap_or("-"),
        hierarchy: it.next().unwrap_or("-"),
        content_type: it.next().unwrap_or("-"),
    })
}

/// Squid `access.log` in the native format.
#[derive(Default)]
pub struct SquidParser;

impl LineParser for SquidParser {
    fn parse(&mut self, line: &str, ctx: &SourceContext) -> Parsed {
        let Some(f) = parse_squid_fields(line) else {
            return Parsed::Bad("not a Squid native access log line".into());
        };
        let Some(timestamp) = Timestamp::from_secs_f64(f.time) else {
            return Parsed::Bad("bad Squid time".into());
        };
        let mut event = proxy_event(timestamp, "squid.access");
        event.logsource = LogSource::new(Some("squid"), Some("proxy"), None);
        let (host, port, path) = url_host_port(f.url);
        let server_ip = f
            .hierarchy
            .split_once('/')
            .and_then(|(_, ip)| ip.parse::<IpAddr>().ok());
        let client_ip = f.client.parse::<IpAddr>().ok();
        let swapped = fill_endpoints(&mut event, ctx, client_ip, None, server_ip, port);
        set_bytes(&mut event, swapped, None, Some(f.bytes));
        let http = event.http_mut();
        http.url_full = Some(f.url.to_string());
        http.url_domain = host.clone();
        http.url_path = path;
        http.method = Some(f.method.to_string());
        http.status_code = (f.status > 0).then_some(f.status);
        http.response_body_bytes = Some(f.bytes);
        let net = event.network_mut();
        net.destination_domain = host.filter(|h| super::is_domain(h));
        net.duration_s = Some(f.elapsed_ms as f64 / 1000.0);
        net.protocol = Some(if f.method == "CONNECT" { "tls" } else { "http" }.into());
        event.user_name = value(f.user).map(str::to_string);
        let native = &mut event.native;
        native.push("squid.result_code", Value::from(f.result));
        native.push("squid.hierarchy", Value::from(f.hierarchy));
        if let Some(ct) = value(f.content_type) {
            native.push("squid.content_type", Value::from(ct));
        }
        if client_ip.is_none() {
            native.push("squid.client", Value::from(f.client));
        }
        Parsed::Event(Box::new(event))
    }
}

fn proxy_event(timestamp: Timestamp, dataset: &str) -> Event {
    Event {
        timestamp,
        kind: EventKind::Http,
        dataset: Some(dataset.into()),
        ..Default::default()
    }
}

/// Client and server addresses, internal-first (a proxy client is the initiator).
fn fill_endpoints(
    event: &mut Event,
    ctx: &SourceContext,
    client: Option<IpAddr>,
    client_port: Option<u16>,
    server: Option<IpAddr>,
    server_port: Option<u16>,
) -> bool {
    let net = event.network_mut();
    match (client, server) {
        (Some(c), Some(s)) => {
            let initiator: Endpoint = (c, client_port.unwrap_or(0));
            let o = orient(&ctx.networks, initiator, (s, server_port.unwrap_or(0)));
            o.fill(net);
            if client_port.is_none() {
                if o.swapped {
                    net.destination_port = None;
                } else {
                    net.source_port = None;
                }
            }
            o.swapped
        }
        _ => {
            net.source_ip = client;
            net.source_port = client_port;
            net.destination_ip = server;
            net.destination_port = server_port;
            false
        }
    }
}

/// Bytes sent by the client and by the server, put on the oriented sides.
fn set_bytes(event: &mut Event, swapped: bool, client_sent: Option<u64>, server_sent: Option<u64>) {
    let net = event.network_mut();
    if swapped {
        net.source_bytes = server_sent;
        net.destination_bytes = client_sent;
    } else {
        net.source_bytes = client_sent;
        net.destination_bytes = server_sent;
    }
}

/// W3C extended log format: the columns come from the latest `#Fields:` line.
#[derive(Default)]
pub struct W3cParser {
    fields: Vec<String>,
    is_proxy: bool,
    software: Option<String>,
}

impl W3cParser {
    fn directive(&mut self, line: &str) {
        if let Some(fields) = line.strip_prefix("#Fields:") {
            self.fields = fields
                .split_ascii_whitespace()
                .map(|f| f.trim_matches('"').to_ascii_lowercase())
                .collect();
            let has = |name: &str| self.fields.iter().any(|f| f == name);
            let iis =
                has("s-sitename") || has("s-computername") || has("cs-uri-stem") && !has("cs-host");
            self.is_proxy = !iis || has("r-ip") || has("r-host") || has("cs-uri-scheme");
        } else if let Some(software) = line.strip_prefix("#Software:") {
            self.software = Some(software.trim().to_string());
        }
    }
}

impl LineParser for W3cParser {
    fn parse(&mut self, line: &str, ctx: &SourceContext) -> Parsed {
        if line.starts_with('#') {
            self.directive(line);
            return Parsed::Skip;
        }
        if self.fields.is_empty() {
            return Parsed::Bad("W3C record before any #Fields: line".into());
        }
        let values: Vec<&str> = if line.contains('\t') && !line.contains(' ') {
            line.split('\t').collect()
        } else {
            split_w3c(line)
        };
        if values.len() != self.fields.len() {
            return Parsed::Bad(format!(
                "{} values for {} #Fields columns",
                values.len(),
                self.fields.len()
            ));
        }
        let get = |name: &str| -> Option<&str> {
            let i = self.fields.iter().position(|f| f == name)?;
            value(values[i]).map(|v| v.trim_matches('"'))
        };
        let Some(timestamp) = w3c_time(get("date"), get("time")) else {
            return Parsed::Bad("W3C record without a readable date and time".into());
        };
        let mut event = proxy_event(
            timestamp,
            if self.is_proxy {
                "w3c.proxy"
            } else {
                "w3c.webserver"
            },
        );
        event.logsource = LogSource::new(
            None,
            Some(if self.is_proxy { "proxy" } else { "webserver" }),
            None,
        );
        self.fill(&mut event, &get, ctx);
        for (name, raw) in self.fields.iter().zip(&values) {
            if let Some(v) = value(raw) {
                event.native.push(name, Value::from(v.trim_matches('"')));
            }
        }
        Parsed::Event(Box::new(event))
    }
}

impl W3cParser {
    fn fill<'a>(
        &self,
        event: &mut Event,
        get: &dyn Fn(&str) -> Option<&'a str>,
        ctx: &SourceContext,
    ) {
        let num = |name: &str| get(name).and_then(|v| v.parse::<u64>().ok());
        let ip = |name: &str| get(name).and_then(|v| v.parse::<IpAddr>().ok());
        let scheme = get("cs-uri-scheme");
        let host = get("cs-host")
            .or(get("cs(host)"))
            .or(get("r-host"))
            .map(str::to_ascii_lowercase);
        let path = get("cs-uri-stem").or(get("cs-uri-path"));
        let query = get("cs-uri-query");
        let full = get("cs-uri").map(str::to_string).or_else(|| {
            let path = path?;
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            Some(match (&host, scheme) {
                (Some(h), s) => format!("{}://{h}{path}{query}", s.unwrap_or("http")),
                (None, _) => format!("{path}{query}"),
            })
        });
        let server_ip = if self.is_proxy {
            ip("r-ip").or(ip("s-ip"))
        } else {
            ip("s-ip")
        };
        let server_port = num(if self.is_proxy {
            "cs-uri-port"
        } else {
            "s-port"
        })
        .or(num("r-port"))
        .or(num("s-port"))
        .map(|p| p as u16);
        let client_port = num("c-port").map(|p| p as u16);
        let swapped = fill_endpoints(event, ctx, ip("c-ip"), client_port, server_ip, server_port);
        set_bytes(event, swapped, num("cs-bytes"), num("sc-bytes"));
        let user_agent = get("cs(user-agent)").map(|ua| ua.replace('+', " "));
        let http = event.http_mut();
        http.url_full = full;
        http.url_domain = host.clone();
        http.url_path = path.map(|p| match query {
            Some(q) => format!("{p}?{q}"),
            None => p.to_string(),
        });
        http.method = get("cs-method").map(str::to_string);
        http.status_code = num("sc-status").map(|s| s as u16);
        http.user_agent = user_agent;
        let net = event.network_mut();
        net.destination_domain = host.filter(|h| super::is_domain(h));
        net.duration_s = num("time-taken").map(|ms| ms as f64 / 1000.0);
        net.protocol = Some(
            if scheme == Some("https") || get("cs-method") == Some("CONNECT") {
                "tls"
            } else {
                "http"
            }
            .into(),
        );
        event.user_name = get("cs-username").map(str::to_string);
        event.action = get("s-action").or(get("x-action")).map(str::to_string);
        event.host_name = get("s-computername").map(str::to_string);
    }
}

/// Splits a W3C line on spaces, keeping `"quoted values"` whole.
fn split_w3c(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(stripped) = rest.strip_prefix('"')
            && let Some(end) = stripped.find('"')
        {
            out.push(&rest[..end + 2]);
            rest = rest[end + 2..].trim_start();
            continue;
        }
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        out.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    out
}

fn w3c_time(date: Option<&str>, time: Option<&str>) -> Option<Timestamp> {
    // W3C extended logs are in UTC.
    Timestamp::parse(&format!("{} {}", date?, time?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(parser: &mut dyn LineParser, line: &str) -> Event {
        match parser.parse(line, &SourceContext::default()) {
            Parsed::Event(e) => *e,
            Parsed::Skip => panic!("skipped"),
            Parsed::Bad(r) => panic!("{r}"),
        }
    }

    #[test]
    fn squid_line() {
        let line = "1677971735.123  567 192.168.1.100 TCP_MISS/200 5432 GET http://example.com/index.html user1 HIER_DIRECT/93.184.216.34 text/html";
        assert!(sniff_squid(&[line.to_string()]));
        let e = parse(&mut SquidParser, line);
        let n = e.network.as_deref().unwrap();
        assert_eq!(n.source_ip, Some("192.168.1.100".parse().unwrap()));
        assert_eq!(n.destination_ip, Some("93.184.216.34".parse().unwrap()));
        assert_eq!(n.destination_port, Some(80));
        assert_eq!(n.destination_bytes, Some(5432));
        assert_eq!(e.user_name.as_deref(), Some("user1"));
        assert_eq!(
            e.http.as_ref().unwrap().url_domain.as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn w3c_proxy_and_iis() {
        let mut p = W3cParser::default();
        let header = "#Fields: date time time-taken c-ip cs-username s-action sc-status sc-bytes cs-bytes cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query \"cs(User-Agent)\" r-ip";
        assert!(matches!(
            p.parse(header, &SourceContext::default()),
            Parsed::Skip
        ));
        let line = "2026-11-23 02:10:00 1500 10.2.3.4 alice TCP_NC_MISS 200 512 73400320 POST https mega.example 443 /upload - \"rclone/v1.66\" 198.51.100.5";
        let e = parse(&mut p, line);
        let n = e.network.as_deref().unwrap();
        assert_eq!(n.source_bytes, Some(73_400_320));
        assert_eq!(n.destination_ip, Some("198.51.100.5".parse().unwrap()));
        assert_eq!(n.destination_port, Some(443));
        assert_eq!(
            e.http.as_ref().unwrap().url_full.as_deref(),
            Some("https://mega.example/upload")
        );
        assert_eq!(
            e.http.as_ref().unwrap().user_agent.as_deref(),
            Some("rclone/v1.66")
        );
        assert_eq!(
            e.timestamp,
            Timestamp::parse("2026-11-23T02:10:00Z").unwrap()
        );

        let mut iis = W3cParser::default();
        iis.parse("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-bytes time-taken", &SourceContext::default());
        let e = parse(
            &mut iis,
            "2026-11-23 10:00:00 10.0.0.10 GET /owa/ - 443 - 203.0.113.50 Mozilla/5.0+(Windows) 200 90000 15",
        );
        assert_eq!(e.network.as_ref().unwrap().source_bytes, Some(90_000));
        assert_eq!(e.logsource, LogSource::new(None, Some("webserver"), None));
        let n = e.network.as_deref().unwrap();
        // The internal server is the source; what it sent is source.bytes.
        assert_eq!(n.source_ip, Some("10.0.0.10".parse().unwrap()));
        assert_eq!(n.direction.as_deref(), Some("inbound"));
        assert!(matches!(
            iis.parse("2026-11-23 10:00:00 too few", &SourceContext::default()),
            Parsed::Bad(_)
        ));
    }
}
