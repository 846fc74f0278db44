//! Counting votes: what each verifier says about each slot of a period (one verdict, or
//! nothing because it equivocated), and which verdict, if any, has a 2/3 quorum of weight.

use super::pool::{SignerBatches, StoredBatch};
use proofmesh_proto::{SlotId, Verdict, VerifierIndex, VerifierSet};
use std::collections::BTreeMap;

/// One verifier's position on one (slot, period).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Vote<'a> {
    /// Every batch of the signer that names the slot gives this verdict; `batch` is the first
    /// such batch in signing-message order (the one a certificate cites) and `index` the
    /// entry's position in it.
    One {
        verdict: Verdict,
        batch: &'a StoredBatch,
        index: usize,
    },
    /// The signer gave the slot different verdicts: it counts for none.
    Conflict,
}

/// Folds one more batch's verdict into a signer's vote. Batches must be folded in
/// signing-message order so the cited batch is deterministic.
pub(crate) fn merge_vote<'a>(
    vote: &mut Option<Vote<'a>>,
    batch: &'a StoredBatch,
    index: usize,
    verdict: Verdict,
) {
    *vote = match *vote {
        None => Some(Vote::One {
            verdict,
            batch,
            index,
        }),
        Some(Vote::One { verdict: v, .. }) if v != verdict => Some(Vote::Conflict),
        keep => keep,
    };
}

/// Every signer's vote on every slot named in a period, by slot then signer.
pub(crate) fn period_votes(
    signers: &BTreeMap<VerifierIndex, SignerBatches>,
) -> BTreeMap<SlotId, BTreeMap<VerifierIndex, Vote<'_>>> {
    let mut by_slot: BTreeMap<SlotId, BTreeMap<VerifierIndex, Option<Vote<'_>>>> = BTreeMap::new();
    for (verifier, batches) in signers {
        for stored in batches.values() {
            for (index, entry) in stored.batch.entries.iter().enumerate() {
                let vote = by_slot
                    .entry(entry.slot)
                    .or_default()
                    .entry(*verifier)
                    .or_default();
                merge_vote(vote, stored, index, entry.verdict);
            }
        }
    }
    by_slot
        .into_iter()
        .map(|(slot, votes)| {
            let votes = votes.into_iter().filter_map(|(v, vote)| Some((v, vote?)));
            (slot, votes.collect())
        })
        .collect()
}

/// The verdict whose non-equivocating signers in `set` hold ≥ 2/3 of its weight. Each signer
/// counts for at most one verdict, so two verdicts can never both reach 2/3.
pub(crate) fn decide(
    votes: &BTreeMap<VerifierIndex, Vote<'_>>,
    set: &VerifierSet,
) -> Option<Verdict> {
    let mut weight = [0u128; Verdict::ALL.len()];
    for (verifier, vote) in votes {
        if let (Vote::One { verdict, .. }, Some(member)) = (vote, set.member(*verifier)) {
            let i = Verdict::ALL.iter().position(|v| v == verdict)?;
            weight[i] += u128::from(member.weight);
        }
    }
    Verdict::ALL
        .into_iter()
        .zip(weight)
        .find(|(_, w)| set.is_quorum(*w))
        .map(|(verdict, _)| verdict)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::attest::{sign_batch, EntriesTree, VerifierKeypair};
    use blst::min_pk::Signature;
    use proofmesh_proto::{BlsPublicKey, Period, VerifierMember};

    fn stored() -> StoredBatch {
        let kp = VerifierKeypair::from_seed(&[1; 32]).unwrap();
        let batch = sign_batch(&kp, VerifierIndex(0), Period(0), vec![]).unwrap();
        let signature = Signature::from_bytes(&batch.signature.0).unwrap();
        StoredBatch {
            tree: EntriesTree::new(&batch.entries),
            batch,
            signature,
        }
    }

    fn set(weights: &[u64]) -> VerifierSet {
        VerifierSet {
            effective_from: Period(0),
            members: weights
                .iter()
                .map(|&weight| VerifierMember {
                    key: BlsPublicKey([0; 48]),
                    weight,
                })
                .collect(),
        }
    }

    fn votes(list: Vec<(u16, Vote<'_>)>) -> BTreeMap<VerifierIndex, Vote<'_>> {
        list.into_iter()
            .map(|(v, x)| (VerifierIndex(v), x))
            .collect()
    }

    #[test]
    fn equivocators_and_strangers_count_for_nothing() {
        let b = stored();
        let one = |verdict| Vote::One {
            verdict,
            batch: &b,
            index: 0,
        };
        let set = set(&[4, 1, 1]); // total 6, quorum 4
        assert_eq!(
            decide(&votes(vec![(0, one(Verdict::Valid))]), &set),
            Some(Verdict::Valid)
        );
        assert_eq!(
            decide(
                &votes(vec![
                    (0, Vote::Conflict),
                    (1, one(Verdict::Missing)),
                    (2, one(Verdict::Missing))
                ]),
                &set
            ),
            None
        );
        // Index 3 is not in the set: its vote has no weight.
        assert_eq!(
            decide(
                &votes(vec![
                    (1, one(Verdict::Valid)),
                    (2, one(Verdict::Valid)),
                    (3, one(Verdict::Valid))
                ]),
                &set
            ),
            None
        );

        // Folding: same verdict keeps the first batch; a different one is a conflict for good.
        let mut vote = None;
        merge_vote(&mut vote, &b, 0, Verdict::Valid);
        merge_vote(&mut vote, &b, 1, Verdict::Valid);
        assert!(matches!(vote, Some(Vote::One { index: 0, .. })));
        merge_vote(&mut vote, &b, 2, Verdict::Invalid);
        merge_vote(&mut vote, &b, 3, Verdict::Valid);
        assert!(matches!(vote, Some(Vote::Conflict)));
    }
}
