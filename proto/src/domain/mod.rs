//! Domain types: the validated values every other crate works with. They are built from wire
//! messages only through the `TryFrom` conversions in `crate::wire`, so holding one means its
//! invariants (lengths, ranges, canonical field elements, order) hold.

mod gossip;
mod ids;
mod keys;
mod messages;
mod signers;
mod verdict;
mod verifier_set;

pub use gossip::GossipMessage;
pub use ids::{CircuitId, ContentId, DatasetRoot, Period, SlotId, SlotRoot, MAX_SLOTS};
pub use keys::{BlsPublicKey, BlsSignature, ProviderKey, ProviderSignature, VerifierIndex};
pub use messages::{
    AttestationBatch, DatasetAnnounce, Heartbeat, ProofEnvelope, ProofSystem, QuorumCertificate,
    RepairClaim, RepairRequest, SignerProof, SlotAssign, SlotVerdict, BLOCK_BYTES, CELLS_PER_BLOCK,
    MAX_BLOCKS_PER_SLOT, MAX_HEARTBEAT_SLOTS, MAX_PROOF_BYTES, MAX_REPAIR_EVIDENCE, PROOF_BYTES,
};
pub use signers::SignerBitfield;
pub use verdict::Verdict;
pub use verifier_set::{VerifierMember, VerifierSet};
