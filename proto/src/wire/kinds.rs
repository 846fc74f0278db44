//! The table of gossip message kinds: for each kind its one-byte tag, its topic, its size limit
//! and its canonical decoder. A gossip payload is `tag ‖ canonical protobuf`; a topic accepts
//! only the kinds listed for it. A new kind of message is one new row here.

use super::codec::WireMessage;
use super::error::DecodeError;
use crate::domain::{
    AttestationBatch, DatasetAnnounce, GossipMessage, Heartbeat, ProofEnvelope, QuorumCertificate,
    RepairClaim, RepairRequest, SlotAssign,
};

/// The gossip topics (versioned names: protocol 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GossipTopic {
    /// Dataset announcements and owner-signed slot assignments.
    Registry,
    /// Storage proofs (the high-volume topic).
    Proofs,
    /// Verifiers' signed attestation batches.
    Attestations,
    /// Quorum certificates.
    Certificates,
    /// Repair requests and volunteers' claims.
    Repair,
    /// Providers' heartbeats (one small message per provider per period).
    Heartbeats,
}

impl GossipTopic {
    /// Every topic.
    pub const ALL: [GossipTopic; 6] = [
        GossipTopic::Registry,
        GossipTopic::Proofs,
        GossipTopic::Attestations,
        GossipTopic::Certificates,
        GossipTopic::Repair,
        GossipTopic::Heartbeats,
    ];

    /// The gossipsub topic name.
    pub fn name(self) -> &'static str {
        match self {
            GossipTopic::Registry => "/proofmesh/2/registry",
            GossipTopic::Proofs => "/proofmesh/2/proofs",
            GossipTopic::Attestations => "/proofmesh/2/attestations",
            GossipTopic::Certificates => "/proofmesh/2/certificates",
            GossipTopic::Repair => "/proofmesh/2/repair",
            GossipTopic::Heartbeats => "/proofmesh/2/heartbeats",
        }
    }

    /// Largest payload the topic carries: tag byte plus its largest kind's limit.
    pub fn max_payload(self) -> usize {
        KINDS
            .iter()
            .filter(|k| k.topic == self)
            .map(|k| 1 + k.max_bytes)
            .max()
            .unwrap_or(0)
    }
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    /// The first payload byte.
    pub tag: u8,
    /// A short name (logs, metric labels).
    pub name: &'static str,
    /// The one topic it is published on.
    pub topic: GossipTopic,
    /// Most bytes of its canonical encoding.
    pub max_bytes: usize,
    /// Its canonical decoder.
    pub decode: fn(&[u8]) -> Result<GossipMessage, DecodeError>,
}

/// Every kind of gossip message.
pub const KINDS: [Kind; 8] = [
    Kind {
        tag: 1,
        name: "announce",
        topic: GossipTopic::Registry,
        max_bytes: DatasetAnnounce::MAX_BYTES,
        decode: |b| DatasetAnnounce::decode(b).map(GossipMessage::Announce),
    },
    Kind {
        tag: 2,
        name: "assign",
        topic: GossipTopic::Registry,
        max_bytes: SlotAssign::MAX_BYTES,
        decode: |b| SlotAssign::decode(b).map(GossipMessage::Assign),
    },
    Kind {
        tag: 3,
        name: "proof",
        topic: GossipTopic::Proofs,
        max_bytes: ProofEnvelope::MAX_BYTES,
        decode: |b| ProofEnvelope::decode(b).map(GossipMessage::Proof),
    },
    Kind {
        tag: 4,
        name: "attestation",
        topic: GossipTopic::Attestations,
        max_bytes: AttestationBatch::MAX_BYTES,
        decode: |b| AttestationBatch::decode(b).map(GossipMessage::Attestation),
    },
    Kind {
        tag: 5,
        name: "certificate",
        topic: GossipTopic::Certificates,
        max_bytes: QuorumCertificate::MAX_BYTES,
        decode: |b| QuorumCertificate::decode(b).map(GossipMessage::Certificate),
    },
    Kind {
        tag: 6,
        name: "repair",
        topic: GossipTopic::Repair,
        max_bytes: RepairRequest::MAX_BYTES,
        decode: |b| RepairRequest::decode(b).map(GossipMessage::Repair),
    },
    Kind {
        tag: 7,
        name: "heartbeat",
        topic: GossipTopic::Heartbeats,
        max_bytes: Heartbeat::MAX_BYTES,
        decode: |b| Heartbeat::decode(b).map(GossipMessage::Heartbeat),
    },
    Kind {
        tag: 8,
        name: "claim",
        topic: GossipTopic::Repair,
        max_bytes: RepairClaim::MAX_BYTES,
        decode: |b| RepairClaim::decode(b).map(GossipMessage::Claim),
    },
];

