//! Remembered answers for repeated events.
//!
//! Real logs repeat: a brute-force run writes thousands of 4625 records that
//! differ only in their time and record number, a scheduled task starts the
//! same command line every hour, a service logs the same filter change all day.
//! What a route's rules answer depends on the event through the fields they
//! read and nothing else (rules with keyword items, which read every value, are
//! kept out), so an event whose read fields hold exactly the bytes of one seen
//! before gets the same answer without a scan or an evaluation.
//!
//! The key is the exact bytes of those fields, compared in full on every hit:
//! a hash alone would let a crafted event collide with a benign one and borrow
//! its empty answer, an evasion a detection tool must not allow. Memory is
//! bounded per thread (two generations: when the newer fills, the older is
//! dropped, so values in use survive), and a route whose events do not repeat
//! stops being remembered after a probe, so unique data pays almost nothing.

use model::{Event, Field, FieldRef, ValueRef};
use std::net::IpAddr;

/// Longest key remembered (bytes): a 16 KB script block is still worth it,
/// a 1 MB one is not kept.
pub(crate) const MEMO_MAX_KEY: usize = 16 * 1024;

/// Bytes of keys and answers per generation (two are kept per thread).
const MEMO_GENERATION_BYTES: usize = 8 << 20;

/// Lookups per probe of a route's repetition, and the share of hits (1 in
/// `MEMO_MIN_HIT_RATIO`) below which the route stops being remembered for
/// `MEMO_PAUSE` events.
const MEMO_PROBE: u32 = 2048;
const MEMO_MIN_HIT_RATIO: u32 = 16;
const MEMO_PAUSE: u32 = 1 << 16;

/// The fields a route's memoised rules can read.
#[derive(Debug)]
pub(crate) struct ReadSet {
    /// One bit per native symbol read (symbols past the end are not read).
    native: Box<[u64]>,
    /// Typed common fields read, in a fixed order.
    canonical: Box<[Field]>,
}

impl ReadSet {
    /// The set of `fields`; `None` when the answer depends on the event's time
    /// (every event would be new: remembering would only cost).
    pub fn new(fields: &[FieldRef]) -> Option<ReadSet> {
        let mut canonical: Vec<Field> = Vec::new();
        let mut max_sym = 0;
        for field in fields {
            match field {
                FieldRef::Canonical(Field::Timestamp) => return None,
                FieldRef::Canonical(f) => canonical.push(*f),
                FieldRef::Native(sym) => max_sym = max_sym.max(sym.0 as usize + 1),
            }
        }
        canonical.sort_unstable();
        canonical.dedup();
        let mut native = vec![0u64; max_sym.div_ceil(64)];
        for field in fields {
            if let FieldRef::Native(sym) = field {
                native[sym.0 as usize / 64] |= 1 << (sym.0 % 64);
            }
        }
        Some(ReadSet {
            native: native.into_boxed_slice(),
            canonical: canonical.into_boxed_slice(),
        })
    }

    fn reads_native(&self, sym: u32) -> bool {
        self.native
            .get(sym as usize / 64)
            .is_some_and(|word| word & (1 << (sym % 64)) != 0)
    }

    /// Writes the key of `event` for the route `route` into `key`: every native
    /// field of the set in record order (repeats included), then each typed
    /// field's value or its absence. Tagged and length-prefixed, so two events
    /// have the same key exactly when they hold the same values in the fields
    /// read. False when the key would be longer than [`MEMO_MAX_KEY`].
    pub fn write_key(&self, route: usize, event: &Event, key: &mut Vec<u8>) -> bool {
        key.clear();
        key.extend_from_slice(&route.to_le_bytes());
        for (sym, value) in event.native.iter() {
            if self.reads_native(sym.0) {
                key.push(NATIVE);
                key.extend_from_slice(&sym.0.to_le_bytes());
                write_value_ref(value, key);
                if key.len() > MEMO_MAX_KEY {
                    return false;
                }
            }
        }
        key.push(END_NATIVE);
        for field in self.canonical.iter() {
            match event.get_canonical(*field) {
                Some(value) => write_value_ref(value, key),
                None => key.push(ABSENT),
            }
        }
        key.len() <= MEMO_MAX_KEY
    }
}

const ABSENT: u8 = 0;
const STR: u8 = 1;
const INT: u8 = 2;
const UINT: u8 = 3;
const FLOAT: u8 = 4;
const BOOL: u8 = 5;
const IP4: u8 = 6;
const IP6: u8 = 7;
const NULL: u8 = 8;
const LIST: u8 = 9;
const NATIVE: u8 = 0xFE;
const END_NATIVE: u8 = 0xFF;

fn write_str(s: &str, key: &mut Vec<u8>) {
    key.push(STR);
    key.extend_from_slice(&(s.len() as u64).to_le_bytes());
    key.extend_from_slice(s.as_bytes());
}

