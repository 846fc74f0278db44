//! The simulated nodes: honest verifiers (a real [`Engine`] with its store, rebuilt from the
//! store on restart), byzantine signers (a key and a script) and provers.

use crate::fixture::Fixture;
use crate::scenario::{Adversary, Scenario, GENESIS_SECS};
use crate::store::Store;
use proofmesh_proto::{
    ContentId, GossipMessage, Period, SlotId, VerifierIndex, VerifierSet, WireMessage,
};
use proofmesh_verifier::duty::PeriodClock;
use proofmesh_verifier::engine::{Engine, Handles, JobId, Millis, Note, Output, Restored, Signer};
use proofmesh_verifier::intake::{Intake, IntakeError, KeyRing, Registry, VerifiedProof};
use proofmesh_verifier::{HealthState, VerifierKeypair};
use rand_chacha::ChaCha20Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One received gossip message, as the engine's handle: its id, who sent it, and the message
/// itself so that an Accept can forward it.
#[derive(Clone, Debug)]
pub struct SimMsg {
    /// Content id (the network's message id).
    pub id: ContentId,
    /// The node it came from (not forwarded back there).
    pub from: usize,
    /// The message.
    pub message: Arc<GossipMessage>,
}

/// A pending sync request: where the answer goes, and to which life of that node.
#[derive(Clone, Copy, Debug)]
pub struct SimReply {
    /// The requesting node.
    pub to: usize,
    /// Its life when it asked (an answer to a crashed life is dropped).
    pub life: u32,
}

/// The simulation's [`Handles`]: peers are node numbers.
#[derive(Debug)]
pub struct SimHandles;

impl Handles for SimHandles {
    type Msg = SimMsg;
    type Peer = usize;
    type Reply = SimReply;
}

/// The content id of any gossip message (its kind's tagged SHA-256, as the node computes it).
pub fn message_id(m: &GossipMessage) -> ContentId {
    match m {
        GossipMessage::Announce(x) => x.content_id(),
        GossipMessage::Assign(x) => x.content_id(),
        GossipMessage::Proof(x) => x.content_id(),
        GossipMessage::Attestation(x) => x.content_id(),
        GossipMessage::Certificate(x) => x.content_id(),
        GossipMessage::Repair(x) => x.content_id(),
        GossipMessage::Heartbeat(x) => x.content_id(),
        GossipMessage::Claim(x) => x.content_id(),
    }
}

/// Engine time (Unix ms) at virtual time `t`.
pub fn engine_time(t: u64) -> Millis {
    GENESIS_SECS * 1000 + t
}

/// The period clock every node of a scenario runs.
pub fn clock(s: &Scenario) -> PeriodClock {
    PeriodClock::new(GENESIS_SECS, s.period_secs, s.timeout_secs)
}

/// An honest verifier (or observer): its engine (none while it is down), its store and what
/// the checks need.
pub struct HonestNode {
    /// Its index in the set (meaningless for an observer).
    pub index: VerifierIndex,
    /// Whether it signs (a member) or only follows (an observer).
    pub signs: bool,
    keypair: VerifierKeypair,
    /// The running engine; `None` while down.
    pub engine: Option<Engine<SimHandles>>,
    /// Its durable store.
    pub store: Store,
    /// Bumped at every crash: work handed out by an earlier life is dropped.
    pub life: u32,
    /// Seeded randomness of its verification jobs (batch weights).
    pub(crate) verify_rng: ChaCha20Rng,
    pub(crate) keys: KeyRing,
    /// Crash in the next step that writes (a torn step).
    pub(crate) torn: bool,
    /// Results of the jobs in flight, by job, until they are fed back (dropped at a crash,
    /// all fed back at once by a graceful stop).
    pub(crate) inflight: BTreeMap<JobId, Vec<Result<VerifiedProof, IntakeError>>>,
    /// Every batch it ever signed (written to its store), by period: more than one id for a
    /// period is an honest equivocation.
    pub signed: BTreeMap<Period, BTreeSet<ContentId>>,
    /// The latest health view it handed out.
    pub health: Option<HealthState>,
    /// Notes of equivocation it saw.
    pub equivocations: Vec<Note>,
    /// Gossip verdicts it gave, by (kind, action) label.
    pub reports: BTreeMap<(&'static str, &'static str), u64>,
    /// The certificates its engine held when it last crashed (a restart must keep them).
    pub held_at_crash: BTreeMap<(Period, SlotId), ContentId>,
    /// Its engine's health view when it last crashed (a restart must restore it).
    pub health_at_crash: Vec<crate::DatasetView>,
    /// Times it was rebuilt from its store.
    pub restarts: u32,
}

impl HonestNode {
    pub(crate) fn new(
        index: VerifierIndex,
        signs: bool,
        keypair: VerifierKeypair,
        verify_rng: ChaCha20Rng,
    ) -> Self {
        Self {
            index,
            signs,
            keypair,
            engine: None,
            store: Store::default(),
            life: 0,
            verify_rng,
            keys: crate::fixture::fixture().key_ring(),
            torn: false,
            inflight: BTreeMap::new(),
            signed: BTreeMap::new(),
            health: None,
            equivocations: Vec::new(),
            reports: BTreeMap::new(),
            held_at_crash: BTreeMap::new(),
            health_at_crash: Vec::new(),
            restarts: 0,
        }
    }

    /// Builds its engine over `restored` at virtual time `t`, as the node does at start.
    pub(crate) fn boot(
        &mut self,
        s: &Scenario,
        set: &VerifierSet,
        restored: Restored,
        t: u64,
    ) -> Vec<Output<SimHandles>> {
        let fx: &Fixture = crate::fixture::fixture();
        let intake = Intake::new(
            Registry::new(),
            clock(s),
            Box::new(fx.entropy()),
            fx.key_ring(),
        );
        let signer = self.signs.then(|| Signer {
            index: self.index,
            keypair: self.keypair.clone(),
        });
        let (engine, out) = Engine::new(
            s.engine,
            intake,
            set.clone(),
            signer,
            HealthState::new(s.health),
            restored,
            engine_time(t),
        );
        self.engine = Some(engine);
        out
    }

    /// Drops the engine (a crash): only the store survives.
    pub(crate) fn crash(&mut self) {
        if let Some(e) = &self.engine {
            self.held_at_crash = e.certified();
            self.health_at_crash = crate::health_view(e.health());
        }
        self.engine = None;
        self.life += 1;
        self.torn = false;
        self.inflight.clear();
    }

    /// Whether it is up.
    pub fn is_up(&self) -> bool {
        self.engine.is_some()
    }
}

/// A byzantine member: its key and its script.
pub(crate) struct ByzantineNode {
    pub(crate) index: VerifierIndex,
    pub(crate) keypair: VerifierKeypair,
    pub(crate) adversary: Adversary,
}

/// What runs at each node of the simulation.
pub(crate) enum NodeKind {
    Honest(Box<HonestNode>),
    Byzantine(ByzantineNode),
    /// A prover (index into the fixture's providers).
    Provider,
}
