//! Splits a stream of JSON into its records without parsing them, keeping the byte
//! offset of each record's opening brace.
//!
//! Cloud exports come in three containers: JSON Lines (one object per line), a JSON
//! array of objects (Management Activity API, GitHub exports) and API response
//! pages whose records sit in one array member: CloudTrail's `{"Records":[...]}`
//! delivery files (possibly several concatenated), Graph's `{"value":[...]}`,
//! Google's `{"items":[...]}`, Box's `{"entries":[...]}`, Dropbox's
//! `{"events":[...]}`, with their paging members before or after the array. The splitter
//! recognises all three from the bytes themselves and yields the records one at a
//! time, so memory stays bounded by the largest record, not the file.
//!
//! Bad input never stops the walk: bytes outside any object, a record cut off by the
//! end of the file or of its line, or a record past [`MAX_RECORD_BYTES`] come back as
//! [`Piece::Bad`] with their offset, and splitting goes on.

use std::io::BufRead;

/// Records larger than this are skipped (and reported) instead of buffered.
pub const MAX_RECORD_BYTES: usize = 32 * 1024 * 1024;

/// One step of the split.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A complete object: offset of its `{` and its bytes.
    Record(u64, &'a [u8]),
    /// Something that is not a usable record, at this offset, with a reason class.
    Bad(u64, &'static str),
}

/// The streaming splitter; see the module docs.
pub struct JsonSplitter<R> {
    reader: R,
    st: State,
}

/// The byte-level state of a [`JsonSplitter`], apart from its reader.
#[derive(Debug, Default)]
struct State {
    /// Absolute offset of the next unconsumed byte.
    pos: u64,
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Depth at which objects are records: 0 (lines), 1 (array) or 2 (`Records`).
    record_depth: u32,
    /// Whether the top-level value at hand has been classified.
    top_classified: bool,
    capture: Option<Capture>,
    /// JSON Lines: a newline always ends a record (raw newlines are invalid in JSON
    /// strings), so one broken line cannot swallow the rest of the file.
    line_mode: Option<bool>,
    /// Skipping a bad stretch until this byte (newline or structural recovery).
    skipping_line: bool,
    buf: Vec<u8>,
    finished: bool,
    emitted_len: usize,
    /// A non-object value at record level was reported; quiet until the next comma.
    reported_scalar: bool,
}

#[derive(Debug)]
struct Capture {
    offset: u64,
    oversized: bool,
    /// Whether the captured object is a top-level object that may turn out to be a
    /// `{"Records":[` wrapper.
    maybe_wrapper: bool,
    saw_newline: bool,
}

impl<R: BufRead> JsonSplitter<R> {
    /// A splitter over `reader`, whose first byte is at offset 0.
    pub fn new(reader: R) -> Self {
        JsonSplitter {
            reader,
            st: State::default(),
        }
    }

    /// The next record or bad stretch; `None` at the end of the input.
    pub fn next_piece(&mut self) -> Option<Piece<'_>> {
        let st = &mut self.st;
        if st.emitted_len > 0 {
            st.buf.clear();
            st.emitted_len = 0;
        }
        if st.finished {
            return None;
        }
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    st.finished = true;
                    return Some(Piece::Bad(st.pos, "read error"));
                }
            };
            if chunk.is_empty() {
                st.finished = true;
                return st
                    .capture
                    .take()
                    .map(|c| Piece::Bad(c.offset, "truncated record"));
            }
            let mut used = chunk.len();
            let mut outcome = None;
            let mut i = 0;
            while i < chunk.len() {
                let skipped = st.skip_string_body(&chunk[i..]);
                if skipped > 0 {
                    i += skipped;
                    continue;
                }
                if let Some(step) = st.step(chunk[i], st.pos + i as u64) {
                    used = i + 1;
                    outcome = Some(step);
                    break;
                }
                i += 1;
            }
            self.reader.consume(used);
            st.pos += used as u64;
            match outcome {
                Some(Step::Record) => {
                    let offset = st.capture.take().map(|c| c.offset).unwrap_or(0);
                    st.emitted_len = st.buf.len().max(1);
                    return Some(Piece::Record(offset, &st.buf));
                }
                Some(Step::Bad(offset, reason)) => return Some(Piece::Bad(offset, reason)),
                None => {}
            }
        }
    }
}

