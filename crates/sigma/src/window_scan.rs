//! Every literal of a large set that occurs in a text, found by hashed windows
//! instead of an automaton walk.
//!
//! The prefilter needs *all* literals a value holds (overlapping search). For
//! sets too large for the SIMD gate (process_creation's 10,000 command-line
//! literals, PowerShell's 1,200 script-block literals), aho-corasick's
//! overlapping search walks a contiguous NFA byte by byte, about 33
//! instructions a byte with its failure transitions, and those two fields are
//! most of the bytes the prefilter reads. Here each literal of four bytes or
//! more is indexed by one of its four-byte windows (the one made of the
//! rarest bytes), hashed into a bitmap small enough for the L1 cache; a text
//! is read once, one hash and one bit test per position, and only the
//! positions whose window is in the bitmap are verified against the literals
//! of that bucket. Literals of two or three bytes are searched one by one
//! with `memmem` when there are few of them (a search stops at the first
//! occurrence, and the prefilter only asks whether a literal is there), else
//! indexed by their first pair of bytes (exact, in a 65,536-bit map) in the
//! same pass; one-byte literals are found with `memchr`.
//!
//! Texts are matched as bytes: the caller lower-cases them, as the literals
//! are.

use hashbrown::HashMap;

/// Bytes of a long literal's window.
const WINDOW: usize = 4;

/// Multiplier of the window hash (Knuth's golden-ratio constant).
const HASH_MULTIPLIER: u32 = 0x9E37_79B1;

/// Bits of the long-literal hash: 2^17 buckets, a 16 KB filter (half the L1
/// data cache), so that a set of 10,000 literals fills under a tenth of it.
const HASH_BITS: u32 = 17;

/// Buckets of the long-literal hash.
const BUCKETS: usize = 1 << HASH_BITS;

/// Most two- and three-byte literals searched one by one (`memmem`, which
/// stops at the first occurrence: common ones like `et` cost a few bytes);
/// more are found through the pair filter in the main pass.
const MAX_SEARCHED_SHORT: usize = 32;

