//! The keyword scan: every text value of an event, for the literals of the
//! rules that match anywhere (Sigma's keyword lists).
//!
//! The values are joined, NUL-separated, lower-cased and scanned in one pass
//! (behind the slot's SIMD gate). That pass was about a quarter of matching
//! on the EVTX corpus: SigmaHQ's Windows-wide Mimikatz keywords read every
//! Windows event's whole text, about 800 bytes an event. Yet most of those
//! bytes are values the same field held in the event before: a log's
//! channel, provider, computer, user SID, keywords, a process's hashes.
//! So each thread keeps, per keyword slot and field, the last value it saw
//! and the literals found in it. A value equal to its field's last one
//! (compared in full) marks those literals again and is not joined; any
//! other value is joined and scanned, and the literals found inside its
//! span become its field's new last answer. A field whose values rarely
//! repeat (times, GUIDs, scripts) stops being compared for a while and is
//! joined directly. Values too short to hold any of the slot's literals are
//! skipped when they are ASCII.
//!
//! Same answers as joining everything: no literal spans two values (they
//! are NUL-separated), the gate says no literal starts before its leftmost
//! find, and a value's literals are the same alone or in the join. When the
//! joined text must be folded by Unicode's rules (its byte offsets then
//! move), no answer is remembered from that scan.

use super::{
    GATE_MIN_VALUE, Marks, Slot, SlotScanner, fold_unicode, scan_value, unicode_lowering_changes,
};
use model::{Event, Sym, Value};

/// Most field symbols with a remembered value per slot (fields past it are
/// always joined).
const MAX_FIELDS: usize = 1 << 14;

/// Longest value remembered (longer ones are joined every time).
const MAX_REMEMBERED: usize = 4096;

/// Comparisons of a field counted before its hit rate is judged.
const JUDGED_AFTER: u16 = 64;

/// Events a field whose values rarely repeat is joined without comparing.
const SKIP_EVENTS: u16 = 1024;

/// Per-thread state of the keyword scan.
#[derive(Debug, Default)]
pub(super) struct KeywordScan {
    /// By slot id, then by field symbol: the last value and its literals.
    slots: Vec<Vec<LastValue>>,
    /// The event's joined text (UTF-8 bytes; then lower-cased in place).
    joined: String,
    /// The joined text folded by Unicode's rules, when that changes it.
    folded: Vec<u8>,
    /// Values joined this event whose answer is to be remembered: field,
    /// and their span in `joined`.
    pending: Vec<(Sym, u32, u32)>,
    /// Literals found in the joined text: pattern id and start offset.
    found: Vec<(u32, u32)>,
}

/// A field's last value in one keyword slot and the pattern ids found in it.
#[derive(Debug, Default)]
struct LastValue {
    text: String,
    ids: Vec<u32>,
    /// Whether `text` and `ids` hold an answer.
    valid: bool,
    /// Comparisons and hits since the hit rate was last judged.
    compared: u16,
    hits: u16,
    /// Events left during which the field is joined without comparing.
    skip: u16,
}

