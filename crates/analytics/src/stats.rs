//! Robust statistics shared by the detectors: median, MAD, Bowley skew, EWMA,
//! Shannon entropy, and a jitter-tolerant period test.

/// Scale that makes the MAD a consistent estimator of a normal standard deviation.
pub const MAD_TO_SIGMA: f64 = 1.4826;

/// Values a [`Scratch`] holds without allocating.
const STACK_VALUES: usize = 32;

/// A work copy of a few values: on the stack up to 32 of them (a cadence pair's
/// 12 intervals, a baseline's 7 days), on the heap beyond. The statistics below run
/// for every judged pair, so they must not allocate in the common case.
#[derive(Clone, Debug)]
pub struct Scratch {
    stack: [f64; STACK_VALUES],
    heap: Vec<f64>,
    len: usize,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            stack: [0.0; STACK_VALUES],
            heap: Vec::new(),
            len: 0,
        }
    }
}

impl Scratch {
    /// A copy of `values`.
    pub fn from_slice(values: &[f64]) -> Self {
        let mut s = Scratch::default();
        s.extend(values.iter().copied());
        s
    }

    /// Appends `value`.
    pub fn push(&mut self, value: f64) {
        if self.len < STACK_VALUES {
            self.stack[self.len] = value;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.stack);
            }
            self.heap.push(value);
        }
        self.len += 1;
    }

    /// Appends every value of `values`.
    pub fn extend(&mut self, values: impl Iterator<Item = f64>) {
        for v in values {
            self.push(v);
        }
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The values.
    pub fn as_slice(&self) -> &[f64] {
        if self.len <= STACK_VALUES {
            &self.stack[..self.len]
        } else {
            &self.heap
        }
    }

    /// The values, to sort or change in place.
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        if self.len <= STACK_VALUES {
            &mut self.stack[..self.len]
        } else {
            &mut self.heap
        }
    }
}

/// Median of `values` (sorted in place). `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    // Equal values under `total_cmp` are the same bits: unstable sorting gives the
    // same order as a stable one, without its buffer.
    values.sort_unstable_by(f64::total_cmp);
    Some(sorted_quantile(values, 0.5))
}

/// Quantile `q` (0..=1) of sorted values, linear interpolation.
pub fn sorted_quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Median and median absolute deviation of `values`.
pub fn median_mad(values: &[f64]) -> Option<(f64, f64)> {
    let mut scratch = Scratch::from_slice(values);
    let work = scratch.as_mut_slice();
    let med = median(work)?;
    for v in work.iter_mut() {
        *v = (*v - med).abs();
    }
    let mad = median(work)?;
    Some((med, mad))
}

/// Bowley (quartile) skewness in -1..=1: 0 for symmetric intervals.
pub fn bowley_skew(sorted: &[f64]) -> f64 {
    let q1 = sorted_quantile(sorted, 0.25);
    let q2 = sorted_quantile(sorted, 0.5);
    let q3 = sorted_quantile(sorted, 0.75);
    let spread = q3 - q1;
    if spread <= f64::EPSILON || q2 == q1 || q2 == q3 {
        return 0.0;
    }
    (q3 + q1 - 2.0 * q2) / spread
}

/// Exponentially weighted mean and mean absolute deviation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ewma {
    /// Smoothed mean.
    pub mean: f64,
    /// Smoothed absolute deviation from the mean.
    pub deviation: f64,
    /// Observations folded in (saturating).
    pub count: u32,
}

impl Ewma {
    /// Folds in `x` with weight `alpha` (0..1) for the new value.
    pub fn update(&mut self, x: f64, alpha: f64) {
        if self.count == 0 {
            self.mean = x;
            self.deviation = 0.0;
        } else {
            let diff = (x - self.mean).abs();
            self.mean += alpha * (x - self.mean);
            self.deviation += alpha * (diff - self.deviation);
        }
        self.count = self.count.saturating_add(1);
    }
}

/// Shannon entropy of the bytes of `text`, bits per character.
pub fn shannon_entropy(text: &[u8]) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let mut counts = [0u16; 256];
    for b in text {
        counts[*b as usize] = counts[*b as usize].saturating_add(1);
    }
    let n = text.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// The outcome of [`period_test`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Period {
    /// Estimated period, seconds.
    pub period_s: f64,
    /// Share of intervals explained by a whole number of periods (0..1).
    pub fit: f64,
    /// Intervals that spanned more than one period (missed beats, gaps).
    pub gaps: usize,
}

