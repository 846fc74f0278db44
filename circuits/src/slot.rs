//! Codex's slot layout: a slot is 64 KiB blocks of 32 cells of 2048 bytes. A block's hash is
//! the root of the depth-5 tree over its cell hashes, the slot root is the root of the tree
//! over block hashes, and a cell's path is its 5 in-block siblings then its block's path.
//! Both trees have their own bottom layer, so the bottom-layer key appears twice on a path.
//!
//! A slot of any whole number of blocks is padded in its tree as Codex pads it (nim-codex
//! `slots/builder/builder.nim`, `numPadSlotBlocks`): after its `n` stored blocks come
//! `nextPow2(32·n)/32 − n` all-zero blocks, which exist only in the tree. They all hash to one
//! constant ([`zero_block_tree`]), so padding costs one hash per pad block, never its data.
//! Codex samples over the padded cell count; a sampled cell in the pad region opens as an
//! all-zero cell whose path runs through the zero block's tree.

use crate::field::bytes_to_elements;
use crate::merkle::{path_depth, reconstruct_root, MerkleError, MerkleTree};
use crate::sponge::sponge_rate2;
use ark_bn254::Fr;
use std::sync::OnceLock;

/// Bytes per cell: the unit a proof opens.
pub const CELL_SIZE: usize = 2048;
/// Bytes per network block.
pub const BLOCK_SIZE: usize = 65536;
/// Cells per block.
pub const CELLS_PER_BLOCK: usize = BLOCK_SIZE / CELL_SIZE;
/// Depth of the tree inside a block (log2 of cells per block).
pub const BLOCK_TREE_DEPTH: usize = 5;
/// Field elements a cell packs into (2048 bytes + padding in 31-byte chunks).
pub const FIELD_ELEMS_PER_CELL: usize = CELL_SIZE / 31 + 1;

/// Why slot data does not have Codex's layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// A block must be exactly 64 KiB.
    #[error("a block must be {BLOCK_SIZE} bytes, got {0}")]
    BlockSize(usize),
    /// A cell must be exactly 2048 bytes.
    #[error("a cell must be {CELL_SIZE} bytes, got {0}")]
    CellSize(usize),
    /// A slot tree (stored blocks and pad) has a power-of-two number of blocks, so a cell
    /// count that is not one (or under one block) describes no slot tree.
    #[error("a slot tree must have a power-of-two number of blocks, got {0}")]
    BlocksNotPowerOfTwo(u64),
    /// A slot holds at least one block.
    #[error("a slot must hold at least one block")]
    NoBlocks,
    /// A tree or path problem.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
}

/// The field elements of a cell, as the circuit receives them.
pub fn cell_elements(cell: &[u8]) -> Result<Vec<Fr>, SlotError> {
    if cell.len() != CELL_SIZE {
        return Err(SlotError::CellSize(cell.len()));
    }
    Ok(bytes_to_elements(cell))
}

/// The hash of a cell: the rate-2 sponge over its 67 field elements.
pub fn hash_cell(cell: &[u8]) -> Result<Fr, SlotError> {
    Ok(sponge_rate2(&cell_elements(cell)?))
}

/// The tree over a block's 32 cell hashes (kept whole to extract in-block paths).
pub fn block_tree(block: &[u8]) -> Result<MerkleTree, SlotError> {
    if block.len() != BLOCK_SIZE {
        return Err(SlotError::BlockSize(block.len()));
    }
    let hashes = block
        .chunks_exact(CELL_SIZE)
        .map(hash_cell)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MerkleTree::new(hashes)?)
}

/// The hash of a 64 KiB block (the root of its cell tree).
pub fn block_hash(block: &[u8]) -> Result<Fr, SlotError> {
    Ok(block_tree(block)?.root())
}

/// Codex's `numPadSlotBlocks`: the all-zero blocks that follow a slot's `n_blocks` stored
/// blocks in its tree, `nextPow2(32·n)/32 − n` (0 when `n` is already a power of two).
pub fn pad_blocks(n_blocks: u64) -> u64 {
    // A u64 block count past 2^63 is 2^78 bytes: not a file anyone has.
    n_blocks
        .checked_next_power_of_two()
        .unwrap_or(0)
        .saturating_sub(n_blocks)
}

/// The tree of an all-zero 64 KiB block, the block Codex pads slots with: computed once, from
/// one zero cell's hash, without a 64 KiB buffer.
pub fn zero_block_tree() -> &'static MerkleTree {
    static TREE: OnceLock<MerkleTree> = OnceLock::new();
    TREE.get_or_init(|| {
        let cell = sponge_rate2(&zero_cell_elements());
        MerkleTree::over_nonempty(vec![cell; CELLS_PER_BLOCK])
    })
}

/// The field elements of an all-zero cell: what a sampled cell in the pad region opens to.
pub fn zero_cell_elements() -> Vec<Fr> {
    bytes_to_elements(&[0u8; CELL_SIZE])
}

