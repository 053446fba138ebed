//! Opening files as decompressed byte streams: gzip and zstd are recognised by their
//! magic bytes (never by the file name), so `conn.log.gz`, a gzip file without a
//! suffix and a plain file named `.gz` are all read correctly.

use crate::{Input, OpenError};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::Arc;

/// How many decompressed bytes the sniffer looks at.
pub const HEAD_BYTES: usize = 64 * 1024;

/// Buffer size of the readers handed to the format readers.
const READ_BUFFER: usize = 256 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The compression found on an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (one or more members).
    Gzip,
    /// Zstandard.
    Zstd,
}

/// A decompressed input whose first bytes have been read for sniffing.
pub(crate) struct Peeked {
    pub(crate) path: Arc<str>,
    /// The plain file behind the stream, when there is one (EVTX seeks in it).
    pub(crate) file: Option<std::path::PathBuf>,
    pub(crate) head: Vec<u8>,
    pub(crate) compression: Compression,
    /// The whole decompressed stream, head included.
    pub(crate) reader: Box<dyn BufRead + Send>,
}

impl Peeked {
    pub(crate) fn into_input(self) -> Input {
        Input {
            path: self.path,
            reader: self.reader,
        }
    }
}

fn io_error(path: &Path, source: std::io::Error) -> OpenError {
    OpenError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Opens `path` and returns its decompressed bytes (gzip and zstd by magic bytes).
pub fn open_input(path: &Path) -> Result<Input, OpenError> {
    peek_path(path).map(Peeked::into_input)
}

pub(crate) fn peek_path(path: &Path) -> Result<Peeked, OpenError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(OpenError::Unsupported {
            path: path.display().to_string(),
            detail: "a directory".into(),
        });
    }
    let name: Arc<str> = Arc::from(path.display().to_string());
    let mut peeked = peek_reader(name, BufReader::with_capacity(READ_BUFFER, file))?;
    peeked.file = Some(path.to_path_buf());
    Ok(peeked)
}

/// Decompresses (by magic bytes) and peeks any byte stream; `name` is used in
/// errors and origins.
pub(crate) fn peek_reader(
    name: Arc<str>,
    mut raw: impl Read + Send + 'static,
) -> Result<Peeked, OpenError> {
    let io = |e| OpenError::Io {
        path: name.to_string(),
        source: e,
    };
    let magic = read_head(&mut raw, 4).map_err(io)?;
    let compression = if magic.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else if magic.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else {
        Compression::None
    };
    let raw = Cursor::new(magic).chain(raw);
    let mut decoded: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(BufReader::new(raw)).map_err(io)?)
        }
    };
    let head = read_head(&mut decoded, HEAD_BYTES).map_err(|e| OpenError::Invalid {
        path: name.to_string(),
        detail: format!("cannot decompress ({compression:?}): {e}"),
    })?;
    let reader = BufReader::with_capacity(READ_BUFFER, Cursor::new(head.clone()).chain(decoded));
    Ok(Peeked {
        path: name,
        file: None,
        head,
        compression,
        reader: Box::new(reader),
    })
}

/// Reads up to `limit` bytes (fewer only at end of stream).
fn read_head(reader: &mut impl Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(limit.min(HEAD_BYTES));
    reader.take(limit as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Appends the bytes up to and including the next `\n` (or to the end of the
/// input) to `line` and returns how many were read: what
/// `BufRead::read_until(b'\n', line)` does, with the newline found by the
/// `memchr` crate's vector search instead of the standard library's
/// word-at-a-time loop, about a byte per instruction on 1 KB Windows lines.
pub(crate) fn read_line<R: BufRead + ?Sized>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> io::Result<usize> {
    let mut read = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (used, found) = match memchr::memchr(b'\n', available) {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        line.extend_from_slice(&available[..used]);
        reader.consume(used);
        read += used;
        if found || used == 0 {
            return Ok(read);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn decompresses_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"#separator \\x09\nhello\n".repeat(5000);
        let gz_path = dir.path().join("plain-name.log");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
        let zst_path = dir.path().join("other.gz");
        std::fs::write(&zst_path, zstd::encode_all(&text[..], 1).unwrap()).unwrap();
        for (path, compression) in [
            (&gz_path, Compression::Gzip),
            (&zst_path, Compression::Zstd),
        ] {
            let mut peeked = peek_path(path).unwrap();
            assert_eq!(peeked.compression, compression);
            assert_eq!(peeked.head.len(), HEAD_BYTES);
            let mut all = Vec::new();
            peeked.reader.read_to_end(&mut all).unwrap();
            assert_eq!(all, text);
        }
    }

    #[test]
    fn corrupt_gzip_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad");
        std::fs::write(&path, [0x1f, 0x8b, 0, 1, 2, 3, 4, 5]).unwrap();
        assert!(peek_path(&path).is_err());
    }

    proptest::proptest! {
        /// Lines come out as `read_until` gives them, whatever the buffer
        /// size and wherever the newlines fall.
        #[test]
        fn read_line_reads_what_read_until_reads(text in "[a\n]{0,40}", capacity in 1usize..8) {
            let mut ours = BufReader::with_capacity(capacity, text.as_bytes());
            let mut std_reader = BufReader::with_capacity(capacity, text.as_bytes());
            loop {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let n = read_line(&mut ours, &mut a).unwrap();
                proptest::prop_assert_eq!(n, std_reader.read_until(b'\n', &mut b).unwrap());
                proptest::prop_assert_eq!(&a, &b);
                if n == 0 {
                    break;
                }
            }
        }
    }
}
