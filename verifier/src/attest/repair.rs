//! Signed repair requests: a verifier asks volunteers to rebuild a lost slot, naming the
//! certificate that made it lost. Signed with the verifier's attestation key over the
//! SHA-256 of the request's tagged signing bytes (the tag keeps it from ever verifying as an
//! attestation batch).

use super::batch::verify_with_key;
use super::keys::{signature_bytes, VerifierKeypair};
use crate::error::AttestError;
use proofmesh_proto::{ContentId, Period, RepairRequest, SlotId, VerifierIndex, VerifierSet};
use sha2::{Digest, Sha256};

fn digest(request: &RepairRequest) -> [u8; 32] {
    Sha256::digest(request.signing_bytes()).into()
}

/// Signs a repair request for `slot`, lost in `period` by `certificate`, as `verifier`.
pub fn sign_repair_request(
    keypair: &VerifierKeypair,
    verifier: VerifierIndex,
    slot: SlotId,
    period: Period,
    certificate: ContentId,
) -> RepairRequest {
    let mut request = RepairRequest {
        slot,
        period,
        certificate,
        verifier,
        signature: proofmesh_proto::BlsSignature([0; 96]),
    };
    request.signature = signature_bytes(&keypair.sign(&digest(&request)));
    request
}

/// Checks that a repair request is signed by the member of `set` it names.
pub fn verify_repair_request(
    request: &RepairRequest,
    set: &VerifierSet,
) -> Result<(), AttestError> {
    verify_with_key(request.verifier, &request.signature, &digest(request), set).map(|_| ())
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
        let req = sign_repair_request(
            &kps[1],
            VerifierIndex(1),
            slot,
            Period(9),
            ContentId([4; 32]),
        );
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
