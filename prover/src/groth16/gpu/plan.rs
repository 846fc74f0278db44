//! The host half of the GPU MSM: signed-window digits, every window's terms sorted by bucket
//! (a counting sort per window, in parallel), and the segmented reductions that turn each
//! bucket's terms into one point.
//!
//! A GPU thread sums at most [`SEGMENT`] consecutive terms of one bucket. Buckets with more
//! terms (the witness is full of 1s, which all land in one bucket) are reduced in further
//! levels over the partial sums, [`SEGMENT`] at a time, until every bucket has one point; the
//! last level writes each bucket to its slot in the dense `windows × buckets` array. The plan
//! is pure data, so its shape is tested on the CPU (`tests` executes it with arkworks).

use crate::groth16::msm::digits::SignedDigits;
use ark_ff::BigInteger;
use rayon::prelude::*;

/// Terms one GPU thread adds serially. Small enough that the heaviest bucket spreads over
/// many threads, large enough that partial sums stay few.
pub(crate) const SEGMENT: usize = 16;

/// Buckets one GPU thread walks in the bucket reduction (`chunks` kernel): short, so the
/// reduction spreads over many threads (its serial chain is `2·CHUNK` additions plus a
/// `c`-bit multiplication).
pub(crate) const CHUNK: usize = 8;

/// Bit 31 of an entry: the base enters negated.
pub(crate) const NEGATE: u32 = 1 << 31;

/// One MSM, planned: what the kernels run over.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Window width in bits.
    pub(crate) c: usize,
    /// Windows (the last one holds the digits' final carry).
    pub(crate) windows: usize,
    /// Buckets per window, `2^(c-1)`: bucket `k` holds digit magnitude `k + 1`.
    pub(crate) buckets: usize,
    /// Base indices (with [`NEGATE`]), sorted by global bucket `w · buckets + k`.
    pub(crate) entries: Vec<u32>,
    /// Reduction levels: the first runs over `entries`, each next one over the previous
    /// level's outputs; the last writes into the dense bucket array.
    pub(crate) levels: Vec<Level>,
    /// Reduction levels from the chunk sums (`windows × ⌈buckets / CHUNK⌉`) to one point
    /// per window.
    pub(crate) window_levels: Vec<Level>,
}

/// One level of segmented reduction.
#[derive(Debug)]
pub(crate) struct Level {
    /// Segment `s` sums inputs `[seg_off[s], seg_off[s + 1])`.
    pub(crate) seg_off: Vec<u32>,
    /// Where segment `s` writes: its global bucket on the last level; otherwise `s`.
    pub(crate) out_idx: Option<Vec<u32>>,
}

impl Level {
    /// Number of segments (threads).
    pub(crate) fn segments(&self) -> usize {
        self.seg_off.len() - 1
    }
}

/// The window width for `n` terms on the GPU: wider than on the CPU (`⌈log2 n⌉ − 2`, up to
/// 15 bits), since the bucket reduction runs on thousands of threads and the accumulation's
/// `n · windows` additions are the cost that remains.
pub(crate) fn window_bits(n: usize) -> usize {
    let ceil_log2 = usize::BITS as usize - n.saturating_sub(1).leading_zeros() as usize;
    ceil_log2.saturating_sub(2).clamp(8, 15)
}

impl Plan {
    /// Plans `Σ scalars[i] · base_i` over the terms in `active` (nonzero scalars on bases that
    /// are not the identity; each index below 2^31), scalars below `2^bits`. `None` when
    /// there are no active terms.
    pub(crate) fn new<B: BigInteger + Sync>(
        scalars: &[B],
        active: &[u32],
        bits: usize,
    ) -> Option<Self> {
        if active.is_empty() {
            return None;
        }
        let c = window_bits(active.len());
        let digits = SignedDigits::new(scalars, active, c, bits);
        let windows = digits.windows();
        let buckets = 1usize << (c - 1);
        // Per window: a counting sort of its nonzero digits by bucket.
        let sorted: Vec<(Vec<u32>, Vec<u32>)> = (0..windows)
            .into_par_iter()
            .map(|w| {
                let row = digits.window(w);
                let mut counts = vec![0u32; buckets];
                for &d in row {
                    if d != 0 {
                        counts[usize::from(d.unsigned_abs()) - 1] += 1;
                    }
                }
                let mut next = Vec::with_capacity(buckets);
                let mut total = 0u32;
                for &n in &counts {
                    next.push(total);
                    total += n;
                }
                let mut entries = vec![0u32; total as usize];
                for (&d, &i) in row.iter().zip(active) {
                    if d != 0 {
                        let k = usize::from(d.unsigned_abs()) - 1;
                        let sign = if d < 0 { NEGATE } else { 0 };
                        entries[next[k] as usize] = i | sign;
                        next[k] += 1;
                    }
                }
                (entries, counts)
            })
            .collect();
        let mut entries = Vec::with_capacity(sorted.iter().map(|(e, _)| e.len()).sum());
        // (global bucket, terms) of every nonempty bucket, in entry order.
        let mut groups: Vec<(u32, u32)> = Vec::new();
        for (w, (e, counts)) in sorted.into_iter().enumerate() {
            entries.extend_from_slice(&e);
            for (k, &n) in counts.iter().enumerate() {
                if n > 0 {
                    groups.push(((w * buckets + k) as u32, n));
                }
            }
        }
        let per_window = buckets.div_ceil(CHUNK) as u32;
        let window_groups = (0..windows as u32).map(|w| (w, per_window)).collect();
        Some(Self {
            c,
            windows,
            buckets,
            entries,
            levels: levels(groups),
            window_levels: levels(window_groups),
        })
    }
}

