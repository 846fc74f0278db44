//! Groth16 verification for proofmesh, as pure logic (no async runtime, no storage, no
//! network): parsing of snarkjs JSON (the format of Codex's keys and proofs) with full
//! validation into arkworks types, and verification with a key prepared once.

pub mod error;
pub mod groth16;
pub mod snarkjs;

pub use error::{SnarkjsError, VerifyError};
pub use groth16::PreparedKey;