/// The tree over a slot's block hashes, pad included: everything needed for the slot root
/// and, with a block's own tree, any cell's path. Memory is one hash per block of the padded
/// tree, never the slot's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotTree {
    blocks: MerkleTree,
    stored: u64,
}

impl SlotTree {
    /// Builds the slot tree from the hashes of the slot's stored blocks, in block order,
    /// padded with the zero block's hash up to a power of two of blocks as Codex pads it
    /// ([`pad_blocks`]). Hashes that already number a power of two are taken as they are.
    pub fn from_block_hashes(mut hashes: Vec<Fr>) -> Result<Self, SlotError> {
        if hashes.is_empty() {
            return Err(SlotError::NoBlocks);
        }
        let stored = hashes.len() as u64;
        let pad = pad_blocks(stored) as usize;
        if pad > 0 {
            hashes.resize(hashes.len() + pad, zero_block_tree().root());
        }
        Ok(Self {
            blocks: MerkleTree::over_nonempty(hashes),
            stored,
        })
    }

    /// The slot root.
    pub fn root(&self) -> Fr {
        self.blocks.root()
    }

    /// Number of 64 KiB blocks in the tree: stored blocks and pad (a power of two).
    pub fn n_blocks(&self) -> u64 {
        self.blocks.leaves().len() as u64
    }

    /// Number of stored blocks: the ones a slot file holds, before the pad.
    pub fn n_stored_blocks(&self) -> u64 {
        self.stored
    }

    /// Whether block `index` of the tree is a pad block (all zero, not stored); false past
    /// the tree.
    pub fn is_pad_block(&self, index: u64) -> bool {
        (self.stored..self.n_blocks()).contains(&index)
    }

    /// Number of cells in the tree, pad included (`nCellsPerSlot`: what the sampler draws
    /// from and what the circuit and announcements use).
    pub fn n_cells(&self) -> u64 {
        self.n_blocks() * CELLS_PER_BLOCK as u64
    }

    /// The block hashes, in order, pad included.
    pub fn block_hashes(&self) -> &[Fr] {
        self.blocks.leaves()
    }

    /// The path of stored block `index` up the slot tree (its siblings, bottom first): what a
    /// peer sends with the block so the receiver can check it against the slot root
    /// ([`crate::block::verify_block`]). Pad blocks are never sent, so their index is refused.
    pub fn block_path(&self, index: u64) -> Result<Vec<Fr>, SlotError> {
        if index >= self.stored {
            return Err(MerkleError::IndexOutOfRange {
                index,
                leaves: self.stored,
            }
            .into());
        }
        Ok(self.blocks.path(index)?)
    }

    /// The full path of cell `cell_index` (5 in-block siblings, then the block's path), given
    /// the tree of the block that holds it.
    pub fn cell_path(&self, block: &MerkleTree, cell_index: u64) -> Result<Vec<Fr>, SlotError> {
        let block_index = cell_index / CELLS_PER_BLOCK as u64;
        let mut path = block.path(cell_index % CELLS_PER_BLOCK as u64)?;
        path.extend(self.blocks.path(block_index)?);
        Ok(path)
    }
}

/// Length of a cell's path in a slot of `n_cells` cells.
pub fn cell_path_len(n_cells: u64) -> usize {
    BLOCK_TREE_DEPTH + path_depth(n_cells / CELLS_PER_BLOCK as u64)
}

