//! Focused tests of single engine rules: one engine (member 0 of a small set) fed inputs by
//! hand at chosen times, its outputs inspected. Proofs are the fixture's real ones.

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

type Out = Vec<Output<SimHandles>>;

/// Engine time at `offset_ms` into `period` (6 s periods from the default scenario; a
/// period's deadline is 3 s after its end, so period 0 seals from `at(1, 4000)` on).
fn at(period: u64, offset_ms: u64) -> u64 {
    engine_time(period * 6_000 + offset_ms)
}

fn config() -> EngineConfig {
    Scenario::honest(0, 1).engine
}

/// Member 0 of a set of `members` of weight 1, with its own copy of the keys.
struct Solo {
    engine: Engine<SimHandles>,
    set: VerifierSet,
    keys: KeyRing,
    rng: ChaCha20Rng,
}

impl Solo {
    fn new(members: usize) -> Self {
        Self::configured(members, config())
    }

    fn configured(members: usize, config: EngineConfig) -> Self {
        Self::with(
            members,
            config,
            Restored::default(),
            at(0, 0),
            Box::new(fixture().entropy()),
        )
        .0
    }

    fn with(
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

    fn gossip(&mut self, m: GossipMessage, now: u64) -> Out {
        let msg = SimMsg {
            id: message_id(&m),
            from: 1,
            message: Arc::new(m.clone()),
        };
        self.engine.on(Input::Gossip { msg, message: m }, now)
    }

    fn tick(&mut self, now: u64) -> Out {
        self.engine.on(Input::Tick, now)
    }

    /// The announcement and every slot's claim.
    fn registry(&mut self, now: u64) {
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
    fn verify(&mut self, out: &Out, now: u64) -> Out {
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
    fn prove(&mut self, period: u64, slots: &[(u16, ProofKind)], now: u64) -> Out {
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

fn action(out: &Out) -> Option<GossipAction> {
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

fn actions(out: &Out) -> Vec<GossipAction> {
    out.iter()
        .filter_map(|o| match o {
            Output::Report { action, .. } => Some(*action),
            _ => None,
        })
        .collect()
}

/// Our own published batch, if the step sealed one.
fn sealed(out: &Out) -> Option<AttestationBatch> {
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

fn published_certificates(out: &Out) -> Vec<QuorumCertificate> {
    out.iter()
        .filter_map(|o| match o {
            Output::Publish(GossipMessage::Certificate(c)) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn persisted(out: &Out) -> Option<&proofmesh_verifier::engine::Writes> {
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

fn verdicts(b: &AttestationBatch) -> Vec<Verdict> {
    b.entries.iter().map(|e| e.verdict).collect()
}

fn all_valid() -> Vec<(u16, ProofKind)> {
    (0..proofmesh_sim::fixture::SLOTS)
        .map(|s| (s, ProofKind::Valid))
        .collect()
}

fn batch(signer: usize, period: u64, verdicts: &[Verdict]) -> AttestationBatch {
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

#[test]
fn early_seal_once_every_duty_is_proven() {
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    assert!(sealed(&out).is_none());
    let out = e.verify(&out, at(0, 2_150));
    assert_eq!(actions(&out), vec![GossipAction::Accept; 4]);
    // The job's results mark the duties proven; the next tick seals, long before the deadline.
    let out = e.tick(at(0, 2_200));
    let batch = sealed(&out).expect("early seal");
    assert_eq!(batch.period, Period(0));
    assert_eq!(verdicts(&batch), vec![Verdict::Valid; 4]);
    let w = persisted(&out).expect("our batch is written before it is published");
    assert_eq!(w.attestations.len(), 1);
    // Once only: neither later ticks nor the deadline sign period 0 again.
    for t in [at(0, 2_250), at(1, 4_000), at(1, 5_000)] {
        assert!(sealed(&e.tick(t)).is_none_or(|b| b.period != Period(0)));
    }
}

#[test]
fn deadline_seal_waits_for_in_flight_jobs() {
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    // A proof of slot 0 arrives late in period 0's grace; its job is still out at the deadline.
    let job = e.prove(0, &[(0, ProofKind::Valid)], at(1, 2_500));
    assert!(job.iter().any(|o| matches!(o, Output::Verify { .. })));
    assert!(sealed(&e.tick(at(1, 4_000))).is_none(), "waits for the job");
    assert!(sealed(&e.tick(at(1, 4_500))).is_none(), "still waiting");
    // The job comes back: the seal it waited for happens in the same step, with its verdict.
    let out = e.verify(&job, at(1, 4_600));
    let batch = sealed(&out).expect("sealed once the job is back");
    assert_eq!(batch.period, Period(0));
    assert_eq!(
        verdicts(&batch),
        vec![
            Verdict::Valid,
            Verdict::Missing,
            Verdict::Missing,
            Verdict::Missing
        ]
    );
    // Period 1 had no proofs: sealed all Missing once its deadline has passed.
    assert!(
        sealed(&e.tick(at(2, 3_500))).is_none(),
        "not before its deadline"
    );
    let batch = sealed(&e.tick(at(2, 4_000))).expect("deadline seal of period 1");
    assert_eq!(
        (batch.period, verdicts(&batch)),
        (Period(1), vec![Verdict::Missing; 4])
    );
}

#[test]
fn invalid_proof_is_rejected_and_attested_invalid() {
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    let out = e.prove(
        0,
        &[(0, ProofKind::Valid), (1, ProofKind::WrongEntropy)],
        at(0, 2_000),
    );
    let out = e.verify(&out, at(0, 2_100));
    assert_eq!(
        actions(&out),
        vec![GossipAction::Accept, GossipAction::Reject]
    );
    let batch = sealed(&e.tick(at(1, 4_000))).expect("deadline seal");
    assert_eq!(
        verdicts(&batch),
        vec![
            Verdict::Valid,
            Verdict::Invalid,
            Verdict::Missing,
            Verdict::Missing
        ]
    );
}

#[test]
fn unknown_circuit_is_ignored_not_rejected() {
    let fx = fixture();
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    let mut env = fx.envelope(0, Period(0), ProofKind::Valid);
    env.circuit_id = CircuitId([7; 32]);
    let out = e.gossip(GossipMessage::Proof(fx.resign(env)), at(0, 2_000));
    assert_eq!(action(&out), Some(GossipAction::Ignore));
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Note(Note::Refused {
            reason: "unknown_circuit",
            ..
        })
    )));
    assert!(!out.iter().any(|o| matches!(o, Output::Verify { .. })));
    // The real proof of the same slot is still taken (the unknown one was not "seen").
    let out = e.prove(0, &[(0, ProofKind::Valid)], at(0, 2_100));
    assert_eq!(
        actions(&e.verify(&out, at(0, 2_300))),
        vec![GossipAction::Accept]
    );
}

#[test]
fn claims_before_announcements_are_kept_until_it_arrives() {
    let fx = fixture();
    let mut e = Solo::new(4);
    let claim = GossipMessage::Assign(fx.assign(1));
    let out = e.gossip(claim.clone(), at(0, 100));
    assert_eq!(action(&out), Some(GossipAction::Ignore));
    assert!(persisted(&out).is_none());
    let out = e.gossip(GossipMessage::Announce(fx.announce()), at(0, 200));
    assert_eq!(action(&out), Some(GossipAction::Accept));
    let w = persisted(&out).expect("announcement written");
    assert_eq!(w.datasets.len(), 1);
    assert_eq!(
        w.assignments,
        vec![fx.assign(1)],
        "the waiting claim adopted"
    );
    assert_eq!(
        e.engine
            .intake()
            .registry
            .provider_at(&fx.slot(1), Period(0)),
        Some(&fx.provider_key(1))
    );
    // The claim again: known and valid, so accepted (forwarded), and nothing is written.
    let out = e.gossip(claim, at(0, 300));
    assert_eq!(action(&out), Some(GossipAction::Accept));
    assert!(persisted(&out).is_none());
}

#[test]
fn known_valid_registry_record_is_accepted_so_it_is_forwarded() {
    let fx = fixture();
    let mut e = Solo::new(4);
    let a = GossipMessage::Announce(fx.announce());
    assert_eq!(
        action(&e.gossip(a.clone(), at(0, 100))),
        Some(GossipAction::Accept)
    );
    let again = e.gossip(a, at(1, 100));
    assert_eq!(action(&again), Some(GossipAction::Accept));
    assert!(persisted(&again).is_none(), "nothing new to write");
    // A conflicting announcement of the same root is the sender's fault.
    let mut other = fx.announce();
    other.proof_probability = 3;
    let out = e.gossip(GossipMessage::Announce(other), at(1, 200));
    assert_eq!(action(&out), Some(GossipAction::Reject));
}

#[test]
fn per_signer_cap_ignores_batch_spam() {
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    let v = Verdict::Valid;
    let m = Verdict::Missing;
    let spam = [
        [v, v, v, v],
        [m, v, v, v],
        [v, m, v, v],
        [v, v, m, v],
        [v, v, v, m],
    ];
    let cap = config().max_batches_per_signer as usize;
    assert_eq!(cap, 4);
    for (i, verdicts) in spam.iter().enumerate() {
        let out = e.gossip(
            GossipMessage::Attestation(batch(1, 0, verdicts)),
            at(0, 3_000),
        );
        let want = if i < cap {
            GossipAction::Accept
        } else {
            GossipAction::Ignore
        };
        assert_eq!(action(&out), Some(want), "batch {i}");
        assert_eq!(persisted(&out).is_some(), i < cap, "batch {i} written");
    }
    assert_eq!(
        e.engine
            .pool()
            .batches(Period(0))
            .filter(|b| b.verifier == VerifierIndex(1))
            .count(),
        cap
    );
    // The first was inserted, the next three are equivocation evidence.
    assert_eq!(e.engine.pool().equivocations().len(), 6);
    // Another signer is not affected; a duplicate, a stranger and a forgery are refused.
    let b2 = batch(2, 0, &[v; 4]);
    let dup = GossipMessage::Attestation(b2.clone());
    assert_eq!(
        action(&e.gossip(dup.clone(), at(0, 3_000))),
        Some(GossipAction::Accept)
    );
    assert_eq!(
        action(&e.gossip(dup, at(0, 3_000))),
        Some(GossipAction::Ignore)
    );
    let stranger = batch(9, 0, &[v; 4]);
    assert_eq!(
        action(&e.gossip(GossipMessage::Attestation(stranger), at(0, 3_000))),
        Some(GossipAction::Reject)
    );
    let mut forged = batch(3, 0, &[v; 4]);
    forged.signature = b2.signature;
    assert_eq!(
        action(&e.gossip(GossipMessage::Attestation(forged), at(0, 3_000))),
        Some(GossipAction::Reject)
    );
}

/// Certificates for slot 0 of period 0 (every slot Valid) signed by `signers`, of the 7-member
/// set (quorum 5).
fn certificate(set: &VerifierSet, signers: &[usize]) -> QuorumCertificate {
    let mut pool = AttestationPool::new();
    for &s in signers {
        pool.insert(batch(s, 0, &[Verdict::Valid; 4]), set).unwrap();
    }
    pool.certificates(Period(0), set)
        .into_iter()
        .find(|c| c.entry.slot.index == 0)
        .unwrap()
}

#[test]
fn better_certificate_replaces_the_held_one_in_any_order() {
    let fx = fixture();
    let set = verifier_set(&[1; 7]);
    let five_a = certificate(&set, &[1, 2, 3, 4, 5]);
    let five_b = certificate(&set, &[2, 3, 4, 5, 6]);
    let six = certificate(&set, &[1, 2, 3, 4, 5, 6]);
    let (small, large) = if five_a.content_id() < five_b.content_id() {
        (five_a.clone(), five_b.clone())
    } else {
        (five_b.clone(), five_a.clone())
    };
    let key = (Period(0), fx.slot(0));
    let orders = [
        vec![large.clone(), small.clone(), six.clone()],
        vec![six.clone(), small.clone(), large.clone()],
        vec![small.clone(), six.clone(), large.clone()],
    ];
    for order in orders {
        let mut e = Solo::new(7);
        e.registry(at(0, 100));
        let mut held = None;
        for c in order {
            let better = match &held {
                None => true,
                Some(h) if h == &six => false,
                Some(_) => c == six || c == small,
            };
            let out = e.gossip(GossipMessage::Certificate(c.clone()), at(1, 5_000));
            let want = if better {
                GossipAction::Accept
            } else {
                GossipAction::Ignore
            };
            assert_eq!(action(&out), Some(want));
            assert_eq!(
                persisted(&out).is_some_and(|w| w.certificates.len() == 1),
                better,
                "an accepted certificate is written"
            );
            if better {
                held = Some(c);
            }
            assert_eq!(
                e.engine.certified().get(&key),
                held.as_ref().map(|c| c.content_id()).as_ref()
            );
        }
        assert_eq!(e.engine.certified().get(&key), Some(&six.content_id()));
    }
    // Fewer signers than a quorum is the sender's fault.
    let mut e = Solo::new(7);
    let mut short = six.clone();
    short.signers = proofmesh_proto::SignerBitfield::new();
    assert_eq!(
        action(&e.gossip(GossipMessage::Certificate(short), at(1, 5_000))),
        Some(GossipAction::Reject)
    );
    let _ = e.set;
}

#[test]
fn certificates_wait_for_every_member_or_the_settle() {
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    let _ = e.verify(&out, at(0, 2_100));
    assert!(sealed(&e.tick(at(0, 2_200))).is_some());
    // Two more members: a quorum (3 of 4), but not every member and not settled: no certificate.
    for s in [1, 2] {
        let out = e.gossip(
            GossipMessage::Attestation(batch(s, 0, &[Verdict::Valid; 4])),
            at(0, 3_000),
        );
        assert_eq!(action(&out), Some(GossipAction::Accept));
        assert!(published_certificates(&out).is_empty());
    }
    assert!(published_certificates(&e.tick(at(1, 3_500))).is_empty());
    // Settled (deadline + 1 s): certificates from the quorum.
    let out = e.tick(at(1, 4_000));
    let certs = published_certificates(&out);
    assert_eq!(certs.len(), 4);
    assert!(certs.iter().all(|c| c.signers.len() == 3));
    let first = e.engine.certified();
    // The last member's batch: better certificates (4 signers) replace them, and go out.
    let out = e.gossip(
        GossipMessage::Attestation(batch(3, 0, &[Verdict::Valid; 4])),
        at(1, 4_200),
    );
    let certs = published_certificates(&out);
    assert_eq!(certs.len(), 4);
    assert!(certs.iter().all(|c| c.signers.len() == 4));
    assert_eq!(persisted(&out).map(|w| w.certificates.len()), Some(4));
    assert!(e.engine.certified().iter().all(|(k, id)| first[k] != *id));
}

#[test]
fn every_member_in_certifies_before_the_settle() {
    let mut e = Solo::new(2);
    e.registry(at(0, 100));
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    let _ = e.verify(&out, at(0, 2_100));
    assert!(sealed(&e.tick(at(0, 2_200))).is_some());
    let out = e.gossip(
        GossipMessage::Attestation(batch(1, 0, &[Verdict::Valid; 4])),
        at(0, 2_400),
    );
    let certs = published_certificates(&out);
    assert_eq!(certs.len(), 4, "both members in: certified at once");
    assert!(certs.iter().all(|c| c.entry.verdict == Verdict::Valid));
}

/// The store of an engine that sealed period 0 early (and the proofs it took).
fn sealed_store() -> (Store, AttestationBatch) {
    let mut e = Solo::new(4);
    let mut store = Store::default();
    let keep = |out: &Out, store: &mut Store| {
        for o in out {
            if let Output::Persist(w) = o {
                store.apply(w.clone()).unwrap();
            }
        }
    };
    let fx = fixture();
    for m in std::iter::once(GossipMessage::Announce(fx.announce()))
        .chain((0..4).map(|s| GossipMessage::Assign(fx.assign(s))))
    {
        let out = e.gossip(m, at(0, 100));
        keep(&out, &mut store);
    }
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    keep(&out, &mut store);
    let out = e.verify(&out, at(0, 2_100));
    keep(&out, &mut store);
    let out = e.tick(at(0, 2_200));
    keep(&out, &mut store);
    (store, sealed(&out).unwrap())
}

#[test]
fn restart_republishes_our_batch_and_never_signs_the_period_again() {
    let (store, ours) = sealed_store();
    // Even with a clock that went back to period 0's start (so period 0 counts as fully
    // observed), the restored engine never signs period 0 again.
    let (mut e, out) = Solo::with(
        4,
        config(),
        store.restored(),
        at(0, 0),
        Box::new(fixture().entropy()),
    );
    let republished: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Publish(GossipMessage::Attestation(b)) => Some(b.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(republished, vec![ours]);
    assert!(out.iter().any(|o| matches!(o, Output::Health { .. })));
    let mut t = at(0, 50);
    while t < at(2, 0) {
        let out = e.tick(t);
        assert!(
            sealed(&out).is_none_or(|b| b.period != Period(0)),
            "re-signed at {t}"
        );
        t += 50;
    }
}

#[test]
fn restart_remembers_seen_proofs_and_the_registry() {
    let (store, _) = sealed_store();
    let fx = fixture();
    let (mut e, _) = Solo::with(
        4,
        config(),
        store.restored(),
        at(0, 4_000),
        Box::new(fx.entropy()),
    );
    assert!(e.engine.intake().registry.dataset(&fx.root()).is_some());
    let out = e.gossip(
        GossipMessage::Proof(fx.envelope(2, Period(0), ProofKind::Valid)),
        at(0, 4_100),
    );
    assert_eq!(action(&out), Some(GossipAction::Ignore));
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Note(Note::Refused {
            reason: "duplicate",
            ..
        })
    )));
}

#[test]
fn entropy_supplied_as_input_seals_like_the_configured_source() {
    // A chain-mode engine: its source knows nothing; the node feeds each period's entropy.
    let fx = fixture();
    let (mut e, _) = Solo::with(
        4,
        config(),
        Restored::default(),
        at(0, 0),
        Box::new(ChainEntropy::new()),
    );
    e.engine.on(
        Input::Entropy {
            period: Period(0),
            value: fx.entropy().entropy(Period(0)).unwrap(),
        },
        at(0, 50),
    );
    e.registry(at(0, 100));
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    assert_eq!(
        actions(&e.verify(&out, at(0, 2_100))),
        vec![GossipAction::Accept; 4]
    );
    let out = e.tick(at(0, 2_200));
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Note(Note::NoEntropy(_)))),
        "the supplied entropy gives the period's duties"
    );
    let batch = sealed(&out).expect("early seal with supplied entropy");
    assert_eq!(verdicts(&batch), vec![Verdict::Valid; 4]);
}

#[test]
fn short_retention_never_prunes_a_period_still_open() {
    // Retention 0 asks to keep only the current period; period 0 is still open (its grace and
    // settle run into period 1), so its state must survive until it is settled.
    let mut e = Solo::configured(
        4,
        EngineConfig {
            retention_periods: 0,
            ..config()
        },
    );
    e.registry(at(0, 100));
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    let _ = e.verify(&out, at(0, 2_100));
    assert!(sealed(&e.tick(at(0, 2_200))).is_some());
    let mut certs = Vec::new();
    let mut t = at(0, 2_250);
    while t < at(2, 0) {
        if t == at(1, 1_000) {
            // Batches of period 0 while period 1 runs: still taken.
            for s in [1, 2] {
                let out = e.gossip(
                    GossipMessage::Attestation(batch(s, 0, &[Verdict::Valid; 4])),
                    t,
                );
                assert_eq!(action(&out), Some(GossipAction::Accept), "signer {s}");
            }
        }
        let out = e.tick(t);
        assert!(
            sealed(&out).is_none_or(|b| b.period != Period(0)),
            "period 0 signed again at {t}"
        );
        certs.extend(published_certificates(&out));
        t += 50;
    }
    assert_eq!(certs.len(), 4, "period 0 certified at its settle");
}
