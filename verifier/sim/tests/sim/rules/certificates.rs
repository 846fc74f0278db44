//! Certificates: formed when every member is in or at the settle, replaced only by a
//! better one (more signers, then the smaller id), whatever the order they arrive in.

use super::*;

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

#[test]
fn a_new_verifier_set_applies_from_its_period_on() {
    // A fifth member joins from period 2. Period 0 is still governed by the old set: its
    // batches are still taken and it is still certified by 3 of the 4 old members.
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    let _ = e.verify(&out, at(0, 2_100));
    assert!(sealed(&e.tick(at(0, 2_200))).is_some());
    let mut next = verifier_set(&[1; 5]);
    next.effective_from = Period(2);
    e.engine.on(Input::VerifierSet(next.clone()), at(0, 2_300));
    assert_eq!(e.engine.verifier_set(), &next);
    for s in [1, 2] {
        let out = e.gossip(
            GossipMessage::Attestation(batch(s, 0, &[Verdict::Valid; 4])),
            at(1, 1_000),
        );
        assert_eq!(action(&out), Some(GossipAction::Accept), "old member {s}");
    }
    let certs = published_certificates(&e.tick(at(1, 4_000)));
    assert_eq!(certs.len(), 4, "period 0 certified at its settle");
    assert!(certs
        .iter()
        .all(|c| proofmesh_verifier::verify_certificate(c, &e.set).is_ok()));
    // The new member's batch for period 2 is taken; for period 1 it is not a member.
    let out = e.gossip(
        GossipMessage::Attestation(batch(4, 2, &[Verdict::Valid; 4])),
        at(1, 4_100),
    );
    assert_eq!(action(&out), Some(GossipAction::Accept));
    let out = e.gossip(
        GossipMessage::Attestation(batch(4, 1, &[Verdict::Valid; 4])),
        at(1, 4_100),
    );
    assert_eq!(action(&out), Some(GossipAction::Reject));
}

#[test]
fn a_worse_certificate_is_answered_with_ours_once() {
    let set = verifier_set(&[1; 7]);
    let five_a = certificate(&set, &[1, 2, 3, 4, 5]);
    let five_b = certificate(&set, &[2, 3, 4, 5, 6]);
    let six = certificate(&set, &[1, 2, 3, 4, 5, 6]);
    let mut e = Solo::new(7);
    e.registry(at(0, 100));
    let out = e.gossip(GossipMessage::Certificate(six.clone()), at(1, 5_000));
    assert_eq!(action(&out), Some(GossipAction::Accept));
    assert!(
        published_certificates(&out).is_empty(),
        "forwarded, not re-published"
    );
    // A peer holding a worse one missed ours: it gets ours again, once per worse certificate.
    for worse in [&five_a, &five_b] {
        let out = e.gossip(GossipMessage::Certificate(worse.clone()), at(1, 5_100));
        assert_eq!(action(&out), Some(GossipAction::Ignore));
        assert_eq!(published_certificates(&out), vec![six.clone()]);
    }
    let out = e.gossip(GossipMessage::Certificate(five_a), at(1, 5_200));
    assert_eq!(action(&out), Some(GossipAction::Ignore));
    assert!(published_certificates(&out).is_empty(), "answered already");
    // Our own certificate coming back is not a worse one.
    let out = e.gossip(GossipMessage::Certificate(six), at(1, 5_300));
    assert!(published_certificates(&out).is_empty());
}

#[test]
fn after_a_sync_certificates_the_pool_no_longer_rebuilds_are_published_again() {
    // We hold a certificate signed by all four members; a sync then shows that member 3 also
    // signed another verdict on slot 0. Our pool now rebuilds slot 0's certificate without
    // member 3, so peers that synced the same batches cannot rebuild ours: we publish it.
    let fx = fixture();
    let mut e = Solo::new(4);
    e.registry(at(0, 100));
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    let _ = e.verify(&out, at(0, 2_100));
    assert!(sealed(&e.tick(at(0, 2_200))).is_some());
    let mut held = Vec::new();
    for s in [1, 2, 3] {
        let out = e.gossip(
            GossipMessage::Attestation(batch(s, 0, &[Verdict::Valid; 4])),
            at(0, 2_500),
        );
        held.extend(published_certificates(&out));
    }
    assert_eq!(held.len(), 4, "every member in: certified");
    let slot0 = held
        .iter()
        .find(|c| c.entry.slot == fx.slot(0))
        .unwrap()
        .clone();
    assert_eq!(slot0.signers.len(), 4);
    let other = batch(
        3,
        0,
        &[
            Verdict::Missing,
            Verdict::Valid,
            Verdict::Valid,
            Verdict::Valid,
        ],
    );
    let out = e.engine.on(
        Input::Synced {
            batches: vec![other],
        },
        at(0, 3_000),
    );
    assert!(published_certificates(&out).contains(&slot0));
    assert_eq!(
        e.engine.certified().get(&(Period(0), fx.slot(0))),
        Some(&slot0.content_id()),
        "still the better certificate"
    );
}

#[test]
fn a_peer_catching_up_gets_the_certificates_it_cannot_rebuild() {
    // We hold a certificate formed elsewhere (our pool has none of its batches): a peer that
    // syncs our batches could not rebuild it, so answering its sync gossips it too.
    let set = verifier_set(&[1; 7]);
    let six = certificate(&set, &[1, 2, 3, 4, 5, 6]);
    let mut e = Solo::new(7);
    e.registry(at(0, 100));
    let out = e.gossip(GossipMessage::Certificate(six.clone()), at(1, 5_000));
    assert_eq!(action(&out), Some(GossipAction::Accept));
    let reply = proofmesh_sim::SimReply { to: 1, life: 0 };
    let out = e.engine.on(
        Input::SyncRequest {
            from: Period(0),
            reply,
        },
        at(1, 5_100),
    );
    assert!(out.iter().any(|o| matches!(o, Output::AnswerSync { .. })));
    assert_eq!(published_certificates(&out), vec![six]);
    // Once our own pool rebuilds what we hold, a sync answer carries batches only.
    let mut e = Solo::new(2);
    e.registry(at(0, 100));
    let out = e.prove(0, &all_valid(), at(0, 2_000));
    let _ = e.verify(&out, at(0, 2_100));
    assert!(sealed(&e.tick(at(0, 2_200))).is_some());
    let out = e.gossip(
        GossipMessage::Attestation(batch(1, 0, &[Verdict::Valid; 4])),
        at(0, 2_400),
    );
    assert_eq!(published_certificates(&out).len(), 4);
    let out = e.engine.on(
        Input::SyncRequest {
            from: Period(0),
            reply,
        },
        at(0, 2_500),
    );
    assert!(published_certificates(&out).is_empty());
}
