//! The attestation pool: a grow-only set of verified batches, keyed by period, signer and
//! signing message, with insertion (verify once, ignore duplicates, keep equivocations) and
//! merge (set union).

use super::certificate::build_certificate;
use super::tally::{decide, merge_vote, period_votes, Vote};
use crate::attest::{check_batch_shape, signing_message, verify_signed_root, EntriesTree};
use crate::error::AttestError;
use blst::min_pk::Signature;
use proofmesh_proto::{
    AttestationBatch, Period, QuorumCertificate, SlotId, Verdict, VerifierIndex, VerifierSet,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One verified batch with what later steps need, computed once: its entries tree (inclusion
/// proofs for certificates) and its parsed signature (aggregation without re-validation).
#[derive(Debug)]
pub(crate) struct StoredBatch {
    pub(crate) batch: AttestationBatch,
    pub(crate) tree: EntriesTree,
    pub(crate) signature: Signature,
}

impl StoredBatch {
    /// The verdict this batch gives `slot`, with the entry's position.
    pub(crate) fn verdict_of(&self, slot: &SlotId) -> Option<(usize, Verdict)> {
        let entries = &self.batch.entries;
        let i = entries.binary_search_by(|e| e.slot.cmp(slot)).ok()?;
        Some((i, entries[i].verdict))
    }
}

/// A signer's batches for one period, keyed by signing message (one key per distinct batch;
/// more than one only when the signer equivocated or re-signed).
pub(crate) type SignerBatches = BTreeMap<[u8; 32], Arc<StoredBatch>>;

/// What [`AttestationPool::insert`] did with a batch, so gossip validation can map it to
/// Accept (inserted, forward it) or Ignore (a duplicate, already forwarded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    /// A new batch, consistent with everything its signer signed for the period.
    Inserted,
    /// This exact batch was already in the pool; nothing changed.
    Duplicate,
    /// A new batch that contradicts an earlier batch of the same signer for the same period on
    /// these slots (ascending). It is kept as evidence: forward it so every node sees it, and
    /// the signer now counts for no verdict on these slots.
    Equivocation {
        /// The slots with conflicting verdicts.
        slots: Vec<SlotId>,
    },
}

/// Proof that one verifier signed conflicting verdicts for the same period: both batches
/// (each verifiable on its own with [`crate::attest::verify_batch_signature`]) and the slots
/// on which they disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Equivocation {
    /// The period of both batches.
    pub period: Period,
    /// The equivocating verifier.
    pub verifier: VerifierIndex,
    /// Slots with different verdicts in the two batches, ascending.
    pub slots: Vec<SlotId>,
    /// One batch (the smaller signing message).
    pub first: AttestationBatch,
    /// The other batch.
    pub second: AttestationBatch,
}

/// Every verified attestation batch a node has seen, as a grow-only set. Cloning is cheap
/// (batches are shared); merging two pools gives the same pool in any order.
///
/// All batches are assumed to be for periods governed by one verifier set per period, and the
/// same set must be passed to [`insert`](Self::insert), [`final_verdict`](Self::final_verdict)
/// and [`certificates`](Self::certificates) for a period.
#[derive(Clone, Debug, Default)]
pub struct AttestationPool {
    periods: BTreeMap<Period, BTreeMap<VerifierIndex, SignerBatches>>,
}

