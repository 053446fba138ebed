//! Windows event XML: events saved as text rather than as a binary `.evtx`.
//!
//! Incident responders meet Windows events as XML where a binary log could
//! not be copied: `wevtutil qe Security /f:xml` (events one after another, no
//! root element), Event Viewer's "Save All Events As… XML" (an `<Events>`
//! root, UTF-16 with a byte-order mark, each event with its `RenderingInfo`
//! message), PowerShell's `Get-WinEvent | ForEach-Object { $_.ToXml() }`
//! (one event a line, UTF-16 from Windows PowerShell's `Out-File`), and the
//! `_raw` of Splunk's `XmlWinEventLog`.
//!
//! Each `<Event>` element is read into the same tree the `evtx` crate's JSON
//! gives (`System` with `#attributes`, `EventData` with each `<Data Name='X'>`
//! as `X`, unnamed `<Data>` items as a `Data` list, `UserData` as nested
//! objects), and from there through the EVTX reader's own mapping, so an
//! event reads the same from its XML as from its binary log. Element names
//! lose their namespace prefixes; `xmlns` attributes are dropped. Text keeps
//! its line ends as written (as EVTX values keep their `\r\n`).
//!
//! The file is read into memory (UTF-16 converted to UTF-8 first). An event
//! that does not parse, or is cut short, is reported with its byte offset in
//! the file and skipped; reading resumes at the next `<Event`.

use crate::RecordError;
use crate::evtx::event_from_evtx_tree;
use crate::evtx_tree::Node;
use model::{Event, Networks, Origin};
use quick_xml::events::{BytesStart, Event as Xml};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// One key and value of the tree the EVTX reader maps.
pub(crate) type Entry = (Cow<'static, str>, Node<'static>);

/// Whether `head` (the file's first bytes) starts with a Windows event XML
/// document: after a byte-order mark, white space, an XML declaration and
/// comments, an `<Events>` root or an `<Event>` element.
pub(crate) fn sniff(head: &[u8]) -> bool {
    let (text, _) = decode_head(head);
    let mut rest = text.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            let Some(end) = after.find("?>") else {
                return false;
            };
            rest = after[end + 2..].trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let Some(end) = after.find("-->") else {
                return false;
            };
            rest = after[end + 3..].trim_start();
        } else {
            break;
        }
    }
    let element = |name: &str| {
        rest.strip_prefix(name)
            .and_then(|after| after.chars().next())
            .is_some_and(|c| c == '>' || c.is_ascii_whitespace())
    };
    element("<Events") || element("<Event")
}

/// How the file's text was encoded, for turning positions in the decoded
/// text back into byte offsets of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    /// UTF-8, after a byte-order mark of this many bytes (0 or 3).
    Utf8 { bom: u64 },
    /// UTF-16 (little or big endian), after a byte-order mark of this many
    /// bytes (0 or 2).
    Utf16 { bom: u64 },
}

/// The text of the first bytes of a file, for sniffing (a UTF-16 head is
/// decoded, an odd last byte dropped; invalid sequences become U+FFFD).
fn decode_head(head: &[u8]) -> (Cow<'_, str>, Encoding) {
    match utf16_order(head) {
        Some((little, bom)) => {
            let body = &head[bom as usize..];
            let body = &body[..body.len() & !1];
            (
                Cow::Owned(utf16_to_string(body, little)),
                Encoding::Utf16 { bom },
            )
        }
        None => {
            let bom = if head.starts_with(b"\xef\xbb\xbf") {
                3
            } else {
                0
            };
            (
                String::from_utf8_lossy(&head[bom as usize..]),
                Encoding::Utf8 { bom },
            )
        }
    }
}

