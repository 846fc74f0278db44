//! proofmesh's protocol crate: the domain types verifiers and provers exchange (dataset
//! announcements, slot assignments, proof envelopes, attestation batches, quorum certificates)
//! and their canonical wire encodings, with the validating conversions that are the one place
//! untrusted bytes become domain types.
//!
//! The foundation release has no network messages yet: the only formats crossing a trust
//! boundary are snarkjs and Codex JSON files, parsed and validated in `proofmesh-verifier`
//! and `proofmesh-circuits`. The message types arrive with the verification engine.
