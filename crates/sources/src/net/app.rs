//! Application-layer facts read from the first bytes of a payload: DNS messages,
//! HTTP request and response heads, the TLS ClientHello server name, and the
//! protocol a payload speaks (to flag a protocol on an unexpected port).
//!
//! Every parser here works on one packet's payload, never reassembles, and returns
//! `None` on anything it does not understand: a capture is hostile input.

/// A decoded DNS message: the first question, the response code and the answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsMessage {
    /// Transaction id.
    pub id: u16,
    /// Whether this is a response.
    pub is_response: bool,
    /// First question name, dotted, without the trailing dot.
    pub question_name: String,
    /// First question type as a name (`A`, `TXT`, `TYPE65`).
    pub question_type: String,
    /// Response code name (`NOERROR`, `NXDOMAIN`...).
    pub response_code: String,
    /// Answers as text: addresses for A/AAAA, names for CNAME/NS/PTR/MX, text for TXT.
    pub answers: Vec<String>,
}

/// DNS query type names for the types that matter to analysts.
pub fn dns_type_name(qtype: u16) -> String {
    let name = match qtype {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        10 => "NULL",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        _ => return format!("TYPE{qtype}"),
    };
    name.to_string()
}

/// DNS response code names (RFC 1035, 2136).
pub fn dns_rcode_name(rcode: u8) -> String {
    let name = match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => return format!("RCODE{rcode}"),
    };
    name.to_string()
}

const MAX_ANSWERS: usize = 32;
const MAX_NAME_JUMPS: usize = 16;

/// Reads a possibly compressed domain name at `pos`; returns the name and the
/// position after it in the original (uncompressed) stream.
fn read_dns_name(msg: &[u8], mut pos: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut end_after_jump = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(pos)? as usize;
        if len & 0xC0 == 0xC0 {
            let low = *msg.get(pos + 1)? as usize;
            if end_after_jump.is_none() {
                end_after_jump = Some(pos + 2);
            }
            jumps += 1;
            if jumps > MAX_NAME_JUMPS {
                return None;
            }
            pos = ((len & 0x3F) << 8) | low;
            continue;
        }
        if len & 0xC0 != 0 {
            return None;
        }
        pos += 1;
        if len == 0 {
            break;
        }
        let label = msg.get(pos..pos + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        for &b in label {
            if b.is_ascii_graphic() && b != b'.' {
                name.push(b as char);
            } else {
                name.push_str(&format!("\\{b:03}"));
            }
        }
        if name.len() > 1024 {
            return None;
        }
        pos += len;
    }
    Some((name, end_after_jump.unwrap_or(pos)))
}

fn be16(data: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(pos)?, *data.get(pos + 1)?]))
}

/// Parses a DNS message (UDP payload, or TCP payload after its 2-byte length).
pub fn parse_dns(msg: &[u8]) -> Option<DnsMessage> {
    if msg.len() < 12 {
        return None;
    }
    let id = be16(msg, 0)?;
    let flags = be16(msg, 2)?;
    let qdcount = be16(msg, 4)?;
    let ancount = be16(msg, 6)?;
    if qdcount == 0 || qdcount > 8 || flags & 0x7800 > 0x2800 {
        // Opcode above UPDATE or no question: not a DNS query we can use.
        return None;
    }
    let (question_name, mut pos) = read_dns_name(msg, 12)?;
    let qtype = be16(msg, pos)?;
    be16(msg, pos + 2)?;
    pos += 4;
    for _ in 1..qdcount {
        let (_, next) = read_dns_name(msg, pos)?;
        pos = next + 4;
    }
    let mut answers = Vec::new();
    for _ in 0..ancount.min(MAX_ANSWERS as u16) {
        let Some((_, next)) = read_dns_name(msg, pos) else {
            break;
        };
        let (Some(rtype), Some(rdlen)) = (be16(msg, next), be16(msg, next + 8)) else {
            break;
        };
        let rdata_start = next + 10;
        let Some(rdata) = msg.get(rdata_start..rdata_start + rdlen as usize) else {
            break;
        };
        if let Some(text) = answer_text(msg, rtype, rdata, rdata_start) {
            answers.push(text);
        }
        pos = rdata_start + rdlen as usize;
    }
    Some(DnsMessage {
        id,
        is_response: flags & 0x8000 != 0,
        question_name,
        question_type: dns_type_name(qtype),
        response_code: dns_rcode_name((flags & 0x000F) as u8),
        answers,
    })
}