/// Whether the bytes are UTF-16, and if so, little-endian or not and the
/// byte-order mark's length. Without a mark, text that starts with `<` and a
/// zero byte (or the reverse) is UTF-16.
fn utf16_order(bytes: &[u8]) -> Option<(bool, u64)> {
    match bytes {
        [0xff, 0xfe, ..] => Some((true, 2)),
        [0xfe, 0xff, ..] => Some((false, 2)),
        [b'<', 0, ..] => Some((true, 0)),
        [0, b'<', ..] => Some((false, 0)),
        _ => None,
    }
}

fn utf16_to_string(bytes: &[u8], little: bool) -> String {
    let units = bytes.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Reads Windows event XML; see the module docs.
pub struct WindowsXmlSource {
    path: Arc<str>,
    networks: Networks,
    text: String,
    encoding: Encoding,
    /// Where the next `<Event` is looked for.
    at: usize,
    /// A position in `text` and its UTF-16 units before it (UTF-16 files'
    /// offsets are counted on from the last one worked out).
    counted: (usize, u64),
    /// The end of the first `</Event>` found at or after a position looked
    /// from (`None`: there is none): reused while the events looked at come
    /// before it, so that many start tags without end tags are not each read
    /// to the end of the file.
    next_close: Option<Option<usize>>,
}

impl WindowsXmlSource {
    /// A reader over the whole file's bytes.
    pub(crate) fn new(path: Arc<str>, bytes: Vec<u8>, networks: Networks) -> Self {
        let (text, encoding) = match utf16_order(&bytes) {
            Some((little, bom)) => {
                let body = &bytes[bom as usize..];
                (utf16_to_string(body, little), Encoding::Utf16 { bom })
            }
            None => {
                let bom = if bytes.starts_with(b"\xef\xbb\xbf") {
                    3
                } else {
                    0
                };
                let text = match String::from_utf8(bytes) {
                    Ok(mut text) => {
                        text.drain(..bom as usize);
                        text
                    }
                    Err(e) => String::from_utf8_lossy(&e.into_bytes()[bom as usize..]).into_owned(),
                };
                (text, Encoding::Utf8 { bom })
            }
        };
        WindowsXmlSource {
            path,
            networks,
            text,
            encoding,
            at: 0,
            counted: (0, 0),
            next_close: None,
        }
    }

    /// The byte offset in the file of position `at` of the decoded text
    /// (positions asked for only grow).
    fn file_offset(&mut self, at: usize) -> u64 {
        match self.encoding {
            Encoding::Utf8 { bom } => bom + at as u64,
            Encoding::Utf16 { bom } => {
                let (from, units) = self.counted;
                let more = self.text[from..at].encode_utf16().count() as u64;
                self.counted = (at, units + more);
                bom + 2 * (units + more)
            }
        }
    }

    /// The next event's span, `[start, end)`, and whether it is whole; `None`
    /// when no `<Event` is left.
    fn next_span(&mut self) -> Option<(usize, usize, bool)> {
        let start = find_event_start(&self.text, self.at)?;
        let close = match self.next_close {
            Some(Some(end)) if end > start => Some(end),
            Some(None) => None,
            _ => {
                let found = memchr::memmem::find(&self.text.as_bytes()[start..], b"</Event>")
                    .map(|i| start + i + "</Event>".len());
                self.next_close = Some(found);
                found
            }
        };
        // A new event before this one's end tag: this one was cut short.
        let next = find_event_start(&self.text, start + 1);
        Some(match (close, next) {
            (Some(end), Some(next)) if next < end => (start, next, false),
            (Some(end), _) => (start, end, true),
            (None, Some(next)) => (start, next, false),
            (None, None) => (start, self.text.len(), false),
        })
    }
}

impl Iterator for WindowsXmlSource {
    type Item = Result<Event, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (start, end, whole) = self.next_span()?;
        self.at = end;
        let offset = self.file_offset(start);
        let event = if whole {
            event_from_xml(&self.text[start..end], &self.networks)
        } else {
            Err("xml event cut short (no </Event>)".into())
        };
        Some(match event {
            Ok(mut event) => {
                event.origin = Some(Origin {
                    file: self.path.clone(),
                    offset,
                });
                Ok(event)
            }
            Err(reason) => Err(RecordError::new(&self.path, offset, reason)),
        })
    }
}

