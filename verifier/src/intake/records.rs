//! The registry as Kademlia DHT records (altruistic mode's slot management without a
//! contract): what a dataset's record holds, how one is checked on receipt, and the one rule
//! by which two records of the same key merge, so every node that holds either ends on the
//! same value (docs/decisions.md, "The registry in the DHT").
//!
//! Two kinds of record. Under [`dataset_key`]`(root)`: the dataset's owner-signed announcement
//! and its slots' owner-signed assignments, each as its gossip payload (tag, canonical
//! encoding), length-prefixed. Under [`INDEX_KEY`]: the roots of every dataset with a record,
//! sorted, so a node that joins knowing no root finds them all. Records carry only signed
//! messages, checked exactly as gossip is ([`Registry::announce`], [`Registry::assign`]): a
//! DHT peer can withhold a record, never forge one.

use super::error::IntakeError;
use super::registry::Registry;
use proofmesh_proto::wire::{decode_gossip, encode_gossip, GossipTopic};
use proofmesh_proto::{DatasetRoot, GossipMessage, SlotAssign, MAX_SLOTS};
use std::collections::BTreeMap;

/// The key of the index record (the roots of every dataset in the DHT).
pub const INDEX_KEY: &[u8] = b"/proofmesh/2/registry/index";

/// Most bytes of one record (Kademlia's default record size limit is 65 KiB).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Most roots an index record lists (32 bytes each: 64 KiB).
pub const MAX_INDEX_ROOTS: usize = MAX_RECORD_BYTES / 32;

/// Assignments a dataset record keeps per slot: the ones with the latest first periods (the
/// one in force now and one the owner scheduled after it); older ones only judged periods a
/// joining node no longer attests.
pub const ASSIGNMENTS_PER_SLOT: usize = 2;

/// Why a record was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Over [`MAX_RECORD_BYTES`].
    #[error("record of {0} bytes is over the limit")]
    TooLarge(usize),
    /// Not a sequence of length-prefixed registry messages, or an index not of sorted roots.
    #[error("malformed record: {0}")]
    Malformed(String),
    /// Its messages are not of the dataset its key names.
    #[error("record is not of the dataset its key names")]
    WrongKey,
    /// No announcement, or one refused (bad signature, roots that do not hash to the root, or
    /// another announcement of the root is held here: the first one held stays).
    #[error("announcement: {0}")]
    Announcement(IntakeError),
    /// An assignment that is not the owner's.
    #[error("assignment: {0}")]
    Assignment(IntakeError),
}

/// The DHT key of `root`'s dataset record.
pub fn dataset_key(root: &DatasetRoot) -> Vec<u8> {
    let mut key = b"/proofmesh/2/registry/dataset/".to_vec();
    key.extend_from_slice(&root.to_le_bytes());
    key
}

/// The root whose dataset record `key` is, if it is one.
pub fn root_of_key(key: &[u8]) -> Option<DatasetRoot> {
    let bytes = key.strip_prefix(b"/proofmesh/2/registry/dataset/".as_slice())?;
    DatasetRoot::from_le_bytes(bytes.try_into().ok()?)
}

/// `root`'s dataset record as this registry holds it: the announcement, then per slot the
/// [`ASSIGNMENTS_PER_SLOT`] assignments with the latest first periods, in (slot, period)
/// order. `None` if the dataset is not announced here. Deterministic: two registries holding
/// the same messages give the same bytes.
pub fn dataset_record(registry: &Registry, root: &DatasetRoot) -> Option<Vec<u8>> {
    let a = registry.dataset(root)?;
    let mut per_slot: BTreeMap<u16, Vec<&SlotAssign>> = BTreeMap::new();
    for s in registry.assignments().filter(|s| s.slot.dataset == *root) {
        per_slot.entry(s.slot.index).or_default().push(s);
    }
    let mut out = Vec::new();
    push(&mut out, &GossipMessage::Announce(a.clone()));
    for assigns in per_slot.values() {
        let skip = assigns.len().saturating_sub(ASSIGNMENTS_PER_SLOT);
        for s in &assigns[skip..] {
            push(&mut out, &GossipMessage::Assign((*s).clone()));
        }
    }
    Some(out)
}

fn push(out: &mut Vec<u8>, m: &GossipMessage) {
    let payload = encode_gossip(m);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&payload);
}

