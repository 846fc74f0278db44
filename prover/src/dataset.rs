//! A dataset given as its slot files, in slot order: its commitment (slot roots, each over
//! the slot padded with zero blocks as Codex pads it, and the dataset root over them) and the
//! circuit input proving one slot for one entropy.

use crate::error::ProverError;
use crate::progress::{NoProgress, Progress, Stage};
use crate::slot_file::SlotFile;
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::sampler::sample_indices;
use proofmesh_circuits::slot::SlotTree;
use proofmesh_circuits::{CircuitInput, CircuitParams, Fr};
use std::path::Path;

/// The commitment to a dataset: each slot's tree and the tree over slot roots.
#[derive(Debug, Clone)]
pub struct DatasetCommitment {
    /// Per slot, in order.
    pub slots: Vec<SlotTree>,
    /// The tree over the slot roots; its root is the dataset root.
    pub dataset: MerkleTree,
}

impl DatasetCommitment {
    /// The dataset root: the public commitment every proof is checked against.
    pub fn root(&self) -> Fr {
        self.dataset.root()
    }
}

/// Opens and validates slot files, in order.
pub fn open_slots<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<SlotFile>, ProverError> {
    if paths.is_empty() {
        return Err(ProverError::NoSlots);
    }
    paths.iter().map(SlotFile::open).collect()
}

/// Commits to a dataset: every slot tree (blocks hashed in parallel), then the dataset tree.
pub fn commit(slots: &[SlotFile]) -> Result<DatasetCommitment, ProverError> {
    commit_with_progress(slots, &NoProgress)
}

/// [`commit`], reporting [`Stage::Commit`] and every hashed batch of blocks to `progress`.
pub fn commit_with_progress(
    slots: &[SlotFile],
    progress: &dyn Progress,
) -> Result<DatasetCommitment, ProverError> {
    if slots.is_empty() {
        return Err(ProverError::NoSlots);
    }
    progress.stage(Stage::Commit {
        blocks: slots.iter().map(SlotFile::n_blocks).sum(),
    });
    let slot_trees = slots
        .iter()
        .map(|s| s.slot_tree_with_progress(progress))
        .collect::<Result<Vec<_>, _>>()?;
    let dataset = MerkleTree::new(slot_trees.iter().map(SlotTree::root).collect())
        .map_err(proofmesh_circuits::slot::SlotError::from)?;
    Ok(DatasetCommitment {
        slots: slot_trees,
        dataset,
    })
}

/// Builds the circuit input proving slot `slot_index` of the dataset for `entropy`, and checks
/// it natively before returning it, so a caller never proves or ships a wrong input.
pub fn circuit_input(
    params: &CircuitParams,
    slots: &[SlotFile],
    commitment: &DatasetCommitment,
    slot_index: u64,
    entropy: Fr,
) -> Result<CircuitInput, ProverError> {
    let max_slots = 1usize << params.max_log2_slots;
    if slots.len() > max_slots {
        return Err(ProverError::TooManySlots {
            got: slots.len(),
            max: max_slots,
        });
    }
    let (file, tree) = match (
        slots.get(slot_index as usize),
        commitment.slots.get(slot_index as usize),
    ) {
        (Some(f), Some(t)) => (f, t),
        _ => {
            return Err(ProverError::SlotIndex {
                index: slot_index,
                slots: slots.len(),
            })
        }
    };
    let indices =
        sample_indices(entropy, tree.root(), tree.n_cells(), params.n_samples).map_err(|e| {
            ProverError::Layout {
                path: file.path().to_path_buf(),
                why: e.to_string(),
            }
        })?;
    // The sampler draws from the padded cell count, as Codex's does: a cell in the pad opens
    // as a zero cell (nothing read), any other from the file.
    let cells = indices
        .into_iter()
        .map(|cell| file.open_cell(tree, cell))
        .collect::<Result<Vec<_>, _>>()?;
    let input = CircuitInput::assemble(
        params,
        entropy,
        &commitment.dataset,
        slot_index,
        tree,
        cells,
    )?;
    input.check(params)?;
    Ok(input)
}
