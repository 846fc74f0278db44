//! The input of Codex's storage-proof circuit `SampleAndProve(maxDepth, maxLog2NSlots,
//! blockTreeDepth, nFieldElemsPerCell, nSamples)`, in exactly the JSON layout Codex's tools
//! read and write, and the native check of the statement that circuit proves. The check is
//! the reference the circuit is tested against and what the prover runs before proving.

use crate::field::{fr_from_decimal, fr_to_decimal, parse_decimal, FieldError};
use crate::merkle::{path_depth, reconstruct_root, MerkleError, MerkleTree};
use crate::sampler::sample_indices;
use crate::slot::{reconstruct_slot_root, SlotError, SlotTree, CELLS_PER_BLOCK};
use crate::sponge::sponge_rate2;
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Zero};
use serde::{Deserialize, Serialize};

/// The circuit's shape parameters; Codex's deployed circuit is `codex(5)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitParams {
    /// Maximum depth of the slot tree in cells (a slot has at most `2^max_depth` cells).
    pub max_depth: usize,
    /// Maximum depth of the dataset tree (at most `2^max_log2_slots` slots).
    pub max_log2_slots: usize,
    /// Depth of the tree inside a 64 KiB block.
    pub block_tree_depth: usize,
    /// Field elements per cell.
    pub field_elems_per_cell: usize,
    /// Cells opened per proof.
    pub n_samples: usize,
}

impl CircuitParams {
    /// Codex's parameters `(32, 8, 5, 67, n_samples)`.
    pub fn codex(n_samples: usize) -> Self {
        Self {
            max_depth: 32,
            max_log2_slots: 8,
            block_tree_depth: 5,
            field_elems_per_cell: 67,
            n_samples,
        }
    }
}

/// Why a circuit input is malformed or does not prove what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// A field holds something that is not a canonical number.
    #[error("field `{field}`: {source}")]
    Field {
        /// JSON name of the field.
        field: String,
        /// What is wrong with the value.
        source: FieldError,
    },
    /// An integer field does not fit the circuit.
    #[error("field `{field}` = {value} is out of range: {why}")]
    Range {
        /// JSON name of the field.
        field: &'static str,
        /// The value given.
        value: String,
        /// The allowed range.
        why: &'static str,
    },
    /// An array has the wrong length for the circuit parameters.
    #[error("field `{field}` has {got} entries, the circuit expects {want}")]
    Shape {
        /// JSON name of the field.
        field: String,
        /// Entries given.
        got: usize,
        /// Entries expected.
        want: usize,
    },
    /// The slot root does not lead to the dataset root through `slotProof`.
    #[error("slotRoot with slotProof at slotIndex {slot_index} does not lead to dataSetRoot")]
    DatasetRootMismatch {
        /// The slot index claimed.
        slot_index: u64,
    },
    /// A sampled cell's data and path do not lead to the slot root.
    #[error(
        "sample {sample} (cell {cell}): cellData with its merklePath does not lead to slotRoot"
    )]
    CellMismatch {
        /// 0-based sample number.
        sample: usize,
        /// The cell index the sampler chose.
        cell: u64,
    },
    /// A path cannot be walked.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
    /// The slot layout is invalid.
    #[error(transparent)]
    Slot(#[from] SlotError),
}

/// One opened cell: its field elements and its (unpadded) path to the slot root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampledCell {
    /// The cell's field elements (67 for a 2048-byte cell).
    pub elements: Vec<Fr>,
    /// Siblings from the cell to the slot root.
    pub path: Vec<Fr>,
}

/// A circuit input with parsed values. Arrays are padded to the circuit's maxima.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitInput {
    /// Public: the dataset commitment.
    pub dataset_root: Fr,
    /// Public: the period's randomness.
    pub entropy: Fr,
    /// Private: cells in the slot tree, pad blocks included (a power of two).
    pub n_cells_per_slot: u64,
    /// Private: slots in the dataset.
    pub n_slots_per_dataset: u64,
    /// Public: which slot is proven.
    pub slot_index: u64,
    /// Private: the slot's root.
    pub slot_root: Fr,
    /// Private: the slot root's path in the dataset tree, padded to `max_log2_slots`.
    pub slot_proof: Vec<Fr>,
    /// Private: the sampled cells' field elements.
    pub cell_data: Vec<Vec<Fr>>,
    /// Private: the sampled cells' paths, padded to `max_depth`.
    pub merkle_paths: Vec<Vec<Fr>>,
}

