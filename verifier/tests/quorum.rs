//! Attestation signing, the attestation pool and quorum certificates: round trips, tampering,
//! and properties of merging and of Byzantine minorities.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proofmesh_proto::{
    AttestationBatch, BlsSignature, DatasetRoot, Period, QuorumCertificate, SignerBitfield,
    SignerProof, SlotId, SlotVerdict, Verdict, VerifierIndex, VerifierMember, VerifierSet,
};
use proofmesh_verifier::attest::{
    aggregate_signatures, entries_root, entry_leaf, sign_batch, signing_message,
    verify_batch_signature, verify_inclusion, EntriesTree, VerifierKeypair,
};
use proofmesh_verifier::quorum::{verify_certificate, AttestationPool, InsertOutcome};
use proofmesh_verifier::AttestError;
use proptest::prelude::*;
use std::sync::OnceLock;

const MAX_VERIFIERS: usize = 10;

fn keypairs() -> &'static [VerifierKeypair] {
    static KEYS: OnceLock<Vec<VerifierKeypair>> = OnceLock::new();
    KEYS.get_or_init(|| {
        (0..MAX_VERIFIERS)
            .map(|i| VerifierKeypair::from_seed(&[i as u8 + 1; 32]).unwrap())
            .collect()
    })
}

fn set_with(weights: &[u64]) -> VerifierSet {
    VerifierSet {
        effective_from: Period(0),
        members: weights
            .iter()
            .zip(keypairs())
            .map(|(&weight, kp)| VerifierMember {
                key: kp.public_key(),
                weight,
            })
            .collect(),
    }
}

fn dataset(tag: u8) -> DatasetRoot {
    DatasetRoot::from_le_bytes([tag; 32]).unwrap()
}

fn slot(i: u16) -> SlotId {
    SlotId {
        dataset: dataset(1),
        index: i,
    }
}

fn entries(verdicts: &[Verdict]) -> Vec<SlotVerdict> {
    verdicts
        .iter()
        .enumerate()
        .map(|(i, &verdict)| SlotVerdict {
            slot: slot(i as u16),
            verdict,
        })
        .collect()
}

fn sign(v: usize, period: u64, entries: Vec<SlotVerdict>) -> AttestationBatch {
    sign_batch(
        &keypairs()[v],
        VerifierIndex(v as u16),
        Period(period),
        entries,
    )
    .unwrap()
}

fn other(v: Verdict) -> Verdict {
    match v {
        Verdict::Valid | Verdict::Alive => Verdict::Missing,
        Verdict::Invalid => Verdict::Valid,
        Verdict::Missing => Verdict::Invalid,
    }
}

// ---------------------------------------------------------------- batch signatures

#[test]
fn batch_signature_round_trip_and_tampering() {
    let set = set_with(&[1, 1, 1]);
    let batch = sign(
        1,
        5,
        entries(&[Verdict::Valid, Verdict::Missing, Verdict::Invalid]),
    );
    verify_batch_signature(&batch, &set).unwrap();

    // Signed by verifier 1's key but claimed by verifier 2 (wrong key for the index).
    let mut wrong_key = batch.clone();
    wrong_key.verifier = VerifierIndex(2);
    assert_eq!(
        verify_batch_signature(&wrong_key, &set),
        Err(AttestError::BadSignature)
    );
    // The set registers another key at index 1.
    let mut other_set = set.clone();
    other_set.members[1].key = keypairs()[7].public_key();
    assert_eq!(
        verify_batch_signature(&batch, &other_set),
        Err(AttestError::BadSignature)
    );

    let mut tampered = batch.clone();
    tampered.entries[1].verdict = Verdict::Valid;
    assert_eq!(
        verify_batch_signature(&tampered, &set),
        Err(AttestError::BadSignature)
    );
    let mut dropped = batch.clone();
    dropped.entries.pop();
    assert_eq!(
        verify_batch_signature(&dropped, &set),
        Err(AttestError::BadSignature)
    );
    let mut period = batch.clone();
    period.period = Period(6);
    assert_eq!(
        verify_batch_signature(&period, &set),
        Err(AttestError::BadSignature)
    );
    let mut unknown = batch.clone();
    unknown.verifier = VerifierIndex(3);
    assert_eq!(
        verify_batch_signature(&unknown, &set),
        Err(AttestError::UnknownVerifier {
            verifier: 3,
            members: 3
        })
    );
    let mut garbage = batch.clone();
    garbage.signature = BlsSignature([0xff; 96]);
    assert_eq!(
        verify_batch_signature(&garbage, &set),
        Err(AttestError::MalformedSignature)
    );
    let mut infinity = batch.clone();
    infinity.signature.0 = [0; 96];
    infinity.signature.0[0] = 0xc0;
    assert_eq!(
        verify_batch_signature(&infinity, &set),
        Err(AttestError::MalformedSignature)
    );
    let mut unsorted = batch;
    unsorted.entries.swap(0, 2);
    assert_eq!(
        verify_batch_signature(&unsorted, &set),
        Err(AttestError::UnsortedEntries { position: 1 })
    );
}

