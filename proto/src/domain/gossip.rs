//! Every kind of message the mesh gossips, as one enum: what the node's swarm decodes and what
//! the mesh engine takes and publishes.

use super::messages::{
    AttestationBatch, DatasetAnnounce, Heartbeat, ProofEnvelope, QuorumCertificate, RepairClaim,
    RepairRequest, SlotAssign,
};

/// A decoded gossip message (one variant per message kind).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "messages are moved once from the decoder to the engine; boxing buys nothing"
)]
pub enum GossipMessage {
    /// A dataset announcement (registry topic).
    Announce(DatasetAnnounce),
    /// A slot claim (registry topic).
    Assign(SlotAssign),
    /// A storage proof (proofs topic).
    Proof(ProofEnvelope),
    /// A verifier's signed batch (attestations topic).
    Attestation(AttestationBatch),
    /// A quorum certificate (certificates topic).
    Certificate(QuorumCertificate),
    /// A repair request (repair topic).
    Repair(RepairRequest),
    /// A provider's heartbeat (heartbeats topic).
    Heartbeat(Heartbeat),
    /// A volunteer's repair claim (repair topic).
    Claim(RepairClaim),
}
