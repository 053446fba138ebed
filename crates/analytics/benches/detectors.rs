//! Placeholder replaced by the throughput bench.
fn main() {}
