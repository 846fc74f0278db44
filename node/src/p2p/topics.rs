//! The five gossipsub topics of DESIGN §5, which message kinds each one carries, and the
//! canonical decoding of a topic's payload into a [`GossipMessage`].
//!
//! Every topic carries exactly one message type, except `/proofmesh/1/registry`, which carries
//! `DatasetAnnounce` and `SlotAssign` *without* a kind tag: their canonical encodings can never
//! both decode. Field 2 is a varint in `DatasetAnnounce` (`data_slots >= 1`, always present)
//! and a length-delimited 32-byte key in `SlotAssign` (always present); prost refuses a field
//! with the wrong wire type, so a payload that decodes as one fails the other. The decoder still
//! tries both and refuses a payload that both accept (unreachable, but then ambiguous, not
//! guessed).

use super::GossipMessage;
use libp2p::gossipsub::{IdentTopic, TopicHash};
use proofmesh_proto::{
    AttestationBatch, DatasetAnnounce, DecodeError, ProofEnvelope, QuorumCertificate,
    RepairRequest, SlotAssign, WireMessage,
};

/// A proofmesh gossipsub topic (versioned names, so a protocol change gets new topics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Dataset announcements and slot claims.
    Registry,
    /// Storage proofs (the high-volume topic; its own inbound queue).
    Proofs,
    /// Verifiers' signed attestation batches.
    Attestations,
    /// Quorum certificates.
    Certificates,
    /// Repair requests.
    Repair,
}

impl Topic {
    /// Every topic; a node subscribes to all of them.
    pub const ALL: [Topic; 5] = [
        Topic::Registry,
        Topic::Proofs,
        Topic::Attestations,
        Topic::Certificates,
        Topic::Repair,
    ];

    /// The gossipsub topic name (also its hash: topics are identity-hashed).
    pub fn name(self) -> &'static str {
        match self {
            Topic::Registry => "/proofmesh/1/registry",
            Topic::Proofs => "/proofmesh/1/proofs",
            Topic::Attestations => "/proofmesh/1/attestations",
            Topic::Certificates => "/proofmesh/1/certificates",
            Topic::Repair => "/proofmesh/1/repair",
        }
    }

    /// A short name for metric labels.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Registry => "registry",
            Topic::Proofs => "proofs",
            Topic::Attestations => "attestations",
            Topic::Certificates => "certificates",
            Topic::Repair => "repair",
        }
    }

    /// The topic a received gossipsub message was published on, if it is one of ours.
    pub fn from_hash(hash: &TopicHash) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.name() == hash.as_str())
    }

    /// The gossipsub topic.
    pub fn ident(self) -> IdentTopic {
        IdentTopic::new(self.name())
    }

    /// The gossipsub topic hash.
    pub fn hash(self) -> TopicHash {
        self.ident().hash()
    }

    /// Largest payload the topic carries: the canonical decoder's limit of its largest type.
    pub fn max_payload(self) -> usize {
        match self {
            Topic::Registry => DatasetAnnounce::MAX_BYTES.max(SlotAssign::MAX_BYTES),
            Topic::Proofs => ProofEnvelope::MAX_BYTES,
            Topic::Attestations => AttestationBatch::MAX_BYTES,
            Topic::Certificates => QuorumCertificate::MAX_BYTES,
            Topic::Repair => RepairRequest::MAX_BYTES,
        }
    }

    /// Decodes a payload received on this topic with the canonical decoder of the kinds the
    /// topic allows; anything else (garbage, oversized, another topic's kind) is an error.
    pub fn decode(self, data: &[u8]) -> Result<GossipMessage, DecodeError> {
        Ok(match self {
            Topic::Registry => match (DatasetAnnounce::decode(data), SlotAssign::decode(data)) {
                (Ok(a), Err(_)) => GossipMessage::Announce(a),
                (Err(_), Ok(s)) => GossipMessage::Assign(s),
                (Err(e), Err(_)) => return Err(e),
                (Ok(_), Ok(_)) => return Err(DecodeError::NonCanonical),
            },
            Topic::Proofs => GossipMessage::Proof(ProofEnvelope::decode(data)?),
            Topic::Attestations => GossipMessage::Attestation(AttestationBatch::decode(data)?),
            Topic::Certificates => GossipMessage::Certificate(QuorumCertificate::decode(data)?),
            Topic::Repair => GossipMessage::Repair(RepairRequest::decode(data)?),
        })
    }
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Topic {
    /// The one topic a kind of message is published on.
    pub fn of(message: &GossipMessage) -> Topic {
        match message {
            GossipMessage::Announce(_) | GossipMessage::Assign(_) => Topic::Registry,
            GossipMessage::Proof(_) => Topic::Proofs,
            GossipMessage::Attestation(_) => Topic::Attestations,
            GossipMessage::Certificate(_) => Topic::Certificates,
            GossipMessage::Repair(_) => Topic::Repair,
        }
    }
}

