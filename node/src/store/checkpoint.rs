//! The stored form of a dataset's settled health ([`DatasetCheckpoint`]): a small protobuf of
//! its own (store-internal, never on the wire), behind the same version byte as every value.
//! Decoding goes back through [`SlotHealth::from_parts`], so a damaged or unreachable
//! checkpoint is a [`StoreError::Corrupt`], never a wrong view.

use proofmesh_proto::{ContentId, DatasetRoot, Period, Verdict};
use proofmesh_verifier::health::{DatasetCheckpoint, SlotHealth, SlotHealthParts};
use prost::Message;

use super::codec::{body, slot_state_code, slot_state_of, versioned, Cf};
use super::error::StoreError;

/// Tag of the health checkpoint keys in `meta` (`[h] ‖ root`).
pub(super) const CHECKPOINT: u8 = b'h';

/// Meta key of the last prune point (a big-endian `u64` period): the checkpoints settle every
/// period before it, so replay reads certificates from it on.
pub(super) const PRUNED_BEFORE_KEY: &[u8] = b"spruned_before";

/// Key of a dataset's checkpoint in `meta`.
pub(super) fn checkpoint_key(root: &DatasetRoot) -> Vec<u8> {
    super::codec::tagged(CHECKPOINT, root.as_bytes())
}

#[derive(Clone, PartialEq, Message)]
struct StoredCheckpoint {
    #[prost(uint32, tag = "1")]
    data_slots: u32,
    #[prost(uint32, tag = "2")]
    parity_slots: u32,
    #[prost(message, repeated, tag = "3")]
    slots: Vec<StoredSlot>,
}

#[derive(Clone, PartialEq, Message)]
struct StoredSlot {
    /// 0 healthy, 1 missed, 2 invalid, 3 lost, 4 repairing.
    #[prost(uint32, tag = "1")]
    state: u32,
    /// `n` of `Missed(n)`.
    #[prost(uint32, tag = "2")]
    missed: u32,
    #[prost(uint64, optional, tag = "3")]
    since: Option<u64>,
    #[prost(uint64, optional, tag = "4")]
    latest_period: Option<u64>,
    /// 0 valid, 1 invalid, 2 missing, 3 alive.
    #[prost(uint32, tag = "5")]
    latest_verdict: u32,
    #[prost(uint32, tag = "6")]
    misses: u32,
    #[prost(uint32, tag = "7")]
    invalids: u32,
    #[prost(bytes = "vec", repeated, tag = "8")]
    evidence: Vec<Vec<u8>>,
}

fn stored_slot(s: &SlotHealth) -> StoredSlot {
    let p = s.parts();
    let (state, missed) = slot_state_code(p.state);
    let latest_verdict = match p.latest.map(|(_, v)| v) {
        None | Some(Verdict::Valid) => 0,
        Some(Verdict::Invalid) => 1,
        Some(Verdict::Missing) => 2,
        Some(Verdict::Alive) => 3,
    };
    StoredSlot {
        state,
        missed,
        since: p.since.map(|s| s.0),
        latest_period: p.latest.map(|(period, _)| period.0),
        latest_verdict,
        misses: p.misses,
        invalids: p.invalids,
        evidence: p.evidence.iter().map(|id| id.0.to_vec()).collect(),
    }
}

fn slot_back(s: StoredSlot) -> Result<SlotHealth, String> {
    let state = slot_state_of(s.state, s.missed)?;
    let verdict = match s.latest_verdict {
        0 => Verdict::Valid,
        1 => Verdict::Invalid,
        2 => Verdict::Missing,
        3 => Verdict::Alive,
        other => return Err(format!("unknown verdict {other}")),
    };
    let evidence = s
        .evidence
        .iter()
        .map(|b| <[u8; 32]>::try_from(b.as_slice()).map(ContentId))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "evidence id is not 32 bytes".to_string())?;
    SlotHealth::from_parts(SlotHealthParts {
        state,
        since: s.since.map(Period),
        latest: s.latest_period.map(|p| (Period(p), verdict)),
        misses: s.misses,
        invalids: s.invalids,
        evidence,
    })
    .map_err(|e| e.to_string())
}

