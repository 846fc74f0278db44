//! Restoring from the store: our batches re-published, never signed again, seen proofs and
//! the registry remembered.

use super::*;

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
