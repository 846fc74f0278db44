//! The intake stages on Codex's real proof: every check, its error and its gossip action.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_serialize::CanonicalSerialize;
use ed25519_dalek::{Signer, SigningKey};
use proofmesh_proto::*;
use proofmesh_verifier::duty::{EntropySource, PeriodClock};
use proofmesh_verifier::intake::{GossipAction, Intake, IntakeError, KeyRing, Registry};
use proofmesh_verifier::snarkjs::{parse_proof, parse_public_inputs, parse_verifying_key};
use rand::SeedableRng;
use std::collections::HashMap;

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../shared/fixtures/codex/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Test seam: entropy fixed per period (the Codex proof was made for entropy 10941033813).
struct FixedEntropy(HashMap<u64, Fr>);
impl EntropySource for FixedEntropy {
    fn entropy(&self, period: Period) -> Option<Fr> {
        self.0.get(&period.0).copied()
    }
    fn name(&self) -> &'static str {
        "fixed"
    }
}

const PERIOD: Period = Period(5);
const NOW: u64 = 1000 + 5 * 60 + 10; // inside period 5 (genesis 1000, 60 s periods)

struct World {
    intake: Intake,
    owner: SigningKey,
    provider: SigningKey,
    circuit: CircuitId,
    slot: SlotId,
    proof_bytes: [u8; PROOF_BYTES],
}

fn codex_root() -> DatasetRoot {
    let inputs = parse_public_inputs(&fixture("hardhat/public.json")).unwrap();
    let mut le = [0u8; 32];
    inputs[1].serialize_compressed(&mut le[..]).unwrap();
    DatasetRoot::from_le_bytes(le).unwrap()
}

fn key(k: &SigningKey) -> ProviderKey {
    ProviderKey(k.verifying_key().to_bytes())
}

fn signed(owner: &SigningKey, mut a: DatasetAnnounce) -> DatasetAnnounce {
    a.owner = key(owner);
    a.signature = ProviderSignature(owner.sign(&a.signing_bytes()).to_bytes());
    a
}

/// An announcement of `root` with 11 slots of 16 blocks (512 cells, Codex's fixture) and the
/// given slot roots.
fn announcement(
    owner: &SigningKey,
    root: DatasetRoot,
    slot_roots: Vec<SlotRoot>,
    probability: u32,
) -> DatasetAnnounce {
    signed(
        owner,
        DatasetAnnounce {
            root,
            data_slots: 8,
            parity_slots: 3,
            slot_roots,
            proof_probability: probability,
            blocks_per_slot: 16,
            cells_per_slot: 512,
            original_size: 8 * 16 * 65536 - 1000,
            owner: key(owner),
            signature: ProviderSignature([0; 64]),
        },
    )
}

/// Codex's dataset (the root of its real proof). Its slot roots are not in the fixture (only
/// slot 3's path), so these are stand-ins that do not hash to the root: the announcement is
/// one a node holds (restored from its store), never one it would accept from gossip.
fn announce(owner: &SigningKey, root: DatasetRoot, probability: u32) -> DatasetAnnounce {
    let stand_ins = (0..11u8)
        .map(|i| SlotRoot::from_le_bytes([i; 32]).unwrap())
        .collect();
    announcement(owner, root, stand_ins, probability)
}

/// A dataset of 11 slots whose slot roots hash to its root (`seed` picks the roots).
fn own_dataset(owner: &SigningKey, seed: u64, probability: u32) -> DatasetAnnounce {
    use proofmesh_circuits::field::fr_to_le_bytes;
    let leaves: Vec<Fr> = (0..11).map(|i| Fr::from(seed * 100 + i)).collect();
    let tree = proofmesh_circuits::MerkleTree::new(leaves.clone()).unwrap();
    let root = DatasetRoot::from_le_bytes(fr_to_le_bytes(&tree.root())).unwrap();
    let slot_roots = leaves
        .iter()
        .map(|l| SlotRoot::from_le_bytes(fr_to_le_bytes(l)).unwrap())
        .collect();
    announcement(owner, root, slot_roots, probability)
}

/// `slot` assigned to `provider` from `from`, signed by `signer` (the owner, or a forger).
fn assign(signer: &SigningKey, provider: &SigningKey, slot: SlotId, from: Period) -> SlotAssign {
    let mut s = SlotAssign {
        slot,
        provider: key(provider),
        from_period: from,
        signature: ProviderSignature([0; 64]),
    };
    s.signature = ProviderSignature(signer.sign(&s.signing_bytes()).to_bytes());
    s
}

