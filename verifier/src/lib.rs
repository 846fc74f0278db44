//! Groth16 verification for proofmesh, as pure logic (no async runtime, no storage, no
//! network): parsing of snarkjs JSON (the format of Codex's keys and proofs) with full
//! validation into arkworks types, verification with a key prepared once, and batch
//! verification of many proofs under one key (random linear combination, bisection on failure).

pub mod batch;
pub mod circuit_id;
pub mod error;
pub mod groth16;
pub mod snarkjs;

pub use batch::{verify_batch, BatchItem};
pub use circuit_id::CircuitId;
pub use error::{SnarkjsError, VerifyError};
pub use groth16::PreparedKey;