#[test]
fn an_infinity_key_in_the_set_is_refused() {
    let mut set = set_with(&[1, 1]);
    set.members[0].key.0 = [0; 48];
    set.members[0].key.0[0] = 0xc0;
    let batch = sign(0, 1, entries(&[Verdict::Valid]));
    assert_eq!(
        verify_batch_signature(&batch, &set),
        Err(AttestError::InvalidPublicKey { verifier: 0 })
    );
}

#[test]
fn signature_covers_the_documented_message() {
    let e = entries(&[Verdict::Valid, Verdict::Invalid]);
    let batch = sign(0, 9, e.clone());
    let message = signing_message(Period(9), VerifierIndex(0), 2, &entries_root(&e));
    // A one-signer "aggregate" over the documented message is the batch signature itself.
    assert_eq!(
        aggregate_signatures(&[batch.signature]).unwrap(),
        batch.signature
    );
    let proof = SignerProof {
        entries_root: entries_root(&e),
        entry_index: 1,
        entry_count: 2,
        path: EntriesTree::new(&e).path(1).unwrap(),
    };
    assert!(verify_inclusion(
        &entry_leaf(&e[1]),
        1,
        2,
        &proof.path,
        &proof.entries_root
    ));
    assert_ne!(message, [0; 32]);
}

#[test]
fn inclusion_proofs_for_every_size_up_to_17() {
    for n in 1..=17usize {
        let verdicts: Vec<_> = (0..n).map(|i| Verdict::ALL[(i * 7) % 3]).collect();
        let e = entries(&verdicts);
        let tree = EntriesTree::new(&e);
        assert_eq!(tree.root(), entries_root(&e));
        for (i, entry) in e.iter().enumerate() {
            let path = tree.path(i).unwrap();
            assert!(verify_inclusion(
                &entry_leaf(entry),
                i as u32,
                n as u32,
                &path,
                &tree.root()
            ));
            let mut flipped = *entry;
            flipped.verdict = other(entry.verdict);
            assert!(!verify_inclusion(
                &entry_leaf(&flipped),
                i as u32,
                n as u32,
                &path,
                &tree.root()
            ));
        }
    }
}

// ---------------------------------------------------------------- pool

