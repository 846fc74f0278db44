//! `proofmesh dataset encode | repair | decode` as a real process: Codex's layout on the
//! Leopard fixtures, odd-sized round trips, repairs from any K survivors, and the refusals
//! (bad K / M, unreadable input, too few good slots, a corrupted survivor).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{proofmesh, s, shared, stderr, stdout};
use std::path::{Path, PathBuf};

/// splitmix64 little-endian words (the fixtures' generator, `shared/fixtures/leopard/README.md`).
fn splitmix(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn encode(file: &Path, k: usize, m: usize, out: &Path) -> std::process::Output {
    proofmesh(&[
        "dataset",
        "encode",
        "--data-slots",
        &k.to_string(),
        "--parity-slots",
        &m.to_string(),
        "--out",
        s(out),
        s(file),
    ])
}

fn slot(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("slot_{i}.bin"))
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn encode_matches_codex_layout_and_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("data.bin");
    std::fs::write(&file, splitmix(5 * 65536, 42)).unwrap();
    let out = tmp.path().join("ds");
    let o = encode(&file, 2, 1, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fixture = shared("fixtures/leopard/layout/N5_K2_M1");
    for i in 0..3 {
        assert_eq!(
            std::fs::read(slot(&out, i)).unwrap(),
            std::fs::read(slot(&fixture, i)).unwrap(),
            "slot {i} differs from Leopard's"
        );
    }
    let m = manifest(&out);
    assert_eq!(m["dataSlots"], 2);
    assert_eq!(m["paritySlots"], 1);
    assert_eq!(m["blocksPerSlot"], 3);
    assert_eq!(m["originalSize"], 5 * 65536);
    // The roots are `proofmesh commit`'s over the written slot files.
    let slots: Vec<PathBuf> = (0..3).map(|i| slot(&out, i)).collect();
    let mut args = vec!["commit"];
    args.extend(slots.iter().map(|p| s(p)));
    let c: serde_json::Value = serde_json::from_str(stdout(&proofmesh(&args)).trim()).unwrap();
    assert_eq!(m["datasetRoot"], c["datasetRoot"]);
    assert_eq!(m["slotRoots"], c["slotRoots"]);
    let printed: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(printed["datasetRoot"], c["datasetRoot"]);
    assert_eq!(printed["cellsPerSlot"], 128); // 3 blocks padded to 4
}

#[test]
fn odd_sized_files_round_trip_from_any_k_slots() {
    let tmp = tempfile::tempdir().unwrap();
    let data = splitmix(3 * 65536 + 1234, 7);
    let file = tmp.path().join("odd.bin");
    std::fs::write(&file, &data).unwrap();
    let out = tmp.path().join("ds");
    assert_eq!(encode(&file, 3, 2, &out).status.code(), Some(0));
    let originals: Vec<Vec<u8>> = (0..5)
        .map(|i| std::fs::read(slot(&out, i)).unwrap())
        .collect();
    // Every choice of two lost slots: decode restores the file, repair the slots.
    for a in 0..5 {
        for b in a + 1..5 {
            std::fs::remove_file(slot(&out, a)).unwrap();
            std::fs::remove_file(slot(&out, b)).unwrap();
            let back = tmp.path().join("back.bin");
            let o = proofmesh(&["dataset", "decode", "--out", s(&back), s(&out)]);
            assert_eq!(o.status.code(), Some(0), "lost {a},{b}: {}", stderr(&o));
            assert_eq!(std::fs::read(&back).unwrap(), data, "lost {a},{b}");
            let o = proofmesh(&["dataset", "repair", s(&out)]);
            assert_eq!(o.status.code(), Some(0), "lost {a},{b}: {}", stderr(&o));
            assert!(
                stdout(&o).contains("repaired: 2 of 5 slots rebuilt"),
                "{}",
                stdout(&o)
            );
            for (i, want) in originals.iter().enumerate() {
                assert_eq!(&std::fs::read(slot(&out, i)).unwrap(), want, "slot {i}");
            }
        }
    }
}

#[test]
fn repair_refuses_too_few_good_slots_and_never_writes_a_wrong_slot() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f.bin");
    std::fs::write(&file, splitmix(4 * 65536, 3)).unwrap();
    let out = tmp.path().join("ds");
    assert_eq!(encode(&file, 2, 2, &out).status.code(), Some(0));
    let slot3 = std::fs::read(slot(&out, 3)).unwrap();
    // Two lost, one corrupted: one good slot of the two needed.
    std::fs::remove_file(slot(&out, 0)).unwrap();
    std::fs::remove_file(slot(&out, 1)).unwrap();
    let mut bad = std::fs::read(slot(&out, 2)).unwrap();
    bad[100] ^= 1;
    std::fs::write(slot(&out, 2), &bad).unwrap();
    let o = proofmesh(&["dataset", "repair", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    for named in [
        "slot_0.bin (missing)",
        "slot_1.bin (missing)",
        "slot_2.bin (corrupted)",
    ] {
        assert!(err.contains(named), "names the bad slots: {err}");
    }
    assert!(!slot(&out, 0).exists() && !slot(&out, 1).exists());
    assert_eq!(std::fs::read(slot(&out, 2)).unwrap(), bad, "left as it was");
    assert_eq!(std::fs::read(slot(&out, 3)).unwrap(), slot3);
    let back = tmp.path().join("back.bin");
    let o = proofmesh(&["dataset", "decode", "--out", s(&back), s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!back.exists());
}

#[test]
fn a_manifest_whose_roots_disagree_with_its_hashes_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f.bin");
    std::fs::write(&file, splitmix(65536, 5)).unwrap();
    let out = tmp.path().join("ds");
    assert_eq!(encode(&file, 2, 1, &out).status.code(), Some(0));
    let mut m = manifest(&out);
    m["slotRoots"][1] = serde_json::json!("12345");
    std::fs::write(out.join("manifest.json"), m.to_string()).unwrap();
    std::fs::remove_file(slot(&out, 0)).unwrap();
    let o = proofmesh(&["dataset", "repair", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("slot_1.bin"), "{}", stderr(&o));
    assert!(
        !slot(&out, 0).exists(),
        "nothing written from an altered manifest"
    );
}

#[test]
fn bad_parameters_and_inputs_exit_2_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f.bin");
    std::fs::write(&file, b"hello").unwrap();
    let out = tmp.path().join("ds");
    for (k, m, word) in [
        (1, 1, "K >= 2"),
        (2, 0, "M >= 1"),
        (2, 3, "exceeds K"),
        (200, 100, "256"),
    ] {
        let o = encode(&file, k, m, &out);
        assert_eq!(o.status.code(), Some(2), "K={k} M={m}");
        assert!(stderr(&o).contains(word), "K={k} M={m}: {}", stderr(&o));
    }
    let o = encode(&tmp.path().join("missing.bin"), 2, 1, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.bin"), "{}", stderr(&o));
    let o = encode(tmp.path(), 2, 1, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let o = proofmesh(&["dataset", "repair", s(&tmp.path().join("nowhere"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("manifest"), "{}", stderr(&o));
}

#[test]
fn a_stepped_layout_manifest_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f.bin");
    std::fs::write(&file, splitmix(65536, 9)).unwrap();
    let out = tmp.path().join("ds");
    assert_eq!(encode(&file, 2, 1, &out).status.code(), Some(0));
    let mut m = manifest(&out);
    m["verifiableStrategy"] = serde_json::json!(1);
    std::fs::write(out.join("manifest.json"), m.to_string()).unwrap();
    let back = tmp.path().join("back.bin");
    let o = proofmesh(&["dataset", "decode", "--out", s(&back), s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).to_lowercase().contains("stepped"),
        "{}",
        stderr(&o)
    );
}
