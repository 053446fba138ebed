//! Interned field names of source-native records.
//!
//! A native record stores its keys as [`Sym`]s, so a rule that names a native field
//! (`Image`, `id.orig_h`) resolves the name to a `Sym` once, when it is compiled, and
//! per event compares integers. The table is process-wide and append-only; it is
//! capped so that hostile input with endless distinct key names cannot grow it
//! without bound (names past the cap are reported by [`Sym::intern`] as `None`).

use hashbrown::HashMap;
use std::cell::RefCell;
use std::sync::{OnceLock, RwLock};

/// An interned field name. Cheap to copy and compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(pub u32);

/// Most distinct native field names kept; see the module docs.
pub const MAX_SYMBOLS: usize = 1 << 18;

/// Lookups run for every field of every record a reader builds: the table uses
/// hashbrown's default (foldhash) hasher, several times cheaper than SipHash on
/// short names; the names are the program's own and its inputs', and the table
/// is capped (see [`MAX_SYMBOLS`]), so hash flooding cannot grow it.
struct Table {
    by_name: HashMap<&'static str, Sym>,
    by_lower: HashMap<String, Vec<Sym>>,
    names: Vec<&'static str>,
}

fn table() -> &'static RwLock<Table> {
    static TABLE: OnceLock<RwLock<Table>> = OnceLock::new();
    TABLE.get_or_init(|| {
        RwLock::new(Table {
            by_name: HashMap::new(),
            by_lower: HashMap::new(),
            names: Vec::new(),
        })
    })
}

impl Sym {
    /// Interns `name`, returning its symbol; `None` only when the table is full.
    pub fn intern(name: &str) -> Option<Sym> {
        if let Some(sym) = Self::lookup(name) {
            return Some(sym);
        }
        let mut table = table().write().unwrap_or_else(|e| e.into_inner());
        if let Some(sym) = table.by_name.get(name) {
            return Some(*sym);
        }
        if table.names.len() >= MAX_SYMBOLS {
            return None;
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let sym = Sym(table.names.len() as u32);
        table.names.push(leaked);
        table.by_name.insert(leaked, sym);
        table
            .by_lower
            .entry(leaked.to_ascii_lowercase())
            .or_default()
            .push(sym);
        Some(sym)
    }

    /// The symbol of `name` if some record or rule has interned it already.
    ///
    /// Answered from a per-thread copy of the names seen so far: a parser
    /// interns every key of every record (20-30 per Windows event), and taking
    /// the shared table's lock for each, with the cache line bouncing between
    /// the parser and matcher threads, was a tenth of a JSONL hunt's time. The
    /// table is append-only, so a copy never goes stale.
    pub fn lookup(name: &str) -> Option<Sym> {
        thread_local! {
            static SEEN: RefCell<HashMap<&'static str, Sym>> = RefCell::new(HashMap::new());
        }
        SEEN.with(|seen| {
            if let Some(sym) = seen.borrow().get(name) {
                return Some(*sym);
            }
            let table = table().read().unwrap_or_else(|e| e.into_inner());
            let sym = *table.by_name.get(name)?;
            let stored = table.names[sym.0 as usize];
            drop(table);
            seen.borrow_mut().insert(stored, sym);
            Some(sym)
        })
    }

    /// Every interned symbol whose name equals `name` ignoring ASCII case.
    pub fn lookup_ignore_case(name: &str) -> Vec<Sym> {
        let table = table().read().unwrap_or_else(|e| e.into_inner());
        table
            .by_lower
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// The name this symbol stands for.
    pub fn name(self) -> &'static str {
        let table = table().read().unwrap_or_else(|e| e.into_inner());
        table.names.get(self.0 as usize).copied().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable() {
        let a = Sym::intern("CommandLine").unwrap();
        assert_eq!(Sym::intern("CommandLine"), Some(a));
        assert_eq!(a.name(), "CommandLine");
        assert_eq!(Sym::lookup("CommandLine"), Some(a));
        assert!(Sym::lookup_ignore_case("commandline").contains(&a));
        assert_ne!(Sym::intern("Image"), Some(a));
    }
}
