//! A slot stored as a plain file of raw bytes: a positive whole number of 64 KiB blocks. In its
//! tree the stored blocks are followed by Codex's pad, all-zero blocks up to a power of two of
//! blocks (`numPadSlotBlocks`, see [`proofmesh_circuits::slot`]): never stored, never read,
//! each hashed as one constant. Building the tree streams the file in bounded batches of
//! blocks hashed in parallel, so a multi-GiB slot needs a few MiB of memory.

use crate::error::ProverError;
use crate::progress::{NoProgress, Progress};
use proofmesh_circuits::input::SampledCell;
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::slot::{
    block_tree, cell_elements, pad_blocks, zero_block_tree, zero_cell_elements, SlotTree,
    BLOCK_SIZE, CELLS_PER_BLOCK, CELL_SIZE,
};
use rayon::prelude::*;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Blocks read per batch and per worker thread: 8 × 64 KiB = 512 KiB per thread in flight.
const BLOCKS_PER_THREAD_BATCH: usize = 8;

/// A validated slot file.
#[derive(Debug, Clone)]
pub struct SlotFile {
    path: PathBuf,
    n_blocks: u64,
}

impl SlotFile {
    /// Opens `path` and checks its size: a positive whole number of 64 KiB blocks.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ProverError> {
        let path = path.as_ref().to_path_buf();
        let len = std::fs::metadata(&path)
            .map_err(|source| ProverError::Io {
                path: path.clone(),
                source,
            })?
            .len();
        let layout = |why: String| ProverError::Layout {
            path: path.clone(),
            why,
        };
        if len == 0 {
            return Err(layout(format!(
                "the file is empty: a slot is a positive whole number of {BLOCK_SIZE}-byte blocks"
            )));
        }
        if len % BLOCK_SIZE as u64 != 0 {
            return Err(layout(format!(
                "size {len} bytes is not a whole number of {BLOCK_SIZE}-byte blocks \
                 ({} blocks and {} bytes)",
                len / BLOCK_SIZE as u64,
                len % BLOCK_SIZE as u64
            )));
        }
        Ok(Self {
            path,
            n_blocks: len / BLOCK_SIZE as u64,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of 64 KiB blocks in the file (the stored blocks, without the pad).
    pub fn n_blocks(&self) -> u64 {
        self.n_blocks
    }

    /// Number of all-zero blocks that follow the file's blocks in the slot tree.
    pub fn n_pad_blocks(&self) -> u64 {
        pad_blocks(self.n_blocks)
    }

    /// Number of 2048-byte cells in the slot tree, pad included: `nCellsPerSlot`, the count
    /// the sampler draws from and the circuit and dataset announcements use.
    pub fn n_cells(&self) -> u64 {
        (self.n_blocks + self.n_pad_blocks()) * CELLS_PER_BLOCK as u64
    }

    fn io(&self, source: std::io::Error) -> ProverError {
        ProverError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Reads stored block `index` (64 KiB); pad blocks are not in the file and are refused
    /// here (see [`SlotFile::block_tree`] and [`SlotFile::open_cell`]).
    pub fn read_block(&self, index: u64) -> Result<Vec<u8>, ProverError> {
        if index >= self.n_blocks {
            return Err(ProverError::Layout {
                path: self.path.clone(),
                why: format!(
                    "block {index} is not stored: the file holds {} blocks",
                    self.n_blocks
                ),
            });
        }
        let mut f = File::open(&self.path).map_err(|e| self.io(e))?;
        f.seek(SeekFrom::Start(index * BLOCK_SIZE as u64))
            .map_err(|e| self.io(e))?;
        let mut buf = vec![0u8; BLOCK_SIZE];
        f.read_exact(&mut buf).map_err(|e| self.io(e))?;
        Ok(buf)
    }

    /// The tree of block `index` of the slot tree (to extract in-block paths of sampled
    /// cells): read and hashed for a stored block, the zero block's tree for a pad block.
    pub fn block_tree(&self, index: u64) -> Result<MerkleTree, ProverError> {
        if self.is_pad_block(index)? {
            return Ok(zero_block_tree().clone());
        }
        Ok(block_tree(&self.read_block(index)?)?)
    }

    /// Opens cell `cell` of the slot tree `tree` (built from this file): its field elements
    /// and its path to the slot root. A cell in the pad is opened as Codex opens it, an
    /// all-zero cell whose path runs through the zero block's tree; nothing is read for it.
    pub fn open_cell(&self, tree: &SlotTree, cell: u64) -> Result<SampledCell, ProverError> {
        let in_tree = self.n_blocks + self.n_pad_blocks();
        if tree.n_blocks() != in_tree {
            return Err(ProverError::Layout {
                path: self.path.clone(),
                why: format!(
                    "the file's slot tree has {in_tree} blocks, the tree given has {}",
                    tree.n_blocks()
                ),
            });
        }
        let block_index = cell / CELLS_PER_BLOCK as u64;
        if self.is_pad_block(block_index)? {
            return Ok(SampledCell {
                elements: zero_cell_elements(),
                path: tree.cell_path(zero_block_tree(), cell)?,
            });
        }
        let block = self.read_block(block_index)?;
        let offset = (cell % CELLS_PER_BLOCK as u64) as usize * CELL_SIZE;
        Ok(SampledCell {
            elements: cell_elements(&block[offset..offset + CELL_SIZE])?,
            path: tree.cell_path(&block_tree(&block)?, cell)?,
        })
    }

    /// Whether block `index` of the slot tree is a pad block; an error past the tree.
    fn is_pad_block(&self, index: u64) -> Result<bool, ProverError> {
        let in_tree = self.n_blocks + self.n_pad_blocks();
        if index >= in_tree {
            return Err(ProverError::Layout {
                path: self.path.clone(),
                why: format!("block {index} is past the slot tree of {in_tree} blocks"),
            });
        }
        Ok(index >= self.n_blocks)
    }

    /// Hashes every stored block (streamed, in parallel on the current rayon pool) into the
    /// slot tree, padded with the zero block's hash as Codex pads it.
    pub fn slot_tree(&self) -> Result<SlotTree, ProverError> {
        self.slot_tree_with_progress(&NoProgress)
    }

    /// [`SlotFile::slot_tree`], reporting each hashed batch of blocks to `progress`.
    pub fn slot_tree_with_progress(
        &self,
        progress: &dyn Progress,
    ) -> Result<SlotTree, ProverError> {
        let mut f = File::open(&self.path).map_err(|e| self.io(e))?;
        let batch_blocks = (BLOCKS_PER_THREAD_BATCH * rayon::current_num_threads())
            .min(self.n_blocks as usize)
            .max(1);
        let mut hashes = Vec::with_capacity((self.n_blocks + self.n_pad_blocks()) as usize);
        let mut buf = vec![0u8; batch_blocks * BLOCK_SIZE];
        let mut left = self.n_blocks as usize;
        while left > 0 {
            let n = left.min(batch_blocks);
            let bytes = &mut buf[..n * BLOCK_SIZE];
            // A file that shrank since `open` ends here with a clear error, not a short tree.
            f.read_exact(bytes).map_err(|e| self.io(e))?;
            let batch: Vec<_> = bytes
                .par_chunks_exact(BLOCK_SIZE)
                .map(|b| block_tree(b).map(|t| t.root()))
                .collect::<Result<_, _>>()?;
            hashes.extend(batch);
            progress.blocks_hashed(n as u64);
            left -= n;
        }
        Ok(SlotTree::from_block_hashes(hashes)?)
    }
}