fn answer_text(msg: &[u8], rtype: u16, rdata: &[u8], rdata_start: usize) -> Option<String> {
    match rtype {
        1 if rdata.len() == 4 => {
            Some(std::net::Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]).to_string())
        }
        28 if rdata.len() == 16 => {
            let octets: [u8; 16] = rdata.try_into().ok()?;
            Some(std::net::Ipv6Addr::from(octets).to_string())
        }
        2 | 5 | 12 => read_dns_name(msg, rdata_start).map(|(name, _)| name),
        15 => read_dns_name(msg, rdata_start + 2).map(|(name, _)| name),
        16 => {
            let mut text = String::new();
            let mut pos = 0;
            while pos < rdata.len() {
                let len = rdata[pos] as usize;
                let chunk = rdata.get(pos + 1..pos + 1 + len)?;
                text.push_str(&String::from_utf8_lossy(chunk));
                pos += 1 + len;
            }
            Some(text)
        }
        _ => Some(format!("{}:{}B", dns_type_name(rtype), rdata.len())),
    }
}

/// An HTTP request head found at the start of a payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRequestHead {
    /// Method (`GET`, `POST`...).
    pub method: String,
    /// Request target as sent (path, absolute URL, or `host:port` for CONNECT).
    pub target: String,
    /// `Host` header.
    pub host: Option<String>,
    /// `User-Agent` header.
    pub user_agent: Option<String>,
    /// `Content-Length` header.
    pub content_length: Option<u64>,
    /// Bytes of body already inside this payload (after the blank line).
    pub body_bytes_in_payload: u64,
}

const HTTP_METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

/// Whether a payload starts like an HTTP request line.
pub fn looks_like_http_request(payload: &[u8]) -> bool {
    HTTP_METHODS.iter().any(|m| {
        payload.len() > m.len() && payload.starts_with(m.as_bytes()) && payload[m.len()] == b' '
    })
}

/// Parses the request line and the headers present in this payload.
pub fn parse_http_request(payload: &[u8]) -> Option<HttpRequestHead> {
    if !looks_like_http_request(payload) {
        return None;
    }
    let head_end = memchr::memmem::find(payload, b"\r\n\r\n");
    let head = &payload[..head_end.unwrap_or(payload.len()).min(16 * 1024)];
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/")) {
        return None;
    }
    let mut request = HttpRequestHead {
        method,
        target,
        ..Default::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("host") {
            request.host = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("user-agent") {
            request.user_agent = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("content-length") {
            request.content_length = value.parse().ok();
        }
    }
    if let Some(end) = head_end {
        request.body_bytes_in_payload = (payload.len() - end - 4) as u64;
    }
    Some(request)
}

/// The status code of an HTTP response line at the start of a payload.
pub fn parse_http_status(payload: &[u8]) -> Option<u16> {
    if !payload.starts_with(b"HTTP/1.") || payload.len() < 12 || payload[8] != b' ' {
        return None;
    }
    std::str::from_utf8(&payload[9..12]).ok()?.parse().ok()
}

/// The server name (SNI) of a TLS ClientHello at the start of a payload.
pub fn parse_tls_client_hello_sni(payload: &[u8]) -> Option<String> {
    // Record header: type 22 (handshake), version 3.x, length; handshake type 1.
    if payload.len() < 9 || payload[0] != 0x16 || payload[1] != 3 || payload[5] != 1 {
        return None;
    }
    let mut pos = 9 + 2 + 32; // handshake header, client version, random
    let session_len = *payload.get(pos)? as usize;
    pos += 1 + session_len;
    let suites_len = be16(payload, pos)? as usize;
    pos += 2 + suites_len;
    let compression_len = *payload.get(pos)? as usize;
    pos += 1 + compression_len;
    let extensions_len = be16(payload, pos)? as usize;
    pos += 2;
    let extensions_end = (pos + extensions_len).min(payload.len());
    while pos + 4 <= extensions_end {
        let ext_type = be16(payload, pos)?;
        let ext_len = be16(payload, pos + 2)? as usize;
        pos += 4;
        if ext_type == 0 {
            // server_name list: list length, then entries of (type, length, name).
            let name_type = *payload.get(pos + 2)?;
            let name_len = be16(payload, pos + 3)? as usize;
            let name = payload.get(pos + 5..pos + 5 + name_len)?;
            if name_type != 0 || !name.iter().all(|b| b.is_ascii_graphic()) {
                return None;
            }
            return Some(String::from_utf8_lossy(name).to_ascii_lowercase());
        }
        pos += ext_len;
    }
    None
}

/// The application protocol a payload speaks, recognised from its first bytes.
/// `from_originator` says which side sent it (banners come from the server).
pub fn detect_protocol(
    payload: &[u8],
    from_originator: bool,
    is_tcp: bool,
) -> Option<&'static str> {
    if payload.len() < 4 {
        return None;
    }
    if is_tcp {
        if payload[0] == 0x16 && payload[1] == 3 && payload[2] <= 4 && payload[5] <= 2 {
            return Some("tls");
        }
        if from_originator && looks_like_http_request(payload) {
            return Some("http");
        }
        if !from_originator && payload.starts_with(b"HTTP/1.") {
            return Some("http");
        }
        if payload.starts_with(b"SSH-") {
            return Some("ssh");
        }
        if payload.len() >= 8 && (&payload[4..8] == b"\xffSMB" || &payload[4..8] == b"\xfeSMB") {
            return Some("smb");
        }
        if from_originator {
            let upper: Vec<u8> = payload[..4].to_ascii_uppercase();
            if upper == b"USER" && payload.get(4) == Some(&b' ') {
                return Some("ftp");
            }
            if upper == b"EHLO" || upper == b"HELO" {
                return Some("smtp");
            }
        } else if payload.starts_with(b"220") {
            let line_end = memchr::memchr(b'\n', payload).unwrap_or(payload.len());
            let banner = String::from_utf8_lossy(&payload[..line_end]).to_ascii_lowercase();
            if banner.contains("ftp") {
                return Some("ftp");
            }
            if banner.contains("smtp") || banner.contains("esmtp") || banner.contains("mail") {
                return Some("smtp");
            }
        }
        None
    } else if parse_dns(payload).is_some() {
        Some("dns")
    } else {
        None
    }
}

