//! exfilguard's global allocator: mimalloc for everything, and the rule
//! engine's long-lived tables on transparent huge pages.
//!
//! Matching an event reads a few dozen places spread over tens of megabytes
//! of compiled rules, prefilter automata and per-thread caches. With 4 KiB
//! pages those reads miss the TLB, and on a virtual machine each miss walks
//! two levels of page tables. On 2 MiB pages the same tables let Sigma
//! matching run 8-16% faster (docs/BENCHMARKS.md, section Sigma, "Update,
//! nineteenth session").
//!
//! Huge pages for *all* memory are not the answer: events are allocated and
//! freed by the million, mimalloc then madvised every arena, and the system
//! time of a JSONL hunt swung with the kernel's work on huge pages. So only
//! what is built once and read for the whole run goes there. Code that builds
//! such tables runs inside [`long_lived`]; what it allocates on that thread
//! comes from one region madvised for huge pages and given to mimalloc as an
//! exclusive arena, with a heap of its own. Everything else is plain mimalloc,
//! built without its own huge-page advice (`no_thp`).
//!
//! [`long_lived`] only sets a per-thread mark. Under another global allocator
//! (a test binary's default) it changes nothing; when the region cannot be
//! had (no memory, a strict overcommit policy) or is full, long-lived
//! allocations come from the ordinary heap.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ffi::c_void;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use libmimalloc_sys as mi;

/// Virtual size of the huge-page region. Only the pages written are backed
/// by memory, in 2 MiB steps: SigmaHQ's Windows rules with the prefilters of
/// every route of the public EVTX corpus take under 100 MiB of it.
pub const REGION_BYTES: usize = 1 << 30;

/// Largest alignment `mi_malloc` gives without being asked
/// (`MI_MAX_ALIGN_SIZE`).
const MIN_ALIGN: usize = 16;

thread_local! {
    /// How many [`long_lived`] calls this thread is inside.
    static LONG_LIVED: Cell<u32> = const { Cell::new(0) };
}

/// Runs `build` with this thread's allocations marked long-lived: under
/// [`Allocator`] they come from the huge-page region. For tables that are
/// built once and read for the rest of the run (compiled rules, prefilter
/// automata, a matching thread's caches). Temporaries made on the way are
/// freed as usual and their space reused; a block reallocated later, outside
/// `long_lived`, may move to the ordinary heap.
pub fn long_lived<R>(build: impl FnOnce() -> R) -> R {
    /// Takes the mark off again, on return or unwind.
    struct Mark;
    impl Drop for Mark {
        fn drop(&mut self) {
            LONG_LIVED.with(|depth| depth.set(depth.get() - 1));
        }
    }
    LONG_LIVED.with(|depth| depth.set(depth.get() + 1));
    let _mark = Mark;
    build()
}

/// Whether this thread is inside [`long_lived`].
pub fn is_long_lived() -> bool {
    LONG_LIVED.with(Cell::get) > 0
}

/// Blocks [`Allocator`] allocated or grew inside [`long_lived`] so far,
/// process-wide (0 under another global allocator). Code that
/// should allocate nothing once warm, like matching an event, runs inside
/// `long_lived`, so a test can check that this stays still.
pub fn long_lived_allocations() -> usize {
    LONG_LIVED_ALLOCATIONS.load(Ordering::Relaxed)
}

/// See [`long_lived_allocations`].
static LONG_LIVED_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// Whether `ptr` lies in the huge-page region (for tests and diagnostics:
/// false before the first long-lived allocation and when there is no region).
pub fn in_long_lived_region(ptr: *const u8) -> bool {
    match REGION.get() {
        Some(Some(region)) => {
            let at = ptr as usize;
            at >= region.start && at < region.start + REGION_BYTES
        }
        _ => false,
    }
}

/// The global allocator: `#[global_allocator] static A: Allocator = Allocator;`.
pub struct Allocator;

/// The huge-page region and its mimalloc heap (in mimalloc 3 a heap serves
/// every thread).
#[derive(Clone, Copy)]
struct Region {
    start: usize,
    heap: *mut mi::mi_heap_t,
}

// SAFETY: mimalloc 3's heaps are first-class: any thread may allocate from
// one and free into it. The region is never unmapped.
unsafe impl Send for Region {}
// SAFETY: as above.
unsafe impl Sync for Region {}

/// Made on the first long-lived allocation; `None` when the system would
/// not give it.
static REGION: OnceLock<Option<Region>> = OnceLock::new();

