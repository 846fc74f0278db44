//! Repair requests carry their evidence: a verifier that sees a slot go Lost publishes a
//! request with the certificates of the failures that made it so; another checks every one
//! against the verifier set and the health budgets. Forged or insufficient evidence is
//! Rejected (its sender loses score); a request for a slot that has recovered since is stale
//! (Ignored).

use super::*;
use proofmesh_proto::RepairRequest;
use proofmesh_verifier::sign_repair_request;

/// One engine of a one-member set watches the fixture's dataset with no proofs at all:
/// periods 0 and 1 are certified Missing for every slot, which makes them Lost (budget 2).
/// Returns the engine and the repair requests it published.
fn lost_everywhere() -> (Solo, Vec<RepairRequest>) {
    let mut e = Solo::new(1);
    e.registry(at(0, 100));
    let mut requests = Vec::new();
    for t in [at(1, 4_000), at(2, 4_000)] {
        for o in e.tick(t) {
            if let Output::Publish(GossipMessage::Repair(r)) = o {
                requests.push(r);
            }
        }
    }
    (e, requests)
}

fn heard(e: &mut Solo, r: &RepairRequest) -> Option<GossipAction> {
    action(&e.gossip(GossipMessage::Repair(r.clone()), at(2, 4_500)))
}

#[test]
fn a_lost_slot_raises_one_request_per_slot_carrying_the_run_of_failures() {
    let (_, requests) = lost_everywhere();
    // Every slot is lost in the same step; requests go out while the dataset is still
    // recoverable: for M of them (then fewer than K survive, and none is asked).
    assert_eq!(
        requests.len(),
        proofmesh_sim::fixture::PARITY_SLOTS as usize
    );
    for r in &requests {
        let periods: Vec<u64> = r.evidence.iter().map(|c| c.period.0).collect();
        assert_eq!(periods, [0, 1], "{r:?}");
        assert!(r
            .evidence
            .iter()
            .all(|c| c.entry.verdict == Verdict::Missing && c.entry.slot == r.slot));
        assert_eq!(r.certificate, r.evidence[1].content_id());
        // It survives the wire, and another verifier accepts it.
        assert_eq!(RepairRequest::decode(&r.encode()).as_ref(), Ok(r));
    }
    let mut other = Solo::new(1);
    other.registry(at(0, 100));
    assert_eq!(heard(&mut other, &requests[0]), Some(GossipAction::Accept));
}

#[test]
fn forged_or_insufficient_evidence_is_rejected() {
    let (_, requests) = lost_everywhere();
    let r = &requests[0];
    let mut judge = Solo::new(1);
    judge.registry(at(0, 100));
    let key = verifier_keypair(0);
    let resign = |evidence: Vec<QuorumCertificate>| {
        sign_repair_request(&key, VerifierIndex(0), r.slot, evidence).unwrap()
    };
    // A certificate whose signature is not the quorum's.
    let mut forged = r.evidence.clone();
    forged[0].aggregate_signature = forged[1].aggregate_signature;
    assert_eq!(
        heard(&mut judge, &resign(forged)),
        Some(GossipAction::Reject)
    );
    // One failure: below the miss budget of 2, the slot is not lost.
    assert_eq!(
        heard(&mut judge, &resign(r.evidence[1..].to_vec())),
        Some(GossipAction::Reject)
    );
    // The request's own signature by another key than the member it names.
    let mut unsigned = r.clone();
    unsigned.signature = requests[1].signature;
    assert_eq!(heard(&mut judge, &unsigned), Some(GossipAction::Reject));
    // The honest one is still fine.
    assert_eq!(heard(&mut judge, r), Some(GossipAction::Accept));
}

#[test]
fn a_request_for_a_slot_that_recovered_since_is_stale() {
    let (_, requests) = lost_everywhere();
    // This verifier saw the slots proven again in period 2.
    let mut e = Solo::new(1);
    e.registry(at(0, 100));
    let out = e.prove(2, &all_valid(), at(2, 2_000));
    e.verify(&out, at(2, 2_150));
    e.tick(at(2, 2_200));
    assert!(e
        .engine
        .certified()
        .keys()
        .any(|(p, s)| *p == Period(2) && *s == requests[0].slot));
    assert_eq!(heard(&mut e, &requests[0]), Some(GossipAction::Ignore));
}

fn claim_action(e: &mut Solo, c: &proofmesh_proto::RepairClaim, now: u64) -> Option<GossipAction> {
    action(&e.gossip(GossipMessage::Claim(c.clone()), now))
}

fn state(e: &Solo, slot: proofmesh_proto::SlotId) -> proofmesh_verifier::health::SlotState {
    e.engine.health().slot(&slot).unwrap().state()
}

