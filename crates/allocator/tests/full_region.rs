//! A region filled up: long-lived blocks then come from the ordinary heap.
//! In a process of its own, since it fills the region every test shares.

use allocator::{Allocator, in_long_lived_region, long_lived};

#[global_allocator]
static GLOBAL: Allocator = Allocator;

#[test]
fn a_full_region_falls_back_to_the_ordinary_heap() {
    // More than the region holds, reserved but not written (no memory is
    // touched): the blocks past the region come from the ordinary heap.
    let blocks: Vec<Vec<u8>> = long_lived(|| {
        (0..(allocator::REGION_BYTES >> 24) + 8)
            .map(|_| Vec::with_capacity(16 << 20))
            .collect()
    });
    let inside = blocks
        .iter()
        .filter(|b| in_long_lived_region(b.as_ptr()))
        .count();
    assert!(
        inside > 0 && inside < blocks.len(),
        "{inside} of {}",
        blocks.len()
    );
    assert!(blocks.iter().all(|b| b.capacity() == 16 << 20));
}
