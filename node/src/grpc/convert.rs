//! Domain → wire conversions for the health API, and the parsing of the hex ids clients send.
//! Ids are lower-case hex on the wire (`DatasetRoot` and `ContentId` display as such); a
//! malformed id is the client's fault and becomes INVALID_ARGUMENT.

use proofmesh_proto::wire::pb;
use proofmesh_proto::wire::pb::health_change::Change;
use proofmesh_proto::{ContentId, DatasetRoot, QuorumCertificate, SlotId, Verdict, WireMessage};
use proofmesh_verifier::health::{DatasetHealth, DatasetStatus, SlotHealth, SlotState};
use proofmesh_verifier::HealthEffect;
use tonic::Status;

/// The wire change for one effect of `HealthState::apply`, numbered `sequence`, as persisted
/// and streamed by `WatchHealth`; `None` for `Ignored`, which changes nothing.
pub fn change_of(effect: &HealthEffect, sequence: u64) -> Option<pb::HealthChange> {
    let (period, dataset, change) = match effect {
        HealthEffect::DatasetAdded { dataset, status } => (
            0,
            dataset,
            Change::DatasetAdded(pb::DatasetAdded {
                status: dataset_status(*status).into(),
            }),
        ),
        HealthEffect::SlotChanged {
            slot,
            from,
            to,
            period,
            evidence,
        } => (
            period.0,
            &slot.dataset,
            Change::SlotChanged(pb::SlotChanged {
                slot_index: slot.index.into(),
                from: slot_state(*from).into(),
                to: slot_state(*to).into(),
                evidence: evidence.iter().map(ToString::to_string).collect(),
            }),
        ),
        HealthEffect::DatasetChanged {
            dataset,
            from,
            to,
            period,
        } => (
            period.0,
            dataset,
            Change::DatasetChanged(pb::DatasetChanged {
                from: dataset_status(*from).into(),
                to: dataset_status(*to).into(),
            }),
        ),
        HealthEffect::Unrecoverable {
            dataset,
            period,
            surviving,
        } => (
            period.0,
            dataset,
            Change::DatasetUnrecoverable(pb::DatasetUnrecoverable {
                surviving_slots: (*surviving).into(),
            }),
        ),
        HealthEffect::RepairRequested {
            slot,
            period,
            certificate,
        } => (
            period.0,
            &slot.dataset,
            Change::RepairRequested(pb::RepairRequested {
                slot_index: slot.index.into(),
                certificate_id: certificate.to_string(),
            }),
        ),
        HealthEffect::Ignored(_) => return None,
    };
    Some(pb::HealthChange {
        sequence,
        period,
        dataset_root: dataset.to_string(),
        change: Some(change),
    })
}

pub(super) fn dataset_status(status: DatasetStatus) -> pb::DatasetStatus {
    match status {
        DatasetStatus::Healthy => pb::DatasetStatus::Healthy,
        DatasetStatus::Degraded => pb::DatasetStatus::Degraded,
        DatasetStatus::AtRisk => pb::DatasetStatus::AtRisk,
        DatasetStatus::Lost => pb::DatasetStatus::Lost,
    }
}

pub(super) fn slot_state(state: SlotState) -> pb::SlotState {
    match state {
        SlotState::Healthy => pb::SlotState::Healthy,
        SlotState::Missed(_) => pb::SlotState::Missed,
        SlotState::Invalid => pb::SlotState::Invalid,
        SlotState::Lost => pb::SlotState::Lost,
        SlotState::Repairing => pb::SlotState::Repairing,
    }
}

fn verdict(v: Verdict) -> i32 {
    v.to_wire()
}

/// A dataset with all its slots (no history: that is `GetSlot`'s).
pub(super) fn dataset_health(d: &DatasetHealth<'_>) -> pb::DatasetHealth {
    pb::DatasetHealth {
        dataset_root: d.dataset.to_string(),
        status: dataset_status(d.status).into(),
        data_slots: d.data_slots.into(),
        parity_slots: d.parity_slots.into(),
        healthy_slots: d.counts.healthy.into(),
        surviving_slots: d.counts.surviving().into(),
        slots: d.slot_ids().map(|(id, s)| slot_health(id, s)).collect(),
    }
}

pub(super) fn slot_health(id: SlotId, s: &SlotHealth) -> pb::SlotHealth {
    let latest = s.latest();
    pb::SlotHealth {
        dataset_root: id.dataset.to_string(),
        slot_index: id.index.into(),
        state: slot_state(s.state()).into(),
        misses: s.misses(),
        since_period: s.since().map(|p| p.0),
        latest_period: latest.map(|(p, _)| p.0),
        latest_verdict: latest.map_or(0, |(_, v)| verdict(v)),
        evidence: s.evidence().iter().map(ToString::to_string).collect(),
        repair_requested: s.repair_requested(),
        history: Vec::new(),
    }
}