/// The row of a message.
pub fn kind_of(message: &GossipMessage) -> &'static Kind {
    let tag = match message {
        GossipMessage::Announce(_) => 1,
        GossipMessage::Assign(_) => 2,
        GossipMessage::Proof(_) => 3,
        GossipMessage::Attestation(_) => 4,
        GossipMessage::Certificate(_) => 5,
        GossipMessage::Repair(_) => 6,
        GossipMessage::Heartbeat(_) => 7,
        GossipMessage::Claim(_) => 8,
    };
    &KINDS[tag - 1]
}

/// The gossip payload of a message: its tag, then its canonical encoding.
pub fn encode_gossip(message: &GossipMessage) -> Vec<u8> {
    let body = match message {
        GossipMessage::Announce(m) => m.encode(),
        GossipMessage::Assign(m) => m.encode(),
        GossipMessage::Proof(m) => m.encode(),
        GossipMessage::Attestation(m) => m.encode(),
        GossipMessage::Certificate(m) => m.encode(),
        GossipMessage::Repair(m) => m.encode(),
        GossipMessage::Heartbeat(m) => m.encode(),
        GossipMessage::Claim(m) => m.encode(),
    };
    let mut out = Vec::with_capacity(1 + body.len());
    out.push(kind_of(message).tag);
    out.extend_from_slice(&body);
    out
}

/// Decodes a payload received on `topic`: a known tag of a kind the topic carries, within the
/// kind's size limit, then the kind's canonical decoder. Anything else is an error (the
/// sender's fault).
pub fn decode_gossip(topic: GossipTopic, data: &[u8]) -> Result<GossipMessage, DecodeError> {
    let (&tag, body) = data
        .split_first()
        .ok_or(DecodeError::UnknownKind { tag: None })?;
    let kind = KINDS
        .iter()
        .find(|k| k.tag == tag && k.topic == topic)
        .ok_or(DecodeError::UnknownKind { tag: Some(tag) })?;
    if body.len() > kind.max_bytes {
        return Err(DecodeError::TooLarge {
            got: body.len(),
            max: kind.max_bytes,
        });
    }
    (kind.decode)(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_unique_and_indexed() {
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(usize::from(k.tag), i + 1, "{}", k.name);
        }
    }

    #[test]
    fn every_topic_carries_a_kind() {
        for t in GossipTopic::ALL {
            assert!(t.max_payload() > 1, "{}", t.name());
        }
    }

    #[test]
    fn empty_unknown_and_wrong_topic_tags_are_refused() {
        assert_eq!(
            decode_gossip(GossipTopic::Proofs, &[]),
            Err(DecodeError::UnknownKind { tag: None })
        );
        assert_eq!(
            decode_gossip(GossipTopic::Proofs, &[99, 1, 2]),
            Err(DecodeError::UnknownKind { tag: Some(99) })
        );
        // An announcement's tag on the proofs topic.
        assert_eq!(
            decode_gossip(GossipTopic::Proofs, &[1, 1, 2]),
            Err(DecodeError::UnknownKind { tag: Some(1) })
        );
    }
}
