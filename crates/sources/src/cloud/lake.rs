//! AWS CloudTrail Lake query results, as `aws cloudtrail get-query-results` writes
//! them: `{"QueryStatus": ..., "QueryStatistics": {...}, "QueryResultRows": [[{"col":
//! value}, {"col": value}], ...], "NextToken": ...}`.
//!
//! Each row is a list of one-member objects, one per selected column. A row with an
//! `eventJson` column (the whole CloudTrail record as text, what `SELECT eventJson`
//! returns) is read as that record; any other row is read from its columns
//! (`eventTime`, `eventSource`, `eventName`, `userIdentity`, `sourceIPAddress`...),
//! which are CloudTrail's own names. Either way the event is mapped exactly as a
//! CloudTrail record is. Each row's offset is the byte offset of its opening `[`.
//!
//! A page is one JSON document: it is read whole, up to [`MAX_PAGE_BYTES`].

use super::derive::OrgFacts;
use crate::{Input, RecordError, Source};
use model::Origin;
use serde_json::{Map, Value as Json};
use std::io::Read;
use std::sync::Arc;

/// Largest query-result page read (the API pages results far below this).
pub const MAX_PAGE_BYTES: u64 = 256 * 1024 * 1024;

/// Whether the head of an input is a CloudTrail Lake result page.
pub fn sniff(head: &[u8]) -> bool {
    head.windows(17).any(|w| w == b"\"QueryResultRows\"")
}

/// Reads a result page; see the module docs.
pub fn open(input: Input, org: OrgFacts) -> Box<dyn Source> {
    let file = input.path.clone();
    let mut bytes = Vec::new();
    let read = input
        .reader
        .take(MAX_PAGE_BYTES + 1)
        .read_to_end(&mut bytes);
    let events: Vec<Result<model::Event, RecordError>> = match read {
        Err(e) => vec![Err(RecordError::new(&file, 0, format!("read error: {e}")))],
        Ok(_) if bytes.len() as u64 > MAX_PAGE_BYTES => {
            vec![Err(RecordError::new(
                &file,
                0,
                "query result page too large",
            ))]
        }
        Ok(_) => rows(&file, &bytes, &org),
    };
    Box::new(events.into_iter())
}

fn rows(file: &Arc<str>, bytes: &[u8], org: &OrgFacts) -> Vec<Result<model::Event, RecordError>> {
    let page: Map<String, Json> = match serde_json::from_slice(bytes) {
        Ok(page) => page,
        Err(_) => return vec![Err(RecordError::new(file, 0, "invalid json"))],
    };
    let Some(Json::Array(rows)) = page.get("QueryResultRows") else {
        return vec![Err(RecordError::new(file, 0, "no QueryResultRows array"))];
    };
    let offsets = row_offsets(bytes);
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let offset = offsets.get(i).copied().unwrap_or(0);
            let origin = Origin {
                file: file.clone(),
                offset,
            };
            row_record(row)
                .and_then(|record| super::map_record(&record, origin, org))
                .map_err(|reason| RecordError::new(file, offset, reason))
        })
        .collect()
}

/// The CloudTrail record of one result row.
fn row_record(row: &Json) -> Result<Map<String, Json>, &'static str> {
    let Json::Array(cells) = row else {
        return Err("result row is not a list");
    };
    let mut columns = Map::new();
    for cell in cells {
        let Json::Object(cell) = cell else {
            return Err("result cell is not an object");
        };
        columns.extend(cell.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let event_json = columns
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("eventJson"))
        .map(|(_, v)| v.clone());
    match event_json {
        Some(Json::String(text)) => serde_json::from_str(&text).map_err(|_| "invalid eventJson"),
        Some(Json::Object(record)) => Ok(record),
        Some(_) => Err("eventJson is not a record"),
        None => Ok(columns.into_iter().map(|(k, v)| (k, unquote(v))).collect()),
    }
}

/// Lake returns nested columns (`userIdentity`) as JSON text: parse them back.
fn unquote(value: Json) -> Json {
    match &value {
        Json::String(text) if text.starts_with('{') || text.starts_with('[') => {
            serde_json::from_str(text).unwrap_or(value)
        }
        _ => value,
    }
}

/// Byte offsets of the rows of `QueryResultRows`: the `[` of each row.
fn row_offsets(bytes: &[u8]) -> Vec<u64> {
    let key = b"\"QueryResultRows\"";
    let Some(start) = bytes.windows(key.len()).position(|w| w == key) else {
        return Vec::new();
    };
    let mut offsets = Vec::new();
    let (mut depth, mut in_string, mut escape) = (0usize, false, false);
    for (i, &byte) in bytes.iter().enumerate().skip(start + key.len()) {
        if in_string {
            match byte {
                _ if escape => escape = false,
                b'\\' => escape = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if byte == b'[' && depth == 2 {
                    offsets.push(i as u64);
                }
            }
            b']' | b'}' => {
                if depth <= 1 {
                    break;
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(text: &str) -> (Vec<model::Event>, Vec<RecordError>) {
        let input = Input {
            path: "lake.json".into(),
            reader: Box::new(Cursor::new(text.as_bytes().to_vec())),
        };
        let (mut events, mut errors) = (Vec::new(), Vec::new());
        for item in open(input, OrgFacts::default()) {
            match item {
                Ok(e) => events.push(e),
                Err(e) => errors.push(e),
            }
        }
        (events, errors)
    }

    #[test]
    fn event_json_rows_column_rows_and_a_bad_row() {
        let page = r#"{"QueryStatus":"FINISHED","QueryStatistics":{"ResultsCount":3,"TotalResultsCount":3},"QueryResultRows":[
[{"eventJson":"{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-03-02T01:02:03Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"sourceIPAddress\":\"203.0.113.5\",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"svc-export\"},\"requestParameters\":{\"bucketName\":\"finance\",\"key\":\"q1.csv\"}}"}],
[{"eventTime":"2026-03-02 01:05:00.000"},{"eventSource":"rds.amazonaws.com"},{"eventName":"ModifyDBInstance"},{"userIdentity":"{\"type\":\"IAMUser\",\"userName\":\"dba\"}"},{"sourceIPAddress":"198.51.100.9"}],
[{"eventJson":"not json"}]
],"NextToken":"abc"}"#;
        let (events, errors) = read(page);
        assert_eq!(events.len(), 2, "{errors:?}");
        assert_eq!(events[0].action.as_deref(), Some("GetObject"));
        assert_eq!(events[0].user_name.as_deref(), Some("svc-export"));
        assert_eq!(events[1].action.as_deref(), Some("ModifyDBInstance"));
        assert_eq!(events[1].user_name.as_deref(), Some("dba"));
        assert_eq!(
            events[1].origin.as_ref().unwrap().offset as usize,
            page.find(r#"[{"eventTime""#).unwrap()
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].offset as usize,
            page.find(r#"[{"eventJson":"not json"}]"#).unwrap()
        );
        assert!(sniff(page.as_bytes()));
    }
}
