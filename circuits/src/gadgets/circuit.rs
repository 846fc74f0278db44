//! The storage-proof circuit: the statement of Codex's `SampleAndProve(maxDepth,
//! maxLog2NSlots, blockTreeDepth, nFieldElemsPerCell, nSamples)`, constraint for constraint in
//! what it accepts, in fewer constraints (see `docs/circuit.md`).
//!
//! Public inputs, in order: `entropy, dataSetRoot, slotIndex`. The statement: `slotRoot` is
//! leaf `slotIndex` of the dataset tree of `nSlotsPerDataSet` slots with root `dataSetRoot`;
//! `nCellsPerSlot = 2^k` with `1 ≤ k ≤ maxDepth`; and for `j = 1..=nSamples` the cell at index
//! `low_k_bits(Sponge(entropy, slotRoot, j))` hashes (`Sponge(cellData[j])`) to a leaf whose
//! path (block tree, then slot tree, each with its own bottom layer) leads to `slotRoot`.
//! `CircuitInput::check` is the native twin (it additionally insists on whole blocks).

use super::{
    bits::{low_bits_le, to_bits_le, BitVar},
    mask::{ceiling_log2_mask, power_of_two_mask},
    merkle::{enforce_root, even_key, keys, odd_node_bits, path_hashes, select_root},
    sponge::{sponge_rate2, SpongeVar},
    FrVar,
};
use crate::input::shape;
use crate::input::{CircuitInput, CircuitParams, InputError};
use crate::Fr;
use ark_ff::Field;
use ark_r1cs_std::alloc::AllocVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// The circuit with its witness: every value is an `Option`, `None` in [`blank`] (setup needs
/// only the shape) and `Some` in [`from_input`] (proving).
///
/// [`blank`]: StorageProofCircuit::blank
/// [`from_input`]: StorageProofCircuit::from_input
#[derive(Debug, Clone)]
pub struct StorageProofCircuit {
    params: CircuitParams,
    entropy: Option<Fr>,
    dataset_root: Option<Fr>,
    slot_index: Option<Fr>,
    slot_root: Option<Fr>,
    n_cells_per_slot: Option<Fr>,
    n_slots_per_dataset: Option<Fr>,
    slot_proof: Vec<Option<Fr>>,
    cell_data: Vec<Vec<Option<Fr>>>,
    merkle_paths: Vec<Vec<Option<Fr>>>,
}

impl StorageProofCircuit {
    /// The circuit without a witness, for key generation: only `params` matter.
    pub fn blank(params: CircuitParams) -> Self {
        Self {
            params,
            entropy: None,
            dataset_root: None,
            slot_index: None,
            slot_root: None,
            n_cells_per_slot: None,
            n_slots_per_dataset: None,
            slot_proof: vec![None; params.max_log2_slots],
            cell_data: vec![vec![None; params.field_elems_per_cell]; params.n_samples],
            merkle_paths: vec![vec![None; params.max_depth]; params.n_samples],
        }
    }

    /// The circuit for proving `input`. Only the array shapes are checked here: whether the
    /// input proves anything is the constraints' business (run `CircuitInput::check` first to
    /// fail fast with a readable error).
    pub fn from_input(input: &CircuitInput, params: CircuitParams) -> Result<Self, InputError> {
        shape("slotProof", input.slot_proof.len(), params.max_log2_slots)?;
        shape("cellData", input.cell_data.len(), params.n_samples)?;
        shape("merklePaths", input.merkle_paths.len(), params.n_samples)?;
        for (i, c) in input.cell_data.iter().enumerate() {
            shape(
                &format!("cellData[{i}]"),
                c.len(),
                params.field_elems_per_cell,
            )?;
        }
        for (i, p) in input.merkle_paths.iter().enumerate() {
            shape(&format!("merklePaths[{i}]"), p.len(), params.max_depth)?;
        }
        let some = |v: &[Fr]| v.iter().copied().map(Some).collect::<Vec<_>>();
        Ok(Self {
            params,
            entropy: Some(input.entropy),
            dataset_root: Some(input.dataset_root),
            slot_index: Some(Fr::from(input.slot_index)),
            slot_root: Some(input.slot_root),
            n_cells_per_slot: Some(Fr::from(input.n_cells_per_slot)),
            n_slots_per_dataset: Some(Fr::from(input.n_slots_per_dataset)),
            slot_proof: some(&input.slot_proof),
            cell_data: input.cell_data.iter().map(|c| some(c)).collect(),
            merkle_paths: input.merkle_paths.iter().map(|p| some(p)).collect(),
        })
    }

    /// The shape parameters.
    pub fn params(&self) -> &CircuitParams {
        &self.params
    }

    /// The public inputs in circuit order (`entropy, dataSetRoot, slotIndex`), if known.
    pub fn public_inputs(&self) -> Option<[Fr; 3]> {
        Some([self.entropy?, self.dataset_root?, self.slot_index?])
    }
}

