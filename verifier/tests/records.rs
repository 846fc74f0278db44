//! The registry's DHT records: built from a registry, checked on receipt exactly as gossip is,
//! merged by one rule whatever order records meet in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_bn254::Fr;
use ed25519_dalek::{Signer, SigningKey};
use proofmesh_circuits::field::fr_to_le_bytes;
use proofmesh_proto::*;
use proofmesh_verifier::intake::records::*;
use proofmesh_verifier::intake::{IntakeError, Registry};

fn pk(k: &SigningKey) -> ProviderKey {
    ProviderKey(k.verifying_key().to_bytes())
}

/// A three-slot dataset whose slot roots hash to its root, announced by `owner`.
fn announce(owner: &SigningKey, seed: u64) -> DatasetAnnounce {
    let leaves: Vec<Fr> = (0..3).map(|i| Fr::from(seed * 100 + i)).collect();
    let tree = proofmesh_circuits::MerkleTree::new(leaves.clone()).unwrap();
    let mut a = DatasetAnnounce {
        root: DatasetRoot::from_le_bytes(fr_to_le_bytes(&tree.root())).unwrap(),
        data_slots: 2,
        parity_slots: 1,
        slot_roots: leaves
            .iter()
            .map(|l| SlotRoot::from_le_bytes(fr_to_le_bytes(l)).unwrap())
            .collect(),
        proof_probability: 0,
        blocks_per_slot: 1,
        cells_per_slot: 32,
        original_size: 100_000,
        owner: pk(owner),
        signature: ProviderSignature([0; 64]),
    };
    a.signature = ProviderSignature(owner.sign(&a.signing_bytes()).to_bytes());
    a
}

fn assign(signer: &SigningKey, root: DatasetRoot, index: u16, to: u8, from: u64) -> SlotAssign {
    let mut s = SlotAssign {
        slot: SlotId {
            dataset: root,
            index,
        },
        provider: ProviderKey([to; 32]),
        from_period: Period(from),
        signature: ProviderSignature([0; 64]),
    };
    s.signature = ProviderSignature(signer.sign(&s.signing_bytes()).to_bytes());
    s
}

fn registry_of(a: &DatasetAnnounce, assigns: &[SlotAssign]) -> Registry {
    let mut r = Registry::new();
    r.announce(a.clone()).unwrap();
    for s in assigns {
        let _ = r.assign(s.clone());
    }
    r
}

