//! Heartbeat intake: what a provider's signed heartbeat marks alive, the verdicts a verifier
//! then attests (heartbeat duties only for datasets owing no proofs), and every refusal with
//! its gossip action.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_bn254::Fr;
use ed25519_dalek::{Signer, SigningKey};
use proofmesh_proto::*;
use proofmesh_verifier::duty::{EntropySource, PeriodClock};
use proofmesh_verifier::intake::{GossipAction, Intake, IntakeError, KeyRing, Registry};

/// Test seam: the same entropy every period.
struct Constant;
impl EntropySource for Constant {
    fn entropy(&self, _: Period) -> Option<Fr> {
        Some(Fr::from(7u64))
    }
    fn name(&self) -> &'static str {
        "constant"
    }
}

const PERIOD: Period = Period(5);
const NOW: u64 = 1000 + 5 * 60 + 10; // inside period 5 (genesis 1000, 60 s periods)

fn key(k: &SigningKey) -> ProviderKey {
    ProviderKey(k.verifying_key().to_bytes())
}

/// A held three-slot dataset (K = 2, M = 1) with proof policy `probability`; `tag` picks its
/// root. Restored as from a store (its stand-in slot roots do not hash to the root).
fn dataset(owner: &SigningKey, tag: u8, probability: u32) -> DatasetAnnounce {
    let mut a = DatasetAnnounce {
        root: DatasetRoot::from_le_bytes([tag; 32]).unwrap(),
        data_slots: 2,
        parity_slots: 1,
        slot_roots: (0..3u8)
            .map(|i| SlotRoot::from_le_bytes([i; 32]).unwrap())
            .collect(),
        proof_probability: probability,
        blocks_per_slot: 1,
        cells_per_slot: 32,
        original_size: 100_000,
        owner: key(owner),
        signature: ProviderSignature([0; 64]),
    };
    a.signature = ProviderSignature(owner.sign(&a.signing_bytes()).to_bytes());
    a
}

fn slot(tag: u8, index: u16) -> SlotId {
    SlotId {
        dataset: DatasetRoot::from_le_bytes([tag; 32]).unwrap(),
        index,
    }
}

fn assign(owner: &SigningKey, provider: &SigningKey, slot: SlotId) -> SlotAssign {
    let mut s = SlotAssign {
        slot,
        provider: key(provider),
        from_period: Period(0),
        signature: ProviderSignature([0; 64]),
    };
    s.signature = ProviderSignature(owner.sign(&s.signing_bytes()).to_bytes());
    s
}

fn heartbeat(provider: &SigningKey, period: Period, slots: &[SlotId]) -> Heartbeat {
    let mut hb = Heartbeat {
        provider: key(provider),
        period,
        slots: slots.to_vec(),
        signature: ProviderSignature([0; 64]),
    };
    hb.signature = ProviderSignature(provider.sign(&hb.signing_bytes()).to_bytes());
    hb
}

struct World {
    intake: Intake,
    alice: SigningKey,
    bob: SigningKey,
}

/// Dataset 1 owes heartbeats (probability 0), dataset 2 proofs every period; alice holds
/// slots 0 and 1 of both, bob slot 2 of both.
fn world() -> World {
    let owner = SigningKey::from_bytes(&[1; 32]);
    let alice = SigningKey::from_bytes(&[2; 32]);
    let bob = SigningKey::from_bytes(&[3; 32]);
    let mut registry = Registry::new();
    for (tag, p) in [(1u8, 0u32), (2, 1)] {
        assert!(registry.restore_dataset(dataset(&owner, tag, p)));
        for i in 0..3 {
            let who = if i < 2 { &alice } else { &bob };
            assert_eq!(registry.assign(assign(&owner, who, slot(tag, i))), Ok(true));
        }
    }
    let intake = Intake::new(
        registry,
        PeriodClock::new(1000, 60, 30),
        Box::new(Constant),
        KeyRing::new(),
    );
    World { intake, alice, bob }
}

fn verdict_of(w: &mut World, s: SlotId) -> Verdict {
    w.intake
        .verdicts(PERIOD)
        .unwrap()
        .into_iter()
        .find(|v| v.slot == s)
        .unwrap()
        .verdict
}

