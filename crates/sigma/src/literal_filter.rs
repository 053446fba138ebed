//! A SIMD search for small sets of literals (up to 64 in one pass; a keyword
//! slot's larger set in a few passes, see [`LiteralFilter::new`]) that
//! ignores ASCII case in its registers, so text is read as it is, not
//! lower-cased first. It serves two kinds of prefilter slot:
//!
//! * **keyword slots** ([`LiteralFilter::occurs_in`]): keyword rules read
//!   every text value of an event. SigmaHQ's Mimikatz keyword rule
//!   (`product: windows`, no service) reaches every Windows event, so its
//!   twenty literals were looked for in the whole text of each: the values
//!   joined into one buffer, lower-cased, then searched by a Teddy gate and
//!   an automaton. That was 27% of a hot pass over the EVTX corpus, paid by
//!   every event, though almost none holds a literal;
//! * **field slots of up to 64 literals** ([`LiteralFilter::find_all`]),
//!   which reported their literals through a lower-cased copy, a Teddy gate
//!   and a DFA walk: it reports every occurrence itself.
//!
//! For keywords it answers exactly whether a literal is there, so the
//! exact path runs only for the few events that hold one. The values long enough
//! to hold a literal are gathered as they are (not lower-cased) into one
//! buffer, which one pass reads. The method is Teddy's (from Hyperscan), with
//! ASCII case folded in the register:
//!
//! * each literal is represented by a window of [`WIDTH`] bytes (its rarest,
//!   by [`crate::window_scan::window_commonness`]) and put in one of eight
//!   buckets;
//! * for each byte position of a window, two 16-entry tables give the
//!   buckets whose windows allow a byte there, by its low and by its high
//!   nybble;
//! * text and windows are both read through `| 0x20`, which gives the two
//!   cases of an ASCII letter one value (other bytes may collide, which only
//!   makes candidates);
//! * 32 positions at a time (AVX2), or 64 where the CPU has AVX-512's
//!   foundation and byte instructions, a position whose buckets survive
//!   all [`WIDTH`] bytes is a candidate, verified against its buckets'
//!   literals with ASCII case ignored.
//!
//! Text outside ASCII is read as it is too: the exact path lower-cases by
//! Unicode's rules, and of all characters only two lower-case to ASCII, the
//! Kelvin sign (`k`) and the capital I with a dot (`i` and a combining dot).
//! Text with either (rare) is lower-cased and searched as the exact path
//! would. (Sending all non-ASCII text to the exact path sent every Sysmon
//! process and image-load event there: their `Product` is `Microsoft®
//! Windows® Operating System`.) Where AVX2 is missing the filter is not
//! built and every event takes the exact path.

use crate::case_fold::folds_into_ascii;
use model::Event;

/// Bytes of the window each literal is represented by.
const WIDTH: usize = 3;

/// Buckets of literals (one bit of a lane).
const BUCKETS: usize = 8;

/// Most literals the filter takes in one part: beyond this, eight buckets
/// are too loose to clear much text.
const MAX_LITERALS: usize = 64;

/// Most literals of each part when a larger set is split into parts, each
/// read in a pass of its own. Each pass costs the same whatever its
/// literals, so parts are made tight rather than few. Measured with
/// callgrind on the application events of the EVTX corpus (SigmaHQ's 89
/// application keywords): two parts of 45 took 9% more instructions than
/// the exact path they replaced, three of 30 13% fewer, four of 23 15%
/// fewer, six of 15 13% fewer.
const SPLIT_PART_LITERALS: usize = 24;

/// Folds the two cases of an ASCII letter to one byte (and some other bytes
/// onto each other, harmless for a filter).
const FOLD: u8 = 0x20;

/// A literal (lower-cased), the offset of its window in it, and its index
/// among the literals the filter was built from.
type BucketLiteral = (Box<[u8]>, usize, u32);

/// The literals of a slot and the tables that find them.
#[derive(Debug, Clone)]
pub(crate) struct LiteralFilter {
    /// The shortest literal's length: shorter values cannot hold one.
    min_len: usize,
    /// Whether the scans run 64 bytes a block with AVX-512 (see
    /// [`avx512`]) rather than 32 with AVX2.
    wide: bool,
    /// Up to [`MAX_LITERALS`] literals each, read in one pass each.
    parts: Box<[Part]>,
}

/// Up to [`MAX_LITERALS`] literals of a filter in eight buckets, with the
/// tables of one pass.
#[derive(Debug, Clone)]
struct Part {
    /// Per bucket: its literals (lower-cased) with the offset of their window.
    buckets: [Box<[BucketLiteral]>; BUCKETS],
    /// Per window position: the buckets allowing each low nybble there.
    low: [[u8; 16]; WIDTH],
    /// Per window position: the buckets allowing each high nybble there.
    high: [[u8; 16]; WIDTH],
}

impl LiteralFilter {
    /// The filter of `literals` (lower-cased), if this machine has AVX2 and
    /// the literals suit it: at most [`MAX_LITERALS`] in one part, or in
    /// `max_parts` parts of [`SPLIT_PART_LITERALS`]; each literal ASCII, of
    /// [`WIDTH`] bytes or more, and without a NUL (the exact path joins
    /// values with NULs, so a literal holding one could span two values).
    ///
    /// Each part is a pass over the text, so the caller bounds them by what
    /// the filter replaces: a keyword slot's exact path costs about four
    /// passes, a field slot's other scanners less.
    pub(crate) fn new(literals: &[&[u8]], max_parts: usize) -> Option<LiteralFilter> {
        let parts = match literals.len() {
            0..=MAX_LITERALS => 1,
            more => more.div_ceil(SPLIT_PART_LITERALS),
        };
        if !avx2_available()
            || literals.is_empty()
            || parts > max_parts
            || literals
                .iter()
                .any(|l| l.len() < WIDTH || !l.is_ascii() || l.contains(&0))
        {
            return None;
        }
        // Parts of equal size, so that no bucket of any holds many.
        let size = literals.len().div_ceil(parts);
        Some(LiteralFilter {
            min_len: literals.iter().map(|l| l.len()).min().unwrap_or(WIDTH),
            wide: avx512_available(),
            parts: literals
                .chunks(size)
                .enumerate()
                .map(|(part, chunk)| Part::new(chunk, (part * size) as u32))
                .collect(),
        })
    }