#[test]
fn a_record_round_trips_and_keeps_the_latest_assignments_per_slot() {
    let owner = SigningKey::from_bytes(&[1; 32]);
    let a = announce(&owner, 1);
    let assigns: Vec<SlotAssign> = (0..3)
        .flat_map(|p| (0..3).map(move |i| (i, p)))
        .map(|(i, p)| assign(&owner, a.root, i, 10 + p as u8, p * 10))
        .collect();
    let r = registry_of(&a, &assigns);
    let record = dataset_record(&r, &a.root).unwrap();
    let messages = parse_dataset_record(&record).unwrap();
    assert_eq!(messages[0], GossipMessage::Announce(a.clone()));
    // Per slot the two latest (periods 10 and 20), slot by slot.
    let kept: Vec<(u16, u64)> = messages[1..]
        .iter()
        .map(|m| match m {
            GossipMessage::Assign(s) => (s.slot.index, s.from_period.0),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kept, [(0, 10), (0, 20), (1, 10), (1, 20), (2, 10), (2, 20)]);
    // A node that held nothing takes it whole.
    let (merged, msgs) = merge_dataset_records(&dataset_key(&a.root), None, &record).unwrap();
    assert_eq!(merged, record);
    assert_eq!(msgs, messages);
    assert_eq!(root_of_key(&dataset_key(&a.root)), Some(a.root));
    assert!(dataset_record(&Registry::new(), &a.root).is_none());
}

#[test]
fn records_merge_to_the_same_value_in_either_order() {
    let owner = SigningKey::from_bytes(&[1; 32]);
    let a = announce(&owner, 2);
    // Two nodes saw different assignments, and the owner equivocated on slot 1 at period 0.
    let left = dataset_record(
        &registry_of(
            &a,
            &[
                assign(&owner, a.root, 0, 5, 0),
                assign(&owner, a.root, 1, 6, 0),
            ],
        ),
        &a.root,
    )
    .unwrap();
    let right = dataset_record(
        &registry_of(
            &a,
            &[
                assign(&owner, a.root, 1, 7, 0),
                assign(&owner, a.root, 2, 8, 0),
            ],
        ),
        &a.root,
    )
    .unwrap();
    let key = dataset_key(&a.root);
    let (lr, _) = merge_dataset_records(&key, Some(&left), &right).unwrap();
    let (rl, msgs) = merge_dataset_records(&key, Some(&right), &left).unwrap();
    assert_eq!(lr, rl);
    // Slots 0, 1 (one winner) and 2.
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    let one: Vec<&SlotAssign> = msgs
        .iter()
        .filter_map(|m| match m {
            GossipMessage::Assign(s) if s.slot.index == 1 => Some(s),
            _ => None,
        })
        .collect();
    let (six, seven) = (
        assign(&owner, a.root, 1, 6, 0),
        assign(&owner, a.root, 1, 7, 0),
    );
    let winner = if six.content_id() < seven.content_id() {
        six
    } else {
        seven
    };
    assert_eq!(one, [&winner]);
}

#[test]
fn forged_misfiled_and_malformed_records_are_refused() {
    let owner = SigningKey::from_bytes(&[1; 32]);
    let thief = SigningKey::from_bytes(&[9; 32]);
    let a = announce(&owner, 3);
    let key = dataset_key(&a.root);
    let good = dataset_record(&registry_of(&a, &[]), &a.root).unwrap();
    // An assignment signed by another key than the owner's.
    let mut r = registry_of(&a, &[]);
    r.restore_assignment(assign(&thief, a.root, 0, 5, 0));
    let forged = dataset_record(&r, &a.root).unwrap();
    assert_eq!(
        merge_dataset_records(&key, None, &forged).unwrap_err(),
        RecordError::Assignment(IntakeError::NotOwner(SlotId {
            dataset: a.root,
            index: 0
        }))
    );
    // The same root announced by another owner (its roots do hash to it): the first held stays.
    let mut other = a.clone();
    other.owner = pk(&thief);
    other.signature = ProviderSignature(thief.sign(&other.signing_bytes()).to_bytes());
    let hijack = dataset_record(&registry_of(&other, &[]), &a.root).unwrap();
    assert!(matches!(
        merge_dataset_records(&key, Some(&good), &hijack),
        Err(RecordError::Announcement(IntakeError::Conflict(_)))
    ));
    // Under another dataset's key.
    let b = announce(&owner, 4);
    assert_eq!(
        merge_dataset_records(&dataset_key(&b.root), None, &good).unwrap_err(),
        RecordError::WrongKey
    );
    // Truncated, garbage, oversized, and assignments without an announcement.
    assert!(merge_dataset_records(&key, None, &good[..good.len() - 1]).is_err());
    assert!(merge_dataset_records(&key, None, &[1, 0, 0, 0, 9]).is_err());
    assert!(matches!(
        parse_dataset_record(&vec![0; MAX_RECORD_BYTES + 1]),
        Err(RecordError::TooLarge(_))
    ));
    let only_assign = {
        let full = dataset_record(
            &registry_of(&a, &[assign(&owner, a.root, 0, 5, 0)]),
            &a.root,
        )
        .unwrap();
        let first = u32::from_le_bytes(full[..4].try_into().unwrap()) as usize;
        full[4 + first..].to_vec()
    };
    assert!(matches!(
        merge_dataset_records(&key, None, &only_assign),
        Err(RecordError::Announcement(IntakeError::UnknownDataset(_)))
    ));
}

#[test]
fn index_records_are_sorted_unions_and_refuse_garbage() {
    let root = |b: u8| DatasetRoot::from_le_bytes([b; 32]).unwrap();
    let one = index_record([root(3), root(1)]);
    let two = index_record([root(2), root(3)]);
    assert_eq!(
        merge_index_records(Some(&one), &two).unwrap(),
        merge_index_records(Some(&two), &one).unwrap()
    );
    assert_eq!(
        parse_index_record(&merge_index_records(Some(&one), &two).unwrap()).unwrap(),
        [root(1), root(2), root(3)]
    );
    assert!(parse_index_record(&[0; 31]).is_err());
    let mut unsorted = one.clone();
    unsorted.rotate_left(32);
    assert!(parse_index_record(&unsorted).is_err());
    assert!(parse_index_record(&[0xff; 32]).is_err(), "not canonical");
}