fn world(probability: u32) -> World {
    let vk = parse_verifying_key(&fixture("hardhat/verification_key.json")).unwrap();
    let mut keys = KeyRing::new();
    let circuit = keys.insert(&vk);
    let owner = SigningKey::from_bytes(&[1; 32]);
    let provider = SigningKey::from_bytes(&[2; 32]);
    let root = codex_root();
    let slot = SlotId {
        dataset: root,
        index: 3,
    };
    let mut registry = Registry::new();
    // Held as if from the store (see `announce`); the assignment goes through every check.
    assert!(registry.restore_dataset(announce(&owner, root, probability)));
    assert_eq!(
        registry.assign(assign(&owner, &provider, slot, Period(0))),
        Ok(true)
    );
    let entropy = FixedEntropy([(5, Fr::from(10941033813u64)), (6, Fr::from(7u64))].into());
    let intake = Intake::new(
        registry,
        PeriodClock::new(1000, 60, 30),
        Box::new(entropy),
        keys,
    );
    let proof = parse_proof(&fixture("hardhat/proof.json")).unwrap();
    let mut proof_bytes = [0u8; PROOF_BYTES];
    proof.serialize_compressed(&mut proof_bytes[..]).unwrap();
    World {
        intake,
        owner,
        provider,
        circuit,
        slot,
        proof_bytes,
    }
}

fn envelope(
    w: &World,
    signer: &SigningKey,
    period: Period,
    proof: [u8; PROOF_BYTES],
) -> ProofEnvelope {
    let mut e = ProofEnvelope {
        slot: w.slot,
        period,
        circuit_id: w.circuit,
        proof_system: ProofSystem::GROTH16_BN254,
        proof: proof.to_vec(),
        provider: ProviderKey(signer.verifying_key().to_bytes()),
        signature: ProviderSignature([0; 64]),
    };
    e.signature = ProviderSignature(signer.sign(&e.signing_bytes()).to_bytes());
    e
}

fn rng() -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::seed_from_u64(3)
}

#[test]
fn codex_proof_passes_every_stage() {
    let mut w = world(1);
    let e = envelope(&w, &w.provider, PERIOD, w.proof_bytes);
    let checked = w.intake.check(e.clone(), NOW).unwrap();
    assert_eq!(checked.public_inputs()[0], Fr::from(10941033813u64));
    let out = w.intake.verify(&[checked], &mut rng());
    let v = out[0].as_ref().unwrap();
    assert_eq!(
        (v.slot(), v.period(), v.circuit()),
        (w.slot, PERIOD, w.circuit)
    );
    assert!(w.intake.is_proven(&w.slot, PERIOD));
    // The same message again: a duplicate. Another valid proof of the same duty: already proven.
    assert_eq!(w.intake.check(e, NOW).unwrap_err(), IntakeError::Duplicate);
    let vk = parse_verifying_key(&fixture("hardhat/verification_key.json")).unwrap();
    let other = Groth16::<Bn254>::rerandomize_proof(
        &vk,
        &parse_proof(&fixture("hardhat/proof.json")).unwrap(),
        &mut rng(),
    );
    let mut bytes = [0u8; PROOF_BYTES];
    other.serialize_compressed(&mut bytes[..]).unwrap();
    let err = w
        .intake
        .check(envelope(&w, &w.provider, PERIOD, bytes), NOW)
        .unwrap_err();
    assert_eq!(err, IntakeError::AlreadyProven(w.slot));
    assert_eq!(err.action(), GossipAction::Ignore);
}