/// The event of one `<Event>` element's text (a Splunk `XmlWinEventLog`
/// event's `_raw`, say).
pub(crate) fn event_from_xml(xml: &str, networks: &Networks) -> Result<Event, String> {
    parse_event(xml).and_then(|root| event_from_evtx_tree(&root, networks))
}

/// The position of the next `<Event` start tag (not `<Events`) at or after `from`.
fn find_event_start(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(found) = memchr::memmem::find(bytes.get(at..)?, b"<Event") {
        let start = at + found;
        match bytes.get(start + "<Event".len()) {
            Some(b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n') => return Some(start),
            _ => at = start + 1,
        }
    }
    None
}

/// An element being read: its name, attributes, children and text. (Also
/// built from other renderings of the same XML: EvtxECmd's JSON.)
#[derive(Default)]
pub(crate) struct Frame {
    pub(crate) name: String,
    pub(crate) attributes: Vec<(String, String)>,
    children: Vec<Entry>,
    /// Children named `Data` that were repeated, now an array of the values.
    repeated: Vec<usize>,
    /// Where each child's key is, once there are many children (an element
    /// with thousands of children would otherwise cost a scan of them all
    /// for each one added), and the next number to try for each repeated
    /// key.
    index: Option<Box<ChildIndex>>,
    pub(crate) text: String,
}

impl Frame {
    /// An element named `name`, empty.
    pub(crate) fn named(name: &str) -> Frame {
        Frame {
            name: name.to_owned(),
            ..Frame::default()
        }
    }

    /// An element named `name` holding `text` only.
    pub(crate) fn with_text(name: &str, text: String) -> Frame {
        Frame {
            text,
            ..Frame::named(name)
        }
    }

    /// The element's children as the tree the EVTX reader maps (for the
    /// outermost element, the event).
    pub(crate) fn into_children(self) -> Vec<Entry> {
        self.children
    }

    /// Adds `child` under this element: a repeated `Data` becomes a list,
    /// another repeated element is numbered (`Application`, `Application_1`),
    /// as the `evtx` crate names them.
    pub(crate) fn add(&mut self, child: Frame) {
        let (key, node) = entry_of(child);
        let at = self.position(&key);
        match at {
            Some(_) if key != "Data" => {
                let first = self
                    .index
                    .as_ref()
                    .and_then(|index| index.numbers.get(key.as_ref()).copied())
                    .unwrap_or(1);
                let (n, numbered) = (first..)
                    .map(|n| (n, format!("{key}_{n}")))
                    .find(|(_, name)| self.position(name).is_none())
                    .expect("a free name");
                if let Some(index) = &mut self.index {
                    index.numbers.insert(key.into_owned(), n + 1);
                }
                self.push(Cow::Owned(numbered), node);
            }
            Some(at) => {
                if !self.repeated.contains(&at) {
                    let first = std::mem::replace(&mut self.children[at].1, Node::Null);
                    self.children[at].1 = Node::Array(vec![first]);
                    self.repeated.push(at);
                }
                if let Node::Array(items) = &mut self.children[at].1 {
                    items.push(node);
                }
            }
            None => self.push(key, node),
        }
    }

    /// Where the child named `key` is.
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.positions.get(key).copied(),
            None => self.children.iter().position(|(k, _)| k == key),
        }
    }

    /// Adds a child under a key it does not have yet.
    fn push(&mut self, key: Cow<'static, str>, node: Node<'static>) {
        if let Some(index) = &mut self.index {
            index.positions.insert(key.to_string(), self.children.len());
        }
        self.children.push((key, node));
        if self.index.is_none() && self.children.len() >= INDEXED_CHILDREN {
            let positions = self
                .children
                .iter()
                .enumerate()
                .map(|(at, (k, _))| (k.to_string(), at))
                .collect();
            self.index = Some(Box::new(ChildIndex {
                positions,
                numbers: HashMap::new(),
            }));
        }
    }
}