impl KeywordScan {
    /// Scans `event`'s text values for the literals of keyword slot
    /// `route_slot`, marking the rules they satisfy.
    pub(super) fn scan(&mut self, route_slot: &Slot, event: &Event, marks: &mut Marks<'_>) {
        let slot = &*route_slot.core;
        // Positions are needed to tell which value held a literal: only the
        // aho-corasick scanner (every keyword slot of up to 256 literals)
        // reports them.
        let remember = matches!(slot.automaton, Some(SlotScanner::Automaton(_)));
        if self.slots.len() <= slot.id {
            self.slots.resize_with(slot.id + 1, Vec::new);
        }
        let KeywordScan {
            slots,
            joined,
            folded,
            pending,
            found,
        } = self;
        let last_values = &mut slots[slot.id];
        joined.clear();
        pending.clear();
        let shortest = slot.shortest_literal;
        for (sym, value) in event.native.iter() {
            let Value::Str(text) = value else {
                scan_value(value, None, &mut |s| push(joined, s));
                continue;
            };
            if text.len() < shortest && text.is_ascii() {
                continue;
            }
            let index = sym.0 as usize;
            if !remember || index >= MAX_FIELDS || text.len() > MAX_REMEMBERED {
                push(joined, text);
                continue;
            }
            if last_values.len() <= index {
                last_values.resize_with(index + 1, LastValue::default);
            }
            let last = &mut last_values[index];
            if last.skip > 0 {
                last.skip -= 1;
                push(joined, text);
                continue;
            }
            last.compared += 1;
            let hit = last.valid && last.text == **text;
            if hit {
                last.hits += 1;
                for &id in &last.ids {
                    marks.mark(route_slot, id as usize);
                }
            }
            if last.compared >= JUDGED_AFTER {
                if last.hits < last.compared / 8 {
                    last.skip = SKIP_EVENTS;
                }
                last.compared = 0;
                last.hits = 0;
            }
            if hit {
                continue;
            }
            last.valid = false;
            last.text.clear();
            last.text.push_str(text);
            let start = joined.len() as u32;
            push(joined, text);
            pending.push((sym, start, start + text.len() as u32));
        }
        if let Some(message) = &event.message {
            joined.push_str(message);
        }
        if joined.is_empty() {
            return;
        }
        // ASCII lower-cased in place (UTF-8 stays valid); a copy folded by
        // Unicode's rules only when some other character changes (`®` and
        // most others do not).
        joined.make_ascii_lowercase();
        let ascii = joined.is_ascii();
        let folds = !ascii && unicode_lowering_changes(joined);
        let hay = if folds {
            folded.clear();
            fold_unicode(joined, folded);
            &folded[..]
        } else {
            joined.as_bytes()
        };
        scan_text(route_slot, hay, ascii, found, marks);
        if !remember || folds {
            return;
        }
        // Each remembered value's literals: those starting inside its span
        // (found in order of their end, so not sorted by start).
        found.sort_unstable_by_key(|&(_, start)| start);
        let non_ascii = slot.non_ascii;
        for &(sym, start, end) in pending.iter() {
            let last = &mut last_values[sym.0 as usize];
            last.ids.clear();
            let from = found.partition_point(|&(_, at)| at < start);
            for &(id, at) in &found[from..] {
                if at >= end {
                    break;
                }
                if !last.ids.contains(&id) {
                    last.ids.push(id);
                }
            }
            if let Some(id) = non_ascii
                && !last.text.is_ascii()
            {
                last.ids.push(id);
            }
            last.valid = true;
        }
    }
}

/// Appends a value and its NUL separator to the joined text.
#[inline(always)]
fn push(joined: &mut String, text: &str) {
    joined.push_str(text);
    joined.push('\0');
}

/// Scans the lower-cased joined text `hay` for the slot's literals, marking
/// them and listing each with its start in `found` (the hashed-windows
/// scanner, which reports no positions, lists none); `ascii` says whether
/// the text was ASCII (for the non-ASCII needle).
fn scan_text(
    route_slot: &Slot,
    hay: &[u8],
    ascii: bool,
    found: &mut Vec<(u32, u32)>,
    marks: &mut Marks<'_>,
) {
    let slot = &*route_slot.core;
    found.clear();
    if let Some(automaton) = &slot.automaton {
        let gate = slot.gate.as_ref().filter(|_| hay.len() >= GATE_MIN_VALUE);
        // No literal starts before the gate's leftmost match: without one,
        // nothing is there; with one, the exhaustive scan starts at it.
        let from = match gate {
            Some(gate) => gate.leftmost(hay),
            None => Some(0),
        };
        let Some(from) = from else {
            return;
        };
        match automaton {
            SlotScanner::Automaton(automaton) => {
                for hit in automaton.find_overlapping_iter(&hay[from..]) {
                    let pid = hit.pattern().as_usize();
                    found.push((pid as u32, (from + hit.start()) as u32));
                    marks.mark(route_slot, pid);
                }
            }
            SlotScanner::Windows(windows) => {
                windows.for_each_match(&hay[from..], |pid| marks.mark(route_slot, pid as usize))
            }
        }
    }
    if let Some(pid) = slot.non_ascii
        && !ascii
    {
        marks.mark(route_slot, pid as usize);
    }
}
