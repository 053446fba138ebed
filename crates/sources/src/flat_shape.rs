//! What a flat JSON record's keys alone decide, learnt once per key sequence.
//!
//! A JSON Lines export repeats a few key sequences (one per event type) in
//! the same order. Whether a record is a flat Windows record, where its time
//! is, which keys are aliases and the symbol of each key depend only on that
//! sequence, so they are worked out when a sequence is first seen and reused
//! while it recurs: [`Shapes`] remembers the last [`REMEMBERED`] sequences
//! read on a thread, most recent first. On the EVTX corpus as flat JSON (259
//! sequences, interleaved), eight of them answer 94% of records, at two
//! sequence comparisons a record; learning a sequence costs what building
//! every record did before (a key scan, a uniqueness check, and a symbol
//! lookup per key).

use crate::json_entries::Entries;
use model::Sym;

/// Key sequences remembered per thread.
pub(crate) const REMEMBERED: usize = 8;

/// Flat exports' names for a few native fields, and the field each stands
/// for (added beside the native one when the record has no field of that
/// name).
pub(crate) const FLAT_ALIASES: [(&str, &str); 8] = [
    ("EventId", "EventID"),
    ("event_id", "EventID"),
    ("EventCode", "EventID"),
    ("LogName", "Channel"),
    ("SourceName", "Provider_Name"),
    ("ProviderName", "Provider_Name"),
    ("Hostname", "Computer"),
    ("ComputerName", "Computer"),
];

/// Where flat exports keep the event time, in order of preference.
pub(crate) const FLAT_TIME_KEYS: [&str; 8] = [
    "@timestamp",
    "TimeCreated",
    "EventTime",
    "SystemTime",
    "UtcTime",
    "TimeGenerated",
    "timestamp",
    // Splunk's parsed event time.
    "_time",
];

/// One key of a shape: how its value enters the event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ShapeField {
    /// The key's symbol (`None` past the symbol cap: the value is dropped).
    pub(crate) sym: Option<Sym>,
    /// Whether the key is `EventID` (its value is read as an event id).
    pub(crate) event_id: bool,
    /// The alias to add with the same value: `(symbol, whether it is EventID)`.
    pub(crate) alias: Option<(Option<Sym>, bool)>,
}

/// What one key sequence decides.
#[derive(Debug)]
pub(crate) struct Shape {
    keys: Vec<Box<str>>,
    /// Whether the keys make a flat Windows record: an event id key, a
    /// Windows source key, no Zeek `ts`, and no key twice.
    pub(crate) flat_windows: bool,
    /// Positions of the time keys present, in order of preference.
    pub(crate) time_at: Vec<usize>,
    /// Per position, how the value enters the event.
    pub(crate) fields: Vec<ShapeField>,
}

impl Shape {
    /// Works out the shape of `entries`' keys.
    pub(crate) fn learn(entries: &Entries<'_>) -> Shape {
        let keys: Vec<&str> = entries.0.iter().map(|(k, _)| k.as_ref()).collect();
        // EvtxECmd's records look flat, but their event data is in `Payload`.
        let flat_windows = is_flat_windows(&keys)
            && !crate::evtxecmd::is_evtxecmd(keys.iter().copied())
            && entries.keys_are_unique();
        let mut time_at = Vec::new();
        for time_key in FLAT_TIME_KEYS {
            if let Some(at) = keys.iter().position(|k| *k == time_key) {
                time_at.push(at);
            }
        }
        let fields = keys
            .iter()
            .map(|key| ShapeField {
                sym: Sym::intern(key),
                event_id: *key == "EventID",
                alias: alias_of(key, &keys).map(|alias| (Sym::intern(alias), alias == "EventID")),
            })
            .collect();
        Shape {
            keys: keys.into_iter().map(Box::from).collect(),
            flat_windows,
            time_at,
            fields,
        }
    }

    /// Whether `entries` has exactly this shape's keys, in order.
    fn fits(&self, entries: &Entries<'_>) -> bool {
        self.keys.len() == entries.0.len()
            && self
                .keys
                .iter()
                .zip(&entries.0)
                .all(|(known, (key, _))| same_bytes(known.as_bytes(), key.as_bytes()))
    }
}

/// The alias `key` adds, when it is one of [`FLAT_ALIASES`] and the record
/// has no field of the alias's name.
fn alias_of(key: &str, keys: &[&str]) -> Option<&'static str> {
    let (_, alias) = FLAT_ALIASES.iter().find(|(name, _)| *name == key)?;
    (!keys.contains(alias)).then_some(*alias)
}

/// Whether a record's keys make a flat Windows export: one of the event id
/// keys, one of the Windows source keys, and no Zeek `ts`.
pub(crate) fn is_flat_windows(keys: &[&str]) -> bool {
    let (mut event_id, mut source) = (false, false);
    for key in keys {
        match *key {
            "ts" => return false,
            "EventID" | "EventId" | "event_id" | "EventCode" => event_id = true,
            "Channel" | "SourceName" | "ProviderName" | "Provider_Name" | "Hostname"
            | "Computer" | "ComputerName" | "LogName" => source = true,
            _ => {}
        }
    }
    event_id && source
}

