//! CSV exports: the Microsoft Purview audit search export, the GitHub audit log
//! CSV export, Defender XDR advanced-hunting results and MOVEit Transfer's audit
//! log (the last read in [`super::moveit`] over [`Table`]).
//!
//! Purview writes one of two headers (`CreationDate,UserIds,Operations,AuditData`
//! or `RecordId,CreationDate,RecordType,Operation,UserId,AuditData,...`), CRLF line
//! ends, quoted multi-line cells, and the newest record first. The `AuditData` cell
//! is the full unified audit record as JSON and is what the event is made from.
//! Because the export runs backwards in time and is bounded in size by the portal,
//! its events are sorted by time before they are handed out.

use super::microsoft::m365_event;
use super::saas::github_event;
use crate::{Input, OpenError, RecordError, Source, SourceContext};
use model::{Event, Origin};
use serde_json::{Map, Value as Json};
use std::io::BufRead;
use std::sync::Arc;

/// Most Purview rows buffered for sorting; past this, rows are handed out as read.
const MAX_SORTED_ROWS: usize = 2_000_000;

/// Recognises the two CSV exports from their header line.
pub fn sniff(head: &[u8]) -> Option<super::CloudFormat> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = String::from_utf8_lossy(line);
    let names: Vec<String> = line
        .trim_start_matches('\u{feff}')
        .trim_end()
        .split(',')
        .map(|n| n.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("auditdata") && has("creationdate") && (has("operation") || has("operations")) {
        return Some(super::CloudFormat::PurviewCsv);
    }
    if has("action") && has("actor") && (has("@timestamp") || has("created_at")) {
        return Some(super::CloudFormat::GitHubCsv);
    }
    if has("timestamp")
        && has("actiontype")
        && [
            "devicename",
            "deviceid",
            "reportid",
            "accountupn",
            "networkmessageid",
        ]
        .iter()
        .any(|k| has(k))
    {
        return Some(super::CloudFormat::DefenderHuntingCsv);
    }
    if has("logtime") && has("action") && has("username") {
        return Some(super::CloudFormat::MoveItCsv);
    }
    None
}

/// One CSV row: its byte offset and its non-empty cells by column name.
type Row = (u64, Map<String, Json>);

/// A CSV reader over the input, with the header's column names.
pub(crate) struct Table {
    reader: csv::Reader<CarriageReturnAsSpace>,
    pub(super) columns: Vec<String>,
    pub(super) file: Arc<str>,
    row: csv::ByteRecord,
    /// Bytes before what the csv reader saw (a byte-order mark).
    base: u64,
}

impl Table {
    pub(crate) fn open(mut input: Input) -> Result<Table, OpenError> {
        // The csv crate does not count a byte-order mark in its positions: drop it
        // here and add its length back to every offset.
        let bom = input
            .reader
            .fill_buf()
            .is_ok_and(|b| b.starts_with(b"\xEF\xBB\xBF"));
        if bom {
            input.reader.consume(3);
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(CarriageReturnAsSpace(input.reader));
        let columns = reader
            .byte_headers()
            .map_err(|e| OpenError::Invalid {
                path: input.path.to_string(),
                detail: format!("unreadable CSV header: {e}"),
            })?
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_owned()
            })
            .collect();
        Ok(Table {
            reader,
            columns,
            file: input.path,
            row: csv::ByteRecord::new(),
            base: if bom { 3 } else { 0 },
        })
    }

    /// The next row as (offset, column name to cell text); errors keep their offset.
    pub(super) fn next_row(&mut self) -> Option<Result<Row, RecordError>> {
        let offset = self.base + self.reader.position().byte();
        match self.reader.read_byte_record(&mut self.row) {
            Ok(false) => None,
            Ok(true) => {
                let offset = self.row.position().map_or(offset, |p| self.base + p.byte());
                let mut cells = Map::new();
                for (name, cell) in self.columns.iter().zip(self.row.iter()) {
                    if !cell.is_empty() {
                        let text = String::from_utf8_lossy(cell).trim().to_owned();
                        cells.insert(name.clone(), Json::String(text));
                    }
                }
                Some(Ok((offset, cells)))
            }
            Err(e) => {
                let offset = e.position().map_or(offset, |p| self.base + p.byte());
                let reason = if e.is_io_error() {
                    "read error"
                } else {
                    "bad csv row"
                };
                if e.is_io_error() {
                    // An I/O error does not clear; stop after reporting it.
                    self.columns.clear();
                }
                Some(Err(RecordError::new(&self.file, offset, reason)))
            }
        }
    }

    /// The rows as events, each mapped by `map` from its cells and origin; a row
    /// that does not map is reported with its offset and the reason.
    pub(crate) fn into_source<E: Into<String>>(
        mut self,
        map: impl Fn(&Map<String, Json>, Origin) -> Result<Event, E> + Send + 'static,
    ) -> Box<dyn Source> {
        Box::new(std::iter::from_fn(move || {
            if self.columns.is_empty() {
                return None;
            }
            let row = self.next_row()?;
            Some(row.and_then(|(offset, cells)| {
                map(&cells, self.origin(offset))
                    .map_err(|reason| RecordError::new(&self.file, offset, reason))
            }))
        }))
    }

    pub(super) fn origin(&self, offset: u64) -> Origin {
        Origin {
            file: self.file.clone(),
            offset,
        }
    }
}

