//! Windows event normalisation shared by every Windows shape (binary EVTX, the
//! `evtx` crate's JSON, Winlogbeat, flat OTRF-style exports): once a reader has put
//! the record's fields into [`model::Native`] under the names Sigma rules use
//! (`EventID`, `Channel`, `Provider_Name`, `Computer`, and the `EventData` children
//! such as `Image` or `CommandLine`), [`normalise`] fills the typed fields, the event
//! kind and the SigmaHQ logsource.
//!
//! Sysmon for Linux (provider `Linux-Sysmon`) goes through the same mapping with
//! product `linux`.

use model::event::{NetworkInfo, ProcessInfo};
use model::{Event, EventKind, LogSource, Networks, Sym, Value, ValueRef};
use std::net::IpAddr;
use std::sync::OnceLock;

/// The native names this module reads, interned once.
struct Names {
    event_id: Sym,
    channel: Sym,
    provider: Sym,
    computer: Sym,
    image: Sym,
    command_line: Sym,
    original_file_name: Sym,
    parent_image: Sym,
    parent_command_line: Sym,
    current_directory: Sym,
    process_id: Sym,
    user: Sym,
    new_process_name: Sym,
    new_process_id: Sym,
    parent_process_name: Sym,
    subject_user_name: Sym,
    subject_domain_name: Sym,
    target_user_name: Sym,
    target_domain_name: Sym,
    source_ip: Sym,
    source_port: Sym,
    destination_ip: Sym,
    destination_port: Sym,
    destination_hostname: Sym,
    protocol: Sym,
    source_address: Sym,
    dest_address: Sym,
    dest_port: Sym,
    application: Sym,
    query_name: Sym,
    query_results: Sym,
    query_status: Sym,
    target_filename: Sym,
    script_block_text: Sym,
    path: Sym,
    task_name: Sym,
    amsi_content: Sym,
    amsi_content_name: Sym,
    event_type: Sym,
    process_id_upper: Sym,
}

fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let s = |name: &str| Sym::intern(name).unwrap_or(Sym(u32::MAX));
        Names {
            event_id: s("EventID"),
            channel: s("Channel"),
            provider: s("Provider_Name"),
            computer: s("Computer"),
            image: s("Image"),
            command_line: s("CommandLine"),
            original_file_name: s("OriginalFileName"),
            parent_image: s("ParentImage"),
            parent_command_line: s("ParentCommandLine"),
            current_directory: s("CurrentDirectory"),
            process_id: s("ProcessId"),
            user: s("User"),
            new_process_name: s("NewProcessName"),
            new_process_id: s("NewProcessId"),
            parent_process_name: s("ParentProcessName"),
            subject_user_name: s("SubjectUserName"),
            subject_domain_name: s("SubjectDomainName"),
            target_user_name: s("TargetUserName"),
            target_domain_name: s("TargetDomainName"),
            source_ip: s("SourceIp"),
            source_port: s("SourcePort"),
            destination_ip: s("DestinationIp"),
            destination_port: s("DestinationPort"),
            destination_hostname: s("DestinationHostname"),
            protocol: s("Protocol"),
            source_address: s("SourceAddress"),
            dest_address: s("DestAddress"),
            dest_port: s("DestPort"),
            application: s("Application"),
            query_name: s("QueryName"),
            query_results: s("QueryResults"),
            query_status: s("QueryStatus"),
            target_filename: s("TargetFilename"),
            script_block_text: s("ScriptBlockText"),
            path: s("Path"),
            task_name: s("TaskName"),
            amsi_content: s("content"),
            amsi_content_name: s("contentname"),
            event_type: s("EventType"),
            process_id_upper: s("ProcessID"),
        }
    })
}

fn text(event: &Event, sym: Sym) -> Option<&str> {
    match event.native.get(sym)? {
        ValueRef::Str(s) => {
            let s = s.trim();
            (!s.is_empty() && s != "-").then_some(s)
        }
        _ => None,
    }
}

fn owned(event: &Event, sym: Sym) -> Option<String> {
    text(event, sym).map(str::to_owned)
}

