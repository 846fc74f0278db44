//! Every message type: round trip, and typed rejection of truncated, oversized,
//! out-of-range and non-canonical input. Random bytes never panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proofmesh_proto::wire::pb;
use proofmesh_proto::*;
use prost::Message;

fn root(b: u8) -> DatasetRoot {
    let mut bytes = [b; 32];
    bytes[31] = 0x01; // well below r
    DatasetRoot::from_le_bytes(bytes).unwrap()
}

fn slot(b: u8, index: u16) -> SlotId {
    SlotId {
        dataset: root(b),
        index,
    }
}

fn slot_root(b: u8) -> SlotRoot {
    let mut bytes = [b; 32];
    bytes[31] = 0x02;
    SlotRoot::from_le_bytes(bytes).unwrap()
}

fn announce() -> DatasetAnnounce {
    DatasetAnnounce {
        root: root(7),
        data_slots: 4,
        parity_slots: 2,
        slot_roots: (0..6).map(slot_root).collect(),
        proof_probability: 4,
        blocks_per_slot: 12,
        cells_per_slot: 512,
        original_size: 4 * 11 * 65536 + 1000,
        owner: ProviderKey([1; 32]),
        signature: ProviderSignature([2; 64]),
    }
}

fn assign() -> SlotAssign {
    SlotAssign {
        slot: slot(7, 3),
        provider: ProviderKey([3; 32]),
        from_period: Period(10),
        signature: ProviderSignature([4; 64]),
    }
}

fn envelope() -> ProofEnvelope {
    ProofEnvelope {
        slot: slot(7, 5),
        period: Period(42),
        circuit_id: CircuitId([9; 32]),
        proof_system: ProofSystem::GROTH16_BN254,
        proof: vec![5; PROOF_BYTES],
        provider: ProviderKey([3; 32]),
        signature: ProviderSignature([6; 64]),
    }
}

fn batch() -> AttestationBatch {
    AttestationBatch {
        verifier: VerifierIndex(2),
        period: Period(42),
        entries: vec![
            SlotVerdict {
                slot: slot(7, 0),
                verdict: Verdict::Valid,
            },
            SlotVerdict {
                slot: slot(7, 4),
                verdict: Verdict::Missing,
            },
            SlotVerdict {
                slot: slot(8, 1),
                verdict: Verdict::Invalid,
            },
        ],
        signature: BlsSignature([8; 96]),
    }
}

fn certificate() -> QuorumCertificate {
    let proof = |i: u32| SignerProof {
        entries_root: [i as u8; 32],
        entry_index: i,
        entry_count: 3,
        path: vec![[1; 32], [2; 32]],
    };
    QuorumCertificate {
        period: Period(42),
        entry: SlotVerdict {
            slot: slot(7, 4),
            verdict: Verdict::Missing,
        },
        signers: [0u16, 2].into_iter().map(VerifierIndex).collect(),
        proofs: vec![proof(0), proof(2)],
        aggregate_signature: BlsSignature([4; 96]),
    }
}

/// A repair request whose evidence is two certified failures of its slot (periods 42, 44).
fn repair() -> RepairRequest {
    let first = certificate();
    let mut last = certificate();
    last.period = Period(44);
    RepairRequest {
        slot: slot(7, 4),
        period: Period(44),
        certificate: last.content_id(),
        verifier: VerifierIndex(1),
        signature: BlsSignature([1; 96]),
        evidence: vec![first, last],
    }
}

#[test]
fn repair_evidence_must_be_the_slots_run_ending_in_the_named_loss() {
    let good = repair();
    assert_eq!(RepairRequest::decode(&good.encode()), Ok(good.clone()));
    let refused = |r: RepairRequest| RepairRequest::decode(&r.encode()).is_err();
    // No evidence, too much, out of order, another slot's, a loss id or period not the last's.
    assert!(refused(RepairRequest {
        evidence: vec![],
        ..good.clone()
    }));
    let mut many = good.clone();
    many.evidence = (0..9)
        .map(|p| {
            let mut c = certificate();
            c.period = Period(36 + p);
            c
        })
        .collect();
    many.period = Period(44);
    many.certificate = many.evidence[8].content_id();
    assert!(refused(many));
    let mut unsorted = good.clone();
    unsorted.evidence.reverse();
    assert!(refused(unsorted));
    let mut other = good.clone();
    other.evidence[0].entry.slot = slot(7, 5);
    assert!(refused(other));
    assert!(refused(RepairRequest {
        certificate: ContentId([3; 32]),
        ..good.clone()
    }));
    assert!(refused(RepairRequest {
        period: Period(43),
        ..good
    }));
}

