//! Column families, key layouts and the versioned value encoding, shared by both stores so
//! they hold byte-identical data.
//!
//! Integers in keys are big-endian, so RocksDB's byte order is numeric order. Dataset roots
//! are their 32 canonical bytes (byte order = [`DatasetRoot`]'s `Ord`), content ids their 32
//! SHA-256 bytes. Layouts (`‖` = concatenation, `[x]` = one tag byte):
//!
//! | cf             | key                                               | value               |
//! |----------------|---------------------------------------------------|---------------------|
//! | `datasets`     | root                                              | `DatasetAnnounce`   |
//! | `assignments`  | root ‖ index u16 ‖ from_period u64                | `SlotAssign`        |
//! | `attestations` | period u64 ‖ verifier u16 ‖ batch id              | `AttestationBatch`  |
//! | `certificates` | `[c]` ‖ certificate id                            | `QuorumCertificate` |
//! | `certificates` | `[p]` ‖ period u64 ‖ root ‖ index u16 ‖ cert id   | empty (replay index)|
//! | `slots`        | root ‖ index u16 ‖ period u64 ‖ certificate id    | empty               |
//! | `health`       | sequence u64                                      | `HealthChange`      |
//! | `proofs_seen`  | `[p]` ‖ period u64 ‖ proof id                     | empty               |
//! | `proofs_seen`  | `[i]` ‖ proof id                                  | period u64          |
//! | `meta`         | `[s]` ‖ name (store-internal) / `[u]` ‖ user key  | raw bytes           |
//! | `meta`         | `[h]` ‖ root                                      | health checkpoint   |
//!
//! Values are one encoding-version byte ([`VALUE_VERSION`]) followed by protobuf bytes: the
//! canonical wire encoding for domain messages, store-internal messages for the health change
//! log (`health_log`) and checkpoints (`checkpoint`), never the gRPC API's messages; decoding is the validating
//! [`WireMessage::decode`], so a damaged value is a [`StoreError::Corrupt`], never a bad value.

use proofmesh_proto::{ContentId, DatasetRoot, Period, SlotId, WireMessage};

use super::error::StoreError;

/// Encoding version of stored values (the first byte of each).
pub(super) const VALUE_VERSION: u8 = 1;

/// Meta key of the schema version (a 4-byte big-endian `u32`), outside the user key space.
pub(super) const SCHEMA_KEY: &[u8] = b"sschema_version";

/// Tag of the certificate-by-id keys in `certificates`.
pub(super) const CERT_BY_ID: u8 = b'c';
/// Tag of the (period, slot) replay index keys in `certificates`.
pub(super) const CERT_BY_PERIOD: u8 = b'p';
/// Tag of the by-period keys in `proofs_seen`.
pub(super) const SEEN_BY_PERIOD: u8 = b'p';
/// Tag of the by-id keys in `proofs_seen`.
pub(super) const SEEN_BY_ID: u8 = b'i';

/// The column families; the same set in both stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Cf {
    Datasets,
    Assignments,
    Attestations,
    Certificates,
    Slots,
    Health,
    ProofsSeen,
    Meta,
}

impl Cf {
    /// Every column family.
    pub(super) const ALL: [Cf; 8] = [
        Cf::Datasets,
        Cf::Assignments,
        Cf::Attestations,
        Cf::Certificates,
        Cf::Slots,
        Cf::Health,
        Cf::ProofsSeen,
        Cf::Meta,
    ];

    /// The RocksDB column family name.
    pub(super) fn name(self) -> &'static str {
        match self {
            Cf::Datasets => "datasets",
            Cf::Assignments => "assignments",
            Cf::Attestations => "attestations",
            Cf::Certificates => "certificates",
            Cf::Slots => "slots",
            Cf::Health => "health",
            Cf::ProofsSeen => "proofs_seen",
            Cf::Meta => "meta",
        }
    }
}

/// `root ‖ index`: the prefix of a slot's keys in `assignments` and `slots`.
pub(super) fn slot_prefix(slot: &SlotId) -> Vec<u8> {
    let mut key = Vec::with_capacity(32 + 2 + 8 + 32);
    key.extend_from_slice(slot.dataset.as_bytes());
    key.extend_from_slice(&slot.index.to_be_bytes());
    key
}

