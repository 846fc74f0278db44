//! Multi-scalar multiplication over short-Weierstrass curves (BN254 G1 and G2) with
//! batch-affine bucket accumulation.
//!
//! Groth16 proving is almost all MSMs over the proving key's fixed bases. arkworks'
//! Pippenger adds every point into an extended-Jacobian bucket (8M + 2S per mixed addition).
//! Here each window streams its points into *affine* buckets, in batches of additions whose
//! denominators are inverted together (Montgomery's trick): 5M + 1S per addition plus a share
//! of one inversion per batch. A point whose bucket is already in the batch goes into that
//! bucket's extended-Jacobian twin ([`window`]). The bucket reduction (running sums) stays
//! projective. Zero scalars and identity bases are dropped up front.
//!
//! Scalars use signed windows of `c` bits (digits in `(-2^(c-1), 2^(c-1)]`, so `2^(c-1)`
//! buckets and a point's negation costs one field negation). Windows run in parallel on rayon.

pub(crate) mod digits;
mod window;

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr, VariableBaseMSM};
use ark_ff::{BigInteger, PrimeField, Zero};
use rayon::prelude::*;

/// The scalar representation the MSM takes: canonical (non-Montgomery) integers below the
/// field modulus, as `PrimeField::into_bigint` gives them.
pub type ScalarInt<P> = <<P as ark_ec::CurveConfig>::ScalarField as PrimeField>::BigInt;

/// An MSM that cannot run as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MsmError {
    /// The bases (all parts together) and the scalars disagree in length.
    #[error("MSM with {bases} bases and {scalars} scalars")]
    Length {
        /// Bases given.
        bases: usize,
        /// Scalars given.
        scalars: usize,
    },
    /// Terms are indexed with 32 bits (half the index memory of `usize`).
    #[error("MSM with {0} terms: at most 2^32 - 1")]
    TooMany(usize),
}

/// Below this many non-trivial terms, arkworks' MSM runs instead (batches would not fill).
const SMALL: usize = 256;

/// `Σ scalars[i] · bases[i]`, where the bases are the concatenation of `parts` (so MSMs that
/// share one reduction, such as Groth16's `L` and `H` terms of `C`, run as one).
pub fn msm<P: SWCurveConfig>(
    parts: &[&[Affine<P>]],
    scalars: &[ScalarInt<P>],
) -> Result<Projective<P>, MsmError> {
    let bases = Bases { parts };
    if bases.len() != scalars.len() {
        return Err(MsmError::Length {
            bases: bases.len(),
            scalars: scalars.len(),
        });
    }
    if u32::try_from(scalars.len()).is_err() {
        return Err(MsmError::TooMany(scalars.len()));
    }
    // The terms that contribute: a nonzero scalar on a base that is not the identity.
    let active: Vec<u32> = (0..scalars.len())
        .into_par_iter()
        .with_min_len(4096)
        .filter(|&i| !scalars[i].is_zero() && !bases.get(i).is_zero())
        .map(|i| i as u32)
        .collect();
    if active.len() < SMALL {
        return Ok(small_msm(&bases, scalars, &active));
    }
    let bits = <P::ScalarField as PrimeField>::MODULUS_BIT_SIZE as usize;
    let c = window_bits(active.len());
    let digits = digits::SignedDigits::new(scalars, &active, c, bits);
    let window_sums: Vec<Projective<P>> = (0..digits.windows())
        .into_par_iter()
        .map(|w| window::window_sum(&bases, &active, digits.window(w), c))
        .collect();
    // Horner from the top window: Σ 2^(c·w) · S_w.
    let mut total = Projective::<P>::zero();
    for sum in window_sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += sum;
    }
    Ok(total)
}

/// The window width for `n` terms: `⌈log2 n⌉ − 4`, which balances `n · windows`
/// accumulation additions against `windows · 2^(c-1)` reduction additions (measured on the
/// proving key's queries, 57 k to 216 k terms, BN254 G1 and G2), within what i16 digits hold.
fn window_bits(n: usize) -> usize {
    let ceil_log2 = usize::BITS as usize - n.saturating_sub(1).leading_zeros() as usize;
    ceil_log2.saturating_sub(4).clamp(4, 15)
}

/// Few terms: arkworks' MSM over the gathered terms.
fn small_msm<P: SWCurveConfig>(
    bases: &Bases<'_, P>,
    scalars: &[ScalarInt<P>],
    active: &[u32],
) -> Projective<P> {
    let (b, s): (Vec<Affine<P>>, Vec<ScalarInt<P>>) = active
        .iter()
        .map(|&i| (*bases.get(i as usize), scalars[i as usize]))
        .unzip();
    Projective::<P>::msm_bigint(&b, &s)
}

/// The bases as one indexable sequence over several slices.
#[derive(Clone, Copy)]
pub(crate) struct Bases<'a, P: SWCurveConfig> {
    parts: &'a [&'a [Affine<P>]],
}

impl<P: SWCurveConfig> Bases<'_, P> {
    fn len(&self) -> usize {
        self.parts.iter().map(|p| p.len()).sum()
    }

    #[inline]
    pub(crate) fn get(&self, mut i: usize) -> &Affine<P> {
        for part in self.parts {
            if i < part.len() {
                return &part[i];
            }
            i -= part.len();
        }
        // Callers index below `len()`, checked in `msm`.
        &self.parts[self.parts.len() - 1][i]
    }
}

#[cfg(test)]
mod tests;
