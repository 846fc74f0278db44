//! The prover side of proofmesh: slot files on disk → Codex commitments and circuit inputs.
//!
//! Synchronous and CPU-bound (rayon, no async runtime). Slot data is streamed block by block,
//! so memory stays bounded whatever the slot size; only one hash per block is kept.

pub mod dataset;
pub mod error;
pub mod slot_file;

pub use dataset::{circuit_input, commit, DatasetCommitment};
pub use error::ProverError;
pub use slot_file::SlotFile;
