//! Sniffing a format from content and opening the matching reader.

use crate::evtx::EvtxSource;
use crate::format::{Format, JsonShape, ZeekEncoding};
use crate::input::{Compression, Peeked, peek_path, peek_reader};
use crate::json::{self, JsonSource, RecordShape};
use crate::zeek::{self, ZeekTsvSource};
use crate::{OpenError, Source, SourceContext, cloud, net};
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;

const EVTX_MAGIC: &[u8] = b"ElfFile\0";

/// Recognises the format of an input from its first (decompressed) bytes.
///
/// Order: EVTX magic, Windows event XML, EvtxECmd's CSV header, Zeek TSV header, the cloud and network modules' sniffers
/// (their JSON shapes are more specific than the generic JSON reader), then JSON.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(EVTX_MAGIC) {
        return Some(Format::Evtx);
    }
    if crate::windows_xml::sniff(head) {
        return Some(Format::WindowsXml);
    }
    if crate::evtxecmd::sniff_csv(head) {
        return Some(Format::EvtxECmdCsv);
    }
    if zeek::untimed_tsv(head).is_some() {
        return None;
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
    if is_simulation_labels(head) {
        return None;
    }
    let (_, shape) = json::sniff(head)?;
    match shape {
        Some(shape) => Some(json_format(shape)),
        // The first record is longer than the head: the reader will tell.
        None if head.len() >= crate::input::HEAD_BYTES => Some(Format::Json(JsonShape::Generic)),
        None => None,
    }
}

/// The first key `exfilguard simulate` writes in the labels beside its logs.
const SIMULATION_LABELS_MARK: &[u8] = b"\"exfilguard simulate";

/// Whether `head` is the labels file `exfilguard simulate` writes beside its logs
/// (a JSON object whose first key is `"generator": "exfilguard simulate ..."`):
/// the answers to a simulation, not a log, so a hunt over the folder lists it
/// with the files in no log format instead of reporting a bad record.
fn is_simulation_labels(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let rest = |text: &[u8], token: &[u8]| -> Option<usize> {
        let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
        text[start..]
            .starts_with(token)
            .then_some(start + token.len())
    };
    let mut at = 0;
    for token in [&b"{"[..], b"\"generator\"", b":", SIMULATION_LABELS_MARK] {
        match rest(&text[at..], token) {
            Some(end) => at += end,
            None => return false,
        }
    }
    true
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
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return "UTF-16 text: convert it to UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)".into();
    }
    if binary {
        return "binary data".into();
    }
    if is_simulation_labels(head) {
        return "labels of `exfilguard simulate` (the scenarios' answers, not a log)".into();
    }
    if let Some(path) = zeek::untimed_tsv(head) {
        return format!("a Zeek {path} log: no ts column, a list rather than events");
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
    open_peeked_sniffed(peek_path(path)?, ctx)
}

/// Like [`open_path`] for bytes already in memory (stdin, tests, fuzzing); `name`
/// stands for the path in origins and errors.
pub fn open_bytes(
    name: &str,
    bytes: Vec<u8>,
    ctx: &SourceContext,
) -> Result<(Format, Box<dyn Source>), OpenError> {
    open_peeked_sniffed(peek_reader(Arc::from(name), Cursor::new(bytes))?, ctx)
}

/// Like [`open_path_as`] for bytes in memory.
pub fn open_bytes_as(
    name: &str,
    bytes: Vec<u8>,
    format: Format,
    ctx: &SourceContext,
) -> Result<Box<dyn Source>, OpenError> {
    open_peeked(
        format,
        peek_reader(Arc::from(name), Cursor::new(bytes))?,
        ctx,
    )
}

fn open_peeked_sniffed(
    peeked: Peeked,
    ctx: &SourceContext,
) -> Result<(Format, Box<dyn Source>), OpenError> {
    let format = sniff(&peeked.head).ok_or_else(|| OpenError::Unsupported {
        path: peeked.path.to_string(),
        detail: unsupported_detail(&peeked.head),
    })?;
    let source = open_peeked(format, peeked, ctx)?;
    Ok((format, source))
}

