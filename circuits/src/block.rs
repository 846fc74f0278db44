//! Checking a 64 KiB block received from someone else against the slot root, before it is
//! used: the block's 32 cells are hashed into its block hash (the root of Codex's block tree,
//! the same hash the slot commitment is made of), then the block's path up the slot tree
//! must lead to the slot root. A peer that serves a slot sends each block with its path
//! ([`SlotTree::block_path`](crate::slot::SlotTree::block_path)); a receiver that knows only
//! the slot root and the slot's stored block count checks every block on its own, in any
//! order, so it never writes a byte the commitment does not cover.
//!
//! The slot tree is padded with all-zero blocks up to a power of two (Codex's
//! `numPadSlotBlocks`, [`crate::slot::pad_blocks`]). Pad blocks exist only in the tree: they
//! are never stored, so never served, and an index in the pad is refused even with a path
//! that would verify.

use crate::merkle::{path_depth, reconstruct_root, MerkleError};
use crate::slot::{block_hash, pad_blocks, SlotError, BLOCK_SIZE};
use ark_bn254::Fr;

/// Why a received block is refused. Every variant but [`BlockError::NoBlocks`] is the fault of
/// whoever sent the block (a peer that sends one should be penalised and not asked again);
/// `NoBlocks` is the receiver's own mistake about the slot's layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The block is not exactly 64 KiB. The sender's fault.
    #[error("a block must be {BLOCK_SIZE} bytes, got {got}")]
    BlockSize {
        /// Bytes received.
        got: usize,
    },
    /// A slot of no blocks has no tree: the receiver's layout is wrong (not the sender's
    /// fault).
    #[error("a slot holds at least one block")]
    NoBlocks,
    /// The index is not one of the slot's stored blocks (past the slot, or in its pad, which
    /// is never served). The sender's fault when it sent the block unasked.
    #[error("block {index} is not a stored block of a slot of {stored} blocks")]
    IndexOutOfRange {
        /// The block's index.
        index: u64,
        /// Stored blocks of the slot.
        stored: u64,
    },
    /// The path does not have one sibling per level of the slot tree. The sender's fault.
    #[error("block path has {got} siblings, the slot tree needs {want}")]
    PathLength {
        /// Siblings received.
        got: usize,
        /// Siblings the slot tree needs.
        want: usize,
    },
    /// The block and its path do not lead to the slot root: the block or the path was altered
    /// (or belongs to another slot). The sender's fault.
    #[error("block {index} and its path do not lead to the slot root")]
    RootMismatch {
        /// The block's index.
        index: u64,
    },
}

/// Blocks in the tree of a slot of `n_stored` stored blocks: the next power of two.
pub fn slot_tree_blocks(n_stored: u64) -> u64 {
    n_stored.saturating_add(pad_blocks(n_stored))
}

/// Siblings on a block's path in a slot of `n_stored` stored blocks.
pub fn block_path_len(n_stored: u64) -> usize {
    path_depth(slot_tree_blocks(n_stored))
}

