//! Typed errors of the prover crate; each names the file involved when there is one.

use proofmesh_circuits::slot::SlotError;
use proofmesh_circuits::InputError;
use std::path::PathBuf;

/// Why slot data cannot be committed to or proven.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// The file cannot be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file's size does not have Codex's slot layout.
    #[error("{}: {why}", path.display())]
    Layout {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// No slot files were given.
    #[error("a dataset needs at least one slot file")]
    NoSlots,
    /// More slots than the circuit's dataset tree can hold.
    #[error("{got} slots given, at most {max} fit the circuit (maxLog2NSlots)")]
    TooManySlots {
        /// Slots given.
        got: usize,
        /// The circuit's maximum.
        max: usize,
    },
    /// The slot index is not one of the given slots.
    #[error("slot index {index} is out of range for {slots} slot files")]
    SlotIndex {
        /// Index asked for.
        index: u64,
        /// Slots given.
        slots: usize,
    },
    /// The slot layout is invalid.
    #[error(transparent)]
    Slot(#[from] SlotError),
    /// The assembled input fails the native check (the data does not match its commitment).
    #[error("native check of the circuit input failed: {0}")]
    Input(#[from] InputError),
}