/// A number from an integer, a decimal string or a `0x` hex string (4688 ids).
fn number(event: &Event, sym: Sym) -> Option<u64> {
    match event.native.get(sym)? {
        ValueRef::Int(i) => u64::try_from(i).ok(),
        ValueRef::Float(f) if f >= 0.0 && f.fract() == 0.0 => Some(f as u64),
        ValueRef::Str(s) => parse_number(s),
        _ => None,
    }
}

/// An EventData text value as rules should see it, in every Windows shape:
/// Windows pads some strings with trailing spaces (4624's `LogonProcessName`
/// is `"NtLmSsp "`), which no rule writes, so they are dropped (as Hayabusa
/// does). Leading spaces are kept.
pub(crate) fn without_padding(text: &str) -> &str {
    text.trim_end_matches(' ')
}

/// Parses decimal or `0x`-prefixed hexadecimal text.
pub(crate) fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn ip(event: &Event, sym: Sym) -> Option<IpAddr> {
    text(event, sym).and_then(parse_ip)
}

/// Parses an address, tolerating IPv6 brackets and zone ids.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_start_matches('[').trim_end_matches(']');
    let text = text.split('%').next().unwrap_or(text);
    text.parse().ok()
}

/// The file name part of a Windows or POSIX path.
pub(crate) fn base_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Fills the typed fields, kind and logsource of a Windows-shaped event whose
/// native record is complete. `code`, `channel` and `provider` are read from the
/// native `EventID`, `Channel` and `Provider_Name` when the reader did not set them.
pub fn normalise(event: &mut Event, networks: &Networks) {
    let n = names();
    if event.code.is_none() {
        event.code = number(event, n.event_id).and_then(|c| u32::try_from(c).ok());
    }
    if event.channel.is_none() {
        event.channel = owned(event, n.channel);
    }
    if event.provider.is_none() {
        event.provider = owned(event, n.provider);
    }
    if event.host_name.is_none() {
        event.host_name = owned(event, n.computer);
    }
    let code = event.code.unwrap_or(0);
    // Borrowed, not copied: this runs on every Windows event.
    let channel = event.channel.as_deref().unwrap_or_default();
    let provider = event.provider.as_deref().unwrap_or_default();
    let is_sysmon = provider.eq_ignore_ascii_case("Microsoft-Windows-Sysmon")
        || provider.eq_ignore_ascii_case("Linux-Sysmon")
        || model::text::contains_ignore_ascii_case(channel, "sysmon/operational");
    let linux = provider.eq_ignore_ascii_case("Linux-Sysmon")
        || channel.eq_ignore_ascii_case("Linux-Sysmon/Operational");
    let service = service_of(channel, provider);
    let category = category_of(event, code, service, is_sysmon);
    event.logsource = LogSource::new(
        Some(if linux { "linux" } else { "windows" }),
        category,
        service,
    );
    event.dataset = service.map(|s| format!("{}.{s}", if linux { "linux" } else { "windows" }));
    fill_typed(event, code, service, is_sysmon, networks);
}