#[test]
fn a_heartbeat_marks_its_slots_alive_and_only_heartbeat_duties_attest_it() {
    let mut w = world();
    // Before any heartbeat: every heartbeat duty is Missing; the proof duties are there too.
    let verdicts = w.intake.verdicts(PERIOD).unwrap();
    assert_eq!(verdicts.len(), 6, "{verdicts:?}");
    assert!(verdicts.windows(2).all(|v| v[0].slot < v[1].slot));
    assert!(verdicts.iter().all(|v| v.verdict == Verdict::Missing));

    let hb = heartbeat(&w.alice, PERIOD, &[slot(1, 0), slot(1, 1), slot(2, 0)]);
    assert_eq!(w.intake.heartbeat(&hb, NOW), Ok(3));
    assert!(w.intake.is_alive(&slot(1, 0), PERIOD));
    assert_eq!(verdict_of(&mut w, slot(1, 0)), Verdict::Alive);
    assert_eq!(verdict_of(&mut w, slot(1, 1)), Verdict::Alive);
    // Bob's slot of the same dataset sent nothing.
    assert_eq!(verdict_of(&mut w, slot(1, 2)), Verdict::Missing);
    // A proof duty is met by a proof only: the heartbeat is a claim.
    assert!(w.intake.is_alive(&slot(2, 0), PERIOD));
    assert_eq!(verdict_of(&mut w, slot(2, 0)), Verdict::Missing);
    // Another period is another duty.
    assert!(!w.intake.is_alive(&slot(1, 0), Period(6)));
    // The same heartbeat again: a duplicate (dropped without blame).
    let again = w.intake.heartbeat(&hb, NOW).unwrap_err();
    assert_eq!(again, IntakeError::Duplicate);
    assert_eq!(again.action(), GossipAction::Ignore);
    // Pruned with the period.
    w.intake.prune_before(Period(6));
    assert!(!w.intake.is_alive(&slot(1, 0), PERIOD));
}

#[test]
fn unauthorised_forged_and_out_of_window_heartbeats_mark_nothing() {
    let mut w = world();
    // Bob claims alice's slot among his own: an unauthorised claim, refused whole.
    let hb = heartbeat(&w.bob, PERIOD, &[slot(1, 1), slot(1, 2)]);
    let e = w.intake.heartbeat(&hb, NOW).unwrap_err();
    assert_eq!(e, IntakeError::WrongProvider(slot(1, 1)));
    assert_eq!(e.action(), GossipAction::Reject);
    assert!(!w.intake.is_alive(&slot(1, 2), PERIOD));
    // Signed by someone else than the key it names.
    let mut forged = heartbeat(&w.alice, PERIOD, &[slot(1, 0)]);
    forged.signature = heartbeat(&w.bob, PERIOD, &[slot(1, 0)]).signature;
    let e = w.intake.heartbeat(&forged, NOW).unwrap_err();
    assert_eq!(e, IntakeError::BadSignature("heartbeat"));
    assert_eq!(e.action(), GossipAction::Reject);
    // A slot the dataset does not have.
    let e = w
        .intake
        .heartbeat(&heartbeat(&w.alice, PERIOD, &[slot(1, 7)]), NOW)
        .unwrap_err();
    assert!(matches!(e, IntakeError::NoSuchSlot { .. }), "{e:?}");
    // Only datasets this node does not know: nothing to judge yet (may come later).
    let e = w
        .intake
        .heartbeat(&heartbeat(&w.alice, PERIOD, &[slot(9, 0)]), NOW)
        .unwrap_err();
    assert!(matches!(e, IntakeError::UnknownDataset(_)), "{e:?}");
    assert_eq!(e.action(), GossipAction::Ignore);
    // Before its period opens and after its deadline.
    let early = heartbeat(&w.alice, Period(6), &[slot(1, 0)]);
    assert_eq!(
        w.intake.heartbeat(&early, NOW),
        Err(IntakeError::TooEarly(Period(6)))
    );
    // (Period 4's deadline is 30 s into period 5.)
    let late = heartbeat(&w.alice, Period(3), &[slot(1, 0)]);
    assert_eq!(
        w.intake.heartbeat(&late, NOW),
        Err(IntakeError::TooLate(Period(3)))
    );
    assert!((3..7).all(|p| !w.intake.is_alive(&slot(1, 0), Period(p))));
    // Unknown datasets beside a held slot are skipped, the held slot counts.
    let mixed = heartbeat(&w.alice, PERIOD, &[slot(1, 0), slot(9, 0)]);
    assert_eq!(w.intake.heartbeat(&mixed, NOW), Ok(1));
}

#[test]
fn heartbeat_wire_form_is_canonical_and_bounded() {
    let alice = SigningKey::from_bytes(&[2; 32]);
    let hb = heartbeat(&alice, PERIOD, &[slot(1, 0), slot(1, 1)]);
    let bytes = hb.encode();
    assert_eq!(Heartbeat::decode(&bytes), Ok(hb.clone()));
    // Unsorted or repeated slots, and no slot at all, do not decode.
    for slots in [
        vec![slot(1, 1), slot(1, 0)],
        vec![slot(1, 0), slot(1, 0)],
        vec![],
    ] {
        let bad = Heartbeat {
            slots,
            ..hb.clone()
        };
        assert!(Heartbeat::decode(&bad.encode()).is_err());
    }
    // The largest heartbeat fits its kind's limit.
    let full: Vec<SlotId> = (0..MAX_HEARTBEAT_SLOTS)
        .map(|i| SlotId {
            dataset: DatasetRoot::from_le_bytes([(i / 256) as u8 + 1; 32]).unwrap(),
            index: (i % 256) as u16,
        })
        .collect();
    let big = heartbeat(&alice, Period(u64::MAX), &full);
    assert!(
        big.encode().len() <= Heartbeat::MAX_BYTES,
        "{}",
        big.encode().len()
    );
    assert_eq!(Heartbeat::decode(&big.encode()), Ok(big));
}