impl AttestationPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a received batch after checking its shape and signature against `set` (the set in
    /// force for its period). An exact duplicate is recognised before any cryptography and
    /// changes nothing; a batch contradicting an earlier one of the same signer is kept as
    /// equivocation evidence. Errors leave the pool unchanged.
    pub fn insert(
        &mut self,
        batch: AttestationBatch,
        set: &VerifierSet,
    ) -> Result<InsertOutcome, AttestError> {
        let count = check_batch_shape(&batch.entries)?;
        let tree = EntriesTree::new(&batch.entries);
        let key = signing_message(batch.period, batch.verifier, count, &tree.root());
        let existing = self
            .periods
            .get(&batch.period)
            .and_then(|p| p.get(&batch.verifier));
        if let Some(stored) = existing.and_then(|b| b.get(&key)) {
            if stored.batch.signature == batch.signature {
                return Ok(InsertOutcome::Duplicate);
            }
            // Same message, other bytes: BLS signatures are unique and their encoding is
            // canonical, so this one cannot verify; check it to blame the sender properly.
            verify_signed_root(&batch, set, count, &tree.root())?;
            return Ok(InsertOutcome::Duplicate);
        }
        let signature = verify_signed_root(&batch, set, count, &tree.root())?;
        let stored = StoredBatch {
            batch,
            tree,
            signature,
        };
        let slots = existing.map_or_else(Vec::new, |others| {
            let conflicts: BTreeSet<SlotId> = others
                .values()
                .flat_map(|other| conflicting_slots(other, &stored))
                .collect();
            conflicts.into_iter().collect()
        });
        self.put(key, Arc::new(stored));
        Ok(if slots.is_empty() {
            InsertOutcome::Inserted
        } else {
            InsertOutcome::Equivocation { slots }
        })
    }

    fn put(&mut self, key: [u8; 32], stored: Arc<StoredBatch>) {
        self.periods
            .entry(stored.batch.period)
            .or_default()
            .entry(stored.batch.verifier)
            .or_default()
            .entry(key)
            .or_insert(stored);
    }

    /// Adds every batch of `other` (set union). `other` is a pool, so its batches were
    /// verified when they entered it; nothing is verified again. Commutative, associative and
    /// idempotent: the result depends only on the union of batches.
    pub fn merge(&mut self, other: &AttestationPool) {
        for (period, signers) in &other.periods {
            for batches in signers.values() {
                for (key, stored) in batches {
                    let mine = self
                        .periods
                        .get(period)
                        .and_then(|p| p.get(&stored.batch.verifier).and_then(|b| b.get(key)));
                    if mine.is_none() {
                        self.put(*key, Arc::clone(stored));
                    }
                }
            }
        }
    }

    /// Drops every period before `period`, whose certificates are already final and stored;
    /// a node that does this keeps converging with the others for the periods it keeps.
    pub fn prune_before(&mut self, period: Period) {
        self.periods = self.periods.split_off(&period);
    }

    /// Number of distinct batches held.
    pub fn len(&self) -> usize {
        self.periods
            .values()
            .flat_map(|p| p.values())
            .map(BTreeMap::len)
            .sum()
    }

    /// Whether the pool holds no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batches held for `period`, by signer then signing message: what a node serves to a
    /// peer that syncs the period.
    pub fn batches(&self, period: Period) -> impl Iterator<Item = &AttestationBatch> + '_ {
        self.periods
            .get(&period)
            .into_iter()
            .flat_map(|p| p.values())
            .flat_map(|b| b.values())
            .map(|s| &s.batch)
    }

    /// Every pair of batches by one signer for one period that disagree on some slot, in
    /// (period, verifier, first, second) order: the evidence to keep and expose.
    pub fn equivocations(&self) -> Vec<Equivocation> {
        let mut out = Vec::new();
        for (period, signers) in &self.periods {
            for (verifier, batches) in signers.iter().filter(|(_, b)| b.len() > 1) {
                let list: Vec<&Arc<StoredBatch>> = batches.values().collect();
                for (i, a) in list.iter().enumerate() {
                    for b in &list[i + 1..] {
                        let slots = conflicting_slots(a, b);
                        if !slots.is_empty() {
                            out.push(Equivocation {
                                period: *period,
                                verifier: *verifier,
                                slots,
                                first: a.batch.clone(),
                                second: b.batch.clone(),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    /// The final verdict on `slot` in `period`: the one whose signers hold ≥ 2/3 of `set`'s
    /// weight, counting each verifier at most once and equivocators not at all. `None` while
    /// no verdict has a quorum (there can never be two).
    pub fn final_verdict(
        &self,
        period: Period,
        slot: SlotId,
        set: &VerifierSet,
    ) -> Option<Verdict> {
        if period < set.effective_from {
            return None;
        }
        let signers = self.periods.get(&period)?;
        let votes: BTreeMap<VerifierIndex, Vote<'_>> = signers
            .iter()
            .filter_map(|(v, batches)| {
                let mut vote = None;
                for stored in batches.values() {
                    if let Some((index, verdict)) = stored.verdict_of(&slot) {
                        merge_vote(&mut vote, stored, index, verdict);
                    }
                }
                vote.map(|vote| (*v, vote))
            })
            .collect();
        decide(&votes, set)
    }

    /// [`Self::certificates`], typed as verified: built from verified batches holding a quorum.
    pub fn verified_certificates(
        &self,
        period: Period,
        set: &VerifierSet,
    ) -> Vec<super::VerifiedCertificate> {
        self.certificates(period, set)
            .into_iter()
            .map(super::VerifiedCertificate::new)
            .collect()
    }

    /// A certificate for every slot of `period` with a final verdict, ascending by slot. Each
    /// names every verifier that signed the final verdict (not a minimal quorum), so the
    /// output is a function of the pool's contents alone: equal pools give equal certificates.
    pub fn certificates(&self, period: Period, set: &VerifierSet) -> Vec<QuorumCertificate> {
        if period < set.effective_from {
            return Vec::new();
        }
        let Some(signers) = self.periods.get(&period) else {
            return Vec::new();
        };
        period_votes(signers)
            .into_iter()
            .filter_map(|(slot, votes)| {
                let verdict = decide(&votes, set)?;
                build_certificate(period, slot, verdict, &votes, set)
            })
            .collect()
    }
}

/// Slots on which two batches of one signer give different verdicts, ascending.
fn conflicting_slots(a: &StoredBatch, b: &StoredBatch) -> Vec<SlotId> {
    a.batch
        .entries
        .iter()
        .filter(|e| b.verdict_of(&e.slot).is_some_and(|(_, v)| v != e.verdict))
        .map(|e| e.slot)
        .collect()
}
