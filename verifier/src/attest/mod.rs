//! Attestations: what one verifier signs about one period, and how anyone checks it.
//!
//! A verifier's verdicts for a period (an [`AttestationBatch`](proofmesh_proto::AttestationBatch))
//! are committed to by a SHA-256 Merkle tree over their canonical encodings ([`tree`]), and the
//! verifier signs one short message binding the period, its index, the entry count and the
//! tree's root ([`message`]) with BLS12-381 ([`keys`]). Signing the root rather than the whole
//! batch is what lets a quorum certificate carry one entry plus a logarithmic inclusion proof
//! per signer instead of every signer's full batch, and still verify with one aggregated
//! signature (see `crate::quorum`).
//!
//! BLS variant: `min_pk` (48-byte G1 public keys, 96-byte G2 signatures, as Ethereum), so the
//! verifier set and certificate bitfields stay small while the one aggregated signature is the
//! larger element. Every signer's message is distinct (it contains the signer's index), so
//! aggregate verification is safe against rogue-key attacks without proofs of possession.

mod batch;
mod keys;
mod message;
mod repair;
mod tree;

pub use batch::{sign_batch, verify_batch_signature};
pub use keys::{aggregate_signatures, VerifierKeypair, VerifierPublicKey};
pub use message::{signing_message, SIGNING_TAG};
pub use repair::{check_repair_request, sign_repair_request, verify_repair_request};
pub use tree::{entries_root, entry_leaf, verify_inclusion, EntriesTree};

pub(crate) use batch::{check_batch_shape, check_period, verify_signed_root};
pub(crate) use keys::{aggregate_parsed, succeeded};

/// Domain separation tag of hash-to-curve for attestation signatures (RFC 9380 suite
/// `BLS12381G2_XMD:SHA-256_SSWU_RO_`, proofmesh-specific prefix): a signature made for
/// proofmesh attestations can never be replayed as any other BLS signature, and vice versa.
pub const BLS_DST: &[u8] = b"PROOFMESH_ATTEST_V1_BLS12381G2_XMD:SHA-256_SSWU_RO_";
