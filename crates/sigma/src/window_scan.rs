//! Every literal of a large set that occurs in a text, found by hashed windows
//! instead of an automaton walk.
//!
//! The prefilter needs *all* literals a value holds (overlapping search). For
//! sets too large for the SIMD gate (process_creation's 10,000 command-line
//! literals, PowerShell's 1,200 script-block literals), aho-corasick's
//! overlapping search walks a contiguous NFA byte by byte, about 33
//! instructions a byte with its failure transitions, and those two fields are
//! most of the bytes the prefilter reads. Here each literal of four bytes or
//! more is indexed by one of its four-byte windows (one few other literals
//! share, of the rarest bytes), hashed into a bitmap small enough for the L1
//! cache; a text is read once, one hash and one bit test per position (eight
//! positions at a time where the CPU has AVX2), and only the positions whose
//! window is in the bitmap are verified against the literals of that
//! bucket. Literals of two or three bytes are searched one by one
//! with `memmem` when there are few of them (a search stops at the first
//! occurrence, and the prefilter only asks whether a literal is there), else
//! indexed by their first pair of bytes (exact, in a 65,536-bit map) in the
//! same pass; one-byte literals are found with `memchr`.
//!
//! Texts are matched as bytes: the caller lower-cases them, as the literals
//! are.

/// Bytes of a long literal's window.
pub(crate) const WINDOW: usize = 4;

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

/// Buckets of the short-literal table: one per pair of bytes.
const PAIRS: usize = 65_536;

