//! The crate's one error type. Each variant's doc says whose fault it is: the caller's
//! parameters, the shards or files handed in, or the disk.

use std::path::PathBuf;

/// Why shards or a dataset directory cannot be encoded, repaired or decoded.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// Caller: Codex codes at least two data shards per codeword (K = 1 is plain replication).
    #[error("K = {k} data shards: Codex erasure coding needs K >= 2")]
    TooFewDataShards {
        /// K asked for.
        k: usize,
    },
    /// Caller: at least one parity shard is needed, or there is nothing to repair from.
    #[error("M = 0 parity shards: Codex erasure coding needs M >= 1")]
    NoParityShards,
    /// Caller: Leopard (and so Codex) refuses more parity than data shards.
    #[error("M = {m} parity shards exceeds K = {k} data shards")]
    TooManyParityShards {
        /// K asked for.
        k: usize,
        /// M asked for.
        m: usize,
    },
    /// Caller: a codeword has at most 256 shards in Codex (K + M <= 256).
    #[error("K + M = {} shards exceeds Codex's limit of 256", k + m)]
    TooManyShards {
        /// K asked for.
        k: usize,
        /// M asked for.
        m: usize,
    },
    /// Caller: a slice of shards of the wrong length for the code's K (+ M).
    #[error("{got} shards given where the code has {expected}")]
    WrongShardCount {
        /// Shards the code has (K for `encode`, K + M for `reconstruct`).
        expected: usize,
        /// Shards given.
        got: usize,
    },
    /// Caller: Leopard processes shards in 64-byte units, so a shard must be a positive multiple
    /// of 64 bytes.
    #[error("shard {index} is {len} bytes, not a positive multiple of 64")]
    BadShardSize {
        /// Index of the shard in the slice given.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// Caller: every shard of a codeword has the same length.
    #[error("shard {index} is {len} bytes where the first shard is {expected}")]
    UnequalShardSizes {
        /// Index of the shard in the slice given.
        index: usize,
        /// Its length.
        len: usize,
        /// Length of the first present shard.
        expected: usize,
    },
    /// Caller / storage: fewer than K shards survive, so the codeword cannot be rebuilt.
    #[error("only {present} shards present, at least K = {needed} needed to reconstruct")]
    TooFewShards {
        /// Shards present.
        present: usize,
        /// K.
        needed: usize,
    },
    /// Caller: an empty file has no Codex dataset (Codex refuses to store one).
    #[error("the input is empty: there is no dataset to encode")]
    EmptyInput,
    /// Caller: the dataset's size does not fit the block and slot arithmetic (u64 overflow).
    #[error("a dataset of {size} bytes is too large for the slot layout")]
    DatasetTooLarge {
        /// The dataset size asked for.
        size: u64,
    },
    /// Disk: a file could not be opened, read, written or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Storage / sender of the directory: `manifest.json` is not valid JSON of a [`Manifest`].
    ///
    /// [`Manifest`]: crate::Manifest
    #[error("{}: {source}", path.display())]
    ManifestJson {
        /// The manifest file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// Storage / sender of the directory: the manifest parses but its fields contradict each
    /// other or Codex's parameters.
    #[error("invalid manifest: {why}")]
    InvalidManifest {
        /// Which field is wrong and how.
        why: &'static str,
    },
    /// Storage / sender of the directory: a dataset in nim-codex's stepped slot layout
    /// (`verifiableStrategy` 1, nim-codex <= v0.2.4) or an unknown one. Its slots are made of
    /// different blocks, so decoding it as the linear layout would silently produce garbage.
    #[error("verifiableStrategy {strategy} is not the linear slot layout (0) this crate codes")]
    UnsupportedStrategy {
        /// The manifest's `verifiableStrategy`.
        strategy: u8,
    },
    /// Storage: the manifest's block size is not Codex's 64 KiB.
    #[error("block size {block_size} is not Codex's 65536 bytes")]
    UnsupportedBlockSize {
        /// The manifest's `blockSize`.
        block_size: u64,
    },
    /// Storage: fewer than K slot files are intact (exact length and, when recorded, SHA-256),
    /// so the dataset cannot be repaired or decoded.
    #[error("only {} intact slots ({good:?}), at least K = {needed} needed", good.len())]
    TooFewGoodSlots {
        /// Indices of the intact slots.
        good: Vec<usize>,
        /// K.
        needed: usize,
    },
    /// Storage: a slot read as a source changed (its SHA-256 differs) between the check and the
    /// read, so what was rebuilt from it is not trusted and nothing was written in place.
    #[error("slot {slot} changed while it was being read")]
    SourceChanged {
        /// The slot index.
        slot: usize,
    },
    /// Storage: a rebuilt slot does not hash to the manifest's SHA-256. With hashes on record
    /// this means a source slot was corrupted in a way its check could not see; nothing was
    /// written in place.
    #[error("rebuilt slot {slot} does not match the manifest's SHA-256")]
    RebuiltSlotMismatch {
        /// The slot index.
        slot: usize,
    },
    /// Bug guard: `leopard-codec` refused shards that passed this crate's checks.
    #[error("GF(2^8) codec: {0}")]
    Gf8(#[source] leopard_codec::LeopardError),
    /// Bug guard: `reed-solomon-simd` refused shards that passed this crate's checks.
    #[error("GF(2^16) codec: {0}")]
    Gf16(#[source] reed_solomon_simd::Error),
}

/// A result with [`ErasureError`].
pub type Result<T, E = ErasureError> = std::result::Result<T, E>;

/// Wraps an `io::Error` with the path it concerns.
pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ErasureError + '_ {
    move |source| ErasureError::Io {
        path: path.to_path_buf(),
        source,
    }
}
