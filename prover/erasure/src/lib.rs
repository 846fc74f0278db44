//! Codex-compatible erasure coding: Leopard-RS codewords, and whole files in nim-codex's slot
//! layout (`slot_<i>.bin` files plus `manifest.json`) that can be repaired and decoded from any
//! K intact slots.
//!
//! Compatibility is defined by `shared/fixtures/leopard`, produced by the Leopard library
//! nim-codex links: every Codex-legal (K, M) gives the same parity bytes here, because
//! [`field_for`] makes Leopard's own field choice and each field goes to a crate that matches
//! Leopard on it ([`codec`]). The dataset layer ([`encode_file`], [`repair_dir`],
//! [`decode_dir`]) streams column batches with bounded memory ([`Options`]), so a file of
//! many GB needs only tens of MB, and writes every file atomically.
//!
//! Pure and synchronous (no async runtime); callers on an async task should use
//! `spawn_blocking`.
//!
//! # Tests
//!
//! `cargo test -p proofmesh-erasure` checks every vector of the fixtures, the whole
//! 64-byte sweep (all 16,383 pairs, encode and a decode each), a deterministic subset of the
//! 1024-byte sweep, and the layout datasets (encode, repair, decode). The full 1024-byte
//! sweep is `#[ignore]`d to keep debug test time low:
//! `cargo test -p proofmesh-erasure --release -- --ignored`.

pub mod codec;
pub mod encode;
pub mod error;
pub mod field;
mod fsutil;
pub mod layout;
pub mod manifest;
pub mod recover;

pub use codec::{encode, reconstruct, SHARD_ALIGN};
pub use encode::{encode_bytes, encode_file, encode_file_with, encode_reader, Options};
pub use error::{ErasureError, Result};
pub use field::{check_params, field_for, Field, MAX_SHARDS};
pub use fsutil::slot_file_name;
pub use layout::{Layout, BLOCK_SIZE};
pub use manifest::{Manifest, LINEAR_STRATEGY, MANIFEST_FILE};
pub use recover::{
    check_dir, check_slot, decode_dir, decode_dir_with, repair_dir, repair_dir_with, DecodeReport,
    RepairReport, SlotState,
};
