//! The storage-proof circuit against Codex's fixture and generated slots: satisfied for honest
//! inputs, unsatisfied for each tampered part, accepting what Codex's circuit accepts, and with
//! its shape (constraint and public-input counts) pinned.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, OptimizationGoal, SynthesisMode,
};
use proofmesh_circuits::gadgets::StorageProofCircuit;
use proofmesh_circuits::input::{CircuitInputJson, SampledCell};
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::poseidon2::compress;
use proofmesh_circuits::sampler::sample_indices;
use proofmesh_circuits::slot::{self, SlotTree, BLOCK_SIZE, CELL_SIZE};
use proofmesh_circuits::sponge::sponge_rate2;
use proofmesh_circuits::{CircuitInput, CircuitParams, Fr};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Constraints of `SampleAndProve(32, 8, 5, 67, 5)` (Codex's circom: 89,802).
const CODEX_5_SAMPLES: usize = 84_614;
/// Constraints each further sample adds (Codex: 17,556).
const PER_SAMPLE: usize = 16_474;
/// Constraints that do not depend on the sample count (Codex: 2,022).
const FIXED: usize = 2_244;

fn fixture() -> CircuitInput {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/codex/input.json"
    );
    let json: CircuitInputJson =
        serde_json::from_str(&std::fs::read_to_string(path).expect("Codex fixture input.json"))
            .unwrap();
    CircuitInput::try_from(&json).unwrap()
}

fn synthesize(circuit: StorageProofCircuit) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::new_ref();
    circuit.generate_constraints(cs.clone()).unwrap();
    cs
}

fn satisfied(input: &CircuitInput, params: CircuitParams) -> bool {
    let cs = synthesize(StorageProofCircuit::from_input(input, params).unwrap());
    cs.is_satisfied().unwrap()
}

/// Constraint and instance counts of the blank circuit, synthesized as Groth16 setup does it
/// (setup mode, `OptimizationGoal::Constraints`, linear combinations inlined by `finalize`).
/// Linear combinations never become constraints in arkworks 0.6, so the goal changes nothing.
fn setup_count(params: CircuitParams) -> (usize, usize) {
    let cs = ConstraintSystem::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    StorageProofCircuit::blank(params)
        .generate_constraints(cs.clone())
        .unwrap();
    cs.finalize();
    (cs.num_constraints(), cs.num_instance_variables())
}

#[test]
fn codex_fixture_satisfies_the_circuit() {
    let input = fixture();
    let params = CircuitParams::codex(5);
    input.check(&params).unwrap();
    let circuit = StorageProofCircuit::from_input(&input, params).unwrap();
    assert_eq!(circuit.public_inputs(), Some(input.public_inputs()));
    let cs = synthesize(circuit);
    assert!(cs.is_satisfied().unwrap());
    assert_eq!(cs.num_constraints(), CODEX_5_SAMPLES);
    // entropy, dataSetRoot, slotIndex, and the constant one.
    assert_eq!(cs.num_instance_variables(), 4);
    assert_eq!(
        cs.instance_assignment().unwrap()[1..],
        input.public_inputs()[..]
    );
}

#[test]
fn pinned_shape_for_codex_parameters() {
    let (five, instances) = setup_count(CircuitParams::codex(5));
    assert_eq!(five, CODEX_5_SAMPLES);
    assert_eq!(instances, 4);
    let (six, _) = setup_count(CircuitParams::codex(6));
    assert_eq!(six - five, PER_SAMPLE);
    assert_eq!(five - 5 * PER_SAMPLE, FIXED);
    assert!(five < 89_802 && PER_SAMPLE < 17_556);
}

/// A change to one part of an input (given the unit to add).
type Tamper = fn(&mut CircuitInput, Fr);

#[test]
fn every_tampered_part_is_rejected() {
    let params = CircuitParams::codex(5);
    let good = fixture();
    let one = Fr::from(1u64);
    let tampers: [(&str, Tamper); 10] = [
        ("cell element", |i, d| i.cell_data[2][40] += d),
        ("path node", |i, d| i.merkle_paths[1][3] += d),
        ("block-tree path node", |i, d| i.merkle_paths[4][6] += d),
        ("slot index", |i, _| i.slot_index = 4),
        ("entropy", |i, d| i.entropy += d),
        ("slot root", |i, d| i.slot_root += d),
        ("dataset root", |i, d| i.dataset_root += d),
        ("slot-proof node", |i, d| i.slot_proof[2] += d),
        ("nCellsPerSlot (power of two)", |i, _| {
            i.n_cells_per_slot = 1024
        }),
        ("nCellsPerSlot (not a power of two)", |i, _| {
            i.n_cells_per_slot = 500
        }),
    ];
    for (what, tamper) in tampers {
        let mut input = good.clone();
        tamper(&mut input, one);
        assert!(!satisfied(&input, params), "{what}");
    }
}