#[test]
fn each_cheap_check_has_its_error_and_action() {
    let w = world(1);
    let stranger = SigningKey::from_bytes(&[9; 32]);
    let cases: Vec<(ProofEnvelope, u64, IntakeError, GossipAction)> = vec![
        (
            envelope(&w, &stranger, PERIOD, w.proof_bytes),
            NOW,
            IntakeError::WrongProvider(w.slot),
            GossipAction::Reject,
        ),
        (
            envelope(&w, &w.provider, PERIOD, w.proof_bytes),
            1000 + 4 * 60,
            IntakeError::TooEarly(PERIOD),
            GossipAction::Ignore,
        ),
        (
            envelope(&w, &w.provider, PERIOD, w.proof_bytes),
            1000 + 6 * 60 + 31,
            IntakeError::TooLate(PERIOD),
            GossipAction::Ignore,
        ),
        (
            envelope(&w, &w.provider, Period(7), w.proof_bytes),
            1000 + 7 * 60,
            IntakeError::NoEntropy(Period(7)),
            GossipAction::Ignore,
        ),
    ];
    for (i, (e, now, want, action)) in cases.into_iter().enumerate() {
        let mut w2 = world(1);
        let got = w2.intake.check(e, now).unwrap_err();
        assert_eq!(got, want, "case {i}");
        assert_eq!(got.action(), action, "case {i}");
    }

    // Bad signature: the provider's key, someone else's signature.
    let mut w2 = world(1);
    let mut e = envelope(&w2, &w2.provider, PERIOD, w2.proof_bytes);
    e.signature = ProviderSignature(stranger.sign(&e.signing_bytes()).to_bytes());
    assert_eq!(
        w2.intake.check(e, NOW).unwrap_err(),
        IntakeError::BadSignature("proof envelope")
    );

    // Unknown dataset, non-existent slot, unassigned slot.
    let mut w2 = world(1);
    let mut e = envelope(&w2, &w2.provider, PERIOD, w2.proof_bytes);
    e.slot.dataset = DatasetRoot::from_le_bytes([4; 32]).unwrap();
    assert!(matches!(
        w2.intake.check(e, NOW).unwrap_err(),
        IntakeError::UnknownDataset(_)
    ));
    let mut e = envelope(&w2, &w2.provider, PERIOD, w2.proof_bytes);
    e.slot.index = 11;
    let err = w2.intake.check(e, NOW).unwrap_err();
    assert!(
        matches!(err, IntakeError::NoSuchSlot { slots: 11, .. })
            && err.action() == GossipAction::Reject
    );
    let mut e = envelope(&w2, &w2.provider, PERIOD, w2.proof_bytes);
    e.slot.index = 4;
    e.signature = ProviderSignature(w2.provider.sign(&e.signing_bytes()).to_bytes());
    assert_eq!(
        w2.intake.check(e, NOW).unwrap_err(),
        IntakeError::Unassigned(SlotId {
            index: 4,
            ..w2.slot
        })
    );

    // Unknown circuit; malformed proof bytes.
    let mut e = envelope(&w2, &w2.provider, PERIOD, w2.proof_bytes);
    e.circuit_id = CircuitId([7; 32]);
    e.signature = ProviderSignature(w2.provider.sign(&e.signing_bytes()).to_bytes());
    assert!(matches!(
        w2.intake.check(e, NOW).unwrap_err(),
        IntakeError::UnknownCircuit(_)
    ));
    // x ≥ q in every coordinate: no curve point.
    let junk = [0xff; PROOF_BYTES];
    let err = w2
        .intake
        .check(envelope(&w2, &w2.provider, PERIOD, junk), NOW)
        .unwrap_err();
    assert!(matches!(err, IntakeError::MalformedProof(_)), "{err:?}");
    assert_eq!(err.action(), GossipAction::Reject);
}

#[test]
fn wrong_entropy_means_invalid_proof_and_results_stay_one_to_one() {
    let mut w = world(1);
    // Period 6's entropy is 7: the Codex proof (made for 10941033813) does not verify there.
    let now6 = 1000 + 6 * 60 + 1;
    let bad = w
        .intake
        .check(envelope(&w, &w.provider, Period(6), w.proof_bytes), now6)
        .unwrap();
    let good = w
        .intake
        .check(envelope(&w, &w.provider, PERIOD, w.proof_bytes), now6)
        .unwrap();
    let out = w.intake.verify(&[bad, good], &mut rng());
    assert_eq!(out[0], Err(IntakeError::InvalidProof));
    assert_eq!(out[0].as_ref().unwrap_err().action(), GossipAction::Reject);
    assert!(out[1].is_ok());
    assert!(!w.intake.is_proven(&w.slot, Period(6)) && w.intake.is_proven(&w.slot, PERIOD));
    // Sealed verdicts: every duty of the period (probability 1: all 11 slots), in slot order.
    let v5 = w.intake.verdicts(PERIOD).unwrap();
    let v6 = w.intake.verdicts(Period(6)).unwrap();
    assert_eq!((v5.len(), v6.len()), (11, 11));
    let of =
        |v: &[SlotVerdict], i: usize| v.iter().find(|e| e.slot.index == i as u16).unwrap().verdict;
    assert_eq!(
        (of(&v5, 3), of(&v6, 3), of(&v5, 4)),
        (Verdict::Valid, Verdict::Invalid, Verdict::Missing)
    );
    assert_eq!(w.intake.verdicts(Period(7)), None);
    w.intake.prune_before(Period(6));
    assert!(!w.intake.is_proven(&w.slot, PERIOD));
}

