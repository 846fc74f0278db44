//! Progress reports of long prover operations, for a CLI to draw bars with. The library never
//! draws anything itself; [`NoProgress`] ignores every report.

/// A stage of proving one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Hashing every block of every slot file into the commitment (`blocks` in all).
    Commit {
        /// Blocks to hash, all slot files together.
        blocks: u64,
    },
    /// Opening the sampled cells and checking the circuit input natively.
    Input,
    /// Synthesizing the witness and checking it against every constraint.
    Witness,
    /// The Groth16 multi-scalar multiplications and FFTs.
    Groth16,
}

/// Receives progress reports; called from rayon worker threads, so it must be `Sync`.
pub trait Progress: Sync {
    /// A new stage starts.
    fn stage(&self, stage: Stage);
    /// `n` more blocks were hashed (during [`Stage::Commit`]).
    fn blocks_hashed(&self, n: u64);
}

/// Ignores every report.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn stage(&self, _: Stage) {}
    fn blocks_hashed(&self, _: u64) {}
}