#[test]
fn duplicates_are_idempotent_and_equivocation_is_kept() {
    let set = set_with(&[1, 1, 1, 1]);
    let mut pool = AttestationPool::new();
    let honest = entries(&[Verdict::Valid, Verdict::Valid]);
    for v in 0..3 {
        assert_eq!(
            pool.insert(sign(v, 1, honest.clone()), &set),
            Ok(InsertOutcome::Inserted)
        );
    }
    assert_eq!(
        pool.insert(sign(0, 1, honest.clone()), &set),
        Ok(InsertOutcome::Duplicate)
    );
    assert_eq!(pool.len(), 3);
    assert_eq!(
        pool.final_verdict(Period(1), slot(0), &set),
        Some(Verdict::Valid)
    );

    // Verifier 2 also signs slot 1 as missing: equivocation on slot 1 only.
    let liar = sign(2, 1, entries(&[Verdict::Valid, Verdict::Missing]));
    assert_eq!(
        pool.insert(liar.clone(), &set),
        Ok(InsertOutcome::Equivocation {
            slots: vec![slot(1)]
        })
    );
    assert_eq!(pool.len(), 4);
    let evidence = pool.equivocations();
    assert_eq!(evidence.len(), 1);
    assert_eq!(evidence[0].verifier, VerifierIndex(2));
    assert_eq!(evidence[0].slots, vec![slot(1)]);
    assert!([&evidence[0].first, &evidence[0].second].contains(&&liar));
    verify_batch_signature(&evidence[0].first, &set).unwrap();
    verify_batch_signature(&evidence[0].second, &set).unwrap();

    // Slot 0: verifier 2 is consistent, 3 of 4 → final. Slot 1: it counts for nothing, 2 of 4.
    assert_eq!(
        pool.final_verdict(Period(1), slot(0), &set),
        Some(Verdict::Valid)
    );
    assert_eq!(pool.final_verdict(Period(1), slot(1), &set), None);
    let certs = pool.certificates(Period(1), &set);
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].entry.slot, slot(0));

    // A non-conflicting second batch (a superset) is kept but is no equivocation.
    let more = sign(
        0,
        1,
        entries(&[Verdict::Valid, Verdict::Valid, Verdict::Missing]),
    );
    assert_eq!(pool.insert(more, &set), Ok(InsertOutcome::Inserted));
    assert_eq!(pool.equivocations().len(), 1);

    // A bad batch leaves the pool unchanged.
    let mut bad = sign(3, 1, honest);
    bad.period = Period(2);
    assert_eq!(pool.insert(bad, &set), Err(AttestError::BadSignature));
    assert_eq!(pool.len(), 5);
}

// ---------------------------------------------------------------- certificates

/// Verifier `v`'s batch: the shared verdicts on slots `0..`, plus one slot of its own in
/// another dataset, so every signer's batch (root, count, paths) differs.
fn own_batch(v: usize, verdicts: &[Verdict]) -> AttestationBatch {
    let mut e = entries(verdicts);
    e.push(SlotVerdict {
        slot: SlotId {
            dataset: dataset(10 + v as u8),
            index: 0,
        },
        verdict: Verdict::Valid,
    });
    sign(v, 3, e)
}

/// A pool where verifiers 0..4 of 5 (equal weight) sign the same verdicts over `n` slots.
fn certified(n: usize) -> (VerifierSet, Vec<QuorumCertificate>) {
    let set = set_with(&[1, 1, 1, 1, 1]);
    let verdicts: Vec<_> = (0..n).map(|i| Verdict::ALL[i % 3]).collect();
    let mut pool = AttestationPool::new();
    for v in 0..4 {
        pool.insert(own_batch(v, &verdicts), &set).unwrap();
    }
    let certs = pool.certificates(Period(3), &set);
    assert_eq!(certs.len(), n);
    (set, certs)
}

#[test]
fn certificates_verify_alone_for_every_batch_size() {
    for n in [1, 2, 3, 5, 8, 17] {
        let (set, certs) = certified(n);
        for (i, cert) in certs.iter().enumerate() {
            assert_eq!(cert.entry.slot, slot(i as u16));
            assert_eq!(cert.signers.len(), 4);
            assert_eq!(cert.proofs.len(), 4);
            verify_certificate(cert, &set).unwrap();
        }
    }
}

