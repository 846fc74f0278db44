//! Signed repair requests: a verifier asks volunteers to rebuild a lost slot, carrying the
//! quorum certificates of the failed duties that made it lost. Signed with the verifier's
//! attestation key over the SHA-256 of the request's tagged signing bytes (the tag keeps it
//! from ever verifying as an attestation batch). [`check_repair_request`] is what a volunteer
//! or another verifier checks before acting on one: the signature, every certificate against
//! the verifier set of its period, that each certifies a failure, and that together they
//! reach the health budgets — nobody's say-so, only the certificates.

use super::batch::verify_with_key;
use super::keys::{signature_bytes, VerifierKeypair};
use crate::error::{AttestError, RepairEvidenceError};
use crate::health::HealthConfig;
use crate::quorum::verify_certificate;
use proofmesh_proto::{
    Period, QuorumCertificate, RepairRequest, SlotId, Verdict, VerifierIndex, VerifierSet,
    WireMessage,
};
use sha2::{Digest, Sha256};

fn digest(request: &RepairRequest) -> [u8; 32] {
    Sha256::digest(request.signing_bytes()).into()
}

/// Signs a repair request for `slot`, as `verifier`, with `evidence`: the certificates of
/// the failed duties that made it lost, ascending by period (the last one is the loss; the
/// request's period and certificate id are taken from it). `None` without evidence.
pub fn sign_repair_request(
    keypair: &VerifierKeypair,
    verifier: VerifierIndex,
    slot: SlotId,
    evidence: Vec<QuorumCertificate>,
) -> Option<RepairRequest> {
    let last = evidence.last()?;
    let mut request = RepairRequest {
        slot,
        period: last.period,
        certificate: last.content_id(),
        verifier,
        signature: proofmesh_proto::BlsSignature([0; 96]),
        evidence,
    };
    request.signature = signature_bytes(&keypair.sign(&digest(&request)));
    Some(request)
}

/// Checks that a repair request is signed by the member of `set` it names.
pub fn verify_repair_request(
    request: &RepairRequest,
    set: &VerifierSet,
) -> Result<(), AttestError> {
    verify_with_key(request.verifier, &request.signature, &digest(request), set).map(|_| ())
}

/// Checks a repair request end to end: signed by the member of `set_at(request.period)` it
/// names; every evidence certificate valid for the set governing its own period and a
/// certified failure (Missing or Invalid) of the slot; and the run reaching the budgets of
/// `config` (`miss_budget` failures, or `invalid_budget` Invalid ones) — what makes a slot
/// Lost. The certificates' slot, order and the last one's id were checked when the request
/// was decoded. Whether the slot has recovered since is the caller's to judge (it alone
/// knows later certificates).
pub fn check_repair_request<'a>(
    request: &RepairRequest,
    set_at: impl Fn(Period) -> &'a VerifierSet,
    config: &HealthConfig,
) -> Result<(), RepairEvidenceError> {
    verify_repair_request(request, set_at(request.period))
        .map_err(RepairEvidenceError::Signature)?;
    let mut invalids = 0u32;
    for cert in &request.evidence {
        verify_certificate(cert, set_at(cert.period)).map_err(|error| {
            RepairEvidenceError::Certificate {
                period: cert.period,
                error,
            }
        })?;
        match cert.entry.verdict {
            Verdict::Missing => {}
            Verdict::Invalid => invalids += 1,
            v @ (Verdict::Valid | Verdict::Alive) => {
                return Err(RepairEvidenceError::NotAFailure(cert.period, v));
            }
        }
    }
    let misses = request.evidence.len() as u32;
    if misses < config.miss_budget.get() && invalids < config.invalid_budget.get() {
        return Err(RepairEvidenceError::BelowBudget { misses, invalids });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proofmesh_proto::{DatasetRoot, VerifierMember};

    #[test]
    fn signed_requests_verify_and_tampering_fails() {
        let kps: Vec<_> = (0..3u8)
            .map(|i| VerifierKeypair::from_seed(&[i + 1; 32]).unwrap())
            .collect();
        let set = VerifierSet {
            effective_from: Period(0),
            members: kps
                .iter()
                .map(|k| VerifierMember {
                    key: k.public_key(),
                    weight: 1,
                })
                .collect(),
        };
        let slot = SlotId {
            dataset: DatasetRoot::from_le_bytes([3; 32]).unwrap(),
            index: 2,
        };
        let cert = QuorumCertificate {
            period: Period(9),
            entry: proofmesh_proto::SlotVerdict {
                slot,
                verdict: Verdict::Missing,
            },
            signers: [VerifierIndex(0)].into_iter().collect(),
            proofs: vec![],
            aggregate_signature: proofmesh_proto::BlsSignature([0; 96]),
        };
        let req = sign_repair_request(&kps[1], VerifierIndex(1), slot, vec![cert]).unwrap();
        assert!(sign_repair_request(&kps[1], VerifierIndex(1), slot, vec![]).is_none());
        assert!(verify_repair_request(&req, &set).is_ok());
        let mut other = req.clone();
        other.verifier = VerifierIndex(2);
        assert!(verify_repair_request(&other, &set).is_err());
        let mut other = req.clone();
        other.period = Period(10);
        assert!(verify_repair_request(&other, &set).is_err());
        let mut other = req;
        other.verifier = VerifierIndex(7);
        assert!(verify_repair_request(&other, &set).is_err());
    }
}