/// The reduction levels for buckets with `groups[i] = (bucket, inputs)`.
fn levels(mut groups: Vec<(u32, u32)>) -> Vec<Level> {
    let segment = SEGMENT as u32;
    let mut levels = Vec::new();
    loop {
        let mut seg_off = Vec::with_capacity(groups.len() + 1);
        let mut out_idx = Vec::with_capacity(groups.len());
        seg_off.push(0u32);
        let mut pos = 0u32;
        let mut last = true;
        for (bucket, n) in groups.iter_mut() {
            let parts = n.div_ceil(segment);
            for p in 0..parts {
                pos += segment.min(*n - p * segment);
                seg_off.push(pos);
                out_idx.push(*bucket);
            }
            *n = parts;
            last &= parts == 1;
        }
        levels.push(Level {
            seg_off,
            out_idx: last.then_some(out_idx),
        });
        if last {
            return levels;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective};
    use ark_ec::{AdditiveGroup, CurveGroup, VariableBaseMSM};
    use ark_ff::{PrimeField, UniformRand, Zero};
    use rand::SeedableRng;

    /// Segmented reduction `levels` of `input` into `out_len` slots, as the kernels run it.
    fn reduce(levels: &[Level], mut input: Vec<G1Projective>, out_len: usize) -> Vec<G1Projective> {
        let mut out = vec![G1Projective::zero(); out_len];
        for level in levels {
            let sums: Vec<G1Projective> = level
                .seg_off
                .windows(2)
                .map(|r| input[r[0] as usize..r[1] as usize].iter().sum())
                .collect();
            match &level.out_idx {
                Some(idx) => {
                    for (s, &o) in sums.iter().zip(idx) {
                        out[o as usize] = *s;
                    }
                }
                None => input = sums,
            }
        }
        out
    }

    /// Runs the plan the way the kernels do, with arkworks points.
    fn execute(plan: &Plan, bases: &[G1Affine]) -> G1Projective {
        let input: Vec<G1Projective> = plan
            .entries
            .iter()
            .map(|&e| {
                let p: G1Projective = bases[(e & !NEGATE) as usize].into();
                if e & NEGATE != 0 {
                    -p
                } else {
                    p
                }
            })
            .collect();
        let dense = reduce(&plan.levels, input, plan.windows * plan.buckets);
        // chunks kernel, then the window levels.
        let mut chunk_sums = Vec::new();
        for w in 0..plan.windows {
            let buckets = &dense[w * plan.buckets..(w + 1) * plan.buckets];
            for (j, chunk) in buckets.chunks(CHUNK).enumerate() {
                let (mut run, mut acc) = (G1Projective::zero(), G1Projective::zero());
                for b in chunk.iter().rev() {
                    run += b;
                    acc += run;
                }
                chunk_sums.push(acc + run * Fr::from((j * CHUNK) as u64));
            }
        }
        let sums = reduce(&plan.window_levels, chunk_sums, plan.windows);
        let mut total = G1Projective::zero();
        for sum in sums.iter().rev() {
            for _ in 0..plan.c {
                total.double_in_place();
            }
            total += sum;
        }
        total
    }

    fn check(bases: &[G1Affine], scalars: &[Fr]) {
        let ints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        let active: Vec<u32> = (0..scalars.len() as u32)
            .filter(|&i| !scalars[i as usize].is_zero())
            .collect();
        let want = G1Projective::msm(bases, scalars).unwrap_or_default();
        match Plan::new(&ints, &active, Fr::MODULUS_BIT_SIZE as usize) {
            None => assert!(want.is_zero()),
            Some(plan) => {
                assert!(plan.levels.last().is_some_and(|l| l.out_idx.is_some()));
                assert_eq!(execute(&plan, bases).into_affine(), want.into_affine());
            }
        }
    }

    #[test]
    fn plans_sum_to_the_msm() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for n in [0usize, 1, 5, 300, 3000] {
            let bases: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
            let random: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            check(&bases, &random);
            // A witness-like mix: zeros, ones (one huge bucket: several levels), -1s, small.
            let mixed: Vec<Fr> = (0..n)
                .map(|i| match i % 5 {
                    0 => Fr::zero(),
                    1 | 2 => Fr::from(1u64),
                    3 => -Fr::from(1u64),
                    _ => Fr::from(i as u64),
                })
                .collect();
            check(&bases, &mixed);
        }
    }

    #[test]
    fn heavy_buckets_take_several_levels() {
        let groups = vec![
            (0, 1),
            (3, SEGMENT as u32 * SEGMENT as u32 * 3 + 1),
            (9, 17),
        ];
        let levels = levels(groups);
        assert_eq!(levels.len(), 3); // 769 → 49 → 4 → 1 partial sums
        let last = levels.last().map(|l| l.out_idx.clone());
        assert_eq!(last, Some(Some(vec![0, 3, 9])));
        // Every level's segments cover its inputs exactly, SEGMENT at most each.
        let mut inputs = 1 + SEGMENT * SEGMENT * 3 + 1 + 17;
        for level in &levels {
            assert_eq!(level.seg_off.last().copied(), Some(inputs as u32));
            assert!(level
                .seg_off
                .windows(2)
                .all(|r| r[1] > r[0] && (r[1] - r[0]) as usize <= SEGMENT));
            inputs = level.segments();
        }
    }
}