#[test]
fn tampered_certificates_are_rejected() {
    let (set, certs) = certified(6);
    let cert = &certs[4];
    verify_certificate(cert, &set).unwrap();
    let check = |f: &dyn Fn(&mut QuorumCertificate), want: AttestError| {
        let mut c = cert.clone();
        f(&mut c);
        assert_eq!(verify_certificate(&c, &set), Err(want));
    };

    // Bitfield: drop a signer (proof count), swap a signer for a non-signer (messages).
    check(
        &|c| {
            c.signers = [0u16, 1, 2].into_iter().map(VerifierIndex).collect();
        },
        AttestError::ProofCount {
            signers: 3,
            proofs: 4,
        },
    );
    check(
        &|c| {
            c.signers = [0u16, 1, 2, 4].into_iter().map(VerifierIndex).collect();
        },
        AttestError::BadSignature,
    );
    check(
        &|c| {
            c.signers = [0u16, 1, 2, 9].into_iter().map(VerifierIndex).collect();
        },
        AttestError::UnknownVerifier {
            verifier: 9,
            members: 5,
        },
    );
    check(
        &|c| c.signers = SignerBitfield::new(),
        AttestError::NoSigners,
    );
    // A path node, the proof's position and count, the root.
    for k in 0..cert.proofs[2].path.len() {
        check(
            &|c| c.proofs[2].path[k][31] ^= 0x80,
            AttestError::BadInclusionProof { verifier: 2 },
        );
    }
    check(
        &|c| c.proofs[1].entry_index = 5,
        AttestError::BadInclusionProof { verifier: 1 },
    );
    check(
        &|c| c.proofs[1].entry_count = 5,
        AttestError::BadInclusionProof { verifier: 1 },
    );
    check(
        &|c| c.proofs[3].entries_root[0] ^= 1,
        AttestError::BadInclusionProof { verifier: 3 },
    );
    check(&|c| c.proofs.swap(0, 1), AttestError::BadSignature);
    // The entry: verdict, slot, dataset.
    check(
        &|c| c.entry.verdict = other(c.entry.verdict),
        AttestError::BadInclusionProof { verifier: 0 },
    );
    check(
        &|c| c.entry.slot = slot(3),
        AttestError::BadInclusionProof { verifier: 0 },
    );
    check(
        &|c| c.entry.slot.dataset = dataset(2),
        AttestError::BadInclusionProof { verifier: 0 },
    );
    // The period (every signer's message changes).
    check(&|c| c.period = Period(4), AttestError::BadSignature);
    // The aggregate signature: over another signer set's batches, garbage, one signer's only.
    // (Certificates of one period with the same signers share their aggregate: each signer
    // signs one batch per period.)
    assert_eq!(certs[3].aggregate_signature, cert.aggregate_signature);
    let verdicts: Vec<_> = (0..6).map(|i| Verdict::ALL[i % 3]).collect();
    let others: Vec<_> = (1..5).map(|v| own_batch(v, &verdicts).signature).collect();
    let others = aggregate_signatures(&others).unwrap();
    check(
        &|c| c.aggregate_signature = others,
        AttestError::BadSignature,
    );
    check(
        &|c| c.aggregate_signature = BlsSignature([0xab; 96]),
        AttestError::MalformedSignature,
    );
    let single = sign(0, 3, entries(&[Verdict::Valid; 6])).signature;
    check(
        &|c| c.aggregate_signature = single,
        AttestError::BadSignature,
    );
}

#[test]
fn a_minority_cannot_certify() {
    // Weights 1,1,1,1,1: 3 of 5 is below 2/3 (3 * 3 < 2 * 5).
    let (set, certs) = certified(2);
    let mut cert = certs[0].clone();
    cert.signers = [0u16, 1, 2].into_iter().map(VerifierIndex).collect();
    cert.proofs.truncate(3);
    // Re-aggregate honestly from the three signers' own batches: valid signatures, no quorum.
    let batches: Vec<_> = (0..3)
        .map(|v| own_batch(v, &[Verdict::Valid, Verdict::Invalid]))
        .collect();
    cert.aggregate_signature =
        aggregate_signatures(&batches.iter().map(|b| b.signature).collect::<Vec<_>>()).unwrap();
    assert_eq!(
        verify_certificate(&cert, &set),
        Err(AttestError::NoQuorum {
            weight: 3,
            total: 5
        })
    );
    // The same three signers are a quorum if they hold the weight.
    let heavy = set_with(&[3, 3, 3, 1, 1]);
    verify_certificate(&cert, &heavy).unwrap();

    // And a pool holding only a minority produces no certificate.
    let mut pool = AttestationPool::new();
    for b in batches {
        pool.insert(b, &set).unwrap();
    }
    assert!(pool.certificates(Period(3), &set).is_empty());
    assert_eq!(pool.final_verdict(Period(3), slot(0), &set), None);
    assert_eq!(pool.certificates(Period(3), &heavy).len(), 2);
}

