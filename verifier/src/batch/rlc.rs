//! The random-linear-combination batch equation of Groth16 over BN254, for a set of proofs
//! that already passed the cheap checks (right public-input count).
//!
//! The work is shaped for cost: rᵢ·Aᵢ are 128-bit scalar multiplications, not full 254-bit
//! ones, with a width-4 NAF (`super::scale`); Σ rᵢ·Cᵢ is one variable-base MSM; Σ rᵢ·PIᵢ is folded into
//! (Σ rᵢ)·IC₀ + Σⱼ (Σᵢ rᵢ·xᵢⱼ)·ICⱼ, one MSM over the key's few IC points instead of one per
//! proof. The n proof pairs are split into one chunk per rayon thread; each chunk runs one
//! Miller loop over all its pairs (`super::miller`: a shared accumulator, Bᵢ's lines computed
//! on the fly in affine coordinates with batched inversions), and the chunk outputs are
//! multiplied before the single final exponentiation.

use super::{miller, scale, BatchItem};
use crate::groth16::PreparedKey;
use ark_bn254::{Bn254, Fq12, Fr, G1Affine, G1Projective};
use ark_ec::pairing::{MillerLoopOutput, Pairing};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{BigInt, CyclotomicMultSubgroup, One, PrimeField, Zero};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;

/// A uniformly random non-zero 128-bit weight (zero would drop its proof from the check).
fn weight<R: RngCore + CryptoRng>(rng: &mut R) -> u128 {
    loop {
        let r = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        if r != 0 {
            return r;
        }
    }
}

/// The two 64-bit limbs of a weight, least significant first (arkworks' limb order).
fn limbs(r: u128) -> [u64; 2] {
    [r as u64, (r >> 64) as u64]
}

/// Whether the batch equation holds for the proofs `items[i]`, `i ∈ idx`, under fresh weights.
pub(super) fn holds<R: RngCore + CryptoRng>(
    key: &PreparedKey,
    items: &[BatchItem<'_>],
    idx: &[usize],
    rng: &mut R,
) -> bool {
    let weights: Vec<u128> = idx.iter().map(|_| weight(rng)).collect();
    let (proof_pairs, key_pairs) = rayon::join(
        || proof_pairs(items, idx, &weights),
        || key_pairs(key, items, idx, &weights),
    );
    let Some(proof_pairs) = proof_pairs else {
        return false;
    };
    let Some(lhs) = Bn254::final_exponentiation(MillerLoopOutput(proof_pairs * key_pairs)) else {
        return false;
    };
    let weight_sum: Fr = weights.iter().map(|&r| Fr::from(r)).sum();
    // e(α, β) is a pairing output, so it lies in the cyclotomic subgroup.
    let rhs = key
        .prepared()
        .alpha_g1_beta_g2
        .cyclotomic_exp(weight_sum.into_bigint());
    lhs.0 == rhs
}

/// ∏ᵢ f(rᵢ·Aᵢ, Bᵢ) (up to a factor the final exponentiation removes): one chunk per thread,
/// each a single [`miller::miller_loop`] over all its pairs. `None` if a chunk's loop met a
/// zero inversion (impossible for subgroup points; the caller then reports "not shown valid").
fn proof_pairs(items: &[BatchItem<'_>], idx: &[usize], weights: &[u128]) -> Option<Fq12> {
    let chunk = idx
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    idx.par_chunks(chunk)
        .zip(weights.par_chunks(chunk))
        .map(|(idx, weights)| {
            let a: Vec<G1Affine> = idx.iter().map(|&i| items[i].proof.a).collect();
            let scaled = scale::scale(&a, weights);
            let pairs =
                miller::pairs_from_jacobian(&scaled, idx.iter().map(|&i| items[i].proof.b))?;
            miller::miller_loop(&pairs)
        })
        .try_reduce(Fq12::one, |x, y| Some(x * y))
}

/// f(Σ rᵢ·PIᵢ, −γ) · f(Σ rᵢ·Cᵢ, −δ): the Miller-loop product of the two key pairs.
fn key_pairs(key: &PreparedKey, items: &[BatchItem<'_>], idx: &[usize], weights: &[u128]) -> Fq12 {
    let pvk = key.prepared();
    let ic = &pvk.vk.gamma_abc_g1;
    // coeffs[0] = Σ rᵢ, coeffs[j] = Σᵢ rᵢ·xᵢⱼ.
    let mut coeffs = vec![Fr::zero(); ic.len()];
    for (&i, &r) in idx.iter().zip(weights) {
        let r = Fr::from(r);
        coeffs[0] += r;
        for (c, x) in coeffs[1..].iter_mut().zip(items[i].inputs) {
            *c += r * x;
        }
    }
    let inputs = G1Projective::msm_unchecked(ic, &coeffs);

    let c: Vec<G1Affine> = idx.iter().map(|&i| items[i].proof.c).collect();
    let r: Vec<BigInt<4>> = weights
        .iter()
        .map(|&r| {
            let [lo, hi] = limbs(r);
            BigInt::new([lo, hi, 0, 0])
        })
        .collect();
    let c = G1Projective::msm_bigint(&c, &r);

    let g1 = G1Projective::normalize_batch(&[inputs, c]);
    Bn254::multi_miller_loop(
        g1,
        [pvk.gamma_g2_neg_pc.clone(), pvk.delta_g2_neg_pc.clone()],
    )
    .0
}