#[test]
fn accepts_what_codex_accepts_beyond_the_native_check() {
    let params = CircuitParams::codex(5);
    // Path entries above the real depth are ignored (honest inputs pad with zeros).
    let mut input = fixture();
    input.merkle_paths[0][20] = Fr::from(7u64);
    input.slot_proof[7] = Fr::from(7u64);
    assert!(satisfied(&input, params));
    // nSlotsPerDataSet only matters through the path shape: 12 slots give the same tree path.
    let mut input = fixture();
    input.n_slots_per_dataset = 12;
    assert!(satisfied(&input, params));
}

/// A dataset of `n_slots` slots where slot `slot_index` holds `n_blocks` random blocks (the
/// other slot roots are random), with the input for `params` assembled from native trees.
fn generated_input(
    rng: &mut ChaCha20Rng,
    params: &CircuitParams,
    n_blocks: usize,
    n_slots: u64,
    slot_index: u64,
) -> CircuitInput {
    let blocks: Vec<Vec<u8>> = (0..n_blocks)
        .map(|_| (0..BLOCK_SIZE).map(|_| rng.gen()).collect())
        .collect();
    let trees: Vec<MerkleTree> = blocks
        .iter()
        .map(|b| slot::block_tree(b).unwrap())
        .collect();
    let slot = SlotTree::from_block_hashes(trees.iter().map(MerkleTree::root).collect()).unwrap();
    let roots: Vec<Fr> = (0..n_slots)
        .map(|i| {
            if i == slot_index {
                slot.root()
            } else {
                Fr::from(rng.gen::<u64>())
            }
        })
        .collect();
    let dataset = MerkleTree::new(roots).unwrap();
    let entropy = Fr::from(rng.gen::<u64>());
    let indices = sample_indices(entropy, slot.root(), slot.n_cells(), params.n_samples).unwrap();
    let cells = open_cells(&blocks, &trees, &slot, &indices);
    CircuitInput::assemble(params, entropy, &dataset, slot_index, &slot, cells).unwrap()
}

/// The sampled cells of a slot of `blocks` (padded in `slot` to a power of two of blocks): a
/// cell past the stored blocks is a zero cell under the zero block's tree, as Codex opens it.
fn open_cells(
    blocks: &[Vec<u8>],
    trees: &[MerkleTree],
    slot: &SlotTree,
    indices: &[u64],
) -> Vec<SampledCell> {
    indices
        .iter()
        .map(|&c| {
            let (b, k) = ((c / 32) as usize, (c % 32) as usize);
            match blocks.get(b) {
                Some(block) => SampledCell {
                    elements: slot::cell_elements(&block[k * CELL_SIZE..][..CELL_SIZE]).unwrap(),
                    path: slot.cell_path(&trees[b], c).unwrap(),
                },
                None => SampledCell {
                    elements: slot::cell_elements(&[0u8; CELL_SIZE]).unwrap(),
                    path: slot
                        .cell_path(&slot::block_tree(&vec![0u8; BLOCK_SIZE]).unwrap(), c)
                        .unwrap(),
                },
            }
        })
        .collect()
}

