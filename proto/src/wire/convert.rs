//! Validating conversions between generated protobuf types and domain types. Every check a
//! message's fields need happens here, once.

use super::error::DecodeError;
use super::pb;
use crate::domain::*;
use prost::Message;

/// Built from a wire value, validating every field.
pub(crate) trait FromWire<P>: Sized {
    fn from_wire(p: P) -> Result<Self, DecodeError>;
}

/// The canonical wire value of a domain value.
pub(crate) trait ToWire<P> {
    fn to_wire(&self) -> P;
}

/// Most entries in one attestation batch (one verifier, one period).
pub const MAX_BATCH_ENTRIES: usize = 65_536;
/// Most siblings in a signer's inclusion proof (trees of up to 2^32 entries).
pub const MAX_PATH: usize = 32;

fn fixed<const N: usize>(field: &'static str, bytes: &[u8]) -> Result<[u8; N], DecodeError> {
    bytes.try_into().map_err(|_| DecodeError::Length {
        field,
        got: bytes.len(),
        want: N,
    })
}

fn root(field: &'static str, bytes: &[u8]) -> Result<DatasetRoot, DecodeError> {
    DatasetRoot::from_le_bytes(fixed(field, bytes)?).ok_or(DecodeError::Range {
        field,
        why: "not a canonical BN254 scalar (must be < r)",
    })
}

fn slot(field: &'static str, s: Option<pb::SlotRef>) -> Result<SlotId, DecodeError> {
    let s = s.ok_or(DecodeError::Missing(field))?;
    if s.slot_index >= MAX_SLOTS {
        return Err(DecodeError::Range {
            field: "slot_index",
            why: "must be < 256",
        });
    }
    Ok(SlotId {
        dataset: root("dataset_root", &s.dataset_root)?,
        index: s.slot_index as u16,
    })
}

fn slot_wire(s: &SlotId) -> pb::SlotRef {
    pb::SlotRef {
        dataset_root: s.dataset.to_le_bytes().to_vec(),
        slot_index: u32::from(s.index),
    }
}

fn verifier(v: u32) -> Result<VerifierIndex, DecodeError> {
    u16::try_from(v)
        .ok()
        .filter(|v| usize::from(*v) < SignerBitfield::MAX_VERIFIERS)
        .map(VerifierIndex)
        .ok_or(DecodeError::Range {
            field: "verifier_index",
            why: "must be < 4096",
        })
}

impl FromWire<pb::SlotVerdict> for SlotVerdict {
    fn from_wire(p: pb::SlotVerdict) -> Result<Self, DecodeError> {
        let verdict = Verdict::from_wire(p.verdict).ok_or(DecodeError::Range {
            field: "verdict",
            why: "must be 1, 2 or 3",
        })?;
        Ok(Self {
            slot: slot("slot", p.slot)?,
            verdict,
        })
    }
}

impl ToWire<pb::SlotVerdict> for SlotVerdict {
    fn to_wire(&self) -> pb::SlotVerdict {
        pb::SlotVerdict {
            slot: Some(slot_wire(&self.slot)),
            verdict: self.verdict.to_wire(),
        }
    }
}

