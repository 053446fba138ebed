//! The encoding of detector state kept in the state file (`[detectors] state`):
//! little-endian fields behind a version byte, so that a later build can read an
//! older row or refuse a newer one with a clear error instead of misreading it.
//!
//! Each detector owns its scopes (`volume.entities`, `saas.series`, ...) and
//! decides what it keeps; the [`crate::Suite`] loads every member's rows when the
//! run starts and saves them all in one transaction when it ends.

use std::net::IpAddr;

/// Version of the encoding this build writes (the first byte of every row).
pub const ENCODING: u8 = 1;

/// Builds one encoded row.
#[derive(Debug)]
pub struct Writer(Vec<u8>);

impl Default for Writer {
    fn default() -> Self {
        Writer(vec![ENCODING])
    }
}

impl Writer {
    /// Appends a byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    /// Appends a `u16`.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a `u64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends an `i64`.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends an `f32` (its bits: the value read back is the same).
    pub fn f32(&mut self, v: f32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends an `f64` (its bits).
    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a length-prefixed string, or a marker for none.
    pub fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            None => self.u32(u32::MAX),
            Some(s) => {
                self.u32(s.len() as u32);
                self.0.extend_from_slice(s.as_bytes());
                self
            }
        }
    }
    /// Appends an optional IP address.
    pub fn opt_ip(&mut self, v: Option<IpAddr>) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(IpAddr::V4(a)) => {
                self.u8(4);
                self.0.extend_from_slice(&a.octets());
                self
            }
            Some(IpAddr::V6(a)) => {
                self.u8(6);
                self.0.extend_from_slice(&a.octets());
                self
            }
        }
    }
    /// The encoded row.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Reads one encoded row; every read fails (with what was expected) past the end.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, whose version byte must be one this build reads.
    pub fn new(data: &'a [u8]) -> Result<Self, String> {
        match data.first() {
            Some(&ENCODING) => Ok(Reader { data, pos: 1 }),
            Some(v) => Err(format!(
                "encoding version {v}, this exfilguard reads {ENCODING} (written by a newer build?)"
            )),
            None => Err("empty row".into()),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        let Some(end) = end else {
            return Err(format!(
                "row ends after {} bytes, {} more expected",
                self.data.len(),
                n
            ));
        };
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Reads a byte.
    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    /// Reads a `u16`.
    pub fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    /// Reads a `u32`.
    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// Reads a `u64`.
    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// Reads an `i64`.
    pub fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    /// Reads an `f32`.
    pub fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.array()?))
    }
    /// Reads an `f64`.
    pub fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.array()?))
    }
    /// Reads an optional string.
    pub fn opt_str(&mut self) -> Result<Option<String>, String> {
        let len = self.u32()?;
        if len == u32::MAX {
            return Ok(None);
        }
        let bytes = self.take(len as usize)?;
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| "a name is not UTF-8".to_string())
    }
    /// Reads an optional IP address.
    pub fn opt_ip(&mut self) -> Result<Option<IpAddr>, String> {
        match self.u8()? {
            0 => Ok(None),
            4 => Ok(Some(IpAddr::from(self.array::<4>()?))),
            6 => Ok(Some(IpAddr::from(self.array::<16>()?))),
            t => Err(format!("address tag {t}")),
        }
    }
    /// Reads a count that must not exceed `max` (a bound of the detector).
    pub fn count(&mut self, max: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(format!("{n} entries, at most {max} expected"));
        }
        Ok(n)
    }
    /// Fails unless every byte was read (a row longer than its encoding is not one).
    pub fn end(&self) -> Result<(), String> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(format!("{} bytes left over", self.data.len() - self.pos))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_bad_rows_are_errors() {
        let mut w = Writer::default();
        w.u8(7)
            .u16(300)
            .u32(70_000)
            .u64(u64::MAX)
            .i64(-5)
            .f32(1.5)
            .f64(f64::MIN_POSITIVE)
            .opt_str(Some("ws-07"))
            .opt_str(None)
            .opt_ip(Some("10.0.0.1".parse().unwrap()))
            .opt_ip(Some("fd00::1".parse().unwrap()))
            .opt_ip(None)
            .u32(3);
        let data = w.finish();
        let mut r = Reader::new(&data).unwrap();
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u16().unwrap(), 300);
        assert_eq!(r.u32().unwrap(), 70_000);
        assert_eq!(r.u64().unwrap(), u64::MAX);
        assert_eq!(r.i64().unwrap(), -5);
        assert_eq!(r.f32().unwrap(), 1.5);
        assert_eq!(r.f64().unwrap(), f64::MIN_POSITIVE);
        assert_eq!(r.opt_str().unwrap().as_deref(), Some("ws-07"));
        assert_eq!(r.opt_str().unwrap(), None);
        assert_eq!(r.opt_ip().unwrap(), "10.0.0.1".parse().ok());
        assert_eq!(r.opt_ip().unwrap(), "fd00::1".parse().ok());
        assert_eq!(r.opt_ip().unwrap(), None);
        assert!(r.count(2).is_err());
        r.end().unwrap();
        assert!(r.u8().is_err());
        assert!(Reader::new(&[ENCODING + 1]).unwrap_err().contains("newer"));
        assert!(Reader::new(&[]).is_err());
        let mut short = Reader::new(&data[..5]).unwrap();
        assert!(short.u64().is_err());
    }
}
