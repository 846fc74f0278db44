//! Typed errors of the verifier crate. A parse error means the *input* is malformed (exit 2 in
//! the CLI, Reject in gossip); an invalid proof is not an error but `Ok(false)`.

use proofmesh_circuits::FieldError;

/// Why a snarkjs JSON document cannot be turned into a key, a proof or public inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnarkjsError {
    /// Not JSON, or JSON of the wrong structure.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// `protocol` is not `groth16`.
    #[error("protocol is {0:?}, only \"groth16\" is supported")]
    Protocol(String),
    /// `curve` is not BN254 (snarkjs calls it `bn128`).
    #[error("curve is {0:?}, only \"bn128\" (BN254) is supported")]
    Curve(String),
    /// A number is not a canonical element of its field.
    #[error("{at}: {source}")]
    Field {
        /// Where in the document.
        at: String,
        /// What is wrong.
        source: FieldError,
    },
    /// A point has the wrong number of coordinates or a projective `z` other than 1 or 0.
    #[error("{at}: {why}")]
    Encoding {
        /// Where in the document.
        at: String,
        /// What is wrong.
        why: String,
    },
    /// The coordinates do not satisfy the curve equation.
    #[error("{at}: point is not on the BN254 curve")]
    NotOnCurve {
        /// Where in the document.
        at: String,
    },
    /// The point is on the curve but outside the prime-order subgroup.
    #[error("{at}: point is not in the prime-order subgroup")]
    NotInSubgroup {
        /// Where in the document.
        at: String,
    },
    /// A proof element is the point at infinity, which no honest prover produces.
    #[error("{at}: proof element is the point at infinity")]
    Infinity {
        /// Where in the document.
        at: String,
    },
    /// Counts disagree (`nPublic` vs `IC`, or public inputs vs the key).
    #[error("{what}: got {got}, expected {want}")]
    Count {
        /// What was counted.
        what: String,
        /// Found.
        got: usize,
        /// Expected.
        want: usize,
    },
    /// `vk_alphabeta_12` is present but is not e(alpha, beta): the key was altered.
    #[error("vk_alphabeta_12 does not equal e(vk_alpha_1, vk_beta_2): the key is inconsistent")]
    InconsistentAlphaBeta,
}

/// Why a proof could not be checked at all (as opposed to being checked and found invalid).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The number of public inputs does not match the key.
    #[error("the key expects {want} public inputs, got {got}")]
    PublicInputCount {
        /// Given.
        got: usize,
        /// Expected by the key.
        want: usize,
    },
}

/// Why an attestation batch or a quorum certificate was refused, or a key could not be made.
/// Each variant says whether the peer that sent the value is at fault (gossip `Reject` and a
/// penalty) or not (`Ignore`: the fault is local, or nobody's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestError {
    /// Key material shorter than the 32 bytes `KeyGen` requires. Local fault (the operator's
    /// seed), never a peer's.
    #[error("key material must be at least 32 bytes, got {got}")]
    ShortSeed {
        /// Bytes given.
        got: usize,
    },
    /// A BLS public key is not a valid compressed G1 point of the prime-order subgroup, or is
    /// the point at infinity. The fault is whoever wrote the verifier set (its signer or the
    /// local configuration), not the peer that sent the batch or certificate.
    #[error("verifier {verifier}: invalid BLS public key")]
    InvalidPublicKey {
        /// The member whose key is invalid.
        verifier: u16,
    },
    /// Entries are not strictly ascending by slot (unsorted or a slot twice). Sender at fault
    /// (or the local caller, when signing).
    #[error("entries are not strictly ascending by slot at position {position}")]
    UnsortedEntries {
        /// Index of the first entry not above its predecessor.
        position: usize,
    },
    /// More entries than a batch may hold (`proofmesh_proto::wire::MAX_BATCH_ENTRIES`). Sender
    /// at fault (or the local caller, when signing).
    #[error("{got} entries, at most {max} allowed in one batch")]
    TooManyEntries {
        /// Entries given.
        got: usize,
        /// The bound.
        max: usize,
    },
    /// The signer index is not a member of the verifier set in force for the period. Sender at
    /// fault when the set is the one in force for the period.
    #[error("verifier {verifier} is not in the verifier set ({members} members)")]
    UnknownVerifier {
        /// The index named.
        verifier: u16,
        /// Size of the set.
        members: usize,
    },
    /// The verifier set given starts after the period: the caller chose the wrong set. Local
    /// fault, not the sender's.
    #[error("period {period} precedes the verifier set (effective from {effective_from})")]
    WrongVerifierSet {
        /// The period of the batch or certificate.
        period: u64,
        /// First period of the set given.
        effective_from: u64,
    },
    /// The signature bytes are not a valid compressed G2 point of the prime-order subgroup
    /// (or are the point at infinity). Sender at fault.
    #[error("malformed BLS signature")]
    MalformedSignature,
    /// The signature is well formed but does not verify under the signer's key (wrong key,
    /// tampered entries, period or index). Sender at fault.
    #[error("BLS signature does not verify")]
    BadSignature,
    /// A certificate names no signer (sender at fault), or an empty list of signatures was
    /// given to aggregate (local caller's fault).
    #[error("certificate has no signers")]
    NoSigners,
    /// A certificate's signers do not hold ≥ 2/3 of the set's weight. Sender at fault.
    #[error("signers hold weight {weight} of {total}: not a 2/3 quorum")]
    NoQuorum {
        /// Weight of the signers.
        weight: u128,
        /// Total weight of the set.
        total: u128,
    },
    /// A certificate carries a different number of inclusion proofs than signers. Sender at
    /// fault.
    #[error("{proofs} inclusion proofs for {signers} signers")]
    ProofCount {
        /// Signers in the bitfield.
        signers: usize,
        /// Proofs carried.
        proofs: usize,
    },
    /// A signer's inclusion proof does not lead from the certified entry to its entries root
    /// (wrong index, count, path length or sibling). Sender at fault.
    #[error("verifier {verifier}: inclusion proof does not lead to its entries root")]
    BadInclusionProof {
        /// The signer whose proof fails.
        verifier: u16,
    },
}

