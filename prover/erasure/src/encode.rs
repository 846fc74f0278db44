//! A file → K + M slot files and a manifest, in nim-codex's linear layout, streaming.
//!
//! A batch of consecutive columns is coded at once: row r of columns `c0..c0+n` is one
//! contiguous range of the zero-padded input, `[(r·steps + c0)·64 KiB, +n·64 KiB)`, so each
//! batch is K seeks and reads, one codec call with shards of n blocks (see [`crate::codec`]
//! for why that equals n separate codewords) and one append to every slot file. Memory is
//! bounded by [`Options::buffer_bytes`], whatever the file size.

use crate::codec::encode_in_place;
use crate::error::{io_err, ErasureError, Result};
use crate::fsutil::{slot_file_name, TmpFile};
use crate::layout::{Layout, BLOCK_SIZE, BLOCK_SIZE_U64};
use crate::manifest::{Manifest, MANIFEST_FILE};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Tuning of the streaming dataset operations (encode, repair, decode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Bytes of shard buffers per batch of columns, all K + M rows together; at least one
    /// column (`(K + M) · 64 KiB`) is always used. The codecs' own work space adds about as
    /// much again, so peak memory is roughly twice this.
    pub buffer_bytes: usize,
}

impl Default for Options {
    /// 64 MiB: large enough for sequential I/O and few codec calls, small next to a node's
    /// memory.
    fn default() -> Self {
        Self {
            buffer_bytes: 64 << 20,
        }
    }
}

impl Options {
    /// Columns coded per batch for `layout`: as many as fit the buffer, at least one.
    pub(crate) fn columns_per_batch(&self, layout: &Layout) -> u64 {
        let column = layout.slot_count().saturating_mul(BLOCK_SIZE);
        let fit = (self.buffer_bytes / column.max(1)).max(1) as u64;
        fit.min(layout.blocks_per_slot)
    }
}

/// Erasure-codes the file at `input` into `out_dir` (created if needed) as `slot_<i>.bin`
/// files and `manifest.json`; see [`encode_reader`].
pub fn encode_file(input: &Path, k: usize, m: usize, out_dir: &Path) -> Result<Manifest> {
    encode_file_with(input, k, m, out_dir, &Options::default())
}

/// [`encode_file`] with explicit [`Options`].
pub fn encode_file_with(
    input: &Path,
    k: usize,
    m: usize,
    out_dir: &Path,
    options: &Options,
) -> Result<Manifest> {
    let file = File::open(input).map_err(io_err(input))?;
    let size = file.metadata().map_err(io_err(input))?.len();
    encode_source(file, input, size, k, m, out_dir, options)
}

/// Erasure-codes an in-memory dataset (tests, small files); see [`encode_reader`].
pub fn encode_bytes(data: &[u8], k: usize, m: usize, out_dir: &Path) -> Result<Manifest> {
    let size = data.len() as u64;
    let name = Path::new("<memory>");
    encode_source(
        std::io::Cursor::new(data),
        name,
        size,
        k,
        m,
        out_dir,
        &Options::default(),
    )
}

/// Erasure-codes the first `original_size` bytes of `reader` with (K, M) into `out_dir`.
///
/// The last block is zero-padded to 64 KiB, as nim-codex's chunker pads it, and the last row
/// filled with zero blocks; `originalSize` is recorded so decoding returns the exact bytes.
/// Slot files are written under temporary names and renamed into place only when complete;
/// the manifest, with every slot's SHA-256, is written last, and any earlier manifest is
/// removed first, so an interrupted run never leaves a directory that looks complete.
pub fn encode_reader<R: Read + Seek>(
    reader: R,
    original_size: u64,
    k: usize,
    m: usize,
    out_dir: &Path,
    options: &Options,
) -> Result<Manifest> {
    let name = Path::new("<input>");
    encode_source(reader, name, original_size, k, m, out_dir, options)
}

/// The encoder behind the public entry points; `name` labels read errors.
fn encode_source<R: Read + Seek>(
    mut reader: R,
    name: &Path,
    original_size: u64,
    k: usize,
    m: usize,
    out_dir: &Path,
    options: &Options,
) -> Result<Manifest> {
    let layout = Layout::new(original_size, k, m)?;
    std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let manifest_path = out_dir.join(MANIFEST_FILE);
    match std::fs::remove_file(&manifest_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(io_err(&manifest_path)(e));
        }
        _ => {}
    }

    let slots = layout.slot_count();
    let mut outs = (0..slots)
        .map(|i| TmpFile::create(&out_dir.join(slot_file_name(i))))
        .collect::<Result<Vec<_>>>()?;
    let mut hashers = vec![Sha256::new(); slots];
    let mut shards: Vec<Vec<u8>> = vec![Vec::new(); slots];
    let steps = layout.blocks_per_slot;
    let batch = options.columns_per_batch(&layout);

    let mut c0 = 0;
    while c0 < steps {
        let cols = batch.min(steps - c0);
        let len =
            usize::try_from(cols * BLOCK_SIZE_U64).map_err(|_| ErasureError::DatasetTooLarge {
                size: original_size,
            })?;
        for (row, shard) in shards.iter_mut().enumerate() {
            shard.resize(len, 0);
            if row < k {
                let offset = (row as u64 * steps + c0) * BLOCK_SIZE_U64;
                read_padded(&mut reader, name, offset, original_size, shard)?;
            }
        }
        encode_in_place(&mut shards, k)?;
        for ((shard, out), hasher) in shards.iter().zip(&mut outs).zip(&mut hashers) {
            hasher.update(shard);
            out.write_all(shard)?;
        }
        c0 += cols;
    }

    let slot_sha256 = hashers
        .into_iter()
        .map(|h| hex::encode(h.finalize()))
        .collect();
    for out in outs {
        out.commit()?;
    }
    let manifest = Manifest::new(&layout, slot_sha256);
    manifest.store(out_dir)?;
    Ok(manifest)
}

/// Fills `buf` with the input's bytes from `offset`, zeros past `size` (the padding of the
/// last block and of the last row).
fn read_padded<R: Read + Seek>(
    reader: &mut R,
    name: &Path,
    offset: u64,
    size: u64,
    buf: &mut [u8],
) -> Result<()> {
    let available = size.saturating_sub(offset).min(buf.len() as u64) as usize;
    if available > 0 {
        reader
            .seek(SeekFrom::Start(offset))
            .and_then(|_| reader.read_exact(&mut buf[..available]))
            .map_err(io_err(name))?;
    }
    buf[available..].fill(0);
    Ok(())
}