/// The SigmaHQ `service` of a Windows channel.
fn service_of(channel: &str, provider: &str) -> Option<&'static str> {
    // Lower-cased on the stack for the usual channel name (every event asks).
    let mut buf = [0u8; 128];
    let owned;
    let lower: &str = match buf.get_mut(..channel.len()) {
        Some(copy) => {
            copy.copy_from_slice(channel.as_bytes());
            copy.make_ascii_lowercase();
            std::str::from_utf8(copy).expect("lower-casing ASCII keeps UTF-8")
        }
        None => {
            owned = channel.to_ascii_lowercase();
            &owned
        }
    };
    let service = match lower {
        "security" => "security",
        "system" => "system",
        "application" => "application",
        "windows powershell" => "powershell-classic",
        "microsoft-windows-powershell/operational" | "powershellcore/operational" => "powershell",
        "microsoft-windows-sysmon/operational" | "linux-sysmon/operational" => "sysmon",
        "microsoft-windows-bits-client/operational" => "bits-client",
        "microsoft-windows-taskscheduler/operational" => "taskscheduler",
        "microsoft-windows-windows defender/operational" => "windefend",
        "microsoft-windows-wmi-activity/operational" => "wmi",
        "microsoft-windows-dns-client/operational" => "dns-client",
        "dns server" => "dns-server",
        "microsoft-windows-ntlm/operational" => "ntlm",
        "microsoft-windows-windows firewall with advanced security/firewall" => "firewall-as",
        "microsoft-windows-terminalservices-localsessionmanager/operational" => {
            "terminalservices-localsessionmanager"
        }
        "microsoft-windows-codeintegrity/operational" => "codeintegrity-operational",
        "microsoft-windows-smbclient/security" => "smbclient-security",
        "microsoft-windows-printservice/admin" => "printservice-admin",
        "microsoft-windows-printservice/operational" => "printservice-operational",
        "microsoft-windows-driverframeworks-usermode/operational" => "driver-framework",
        "microsoft-windows-shell-core/operational" => "shell-core",
        "openssh/operational" => "openssh",
        "microsoft-windows-ldap-client/debug" => "ldap_debug",
        "microsoft-windows-appxdeployment-server/operational" => "appxdeployment-server",
        "microsoft-windows-appxpackaging/operational" => "appxpackaging-om",
        "microsoft-windows-diagnosis-scripted/operational" => "diagnosis-scripted",
        "microsoft-windows-capi2/operational" => "capi2",
        "microsoft-windows-dhcp-server/operational" => "dhcp",
        "microsoft-windows-msexchange management" | "msexchange management" => {
            "msexchange-management"
        }
        "microsoft-windows-antimalware-scan-interface/operational" => "amsi",
        _ if lower.starts_with("microsoft-windows-applocker/") => "applocker",
        _ if lower.starts_with("microsoft-windows-security-mitigations/") => "security-mitigations",
        _ if provider.eq_ignore_ascii_case("Microsoft-Antimalware-Scan-Interface") => "amsi",
        _ => return None,
    };
    Some(service)
}

/// The SigmaHQ `category`, from the Sysmon event id or the channel's event id.
fn category_of(
    event: &Event,
    code: u32,
    service: Option<&str>,
    is_sysmon: bool,
) -> Option<&'static str> {
    if is_sysmon {
        return sysmon_category(event, code);
    }
    match (service, code) {
        (Some("security"), 4688) => Some("process_creation"),
        // Windows Filtering Platform "connection permitted": the process-to-network
        // link on hosts without Sysmon, as SigmaHQ's `network_connection`.
        (Some("security"), 5156) => Some("network_connection"),
        (Some("powershell"), 4104) => Some("ps_script"),
        // AMSI scan events carry the script content PowerShell handed to the
        // antimalware scanner: the same text a 4104 script block has, so the
        // script-content rules (category ps_script, field ScriptBlockText, which maps
        // to the decoded `powershell.file.script_block_text`) read it too.
        (Some("amsi"), _) => Some("ps_script"),
        // Defender's detection records are SigmaHQ's generic `antivirus` category
        // (malware found, suspicious behaviour, detected, action taken).
        (Some("windefend"), 1006 | 1015 | 1116 | 1117) => Some("antivirus"),
        (Some("powershell"), 4103) => Some("ps_module"),
        (Some("powershell-classic"), 800) => Some("ps_module"),
        (Some("powershell-classic"), 400) => Some("ps_classic_start"),
        (Some("powershell-classic"), 600) => Some("ps_classic_provider_start"),
        _ => None,
    }
}

fn sysmon_category(event: &Event, code: u32) -> Option<&'static str> {
    Some(match code {
        1 => "process_creation",
        2 => "file_change",
        3 => "network_connection",
        4 | 16 => "sysmon_status",
        5 => "process_termination",
        6 => "driver_load",
        7 => "image_load",
        8 => "create_remote_thread",
        9 => "raw_access_thread",
        10 => "process_access",
        11 => "file_event",
        12 => match text(event, names().event_type) {
            Some(t)
                if t.eq_ignore_ascii_case("DeleteKey") || t.eq_ignore_ascii_case("DeleteValue") =>
            {
                "registry_delete"
            }
            _ => "registry_add",
        },
        13 => "registry_set",
        14 => "registry_rename",
        15 => "create_stream_hash",
        17 | 18 => "pipe_created",
        19..=21 => "wmi_event",
        22 => "dns_query",
        23 | 26 => "file_delete",
        24 => "clipboard_capture",
        25 => "process_tampering",
        27..=29 => "file_block",
        255 => "sysmon_error",
        _ => return None,
    })
}

