//! Bits in R1CS: a typed 0/1 variable, range-checked decompositions (Codex's `ToBits`), the
//! canonical decomposition of a whole field element that the sampler's index extraction
//! needs (Codex's `ExtractLowerBits`), and the zero test (`IsZero`).
//!
//! Costs: `to_bits_le(x, n)` is `n` constraints (one bit is a linear combination, so the
//! recomposition is free); `canonical_bits_le` is 331 for BN254: 254 bits, and a comparison
//! with `r - 1` that is folded into the bits of its zero runs (`b·(1 - b - eq) = 0` both makes
//! `b` a bit and forces it to 0 while the prefix equals `r - 1`) plus 77 for the runs of ones.

use super::{lc, FrVar};
use crate::Fr;
use ark_ff::{AdditiveGroup, BigInteger, Field, One, PrimeField, Zero};
use ark_r1cs_std::{alloc::AllocVar, fields::fp::AllocatedFp, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

/// Number of bits of a canonical BN254 scalar (`2^253 < r < 2^254`).
pub const FIELD_BITS: usize = Fr::MODULUS_BIT_SIZE as usize;

/// A field variable constrained to 0 or 1. Only the constructors of this module make one, so
/// holding a `BitVar` means booleanity has been paid for once and can be reused freely.
#[derive(Debug, Clone)]
pub struct BitVar(FrVar);

impl BitVar {
    /// A constant bit (no variable, no constraint).
    pub fn constant(b: bool) -> Self {
        Self(FpVar::Constant(Fr::from(b)))
    }

    /// Allocates a private bit and constrains it to 0/1 (one constraint).
    pub fn new_witness(
        cs: &ConstraintSystemRef<Fr>,
        value: impl FnOnce() -> Result<bool, SynthesisError>,
    ) -> Result<Self, SynthesisError> {
        let x = FrVar::new_witness(cs.clone(), || value().map(Fr::from))?;
        enforce_boolean(&x)?;
        Ok(Self(x))
    }

    /// Wraps a variable the caller has already constrained to 0/1 by other means.
    pub(crate) fn assume_constrained(x: FrVar) -> Self {
        Self(x)
    }

    /// The bit as a field variable (0 or 1), to use in arithmetic.
    pub fn fp(&self) -> &FrVar {
        &self.0
    }

    /// The assigned value (missing during setup).
    pub fn value(&self) -> Result<bool, SynthesisError> {
        Ok(self.0.value()?.is_one())
    }

    /// `1 - self`: free, and still a bit.
    pub fn not(&self) -> Self {
        Self(FpVar::Constant(Fr::ONE) - &self.0)
    }

    /// `self ∧ other` (one constraint unless one side is constant).
    pub fn and(&self, other: &Self) -> Result<Self, SynthesisError> {
        Ok(Self(&self.0 * &other.0))
    }
}

/// Enforces `x·(1 - x) = 0` (one constraint); the caller wraps `x` in a [`BitVar`].
fn enforce_boolean(x: &FrVar) -> Result<(), SynthesisError> {
    if let FpVar::Constant(c) = x {
        return if c.is_zero() || c.is_one() {
            Ok(())
        } else {
            Err(SynthesisError::Unsatisfiable)
        };
    }
    let one = LinearCombination::from(Variable::One);
    x.cs()
        .enforce_r1cs_constraint(|| lc(x), || one - &lc(x), LinearCombination::zero)
}

/// A variable for a linear combination whose value the caller computes natively.
pub(crate) fn lc_var(
    cs: &ConstraintSystemRef<Fr>,
    combination: LinearCombination<Fr>,
    value: Option<Fr>,
) -> Result<FrVar, SynthesisError> {
    let variable = cs.new_lc(|| combination)?;
    Ok(FpVar::Var(AllocatedFp::new(value, variable, cs.clone())))
}

/// `2^i` for `i < n`.
fn powers_of_two(n: usize) -> Vec<Fr> {
    let mut p = Vec::with_capacity(n);
    let mut x = Fr::ONE;
    for _ in 0..n {
        p.push(x);
        x.double_in_place();
    }
    p
}

/// Allocates `n` little-endian bits whose recomposition is `x`: bits `0..n-1` are witnesses,
/// the top one is the linear combination `(x - Σ 2^i b_i) / 2^(n-1)`. No constraint yet.
fn recomposed_bits(
    x: &FrVar,
    n: usize,
    hint: Option<Vec<bool>>,
) -> Result<Vec<FrVar>, SynthesisError> {
    let cs = x.cs();
    let pow = powers_of_two(n);
    let mut bits = Vec::with_capacity(n);
    for i in 0..n - 1 {
        let b = hint.as_ref().map(|h| h[i]);
        bits.push(FrVar::new_witness(cs.clone(), || {
            b.map(Fr::from).ok_or(SynthesisError::AssignmentMissing)
        })?);
    }
    let inv_top = pow[n - 1].inverse().ok_or(SynthesisError::DivisionByZero)?;
    let mut top = lc(x);
    let mut top_value = x.value().ok();
    for (b, p) in bits.iter().zip(&pow) {
        top = top - (*p, &lc(b));
        top_value = top_value.zip(b.value().ok()).map(|(t, b)| t - b * p);
    }
    bits.push(lc_var(&cs, top * inv_top, top_value.map(|t| t * inv_top))?);
    Ok(bits)
}

/// The little-endian bits of the integer `v` (its low `n` bits).
fn value_bits(v: Fr, n: usize) -> Vec<bool> {
    let big = v.into_bigint();
    (0..n).map(|i| big.get_bit(i)).collect()
}

/// Decomposes `x` into `n` little-endian bits, enforcing `x < 2^n` (Codex's `ToBits(n)`);
/// `n` constraints. For `1 ≤ n < 253`, so the recomposition cannot wrap around `r`.
pub fn to_bits_le(x: &FrVar, n: usize) -> Result<Vec<BitVar>, SynthesisError> {
    if n == 0 || n >= FIELD_BITS - 1 {
        return Err(SynthesisError::Unsatisfiable);
    }
    if let FpVar::Constant(c) = x {
        if c.into_bigint().num_bits() as usize > n {
            return Err(SynthesisError::Unsatisfiable);
        }
        return Ok(value_bits(*c, n)
            .into_iter()
            .map(BitVar::constant)
            .collect());
    }
    let hint = x.value().ok().map(|v| value_bits(v, n));
    let bits = recomposed_bits(x, n, hint)?;
    for b in &bits {
        enforce_boolean(b)?;
    }
    Ok(bits.into_iter().map(BitVar).collect())
}

/// The unique little-endian bits of `x`'s canonical representative (all 254 of them),
/// enforcing that they encode an integer below `r`. Without that check a prover could use
/// `x + r` (which fits in 254 bits for about a third of all `x`) and so choose between two
/// different low-bit patterns.
pub fn canonical_bits_le(x: &FrVar) -> Result<Vec<BitVar>, SynthesisError> {
    if let FpVar::Constant(c) = x {
        return Ok(value_bits(*c, FIELD_BITS)
            .into_iter()
            .map(BitVar::constant)
            .collect());
    }
    let hint = x.value().ok().map(|v| value_bits(v, FIELD_BITS));
    canonical_bits_with_hint(x, hint)
}

/// The low `n` bits of `x`'s canonical representative (Codex's `ExtractLowerBits(n)`); the
/// whole canonical decomposition is paid for, whatever `n`.
pub fn low_bits_le(x: &FrVar, n: usize) -> Result<Vec<BitVar>, SynthesisError> {
    let mut bits = canonical_bits_le(x)?;
    bits.truncate(n);
    Ok(bits)
}

/// [`canonical_bits_le`] with the prover's bits given explicitly, so tests can try a
/// non-canonical decomposition.
pub(crate) fn canonical_bits_with_hint(
    x: &FrVar,
    hint: Option<Vec<bool>>,
) -> Result<Vec<BitVar>, SynthesisError> {
    let bits = recomposed_bits(x, FIELD_BITS, hint)?;
    let cs = x.cs();
    let bound = (-Fr::ONE).into_bigint(); // r - 1, whose top bit (253) is 1
    let one = LinearCombination::<Fr>::from(Variable::One);
    // `eq` = "bits above the current position equal those of r - 1"; None = still empty.
    let mut eq: Option<FrVar> = None;
    let mut hi = FIELD_BITS;
    while hi > 0 {
        let ones = bound.get_bit(hi - 1);
        let mut lo = hi - 1;
        while lo > 0 && bound.get_bit(lo - 1) == ones {
            lo -= 1;
        }
        let run = &bits[lo..hi];
        if ones {
            for b in run {
                enforce_boolean(b)?;
            }
            if lo > 0 {
                eq = Some(all_ones(&cs, eq.as_ref(), run)?);
            }
        } else {
            // A zero run always follows a run of ones: r - 1 starts with a one.
            let e = eq.as_ref().ok_or(SynthesisError::Unsatisfiable)?;
            for b in run {
                // b·(1 - b - eq) = 0: b is a bit, and 0 while the prefix equals r - 1.
                cs.enforce_r1cs_constraint(
                    || lc(b),
                    || one.clone() - &lc(b) - &lc(e),
                    LinearCombination::zero,
                )?;
            }
        }
        hi = lo;
    }
    Ok(bits.into_iter().map(BitVar).collect())
}

/// `eq ∧ (every bit of run is 1)`, for bits already constrained to 0/1: a product for a
/// single bit (or a pair without `eq`), otherwise `IsZero(len + eq_missing - eq - Σ b)`.
fn all_ones(
    cs: &ConstraintSystemRef<Fr>,
    eq: Option<&FrVar>,
    run: &[FrVar],
) -> Result<FrVar, SynthesisError> {
    match (eq, run) {
        (None, [b]) => Ok(b.clone()),
        (None, [a, b]) | (Some(a), [b]) => Ok(a * b),
        _ => {
            let mut terms: Vec<&FrVar> = run.iter().collect();
            terms.extend(eq);
            let n = Fr::from(terms.len() as u64);
            let mut deficit = LinearCombination::from((n, Variable::One));
            let mut value = Some(n);
            for t in &terms {
                deficit = deficit - &lc(t);
                value = value.zip(t.value().ok()).map(|(v, t)| v - t);
            }
            let deficit = lc_var(cs, deficit, value)?;
            Ok(is_zero(&deficit)?.0)
        }
    }
}

/// `1` if `v = 0`, else `0` (Codex's `IsZero`): two constraints, `v·inv = 1 - out` and
/// `v·out = 0`, which also make `out` a bit.
pub fn is_zero(v: &FrVar) -> Result<BitVar, SynthesisError> {
    if let FpVar::Constant(c) = v {
        return Ok(BitVar::constant(c.is_zero()));
    }
    let cs = v.cs();
    let value = v.value().ok();
    let out = FrVar::new_witness(cs.clone(), || {
        value
            .map(|v| Fr::from(v.is_zero()))
            .ok_or(SynthesisError::AssignmentMissing)
    })?;
    let inv = FrVar::new_witness(cs.clone(), || {
        value
            .map(|v| v.inverse().unwrap_or(Fr::ZERO))
            .ok_or(SynthesisError::AssignmentMissing)
    })?;
    let one = LinearCombination::from(Variable::One);
    cs.enforce_r1cs_constraint(|| lc(v), || lc(&inv), || one - &lc(&out))?;
    cs.enforce_r1cs_constraint(|| lc(v), || lc(&out), LinearCombination::zero)?;
    Ok(BitVar(out))
}
