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

fn announce(owner: &SigningKey, root: DatasetRoot, probability: u32) -> DatasetAnnounce {
    let mut a = DatasetAnnounce {
        root,
        data_slots: 8,
        parity_slots: 3,
        proof_probability: probability,
        cells_per_slot: 512,
        owner: ProviderKey(owner.verifying_key().to_bytes()),
        signature: ProviderSignature([0; 64]),
    };
    a.signature = ProviderSignature(owner.sign(&a.signing_bytes()).to_bytes());
    a
}

fn assign(provider: &SigningKey, slot: SlotId, from: Period) -> SlotAssign {
    let mut s = SlotAssign {
        slot,
        provider: ProviderKey(provider.verifying_key().to_bytes()),
        from_period: from,
        signature: ProviderSignature([0; 64]),
    };
    s.signature = ProviderSignature(provider.sign(&s.signing_bytes()).to_bytes());
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
    assert_eq!(
        registry.announce(announce(&owner, root, probability)),
        Ok(true)
    );
    assert_eq!(
        registry.assign(assign(&provider, slot, Period(0))),
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
    let root = codex_root();
    // A claim before the announcement; a forged announcement; a conflicting one.
    assert!(matches!(
        r.assign(assign(&w.provider, w.slot, Period(0))),
        Err(IntakeError::UnknownDataset(_))
    ));
    let mut forged = announce(&w.owner, root, 4);
    forged.proof_probability = 5;
    assert_eq!(
        r.announce(forged),
        Err(IntakeError::BadSignature("dataset owner"))
    );
    assert_eq!(r.announce(announce(&w.owner, root, 4)), Ok(true));
    assert_eq!(r.announce(announce(&w.owner, root, 4)), Ok(false));
    assert!(matches!(
        r.announce(announce(&w.owner, root, 5)),
        Err(IntakeError::Conflict(_))
    ));
    // Claims: the latest one starting at or before a period wins.
    let other = SigningKey::from_bytes(&[5; 32]);
    assert_eq!(r.assign(assign(&w.provider, w.slot, Period(0))), Ok(true));
    assert_eq!(r.assign(assign(&other, w.slot, Period(10))), Ok(true));
    assert_eq!(
        r.provider_at(&w.slot, Period(9)),
        Some(&ProviderKey(w.provider.verifying_key().to_bytes()))
    );
    assert_eq!(
        r.provider_at(&w.slot, Period(10)),
        Some(&ProviderKey(other.verifying_key().to_bytes()))
    );
    assert!(matches!(
        r.assign(assign(
            &other,
            SlotId {
                index: 11,
                ..w.slot
            },
            Period(0)
        )),
        Err(IntakeError::NoSuchSlot { .. })
    ));
    // Duties: with probability 1 every slot of the dataset, in order.
    let mut r1 = Registry::new();
    r1.announce(announce(&w.owner, root, 1)).unwrap();
    let duties = r1.duties(Fr::from(1u64));
    assert_eq!(duties.len(), 11);
    assert!(duties.windows(2).all(|d| d[0] < d[1]));
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
