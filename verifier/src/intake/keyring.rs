//! The circuits a network accepts, by circuit id: one [`CircuitVerifier`] each (any proof
//! system), prepared once and shared with the verification workers.

use crate::circuit_id::circuit_id_of;
use crate::system::{CircuitVerifier, Groth16Verifier};
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use proofmesh_proto::CircuitId;
use std::collections::HashMap;
use std::sync::Arc;

/// Verifiers indexed by circuit id (Codex's key, proofmesh's own keys, a halo2 circuit, …).
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: HashMap<CircuitId, Arc<dyn CircuitVerifier>>,
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a Groth16 key and returns its circuit id.
    pub fn insert(&mut self, vk: &VerifyingKey<Bn254>) -> CircuitId {
        let id = circuit_id_of(vk);
        self.keys.insert(id, Arc::new(Groth16Verifier::new(vk)));
        id
    }

    /// Adds the verifier of a circuit of any proof system under its id.
    pub fn insert_verifier(&mut self, id: CircuitId, verifier: Arc<dyn CircuitVerifier>) {
        self.keys.insert(id, verifier);
    }

    /// The verifier of a circuit.
    pub fn get(&self, id: &CircuitId) -> Option<&Arc<dyn CircuitVerifier>> {
        self.keys.get(id)
    }
}
