//! Proof intake, as typed stages: a gossiped [`ProofEnvelope`](proofmesh_proto::ProofEnvelope)
//! becomes a [`CheckedProof`] after the cheap checks (known slot, duty, period window, provider
//! signature, dedupe, well-formed proof), and a [`VerifiedProof`] only after Groth16
//! verification — a type nothing outside this module can construct, so the aggregator and the
//! store can only ever be handed verified proofs.

mod error;
mod keyring;
pub mod records;
mod registry;
mod stages;

pub use error::{GossipAction, IntakeError};
pub use keyring::KeyRing;
pub(crate) use registry::provider_signature_ok;
pub use registry::{slot_roots_match, Registry};
pub use stages::{verify_checked, CheckedProof, Intake, VerifiedProof};
