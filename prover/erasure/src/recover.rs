//! Checking, repairing and decoding a dataset directory written by [`crate::encode_file`].
//!
//! A slot is used as a source only when it is intact: exact length and, when the manifest
//! records it, the right SHA-256. Erasure decoding cannot tell a corrupted shard from a good
//! one, so a single bad source would silently corrupt everything rebuilt from it. Sources are
//! hashed again while they are read; rebuilt slots are checked against the manifest before
//! they are renamed into place, and the output of a decode likewise.

use crate::codec::reconstruct_inner;
use crate::encode::Options;
use crate::error::{io_err, ErasureError, Result};
use crate::fsutil::{slot_file_name, TmpFile};
use crate::layout::{Layout, BLOCK_SIZE_U64};
use crate::manifest::Manifest;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// What a slot file looks like next to its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// Exact length and, when recorded, the manifest's SHA-256: usable as a source.
    Good,
    /// No file.
    Missing,
    /// The file exists but cannot be read (a directory, permissions, an I/O error).
    Unreadable,
    /// Wrong length, e.g. a truncated copy.
    WrongLength {
        /// The file's length in bytes.
        len: u64,
    },
    /// Right length, wrong SHA-256: corrupted.
    HashMismatch,
}

/// What [`repair_dir`] found and did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairReport {
    /// Each slot's state before the repair.
    pub states: Vec<SlotState>,
    /// The K slots read to rebuild the others (empty when nothing needed rebuilding).
    pub sources: Vec<usize>,
    /// The slots rewritten, now intact.
    pub rebuilt: Vec<usize>,
}

/// What [`decode_dir`] read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeReport {
    /// The K slots read.
    pub sources: Vec<usize>,
    /// Whether erasure decoding was needed (a data slot was not intact).
    pub decoded: bool,
}

/// Checks slot `slot` of a dataset against its manifest (reads the whole file when a hash is
/// recorded).
pub fn check_slot(dir: &Path, manifest: &Manifest, layout: &Layout, slot: usize) -> SlotState {
    let path = dir.join(slot_file_name(slot));
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return SlotState::Missing,
        Err(_) => return SlotState::Unreadable,
    };
    if !meta.is_file() {
        return SlotState::Unreadable;
    }
    if meta.len() != layout.slot_len() {
        return SlotState::WrongLength { len: meta.len() };
    }
    let Some(expected) = manifest.slot_hash(slot) else {
        return SlotState::Good;
    };
    match hash_file(&path) {
        Ok(h) if h == expected => SlotState::Good,
        Ok(_) => SlotState::HashMismatch,
        Err(_) => SlotState::Unreadable,
    }
}

/// The state of every slot of the dataset in `dir`.
pub fn check_dir(dir: &Path) -> Result<Vec<SlotState>> {
    let (manifest, layout) = Manifest::load(dir)?;
    Ok((0..layout.slot_count())
        .map(|i| check_slot(dir, &manifest, &layout, i))
        .collect())
}

/// Rebuilds every missing, short, unreadable or corrupted slot file of the dataset in `dir`
/// from K intact ones (data slots preferred), column batch by column batch.
pub fn repair_dir(dir: &Path) -> Result<RepairReport> {
    repair_dir_with(dir, &Options::default())
}

/// [`repair_dir`] with explicit [`Options`].
pub fn repair_dir_with(dir: &Path, options: &Options) -> Result<RepairReport> {
    let (manifest, layout) = Manifest::load(dir)?;
    let states: Vec<SlotState> = (0..layout.slot_count())
        .map(|i| check_slot(dir, &manifest, &layout, i))
        .collect();
    let good: Vec<usize> = (0..states.len())
        .filter(|&i| states[i] == SlotState::Good)
        .collect();
    let bad: Vec<usize> = (0..states.len())
        .filter(|&i| states[i] != SlotState::Good)
        .collect();
    if bad.is_empty() {
        return Ok(RepairReport {
            states,
            sources: Vec::new(),
            rebuilt: Vec::new(),
        });
    }
    let k = layout.data_slots;
    if good.len() < k {
        return Err(ErasureError::TooFewGoodSlots { good, needed: k });
    }
    let sources = good[..k].to_vec();

    let mut outs = bad
        .iter()
        .map(|&i| TmpFile::create(&dir.join(slot_file_name(i))))
        .collect::<Result<Vec<_>>>()?;
    let mut hashers = vec![Sha256::new(); bad.len()];
    for_each_batch(
        dir,
        &manifest,
        &layout,
        &sources,
        true,
        options,
        |_, shards| {
            for ((&slot, out), hasher) in bad.iter().zip(&mut outs).zip(&mut hashers) {
                let shard = shard_of(shards, slot)?;
                hasher.update(shard);
                out.write_all(shard)?;
            }
            Ok(())
        },
    )?;
    for (&slot, hasher) in bad.iter().zip(hashers) {
        check_rebuilt(&manifest, slot, hasher)?;
    }
    for out in outs {
        out.commit()?;
    }
    Ok(RepairReport {
        states,
        sources,
        rebuilt: bad,
    })
}

/// Restores the original file (exactly `originalSize` bytes) of the dataset in `dir` into
/// `out_file` from any K intact slots: a plain copy when the data slots are intact, erasure
/// decoding otherwise. The output is written under a temporary name and renamed into place
/// once complete and checked.
pub fn decode_dir(dir: &Path, out_file: &Path) -> Result<DecodeReport> {
    decode_dir_with(dir, out_file, &Options::default())
}

