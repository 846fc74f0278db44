//! Groth16 verification for proofmesh, as pure logic (no async runtime, no storage, no
//! network): parsing of snarkjs JSON (the format of Codex's keys and proofs) with full
//! validation into arkworks types, verification with a key prepared once, and batch
//! verification of many proofs under one key (random linear combination, bisection on failure).

pub mod attest;
pub mod batch;
pub mod circuit_id;
pub mod duty;
pub mod error;
pub mod groth16;
pub mod health;
pub mod intake;
pub mod quorum;
pub mod snarkjs;

pub use attest::{sign_batch, verify_batch_signature, VerifierKeypair};
pub use batch::{verify_batch, BatchItem};
pub use circuit_id::CircuitId;
pub use error::AttestError;
pub use error::{SnarkjsError, VerifyError};
pub use groth16::PreparedKey;
pub use health::{HealthConfig, HealthEffect, HealthEvent, HealthState};
pub use quorum::{verify_certificate, AttestationPool, Equivocation, InsertOutcome};