/// Children of one element past which their keys are looked up in a map.
const INDEXED_CHILDREN: usize = 32;

/// An element's children by key, and the next number for each repeated key.
struct ChildIndex {
    positions: HashMap<String, usize>,
    numbers: HashMap<String, usize>,
}

/// The children of one `<Event>` element (`System`, `EventData`, …) as the
/// tree the EVTX reader maps.
fn parse_event(xml: &str) -> Result<Vec<Entry>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("invalid xml ({})", error_class(&e)))?;
        match event {
            Xml::Start(start) => stack.push(frame_of(&start)?),
            Xml::Empty(start) => {
                let frame = frame_of(&start)?;
                if let Some(root) = close(&mut stack, frame) {
                    return Ok(root);
                }
            }
            Xml::End(_) => {
                let frame = stack.pop().ok_or("invalid xml (end tag without start)")?;
                if let Some(root) = close(&mut stack, frame) {
                    return Ok(root);
                }
            }
            Xml::Text(text) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text.into_inner());
                }
            }
            Xml::CData(data) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&data.into_inner());
                }
            }
            Xml::GeneralRef(reference) => {
                if let Some(top) = stack.last_mut() {
                    push_reference(&mut top.text, &reference)?;
                }
            }
            Xml::Eof => return Err("xml event cut short (no </Event>)".into()),
            Xml::Comment(_) | Xml::Decl(_) | Xml::PI(_) | Xml::DocType(_) => {}
        }
    }
}

/// A short class of a parse error, for counting skipped records.
fn error_class(error: &quick_xml::Error) -> &'static str {
    match error {
        quick_xml::Error::Syntax(_) => "syntax error",
        quick_xml::Error::IllFormed(_) => "ill-formed",
        quick_xml::Error::Encoding(_) => "encoding",
        quick_xml::Error::Escape(_) => "bad escape",
        _ => "error",
    }
}

/// The text of an entity or character reference (`&lt;`, `&#xD;`); an
/// unknown entity is kept as written.
fn push_reference(
    text: &mut String,
    reference: &quick_xml::events::BytesRef<'_>,
) -> Result<(), String> {
    if let Some(c) = reference
        .resolve_char_ref()
        .map_err(|_| "invalid xml (bad character reference)")?
    {
        text.push(c);
        return Ok(());
    }
    match reference.as_ref() {
        "lt" => text.push('<'),
        "gt" => text.push('>'),
        "amp" => text.push('&'),
        "apos" => text.push('\''),
        "quot" => text.push('"'),
        other => {
            text.push('&');
            text.push_str(other);
            text.push(';');
        }
    }
    Ok(())
}

/// A new frame for a start tag: its local name and its attributes (`xmlns`
/// ones dropped), values unescaped.
fn frame_of(start: &BytesStart<'_>) -> Result<Frame, String> {
    let name = start.local_name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|_| "invalid xml (bad attribute)")?;
        let key = attribute.key;
        if key.as_ref() == "xmlns" || key.prefix().is_some_and(|p| p.as_ref() == "xmlns") {
            continue;
        }
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|_| "invalid xml (bad attribute value)")?;
        attributes.push((key.local_name().as_ref().to_owned(), value.into_owned()));
    }
    Ok(Frame {
        name,
        attributes,
        ..Frame::default()
    })
}

/// Ends `frame`: adds it to its parent, or, when it is the outermost element
/// (the event), returns its children.
fn close(stack: &mut [Frame], frame: Frame) -> Option<Vec<Entry>> {
    match stack.last_mut() {
        Some(parent) => {
            parent.add(frame);
            None
        }
        None => Some(frame.children),
    }
}

