//! The allocator as exfilguard runs it: long-lived blocks in the huge-page
//! region, the others not, and every block usable and freeable anywhere.

use allocator::{Allocator, in_long_lived_region, is_long_lived, long_lived};

#[global_allocator]
static GLOBAL: Allocator = Allocator;

#[test]
fn long_lived_blocks_come_from_the_region_and_others_do_not() {
    let table: Vec<u64> = long_lived(|| (0..10_000).collect());
    let event: Vec<u64> = (0..10_000).collect();
    assert!(in_long_lived_region(table.as_ptr().cast()));
    assert!(!in_long_lived_region(event.as_ptr().cast()));
    assert_eq!(table, event);
    // Small blocks, boxes and strings too.
    let name = long_lived(|| String::from("CommandLine"));
    assert!(in_long_lived_region(name.as_ptr()));
    assert!(!in_long_lived_region(String::from("x").as_ptr()));
}

#[test]
fn the_mark_nests_and_is_taken_off_on_return_and_on_unwind() {
    assert!(!is_long_lived());
    long_lived(|| {
        long_lived(|| assert!(is_long_lived()));
        assert!(is_long_lived());
    });
    assert!(!is_long_lived());
    let unwound = std::panic::catch_unwind(|| long_lived(|| panic!("while building")));
    assert!(unwound.is_err());
    assert!(!is_long_lived());
}

#[test]
fn alignment_zeroing_and_growth_are_honoured() {
    #[repr(align(4096))]
    struct Page([u8; 4096]);
    let page = long_lived(|| Box::new(Page([7; 4096])));
    assert_eq!(&*page as *const Page as usize % 4096, 0);
    assert!(in_long_lived_region(page.0.as_ptr()));
    assert!(page.0.iter().all(|&b| b == 7));
    let zeroed: Vec<u32> = long_lived(|| vec![0; 100_000]);
    assert!(zeroed.iter().all(|&v| v == 0));
    assert!(in_long_lived_region(zeroed.as_ptr().cast()));
    // A table grown while building stays in the region, with its contents.
    let mut grown = long_lived(|| Vec::with_capacity(4));
    long_lived(|| grown.extend(0u32..50_000));
    assert!(in_long_lived_region(grown.as_ptr().cast()));
    assert!(grown.iter().copied().eq(0u32..50_000));
    // Grown later, outside: it may move out, and keeps its contents.
    grown.extend(0u32..200_000);
    assert_eq!(grown.len(), 250_000);
    assert_eq!(grown[49_999], 49_999);
    assert_eq!(grown[50_000], 0);
}

#[test]
fn blocks_are_freed_on_other_threads_and_threads_build_at_once() {
    let tables: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4u64)
            .map(|n| scope.spawn(move || long_lived(|| (0..20_000).map(|i| i * n).collect())))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for (n, table) in tables.iter().enumerate() {
        assert!(in_long_lived_region(table.as_ptr().cast()));
        assert_eq!(table[19_999], 19_999 * n as u64);
    }
    // Freed on another thread than the one that allocated them.
    std::thread::spawn(move || drop(tables)).join().unwrap();
    // The space is reused: many rounds of build and free do not grow without
    // bound (the region would fill and the blocks fall outside it).
    for _ in 0..2_000 {
        let table: Vec<u8> = long_lived(|| vec![1; 1 << 20]);
        assert!(in_long_lived_region(table.as_ptr()));
    }
}

#[test]
fn the_region_is_eligible_for_huge_pages_where_the_kernel_offers_them() {
    let table: Vec<u8> = long_lived(|| vec![3; 8 << 20]);
    let enabled =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    if enabled.is_empty() || enabled.contains("[never]") {
        return;
    }
    // The mapping holding the table, as the kernel describes it.
    let at = table.as_ptr() as usize;
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut in_mapping = false;
    let mut eligible = None;
    for line in smaps.lines() {
        if let Some((range, _)) = line.split_once(' ')
            && let Some((start, end)) = range.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            in_mapping = (start..end).contains(&at);
        } else if in_mapping && line.starts_with("THPeligible:") {
            eligible = Some(line.ends_with('1'));
        }
    }
    assert_eq!(
        eligible,
        Some(true),
        "the region is not madvised for huge pages"
    );
}
