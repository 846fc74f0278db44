//! The Groth16 layer of the storage-proof circuit: circuit-specific [`setup`], key files with
//! a header naming the circuit ([`keys`]), the [`Prover`] and the 128-byte proof encoding.

pub mod assemble;
pub mod gpu;
pub mod keys;
pub mod msm;
pub mod proof;
pub mod prove;
pub mod quotient;
pub mod setup;

pub use keys::{
    check_pair, load_prover, read_header, read_proving_key, read_verifying_key, write_proving_key,
    write_proving_key_as, write_verifying_key, KeyEncoding, KeyFile, KeyHeader, KeyKind,
};
pub use proof::{proof_from_bytes, proof_to_bytes, PROOF_BYTES};
pub use prove::{Prover, R1cs};
pub use setup::{check_params, setup};