fn fill_typed(
    event: &mut Event,
    code: u32,
    service: Option<&str>,
    is_sysmon: bool,
    networks: &Networks,
) {
    let n = names();
    fill_user(event);
    match (is_sysmon, service, code) {
        (true, _, 1) => {
            event.kind = EventKind::ProcessStart;
            event.action = Some("process-created".into());
            fill_sysmon_process(event);
        }
        (true, _, 3) => {
            event.kind = EventKind::Network;
            fill_process_image(event);
            let mut net = network_from(
                event,
                n.source_ip,
                n.source_port,
                n.destination_ip,
                n.destination_port,
            );
            net.destination_domain = owned(event, n.destination_hostname);
            net.transport = owned(event, n.protocol).map(|p| p.to_ascii_lowercase());
            event.network = Some(Box::new(net));
            orient(event, networks);
        }
        (true, _, 22) => {
            event.kind = EventKind::Dns;
            fill_process_image(event);
            let name = owned(event, n.query_name);
            let status = owned(event, n.query_status);
            let answers = text(event, n.query_results)
                .map(split_query_results)
                .unwrap_or_default();
            let dns = event.dns_mut();
            dns.question_name = name;
            dns.response_code = status;
            dns.answers = answers;
        }
        (true, _, 11) | (true, _, 2) | (true, _, 15) => {
            event.kind = EventKind::File;
            fill_process_image(event);
            event.file_path = owned(event, n.target_filename);
        }
        (true, _, 23) | (true, _, 26) => {
            fill_process_image(event);
            event.file_path = owned(event, n.target_filename);
        }
        (true, _, _) => fill_process_image(event),
        (false, Some("security"), 4688) => {
            event.kind = EventKind::ProcessStart;
            event.action = Some("process-created".into());
            let process = ProcessInfo {
                pid: number(event, n.new_process_id),
                executable: owned(event, n.new_process_name),
                command_line: owned(event, n.command_line),
                parent_executable: owned(event, n.parent_process_name),
                ..ProcessInfo::default()
            };
            set_process(event, process);
        }
        (false, Some("security"), 5156 | 5157) => {
            event.kind = EventKind::Network;
            let mut net = network_from(
                event,
                n.source_address,
                n.source_port,
                n.dest_address,
                n.dest_port,
            );
            net.transport = number(event, n.protocol)
                .and_then(ip_protocol_name)
                .map(str::to_owned);
            event.network = Some(Box::new(net));
            let process = ProcessInfo {
                pid: number(event, n.process_id_upper).or_else(|| number(event, n.process_id)),
                executable: owned(event, n.application),
                ..ProcessInfo::default()
            };
            set_process(event, process);
            orient(event, networks);
            // Sysmon 3's `Initiated`, which network_connection rules test, from
            // 5156's `Direction` (%%14593 outbound, %%14592 inbound).
            let initiated = text(event, Sym::intern("Direction").unwrap_or(Sym(u32::MAX)))
                .map(|d| d == "%%14593" || d.eq_ignore_ascii_case("outbound"));
            if let Some(initiated) = initiated
                && event.native.get_by_name("Initiated").is_none()
            {
                event.native.push(
                    "Initiated",
                    Value::from(if initiated { "true" } else { "false" }),
                );
            }
        }
        (false, Some("security"), 4698 | 4702) | (false, Some("taskscheduler"), 106 | 140) => {
            event.kind = EventKind::ScheduledTask;
            event.action = Some(
                if code == 4702 || code == 140 {
                    "scheduled-task-updated"
                } else {
                    "scheduled-task-created"
                }
                .into(),
            );
            event.message = owned(event, n.task_name);
        }
        (false, Some("security"), 4624 | 4625 | 4648 | 4776) => {
            event.kind = EventKind::Authentication;
            event.outcome = Some(if code == 4625 { "failure" } else { "success" }.into());
        }
        (false, Some("powershell"), 4104) => {
            event.kind = EventKind::Script;
            event.script_text = owned(event, n.script_block_text);
            event.file_path = owned(event, n.path);
        }
        (false, Some("amsi"), _) => {
            event.kind = EventKind::Script;
            event.script_text = text(event, n.amsi_content).map(decode_amsi_content);
            event.file_path = owned(event, n.amsi_content_name);
        }
        _ => {}
    }
}

