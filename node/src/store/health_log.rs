//! The stored form of the health change log: the engine's domain [`HealthChange`] in a small
//! store-internal protobuf, not the gRPC message (the API may change its shape; what the store
//! holds must not change with it). `WatchHealth` converts at read time.

use proofmesh_proto::{ContentId, DatasetRoot, Period, SlotId};
use proofmesh_verifier::engine::HealthChange;
use proofmesh_verifier::health::DatasetStatus;
use proofmesh_verifier::HealthEffect;
use prost::Message;

use super::codec::{body, slot_state_code, slot_state_of, versioned, Cf};
use super::error::StoreError;

#[derive(Clone, PartialEq, Message)]
struct StoredChange {
    /// 1 dataset added, 2 slot changed, 3 dataset changed, 4 unrecoverable, 5 repair requested.
    #[prost(uint32, tag = "1")]
    kind: u32,
    #[prost(bytes = "vec", tag = "2")]
    dataset: Vec<u8>,
    #[prost(uint32, tag = "3")]
    slot_index: u32,
    #[prost(uint64, tag = "4")]
    period: u64,
    /// A slot state (`state_code`) or dataset status (`status_code`), by kind.
    #[prost(uint32, tag = "5")]
    from: u32,
    #[prost(uint32, tag = "6")]
    to: u32,
    /// `n` of `Missed(n)` for `from` / `to`.
    #[prost(uint32, tag = "7")]
    from_missed: u32,
    #[prost(uint32, tag = "8")]
    to_missed: u32,
    /// Evidence ids (slot changed) or the one certificate (repair requested).
    #[prost(bytes = "vec", repeated, tag = "9")]
    ids: Vec<Vec<u8>>,
    /// Surviving slots (unrecoverable).
    #[prost(uint32, tag = "10")]
    surviving: u32,
}

fn status_code(s: DatasetStatus) -> u32 {
    match s {
        DatasetStatus::Healthy => 0,
        DatasetStatus::Degraded => 1,
        DatasetStatus::AtRisk => 2,
        DatasetStatus::Lost => 3,
    }
}

fn status_back(code: u32) -> Result<DatasetStatus, String> {
    Ok(match code {
        0 => DatasetStatus::Healthy,
        1 => DatasetStatus::Degraded,
        2 => DatasetStatus::AtRisk,
        3 => DatasetStatus::Lost,
        other => return Err(format!("unknown dataset status {other}")),
    })
}

/// The stored form of a change; `None` for `Ignored`, which changes nothing and is not kept.
pub(super) fn encode(change: &HealthChange) -> Option<Vec<u8>> {
    let mut s = StoredChange::default();
    let dataset = match &change.effect {
        HealthEffect::DatasetAdded { dataset, status } => {
            s.kind = 1;
            s.to = status_code(*status);
            dataset
        }
        HealthEffect::SlotChanged {
            slot,
            from,
            to,
            period,
            evidence,
        } => {
            s.kind = 2;
            s.slot_index = slot.index.into();
            s.period = period.0;
            (s.from, s.from_missed) = slot_state_code(*from);
            (s.to, s.to_missed) = slot_state_code(*to);
            s.ids = evidence.iter().map(|id| id.0.to_vec()).collect();
            &slot.dataset
        }
        HealthEffect::DatasetChanged {
            dataset,
            from,
            to,
            period,
        } => {
            s.kind = 3;
            s.period = period.0;
            s.from = status_code(*from);
            s.to = status_code(*to);
            dataset
        }
        HealthEffect::Unrecoverable {
            dataset,
            period,
            surviving,
        } => {
            s.kind = 4;
            s.period = period.0;
            s.surviving = (*surviving).into();
            dataset
        }
        HealthEffect::RepairRequested {
            slot,
            period,
            certificate,
        } => {
            s.kind = 5;
            s.slot_index = slot.index.into();
            s.period = period.0;
            s.ids = vec![certificate.0.to_vec()];
            &slot.dataset
        }
        HealthEffect::Ignored(_) => return None,
    };
    s.dataset = dataset.as_bytes().to_vec();
    Some(versioned(s.encode_to_vec()))
}

/// A stored change back (its key is its sequence), checked field by field.
pub(super) fn decode(key: &[u8], value: &[u8]) -> Result<HealthChange, StoreError> {
    let corrupt = |why: String| StoreError::corrupt(Cf::Health.name(), key, why);
    let sequence = super::codec::decode_u64(Cf::Health, key, key)?;
    let body = body(Cf::Health, key, value)?;
    let s = StoredChange::decode(body).map_err(|e| corrupt(e.to_string()))?;
    effect_of(s)
        .map(|effect| HealthChange { sequence, effect })
        .map_err(corrupt)
}

