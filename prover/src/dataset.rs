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
    circuit_input_for_slot(params, file, tree, &commitment.dataset, slot_index, entropy)
}

/// Builds the circuit input proving slot `slot_index` for `entropy` from that slot's file and
/// tree alone, with `dataset` the tree over the dataset's slot roots (a provider builds it
/// from the owner's announcement, [`dataset_tree`]), and checks it natively before returning
/// it. What [`circuit_input`] gives for the same slot, without the other slots' files.
pub fn circuit_input_for_slot(
    params: &CircuitParams,
    file: &SlotFile,
    tree: &SlotTree,
    dataset: &MerkleTree,
    slot_index: u64,
    entropy: Fr,
) -> Result<CircuitInput, ProverError> {
    let max_slots = 1usize << params.max_log2_slots;
    if dataset.leaves().len() > max_slots {
        return Err(ProverError::TooManySlots {
            got: dataset.leaves().len(),
            max: max_slots,
        });
    }
    if slot_index >= dataset.leaves().len() as u64 {
        return Err(ProverError::SlotIndex {
            index: slot_index,
            slots: dataset.leaves().len(),
        });
    }
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
    let input = CircuitInput::assemble(params, entropy, dataset, slot_index, tree, cells)?;
    input.check(params)?;
    Ok(input)
}

/// The dataset tree over announced slot roots, in slot order: its root is the dataset root.
pub fn dataset_tree(slot_roots: Vec<Fr>) -> Result<MerkleTree, ProverError> {
    if slot_roots.is_empty() {
        return Err(ProverError::NoSlots);
    }
    MerkleTree::new(slot_roots)
        .map_err(|e| ProverError::from(proofmesh_circuits::slot::SlotError::from(e)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proofmesh_circuits::slot::BLOCK_SIZE;

    const SMALL: CircuitParams = CircuitParams {
        max_depth: 8,
        max_log2_slots: 4,
        block_tree_depth: 5,
        field_elems_per_cell: 67,
        n_samples: 2,
    };

    fn slot_file(dir: &Path, name: &str, blocks: usize, seed: u8) -> SlotFile {
        let data: Vec<u8> = (0..blocks * BLOCK_SIZE)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect();
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        SlotFile::open(&p).unwrap()
    }

    #[test]
    fn one_slot_and_the_announced_roots_give_the_all_files_input() {
        let dir = tempfile::tempdir().unwrap();
        let slots: Vec<SlotFile> = (0..3)
            .map(|i| slot_file(dir.path(), &format!("s{i}.bin"), 2, i as u8))
            .collect();
        let c = commit(&slots).unwrap();
        let roots: Vec<Fr> = c.slots.iter().map(SlotTree::root).collect();
        for index in 0..3u64 {
            // What a provider holding only this slot has: its file, and the announced roots.
            let file = slot_file(dir.path(), "held.bin", 2, index as u8);
            let tree = file.slot_tree().unwrap();
            let dataset = dataset_tree(roots.clone()).unwrap();
            assert_eq!(dataset.root(), c.root());
            for entropy in [1u64, 99] {
                let all = circuit_input(&SMALL, &slots, &c, index, Fr::from(entropy)).unwrap();
                let one = circuit_input_for_slot(
                    &SMALL,
                    &file,
                    &tree,
                    &dataset,
                    index,
                    Fr::from(entropy),
                )
                .unwrap();
                assert_eq!(one, all);
            }
        }
        // The slot's file under another slot's index does not pass the native check.
        let file = &slots[0];
        let tree = file.slot_tree().unwrap();
        let dataset = dataset_tree(roots).unwrap();
        assert!(circuit_input_for_slot(&SMALL, file, &tree, &dataset, 1, Fr::from(1u64)).is_err());
        let past = circuit_input_for_slot(&SMALL, file, &tree, &dataset, 3, Fr::from(1u64));
        assert!(matches!(
            past,
            Err(ProverError::SlotIndex { index: 3, slots: 3 })
        ));
        assert!(matches!(
            dataset_tree(Vec::new()),
            Err(ProverError::NoSlots)
        ));
    }
}
