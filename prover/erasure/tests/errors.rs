//! Every bad input gets its typed error, never a panic, and leaves nothing half-done.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::SplitMix64;
use proofmesh_erasure::{
    decode_dir, encode, encode_bytes, encode_file, reconstruct, repair_dir, slot_file_name,
    ErasureError as E, Manifest, BLOCK_SIZE, MANIFEST_FILE,
};
use std::path::Path;

fn shards(k: usize, len: usize) -> Vec<Vec<u8>> {
    let bytes = SplitMix64(1).bytes(k * len);
    bytes.chunks(len).map(<[u8]>::to_vec).collect()
}

fn refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
    v.iter().map(Vec::as_slice).collect()
}

#[test]
fn encode_refuses_illegal_parameters() {
    let s = shards(200, 64);
    assert!(matches!(
        encode(&refs(&s[..1]), 1),
        Err(E::TooFewDataShards { k: 1 })
    ));
    assert!(matches!(encode(&[], 1), Err(E::TooFewDataShards { k: 0 })));
    assert!(matches!(encode(&refs(&s[..4]), 0), Err(E::NoParityShards)));
    assert!(matches!(
        encode(&refs(&s[..4]), 5),
        Err(E::TooManyParityShards { k: 4, m: 5 })
    ));
    assert!(matches!(
        encode(&refs(&s[..200]), 57),
        Err(E::TooManyShards { k: 200, m: 57 })
    ));
    // The largest legal pairs are fine.
    assert_eq!(encode(&refs(&s[..200]), 56).unwrap().len(), 56);
}

#[test]
fn encode_refuses_bad_shard_sizes() {
    let s = shards(3, 128);
    let short = vec![0u8; 65];
    let empty: Vec<u8> = Vec::new();
    assert!(matches!(
        encode(&[&s[0], &short, &s[2]], 2),
        Err(E::BadShardSize { index: 1, len: 65 })
    ));
    assert!(matches!(
        encode(&[&empty, &s[1]], 1),
        Err(E::BadShardSize { index: 0, len: 0 })
    ));
    assert!(matches!(
        encode(&[&s[0], &s[1][..64], &s[2]], 2),
        Err(E::UnequalShardSizes {
            index: 1,
            len: 64,
            expected: 128
        })
    ));
}

#[test]
fn reconstruct_refuses_bad_input_and_leaves_shards_alone() {
    let data = shards(4, 64);
    let parity = encode(&refs(&data), 2).unwrap();
    let full: Vec<Option<Vec<u8>>> = data.iter().chain(&parity).cloned().map(Some).collect();

    let mut wrong_count = full[..5].to_vec();
    assert!(matches!(
        reconstruct(&mut wrong_count, 4, 2),
        Err(E::WrongShardCount {
            expected: 6,
            got: 5
        })
    ));
    for (k, m, err) in [(1, 5, "k"), (4, 0, "m"), (2, 4, "m>k")] {
        let mut s = full.clone();
        let r = reconstruct(&mut s, k, m);
        assert!(
            matches!(
                r,
                Err(E::TooFewDataShards { .. } | E::NoParityShards | E::TooManyParityShards { .. })
            ),
            "{err}: {r:?}"
        );
    }

    let mut too_few = full.clone();
    for i in [0, 2, 5] {
        too_few[i] = None;
    }
    assert!(matches!(
        reconstruct(&mut too_few, 4, 2),
        Err(E::TooFewShards {
            present: 3,
            needed: 4
        })
    ));
    assert_eq!(
        too_few.iter().flatten().count(),
        3,
        "present shards untouched"
    );

    let mut none = vec![None; 6];
    assert!(matches!(
        reconstruct(&mut none, 4, 2),
        Err(E::TooFewShards {
            present: 0,
            needed: 4
        })
    ));

    let mut unequal = full.clone();
    unequal[0] = None;
    unequal[3] = Some(vec![0; 128]);
    assert!(matches!(
        reconstruct(&mut unequal, 4, 2),
        Err(E::UnequalShardSizes { index: 3, .. })
    ));
    let mut odd = full.clone();
    odd[1] = Some(vec![0; 100]);
    assert!(matches!(
        reconstruct(&mut odd, 4, 2),
        Err(E::BadShardSize { index: 1, len: 100 })
    ));

    // Nothing missing: nothing changes.
    let mut complete = full.clone();
    reconstruct(&mut complete, 4, 2).unwrap();
    assert_eq!(complete, full);
}

#[test]
fn dataset_inputs_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        encode_bytes(&[], 2, 1, tmp.path()),
        Err(E::EmptyInput)
    ));
    let empty = tmp.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        encode_file(&empty, 2, 1, tmp.path()),
        Err(E::EmptyInput)
    ));
    assert!(matches!(
        encode_file(&tmp.path().join("nope"), 2, 1, tmp.path()),
        Err(E::Io { .. })
    ));
    assert!(matches!(
        encode_bytes(b"x", 3, 4, tmp.path()),
        Err(E::TooManyParityShards { k: 3, m: 4 })
    ));
    // Nothing was written by the refused calls.
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("empty.bin")]);
    assert!(
        matches!(repair_dir(tmp.path()), Err(E::Io { .. })),
        "no manifest"
    );
}

