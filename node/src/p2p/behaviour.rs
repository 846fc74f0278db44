//! The composed libp2p behaviour: gossipsub (explicit validation, content ids, peer scoring),
//! identify, Kademlia (optional: off gives a fixed topology), and two request/response
//! protocols: catch-up sync and block transfer.
//!
//! Message ids are content ids: SHA-256 over the topic name, a zero byte and the raw payload.
//! The raw payload, not `WireMessage::content_id`, because the id is computed before decoding,
//! for every message including garbage: it must be total and cheap, and it must not decode on
//! the swarm task twice. For a valid message the raw payload *is* the canonical encoding, so the
//! id is still a pure function of the content (two publishers of the same batch share one id).
//! The topic is hashed in so that one payload seen first on the wrong topic (and rejected there)
//! cannot shadow the same payload on its right topic through the duplicate cache.
//!
//! **Our own messages coming back.** Other gossipsub implementations forward a message to every
//! mesh peer but the one it came from, so a message we published can come back to us through a
//! third peer (and a peer may re-publish it). rust-libp2p's default drops such a message as
//! `SelfOrigin` *before* its duplicate check and counts it as an invalid delivery (P4) of the
//! honest peer that forwarded it: a few echoes graylist it. We set `allow_self_origin`: the echo
//! then meets the duplicate cache (our content id is in it since we published) and is dropped
//! there without blame. Forging our origin is not possible (strict validation checks the
//! signature against the source); a replay after the duplicate cache expired reaches the node,
//! whose intake treats it like any copy of a known message (Ignore).
//!
//! **Size limits are ours.** Gossipsub drops a message over a per-topic limit silently (it
//! raises no event, only a P4 penalty), so we do not set per-topic limits: every RPC frame may
//! carry up to [`MAX_RPC_BYTES`] (the largest payload of any topic, an attestation batch, plus
//! framing and control messages), and the swarm task refuses a payload over its topic's limit
//! itself: Reject (the same penalty) and a count in `proofmesh_gossip_oversized_total{topic}`.
//! Only a frame over [`MAX_RPC_BYTES`] is refused by gossipsub's codec (the stream is reset).

use super::{blocks, scoring, sync, Topic};
use libp2p::gossipsub::{self, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::identity::Keypair;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{identify, kad, request_response, StreamProtocol};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The Kademlia protocol name (our own DHT, not the public IPFS one).
pub(crate) const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/proofmesh/kad/1.0.0");
/// The identify protocol version string.
const IDENTIFY_PROTOCOL: &str = "/proofmesh/id/1.0.0";
/// Gossipsub heartbeat: mesh maintenance and IHAVE gossip.
pub(crate) const HEARTBEAT: Duration = Duration::from_millis(700);
/// The largest RPC frame gossipsub accepts: the largest payload of any topic (an attestation
/// batch, 4 MiB) plus its signed-message framing and control messages (IHAVE/IWANT/GRAFT/PRUNE,
/// subscriptions) sharing the frame; a test checks it covers every topic. Payloads between their
/// topic's limit and this are refused (and counted) by the swarm task, see the module doc.
const MAX_RPC_BYTES: usize = (4 << 20) + (64 << 10);

/// Everything the swarm runs.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) identify: identify::Behaviour,
    pub(crate) kad: Toggle<kad::Behaviour<kad::store::MemoryStore>>,
    pub(crate) sync: request_response::Behaviour<sync::SyncCodec>,
    pub(crate) blocks: request_response::Behaviour<blocks::BlockCodec>,
}

/// Why the behaviour could not be built (a configuration bug, not a runtime condition).
#[derive(Debug, thiserror::Error)]
#[error("invalid gossipsub configuration: {0}")]
pub(crate) struct BehaviourError(pub(crate) String);

/// The content id of a gossip message (see the module doc).
pub(crate) fn message_id(topic: &gossipsub::TopicHash, data: &[u8]) -> MessageId {
    let mut h = Sha256::new();
    h.update(topic.as_str().as_bytes());
    h.update([0u8]);
    h.update(data);
    MessageId::new(&h.finalize())
}