/// The registry messages of a dataset record, decoded (not yet checked: see
/// [`check_dataset_record`]).
pub fn parse_dataset_record(bytes: &[u8]) -> Result<Vec<GossipMessage>, RecordError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(bytes.len()));
    }
    let mut rest = bytes;
    let mut out = Vec::new();
    let most = 1 + MAX_SLOTS as usize * ASSIGNMENTS_PER_SLOT;
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| RecordError::Malformed("truncated length".into()))?;
        let len = u32::from_le_bytes(*len) as usize;
        if len > tail.len() {
            return Err(RecordError::Malformed("truncated message".into()));
        }
        let (payload, tail) = tail.split_at(len);
        let m = decode_gossip(GossipTopic::Registry, payload)
            .map_err(|e| RecordError::Malformed(e.to_string()))?;
        out.push(m);
        if out.len() > most {
            return Err(RecordError::Malformed("too many messages".into()));
        }
        rest = tail;
    }
    Ok(out)
}

/// Checks a dataset record received under `key` against what `held` (this node's record of
/// the key, itself checked when it arrived) says, and returns the merged record to keep and
/// serve. Every message is checked as gossip is; the merge is the registry's own rule (the
/// announcement held first stays, per slot and first period the assignment with the smaller
/// content id wins), so it is the same whatever order records meet in.
pub fn merge_dataset_records(
    key: &[u8],
    held: Option<&[u8]>,
    incoming: &[u8],
) -> Result<(Vec<u8>, Vec<GossipMessage>), RecordError> {
    let root = root_of_key(key).ok_or(RecordError::WrongKey)?;
    let mut registry = Registry::new();
    if let Some(held) = held {
        // A record we hold passed this check when it arrived: restored, not re-checked.
        for m in parse_dataset_record(held)? {
            match m {
                GossipMessage::Announce(a) => {
                    registry.restore_dataset(a);
                }
                GossipMessage::Assign(s) => {
                    registry.restore_assignment(s);
                }
                _ => {}
            }
        }
    }
    let messages = parse_dataset_record(incoming)?;
    let mut announced = registry.dataset(&root).is_some();
    for m in &messages {
        if let GossipMessage::Announce(a) = m {
            if a.root != root {
                return Err(RecordError::WrongKey);
            }
            registry
                .announce(a.clone())
                .map_err(RecordError::Announcement)?;
            announced = true;
        }
    }
    if !announced {
        return Err(RecordError::Announcement(IntakeError::UnknownDataset(
            root.to_string(),
        )));
    }
    for m in &messages {
        match m {
            GossipMessage::Announce(_) => {}
            GossipMessage::Assign(s) if s.slot.dataset != root => {
                return Err(RecordError::WrongKey);
            }
            GossipMessage::Assign(s) => match registry.assign(s.clone()) {
                Ok(_) | Err(IntakeError::Superseded(_)) => {}
                Err(e) => return Err(RecordError::Assignment(e)),
            },
            _ => return Err(RecordError::Malformed("not a registry message".into())),
        }
    }
    let merged = dataset_record(&registry, &root).ok_or(RecordError::WrongKey)?;
    let kept = parse_dataset_record(&merged)?;
    Ok((merged, kept))
}

/// An index record: the roots, sorted and distinct.
pub fn index_record(roots: impl IntoIterator<Item = DatasetRoot>) -> Vec<u8> {
    let mut roots: Vec<DatasetRoot> = roots.into_iter().collect();
    roots.sort_unstable();
    roots.dedup();
    roots.truncate(MAX_INDEX_ROOTS);
    roots.iter().flat_map(|r| r.to_le_bytes()).collect()
}

/// The roots of an index record (strictly ascending canonical roots, at most
/// [`MAX_INDEX_ROOTS`]).
pub fn parse_index_record(bytes: &[u8]) -> Result<Vec<DatasetRoot>, RecordError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(bytes.len()));
    }
    if !bytes.len().is_multiple_of(32) {
        return Err(RecordError::Malformed("index is not whole roots".into()));
    }
    let roots = bytes
        .chunks_exact(32)
        .map(|c| {
            c.try_into()
                .ok()
                .and_then(DatasetRoot::from_le_bytes)
                .ok_or_else(|| RecordError::Malformed("index root is not canonical".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if roots.windows(2).any(|w| w[0] >= w[1]) {
        return Err(RecordError::Malformed("index roots not ascending".into()));
    }
    Ok(roots)
}

/// Two index records merged: the union, the [`MAX_INDEX_ROOTS`] smallest kept (an index only
/// says where to look; each dataset record is checked on its own).
pub fn merge_index_records(held: Option<&[u8]>, incoming: &[u8]) -> Result<Vec<u8>, RecordError> {
    let mut roots = parse_index_record(incoming)?;
    if let Some(held) = held {
        roots.extend(parse_index_record(held)?);
    }
    Ok(index_record(roots))
}
