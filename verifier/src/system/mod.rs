//! The proof-system seam: one [`CircuitVerifier`] per circuit a network accepts, behind one
//! trait, so the intake, the workers and the engine never name a proof system. Groth16 over
//! BN254 ([`Groth16Verifier`]) is today's implementation; a second system (halo2) is a new
//! implementation and a new [`DecodedProof`] variant, not a rewrite.

mod groth16;
mod subgroup;

pub use groth16::Groth16Verifier;
pub use subgroup::g2_in_subgroup;

use ark_bn254::Fr;
use proofmesh_proto::ProofSystem;
use rand::{CryptoRng, RngCore};

/// A cryptographic RNG as a trait object (batch verification draws random weights).
pub trait BatchRng: RngCore + CryptoRng {}

impl<T: RngCore + CryptoRng> BatchRng for T {}

/// A proof decoded by its system's verifier: cheap to hold, ready to verify.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum DecodedProof {
    /// A Groth16 proof over BN254 (three curve points, checked on the curve and in the group).
    Groth16(ark_groth16::Proof<ark_bn254::Bn254>),
}

/// Why proof bytes do not decode for a circuit (the sender's fault: the bytes are theirs).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeProofError {
    /// The envelope names another proof system than the circuit's.
    #[error("proof system {got} does not match the circuit's ({want})")]
    WrongSystem {
        /// What the envelope says.
        got: ProofSystem,
        /// What the circuit uses.
        want: ProofSystem,
    },
    /// The bytes are not a proof of this system.
    #[error("{0}")]
    Malformed(String),
}

/// Verifies proofs of one circuit (one verifying key of one proof system).
pub trait CircuitVerifier: Send + Sync + std::fmt::Debug {
    /// The proof system, as envelopes name it.
    fn system(&self) -> ProofSystem;
    /// Public inputs the circuit takes.
    fn n_public(&self) -> usize;
    /// Decodes proof bytes (cheap: no pairing), or says why they are not a proof.
    fn decode(&self, system: ProofSystem, bytes: &[u8]) -> Result<DecodedProof, DecodeProofError>;
    /// Verifies proofs with their public inputs as one batch; one verdict per item, in order
    /// (`true`: valid). A proof of another system is invalid.
    fn verify_batch(&self, items: &[(&DecodedProof, &[Fr])], rng: &mut dyn BatchRng) -> Vec<bool>;
}

/// A `&mut dyn BatchRng` as a sized RNG, for generic batch verifiers.
pub(crate) struct DynRng<'a>(pub(crate) &'a mut dyn BatchRng);

impl RngCore for DynRng<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl CryptoRng for DynRng<'_> {}
