//! A verifier's durable store, in memory: every [`Output::Persist`] of its engine applied in
//! order, as the node's RocksDB store applies them, and read back as a [`Restored`] when the
//! engine restarts, with only the certificates of the periods from the last prune on (the
//! health checkpoints hold the rest, as in the node's store). It also checks what a store can
//! check: the health change log stays gap-free across restarts, checkpoints come with the
//! prune that settled them, and nothing it holds is rewritten differently.
//!
//! [`Output::Persist`]: proofmesh_verifier::engine::Output::Persist

use proofmesh_proto::{
    AttestationBatch, ContentId, DatasetAnnounce, DatasetRoot, Period, QuorumCertificate,
    SlotAssign, SlotId, VerifierIndex, WireMessage,
};
use proofmesh_verifier::engine::{Restored, Writes};
use proofmesh_verifier::health::DatasetCheckpoint;
use std::collections::BTreeMap;

/// What one verifier's store holds.
#[derive(Clone, Debug, Default)]
pub struct Store {
    datasets: BTreeMap<DatasetRoot, DatasetAnnounce>,
    assignments: BTreeMap<(SlotId, Period), SlotAssign>,
    attestations: BTreeMap<(Period, VerifierIndex, ContentId), AttestationBatch>,
    certificates: BTreeMap<(Period, SlotId, ContentId), QuorumCertificate>,
    last_sequence: u64,
    health: BTreeMap<DatasetRoot, DatasetCheckpoint>,
    proofs_seen: BTreeMap<ContentId, Period>,
    pruned_before: Period,
    writes: u64,
}

impl Store {
    /// Applies one step's write batch (atomically: a violation leaves the store unchanged and
    /// says what the engine got wrong).
    pub fn apply(&mut self, w: Writes) -> Result<(), String> {
        let mut next = self.clone();
        next.writes += 1;
        for a in w.datasets {
            if next.datasets.get(&a.root).is_some_and(|known| *known != a) {
                return Err(format!("dataset {} rewritten differently", a.root));
            }
            next.datasets.insert(a.root, a);
        }
        for s in w.assignments {
            // Of two for one (slot, first period), the smaller content id wins: the engine
            // may replace a stored one only by a winner.
            let key = (s.slot, s.from_period);
            if next
                .assignments
                .get(&key)
                .is_some_and(|known| known.content_id() <= s.content_id())
                && next.assignments.get(&key) != Some(&s)
            {
                return Err(format!("assignment of {} replaced by a losing one", s.slot));
            }
            next.assignments.insert(key, s);
        }
        for b in w.attestations {
            let b = b.into_inner();
            next.attestations
                .insert((b.period, b.verifier, b.content_id()), b);
        }
        for c in w.certificates {
            let c = c.into_inner();
            next.certificates
                .insert((c.period, c.entry.slot, c.content_id()), c);
        }
        for change in w.health {
            if change.sequence != next.last_sequence + 1 {
                return Err(format!(
                    "health change {} written after {} (the log must be gap-free)",
                    change.sequence, next.last_sequence
                ));
            }
            next.last_sequence = change.sequence;
        }
        if !w.health_settled.is_empty() && w.prune_before.is_none() {
            return Err(
                "health checkpoints written without the prune point that settled them".into(),
            );
        }
        for c in w.health_settled {
            next.health.insert(c.dataset, c);
        }
        for (id, period) in w.proofs_seen {
            next.proofs_seen.insert(id, period);
        }
        if let Some(p) = w.prune_before {
            next.pruned_before = next.pruned_before.max(p);
            let keep = next.pruned_before;
            next.attestations
                .retain(|(period, _, _), _| *period >= keep);
            next.proofs_seen.retain(|_, period| *period >= keep);
        }
        *self = next;
        Ok(())
    }

    /// What a restarting engine is given ([`proofmesh_verifier::engine::Engine::new`]).
    pub fn restored(&self) -> Restored {
        Restored {
            datasets: self.datasets.values().cloned().collect(),
            assignments: self.assignments.values().cloned().collect(),
            attestations: self.attestations.values().cloned().collect(),
            pruned_before: self.pruned_before,
            health: self.health.values().cloned().collect(),
            certificates: self
                .certificates
                .iter()
                .filter(|((period, _, _), _)| *period >= self.pruned_before)
                .map(|(_, c)| c.clone())
                .collect(),
            last_sequence: self.last_sequence,
            proofs_seen: self.proofs_seen.iter().map(|(id, p)| (*id, *p)).collect(),
        }
    }

    /// Stored announcements.
    pub fn datasets(&self) -> impl Iterator<Item = &DatasetAnnounce> {
        self.datasets.values()
    }

    /// Stored slot claims.
    pub fn assignments(&self) -> impl Iterator<Item = &SlotAssign> {
        self.assignments.values()
    }

    /// Stored attestation batches (pruned ones gone).
    pub fn attestations(&self) -> impl Iterator<Item = &AttestationBatch> {
        self.attestations.values()
    }

    /// Every certificate ever stored.
    pub fn certificates(&self) -> impl Iterator<Item = &QuorumCertificate> {
        self.certificates.values()
    }

    /// The stored certificate with this id.
    pub fn certificate(&self, id: &ContentId) -> Option<&QuorumCertificate> {
        self.certificates
            .iter()
            .find(|((_, _, i), _)| i == id)
            .map(|(_, c)| c)
    }

    /// Per (period, slot), the best stored certificate (most signers, then the smallest id):
    /// what an engine restored from this store must hold.
    pub fn best_certificates(&self) -> BTreeMap<(Period, SlotId), ContentId> {
        let mut best: BTreeMap<(Period, SlotId), (usize, ContentId)> = BTreeMap::new();
        for ((period, slot, id), c) in &self.certificates {
            let n = c.signers.len();
            let entry = best.entry((*period, *slot)).or_insert((n, *id));
            if n > entry.0 || (n == entry.0 && *id < entry.1) {
                *entry = (n, *id);
            }
        }
        best.into_iter().map(|(k, (_, id))| (k, id)).collect()
    }

    /// The highest health change sequence written.
    pub fn last_sequence(&self) -> u64 {
        self.last_sequence
    }

    /// The stored health checkpoints.
    pub fn health(&self) -> impl Iterator<Item = &DatasetCheckpoint> {
        self.health.values()
    }

    /// Periods before this were pruned.
    pub fn pruned_before(&self) -> Period {
        self.pruned_before
    }

    /// Seen-proof records held.
    pub fn proofs_seen(&self) -> usize {
        self.proofs_seen.len()
    }

    /// Write batches applied.
    pub fn writes(&self) -> u64 {
        self.writes
    }
}