    /// Whether any literal is in the text values of `event` (strings,
    /// booleans, list elements) or its message, each lower-cased as the
    /// exact path reads them. The record's strings are read where they are,
    /// in its text (one NUL after each, so no literal spans two); the text
    /// of its other values and its message, when it has them, is gathered
    /// into `gathered` and read after.
    pub(crate) fn occurs_in(&self, event: &Event, gathered: &mut Vec<u8>) -> bool {
        let native = &event.native;
        if self.occurs_in_text(native.text().as_bytes()) {
            return true;
        }
        gathered.clear();
        crate::text_values::for_each_outside_buffer(event, &mut |text| {
            gathered.extend_from_slice(text.as_bytes());
            gathered.push(0);
        });
        self.occurs_in_text(gathered)
    }

    /// Whether a literal is in `text` (values joined with NULs), ASCII
    /// case ignored, or in its lower case by Unicode's rules.
    fn occurs_in_text(&self, text: &[u8]) -> bool {
        if text.len() < self.min_len {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        {
            let mut ascii = true;
            for part in self.parts.iter() {
                // SAFETY: the filter is only built where AVX2 is available,
                // and is `wide` only where AVX-512 is.
                let (found, part_ascii) = if self.wide {
                    unsafe { avx512::scan(part, text) }
                } else {
                    unsafe { avx2::scan(part, text) }
                };
                if found {
                    return true;
                }
                ascii = part_ascii;
            }
            !ascii && folds_into_ascii(text) && self.in_lowered(text)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            true
        }
    }

    /// Whether a literal is in `text` lower-cased by Unicode's rules: for
    /// the rare text with a character that lower-cases to ASCII.
    fn in_lowered(&self, text: &[u8]) -> bool {
        let lowered = crate::case_fold::fold(&String::from_utf8_lossy(text));
        self.literals()
            .any(|(literal, _, _)| memchr::memmem::find(lowered.as_bytes(), literal).is_some())
    }

    /// Every literal in `text` lower-cased, by its index among the literals
    /// the filter was built from, into `found` (once for each place it
    /// occurs), reading `text` where it is. Text with a character that
    /// lower-cases to ASCII (rare) is lower-cased by Unicode's rules and
    /// each literal searched in that.
    pub(crate) fn find_all(&self, text: &str, found: &mut Vec<u32>) {
        found.clear();
        if text.len() < self.min_len {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        {
            let mut ascii = true;
            for part in self.parts.iter() {
                // SAFETY: the filter is only built where AVX2 is available,
                // and is `wide` only where AVX-512 is.
                ascii = if self.wide {
                    unsafe { avx512::scan_all(part, text.as_bytes(), found) }
                } else {
                    unsafe { avx2::scan_all(part, text.as_bytes(), found) }
                };
            }
            if ascii || !folds_into_ascii(text.as_bytes()) {
                return;
            }
        }
        self.find_all_in_lowered(crate::case_fold::fold(text).as_bytes(), found);
    }

    /// Every literal in `lowered` (a value lower-cased by Unicode's rules),
    /// by index, into `found`, once for each place it occurs: one search of
    /// each literal, for the rare value [`LiteralFilter::find_all`] does not
    /// read as it is.
    fn find_all_in_lowered(&self, lowered: &[u8], found: &mut Vec<u32>) {
        found.clear();
        for (literal, _, id) in self.literals() {
            let finder = memchr::memmem::Finder::new(literal);
            let mut from = 0;
            while let Some(at) = finder.find(&lowered[from..]) {
                found.push(*id);
                from += at + 1;
            }
        }
    }

    /// The filter's literals (lower-cased), with their windows' offsets and
    /// their indices.
    fn literals(&self) -> impl Iterator<Item = &BucketLiteral> {
        self.parts
            .iter()
            .flat_map(|part| part.buckets.iter())
            .flat_map(|bucket| bucket.iter())
    }
}

impl Part {
    /// The part of `literals` (lower-cased), the first of them having index
    /// `first_id` among the filter's literals.
    fn new(literals: &[&[u8]], first_id: u32) -> Part {
        let mut buckets: [Vec<BucketLiteral>; BUCKETS] = Default::default();
        let mut low = [[0u8; 16]; WIDTH];
        let mut high = [[0u8; 16]; WIDTH];
        for (id, literal) in (first_id..).zip(literals) {
            let literal = literal.to_ascii_lowercase();
            let offset = rarest_window(&literal);
            let window = fold_window(&literal[offset..offset + WIDTH]);
            let bucket = cheapest_bucket(&low, &high, &window);
            for (k, &byte) in window.iter().enumerate() {
                low[k][usize::from(byte & 0xF)] |= 1 << bucket;
                high[k][usize::from(byte >> 4)] |= 1 << bucket;
            }
            buckets[bucket].push((literal.into_boxed_slice(), offset, id));
        }
        Part {
            buckets: buckets.map(Vec::into_boxed_slice),
            low,
            high,
        }
    }

    /// Reports into `found` every literal of `bucket` whose window is at
    /// `at` in `value` (ASCII case ignored).
    fn verify_all(&self, value: &[u8], at: usize, bucket: usize, found: &mut Vec<u32>) {
        for (literal, offset, id) in self.buckets[bucket].iter() {
            if literal_at(value, at, literal, *offset) {
                found.push(*id);
            }
        }
    }

    /// Whether a literal occurs in `value` with ASCII case ignored, for a
    /// verified candidate: its window found at `at` in bucket `bucket`.
    fn verify(&self, value: &[u8], at: usize, bucket: usize) -> bool {
        self.buckets[bucket]
            .iter()
            .any(|(literal, offset, _)| literal_at(value, at, literal, *offset))
    }
}

/// Whether `literal` (lower-cased) is in `value`, ASCII case ignored, with
/// its window (`offset` bytes into it) at `at`.
fn literal_at(value: &[u8], at: usize, literal: &[u8], offset: usize) -> bool {
    at.checked_sub(offset)
        .and_then(|start| value.get(start..start + literal.len()))
        .is_some_and(|text| text.eq_ignore_ascii_case(literal))
}

/// Whether this machine runs the filter's SIMD code.
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

/// Whether this machine runs the filter's 64-byte scan: AVX-512's
/// foundation and byte instructions (Skylake-SP and later Xeons, Ice Lake,
/// Zen 4).
fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Where in `literal` its window starts: at the [`WIDTH`] bytes least
/// likely in ordinary text.
fn rarest_window(literal: &[u8]) -> usize {
    (0..=literal.len() - WIDTH)
        .min_by_key(|&offset| {
            crate::window_scan::window_commonness(&literal[offset..offset + WIDTH])
        })
        .unwrap_or(0)
}

/// `window` as the filter reads text: each byte `| 0x20`.
fn fold_window(window: &[u8]) -> [u8; WIDTH] {
    let mut folded = [0u8; WIDTH];
    for (out, &byte) in folded.iter_mut().zip(window) {
        *out = byte | FOLD;
    }
    folded
}

/// The bucket whose tables `window` loosens least: a bucket lets through
/// about the product, over the window's positions, of the low nybbles times
/// the high nybbles it allows, so literals alike share buckets and unlike
/// ones get their own.
fn cheapest_bucket(low: &[[u8; 16]; WIDTH], high: &[[u8; 16]; WIDTH], window: &[u8]) -> usize {
    let looseness = |bucket: usize, add: Option<&[u8]>| -> u64 {
        let bit = 1u8 << bucket;
        (0..WIDTH)
            .map(|k| {
                let allowed = |table: &[u8; 16], extra: Option<usize>| {
                    (0..16)
                        .filter(|&n| table[n] & bit != 0 || Some(n) == extra)
                        .count() as u64
                };
                let byte = add.map(|w| w[k]);
                allowed(&low[k], byte.map(|b| usize::from(b & 0xF)))
                    * allowed(&high[k], byte.map(|b| usize::from(b >> 4)))
            })
            .product()
    };
    // The least added looseness; on a tie, the tighter bucket (an empty one
    // first).
    (0..BUCKETS)
        .min_by_key(|&bucket| {
            let before = looseness(bucket, None);
            (looseness(bucket, Some(window)) - before, before)
        })
        .unwrap_or(0)
}

/// Calls `check(at, bucket)` for each candidate of a block read from
/// `start` (where its window starts, and each bucket surviving there)
/// until it returns true; whether it did. `buckets` holds the block's
/// surviving bucket bits by position, and `positions` has a bit for each
/// position with any (the AVX2 and AVX-512 scans alike).
#[inline]
fn each_candidate(
    start: usize,
    buckets: &[u8],
    mut positions: u64,
    mut check: impl FnMut(usize, usize) -> bool,
) -> bool {
    while positions != 0 {
        let j = positions.trailing_zeros() as usize;
        positions &= positions - 1;
        // A candidate at `j` is a window ending there: it starts WIDTH - 1
        // bytes before (never before the text: the first block's `before`
        // masks are empty).
        let at = start + j - (WIDTH - 1);
        let mut bits = buckets[j];
        while bits != 0 {
            let bucket = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if check(at, bucket) {
                return true;
            }
        }
    }
    false
}

/// What the scan reads past the text's end (the last block's bytes after
/// it, from a copy): its high nybble is in no (ASCII) window, so no window
/// reaching into it is a candidate.
const PADDING: u8 = 0xFF;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The filter's AVX2 scan.

    use super::{FOLD, PADDING, Part, WIDTH};
    use std::arch::x86_64::*;

    /// Bytes one block reads.
    const SPAN: usize = 32;

    /// From offset `n`, a block's mask of its last `n` positions (the new
    /// ones of a last block read again where it overlaps the one before).
    static NEW_POSITIONS: [u8; 2 * SPAN] = {
        let mut mask = [0; 2 * SPAN];
        let mut at = SPAN;
        while at < 2 * SPAN {
            mask[at] = 0xFF;
            at += 1;
        }
        mask
    };

    // The scan below shifts masks by one and two positions: windows of three.
    const _: () = assert!(WIDTH == 3);

    /// The filter's tables in registers (each 16-entry table in both lanes).
    struct Tables {
        low: [__m256i; WIDTH],
        high: [__m256i; WIDTH],
        nybble: __m256i,
        fold: __m256i,
    }

    /// Whether a literal is in `text` (ASCII case ignored), and whether it
    /// is all ASCII.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan(filter: &Part, text: &[u8]) -> (bool, bool) {
        scan_blocks(filter, text, |start, survivors| {
            verify_block(filter, text, start, survivors)
        })
    }

