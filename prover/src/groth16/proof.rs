//! The binary proof format: arkworks' compressed serialization of `(A, B, C)`, 128 bytes
//! (G1 32 + G2 64 + G1 32), read back with full validation (on curve, in the subgroup).

use crate::error::ProverError;
use ark_bn254::Bn254;
use ark_groth16::Proof;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

/// Bytes of a compressed BN254 Groth16 proof.
pub const PROOF_BYTES: usize = 128;

/// The 128-byte encoding of `proof`.
pub fn proof_to_bytes(proof: &Proof<Bn254>) -> [u8; PROOF_BYTES] {
    let mut out = [0u8; PROOF_BYTES];
    // A compressed proof is exactly 128 bytes: writing into a slice of that size cannot fail.
    let _ = proof.serialize_compressed(&mut out[..]);
    out
}

/// Decodes and validates a 128-byte proof.
pub fn proof_from_bytes(bytes: &[u8]) -> Result<Proof<Bn254>, ProverError> {
    if bytes.len() != PROOF_BYTES {
        return Err(ProverError::ProofBytes(format!(
            "{} bytes, a compressed proof has {PROOF_BYTES}",
            bytes.len()
        )));
    }
    Proof::deserialize_compressed(bytes).map_err(|e| ProverError::ProofBytes(e.to_string()))
}
