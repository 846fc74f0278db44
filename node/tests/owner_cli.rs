//! `proofmesh owner announce | assign` as a real process, on a dataset made by `proofmesh
//! dataset encode`: the records are what a verifier accepts for that dataset (and what its
//! prover commits to); the refusals (another key than the owner's, a slot that does not exist,
//! a manifest whose roots were altered, an unreadable owner key).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{proofmesh, s, slot_file, stderr, stdout, temp_dir};
use proofmesh_circuits::field::fr_to_le_bytes;
use proofmesh_node::keys::{write_secret, ProviderSigner};
use proofmesh_node::owner::read_record;
use proofmesh_proto::{DatasetAnnounce, GossipMessage, Period, SlotId};
use proofmesh_verifier::intake::{IntakeError, Registry};
use std::path::Path;

fn ok<S: AsRef<str>>(args: &[S]) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let o = proofmesh(&args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn fails<S: AsRef<str>>(args: &[S]) -> String {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let o = proofmesh(&args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?} must fail: {}",
        stdout(&o)
    );
    stderr(&o)
}

/// Slot `index` of the announced dataset.
fn slot_of(a: &DatasetAnnounce, index: u16) -> SlotId {
    SlotId {
        dataset: a.root,
        index,
    }
}

fn key(dir: &Path, name: &str, seed: u8) -> (String, ProviderSigner) {
    let path = dir.join(name);
    write_secret(&path, &[seed; 32]).unwrap();
    (
        s(&path).to_owned(),
        ProviderSigner::from_secret(&[seed; 32]),
    )
}

#[test]
fn owner_records_are_what_verifiers_accept_for_an_encoded_dataset() {
    let tmp = temp_dir();
    let dir = tmp.path();
    // Five blocks and a bit, K = 2, M = 1: three blocks per slot, padded to four in the tree.
    let file = slot_file(dir, "data.bin", 6, 3);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..5 * 65536 + 100]).unwrap();
    let ds = dir.join("ds");
    ok(&[
        "dataset",
        "encode",
        "--data-slots",
        "2",
        "--parity-slots",
        "1",
        "--out",
        s(&ds),
        s(&file),
    ]);
    let (owner_key, owner) = key(dir, "owner.key", 1);
    let (_, provider) = key(dir, "provider.key", 2);
    let (thief_key, _) = key(dir, "thief.key", 3);
    let announce = dir.join("announce.record");
    let root = ok(&[
        "owner",
        "announce",
        "--owner-key",
        &owner_key,
        "--proof-probability",
        "1",
        "--out",
        s(&announce),
        s(&ds),
    ]);
    let assign = |signer: &str, slot: &str, out: &Path| {
        vec![
            "owner".to_owned(),
            "assign".to_owned(),
            "--owner-key".to_owned(),
            signer.to_owned(),
            "--announcement".to_owned(),
            s(&announce).to_owned(),
            "--slot".to_owned(),
            slot.to_owned(),
            "--provider".to_owned(),
            hex::encode(provider.public().0),
            "--from-period".to_owned(),
            "3".to_owned(),
            "--out".to_owned(),
            s(out).to_owned(),
        ]
    };
    let record = dir.join("assign-1.record");
    ok(&(assign(&owner_key, "1", &record)));

    // The announcement: the manifest's commitments, the files' blocks, the owner's key; the
    // root is the one the slot files commit to (what the prover checks at start).
    let GossipMessage::Announce(a) = read_record(&announce).unwrap() else {
        panic!("not an announcement");
    };
    assert_eq!(root.trim(), a.root.to_string());
    assert_eq!((a.data_slots, a.parity_slots), (2, 1));
    assert_eq!((a.blocks_per_slot, a.cells_per_slot), (3, 128));
    assert_eq!(a.original_size, 5 * 65536 + 100);
    assert_eq!(a.owner, owner.public());
    let files: Vec<_> = (0..3).map(|i| ds.join(format!("slot_{i}.bin"))).collect();
    let slots = proofmesh_prover::dataset::open_slots(&files).unwrap();
    let commitment = proofmesh_prover::commit(&slots).unwrap();
    assert_eq!(*a.root.as_bytes(), fr_to_le_bytes(&commitment.root()));
    // A verifier's registry takes both records.
    let mut registry = Registry::new();
    assert_eq!(registry.announce(a.clone()), Ok(true));
    let GossipMessage::Assign(s1) = read_record(&record).unwrap() else {
        panic!("not an assignment");
    };
    assert_eq!(registry.assign(s1), Ok(true));
    assert_eq!(registry.provider_at(&slot_of(&a, 1), Period(2)), None);
    assert_eq!(
        registry.provider_at(&slot_of(&a, 1), Period(3)),
        Some(&provider.public())
    );

    // Another key than the owner's, a slot beyond K + M: refused, nothing written.
    let forged = dir.join("forged.record");
    let e = fails(&(assign(&thief_key, "1", &forged)));
    assert!(e.contains("not the owner key"), "{e}");
    let e = fails(&(assign(&owner_key, "3", &forged)));
    assert!(e.contains("slot 3 does not exist"), "{e}");
    assert!(!forged.exists());
    // (An assignment the thief signs anyway is what verifiers refuse.)
    let thief = ProviderSigner::from_secret(&[3; 32]);
    let stolen =
        proofmesh_node::owner::assignment(&thief, slot_of(&a, 0), thief.public(), Period(9));
    assert_eq!(
        registry.assign(stolen),
        Err(IntakeError::NotOwner(slot_of(&a, 0)))
    );

    // A manifest whose slot roots were altered is refused before anything is written.
    let path = ds.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    manifest["slotRoots"][2] = serde_json::Value::String("12345".into());
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let again = dir.join("again.record");
    let e = fails(&[
        "owner",
        "announce",
        "--owner-key",
        &owner_key,
        "--proof-probability",
        "1",
        "--out",
        s(&again),
        s(&ds),
    ]);
    assert!(!again.exists(), "{e}");
    let e = fails(&[
        "owner",
        "announce",
        "--owner-key",
        s(&dir.join("missing.key")),
        "--proof-probability",
        "1",
        "--out",
        s(&again),
        s(&ds),
    ]);
    assert!(e.contains("missing.key"), "{e}");
}
