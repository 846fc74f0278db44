//! The prover side of proofmesh: slot files on disk → Codex commitments, circuit inputs and
//! Groth16 proofs of the storage-proof circuit.
//!
//! Synchronous and CPU-bound (rayon, no async runtime). Slot data is streamed block by block,
//! so memory stays bounded whatever the slot size; only one hash per block is kept. The
//! pipeline ([`pipeline`]) checks natively before it proves: the root on record, the circuit
//! input, then every constraint against the witness, so bad data fails in milliseconds with a
//! readable error and never yields a proof.

pub mod dataset;
pub mod error;
pub mod groth16;
pub mod pipeline;
pub mod progress;
pub mod slot_file;

pub use dataset::{
    circuit_input, circuit_input_for_slot, commit, commit_with_progress, dataset_tree,
    DatasetCommitment,
};
pub use error::{KeyError, ProverError};
pub use groth16::{setup, Prover};
pub use pipeline::{prove_held, prove_slot, prove_slots, ProveRequest, SlotProof};
pub use progress::{NoProgress, Progress, Stage};
pub use slot_file::SlotFile;

/// A cryptographic RNG, taken as a trait object so the generic arkworks code is compiled in
/// this crate (optimised even in dev builds) rather than in each caller: `&mut OsRng`, or a
/// seeded `ChaCha20Rng` in tests.
pub trait CryptoRngDyn: rand::RngCore + rand::CryptoRng {}

impl<T: rand::RngCore + rand::CryptoRng> CryptoRngDyn for T {}