/// Finds a period that explains the intervals even when some beats were missed
/// (an interval of 2 or 3 periods) and each beat is moved by up to `jitter` (0.3 =
/// +-30 %). The candidate period is the median of the intervals that are not
/// multiples; an interval fits when it is within `jitter` of `k * period` for
/// k = 1..=4. Works on a handful of intervals, where autocorrelation of a binned
/// series would not.
pub fn period_test(intervals: &[f64], jitter: f64) -> Option<Period> {
    if intervals.len() < 3 {
        return None;
    }
    let mut positive = Scratch::default();
    positive.extend(intervals.iter().copied().filter(|v| *v > 0.0));
    if positive.len() < 3 {
        return None;
    }
    let sorted = positive.as_mut_slice();
    sorted.sort_unstable_by(f64::total_cmp);
    let sorted: &[f64] = sorted;
    // The base period is near the lower quartile: gaps only make intervals longer.
    let base = sorted_quantile(sorted, 0.25).max(sorted[0]);
    let mut core = Scratch::default();
    core.extend(
        sorted
            .iter()
            .copied()
            .filter(|v| *v <= base * (1.0 + 2.0 * jitter) && *v >= base * (1.0 - jitter)),
    );
    let period = if core.is_empty() {
        base
    } else {
        sorted_quantile(core.as_slice(), 0.5)
    };
    if period <= 0.0 {
        return None;
    }
    let mut singles = 0usize;
    let mut gaps = 0usize;
    for v in sorted {
        let k = (v / period).round().clamp(1.0, 4.0);
        let err = (v - k * period).abs() / period;
        // Jitter of each beat adds up over a gap only once (start and end beats).
        if err <= jitter.max(0.05) && (v / period) < 4.5 {
            if k > 1.0 {
                gaps += 1;
            } else {
                singles += 1;
            }
        }
    }
    // A missed beat is explained, but random intervals fall near some multiple
    // easily, so it counts half.
    let fit = (singles as f64 + 0.5 * gaps as f64) / sorted.len() as f64;
    Some(Period {
        period_s: period,
        fit,
        gaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_spills_to_the_heap_past_the_stack() {
        let values: Vec<f64> = (0..40).rev().map(f64::from).collect();
        let mut s = Scratch::from_slice(&values);
        assert_eq!(s.len(), 40);
        assert_eq!(s.as_slice(), &values[..]);
        assert_eq!(median(s.as_mut_slice()), Some(19.5));
        assert_eq!(median_mad(&values[..5]), Some((37.0, 1.0)));
    }

    #[test]
    fn median_and_mad() {
        let (m, mad) = median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap();
        assert_eq!(m, 3.0);
        assert_eq!(mad, 1.0);
        assert!(median_mad(&[]).is_none());
    }

    #[test]
    fn bowley_is_zero_for_symmetric() {
        assert_eq!(bowley_skew(&[1.0, 2.0, 3.0, 4.0, 5.0]), 0.0);
        assert!(bowley_skew(&[1.0, 1.1, 1.2, 5.0, 9.0]) > 0.3);
    }

    #[test]
    fn entropy_of_random_labels_is_high() {
        assert!(shannon_entropy(b"aaaaaaaa") < 0.01);
        assert!(shannon_entropy(b"q8x7zk2m9v4b1n0c") > 3.5);
    }

    #[test]
    fn period_survives_jitter_and_gaps() {
        // 1800 s with +-30 % jitter and two missed beats.
        let intervals = [
            1800.0, 1300.0, 2300.0, 1900.0, 3600.0, 1500.0, 2100.0, 5400.0, 1750.0, 1650.0,
        ];
        let p = period_test(&intervals, 0.3).unwrap();
        assert!((p.period_s - 1800.0).abs() < 250.0, "{p:?}");
        assert!(p.fit >= 0.85, "{p:?}");
        assert!(p.gaps >= 2);
        // Random intervals do not fit well.
        let random = [
            17.0, 900.0, 41.0, 7000.0, 260.0, 3.0, 12000.0, 560.0, 80.0, 2900.0,
        ];
        let r = period_test(&random, 0.1).unwrap();
        assert!(r.fit < 0.6, "{r:?}");
    }

    #[test]
    fn ewma_tracks() {
        let mut e = Ewma::default();
        for _ in 0..50 {
            e.update(10.0, 0.2);
        }
        assert!((e.mean - 10.0).abs() < 1e-9);
        e.update(20.0, 0.2);
        assert!(e.mean > 10.0 && e.deviation > 0.0);
    }
}