#[test]
fn the_smallest_claim_wins_rebuilds_and_its_first_valid_proof_heals_the_slot() {
    use proofmesh_verifier::health::SlotState;
    let fx = fixture();
    let (mut e, requests) = lost_everywhere();
    let r = requests
        .iter()
        .find(|r| r.slot.index == 0)
        .expect("slot 0 lost");
    assert_eq!(state(&e, r.slot), SlotState::Lost);
    // Both providers volunteer for slot 0 in period 2 (claims are taken until period 3,
    // two periods after the loss); a forged claim is refused, one for another loss ignored.
    let claims = [
        fx.claim(0, 0, r.certificate, Period(2)),
        fx.claim(1, 0, r.certificate, Period(2)),
    ];
    for c in &claims {
        assert_eq!(
            claim_action(&mut e, c, at(2, 4_600)),
            Some(GossipAction::Accept)
        );
    }
    let mut forged = fx.claim(1, 0, r.certificate, Period(2));
    forged.volunteer = fx.provider_key(0);
    assert_eq!(
        claim_action(&mut e, &forged, at(2, 4_600)),
        Some(GossipAction::Reject)
    );
    let other = fx.claim(1, 0, proofmesh_proto::ContentId([7; 32]), Period(2));
    assert_eq!(
        claim_action(&mut e, &other, at(2, 4_600)),
        Some(GossipAction::Ignore)
    );
    // Past the deadline (period 3, two periods after the loss): the smallest claim id wins,
    // and answers for slot 0 from period 4.
    let winner = claims.iter().min_by_key(|c| c.content_id()).unwrap();
    let by = (0..2)
        .find(|j| fx.provider_key(*j) == winner.volunteer)
        .unwrap();
    e.tick(at(3, 100));
    assert_eq!(
        state(&e, r.slot),
        SlotState::Lost,
        "claims are still taken in period 3"
    );
    e.tick(at(4, 100));
    assert_eq!(state(&e, r.slot), SlotState::Repairing);
    assert_eq!(
        e.engine.intake().registry.provider_at(&r.slot, Period(4)),
        Some(&winner.volunteer)
    );
    // Late claims are not taken.
    let late = fx.claim(1 - by, 0, r.certificate, Period(4));
    assert_eq!(
        claim_action(&mut e, &late, at(4, 200)),
        Some(GossipAction::Ignore)
    );
    // The winner's proof of slot 0 for period 4 is accepted and certified: Healthy again.
    let out = e.gossip(
        GossipMessage::Proof(fx.envelope_by(by, 0, Period(4), ProofKind::Valid)),
        at(4, 2_000),
    );
    assert_eq!(action(&out), None, "a checked proof waits for its job");
    let out = e.tick(at(4, 2_000 + config().batch_delay_ms));
    e.verify(&out, at(4, 2_400));
    e.tick(at(5, 4_000));
    assert_eq!(state(&e, r.slot), SlotState::Healthy);
    assert_eq!(
        e.engine
            .health()
            .slot(&r.slot)
            .unwrap()
            .latest()
            .map(|l| l.1),
        Some(Verdict::Valid)
    );
}

#[test]
fn an_undelivered_claim_expires_and_the_slot_is_lost_again() {
    use proofmesh_verifier::health::SlotState;
    let fx = fixture();
    let (mut e, requests) = lost_everywhere();
    let r = requests
        .iter()
        .find(|r| r.slot.index == 0)
        .expect("slot 0 lost");
    let c = fx.claim(1, 0, r.certificate, Period(2));
    assert_eq!(
        claim_action(&mut e, &c, at(2, 4_600)),
        Some(GossipAction::Accept)
    );
    e.tick(at(4, 100));
    assert_eq!(state(&e, r.slot), SlotState::Repairing);
    // Delivery was due by period 4 + 4 = 8: nothing came, so at period 9 the claim expires.
    for p in 5..9 {
        e.tick(at(p, 100));
        assert_eq!(state(&e, r.slot), SlotState::Repairing, "period {p}");
    }
    e.tick(at(9, 100));
    assert_eq!(state(&e, r.slot), SlotState::Lost);
    assert_eq!(
        e.engine.intake().registry.provider_at(&r.slot, Period(9)),
        Some(&fx.provider_key(0))
    );
    // The volunteer is benched; another one may claim the slot now.
    let again = fx.claim(1, 0, r.certificate, Period(9));
    assert_eq!(
        claim_action(&mut e, &again, at(9, 200)),
        Some(GossipAction::Ignore)
    );
    let other = fx.claim(0, 0, r.certificate, Period(9));
    assert_eq!(
        claim_action(&mut e, &other, at(9, 200)),
        Some(GossipAction::Accept)
    );
}

#[test]
fn every_engine_picks_the_same_winner_whatever_order_claims_arrive_in() {
    use rand::seq::SliceRandom;
    let fx = fixture();
    // Many seeds: each engine hears the same claims of every lost slot, in its own order;
    // all decide the same winner per slot.
    for seed in 0..8u64 {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut winners = Vec::new();
        for _engine in 0..3 {
            let (mut e, requests) = lost_everywhere();
            let mut claims: Vec<_> = requests
                .iter()
                .flat_map(|r| (0..2).map(move |by| (by, r)))
                .map(|(by, r)| fx.claim(by, r.slot.index, r.certificate, Period(2)))
                .collect();
            claims.shuffle(&mut rng);
            for c in &claims {
                assert_eq!(
                    claim_action(&mut e, c, at(2, 4_600)),
                    Some(GossipAction::Accept)
                );
            }
            e.tick(at(4, 100));
            let picked: Vec<_> = requests
                .iter()
                .map(|r| {
                    e.engine
                        .intake()
                        .registry
                        .provider_at(&r.slot, Period(4))
                        .copied()
                })
                .collect();
            winners.push(picked);
        }
        assert!(
            winners.windows(2).all(|w| w[0] == w[1]),
            "seed {seed}: {winners:?}"
        );
    }
}

#[test]
fn slots_past_the_point_of_recovery_get_no_repair_round() {
    let fx = fixture();
    let (mut e, requests) = lost_everywhere();
    // M slots were requested; the others were lost once fewer than K survived: no round
    // takes a claim for them (the dataset is unrecoverable, a terminal state).
    let requested: Vec<u16> = requests.iter().map(|r| r.slot.index).collect();
    for index in (0..proofmesh_sim::fixture::SLOTS).filter(|i| !requested.contains(i)) {
        let loss = e
            .engine
            .health()
            .slot(&fx.slot(index))
            .and_then(|s| s.loss())
            .map(|(_, id)| id)
            .unwrap();
        let c = fx.claim(0, index, loss, Period(2));
        assert_eq!(
            claim_action(&mut e, &c, at(2, 4_600)),
            Some(GossipAction::Ignore)
        );
    }
}