impl AttestError {
    /// The one gossip verdict for a batch, certificate or repair request refused with this
    /// error: `Reject` (and a penalty) where the variant's doc puts the fault on the sender,
    /// `Ignore` where the fault is local (our seed, our verifier set) and the sender may be
    /// honest.
    pub fn action(&self) -> crate::intake::GossipAction {
        use crate::intake::GossipAction::{Ignore, Reject};
        match self {
            AttestError::ShortSeed { .. }
            | AttestError::InvalidPublicKey { .. }
            | AttestError::WrongVerifierSet { .. } => Ignore,
            AttestError::UnsortedEntries { .. }
            | AttestError::TooManyEntries { .. }
            | AttestError::UnknownVerifier { .. }
            | AttestError::MalformedSignature
            | AttestError::BadSignature
            | AttestError::NoSigners
            | AttestError::NoQuorum { .. }
            | AttestError::ProofCount { .. }
            | AttestError::BadInclusionProof { .. } => Reject,
        }
    }
}

/// Why a repair request does not show its slot lost (`attest::check_repair_request`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepairEvidenceError {
    /// The request's own signature.
    #[error("request signature: {0}")]
    Signature(AttestError),
    /// An evidence certificate does not verify against its period's verifier set.
    #[error("evidence certificate of period {period}: {error}")]
    Certificate {
        /// Its period.
        period: proofmesh_proto::Period,
        /// Why.
        error: AttestError,
    },
    /// An evidence certificate certifies a met duty, not a failure.
    #[error("evidence certificate of period {0} certifies {1:?}, not a failure")]
    NotAFailure(proofmesh_proto::Period, proofmesh_proto::Verdict),
    /// The failures do not reach the health budgets: the slot is not lost.
    #[error("{misses} certified failures ({invalids} invalid) do not reach the budgets")]
    BelowBudget {
        /// Failed duties in the evidence.
        misses: u32,
        /// Of which Invalid.
        invalids: u32,
    },
    /// The slot was certified a met duty after the loss: the request is stale.
    #[error("slot certified {verdict:?} in period {period}, after its loss")]
    Stale {
        /// The later certificate's period.
        period: proofmesh_proto::Period,
        /// Its verdict.
        verdict: proofmesh_proto::Verdict,
    },
}

impl RepairEvidenceError {
    /// Forged or broken evidence is the sender's fault (Reject: it costs the sender score,
    /// the seed's "repeated false triggers cost reputation"); a stale request (the slot
    /// recovered since: a race, not a lie) and a certificate of a verifier set we do not hold
    /// are nobody's (Ignore).
    pub fn action(&self) -> crate::intake::GossipAction {
        use crate::intake::GossipAction::{Ignore, Reject};
        match self {
            RepairEvidenceError::Signature(e)
            | RepairEvidenceError::Certificate { error: e, .. } => e.action(),
            RepairEvidenceError::Stale { .. } => Ignore,
            RepairEvidenceError::NotAFailure(..) | RepairEvidenceError::BelowBudget { .. } => {
                Reject
            }
        }
    }

    /// A short label (metrics, logs).
    pub fn reason(&self) -> &'static str {
        match self {
            RepairEvidenceError::Signature(_) => "bad_signature",
            RepairEvidenceError::Certificate { .. } => "bad_certificate",
            RepairEvidenceError::NotAFailure(..) => "not_a_failure",
            RepairEvidenceError::BelowBudget { .. } => "below_budget",
            RepairEvidenceError::Stale { .. } => "stale",
        }
    }
}
