//! The node's durable state behind one trait: RocksDB in production ([`RocksStore`]), an
//! in-memory map in tests ([`MemoryStore`]). Both keep the same column families and the same
//! versioned value encoding, so a test on one says something about the other.
//!
//! What is stored, and why it is enough to restart with nothing lost:
//! - `datasets`, `assignments`: the registry (announcements and slot assignments), so duties are
//!   known again before any gossip arrives;
//! - `attestations`: every verified attestation batch (ours and others'), written durably
//!   *before* ours is published and before others' are accepted, so certificates can be
//!   recomputed and our own signatures are never lost or re-signed differently;
//! - `certificates`: quorum certificates by content id, with a per-slot index by period for
//!   `GetSlot` history and replay;
//! - `health`: the sequence-numbered health change log (what `WatchHealth` streams);
//! - `proofs_seen`: content ids of accepted proofs per period (dedupe across restarts);
//! - `meta`: schema version, the last prune point, and per dataset the health checkpoint:
//!   every slot's health with the periods before the prune point folded in (written in the
//!   same batch as the prune point that settled it).
//!
//! Health state is a pure function of the registry and the certificates; on start it is the
//! checkpoints plus the certificates of the periods from the last prune point on, so a restart
//! reads a bounded window, never the whole history. A store without checkpoints (written
//! before they existed) has prune point 0 and replays every certificate: the same view.

mod checkpoint;
mod codec;
mod error;
mod health_log;
mod kv;
mod memory;
mod rocks;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use rocks::RocksStore;

use proofmesh_proto::{
    AttestationBatch, ContentId, DatasetAnnounce, Period, QuorumCertificate, SlotAssign, SlotId,
};
use proofmesh_verifier::engine::{HealthChange, Writes};
use proofmesh_verifier::health::DatasetCheckpoint;

/// Version of the on-disk layout and value encoding; a store written by another version is
/// refused at open with [`StoreError::Schema`]. 2: protocol 2 (proof envelopes with a proof
/// system and variable proof bytes; content ids of the new envelope encoding). 3: dataset
/// announcements carry their slot roots, sizes and proof policy, and slot assignments are
/// signed by the dataset's owner (a schema 2 store holds announcements that no longer decode).
pub const SCHEMA_VERSION: u32 = 3;

/// Everything the node persists. Every write method returns only once the write is durable
/// (synced to disk for RocksDB), so a caller may acknowledge or publish right after.
/// Implementations are cheap to share (`Arc<dyn Store>`) and safe to call from any thread;
/// calls are short (point writes and bounded scans), so the async tasks call them directly.
pub trait Store: Send + Sync + 'static {
    /// Writes one engine step (new registry records, verified batches and certificates, the
    /// health changes they caused, seen proofs, pruning) in one atomic, synced batch: the one
    /// write the verifier does per step, so its cost is per batch of proofs, not per proof.
    fn write(&self, writes: &Writes) -> Result<(), StoreError>;
    /// Ids of accepted proofs of periods `>= from` (the dedupe memory restored at start).
    fn proofs_seen_from(&self, from: Period) -> Result<Vec<(ContentId, Period)>, StoreError>;
    /// Records a validated dataset announcement (idempotent; the first announcement of a root
    /// is kept, as the health state ignores a mismatching re-announcement).
    fn put_dataset(&self, announce: &DatasetAnnounce) -> Result<(), StoreError>;
    /// Every stored announcement, in root order.
    fn datasets(&self) -> Result<Vec<DatasetAnnounce>, StoreError>;
    /// Records a validated slot assignment (idempotent; several per slot are kept, keyed by
    /// slot and `from_period`; of two for one key the smaller content id is kept, the
    /// registry's conflict rule, so the store ends the same whatever order they came in).
    fn put_assignment(&self, assign: &SlotAssign) -> Result<(), StoreError>;
    /// Every stored slot assignment, in (slot, from_period) order.
    fn assignments(&self) -> Result<Vec<SlotAssign>, StoreError>;

    /// Records a verified attestation batch (idempotent; equivocating batches of one signer
    /// are all kept, keyed by their content id).
    fn put_attestation(&self, batch: &AttestationBatch) -> Result<(), StoreError>;
    /// Every stored batch of periods `>= from`, in (period, verifier, content id) order.
    fn attestations_from(&self, from: Period) -> Result<Vec<AttestationBatch>, StoreError>;
    /// Drops the batches of periods `< before` (bounded growth: certificates, which carry
    /// their own evidence, are what outlives them).
    fn prune_attestations_before(&self, before: Period) -> Result<(), StoreError>;

    /// Records certificates and the health changes they caused in one atomic write batch.
    /// Re-putting a stored certificate is a no-op for it; several certificates of one
    /// (slot, period) (other signer sets) are all kept. A change is keyed by its `sequence`
    /// and replaces a stored change of the same sequence.
    fn put_certificates(
        &self,
        certificates: &[QuorumCertificate],
        changes: &[HealthChange],
    ) -> Result<(), StoreError>;
    /// A certificate by content id.
    fn certificate(&self, id: &ContentId) -> Result<Option<QuorumCertificate>, StoreError>;
    /// The newest `limit` certificates of one slot, newest period first (within a period,
    /// descending content id).
    fn slot_certificates(
        &self,
        slot: &SlotId,
        limit: usize,
    ) -> Result<Vec<QuorumCertificate>, StoreError>;
    /// Every certificate of periods `>= from`, in (period, slot, content id) order (for
    /// replay).
    fn certificates_from(&self, from: Period) -> Result<Vec<QuorumCertificate>, StoreError>;
    /// The last prune point written with [`Store::write`] (`Period(0)` if none): the health
    /// checkpoints settle every period before it.
    fn pruned_before(&self) -> Result<Period, StoreError>;
    /// Every stored health checkpoint, in root order.
    fn health_checkpoints(&self) -> Result<Vec<DatasetCheckpoint>, StoreError>;
    /// The health changes with `sequence > after`, ascending, at most `limit`.
    fn health_changes_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<HealthChange>, StoreError>;
    /// The highest stored health change sequence (0 when none).
    fn last_health_sequence(&self) -> Result<u64, StoreError>;

    /// Marks an accepted proof as seen for `period`; returns false if it already was.
    fn mark_proof_seen(&self, id: &ContentId, period: Period) -> Result<bool, StoreError>;
    /// Whether a proof was marked seen.
    fn proof_seen(&self, id: &ContentId) -> Result<bool, StoreError>;
    /// Drops seen-proof records of periods `< before` (bounded growth).
    fn prune_proofs_before(&self, before: Period) -> Result<(), StoreError>;

    /// A small metadata value.
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets a small metadata value.
    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
}
