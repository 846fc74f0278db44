//! Slots of any whole number of 64 KiB blocks, padded in their trees with all-zero blocks up
//! to a power of two as Codex pads them (nim-codex `slots/builder/builder.nim`,
//! `numPadSlotBlocks`): each commitment equals that of the slot's zero-extended copy (a
//! power-of-two file, the path tested against Codex), inputs sampling the pad are accepted by
//! Codex's own circuit, and files that are not whole blocks stay typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proofmesh_circuits::field::fr_from_decimal;
use proofmesh_circuits::input::{CircuitInputJson, JsonCount};
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::sampler::sample_indices;
use proofmesh_circuits::slot::{block_hash, BLOCK_SIZE, CELL_SIZE};
use proofmesh_circuits::{CircuitParams, Fr};
use proofmesh_prover::dataset::open_slots;
use proofmesh_prover::{circuit_input, commit, DatasetCommitment, ProverError, SlotFile};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::slot_file;

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(rel)
}

/// The slot files of a dataset of `shared/fixtures/leopard/layout/`, in slot order.
fn layout_slots(name: &str) -> Vec<PathBuf> {
    let dir = shared(&format!("fixtures/leopard/layout/{name}"));
    let mut slots: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    slots.sort_by_key(|p| {
        let stem = p.file_stem().unwrap().to_str().unwrap().to_owned();
        stem.trim_start_matches("slot_").parse::<u32>().unwrap()
    });
    assert!(!slots.is_empty(), "{}", dir.display());
    slots
}

/// `layout.txt`'s `key=value` on its first line.
fn layout_value(name: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(shared(&format!(
        "fixtures/leopard/layout/{name}/layout.txt"
    )))
    .unwrap();
    let line = text.lines().next().unwrap();
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {line}"))
        .parse()
        .unwrap()
}

/// A copy of `path` in `dir` with zero bytes appended up to `blocks` blocks: the naive
/// reference of the pad, a file that really holds the zero blocks.
fn zero_extended(dir: &Path, path: &Path, blocks: usize) -> PathBuf {
    let mut data = std::fs::read(path).unwrap();
    assert!(data.len() <= blocks * BLOCK_SIZE);
    data.resize(blocks * BLOCK_SIZE, 0);
    let out = dir.join(format!(
        "{}.x{blocks}",
        path.file_name().unwrap().to_str().unwrap()
    ));
    std::fs::write(&out, data).unwrap();
    out
}

/// The slot root of a power-of-two file, from the whole file in memory: block hashes and one
/// plain Merkle tree over them, without the prover's streaming or padding code.
fn root_in_memory(path: &Path) -> Fr {
    let data = std::fs::read(path).unwrap();
    assert!((data.len() / BLOCK_SIZE).is_power_of_two());
    let hashes = data
        .chunks(BLOCK_SIZE)
        .map(|b| block_hash(b).unwrap())
        .collect();
    MerkleTree::new(hashes).unwrap().root()
}

fn commit_paths(paths: &[PathBuf]) -> DatasetCommitment {
    commit(&open_slots(paths).unwrap()).unwrap()
}

fn slot_roots(c: &DatasetCommitment) -> Vec<Fr> {
    c.slots.iter().map(|s| s.root()).collect()
}

#[test]
fn short_slots_commit_like_their_zero_extended_copies() {
    let dir = tempfile::tempdir().unwrap();
    for (blocks, padded) in [(3usize, 4usize), (5, 8)] {
        let short = slot_file(dir.path(), &format!("s{blocks}.bin"), blocks, blocks as u64);
        let long = zero_extended(dir.path(), &short, padded);
        let file = SlotFile::open(&short).unwrap();
        assert_eq!(file.n_blocks(), blocks as u64);
        assert_eq!(file.n_pad_blocks(), (padded - blocks) as u64);
        assert_eq!(file.n_cells(), 32 * padded as u64);

        let c = commit_paths(std::slice::from_ref(&short));
        let want = root_in_memory(&long);
        assert_eq!(c.slots[0].root(), want, "{blocks} blocks");
        let explicit = commit_paths(&[long]);
        assert_eq!(c.slots[0].block_hashes(), explicit.slots[0].block_hashes());
        assert_eq!(c.slots[0].n_cells(), explicit.slots[0].n_cells());
        assert_eq!(c.root(), explicit.root());
        assert_eq!(c.slots[0].n_cells(), 32 * padded as u64);
        assert_eq!(c.slots[0].n_stored_blocks(), blocks as u64);
        assert_eq!(c.root(), MerkleTree::new(vec![want]).unwrap().root());

        // The pad stops at the next power of two: one zero block more is another slot.
        let longer = zero_extended(dir.path(), &short, 2 * padded);
        assert_ne!(c.slots[0].root(), root_in_memory(&longer));
    }
}

