//! Signing a verifier's batch for a period, and checking a received batch's signature
//! against the verifier set in force for that period.

use super::keys::{
    parse_signature, signature_bytes, succeeded, VerifierKeypair, VerifierPublicKey,
};
use super::message::signing_message;
use super::tree::EntriesTree;
use super::BLS_DST;
use crate::error::AttestError;
use proofmesh_proto::wire::MAX_BATCH_ENTRIES;
use proofmesh_proto::{
    AttestationBatch, BlsSignature, Period, SlotVerdict, VerifierIndex, VerifierSet,
};

/// Checks what a batch's entries must satisfy before anything is hashed or signed: strictly
/// ascending by slot (one verdict per slot, one canonical order) and within the size bound.
/// Returns the entry count as signed.
pub(crate) fn check_batch_shape(entries: &[SlotVerdict]) -> Result<u32, AttestError> {
    let too_many = AttestError::TooManyEntries {
        got: entries.len(),
        max: MAX_BATCH_ENTRIES,
    };
    if entries.len() > MAX_BATCH_ENTRIES {
        return Err(too_many);
    }
    if let Some(position) = entries.windows(2).position(|w| w[0].slot >= w[1].slot) {
        return Err(AttestError::UnsortedEntries {
            position: position + 1,
        });
    }
    u32::try_from(entries.len()).map_err(|_| too_many)
}

/// Checks that `set` can apply to `period` (it took effect at or before it).
pub(crate) fn check_period(period: Period, set: &VerifierSet) -> Result<(), AttestError> {
    if period < set.effective_from {
        return Err(AttestError::WrongVerifierSet {
            period: period.0,
            effective_from: set.effective_from.0,
        });
    }
    Ok(())
}

/// Signs `entries` as `verifier`'s attestation for `period`. Entries must be strictly ascending
/// by slot: the order is part of what is signed, so it must be canonical.
pub fn sign_batch(
    keypair: &VerifierKeypair,
    verifier: VerifierIndex,
    period: Period,
    entries: Vec<SlotVerdict>,
) -> Result<AttestationBatch, AttestError> {
    let count = check_batch_shape(&entries)?;
    let root = EntriesTree::new(&entries).root();
    let signature = keypair.sign(&signing_message(period, verifier, count, &root));
    Ok(AttestationBatch {
        verifier,
        period,
        entries,
        signature: signature_bytes(&signature),
    })
}

/// Verifies a received batch: its shape, its signer's membership in `set` (the set in force for
/// the batch's period) and its BLS signature over the batch's signing message.
pub fn verify_batch_signature(
    batch: &AttestationBatch,
    set: &VerifierSet,
) -> Result<(), AttestError> {
    let count = check_batch_shape(&batch.entries)?;
    let root = EntriesTree::new(&batch.entries).root();
    verify_signed_root(batch, set, count, &root).map(|_| ())
}

/// The checks of [`verify_batch_signature`] once the tree is built; returns the parsed
/// signature so a pool can aggregate it later without parsing it again.
pub(crate) fn verify_signed_root(
    batch: &AttestationBatch,
    set: &VerifierSet,
    count: u32,
    root: &[u8; 32],
) -> Result<blst::min_pk::Signature, AttestError> {
    check_period(batch.period, set)?;
    let message = signing_message(batch.period, batch.verifier, count, root);
    verify_with_key(batch.verifier, &batch.signature, &message, set)
}

/// Verifies `verifier`'s signature over a 32-byte message under [`BLS_DST`], with the key
/// `set` registers for it; returns the parsed signature.
pub(crate) fn verify_with_key(
    verifier: VerifierIndex,
    signature: &BlsSignature,
    message: &[u8; 32],
    set: &VerifierSet,
) -> Result<blst::min_pk::Signature, AttestError> {
    let member = set.member(verifier).ok_or(AttestError::UnknownVerifier {
        verifier: verifier.0,
        members: set.members.len(),
    })?;
    let key = VerifierPublicKey::parse(&member.key, verifier)?;
    let signature = parse_signature(signature)?;
    let result = signature.verify(false, message, BLS_DST, &[], key.point(), false);
    if succeeded(result) {
        Ok(signature)
    } else {
        Err(AttestError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proofmesh_proto::{DatasetRoot, SlotId, Verdict, VerifierMember};

    fn slot(i: u16) -> SlotId {
        SlotId {
            dataset: DatasetRoot::from_le_bytes([9; 32]).unwrap(),
            index: i,
        }
    }

    fn entry(i: u16, verdict: Verdict) -> SlotVerdict {
        SlotVerdict {
            slot: slot(i),
            verdict,
        }
    }

    #[test]
    fn unsorted_and_duplicate_slots_are_refused() {
        let kp = VerifierKeypair::from_seed(&[3; 32]).unwrap();
        let sign = |e| sign_batch(&kp, VerifierIndex(0), Period(1), e);
        assert_eq!(
            sign(vec![entry(2, Verdict::Valid), entry(1, Verdict::Valid)]),
            Err(AttestError::UnsortedEntries { position: 1 })
        );
        assert_eq!(
            sign(vec![
                entry(0, Verdict::Valid),
                entry(1, Verdict::Valid),
                entry(1, Verdict::Missing)
            ]),
            Err(AttestError::UnsortedEntries { position: 2 })
        );
        assert!(sign(vec![]).is_ok());
    }

    #[test]
    fn set_must_be_in_force() {
        let kp = VerifierKeypair::from_seed(&[3; 32]).unwrap();
        let batch = sign_batch(&kp, VerifierIndex(0), Period(4), vec![]).unwrap();
        let set = VerifierSet {
            effective_from: Period(5),
            members: vec![VerifierMember {
                key: kp.public_key(),
                weight: 1,
            }],
        };
        assert_eq!(
            verify_batch_signature(&batch, &set),
            Err(AttestError::WrongVerifierSet {
                period: 4,
                effective_from: 5
            })
        );
    }
}
