//! Gossip verdicts of proofs, registry records and batches: who is at fault decides
//! Reject or Ignore; a known valid record is still accepted so gossip forwards it; only the
//! owner assigns slots, and an equivocating owner's assignments settle the same in any order.

use super::*;
use proofmesh_sim::AssignSigner;

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
fn an_assignment_not_signed_by_the_owner_is_rejected_and_its_proofs_too() {
    let fx = fixture();
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    // Provider 1 takes slot 0 (provider 0's) from period 1, signing the assignment itself.
    let forged = fx.assignment(0, 1, Period(1), AssignSigner::Provider(1));
    let out = e.gossip(GossipMessage::Assign(forged.clone()), at(0, 200));
    assert_eq!(action(&out), Some(GossipAction::Reject));
    assert!(persisted(&out).is_none(), "nothing written");
    // Arriving before the announcement it waits, then is refused when adopted.
    let mut late = Solo::new(4);
    let out = late.gossip(GossipMessage::Assign(forged), at(0, 100));
    assert_eq!(action(&out), Some(GossipAction::Ignore));
    let out = late.gossip(GossipMessage::Announce(fx.announce()), at(0, 200));
    assert_eq!(action(&out), Some(GossipAction::Accept));
    assert!(persisted(&out).unwrap().assignments.is_empty());
    let holder = fx.provider_key(0);
    assert_eq!(
        e.engine
            .intake()
            .registry
            .provider_at(&fx.slot(0), Period(1)),
        Some(&holder)
    );
    assert_eq!(
        late.engine
            .intake()
            .registry
            .provider_at(&fx.slot(0), Period(1)),
        None
    );
    // The thief's valid proof of slot 0 in period 1: someone else's slot, refused.
    let thief = fx.envelope_by(1, 0, Period(1), ProofKind::Valid);
    let out = e.gossip(GossipMessage::Proof(thief), at(1, 1_000));
    assert_eq!(action(&out), Some(GossipAction::Reject));
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Note(Note::Refused {
            reason: "wrong_provider",
            ..
        })
    )));
    // The holder's proof is taken.
    let out = e.prove(1, &[(0, ProofKind::Valid)], at(1, 1_100));
    assert_eq!(
        actions(&e.verify(&out, at(1, 1_300))),
        vec![GossipAction::Accept]
    );
}

#[test]
fn an_equivocating_owner_settles_the_same_whatever_the_order() {
    let fx = fixture();
    // The owner assigns slot 2 from period 3 to two providers.
    let x = fx.assignment(2, 0, Period(3), AssignSigner::Owner);
    let y = fx.assignment(2, 1, Period(3), AssignSigner::Owner);
    let (win, lose) = if x.content_id() < y.content_id() {
        (x, y)
    } else {
        (y, x)
    };
    let mut written = Vec::new();
    for order in [[&win, &lose], [&lose, &win]] {
        let mut e = Solo::new(4);
        e.registry(at(0, 100));
        let first = e.gossip(GossipMessage::Assign(order[0].clone()), at(0, 200));
        let second = e.gossip(GossipMessage::Assign(order[1].clone()), at(0, 300));
        assert_eq!(action(&first), Some(GossipAction::Accept));
        // The winner second replaces the loser (accepted, written); the loser second is
        // ignored: the owner equivocated, not the peer that forwarded it.
        let want = if order[1] == &win {
            GossipAction::Accept
        } else {
            GossipAction::Ignore
        };
        assert_eq!(action(&second), Some(want));
        for out in [&first, &second] {
            if let Some(w) = persisted(out) {
                written.extend(w.assignments.iter().cloned());
            }
        }
        let registry = &e.engine.intake().registry;
        assert_eq!(
            registry.assignment_at(&fx.slot(2), Period(3)),
            Some(&win),
            "order {:?}",
            order.map(|s| s.provider)
        );
        assert_eq!(
            registry.provider_at(&fx.slot(2), Period(2)),
            Some(&fx.provider_key(0))
        );
        // A store fed every write ends with the winner.
        let mut store = Store::default();
        for w in &written {
            let mut writes = proofmesh_verifier::engine::Writes::default();
            writes.assignments.push(w.clone());
            store.apply(writes).unwrap();
        }
        assert!(store.assignments().any(|s| s == &win));
        assert!(!store.assignments().any(|s| s == &lose));
        written.clear();
    }
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