/// The protocol a server port is registered for, to compare with what was seen.
pub fn protocol_for_port(port: u16, is_tcp: bool) -> Option<&'static str> {
    match (port, is_tcp) {
        (80 | 8000 | 8080 | 3128, true) => Some("http"),
        (443 | 8443 | 993 | 995 | 465 | 636 | 853, true) => Some("tls"),
        (22, true) => Some("ssh"),
        (21, true) => Some("ftp"),
        (25 | 587, true) => Some("smtp"),
        (445 | 139, true) => Some("smb"),
        (53, _) | (5353, false) => Some("dns"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns_query(name: &str, qtype: u16) -> Vec<u8> {
        let mut msg = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.') {
            msg.push(label.len() as u8);
            msg.extend_from_slice(label.as_bytes());
        }
        msg.push(0);
        msg.extend_from_slice(&qtype.to_be_bytes());
        msg.extend_from_slice(&[0, 1]);
        msg
    }

    #[test]
    fn dns_answer_with_compression() {
        let mut msg = dns_query("a.example.com", 1);
        msg[2] = 0x81;
        msg[3] = 0x80;
        msg[7] = 1;
        msg.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
        let parsed = parse_dns(&msg).unwrap();
        assert!(parsed.is_response);
        assert_eq!(parsed.question_name, "a.example.com");
        assert_eq!(parsed.question_type, "A");
        assert_eq!(parsed.response_code, "NOERROR");
        assert_eq!(parsed.answers, vec!["93.184.216.34"]);
    }

    #[test]
    fn dns_pointer_loop_is_rejected() {
        let mut msg = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&[0xC0, 12]);
        assert_eq!(parse_dns(&msg), None);
    }

    #[test]
    fn http_request_head() {
        let req = b"POST /upload?x=1 HTTP/1.1\r\nHost: drop.example\r\nUser-Agent: curl/8\r\nContent-Length: 5000\r\n\r\nabc";
        let head = parse_http_request(req).unwrap();
        assert_eq!(head.method, "POST");
        assert_eq!(head.target, "/upload?x=1");
        assert_eq!(head.host.as_deref(), Some("drop.example"));
        assert_eq!(head.content_length, Some(5000));
        assert_eq!(head.body_bytes_in_payload, 3);
        assert_eq!(parse_http_status(b"HTTP/1.1 201 Created\r\n"), Some(201));
    }

    #[test]
    fn protocol_on_port() {
        assert_eq!(detect_protocol(b"SSH-2.0-OpenSSH", true, true), Some("ssh"));
        assert_eq!(
            detect_protocol(b"220 ProFTPD ready\r\n", false, true),
            Some("ftp")
        );
        assert_eq!(protocol_for_port(443, true), Some("tls"));
    }
}