/// Maps the region, asks the kernel for huge pages in it, gives it to
/// mimalloc as an exclusive arena and makes a heap that allocates only
/// there. Allocates nothing through Rust's allocator (it runs inside it).
fn make_region() -> Option<Region> {
    // SAFETY: an anonymous private mapping, not yet used by anything.
    let start = unsafe {
        libc_mmap(
            std::ptr::null_mut(),
            REGION_BYTES,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
            -1,
            0,
        )
    };
    if start == MAP_FAILED {
        return None;
    }
    // SAFETY: the whole mapping. Advice that fails (a kernel without THP)
    // leaves ordinary pages: slower, still correct.
    unsafe { libc_madvise(start, REGION_BYTES, MADV_HUGEPAGE) };
    let mut arena: mi::mi_arena_id_t = std::ptr::null_mut();
    // SAFETY: the memory is mapped, readable, writable and zeroed, and is
    // mimalloc's alone from here on (never unmapped). Pinned: mimalloc then
    // never decommits parts of it, which would split the huge pages.
    let managed = unsafe {
        mi::mi_manage_os_memory_ex(start, REGION_BYTES, true, true, true, -1, true, &mut arena)
    };
    if !managed {
        return None;
    }
    // SAFETY: an arena that lives as long as the process.
    let heap = unsafe { mi::mi_heap_new_in_arena(arena) };
    (!heap.is_null()).then_some(Region {
        start: start as usize,
        heap,
    })
}

/// The region's heap, made on first use.
fn region_heap() -> Option<*mut mi::mi_heap_t> {
    REGION.get_or_init(make_region).map(|region| region.heap)
}

/// Whether mimalloc's unaligned calls give `layout` (as the `mimalloc`
/// crate decides).
fn plain(align: usize, size: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

/// A block from the region's heap, or null to fall back to the ordinary heap.
fn long_lived_alloc(layout: Layout, zeroed: bool) -> *mut u8 {
    LONG_LIVED_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    let Some(heap) = region_heap() else {
        return std::ptr::null_mut();
    };
    let (size, align) = (layout.size(), layout.align());
    // SAFETY: a live heap; mimalloc returns null when the arena is full.
    unsafe {
        match (zeroed, plain(align, size)) {
            (false, true) => mi::mi_heap_malloc(heap, size),
            (false, false) => mi::mi_heap_malloc_aligned(heap, size, align),
            (true, true) => mi::mi_heap_zalloc(heap, size),
            (true, false) => mi::mi_heap_zalloc_aligned(heap, size, align),
        }
        .cast()
    }
}

/// A block for `layout`: from the region inside [`long_lived`] (while it has
/// room), else from mimalloc's ordinary heap.
fn allocate(layout: Layout, zeroed: bool) -> *mut u8 {
    if is_long_lived() {
        let block = long_lived_alloc(layout, zeroed);
        if !block.is_null() {
            return block;
        }
    }
    let (size, align) = (layout.size(), layout.align());
    // SAFETY: plain mimalloc calls; null on failure, as the trait allows.
    unsafe {
        match (zeroed, plain(align, size)) {
            (false, true) => mi::mi_malloc(size),
            (false, false) => mi::mi_malloc_aligned(size, align),
            (true, true) => mi::mi_zalloc(size),
            (true, false) => mi::mi_zalloc_aligned(size, align),
        }
        .cast()
    }
}

// SAFETY: every block comes from mimalloc, with the layout's size and
// alignment, and goes back to it; `mi_free` and `mi_realloc` take a block of
// any of its heaps, from any thread.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        allocate(layout, false)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        allocate(layout, true)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        if is_long_lived() {
            LONG_LIVED_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            if let Some(heap) = region_heap() {
                // SAFETY: `ptr` is a live mimalloc block; the heap lives for
                // the process. On null the old block is untouched.
                let block =
                    unsafe { mi::mi_heap_realloc_aligned(heap, ptr.cast(), new_size, align) };
                if !block.is_null() {
                    return block.cast();
                }
            }
        }
        // SAFETY: `ptr` is a live mimalloc block.
        unsafe {
            if plain(align, new_size) {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, align).cast()
            }
        }
    }
}

// Two system calls, declared here from the C library every Rust program on
// Linux links (the `libc` crate would be a dependency for two declarations).
const PROT_READ: i32 = 1;
const PROT_WRITE: i32 = 2;
const MAP_PRIVATE: i32 = 0x02;
const MAP_ANONYMOUS: i32 = 0x20;
const MAP_NORESERVE: i32 = 0x4000;
const MAP_FAILED: *mut c_void = !0usize as *mut c_void;
const MADV_HUGEPAGE: i32 = 14;

unsafe extern "C" {
    #[link_name = "mmap"]
    fn libc_mmap(
        addr: *mut c_void,
        len: usize,
        prot: i32,
        flags: i32,
        fd: i32,
        offset: i64,
    ) -> *mut c_void;
    #[link_name = "madvise"]
    fn libc_madvise(addr: *mut c_void, len: usize, advice: i32) -> i32;
}
