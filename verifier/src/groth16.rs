//! Single Groth16 verification over BN254 with a key prepared once (the pairing e(α, β) and
//! the negated, line-prepared γ and δ are computed at load, not per proof).

use crate::error::VerifyError;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, VerifyingKey};

/// A verifying key ready for repeated verification.
#[derive(Clone, Debug)]
pub struct PreparedKey {
    pvk: PreparedVerifyingKey<Bn254>,
}

impl PreparedKey {
    /// Prepares `vk`; do this once per key, not per proof.
    pub fn new(vk: &VerifyingKey<Bn254>) -> Self {
        Self {
            pvk: ark_groth16::prepare_verifying_key(vk),
        }
    }

    /// Number of public inputs this key takes.
    pub fn n_public(&self) -> usize {
        self.pvk.vk.gamma_abc_g1.len() - 1
    }

    /// The underlying verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bn254> {
        &self.pvk.vk
    }

    /// The prepared key, for batch verification.
    pub fn prepared(&self) -> &PreparedVerifyingKey<Bn254> {
        &self.pvk
    }

    /// Checks `proof` against `inputs`: `Ok(true)` valid, `Ok(false)` invalid. The input count
    /// is checked first: arkworks would silently ignore missing or extra inputs.
    pub fn verify(&self, proof: &Proof<Bn254>, inputs: &[Fr]) -> Result<bool, VerifyError> {
        if inputs.len() != self.n_public() {
            return Err(VerifyError::PublicInputCount {
                got: inputs.len(),
                want: self.n_public(),
            });
        }
        // `prepare_inputs` and the pairing check cannot fail for well-formed inputs; any
        // error there is treated as an invalid proof, never as success.
        Ok(Groth16::<Bn254>::verify_proof(&self.pvk, proof, inputs).unwrap_or(false))
    }
}
