//! Signed-window digits of the scalars, laid out window-major so each window's pass reads
//! one contiguous slice.

use ark_ff::BigInteger;
use rayon::prelude::*;

/// Digits `d` of every active scalar in every window, `scalar = Σ d_w · 2^(c·w)` with
/// `d_w ∈ (-2^(c-1), 2^(c-1)]`.
pub(crate) struct SignedDigits {
    digits: Vec<i16>,
    active: usize,
    windows: usize,
}

impl SignedDigits {
    /// Digits of `scalars[i]` for each `i` in `active`, `c ≤ 15` bits per window, scalars
    /// below `2^bits`.
    pub(crate) fn new<B: BigInteger + Sync>(
        scalars: &[B],
        active: &[u32],
        c: usize,
        bits: usize,
    ) -> Self {
        // One window more than the bits need, for the final carry.
        let windows = bits / c + 1;
        let n = active.len();
        let half = 1i64 << (c - 1);
        let full = 1i64 << c;
        let mask = (1u64 << c) - 1;
        // Scalar-major first (parallel over scalars), then transposed by window.
        let mut by_scalar = vec![0i16; windows * n];
        by_scalar
            .par_chunks_mut(windows)
            .zip(active.par_iter())
            .with_min_len(1024)
            .for_each(|(out, &i)| {
                let scalar = &scalars[i as usize];
                // Bits above `bits` would be dropped: callers pass reduced scalars.
                debug_assert!(scalar.num_bits() as usize <= bits, "MSM scalar too wide");
                let limbs = scalar.as_ref();
                let mut carry = 0i64;
                for (w, d) in out.iter_mut().enumerate() {
                    let v = window_bits(limbs, w * c, c, mask) as i64 + carry;
                    let (digit, next) = if v > half { (v - full, 1) } else { (v, 0) };
                    carry = next;
                    *d = digit as i16;
                }
            });
        let mut digits = vec![0i16; windows * n];
        digits
            .par_chunks_mut(n.max(1))
            .enumerate()
            .for_each(|(w, row)| {
                for (t, d) in row.iter_mut().enumerate() {
                    *d = by_scalar[t * windows + w];
                }
            });
        Self {
            digits,
            active: n,
            windows,
        }
    }

    /// Number of windows.
    pub(crate) fn windows(&self) -> usize {
        self.windows
    }

    /// The digits of window `w`, one per active scalar.
    pub(crate) fn window(&self, w: usize) -> &[i16] {
        &self.digits[w * self.active..(w + 1) * self.active]
    }
}

/// Bits `[offset, offset + c)` of the little-endian limbs (zero past the end).
#[inline]
fn window_bits(limbs: &[u64], offset: usize, c: usize, mask: u64) -> u64 {
    let (limb, shift) = (offset / 64, offset % 64);
    let Some(&lo) = limbs.get(limb) else {
        return 0;
    };
    let mut v = lo >> shift;
    if shift + c > 64 {
        if let Some(&hi) = limbs.get(limb + 1) {
            v |= hi << (64 - shift);
        }
    }
    v & mask
}
