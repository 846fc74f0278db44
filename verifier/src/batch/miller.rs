//! A multi-Miller loop for BN254 shaped for many pairs at once: one Fp12 accumulator for all
//! pairs (one squaring per step for the whole set, where arkworks squares once per 4 pairs),
//! and G2 line functions computed on the fly in affine coordinates, where each step's n
//! inversions share one field inversion (Montgomery's trick over Fp norms). No per-pair
//! `G2Prepared` vector is built.
//!
//! The lines are arkworks' lines (`ark_ec::models::bn::g2`, D-type twist: `mul_by_034` with
//! coefficients (c₀·y_P, c₁·x_P, c₂)) multiplied by an element of Fp2 — the affine line
//! through T with slope λ is (1, −λ, λ·x_T − y_T) up to such a factor, and dividing it by y_P
//! as well leaves 1 + (d₃ + d₄·v)·w with d₃ = λ·(−x_P/y_P), d₄ = (λ·x_T − y_T)/y_P. Factors in a
//! proper subfield vanish under the final exponentiation (whose first step raises to p⁶ − 1),
//! so after it the result equals arkworks' pairing exactly.

use super::inv::{invert_fp, invert_fp2};
use ark_bn254::{Config, Fq, Fq12, Fq12Config, Fq2, G1Projective, G2Affine};
use ark_ec::bn::BnConfig;
use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, Field, Fp12Config, One, Zero};

/// A G1 point P = (x, y) ≠ 0 in the form the normalized line evaluation uses: −x/y and 1/y.
#[derive(Clone, Copy, Debug)]
pub(super) struct LinePoint {
    /// −x/y.
    xneg: Fq,
    /// 1/y.
    yinv: Fq,
}

impl LinePoint {
    /// The line 1 + (λ·(−x/y) + (c/y)·v)·w times `f`, with d₀ = 1 so no Fp6 × Fp2 product is
    /// needed: (f₀ + f₁w)(1 + Dw) = (f₀ + v·f₁D) + (f₁ + f₀D)·w, two sparse Fp6 products.
    fn mul_line(&self, f: &mut Fq12, lambda: &Fq2, c: &Fq2) {
        let mut d3 = *lambda;
        d3.mul_assign_by_fp(&self.xneg);
        let mut d4 = *c;
        d4.mul_assign_by_fp(&self.yinv);
        let mut t0 = f.c1;
        t0.mul_by_01(&d3, &d4);
        let mut t1 = f.c0;
        t1.mul_by_01(&d3, &d4);
        <Fq12Config as Fp12Config>::mul_fp6_by_nonresidue_in_place(&mut t0);
        f.c0 += &t0;
        f.c1 += &t1;
    }
}

/// One pair's state during the loop: P, Q and the running multiple T of Q, all affine.
#[derive(Clone, Copy, Debug)]
struct Pair {
    p: LinePoint,
    q: G2Affine,
    tx: Fq2,
    ty: Fq2,
}

impl Pair {
    /// Moves T to the third point on the line of slope `lambda` through T and (`x_other`, ·)
    /// and returns the line's constant λ·x_T − y_T.
    fn step(&mut self, lambda: &Fq2, x_other: &Fq2) -> Fq2 {
        let x3 = lambda.square() - self.tx - x_other;
        let c = *lambda * self.tx - self.ty;
        self.ty = c - *lambda * x3;
        self.tx = x3;
        c
    }
}

/// Reusable buffers for the per-step batch inversions.
#[derive(Default)]
struct Scratch {
    den: Vec<Fq2>,
    norms: Vec<Fq>,
    prefix: Vec<Fq>,
}

/// ∏ᵢ f_{Qᵢ}(Pᵢ) up to a factor that the final exponentiation removes, for pairs whose points
/// are both non-zero. `None` when an inversion meets zero, which cannot happen for points of
/// the prime-order subgroups (T runs through small multiples kQ, never ±Q, ±π(Q), ±π²(Q), and
/// no point of odd order has y = 0); callers treat it as "not shown valid" and fall back to
/// single verification.
pub(super) fn miller_loop(pairs: &[(LinePoint, G2Affine)]) -> Option<Fq12> {
    let mut state: Vec<Pair> = pairs
        .iter()
        .map(|&(p, q)| Pair {
            p,
            q,
            tx: q.x,
            ty: q.y,
        })
        .collect();
    let mut s = Scratch::default();
    let mut f = Fq12::one();
    let ate = Config::ATE_LOOP_COUNT;
    for i in (1..ate.len()).rev() {
        if i != ate.len() - 1 {
            f.square_in_place();
        }
        double(&mut f, &mut state, &mut s)?;
        match ate[i - 1] {
            1 => add(&mut f, &mut state, &mut s, |p| p.q)?,
            -1 => add(&mut f, &mut state, &mut s, |p| -p.q)?,
            _ => {}
        }
    }
    // BN254's x is positive: no conjugation of f, no negation of T. Then T + π(Q) and
    // T + π(Q) − π²(Q), as arkworks does.
    add(&mut f, &mut state, &mut s, |p| frobenius(&p.q))?;
    add(&mut f, &mut state, &mut s, |p| -frobenius(&frobenius(&p.q)))?;
    Some(f)
}

