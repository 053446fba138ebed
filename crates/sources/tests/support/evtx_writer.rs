//! A small EVTX writer for fixtures: one file header, chunks of records whose
//! binary XML spells every element and name inline (no templates, no shared
//! strings), checksums filled in. Enough for the `evtx` crate to read the records
//! back as the same JSON shape a real Windows log gives.
// Test crates that render other shapes do not write EVTX.
#![allow(dead_code)]

/// An XML element of an event record.
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

/// A child: an element or text.
pub enum Node {
    Element(Element),
    Text(String),
}

pub fn element(name: &str, attributes: &[(&str, &str)], children: Vec<Node>) -> Node {
    Node::Element(Element {
        name: name.into(),
        attributes: attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        children,
    })
}

pub fn text_element(name: &str, text: &str) -> Node {
    element(name, &[], vec![Node::Text(text.into())])
}

/// `<Data Name="…">value</Data>`.
pub fn data(name: &str, value: &str) -> Node {
    element("Data", &[("Name", name)], vec![Node::Text(value.into())])
}

/// A whole `<Event>` with a System part and EventData.
pub fn event(
    provider: &str,
    channel: &str,
    event_id: u32,
    record_id: u64,
    system_time: &str,
    computer: &str,
    event_data: Vec<Node>,
) -> Node {
    let system = element(
        "System",
        &[],
        vec![
            element("Provider", &[("Name", provider)], vec![]),
            text_element("EventID", &event_id.to_string()),
            text_element("Level", "4"),
            element("TimeCreated", &[("SystemTime", system_time)], vec![]),
            text_element("EventRecordID", &record_id.to_string()),
            text_element("Channel", channel),
            text_element("Computer", computer),
        ],
    );
    element(
        "Event",
        &[(
            "xmlns",
            "http://schemas.microsoft.com/win/2004/08/events/event",
        )],
        vec![system, element("EventData", &[], event_data)],
    )
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Writes an inline name at chunk offset `at` (the name offset points just past
/// itself): next-string offset, hash, length, UTF-16 characters, NUL.
fn push_name(out: &mut Vec<u8>, chunk_base: usize, name: &str) {
    let here = (chunk_base + out.len() + 4) as u32;
    out.extend_from_slice(&here.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(name.encode_utf16().count() as u16).to_le_bytes());
    out.extend_from_slice(&utf16(name));
    out.extend_from_slice(&0u16.to_le_bytes());
}

fn push_text_value(out: &mut Vec<u8>, text: &str) {
    out.push(0x05);
    out.push(0x01);
    out.extend_from_slice(&(text.encode_utf16().count() as u16).to_le_bytes());
    out.extend_from_slice(&utf16(text));
}

/// Binary XML of one element; `chunk_base` is the chunk offset of `out[0]`.
fn push_element(out: &mut Vec<u8>, chunk_base: usize, element: &Element) {
    // Elements written directly in a record (not in a template definition) have no
    // dependency identifier after the token.
    out.push(if element.attributes.is_empty() {
        0x01
    } else {
        0x41
    });
    let size_at = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    push_name(out, chunk_base, &element.name);
    if !element.attributes.is_empty() {
        let list_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        for (i, (name, value)) in element.attributes.iter().enumerate() {
            let more = i + 1 < element.attributes.len();
            out.push(if more { 0x46 } else { 0x06 });
            push_name(out, chunk_base, name);
            push_text_value(out, value);
        }
        let list_size = (out.len() - list_at - 4) as u32;
        out[list_at..list_at + 4].copy_from_slice(&list_size.to_le_bytes());
    }
    if element.children.is_empty() {
        out.push(0x03);
    } else {
        out.push(0x02);
        for child in &element.children {
            match child {
                Node::Element(e) => push_element(out, chunk_base, e),
                Node::Text(t) => push_text_value(out, t),
            }
        }
        out.push(0x04);
    }
    let size = (out.len() - size_at - 4) as u32;
    out[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
}

const CHUNK: usize = 65536;
const CHUNK_HEADER: usize = 512;

/// A record at chunk offset `at`.
fn record(at: usize, record_id: u64, root: &Node) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&[0x2a, 0x2a, 0, 0]);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&record_id.to_le_bytes());
    out.extend_from_slice(&132_000_000_000_000_000u64.to_le_bytes());
    out.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
    if let Node::Element(e) = root {
        let base = at + out.len();
        let mut xml = Vec::new();
        push_element(&mut xml, base, e);
        out.extend_from_slice(&xml);
    }
    out.push(0x00);
    let size = (out.len() + 4) as u32;
    out.extend_from_slice(&size.to_le_bytes());
    out[4..8].copy_from_slice(&size.to_le_bytes());
    out
}

/// One chunk holding `records` (record ids from `first_id`).
fn chunk(first_id: u64, records: &[Node]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut last_offset = CHUNK_HEADER;
    for (i, root) in records.iter().enumerate() {
        last_offset = CHUNK_HEADER + body.len();
        body.extend_from_slice(&record(last_offset, first_id + i as u64, root));
    }
    assert!(
        CHUNK_HEADER + body.len() <= CHUNK,
        "too many records for one chunk"
    );
    let last_id = first_id + records.len() as u64 - 1;
    let mut out = vec![0u8; CHUNK];
    out[0..8].copy_from_slice(b"ElfChnk\0");
    out[8..16].copy_from_slice(&first_id.to_le_bytes());
    out[16..24].copy_from_slice(&last_id.to_le_bytes());
    out[24..32].copy_from_slice(&first_id.to_le_bytes());
    out[32..40].copy_from_slice(&last_id.to_le_bytes());
    out[40..44].copy_from_slice(&128u32.to_le_bytes());
    out[44..48].copy_from_slice(&(last_offset as u32).to_le_bytes());
    out[48..52].copy_from_slice(&((CHUNK_HEADER + body.len()) as u32).to_le_bytes());
    out[CHUNK_HEADER..CHUNK_HEADER + body.len()].copy_from_slice(&body);
    let data_crc = crc32fast::hash(&out[CHUNK_HEADER..CHUNK_HEADER + body.len()]);
    out[52..56].copy_from_slice(&data_crc.to_le_bytes());
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&out[0..120]);
    hasher.update(&out[128..512]);
    out[124..128].copy_from_slice(&hasher.finalize().to_le_bytes());
    out
}

/// A whole EVTX file: chunks of `per_chunk` records each.
pub fn evtx_file(records: &[Node], per_chunk: usize) -> Vec<u8> {
    let chunks: Vec<Vec<u8>> = records
        .chunks(per_chunk)
        .enumerate()
        .map(|(i, part)| chunk(1 + (i * per_chunk) as u64, part))
        .collect();
    let mut header = vec![0u8; 4096];
    header[0..8].copy_from_slice(b"ElfFile\0");
    header[16..24].copy_from_slice(&(chunks.len() as u64 - 1).to_le_bytes());
    header[24..32].copy_from_slice(&(records.len() as u64 + 1).to_le_bytes());
    header[32..36].copy_from_slice(&128u32.to_le_bytes());
    header[36..38].copy_from_slice(&1u16.to_le_bytes());
    header[38..40].copy_from_slice(&3u16.to_le_bytes());
    header[40..42].copy_from_slice(&4096u16.to_le_bytes());
    header[42..44].copy_from_slice(&(chunks.len() as u16).to_le_bytes());
    let crc = crc32fast::hash(&header[0..120]);
    header[124..128].copy_from_slice(&crc.to_le_bytes());
    let mut file = header;
    for c in chunks {
        file.extend_from_slice(&c);
    }
    file
}