impl State {
    /// Inside a string, the bytes up to the next quote, backslash or newline carry
    /// no structure: they are copied in one go. Returns how many were taken.
    fn skip_string_body(&mut self, bytes: &[u8]) -> usize {
        if !self.in_string || self.escape || self.skipping_line {
            return 0;
        }
        let n = memchr::memchr3(b'"', b'\\', b'\n', bytes).unwrap_or(bytes.len());
        if let Some(capture) = self.capture.as_mut()
            && !capture.oversized
        {
            if self.buf.len() + n > MAX_RECORD_BYTES {
                capture.oversized = true;
                self.buf.clear();
            } else {
                self.buf.extend_from_slice(&bytes[..n]);
            }
        }
        n
    }

    /// Advances the state machine by one byte.
    fn step(&mut self, byte: u8, at: u64) -> Option<Step> {
        if self.skipping_line {
            if byte == b'\n' {
                self.skipping_line = false;
            }
            return None;
        }
        if let Some(capture) = self.capture.as_mut()
            && !capture.oversized
        {
            if self.buf.len() >= MAX_RECORD_BYTES {
                capture.oversized = true;
                self.buf.clear();
            } else {
                self.buf.push(byte);
            }
        }
        if self.in_string {
            if byte == b'\n' && self.line_mode == Some(true) {
                return self.abandon_line("truncated record");
            }
            if self.escape {
                self.escape = false;
            } else if byte == b'\\' {
                self.escape = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
            return None;
        }
        match byte {
            b'"' => {
                self.in_string = true;
                if self.capture.is_none()
                    && self.depth <= self.record_depth
                    && !self.in_wrapper_members()
                {
                    return self.bad_value(at);
                }
                None
            }
            b'{' => self.open_object(at),
            b'[' => self.open_array(at),
            b'}' | b']' => self.close(at),
            b'\n' => {
                if let Some(capture) = self.capture.as_mut() {
                    capture.saw_newline = true;
                    if self.line_mode == Some(true) && self.record_depth == 0 {
                        return self.abandon_line("truncated record");
                    }
                }
                None
            }
            b',' => {
                self.reported_scalar = false;
                None
            }
            b' ' | b'\t' | b'\r' | b':' => None,
            0xEF | 0xBB | 0xBF if at < 3 => None,
            _ => {
                if self.capture.is_none()
                    && self.depth <= self.record_depth
                    && !self.in_wrapper_members()
                {
                    return self.bad_value(at);
                }
                None
            }
        }
    }

    /// Between the members of a page wrapper, outside its records array: the
    /// paging members (`"cursor"`, `"has_more"`, `"@odata.nextLink"`,
    /// `"nextPageToken"`) are not records and not errors.
    fn in_wrapper_members(&self) -> bool {
        self.record_depth == 2 && self.depth == 1
    }

    fn open_object(&mut self, at: u64) -> Option<Step> {
        if self.depth == 0 {
            self.top_classified = false;
            self.record_depth = 0;
        }
        if self.capture.is_none() && self.depth == self.record_depth {
            self.buf.clear();
            self.buf.push(b'{');
            self.capture = Some(Capture {
                offset: at,
                oversized: false,
                maybe_wrapper: self.depth == 0,
                saw_newline: false,
            });
        }
        self.depth += 1;
        None
    }

    fn open_array(&mut self, at: u64) -> Option<Step> {
        if self.depth == 0 {
            // A top-level array: its objects are the records.
            self.record_depth = 1;
            self.top_classified = true;
            self.depth = 1;
            return None;
        }
        if self.depth == 1 && !self.top_classified {
            self.top_classified = true;
            if let Some(capture) = &self.capture
                && capture.maybe_wrapper
                && is_wrapper_prefix(&self.buf)
            {
                // `{"Records":[`, `{"value":[`...: the records are one level
                // further in.
                self.capture = None;
                self.buf.clear();
                self.record_depth = 2;
                self.depth = 2;
                return None;
            }
        }
        if self.capture.is_none() && self.depth <= self.record_depth && !self.in_wrapper_members() {
            self.depth += 1;
            return self.bad_value(at);
        }
        self.depth += 1;
        None
    }

    fn close(&mut self, at: u64) -> Option<Step> {
        if self.depth == 0 {
            return self.bad_value(at);
        }
        self.depth -= 1;
        if self.depth == 1 && self.record_depth == 2 && self.capture.is_none() {
            // The end of the `Records` array; the wrapper closes next.
            return None;
        }
        if self.depth == self.record_depth
            && let Some(capture) = &self.capture
        {
            if self.line_mode.is_none() && self.record_depth == 0 {
                self.line_mode = Some(!capture.saw_newline);
            }
            if capture.oversized {
                let offset = capture.offset;
                self.capture = None;
                self.buf.clear();
                return Some(Step::Bad(offset, "record too large"));
            }
            return Some(Step::Record);
        }
        if self.depth == 0 {
            self.record_depth = 0;
        }
        None
    }

    /// A value at record level that is not an object: report it and skip it.
    fn bad_value(&mut self, at: u64) -> Option<Step> {
        if self.record_depth == 0 {
            // Lines or concatenated objects: drop the rest of the line.
            self.in_string = false;
            self.escape = false;
            self.depth = 0;
            self.skipping_line = true;
            return Some(Step::Bad(at, "not a json object"));
        }
        // Inside an array: strings, numbers and nested arrays are tracked by the
        // state machine and simply not captured; one report per value.
        if self.reported_scalar {
            return None;
        }
        self.reported_scalar = true;
        Some(Step::Bad(at, "not a json object"))
    }

    fn abandon_line(&mut self, reason: &'static str) -> Option<Step> {
        let offset = self.capture.take().map(|c| c.offset).unwrap_or(self.pos);
        self.buf.clear();
        self.in_string = false;
        self.escape = false;
        self.depth = 0;
        self.record_depth = 0;
        Some(Step::Bad(offset, reason))
    }
}

enum Step {
    Record,
    Bad(u64, &'static str),
}

/// Member names whose array holds the records of an API response page:
/// CloudTrail's `Records`, Microsoft Graph's `value`, Google's Reports API
/// `items`, Box's `entries`, Dropbox's team log `events`.
const WRAPPER_KEYS: [&str; 6] = ["Records", "records", "value", "items", "entries", "events"];

/// Whether `buf` (an object's first bytes, up to and including its first `[`)
/// opens a page wrapper: members with scalar values only (`"@odata.context"`,
/// `"kind"`, `"etag"`, `"chunk_size"`...) and then one of [`WRAPPER_KEYS`]
/// opening the array. A record whose first array comes after a nested object
/// (a Google Workspace activity's `events` after its `id` object) is not one.
fn is_wrapper_prefix(buf: &[u8]) -> bool {
    let Some(head) = buf.strip_suffix(b"[") else {
        return false;
    };
    // Close the object with a null for the opened member and parse what came
    // before: the prefix is small (scalars only), so this is cheap.
    let mut text = head.to_vec();
    text.extend_from_slice(b"null}");
    let Ok(serde_json::Value::Object(members)) = serde_json::from_slice(&text) else {
        return false;
    };
    let Some((last, _)) = members.iter().next_back() else {
        return false;
    };
    WRAPPER_KEYS.contains(&last.as_str())
        && members.values().all(|v| {
            !matches!(
                v,
                serde_json::Value::Object(_) | serde_json::Value::Array(_)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &str) -> Vec<(u64, Result<String, &'static str>)> {
        let mut splitter = JsonSplitter::new(input.as_bytes());
        let mut out = Vec::new();
        while let Some(piece) = splitter.next_piece() {
            out.push(match piece {
                Piece::Record(off, bytes) => (off, Ok(String::from_utf8_lossy(bytes).into())),
                Piece::Bad(off, reason) => (off, Err(reason)),
            });
        }
        out
    }

    #[test]
    fn json_lines_keep_offsets() {
        let out = split("{\"a\":1}\n{\"b\":\"}{\"}\n");
        assert_eq!(out[0], (0, Ok("{\"a\":1}".into())));
        assert_eq!(out[1], (8, Ok("{\"b\":\"}{\"}".into())));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn records_wrapper_yields_inner_objects() {
        let text = "{\"Records\": [ {\"x\":{\"y\":[1]}}, {\"z\":2} ]}";
        let out = split(text);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0 as usize, text.find("{\"x\"").unwrap());
        assert_eq!(
            out[1],
            (text.find("{\"z\"").unwrap() as u64, Ok("{\"z\":2}".into()))
        );
    }

    #[test]
    fn api_page_wrappers_yield_their_records_and_skip_paging_members() {
        let graph = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[{"a":1},{"b":{"c":[2]}}],"@odata.nextLink":"https://x/?$skiptoken=1"}"#;
        let out = split(graph);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].1, Ok(r#"{"a":1}"#.into()));
        let dropbox =
            r#"{"events":[{"timestamp":"2026-01-01T00:00:00Z"}],"cursor":"AAB","has_more":false}"#;
        assert_eq!(split(dropbox).len(), 1);
        let google = r#"{"kind":"admin#reports#activities","etag":""x"","items":[{"id":{"time":"t"}}],"nextPageToken":"p"}"#;
        assert_eq!(split(google).len(), 1);
        let box_page =
            r#"{"chunk_size":2,"next_stream_position":"123","entries":[{"a":1},{"b":2}]}"#;
        assert_eq!(split(box_page).len(), 2);
    }

    #[test]
    fn a_record_with_an_events_array_is_not_a_wrapper() {
        // A Google Workspace activity: `events` comes after the `id` object.
        let record =
            r#"{"kind":"admin#reports#activity","id":{"time":"t"},"events":[{"name":"download"}]}"#;
        let out = split(record);
        assert_eq!(out, vec![(0, Ok(record.into()))]);
        // An array member of another name is part of the record.
        let out = split(r#"{"Operation":"x","Targets":[{"a":1}]}"#);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn top_level_array_and_scalars() {
        let out = split("[{\"a\":1}, 7, {\"b\":[2]}]");
        assert_eq!(out.len(), 3);
        assert_eq!(out[1], (10, Err("not a json object")));
        assert_eq!(out[2].1, Ok("{\"b\":[2]}".into()));
    }

    #[test]
    fn broken_line_does_not_swallow_the_next() {
        let out = split("{\"a\":1}\n{\"b\":\"cut\n{\"c\":3}\ngarbage\n{\"d\":4}");
        let reasons: Vec<_> = out.iter().map(|(o, r)| (*o, r.clone())).collect();
        assert_eq!(reasons[1], (8, Err("truncated record")));
        assert_eq!(reasons[2], (18, Ok("{\"c\":3}".into())));
        assert_eq!(reasons[3], (26, Err("not a json object")));
        assert_eq!(reasons[4], (34, Ok("{\"d\":4}".into())));
    }

    #[test]
    fn pretty_printed_objects_span_lines() {
        let out = split("{\n  \"a\": {\n    \"b\": 1\n  }\n}\n{\n \"c\": 2\n}\n");
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|(_, r)| r.is_ok()));
    }

    #[test]
    fn truncated_file_is_reported() {
        let out = split("{\"Records\":[{\"a\":1},{\"b\":");
        assert_eq!(out[0].1, Ok("{\"a\":1}".into()));
        assert_eq!(out[1], (20, Err("truncated record")));
    }
}
