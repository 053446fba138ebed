//! A small, fast, reproducible pseudo-random generator (xoshiro256** seeded through
//! splitmix64), so that the same seed gives the same bytes on every platform and
//! every version of every dependency.
//!
//! Streams are derived from the run's seed and a path of labels ([`Rng::derive`]):
//! the browsing of host 7 on day 2 does not depend on how many numbers the browsing
//! of host 6 drew, so adding a scenario never reshuffles the benign background.

/// One step of splitmix64: used to seed xoshiro and to mix labels into a seed.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xoshiro256**: 256 bits of state, period 2^256 - 1, good statistical quality.
#[derive(Clone, Debug)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator seeded from one 64-bit number.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let state = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { state }
    }

    /// An independent stream for `labels` (e.g. `["browse", host, day]`) under `seed`.
    pub fn derive(seed: u64, labels: &[u64]) -> Self {
        let mut mixed = seed;
        for label in labels {
            let mut sm = mixed ^ label.wrapping_mul(0x2545_f491_4f6c_dd1d);
            mixed = splitmix64(&mut sm);
        }
        Rng::new(mixed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.state[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.state[1] << 17;
        self.state[2] ^= self.state[0];
        self.state[3] ^= self.state[1];
        self.state[1] ^= self.state[2];
        self.state[0] ^= self.state[3];
        self.state[2] ^= t;
        self.state[3] = self.state[3].rotate_left(45);
        result
    }

    /// A float uniform in `[0, 1)` (53 random bits).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A float uniform in `[low, high)`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// An integer uniform in `[low, high]` (inclusive); `low` when the range is empty.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        let span = high - low + 1;
        // Lemire's multiply-shift; the tiny bias for huge spans does not matter here.
        low + ((self.next_u64() as u128 * span as u128) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = self.range(0, items.len().saturating_sub(1) as u64) as usize;
        &items[index]
    }

    /// `value` scaled by a factor uniform in `[1 - fraction, 1 + fraction]`.
    pub fn jitter(&mut self, value: f64, fraction: f64) -> f64 {
        value * self.uniform(1.0 - fraction, 1.0 + fraction)
    }

    /// A log-uniform integer in `[low, high]`: small values common, large ones rare,
    /// as web object and upload sizes are.
    pub fn log_uniform(&mut self, low: u64, high: u64) -> u64 {
        let (lo, hi) = ((low.max(1)) as f64, (high.max(low.max(1))) as f64);
        let value = (lo.ln() + (hi.ln() - lo.ln()) * self.unit()).exp();
        (value.round() as u64).clamp(low, high)
    }

    /// `len` characters drawn from `alphabet` (ASCII).
    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| *self.pick(alphabet) as char).collect()
    }
}

/// A stable 64-bit label for a text (FNV-1a), for [`Rng::derive`].
pub fn label(text: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for byte in text.bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_different_seed_differs() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..8).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..8).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(8);
            (0..8).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn derived_streams_are_independent_of_each_other() {
        let mut x = Rng::derive(1, &[label("browse"), 3, 1]);
        let mut y = Rng::derive(1, &[label("browse"), 3, 2]);
        assert_ne!(x.next_u64(), y.next_u64());
        let mut again = Rng::derive(1, &[label("browse"), 3, 1]);
        let mut x2 = Rng::derive(1, &[label("browse"), 3, 1]);
        assert_eq!(again.next_u64(), x2.next_u64());
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut r = Rng::new(42);
        for _ in 0..10_000 {
            let v = r.range(5, 9);
            assert!((5..=9).contains(&v));
            let f = r.uniform(-1.0, 2.0);
            assert!((-1.0..2.0).contains(&f));
            let j = r.jitter(100.0, 0.3);
            assert!((70.0..=130.0).contains(&j));
            let l = r.log_uniform(10, 1000);
            assert!((10..=1000).contains(&l));
        }
        assert_eq!(r.range(3, 3), 3);
        assert_eq!(r.range(4, 2), 4);
    }

    #[test]
    fn unit_is_roughly_uniform() {
        let mut r = Rng::new(3);
        let n = 20_000;
        let mean = (0..n).map(|_| r.unit()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }
}