fn round_trip<M: WireMessage + PartialEq + std::fmt::Debug>(m: &M) {
    let bytes = m.encode();
    assert_eq!(&M::decode(&bytes).unwrap(), m);
    assert_eq!(M::decode(&bytes).unwrap().content_id(), m.content_id());
    // Truncation at every length: an error, never a panic, never the same message.
    for n in 0..bytes.len() {
        assert_ne!(
            M::decode(&bytes[..n]).ok().as_ref(),
            Some(m),
            "truncated to {n}"
        );
    }
    // Oversized input is refused before parsing.
    let big = vec![0u8; M::MAX_BYTES + 1];
    assert!(matches!(M::decode(&big), Err(DecodeError::TooLarge { .. })));
    // An unknown field appended: decodes in protobuf, rejected as non-canonical.
    let mut extra = bytes.clone();
    extra.extend([0xf8, 0x07, 0x01]); // field 127, varint 1
    assert_eq!(M::decode(&extra), Err(DecodeError::NonCanonical));
}

#[test]
fn every_message_round_trips_and_rejects_truncation() {
    round_trip(&announce());
    round_trip(&assign());
    round_trip(&envelope());
    round_trip(&batch());
    round_trip(&certificate());
    round_trip(&repair());
}

#[test]
fn content_ids_differ_by_type_and_content() {
    let mut e2 = envelope();
    e2.period = Period(43);
    assert_ne!(envelope().content_id(), e2.content_id());
    assert_ne!(envelope().signing_bytes(), e2.signing_bytes());
    // The signature is not part of what is signed.
    let mut e3 = envelope();
    e3.signature = ProviderSignature([0; 64]);
    assert_eq!(envelope().signing_bytes(), e3.signing_bytes());
}

#[test]
fn out_of_range_fields_are_typed_errors() {
    // Proof bytes are bounded, whatever the proof system: none, or too many, are refused.
    let mut p = pb::ProofEnvelope::decode(envelope().encode().as_slice()).unwrap();
    p.proof.clear();
    assert!(matches!(
        ProofEnvelope::decode(&p.encode_to_vec()),
        Err(DecodeError::Range { field: "proof", .. })
    ));
    p.proof = vec![1; MAX_PROOF_BYTES + 1];
    assert!(ProofEnvelope::decode(&p.encode_to_vec()).is_err());
    p.proof = vec![1; MAX_PROOF_BYTES];
    assert!(ProofEnvelope::decode(&p.encode_to_vec()).is_ok());
    let mut p = pb::ProofEnvelope::decode(envelope().encode().as_slice()).unwrap();
    p.circuit_id.pop();
    assert_eq!(
        ProofEnvelope::decode(&p.encode_to_vec()),
        Err(DecodeError::Length {
            field: "circuit_id",
            got: 31,
            want: 32
        })
    );
    let mut p = pb::ProofEnvelope::decode(envelope().encode().as_slice()).unwrap();
    p.slot.as_mut().unwrap().dataset_root = vec![0xff; 32];
    assert!(matches!(
        ProofEnvelope::decode(&p.encode_to_vec()),
        Err(DecodeError::Range {
            field: "dataset_root",
            ..
        })
    ));
    let mut p = pb::ProofEnvelope::decode(envelope().encode().as_slice()).unwrap();
    p.slot.as_mut().unwrap().slot_index = 256;
    assert!(matches!(
        ProofEnvelope::decode(&p.encode_to_vec()),
        Err(DecodeError::Range {
            field: "slot_index",
            ..
        })
    ));
    let mut p = pb::ProofEnvelope::decode(envelope().encode().as_slice()).unwrap();
    p.slot = None;
    assert_eq!(
        ProofEnvelope::decode(&p.encode_to_vec()),
        Err(DecodeError::Missing("slot"))
    );

    for (k, m, cells) in [
        (0, 2, 512),
        (200, 57, 512),
        (4, 2, 500),
        (4, 2, 16),
        (4, 2, 1 << 33),
    ] {
        let mut p = pb::DatasetAnnounce::decode(announce().encode().as_slice()).unwrap();
        (p.data_slots, p.parity_slots, p.cells_per_slot) = (k, m, cells);
        assert!(
            matches!(
                DatasetAnnounce::decode(&p.encode_to_vec()),
                Err(DecodeError::Range { .. })
            ),
            "{k} {m} {cells}"
        );
    }
}

/// The announcement with `edit` applied to its wire form, decoded.
fn announce_with(
    edit: impl FnOnce(&mut pb::DatasetAnnounce),
) -> Result<DatasetAnnounce, DecodeError> {
    let mut p = pb::DatasetAnnounce::decode(announce().encode().as_slice()).unwrap();
    edit(&mut p);
    DatasetAnnounce::decode(&p.encode_to_vec())
}

fn range_error(r: Result<DatasetAnnounce, DecodeError>) -> &'static str {
    match r {
        Err(DecodeError::Range { field, .. }) => field,
        other => panic!("not a range error: {other:?}"),
    }
}

