//! MITRE ATT&CK technique ids exfilguard reports, with their names.

/// (id, name) of the techniques the detectors and the rule pack use.
pub const TECHNIQUES: &[(&str, &str)] = &[
    ("T1020", "Automated Exfiltration"),
    ("T1030", "Data Transfer Size Limits"),
    ("T1041", "Exfiltration Over C2 Channel"),
    ("T1048", "Exfiltration Over Alternative Protocol"),
    ("T1048.003", "Exfiltration Over Unencrypted Non-C2 Protocol"),
    ("T1567", "Exfiltration Over Web Service"),
    ("T1567.002", "Exfiltration to Cloud Storage"),
    ("T1560", "Archive Collected Data"),
    ("T1560.001", "Archive via Utility"),
    ("T1074", "Data Staged"),
    ("T1074.001", "Local Data Staging"),
    ("T1053", "Scheduled Task/Job"),
    ("T1053.003", "Cron"),
    ("T1053.005", "Scheduled Task"),
    ("T1059", "Command and Scripting Interpreter"),
    ("T1059.001", "PowerShell"),
    ("T1071", "Application Layer Protocol"),
    ("T1071.004", "DNS"),
    ("T1197", "BITS Jobs"),
    ("T1114", "Email Collection"),
    ("T1114.003", "Email Forwarding Rule"),
    ("T1530", "Data from Cloud Storage"),
    ("T1537", "Transfer Data to Cloud Account"),
    ("T1213", "Data from Information Repositories"),
    ("T1119", "Automated Collection"),
];

/// The name of a technique id, if known.
pub fn technique_name(id: &str) -> Option<&'static str> {
    TECHNIQUES.iter().find(|(t, _)| *t == id).map(|(_, n)| *n)
}

/// Converts a Sigma tag (`attack.t1020`, `attack.t1059.001`) to a technique id.
pub fn technique_from_tag(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix("attack.")?;
    let bytes = rest.as_bytes();
    if bytes.len() >= 5
        && (bytes[0] == b't' || bytes[0] == b'T')
        && bytes[1..5].iter().all(u8::is_ascii_digit)
    {
        Some(rest.to_ascii_uppercase())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_to_ids() {
        assert_eq!(
            technique_from_tag("attack.t1059.001").as_deref(),
            Some("T1059.001")
        );
        assert_eq!(technique_from_tag("attack.exfiltration"), None);
        assert_eq!(technique_name("T1020"), Some("Automated Exfiltration"));
    }
}