/// Checks that `block` is stored block `index` of the slot committed to by `slot_root`, a slot
/// of `n_stored` stored 64 KiB blocks (its tree padded as Codex pads it), given the block's
/// `path` up the slot tree. Costs one block hash (32 cell hashes, ≈ 7.5 ms on one core) and
/// one compression per level.
pub fn verify_block(
    slot_root: Fr,
    n_stored: u64,
    index: u64,
    block: &[u8],
    path: &[Fr],
) -> Result<(), BlockError> {
    if n_stored == 0 {
        return Err(BlockError::NoBlocks);
    }
    if index >= n_stored {
        return Err(BlockError::IndexOutOfRange {
            index,
            stored: n_stored,
        });
    }
    let want = block_path_len(n_stored);
    if path.len() != want {
        return Err(BlockError::PathLength {
            got: path.len(),
            want,
        });
    }
    let leaf = block_hash(block).map_err(|e| match e {
        SlotError::BlockSize(got) => BlockError::BlockSize { got },
        // A 64 KiB block always splits into 32 whole cells.
        _ => BlockError::BlockSize { got: block.len() },
    })?;
    let root =
        reconstruct_root(leaf, index, slot_tree_blocks(n_stored), path).map_err(|e| match e {
            MerkleError::PathLength { got, want, .. } => BlockError::PathLength { got, want },
            // Index and leaf count were checked above.
            _ => BlockError::IndexOutOfRange {
                index,
                stored: n_stored,
            },
        })?;
    if root != slot_root {
        return Err(BlockError::RootMismatch { index });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MerkleTree;
    use crate::slot::{zero_block_tree, SlotTree};

    fn block(seed: u8) -> Vec<u8> {
        (0..BLOCK_SIZE)
            .map(|i| {
                (i as u8)
                    .wrapping_mul(29)
                    .wrapping_add(seed.wrapping_mul(7))
            })
            .collect()
    }

    fn slot(n: u8) -> (Vec<Vec<u8>>, SlotTree) {
        let blocks: Vec<Vec<u8>> = (0..n).map(block).collect();
        let hashes = blocks.iter().map(|b| block_hash(b).unwrap()).collect();
        (blocks, SlotTree::from_block_hashes(hashes).unwrap())
    }

    #[test]
    fn every_stored_block_verifies_with_its_path() {
        for n in [1u8, 2, 3, 5] {
            let (blocks, tree) = slot(n);
            let stored = u64::from(n);
            assert_eq!(slot_tree_blocks(stored), tree.n_blocks());
            for (i, b) in blocks.iter().enumerate() {
                let path = tree.block_path(i as u64).unwrap();
                assert_eq!(path.len(), block_path_len(stored), "{n} blocks");
                verify_block(tree.root(), stored, i as u64, b, &path).unwrap();
            }
        }
    }

    #[test]
    fn a_tampered_block_is_refused() {
        let (blocks, tree) = slot(3);
        let path = tree.block_path(1).unwrap();
        for at in [0, 2047, 2048, BLOCK_SIZE - 1] {
            let mut bad = blocks[1].clone();
            bad[at] ^= 0x40;
            assert_eq!(
                verify_block(tree.root(), 3, 1, &bad, &path),
                Err(BlockError::RootMismatch { index: 1 }),
                "byte {at}"
            );
        }
        // Another block of the same slot, under this block's index and path.
        assert_eq!(
            verify_block(tree.root(), 3, 1, &blocks[0], &path),
            Err(BlockError::RootMismatch { index: 1 })
        );
        // The right block and path under another index.
        assert_eq!(
            verify_block(tree.root(), 3, 0, &blocks[1], &path),
            Err(BlockError::RootMismatch { index: 0 })
        );
    }

    #[test]
    fn a_tampered_path_is_refused() {
        let (blocks, tree) = slot(5);
        let path = tree.block_path(4).unwrap();
        for level in 0..path.len() {
            let mut bad = path.clone();
            bad[level] += Fr::from(1u64);
            assert_eq!(
                verify_block(tree.root(), 5, 4, &blocks[4], &bad),
                Err(BlockError::RootMismatch { index: 4 }),
                "level {level}"
            );
        }
        // Another slot's root.
        let (_, other) = slot(4);
        assert_eq!(
            verify_block(other.root(), 5, 4, &blocks[4], &path),
            Err(BlockError::RootMismatch { index: 4 })
        );
    }

    #[test]
    fn shape_errors_are_typed() {
        let (blocks, tree) = slot(3);
        let path = tree.block_path(0).unwrap();
        let root = tree.root();
        assert_eq!(
            verify_block(root, 3, 0, &blocks[0][..1000], &path),
            Err(BlockError::BlockSize { got: 1000 })
        );
        let mut long = blocks[0].clone();
        long.push(0);
        assert_eq!(
            verify_block(root, 3, 0, &long, &path),
            Err(BlockError::BlockSize {
                got: BLOCK_SIZE + 1
            })
        );
        assert_eq!(
            verify_block(root, 3, 0, &blocks[0], &path[..1]),
            Err(BlockError::PathLength { got: 1, want: 2 })
        );
        let mut longer = path.clone();
        longer.push(Fr::from(0u64));
        assert_eq!(
            verify_block(root, 3, 0, &blocks[0], &longer),
            Err(BlockError::PathLength { got: 3, want: 2 })
        );
        assert_eq!(
            verify_block(root, 3, 7, &blocks[0], &path),
            Err(BlockError::IndexOutOfRange {
                index: 7,
                stored: 3
            })
        );
        assert_eq!(
            verify_block(root, 0, 0, &blocks[0], &path),
            Err(BlockError::NoBlocks)
        );
        assert!(matches!(
            tree.block_path(3),
            Err(SlotError::Merkle(MerkleError::IndexOutOfRange {
                index: 3,
                leaves: 3
            }))
        ));
    }

    #[test]
    fn pad_blocks_are_never_accepted_even_with_a_valid_path() {
        // Slot of 3 blocks, padded to 4: block 3 is the zero block, and its path is valid in
        // the padded tree, but it is not a stored block.
        let (_, tree) = slot(3);
        let padded = MerkleTree::new(tree.block_hashes().to_vec()).unwrap();
        assert_eq!(padded.root(), tree.root());
        let path = padded.path(3).unwrap();
        let zero = vec![0u8; BLOCK_SIZE];
        assert_eq!(block_hash(&zero).unwrap(), zero_block_tree().root());
        assert_eq!(
            verify_block(tree.root(), 3, 3, &zero, &path),
            Err(BlockError::IndexOutOfRange {
                index: 3,
                stored: 3
            })
        );
    }
}
