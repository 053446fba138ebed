//! No input makes a cloud reader panic: random bytes, and valid samples cut,
//! spliced and corrupted at random, go through `sniff` and every reader.

use proptest::prelude::*;
use sources::cloud::{CloudFormat, open, sniff};
use sources::{Input, SourceContext};
use std::io::Cursor;

const ALL: [CloudFormat; 20] = CloudFormat::ALL;

const SEEDS: [&str; 12] = [
    r#"{"Records":[{"eventVersion":"1.08","eventTime":"2020-09-14T01:58:12Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s"},"requestParameters":{"bucketName":"b","key":"k"},"sourceIPAddress":"1.2.3.4"}]}"#,
    "[{\"CreationTime\":\"2024-03-01T22:19:00\",\"Operation\":\"Set-Mailbox\",\"Workload\":\"Exchange\",\"Parameters\":[{\"Name\":\"ForwardingSmtpAddress\",\"Value\":\"smtp:a@b.c\"}],\"ClientIP\":\"[::1]:5\"}]",
    "CreationDate,UserIds,Operations,AuditData\r\n2024-01-01,a,Set-Mailbox,\"{\"\"CreationTime\"\":\"\"2024-01-01T00:00:00\"\",\"\"Operation\"\":\"\"x\"\",\"\"Workload\"\":\"\"Exchange\"\"}\"\r\n",
    "{\"@timestamp\":1700000000000,\"action\":\"repo.access\",\"actor\":\"a\",\"actor_ip\":\"1.2.3.4\"}\n{\"created_at\":\"2023-01-01T00:00:00Z\",\"action\":\"git.clone\",\"actor\":\"b\"}\n",
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n2 1 eni-1 10.0.0.1 8.8.8.8 1 2 6 3 400 1600000000 1600000060 ACCEPT OK\n",
    "Nov  3 10:00:01 h sftp-server[4]: session opened for local user a from [1.2.3.4]\nNov  3 10:00:02 h sftp-server[4]: close \"/x\" bytes read 9 written 0\n",
    r#"{"chunk_size":1,"entries":[{"type":"event","event_id":"b","created_at":"2026-03-02T23:10:00-08:00","event_type":"DOWNLOAD","created_by":{"login":"a@b"},"source":{"name":"x","parent":{"name":"F"}}}],"next_stream_position":"9"}"#,
    r#"{"events":[{"timestamp":"2026-03-03T02:00:01Z","event_category":{".tag":"f"},"actor":{".tag":"user","user":{"email":"a@b"}},"event_type":{".tag":"file_download"}}],"cursor":"c","has_more":false}"#,
    r#"{"@odata.context":"x","value":[{"Timestamp":"2021-08-02T13:11:39Z","DeviceName":"d","ActionType":"ConnectionSuccess","RemoteIP":"1.2.3.4","RemotePort":443}]}"#,
    "Timestamp,DeviceName,ActionType,RemoteIP,RemotePort\r\n2021-08-02T13:11:39Z,d,ConnectionSuccess,1.2.3.4,443\r\n",
    "LogTime,Action,Username,IPAddress,FileName,XferSize\n2026-03-04 01:02:03,file_download,p,1.2.3.4,o.zip,5\n",
    r#"{"query_timestamp":"2021-02-04T17:51:55Z","query_name":"a.b.","query_type":"TXT","rcode":"NXDOMAIN","answers":[{"Rdata":"x"}],"srcaddr":"10.0.0.1","srcport":"53","transport":"UDP","srcids":{"instance":"i-1"}}"#,
];

fn drain(format: CloudFormat, bytes: Vec<u8>) -> usize {
    let input = Input {
        path: "fuzz".into(),
        reader: Box::new(Cursor::new(bytes)),
    };
    match open(format, input, &SourceContext::default()) {
        Ok(source) => source.count(),
        Err(_) => 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = sniff(&bytes);
        for format in ALL {
            drain(format, bytes.clone());
        }
    }

    #[test]
    fn mutated_samples_never_panic(
        seed in 0..SEEDS.len(),
        cut in 0usize..400,
        edits in proptest::collection::vec((0usize..400, any::<u8>()), 0..8),
        splice in proptest::collection::vec(prop::sample::select(b"{}[]\",:\\\n\r 0".to_vec()), 0..12),
    ) {
        let mut bytes = SEEDS[seed].as_bytes().to_vec();
        for (at, byte) in edits {
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
        }
        let at = cut.min(bytes.len());
        bytes.splice(at..at, splice);
        let _ = sniff(&bytes);
        for format in ALL {
            drain(format, bytes.clone());
        }
    }
}

#[test]
fn deeply_nested_json_is_an_error_not_a_crash() {
    let mut text = String::from(
        "{\"eventSource\":\"s\",\"eventName\":\"n\",\"eventTime\":\"2020-01-01T00:00:00Z\",\"x\":",
    );
    text.push_str(&"[".repeat(100_000));
    text.push_str(&"]".repeat(100_000));
    text.push('}');
    let input = Input {
        path: "deep".into(),
        reader: Box::new(Cursor::new(text.into_bytes())),
    };
    let results: Vec<_> = open(CloudFormat::CloudTrail, input, &SourceContext::default())
        .unwrap()
        .collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_ref().unwrap_err().reason, "invalid json");
}