/// Key of an announcement in `datasets`.
pub(super) fn dataset_key(root: &DatasetRoot) -> Vec<u8> {
    root.as_bytes().to_vec()
}

/// Key of a slot assignment in `assignments`.
pub(super) fn assignment_key(slot: &SlotId, from: Period) -> Vec<u8> {
    let mut key = slot_prefix(slot);
    key.extend_from_slice(&from.0.to_be_bytes());
    key
}

/// Key of an attestation batch in `attestations`.
pub(super) fn attestation_key(period: Period, verifier: u16, id: &ContentId) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + 2 + 32);
    key.extend_from_slice(&period.0.to_be_bytes());
    key.extend_from_slice(&verifier.to_be_bytes());
    key.extend_from_slice(&id.0);
    key
}

/// `tag ‖ bytes`.
pub(super) fn tagged(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + bytes.len());
    key.push(tag);
    key.extend_from_slice(bytes);
    key
}

/// Key of a certificate in `certificates`.
pub(super) fn certificate_key(id: &ContentId) -> Vec<u8> {
    tagged(CERT_BY_ID, &id.0)
}

/// Replay index key of a certificate in `certificates`.
pub(super) fn certificate_period_key(period: Period, slot: &SlotId, id: &ContentId) -> Vec<u8> {
    let mut key = tagged(CERT_BY_PERIOD, &period.0.to_be_bytes());
    key.extend_from_slice(&slot_prefix(slot));
    key.extend_from_slice(&id.0);
    key
}

/// Key of a certificate in the per-slot index `slots`.
pub(super) fn slot_index_key(slot: &SlotId, period: Period, id: &ContentId) -> Vec<u8> {
    let mut key = slot_prefix(slot);
    key.extend_from_slice(&period.0.to_be_bytes());
    key.extend_from_slice(&id.0);
    key
}

/// Key of a proof in the by-period part of `proofs_seen`.
pub(super) fn seen_period_key(period: Period, id: &ContentId) -> Vec<u8> {
    let mut key = tagged(SEEN_BY_PERIOD, &period.0.to_be_bytes());
    key.extend_from_slice(&id.0);
    key
}

/// Key of a proof in the by-id part of `proofs_seen`.
pub(super) fn seen_id_key(id: &ContentId) -> Vec<u8> {
    tagged(SEEN_BY_ID, &id.0)
}

/// Key of a user metadata value in `meta`.
pub(super) fn user_meta_key(key: &str) -> Vec<u8> {
    tagged(b'u', key.as_bytes())
}

/// The content id ending an index key.
pub(super) fn trailing_id(cf: Cf, key: &[u8]) -> Result<ContentId, StoreError> {
    key.len()
        .checked_sub(32)
        .and_then(|start| key.get(start..))
        .and_then(|tail| <[u8; 32]>::try_from(tail).ok())
        .map(ContentId)
        .ok_or_else(|| StoreError::corrupt(cf.name(), key, "key too short for a content id"))
}

/// A big-endian `u64` stored as a whole key or value.
pub(super) fn decode_u64(cf: Cf, key: &[u8], bytes: &[u8]) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| {
            StoreError::corrupt(cf.name(), key, format!("{} bytes, not a u64", bytes.len()))
        })
}

/// The stored form of a domain message.
pub(super) fn encode<M: WireMessage>(message: &M) -> Vec<u8> {
    versioned(message.encode())
}

/// A stored domain message back, validated.
pub(super) fn decode<M: WireMessage>(cf: Cf, key: &[u8], value: &[u8]) -> Result<M, StoreError> {
    let body = body(cf, key, value)?;
    M::decode(body).map_err(|e| StoreError::corrupt(cf.name(), key, e.to_string()))
}

/// `VALUE_VERSION` followed by `body`: the stored form of every value.
pub(super) fn versioned(body: Vec<u8>) -> Vec<u8> {
    let mut value = Vec::with_capacity(1 + body.len());
    value.push(VALUE_VERSION);
    value.extend_from_slice(&body);
    value
}