#[test]
fn announcement_slot_roots_must_be_one_canonical_root_per_slot() {
    // One too few, one too many.
    assert_eq!(
        range_error(announce_with(|p| drop(p.slot_roots.pop()))),
        "slot_roots"
    );
    assert_eq!(
        range_error(announce_with(|p| p.slot_roots.push(vec![1; 32]))),
        "slot_roots"
    );
    // K + M changes, the roots do not follow.
    assert_eq!(
        range_error(announce_with(|p| p.parity_slots = 3)),
        "slot_roots"
    );
    // Not canonical (>= r), and not 32 bytes.
    assert_eq!(
        range_error(announce_with(|p| p.slot_roots[2] = vec![0xff; 32])),
        "slot_roots"
    );
    assert_eq!(
        announce_with(|p| {
            p.slot_roots[5].pop();
        }),
        Err(DecodeError::Length {
            field: "slot_roots",
            got: 31,
            want: 32
        })
    );
    // The most slots the protocol allows fit the size limit, with every other field at its
    // widest.
    let mut a = announce();
    (a.data_slots, a.parity_slots) = (128, 128);
    a.slot_roots = (0..256).map(|i| slot_root(i as u8)).collect();
    a.proof_probability = u32::MAX;
    a.blocks_per_slot = MAX_BLOCKS_PER_SLOT;
    a.cells_per_slot = 1 << 32;
    a.original_size = 128 * MAX_BLOCKS_PER_SLOT * BLOCK_BYTES;
    let bytes = a.encode();
    assert!(bytes.len() <= DatasetAnnounce::MAX_BYTES, "{}", bytes.len());
    assert_eq!(DatasetAnnounce::decode(&bytes).unwrap(), a);
}

#[test]
fn announcement_cells_follow_blocks_with_codex_padding() {
    // 12 blocks pad to 16: 512 cells, nothing else.
    for cells in [384, 256, 1024] {
        assert_eq!(
            range_error(announce_with(|p| p.cells_per_slot = cells)),
            "cells_per_slot",
            "{cells}"
        );
    }
    for (blocks, cells) in [(1u64, 32u64), (2, 64), (3, 128), (16, 512), (17, 1024)] {
        assert_eq!(DatasetAnnounce::cells_for_blocks(blocks), Some(cells));
        let a = announce_with(|p| {
            (p.blocks_per_slot, p.cells_per_slot) = (blocks, cells);
            p.original_size = 4 * blocks * BLOCK_BYTES;
        });
        assert_eq!(a.map(|a| a.cells_per_slot), Ok(cells), "{blocks} blocks");
    }
    // No blocks, or past 2^27 (2^32 cells).
    assert_eq!(
        range_error(announce_with(
            |p| (p.blocks_per_slot, p.cells_per_slot) = (0, 32)
        )),
        "blocks_per_slot"
    );
    assert_eq!(
        range_error(announce_with(|p| {
            (p.blocks_per_slot, p.cells_per_slot) = (MAX_BLOCKS_PER_SLOT + 1, 1 << 33)
        })),
        "blocks_per_slot"
    );
    assert_eq!(DatasetAnnounce::cells_for_blocks(0), None);
    assert_eq!(
        DatasetAnnounce::cells_for_blocks(MAX_BLOCKS_PER_SLOT + 1),
        None
    );
}

#[test]
fn announcement_original_size_fits_the_data_slots() {
    // K = 4 slots of 12 blocks: the file had 45 to 48 blocks (nim-codex pads to a multiple of
    // K), so 44 · 64 KiB + 1 to 48 · 64 KiB bytes.
    let capacity = 4 * 12 * BLOCK_BYTES;
    let shorter = 4 * 11 * BLOCK_BYTES;
    for size in [shorter + 1, capacity] {
        assert_eq!(
            announce_with(|p| p.original_size = size).map(|a| a.original_size),
            Ok(size)
        );
    }
    for size in [0, 1, shorter, capacity + 1, u64::MAX] {
        assert_eq!(
            range_error(announce_with(|p| p.original_size = size)),
            "original_size",
            "{size}"
        );
    }
}

#[test]
fn proof_probability_zero_means_no_proof_duties() {
    let a = announce_with(|p| p.proof_probability = 0).unwrap();
    assert!(!a.has_proof_duties());
    assert!(announce().has_proof_duties());
}

#[test]
fn assignment_and_announcement_signatures_cover_every_field() {
    let mut s = assign();
    let before = s.signing_bytes();
    s.provider = ProviderKey([9; 32]);
    assert_ne!(s.signing_bytes(), before);
    let mut a = announce();
    let before = a.signing_bytes();
    a.slot_roots[3] = slot_root(99);
    assert_ne!(a.signing_bytes(), before);
    a.signature = ProviderSignature([0; 64]);
    let mut b = announce();
    b.slot_roots[3] = slot_root(99);
    assert_eq!(a.signing_bytes(), b.signing_bytes());
}

