//! The [`Store`] logic, written once over a small ordered key-value interface ([`Kv`]) that
//! RocksDB and the in-memory maps both provide (as lighthouse's `KeyValueStore`). The two
//! stores therefore differ only in where bytes live, never in what they mean.

use std::sync::{Mutex, MutexGuard};

use proofmesh_proto::{
    AttestationBatch, ContentId, DatasetAnnounce, Period, QuorumCertificate, SlotAssign, SlotId,
    WireMessage,
};

use super::codec::{self, Cf};
use super::{checkpoint, health_log};
use super::{Store, StoreError, SCHEMA_VERSION};
use proofmesh_verifier::engine::{HealthChange, Writes};
use proofmesh_verifier::health::DatasetCheckpoint;

/// One write of an atomic batch.
pub(super) enum Op {
    /// Set `key` to `value`.
    Put(Cf, Vec<u8>, Vec<u8>),
    /// Remove `key`.
    Delete(Cf, Vec<u8>),
}

/// Stored entries, `(key, value)` in scan order.
pub(super) type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// What a backend provides: point reads, bounded range scans, atomic durable batches.
pub(super) trait Kv: Send + Sync + 'static {
    /// The value at `key`.
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Entries with `lower <= key < upper` (no upper bound when `None`), ascending or, with
    /// `reverse`, descending; at most `limit`.
    fn scan(
        &self,
        cf: Cf,
        lower: &[u8],
        upper: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Entries, StoreError>;
    /// Applies every op or none, durably before returning.
    fn write(&self, ops: Vec<Op>) -> Result<(), StoreError>;
    /// Serialises read-check-write sequences (write-once puts, `mark_proof_seen`).
    fn writer(&self) -> &Mutex<()>;
}

fn lock_writes(kv: &impl Kv) -> Result<MutexGuard<'_, ()>, StoreError> {
    kv.writer().lock().map_err(|_| StoreError::Poisoned)
}

/// The key just above every key starting with `prefix` (`None`: no such key, scan to the end).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last.saturating_add(1));
            return Some(end);
        }
    }
    None
}

/// Whether `s` is to be stored at `key`: nothing is there, or what is there has a larger
/// content id (the registry's conflict rule for one slot and first period).
fn assignment_wins(kv: &impl Kv, key: &[u8], s: &SlotAssign) -> Result<bool, StoreError> {
    match kv.get(Cf::Assignments, key)? {
        None => Ok(true),
        Some(value) => {
            let known: SlotAssign = codec::decode(Cf::Assignments, key, &value)?;
            Ok(s.content_id() < known.content_id())
        }
    }
}

/// Writes `value` at `key` unless a value is already there (first write wins).
fn put_once(kv: &impl Kv, cf: Cf, key: Vec<u8>, value: Vec<u8>) -> Result<(), StoreError> {
    let _guard = lock_writes(kv)?;
    if kv.get(cf, &key)?.is_none() {
        kv.write(vec![Op::Put(cf, key, value)])?;
    }
    Ok(())
}

/// The certificate stored under `id`, checked to be the one the id names.
fn load_certificate(kv: &impl Kv, id: &ContentId) -> Result<Option<QuorumCertificate>, StoreError> {
    let key = codec::certificate_key(id);
    let Some(value) = kv.get(Cf::Certificates, &key)? else {
        return Ok(None);
    };
    let cert: QuorumCertificate = codec::decode(Cf::Certificates, &key, &value)?;
    if cert.content_id() != *id {
        return Err(StoreError::corrupt(
            Cf::Certificates.name(),
            &key,
            "content id mismatch",
        ));
    }
    Ok(Some(cert))
}

/// Certificates named by the ids ending the given index keys, in order.
fn certificates_of(
    kv: &impl Kv,
    cf: Cf,
    keys: Entries,
) -> Result<Vec<QuorumCertificate>, StoreError> {
    keys.into_iter()
        .map(|(key, _)| {
            let id = codec::trailing_id(cf, &key)?;
            load_certificate(kv, &id)?.ok_or_else(|| {
                StoreError::corrupt(cf.name(), &key, "indexed certificate is missing")
            })
        })
        .collect()
}