impl FromWire<pb::DatasetAnnounce> for DatasetAnnounce {
    fn from_wire(p: pb::DatasetAnnounce) -> Result<Self, DecodeError> {
        let k = u16::try_from(p.data_slots).unwrap_or(u16::MAX);
        let m = u16::try_from(p.parity_slots).unwrap_or(u16::MAX);
        if k == 0 || u32::from(k) + u32::from(m) > MAX_SLOTS {
            return Err(DecodeError::Range {
                field: "data_slots",
                why: "K >= 1 and K + M <= 256",
            });
        }
        if p.slot_roots.len() != usize::from(k) + usize::from(m) {
            return Err(DecodeError::Range {
                field: "slot_roots",
                why: "one root per slot: K + M of them",
            });
        }
        let slot_roots = p
            .slot_roots
            .iter()
            .map(|r| {
                SlotRoot::from_le_bytes(fixed("slot_roots", r)?).ok_or(DecodeError::Range {
                    field: "slot_roots",
                    why: "not a canonical BN254 scalar (must be < r)",
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let blocks = p.blocks_per_slot;
        let Some(cells) = DatasetAnnounce::cells_for_blocks(blocks) else {
            return Err(DecodeError::Range {
                field: "blocks_per_slot",
                why: "in [1, 2^27]",
            });
        };
        if p.cells_per_slot != cells {
            return Err(DecodeError::Range {
                field: "cells_per_slot",
                why: "must be nextPow2(blocks_per_slot) * 32",
            });
        }
        // nim-codex's layout: the file's N blocks are padded to a multiple of K, so each slot
        // holds ceil(N / K) blocks and the file is more than K · (blocks − 1) blocks long.
        // K · blocks · 64 KiB ≤ 2^8 · 2^27 · 2^16: no overflow.
        let capacity = u64::from(k) * blocks * BLOCK_BYTES;
        let shorter = u64::from(k) * (blocks - 1) * BLOCK_BYTES;
        if p.original_size <= shorter || p.original_size > capacity {
            return Err(DecodeError::Range {
                field: "original_size",
                why: "in (K * (blocks_per_slot - 1) * 64 KiB, K * blocks_per_slot * 64 KiB]",
            });
        }
        Ok(Self {
            root: root("dataset_root", &p.dataset_root)?,
            data_slots: k,
            parity_slots: m,
            slot_roots,
            proof_probability: p.proof_probability,
            blocks_per_slot: blocks,
            cells_per_slot: cells,
            original_size: p.original_size,
            owner: ProviderKey(fixed("owner_key", &p.owner_key)?),
            signature: ProviderSignature(fixed("owner_signature", &p.owner_signature)?),
        })
    }
}

impl ToWire<pb::DatasetAnnounce> for DatasetAnnounce {
    fn to_wire(&self) -> pb::DatasetAnnounce {
        pb::DatasetAnnounce {
            dataset_root: self.root.to_le_bytes().to_vec(),
            data_slots: self.data_slots.into(),
            parity_slots: self.parity_slots.into(),
            proof_probability: self.proof_probability,
            cells_per_slot: self.cells_per_slot,
            owner_key: self.owner.0.to_vec(),
            owner_signature: self.signature.0.to_vec(),
            slot_roots: self
                .slot_roots
                .iter()
                .map(|r| r.to_le_bytes().to_vec())
                .collect(),
            blocks_per_slot: self.blocks_per_slot,
            original_size: self.original_size,
        }
    }
}

impl FromWire<pb::SlotAssign> for SlotAssign {
    fn from_wire(p: pb::SlotAssign) -> Result<Self, DecodeError> {
        Ok(Self {
            slot: slot("slot", p.slot)?,
            provider: ProviderKey(fixed("provider_key", &p.provider_key)?),
            from_period: Period(p.from_period),
            signature: ProviderSignature(fixed("owner_signature", &p.owner_signature)?),
        })
    }
}

impl ToWire<pb::SlotAssign> for SlotAssign {
    fn to_wire(&self) -> pb::SlotAssign {
        pb::SlotAssign {
            slot: Some(slot_wire(&self.slot)),
            provider_key: self.provider.0.to_vec(),
            from_period: self.from_period.0,
            owner_signature: self.signature.0.to_vec(),
        }
    }
}

/// Proof bytes: present, and at most [`MAX_PROOF_BYTES`].
fn bounded_proof(bytes: Vec<u8>) -> Result<Vec<u8>, DecodeError> {
    if bytes.is_empty() || bytes.len() > MAX_PROOF_BYTES {
        return Err(DecodeError::Range {
            field: "proof",
            why: "1 to 16384 bytes",
        });
    }
    Ok(bytes)
}

impl FromWire<pb::ProofEnvelope> for ProofEnvelope {
    fn from_wire(p: pb::ProofEnvelope) -> Result<Self, DecodeError> {
        Ok(Self {
            slot: slot("slot", p.slot)?,
            period: Period(p.period),
            circuit_id: CircuitId(fixed("circuit_id", &p.circuit_id)?),
            proof_system: ProofSystem(p.proof_system),
            proof: bounded_proof(p.proof)?,
            provider: ProviderKey(fixed("provider_key", &p.provider_key)?),
            signature: ProviderSignature(fixed("provider_signature", &p.provider_signature)?),
        })
    }
}

impl ToWire<pb::ProofEnvelope> for ProofEnvelope {
    fn to_wire(&self) -> pb::ProofEnvelope {
        pb::ProofEnvelope {
            slot: Some(slot_wire(&self.slot)),
            period: self.period.0,
            circuit_id: self.circuit_id.0.to_vec(),
            proof_system: self.proof_system.0,
            proof: self.proof.clone(),
            provider_key: self.provider.0.to_vec(),
            provider_signature: self.signature.0.to_vec(),
        }
    }
}

impl FromWire<pb::AttestationBatch> for AttestationBatch {
    fn from_wire(p: pb::AttestationBatch) -> Result<Self, DecodeError> {
        if p.entries.len() > MAX_BATCH_ENTRIES {
            return Err(DecodeError::Range {
                field: "entries",
                why: "at most 65536 entries",
            });
        }
        let entries = p
            .entries
            .into_iter()
            .map(SlotVerdict::from_wire)
            .collect::<Result<Vec<_>, _>>()?;
        if entries.windows(2).any(|w| w[0].slot >= w[1].slot) {
            return Err(DecodeError::Unsorted("entries"));
        }
        Ok(Self {
            verifier: verifier(p.verifier_index)?,
            period: Period(p.period),
            entries,
            signature: BlsSignature(fixed("signature", &p.signature)?),
        })
    }
}

impl ToWire<pb::AttestationBatch> for AttestationBatch {
    fn to_wire(&self) -> pb::AttestationBatch {
        pb::AttestationBatch {
            verifier_index: self.verifier.0.into(),
            period: self.period.0,
            entries: self.entries.iter().map(ToWire::to_wire).collect(),
            signature: self.signature.0.to_vec(),
        }
    }
}

impl FromWire<pb::SignerProof> for SignerProof {
    fn from_wire(p: pb::SignerProof) -> Result<Self, DecodeError> {
        if p.entry_count == 0 || p.entry_index >= p.entry_count {
            return Err(DecodeError::Range {
                field: "entry_index",
                why: "must be < entry_count (>= 1)",
            });
        }
        if p.path.len() > MAX_PATH {
            return Err(DecodeError::Range {
                field: "path",
                why: "at most 32 siblings",
            });
        }
        let path = p
            .path
            .iter()
            .map(|n| fixed("path", n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            entries_root: fixed("entries_root", &p.entries_root)?,
            entry_index: p.entry_index,
            entry_count: p.entry_count,
            path,
        })
    }
}

impl ToWire<pb::SignerProof> for SignerProof {
    fn to_wire(&self) -> pb::SignerProof {
        pb::SignerProof {
            entries_root: self.entries_root.to_vec(),
            entry_index: self.entry_index,
            entry_count: self.entry_count,
            path: self.path.iter().map(|n| n.to_vec()).collect(),
        }
    }
}

impl FromWire<pb::QuorumCertificate> for QuorumCertificate {
    fn from_wire(p: pb::QuorumCertificate) -> Result<Self, DecodeError> {
        let signers = SignerBitfield::from_bytes(p.signers).ok_or(DecodeError::Range {
            field: "signers",
            why: "a bitfield of <= 4096 bits, no trailing zero byte",
        })?;
        if signers.is_empty() {
            return Err(DecodeError::Range {
                field: "signers",
                why: "at least one signer",
            });
        }
        if p.proofs.len() != signers.len() {
            return Err(DecodeError::Range {
                field: "proofs",
                why: "one proof per signer",
            });
        }
        Ok(Self {
            period: Period(p.period),
            entry: SlotVerdict::from_wire(p.entry.ok_or(DecodeError::Missing("entry"))?)?,
            signers,
            proofs: p
                .proofs
                .into_iter()
                .map(SignerProof::from_wire)
                .collect::<Result<_, _>>()?,
            aggregate_signature: BlsSignature(fixed(
                "aggregate_signature",
                &p.aggregate_signature,
            )?),
        })
    }
}

impl ToWire<pb::QuorumCertificate> for QuorumCertificate {
    fn to_wire(&self) -> pb::QuorumCertificate {
        pb::QuorumCertificate {
            period: self.period.0,
            entry: Some(self.entry.to_wire()),
            signers: self.signers.as_bytes().to_vec(),
            proofs: self.proofs.iter().map(ToWire::to_wire).collect(),
            aggregate_signature: self.aggregate_signature.0.to_vec(),
        }
    }
}

impl FromWire<pb::RepairRequest> for RepairRequest {
    fn from_wire(p: pb::RepairRequest) -> Result<Self, DecodeError> {
        if p.evidence.is_empty() || p.evidence.len() > MAX_REPAIR_EVIDENCE {
            return Err(DecodeError::Range {
                field: "evidence",
                why: "1 to 8 certificates",
            });
        }
        let evidence = p
            .evidence
            .into_iter()
            .map(QuorumCertificate::from_wire)
            .collect::<Result<Vec<_>, _>>()?;
        let request = Self {
            slot: slot("slot", p.slot)?,
            period: Period(p.period),
            certificate: ContentId(fixed("certificate_id", &p.certificate_id)?),
            verifier: verifier(p.verifier_index)?,
            signature: BlsSignature(fixed("signature", &p.signature)?),
            evidence,
        };
        if request
            .evidence
            .iter()
            .any(|c| c.entry.slot != request.slot)
        {
            return Err(DecodeError::Range {
                field: "evidence",
                why: "a certificate of another slot",
            });
        }
        if request
            .evidence
            .windows(2)
            .any(|w| w[0].period >= w[1].period)
        {
            return Err(DecodeError::Unsorted("evidence"));
        }
        let last = request
            .evidence
            .last()
            .ok_or(DecodeError::Missing("evidence"))?;
        if last.period != request.period
            || crate::wire::WireMessage::content_id(last) != request.certificate
        {
            return Err(DecodeError::Range {
                field: "certificate_id",
                why: "must be the last evidence certificate, of the request's period",
            });
        }
        Ok(request)
    }
}

impl ToWire<pb::RepairRequest> for RepairRequest {
    fn to_wire(&self) -> pb::RepairRequest {
        pb::RepairRequest {
            slot: Some(slot_wire(&self.slot)),
            period: self.period.0,
            certificate_id: self.certificate.0.to_vec(),
            verifier_index: self.verifier.0.into(),
            signature: self.signature.0.to_vec(),
            evidence: self.evidence.iter().map(ToWire::to_wire).collect(),
        }
    }
}

impl FromWire<pb::Heartbeat> for Heartbeat {
    fn from_wire(p: pb::Heartbeat) -> Result<Self, DecodeError> {
        if p.slots.is_empty() || p.slots.len() > MAX_HEARTBEAT_SLOTS {
            return Err(DecodeError::Range {
                field: "slots",
                why: "1 to 1024 slots",
            });
        }
        let slots = p
            .slots
            .into_iter()
            .map(|s| slot("slots", Some(s)))
            .collect::<Result<Vec<_>, _>>()?;
        if slots.windows(2).any(|w| w[0] >= w[1]) {
            return Err(DecodeError::Unsorted("slots"));
        }
        Ok(Self {
            provider: ProviderKey(fixed("provider_key", &p.provider_key)?),
            period: Period(p.period),
            slots,
            signature: ProviderSignature(fixed("provider_signature", &p.provider_signature)?),
        })
    }
}

impl ToWire<pb::Heartbeat> for Heartbeat {
    fn to_wire(&self) -> pb::Heartbeat {
        pb::Heartbeat {
            provider_key: self.provider.0.to_vec(),
            period: self.period.0,
            slots: self.slots.iter().map(slot_wire).collect(),
            provider_signature: self.signature.0.to_vec(),
        }
    }
}

impl FromWire<pb::RepairClaim> for RepairClaim {
    fn from_wire(p: pb::RepairClaim) -> Result<Self, DecodeError> {
        Ok(Self {
            slot: slot("slot", p.slot)?,
            loss: ContentId(fixed("loss_certificate_id", &p.loss_certificate_id)?),
            volunteer: ProviderKey(fixed("volunteer_key", &p.volunteer_key)?),
            period: Period(p.period),
            signature: ProviderSignature(fixed("volunteer_signature", &p.volunteer_signature)?),
        })
    }
}

impl ToWire<pb::RepairClaim> for RepairClaim {
    fn to_wire(&self) -> pb::RepairClaim {
        pb::RepairClaim {
            slot: Some(slot_wire(&self.slot)),
            loss_certificate_id: self.loss.0.to_vec(),
            volunteer_key: self.volunteer.0.to_vec(),
            period: self.period.0,
            volunteer_signature: self.signature.0.to_vec(),
        }
    }
}

fn tagged(tag: &[u8], body: impl Message) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.extend(body.encode_to_vec());
    out
}

impl DatasetAnnounce {
    /// The bytes the owner signs: the type's tag and the canonical encoding without signature.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut p = self.to_wire();
        p.owner_signature.clear();
        tagged(b"proofmesh/v2/DatasetAnnounce/sign", p)
    }
}

impl SlotAssign {
    /// The bytes the dataset's owner signs (a tag of its own: a v1 claim, which its provider
    /// signed, can never pass for an assignment).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut p = self.to_wire();
        p.owner_signature.clear();
        tagged(b"proofmesh/v2/SlotAssign/sign", p)
    }
}

impl ProofEnvelope {
    /// The bytes the provider signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut p = self.to_wire();
        p.provider_signature.clear();
        tagged(b"proofmesh/v2/ProofEnvelope/sign", p)
    }
}

impl RepairRequest {
    /// The bytes the requesting verifier signs (BLS).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut p = self.to_wire();
        p.signature.clear();
        tagged(b"proofmesh/v2/RepairRequest/sign", p)
    }
}

impl Heartbeat {
    /// The bytes the provider signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut p = self.to_wire();
        p.provider_signature.clear();
        tagged(b"proofmesh/v2/Heartbeat/sign", p)
    }
}

impl RepairClaim {
    /// The bytes the volunteer signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut p = self.to_wire();
        p.volunteer_signature.clear();
        tagged(b"proofmesh/v2/RepairClaim/sign", p)
    }
}