#[test]
fn probability_zero_owes_no_proof() {
    let mut w = world(0);
    let err = w
        .intake
        .check(envelope(&w, &w.provider, PERIOD, w.proof_bytes), NOW)
        .unwrap_err();
    assert_eq!(
        err,
        IntakeError::NoDuty {
            slot: w.slot,
            period: PERIOD
        }
    );
    // Its slots owe heartbeats instead: every one attested, Missing without a heartbeat.
    let verdicts = w.intake.verdicts(PERIOD).unwrap();
    assert_eq!(verdicts.len(), 11);
    assert!(verdicts.iter().all(|v| v.verdict == Verdict::Missing));
}

#[test]
fn no_duty_is_rejected() {
    // With proofProbability 2^31 the die roll almost surely says "no proof required".
    let mut w = world(1 << 31);
    let err = w
        .intake
        .check(envelope(&w, &w.provider, PERIOD, w.proof_bytes), NOW)
        .unwrap_err();
    assert_eq!(
        err,
        IntakeError::NoDuty {
            slot: w.slot,
            period: PERIOD
        }
    );
    assert_eq!(err.action(), GossipAction::Reject);
}

#[test]
fn registry_rules() {
    let w = world(1);
    let mut r = Registry::new();
    let a = own_dataset(&w.owner, 1, 4);
    let slot = SlotId {
        dataset: a.root,
        index: 3,
    };
    // An assignment before the announcement; a forged announcement; a conflicting one.
    assert!(matches!(
        r.assign(assign(&w.owner, &w.provider, slot, Period(0))),
        Err(IntakeError::UnknownDataset(_))
    ));
    let mut forged = a.clone();
    forged.proof_probability = 5;
    assert_eq!(
        r.announce(forged),
        Err(IntakeError::BadSignature("dataset owner"))
    );
    assert_eq!(r.announce(a.clone()), Ok(true));
    assert_eq!(r.announce(a.clone()), Ok(false));
    let mut other_terms = a.clone();
    other_terms.proof_probability = 5;
    assert!(matches!(
        r.announce(signed(&w.owner, other_terms)),
        Err(IntakeError::Conflict(_))
    ));
    // Assignments: the latest one starting at or before a period is in force.
    let other = SigningKey::from_bytes(&[5; 32]);
    assert_eq!(
        r.assign(assign(&w.owner, &w.provider, slot, Period(0))),
        Ok(true)
    );
    assert_eq!(
        r.assign(assign(&w.owner, &w.provider, slot, Period(0))),
        Ok(false)
    );
    assert_eq!(
        r.assign(assign(&w.owner, &other, slot, Period(10))),
        Ok(true)
    );
    assert_eq!(r.provider_at(&slot, Period(9)), Some(&key(&w.provider)));
    assert_eq!(r.provider_at(&slot, Period(10)), Some(&key(&other)));
    assert_eq!(r.provider_at(&slot, Period(1000)), Some(&key(&other)));
    assert!(matches!(
        r.assign(assign(
            &w.owner,
            &other,
            SlotId { index: 11, ..slot },
            Period(0)
        )),
        Err(IntakeError::NoSuchSlot { .. })
    ));
    // Duties: with probability 1 every slot of the dataset, in order; with 0, none.
    let mut r1 = Registry::new();
    r1.announce(own_dataset(&w.owner, 2, 1)).unwrap();
    let duties = r1.duties(Fr::from(1u64));
    assert_eq!(duties.len(), 11);
    assert!(duties.windows(2).all(|d| d[0] < d[1]));
    let mut r0 = Registry::new();
    r0.announce(own_dataset(&w.owner, 3, 0)).unwrap();
    assert!((0..50u64).all(|e| r0.duties(Fr::from(e)).is_empty()));
}

