//! Fixtures shared by the prover's integration tests: the small circuit parameters and a
//! seeded dataset of slot files.
#![allow(dead_code, clippy::unwrap_used)]

use proofmesh_circuits::slot::BLOCK_SIZE;
use proofmesh_circuits::{CircuitInput, CircuitParams, Fr};
use proofmesh_prover::dataset::open_slots;
use proofmesh_prover::{circuit_input, commit, SlotFile};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::path::{Path, PathBuf};

/// Small parameters `(8, 4, 5, 67, 2)`: fast enough for CI, every part of the circuit.
pub(crate) const SMALL: CircuitParams = CircuitParams {
    max_depth: 8,
    max_log2_slots: 4,
    block_tree_depth: 5,
    field_elems_per_cell: 67,
    n_samples: 2,
};

/// `dir/name`: `blocks` blocks of bytes seeded by `seed`.
pub(crate) fn slot_file(dir: &Path, name: &str, blocks: usize, seed: u64) -> PathBuf {
    let mut data = vec![0u8; blocks * BLOCK_SIZE];
    ChaCha20Rng::seed_from_u64(seed).fill_bytes(&mut data);
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// A dataset of three slots (1, 2 and 4 blocks).
pub(crate) fn dataset(dir: &Path) -> Vec<SlotFile> {
    let paths = [
        slot_file(dir, "slot0.bin", 1, 1),
        slot_file(dir, "slot1.bin", 2, 2),
        slot_file(dir, "slot2.bin", 4, 3),
    ];
    open_slots(&paths).unwrap()
}

/// The circuit input for `slot` of the [`dataset`] in a fresh temporary directory (kept
/// alive by the returned guard).
pub(crate) fn input_for(slot: u64, entropy: u64) -> (tempfile::TempDir, CircuitInput) {
    let dir = tempfile::tempdir().unwrap();
    let slots = dataset(dir.path());
    let commitment = commit(&slots).unwrap();
    let input = circuit_input(&SMALL, &slots, &commitment, slot, Fr::from(entropy)).unwrap();
    (dir, input)
}
