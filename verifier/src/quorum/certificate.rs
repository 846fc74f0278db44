//! Quorum certificates: building one from a pool's votes, and verifying one with nothing but
//! the verifier set — the certified entry's inclusion in each signer's signed batch, then one
//! aggregate pairing check over the signers' distinct messages.

use super::tally::Vote;
use super::verified::VerifiedCertificate;
use crate::attest::{
    aggregate_parsed, check_period, entry_leaf, signing_message, succeeded, verify_inclusion,
    VerifierPublicKey, BLS_DST,
};
use crate::error::AttestError;
use blst::min_pk::Signature;
use proofmesh_proto::{
    Period, QuorumCertificate, SignerBitfield, SignerProof, SlotId, SlotVerdict, Verdict,
    VerifierIndex, VerifierSet,
};
use std::collections::BTreeMap;

/// The certificate for `verdict` on `slot`: every signer that voted for it (ascending), one
/// inclusion proof each, and their batch signatures aggregated. `None` if nobody in `set`
/// voted for it.
pub(crate) fn build_certificate(
    period: Period,
    slot: SlotId,
    verdict: Verdict,
    votes: &BTreeMap<VerifierIndex, Vote<'_>>,
    set: &VerifierSet,
) -> Option<QuorumCertificate> {
    let mut signers = SignerBitfield::new();
    let mut proofs = Vec::new();
    let mut signatures = Vec::new();
    for (verifier, vote) in votes {
        let Vote::One {
            verdict: v,
            batch,
            index,
        } = vote
        else {
            continue;
        };
        if *v != verdict || set.member(*verifier).is_none() {
            continue;
        }
        signers.insert(*verifier);
        proofs.push(SignerProof {
            entries_root: batch.tree.root(),
            entry_index: u32::try_from(*index).ok()?,
            entry_count: u32::try_from(batch.tree.len()).ok()?,
            path: batch.tree.path(*index)?,
        });
        signatures.push(&batch.signature);
    }
    let aggregate_signature = aggregate_parsed(&signatures).ok()?;
    Some(QuorumCertificate {
        period,
        entry: SlotVerdict { slot, verdict },
        signers,
        proofs,
        aggregate_signature,
    })
}

/// Verifies a certificate and returns it as a [`VerifiedCertificate`], the only form the
/// engine and the store take.
pub fn check_certificate(
    cert: QuorumCertificate,
    set: &VerifierSet,
) -> Result<VerifiedCertificate, AttestError> {
    verify_certificate(&cert, set)?;
    Ok(VerifiedCertificate::new(cert))
}

/// Verifies a certificate against the verifier set in force for its period: the signers are
/// members, hold a 2/3 quorum of weight and have one proof each; each proof places the entry
/// in a batch root; and the aggregated signature verifies over every signer's message for its
/// root. Cheap checks come first, the pairings last.
pub fn verify_certificate(cert: &QuorumCertificate, set: &VerifierSet) -> Result<(), AttestError> {
    check_period(cert.period, set)?;
    if cert.signers.is_empty() {
        return Err(AttestError::NoSigners);
    }
    let signers: Vec<VerifierIndex> = cert.signers.iter().collect();
    if signers.len() != cert.proofs.len() {
        return Err(AttestError::ProofCount {
            signers: signers.len(),
            proofs: cert.proofs.len(),
        });
    }
    let mut weight = 0u128;
    for v in &signers {
        let member = set.member(*v).ok_or(AttestError::UnknownVerifier {
            verifier: v.0,
            members: set.members.len(),
        })?;
        weight += u128::from(member.weight);
    }
    if !set.is_quorum(weight) {
        return Err(AttestError::NoQuorum {
            weight,
            total: set.total_weight(),
        });
    }
    let leaf = entry_leaf(&cert.entry);
    let mut messages = Vec::with_capacity(signers.len());
    for (v, proof) in signers.iter().zip(&cert.proofs) {
        let included = verify_inclusion(
            &leaf,
            proof.entry_index,
            proof.entry_count,
            &proof.path,
            &proof.entries_root,
        );
        if !included {
            return Err(AttestError::BadInclusionProof { verifier: v.0 });
        }
        messages.push(signing_message(
            cert.period,
            *v,
            proof.entry_count,
            &proof.entries_root,
        ));
    }
    let keys = signers
        .iter()
        .map(|v| match set.member(*v) {
            Some(m) => VerifierPublicKey::parse(&m.key, *v),
            None => Err(AttestError::UnknownVerifier {
                verifier: v.0,
                members: set.members.len(),
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let signature = Signature::sig_validate(&cert.aggregate_signature.0, true)
        .map_err(|_| AttestError::MalformedSignature)?;
    // Messages are distinct (each contains its signer's index), so the plain aggregate check is
    // sound without proofs of possession.
    let messages: Vec<&[u8]> = messages.iter().map(|m| m.as_slice()).collect();
    let keys: Vec<_> = keys.iter().map(VerifierPublicKey::point).collect();
    let result = signature.aggregate_verify(false, &messages, BLS_DST, &keys, false);
    if succeeded(result) {
        Ok(())
    } else {
        Err(AttestError::BadSignature)
    }
}