/// The three puts that store a certificate: by id, by period, by slot.
fn cert_ops(cert: &QuorumCertificate, ops: &mut Vec<Op>) {
    let id = cert.content_id();
    let slot = &cert.entry.slot;
    ops.push(Op::Put(
        Cf::Certificates,
        codec::certificate_key(&id),
        codec::encode(cert),
    ));
    let by_period = codec::certificate_period_key(cert.period, slot, &id);
    ops.push(Op::Put(Cf::Certificates, by_period, Vec::new()));
    let by_slot = codec::slot_index_key(slot, cert.period, &id);
    ops.push(Op::Put(Cf::Slots, by_slot, Vec::new()));
}

/// The puts that store health changes (`Ignored` ones change nothing and are not kept).
fn health_ops(changes: &[HealthChange], ops: &mut Vec<Op>) {
    for change in changes {
        if let Some(value) = health_log::encode(change) {
            let key = change.sequence.to_be_bytes().to_vec();
            ops.push(Op::Put(Cf::Health, key, value));
        }
    }
}

/// Checks the schema version, recording it in a store that holds nothing yet.
pub(super) fn check_schema(kv: &impl Kv) -> Result<(), StoreError> {
    let key = codec::SCHEMA_KEY;
    match kv.get(Cf::Meta, key)? {
        Some(value) => {
            let found = <[u8; 4]>::try_from(value.as_slice())
                .map(u32::from_be_bytes)
                .map_err(|_| {
                    StoreError::corrupt(Cf::Meta.name(), key, "schema version is not a u32")
                })?;
            if found == SCHEMA_VERSION {
                Ok(())
            } else {
                Err(StoreError::Schema {
                    found,
                    expected: SCHEMA_VERSION,
                })
            }
        }
        None => {
            for cf in Cf::ALL {
                if !kv.scan(cf, &[], None, false, 1)?.is_empty() {
                    return Err(StoreError::corrupt(
                        Cf::Meta.name(),
                        key,
                        "store holds data but no schema version",
                    ));
                }
            }
            let version = SCHEMA_VERSION.to_be_bytes().to_vec();
            kv.write(vec![Op::Put(Cf::Meta, key.to_vec(), version)])
        }
    }
}

/// The period in a `proofs_seen` by-period key (`tag, period (8, BE), id (32)`).
fn seen_key_period(key: &[u8]) -> Result<Period, StoreError> {
    key.get(1..9)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(|b| Period(u64::from_be_bytes(b)))
        .ok_or_else(|| StoreError::corrupt(Cf::ProofsSeen.name(), key, "seen key too short"))
}

impl<T: Kv> Store for T {
    fn write(&self, w: &Writes) -> Result<(), StoreError> {
        let _guard = lock_writes(self)?;
        let mut ops = Vec::new();
        for a in &w.datasets {
            let key = codec::dataset_key(&a.root);
            // First write wins, as `put_dataset`.
            if self.get(Cf::Datasets, &key)?.is_none() {
                ops.push(Op::Put(Cf::Datasets, key, codec::encode(a)));
            }
        }
        for s in &w.assignments {
            let key = codec::assignment_key(&s.slot, s.from_period);
            if assignment_wins(self, &key, s)? {
                ops.push(Op::Put(Cf::Assignments, key, codec::encode(s)));
            }
        }
        for b in &w.attestations {
            let key = codec::attestation_key(b.period, b.verifier.0, &b.content_id());
            ops.push(Op::Put(Cf::Attestations, key, codec::encode(&**b)));
        }
        for cert in &w.certificates {
            cert_ops(cert, &mut ops);
        }
        health_ops(&w.health, &mut ops);
        for (id, period) in &w.proofs_seen {
            ops.push(Op::Put(
                Cf::ProofsSeen,
                codec::seen_period_key(*period, id),
                Vec::new(),
            ));
            ops.push(Op::Put(
                Cf::ProofsSeen,
                codec::seen_id_key(id),
                period.0.to_be_bytes().to_vec(),
            ));
        }
        for c in &w.health_settled {
            let key = checkpoint::checkpoint_key(&c.dataset);
            ops.push(Op::Put(Cf::Meta, key, checkpoint::encode(c)));
        }
        if let Some(before) = w.prune_before {
            ops.push(Op::Put(
                Cf::Meta,
                checkpoint::PRUNED_BEFORE_KEY.to_vec(),
                before.0.to_be_bytes().to_vec(),
            ));
            let upper = before.0.to_be_bytes();
            for (key, _) in self.scan(Cf::Attestations, &[], Some(&upper), false, usize::MAX)? {
                ops.push(Op::Delete(Cf::Attestations, key));
            }
            let lower = [codec::SEEN_BY_PERIOD];
            let upper = codec::tagged(codec::SEEN_BY_PERIOD, &before.0.to_be_bytes());
            for (key, _) in self.scan(Cf::ProofsSeen, &lower, Some(&upper), false, usize::MAX)? {
                let id = codec::trailing_id(Cf::ProofsSeen, &key)?;
                ops.push(Op::Delete(Cf::ProofsSeen, codec::seen_id_key(&id)));
                ops.push(Op::Delete(Cf::ProofsSeen, key));
            }
        }
        if ops.is_empty() {
            return Ok(());
        }
        self.write(ops)
    }

