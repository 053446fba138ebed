//! Per event, where each native field sits in the record.
//!
//! A rule reads a field by symbol, and [`model::Event::get`] finds it by
//! walking the record's fields. The matcher reads dozens of fields of each
//! event (a process-creation route has dozens of prefilter slots, and each
//! candidate rule reads a few more), so it walks the record once instead and
//! then reads each field by position.

use model::{Event, FieldRef, ValueRef};

/// The position of the first value of each native field of one event, for
/// the symbols below a bound (those the prefilter reads); other fields are
/// looked up as [`Event::get`] does.
#[derive(Debug, Default)]
pub(crate) struct FieldIndex {
    /// By symbol: the generation of the event it was seen in, and its
    /// position in the record.
    positions: Vec<(u32, u32)>,
    generation: u32,
    /// Whether the index is of the event being evaluated.
    ready: bool,
}

impl FieldIndex {
    /// Indexes `event`'s fields of symbols below `symbols`, unless the
    /// index is ready (it then is of `event`: [`FieldIndex::forget`] is
    /// called at the start of each event).
    pub(crate) fn ensure(&mut self, event: &Event, symbols: usize) {
        if !self.ready {
            self.build(event, symbols);
        }
    }

    /// Indexes `event`'s fields of symbols below `symbols`.
    pub(crate) fn build(&mut self, event: &Event, symbols: usize) {
        if self.positions.len() < symbols {
            self.positions.resize(symbols, (0, 0));
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.positions.iter_mut().for_each(|p| p.0 = 0);
            self.generation = 1;
        }
        for (at, sym) in event.native.symbols().enumerate() {
            if let Some(position) = self.positions.get_mut(sym.0 as usize)
                && position.0 != self.generation
            {
                *position = (self.generation, at as u32);
            }
        }
        self.ready = true;
    }

    /// Drops the index: the next event is not indexed until
    /// [`FieldIndex::build`] is called for it.
    pub(crate) fn forget(&mut self) {
        self.ready = false;
    }

    /// The value of `field` in `event`, as [`Event::get`] reads it: by
    /// position when `event` is the one indexed.
    #[inline(always)]
    pub(crate) fn get<'e>(&self, event: &'e Event, field: FieldRef) -> Option<ValueRef<'e>> {
        if let FieldRef::Native(sym) = field
            && self.ready
            && let Some(&(generation, at)) = self.positions.get(sym.0 as usize)
        {
            return if generation == self.generation {
                event.native.value_at(at as usize)
            } else {
                None
            };
        }
        event.get(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Sym, Value};

    #[test]
    fn reads_what_event_get_reads() {
        let image = Sym::intern("FieldIndexTestImage").unwrap();
        let command = Sym::intern("FieldIndexTestCommandLine").unwrap();
        let absent = Sym::intern("FieldIndexTestAbsent").unwrap();
        let beyond = Sym::intern("FieldIndexTestBeyond").unwrap();
        let mut event = Event::default();
        event.native.push_sym(image, Value::Str("first".into()));
        event.native.push_sym(command, Value::Str("cmd".into()));
        // A repeated field: the first value is the one read.
        event.native.push_sym(image, Value::Str("second".into()));
        event
            .native
            .push_sym(beyond, Value::Str("past the bound".into()));
        let mut index = FieldIndex::default();
        // The bound leaves `beyond` out of the index: read by the walk.
        index.build(&event, beyond.0 as usize);
        for sym in [image, command, absent, beyond] {
            let field = FieldRef::Native(sym);
            assert_eq!(index.get(&event, field), event.get(field), "{}", sym.name());
        }
        assert_eq!(
            index.get(&event, FieldRef::Native(image)),
            Some(ValueRef::Str("first"))
        );
        // Another event, not indexed: read by the walk, not by stale positions.
        let mut other = Event::default();
        other.native.push_sym(command, Value::Str("other".into()));
        index.forget();
        assert_eq!(
            index.get(&other, FieldRef::Native(command)),
            Some(ValueRef::Str("other"))
        );
        assert_eq!(index.get(&other, FieldRef::Native(image)), None);
        // Indexed again: the fields of the earlier event are gone.
        index.ensure(&other, beyond.0 as usize + 1);
        assert_eq!(index.get(&other, FieldRef::Native(image)), None);
        assert_eq!(
            index.get(&other, FieldRef::Native(command)),
            Some(ValueRef::Str("other"))
        );
    }
}
