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