#[test]
fn padded_slots_satisfy_small_circuits_with_samples_in_the_pad() {
    // 3 and 5 stored blocks: trees of 4 and 8 blocks, the last 1 and 3 of them zero. The
    // entropy is chosen so that one sample lands in the pad and one in the stored blocks.
    let params = small_params();
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    for n_blocks in [3usize, 5] {
        let blocks: Vec<Vec<u8>> = (0..n_blocks)
            .map(|_| (0..BLOCK_SIZE).map(|_| rng.gen()).collect())
            .collect();
        let trees: Vec<MerkleTree> = blocks
            .iter()
            .map(|b| slot::block_tree(b).unwrap())
            .collect();
        let slot =
            SlotTree::from_block_hashes(trees.iter().map(MerkleTree::root).collect()).unwrap();
        assert_eq!(slot.n_cells(), 32 * n_blocks.next_power_of_two() as u64);
        let dataset = MerkleTree::new(vec![Fr::from(3u64), slot.root(), Fr::from(4u64)]).unwrap();
        let stored_cells = 32 * n_blocks as u64;
        let (entropy, indices) = (1u64..)
            .map(|e| {
                let e = Fr::from(e);
                (
                    e,
                    sample_indices(e, slot.root(), slot.n_cells(), 2).unwrap(),
                )
            })
            .find(|(_, i)| i[0] >= stored_cells && i[1] < stored_cells)
            .unwrap();
        let cells = open_cells(&blocks, &trees, &slot, &indices);
        let input = CircuitInput::assemble(&params, entropy, &dataset, 1, &slot, cells).unwrap();
        input.check(&params).unwrap();
        assert!(satisfied(&input, params), "{n_blocks} blocks");
        // The pad is zero: a pad cell that claims other data is refused.
        let mut bad = input.clone();
        bad.cell_data[0][0] += Fr::from(1u64);
        assert!(bad.check(&params).is_err());
        assert!(
            !satisfied(&bad, params),
            "{n_blocks} blocks: nonzero pad cell"
        );
        // So is a slot that claims only its stored cells (not a power of two).
        let mut short = input.clone();
        short.n_cells_per_slot = stored_cells;
        assert!(
            !satisfied(&short, params),
            "{n_blocks} blocks: unpadded count"
        );
    }
}

fn small_params() -> CircuitParams {
    CircuitParams {
        max_depth: 8,
        max_log2_slots: 4,
        block_tree_depth: 5,
        field_elems_per_cell: 67,
        n_samples: 2,
    }
}

#[test]
fn generated_slots_satisfy_small_circuits() {
    let params = small_params();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    for (n_blocks, n_slots, slot_index) in [
        (1, 1, 0),
        (2, 3, 2),
        (4, 5, 4),
        (1, 7, 3),
        (2, 16, 9),
        (4, 11, 10),
    ] {
        let input = generated_input(&mut rng, &params, n_blocks, n_slots, slot_index);
        input.check(&params).unwrap();
        let what = format!("{n_blocks} blocks, slot {slot_index} of {n_slots}");
        assert!(satisfied(&input, params), "{what}");
        let mut bad = input.clone();
        bad.cell_data[1][66] += Fr::from(1u64);
        assert!(!satisfied(&bad, params), "{what}: tampered cell");
    }
}

#[test]
fn sub_block_slots_are_accepted_as_by_codex() {
    // Codex's circuit takes nCellsPerSlot = 2^k for any k ≥ 1: with k ≤ 5 the "block" is the
    // root of the k-level tree, then compressed once with key 3 like a single-block slot.
    // The native check insists on whole 64 KiB blocks, so this input is built by hand.
    let params = small_params();
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    for k in 1..=5u32 {
        let n_cells = 1u64 << k;
        let cells: Vec<Vec<Fr>> = (0..n_cells)
            .map(|_| (0..67).map(|_| Fr::from(rng.gen::<u64>())).collect())
            .collect();
        let tree = MerkleTree::new(cells.iter().map(|c| sponge_rate2(c)).collect()).unwrap();
        let slot_root = compress(tree.root(), Fr::from(0u64), 3);
        let dataset = MerkleTree::new(vec![Fr::from(5u64), slot_root]).unwrap();
        let entropy = Fr::from(rng.gen::<u64>());
        let indices = sample_indices(entropy, slot_root, n_cells, params.n_samples).unwrap();
        let mut input = CircuitInput {
            dataset_root: dataset.root(),
            entropy,
            n_cells_per_slot: n_cells,
            n_slots_per_dataset: 2,
            slot_index: 1,
            slot_root,
            slot_proof: dataset.path(1).unwrap(),
            cell_data: indices.iter().map(|&c| cells[c as usize].clone()).collect(),
            merkle_paths: indices.iter().map(|&c| tree.path(c).unwrap()).collect(),
        };
        input
            .slot_proof
            .resize(params.max_log2_slots, Fr::from(0u64));
        for p in &mut input.merkle_paths {
            p.resize(params.max_depth, Fr::from(0u64));
        }
        assert!(satisfied(&input, params), "k {k}");
        // k = 5 is a whole block, which the native check accepts too.
        assert_eq!(input.check(&params).is_ok(), k == 5, "k {k}");
        // The sampled index decides the path's direction: claiming twice the cells fails.
        input.n_cells_per_slot *= 2;
        assert!(!satisfied(&input, params), "k {k}, doubled");
    }
}