/// Parameters the gadgets support: the slot tree must have a block tree and a level above it,
/// and the depths must keep the key and mask arithmetic far from wrapping around `r`.
fn check_params(p: &CircuitParams) -> Result<(), SynthesisError> {
    let ok = p.block_tree_depth >= 1
        && p.max_depth > p.block_tree_depth
        && p.max_depth <= 64
        && (1..=32).contains(&p.max_log2_slots)
        && p.field_elems_per_cell >= 1;
    if ok {
        Ok(())
    } else {
        Err(SynthesisError::Unsatisfiable)
    }
}

impl ConstraintSynthesizer<Fr> for StorageProofCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let p = self.params;
        check_params(&p)?;
        let input = |v: Option<Fr>| {
            FrVar::new_input(cs.clone(), || v.ok_or(SynthesisError::AssignmentMissing))
        };
        let witness = |v: Option<Fr>| {
            FrVar::new_witness(cs.clone(), || v.ok_or(SynthesisError::AssignmentMissing))
        };
        let witnesses = |v: &[Option<Fr>]| -> Result<Vec<FrVar>, SynthesisError> {
            v.iter().map(|x| witness(*x)).collect()
        };
        let entropy = input(self.entropy)?;
        let dataset_root = input(self.dataset_root)?;
        let slot_index = input(self.slot_index)?;
        let slot_root = witness(self.slot_root)?;
        let n_cells = witness(self.n_cells_per_slot)?;
        let n_slots = witness(self.n_slots_per_dataset)?;
        let slot_proof: Vec<FrVar> = witnesses(&self.slot_proof)?;

        // The slot root is leaf `slotIndex` of the dataset tree (any number of slots).
        let index_bits = to_bits_le(&slot_index, p.max_log2_slots)?;
        let last_bits = to_bits_le(&(&n_slots - Fr::ONE), p.max_log2_slots)?;
        let odd = odd_node_bits(&index_bits, &last_bits)?;
        let hashes = path_hashes(&slot_root, &slot_proof, &index_bits, &keys(true, &odd))?;
        enforce_root(&hashes, &ceiling_log2_mask(&last_bits)?, &dataset_root)?;

        // The slot tree has 2^k cells; its mask is shared by all samples.
        let cell_mask = power_of_two_mask(&n_cells, p.max_depth)?;
        // The sampler's sponge absorbs (entropy, slotRoot) first for every sample: once.
        let mut prefix = SpongeVar::new();
        if p.n_samples > 0 {
            prefix.absorb_block([&entropy, &slot_root])?;
        }
        for (j, (data, path)) in self.cell_data.iter().zip(&self.merkle_paths).enumerate() {
            let data: Vec<FrVar> = witnesses(data)?;
            let path: Vec<FrVar> = witnesses(path)?;
            let counter = FrVar::Constant(Fr::from(j as u64 + 1));
            let index_bits = low_bits_le(&prefix.clone().finish(&[counter])?, p.max_depth)?;
            let leaf = sponge_rate2(&data)?;
            let cell = SampledCellVars {
                leaf: &leaf,
                path: &path,
                index_bits: &index_bits,
            };
            cell.enforce_in_slot(&cell_mask, &slot_root, p.block_tree_depth)?;
        }
        Ok(())
    }
}

/// One sample inside the circuit: its leaf (cell hash), padded path and index bits.
struct SampledCellVars<'a> {
    leaf: &'a FrVar,
    path: &'a [FrVar],
    index_bits: &'a [BitVar],
}

impl SampledCellVars<'_> {
    /// Codex's `ProveSingleCell`: the block tree (levels `0..b`), then the slot tree, each
    /// with its own bottom layer, the root picked at depth `k` by `mask` (`mask[i - 1]` =
    /// `[i < k]`).
    ///
    /// The slot tree has `2^k` leaves, so its last index is the mask itself and no node below
    /// the root is odd: the keys are constants except at level `b`, whose node is the single
    /// block of a slot of `≤ 2^b` cells (key 3) exactly when `mask[b - 1] = 0`. That level is
    /// also the only one whose index bit must be masked as circom masks all of them: above
    /// the root a wrong bit only changes hashes the mask discards, but level `b` is used even
    /// when `k ≤ b`.
    fn enforce_in_slot(
        &self,
        mask: &[BitVar],
        slot_root: &FrVar,
        b: usize,
    ) -> Result<(), SynthesisError> {
        let bottom_keys: Vec<FrVar> = (0..b).map(|i| even_key(i == 0)).collect();
        let below = path_hashes(
            self.leaf,
            &self.path[..b],
            &self.index_bits[..b],
            &bottom_keys,
        )?;
        let block_root = select_root(&below, &mask[..b - 1])?;
        let level_b = &mask[b - 1];
        let mut bits = self.index_bits[b..].to_vec();
        bits[0] = bits[0].and(level_b)?;
        let mut slot_keys = vec![even_key(false); bits.len()];
        // 1 (bottom of the slot tree) + 2·odd, odd = 1 - mask[b - 1].
        slot_keys[0] = FrVar::Constant(Fr::from(3u64)) - level_b.fp() * Fr::from(2u64);
        let above = path_hashes(&block_root, &self.path[b..], &bits, &slot_keys)?;
        enforce_root(&above, &mask[b..], slot_root)
    }
}
