//! Groth16 over BN254, as a [`CircuitVerifier`]: 128-byte compressed proofs, randomised batch
//! verification with bisection (`crate::batch`).

use super::subgroup::g2_in_subgroup;
use super::{BatchRng, CircuitVerifier, DecodeProofError, DecodedProof, DynRng};
use crate::batch::{verify_batch, BatchItem};
use crate::groth16::PreparedKey;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, Compress, Validate};
use proofmesh_proto::{ProofSystem, PROOF_BYTES};

/// One Groth16 verifying key, prepared once.
#[derive(Clone, Debug)]
pub struct Groth16Verifier {
    key: PreparedKey,
}

impl Groth16Verifier {
    /// Prepares `vk`.
    pub fn new(vk: &VerifyingKey<Bn254>) -> Self {
        Self {
            key: PreparedKey::new(vk),
        }
    }

    /// The prepared key.
    pub fn key(&self) -> &PreparedKey {
        &self.key
    }
}

impl CircuitVerifier for Groth16Verifier {
    fn system(&self) -> ProofSystem {
        ProofSystem::GROTH16_BN254
    }

    fn n_public(&self) -> usize {
        self.key.n_public()
    }

    fn decode(&self, system: ProofSystem, bytes: &[u8]) -> Result<DecodedProof, DecodeProofError> {
        if system != ProofSystem::GROTH16_BN254 {
            return Err(DecodeProofError::WrongSystem {
                got: system,
                want: ProofSystem::GROTH16_BN254,
            });
        }
        if bytes.len() != PROOF_BYTES {
            return Err(DecodeProofError::Malformed(format!(
                "{} bytes; a compressed Groth16 proof has {PROOF_BYTES}",
                bytes.len()
            )));
        }
        // Decompression puts each point on its curve (or fails); G1 is the whole curve over
        // Fq, so only B needs the subgroup test, done by our faster check.
        let proof = Proof::<Bn254>::deserialize_with_mode(bytes, Compress::Yes, Validate::No)
            .map_err(|e| DecodeProofError::Malformed(e.to_string()))?;
        if !(proof.a.is_on_curve() && proof.c.is_on_curve() && proof.b.is_on_curve()) {
            return Err(DecodeProofError::Malformed(
                "a point is not on its curve".into(),
            ));
        }
        if !g2_in_subgroup(&proof.b) {
            return Err(DecodeProofError::Malformed(
                "B is not in the prime-order subgroup of G2".into(),
            ));
        }
        Ok(DecodedProof::Groth16(proof))
    }

    fn verify_batch(&self, items: &[(&DecodedProof, &[Fr])], rng: &mut dyn BatchRng) -> Vec<bool> {
        let batch: Vec<BatchItem<'_>> = items
            .iter()
            .map(|(p, inputs)| match p {
                DecodedProof::Groth16(proof) => BatchItem::new(proof, inputs),
            })
            .collect();
        verify_batch(&self.key, &batch, &mut DynRng(rng))
            .into_iter()
            .map(|r| matches!(r, Ok(true)))
            .collect()
    }
}
