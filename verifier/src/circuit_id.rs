//! The `circuit_id` of a verifying key: SHA-256 over a domain tag and the key's canonical
//! compressed serialization. A proof names the circuit it is for by this id, so a verifier
//! picks the key without trusting the sender, and two keys never share an id by accident.
//! The id type itself is the protocol's ([`proofmesh_proto::CircuitId`]): one type everywhere.

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use ark_serialize::CanonicalSerialize;
pub use proofmesh_proto::CircuitId;
use sha2::{Digest, Sha256};

/// Domain tag: versioned so a future encoding change cannot collide with today's ids.
const TAG: &[u8] = b"proofmesh/circuit-id/v1/groth16-bn254";

/// The id of a Groth16 key `vk` (the same for a key read from snarkjs JSON or from arkworks
/// bytes).
pub fn circuit_id_of(vk: &VerifyingKey<Bn254>) -> CircuitId {
    let mut bytes = Vec::with_capacity(vk.compressed_size());
    // Serializing into a Vec cannot fail: it only fails on writer errors.
    let _ = vk.serialize_compressed(&mut bytes);
    let mut h = Sha256::new();
    h.update(TAG);
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(&bytes);
    CircuitId(h.finalize().into())
}