/// One line of a slot's history: the period, its final verdict and the certificate behind it.
pub(super) fn certified_verdict(c: &QuorumCertificate) -> pb::CertifiedVerdict {
    pb::CertifiedVerdict {
        period: c.period.0,
        verdict: verdict(c.entry.verdict),
        certificate_id: c.content_id().to_string(),
    }
}

/// A certificate decoded for reading, with its canonical bytes for checking it independently.
pub(super) fn certificate(c: &QuorumCertificate) -> pb::Certificate {
    pb::Certificate {
        certificate_id: c.content_id().to_string(),
        period: c.period.0,
        dataset_root: c.entry.slot.dataset.to_string(),
        slot_index: c.entry.slot.index.into(),
        verdict: verdict(c.entry.verdict),
        signers: c.signers.iter().map(|v| u32::from(v.0)).collect(),
        encoded: c.encode(),
    }
}

/// The status filter of `ListDatasets`: UNSPECIFIED means all, an unknown number is refused.
pub(super) fn status_filter(wire: i32) -> Result<Option<DatasetStatus>, Status> {
    match pb::DatasetStatus::try_from(wire) {
        Ok(pb::DatasetStatus::Unspecified) => Ok(None),
        Ok(pb::DatasetStatus::Healthy) => Ok(Some(DatasetStatus::Healthy)),
        Ok(pb::DatasetStatus::Degraded) => Ok(Some(DatasetStatus::Degraded)),
        Ok(pb::DatasetStatus::AtRisk) => Ok(Some(DatasetStatus::AtRisk)),
        Ok(pb::DatasetStatus::Lost) => Ok(Some(DatasetStatus::Lost)),
        Err(_) => Err(Status::invalid_argument(format!(
            "status: unknown DatasetStatus {wire}"
        ))),
    }
}

/// 64 hex digits (either case) into 32 bytes; `field` names the request field in the error.
fn hex32(field: &str, s: &str) -> Result<[u8; 32], Status> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(s, &mut bytes).map_err(|_| {
        Status::invalid_argument(format!("{field}: expected 64 hex digits, got {s:?}"))
    })?;
    Ok(bytes)
}

/// A dataset root: 64 hex digits of the canonical little-endian field element.
pub(super) fn parse_root(field: &str, s: &str) -> Result<DatasetRoot, Status> {
    DatasetRoot::from_le_bytes(hex32(field, s)?).ok_or_else(|| {
        Status::invalid_argument(format!(
            "{field}: not a canonical BN254 scalar (little-endian, must be below the modulus)"
        ))
    })
}

/// A certificate id: 64 hex digits of the SHA-256 content id.
pub(super) fn parse_content_id(field: &str, s: &str) -> Result<ContentId, Status> {
    hex32(field, s).map(ContentId)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proofmesh_proto::Period;
    use proofmesh_verifier::health::IgnoreReason;

    fn root(b: u8) -> DatasetRoot {
        DatasetRoot::from_le_bytes([b; 32]).unwrap()
    }

    #[test]
    fn ids_parse_round_trip_and_refuse_garbage() {
        let r = root(7);
        assert_eq!(parse_root("r", &r.to_string()).ok(), Some(r));
        assert_eq!(parse_root("r", &r.to_string().to_uppercase()).ok(), Some(r));
        for bad in [
            "",
            "07",
            &"0g".repeat(32),
            &"ff".repeat(32),
            &"07".repeat(33),
        ] {
            let code = parse_root("r", bad).map(|_| ()).unwrap_err().code();
            assert_eq!(code, tonic::Code::InvalidArgument, "{bad:?}");
        }
        let id = ContentId([9; 32]);
        assert_eq!(parse_content_id("c", &id.to_string()).ok(), Some(id));
    }

    #[test]
    fn changes_carry_dataset_period_and_sequence() {
        let slot = SlotId {
            dataset: root(3),
            index: 5,
        };
        let effect = HealthEffect::RepairRequested {
            slot,
            period: Period(9),
            certificate: ContentId([1; 32]),
        };
        let c = change_of(&effect, 42).unwrap();
        assert_eq!((c.sequence, c.period), (42, 9));
        assert_eq!(c.dataset_root, root(3).to_string());
        let Some(Change::RepairRequested(r)) = c.change else {
            panic!("wrong change {c:?}")
        };
        assert_eq!(r.slot_index, 5);
        assert_eq!(r.certificate_id, ContentId([1; 32]).to_string());
        let ignored = HealthEffect::Ignored(IgnoreReason::Duplicate);
        assert_eq!(change_of(&ignored, 1), None);
    }

    #[test]
    fn status_filter_refuses_unknown_numbers() {
        assert_eq!(status_filter(0).ok(), Some(None));
        assert_eq!(status_filter(3).ok(), Some(Some(DatasetStatus::AtRisk)));
        assert!(status_filter(99).is_err());
    }
}