#[test]
fn announced_slot_roots_must_hash_to_the_root() {
    let owner = SigningKey::from_bytes(&[1; 32]);
    let mut r = Registry::new();
    // Codex's root with stand-in slot roots, properly signed: refused, the sender's fault.
    let err = r.announce(announce(&owner, codex_root(), 1)).unwrap_err();
    assert!(matches!(err, IntakeError::RootMismatch(_)), "{err:?}");
    assert_eq!(err.action(), GossipAction::Reject);
    // One slot root changed (and re-signed), or two swapped: refused.
    let good = own_dataset(&owner, 4, 1);
    let mut changed = good.clone();
    changed.slot_roots[7] = SlotRoot::from_le_bytes([7; 32]).unwrap();
    let mut swapped = good.clone();
    swapped.slot_roots.swap(0, 1);
    for bad in [changed, swapped] {
        assert!(matches!(
            r.announce(signed(&owner, bad)),
            Err(IntakeError::RootMismatch(_))
        ));
    }
    assert_eq!(r.datasets().count(), 0);
    assert_eq!(r.announce(good), Ok(true));
}

#[test]
fn an_assignment_not_signed_by_the_owner_is_rejected() {
    let w = world(1);
    let mut r = Registry::new();
    let a = own_dataset(&w.owner, 5, 1);
    let slot = SlotId {
        dataset: a.root,
        index: 2,
    };
    r.announce(a).unwrap();
    assert_eq!(
        r.assign(assign(&w.owner, &w.provider, slot, Period(0))),
        Ok(true)
    );
    // A key taking the slot over from a later period: signed by itself (a provider claiming
    // a slot, as protocol v1 allowed) or by the slot's own provider for someone else.
    let thief = SigningKey::from_bytes(&[6; 32]);
    for forged in [
        assign(&thief, &thief, slot, Period(3)),
        assign(&w.provider, &thief, slot, Period(3)),
        assign(&thief, &w.provider, slot, Period(0)),
    ] {
        let err = r.assign(forged).unwrap_err();
        assert_eq!(err, IntakeError::NotOwner(slot));
        assert_eq!(err.action(), GossipAction::Reject);
        assert_eq!(err.reason(), "not_owner");
    }
    // Nothing changed: the owner's provider answers for every period.
    for p in [0, 3, 100] {
        assert_eq!(r.provider_at(&slot, Period(p)), Some(&key(&w.provider)));
    }
    assert_eq!(r.assignments().count(), 1);
}

