//! Each gadget against its native twin on seeded random inputs: same values, satisfied
//! constraint systems, exact constraint counts, and unsatisfied systems for bad witnesses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bits;
mod merkle;
mod poseidon2;

use super::FrVar;
use crate::Fr;
use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn cs() -> ConstraintSystemRef<Fr> {
    ConstraintSystem::new_ref()
}

fn witness(cs: &ConstraintSystemRef<Fr>, v: Fr) -> FrVar {
    FrVar::new_witness(cs.clone(), || Ok(v)).unwrap()
}

fn value(x: &FrVar) -> Fr {
    x.value().unwrap()
}