    fn proofs_seen_from(&self, from: Period) -> Result<Vec<(ContentId, Period)>, StoreError> {
        let lower = codec::tagged(codec::SEEN_BY_PERIOD, &from.0.to_be_bytes());
        let upper = [codec::SEEN_BY_PERIOD.saturating_add(1)];
        let entries = self.scan(Cf::ProofsSeen, &lower, Some(&upper), false, usize::MAX)?;
        entries
            .into_iter()
            .map(|(key, _)| {
                Ok((
                    codec::trailing_id(Cf::ProofsSeen, &key)?,
                    seen_key_period(&key)?,
                ))
            })
            .collect()
    }

    fn put_dataset(&self, announce: &DatasetAnnounce) -> Result<(), StoreError> {
        put_once(
            self,
            Cf::Datasets,
            codec::dataset_key(&announce.root),
            codec::encode(announce),
        )
    }

    fn datasets(&self) -> Result<Vec<DatasetAnnounce>, StoreError> {
        let entries = self.scan(Cf::Datasets, &[], None, false, usize::MAX)?;
        entries
            .iter()
            .map(|(k, v)| codec::decode(Cf::Datasets, k, v))
            .collect()
    }

    fn put_assignment(&self, assign: &SlotAssign) -> Result<(), StoreError> {
        let _guard = lock_writes(self)?;
        let key = codec::assignment_key(&assign.slot, assign.from_period);
        if assignment_wins(self, &key, assign)? {
            self.write(vec![Op::Put(Cf::Assignments, key, codec::encode(assign))])?;
        }
        Ok(())
    }

    fn assignments(&self) -> Result<Vec<SlotAssign>, StoreError> {
        let entries = self.scan(Cf::Assignments, &[], None, false, usize::MAX)?;
        entries
            .iter()
            .map(|(k, v)| codec::decode(Cf::Assignments, k, v))
            .collect()
    }

    fn put_attestation(&self, batch: &AttestationBatch) -> Result<(), StoreError> {
        let key = codec::attestation_key(batch.period, batch.verifier.0, &batch.content_id());
        self.write(vec![Op::Put(Cf::Attestations, key, codec::encode(batch))])
    }

    fn attestations_from(&self, from: Period) -> Result<Vec<AttestationBatch>, StoreError> {
        let lower = from.0.to_be_bytes();
        let entries = self.scan(Cf::Attestations, &lower, None, false, usize::MAX)?;
        entries
            .iter()
            .map(|(k, v)| codec::decode(Cf::Attestations, k, v))
            .collect()
    }

    fn prune_attestations_before(&self, before: Period) -> Result<(), StoreError> {
        let _guard = lock_writes(self)?;
        let upper = before.0.to_be_bytes();
        let entries = self.scan(Cf::Attestations, &[], Some(&upper), false, usize::MAX)?;
        let ops: Vec<Op> = entries
            .into_iter()
            .map(|(key, _)| Op::Delete(Cf::Attestations, key))
            .collect();
        if ops.is_empty() {
            return Ok(());
        }
        self.write(ops)
    }

    fn put_certificates(
        &self,
        certificates: &[QuorumCertificate],
        changes: &[HealthChange],
    ) -> Result<(), StoreError> {
        let mut ops = Vec::with_capacity(certificates.len() * 3 + changes.len());
        for cert in certificates {
            cert_ops(cert, &mut ops);
        }
        health_ops(changes, &mut ops);
        if ops.is_empty() {
            return Ok(());
        }
        self.write(ops)
    }

