//! Why an intake step refused a message, who is at fault, and what gossip does about it.

use proofmesh_proto::{Period, SlotId};

/// What gossipsub should do with a message: forward it, drop it and penalise the sender, or
/// drop it without penalty. Every message gets exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipAction {
    /// Valid and useful: forward.
    Accept,
    /// The sender is at fault: drop and lower its score.
    Reject,
    /// Not useful to us, but not provably the sender's fault: drop without penalty.
    Ignore,
}

/// Why a registry message or a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// The dataset has not been announced (yet): not the sender's fault. Ignore.
    #[error("unknown dataset {0}")]
    UnknownDataset(String),
    /// The slot index is beyond the dataset's K + M slots: the sender is at fault. Reject.
    #[error("slot {slot} does not exist (the dataset has {slots} slots)")]
    NoSuchSlot {
        /// The slot named.
        slot: SlotId,
        /// Slots of the dataset.
        slots: u16,
    },
    /// No provider is assigned the slot for this period (we may not have seen the assignment).
    /// Ignore.
    #[error("slot {0} has no provider for this period")]
    Unassigned(SlotId),
    /// The envelope names another provider than the slot's: the sender is at fault. Reject.
    #[error("slot {0} is assigned to another provider")]
    WrongProvider(SlotId),
    /// A signature does not verify: the sender is at fault. Reject.
    #[error("bad {0} signature")]
    BadSignature(&'static str),
    /// The slot owes no proof in this period: a useless message from the sender. Reject.
    #[error("slot {slot} has no proof duty in period {period}")]
    NoDuty {
        /// The slot.
        slot: SlotId,
        /// The period.
        period: Period,
    },
    /// The period has not started here yet (clock skew is possible): not provably a fault. Ignore.
    #[error("period {0} has not started")]
    TooEarly(Period),
    /// The period's deadline has passed (propagation delay is possible). Ignore.
    #[error("period {0} is past its deadline")]
    TooLate(Period),
    /// The period's entropy is not known yet. Ignore.
    #[error("entropy of period {0} is not known yet")]
    NoEntropy(Period),
    /// Exactly this message was seen before. Ignore.
    #[error("duplicate message")]
    Duplicate,
    /// A valid proof for this slot and period was already accepted. Ignore.
    #[error("slot {0} is already proven for this period")]
    AlreadyProven(SlotId),
    /// The proof names a circuit whose key this node does not hold. Not provably the
    /// sender's fault: during a key rollout honest provers use a key some verifiers have not
    /// loaded yet, and graylisting them would split the mesh. Ignore (and count it).
    #[error("unknown circuit {0}")]
    UnknownCircuit(String),
    /// The 128 proof bytes are not three valid compressed curve points: the sender is at
    /// fault. Reject.
    #[error("malformed proof bytes: {0}")]
    MalformedProof(String),
    /// The proof is well formed but does not verify: the sender is at fault. Reject.
    #[error("the proof does not verify")]
    InvalidProof,
    /// The proof could not be verified here (a worker failed or returned too few results): a
    /// local fault, never the sender's. Ignore.
    #[error("not verified: {0}")]
    NotVerified(&'static str),
    /// A registry message contradicts what is known (e.g. the same dataset announced with
    /// other parameters): the sender is at fault. Reject.
    #[error("conflicting registry message: {0}")]
    Conflict(&'static str),
    /// An announcement's slot roots do not hash to its dataset root: no owner of the root can
    /// have signed it honestly, and an honest node checks before it forwards, so the sender is
    /// at fault. Reject.
    #[error("the announced slot roots do not hash to dataset root {0}")]
    RootMismatch(String),
    /// A slot assignment not signed by the dataset's owner (a provider claiming a slot for
    /// itself, or any other key taking it over): a forgery, and an honest node checks before it
    /// forwards, so the sender is at fault. Reject.
    #[error("assignment of slot {0} is not signed by the dataset's owner")]
    NotOwner(SlotId),
    /// The owner signed another assignment for the same slot and first period, and that one
    /// wins (the smaller content id, `Registry::assign`): the owner equivocated, not the
    /// sender, who may have seen this one first. Ignore.
    #[error("slot {0} has a winning assignment for that period")]
    Superseded(SlotId),
}

impl IntakeError {
    /// The one gossip verdict for a message refused with this error.
    pub fn action(&self) -> GossipAction {
        use IntakeError::*;
        match self {
            NoSuchSlot { .. }
            | WrongProvider(_)
            | BadSignature(_)
            | NoDuty { .. }
            | MalformedProof(_)
            | InvalidProof
            | Conflict(_)
            | RootMismatch(_)
            | NotOwner(_) => GossipAction::Reject,
            UnknownDataset(_) | Unassigned(_) | TooEarly(_) | TooLate(_) | NoEntropy(_)
            | Duplicate | AlreadyProven(_) | UnknownCircuit(_) | NotVerified(_) | Superseded(_) => {
                GossipAction::Ignore
            }
        }
    }

    /// A stable label for metrics (`reason` of rejected-proof counters).
    pub fn reason(&self) -> &'static str {
        use IntakeError::*;
        match self {
            UnknownDataset(_) => "unknown_dataset",
            NoSuchSlot { .. } => "no_such_slot",
            Unassigned(_) => "unassigned",
            WrongProvider(_) => "wrong_provider",
            BadSignature(_) => "bad_signature",
            NoDuty { .. } => "no_duty",
            TooEarly(_) => "too_early",
            TooLate(_) => "too_late",
            NoEntropy(_) => "no_entropy",
            Duplicate => "duplicate",
            AlreadyProven(_) => "already_proven",
            UnknownCircuit(_) => "unknown_circuit",
            MalformedProof(_) => "malformed_proof",
            InvalidProof => "invalid_proof",
            Conflict(_) => "conflict",
            NotVerified(_) => "not_verified",
            RootMismatch(_) => "root_mismatch",
            NotOwner(_) => "not_owner",
            Superseded(_) => "superseded",
        }
    }
}
