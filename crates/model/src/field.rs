//! Canonical (ECS-style) field names and compile-time field references.

use crate::symbol::Sym;

macro_rules! fields {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal ),* $(,)?) => {
        /// A typed common field of [`crate::Event`], named after Elastic Common Schema.
        ///
        /// `Field::from_name("process.command_line")` is done once per rule field;
        /// [`crate::Event::get`] then reads the slot with a `match`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field {
            $( $(#[$doc])* $variant, )*
        }

        impl Field {
            /// Every canonical field, in declaration order.
            pub const ALL: &'static [Field] = &[ $( Field::$variant, )* ];

            /// The canonical (ECS) name, e.g. `destination.ip`.
            pub fn name(self) -> &'static str {
                match self { $( Field::$variant => $name, )* }
            }

            /// The field with this canonical name, if any.
            pub fn from_name(name: &str) -> Option<Field> {
                match name { $( $name => Some(Field::$variant), )* _ => None }
            }
        }
    };
}

fields! {
    /// Event time.
    Timestamp => "@timestamp",
    /// Windows event id or other numeric event code.
    EventCode => "event.code",
    /// The provider that wrote the event (Windows provider name, `zeek`, `aws.s3`).
    EventProvider => "event.provider",
    /// The log channel (Windows channel name, Zeek log path such as `conn`).
    EventChannel => "winlog.channel",
    /// Dataset name, e.g. `windows.sysmon`, `zeek.conn`.
    EventDataset => "event.dataset",
    /// What happened, e.g. `GetObject`, `process-created`.
    EventAction => "event.action",
    /// success / failure / unknown.
    EventOutcome => "event.outcome",
    /// Duration in seconds (ECS uses nanoseconds; output converts).
    EventDuration => "event.duration",
    /// Host name.
    HostName => "host.name",
    /// Host IP address.
    HostIp => "host.ip",
    /// User name.
    UserName => "user.name",
    /// User domain.
    UserDomain => "user.domain",
    /// Process id.
    ProcessPid => "process.pid",
    /// Full path of the process image.
    ProcessExecutable => "process.executable",
    /// Base name of the process image.
    ProcessName => "process.name",
    /// Full command line.
    ProcessCommandLine => "process.command_line",
    /// PE original file name (survives renaming).
    ProcessOriginalFileName => "process.pe.original_file_name",
    /// Parent process image path.
    ProcessParentExecutable => "process.parent.executable",
    /// Parent process command line.
    ProcessParentCommandLine => "process.parent.command_line",
    /// Working directory of the process.
    ProcessWorkingDirectory => "process.working_directory",
    /// A file path the event is about.
    FilePath => "file.path",
    /// File size in bytes.
    FileSize => "file.size",
    /// Source (originator) IP.
    SourceIp => "source.ip",
    /// Source port.
    SourcePort => "source.port",
    /// Bytes the source sent (payload).
    SourceBytes => "source.bytes",
    /// Packets the source sent.
    SourcePackets => "source.packets",
    /// Destination (responder) IP.
    DestinationIp => "destination.ip",
    /// Destination port.
    DestinationPort => "destination.port",
    /// Destination domain (DNS name, HTTP host, TLS SNI).
    DestinationDomain => "destination.domain",
    /// Bytes the destination sent (payload).
    DestinationBytes => "destination.bytes",
    /// Packets the destination sent.
    DestinationPackets => "destination.packets",
    /// tcp / udp / icmp.
    NetworkTransport => "network.transport",
    /// Application protocol (http, tls, dns, ftp, ssh, smb...).
    NetworkProtocol => "network.protocol",
    /// inbound / outbound / internal / external, as classified by the source.
    NetworkDirection => "network.direction",
    /// Connection state (Zeek conn_state values).
    ConnectionState => "network.connection.state",
    /// DNS query name.
    DnsQuestionName => "dns.question.name",
    /// DNS query type (A, TXT, NULL...).
    DnsQuestionType => "dns.question.type",
    /// DNS response code (NOERROR, NXDOMAIN...).
    DnsResponseCode => "dns.response_code",
    /// DNS answers as text.
    DnsAnswers => "dns.answers.data",
    /// Full URL.
    UrlFull => "url.full",
    /// URL host.
    UrlDomain => "url.domain",
    /// URL path (and query).
    UrlPath => "url.path",
    /// HTTP method.
    HttpRequestMethod => "http.request.method",
    /// HTTP request body bytes.
    HttpRequestBodyBytes => "http.request.body.bytes",
    /// HTTP response body bytes.
    HttpResponseBodyBytes => "http.response.body.bytes",
    /// HTTP status code.
    HttpResponseStatusCode => "http.response.status_code",
    /// User agent.
    UserAgent => "user_agent.original",
    /// TLS SNI.
    TlsServerName => "tls.client.server_name",
    /// PowerShell script block text (4104) or AMSI content.
    ScriptBlockText => "powershell.file.script_block_text",
    /// Cloud provider (aws, azure, gcp, m365, github).
    CloudProvider => "cloud.provider",
    /// Cloud account id.
    CloudAccountId => "cloud.account.id",
    /// Cloud region.
    CloudRegion => "cloud.region",
    /// Cloud service (s3, exchange, sharepoint...).
    CloudService => "cloud.service.name",
    /// Free text message.
    Message => "message",
}

/// A field reference resolved once at rule-compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldRef {
    /// A typed common field.
    Canonical(Field),
    /// A key of the source-native record.
    Native(Sym),
}

impl FieldRef {
    /// Resolves a name: canonical names first, else the native key (interned).
    pub fn resolve(name: &str) -> Option<FieldRef> {
        match Field::from_name(name) {
            Some(field) => Some(FieldRef::Canonical(field)),
            None => Sym::intern(name).map(FieldRef::Native),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_name(field.name()), Some(*field));
        }
        assert_eq!(Field::from_name("Image"), None);
    }
}