#[test]
fn a_set_not_yet_in_force_is_refused() {
    let (mut set, certs) = certified(1);
    set.effective_from = Period(4);
    assert_eq!(
        verify_certificate(&certs[0], &set),
        Err(AttestError::WrongVerifierSet {
            period: 3,
            effective_from: 4
        })
    );
}

// ---------------------------------------------------------------- properties

/// Everything observable about a pool for the given periods: final verdicts on every slot
/// used, certificates, equivocation evidence and the batches held.
fn view(pool: &AttestationPool, set: &VerifierSet) -> impl PartialEq + std::fmt::Debug {
    let periods = [Period(1), Period(2)];
    let verdicts: Vec<_> = periods
        .iter()
        .flat_map(|&p| (0..SLOTS as u16).map(move |s| (p, s)))
        .map(|(p, s)| pool.final_verdict(p, slot(s), set))
        .collect();
    let certs: Vec<_> = periods.iter().map(|&p| pool.certificates(p, set)).collect();
    let batches: Vec<Vec<AttestationBatch>> = periods
        .iter()
        .map(|&p| pool.batches(p).cloned().collect())
        .collect();
    (verdicts, certs, pool.equivocations(), batches)
}

const SLOTS: usize = 4;
const MERGE_VERIFIERS: usize = 5;

/// A fixed universe of signed batches: 5 verifiers, 2 periods; verifier 4 equivocates in
/// period 1, verifier 3 re-signs a superset in period 2. Signed once for every case.
fn universe() -> &'static (VerifierSet, Vec<AttestationBatch>) {
    static U: OnceLock<(VerifierSet, Vec<AttestationBatch>)> = OnceLock::new();
    U.get_or_init(|| {
        let set = set_with(&[2, 1, 1, 1, 1]);
        let truth = [
            Verdict::Valid,
            Verdict::Missing,
            Verdict::Invalid,
            Verdict::Valid,
        ];
        let mut batches = Vec::new();
        for period in 1..=2 {
            for v in 0..MERGE_VERIFIERS {
                batches.push(sign(v, period, entries(&truth)));
            }
        }
        let mut lie = truth;
        lie[0] = Verdict::Missing;
        lie[2] = Verdict::Valid;
        batches.push(sign(4, 1, entries(&lie)));
        batches.push(sign(3, 2, entries(&truth[..2])));
        (set, batches)
    })
}

fn pool_of(mask: u16, order: &[usize]) -> AttestationPool {
    let (set, batches) = universe();
    let mut pool = AttestationPool::new();
    for &i in order {
        if mask & (1 << i) != 0 {
            pool.insert(batches[i].clone(), set).unwrap();
        }
    }
    pool
}

