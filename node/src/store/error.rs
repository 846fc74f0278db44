//! The store's one error type. Every variant says what happened and, in its doc, what the
//! operator should do: store errors are never the fault of a peer, so none of them penalises
//! one; the caller stops acknowledging or publishing what it could not persist.

use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The filesystem refused an operation (creating or reading the data directory).
    /// Operator: check that the path exists, is writable by the node's user and that the disk
    /// is not full, then restart.
    #[error("store I/O error during {op} on {path}: {message}")]
    Io {
        /// What the store was doing.
        op: String,
        /// The path involved.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// RocksDB reported an error (disk full, I/O failure, internal corruption).
    /// Operator: check disk space and the RocksDB `LOG` file in the data directory; if RocksDB
    /// reports corruption, restore the directory from a backup or resync into a fresh one.
    #[error("RocksDB error during {op} on {path}: {message}")]
    Rocks {
        /// What the store was doing (operation and column family).
        op: String,
        /// The store's directory.
        path: PathBuf,
        /// RocksDB's message.
        message: String,
    },
    /// Another process (or another open handle in this one) holds the store's lock.
    /// Operator: stop the other node using this data directory, or give this node its own.
    #[error("store {path} is locked by another process ({message})")]
    Locked {
        /// The store's directory.
        path: PathBuf,
        /// RocksDB's message.
        message: String,
    },
    /// The path is not a proofmesh store and is not an empty directory either, so nothing is
    /// created there. Operator: point the node at an empty or missing directory, or at the
    /// directory of an existing proofmesh store.
    #[error("{path} is not a proofmesh store: {why}")]
    NotAStore {
        /// The path given.
        path: PathBuf,
        /// What was found instead.
        why: String,
    },
    /// A stored value or key does not decode. The store is damaged (disk error, manual edits,
    /// a bug in a previous version). Operator: restore the data directory from a backup, or
    /// move it aside and let the node resync from the network.
    #[error("corrupt entry in column family {cf}, key {key_hex}: {why}")]
    Corrupt {
        /// The column family.
        cf: &'static str,
        /// The key, hex encoded.
        key_hex: String,
        /// What is wrong with it.
        why: String,
    },
    /// The store was written with another schema version. Operator: run the node version that
    /// wrote it (or its migration), or move the directory aside and resync.
    #[error(
        "store schema version {found}, this node expects {expected}: the data dir was written by \
         another proofmesh version (protocol 1 nodes write schema 1); move it aside (or delete \
         it) and start again: the node resyncs from its peers"
    )]
    Schema {
        /// The version recorded in the store.
        found: u32,
        /// [`SCHEMA_VERSION`](super::SCHEMA_VERSION) of this binary.
        expected: u32,
    },
    /// A thread panicked while holding the store's lock; the in-memory state may be
    /// half-updated. Operator: restart the node (durable state on disk is unaffected).
    #[error("store lock poisoned by a panicked thread")]
    Poisoned,
}

impl StoreError {
    /// A [`StoreError::Corrupt`] for `key` in column family `cf`.
    pub(super) fn corrupt(cf: &'static str, key: &[u8], why: impl Into<String>) -> Self {
        StoreError::Corrupt {
            cf,
            key_hex: hex::encode(key),
            why: why.into(),
        }
    }
}
