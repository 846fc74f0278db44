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
    /// The slot files do not reproduce the dataset root on record: nothing is proven.
    #[error("the slot files commit to dataset root {got}, not to the root on record {expected}")]
    DatasetRoot {
        /// The root on record (`--dataset-root`), decimal.
        expected: String,
        /// The root the files give, decimal.
        got: String,
    },
    /// Circuit parameters that slot files cannot be proven against.
    #[error("circuit parameters {params}: {why}")]
    Params {
        /// The parameters, `(maxDepth, maxLog2NSlots, blockTreeDepth, nFieldElemsPerCell, nSamples)`.
        params: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A key file is malformed, truncated, for another circuit, or does not match its header.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Constraint synthesis failed (the circuit parameters are not supported).
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// The witness does not satisfy the circuit's constraints: refused before proving. The
    /// native check passed, so this is a disagreement between `CircuitInput::check` and the
    /// circuit (a bug), never bad data that slipped through.
    #[error("the witness violates constraint {constraint} of {total}: refusing to prove")]
    Unsatisfied {
        /// Index of the first violated constraint.
        constraint: usize,
        /// Constraints in the circuit.
        total: usize,
    },
    /// Groth16 assembly failed: the assignment does not fit the key, or the circuit's
    /// matrices have no evaluation domain (an unsatisfied constraint is `Unsatisfied`).
    #[error("groth16: {0}")]
    Assemble(#[from] crate::groth16::assemble::AssembleError),
    /// The proof just made does not verify under the verifying key (a bug or a wrong key).
    #[error("the proof does not verify under the verifying key: refusing to return it")]
    SelfCheck,
    /// The worker pools for proving many slots could not be built or a worker died.
    #[error("proving workers: {0}")]
    ThreadPool(String),
    /// A 128-byte proof encoding is malformed.
    #[error("proof bytes: {0}")]
    ProofBytes(String),
}

/// Why a key file cannot be used; the file is named where one is involved.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file does not start with a proofmesh key header.
    #[error("{}: not a proofmesh key file (bad magic or version)", path.display())]
    Magic {
        /// The file.
        path: PathBuf,
    },
    /// A proving key where a verifying key is expected, or the reverse.
    #[error("{}: holds a {got} key, expected a {want} key", path.display())]
    Kind {
        /// The file.
        path: PathBuf,
        /// What the header says.
        got: &'static str,
        /// What the caller asked for.
        want: &'static str,
    },
    /// The file is shorter or longer than its header says.
    #[error("{}: truncated or padded: the header announces {want} bytes of key, the file holds {got}", path.display())]
    Length {
        /// The file.
        path: PathBuf,
        /// Key bytes present.
        got: u64,
        /// Key bytes announced.
        want: u64,
    },
    /// The key bytes do not decode to valid curve points.
    #[error("{}: key bytes are not a valid Groth16 key: {why}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's reason.
        why: String,
    },
    /// The header's circuit id is not the hash of the key it holds (altered or corrupted).
    #[error("{}: header names circuit {header} but the key inside is circuit {actual}", path.display())]
    CircuitId {
        /// The file.
        path: PathBuf,
        /// Id in the header (hex).
        header: String,
        /// Id of the contained verifying key (hex).
        actual: String,
    },
    /// The key is for other circuit parameters than the caller needs.
    #[error("{}: key is for circuit parameters {got}, expected {want}", path.display())]
    Params {
        /// The file.
        path: PathBuf,
        /// The header's parameters.
        got: String,
        /// The parameters asked for.
        want: String,
    },
    /// The proving key's sizes do not fit the circuit its header names.
    #[error("{}: the key does not fit circuit {params}: {what} has {got} entries, the circuit needs {want}", path.display())]
    Shape {
        /// The file (empty for a key that did not come from a file).
        path: PathBuf,
        /// The header's parameters.
        params: String,
        /// Which part of the key.
        what: &'static str,
        /// Entries in the key.
        got: usize,
        /// Entries the circuit needs.
        want: usize,
    },
    /// A proving key and a verifying key from different setups.
    #[error("{} (circuit {proving}) and {} (circuit {verifying}) come from different setups", proving_path.display(), verifying_path.display())]
    Mismatch {
        /// The proving key file.
        proving_path: PathBuf,
        /// Its circuit id (hex).
        proving: String,
        /// The verifying key file.
        verifying_path: PathBuf,
        /// Its circuit id (hex).
        verifying: String,
    },
}
