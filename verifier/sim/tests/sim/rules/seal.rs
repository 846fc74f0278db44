//! Sealing our attestation: early once every duty is proven, at the deadline once every job
//! is back, with the entropy the duties were checked with, and never twice for a period.

use super::*;

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