/// Byte equality with keys of up to 16 bytes (nearly all) compared as two
/// overlapping words, not through a `memcmp` call (2.9 million calls a run
/// of the flat EVTX corpus ten times over).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let long = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
    let short = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4"));
    match n {
        8..=16 => long(a, 0) == long(b, 0) && long(a, n - 8) == long(b, n - 8),
        4..=7 => short(a, 0) == short(b, 0) && short(a, n - 4) == short(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// The last [`REMEMBERED`] shapes seen, most recent first.
#[derive(Default)]
pub(crate) struct Shapes {
    recent: Vec<Shape>,
}

impl Shapes {
    /// The shape of `entries`' keys: a remembered one when it fits (moved to
    /// the front), else a new one learnt and remembered.
    pub(crate) fn of(&mut self, entries: &Entries<'_>) -> &Shape {
        match self.recent.iter().position(|shape| shape.fits(entries)) {
            Some(at) => self.recent[..=at].rotate_right(1),
            None => {
                if self.recent.len() == REMEMBERED {
                    self.recent.pop();
                }
                self.recent.insert(0, Shape::learn(entries));
            }
        }
        &self.recent[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_entries::Scalar;
    use proptest::prelude::*;
    use std::borrow::Cow;

    fn entries(keys: &[&str]) -> Entries<'static> {
        Entries(
            keys.iter()
                .map(|k| (Cow::Owned(k.to_string()), Scalar::Null))
                .collect(),
        )
    }

    #[test]
    fn a_remembered_shape_is_the_one_learnt() {
        let mut shapes = Shapes::default();
        let windows = entries(&["EventID", "Channel", "SystemTime", "Image"]);
        let zeek = entries(&["ts", "uid", "EventID", "Channel"]);
        assert!(shapes.of(&windows).flat_windows);
        assert!(!shapes.of(&zeek).flat_windows);
        let again = shapes.of(&windows);
        assert!(again.flat_windows);
        assert_eq!(again.time_at, vec![2]);
        assert!(again.fields[0].event_id);
        assert_eq!(shapes.recent.len(), 2);
    }

    #[test]
    fn repeated_keys_and_aliases_are_decided_by_the_keys() {
        let mut shapes = Shapes::default();
        let repeated = entries(&["EventID", "Channel", "EventID"]);
        assert!(!shapes.of(&repeated).flat_windows);
        let aliased = shapes.of(&entries(&["EventId", "Hostname", "Computer"]));
        assert_eq!(
            aliased.fields[0].alias,
            Some((Sym::intern("EventID"), true))
        );
        // `Computer` is there: `Hostname` adds no alias.
        assert_eq!(aliased.fields[1].alias, None);
    }

    #[test]
    fn only_the_most_recent_shapes_are_kept() {
        let mut shapes = Shapes::default();
        for i in 0..REMEMBERED + 3 {
            let key = format!("k{i}");
            shapes.of(&entries(&["EventID", "Channel", &key]));
        }
        assert_eq!(shapes.recent.len(), REMEMBERED);
        assert_eq!(&*shapes.recent[0].keys[2], format!("k{}", REMEMBERED + 2));
    }

    proptest! {
        /// Word-wise equality is byte equality.
        #[test]
        fn same_bytes_is_equality(a in "[ab]{0,20}", b in "[ab]{0,20}", c in "[ab]{0,20}") {
            prop_assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), a == b);
            // Same length, one byte different, wherever it is.
            prop_assert!(same_bytes(c.as_bytes(), c.as_bytes()));
            for at in 0..c.len() {
                let mut d = c.clone().into_bytes();
                d[at] = if d[at] == b'a' { b'b' } else { b'a' };
                prop_assert!(!same_bytes(c.as_bytes(), &d));
            }
        }

        /// Whatever sequence of records comes, the shape handed out is the
        /// one learnt from the record itself.
        #[test]
        fn the_shape_handed_out_fits_the_record(
            records in proptest::collection::vec(
                proptest::collection::vec(prop_oneof![
                    Just("EventID"), Just("Channel"), Just("ts"), Just("EventId"),
                    Just("Computer"), Just("Hostname"), Just("UtcTime"), Just("Image"),
                ], 0..6),
                1..40,
            )
        ) {
            let mut shapes = Shapes::default();
            for keys in records {
                let record = entries(&keys);
                let learnt = Shape::learn(&record);
                let given = shapes.of(&record);
                prop_assert!(given.fits(&record));
                prop_assert_eq!(given.flat_windows, learnt.flat_windows);
                prop_assert_eq!(&given.time_at, &learnt.time_at);
                prop_assert_eq!(&given.fields, &learnt.fields);
            }
        }
    }
}
