//! The verifying keys a network accepts, by circuit id, prepared once.

use crate::circuit_id::CircuitId as KeyId;
use crate::groth16::PreparedKey;
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use proofmesh_proto::CircuitId;
use std::collections::HashMap;

/// Prepared verifying keys indexed by circuit id (Codex's key, proofmesh's own keys, …).
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: HashMap<CircuitId, PreparedKey>,
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key and returns its circuit id.
    pub fn insert(&mut self, vk: &VerifyingKey<Bn254>) -> CircuitId {
        let id = CircuitId(KeyId::of(vk).0);
        self.keys.insert(id, PreparedKey::new(vk));
        id
    }

    /// The prepared key of a circuit.
    pub fn get(&self, id: &CircuitId) -> Option<&PreparedKey> {
        self.keys.get(id)
    }
}