/// Network facts from the native address and port fields named by the symbols.
fn network_from(event: &Event, src: Sym, sport: Sym, dst: Sym, dport: Sym) -> NetworkInfo {
    NetworkInfo {
        source_ip: ip(event, src),
        source_port: number(event, sport).and_then(|p| u16::try_from(p).ok()),
        destination_ip: ip(event, dst),
        destination_port: number(event, dport).and_then(|p| u16::try_from(p).ok()),
        ..Default::default()
    }
}

/// IANA protocol numbers Windows logs use in 5156.
fn ip_protocol_name(number: u64) -> Option<&'static str> {
    Some(match number {
        1 => "icmp",
        6 => "tcp",
        17 => "udp",
        58 => "ipv6-icmp",
        _ => return None,
    })
}

/// Sets `network.direction` from the configured internal networks.
pub(crate) fn orient(event: &mut Event, networks: &Networks) {
    if let Some(net) = event.network.as_deref_mut()
        && let (Some(src), Some(dst)) = (net.source_ip, net.destination_ip)
    {
        net.direction = Some(direction(networks, src, dst).into());
    }
}

/// `outbound`, `inbound`, `internal` or `external`, as ECS `network.direction`.
pub(crate) fn direction(networks: &Networks, src: IpAddr, dst: IpAddr) -> &'static str {
    let (src_in, dst_in) = (networks.is_internal(src), networks.is_internal(dst));
    match (src_in, dst_in) {
        (true, true) => "internal",
        (true, false) if Networks::is_special(dst) => "internal",
        (true, false) => "outbound",
        (false, true) => "inbound",
        (false, false) => "external",
    }
}

fn fill_sysmon_process(event: &mut Event) {
    let n = names();
    let process = ProcessInfo {
        pid: number(event, n.process_id),
        executable: owned(event, n.image),
        command_line: owned(event, n.command_line),
        original_file_name: owned(event, n.original_file_name),
        parent_executable: owned(event, n.parent_image),
        parent_command_line: owned(event, n.parent_command_line),
        working_directory: owned(event, n.current_directory),
        ..ProcessInfo::default()
    };
    set_process(event, process);
}

fn fill_process_image(event: &mut Event) {
    let n = names();
    if text(event, n.image).is_none() {
        return;
    }
    let process = ProcessInfo {
        pid: number(event, n.process_id),
        executable: owned(event, n.image),
        ..ProcessInfo::default()
    };
    set_process(event, process);
}

fn set_process(event: &mut Event, mut process: ProcessInfo) {
    process.name = process
        .executable
        .as_deref()
        .map(|p| base_name(p).to_owned());
    event.process = Some(Box::new(process));
}

/// `User` (`DOMAIN\name`), else the 4688-style subject or target names.
fn fill_user(event: &mut Event) {
    let n = names();
    if let Some(user) = text(event, n.user) {
        let (domain, name) = match user.split_once('\\') {
            Some((domain, name)) => (Some(domain.to_owned()), name.to_owned()),
            None => (None, user.to_owned()),
        };
        event.user_name = Some(name);
        event.user_domain = domain;
        return;
    }
    for (user, domain) in [
        (n.target_user_name, n.target_domain_name),
        (n.subject_user_name, n.subject_domain_name),
    ] {
        if let Some(name) = text(event, user) {
            event.user_name = Some(name.to_owned());
            event.user_domain = owned(event, domain);
            return;
        }
    }
}