impl CircuitInput {
    /// Assembles the input for `slot_index` of a dataset from its trees and the opened
    /// cells (in sample order), padding paths as Codex's circuit expects.
    pub fn assemble(
        params: &CircuitParams,
        entropy: Fr,
        dataset: &MerkleTree,
        slot_index: u64,
        slot: &SlotTree,
        cells: Vec<SampledCell>,
    ) -> Result<Self, InputError> {
        let slot_proof = pad(
            dataset.path(slot_index)?,
            params.max_log2_slots,
            "slotProof",
        )?;
        let mut cell_data = Vec::with_capacity(cells.len());
        let mut merkle_paths = Vec::with_capacity(cells.len());
        for cell in cells {
            cell_data.push(cell.elements);
            merkle_paths.push(pad(cell.path, params.max_depth, "merklePaths[]")?);
        }
        Ok(Self {
            dataset_root: dataset.root(),
            entropy,
            n_cells_per_slot: slot.n_cells(),
            n_slots_per_dataset: dataset.leaves().len() as u64,
            slot_index,
            slot_root: slot.root(),
            slot_proof,
            cell_data,
            merkle_paths,
        })
    }

    /// The public inputs in circuit order: `entropy, dataSetRoot, slotIndex`.
    pub fn public_inputs(&self) -> [Fr; 3] {
        [self.entropy, self.dataset_root, Fr::from(self.slot_index)]
    }

    /// Checks natively everything the circuit asserts: shapes, the slot root's path to the
    /// dataset root, the sampled indices, and each cell's path to the slot root.
    pub fn check(&self, params: &CircuitParams) -> Result<(), InputError> {
        self.check_shape(params)?;
        let n_slots = self.n_slots_per_dataset;
        let used = &self.slot_proof[..path_depth(n_slots)];
        if reconstruct_root(self.slot_root, self.slot_index, n_slots, used)? != self.dataset_root {
            return Err(InputError::DatasetRootMismatch {
                slot_index: self.slot_index,
            });
        }
        let n_cells = self.n_cells_per_slot;
        let path_len = params.block_tree_depth + path_depth(n_cells >> params.block_tree_depth);
        let indices = sample_indices(self.entropy, self.slot_root, n_cells, params.n_samples)
            .map_err(|_| range("nCellsPerSlot", n_cells, "a power of two"))?;
        for (sample, ((cell, data), path)) in indices
            .into_iter()
            .zip(&self.cell_data)
            .zip(&self.merkle_paths)
            .enumerate()
        {
            let leaf = sponge_rate2(data);
            if reconstruct_slot_root(leaf, cell, n_cells, &path[..path_len])? != self.slot_root {
                return Err(InputError::CellMismatch { sample, cell });
            }
        }
        Ok(())
    }

    fn check_shape(&self, p: &CircuitParams) -> Result<(), InputError> {
        if p.block_tree_depth != 5 || p.field_elems_per_cell != crate::slot::FIELD_ELEMS_PER_CELL {
            return Err(range(
                "blockTreeDepth",
                p.block_tree_depth as u64,
                "Codex's layout: 5 and 67 elements per cell",
            ));
        }
        let n_cells = self.n_cells_per_slot;
        if !n_cells.is_power_of_two()
            || n_cells < CELLS_PER_BLOCK as u64
            || n_cells.trailing_zeros() as usize > p.max_depth
        {
            return Err(range(
                "nCellsPerSlot",
                n_cells,
                "a power of two from 32 to 2^maxDepth",
            ));
        }
        let n_slots = self.n_slots_per_dataset;
        if n_slots == 0 || n_slots > 1u64 << p.max_log2_slots {
            return Err(range("nSlotsPerDataSet", n_slots, "1 to 2^maxLog2NSlots"));
        }
        if self.slot_index >= n_slots {
            return Err(range(
                "slotIndex",
                self.slot_index,
                "below nSlotsPerDataSet",
            ));
        }
        shape("slotProof", self.slot_proof.len(), p.max_log2_slots)?;
        shape("cellData", self.cell_data.len(), p.n_samples)?;
        shape("merklePaths", self.merkle_paths.len(), p.n_samples)?;
        for (i, c) in self.cell_data.iter().enumerate() {
            shape(&format!("cellData[{i}]"), c.len(), p.field_elems_per_cell)?;
        }
        for (i, m) in self.merkle_paths.iter().enumerate() {
            shape(&format!("merklePaths[{i}]"), m.len(), p.max_depth)?;
        }
        Ok(())
    }
}

fn pad(mut path: Vec<Fr>, len: usize, field: &str) -> Result<Vec<Fr>, InputError> {
    shape(field, path.len(), len).or_else(|e| if path.len() < len { Ok(()) } else { Err(e) })?;
    path.resize(len, Fr::ZERO);
    Ok(path)
}

/// An array-length check with an error naming the field (shared with the circuit builder).
pub(crate) fn shape(field: &str, got: usize, want: usize) -> Result<(), InputError> {
    if got == want {
        Ok(())
    } else {
        Err(InputError::Shape {
            field: field.to_owned(),
            got,
            want,
        })
    }
}

