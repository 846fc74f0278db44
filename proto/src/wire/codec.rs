//! Canonical decoding and content ids for every message type.

use super::convert::{FromWire, ToWire};
use super::error::DecodeError;
use crate::domain::{
    AttestationBatch, ContentId, DatasetAnnounce, Heartbeat, ProofEnvelope, QuorumCertificate,
    RepairClaim, RepairRequest, SlotAssign,
};
use prost::Message;
use sha2::{Digest, Sha256};

/// A protocol message with one canonical byte encoding.
pub trait WireMessage: Sized {
    /// Largest accepted encoding; bigger inputs are refused before parsing.
    const MAX_BYTES: usize;
    /// Domain tag of content ids and signing messages (distinct per type).
    const TAG: &'static [u8];

    /// The canonical encoding.
    fn encode(&self) -> Vec<u8>;

    /// Decodes untrusted bytes: size limit, protobuf, field validation, canonical form.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError>;

    /// SHA-256 over the tag and the canonical encoding: gossip message id and dedupe key.
    fn content_id(&self) -> ContentId {
        let mut h = Sha256::new();
        h.update(Self::TAG);
        h.update(self.encode());
        ContentId(h.finalize().into())
    }
}

fn decode_canonical<D, P>(bytes: &[u8], max: usize) -> Result<D, DecodeError>
where
    P: Message + Default,
    D: FromWire<P> + ToWire<P>,
{
    if bytes.len() > max {
        return Err(DecodeError::TooLarge {
            got: bytes.len(),
            max,
        });
    }
    let wire = P::decode(bytes).map_err(|e| DecodeError::Protobuf(e.to_string()))?;
    let value = D::from_wire(wire)?;
    if value.to_wire().encode_to_vec() != bytes {
        return Err(DecodeError::NonCanonical);
    }
    Ok(value)
}

macro_rules! wire_message {
    ($domain:ty, $pb:ty, $max:expr, $tag:expr) => {
        impl WireMessage for $domain {
            const MAX_BYTES: usize = $max;
            const TAG: &'static [u8] = $tag;
            fn encode(&self) -> Vec<u8> {
                self.to_wire().encode_to_vec()
            }
            fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
                decode_canonical::<Self, $pb>(bytes, Self::MAX_BYTES)
            }
        }
    };
}

use super::pb;
wire_message!(
    DatasetAnnounce,
    pb::DatasetAnnounce,
    // 256 slot roots (34 bytes each with their field header) and at most 166 bytes of other
    // fields: 8,870 bytes; the largest valid announcement fits (`proto/tests/wire.rs`).
    9 * 1024,
    b"proofmesh/v2/DatasetAnnounce"
);
wire_message!(SlotAssign, pb::SlotAssign, 512, b"proofmesh/v2/SlotAssign");
wire_message!(
    ProofEnvelope,
    pb::ProofEnvelope,
    // The proof bytes' bound plus the envelope's fixed fields.
    crate::domain::MAX_PROOF_BYTES + 512,
    b"proofmesh/v2/ProofEnvelope"
);
wire_message!(
    AttestationBatch,
    pb::AttestationBatch,
    4 << 20,
    b"proofmesh/v1/AttestationBatch"
);
wire_message!(
    QuorumCertificate,
    pb::QuorumCertificate,
    1 << 20,
    b"proofmesh/v1/QuorumCertificate"
);
wire_message!(
    RepairRequest,
    pb::RepairRequest,
    // The evidence: up to 8 certificates; a certificate's own limit is 1 MiB, but one of a
    // realistic set (≤ 256 signers) is far smaller, and the whole request is bounded here.
    1 << 20,
    b"proofmesh/v2/RepairRequest"
);
wire_message!(
    Heartbeat,
    pb::Heartbeat,
    // 1024 slot refs (41 bytes each with their field header) and the fixed fields.
    42 * 1024 + 256,
    b"proofmesh/v2/Heartbeat"
);
wire_message!(
    RepairClaim,
    pb::RepairClaim,
    512,
    b"proofmesh/v2/RepairClaim"
);
