//! The two ways Codex's circuit turns a private count into a depth mask (`mask[i] = 1` for the
//! levels `i` below the tree's real depth): `CeilingLog2` for the dataset tree (any number of
//! slots, from the bits of `nSlots - 1`) and `Log2` for the slot tree (`nCells` must be a power
//! of two). The masks are shared by every sample, so they are paid for once.

use super::{
    bits::{lc_var, BitVar},
    enforce_product, FrVar,
};
use crate::Fr;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
use ark_relations::gr1cs::{SynthesisError, Variable};
use num_bigint::BigUint;

/// Codex's `CeilingLog2(n).mask` from the bits of `last = n - 1`: `mask[i] = 1` iff some bit of
/// `last` at or above `i` is set (`2^i ≤ n - 1`, so level `i` is below the root). Returns the
/// entries for levels `1..len` (level 0 is always 1 where it is used); `len - 2` constraints.
pub fn ceiling_log2_mask(last_bits: &[BitVar]) -> Result<Vec<BitVar>, SynthesisError> {
    let len = last_bits.len();
    // none[i] = "no bit at or above i is set", built from the top: none[len] = 1.
    let mut none = BitVar::constant(true);
    let mut mask = vec![BitVar::constant(false); len.saturating_sub(1)];
    for i in (1..len).rev() {
        none = if i == len - 1 {
            last_bits[i].not()
        } else {
            none.and(&last_bits[i].not())?
        };
        mask[i - 1] = none.not();
    }
    Ok(mask)
}

/// Codex's `Log2(maxLog2)`: enforces `n = 2^k` with `1 ≤ k ≤ max_log2` and returns the mask
/// bits `[i < k]` for levels `1..max_log2`; `max_log2` constraints.
///
/// The mask `m` (with `m_0 = 1`, `m_max = 0`) is the witness, tied to `n` by the last entry
/// being the linear combination that makes `n = 2 + Σ_{i ≥ 1} 2^i m_i`, and
/// `(m_i - m_{i+1})·(i + 1 - Σ m) = 0` for every `i`: all changes of `m` happen at one index,
/// and `m_0 - m_max = 1`, so `m` is a single step of 0/1 values and `n` a power of two.
pub fn power_of_two_mask(n: &FrVar, max_log2: usize) -> Result<Vec<BitVar>, SynthesisError> {
    if max_log2 == 0 || max_log2 > 64 {
        return Err(SynthesisError::Unsatisfiable);
    }
    if max_log2 == 1 {
        enforce_product(
            n,
            &FrVar::Constant(Fr::ONE),
            &FrVar::Constant(Fr::from(2u64)),
        )?;
        return Ok(Vec::new());
    }
    let cs = n.cs();
    if cs.is_none() {
        return Err(SynthesisError::Unsatisfiable); // nCells is always a witness
    }
    let n_value = n.value().ok().map(|v| BigUint::from(v.into_bigint()));
    let below = |i: usize| n_value.as_ref().map(|n| (BigUint::from(1u8) << i) < *n);
    // m_1 .. m_{max-2} are witnesses; m_{max-1} = (n - 2 - Σ 2^i m_i) / 2^(max-1).
    let mut m: Vec<FrVar> = vec![FrVar::Constant(Fr::ONE)];
    let mut pow = Fr::from(2u64);
    let mut top = super::lc(n) - (Fr::from(2u64), Variable::One);
    let mut top_value = n.value().ok().map(|v| v - Fr::from(2u64));
    for i in 1..max_log2 - 1 {
        let bit = below(i);
        let v = FrVar::new_witness(cs.clone(), || {
            bit.map(Fr::from).ok_or(SynthesisError::AssignmentMissing)
        })?;
        top = top - (pow, &super::lc(&v));
        top_value = top_value.zip(bit).map(|(t, b)| t - pow * Fr::from(b));
        m.push(v);
        pow.double_in_place();
    }
    let inv = pow.inverse().ok_or(SynthesisError::DivisionByZero)?;
    m.push(lc_var(&cs, top * inv, top_value.map(|t| t * inv))?);
    m.push(FrVar::Constant(Fr::ZERO));
    // k = Σ m_i, the claimed log2.
    let mut k = FrVar::Constant(Fr::ZERO);
    for x in &m {
        k += x;
    }
    for i in 0..max_log2 {
        let change = &m[i] - &m[i + 1];
        let other = FrVar::Constant(Fr::from(i as u64 + 1)) - &k;
        enforce_product(&change, &other, &FrVar::Constant(Fr::ZERO))?;
    }
    Ok(m[1..max_log2]
        .iter()
        .cloned()
        .map(BitVar::assume_constrained)
        .collect())
}
