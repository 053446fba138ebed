//! Remembered answers of single rules for repeated field values.
//!
//! A rule's answer depends on an event only through the values of the
//! fields its items read (a rule with a keyword item, which reads every
//! value, is left out). The rules without a literal to prefilter on are
//! evaluated on every event of their route (SigmaHQ's `Failed Logon From
//! Public IP` on every 4625, `Execution of Suspicious File Type Extension`
//! on every process start), and the few fields they read repeat far more
//! than whole events do: a brute force comes from a handful of addresses,
//! a host starts the same images all day. Such a rule's answer is kept per
//! the exact bytes of the values it reads, and an event whose values were
//! seen gets it without an evaluation.
//!
//! The key is compared in full on each hit (a hash alone would let a crafted
//! event borrow a benign answer). Memory is bounded per thread: the table
//! starts afresh when full. A rule whose lookups seldom hit (it reads a
//! command line, which rarely repeats) stops being remembered for a while
//! after a probe, so unique data pays little.

use crate::field_index::FieldIndex;
use crate::memo::{Probes, write_value_ref};
use model::{Event, FieldRef};

/// Entries, and bytes of keys, kept before the table starts afresh.
const ENTRIES: usize = 1 << 14;
const ARENA_BYTES: usize = 2 << 20;

/// Longest key kept (bytes): values longer than this are evaluated.
const MAX_KEY: usize = 512;

/// Lookups per probe of a rule, and the share of hits (1 in `MIN_HIT_RATIO`)
/// below which the rule is not remembered for `PAUSE` evaluations.
const PROBE: u32 = 256;
const MIN_HIT_RATIO: u32 = 4;
const PAUSE: u32 = 1 << 14;

/// What a rule's answer depends on: per field item (and `fieldref` target),
/// the fields it reads, the first present of which it reads.
pub(crate) type ReadLists = Box<[Box<[FieldRef]>]>;

/// What [`AnswerCache::lookup`] found.
pub(crate) enum Lookup {
    /// The rule is not remembered now, or its key is too long: evaluate.
    Skip,
    /// The remembered answer.
    Hit(bool),
    /// Not remembered: evaluate, then remember with this hash.
    Miss(u64),
}

#[derive(Debug)]
struct Entry {
    hash: u64,
    start: u32,
    len: u32,
    answer: bool,
}

/// One thread's remembered rule answers.
#[derive(Debug, Default)]
pub(crate) struct AnswerCache {
    table: hashbrown::HashTable<Entry>,
    arena: Vec<u8>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Per rule: whether its values repeat enough to look them up.
    probes: Probes<PROBE, MIN_HIT_RATIO, PAUSE>,
    key: Vec<u8>,
}

impl AnswerCache {
    /// The remembered answer of rule `rule` for `event`, or how to remember
    /// the answer once evaluated ([`AnswerCache::remember`]).
    #[inline]
    pub(crate) fn lookup(
        &mut self,
        rule: u32,
        reads: &ReadLists,
        event: &Event,
        fields: &FieldIndex,
    ) -> Lookup {
        if !self.probes.active(rule as usize) || !self.write_key(rule, reads, event, fields) {
            return Lookup::Skip;
        }
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(&self.key[..]);
        let (arena, key) = (&self.arena, &self.key);
        let found = self
            .table
            .find(hash, |e| {
                e.hash == hash && arena[e.start as usize..(e.start + e.len) as usize] == key[..]
            })
            .map(|e| e.answer);
        self.probes.count(rule as usize, found.is_some());
        match found {
            Some(answer) => Lookup::Hit(answer),
            None => Lookup::Miss(hash),
        }
    }

    /// Remembers `answer` for the key of the last [`AnswerCache::lookup`],
    /// which missed with `hash`.
    pub(crate) fn remember(&mut self, hash: u64, answer: bool) {
        if self.table.len() >= ENTRIES || self.arena.len() + self.key.len() > ARENA_BYTES {
            self.table.clear();
            self.arena.clear();
        }
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(&self.key);
        let entry = Entry {
            hash,
            start,
            len: self.key.len() as u32,
            answer,
        };
        self.table.insert_unique(hash, entry, |e| e.hash);
    }

