//! Datasets and slot assignments known to this node (altruistic mode: from signed gossip;
//! chain mode: from the marketplace). Duties are derived from it.

use super::error::IntakeError;
use crate::duty::is_proof_required;
use ark_bn254::Fr;
use ed25519_dalek::{Signature, VerifyingKey};
use proofmesh_proto::{
    DatasetAnnounce, DatasetRoot, Period, ProviderKey, ProviderSignature, SlotAssign, SlotId,
};
use std::collections::{BTreeMap, HashMap};

/// Checks an Ed25519 signature by a provider or dataset owner (strict verification: no
/// malleable or small-order keys).
pub(crate) fn provider_signature_ok(
    key: &ProviderKey,
    msg: &[u8],
    sig: &ProviderSignature,
) -> bool {
    VerifyingKey::from_bytes(&key.0)
        .is_ok_and(|k| k.verify_strict(msg, &Signature::from_bytes(&sig.0)).is_ok())
}

/// Announced datasets and who holds each slot from which period.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    datasets: BTreeMap<DatasetRoot, DatasetAnnounce>,
    /// Per slot: assignments by their first period.
    assignments: HashMap<SlotId, BTreeMap<Period, SlotAssign>>,
    /// Bumped by every new announcement: duties derived from an older version are stale.
    version: u64,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a signed dataset announcement; `Ok(false)` if it was already known.
    pub fn announce(&mut self, a: DatasetAnnounce) -> Result<bool, IntakeError> {
        if !provider_signature_ok(&a.owner, &a.signing_bytes(), &a.signature) {
            return Err(IntakeError::BadSignature("dataset owner"));
        }
        match self.datasets.get(&a.root) {
            Some(known) if *known == a => Ok(false),
            Some(_) => Err(IntakeError::Conflict(
                "dataset already announced with other parameters",
            )),
            None => {
                self.datasets.insert(a.root, a);
                self.version += 1;
                Ok(true)
            }
        }
    }

    /// Records a signed slot claim; `Ok(false)` if it was already known.
    pub fn assign(&mut self, s: SlotAssign) -> Result<bool, IntakeError> {
        let dataset = self
            .datasets
            .get(&s.slot.dataset)
            .ok_or_else(|| IntakeError::UnknownDataset(s.slot.dataset.to_string()))?;
        if s.slot.index >= dataset.slots() {
            return Err(IntakeError::NoSuchSlot {
                slot: s.slot,
                slots: dataset.slots(),
            });
        }
        if !provider_signature_ok(&s.provider, &s.signing_bytes(), &s.signature) {
            return Err(IntakeError::BadSignature("slot claim"));
        }
        let per_slot = self.assignments.entry(s.slot).or_default();
        match per_slot.get(&s.from_period) {
            Some(known) if *known == s => Ok(false),
            Some(_) => Err(IntakeError::Conflict(
                "slot already claimed from that period",
            )),
            None => {
                per_slot.insert(s.from_period, s);
                Ok(true)
            }
        }
    }

    /// Changes whenever the set of datasets (and so of duties) changes.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// An announced dataset.
    pub fn dataset(&self, root: &DatasetRoot) -> Option<&DatasetAnnounce> {
        self.datasets.get(root)
    }

    /// Every announced dataset.
    pub fn datasets(&self) -> impl Iterator<Item = &DatasetAnnounce> {
        self.datasets.values()
    }

    /// The provider answering for `slot` in `period` (the latest claim starting at or before it).
    pub fn provider_at(&self, slot: &SlotId, period: Period) -> Option<&ProviderKey> {
        self.assignments
            .get(slot)?
            .range(..=period)
            .next_back()
            .map(|(_, a)| &a.provider)
    }

    /// Every slot that owes a proof in the period whose entropy is `entropy`, in canonical
    /// order. Slots nobody has claimed still owe one: their verdict will be `Missing`, which
    /// is the truth about them.
    pub fn duties(&self, entropy: Fr) -> Vec<SlotId> {
        self.datasets
            .values()
            .flat_map(|d| {
                (0..d.slots()).map(move |index| {
                    (
                        SlotId {
                            dataset: d.root,
                            index,
                        },
                        d.proof_probability,
                    )
                })
            })
            .filter(|(slot, p)| is_proof_required(entropy, slot, *p))
            .map(|(slot, _)| slot)
            .collect()
    }
}
