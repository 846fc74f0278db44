//! The `proofmesh` binary's contract, run as a real process: exit codes, outputs, messages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, proofmesh, s, shared, slot_file, stderr, stdout};
use proofmesh_circuits::field::{fr_from_decimal, fr_to_decimal};
use proofmesh_circuits::input::CircuitInputJson;
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::slot::{block_hash, SlotTree, BLOCK_SIZE};
use proofmesh_circuits::{CircuitInput, CircuitParams};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn verify(vk: &Path, proof: &Path, public: &Path) -> Output {
    proofmesh(&[
        "verify",
        "--vk",
        s(vk),
        "--proof",
        s(proof),
        "--public",
        s(public),
    ])
}

#[test]
fn verify_fixture_proofs() {
    for dir in ["hardhat", "snarkjs"] {
        let o = verify(
            &fixture(&format!("{dir}/verification_key.json")),
            &fixture(&format!("{dir}/proof.json")),
            &fixture(&format!("{dir}/public.json")),
        );
        assert_eq!(o.status.code(), Some(0), "{dir}: {}", stderr(&o));
        assert!(stdout(&o).starts_with("valid"), "{}", stdout(&o));
    }
}

#[test]
fn verify_wrong_public_inputs_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let public = dir.path().join("public.json");
    std::fs::write(&public, r#"["1", "2", "3"]"#).unwrap();
    let o = verify(
        &fixture("hardhat/verification_key.json"),
        &fixture("hardhat/proof.json"),
        &public,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("invalid"), "{}", stdout(&o));
}