fn gossipsub_config() -> Result<gossipsub::Config, BehaviourError> {
    let mut b = gossipsub::ConfigBuilder::default();
    b.validation_mode(ValidationMode::Strict)
        .validate_messages()
        .message_id_fn(|m: &gossipsub::Message| message_id(&m.topic, &m.data))
        // Our own messages echoed back by honest peers are duplicates, not faults (module doc).
        .allow_self_origin(true)
        .heartbeat_interval(HEARTBEAT)
        .heartbeat_initial_delay(Duration::from_millis(100))
        // Small meshes: 3 to 10 nodes must form one; D = 4 keeps traffic low in bigger nets.
        .mesh_n(4)
        .mesh_n_low(2)
        .mesh_n_high(8)
        .mesh_outbound_min(1)
        .gossip_lazy(4)
        .history_length(6)
        .history_gossip(3)
        .flood_publish(true)
        // Long enough to drop echoes (history is 6 heartbeats), shorter than a default 60 s
        // period, so the registry messages re-published every period reach late joiners.
        .duplicate_cache_time(Duration::from_secs(45))
        // One limit for every topic: per-topic limits would drop messages uncounted (module
        // doc); the swarm task enforces each topic's own limit.
        .max_transmit_size(MAX_RPC_BYTES);
    b.build().map_err(|e| BehaviourError(e.to_string()))
}

impl Behaviour {
    /// Builds the behaviour; `discovery` turns Kademlia on.
    pub(crate) fn new(keypair: &Keypair, discovery: bool) -> Result<Self, BehaviourError> {
        let peer_id = keypair.public().to_peer_id();
        let config = gossipsub_config()?;
        let mut gossipsub =
            gossipsub::Behaviour::new(MessageAuthenticity::Signed(keypair.clone()), config)
                .map_err(|e| BehaviourError(e.to_string()))?;
        gossipsub
            .with_peer_score(scoring::params(), scoring::thresholds())
            .map_err(BehaviourError)?;
        for t in Topic::ALL {
            gossipsub
                .subscribe(&t.ident())
                .map_err(|e| BehaviourError(e.to_string()))?;
        }

        let identify = identify::Behaviour::new(identify::Config::new(
            IDENTIFY_PROTOCOL.to_owned(),
            keypair.public(),
        ));

        let kad = discovery.then(|| {
            let mut config = kad::Config::new(KAD_PROTOCOL);
            config.set_query_timeout(Duration::from_secs(30));
            // Registry records are checked and merged before they are stored
            // (`registry_dht.rs`), never stored as a peer sent them.
            config.set_record_filtering(kad::StoreInserts::FilterBoth);
            let mut kad =
                kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), config);
            // Verifiers are reachable servers; without this, nodes on private addresses stay in
            // client mode and never enter each other's routing tables.
            kad.set_mode(Some(kad::Mode::Server));
            kad
        });

        let sync = request_response::Behaviour::with_codec(
            sync::SyncCodec,
            [(sync::PROTOCOL, request_response::ProtocolSupport::Full)],
            request_response::Config::default()
                .with_request_timeout(Duration::from_secs(30))
                .with_max_concurrent_streams(16),
        );

        // Up to 1 MiB per response: 30 s leaves room for slow links; the server's limits
        // bound what a peer gets, the stream cap what it may ask at once per connection.
        let blocks = request_response::Behaviour::with_codec(
            blocks::BlockCodec,
            [(blocks::PROTOCOL, request_response::ProtocolSupport::Full)],
            request_response::Config::default()
                .with_request_timeout(Duration::from_secs(30))
                .with_max_concurrent_streams(16),
        );

        Ok(Self {
            gossipsub,
            identify,
            kad: Toggle::from(kad),
            sync,
            blocks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What gossipsub adds to a payload in a signed message (source, seqno, signature, topic,
    /// protobuf framing); generous.
    const MESSAGE_OVERHEAD: usize = 512;

    #[test]
    fn the_frame_limit_covers_every_topic_with_room_for_control() {
        for t in Topic::ALL {
            assert!(
                t.max_payload() + MESSAGE_OVERHEAD + (32 << 10) <= MAX_RPC_BYTES,
                "{t}"
            );
        }
    }

    #[test]
    fn config_builds_and_ids_separate_topics() {
        let kp = Keypair::generate_ed25519();
        Behaviour::new(&kp, true).unwrap();
        let a = message_id(&Topic::Proofs.hash(), b"x");
        assert_eq!(a, message_id(&Topic::Proofs.hash(), b"x"));
        assert_ne!(a, message_id(&Topic::Attestations.hash(), b"x"));
        assert_ne!(a, message_id(&Topic::Proofs.hash(), b"y"));
    }
}