#[test]
fn codex_layout_slots_commit_like_their_zero_extended_copies() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["N5_K2_M1", "N9_K4_M2"] {
        let slots = layout_slots(name);
        let (k, m) = (layout_value(name, "K"), layout_value(name, "M"));
        assert_eq!(slots.len() as u64, k + m, "{name}");
        let steps = layout_value(name, "numSlotBlocks");
        let pad = layout_value(name, "numPadSlotBlocks");
        let files = open_slots(&slots).unwrap();
        for f in &files {
            assert_eq!((f.n_blocks(), f.n_pad_blocks()), (steps, pad), "{name}");
        }
        let padded = (steps + pad) as usize;
        let extended: Vec<PathBuf> = slots
            .iter()
            .map(|p| zero_extended(dir.path(), p, padded))
            .collect();
        let c = commit(&files).unwrap();
        let want: Vec<Fr> = extended.iter().map(|p| root_in_memory(p)).collect();
        assert_eq!(slot_roots(&c), want, "{name}");
        assert_eq!(c.root(), commit_paths(&extended).root(), "{name}");
        assert_eq!(c.root(), MerkleTree::new(want).unwrap().root(), "{name}");
        assert!(c.slots.iter().all(|s| s.n_cells() == 32 * padded as u64));
    }
}

#[test]
fn pad_cells_are_opened_without_reading_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = slot_file(dir.path(), "s3.bin", 3, 3);
    let file = SlotFile::open(&path).unwrap();
    let tree = file.slot_tree().unwrap();
    let stored = file.open_cell(&tree, 95).unwrap();
    // A tree of another shape (5 blocks: 8 in the tree) is not this file's.
    let five = SlotFile::open(slot_file(dir.path(), "s5.bin", 5, 5)).unwrap();
    let err = file.open_cell(&five.slot_tree().unwrap(), 0).unwrap_err();
    assert!(err.to_string().contains("the tree given has 8"), "{err}");
    std::fs::remove_file(&path).unwrap();
    // Cells 96..128 are the pad: zero data, and nothing to read.
    for cell in [96, 100, 127] {
        let c = file.open_cell(&tree, cell).unwrap();
        let mut zero = vec![Fr::from(0u64); 66];
        zero.push(Fr::from(1u64 << 16)); // 2 zero bytes, then Codex's 0x01 pad byte
        assert_eq!(c.elements, zero);
        assert_eq!(c.path.len(), 5 + 2);
    }
    assert_eq!(stored.path.len(), 7);
    assert!(matches!(
        file.open_cell(&tree, 95),
        Err(ProverError::Io { .. })
    ));
    let past = file.open_cell(&tree, 128).unwrap_err();
    assert!(past.to_string().contains("past the slot tree"), "{past}");
    assert!(file.read_block(3).is_err(), "a pad block is not read");
}

/// `input.json` by hand (this crate has no JSON dependency): every value is a decimal string
/// or a count, so nothing needs escaping.
fn to_json(j: &CircuitInputJson) -> String {
    let count = |c: &JsonCount| match c {
        JsonCount::Number(n) => n.to_string(),
        JsonCount::Text(t) => format!("\"{t}\""),
    };
    let list = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|x| format!("\"{x}\"")).collect();
        format!("[{}]", items.join(","))
    };
    let nested = |v: &[Vec<String>]| {
        let rows: Vec<String> = v.iter().map(|r| list(r)).collect();
        format!("[{}]", rows.join(","))
    };
    format!(
        "{{\"dataSetRoot\":\"{}\",\"entropy\":\"{}\",\"nCellsPerSlot\":{},\
         \"nSlotsPerDataSet\":{},\"slotIndex\":{},\"slotRoot\":\"{}\",\"slotProof\":{},\
         \"cellData\":{},\"merklePaths\":{}}}\n",
        j.data_set_root,
        j.entropy,
        count(&j.n_cells_per_slot),
        count(&j.n_slots_per_data_set),
        count(&j.slot_index),
        j.slot_root,
        list(&j.slot_proof),
        nested(&j.cell_data),
        nested(&j.merkle_paths),
    )
}

