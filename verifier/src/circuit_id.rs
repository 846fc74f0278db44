//! The `circuit_id` of a verifying key: SHA-256 over a domain tag and the key's canonical
//! compressed serialization. A proof names the circuit it is for by this id, so a verifier
//! picks the key without trusting the sender, and two keys never share an id by accident.

use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use ark_serialize::CanonicalSerialize;
use sha2::{Digest, Sha256};

/// Domain tag: versioned so a future encoding change cannot collide with today's ids.
const TAG: &[u8] = b"proofmesh/circuit-id/v1/groth16-bn254";

/// A 32-byte content id of a verifying key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CircuitId(pub [u8; 32]);

impl CircuitId {
    /// The id of `vk` (the same for a key read from snarkjs JSON or from arkworks bytes).
    pub fn of(vk: &VerifyingKey<Bn254>) -> Self {
        let mut bytes = Vec::with_capacity(vk.compressed_size());
        // Serializing into a Vec cannot fail: it only fails on writer errors.
        let _ = vk.serialize_compressed(&mut bytes);
        let mut h = Sha256::new();
        h.update(TAG);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
        Self(h.finalize().into())
    }

    /// Lower-case hex, as logs and configuration files show it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Display for CircuitId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}