#[test]
fn verify_bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let proof_text = std::fs::read_to_string(fixture("hardhat/proof.json")).unwrap();
    let vk_text = std::fs::read_to_string(fixture("hardhat/verification_key.json")).unwrap();
    let q = "21888242871839275222246405745257275088696311157297823662689037894645226208583";
    let pi_a_x = "6534256117371673392078914918983405561950705741555607896616281548993166767050";
    // (file contents, which argument it replaces, a word the message must contain)
    let cases: Vec<(String, &str, &str)> = vec![
        (
            proof_text[..proof_text.len() / 3].to_owned(),
            "proof",
            "malformed JSON",
        ),
        ("this is not json".into(), "proof", "malformed JSON"),
        (String::new(), "proof", "malformed JSON"),
        (proof_text.replace("bn128", "bls12381"), "proof", "curve"),
        (
            proof_text.replacen(pi_a_x, "1", 1),
            "proof",
            "not on the BN254 curve",
        ),
        (proof_text.replacen(pi_a_x, q, 1), "proof", "modulus"),
        (
            vk_text[..vk_text.len() - 10].to_owned(),
            "vk",
            "malformed JSON",
        ),
        (
            vk_text.replace("\"nPublic\": 3", "\"nPublic\": 2"),
            "vk",
            "IC points",
        ),
        (r#"["10941033813", "3"]"#.into(), "public", "public inputs"),
        (r#"["-1", "2", "3"]"#.into(), "public", "not a decimal"),
    ];
    for (i, (text, which, word)) in cases.into_iter().enumerate() {
        let bad = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&bad, &text).unwrap();
        let (mut vk, mut proof, mut public) = (
            fixture("hardhat/verification_key.json"),
            fixture("hardhat/proof.json"),
            fixture("hardhat/public.json"),
        );
        match which {
            "vk" => vk = bad.clone(),
            "proof" => proof = bad.clone(),
            _ => public = bad.clone(),
        }
        let o = verify(&vk, &proof, &public);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "case {i}: {err}");
        assert!(
            err.contains(&format!("bad{i}.json")) || which == "public" && err.contains("public"),
            "case {i}: {err}"
        );
        assert!(err.contains(word), "case {i}: expected {word:?} in {err}");
        assert!(stdout(&o).is_empty());
    }
    let o = verify(
        &dir.path().join("missing.json"),
        &fixture("hardhat/proof.json"),
        &fixture("hardhat/public.json"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

#[test]
fn sample_prints_codex_indices() {
    let root = "20744935707483803411869804102043283881376973626291244537230284476834672019997";
    let o = proofmesh(&[
        "sample",
        "--entropy",
        "1234567",
        "--slot-root",
        root,
        "--cells",
        "512",
        "--samples",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "287\n21\n307\n157\n508\n");
    let o = proofmesh(&[
        "sample",
        "--entropy",
        "1",
        "--slot-root",
        root,
        "--cells",
        "500",
        "--samples",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("power-of-two"));
}

/// The slot root computed here from the whole file in memory (independent of the streaming prover).
fn slot_root_in_memory(path: &Path) -> proofmesh_circuits::Fr {
    let data = std::fs::read(path).unwrap();
    let hashes = data
        .chunks(BLOCK_SIZE)
        .map(|b| block_hash(b).unwrap())
        .collect();
    SlotTree::from_block_hashes(hashes).unwrap().root()
}

fn dataset(dir: &Path) -> Vec<PathBuf> {
    // 5 slots (an odd count: odd nodes in the dataset tree), 1 to 8 blocks.
    [2usize, 1, 4, 8, 2]
        .iter()
        .enumerate()
        .map(|(i, &b)| slot_file(dir, &format!("slot{i}.bin"), b, i as u64))
        .collect()
}

#[test]
fn commit_matches_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    let slots = dataset(dir.path());
    let mut args = vec!["commit"];
    args.extend(slots.iter().map(|p| s(p)));
    let o = proofmesh(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("{\"datasetRoot\":"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let roots: Vec<_> = slots.iter().map(|p| slot_root_in_memory(p)).collect();
    let want_slots: Vec<String> = roots.iter().map(fr_to_decimal).collect();
    assert_eq!(v["slotRoots"], serde_json::json!(want_slots));
    assert_eq!(v["cellsPerSlot"], serde_json::json!([64, 32, 128, 256, 64]));
    let root = MerkleTree::new(roots).unwrap().root();
    assert_eq!(v["datasetRoot"], serde_json::json!(fr_to_decimal(&root)));
}

#[test]
fn commit_rejects_bad_slot_files() {
    let dir = tempfile::tempdir().unwrap();
    let ok = slot_file(dir.path(), "ok.bin", 2, 1);
    let three = slot_file(dir.path(), "three-blocks.bin", 3, 2);
    let ragged = dir.path().join("ragged.bin");
    std::fs::write(&ragged, vec![7u8; BLOCK_SIZE + 100]).unwrap();
    let empty = dir.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    // Any whole number of blocks is a slot: the tree is padded with zero blocks, as Codex's.
    let o = proofmesh(&["commit", s(&ok), s(&three)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["cellsPerSlot"], serde_json::json!([64, 128]));
    for (bad, word) in [(&ragged, "whole number"), (&empty, "whole number")] {
        let o = proofmesh(&["commit", s(&ok), s(bad)]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(bad.file_name().unwrap().to_str().unwrap()) && err.contains(word),
            "{err}"
        );
    }
    let o = proofmesh(&["commit", s(&dir.path().join("nope.bin"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.bin"));
}

fn write_input(
    slots: &[PathBuf],
    index: usize,
    entropy: &str,
    samples: usize,
    out: &Path,
) -> Output {
    let (index, samples) = (index.to_string(), samples.to_string());
    let mut args = vec![
        "input",
        "--slot-index",
        &index,
        "--entropy",
        entropy,
        "--samples",
        &samples,
        "--out",
        s(out),
    ];
    args.extend(slots.iter().map(|p| s(p)));
    proofmesh(&args)
}

#[test]
fn input_round_trip_passes_native_check() {
    let dir = tempfile::tempdir().unwrap();
    let slots = dataset(dir.path());
    for (index, samples) in [(0usize, 5usize), (1, 3), (3, 20), (4, 1)] {
        let out = dir.path().join(format!("input{index}.json"));
        let o = write_input(&slots, index, "987654321", samples, &out);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let json: CircuitInputJson =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let input = CircuitInput::try_from(&json).unwrap();
        input.check(&CircuitParams::codex(samples)).unwrap();
        assert_eq!(input.slot_index, index as u64);
        assert_eq!(input.n_slots_per_dataset, 5);
        assert_eq!(input.entropy, fr_from_decimal("987654321").unwrap());
        assert_eq!(input.slot_root, slot_root_in_memory(&slots[index]));
        assert_eq!(
            (
                input.slot_proof.len(),
                input.merkle_paths[0].len(),
                input.cell_data[0].len()
            ),
            (8, 32, 67)
        );
    }
    // Out-of-range slot index: exit 2, nothing written.
    let out = dir.path().join("none.json");
    let o = write_input(&slots, 5, "1", 5, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("slot index 5"), "{}", stderr(&o));
    assert!(!out.exists());
}

/// Codex's own circuit (its compiled witness calculator) accepts what `proofmesh input` writes,
/// and rejects the same input with the entropy changed.
#[test]
fn codex_circuit_accepts_our_input() {
    let tool = shared("tools/codex-accepts");
    let dir = tempfile::tempdir().unwrap();
    let slots = dataset(dir.path());
    let run = |p: &Path| {
        Command::new("bash")
            .arg(&tool)
            .arg(p)
            .output()
            .expect("run codex-accepts")
    };
    for index in [1usize, 3, 4] {
        let out = dir.path().join(format!("codex{index}.json"));
        let o = write_input(&slots, index, "0x1234567890abcdef", 5, &out);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r = run(&out);
        assert_eq!(
            r.status.code(),
            Some(0),
            "Codex's circuit rejected slot {index}: {}",
            stderr(&r)
        );
    }
    let good = dir.path().join("codex3.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    v["entropy"] = serde_json::json!("5");
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, v.to_string()).unwrap();
    assert_eq!(
        run(&bad).status.code(),
        Some(1),
        "Codex's circuit must reject a tampered input"
    );
}

#[test]
fn bench_verify_reports_throughput() {
    let o = proofmesh(&["bench", "verify", "--n", "6", "--threads", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let value = |prefix: &str| -> f64 {
        let line = out
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {out}"));
        line[prefix.len()..]
            .trim()
            .trim_end_matches("proofs/s")
            .trim()
            .parse()
            .unwrap()
    };
    assert!(
        value("single:") > 0.0 && value("batch(6):") > 0.0 && value("ratio:") > 0.0,
        "{out}"
    );
    // Another key and proof given explicitly (the snarkjs fixture).
    let (vk, proof, public) = (
        fixture("snarkjs/verification_key.json"),
        fixture("snarkjs/proof.json"),
        fixture("snarkjs/public.json"),
    );
    let o = proofmesh(&[
        "bench",
        "verify",
        "--n",
        "3",
        "--vk",
        s(&vk),
        "--proof",
        s(&proof),
        "--public",
        s(&public),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("batch(3):"));
    // A proof that does not verify under the key: nothing to measure, exit 2.
    let o = proofmesh(&[
        "bench",
        "verify",
        "--n",
        "3",
        "--vk",
        s(&fixture("hardhat/verification_key.json")),
        "--proof",
        s(&proof),
        "--public",
        s(&public),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not verify"), "{}", stderr(&o));
    assert_eq!(
        proofmesh(&["bench", "verify", "--n", "0"]).status.code(),
        Some(2)
    );
}
