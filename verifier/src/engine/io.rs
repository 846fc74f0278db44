//! What goes into the engine and what comes out of it. The node (or the simulation) turns
//! gossip, the clock, worker results and the store into [`Input`]s, and carries out every
//! [`Output`] in the order given: a step's [`Output::Persist`] always comes first, so whatever
//! the step publishes or accepts is durable before it leaves the node.

use crate::health::{CheckpointError, DatasetCheckpoint, HealthEffect};
use crate::intake::{CheckedProof, GossipAction, IntakeError, VerifiedProof};
use crate::quorum::{VerifiedBatch, VerifiedCertificate};
use crate::HealthState;
use ark_bn254::Fr;
use proofmesh_proto::{
    AttestationBatch, ContentId, DatasetAnnounce, GossipMessage, Period, QuorumCertificate,
    SlotAssign, VerifierSet,
};
use std::fmt::Debug;

/// The handles the engine passes through without looking inside: which gossip message a
/// verdict is for, which peer a sync is for, where a sync answer goes. The node uses libp2p's;
/// the simulation its own.
pub trait Handles {
    /// One received gossip message (to report its one verdict).
    type Msg: Debug;
    /// A peer (to ask it for what we missed).
    type Peer: Debug;
    /// A pending sync request (to answer it).
    type Reply: Debug;
}

/// Unix time in milliseconds: the engine's only notion of time, always injected.
pub type Millis = u64;

/// Identifies one verification job handed out with [`Output::Verify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

/// One input to [`super::Engine::on`].
#[allow(
    clippy::large_enum_variant,
    reason = "almost every input is `Gossip`: boxing it would cost an allocation per message"
)]
pub enum Input<H: Handles> {
    /// A decoded gossip message; the engine answers it with exactly one
    /// [`Output::Report`] (for a proof, possibly after its verification job comes back).
    Gossip {
        /// Which message.
        msg: H::Msg,
        /// What it says.
        message: GossipMessage,
    },
    /// A verification job's results, 1:1 with its proofs.
    Verified {
        /// The job.
        job: JobId,
        /// One result per proof of the job, in order.
        results: Vec<Result<VerifiedProof, IntakeError>>,
    },
    /// Batches a peer sent in answer to our sync request (unverified; no verdicts to report).
    Synced {
        /// The batches.
        batches: Vec<AttestationBatch>,
    },
    /// A peer asks for the batches of periods `>= from`.
    SyncRequest {
        /// First period wanted.
        from: Period,
        /// Where the answer goes.
        reply: H::Reply,
    },
    /// A new connection: ask the peer for what we missed.
    PeerConnected(H::Peer),
    /// Time passed: batch timeouts, seals, settles, pruning.
    Tick,
    /// Hand every pending proof to a job now: intake stops (shutdown), or the caller's
    /// workers are idle and no proof is waiting (waiting for a full job would only add delay).
    Flush,
    /// A period's entropy, from a source outside the engine (the chain).
    Entropy {
        /// The period.
        period: Period,
        /// Its entropy.
        value: Fr,
    },
    /// A new verifier set (takes effect from its `effective_from`).
    VerifierSet(VerifierSet),
    /// Registry messages from a source other than gossip (the Kademlia DHT's records, which
    /// a node that joins late reads): checked and kept exactly as gossiped ones, with no
    /// verdict to report.
    Registry(Vec<GossipMessage>),
}

/// One action for the caller to carry out, in order.
#[derive(Debug)]
pub enum Output<H: Handles> {
    /// The one gossip verdict of a message.
    Report {
        /// The message.
        msg: H::Msg,
        /// Forward, drop with penalty, or drop.
        action: GossipAction,
    },
    /// Proofs to verify off the engine (a worker pool); feed the results back as
    /// [`Input::Verified`] with the same job id.
    Verify {
        /// The job.
        job: JobId,
        /// The proofs, cheap checks passed.
        proofs: Vec<CheckedProof>,
    },
    /// One atomic, durable write. Always the first output of a step that has one; if it
    /// fails, the caller must carry out none of the step's other outputs (see `Writes`).
    Persist(Writes),
    /// A message to gossip (our own: an attestation batch, a certificate, a repair request).
    Publish(GossipMessage),
    /// The health view changed: stream the changes, swap the snapshot in for readers.
    Health {
        /// The changes, numbered.
        changes: Vec<HealthChange>,
        /// The whole view after them (cheap: datasets are shared copy-on-write).
        snapshot: HealthState,
    },
    /// Ask a peer for the batches of periods `>= from`.
    RequestSync {
        /// The peer.
        peer: H::Peer,
        /// First period wanted.
        from: Period,
    },
    /// Something to log or count.
    Note(Note),
    /// Answer a sync request.
    AnswerSync {
        /// Where it goes.
        reply: H::Reply,
        /// The batches, oldest period first.
        batches: Vec<AttestationBatch>,
    },
}

/// Everything one engine step makes durable, written in one atomic batch (one fsync per step,
/// not one per proof). Only verified values can be put in it.
#[derive(Clone, Debug, Default)]
pub struct Writes {
    /// New dataset announcements (signature checked).
    pub datasets: Vec<DatasetAnnounce>,
    /// New slot assignments (owner-signed, dataset known), and winners that replace a
    /// stored loser of the same slot and first period.
    pub assignments: Vec<SlotAssign>,
    /// Verified attestation batches, ours and others'.
    pub attestations: Vec<VerifiedBatch>,
    /// Verified certificates.
    pub certificates: Vec<VerifiedCertificate>,
    /// Health changes the certificates caused, numbered.
    pub health: Vec<HealthChange>,
    /// The settled health of the datasets whose checkpoint changed (replacing the stored
    /// ones): written with the `prune_before` that settled them.
    pub health_settled: Vec<DatasetCheckpoint>,
    /// Ids of accepted proofs, by period (dedupe across restarts).
    pub proofs_seen: Vec<(ContentId, Period)>,
    /// Drop attestations and seen-proof records of periods before this one, and remember it:
    /// the health checkpoints hold every certificate of the periods before it.
    pub prune_before: Option<Period>,
}