/// The literals of one set and the tables that find them.
#[derive(Debug)]
pub(crate) struct WindowScan {
    /// All literals' bytes, one after another.
    bytes: Box<[u8]>,
    /// Long literals by the hash bucket of their chosen window.
    long: BucketTable<LongEntry, { BUCKETS / 64 }>,
    /// When there are more than [`MAX_SEARCHED_SHORT`] two- and three-byte
    /// literals: they, by their first pair of bytes (exact, one bucket a
    /// pair).
    short: Option<BucketTable<ShortEntry, { PAIRS / 64 }>>,
    /// When there are at most [`MAX_SEARCHED_SHORT`]: each one's searcher.
    short_finders: Box<[(memchr::memmem::Finder<'static>, u32)]>,
    /// One-byte literals: (byte, pattern id).
    single: Box<[(u8, u32)]>,
    /// Whether the main pass runs eight positions at a time (AVX2).
    avx2: bool,
}

/// A long literal in its bucket: all a verification reads, in one place
/// (before, the pattern id led to a table of spans and that to the bytes:
/// a quarter of a command line's positions pass the filter, and a third of
/// those hold a literal, so verification was most of the scan).
#[derive(Debug, Clone, Copy)]
struct LongEntry {
    id: u32,
    /// Where the literal's bytes start in [`WindowScan::bytes`].
    start: u32,
    len: u32,
    /// Offset of the hashed window in the literal.
    offset: u32,
}

/// A two- or three-byte literal under its first pair: the pair matched
/// exactly, so a two-byte literal is found and a three-byte one needs its
/// last byte.
#[derive(Debug, Clone, Copy)]
struct ShortEntry {
    id: u32,
    /// The third byte, for three-byte literals.
    third: Option<u8>,
}

/// Entries grouped by bucket behind a bitmap of the used buckets: a bucket's
/// rank (used buckets before it) locates its entries, so the tables take
/// 4 bytes a used bucket instead of 4 bytes every bucket (131,072 long
/// buckets), and the bitmap stays small enough for the L1 cache.
#[derive(Debug)]
struct BucketTable<E, const WORDS: usize> {
    /// One bit per bucket: whether it holds entries.
    filter: Box<[u64; WORDS]>,
    /// Per word of `filter`: the used buckets before it.
    word_rank: Box<[u32; WORDS]>,
    /// Per used bucket, by rank, where its entries start (one more at the
    /// end: where the last one's end).
    rank_start: Box<[u32]>,
    entries: Box<[E]>,
}

impl<E: Copy, const WORDS: usize> BucketTable<E, WORDS> {
    /// A table of `64 * WORDS` buckets over `sorted`, sorted by bucket (the
    /// word count a constant, so that a bucket from a hash of known width
    /// indexes the filter without a bounds check).
    fn new(sorted: &[(usize, E)]) -> BucketTable<E, WORDS> {
        let mut filter = Box::new([0u64; WORDS]);
        let mut rank_start = Vec::new();
        for (index, &(bucket, _)) in sorted.iter().enumerate() {
            if filter[bucket / 64] & (1 << (bucket % 64)) == 0 {
                filter[bucket / 64] |= 1 << (bucket % 64);
                rank_start.push(index as u32);
            }
        }
        rank_start.push(sorted.len() as u32);
        let mut word_rank = Box::new([0u32; WORDS]);
        let mut used = 0;
        for (rank, word) in word_rank.iter_mut().zip(filter.iter()) {
            *rank = used;
            used += word.count_ones();
        }
        BucketTable {
            filter,
            word_rank,
            rank_start: rank_start.into(),
            entries: sorted.iter().map(|&(_, entry)| entry).collect(),
        }
    }

    /// Whether `bucket` holds entries.
    #[inline(always)]
    fn has(&self, bucket: usize) -> bool {
        self.filter[bucket / 64] & (1 << (bucket % 64)) != 0
    }

    /// The entries of a used `bucket`.
    #[inline(always)]
    fn entries(&self, bucket: usize) -> &[E] {
        let word = self.filter[bucket / 64];
        let rank = (self.word_rank[bucket / 64] + (word & ((1 << (bucket % 64)) - 1)).count_ones())
            as usize;
        &self.entries[self.rank_start[rank] as usize..self.rank_start[rank + 1] as usize]
    }

    fn memory_usage(&self) -> usize {
        self.filter.len() * 8
            + self.word_rank.len() * 4
            + self.rank_start.len() * 4
            + self.entries.len() * std::mem::size_of::<E>()
    }
}

impl WindowScan {
    /// Indexes `literals` (pattern id = position); empty literals are never
    /// reported.
    pub(crate) fn new(literals: &[&[u8]]) -> WindowScan {
        let mut bytes = Vec::new();
        let mut long: Vec<(usize, LongEntry)> = Vec::new();
        let mut occupancy = vec![0u32; BUCKETS];
        let mut short: Vec<(usize, ShortEntry)> = Vec::new();
        let mut single = Vec::new();
        let shared = shared_windows(literals);
        for (id, literal) in literals.iter().enumerate() {
            let id = id as u32;
            let start = bytes.len() as u32;
            bytes.extend_from_slice(literal);
            match literal.len() {
                0 => {}
                1 => single.push((literal[0], id)),
                2 | 3 => {
                    let third = literal.get(2).copied();
                    short.push((usize::from(pair(literal)), ShortEntry { id, third }));
                }
                len => {
                    let offset = rarest_window(literal, &occupancy, &shared);
                    let bucket = window_hash(&literal[offset..]);
                    occupancy[bucket] += 1;
                    let len = len as u32;
                    let offset = offset as u32;
                    long.push((
                        bucket,
                        LongEntry {
                            id,
                            start,
                            len,
                            offset,
                        },
                    ));
                }
            }
        }
        long.sort_by_key(|&(bucket, entry)| (bucket, entry.id));
        short.sort_by_key(|&(key, entry)| (key, entry.id));
        let (short, short_finders) = if short.len() > MAX_SEARCHED_SHORT {
            (Some(BucketTable::new(&short)), Vec::new())
        } else {
            let finders = short
                .iter()
                .map(|&(_, entry)| {
                    let literal = literals[entry.id as usize];
                    (memchr::memmem::Finder::new(literal).into_owned(), entry.id)
                })
                .collect();
            (None, finders)
        };
        WindowScan {
            bytes: bytes.into(),
            long: BucketTable::new(&long),
            short,
            short_finders: short_finders.into(),
            single: single.into(),
            avx2: avx2_available(),
        }
    }

    /// Heap bytes of the tables.
    pub(crate) fn memory_usage(&self) -> usize {
        self.bytes.len()
            + self.long.memory_usage()
            + self.short.as_ref().map_or(0, BucketTable::memory_usage)
            + self.short_finders.len() * 64
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
        if self.long.entries.is_empty() && self.short.is_none() {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: AVX2 was detected when the scanner was built.
            unsafe { avx2::scan(self, text, &mut found) };
            return;
        }
        match &self.short {
            Some(short) => self.scan_windows_and_pairs(short, text, 0, &mut found),
            None => self.scan_windows(text, 0, &mut found),
        }
    }

    /// The main pass when short literals are searched on their own: one hash
    /// and one bit test per position (from position `from`).
    fn scan_windows(&self, text: &[u8], from: usize, found: &mut impl FnMut(u32)) {
        for (at, window) in text.windows(WINDOW).enumerate().skip(from) {
            let bucket = window_hash(window);
            if self.long.has(bucket) {
                self.verify_long(bucket, text, at, found);
            }
        }
    }

    /// The main pass with the pair filter of the short literals too (from
    /// position `from`).
    fn scan_windows_and_pairs(
        &self,
        short: &BucketTable<ShortEntry, { PAIRS / 64 }>,
        text: &[u8],
        from: usize,
        found: &mut impl FnMut(u32),
    ) {
        for (at, window) in text.windows(WINDOW).enumerate().skip(from) {
            let bucket = window_hash(window);
            if self.long.has(bucket) {
                self.verify_long(bucket, text, at, found);
            }
            let key = usize::from(pair(window));
            if short.has(key) {
                verify_short(short, key, Some(window[2]), found);
            }
        }
        // The last positions, where only a short literal still fits.
        for at in text.len().saturating_sub(WINDOW - 1)..text.len().saturating_sub(1) {
            let key = usize::from(pair(&text[at..]));
            if short.has(key) {
                verify_short(short, key, text.get(at + 2).copied(), found);
            }
        }
    }

    /// Reports the long literals of `bucket` whose window is at `at`.
    #[inline(always)]
    fn verify_long(&self, bucket: usize, text: &[u8], at: usize, found: &mut impl FnMut(u32)) {
        for entry in self.long.entries(bucket) {
            let Some(start) = at.checked_sub(entry.offset as usize) else {
                continue;
            };
            let literal = &self.bytes[entry.start as usize..(entry.start + entry.len) as usize];
            if text.len() - start >= literal.len()
                && same_bytes(&text[start..start + literal.len()], literal)
            {
                found(entry.id);
            }
        }
    }
}

/// Reports the two- and three-byte literals of pair `key` that start where
/// it was read, `next` being the byte after the pair.
#[inline(always)]
fn verify_short(
    short: &BucketTable<ShortEntry, { PAIRS / 64 }>,
    key: usize,
    next: Option<u8>,
    found: &mut impl FnMut(u32),
) {
    for entry in short.entries(key) {
        if entry.third.is_none() || entry.third == next {
            found(entry.id);
        }
    }
}

/// Whether two slices of the same length hold the same bytes: by words,
/// the last one overlapping, without a call (most literals are 4 to 24
/// bytes, where `memcmp`'s call and dispatch cost more than the compare).
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let len = a.len();
    let word8 = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap());
    let word4 = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().unwrap());
    if len >= 8 {
        let mut at = 0;
        while at + 8 < len {
            if word8(a, at) != word8(b, at) {
                return false;
            }
            at += 8;
        }
        word8(a, len - 8) == word8(b, len - 8)
    } else if len >= 4 {
        word4(a, 0) == word4(b, 0) && word4(a, len - 4) == word4(b, len - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
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

/// Whether this machine runs the AVX2 main pass.
fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The main pass eight positions at a time: the eight windows from one
    //! 16-byte load, hashed with one multiply, and their filter bits fetched
    //! with one gather (the pairs' bits with another). The same positions
    //! pass as in the scalar pass, and are verified in the same order.

    use super::{HASH_BITS, HASH_MULTIPLIER, WINDOW, WindowScan, pair, verify_short, window_hash};
    use std::arch::x86_64::*;

    /// Positions a step reads windows at.
    const STEP: usize = 8;

    /// Bytes a step loads (its eight windows need eleven).
    const LOAD: usize = 16;

    /// Calls `found` for every literal in `text`, as the scalar pass does.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan(scan: &WindowScan, text: &[u8], found: &mut impl FnMut(u32)) {
        // One loop for each case, so that a turn does not ask.
        if scan.short.is_some() {
            scan_steps::<true>(scan, text, found)
        } else {
            scan_steps::<false>(scan, text, found)
        }
    }

    /// [`scan`] with (`SHORT`) or without the pair filter of the short
    /// literals.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn scan_steps<const SHORT: bool>(scan: &WindowScan, text: &[u8], found: &mut impl FnMut(u32)) {
        // Byte k of window j (little-endian, as `window_hash` reads it) is
        // byte j + k of the load; windows 4 to 7 are in the upper lane,
        // which holds the same 16 bytes.
        let windows = _mm256_setr_epi8(
            0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, //
            4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10,
        );
        let multiplier = _mm256_set1_epi32(HASH_MULTIPLIER as i32);
        let low_five = _mm256_set1_epi32(31);
        let low_sixteen = _mm256_set1_epi32(0xFFFF);
        let long_words = scan.long.filter.as_ptr().cast::<i32>();
        let short = scan.short.as_ref().filter(|_| SHORT);
        let mut at = 0;
        // The last step's start, worked out once (the turn's test is then
        // one comparison).
        let last = text.len().checked_sub(LOAD);
        while last.is_some_and(|last| at <= last) {
            // SAFETY: `at + LOAD <= text.len()`.
            let load = unsafe { _mm_loadu_si128(text.as_ptr().add(at).cast()) };
            let words = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(load), windows);
            let buckets = _mm256_srli_epi32::<{ (32 - HASH_BITS) as i32 }>(_mm256_mullo_epi32(
                words, multiplier,
            ));
            // SAFETY: a bucket is below 2^HASH_BITS, the long filter's bits.
            let long_hits = unsafe { passing(long_words, buckets, low_five) };
            let short_hits = match short {
                // SAFETY: a pair is below 2^16, the short filter's bits.
                Some(short) => unsafe {
                    let pairs = _mm256_and_si256(words, low_sixteen);
                    passing(short.filter.as_ptr().cast(), pairs, low_five)
                },
                None => 0,
            };
            let mut hits = long_hits | short_hits;
            while hits != 0 {
                let j = hits.trailing_zeros() as usize;
                hits &= hits - 1;
                let position = at + j;
                let window = &text[position..position + WINDOW];
                if long_hits & (1 << j) != 0 {
                    scan.verify_long(window_hash(window), text, position, found);
                }
                if let Some(short) = short
                    && short_hits & (1 << j) != 0
                {
                    verify_short(short, usize::from(pair(window)), Some(window[2]), found);
                }
            }
            at += STEP;
        }
        // The positions left, and the last ones, in the scalar pass.
        match short {
            Some(short) => scan.scan_windows_and_pairs(short, text, at, found),
            None => scan.scan_windows(text, at, found),
        }
    }

    /// One bit per lane: whether bit `index` of the bitmap of 32-bit words
    /// at `words` is set.
    ///
    /// # Safety
    /// Each lane's `index / 32` must be a word of the bitmap.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn passing(words: *const i32, index: __m256i, low_five: __m256i) -> u32 {
        // SAFETY: the caller's.
        let word = unsafe { _mm256_i32gather_epi32::<4>(words, _mm256_srli_epi32::<5>(index)) };
        let bit = _mm256_srlv_epi32(word, _mm256_and_si256(index, low_five));
        _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32::<31>(bit))) as u32
    }
}