    /// Writes the key of rule `rule` for `event`: its index, then each read
    /// list's value (tagged and length-prefixed) or its absence. False when
    /// it is longer than [`MAX_KEY`].
    fn write_key(
        &mut self,
        rule: u32,
        reads: &ReadLists,
        event: &Event,
        fields: &FieldIndex,
    ) -> bool {
        let key = &mut self.key;
        key.clear();
        key.extend_from_slice(&rule.to_le_bytes());
        for list in reads.iter() {
            match list.iter().find_map(|f| fields.get(event, *f)) {
                Some(value) => write_value_ref(value, key),
                None => key.push(0),
            }
            if key.len() > MAX_KEY {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Sym, Value};

    fn event(pairs: &[(Sym, &str)]) -> Event {
        let mut event = Event::default();
        for (sym, text) in pairs {
            event.native.push_sym(*sym, Value::Str((*text).into()));
        }
        event
    }

    /// A rule reading one field, named `name`, and an empty cache and index.
    fn one_field_rule(name: &str) -> (Sym, ReadLists, AnswerCache, FieldIndex) {
        let sym = Sym::intern(name).unwrap();
        let reads: ReadLists = vec![vec![FieldRef::Native(sym)].into()].into();
        (sym, reads, AnswerCache::default(), FieldIndex::default())
    }

    /// Looks `event` up for `rule`, evaluating with `answer` on a miss;
    /// returns the answer and whether it was remembered.
    fn ask(
        cache: &mut AnswerCache,
        rule: u32,
        reads: &ReadLists,
        event: &Event,
        answer: bool,
    ) -> (bool, bool) {
        let fields = FieldIndex::default();
        match cache.lookup(rule, reads, event, &fields) {
            Lookup::Hit(answer) => (answer, true),
            Lookup::Miss(hash) => {
                cache.remember(hash, answer);
                (answer, false)
            }
            Lookup::Skip => (answer, false),
        }
    }

    #[test]
    fn answers_from_memory_only_for_the_same_values_of_the_same_rule() {
        let ip = Sym::intern("AnswerCacheTestIp").unwrap();
        let alias = Sym::intern("AnswerCacheTestIpAlias").unwrap();
        let other = Sym::intern("AnswerCacheTestOther").unwrap();
        let reads: ReadLists =
            vec![vec![FieldRef::Native(alias), FieldRef::Native(ip)].into()].into();
        let mut cache = AnswerCache::default();
        let first = event(&[(ip, "203.0.113.7"), (other, "a")]);
        assert_eq!(ask(&mut cache, 1, &reads, &first, true), (true, false));
        // Same value, a field the rule does not read changed: remembered.
        let same = event(&[(other, "b"), (ip, "203.0.113.7")]);
        assert_eq!(ask(&mut cache, 1, &reads, &same, false), (true, true));
        // Another rule, or another value: evaluated.
        assert_eq!(ask(&mut cache, 2, &reads, &same, false), (false, false));
        let changed = event(&[(ip, "203.0.113.8")]);
        assert_eq!(ask(&mut cache, 1, &reads, &changed, false), (false, false));
        // The value read is the first present field of the list: the alias,
        // when the event has it, whatever the other holds.
        let aliased = event(&[(alias, "203.0.113.8"), (ip, "203.0.113.7")]);
        assert_eq!(ask(&mut cache, 1, &reads, &aliased, true), (false, true));
        // Absent and empty are told apart.
        let absent = event(&[(other, "a")]);
        let empty = event(&[(ip, "")]);
        assert_eq!(ask(&mut cache, 1, &reads, &absent, true), (true, false));
        assert_eq!(ask(&mut cache, 1, &reads, &empty, false), (false, false));
        assert_eq!(ask(&mut cache, 1, &reads, &absent, false), (true, true));
    }

    #[test]
    fn a_rule_whose_values_do_not_repeat_stops_being_remembered() {
        let (line, reads, mut cache, fields) = one_field_rule("AnswerCacheTestLine");
        let mut skipped = 0;
        for i in 0..PROBE * 2 {
            let e = event(&[(line, &format!("cmd.exe /c job {i}"))]);
            match cache.lookup(7, &reads, &e, &fields) {
                Lookup::Hit(_) => panic!("distinct values never hit"),
                Lookup::Miss(hash) => cache.remember(hash, false),
                Lookup::Skip => skipped += 1,
            }
        }
        // Paused after the first probe, for the rest.
        assert_eq!(skipped, PROBE);
    }

    #[test]
    fn memory_is_bounded() {
        let (line, reads, mut cache, fields) = one_field_rule("AnswerCacheTestBounded");
        // Each value twice, so the rule keeps being remembered.
        for i in 0..ENTRIES * 2 {
            let e = event(&[(line, &format!("{i:0>400}"))]);
            for _ in 0..2 {
                if let Lookup::Miss(hash) = cache.lookup(3, &reads, &e, &fields) {
                    cache.remember(hash, true);
                }
            }
            assert!(cache.table.len() <= ENTRIES);
            assert!(cache.arena.len() <= ARENA_BYTES);
        }
    }
}