/// The untwist-Frobenius-twist endomorphism π on G2 (arkworks' `mul_by_char`).
fn frobenius(q: &G2Affine) -> G2Affine {
    let mut r = *q;
    r.x.frobenius_map_in_place(1);
    r.x *= &Config::TWIST_MUL_BY_Q_X;
    r.y.frobenius_map_in_place(1);
    r.y *= &Config::TWIST_MUL_BY_Q_Y;
    r
}

/// T ← 2T for every pair, multiplying f by each tangent line.
fn double(f: &mut Fq12, state: &mut [Pair], s: &mut Scratch) -> Option<()> {
    s.den.clear();
    s.den.extend(state.iter().map(|p| p.ty.double()));
    invert_fp2(&mut s.den, &mut s.norms, &mut s.prefix)?;
    for (pair, inv) in state.iter_mut().zip(&s.den) {
        let x2 = pair.tx.square();
        let lambda = (x2.double() + x2) * inv;
        let tx = pair.tx;
        let c = pair.step(&lambda, &tx);
        pair.p.mul_line(f, &lambda, &c);
    }
    Some(())
}

/// T ← T + R for every pair, R = `other(pair)`, multiplying f by each chord.
fn add(
    f: &mut Fq12,
    state: &mut [Pair],
    s: &mut Scratch,
    other: impl Fn(&Pair) -> G2Affine,
) -> Option<()> {
    s.den.clear();
    s.den.extend(state.iter().map(|p| p.tx - other(p).x));
    invert_fp2(&mut s.den, &mut s.norms, &mut s.prefix)?;
    for (pair, inv) in state.iter_mut().zip(&s.den) {
        let r = other(pair);
        let lambda = (pair.ty - r.y) * inv;
        let c = pair.step(&lambda, &r.x);
        pair.p.mul_line(f, &lambda, &c);
    }
    Some(())
}

/// Pairs G1 points given in arkworks' Jacobian coordinates (x = X/Z², y = Y/Z³) with G2
/// points, in [`miller_loop`]'s form, dropping pairs with a zero point (their pairing is 1).
/// One batch inversion of the Y coordinates gives 1/y = Z³/Y and x/y = XZ/Y, so the points
/// need no separate normalisation.
pub(super) fn pairs_from_jacobian(
    g1: &[G1Projective],
    g2: impl IntoIterator<Item = G2Affine>,
) -> Option<Vec<(LinePoint, G2Affine)>> {
    let kept: Vec<(&G1Projective, G2Affine)> = g1
        .iter()
        .zip(g2)
        .filter(|(p, q)| !p.z.is_zero() && !q.is_zero())
        .collect();
    let mut yinv: Vec<Fq> = kept.iter().map(|(p, _)| p.y).collect();
    invert_fp(&mut yinv, &mut Vec::new())?;
    Some(
        kept.into_iter()
            .zip(yinv)
            .map(|((p, q), big_yinv)| {
                let z3 = p.z.square() * p.z;
                let line = LinePoint {
                    xneg: -(p.x * p.z * big_yinv),
                    yinv: z3 * big_yinv,
                };
                (line, q)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use ark_bn254::{Bn254, G2Projective};
    use ark_ec::pairing::{MillerLoopOutput, Pairing};
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// e(P₁, Q₁)···e(Pₙ, Qₙ) through this module's loop and arkworks' final exponentiation.
    fn pairing(g1: &[G1Projective], g2: &[G2Affine]) -> Fq12 {
        let pairs = pairs_from_jacobian(g1, g2.iter().copied()).unwrap();
        let f = miller_loop(&pairs).unwrap();
        Bn254::final_exponentiation(MillerLoopOutput(f)).unwrap().0
    }

    /// The loop (shared accumulator, affine lines, normalised line evaluation) gives arkworks'
    /// pairing after the final exponentiation, for any number of pairs, also with non-affine
    /// Jacobian G1 inputs and with zero points on either side (their pairs contribute 1).
    #[test]
    fn matches_arkworks_multi_pairing() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for n in [1, 2, 3, 5, 17, 64] {
            // Sums, so the Jacobian Z coordinates are not 1.
            let mut g1: Vec<G1Projective> = (0..n)
                .map(|_| G1Projective::rand(&mut rng) + G1Projective::rand(&mut rng))
                .collect();
            let mut g2: Vec<G2Affine> = (0..n)
                .map(|_| G2Projective::rand(&mut rng).into_affine())
                .collect();
            let want = Bn254::multi_pairing(G1Projective::normalize_batch(&g1), &g2).0;
            assert_eq!(pairing(&g1, &g2), want, "n = {n}");
            g1[n / 2] = G1Projective::zero();
            g2[n - 1] = G2Affine::zero();
            let want = Bn254::multi_pairing(G1Projective::normalize_batch(&g1), &g2).0;
            assert_eq!(pairing(&g1, &g2), want, "n = {n}, with zeros");
        }
    }
}