#[test]
fn more_out_of_range_fields_are_typed_errors() {
    let mut p = pb::AttestationBatch::decode(batch().encode().as_slice()).unwrap();
    p.entries.swap(0, 1);
    assert_eq!(
        AttestationBatch::decode(&p.encode_to_vec()),
        Err(DecodeError::Unsorted("entries"))
    );
    let mut p = pb::AttestationBatch::decode(batch().encode().as_slice()).unwrap();
    p.entries.push(p.entries[2].clone());
    assert_eq!(
        AttestationBatch::decode(&p.encode_to_vec()),
        Err(DecodeError::Unsorted("entries"))
    );
    let mut p = pb::AttestationBatch::decode(batch().encode().as_slice()).unwrap();
    p.entries[1].verdict = 0;
    assert!(matches!(
        AttestationBatch::decode(&p.encode_to_vec()),
        Err(DecodeError::Range {
            field: "verdict",
            ..
        })
    ));
    let mut p = pb::AttestationBatch::decode(batch().encode().as_slice()).unwrap();
    p.verifier_index = 70_000;
    assert!(matches!(
        AttestationBatch::decode(&p.encode_to_vec()),
        Err(DecodeError::Range {
            field: "verifier_index",
            ..
        })
    ));

    let mut p = pb::QuorumCertificate::decode(certificate().encode().as_slice()).unwrap();
    p.signers.push(0);
    assert!(matches!(
        QuorumCertificate::decode(&p.encode_to_vec()),
        Err(DecodeError::Range {
            field: "signers",
            ..
        })
    ));
    let mut p = pb::QuorumCertificate::decode(certificate().encode().as_slice()).unwrap();
    p.proofs.pop();
    assert!(matches!(
        QuorumCertificate::decode(&p.encode_to_vec()),
        Err(DecodeError::Range {
            field: "proofs",
            ..
        })
    ));
    let mut p = pb::QuorumCertificate::decode(certificate().encode().as_slice()).unwrap();
    p.proofs[0].entry_index = 3;
    assert!(matches!(
        QuorumCertificate::decode(&p.encode_to_vec()),
        Err(DecodeError::Range {
            field: "entry_index",
            ..
        })
    ));
    let mut p = pb::QuorumCertificate::decode(certificate().encode().as_slice()).unwrap();
    p.proofs[0].path = vec![vec![0; 32]; 33];
    assert!(matches!(
        QuorumCertificate::decode(&p.encode_to_vec()),
        Err(DecodeError::Range { field: "path", .. })
    ));
}

#[test]
fn non_canonical_encodings_are_rejected() {
    // A default value written out explicitly (period = 0 as a present varint field).
    let mut e = envelope();
    e.period = Period(0);
    let canonical = e.encode();
    let mut explicit = vec![0x10, 0x00]; // field 2 (period), varint 0
    explicit.extend(&canonical);
    assert_eq!(
        ProofEnvelope::decode(&explicit),
        Err(DecodeError::NonCanonical)
    );
    // Fields out of order: period moved in front of slot.
    let e = envelope();
    let p = pb::ProofEnvelope::decode(e.encode().as_slice()).unwrap();
    let mut reordered = pb::ProofEnvelope {
        period: p.period,
        ..Default::default()
    }
    .encode_to_vec();
    reordered.extend(pb::ProofEnvelope { period: 0, ..p }.encode_to_vec());
    assert_eq!(
        ProofEnvelope::decode(&reordered),
        Err(DecodeError::NonCanonical)
    );
}

#[test]
fn random_bytes_never_panic() {
    use rand::{RngCore, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let seeds = [
        announce().encode(),
        assign().encode(),
        envelope().encode(),
        batch().encode(),
        certificate().encode(),
        repair().encode(),
    ];
    for i in 0..4000 {
        let mut bytes = if i % 2 == 0 {
            let mut b = vec![0u8; (rng.next_u32() % 300) as usize];
            rng.fill_bytes(&mut b);
            b
        } else {
            seeds[i % seeds.len()].clone()
        };
        if !bytes.is_empty() {
            let at = rng.next_u32() as usize % bytes.len();
            bytes[at] ^= 1 << (rng.next_u32() % 8);
        }
        let _ = DatasetAnnounce::decode(&bytes);
        let _ = SlotAssign::decode(&bytes);
        let _ = ProofEnvelope::decode(&bytes);
        let _ = AttestationBatch::decode(&bytes);
        let _ = QuorumCertificate::decode(&bytes);
        let _ = RepairRequest::decode(&bytes);
    }
}
