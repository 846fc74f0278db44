//! Typed stages of attestations and certificates: a [`VerifiedBatch`] or a
//! [`VerifiedCertificate`] exists only once its signatures were checked against the verifier
//! set (or, for a certificate, once it was built from such batches), so the engine and the
//! store, which take only these, can never be handed an unchecked one.

use crate::error::AttestError;
use proofmesh_proto::{AttestationBatch, QuorumCertificate, VerifierSet};
use std::ops::Deref;

/// An attestation batch whose shape and BLS signature verified against the set of its period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedBatch(AttestationBatch);

impl VerifiedBatch {
    /// Only the pool (after checking) and the engine (after the pool accepted it) make one.
    pub(crate) fn new(batch: AttestationBatch) -> Self {
        Self(batch)
    }

    /// The batch.
    pub fn into_inner(self) -> AttestationBatch {
        self.0
    }
}

/// Verifies a batch's shape and signature against the set of its period and returns it typed
/// as verified (what a node does with a batch outside the pool, e.g. one read from a peer).
pub fn check_batch(
    batch: AttestationBatch,
    set: &VerifierSet,
) -> Result<VerifiedBatch, AttestError> {
    crate::attest::verify_batch_signature(&batch, set)?;
    Ok(VerifiedBatch::new(batch))
}

impl Deref for VerifiedBatch {
    type Target = AttestationBatch;
    fn deref(&self) -> &AttestationBatch {
        &self.0
    }
}

/// A quorum certificate that verified against the set of its period (or that this node built
/// from verified batches holding a quorum).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCertificate(QuorumCertificate);

impl VerifiedCertificate {
    /// Only [`super::check_certificate`] and the pool make one.
    pub(crate) fn new(cert: QuorumCertificate) -> Self {
        Self(cert)
    }

    /// The certificate.
    pub fn into_inner(self) -> QuorumCertificate {
        self.0
    }
}

impl Deref for VerifiedCertificate {
    type Target = QuorumCertificate;
    fn deref(&self) -> &QuorumCertificate {
        &self.0
    }
}
