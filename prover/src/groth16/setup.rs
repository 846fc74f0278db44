//! Circuit-specific Groth16 setup of the storage-proof circuit.
//!
//! The toxic waste (α, β, γ, δ, τ) is drawn from the caller's RNG and dropped when this
//! returns: whoever runs setup could forge proofs, so a deployment either trusts its operator
//! or uses keys from a ceremony (Codex's are from one). proofmesh's own keys are for testing
//! and for networks that accept that trust.

use crate::error::ProverError;
use crate::groth16::keys::params_text;
use crate::CryptoRngDyn;
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey};
use proofmesh_circuits::gadgets::StorageProofCircuit;
use proofmesh_circuits::slot::FIELD_ELEMS_PER_CELL;
use proofmesh_circuits::CircuitParams;

/// Checks that `params` describe a circuit slot files can be proven against: Codex's slot
/// layout (64 KiB blocks = 32 cells of 67 field elements, `blockTreeDepth` 5), a slot tree
/// deeper than a block, at most `2^32` slots, at least one sample.
pub fn check_params(p: &CircuitParams) -> Result<(), ProverError> {
    let why = if p.block_tree_depth != 5 || p.field_elems_per_cell != FIELD_ELEMS_PER_CELL {
        Some("slot files have Codex's layout: blockTreeDepth 5, 67 field elements per cell")
    } else if !(6..=64).contains(&p.max_depth) {
        Some("maxDepth must be from 6 (one level above a block) to 64")
    } else if !(1..=32).contains(&p.max_log2_slots) {
        Some("maxLog2NSlots must be from 1 to 32")
    } else if p.n_samples == 0 {
        Some("at least one sample")
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => Err(ProverError::Params {
            params: params_text(p),
            why,
        }),
    }
}

/// Generates a proving key (its verifying key is `pk.vk`) for `StorageProofCircuit` with
/// `params`. CPU-bound and parallel on the current rayon pool.
pub fn setup(
    params: &CircuitParams,
    rng: &mut dyn CryptoRngDyn,
) -> Result<ProvingKey<Bn254>, ProverError> {
    check_params(params)?;
    Ok(Groth16::<Bn254>::generate_random_parameters_with_reduction(
        StorageProofCircuit::blank(*params),
        &mut &mut *rng,
    )?)
}
