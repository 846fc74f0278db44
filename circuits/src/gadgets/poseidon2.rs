//! The Poseidon2 permutation (BN254, t = 3) and Codex's keyed compression as R1CS gadgets,
//! with the round constants of the native code (`crate::poseidon2`), so the two cannot drift.
//!
//! Cost: 3 constraints per S-box (`x²`, `x⁴`, `x⁵`); the linear layers and round constants
//! are free, so a permutation is 8 × 3 + 56 × 1 = 80 S-boxes = 240 constraints, the R1CS
//! minimum for x⁵ (a product of two linear forms has degree 2, so degree 5 needs three).

use super::FrVar;
use crate::poseidon2::{final_external_constants, initial_external_constants, internal_constants};
use crate::Fr;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;

/// Constraints of one permutation (for budgets and tests).
pub const PERMUTATION_CONSTRAINTS: usize = 240;

/// `x⁵` in three constraints (none if `x` is constant).
fn sbox(x: &FrVar) -> Result<FrVar, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(&x4 * x)
}

/// `x_i + Σx`: the external matrix circ(2, 1, 1), free.
fn external_linear(s: &mut [FrVar; 3]) {
    let sum = &s[0] + &s[1] + &s[2];
    for x in s.iter_mut() {
        *x += &sum;
    }
}

/// `x + Σx` with `x_2` doubled: the internal matrix [[2,1,1],[1,2,1],[1,1,3]], free.
fn internal_linear(s: &mut [FrVar; 3]) {
    let sum = &s[0] + &s[1] + &s[2];
    s[0] += &sum;
    s[1] += &sum;
    s[2] = &s[2] * Fr::from(2u64) + &sum;
}

fn external_round(s: &mut [FrVar; 3], c: &[Fr; 3]) -> Result<(), SynthesisError> {
    for (x, c) in s.iter_mut().zip(c) {
        *x = sbox(&(&*x + *c))?;
    }
    external_linear(s);
    Ok(())
}

/// The permutation of `state`, exactly as `crate::poseidon2::permute` computes it.
pub fn permute(state: &[FrVar; 3]) -> Result<[FrVar; 3], SynthesisError> {
    let mut s = state.clone();
    external_linear(&mut s);
    for c in initial_external_constants() {
        external_round(&mut s, c)?;
    }
    for c in internal_constants() {
        s[0] = sbox(&(&s[0] + *c))?;
        internal_linear(&mut s);
    }
    for c in final_external_constants() {
        external_round(&mut s, c)?;
    }
    Ok(s)
}

/// Codex's keyed compression `Perm(x, y, key)[0]`; the key is a variable because in a path
/// it depends on the tree's shape (it is usually a constant or a linear combination).
pub fn compress(x: &FrVar, y: &FrVar, key: &FrVar) -> Result<FrVar, SynthesisError> {
    let [out, _, _] = permute(&[x.clone(), y.clone(), key.clone()])?;
    Ok(out)
}
