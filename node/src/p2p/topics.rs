//! The gossipsub topics of DESIGN §5 (and the heartbeats topic of altruistic mode) (protocol 2: `/proofmesh/2/…`) on top of the
//! protocol's table of message kinds (`proofmesh_proto::wire::KINDS`): each payload is a
//! one-byte kind tag and the kind's canonical encoding, and a topic decodes only the kinds the
//! table lists for it, within the kind's size limit.

use super::GossipMessage;
use libp2p::gossipsub::{IdentTopic, TopicHash};
use proofmesh_proto::wire::{decode_gossip, encode_gossip, kind_of, GossipTopic};
use proofmesh_proto::DecodeError;

/// A proofmesh gossipsub topic (versioned names, so a protocol change gets new topics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Dataset announcements and owner-signed slot assignments.
    Registry,
    /// Storage proofs (the high-volume topic; its own inbound queue).
    Proofs,
    /// Verifiers' signed attestation batches.
    Attestations,
    /// Quorum certificates.
    Certificates,
    /// Repair requests.
    Repair,
    /// Providers' heartbeats.
    Heartbeats,
}

impl Topic {
    /// Every topic; a node subscribes to all of them.
    pub const ALL: [Topic; 6] = [
        Topic::Registry,
        Topic::Proofs,
        Topic::Attestations,
        Topic::Certificates,
        Topic::Repair,
        Topic::Heartbeats,
    ];

    /// The protocol's name for this topic.
    fn wire(self) -> GossipTopic {
        match self {
            Topic::Registry => GossipTopic::Registry,
            Topic::Proofs => GossipTopic::Proofs,
            Topic::Attestations => GossipTopic::Attestations,
            Topic::Certificates => GossipTopic::Certificates,
            Topic::Repair => GossipTopic::Repair,
            Topic::Heartbeats => GossipTopic::Heartbeats,
        }
    }

    /// The gossipsub topic name (also its hash: topics are identity-hashed).
    pub fn name(self) -> &'static str {
        self.wire().name()
    }

    /// A short name for metric labels.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Registry => "registry",
            Topic::Proofs => "proofs",
            Topic::Attestations => "attestations",
            Topic::Certificates => "certificates",
            Topic::Repair => "repair",
            Topic::Heartbeats => "heartbeats",
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

    /// Largest payload the topic carries: the tag plus its largest kind's limit.
    pub fn max_payload(self) -> usize {
        self.wire().max_payload()
    }

    /// Decodes a payload received on this topic (a kind the topic carries, canonical, within
    /// its limit); anything else (garbage, oversized, another topic's kind) is an error.
    pub fn decode(self, data: &[u8]) -> Result<GossipMessage, DecodeError> {
        decode_gossip(self.wire(), data)
    }

    /// The one topic a kind of message is published on.
    pub fn of(message: &GossipMessage) -> Topic {
        match kind_of(message).topic {
            GossipTopic::Registry => Topic::Registry,
            GossipTopic::Proofs => Topic::Proofs,
            GossipTopic::Attestations => Topic::Attestations,
            GossipTopic::Certificates => Topic::Certificates,
            GossipTopic::Repair => Topic::Repair,
            GossipTopic::Heartbeats => Topic::Heartbeats,
        }
    }
}

/// The gossip payload of a message, as published on its topic (tag, canonical encoding).
pub fn encode_message(message: &GossipMessage) -> Vec<u8> {
    encode_gossip(message)
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proofmesh_proto::{
        DatasetAnnounce, DatasetRoot, Period, ProviderKey, ProviderSignature, SlotAssign, SlotId,
        SlotRoot, WireMessage,
    };

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
    fn registry_kinds_are_told_apart_by_their_tag() {
        let a = encode_message(&GossipMessage::Announce(announce()));
        let s = encode_message(&GossipMessage::Assign(assign()));
        assert_eq!((a[0], s[0]), (1, 2));
        assert_eq!(&a[1..], announce().encode().as_slice());
        assert!(
            matches!(Topic::Registry.decode(&a), Ok(GossipMessage::Announce(m)) if m == announce())
        );
        assert!(
            matches!(Topic::Registry.decode(&s), Ok(GossipMessage::Assign(m)) if m == assign())
        );
    }

    #[test]
    fn wrong_kind_garbage_and_oversize_are_refused() {
        let a = encode_message(&GossipMessage::Announce(announce()));
        assert!(Topic::Proofs.decode(&a).is_err());
        // Untagged (protocol 1) payloads are refused.
        assert!(Topic::Registry.decode(&announce().encode()).is_err());
        assert!(Topic::Attestations.decode(&a).is_err());
        assert!(Topic::Registry.decode(b"\xff\xffgarbage").is_err());
        let mut big = vec![0u8; Topic::Proofs.max_payload() + 1];
        big[0] = 3;
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