/// Walks a cell's path up to the slot root, as Codex's circuit does (block tree, then slot
/// tree, each with its own bottom-layer key).
pub fn reconstruct_slot_root(
    cell_hash: Fr,
    cell_index: u64,
    n_cells: u64,
    path: &[Fr],
) -> Result<Fr, SlotError> {
    let per_block = CELLS_PER_BLOCK as u64;
    if !n_cells.is_power_of_two() || n_cells < per_block {
        return Err(SlotError::BlocksNotPowerOfTwo(n_cells / per_block));
    }
    if path.len() < BLOCK_TREE_DEPTH {
        return Err(MerkleError::PathLength {
            got: path.len(),
            want: cell_path_len(n_cells),
            leaves: n_cells,
        }
        .into());
    }
    let (inner, outer) = path.split_at(BLOCK_TREE_DEPTH);
    let block = reconstruct_root(cell_hash, cell_index % per_block, per_block, inner)?;
    if cell_index >= n_cells {
        return Err(MerkleError::IndexOutOfRange {
            index: cell_index,
            leaves: n_cells,
        }
        .into());
    }
    Ok(reconstruct_root(
        block,
        cell_index / per_block,
        n_cells / per_block,
        outer,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poseidon2::compress;
    use ark_ff::AdditiveGroup;

    fn block(seed: u8) -> Vec<u8> {
        (0..BLOCK_SIZE)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn block_hash_is_root_over_cell_hashes() {
        let b = block(3);
        let cells: Vec<Fr> = b.chunks(CELL_SIZE).map(|c| hash_cell(c).unwrap()).collect();
        assert_eq!(
            block_hash(&b).unwrap(),
            MerkleTree::new(cells).unwrap().root()
        );
        assert_eq!(FIELD_ELEMS_PER_CELL, 67);
        assert_eq!(cell_elements(&b[..CELL_SIZE]).unwrap().len(), 67);
    }

    #[test]
    fn cell_paths_reach_the_slot_root() {
        for n_blocks in [1u8, 2, 4] {
            let blocks: Vec<Vec<u8>> = (0..n_blocks).map(block).collect();
            let trees: Vec<MerkleTree> = blocks.iter().map(|b| block_tree(b).unwrap()).collect();
            let slot =
                SlotTree::from_block_hashes(trees.iter().map(MerkleTree::root).collect()).unwrap();
            if n_blocks == 1 {
                assert_eq!(slot.root(), compress(trees[0].root(), Fr::ZERO, 3));
            }
            for cell in [0u64, 5, 31, slot.n_cells() - 1] {
                let b = (cell / 32) as usize;
                let path = slot.cell_path(&trees[b], cell).unwrap();
                assert_eq!(path.len(), cell_path_len(slot.n_cells()));
                let data = &blocks[b][(cell as usize % 32) * CELL_SIZE..][..CELL_SIZE];
                let h = hash_cell(data).unwrap();
                assert_eq!(
                    reconstruct_slot_root(h, cell, slot.n_cells(), &path).unwrap(),
                    slot.root()
                );
                // A single flipped bit in the cell breaks it.
                let mut bad = data.to_vec();
                bad[100] ^= 1;
                let h2 = hash_cell(&bad).unwrap();
                assert_ne!(
                    reconstruct_slot_root(h2, cell, slot.n_cells(), &path).unwrap(),
                    slot.root()
                );
            }
        }
    }

    #[test]
    fn layout_errors() {
        assert_eq!(
            block_tree(&[0u8; 100]).unwrap_err(),
            SlotError::BlockSize(100)
        );
        assert_eq!(
            hash_cell(&[0u8; 2047]).unwrap_err(),
            SlotError::CellSize(2047)
        );
        assert_eq!(
            SlotTree::from_block_hashes(vec![]).unwrap_err(),
            SlotError::NoBlocks
        );
        assert_eq!(
            reconstruct_slot_root(Fr::ZERO, 0, 96, &[Fr::ZERO; 7]).unwrap_err(),
            SlotError::BlocksNotPowerOfTwo(3)
        );
    }

    #[test]
    fn pad_counts_are_codex_num_pad_slot_blocks() {
        // nextPow2(32·n)/32 − n, as nim-codex computes it from cells.
        for (n, pad) in [
            (1, 0),
            (2, 0),
            (3, 1),
            (4, 0),
            (5, 3),
            (8, 0),
            (9, 7),
            (1000, 24),
        ] {
            assert_eq!(pad_blocks(n), pad, "{n} blocks");
            assert_eq!(((32 * n).next_power_of_two() / 32) - n, pad);
        }
    }

    #[test]
    fn the_zero_block_tree_is_the_tree_of_a_zero_block() {
        let zero = vec![0u8; BLOCK_SIZE];
        assert_eq!(zero_block_tree(), &block_tree(&zero).unwrap());
        assert_eq!(
            zero_cell_elements(),
            cell_elements(&zero[..CELL_SIZE]).unwrap()
        );
    }

    #[test]
    fn short_slots_are_padded_with_zero_blocks() {
        let zero = block_hash(&vec![0u8; BLOCK_SIZE]).unwrap();
        for n in [1u8, 3, 5, 6, 7] {
            let blocks: Vec<Vec<u8>> = (0..n).map(block).collect();
            let hashes: Vec<Fr> = blocks.iter().map(|b| block_hash(b).unwrap()).collect();
            let mut explicit = hashes.clone();
            explicit.resize((n as usize).next_power_of_two(), zero);
            let padded = SlotTree::from_block_hashes(hashes).unwrap();
            assert_eq!(
                padded.root(),
                MerkleTree::new(explicit.clone()).unwrap().root()
            );
            assert_eq!(padded.block_hashes(), &explicit[..]);
            assert_eq!(padded.n_blocks(), explicit.len() as u64);
            assert_eq!(padded.n_stored_blocks(), u64::from(n));
            assert_eq!(padded.n_cells(), 32 * explicit.len() as u64);
            assert!(!padded.is_pad_block(u64::from(n) - 1));
            assert!(padded.is_pad_block(u64::from(n)) == (pad_blocks(u64::from(n)) > 0));
            // The last cell of the tree (in the pad when there is one) opens as a zero cell.
            let last = padded.n_cells() - 1;
            if padded.is_pad_block(last / 32) {
                let path = padded.cell_path(zero_block_tree(), last).unwrap();
                let h = sponge_rate2(&zero_cell_elements());
                assert_eq!(
                    reconstruct_slot_root(h, last, padded.n_cells(), &path).unwrap(),
                    padded.root()
                );
                let one = sponge_rate2(&cell_elements(&[1u8; CELL_SIZE]).unwrap());
                assert_ne!(
                    reconstruct_slot_root(one, last, padded.n_cells(), &path).unwrap(),
                    padded.root()
                );
            }
        }
    }
}
