//! `manifest.json`: what a directory of slot files is, so that repair and decode need nothing
//! but the directory, and what each slot must hash to, so a damaged slot is never used as a
//! source.
//!
//! Field names are camelCase like nim-codex's manifest. Fields this version does not know are
//! ignored when reading (so slot roots and other commitments can be added without breaking
//! older readers); `slotRoots` and `datasetRoot` are carried but not checked here, since their
//! Poseidon2 trees live in `proofmesh-circuits`.

use crate::error::{io_err, ErasureError, Result};
use crate::fsutil::write_atomic;
use crate::layout::{Layout, BLOCK_SIZE_U64};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// File name of the manifest inside a dataset directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The linear slot layout's `verifiableStrategy` (nim-codex since v0.2.5), the only one coded.
pub const LINEAR_STRATEGY: u8 = 0;

/// A coded dataset's description, stored as `manifest.json` next to its slot files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// K.
    pub data_slots: usize,
    /// M.
    pub parity_slots: usize,
    /// `steps`: 64 KiB blocks per slot file.
    pub blocks_per_slot: u64,
    /// Always 65536; recorded so a different block size is refused rather than misread.
    pub block_size: u64,
    /// Length of the original file: decoding truncates to it.
    pub original_size: u64,
    /// Lower-case hex SHA-256 of each slot file, K + M entries; empty when not recorded, in
    /// which case a slot is trusted when its length is right.
    #[serde(default)]
    pub slot_sha256: Vec<String>,
    /// Decimal Poseidon2 slot roots, K + M entries, or empty until they are computed.
    #[serde(default)]
    pub slot_roots: Vec<String>,
    /// Decimal Poseidon2 dataset root over the slot roots, when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_root: Option<String>,
    /// nim-codex's slot layout: 0 linear (coded here); 1 (stepped, nim-codex <= v0.2.4) and
    /// anything else are refused by [`Manifest::layout`].
    pub verifiable_strategy: u8,
}

impl Manifest {
    /// A manifest for `layout` with the slot files' hashes and no roots yet.
    pub fn new(layout: &Layout, slot_sha256: Vec<String>) -> Self {
        Self {
            data_slots: layout.data_slots,
            parity_slots: layout.parity_slots,
            blocks_per_slot: layout.blocks_per_slot,
            block_size: BLOCK_SIZE_U64,
            original_size: layout.original_size,
            slot_sha256,
            slot_roots: Vec::new(),
            dataset_root: None,
            verifiable_strategy: LINEAR_STRATEGY,
        }
    }

    /// The layout the manifest describes, after checking that its fields agree with each
    /// other and with Codex: strategy, block size, (K, M), slot count of the hash and root
    /// lists, and `blocksPerSlot` against `originalSize`.
    pub fn layout(&self) -> Result<Layout> {
        if self.verifiable_strategy != LINEAR_STRATEGY {
            return Err(ErasureError::UnsupportedStrategy {
                strategy: self.verifiable_strategy,
            });
        }
        if self.block_size != BLOCK_SIZE_U64 {
            return Err(ErasureError::UnsupportedBlockSize {
                block_size: self.block_size,
            });
        }
        let layout = Layout::new(self.original_size, self.data_slots, self.parity_slots)?;
        if layout.blocks_per_slot != self.blocks_per_slot {
            return Err(ErasureError::InvalidManifest {
                why: "blocksPerSlot is not ceil(ceil(originalSize / blockSize) / dataSlots)",
            });
        }
        let slots = layout.slot_count();
        if !self.slot_sha256.is_empty() && self.slot_sha256.len() != slots {
            return Err(ErasureError::InvalidManifest {
                why: "slotSha256 does not have dataSlots + paritySlots entries",
            });
        }
        if !self.slot_sha256.iter().all(|h| is_sha256_hex(h)) {
            return Err(ErasureError::InvalidManifest {
                why: "a slotSha256 entry is not 64 lower-case hex digits",
            });
        }
        if !self.slot_roots.is_empty() && self.slot_roots.len() != slots {
            return Err(ErasureError::InvalidManifest {
                why: "slotRoots does not have dataSlots + paritySlots entries",
            });
        }
        let decimal = |s: &String| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !self.slot_roots.iter().all(decimal) || !self.dataset_root.iter().all(decimal) {
            return Err(ErasureError::InvalidManifest {
                why: "slotRoots and datasetRoot must be decimal numbers",
            });
        }
        Ok(layout)
    }

    /// Reads and checks `dir/manifest.json`, returning it with its layout.
    pub fn load(dir: &Path) -> Result<(Self, Layout)> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        let manifest: Self = serde_json::from_slice(&bytes)
            .map_err(|source| ErasureError::ManifestJson { path, source })?;
        let layout = manifest.layout()?;
        Ok((manifest, layout))
    }

    /// Writes `dir/manifest.json` atomically (temporary file, fsync, rename), so a reader sees
    /// the old manifest or the new one, never a torn one.
    pub fn store(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST_FILE);
        let mut json =
            serde_json::to_vec_pretty(self).map_err(|source| ErasureError::ManifestJson {
                path: path.clone(),
                source,
            })?;
        json.push(b'\n');
        write_atomic(&path, &json)
    }

    /// The expected SHA-256 of slot `i`, when recorded.
    pub fn slot_hash(&self, slot: usize) -> Option<&str> {
        self.slot_sha256.get(slot).map(String::as_str)
    }
}

/// 64 lower-case hex digits.
fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