/// Sysmon 22 `QueryResults`: `type:  5 x.example;::ffff:1.2.3.4;` → the names and
/// addresses, without the record type prefix.
fn split_query_results(results: &str) -> Vec<String> {
    results
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
        .map(|s| {
            let s = match s.strip_prefix("type:") {
                Some(rest) => rest.trim_start().split_once(' ').map(|x| x.1).unwrap_or(""),
                None => s,
            };
            s.trim()
                .strip_prefix("::ffff:")
                .unwrap_or(s.trim())
                .to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// AMSI `content` is the scanned buffer, rendered as hex of UTF-16LE text by most
/// exporters; decode it when it is, keep it as given otherwise.
fn decode_amsi_content(content: &str) -> String {
    let hex = content.trim().trim_start_matches("0x");
    if hex.len() >= 4 && hex.len().is_multiple_of(4) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect();
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        let decoded = String::from_utf16_lossy(&units);
        if decoded
            .chars()
            .all(|c| !c.is_control() || c.is_whitespace())
        {
            return decoded;
        }
    }
    content.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(fields: &[(&str, Value)]) -> Event {
        let mut event = Event::default();
        for (k, v) in fields {
            event.native.push(k, v.clone());
        }
        event
    }

    #[test]
    fn sysmon_process_creation() {
        let mut e = event(&[
            ("EventID", Value::Int(1)),
            ("Channel", "Microsoft-Windows-Sysmon/Operational".into()),
            ("Provider_Name", "Microsoft-Windows-Sysmon".into()),
            ("Computer", "ws1.corp".into()),
            ("Image", r"C:\Tools\rclone.exe".into()),
            ("CommandLine", "rclone copy C:\\data mega:".into()),
            ("ParentImage", r"C:\Windows\System32\cmd.exe".into()),
            ("ProcessId", Value::Int(4242)),
            ("User", r"CORP\alice".into()),
        ]);
        normalise(&mut e, &Networks::default());
        assert_eq!(e.kind, EventKind::ProcessStart);
        assert_eq!(
            e.logsource,
            LogSource::new(Some("windows"), Some("process_creation"), Some("sysmon"))
        );
        let p = e.process.as_deref().unwrap();
        assert_eq!(p.name.as_deref(), Some("rclone.exe"));
        assert_eq!(p.pid, Some(4242));
        assert_eq!(e.user_name.as_deref(), Some("alice"));
        assert_eq!(e.user_domain.as_deref(), Some("CORP"));
        assert_eq!(e.host_name.as_deref(), Some("ws1.corp"));
    }

    #[test]
    fn security_4688_is_process_creation_with_hex_pid() {
        let mut e = event(&[
            ("EventID", Value::Int(4688)),
            ("Channel", "Security".into()),
            ("NewProcessName", r"C:\Windows\System32\curl.exe".into()),
            ("NewProcessId", "0x1a2c".into()),
            ("SubjectUserName", "bob".into()),
        ]);
        normalise(&mut e, &Networks::default());
        assert_eq!(e.kind, EventKind::ProcessStart);
        assert_eq!(e.logsource.category, Sym::lookup("process_creation"));
        assert_eq!(e.process.as_deref().unwrap().pid, Some(0x1a2c));
        assert_eq!(e.user_name.as_deref(), Some("bob"));
    }

    #[test]
    fn network_5156_and_sysmon_dns() {
        let mut e = event(&[
            ("EventID", Value::Int(5156)),
            ("Channel", "Security".into()),
            ("SourceAddress", "10.0.0.5".into()),
            ("SourcePort", "50000".into()),
            ("DestAddress", "203.0.113.9".into()),
            ("DestPort", "443".into()),
            ("Protocol", "6".into()),
        ]);
        normalise(&mut e, &Networks::default());
        let net = e.network.as_deref().unwrap();
        assert_eq!(net.transport.as_deref(), Some("tcp"));
        assert_eq!(net.direction.as_deref(), Some("outbound"));
        assert_eq!(net.destination_port, Some(443));

        let mut d = event(&[
            ("EventID", Value::Int(22)),
            ("Channel", "Microsoft-Windows-Sysmon/Operational".into()),
            ("QueryName", "x.example".into()),
            (
                "QueryResults",
                "type:  5 y.example;::ffff:198.51.100.7;".into(),
            ),
        ]);
        normalise(&mut d, &Networks::default());
        assert_eq!(d.kind, EventKind::Dns);
        assert_eq!(
            d.dns.as_deref().unwrap().answers,
            ["y.example", "198.51.100.7"]
        );
    }

    #[test]
    fn amsi_hex_content_is_decoded() {
        let hex: String = "iwr x"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(decode_amsi_content(&hex), "iwr x");
        assert_eq!(decode_amsi_content("plain"), "plain");
    }

    #[test]
    fn amsi_events_are_script_content_for_the_rules() {
        let event = Event::default();
        let category = |service, code| category_of(&event, code, Some(service), false);
        assert_eq!(category("amsi", 1101), Some("ps_script"));
        assert_eq!(category("powershell", 4104), Some("ps_script"));
        assert_eq!(category("powershell", 4103), Some("ps_module"));
    }
}