/// The canonical encoding of a message, as published on its topic.
pub fn encode_message(message: &GossipMessage) -> Vec<u8> {
    match message {
        GossipMessage::Announce(m) => m.encode(),
        GossipMessage::Assign(m) => m.encode(),
        GossipMessage::Proof(m) => m.encode(),
        GossipMessage::Attestation(m) => m.encode(),
        GossipMessage::Certificate(m) => m.encode(),
        GossipMessage::Repair(m) => m.encode(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proofmesh_proto::{DatasetRoot, Period, ProviderKey, ProviderSignature, SlotId};

    fn root() -> DatasetRoot {
        let mut bytes = [7; 32];
        bytes[31] = 1;
        DatasetRoot::from_le_bytes(bytes).unwrap()
    }

    fn announce() -> DatasetAnnounce {
        DatasetAnnounce {
            root: root(),
            data_slots: 4,
            parity_slots: 2,
            proof_probability: 4,
            cells_per_slot: 512,
            owner: ProviderKey([1; 32]),
            signature: ProviderSignature([2; 64]),
        }
    }

    fn assign() -> SlotAssign {
        SlotAssign {
            slot: SlotId {
                dataset: root(),
                index: 3,
            },
            provider: ProviderKey([3; 32]),
            from_period: Period(10),
            signature: ProviderSignature([4; 64]),
        }
    }

    #[test]
    fn names_round_trip_through_hashes() {
        for t in Topic::ALL {
            assert_eq!(Topic::from_hash(&t.hash()), Some(t));
        }
        assert_eq!(Topic::from_hash(&IdentTopic::new("/other").hash()), None);
    }

    #[test]
    fn registry_kinds_are_disjoint_without_a_tag() {
        let a = announce().encode();
        let s = assign().encode();
        assert!(SlotAssign::decode(&a).is_err());
        assert!(DatasetAnnounce::decode(&s).is_err());
        assert!(
            matches!(Topic::Registry.decode(&a), Ok(GossipMessage::Announce(m)) if m == announce())
        );
        assert!(
            matches!(Topic::Registry.decode(&s), Ok(GossipMessage::Assign(m)) if m == assign())
        );
    }

    #[test]
    fn wrong_kind_garbage_and_oversize_are_refused() {
        let a = announce().encode();
        assert!(Topic::Proofs.decode(&a).is_err());
        assert!(Topic::Attestations.decode(&a).is_err());
        assert!(Topic::Registry.decode(b"\xff\xffgarbage").is_err());
        let big = vec![0u8; Topic::Proofs.max_payload() + 1];
        assert!(matches!(
            Topic::Proofs.decode(&big),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn message_topic_matches_decoding_topic() {
        let m = GossipMessage::Assign(assign());
        let decoded = Topic::of(&m).decode(&encode_message(&m)).unwrap();
        assert_eq!(Topic::of(&decoded), Topic::Registry);
    }
}