/// A slot state as its stored code and `n` of `Missed(n)` (the health log and checkpoints).
pub(super) fn slot_state_code(s: proofmesh_verifier::health::SlotState) -> (u32, u32) {
    use proofmesh_verifier::health::SlotState;
    match s {
        SlotState::Healthy => (0, 0),
        SlotState::Missed(n) => (1, n),
        SlotState::Invalid => (2, 0),
        SlotState::Lost => (3, 0),
        SlotState::Repairing => (4, 0),
    }
}

/// [`slot_state_code`] back.
pub(super) fn slot_state_of(
    code: u32,
    n: u32,
) -> Result<proofmesh_verifier::health::SlotState, String> {
    use proofmesh_verifier::health::SlotState;
    Ok(match code {
        0 => SlotState::Healthy,
        1 => SlotState::Missed(n),
        2 => SlotState::Invalid,
        3 => SlotState::Lost,
        4 => SlotState::Repairing,
        other => return Err(format!("unknown slot state {other}")),
    })
}

/// The bytes after a known encoding version.
pub(super) fn body<'v>(cf: Cf, key: &[u8], value: &'v [u8]) -> Result<&'v [u8], StoreError> {
    match value.split_first() {
        Some((&VALUE_VERSION, body)) => Ok(body),
        Some((v, _)) => Err(StoreError::corrupt(
            cf.name(),
            key,
            format!("unknown value encoding version {v}"),
        )),
        None => Err(StoreError::corrupt(cf.name(), key, "empty value")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proofmesh_proto::{DatasetAnnounce, ProviderKey, ProviderSignature, SlotRoot};

    fn announce() -> DatasetAnnounce {
        DatasetAnnounce {
            root: DatasetRoot::from_le_bytes([3; 32]).unwrap(),
            data_slots: 4,
            parity_slots: 2,
            slot_roots: (0..6)
                .map(|i| SlotRoot::from_le_bytes([i; 32]).unwrap())
                .collect(),
            proof_probability: 4,
            blocks_per_slot: 16,
            cells_per_slot: 512,
            original_size: 4 * 16 * 65536,
            owner: ProviderKey([1; 32]),
            signature: ProviderSignature([2; 64]),
        }
    }

    #[test]
    fn key_byte_order_is_numeric_order() {
        let id = ContentId([0xff; 32]);
        assert!(attestation_key(Period(255), 9, &id) < attestation_key(Period(256), 0, &id));
        assert!(attestation_key(Period(1), 255, &id) < attestation_key(Period(1), 256, &id));
        let slot = SlotId {
            dataset: announce().root,
            index: 1,
        };
        assert!(slot_index_key(&slot, Period(255), &id) < slot_index_key(&slot, Period(256), &id));
        assert!(
            seen_period_key(Period(255), &id) < seen_period_key(Period(256), &ContentId([0; 32]))
        );
        assert_eq!(
            trailing_id(Cf::Slots, &slot_index_key(&slot, Period(7), &id)).unwrap(),
            id
        );
        assert!(trailing_id(Cf::Slots, &[0; 31]).is_err());
    }

    #[test]
    fn values_round_trip_and_damage_is_corrupt() {
        let value = encode(&announce());
        assert_eq!(value.first(), Some(&VALUE_VERSION));
        assert_eq!(
            decode::<DatasetAnnounce>(Cf::Datasets, b"k", &value).unwrap(),
            announce()
        );
        let corrupt = |v: &[u8]| decode::<DatasetAnnounce>(Cf::Datasets, b"k", v).unwrap_err();
        let mut future = value.clone();
        future[0] = 2;
        for bad in [
            &[][..],
            &future,
            &value[..value.len() - 1],
            &[VALUE_VERSION, 0xff],
        ] {
            assert!(matches!(
                corrupt(bad),
                StoreError::Corrupt { cf: "datasets", .. }
            ));
        }
        assert_eq!(
            decode_u64(Cf::Health, b"k", &7u64.to_be_bytes()).unwrap(),
            7
        );
        assert!(decode_u64(Cf::Health, b"k", &[7]).is_err());
    }
}
