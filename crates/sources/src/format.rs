//! The formats this crate recognises, as named in summaries and statistics.

use crate::cloud::CloudFormat;
use crate::net::NetFormat;

/// A recognised input format (sniffed from content, never from the file name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Windows XML event log (binary `.evtx`).
    Evtx,
    /// Windows events saved as XML text (`wevtutil qe /f:xml`, Event Viewer's
    /// "Save as XML", `Get-WinEvent` `ToXml()`).
    WindowsXml,
    /// EvtxECmd's CSV output (KAPE's event-log module).
    EvtxECmdCsv,
    /// JSON or JSON Lines event exports; the shape is the first record's (each
    /// record is still recognised on its own).
    Json(JsonShape),
    /// Zeek logs, by log path (`#path` or `_path`, else recognised by the fields).
    Zeek(ZeekLog, ZeekEncoding),
    /// A network format read by [`crate::net`].
    Net(NetFormat),
    /// A cloud audit format read by [`crate::cloud`].
    Cloud(CloudFormat),
}

/// The JSON record shapes the JSON reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JsonShape {
    /// The `evtx` crate's JSON (`{"Event":{"System":…,"EventData":…}}`), as used by
    /// SigmaHQ's regression data and `evtx_dump -o json`.
    EvtxJson,
    /// Winlogbeat / Elastic Agent (ECS 7 and 8) with a `winlog` object.
    Winlogbeat,
    /// Plain Elastic Common Schema documents (`@timestamp` plus ECS objects).
    Ecs,
    /// Flat Windows exports (OTRF/Mordor, nxlog): `EventID`, `Channel` and the event
    /// data fields at the top level.
    FlatWindows,
    /// Any other JSON object with a recognisable timestamp, kept generically.
    Generic,
    /// EvtxECmd's JSON Lines output (`--json`): its columns, and the event's
    /// data as Newtonsoft's JSON rendering of the XML in `Payload`.
    EvtxECmd,
    /// A Splunk search exported as JSON (`{"preview":false,"result":{…}}` a
    /// line, or one `results` document): each result read by its `_raw`
    /// JSON or its fields.
    SplunkExport,
    /// An Elasticsearch or Kibana export (search hits a line, a search
    /// response, or the `fields` rendering): each hit's document read by its
    /// own shape (Winlogbeat, ECS…).
    ElasticExport,
}

/// Zeek log types with a typed mapping; every other log is read generically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZeekLog {
    /// `conn.log`: one record per connection, written when it ends.
    Conn,
    /// `dns.log`.
    Dns,
    /// `http.log`.
    Http,
    /// `ssl.log`.
    Ssl,
    /// `files.log`.
    Files,
    /// Any other Zeek log (`ssh`, `weird`, `x509`, …): all fields kept natively.
    Other,
}

/// How a Zeek log is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZeekEncoding {
    /// Zeek's ASCII writer: header lines, then separator-delimited records.
    Tsv,
    /// Zeek's JSON writer (one object per line).
    Json,
}

impl ZeekLog {
    /// From a Zeek `#path`/`_path` value (`open_conn` and rotated names count as `conn`).
    pub fn from_path_name(name: &str) -> ZeekLog {
        let base = name.strip_prefix("open_").unwrap_or(name);
        match base {
            "conn" | "conn_long" => ZeekLog::Conn,
            "dns" => ZeekLog::Dns,
            "http" => ZeekLog::Http,
            "ssl" => ZeekLog::Ssl,
            "files" => ZeekLog::Files,
            _ => ZeekLog::Other,
        }
    }

    /// Recognises the log type from its field names when no path is given.
    pub fn from_field_names<'a>(names: impl IntoIterator<Item = &'a str>) -> ZeekLog {
        let mut log = ZeekLog::Other;
        for name in names {
            let found = match name {
                "conn_state" | "orig_bytes" | "resp_bytes" | "orig_ip_bytes" => ZeekLog::Conn,
                "qtype_name" | "rcode_name" | "query" => ZeekLog::Dns,
                "method" | "uri" | "user_agent" | "request_body_len" => ZeekLog::Http,
                "server_name" | "cipher" | "ja3" => ZeekLog::Ssl,
                "fuid" | "mime_type" | "seen_bytes" => ZeekLog::Files,
                _ => continue,
            };
            // `files` also names `tx_hosts`; `http` also names `orig_fuids`: the first
            // decisive name wins, except that a conn field always decides.
            if found == ZeekLog::Conn {
                return found;
            }
            if log == ZeekLog::Other {
                log = found;
            }
        }
        log
    }

    /// The Sigma `service` name for Zeek rules.
    pub fn service(self) -> Option<&'static str> {
        match self {
            ZeekLog::Conn => Some("conn"),
            ZeekLog::Dns => Some("dns"),
            ZeekLog::Http => Some("http"),
            ZeekLog::Ssl => Some("ssl"),
            ZeekLog::Files => Some("files"),
            ZeekLog::Other => None,
        }
    }
}

impl Format {
    /// Short stable name for summaries and statistics (`evtx`, `zeek-conn`, …).
    pub fn name(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::WindowsXml => "windows-xml",
            Format::EvtxECmdCsv => "evtxecmd-csv",
            Format::Json(shape) => match shape {
                JsonShape::EvtxJson => "json-evtx",
                JsonShape::Winlogbeat => "json-winlogbeat",
                JsonShape::Ecs => "json-ecs",
                JsonShape::FlatWindows => "json-windows-flat",
                JsonShape::Generic => "json",
                JsonShape::SplunkExport => "json-splunk",
                JsonShape::ElasticExport => "json-elasticsearch",
                JsonShape::EvtxECmd => "json-evtxecmd",
            },
            Format::Zeek(log, ZeekEncoding::Tsv) => match log {
                ZeekLog::Conn => "zeek-conn",
                ZeekLog::Dns => "zeek-dns",
                ZeekLog::Http => "zeek-http",
                ZeekLog::Ssl => "zeek-ssl",
                ZeekLog::Files => "zeek-files",
                ZeekLog::Other => "zeek-other",
            },
            Format::Zeek(log, ZeekEncoding::Json) => match log {
                ZeekLog::Conn => "zeek-conn-json",
                ZeekLog::Dns => "zeek-dns-json",
                ZeekLog::Http => "zeek-http-json",
                ZeekLog::Ssl => "zeek-ssl-json",
                ZeekLog::Files => "zeek-files-json",
                ZeekLog::Other => "zeek-other-json",
            },
            Format::Net(format) => format.name(),
            Format::Cloud(format) => format.name(),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