/// Codex's compiled circuit on an input file: exit code of `shared/tools/codex-accepts`.
fn codex_accepts(path: &Path) -> Option<i32> {
    let out = Command::new("bash")
        .arg(shared("tools/codex-accepts"))
        .arg(path)
        .output()
        .expect("run codex-accepts");
    if out.status.code() == Some(2) {
        panic!("codex-accepts: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.status.code()
}

#[test]
fn codex_circuit_accepts_inputs_that_sample_the_pad() {
    // N5_K2_M1: 3 slots of 3 blocks, trees of 4 blocks (128 cells, 96..128 the pad). An
    // entropy whose 5 samples hit both the pad and the stored cells of slot 1.
    let params = CircuitParams::codex(5);
    let files = open_slots(&layout_slots("N5_K2_M1")).unwrap();
    let c = commit(&files).unwrap();
    let tree = &c.slots[1];
    assert_eq!(tree.n_cells(), 128);
    let (entropy, indices) = (1u64..)
        .map(|e| {
            let e = Fr::from(e);
            (e, sample_indices(e, tree.root(), 128, 5).unwrap())
        })
        .find(|(_, i)| i.iter().any(|&x| x >= 96) && i.iter().any(|&x| x < 96))
        .unwrap();
    let input = circuit_input(&params, &files, &c, 1, entropy).unwrap();
    assert_eq!(input.n_cells_per_slot, 128);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, json: &CircuitInputJson| {
        let p = dir.path().join(name);
        std::fs::write(&p, to_json(json)).unwrap();
        p
    };
    let json = CircuitInputJson::from(&input);
    assert_eq!(
        codex_accepts(&write("padded.json", &json)),
        Some(0),
        "Codex's circuit rejected samples {indices:?}"
    );
    // A pad cell claimed to hold anything but zeros is rejected by Codex's circuit too.
    let pad_sample = indices.iter().position(|&x| x >= 96).unwrap();
    let mut bad = json.clone();
    bad.cell_data[pad_sample][0] = "1".into();
    assert_eq!(codex_accepts(&write("nonzero-pad.json", &bad)), Some(1));
    // And so is the unpadded cell count.
    let mut short = json;
    short.n_cells_per_slot = JsonCount::Number(96);
    assert_eq!(codex_accepts(&write("unpadded.json", &short)), Some(1));
    assert_eq!(
        fr_from_decimal(&bad.data_set_root).unwrap(),
        c.root(),
        "the input is for the committed dataset"
    );
}

#[test]
fn files_that_are_not_whole_blocks_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ok = slot_file(dir.path(), "ok.bin", 3, 1);
    for (name, len, words) in [
        ("empty.bin", 0, &["empty", "whole number"][..]),
        ("one-byte.bin", 1, &["size 1 bytes", "whole number"][..]),
        (
            "truncated.bin",
            3 * BLOCK_SIZE - 1,
            &["2 blocks and 65535 bytes", "whole number"][..],
        ),
        (
            "long.bin",
            3 * BLOCK_SIZE + CELL_SIZE,
            &["3 blocks and 2048 bytes", "whole number"][..],
        ),
    ] {
        let mut data = std::fs::read(&ok).unwrap();
        data.resize(len, 7);
        let path = dir.path().join(name);
        std::fs::write(&path, data).unwrap();
        let err = open_slots(&[ok.clone(), path.clone()]).unwrap_err();
        let ProverError::Layout { path: p, why } = &err else {
            panic!("{name}: {err}");
        };
        assert_eq!(p, &path);
        let msg = err.to_string();
        assert!(msg.contains(name), "{msg}");
        for w in words {
            assert!(why.contains(w), "{name}: {why}");
        }
    }
}
