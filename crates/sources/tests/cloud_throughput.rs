//! Reading speed of the cloud readers on generated records (ignored by default):
//!
//! ```sh
//! cargo test -p sources --release --test cloud_throughput -- --ignored --nocapture
//! ```
//!
//! Prints records per second and megabytes per second, single-threaded, for a
//! CloudTrail delivery file, M365 JSON Lines, VPC Flow Log text, a Dropbox team
//! log page and a MOVEit Transfer audit CSV.

use sources::cloud::{open, sniff};
use sources::{Input, SourceContext};
use std::io::Cursor;
use std::time::Instant;

fn cloudtrail_record(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","principalId":"AROA:i-{i:x}","arn":"arn:aws:sts::111122223333:assumed-role/app-role/i-{i:x}","accountId":"111122223333","accessKeyId":"ASIA{i:012}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::111122223333:role/app-role","accountId":"111122223333","userName":"app-role"}},"attributes":{{"creationDate":"2026-01-05T01:00:00Z","mfaAuthenticated":"false"}}}}}},"eventTime":"2026-01-05T02:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.{}","userAgent":"aws-sdk-java/1.12.0","requestParameters":{{"bucketName":"corp-data","Host":"corp-data.s3.eu-west-1.amazonaws.com","key":"exports/part-{i:06}.csv"}},"responseElements":null,"additionalEventData":{{"bytesTransferredIn":0,"bytesTransferredOut":{}}},"requestID":"{i:016X}","eventID":"00000000-0000-4000-8000-{i:012}","readOnly":true,"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::corp-data/exports/part-{i:06}.csv"}},{{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::corp-data"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}}"#,
        (i / 60) % 60,
        i % 60,
        i % 250,
        1000 + i
    )
}

fn m365_record(i: usize) -> String {
    format!(
        r#"{{"CreationTime":"2026-01-05T02:{:02}:{:02}","Id":"{i:032x}","Operation":"FileDownloaded","OrganizationId":"5f7e2b3c","RecordType":6,"UserKey":"i:0h.f|membership|{i}","UserType":0,"Version":1,"Workload":"SharePoint","ClientIP":"198.51.100.{}","ObjectId":"https://corp.sharepoint.com/sites/finance/Shared Documents/report-{i}.xlsx","UserId":"user{}@corp.example","EventSource":"SharePoint","ItemType":"File","ListId":"0c8f","Site":"5a1d","UserAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","WebId":"9e2b","SourceFileExtension":"xlsx","SiteUrl":"https://corp.sharepoint.com/sites/finance/","SourceFileName":"report-{i}.xlsx","SourceRelativeUrl":"Shared Documents"}}"#,
        (i / 60) % 60,
        i % 60,
        i % 250,
        i % 500
    )
}

fn vpc_line(i: usize) -> String {
    format!(
        "2 111122223333 eni-0a1b2c3d 10.0.{}.{} 198.51.100.{} {} 443 6 {} {} {} {} ACCEPT OK",
        (i / 250) % 250,
        i % 250,
        i % 200,
        30000 + i % 30000,
        10 + i % 90,
        5000 + i,
        1_767_578_400 + i as u64,
        1_767_578_460 + i as u64
    )
}

fn dropbox_event(i: usize) -> String {
    format!(
        r#"{{"timestamp":"2026-01-05T02:{:02}:{:02}Z","event_category":{{".tag":"file_operations"}},"actor":{{".tag":"user","user":{{".tag":"team_member","account_id":"dbid:{i:x}","display_name":"User {i}","email":"user{}@corp.example"}}}},"origin":{{"geo_location":{{"ip_address":"198.51.100.{}","country":"NL"}},"access_method":{{".tag":"end_user","end_user":{{".tag":"web"}}}}}},"involve_non_team_member":false,"assets":[{{".tag":"file","path":{{"contextual":"/Finance/report-{i}.xlsx"}},"display_name":"report-{i}.xlsx","file_id":"id:{i:x}"}}],"event_type":{{".tag":"file_download","description":"Downloaded files and/or folders"}},"details":{{".tag":"file_download_details"}}}}"#,
        (i / 60) % 60,
        i % 60,
        i % 500,
        i % 250
    )
}

fn moveit_row(i: usize) -> String {
    format!(
        "2026-01-05 02:{:02}:{:02},file_download,partner{},198.51.100.{},/Home/partner{},orders-{i}.zip,{},Success",
        (i / 60) % 60,
        i % 60,
        i % 50,
        i % 250,
        i % 50,
        1000 + i
    )
}

fn measure(name: &str, bytes: Vec<u8>, expected: usize) {
    let size = bytes.len();
    let format = sniff(&bytes[..size.min(64 * 1024)]).expect("sniffed");
    let start = Instant::now();
    let input = Input {
        path: name.into(),
        reader: Box::new(Cursor::new(bytes)),
    };
    let mut events = 0usize;
    for item in open(format, input, &SourceContext::default()).unwrap() {
        item.unwrap();
        events += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(events, expected);
    println!(
        "{name:<28} {events:>8} records {:>8.1} MB  {:>9.0} records/s  {:>6.1} MB/s",
        size as f64 / 1e6,
        events as f64 / secs,
        size as f64 / 1e6 / secs
    );
}

#[test]
#[ignore = "a measurement; run with --release -- --ignored --nocapture"]
fn cloud_reader_throughput() {
    const N: usize = 100_000;
    let records: Vec<String> = (0..N).map(cloudtrail_record).collect();
    let trail = format!("{{\"Records\":[{}]}}", records.join(","));
    measure("cloudtrail Records file", trail.into_bytes(), N);
    let lines: String = (0..N).map(|i| m365_record(i) + "\n").collect();
    measure("m365 JSON Lines", lines.into_bytes(), N);
    let flows: String = (0..N).map(|i| vpc_line(i) + "\n").collect();
    measure("vpc flow text", flows.into_bytes(), N);
    let events: Vec<String> = (0..N).map(dropbox_event).collect();
    let page = format!(
        "{{\"events\":[{}],\"cursor\":\"AAH\",\"has_more\":false}}",
        events.join(",")
    );
    measure("dropbox events page", page.into_bytes(), N);
    let csv: String = std::iter::once(
        "LogTime,Action,Username,IPAddress,FolderPath,FileName,XferSize,Status\n".to_string(),
    )
    .chain((0..N).map(|i| moveit_row(i) + "\n"))
    .collect();
    measure("moveit audit csv", csv.into_bytes(), N);
}