/// The key and value an element stands for in the evtx-crate JSON shape: a
/// `<Data Name='X'>` is `X` with its text (empty or not); an element with children is an
/// object of them (after its `#attributes`); one with attributes only is an
/// object of `#attributes` and its `#text`; a leaf is its text, or null when
/// empty.
fn entry_of(frame: Frame) -> Entry {
    let Frame {
        name,
        attributes,
        mut children,
        text,
        ..
    } = frame;
    if name == "Data"
        && let Some((_, data_name)) = attributes.iter().find(|(k, _)| k == "Name")
    {
        // Empty, it is an empty string, as in the binary log.
        return (Cow::Owned(data_name.clone()), Node::Str(Cow::Owned(text)));
    }
    let attribute_node = (!attributes.is_empty()).then(|| {
        Node::Object(
            attributes
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k), Node::Str(Cow::Owned(v))))
                .collect(),
        )
    });
    let node = if !children.is_empty() {
        if let Some(attributes) = attribute_node {
            children.insert(0, (Cow::Borrowed("#attributes"), attributes));
        }
        Node::Object(children)
    } else if let Some(attributes) = attribute_node {
        let mut entries = vec![(Cow::Borrowed("#attributes"), attributes)];
        if !text.is_empty() {
            entries.push((Cow::Borrowed("#text"), Node::Str(Cow::Owned(text))));
        }
        Node::Object(entries)
    } else if name == "Data" {
        // An unnamed `<Data>` item: text, empty or not, as in the binary log.
        Node::Str(Cow::Owned(text))
    } else if text.trim().is_empty() {
        // `<Security />`, or only the line breaks of an empty `<EventData>`.
        Node::Null
    } else {
        Node::Str(Cow::Owned(text))
    };
    (Cow::Owned(name), node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut bytes = if bom { vec![0xff, 0xfe] } else { Vec::new() };
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn sniffs_the_layouts_windows_writes_and_nothing_else() {
        let saved = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Events><Event xmlns='x'>";
        assert!(sniff(&utf16le(saved, true)));
        assert!(sniff(&utf16le("<Event xmlns='x'><System>", false)));
        assert!(sniff(b"\xef\xbb\xbf<!-- wevtutil --><Event xmlns='x'>"));
        assert!(sniff(b"  <Event>\n<System>"));
        for other in [
            &b"<EventLog><x/></EventLog>"[..],
            b"<?xml version=\"1.0\"?><rss>",
            b"{\"Event\":{}}",
            b"<?xml never closed",
            b"",
        ] {
            assert!(!sniff(other), "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn event_starts_are_event_elements_only() {
        let text = "<Events><EventData/><EventID>1</EventID><Event\txmlns='x'></Event>";
        assert_eq!(
            find_event_start(text, 0),
            Some(text.find("<Event\t").unwrap())
        );
        assert_eq!(find_event_start("<Events></Events>", 0), None);
    }

    #[test]
    fn references_attributes_and_repeats_read_as_the_evtx_crate_writes_them() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>\
            <System><Provider Name='A &amp; B'/><EventID Qualifiers='16384'>7036</EventID>\
            <TimeCreated SystemTime='2026-11-23T02:48:05Z'/><Channel>System</Channel>\
            <Computer>dc1</Computer><Security/></System>\
            <EventData><Data>one &lt;1&gt;</Data><Data></Data><Data>&#x41;&#66;&unknown;</Data></EventData>\
            <UserData><Log xmlns='y'><App>a</App><App>b</App></Log></UserData></Event>";
        let root = parse_event(xml).unwrap();
        let system = root.iter().find(|(k, _)| k == "System").unwrap();
        let Node::Object(system) = &system.1 else {
            panic!()
        };
        let provider = &system.iter().find(|(k, _)| k == "Provider").unwrap().1;
        assert_eq!(
            provider
                .get("#attributes")
                .and_then(|a| a.get("Name"))
                .and_then(Node::as_str),
            Some("A & B")
        );
        let id = &system.iter().find(|(k, _)| k == "EventID").unwrap().1;
        assert_eq!(id.get("#text").and_then(Node::as_str), Some("7036"));
        assert!(matches!(
            system.iter().find(|(k, _)| k == "Security").unwrap().1,
            Node::Null
        ));
        let data = &root.iter().find(|(k, _)| k == "EventData").unwrap().1;
        let Some(Node::Array(items)) = data.get("Data") else {
            panic!("{data:?}")
        };
        let texts: Vec<_> = items.iter().filter_map(Node::as_str).collect();
        assert_eq!(texts, ["one <1>", "", "AB&unknown;"]);
        let user = &root.iter().find(|(k, _)| k == "UserData").unwrap().1;
        let log = user.get("Log").unwrap();
        assert_eq!(log.get("App").and_then(Node::as_str), Some("a"));
        assert_eq!(log.get("App_1").and_then(Node::as_str), Some("b"));
        let event = event_from_xml(xml, &Networks::default()).unwrap();
        assert_eq!(event.code, Some(7036));
        assert_eq!(event.host_name.as_deref(), Some("dc1"));
    }

    #[test]
    fn many_start_tags_without_end_tags_are_each_reported() {
        // 200,000 cut events: each is reported, and the file is not read to
        // its end once for each of them.
        let text = "<Event><System>".repeat(200_000) + "<Event><System></System></Event>";
        let source =
            WindowsXmlSource::new(Arc::from("t.xml"), text.into_bytes(), Networks::default());
        let (mut bad, mut last_offset) = (0, 0);
        for record in source {
            match record {
                Err(e) => {
                    bad += 1;
                    last_offset = e.offset;
                }
                Ok(_) => unreachable!("no event here has a time"),
            }
        }
        assert_eq!(bad, 200_001);
        assert_eq!(last_offset, 200_000 * 15);
    }

    #[test]
    fn elements_with_many_children_keep_their_keys_and_numbers() {
        let mut xml = String::from(
            "<Event><System><EventID>1</EventID><TimeCreated SystemTime='2026-11-23T02:48:05Z'/><Channel>Application</Channel></System><UserData><Log>",
        );
        for i in 0..100 {
            xml.push_str(&format!("<App>a{i}</App><Other{i}>o</Other{i}>"));
        }
        xml.push_str("<App_7>named</App_7><App>last</App></Log></UserData><EventData>");
        for i in 0..100 {
            xml.push_str(&format!("<Data Name='F{i}'>{i}</Data><Data>u{i}</Data>"));
        }
        xml.push_str("</EventData></Event>");
        let root = parse_event(&xml).unwrap();
        let find = |name: &str| {
            root.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
                .unwrap()
        };
        let log = find("UserData").get("Log").unwrap();
        assert_eq!(log.get("App").and_then(Node::as_str), Some("a0"));
        assert_eq!(log.get("App_99").and_then(Node::as_str), Some("a99"));
        assert_eq!(log.get("Other99").and_then(Node::as_str), Some("o"));
        // An element already named like a number keeps it; the next repeat
        // takes the next free number.
        assert_eq!(log.get("App_7").and_then(Node::as_str), Some("a7"));
        assert_eq!(log.get("App_7_1").and_then(Node::as_str), Some("named"));
        assert_eq!(log.get("App_100").and_then(Node::as_str), Some("last"));
        let data = find("EventData");
        assert_eq!(data.get("F99").and_then(Node::as_str), Some("99"));
        let Some(Node::Array(unnamed)) = data.get("Data") else {
            panic!()
        };
        assert_eq!(unnamed.len(), 100);
    }

    #[test]
    fn malformed_events_are_errors_not_panics() {
        for bad in [
            "<Event><System></Event>",
            "<Event><System><Provider Name='x></System></Event>",
            "<Event>",
            "<Event><System>&#0;</System></Event>",
        ] {
            assert!(event_from_xml(bad, &Networks::default()).is_err(), "{bad}");
        }
    }
}
