//! Sniffing a format from content and opening the matching reader.

use crate::evtx::EvtxSource;
use crate::format::{Format, ZeekEncoding};
use crate::input::{Compression, Peeked, peek_path};
use crate::json::{self, JsonSource, RecordShape};
use crate::zeek::{self, ZeekTsvSource};
use crate::{OpenError, Source, SourceContext, cloud, net};
use std::io::Read;
use std::path::Path;

const EVTX_MAGIC: &[u8] = b"ElfFile\0";

/// Recognises the format of an input from its first (decompressed) bytes.
///
/// Order: EVTX magic, Zeek TSV header, the cloud and network modules' sniffers
/// (their JSON shapes are more specific than the generic JSON reader), then JSON.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(EVTX_MAGIC) {
        return Some(Format::Evtx);
    }
    if let Some(log) = zeek::sniff_tsv(head) {
        return Some(Format::Zeek(log, ZeekEncoding::Tsv));
    }
    if let Some(format) = cloud::sniff(head) {
        return Some(Format::Cloud(format));
    }
    if let Some(format) = net::sniff(head) {
        return Some(Format::Net(format));
    }
    let (_, shape) = json::sniff(head)?;
    Some(json_format(shape?))
}

fn json_format(shape: RecordShape) -> Format {
    match shape {
        RecordShape::Json(shape) => Format::Json(shape),
        RecordShape::Zeek(log) => Format::Zeek(log, ZeekEncoding::Json),
    }
}

/// Why a head matches nothing: empty, binary, or text of an unknown format.
fn unsupported_detail(head: &[u8]) -> String {
    if head.is_empty() {
        return "empty file".into();
    }
    let binary =
        head.contains(&0) || std::str::from_utf8(head).is_err_and(|e| e.error_len().is_some());
    if binary {
        return "binary data".into();
    }
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let preview: String = String::from_utf8_lossy(first_line)
        .chars()
        .take(60)
        .collect();
    format!("unrecognised text starting {preview:?}")
}

/// Opens `path`: decompresses (gzip/zstd by magic bytes), sniffs the format from the
/// content and returns the matching reader. Empty, binary and unknown files are
/// [`OpenError::Unsupported`]; nothing here panics on any content.
pub fn open_path(path: &Path, ctx: &SourceContext) -> Result<(Format, Box<dyn Source>), OpenError> {
    let peeked = peek_path(path)?;
    let format = sniff(&peeked.head).ok_or_else(|| OpenError::Unsupported {
        path: peeked.path.to_string(),
        detail: unsupported_detail(&peeked.head),
    })?;
    let source = open_peeked(format, peeked, path, ctx)?;
    Ok((format, source))
}

/// Opens the reader for an already sniffed `format`.
fn open_peeked(
    format: Format,
    peeked: Peeked,
    path: &Path,
    ctx: &SourceContext,
) -> Result<Box<dyn Source>, OpenError> {
    let invalid = |detail: String| OpenError::Invalid {
        path: path.display().to_string(),
        detail,
    };
    match format {
        Format::Evtx => {
            let threads = ctx.threads;
            let name = peeked.path.clone();
            if peeked.compression == Compression::None {
                let file = std::fs::File::open(path).map_err(|source| OpenError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                let parser = evtx::EvtxParser::from_read_seek(std::io::BufReader::new(file))
                    .map_err(|e| invalid(format!("evtx header: {e}")))?;
                Ok(Box::new(EvtxSource::new(
                    name,
                    parser,
                    ctx.networks.clone(),
                    threads,
                )))
            } else {
                let mut buffer = Vec::new();
                let mut reader = peeked.reader;
                reader
                    .read_to_end(&mut buffer)
                    .map_err(|e| invalid(format!("cannot decompress: {e}")))?;
                let parser = evtx::EvtxParser::from_read_seek(std::io::Cursor::new(buffer))
                    .map_err(|e| invalid(format!("evtx header: {e}")))?;
                Ok(Box::new(EvtxSource::new(
                    name,
                    parser,
                    ctx.networks.clone(),
                    threads,
                )))
            }
        }
        Format::Zeek(_, ZeekEncoding::Tsv) => Ok(Box::new(ZeekTsvSource::new(
            peeked.into_input(),
            ctx.networks.clone(),
        ))),
        Format::Zeek(_, ZeekEncoding::Json) | Format::Json(_) => {
            let (layout, _) =
                json::sniff(&peeked.head).ok_or_else(|| invalid("not JSON after all".into()))?;
            let source = JsonSource::new(peeked.into_input(), layout, ctx.networks.clone())
                .map_err(|e| invalid(format!("read error: {e}")))?;
            Ok(Box::new(source))
        }
        Format::Net(format) => net::open(format, peeked.into_input(), ctx),
        Format::Cloud(format) => cloud::open(format, peeked.into_input(), ctx),
    }
}

/// Opens `path` as the given format, skipping the sniffer (for callers that know
/// the format already, e.g. from a command-line flag).
pub fn open_path_as(
    path: &Path,
    format: Format,
    ctx: &SourceContext,
) -> Result<Box<dyn Source>, OpenError> {
    let peeked = peek_path(path)?;
    open_peeked(format, peeked, path, ctx)
}