fn merged(a: &AttestationPool, b: &AttestationPool) -> AttestationPool {
    let mut out = a.clone();
    out.merge(b);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Merge is commutative, associative and idempotent, and equals inserting the union in
    /// any order: views converge whatever the delivery order.
    #[test]
    fn merge_is_a_semilattice(
        masks in proptest::array::uniform3(0u16..(1 << 12)),
        order in Just((0..12).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let (set, _) = universe();
        let [a, b, c] = masks.map(|m| pool_of(m, &order));
        prop_assert_eq!(view(&merged(&a, &b), set), view(&merged(&b, &a), set));
        prop_assert_eq!(
            view(&merged(&merged(&a, &b), &c), set),
            view(&merged(&a, &merged(&b, &c)), set)
        );
        prop_assert_eq!(view(&merged(&a, &a), set), view(&a, set));
        let mut reversed = order.clone();
        reversed.reverse();
        let union = pool_of(masks[0] | masks[1], &reversed);
        prop_assert_eq!(view(&merged(&a, &b), set), view(&union, set));
        for cert in merged(&merged(&a, &b), &c).certificates(Period(1), set) {
            prop_assert!(verify_certificate(&cert, set).is_ok());
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Byzantine {
    /// Signs the opposite verdict on every slot, and a verdict on a slot nobody honest attests.
    Opposite,
    /// Signs the honest batch and a contradicting one.
    Equivocate,
    /// Signs nothing.
    Withhold,
}

fn byzantine() -> impl Strategy<Value = Byzantine> {
    prop_oneof![
        Just(Byzantine::Opposite),
        Just(Byzantine::Equivocate),
        Just(Byzantine::Withhold)
    ]
}

fn weights() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        (4usize..=MAX_VERIFIERS).prop_map(|n| vec![1; n]),
        proptest::collection::vec(1u64..=10, 4..=MAX_VERIFIERS),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// With < 1/3 of the weight Byzantine, the Byzantine verifiers can neither create nor flip
    /// a final verdict, and honest verifiers holding ≥ 2/3 of the weight always finalise.
    #[test]
    fn byzantine_minority_cannot_create_or_flip(
        weights in weights(),
        roles in proptest::collection::vec((any::<bool>(), byzantine(), any::<bool>()), MAX_VERIFIERS),
        truth in proptest::collection::vec(proptest::sample::select(Verdict::ALL.to_vec()), 3),
    ) {
        let set = set_with(&weights);
        let total: u64 = weights.iter().sum();
        // Mark verifiers Byzantine (first flag) while their weight stays below a third.
        let mut byz_weight = 0;
        let mut role = Vec::new();
        for (v, &w) in weights.iter().enumerate() {
            let (wants, behaviour, online) = roles[v];
            if wants && 3 * (byz_weight + w) < total {
                byz_weight += w;
                role.push(Some(behaviour));
            } else {
                role.push(None);
                let _ = online;
            }
        }
        let honest = entries(&truth);
        let lies: Vec<_> = truth.iter().map(|&t| other(t)).chain([Verdict::Invalid]).collect();
        let lies = entries(&lies);

        let mut pool = AttestationPool::new();
        let mut online_weight = 0u64;
        for (v, r) in role.iter().enumerate() {
            let online = roles[v].2 || r.is_some();
            match r {
                None if online => {
                    online_weight += weights[v];
                    pool.insert(sign(v, 7, honest.clone()), &set).unwrap();
                }
                None => {}
                Some(Byzantine::Opposite) => {
                    pool.insert(sign(v, 7, lies.clone()), &set).unwrap();
                }
                Some(Byzantine::Equivocate) => {
                    pool.insert(sign(v, 7, honest.clone()), &set).unwrap();
                    let outcome = pool.insert(sign(v, 7, lies.clone()), &set).unwrap();
                    let equivocated = matches!(outcome, InsertOutcome::Equivocation { .. });
                    prop_assert!(equivocated);
                }
                Some(Byzantine::Withhold) => {}
            }
        }
        let honest_finalises = set.is_quorum(u128::from(online_weight));
        for (i, &t) in truth.iter().enumerate() {
            let verdict = pool.final_verdict(Period(7), slot(i as u16), &set);
            // Never flipped.
            prop_assert!(verdict.is_none() || verdict == Some(t));
            if honest_finalises {
                prop_assert_eq!(verdict, Some(t));
            }
        }
        // A slot only Byzantine verifiers attest is never final.
        prop_assert_eq!(pool.final_verdict(Period(7), slot(3), &set), None);
        let certs = pool.certificates(Period(7), &set);
        prop_assert_eq!(certs.len(), if honest_finalises { truth.len() } else { certs.len() });
        for cert in &certs {
            prop_assert_eq!(cert.entry.verdict, truth[usize::from(cert.entry.slot.index)]);
            prop_assert!(verify_certificate(cert, &set).is_ok());
            // Certificates cite only verifiers that signed the honest verdict consistently.
            for signer in cert.signers.iter() {
                prop_assert!(role[usize::from(signer.0)].is_none());
            }
        }
    }
}
