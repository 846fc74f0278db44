//! A slot stored as a plain file of raw bytes: a whole number of 64 KiB blocks, a power-of-two
//! number of cells. Building its tree streams the file in bounded batches of blocks hashed in
//! parallel, so a multi-GiB slot needs a few MiB of memory.

use crate::error::ProverError;
use crate::progress::{NoProgress, Progress};
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::slot::{block_tree, SlotTree, BLOCK_SIZE, CELL_SIZE};
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
    /// Opens `path` and checks its size: whole 64 KiB blocks, a power-of-two cell count.
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
        if len == 0 || len % BLOCK_SIZE as u64 != 0 {
            return Err(layout(format!(
                "size {len} bytes is not a positive whole number of {BLOCK_SIZE}-byte blocks"
            )));
        }
        let n_cells = len / CELL_SIZE as u64;
        if !n_cells.is_power_of_two() {
            return Err(layout(format!("{n_cells} cells of {CELL_SIZE} bytes is not a power of two (pad the slot with zero blocks)")));
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

    /// Number of 64 KiB blocks.
    pub fn n_blocks(&self) -> u64 {
        self.n_blocks
    }

    /// Number of 2048-byte cells.
    pub fn n_cells(&self) -> u64 {
        self.n_blocks * (BLOCK_SIZE / CELL_SIZE) as u64
    }

    fn io(&self, source: std::io::Error) -> ProverError {
        ProverError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Reads block `index` (64 KiB).
    pub fn read_block(&self, index: u64) -> Result<Vec<u8>, ProverError> {
        let mut f = File::open(&self.path).map_err(|e| self.io(e))?;
        f.seek(SeekFrom::Start(index * BLOCK_SIZE as u64))
            .map_err(|e| self.io(e))?;
        let mut buf = vec![0u8; BLOCK_SIZE];
        f.read_exact(&mut buf).map_err(|e| self.io(e))?;
        Ok(buf)
    }

    /// The tree of block `index` (to extract in-block paths of sampled cells).
    pub fn block_tree(&self, index: u64) -> Result<MerkleTree, ProverError> {
        Ok(block_tree(&self.read_block(index)?)?)
    }

    /// Hashes every block (streamed, in parallel on the current rayon pool) into the slot tree.
    pub fn slot_tree(&self) -> Result<SlotTree, ProverError> {
        self.slot_tree_with_progress(&NoProgress)
    }

    /// [`SlotFile::slot_tree`], reporting each hashed batch of blocks to `progress`.
    pub fn slot_tree_with_progress(
        &self,
        progress: &dyn Progress,
    ) -> Result<SlotTree, ProverError> {
        let mut f = File::open(&self.path).map_err(|e| self.io(e))?;
        let batch_blocks = BLOCKS_PER_THREAD_BATCH * rayon::current_num_threads();
        let mut hashes = Vec::with_capacity(self.n_blocks as usize);
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
