//! R1CS gadgets over BN254's scalar field (arkworks `gr1cs`) that mirror the native code of
//! this crate one to one, and the storage-proof circuit built from them.
//!
//! Each gadget has a native twin (`crate::poseidon2`, `crate::sponge`, `crate::merkle`, …) it
//! is tested against, and constrains exactly what Codex's circom circuit constrains, in fewer
//! R1CS constraints: linear layers, additions and constant multiplications are free
//! (symbolic linear combinations), so only multiplications cost. `docs/circuit.md` counts
//! them.

pub mod bits;
pub mod circuit;
pub mod mask;
pub mod merkle;
pub mod poseidon2;
pub mod sponge;

pub use bits::BitVar;
pub use circuit::StorageProofCircuit;

use crate::Fr;
use ark_r1cs_std::{fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{LinearCombination, SynthesisError, Variable};

/// Field-element variables of the circuit (BN254 scalars).
pub type FrVar = FpVar<Fr>;

/// The linear combination an `FrVar` stands for, to write constraints by hand where a fused
/// constraint saves one that the `FpVar` operators would spend.
pub(crate) fn lc(x: &FrVar) -> LinearCombination<Fr> {
    match x {
        FpVar::Constant(c) => LinearCombination::from((*c, Variable::One)),
        FpVar::Var(v) => LinearCombination::from(v.variable),
    }
}

/// Enforces `a·b = c` as one constraint (checked directly when all three are constants).
pub(crate) fn enforce_product(a: &FrVar, b: &FrVar, c: &FrVar) -> Result<(), SynthesisError> {
    let cs = a.cs().or(b.cs()).or(c.cs());
    if cs.is_none() {
        return if a.value()? * b.value()? == c.value()? {
            Ok(())
        } else {
            Err(SynthesisError::Unsatisfiable)
        };
    }
    cs.enforce_r1cs_constraint(|| lc(a), || lc(b), || lc(c))
}

#[cfg(test)]
mod tests;
