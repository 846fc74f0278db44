//! The verification engine of proofmesh, as pure logic (no async runtime, no storage, no
//! network; the node drives it):
//!
//! - [`snarkjs`], [`groth16`], [`batch`], [`circuit_id`]: Groth16 proofs and keys (Codex's
//!   snarkjs JSON, proofmesh's own), verified singly or in batches;
//! - [`duty`]: periods, entropy sources and the die roll that says which slot owes a proof;
//! - [`intake`]: the typed stages a gossiped proof goes through (`ProofEnvelope` →
//!   `CheckedProof` → `VerifiedProof`), each refusal mapped to a gossip verdict;
//! - [`attest`], [`quorum`]: BLS-signed attestation batches, their grow-only pool, final
//!   verdicts at ≥ 2/3 of the weight and self-verifying quorum certificates;
//! - [`health`]: the dataset-health state machine driven by final verdicts.

pub mod attest;
pub mod batch;
pub mod circuit_id;
pub mod duty;
pub mod engine;
pub mod error;
pub mod groth16;
pub mod health;
pub mod intake;
pub mod quorum;
pub mod repair;
pub mod snarkjs;
pub mod system;

pub use attest::{
    check_repair_request, sign_batch, sign_repair_request, verify_batch_signature,
    verify_repair_request, VerifierKeypair,
};
pub use batch::{verify_batch, BatchItem};
pub use circuit_id::{circuit_id_of, CircuitId};
pub use error::{AttestError, RepairEvidenceError};
pub use error::{SnarkjsError, VerifyError};
pub use groth16::PreparedKey;
pub use health::{HealthConfig, HealthEffect, HealthEvent, HealthState};
pub use quorum::{
    check_batch, check_certificate, verify_certificate, AttestationPool, Equivocation,
    InsertOutcome, VerifiedBatch, VerifiedCertificate,
};