/// The offset of the window of `literal` least likely to occur in ordinary
/// text: held by few other literals (see [`shared_windows`]), of rare bytes
/// (by [`byte_commonness`]), in a bucket few literals use yet.
fn rarest_window(literal: &[u8], occupancy: &[u32], shared: &SharedWindows) -> usize {
    (0..=literal.len() - WINDOW)
        .min_by_key(|&offset| {
            let window = window_key(&literal[offset..]);
            let sharing = shared.get(&window).copied().unwrap_or(1);
            window_commonness(&window)
                + 4 * occupancy[window_hash(&window)]
                + SHARED_WEIGHT * sharing.ilog2()
        })
        .unwrap_or(0)
}

/// How much a window held by twice as many literals counts against it, in
/// [`byte_commonness`]'s units (about one common byte). Measured with
/// callgrind, all SigmaHQ Windows rules over the EVTX corpus, three hot
/// passes: 679.2M instructions without it, 651.5M with it (4 to 64 gave
/// 648.7M to 651.3M); all SigmaHQ rules 763.1M -> 731.5M.
const SHARED_WEIGHT: u32 = 8;

/// For each window of [`WINDOW`] bytes, how many literals hold it.
type SharedWindows = hashbrown::HashMap<[u8; WINDOW], u32>;