/// The literals of one set and the tables that find them.
#[derive(Debug)]
pub(crate) struct WindowScan {
    /// All literals' bytes, one after another.
    bytes: Box<[u8]>,
    /// Per pattern id: where its bytes start in `bytes`, and its length.
    spans: Box<[(u32, u32)]>,
    /// One bit per hash bucket: whether some long literal's window hashes there.
    long_filter: Box<[u64; BUCKETS / 64]>,
    /// Per word of `long_filter`: the used buckets before it. A used
    /// bucket's rank (used buckets before it) indexes `rank_start`, which
    /// keeps the verification tables small (8 KB and 4 bytes a used bucket,
    /// not 4 bytes for each of the 131,072 buckets).
    word_rank: Box<[u32; BUCKETS / 64]>,
    /// Per used bucket, by rank, the range of `long_entries` it owns
    /// (`rank_start[k]..rank_start[k + 1]`).
    rank_start: Box<[u32]>,
    /// (pattern id, offset of its window in the literal), grouped by bucket.
    long_entries: Box<[(u32, u32)]>,
    /// When there are more than [`MAX_SEARCHED_SHORT`] two- and three-byte
    /// literals: one bit per first pair of bytes of one of them.
    short_filter: Option<Box<[u64; 65_536 / 64]>>,
    /// The two- and three-byte literals by their first pair of bytes.
    short_entries: HashMap<u16, Box<[u32]>>,
    /// When there are at most [`MAX_SEARCHED_SHORT`]: each one's searcher.
    short_finders: Box<[(memchr::memmem::Finder<'static>, u32)]>,
    /// One-byte literals: (byte, pattern id).
    single: Box<[(u8, u32)]>,
}

impl WindowScan {
    /// Indexes `literals` (pattern id = position); empty literals are never
    /// reported.
    pub(crate) fn new(literals: &[&[u8]]) -> WindowScan {
        let long_count = literals.iter().filter(|l| l.len() >= WINDOW).count();
        let mut bytes = Vec::new();
        let mut spans = Vec::with_capacity(literals.len());
        let mut long: Vec<(usize, u32, u32)> = Vec::with_capacity(long_count);
        let mut occupancy = vec![0u32; BUCKETS];
        let mut short: HashMap<u16, Vec<u32>> = HashMap::new();
        let mut single = Vec::new();
        for (id, literal) in literals.iter().enumerate() {
            let id = id as u32;
            spans.push((bytes.len() as u32, literal.len() as u32));
            bytes.extend_from_slice(literal);
            match literal.len() {
                0 => {}
                1 => single.push((literal[0], id)),
                2 | 3 => short.entry(pair(literal)).or_default().push(id),
                _ => {
                    let offset = rarest_window(literal, &occupancy);
                    let bucket = window_hash(&literal[offset..]);
                    occupancy[bucket] += 1;
                    long.push((bucket, id, offset as u32));
                }
            }
        }
        long.sort_unstable();
        // `long` is sorted by bucket: each used bucket's entries start where
        // its first one is.
        let mut long_filter = Box::new([0u64; BUCKETS / 64]);
        let mut rank_start = Vec::new();
        for (index, &(bucket, _, _)) in long.iter().enumerate() {
            if long_filter[bucket / 64] & (1 << (bucket % 64)) == 0 {
                long_filter[bucket / 64] |= 1 << (bucket % 64);
                rank_start.push(index as u32);
            }
        }
        rank_start.push(long.len() as u32);
        let mut word_rank = Box::new([0u32; BUCKETS / 64]);
        let mut used = 0;
        for (rank, word) in word_rank.iter_mut().zip(long_filter.iter()) {
            *rank = used;
            used += word.count_ones();
        }
        let short_count: usize = short.values().map(Vec::len).sum();
        let (short_filter, short_finders) = if short_count > MAX_SEARCHED_SHORT {
            let mut filter = Box::new([0u64; 65_536 / 64]);
            for &key in short.keys() {
                filter[key as usize / 64] |= 1 << (key % 64);
            }
            (Some(filter), Vec::new())
        } else {
            let finders = short
                .values()
                .flatten()
                .map(|&id| {
                    let literal = literals[id as usize];
                    (memchr::memmem::Finder::new(literal).into_owned(), id)
                })
                .collect();
            short.clear();
            (None, finders)
        };
        WindowScan {
            bytes: bytes.into(),
            spans: spans.into(),
            long_filter,
            word_rank,
            rank_start: rank_start.into(),
            long_entries: long.iter().map(|&(_, id, offset)| (id, offset)).collect(),
            short_filter,
            short_entries: short.into_iter().map(|(k, v)| (k, v.into())).collect(),
            short_finders: short_finders.into(),
            single: single.into(),
        }
    }

    /// Heap bytes of the tables.
    pub(crate) fn memory_usage(&self) -> usize {
        self.bytes.len()
            + self.spans.len() * 8
            + BUCKETS / 8
            + self.short_filter.as_ref().map_or(0, |_| 65_536 / 8)
            + self.short_finders.len() * 64
            + BUCKETS / 16
            + self.rank_start.len() * 4
            + self.long_entries.len() * 8
            + self.short_entries.len() * 24
            + self.single.len() * 8
    }

    /// Calls `found` with the pattern id of every occurrence of a literal in
    /// `text` (a literal may be reported more than once).
    pub(crate) fn for_each_match(&self, text: &[u8], mut found: impl FnMut(u32)) {
        for &(byte, id) in self.single.iter() {
            if memchr::memchr(byte, text).is_some() {
                found(id);
            }
        }
        for (finder, id) in self.short_finders.iter() {
            if finder.find(text).is_some() {
                found(*id);
            }
        }
        match &self.short_filter {
            Some(short_filter) => self.scan_windows_and_pairs(short_filter, text, &mut found),
            None if !self.long_entries.is_empty() => self.scan_windows(text, &mut found),
            None => {}
        }
    }

    /// The main pass when short literals are searched on their own: one hash
    /// and one bit test per position.
    fn scan_windows(&self, text: &[u8], found: &mut impl FnMut(u32)) {
        for (at, window) in text.windows(WINDOW).enumerate() {
            let bucket = window_hash(window);
            if self.long_filter[bucket / 64] & (1 << (bucket % 64)) != 0 {
                self.verify_long(bucket, text, at, found);
            }
        }
    }

    /// The main pass with the pair filter of the short literals too.
    fn scan_windows_and_pairs(
        &self,
        short_filter: &[u64; 65_536 / 64],
        text: &[u8],
        found: &mut impl FnMut(u32),
    ) {
        for (at, window) in text.windows(WINDOW).enumerate() {
            let bucket = window_hash(window);
            if self.long_filter[bucket / 64] & (1 << (bucket % 64)) != 0 {
                self.verify_long(bucket, text, at, found);
            }
            let key = pair(window);
            if short_filter[key as usize / 64] & (1 << (key % 64)) != 0 {
                self.verify_short(key, text, at, found);
            }
        }
        // The last positions, where only a short literal still fits.
        for at in text.len().saturating_sub(WINDOW - 1)..text.len().saturating_sub(1) {
            let key = pair(&text[at..]);
            if short_filter[key as usize / 64] & (1 << (key % 64)) != 0 {
                self.verify_short(key, text, at, found);
            }
        }
    }

    /// Reports the long literals of `bucket` whose window is at `at`.
    #[cold]
    #[inline(never)]
    fn verify_long(&self, bucket: usize, text: &[u8], at: usize, found: &mut impl FnMut(u32)) {
        let word = self.long_filter[bucket / 64];
        let rank = (self.word_rank[bucket / 64] + (word & ((1 << (bucket % 64)) - 1)).count_ones())
            as usize;
        let range = self.rank_start[rank] as usize..self.rank_start[rank + 1] as usize;
        for &(id, offset) in &self.long_entries[range] {
            let Some(start) = at.checked_sub(offset as usize) else {
                continue;
            };
            if text[start..].starts_with(self.literal(id)) {
                found(id);
            }
        }
    }

    /// Reports the two- and three-byte literals that start at `at`.
    #[cold]
    #[inline(never)]
    fn verify_short(&self, key: u16, text: &[u8], at: usize, found: &mut impl FnMut(u32)) {
        let Some(ids) = self.short_entries.get(&key) else {
            return;
        };
        for &id in ids.iter() {
            if text[at..].starts_with(self.literal(id)) {
                found(id);
            }
        }
    }

    fn literal(&self, id: u32) -> &[u8] {
        let (start, len) = self.spans[id as usize];
        &self.bytes[start as usize..(start + len) as usize]
    }
}

/// The first two bytes of `text` as the key of the short-literal tables.
fn pair(text: &[u8]) -> u16 {
    u16::from_le_bytes([text[0], text[1]])
}

/// The bucket of the four-byte window at the start of `window`.
#[inline(always)]
fn window_hash(window: &[u8]) -> usize {
    let word = u32::from_le_bytes([window[0], window[1], window[2], window[3]]);
    (word.wrapping_mul(HASH_MULTIPLIER) >> (32 - HASH_BITS)) as usize
}

/// The offset of the window of `literal` least likely to occur in ordinary
/// text (by [`byte_commonness`]), preferring buckets few literals use yet.
fn rarest_window(literal: &[u8], occupancy: &[u32]) -> usize {
    (0..=literal.len() - WINDOW)
        .min_by_key(|&offset| {
            let window = &literal[offset..offset + WINDOW];
            window_commonness(window) + 4 * occupancy[window_hash(window)]
        })
        .unwrap_or(0)
}

/// How common the bytes of `window` are together (by [`byte_commonness`]):
/// the lower, the rarer the window in ordinary text.
pub(crate) fn window_commonness(window: &[u8]) -> u32 {
    window.iter().map(|&b| byte_commonness(b)).sum()
}

/// How common a (lower-cased) byte is in command lines, paths and scripts:
/// a rough rank, higher for more common, used only to choose windows.
fn byte_commonness(byte: u8) -> u32 {
    match byte {
        b' ' | b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'\\' => 8,
        b'l' | b'c' | b'd' | b'h' | b'u' | b'm' | b'p' | b'.' | b'-' | b'/' | b':' => 6,
        b'x' | b'w' | b'g' | b'f' | b'y' | b'b' | b'v' | b'k' | b'"' | b'\'' | b'=' => 5,
        b'0'..=b'9' | b'_' | b',' | b'(' | b')' | b'$' | b'\n' | b'\r' | b'\t' => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn found_by_windows(literals: &[&[u8]], text: &[u8]) -> BTreeSet<u32> {
        let scan = WindowScan::new(literals);
        let mut found = BTreeSet::new();
        scan.for_each_match(text, |id| {
            found.insert(id);
        });
        found
    }

    fn found_by_automaton(literals: &[&[u8]], text: &[u8]) -> BTreeSet<u32> {
        let kept: Vec<(u32, &[u8])> = (0..literals.len() as u32)
            .zip(literals.iter().copied())
            .filter(|(_, l)| !l.is_empty())
            .collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(kept.iter().map(|(_, l)| l))
            .unwrap();
        automaton
            .find_overlapping_iter(text)
            .map(|m| kept[m.pattern().as_usize()].0)
            .collect()
    }

    #[test]
    fn finds_literals_of_every_length_anywhere_in_the_text() {
        let literals: Vec<&[u8]> = vec![
            b"$",
            b"et",
            b"iex",
            b"rclone",
            b"\\windows\\temp\\",
            b"-enc",
            b"copy",
            b"ls",
        ];
        let text = b"rclone copy c:\\windows\\temp\\x remote: -enc; $a = get-item | iex";
        let found = found_by_windows(&literals, text);
        assert_eq!(found, found_by_automaton(&literals, text));
        assert_eq!(found, BTreeSet::from([0, 1, 2, 3, 4, 5, 6]));
        // At the very start and the very end.
        assert_eq!(found_by_windows(&literals, b"ls"), BTreeSet::from([7]));
        assert_eq!(found_by_windows(&literals, b"xiex"), BTreeSet::from([2]));
        assert_eq!(found_by_windows(&literals, b"-enc"), BTreeSet::from([5]));
        assert!(found_by_windows(&literals, b"").is_empty());
        assert!(found_by_windows(&literals, b"r").is_empty());
    }

    #[test]
    fn literals_sharing_a_bucket_are_told_apart() {
        // 20,000 literals of one shape: many windows share a bucket, and a
        // window's bucket holds literals that differ elsewhere.
        let owned: Vec<Vec<u8>> = (0..20_000)
            .map(|i| format!("lit{i:05}").into_bytes())
            .collect();
        let literals: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let text = b"xx lit00042 lit19999 lit2 lit000";
        let found = found_by_windows(&literals, text);
        assert_eq!(found, BTreeSet::from([42, 19_999]));
        assert_eq!(found, found_by_automaton(&literals, text));
    }

    #[test]
    fn many_short_literals_go_through_the_pair_filter() {
        // 26 * 26 two-byte literals and as many three-byte ones: far over
        // MAX_SEARCHED_SHORT, so the main pass finds them.
        let owned: Vec<Vec<u8>> = (b'a'..=b'z')
            .flat_map(|x| (b'a'..=b'z').flat_map(move |y| [vec![x, y], vec![x, y, b'!']]))
            .collect();
        let literals: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let scan = WindowScan::new(&literals);
        assert!(scan.short_filter.is_some());
        for text in [&b"qz!"[..], b"xx", b"..ab!", b"zz", b"a!b"] {
            assert_eq!(
                found_by_windows(&literals, text),
                found_by_automaton(&literals, text),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(found_by_windows(&literals, b"qz!").len(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        /// The same set of literals as aho-corasick's overlapping search, on a
        /// small alphabet where literals overlap and repeat often.
        #[test]
        fn same_literals_as_an_overlapping_automaton(
            literals in prop::collection::vec(prop::collection::vec(prop::sample::select(b"ab\\ -x".to_vec()), 0..9), 1..60),
            text in prop::collection::vec(prop::sample::select(b"ab\\ -xy".to_vec()), 0..200),
        ) {
            let literals: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(found_by_windows(&literals, &text), found_by_automaton(&literals, &text));
        }
    }
}