/// Reads the input with every carriage return turned into a space.
///
/// The csv crate reports a record after a CRLF line end as starting at the `\n`,
/// one byte early; with `\r` as a space the line ends are plain `\n` and offsets
/// are exact. Cells are trimmed, and JSON allows the space, so nothing else changes.
struct CarriageReturnAsSpace(Box<dyn BufRead + Send>);

impl std::io::Read for CarriageReturnAsSpace {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(out)?;
        for byte in &mut out[..n] {
            if *byte == b'\r' {
                *byte = b' ';
            }
        }
        Ok(n)
    }
}

/// Opens a Purview CSV export; see the module docs.
pub fn open_purview(input: Input, ctx: &SourceContext) -> Result<Box<dyn Source>, OpenError> {
    let org = super::derive::OrgFacts::from_config(&ctx.config);
    let mut table = Table::open(input)?;
    let audit_column = table
        .columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case("AuditData"));
    let Some(audit_column) = audit_column else {
        return Err(OpenError::Invalid {
            path: table.file.to_string(),
            detail: "Purview CSV without an AuditData column".into(),
        });
    };
    let audit_name = table.columns[audit_column].clone();
    let mut rows: Vec<Result<Event, RecordError>> = Vec::new();
    while rows.len() < MAX_SORTED_ROWS {
        if table.columns.is_empty() {
            break;
        }
        let Some(row) = table.next_row() else { break };
        rows.push(
            row.and_then(|(offset, cells)| purview_row(&table, offset, &cells, &audit_name, &org)),
        );
    }
    sort_by_time(&mut rows);
    let rest = std::iter::from_fn(move || {
        if table.columns.is_empty() {
            return None;
        }
        let row = table.next_row()?;
        Some(row.and_then(|(offset, cells)| purview_row(&table, offset, &cells, &audit_name, &org)))
    });
    Ok(Box::new(rows.into_iter().chain(rest)))
}

fn purview_row(
    table: &Table,
    offset: u64,
    cells: &Map<String, Json>,
    audit_name: &str,
    org: &super::derive::OrgFacts,
) -> Result<Event, RecordError> {
    let error = |reason: &str| RecordError::new(&table.file, offset, reason);
    let audit = cells
        .get(audit_name)
        .and_then(Json::as_str)
        .ok_or_else(|| error("missing AuditData"))?;
    let record: Map<String, Json> =
        serde_json::from_str(audit).map_err(|_| error("invalid AuditData json"))?;
    m365_event(&record, table.origin(offset), org).map_err(error)
}

/// Oldest first; unreadable rows (which carry their own offsets) go first.
fn sort_by_time(rows: &mut [Result<Event, RecordError>]) {
    rows.sort_by_key(|row| match row {
        Ok(event) => (1, event.timestamp),
        Err(_) => (0, model::Timestamp::MIN),
    });
}

/// Opens a GitHub audit log CSV export.
pub fn open_github(input: Input) -> Result<Box<dyn Source>, OpenError> {
    Ok(Table::open(input)?.into_source(|cells, origin| {
        if !cells.contains_key("action") {
            return Err("row without action");
        }
        github_event(&typed_cells(cells.clone()), origin)
    }))
}

/// Opens a Defender XDR advanced-hunting CSV export: each row is mapped as the
/// JSON row would be (numbers stay text; the mapper reads both).
pub fn open_defender_hunting(input: Input) -> Result<Box<dyn Source>, OpenError> {
    Ok(Table::open(input)?.into_source(super::microsoft::defender_hunting_event))
}

/// CSV cells are text; epoch-millisecond times become numbers so they read as such.
fn typed_cells(mut cells: Map<String, Json>) -> Map<String, Json> {
    for key in ["@timestamp", "created_at"] {
        if let Some(Json::String(text)) = cells.get(key)
            && let Ok(ms) = text.trim().parse::<i64>()
        {
            cells.insert(key.to_owned(), Json::from(ms));
        }
    }
    cells
}
