//! Output files, plain or gzip-compressed (as Zeek archives its rotated logs), with
//! an explicit `finish` so a failed final write is reported, not lost in a `Drop`.

use flate2::Compression;
use flate2::write::GzEncoder;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// One output file.
pub enum Output {
    /// Written as is.
    Plain(BufWriter<File>),
    /// Gzip-compressed (`.gz` appended to the name).
    Gzip(GzEncoder<BufWriter<File>>),
}

impl Output {
    /// Creates `dir/name`, or `dir/name.gz` when `gzip`; returns it with its path.
    pub fn create(dir: &Path, name: &str, gzip: bool) -> io::Result<(Output, PathBuf)> {
        if gzip {
            let path = dir.join(format!("{name}.gz"));
            let file = BufWriter::new(File::create(&path)?);
            // Level 6 with a fixed header (no file name or time) keeps bytes reproducible.
            Ok((
                Output::Gzip(GzEncoder::new(file, Compression::new(6))),
                path,
            ))
        } else {
            let path = dir.join(name);
            Ok((Output::Plain(BufWriter::new(File::create(&path)?)), path))
        }
    }

    /// Flushes (and for gzip writes the trailer).
    pub fn finish(self) -> io::Result<()> {
        match self {
            Output::Plain(mut w) => w.flush(),
            Output::Gzip(gz) => gz.finish()?.flush(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Plain(w) => w.write(buf),
            Output::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Plain(w) => w.flush(),
            Output::Gzip(w) => w.flush(),
        }
    }
}