fn effect_of(s: StoredChange) -> Result<HealthEffect, String> {
    let dataset = <[u8; 32]>::try_from(s.dataset.as_slice())
        .ok()
        .and_then(DatasetRoot::from_le_bytes)
        .ok_or("not a dataset root")?;
    let index = u16::try_from(s.slot_index).map_err(|_| "slot index out of range")?;
    let slot = SlotId { dataset, index };
    let period = Period(s.period);
    let ids = s
        .ids
        .iter()
        .map(|b| <[u8; 32]>::try_from(b.as_slice()).map(ContentId))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "a certificate id is not 32 bytes")?;
    Ok(match s.kind {
        1 => HealthEffect::DatasetAdded {
            dataset,
            status: status_back(s.to)?,
        },
        2 => HealthEffect::SlotChanged {
            slot,
            from: slot_state_of(s.from, s.from_missed)?,
            to: slot_state_of(s.to, s.to_missed)?,
            period,
            evidence: ids,
        },
        3 => HealthEffect::DatasetChanged {
            dataset,
            from: status_back(s.from)?,
            to: status_back(s.to)?,
            period,
        },
        4 => HealthEffect::Unrecoverable {
            dataset,
            period,
            surviving: u16::try_from(s.surviving).map_err(|_| "surviving out of range")?,
        },
        5 => match ids.as_slice() {
            [certificate] => HealthEffect::RepairRequested {
                slot,
                period,
                certificate: *certificate,
            },
            _ => return Err("a repair request without its one certificate".into()),
        },
        other => return Err(format!("unknown change kind {other}")),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::codec::VALUE_VERSION;
    use super::*;
    use proofmesh_verifier::health::{IgnoreReason, SlotState};

    fn root() -> DatasetRoot {
        DatasetRoot::from_le_bytes([3; 32]).unwrap()
    }

    fn effects() -> Vec<HealthEffect> {
        let slot = SlotId {
            dataset: root(),
            index: 7,
        };
        vec![
            HealthEffect::DatasetAdded {
                dataset: root(),
                status: DatasetStatus::AtRisk,
            },
            HealthEffect::SlotChanged {
                slot,
                from: SlotState::Missed(2),
                to: SlotState::Lost,
                period: Period(9),
                evidence: vec![ContentId([1; 32]), ContentId([2; 32])],
            },
            HealthEffect::DatasetChanged {
                dataset: root(),
                from: DatasetStatus::Healthy,
                to: DatasetStatus::Degraded,
                period: Period(9),
            },
            HealthEffect::Unrecoverable {
                dataset: root(),
                period: Period(10),
                surviving: 1,
            },
            HealthEffect::RepairRequested {
                slot,
                period: Period(9),
                certificate: ContentId([2; 32]),
            },
        ]
    }

    #[test]
    fn every_change_round_trips_and_ignored_is_not_stored() {
        for (i, effect) in effects().into_iter().enumerate() {
            let change = HealthChange {
                sequence: i as u64 + 1,
                effect,
            };
            let value = encode(&change).unwrap();
            let key = change.sequence.to_be_bytes();
            assert_eq!(decode(&key, &value).unwrap(), change);
        }
        let ignored = HealthChange {
            sequence: 1,
            effect: HealthEffect::Ignored(IgnoreReason::Duplicate),
        };
        assert_eq!(encode(&ignored), None);
    }

    #[test]
    fn damage_is_corrupt() {
        let change = HealthChange {
            sequence: 4,
            effect: effects().remove(1),
        };
        let value = encode(&change).unwrap();
        let key = 4u64.to_be_bytes();
        let mut future = value.clone();
        future[0] = 2;
        for bad in [
            &[][..],
            &future,
            &value[..value.len() - 1],
            &[VALUE_VERSION, 0xff],
        ] {
            assert!(matches!(
                decode(&key, bad),
                Err(StoreError::Corrupt { cf: "health", .. })
            ));
        }
        assert!(decode(&key[..3], &value).is_err());
        let mut s = StoredChange::decode(&value[1..]).unwrap();
        s.kind = 5;
        s.ids.clear();
        let mut v = vec![VALUE_VERSION];
        v.extend_from_slice(&s.encode_to_vec());
        assert!(decode(&key, &v).is_err());
    }
}
