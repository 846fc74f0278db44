//! Quorum: merging every verifier's attestation batches into final verdicts and certificates.
//!
//! The [`AttestationPool`] is a grow-only set of signature-checked batches (a CRDT: merging is
//! a union, so two nodes that have seen the same batches, in any order, hold the same pool).
//! Everything else is a pure function of that set: equivocation evidence, the final verdict
//! of a (slot, period) — the verdict signed by verifiers holding ≥ 2/3 of the set's weight,
//! where a verifier that signed conflicting verdicts for it counts for none — and the
//! [`QuorumCertificate`](proofmesh_proto::QuorumCertificate) proving it, which
//! [`verify_certificate`] checks with nothing but the verifier set.

mod certificate;
mod pool;
mod tally;
mod verified;

pub use certificate::{check_certificate, verify_certificate};
pub use pool::{AttestationPool, Equivocation, InsertOutcome};
pub use verified::{check_batch, VerifiedBatch, VerifiedCertificate};