    /// Every literal in `text` (ASCII case ignored) into `found`; whether
    /// it is all ASCII.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan_all(filter: &Part, text: &[u8], found: &mut Vec<u32>) -> bool {
        let (_, ascii) = scan_blocks(filter, text, |start, survivors| {
            verify_block_all(filter, text, start, survivors, found);
            false
        });
        ascii
    }

    /// Reads `text` (not empty) block by block, calling
    /// `candidates(start, survivors)` for each block with candidates until
    /// it returns true. Returns whether it did, and (when it did not)
    /// whether the bytes are all ASCII.
    ///
    /// Each block of 32 bytes is loaded once. Its bytes' masks for each
    /// window position are shifted into line with the window's last byte,
    /// taking the first ones from the block before (Teddy's way), so a
    /// candidate is a window that ends in the block. The last block, when
    /// the text ends inside it, is read from a copy with [`PADDING`] after
    /// the text, so the text is read where it is (a value in its event)
    /// and nothing past its end is.
    ///
    /// The loop is kept short, since every event's text goes through it:
    /// a block without candidates is told by one `vptest` (the candidates'
    /// positions are worked out in the cold path), and the bytes' high bits
    /// are gathered in a register, read once at the end.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn scan_blocks(
        filter: &Part,
        text: &[u8],
        mut candidates: impl FnMut(usize, __m256i) -> bool,
    ) -> (bool, bool) {
        let len = text.len();
        debug_assert!(len > 0);
        let table = |t: &[u8; 16]| {
            // SAFETY: `t` is 16 readable bytes.
            unsafe { _mm256_broadcastsi128_si256(_mm_loadu_si128(t.as_ptr().cast())) }
        };
        let tables = Tables {
            low: std::array::from_fn(|k| table(&filter.low[k])),
            high: std::array::from_fn(|k| table(&filter.high[k])),
            nybble: _mm256_set1_epi8(0x0F),
            fold: _mm256_set1_epi8(FOLD as i8),
        };
        // A literal's window ends in the text, so the blocks up to the one
        // holding the text's last byte see every window that can match
        // (a window reaching into the padding has empty masks).
        let mut high_bits = _mm256_setzero_si256();
        let mut before = [_mm256_setzero_si256(); WIDTH - 1];
        let mut start = 0;
        // Blocks up to the last that ends in the text (the loop's bound
        // worked out once: the turn's test is then one comparison).
        if let Some(last) = len.checked_sub(SPAN) {
            while start <= last {
                // SAFETY: SPAN bytes from `start` are in `text`.
                let bytes = unsafe { _mm256_loadu_si256(text.as_ptr().add(start).cast()) };
                high_bits = _mm256_or_si256(high_bits, bytes);
                let survivors = block(&tables, bytes, &mut before);
                if candidates_in(&mut candidates, start, survivors) {
                    return (true, true); // stopped: whether it is ASCII no longer matters
                }
                start += SPAN;
            }
        }
        // The bytes after the last full block: when the text is longer
        // than a block and the tail leaves the last block's first two
        // positions behind, the last SPAN bytes are read again where they
        // are (their first windows were seen, so no masks of the bytes
        // before are needed) and the positions seen are masked off; else
        // from a padded copy. The copy was a call to `memcpy` for 2.5
        // texts an event.
        let tail = len - start;
        if tail > 0 && len >= SPAN && tail <= SPAN - (WIDTH - 1) {
            let from = len - SPAN;
            // SAFETY: SPAN bytes from `from` are in `text`.
            let bytes = unsafe { _mm256_loadu_si256(text.as_ptr().add(from).cast()) };
            high_bits = _mm256_or_si256(high_bits, bytes);
            let mut fresh = [_mm256_setzero_si256(); WIDTH - 1];
            let survivors = block(&tables, bytes, &mut fresh);
            // SAFETY: `tail` is below SPAN, so SPAN bytes from it are in
            // `NEW_POSITIONS`.
            let new = unsafe { _mm256_loadu_si256(NEW_POSITIONS.as_ptr().add(tail).cast()) };
            if candidates_in(&mut candidates, from, _mm256_and_si256(survivors, new)) {
                return (true, true);
            }
            return (false, _mm256_movemask_epi8(high_bits) == 0);
        }
        let mut ascii = _mm256_movemask_epi8(high_bits) == 0;
        if start < len {
            let mut tail = [PADDING; SPAN];
            tail[..len - start].copy_from_slice(&text[start..]);
            // SAFETY: `tail` is SPAN readable bytes.
            let bytes = unsafe { _mm256_loadu_si256(tail.as_ptr().cast()) };
            let survivors = block(&tables, bytes, &mut before);
            if candidates_in(&mut candidates, start, survivors) {
                return (true, true);
            }
            ascii &= text[start..].is_ascii();
        }
        (false, ascii)
    }

    /// Whether the block from `start` has candidates (`survivors` not
    /// empty) and `candidates` says to stop at them.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn candidates_in(
        candidates: &mut impl FnMut(usize, __m256i) -> bool,
        start: usize,
        survivors: __m256i,
    ) -> bool {
        _mm256_testz_si256(survivors, survivors) == 0 && candidates(start, survivors)
    }

    /// Every literal of the block's candidates into `found`.
    #[cold]
    #[inline(never)]
    #[target_feature(enable = "avx2")]
    fn verify_block_all(
        filter: &Part,
        value: &[u8],
        start: usize,
        survivors: __m256i,
        found: &mut Vec<u32>,
    ) {
        each_candidate(start, survivors, |at, bucket| {
            filter.verify_all(value, at, bucket, found);
            false
        });
    }

    /// The buckets surviving at each position of the block `bytes` (a
    /// window ending there; a byte of bucket bits each); `before` holds
    /// the masks of the block before for the first WIDTH - 1 window
    /// positions, and gets this block's.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn block(tables: &Tables, bytes: __m256i, before: &mut [__m256i; WIDTH - 1]) -> __m256i {
        let folded = _mm256_or_si256(bytes, tables.fold);
        let low = _mm256_and_si256(folded, tables.nybble);
        let high = _mm256_and_si256(_mm256_srli_epi16::<4>(folded), tables.nybble);
        let mask = |k: usize| {
            _mm256_and_si256(
                _mm256_shuffle_epi8(tables.low[k], low),
                _mm256_shuffle_epi8(tables.high[k], high),
            )
        };
        let (first, second, third) = (mask(0), mask(1), mask(2));
        // Position j of the window's first byte is two bytes before its
        // third, the second one byte before.
        let survivors = _mm256_and_si256(
            third,
            _mm256_and_si256(
                shift_in::<14>(before[0], first),
                shift_in::<15>(before[1], second),
            ),
        );
        *before = [first, second];
        survivors
    }

    /// Whether a candidate of the block from `start` is a literal: out of
    /// the scan's loop, which then keeps its registers (candidates are rare).
    #[cold]
    #[inline(never)]
    #[target_feature(enable = "avx2")]
    fn verify_block(filter: &Part, value: &[u8], start: usize, survivors: __m256i) -> bool {
        each_candidate(start, survivors, |at, bucket| {
            filter.verify(value, at, bucket)
        })
    }

    /// [`super::each_candidate`] over the block from `start`, whose
    /// survivors are `survivors`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn each_candidate(
        start: usize,
        survivors: __m256i,
        check: impl FnMut(usize, usize) -> bool,
    ) -> bool {
        let empty = _mm256_cmpeq_epi8(survivors, _mm256_setzero_si256());
        let positions = !(_mm256_movemask_epi8(empty) as u32);
        let mut buckets = [0u8; SPAN];
        // SAFETY: `buckets` is SPAN writable bytes.
        unsafe { _mm256_storeu_si256(buckets.as_mut_ptr().cast(), survivors) };
        super::each_candidate(start, &buckets, u64::from(positions), check)
    }

    /// `current` moved up by 16 - IMM bytes, its first bytes taken from the
    /// end of `previous` (AVX2's byte shift works within 128-bit lanes, so
    /// the lanes are first lined up across the two registers).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn shift_in<const IMM: i32>(previous: __m256i, current: __m256i) -> __m256i {
        let across = _mm256_permute2x128_si256::<0x21>(previous, current);
        _mm256_alignr_epi8::<IMM>(current, across)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! The filter's scan 64 bytes a block, for CPUs with AVX-512 (foundation
    //! and byte instructions). The same tables and the same method as
    //! [`super::avx2`]: each 16-byte table is in all four lanes, so one
    //! `vpshufb` looks up 64 bytes. What AVX-512 adds besides width: a
    //! block's candidates come out of `vptestmb` as a bit mask, and the
    //! text's last bytes are read with a masked load (which cannot fault
    //! past the text), so no block is copied and none read twice. On the
    //! EVTX corpus the keyword filter reads about 500 bytes an event: half
    //! the blocks took a fifth off its time (by `perf`; its set-up per text
    //! and the candidates' verification do not shrink), some 2% of
    //! matching's, too little for alternating rounds to tell from noise.

    use super::{FOLD, PADDING, Part, WIDTH};
    use std::arch::x86_64::*;

    /// Bytes one block reads.
    const SPAN: usize = 64;

    // The scan below shifts masks by one and two positions: windows of three.
    const _: () = assert!(WIDTH == 3);

    /// The filter's tables in registers (each 16-entry table in every lane).
    struct Tables {
        low: [__m512i; WIDTH],
        high: [__m512i; WIDTH],
        nybble: __m512i,
        fold: __m512i,
        padding: __m512i,
    }

    /// Whether a literal is in `text` (ASCII case ignored), and whether it
    /// is all ASCII.
    ///
    /// # Safety
    /// The CPU must have AVX-512F and AVX-512BW.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn scan(filter: &Part, text: &[u8]) -> (bool, bool) {
        scan_blocks(filter, text, |start, survivors, positions| {
            verify_block(filter, text, start, survivors, positions)
        })
    }

    /// Every literal in `text` (ASCII case ignored) into `found`; whether
    /// it is all ASCII.
    ///
    /// # Safety
    /// The CPU must have AVX-512F and AVX-512BW.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn scan_all(filter: &Part, text: &[u8], found: &mut Vec<u32>) -> bool {
        let (_, ascii) = scan_blocks(filter, text, |start, survivors, positions| {
            verify_block_all(filter, text, start, survivors, positions, found);
            false
        });
        ascii
    }

    /// Reads `text` block by block, calling `candidates(start, survivors,
    /// positions)` for each block with candidates (`positions` one bit each)
    /// until it returns true. Returns whether it did, and (when it did not)
    /// whether the bytes are all ASCII. The bytes after the last full block
    /// are loaded under a mask, the rest of the register [`PADDING`].
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn scan_blocks(
        filter: &Part,
        text: &[u8],
        mut candidates: impl FnMut(usize, __m512i, u64) -> bool,
    ) -> (bool, bool) {
        let len = text.len();
        let table = |t: &[u8; 16]| {
            // SAFETY: `t` is 16 readable bytes.
            _mm512_broadcast_i32x4(unsafe { _mm_loadu_si128(t.as_ptr().cast()) })
        };
        let tables = Tables {
            low: std::array::from_fn(|k| table(&filter.low[k])),
            high: std::array::from_fn(|k| table(&filter.high[k])),
            nybble: _mm512_set1_epi8(0x0F),
            fold: _mm512_set1_epi8(FOLD as i8),
            padding: _mm512_set1_epi8(PADDING as i8),
        };
        let mut high_bits = _mm512_setzero_si512();
        let mut before = [_mm512_setzero_si512(); WIDTH - 1];
        let mut start = 0;
        // The loop's bound worked out once: the turn's test is then one
        // comparison.
        if let Some(last) = len.checked_sub(SPAN) {
            while start <= last {
                // SAFETY: SPAN bytes from `start` are in `text`.
                let bytes = unsafe { _mm512_loadu_si512(text.as_ptr().add(start).cast()) };
                high_bits = _mm512_or_si512(high_bits, bytes);
                let survivors = block(&tables, bytes, &mut before);
                let positions = _mm512_test_epi8_mask(survivors, survivors);
                if positions != 0 && candidates(start, survivors, positions) {
                    return (true, true); // stopped: whether it is ASCII no longer matters
                }
                start += SPAN;
            }
        }
        if start < len {
            let present: __mmask64 = (1u64 << (len - start)) - 1;
            // SAFETY: the mask reads only the `len - start` bytes left in
            // `text` (a masked load does not touch the others).
            let read = unsafe { _mm512_maskz_loadu_epi8(present, text.as_ptr().add(start).cast()) };
            high_bits = _mm512_or_si512(high_bits, read);
            let bytes = _mm512_mask_mov_epi8(tables.padding, present, read);
            let survivors = block(&tables, bytes, &mut before);
            let positions = _mm512_test_epi8_mask(survivors, survivors);
            if positions != 0 && candidates(start, survivors, positions) {
                return (true, true);
            }
        }
        (false, _mm512_movepi8_mask(high_bits) == 0)
    }

    /// The buckets surviving at each position of the block `bytes` (a
    /// window ending there; a byte of bucket bits each); `before` holds
    /// the masks of the block before for the first WIDTH - 1 window
    /// positions, and gets this block's.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn block(tables: &Tables, bytes: __m512i, before: &mut [__m512i; WIDTH - 1]) -> __m512i {
        let folded = _mm512_or_si512(bytes, tables.fold);
        let low = _mm512_and_si512(folded, tables.nybble);
        let high = _mm512_and_si512(_mm512_srli_epi16::<4>(folded), tables.nybble);
        let mask = |k: usize| {
            _mm512_and_si512(
                _mm512_shuffle_epi8(tables.low[k], low),
                _mm512_shuffle_epi8(tables.high[k], high),
            )
        };
        let (first, second, third) = (mask(0), mask(1), mask(2));
        // Position j of the window's first byte is two bytes before its
        // third, the second one byte before.
        let survivors = _mm512_and_si512(
            third,
            _mm512_and_si512(
                shift_in::<14>(before[0], first),
                shift_in::<15>(before[1], second),
            ),
        );
        *before = [first, second];
        survivors
    }

    /// `current` moved up by 16 - IMM bytes, its first bytes taken from the
    /// end of `previous` (the byte shift works within 128-bit lanes, so
    /// each lane is first paired with the one below it, the lowest with
    /// `previous`'s highest).
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn shift_in<const IMM: i32>(previous: __m512i, current: __m512i) -> __m512i {
        let across = _mm512_alignr_epi32::<12>(current, previous);
        _mm512_alignr_epi8::<IMM>(current, across)
    }

    /// Whether a candidate of the block from `start` is a literal: out of
    /// the scan's loop, which then keeps its registers (candidates are rare).
    #[cold]
    #[inline(never)]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn verify_block(
        filter: &Part,
        value: &[u8],
        start: usize,
        survivors: __m512i,
        positions: u64,
    ) -> bool {
        each_candidate(start, survivors, positions, |at, bucket| {
            filter.verify(value, at, bucket)
        })
    }

    /// Every literal of the block's candidates into `found`.
    #[cold]
    #[inline(never)]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn verify_block_all(
        filter: &Part,
        value: &[u8],
        start: usize,
        survivors: __m512i,
        positions: u64,
        found: &mut Vec<u32>,
    ) {
        each_candidate(start, survivors, positions, |at, bucket| {
            filter.verify_all(value, at, bucket, found);
            false
        });
    }

    /// [`super::each_candidate`] over the block from `start`, whose
    /// survivors are `survivors`, at `positions`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn each_candidate(
        start: usize,
        survivors: __m512i,
        positions: u64,
        check: impl FnMut(usize, usize) -> bool,
    ) -> bool {
        let mut buckets = [0u8; SPAN];
        // SAFETY: `buckets` is SPAN writable bytes.
        unsafe { _mm512_storeu_si512(buckets.as_mut_ptr().cast(), survivors) };
        super::each_candidate(start, &buckets, positions, check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Value;
    use proptest::prelude::*;

    /// The filter's answer by definition: a literal is in a value lower-cased
    /// by Unicode's rules, as the exact path reads it.
    fn expected(literals: &[&[u8]], values: &[&str]) -> bool {
        values.iter().any(|value| {
            literals.iter().any(|literal| {
                crate::case_fold::fold(value)
                    .as_bytes()
                    .windows(literal.len())
                    .any(|w| w == *literal)
            })
        })
    }

    fn occurs(filter: &LiteralFilter, event: &Event) -> bool {
        filter.occurs_in(event, &mut Vec::new())
    }

    fn event_of(values: &[&str]) -> Event {
        let mut event = Event::default();
        for (i, value) in values.iter().enumerate() {
            event
                .native
                .push(&format!("Field{i}"), Value::Str((*value).into()));
        }
        event
    }

    const MIMIKATZ: [&[u8]; 6] = [
        b"sekurlsa::",
        b"privilege::debug",
        b"kiwi legit printer",
        b"\\mimilib.dll",
        b"eo.oe.kiwi",
        b"lsadump::",
    ];

    #[test]
    fn finds_literals_in_any_case_at_the_edges_of_short_and_long_values() {
        for filter in each_scan(LiteralFilter::new(&MIMIKATZ, 1)) {
            let long = "x".repeat(100);
            for value in [
                "SEKURLSA::".to_string(),
                "mimikatz # sekurlsa::logonpasswords".to_string(),
                format!("{long}Privilege::Debug"),
                format!("Privilege::Debug{long}"),
                format!("{}c:\\temp\\MIMILIB.dll", "y".repeat(61)),
                format!("{long}{long}lsadump::"),
            ] {
                assert!(occurs(&filter, &event_of(&[&value])), "{value}");
            }
            for value in [
                String::new(),
                "sekurlsa:".to_string(),
                "sekurlsa:;".to_string(),
                format!("{long}privilege:debug{long}"),
                format!("{long}lsadump:"),
                "C:\\Windows\\System32\\svchost.exe -k netsvcs -p -s Schedule".to_string(),
            ] {
                assert!(!occurs(&filter, &event_of(&[&value])), "{value}");
            }
        }
    }

    #[test]
    fn reads_lists_booleans_and_the_message_and_not_numbers() {
        for filter in each_scan(LiteralFilter::new(
            &[b"true", b"kiwi legit printer", b"1234"],
            1,
        )) {
            let mut event = event_of(&["nothing here"]);
            event.native.push("Flag", Value::Bool(true));
            assert!(occurs(&filter, &event));
            let mut event = event_of(&["nothing here"]);
            event.native.push(
                "Printers",
                Value::List(vec![Value::Int(7), Value::Str("Kiwi Legit Printer".into())]),
            );
            assert!(occurs(&filter, &event));
            let mut event = event_of(&["nothing here"]);
            event.native.push("Count", Value::Int(1234));
            assert!(!occurs(&filter, &event));
            event.message = Some("printed on kiwi legit printer".into());
            assert!(occurs(&filter, &event));
        }
    }

    #[test]
    fn reads_text_outside_ascii_but_not_characters_that_lower_case_to_it() {
        for filter in each_scan(LiteralFilter::new(&MIMIKATZ, 1)) {
            let product = "Microsoft® Windows® Operating System";
            assert!(!occurs(&filter, &event_of(&[product])));
            assert!(!occurs(
                &filter,
                &event_of(&[&format!("{}°é", "a".repeat(80))])
            ));
            assert!(occurs(
                &filter,
                &event_of(&[&format!("{product} SEKURLSA::")])
            ));
            assert!(occurs(
                &filter,
                &event_of(&[&format!("é{}sekurlsa::", "a".repeat(80))])
            ));
            // The Kelvin sign lower-cases to `k`, so `se\u{212A}urlsa::` holds a
            // literal; `İ` to `i` and a combining dot, which ends `eo.oe.kiwi`
            // but breaks `privilege`.
            assert!(occurs(&filter, &event_of(&["se\u{212A}urlsa::"])));
            assert!(occurs(&filter, &event_of(&["EO.OE.KIW\u{130}"])));
            assert!(!occurs(
                &filter,
                &event_of(&["\u{130}\u{130}\u{130} PR\u{130}VILEGE::DEBUG"])
            ));
            assert!(!occurs(
                &filter,
                &event_of(&[&format!("{}\u{212A}", "a".repeat(80))])
            ));
            // Their bytes' neighbours (`ª` is C2 AA, `Ĵ` is C4 B4) are not them.
            assert!(!occurs(&filter, &event_of(&["ª and Ĵ and ’ are not"])));
        }
    }

    #[test]
    fn refuses_literals_it_cannot_judge() {
        assert!(LiteralFilter::new(&[b"ab"], 1).is_none());
        assert!(LiteralFilter::new(&[b"caf\xc3\xa9s"], 1).is_none());
        assert!(LiteralFilter::new(&[b"ab\0cd"], 1).is_none());
        let many: Vec<Vec<u8>> = (0..=MAX_LITERALS)
            .map(|i| format!("lit{i:04}").into_bytes())
            .collect();
        let many: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
        assert!(LiteralFilter::new(&many, 1).is_none());
        assert!(LiteralFilter::new(&many, 2).is_none());
        if avx2_available() {
            assert_eq!(LiteralFilter::new(&many, 3).map(|f| f.parts.len()), Some(3));
        }
    }

    /// SigmaHQ's application keywords (antivirus names) and Mimikatz's: 89
    /// literals, more than one part holds.
    fn application_keywords() -> Vec<Vec<u8>> {
        let names = "hacktool hktl htool- metasploit meterpreter mimikatz cobalt \
                     sliver koadic lazagne powersploit seatbelt sharpdump shellcode \
                     webshell keylogger ransom potato impacket adfind";
        let mut literals: Vec<Vec<u8>> = names
            .split_whitespace()
            .map(|n| n.as_bytes().to_vec())
            .collect();
        literals.extend((0..70).map(|i| format!("family{i:02}.gen").into_bytes()));
        literals.extend(MIMIKATZ.iter().map(|l| l.to_vec()));
        literals
    }

    #[test]
    fn a_filter_of_several_parts_finds_the_literals_of_each() {
        let literals = application_keywords();
        let literals: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
        for filter in each_scan(LiteralFilter::new(&literals, 4)) {
            assert_eq!(filter.parts.len(), 4);
            let mut found = Vec::new();
            for (id, literal) in literals.iter().enumerate() {
                let upper = String::from_utf8(literal.to_ascii_uppercase()).unwrap();
                let value = format!("Threat {upper} was quarantined from C:\\Users\\x");
                assert!(occurs(&filter, &event_of(&[&value])), "{value}");
                filter.find_all(&value, &mut found);
                assert!(found.contains(&(id as u32)), "{value}: {found:?}");
            }
            let clean = "Windows Installer reconfigured the product. Product Name: \
                     Microsoft Visual C++ 2019 X64 Minimum Runtime - 14.29.30133.";
            assert!(!occurs(&filter, &event_of(&[clean])));
            filter.find_all(clean, &mut found);
            assert!(found.is_empty());
        }
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                8 => proptest::char::range('a', 'g'),
                8 => proptest::char::range('A', 'G'),
                4 => proptest::sample::select(vec![':', '.', ' ', '\\']),
                1 => proptest::sample::select(vec!['é', '®', 'ª', '°', '\u{212A}', '\u{130}']),
            ],
            0..160,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn literal() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![b'a'..=b'f', Just(b':'), Just(b'.'), Just(b' ')],
            4..12,
        )
    }

    /// Every occurrence of every literal in `value` lower-cased by
    /// Unicode's rules, by index, sorted.
    fn expected_in_lowered(literals: &[&[u8]], value: &str) -> Vec<u32> {
        let lowered = crate::case_fold::fold(value);
        let mut ids: Vec<u32> = (0..)
            .zip(literals)
            .flat_map(|(id, literal)| {
                let count = lowered
                    .as_bytes()
                    .windows(literal.len())
                    .filter(|w| w == literal)
                    .count();
                std::iter::repeat_n(id, count)
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn finds_every_occurrence_of_every_literal_in_a_field_value() {
        for filter in each_scan(LiteralFilter::new(&MIMIKATZ, 1)) {
            let mut found = Vec::new();
            let value = format!(
                "{}SEKURLSA:: lsadump::sekurlsa::{}",
                "x".repeat(29),
                "y".repeat(40)
            );
            filter.find_all(&value, &mut found);
            found.sort_unstable();
            assert_eq!(found, vec![0, 0, 5]);
            filter.find_all("short", &mut found);
            assert!(found.is_empty());
            // The Kelvin sign: the value is lower-cased and each literal searched
            // in that (overlapping places too).
            let kelvin = "se\u{212A}urlsa:: sekurlsa::lsadump::lsadump::";
            filter.find_all(kelvin, &mut found);
            found.sort_unstable();
            assert_eq!(found, vec![0, 0, 5, 5]);
            let overlapping = LiteralFilter::new(&[b"aaa"], 1).unwrap();
            overlapping.find_all_in_lowered(b"aaaaa", &mut found);
            assert_eq!(found, vec![0, 0, 0]);
        }
    }

    /// `filter` as built and, where it scans 64 bytes a block, the same
    /// filter scanning 32 (the scan of machines without AVX-512), so that
    /// the tests check both on a machine with it.
    fn each_scan(filter: Option<LiteralFilter>) -> Vec<LiteralFilter> {
        let Some(filter) = filter else {
            return Vec::new();
        };
        let narrow = filter.wide.then(|| LiteralFilter {
            wide: false,
            ..filter.clone()
        });
        std::iter::once(filter).chain(narrow).collect()
    }

    #[test]
    fn reads_a_value_where_it_ends_inside_or_at_the_end_of_a_block() {
        for filter in each_scan(LiteralFilter::new(&MIMIKATZ, 1)) {
            ends_inside_or_at_the_end_of_a_block(&filter);
        }
    }

    fn ends_inside_or_at_the_end_of_a_block(filter: &LiteralFilter) {
        let mut found = Vec::new();
        // The literal ends at the value's last byte, which falls at every
        // place of a 32- or 64-byte block (the AVX2 scan reads the last
        // block again or from a copy unless the value fills it, the
        // AVX-512 scan under a mask), and one byte short of it.
        for len in 11..=200 {
            let ending = format!("{}LSADUMP::", "x".repeat(len - 9));
            filter.find_all(&ending, &mut found);
            assert_eq!(found, vec![5], "a value of {len} bytes");
            assert!(filter.occurs_in_text(ending.as_bytes()), "{len} bytes");
            let cut = &ending[..len - 1];
            filter.find_all(cut, &mut found);
            assert!(found.is_empty(), "a value of {} bytes", len - 1);
            assert!(!filter.occurs_in_text(cut.as_bytes()));
        }
    }

    /// `value` with literals inserted: for each `(which, at, upper)`, the
    /// literal `which` (modulo their number), upper-cased or not, at the
    /// character boundary at or before byte `at`.
    fn plant(mut value: String, literals: &[Vec<u8>], planted: &[(usize, usize, bool)]) -> String {
        for &(which, at, upper) in planted {
            let literal = String::from_utf8(literals[which % literals.len()].clone()).unwrap();
            let literal = if upper {
                literal.to_ascii_uppercase()
            } else {
                literal
            };
            let at = (0..=at.min(value.len()))
                .rev()
                .find(|&i| value.is_char_boundary(i))
                .unwrap_or(0);
            value.insert_str(at, &literal);
        }
        value
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// A filter split into parts answers as one does: exactly what a
        /// plain search of the lower-cased value answers.
        #[test]
        fn a_filter_of_parts_answers_what_a_plain_search_answers(
            literals in proptest::collection::vec(literal(), 60..200),
            value in text(),
            planted in proptest::collection::vec((0usize..200, 0usize..200, any::<bool>()), 0..4),
        ) {
            let value = plant(value, &literals, &planted);
            let literals: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
            for filter in each_scan(LiteralFilter::new(&literals, 9)) {
                let mut found = Vec::new();
                filter.find_all(&value, &mut found);
                found.sort_unstable();
                prop_assert_eq!(&found, &expected_in_lowered(&literals, &value));
                prop_assert_eq!(
                    occurs(&filter, &event_of(&[&value])),
                    expected(&literals, &[&value])
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// `find_all` reports each occurrence of each literal once, as a
        /// plain search of the lower-cased value does.
        #[test]
        fn find_all_answers_what_a_plain_search_answers(
            literals in proptest::collection::vec(literal(), 1..24),
            value in text(),
            planted in proptest::collection::vec((0usize..24, 0usize..200, any::<bool>()), 0..4),
        ) {
            let value = plant(value, &literals, &planted);
            let literals: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
            for filter in each_scan(LiteralFilter::new(&literals, 1)) {
                let mut found = Vec::new();
                filter.find_all(&value, &mut found);
                found.sort_unstable();
                let expected = expected_in_lowered(&literals, &value);
                prop_assert_eq!(&found, &expected);
                // The search of the lower case, which values with the Kelvin
                // sign or `İ` take, finds the same.
                filter.find_all_in_lowered(crate::case_fold::fold(&value).as_bytes(), &mut found);
                found.sort_unstable();
                prop_assert_eq!(found, expected);
            }
        }

        /// Over small alphabets (many candidates), some text outside ASCII and
        /// lengths around the block size, the filter answers exactly what a
        /// plain search of the lower-cased values does.
        #[test]
        fn answers_what_a_plain_search_answers(
            literals in proptest::collection::vec(literal(), 1..24),
            values in proptest::collection::vec(text(), 1..4),
            planted in proptest::option::of((0usize..24, 0usize..4, 0usize..200, any::<bool>())),
        ) {
            let mut values = values;
            if let Some((which, value, at, upper)) = planted {
                let literal = String::from_utf8(literals[which % literals.len()].clone()).unwrap();
                let literal = if upper { literal.to_ascii_uppercase() } else { literal };
                let count = values.len();
                let value = &mut values[value % count];
                let at = (0..=at.min(value.len())).rev().find(|&i| value.is_char_boundary(i)).unwrap_or(0);
                value.insert_str(at, &literal);
            }
            let literals: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            for filter in each_scan(LiteralFilter::new(&literals, 1)) {
                prop_assert_eq!(occurs(&filter, &event_of(&values)), expected(&literals, &values));
            }
        }
    }
}