/// [`decode_dir`] with explicit [`Options`].
pub fn decode_dir_with(dir: &Path, out_file: &Path, options: &Options) -> Result<DecodeReport> {
    let (manifest, layout) = Manifest::load(dir)?;
    let k = layout.data_slots;
    // Data slots first: with all of them intact nothing needs decoding, and the parity slots
    // are not even read.
    let mut sources = Vec::with_capacity(k);
    for slot in 0..layout.slot_count() {
        if sources.len() == k {
            break;
        }
        if check_slot(dir, &manifest, &layout, slot) == SlotState::Good {
            sources.push(slot);
        }
    }
    if sources.len() < k {
        return Err(ErasureError::TooFewGoodSlots {
            good: sources,
            needed: k,
        });
    }
    let decoded = sources.iter().any(|&s| s >= k);
    let restored: Vec<usize> = (0..k).filter(|r| !sources.contains(r)).collect();

    let mut out = TmpFile::create(out_file)?;
    let out_path = out.path().to_path_buf();
    out.file()?
        .set_len(layout.original_size)
        .map_err(io_err(&out_path))?;
    let mut hashers = vec![Sha256::new(); restored.len()];
    let steps = layout.blocks_per_slot;
    for_each_batch(
        dir,
        &manifest,
        &layout,
        &sources,
        false,
        options,
        |c0, shards| {
            for (row, hasher) in restored.iter().zip(&mut hashers) {
                hasher.update(shard_of(shards, *row)?);
            }
            for row in 0..k {
                let offset = (row as u64 * steps + c0) * BLOCK_SIZE_U64;
                let shard = shard_of(shards, row)?;
                let n = layout
                    .original_size
                    .saturating_sub(offset)
                    .min(shard.len() as u64) as usize;
                if n == 0 {
                    continue;
                }
                let file = out.file()?;
                file.seek(SeekFrom::Start(offset))
                    .and_then(|_| file.write_all(&shard[..n]))
                    .map_err(io_err(&out_path))?;
            }
            Ok(())
        },
    )?;
    for (&slot, hasher) in restored.iter().zip(hashers) {
        check_rebuilt(&manifest, slot, hasher)?;
    }
    out.commit()?;
    Ok(DecodeReport { sources, decoded })
}

/// Reads the `sources` slot files batch by batch of columns, rebuilds the other shards of
/// every batch (parity ones only if `with_parity`) and hands the batch's first column and its
/// K + M shards to `f`. Fails with [`ErasureError::SourceChanged`] if a source no longer has
/// the SHA-256 it was chosen for.
fn for_each_batch(
    dir: &Path,
    manifest: &Manifest,
    layout: &Layout,
    sources: &[usize],
    with_parity: bool,
    options: &Options,
    mut f: impl FnMut(u64, &[Option<Vec<u8>>]) -> Result<()>,
) -> Result<()> {
    let (k, m) = (layout.data_slots, layout.parity_slots);
    let mut files = Vec::with_capacity(sources.len());
    for &slot in sources {
        let path = dir.join(slot_file_name(slot));
        let file = File::open(&path).map_err(io_err(&path))?;
        files.push((slot, path, file, Sha256::new()));
    }
    let mut pool: Vec<Vec<u8>> = vec![Vec::new(); layout.slot_count()];
    let mut shards: Vec<Option<Vec<u8>>> = vec![None; layout.slot_count()];
    let steps = layout.blocks_per_slot;
    let batch = options.columns_per_batch(layout);
    let mut c0 = 0;
    while c0 < steps {
        let cols = batch.min(steps - c0);
        let len =
            usize::try_from(cols * BLOCK_SIZE_U64).map_err(|_| ErasureError::DatasetTooLarge {
                size: layout.original_size,
            })?;
        for (slot, path, file, hasher) in &mut files {
            let mut buf = std::mem::take(&mut pool[*slot]);
            buf.resize(len, 0);
            file.read_exact(&mut buf).map_err(io_err(path))?;
            hasher.update(&buf);
            shards[*slot] = Some(buf);
        }
        reconstruct_inner(&mut shards, k, m, with_parity)?;
        f(c0, &shards)?;
        for (shard, spare) in shards.iter_mut().zip(&mut pool) {
            if let Some(buf) = shard.take() {
                *spare = buf;
            }
        }
        c0 += cols;
    }
    for (slot, _, _, hasher) in files {
        if let Some(expected) = manifest.slot_hash(slot) {
            if hex::encode(hasher.finalize()) != expected {
                return Err(ErasureError::SourceChanged { slot });
            }
        }
    }
    Ok(())
}

/// Shard `i` of a rebuilt batch.
fn shard_of(shards: &[Option<Vec<u8>>], i: usize) -> Result<&[u8]> {
    shards
        .get(i)
        .and_then(Option::as_deref)
        .ok_or(ErasureError::TooFewShards {
            present: shards.iter().flatten().count(),
            needed: i + 1,
        })
}

/// Checks a rebuilt slot's SHA-256 against the manifest, when recorded.
fn check_rebuilt(manifest: &Manifest, slot: usize, hasher: Sha256) -> Result<()> {
    match manifest.slot_hash(slot) {
        Some(expected) if hex::encode(hasher.finalize()) != expected => {
            Err(ErasureError::RebuiltSlotMismatch { slot })
        }
        _ => Ok(()),
    }
}

/// Lower-case hex SHA-256 of a file, read in 1 MiB pieces.
fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}
