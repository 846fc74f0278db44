//! Focused tests of single engine rules: one engine (member 0 of a small set) fed inputs by
//! hand at chosen times, its outputs inspected. Proofs are the fixture's real ones.

mod certificates;
mod gossip;
mod repair;
mod restart;
mod seal;

use proofmesh_proto::{
    AttestationBatch, CircuitId, GossipMessage, Period, QuorumCertificate, SlotVerdict, Verdict,
    VerifierIndex, VerifierSet, WireMessage,
};
use proofmesh_sim::node::{clock, engine_time, message_id};
use proofmesh_sim::store::Store;
use proofmesh_sim::{
    fixture, verifier_keypair, verifier_set, ProofKind, Scenario, SimHandles, SimMsg,
};
use proofmesh_verifier::duty::{ChainEntropy, EntropySource};
use proofmesh_verifier::engine::{Engine, EngineConfig, Input, Note, Output, Restored, Signer};
use proofmesh_verifier::intake::{verify_checked, GossipAction, Intake, KeyRing, Registry};
use proofmesh_verifier::{sign_batch, AttestationPool, HealthConfig, HealthState};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::Arc;

pub(super) type Out = Vec<Output<SimHandles>>;

/// Engine time at `offset_ms` into `period` (6 s periods from the default scenario; a
/// period's deadline is 3 s after its end, so period 0 seals from `at(1, 4000)` on).
pub(super) fn at(period: u64, offset_ms: u64) -> u64 {
    engine_time(period * 6_000 + offset_ms)
}

pub(super) fn config() -> EngineConfig {
    Scenario::honest(0, 1).engine
}

/// Member 0 of a set of `members` of weight 1, with its own copy of the keys.
pub(super) struct Solo {
    pub(super) engine: Engine<SimHandles>,
    set: VerifierSet,
    keys: KeyRing,
    rng: ChaCha20Rng,
}

impl Solo {
    pub(super) fn new(members: usize) -> Self {
        Self::configured(members, config())
    }

    pub(super) fn configured(members: usize, config: EngineConfig) -> Self {
        Self::with(
            members,
            config,
            Restored::default(),
            at(0, 0),
            Box::new(fixture().entropy()),
        )
        .0
    }

    pub(super) fn with(
        members: usize,
        config: EngineConfig,
        restored: Restored,
        now: u64,
        entropy: Box<dyn EntropySource>,
    ) -> (Self, Out) {
        let fx = fixture();
        let intake = Intake::new(
            Registry::new(),
            clock(&Scenario::honest(0, 1)),
            entropy,
            fx.key_ring(),
        );
        let set = verifier_set(&vec![1; members]);
        let signer = Signer {
            index: VerifierIndex(0),
            keypair: verifier_keypair(0),
        };
        let (engine, out) = Engine::new(
            config,
            intake,
            set.clone(),
            Some(signer),
            HealthState::new(HealthConfig::default()),
            restored,
            now,
        );
        let solo = Self {
            engine,
            set,
            keys: fx.key_ring(),
            rng: ChaCha20Rng::seed_from_u64(1),
        };
        (solo, out)
    }

    pub(super) fn gossip(&mut self, m: GossipMessage, now: u64) -> Out {
        let msg = SimMsg {
            id: message_id(&m),
            from: 1,
            message: Arc::new(m.clone()),
        };
        self.engine.on(Input::Gossip { msg, message: m }, now)
    }

    pub(super) fn tick(&mut self, now: u64) -> Out {
        self.engine.on(Input::Tick, now)
    }

    /// The announcement and every slot's claim.
    pub(super) fn registry(&mut self, now: u64) {
        let fx = fixture();
        assert_eq!(
            action(&self.gossip(GossipMessage::Announce(fx.announce()), now)),
            Some(GossipAction::Accept)
        );
        for s in 0..proofmesh_sim::fixture::SLOTS {
            assert_eq!(
                action(&self.gossip(GossipMessage::Assign(fx.assign(s)), now)),
                Some(GossipAction::Accept)
            );
        }
    }

    /// Runs the verification jobs of `out` and feeds their results back at `now`.
    pub(super) fn verify(&mut self, out: &Out, now: u64) -> Out {
        let mut all = Vec::new();
        for o in out {
            if let Output::Verify { job, proofs } = o {
                let results = verify_checked(&self.keys, proofs, &mut self.rng);
                all.extend(self.engine.on(Input::Verified { job: *job, results }, now));
            }
        }
        all
    }

    /// Gossips proofs of `slots` for `period` at `now`, flushes them into a job on a tick
    /// after the batch delay and returns that tick's outputs (with the job, not yet run).
    pub(super) fn prove(&mut self, period: u64, slots: &[(u16, ProofKind)], now: u64) -> Out {
        let fx = fixture();
        for &(s, kind) in slots {
            let out = self.gossip(
                GossipMessage::Proof(fx.envelope(s, Period(period), kind)),
                now,
            );
            assert_eq!(action(&out), None, "a checked proof waits for its job");
        }
        self.tick(now + config().batch_delay_ms)
    }
}

pub(super) fn action(out: &Out) -> Option<GossipAction> {
    let actions: Vec<GossipAction> = out
        .iter()
        .filter_map(|o| match o {
            Output::Report { action, .. } => Some(*action),
            _ => None,
        })
        .collect();
    assert!(actions.len() <= 1, "one report per message: {actions:?}");
    actions.first().copied()
}

pub(super) fn actions(out: &Out) -> Vec<GossipAction> {
    out.iter()
        .filter_map(|o| match o {
            Output::Report { action, .. } => Some(*action),
            _ => None,
        })
        .collect()
}

/// Our own published batch, if the step sealed one.
pub(super) fn sealed(out: &Out) -> Option<AttestationBatch> {
    let seals = out
        .iter()
        .filter(|o| matches!(o, Output::Note(Note::Sealed { .. })))
        .count();
    let batch = out.iter().find_map(|o| match o {
        Output::Publish(GossipMessage::Attestation(b)) if b.verifier == VerifierIndex(0) => {
            Some(b.clone())
        }
        _ => None,
    });
    assert_eq!(
        seals,
        usize::from(batch.is_some()),
        "a seal publishes its batch"
    );
    batch
}

pub(super) fn published_certificates(out: &Out) -> Vec<QuorumCertificate> {
    out.iter()
        .filter_map(|o| match o {
            Output::Publish(GossipMessage::Certificate(c)) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn persisted(out: &Out) -> Option<&proofmesh_verifier::engine::Writes> {
    let first_persist = out.iter().position(|o| matches!(o, Output::Persist(_)));
    assert!(
        first_persist.is_none_or(|i| i == 0),
        "a step's write comes first"
    );
    out.iter().find_map(|o| match o {
        Output::Persist(w) => Some(w),
        _ => None,
    })
}

pub(super) fn verdicts(b: &AttestationBatch) -> Vec<Verdict> {
    b.entries.iter().map(|e| e.verdict).collect()
}

pub(super) fn all_valid() -> Vec<(u16, ProofKind)> {
    (0..proofmesh_sim::fixture::SLOTS)
        .map(|s| (s, ProofKind::Valid))
        .collect()
}

pub(super) fn batch(signer: usize, period: u64, verdicts: &[Verdict]) -> AttestationBatch {
    let fx = fixture();
    let entries = verdicts
        .iter()
        .enumerate()
        .map(|(i, &verdict)| SlotVerdict {
            slot: fx.slot(i as u16),
            verdict,
        })
        .collect();
    sign_batch(
        &verifier_keypair(signer),
        VerifierIndex(signer as u16),
        Period(period),
        entries,
    )
    .unwrap()
}
