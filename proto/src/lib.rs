//! proofmesh's protocol crate: the domain types verifiers and provers exchange (dataset
//! announcements, slot assignments, proof envelopes, attestation batches, quorum certificates,
//! repair requests) and their canonical wire encodings, with the validating conversions that
//! are the one place untrusted bytes become domain types.

pub mod domain;
pub mod wire;

pub use domain::*;
pub use wire::{DecodeError, WireMessage};