/// Writes `value` into `key`, tagged and length-prefixed.
pub(crate) fn write_value_ref(value: ValueRef<'_>, key: &mut Vec<u8>) {
    match value {
        ValueRef::Str(s) => write_str(s, key),
        ValueRef::Int(i) => {
            key.push(INT);
            key.extend_from_slice(&i.to_le_bytes());
        }
        ValueRef::UInt(u) => {
            key.push(UINT);
            key.extend_from_slice(&u.to_le_bytes());
        }
        ValueRef::Float(f) => {
            key.push(FLOAT);
            key.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        ValueRef::Bool(b) => key.extend_from_slice(&[BOOL, b as u8]),
        ValueRef::Ip(IpAddr::V4(ip)) => {
            key.push(IP4);
            key.extend_from_slice(&ip.octets());
        }
        ValueRef::Ip(IpAddr::V6(ip)) => {
            key.push(IP6);
            key.extend_from_slice(&ip.octets());
        }
        ValueRef::Null => key.push(NULL),
        ValueRef::List(items) => {
            key.push(LIST);
            key.extend_from_slice(&(items.len() as u64).to_le_bytes());
            items
                .iter()
                .for_each(|item| write_value_ref(item.as_ref(), key));
        }
        ValueRef::StrList(items) => {
            key.push(LIST);
            key.extend_from_slice(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| write_str(item, key));
        }
    }
}

/// One thread's remembered answers: key bytes -> matching rule indices.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    current: hashbrown::HashMap<Box<[u8]>, Box<[u32]>>,
    previous: hashbrown::HashMap<Box<[u8]>, Box<[u32]>>,
    bytes: usize,
    /// Per route (by the scratch's route index): lookups and hits of the
    /// running probe, and events left in a pause.
    probes: Probes<MEMO_PROBE, MEMO_MIN_HIT_RATIO, MEMO_PAUSE>,
    /// Events answered from memory (for tests and benchmarks).
    pub hits: u64,
    /// Events looked up and not found.
    pub misses: u64,
}

/// Whether remembering pays, per place (a route, a rule): each place's
/// lookups are counted in probes of `LOOKUPS`; when fewer than one in
/// `RATIO` hit, the place is not looked up for its next `PAUSE` chances.
/// Unique data then pays for one probe now and then.
#[derive(Debug, Default)]
pub(crate) struct Probes<const LOOKUPS: u32, const RATIO: u32, const PAUSE: u32> {
    places: Vec<Probe>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Probe {
    lookups: u32,
    hits: u32,
    paused: u32,
}

impl<const LOOKUPS: u32, const RATIO: u32, const PAUSE: u32> Probes<LOOKUPS, RATIO, PAUSE> {
    /// Whether place `at` is worth looking up now; counts down a pause.
    pub(crate) fn active(&mut self, at: usize) -> bool {
        if self.places.len() <= at {
            self.places.resize(at + 1, Probe::default());
        }
        let probe = &mut self.places[at];
        if probe.paused > 0 {
            probe.paused -= 1;
            return false;
        }
        true
    }

    /// Counts a lookup of place `at` (which [`Probes::active`] allowed).
    pub(crate) fn count(&mut self, at: usize, hit: bool) {
        let probe = &mut self.places[at];
        probe.lookups += 1;
        probe.hits += u32::from(hit);
        if probe.lookups >= LOOKUPS {
            if probe.hits * RATIO < probe.lookups {
                probe.paused = PAUSE;
            }
            probe.lookups = 0;
            probe.hits = 0;
        }
    }
}

impl Memo {
    /// Whether events of route `route` are worth remembering now; counts down
    /// a pause.
    pub fn active(&mut self, route: usize) -> bool {
        self.probes.active(route)
    }

    /// Appends the remembered answer for `key` to `out`; false when none.
    pub fn get_into(&mut self, route: usize, key: &[u8], out: &mut Vec<u32>) -> bool {
        let found = if let Some(hits) = self.current.get(key) {
            out.extend_from_slice(hits);
            true
        } else if let Some((key, hits)) = self.previous.remove_entry(key) {
            out.extend_from_slice(&hits);
            self.store(key, hits);
            true
        } else {
            false
        };
        if found {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        self.probes.count(route, found);
        found
    }

    /// Remembers the answer for `key`.
    pub fn insert(&mut self, key: &[u8], hits: &[u32]) {
        self.store(key.into(), hits.into());
    }

    fn store(&mut self, key: Box<[u8]>, hits: Box<[u32]>) {
        let size = key.len() + 4 * hits.len() + 64;
        if self.bytes + size > MEMO_GENERATION_BYTES {
            self.previous = std::mem::take(&mut self.current);
            self.bytes = 0;
        }
        self.bytes += size;
        self.current.insert(key, hits);
    }
}
