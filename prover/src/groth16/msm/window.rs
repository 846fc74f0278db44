//! One window of the MSM: points go straight into affine buckets, in batches whose
//! additions share one field inversion, then the running-sum reduction. Bases stream in
//! order and the buckets (`2^(c-1)` affine points) stay in cache.
//!
//! A batch never touches a bucket twice. A point whose bucket is already in the batch goes
//! into that bucket's projective twin instead (an extended-Jacobian mixed addition, what
//! arkworks pays for every point): rare for spread digits, and it bounds the work when many
//! points share a bucket (a window's few top digits, repeated scalars) with no queue. A top
//! window that reaches fewer buckets than a batch holds thus runs at arkworks' cost: smaller
//! batches there would pay an inversion per few additions, which is dearer.

use super::Bases;
use ark_ec::short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr};
use ark_ff::{Field, One, Zero};

/// `Σ_t digits[t] · bases[active[t]]` for one window's digits.
pub(super) fn window_sum<P: SWCurveConfig>(
    bases: &Bases<'_, P>,
    active: &[u32],
    digits: &[i16],
    c: usize,
) -> Projective<P> {
    let mut acc = Accumulator::<P>::new(1usize << (c - 1));
    for (&d, &i) in digits.iter().zip(active) {
        if d != 0 {
            let p = *bases.get(i as usize);
            acc.add(d.unsigned_abs() as u32 - 1, if d < 0 { -p } else { p });
        }
    }
    acc.finish()
}

/// Affine buckets fed in conflict-free batches.
struct Accumulator<P: SWCurveConfig> {
    buckets: Vec<Affine<P>>,
    /// The batch a bucket was last put in: busy while it equals `epoch`.
    stamp: Vec<u32>,
    epoch: u32,
    batch: Vec<(u32, Affine<P>)>,
    capacity: usize,
    /// Points that met their bucket busy in the current batch.
    spill: Vec<Bucket<P>>,
    prefix: Vec<P::BaseField>,
}

impl<P: SWCurveConfig> Accumulator<P> {
    fn new(buckets: usize) -> Self {
        // Large enough to amortise the inversion, small enough that conflicts stay rare.
        let capacity = (buckets / 8).clamp(16, 1024);
        Self {
            buckets: vec![Affine::identity(); buckets],
            stamp: vec![0; buckets],
            epoch: 1,
            batch: Vec::with_capacity(capacity),
            capacity,
            spill: vec![Bucket::ZERO; buckets],
            prefix: Vec::with_capacity(capacity),
        }
    }

    #[inline]
    fn add(&mut self, b: u32, p: Affine<P>) {
        let i = b as usize;
        if self.stamp[i] == self.epoch {
            self.spill[i] += &p;
            return;
        }
        let q = &mut self.buckets[i];
        // The sums an affine formula cannot do happen here, so a batch holds only
        // `q + p` with `q ≠ O` and `q.x ≠ p.x` (bases are never the identity).
        if q.is_zero() {
            *q = p;
            return;
        }
        if q.x == p.x {
            *q = if q.y == p.y && !q.y.is_zero() {
                let mut d: Projective<P> = (*q).into();
                d.double_in_place();
                d.into()
            } else {
                Affine::identity()
            };
            return;
        }
        self.stamp[i] = self.epoch;
        self.batch.push((b, p));
        if self.batch.len() == self.capacity {
            self.flush();
        }
    }

    /// Adds the batch into its buckets with one inversion, and opens a new batch.
    fn flush(&mut self) {
        self.prefix.clear();
        let mut acc = P::BaseField::one();
        for (b, p) in &self.batch {
            self.prefix.push(acc);
            acc *= p.x - self.buckets[*b as usize].x;
        }
        // Every denominator is nonzero (see `add`), so the product is invertible.
        let mut inv = acc.inverse().unwrap_or_else(P::BaseField::zero);
        for (k, (b, p)) in self.batch.iter().enumerate().rev() {
            let q = &mut self.buckets[*b as usize];
            let dx = p.x - q.x;
            let lambda = (p.y - q.y) * (inv * self.prefix[k]);
            inv *= dx;
            let x = lambda.square() - q.x - p.x;
            let y = lambda * (q.x - x) - q.y;
            *q = Affine::new_unchecked(x, y);
        }
        self.batch.clear();
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // Stamps from 2^32 batches ago could collide: clear them once.
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
    }

    /// Flushes the last batch, then `Σ (b + 1) · bucket_b` by running sums.
    fn finish(mut self) -> Projective<P> {
        self.flush();
        let mut running = Bucket::<P>::ZERO;
        let mut sum = Bucket::<P>::ZERO;
        for (q, spilled) in self.buckets.iter().zip(&self.spill).rev() {
            if !q.is_zero() {
                running += q;
            }
            if !spilled.is_zero() {
                running += spilled;
            }
            sum += &running;
        }
        sum.into()
    }
}