    fn certificate(&self, id: &ContentId) -> Result<Option<QuorumCertificate>, StoreError> {
        load_certificate(self, id)
    }

    fn slot_certificates(
        &self,
        slot: &SlotId,
        limit: usize,
    ) -> Result<Vec<QuorumCertificate>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let prefix = codec::slot_prefix(slot);
        let upper = prefix_end(&prefix);
        let keys = self.scan(Cf::Slots, &prefix, upper.as_deref(), true, limit)?;
        certificates_of(self, Cf::Slots, keys)
    }

    fn certificates_from(&self, from: Period) -> Result<Vec<QuorumCertificate>, StoreError> {
        let lower = codec::tagged(codec::CERT_BY_PERIOD, &from.0.to_be_bytes());
        let upper = [codec::CERT_BY_PERIOD.saturating_add(1)];
        let keys = self.scan(Cf::Certificates, &lower, Some(&upper), false, usize::MAX)?;
        certificates_of(self, Cf::Certificates, keys)
    }

    fn pruned_before(&self) -> Result<Period, StoreError> {
        let key = checkpoint::PRUNED_BEFORE_KEY;
        match self.get(Cf::Meta, key)? {
            Some(v) => codec::decode_u64(Cf::Meta, key, &v).map(Period),
            None => Ok(Period(0)),
        }
    }

    fn health_checkpoints(&self) -> Result<Vec<DatasetCheckpoint>, StoreError> {
        let lower = [checkpoint::CHECKPOINT];
        let upper = [checkpoint::CHECKPOINT.saturating_add(1)];
        let entries = self.scan(Cf::Meta, &lower, Some(&upper), false, usize::MAX)?;
        entries
            .iter()
            .map(|(k, v)| checkpoint::decode(k, v))
            .collect()
    }

    fn health_changes_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<HealthChange>, StoreError> {
        let Some(first) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        let entries = self.scan(Cf::Health, &first.to_be_bytes(), None, false, limit)?;
        entries
            .iter()
            .map(|(k, v)| health_log::decode(k, v))
            .collect()
    }

    fn last_health_sequence(&self) -> Result<u64, StoreError> {
        match self.scan(Cf::Health, &[], None, true, 1)?.first() {
            Some((key, _)) => codec::decode_u64(Cf::Health, key, key),
            None => Ok(0),
        }
    }

    fn mark_proof_seen(&self, id: &ContentId, period: Period) -> Result<bool, StoreError> {
        let _guard = lock_writes(self)?;
        let by_id = codec::seen_id_key(id);
        if self.get(Cf::ProofsSeen, &by_id)?.is_some() {
            return Ok(false);
        }
        self.write(vec![
            Op::Put(
                Cf::ProofsSeen,
                codec::seen_period_key(period, id),
                Vec::new(),
            ),
            Op::Put(Cf::ProofsSeen, by_id, period.0.to_be_bytes().to_vec()),
        ])?;
        Ok(true)
    }

    fn proof_seen(&self, id: &ContentId) -> Result<bool, StoreError> {
        Ok(self.get(Cf::ProofsSeen, &codec::seen_id_key(id))?.is_some())
    }

    fn prune_proofs_before(&self, before: Period) -> Result<(), StoreError> {
        let _guard = lock_writes(self)?;
        let lower = [codec::SEEN_BY_PERIOD];
        let upper = codec::tagged(codec::SEEN_BY_PERIOD, &before.0.to_be_bytes());
        let entries = self.scan(Cf::ProofsSeen, &lower, Some(&upper), false, usize::MAX)?;
        let mut ops = Vec::with_capacity(entries.len() * 2);
        for (key, _) in entries {
            let id = codec::trailing_id(Cf::ProofsSeen, &key)?;
            ops.push(Op::Delete(Cf::ProofsSeen, codec::seen_id_key(&id)));
            ops.push(Op::Delete(Cf::ProofsSeen, key));
        }
        if ops.is_empty() {
            return Ok(());
        }
        self.write(ops)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(Cf::Meta, &codec::user_meta_key(key))
    }

    fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(vec![Op::Put(
            Cf::Meta,
            codec::user_meta_key(key),
            value.to_vec(),
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_end_is_the_next_prefix() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(&[]), None);
    }
}