/// The stored form of a checkpoint (the root is the key).
pub(super) fn encode(c: &DatasetCheckpoint) -> Vec<u8> {
    let stored = StoredCheckpoint {
        data_slots: u32::from(c.data_slots),
        parity_slots: u32::from(c.parity_slots),
        slots: c.slots.iter().map(stored_slot).collect(),
    };
    versioned(stored.encode_to_vec())
}

/// A stored checkpoint back, checked slot by slot.
pub(super) fn decode(key: &[u8], value: &[u8]) -> Result<DatasetCheckpoint, StoreError> {
    let corrupt = |why: String| StoreError::corrupt(Cf::Meta.name(), key, why);
    let root = key
        .get(1..)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(DatasetRoot::from_le_bytes)
        .ok_or_else(|| corrupt("checkpoint key is not a dataset root".into()))?;
    let body = body(Cf::Meta, key, value)?;
    let stored = StoredCheckpoint::decode(body).map_err(|e| corrupt(e.to_string()))?;
    let narrow = |n: u32| u16::try_from(n).map_err(|_| corrupt(format!("{n} slots")));
    Ok(DatasetCheckpoint {
        dataset: root,
        data_slots: narrow(stored.data_slots)?,
        parity_slots: narrow(stored.parity_slots)?,
        slots: stored
            .slots
            .into_iter()
            .map(slot_back)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::codec::VALUE_VERSION;
    use super::*;
    use proofmesh_proto::SlotId;
    use proofmesh_verifier::health::HealthConfig;
    use proofmesh_verifier::{HealthEvent, HealthState};

    fn root() -> DatasetRoot {
        DatasetRoot::from_le_bytes([3; 32]).unwrap()
    }

    /// A checkpoint with a slot in each failing state, made by the real state machine.
    fn checkpoint() -> DatasetCheckpoint {
        let mut h = HealthState::new(HealthConfig::default());
        let _ = h.apply(HealthEvent::DatasetAnnounced {
            dataset: root(),
            data_slots: 2,
            parity_slots: 1,
        });
        for (index, period, verdict) in [
            (0, 1, Verdict::Missing),
            (1, 1, Verdict::Invalid),
            (2, 1, Verdict::Valid),
        ] {
            let _ = h.apply(HealthEvent::FinalVerdict {
                slot: SlotId {
                    dataset: root(),
                    index,
                },
                period: Period(period),
                verdict,
                certificate: ContentId([index as u8 + 1; 32]),
            });
        }
        h.settle_before(Period(5)).pop().unwrap()
    }

    #[test]
    fn checkpoints_round_trip_and_damage_is_corrupt() {
        let c = checkpoint();
        let key = checkpoint_key(&c.dataset);
        let value = encode(&c);
        assert_eq!(decode(&key, &value).unwrap(), c);
        let mut truncated = value.clone();
        truncated.truncate(value.len() - 3);
        let mut future = value.clone();
        future[0] = 9;
        for bad in [&[][..], &future, &truncated, &[VALUE_VERSION, 0xff]] {
            assert!(matches!(
                decode(&key, bad),
                Err(StoreError::Corrupt { cf: "meta", .. })
            ));
        }
        assert!(decode(&key[..20], &value).is_err());
    }

    #[test]
    fn unreachable_slot_health_is_corrupt() {
        let c = checkpoint();
        let mut stored = StoredCheckpoint::decode(&encode(&c)[1..]).unwrap();
        stored.slots[0].evidence.clear();
        let mut value = vec![VALUE_VERSION];
        value.extend_from_slice(&stored.encode_to_vec());
        let err = decode(&checkpoint_key(&c.dataset), &value).unwrap_err();
        assert!(err.to_string().contains("certificate"), "{err}");
    }
}