/// A small dataset (K = 4, M = 2, 3 blocks per slot) and its manifest.
fn dataset(dir: &Path) -> Manifest {
    encode_bytes(&SplitMix64(2).bytes(9 * BLOCK_SIZE), 4, 2, dir).unwrap()
}

fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join(MANIFEST_FILE);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn manifest_uses_codex_style_names() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = dataset(tmp.path());
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join(MANIFEST_FILE)).unwrap()).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "blockSize",
            "blocksPerSlot",
            "dataSlots",
            "originalSize",
            "paritySlots",
            "slotRoots",
            "slotSha256",
            "verifiableStrategy"
        ]
    );
    assert_eq!(v["blockSize"], 65536);
    assert_eq!(v["verifiableStrategy"], 0);
    assert_eq!(manifest.slot_sha256.len(), 6);
    // Roots can be added, and fields a later version writes are ignored.
    edit_manifest(tmp.path(), |v| {
        v["slotRoots"] = serde_json::json!(["1", "2", "3", "4", "5", "6"]);
        v["datasetRoot"] = serde_json::json!("123");
        v["somethingNew"] = serde_json::json!(true);
    });
    let (loaded, _) = Manifest::load(tmp.path()).unwrap();
    assert_eq!(loaded.dataset_root.as_deref(), Some("123"));
    assert_eq!(loaded.slot_roots.len(), 6);
}

#[test]
fn bad_manifests_are_refused() {
    type Edit = fn(&mut serde_json::Value);
    type Expect = fn(&E) -> bool;
    let cases: [(Edit, Expect); 9] = [
        (
            |v| v["verifiableStrategy"] = 1.into(),
            |e| matches!(e, E::UnsupportedStrategy { strategy: 1 }),
        ),
        (
            |v| v["blockSize"] = 4096.into(),
            |e| matches!(e, E::UnsupportedBlockSize { block_size: 4096 }),
        ),
        (
            |v| v["blocksPerSlot"] = 4.into(),
            |e| matches!(e, E::InvalidManifest { .. }),
        ),
        (
            |v| v["slotSha256"].as_array_mut().unwrap().truncate(5),
            |e| matches!(e, E::InvalidManifest { .. }),
        ),
        (
            |v| v["slotSha256"][0] = "XYZ".into(),
            |e| matches!(e, E::InvalidManifest { .. }),
        ),
        (
            |v| v["slotRoots"] = serde_json::json!(["0x12", "1", "2", "3", "4", "5"]),
            |e| matches!(e, E::InvalidManifest { .. }),
        ),
        (
            |v| v["paritySlots"] = 0.into(),
            |e| matches!(e, E::NoParityShards),
        ),
        (
            |v| v["originalSize"] = 0.into(),
            |e| matches!(e, E::EmptyInput),
        ),
        (
            |v| *v = serde_json::json!({"dataSlots": 4}),
            |e| matches!(e, E::ManifestJson { .. }),
        ),
    ];
    for (i, (edit, expected)) in cases.into_iter().enumerate() {
        let tmp = tempfile::tempdir().unwrap();
        dataset(tmp.path());
        std::fs::remove_file(tmp.path().join(slot_file_name(0))).unwrap();
        edit_manifest(tmp.path(), edit);
        let err = repair_dir(tmp.path()).unwrap_err();
        assert!(expected(&err), "case {i}: repair gave {err:?}");
        let err = decode_dir(tmp.path(), &tmp.path().join("out")).unwrap_err();
        assert!(expected(&err), "case {i}: decode gave {err:?}");
        assert!(!tmp.path().join(slot_file_name(0)).exists(), "case {i}");
        assert!(!tmp.path().join("out").exists(), "case {i}");
    }
}

#[test]
fn too_few_intact_slots() {
    let tmp = tempfile::tempdir().unwrap();
    dataset(tmp.path());
    for i in [0, 3] {
        std::fs::remove_file(tmp.path().join(slot_file_name(i))).unwrap();
    }
    // A third slot with one flipped byte: not a source, so only three are left.
    let path = tmp.path().join(slot_file_name(5));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    match repair_dir(tmp.path()) {
        Err(E::TooFewGoodSlots { good, needed: 4 }) => assert_eq!(good, vec![1, 2, 4]),
        other => panic!("{other:?}"),
    }
    let out = tmp.path().join("out");
    assert!(matches!(
        decode_dir(tmp.path(), &out),
        Err(E::TooFewGoodSlots { .. })
    ));
    assert!(!out.exists());
    assert!(!tmp.path().join(slot_file_name(0)).exists());
}

#[test]
fn rebuilt_slot_must_match_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = dataset(tmp.path());
    std::fs::remove_file(tmp.path().join(slot_file_name(1))).unwrap();
    let other = manifest.slot_sha256[2].clone();
    edit_manifest(tmp.path(), |v| v["slotSha256"][1] = other.into());
    assert!(matches!(
        repair_dir(tmp.path()),
        Err(E::RebuiltSlotMismatch { slot: 1 })
    ));
    let out = tmp.path().join("out");
    assert!(matches!(
        decode_dir(tmp.path(), &out),
        Err(E::RebuiltSlotMismatch { slot: 1 })
    ));
    // Neither the slot nor the output, nor a temporary file, is left behind.
    assert!(!tmp.path().join(slot_file_name(1)).exists());
    assert!(!out.exists());
    let tmps = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(tmps, 0);
}
