//! Datasets and slot assignments known to this node (altruistic mode: from signed gossip;
//! chain mode: from the marketplace). Duties are derived from it.
//!
//! An announcement is kept if its owner signed it and its slot roots hash to its root (the
//! same Poseidon2 tree the circuit proves against). An assignment is kept only if the
//! dataset's owner signed it. Per slot, assignments are ordered by their first period; two
//! different owner-signed assignments of one (slot, first period) — the owner equivocating —
//! are settled by the smaller content id, so every node keeps the same one whatever order they
//! arrive in (docs/decisions.md, "Owners assign slots").

use super::error::IntakeError;
use crate::duty::is_proof_required;
use ark_bn254::Fr;
use ark_ff::PrimeField;
use ed25519_dalek::{Signature, VerifyingKey};
use proofmesh_circuits::MerkleTree;
use proofmesh_proto::{
    DatasetAnnounce, DatasetRoot, Period, ProviderKey, ProviderSignature, SlotAssign, SlotId,
    WireMessage,
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

/// Whether `a`'s slot roots hash to its dataset root: the root of the Poseidon2 tree over them
/// with Codex's keyed compression (`proofmesh_circuits::MerkleTree`, what the prover commits
/// with and the circuit's dataset path reconstructs).
pub fn slot_roots_match(a: &DatasetAnnounce) -> bool {
    let leaves: Vec<Fr> = a
        .slot_roots
        .iter()
        .map(|r| Fr::from_le_bytes_mod_order(r.as_bytes()))
        .collect();
    MerkleTree::new(leaves)
        .is_ok_and(|t| Fr::from_le_bytes_mod_order(a.root.as_bytes()) == t.root())
}

/// Announced datasets and who holds each slot from which period.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    datasets: BTreeMap<DatasetRoot, DatasetAnnounce>,
    /// Per slot: assignments by their first period.
    assignments: HashMap<SlotId, BTreeMap<Period, SlotAssign>>,
    /// Bumped by every new announcement: duties derived from an older version are stale.
    version: u64,
    /// Slots a repair reassigned (on the loss's evidence and the winning claim, not on the
    /// owner's signature): the volunteer and its first period.
    repaired: HashMap<SlotId, (Period, ProviderKey)>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a signed dataset announcement; `Ok(false)` if it was already known. Refused if
    /// its owner did not sign it, if its slot roots do not hash to its root, or if the root is
    /// known with other parameters (the first one seen here stays).
    pub fn announce(&mut self, a: DatasetAnnounce) -> Result<bool, IntakeError> {
        if !provider_signature_ok(&a.owner, &a.signing_bytes(), &a.signature) {
            return Err(IntakeError::BadSignature("dataset owner"));
        }
        match self.datasets.get(&a.root) {
            Some(known) if *known == a => Ok(false),
            Some(_) => Err(IntakeError::Conflict(
                "dataset already announced with other parameters",
            )),
            None if !slot_roots_match(&a) => Err(IntakeError::RootMismatch(a.root.to_string())),
            None => {
                self.datasets.insert(a.root, a);
                self.version += 1;
                Ok(true)
            }
        }
    }

    /// Records an owner-signed slot assignment: `Ok(true)` if it is new here (or replaces a
    /// losing one), `Ok(false)` if exactly it is held. Refused if the dataset is unknown
    /// (`UnknownDataset`: it may come later), the slot does not exist, the dataset's owner did
    /// not sign it (`NotOwner`), or another assignment of the same slot and first period has a
    /// smaller content id (`Superseded`). The last rule makes the registry a function of the
    /// set of assignments seen, not of their order.
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
        let per_slot = self.assignments.entry(s.slot).or_default();
        let known = per_slot.get(&s.from_period);
        if known == Some(&s) {
            return Ok(false);
        }
        if !provider_signature_ok(&dataset.owner, &s.signing_bytes(), &s.signature) {
            return Err(IntakeError::NotOwner(s.slot));
        }
        if known.is_some_and(|k| k.content_id() < s.content_id()) {
            return Err(IntakeError::Superseded(s.slot));
        }
        per_slot.insert(s.from_period, s);
        Ok(true)
    }

    /// Adds a dataset this node stored when it accepted it, at a restart: not checked again
    /// (it was when it arrived; re-hashing every dataset's slot-root tree and re-verifying
    /// every signature would make a restart of a node watching many datasets slow). Only the
    /// store may feed this. `false` if the root is already held.
    pub fn restore_dataset(&mut self, a: DatasetAnnounce) -> bool {
        if self.datasets.contains_key(&a.root) {
            return false;
        }
        self.datasets.insert(a.root, a);
        self.version += 1;
        true
    }

    /// Adds an assignment this node stored when it accepted it, at a restart: its signature
    /// is not checked again, the conflict rule still holds (of two for one slot and first
    /// period, the smaller content id stays). `false` if it was not kept (unknown dataset or
    /// slot, or a winning assignment is held).
    pub fn restore_assignment(&mut self, s: SlotAssign) -> bool {
        let Some(dataset) = self.datasets.get(&s.slot.dataset) else {
            return false;
        };
        if s.slot.index >= dataset.slots() {
            return false;
        }
        let per_slot = self.assignments.entry(s.slot).or_default();
        if per_slot
            .get(&s.from_period)
            .is_some_and(|k| k.content_id() <= s.content_id())
        {
            return false;
        }
        per_slot.insert(s.from_period, s);
        true
    }

    /// The assignment in force for `slot` in `period` (the latest whose first period is at or
    /// before it).
    pub fn assignment_at(&self, slot: &SlotId, period: Period) -> Option<&SlotAssign> {
        self.assignments
            .get(slot)?
            .range(..=period)
            .next_back()
            .map(|(_, a)| a)
    }

    /// Every assignment held, slot by slot, each slot's by first period.
    pub fn assignments(&self) -> impl Iterator<Item = &SlotAssign> {
        let mut slots: Vec<_> = self.assignments.iter().collect();
        slots.sort_by_key(|(slot, _)| **slot);
        slots.into_iter().flat_map(|(_, per)| per.values())
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

    /// The provider answering for `slot` in `period`: the assignee of
    /// [`Registry::assignment_at`], unless a repair reassigned the slot from a later period
    /// (then the volunteer; an owner's assignment from after the repair's first period
    /// takes the slot back).
    pub fn provider_at(&self, slot: &SlotId, period: Period) -> Option<&ProviderKey> {
        let owner = self.assignment_at(slot, period);
        match self.repaired.get(slot) {
            Some((from, volunteer))
                if *from <= period && owner.is_none_or(|a| a.from_period < *from) =>
            {
                Some(volunteer)
            }
            _ => owner.map(|a| &a.provider),
        }
    }

    /// Reassigns `slot` to `volunteer` from period `from` by repair (the engine's claim book
    /// decided it); `None` clears it (the claim expired undelivered).
    pub fn set_repair(&mut self, slot: SlotId, assignee: Option<(Period, ProviderKey)>) {
        match assignee {
            Some(a) => {
                self.repaired.insert(slot, a);
            }
            None => {
                self.repaired.remove(&slot);
            }
        }
    }

    /// Every slot that owes a proof in the period whose entropy is `entropy`, in canonical
    /// order. Slots nobody has been assigned still owe one: their verdict will be `Missing`,
    /// which is the truth about them. A dataset with `proof_probability` 0 owes none.
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

    /// Every slot that owes a heartbeat in every period, in canonical order: the slots of the
    /// datasets that owe no storage proofs (`proof_probability` 0; the seed's communities that
    /// want only an agreed liveness view). Unassigned ones too: their verdict is `Missing`.
    pub fn heartbeat_duties(&self) -> Vec<SlotId> {
        self.datasets
            .values()
            .filter(|d| !d.has_proof_duties())
            .flat_map(|d| {
                (0..d.slots()).map(move |index| SlotId {
                    dataset: d.root,
                    index,
                })
            })
            .collect()
    }

    /// Whether `slot`'s duty is a heartbeat (its dataset owes no storage proofs).
    pub fn owes_heartbeats(&self, slot: &SlotId) -> bool {
        self.dataset(&slot.dataset)
            .is_some_and(|d| !d.has_proof_duties())
    }
}
