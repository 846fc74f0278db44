//! Codex-compatible commitments for proofmesh, as pure native code.
//!
//! Everything a storage proof commits to is computed here, bit for bit as Codex does it
//! (see `shared/design/codex-params.md`): the BN254 Poseidon2 permutation with Codex's
//! constants, the sponge, bytes → field elements, keyed Merkle trees, cell / block / slot /
//! dataset roots, the cell sampler and the circuit input of Codex's `SampleAndProve` circuit
//! with its native check; and, in [`gadgets`], the same computations as R1CS gadgets and the
//! storage-proof circuit. This crate does no I/O; the prover reads files and calls it.

pub mod block;
pub mod field;
pub mod gadgets;
pub mod input;
pub mod merkle;
pub mod poseidon2;
pub mod sampler;
pub mod slot;
pub mod sponge;

pub use ark_bn254::Fr;
pub use field::FieldError;
pub use input::{CircuitInput, CircuitParams, InputError};
pub use merkle::{MerkleError, MerkleTree};