/// Opens the reader for an already sniffed `format`.
fn open_peeked(
    format: Format,
    peeked: Peeked,
    ctx: &SourceContext,
) -> Result<Box<dyn Source>, OpenError> {
    let name = peeked.path.to_string();
    let invalid = |detail: String| OpenError::Invalid {
        path: name.clone(),
        detail,
    };
    match format {
        Format::Evtx => {
            let threads = ctx.threads;
            let name = peeked.path.clone();
            if let (Compression::None, Some(path)) = (peeked.compression, peeked.file.as_deref()) {
                let file = std::fs::File::open(path).map_err(|source| OpenError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                let partial = file
                    .metadata()
                    .ok()
                    .and_then(|m| crate::evtx::partial_chunk_of(m.len()))
                    .and_then(|(offset, len)| read_at(&file, offset, len));
                let parser = evtx::EvtxParser::from_read_seek(std::io::BufReader::new(file))
                    .map_err(|e| invalid(format!("evtx header: {e}")))?;
                let source = EvtxSource::new(name, parser, ctx.networks.clone(), threads);
                Ok(match partial {
                    Some((offset, bytes)) => Box::new(source.with_partial_chunk(offset, bytes)),
                    None => Box::new(source),
                })
            } else {
                let mut buffer = Vec::new();
                let mut reader = peeked.reader;
                reader
                    .read_to_end(&mut buffer)
                    .map_err(|e| invalid(format!("cannot decompress: {e}")))?;
                let partial = crate::evtx::partial_chunk_of(buffer.len() as u64)
                    .map(|(offset, _)| (offset, buffer[offset as usize..].to_vec()));
                let parser = evtx::EvtxParser::from_read_seek(std::io::Cursor::new(buffer))
                    .map_err(|e| invalid(format!("evtx header: {e}")))?;
                let source = EvtxSource::new(name, parser, ctx.networks.clone(), threads);
                Ok(match partial {
                    Some((offset, bytes)) => Box::new(source.with_partial_chunk(offset, bytes)),
                    None => Box::new(source),
                })
            }
        }
        Format::Zeek(_, ZeekEncoding::Tsv) => Ok(Box::new(ZeekTsvSource::new(
            peeked.into_input(),
            ctx.networks.clone(),
        ))),
        Format::Zeek(_, ZeekEncoding::Json) | Format::Json(_) => {
            let (layout, _) =
                json::sniff(&peeked.head).ok_or_else(|| invalid("not JSON after all".into()))?;
            let source = JsonSource::new(peeked.into_input(), layout, ctx)
                .map_err(|e| invalid(format!("read error: {e}")))?;
            Ok(Box::new(source))
        }
        Format::WindowsXml => {
            let mut bytes = Vec::new();
            let input = peeked.into_input();
            let path = input.path.clone();
            let mut reader = input.reader;
            reader
                .read_to_end(&mut bytes)
                .map_err(|e| invalid(format!("read error: {e}")))?;
            Ok(Box::new(crate::windows_xml::WindowsXmlSource::new(
                path,
                bytes,
                ctx.networks.clone(),
            )))
        }
        Format::EvtxECmdCsv => crate::evtxecmd::open_csv(peeked.into_input(), ctx),
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
    open_peeked(format, peek_path(path)?, ctx)
}

/// Reads `len` bytes at `offset` of `file` (the partial chunk of a truncated EVTX).
fn read_at(file: &std::fs::File, offset: u64, len: u64) -> Option<(u64, Vec<u8>)> {
    use std::io::{Seek, SeekFrom};
    let mut file = file.try_clone().ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut bytes = Vec::with_capacity(len as usize);
    (&mut file).take(len).read_to_end(&mut bytes).ok()?;
    file.seek(SeekFrom::Start(0)).ok()?;
    Some((offset, bytes))
}