fn range(field: &'static str, value: u64, why: &'static str) -> InputError {
    InputError::Range {
        field,
        value: value.to_string(),
        why,
    }
}

/// The JSON layout of Codex's `input.json`: big numbers as decimal strings, counts as
/// numbers (strings are accepted too, as circom accepts them).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CircuitInputJson {
    /// See [`CircuitInput::dataset_root`].
    pub data_set_root: String,
    /// See [`CircuitInput::entropy`].
    pub entropy: String,
    /// See [`CircuitInput::n_cells_per_slot`].
    pub n_cells_per_slot: JsonCount,
    /// See [`CircuitInput::n_slots_per_dataset`].
    pub n_slots_per_data_set: JsonCount,
    /// See [`CircuitInput::slot_index`].
    pub slot_index: JsonCount,
    /// See [`CircuitInput::slot_root`].
    pub slot_root: String,
    /// See [`CircuitInput::slot_proof`].
    pub slot_proof: Vec<String>,
    /// See [`CircuitInput::cell_data`].
    pub cell_data: Vec<Vec<String>>,
    /// See [`CircuitInput::merkle_paths`].
    pub merkle_paths: Vec<Vec<String>>,
}

/// An integer written either as a JSON number or as a decimal string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JsonCount {
    /// A plain JSON number.
    Number(u64),
    /// A decimal string.
    Text(String),
}

impl JsonCount {
    fn parse(&self, field: &'static str) -> Result<u64, InputError> {
        match self {
            JsonCount::Number(n) => Ok(*n),
            JsonCount::Text(s) => {
                let n = parse_decimal(s).map_err(|source| InputError::Field {
                    field: field.to_owned(),
                    source,
                })?;
                u64::try_from(n).map_err(|_| InputError::Range {
                    field,
                    value: s.clone(),
                    why: "below 2^64",
                })
            }
        }
    }
}

fn fr(field: &str, s: &str) -> Result<Fr, InputError> {
    fr_from_decimal(s).map_err(|source| InputError::Field {
        field: field.to_owned(),
        source,
    })
}

fn frs(field: &str, v: &[String]) -> Result<Vec<Fr>, InputError> {
    v.iter()
        .enumerate()
        .map(|(i, s)| fr(&format!("{field}[{i}]"), s))
        .collect()
}

impl TryFrom<&CircuitInputJson> for CircuitInput {
    type Error = InputError;
    fn try_from(j: &CircuitInputJson) -> Result<Self, InputError> {
        let nested = |field: &str, v: &[Vec<String>]| -> Result<Vec<Vec<Fr>>, InputError> {
            v.iter()
                .enumerate()
                .map(|(i, row)| frs(&format!("{field}[{i}]"), row))
                .collect()
        };
        Ok(Self {
            dataset_root: fr("dataSetRoot", &j.data_set_root)?,
            entropy: fr("entropy", &j.entropy)?,
            n_cells_per_slot: j.n_cells_per_slot.parse("nCellsPerSlot")?,
            n_slots_per_dataset: j.n_slots_per_data_set.parse("nSlotsPerDataSet")?,
            slot_index: j.slot_index.parse("slotIndex")?,
            slot_root: fr("slotRoot", &j.slot_root)?,
            slot_proof: frs("slotProof", &j.slot_proof)?,
            cell_data: nested("cellData", &j.cell_data)?,
            merkle_paths: nested("merklePaths", &j.merkle_paths)?,
        })
    }
}

impl From<&CircuitInput> for CircuitInputJson {
    fn from(i: &CircuitInput) -> Self {
        let strs = |v: &[Fr]| v.iter().map(fr_to_decimal).collect::<Vec<_>>();
        Self {
            data_set_root: fr_to_decimal(&i.dataset_root),
            entropy: fr_to_decimal(&i.entropy),
            n_cells_per_slot: JsonCount::Number(i.n_cells_per_slot),
            n_slots_per_data_set: JsonCount::Number(i.n_slots_per_dataset),
            slot_index: JsonCount::Number(i.slot_index),
            slot_root: fr_to_decimal(&i.slot_root),
            slot_proof: strs(&i.slot_proof),
            cell_data: i.cell_data.iter().map(|c| strs(c)).collect(),
            merkle_paths: i.merkle_paths.iter().map(|p| strs(p)).collect(),
        }
    }
}

/// True when every element of a padding region is zero (honest inputs pad with zeros).
pub fn is_zero_padded(v: &[Fr], used: usize) -> bool {
    v.iter().skip(used).all(Zero::is_zero)
}

#[cfg(test)]
mod tests;
