//! nim-codex's linear slot layout (`verifiableStrategy` 0, nim-codex since v0.2.5): which
//! encoded block lives in which slot, and which blocks form one codeword.
//!
//! The N original 64 KiB blocks are padded with zero blocks to `rounded = ceil(N/K)·K`;
//! `steps = rounded / K`. Encoded block `b = r·steps + c` is row r, column c; a column is one
//! codeword (rows 0..K data, K..K+M parity) and slot i is row i, the contiguous blocks
//! `[i·steps, (i+1)·steps)`. Because a slot is contiguous, a data slot is a plain slice of the
//! zero-padded file and a column's K data blocks sit `steps` blocks apart in it.

use crate::error::{ErasureError, Result};
use crate::field::check_params;
use std::ops::Range;

/// Codex's block size (bytes): the unit of the layout and of the slot trees.
pub const BLOCK_SIZE: usize = 65536;

/// [`BLOCK_SIZE`] as a `u64`, for file offsets.
pub(crate) const BLOCK_SIZE_U64: u64 = BLOCK_SIZE as u64;

/// Where every block of a dataset coded with K data and M parity slots lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// K: slots holding the (zero-padded) original blocks.
    pub data_slots: usize,
    /// M: slots holding parity blocks.
    pub parity_slots: usize,
    /// `steps`: blocks per slot, which is also the number of columns (codewords).
    pub blocks_per_slot: u64,
    /// Length of the original file in bytes; the last block is zero-padded past it.
    pub original_size: u64,
}

impl Layout {
    /// The layout of a file of `original_size` bytes coded with (K, M); refuses pairs Codex
    /// does not allow, empty files and sizes whose block arithmetic would overflow.
    pub fn new(original_size: u64, k: usize, m: usize) -> Result<Self> {
        check_params(k, m)?;
        if original_size == 0 {
            return Err(ErasureError::EmptyInput);
        }
        let too_large = ErasureError::DatasetTooLarge {
            size: original_size,
        };
        let blocks = original_size.div_ceil(BLOCK_SIZE_U64);
        let steps = blocks.div_ceil(k as u64);
        // Every encoded byte offset must fit a u64: (K + M) · steps · 64 KiB.
        steps
            .checked_mul((k + m) as u64)
            .and_then(|b| b.checked_mul(BLOCK_SIZE_U64))
            .ok_or(too_large)?;
        Ok(Self {
            data_slots: k,
            parity_slots: m,
            blocks_per_slot: steps,
            original_size,
        })
    }

    /// K + M.
    pub fn slot_count(&self) -> usize {
        self.data_slots + self.parity_slots
    }

    /// N: 64 KiB blocks of the original file, the last one zero-padded.
    pub fn original_blocks(&self) -> u64 {
        self.original_size.div_ceil(BLOCK_SIZE_U64)
    }

    /// `rounded = steps · K`: original blocks plus the all-zero blocks that fill the last row.
    pub fn rounded_blocks(&self) -> u64 {
        self.blocks_per_slot * self.data_slots as u64
    }

    /// All encoded blocks, data and parity: `steps · (K + M)`.
    pub fn total_blocks(&self) -> u64 {
        self.blocks_per_slot * self.slot_count() as u64
    }

    /// Bytes in one slot file: `steps` blocks (the tree's padding blocks are never stored).
    pub fn slot_len(&self) -> u64 {
        self.blocks_per_slot * BLOCK_SIZE_U64
    }

    /// `numPadSlotBlocks`: the all-zero blocks that follow a slot in its Poseidon2 tree,
    /// `nextPow2(steps·32)/32 − steps`; they exist only in the tree.
    pub fn pad_slot_blocks(&self) -> u64 {
        let cells = self.blocks_per_slot.saturating_mul(32);
        cells.checked_next_power_of_two().unwrap_or(cells) / 32 - self.blocks_per_slot
    }

    /// Row and column of encoded block `b`; `None` past the last parity block.
    pub fn position(&self, block: u64) -> Option<(usize, u64)> {
        if block >= self.total_blocks() {
            return None;
        }
        let row = usize::try_from(block / self.blocks_per_slot).ok()?;
        Some((row, block % self.blocks_per_slot))
    }

    /// Encoded block index of row `row`, column `column`: `row·steps + column`.
    pub fn block_index(&self, row: usize, column: u64) -> Option<u64> {
        (row < self.slot_count() && column < self.blocks_per_slot)
            .then(|| row as u64 * self.blocks_per_slot + column)
    }

    /// The slot (= row) holding encoded block `b`.
    pub fn slot_of(&self, block: u64) -> Option<usize> {
        self.position(block).map(|(row, _)| row)
    }

    /// The encoded blocks of slot `i`, `[i·steps, (i+1)·steps)`; empty for `i >= K + M`.
    pub fn slot_blocks(&self, slot: usize) -> Range<u64> {
        if slot >= self.slot_count() {
            return 0..0;
        }
        let start = slot as u64 * self.blocks_per_slot;
        start..start + self.blocks_per_slot
    }

    /// The K + M encoded blocks of column `c` (one codeword), data rows first.
    pub fn column_blocks(&self, column: u64) -> Vec<u64> {
        (0..self.slot_count())
            .filter_map(|row| self.block_index(row, column))
            .collect()
    }

    /// Encoded index of parity block `j` of column `c`: `rounded + c + j·steps`.
    pub fn parity_block(&self, column: u64, j: usize) -> Option<u64> {
        (j < self.parity_slots)
            .then(|| self.block_index(self.data_slots + j, column))
            .flatten()
    }

    /// Whether encoded block `b` is a data block past the original file (all zeros).
    pub fn is_padding(&self, block: u64) -> bool {
        block >= self.original_blocks() && block < self.rounded_blocks()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_fixture_layout_txt() {
        // shared/fixtures/leopard/layout/N9_K4_M2/layout.txt
        let l = Layout::new(9 * BLOCK_SIZE_U64, 4, 2).unwrap();
        assert_eq!(l.rounded_blocks(), 12);
        assert_eq!(l.blocks_per_slot, 3);
        assert_eq!(l.total_blocks(), 18);
        assert_eq!(l.pad_slot_blocks(), 1);
        assert_eq!(l.slot_blocks(3), 9..12);
        assert!((9..12).all(|b| l.is_padding(b)));
        assert!(!l.is_padding(8) && !l.is_padding(12));
        assert_eq!(l.parity_block(1, 1), Some(16));
        assert_eq!(l.column_blocks(2), vec![2, 5, 8, 11, 14, 17]);
        assert_eq!(l.position(13), Some((4, 1)));
        assert_eq!(l.position(18), None);
        assert_eq!(l.slot_of(7), Some(2));
        // N5_K2_M1: rounded 6, steps 3.
        let l = Layout::new(5 * BLOCK_SIZE_U64, 2, 1).unwrap();
        assert_eq!((l.rounded_blocks(), l.blocks_per_slot), (6, 3));
        assert!(l.is_padding(5));
    }

    #[test]
    fn short_last_block_counts_as_a_block() {
        let l = Layout::new(BLOCK_SIZE_U64 * 4 + 1, 2, 2).unwrap();
        assert_eq!((l.original_blocks(), l.blocks_per_slot), (5, 3));
    }

    #[test]
    fn refuses_empty_and_overflowing_sizes() {
        assert!(matches!(
            Layout::new(0, 2, 1),
            Err(ErasureError::EmptyInput)
        ));
        assert!(matches!(
            Layout::new(u64::MAX, 2, 1),
            Err(ErasureError::DatasetTooLarge { .. })
        ));
    }
}
