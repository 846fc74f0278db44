//! Batch inversion (Montgomery's trick) in Fq and Fq2: n inverses for one field inversion and
//! about three multiplications each, which is what makes affine G2 lines cheaper than
//! projective ones when a whole batch steps together.

use ark_bn254::{Fq, Fq2};
use ark_ff::{Field, One};

/// Replaces every element of `v` by its inverse; `None` (with `v` unchanged) if any is zero.
/// `prefix` is a reusable buffer.
pub(super) fn invert_fp(v: &mut [Fq], prefix: &mut Vec<Fq>) -> Option<()> {
    prefix.clear();
    let mut acc = Fq::one();
    for x in v.iter() {
        prefix.push(acc);
        acc *= x;
    }
    // The product is zero exactly when some element is.
    let mut inv = acc.inverse()?;
    for (x, before) in v.iter_mut().zip(prefix.iter()).rev() {
        let xinv = inv * before;
        inv *= *x;
        *x = xinv;
    }
    Some(())
}

/// Replaces every element of `v` by its inverse; `None` if any is zero. Goes through the
/// norms a·ā ∈ Fq, so the shared work is in Fq: 1/a = ā / N(a).
pub(super) fn invert_fp2(v: &mut [Fq2], norms: &mut Vec<Fq>, prefix: &mut Vec<Fq>) -> Option<()> {
    norms.clear();
    norms.extend(v.iter().map(Fq2::norm));
    invert_fp(norms, prefix)?;
    for (a, ninv) in v.iter_mut().zip(norms.iter()) {
        a.c0 *= ninv;
        a.c1 = -(a.c1 * ninv);
    }
    Some(())
}