#[test]
fn an_equivocating_owner_gives_every_order_the_same_registry() {
    let w = world(1);
    let a = own_dataset(&w.owner, 6, 1);
    let slot = |index| SlotId {
        dataset: a.root,
        index,
    };
    let (p, q) = (
        SigningKey::from_bytes(&[7; 32]),
        SigningKey::from_bytes(&[8; 32]),
    );
    // Two pairs of conflicting assignments (same slot and first period), one plain one.
    let x1 = assign(&w.owner, &p, slot(1), Period(4));
    let y1 = assign(&w.owner, &q, slot(1), Period(4));
    let x2 = assign(&w.owner, &p, slot(2), Period(0));
    let y2 = assign(&w.owner, &q, slot(2), Period(0));
    let z = assign(&w.owner, &q, slot(1), Period(0));
    let winner = |x: &SlotAssign, y: &SlotAssign| {
        if x.content_id() < y.content_id() {
            x.clone()
        } else {
            y.clone()
        }
    };
    let (w1, w2) = (winner(&x1, &y1), winner(&x2, &y2));
    let all = [x1, y1, x2, y2, z.clone()];
    // Every order of the five.
    let mut orders = vec![vec![]];
    for _ in 0..all.len() {
        orders = orders
            .into_iter()
            .flat_map(|o: Vec<usize>| {
                (0..all.len())
                    .filter(|i| !o.contains(i))
                    .map(|i| [o.clone(), vec![i]].concat())
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    assert_eq!(orders.len(), 120);
    let mut want: Vec<SlotAssign> = vec![z, w1.clone(), w2.clone()];
    want.sort_by_key(|s| (s.slot, s.from_period));
    for order in orders {
        let mut r = Registry::new();
        r.announce(a.clone()).unwrap();
        for &i in &order {
            match r.assign(all[i].clone()) {
                Ok(true) => {}
                Err(e @ IntakeError::Superseded(_)) => assert_eq!(e.action(), GossipAction::Ignore),
                other => panic!("{order:?}: {other:?}"),
            }
        }
        let got: Vec<SlotAssign> = r.assignments().cloned().collect();
        assert_eq!(got, want, "order {order:?}");
        assert_eq!(r.provider_at(&slot(1), Period(5)), Some(&w1.provider));
        // A restart restores the same registry from the winners, in any order.
        let mut restored = Registry::new();
        assert!(restored.restore_dataset(a.clone()));
        for &i in order.iter().rev() {
            restored.restore_assignment(all[i].clone());
        }
        assert_eq!(restored.assignments().cloned().collect::<Vec<_>>(), want);
    }
}

#[test]
fn admitted_proofs_owe_their_signature_and_decoding_to_verify_checked() {
    // `admit` is what the engine runs on its one task: the checks against its state only. The
    // signature and the proof bytes are checked by `verify_checked` on the worker, with the
    // job, and a failure there is that proof's result alone (the sender's fault: Reject).
    let mut w = world(1);
    let stranger = SigningKey::from_bytes(&[9; 32]);
    let good = envelope(&w, &w.provider, PERIOD, w.proof_bytes);
    // A bad signature and junk bytes pass admission (they are not this verifier's state)...
    let mut badsig = good.clone();
    badsig.signature = ProviderSignature(stranger.sign(&badsig.signing_bytes()).to_bytes());
    let junk = envelope(&w, &w.provider, Period(6), [0xff; PROOF_BYTES]);
    let now6 = 1000 + 6 * 60 + 1;
    let admitted = vec![
        w.intake.admit(badsig.clone(), now6).unwrap(),
        w.intake.admit(junk, now6).unwrap(),
        w.intake.admit(good.clone(), now6).unwrap(),
    ];
    // ...and are remembered as seen, like any admitted message.
    assert_eq!(
        w.intake.admit(badsig, now6).unwrap_err(),
        IntakeError::Duplicate
    );
    let out = proofmesh_verifier::intake::verify_checked(
        w.intake.keys(),
        &admitted,
        &mut rng() as &mut dyn proofmesh_verifier::system::BatchRng,
    );
    assert_eq!(out[0], Err(IntakeError::BadSignature("proof envelope")));
    assert!(
        matches!(out[1], Err(IntakeError::MalformedProof(_))),
        "{:?}",
        out[1]
    );
    assert!(out[2].is_ok(), "{:?}", out[2]);
    assert!(out[..2]
        .iter()
        .all(|r| r.as_ref().unwrap_err().action() == GossipAction::Reject));
    // Recording: only the valid proof counts; the bad ones mark nothing Invalid (a forged
    // envelope must not cost the slot's provider its verdict).
    w.intake.record(&admitted, &out);
    assert!(w.intake.is_proven(&w.slot, PERIOD));
    let v6 = w.intake.verdicts(Period(6)).unwrap();
    assert!(v6.iter().all(|e| e.verdict == Verdict::Missing));
    // The same proof fully checked at once verifies the same way.
    let mut fresh = world(1);
    let checked = fresh.intake.check(good, NOW).unwrap();
    assert!(fresh.intake.verify(&[checked], &mut rng())[0].is_ok());
}

/// A proof whose B is on the twist but outside G2 (it decompresses fine) is malformed, the
/// sender's fault: decoding runs the subgroup test arkworks' unchecked decoding skips.
#[test]
fn b_outside_the_subgroup_is_malformed() {
    use ark_ec::AffineRepr;
    use ark_serialize::CanonicalDeserialize;
    let mut w = world(1);
    let mut proof =
        ark_groth16::Proof::<Bn254>::deserialize_compressed(&w.proof_bytes[..]).unwrap();
    let mut x = 1u64;
    proof.b = loop {
        let cand = ark_bn254::Fq2::new(ark_bn254::Fq::from(x), ark_bn254::Fq::from(1u64));
        if let Some(p) = ark_bn254::G2Affine::get_point_from_x_unchecked(cand, false) {
            break p;
        }
        x += 1;
    };
    assert!(!proof.b.is_in_correct_subgroup_assuming_on_curve());
    assert!(!proof.b.is_zero());
    let mut bytes = [0u8; PROOF_BYTES];
    proof.serialize_compressed(&mut bytes[..]).unwrap();
    let err = w
        .intake
        .check(envelope(&w, &w.provider, PERIOD, bytes), NOW)
        .unwrap_err();
    assert!(
        matches!(&err, IntakeError::MalformedProof(m) if m.contains("subgroup")),
        "{err:?}"
    );
    assert_eq!(err.action(), GossipAction::Reject);
}