/// The windows of `literals` with how many of them hold each: a window many
/// literals share is one of the usual pieces of command lines and paths
/// (`\win`, `.exe`, `syst`), so it is likely common in text too, which the
/// bytes alone do not tell (a quarter of a command line's positions passed
/// the filter when windows were chosen by their bytes).
fn shared_windows(literals: &[&[u8]]) -> SharedWindows {
    let mut counts = SharedWindows::new();
    let mut seen = hashbrown::HashSet::new();
    for literal in literals {
        seen.clear();
        for window in literal.windows(WINDOW) {
            let window = window_key(window);
            if seen.insert(window) {
                *counts.entry(window).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// The first [`WINDOW`] bytes of `text`.
fn window_key(text: &[u8]) -> [u8; WINDOW] {
    [text[0], text[1], text[2], text[3]]
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

    /// The literals found, by the AVX2 pass where there is one and by the
    /// scalar pass, which must report the same ones in the same order.
    fn found_by_windows(literals: &[&[u8]], text: &[u8]) -> BTreeSet<u32> {
        let mut scan = WindowScan::new(literals);
        let mut found = Vec::new();
        scan.for_each_match(text, |id| found.push(id));
        scan.avx2 = false;
        let mut scalar = Vec::new();
        scan.for_each_match(text, |id| scalar.push(id));
        assert_eq!(found, scalar, "the AVX2 and scalar passes differ");
        found.into_iter().collect()
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
        assert!(scan.short.is_some());
        for text in [&b"qz!"[..], b"xx", b"..ab!", b"zz", b"a!b"] {
            assert_eq!(
                found_by_windows(&literals, text),
                found_by_automaton(&literals, text),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(found_by_windows(&literals, b"qz!").len(), 2);
        // Texts long enough for the eight-at-a-time pass, with literals and
        // near misses (a pair followed by another byte than `!`) throughout.
        let long = b"the quick brown fox: qz! jumps ab? over xy! the lazy dog, mn!op!";
        for end in [16, 23, 24, 25, 40, long.len()] {
            let text = &long[..end];
            assert_eq!(
                found_by_windows(&literals, text),
                found_by_automaton(&literals, text),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
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

        /// The word-wise compare answers as `==` does, for every length and
        /// wherever two slices first differ.
        #[test]
        fn same_bytes_is_slice_equality(
            a in prop::collection::vec(prop::sample::select(b"ab".to_vec()), 0..40),
            flip in any::<prop::sample::Index>(),
        ) {
            prop_assert!(same_bytes(&a, &a.clone()));
            if !a.is_empty() {
                let mut b = a.clone();
                let at = flip.index(b.len());
                b[at] ^= 1;
                prop_assert_eq!(same_bytes(&a, &b), a == b);
            }
        }
    }
}