impl Writes {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.datasets.is_empty()
            && self.assignments.is_empty()
            && self.attestations.is_empty()
            && self.certificates.is_empty()
            && self.health.is_empty()
            && self.health_settled.is_empty()
            && self.proofs_seen.is_empty()
            && self.prune_before.is_none()
    }
}

/// One numbered change of the health view: what `WatchHealth` streams and the store keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthChange {
    /// Position in the node's change log (1, 2, …; gap-free).
    pub sequence: u64,
    /// What changed.
    pub effect: HealthEffect,
}

/// What a node's store holds, handed to the engine at start ([`super::Engine::new`]).
#[derive(Clone, Debug, Default)]
pub struct Restored {
    /// Stored announcements.
    pub datasets: Vec<DatasetAnnounce>,
    /// Stored slot assignments.
    pub assignments: Vec<SlotAssign>,
    /// Stored batches of the retained periods.
    pub attestations: Vec<AttestationBatch>,
    /// The last `prune_before` written (`Period(0)` if none): the health checkpoints settle
    /// every period before it.
    pub pruned_before: Period,
    /// The stored health checkpoints (settled before `pruned_before`).
    pub health: Vec<DatasetCheckpoint>,
    /// Stored certificates of the periods from `pruned_before` on (a bounded read: the periods
    /// still open when the node stopped, and those it was down for), in any order.
    pub certificates: Vec<QuorumCertificate>,
    /// The highest stored health change sequence.
    pub last_sequence: u64,
    /// Seen-proof ids of the retained periods.
    pub proofs_seen: Vec<(ContentId, Period)>,
}

/// Something notable the engine did or saw, for the node's log and metrics (the engine itself
/// logs nothing: it is pure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// We signed our batch for a period (with how many verdicts of each kind).
    Sealed {
        /// The period.
        period: Period,
        /// Valid verdicts.
        valid: usize,
        /// Invalid verdicts.
        invalid: usize,
        /// Missing verdicts.
        missing: usize,
        /// Alive verdicts (heartbeat duties met).
        alive: usize,
    },
    /// A period could not be sealed: its entropy is unknown.
    NoEntropy(Period),
    /// A verifier signed conflicting batches for a period.
    Equivocation {
        /// The signer.
        verifier: proofmesh_proto::VerifierIndex,
        /// The period.
        period: Period,
        /// How many slots conflict.
        slots: usize,
    },
    /// A new dataset was announced.
    DatasetAnnounced(proofmesh_proto::DatasetRoot),
    /// A slot assignment took effect.
    SlotAssigned(proofmesh_proto::SlotId),
    /// A verified repair request arrived.
    RepairRequested(proofmesh_proto::SlotId),
    /// The claims of a lost slot are in: `volunteer` rebuilds it and answers for it from
    /// `from`.
    RepairDecided {
        /// The slot.
        slot: proofmesh_proto::SlotId,
        /// The winning volunteer.
        volunteer: proofmesh_proto::ProviderKey,
        /// Its first period.
        from: Period,
    },
    /// The winning volunteer's first certified Valid proof of the slot: the repair is done.
    RepairCompleted {
        /// The slot.
        slot: proofmesh_proto::SlotId,
        /// The volunteer, now the slot's provider.
        volunteer: proofmesh_proto::ProviderKey,
        /// The period of that proof.
        period: Period,
    },
    /// The winning volunteer did not deliver in time: the slot is open for claims again.
    RepairExpired {
        /// The slot.
        slot: proofmesh_proto::SlotId,
        /// The volunteer benched.
        volunteer: proofmesh_proto::ProviderKey,
    },
    /// A slot became lost but we no longer hold enough of the certificates that made it so
    /// to evidence a repair request (a run longer than the retention): none is sent.
    RepairEvidenceMissing(proofmesh_proto::SlotId),
    /// A gossip message was refused (the reason is a metric label).
    Refused {
        /// Which kind of message.
        kind: &'static str,
        /// Why (a stable label).
        reason: &'static str,
    },
    /// A stored health checkpoint did not fit its dataset and was left out (that dataset's
    /// health starts again from its announcement and the open periods).
    CheckpointRefused(CheckpointError),
    /// The verifier set changed.
    VerifierSetChanged {
        /// From which period the new set applies.
        effective_from: Period,
        /// Its size.
        members: usize,
    },
}

impl<H: Handles> Output<H> {
    /// A short label of the output's kind (for tests and traces).
    pub fn kind(&self) -> &'static str {
        match self {
            Output::Report { .. } => "report",
            Output::Verify { .. } => "verify",
            Output::Persist(_) => "persist",
            Output::Publish(_) => "publish",
            Output::Health { .. } => "health",
            Output::RequestSync { .. } => "request_sync",
            Output::AnswerSync { .. } => "answer_sync",
            Output::Note(_) => "note",
        }
    }
}

impl<H: Handles> Debug for Input<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Input::Gossip { .. } => "Gossip",
            Input::Verified { .. } => "Verified",
            Input::Synced { .. } => "Synced",
            Input::SyncRequest { .. } => "SyncRequest",
            Input::PeerConnected(_) => "PeerConnected",
            Input::Tick => "Tick",
            Input::Flush => "Flush",
            Input::Entropy { .. } => "Entropy",
            Input::VerifierSet(_) => "VerifierSet",
            Input::Registry(_) => "Registry",
        })
    }
}
