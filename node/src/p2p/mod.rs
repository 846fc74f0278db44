//! The libp2p side of a node: one swarm task (TCP + noise + yamux, identify, Kademlia for
//! discovery and the registry's records (`registry_dht.rs`), gossipsub with explicit validation, request/response protocols for catch-up
//! sync and block transfer) behind a small handle.
//!
//! The swarm task never verifies anything expensive: it decodes gossip into domain messages
//! (`WireMessage::decode`, the canonical decoder), rejects what does not decode, and forwards
//! the rest on bounded queues ([`Inbound`]). The consumer answers every forwarded message with
//! exactly one [`GossipAction`] through [`P2pHandle::report`]; nothing is forwarded to other
//! peers before that. Full queues drop the message with `Ignore` and a metric.
//!
//! Block transfer (`blocks.rs`): inbound block requests go to the block server a role
//! registers ([`P2pHandle::serve_blocks`]; none registered: `NotHeld`, its queue full: `Busy`);
//! outbound ones are answered to their caller directly ([`P2pHandle::request_blocks`]).

mod behaviour;
mod blocks;
mod events;
pub mod location;
mod registry_dht;
mod scoring;
mod swarm;
mod sync;
mod topics;

pub use blocks::{
    BlockRefusal, BlockRequest, BlockResponse, ServedBlock, MAX_BLOCKS_PER_REQUEST, MAX_PATH_LEN,
    MAX_RESPONSE_BYTES,
};
pub use swarm::{spawn, spawn_tracked, P2pConfig, P2pError, P2pInbound};
pub use topics::{encode_message, Topic};

use libp2p::gossipsub::MessageId;
use libp2p::{Multiaddr, PeerId};
use proofmesh_proto::{AttestationBatch, Period};
use proofmesh_verifier::intake::GossipAction;
use tokio::sync::{mpsc, oneshot};

/// Identifies one received gossip message, so its validation verdict can be reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRef {
    /// Gossipsub's id (our content id).
    pub id: MessageId,
    /// The peer that forwarded it to us (the one scored).
    pub propagation_source: PeerId,
    /// The topic it arrived on (for the verdict metric).
    pub topic: Topic,
}

pub use proofmesh_proto::GossipMessage;

/// What the swarm hands to the node's actors.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "almost every queued item is `Gossip`: boxing would add an allocation per message \
              and save no queue memory"
)]
pub enum Inbound {
    /// A gossip message; answer it with [`P2pHandle::report`].
    Gossip {
        /// Which message (for the report).
        msg: MessageRef,
        /// The decoded message.
        message: GossipMessage,
    },
    /// A peer asks for the attestation batches of periods `>= from`; answer with
    /// [`P2pHandle::respond_sync`] (or drop `channel` to refuse).
    SyncRequest {
        /// First period wanted.
        from: Period,
        /// Where the answer goes.
        channel: SyncChannel,
    },
    /// A peer answered our sync request with these batches (unverified: insert them through
    /// the attestation pool like gossip, but without a report).
    SyncResponse {
        /// Who answered.
        peer: PeerId,
        /// The batches, decoded canonically.
        batches: Vec<AttestationBatch>,
    },
    /// A new connection to a peer: a good moment to ask it for what we missed.
    PeerConnected(PeerId),
    /// A provider's location read from the DHT (signature checked), after
    /// [`P2pHandle::find_provider`].
    Location(location::ProviderLocation),
    /// Registry messages of a record read from the DHT (not yet checked; no report).
    Registry {
        /// The announcement and assignments of one dataset record.
        messages: Vec<GossipMessage>,
    },
}

/// The response channel of one inbound sync request (opaque to the node).
pub struct SyncChannel(pub(crate) libp2p::request_response::ResponseChannel<sync::SyncResponse>);

impl std::fmt::Debug for SyncChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncChannel")
    }
}

/// The response channel of one inbound block request (opaque to the node).
pub struct BlockChannel(
    pub(crate) libp2p::request_response::ResponseChannel<blocks::BlockResponse>,
);

impl std::fmt::Debug for BlockChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockChannel")
    }
}

/// A peer asks for blocks: what the swarm hands to the registered block server. Answer it
/// with [`P2pHandle::respond_blocks`]; dropping `channel` fails the peer's request.
#[derive(Debug)]
pub struct InboundBlockRequest {
    /// Who asks (the unit of the server's per-peer limits).
    pub peer: PeerId,
    /// What it asks for (decoded, within the protocol's bounds).
    pub request: BlockRequest,
    /// Where the answer goes.
    pub channel: BlockChannel,
}

/// Why a block request of ours got no response. None of these proves the peer dishonest
/// (`Malformed` is a broken or hostile peer, or a broken connection): try another holder.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockRequestError {
    /// The peer could not be dialled, or the connection closed before it answered.
    #[error("peer unreachable: {0}")]
    Unreachable(String),
    /// The peer does not speak `/proofmesh/blocks/1`.
    #[error("peer does not serve blocks")]
    Unsupported,
    /// No answer within the request timeout.
    #[error("no answer in time")]
    Timeout,
    /// The answer broke the protocol (over a bound, non-canonical, truncated) or the stream
    /// failed.
    #[error("malformed answer: {0}")]
    Malformed(String),
}

/// Commands to the swarm task.
#[derive(Debug)]
pub(crate) enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
    },
    Report {
        msg: MessageRef,
        action: GossipAction,
    },
    RequestSync {
        peer: PeerId,
        from: Period,
    },
    RespondSync {
        channel: SyncChannel,
        batches: Vec<Vec<u8>>,
    },
    ServeBlocks {
        queue: mpsc::Sender<InboundBlockRequest>,
    },
    RequestBlocks {
        peer: PeerId,
        addresses: Vec<Multiaddr>,
        request: BlockRequest,
        reply: oneshot::Sender<Result<BlockResponse, BlockRequestError>>,
    },
    RespondBlocks {
        channel: BlockChannel,
        response: BlockResponse,
    },
    PenaliseBadBlocks {
        peer: PeerId,
    },
    Dial {
        addr: libp2p::Multiaddr,
    },
    PutRegistry {
        root: proofmesh_proto::DatasetRoot,
        record: Vec<u8>,
    },
    PutLocation {
        provider: proofmesh_proto::ProviderKey,
        record: Vec<u8>,
    },
    FindProvider {
        provider: proofmesh_proto::ProviderKey,
    },
    FetchRegistry,
    PeerScore {
        peer: PeerId,
        reply: oneshot::Sender<Option<f64>>,
    },
    MeshPeers {
        topic: Topic,
        reply: oneshot::Sender<Vec<PeerId>>,
    },
}

/// Cheap-to-clone handle to the swarm task. Every method waits for queue space (the command
/// queue is bounded) and fails only when the swarm task has stopped.
#[derive(Clone, Debug)]
pub struct P2pHandle {
    pub(crate) commands: mpsc::Sender<Command>,
    /// Our peer id.
    pub local_peer_id: PeerId,
}

impl P2pHandle {
    /// Publishes an encoded message on `topic` (our own messages need no validation).
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<(), P2pError> {
        self.send(Command::Publish { topic, data }).await
    }

    /// Puts our registry's record of a dataset (`records::dataset_record`) to the DHT, merged
    /// with the one held, and the dataset's root to the index.
    pub async fn put_registry(
        &self,
        root: proofmesh_proto::DatasetRoot,
        record: Vec<u8>,
    ) -> Result<(), P2pError> {
        self.send(Command::PutRegistry { root, record }).await
    }

    /// Puts our signed location (`location::ProviderLocation::sign`) to the DHT.
    pub async fn put_location(
        &self,
        provider: proofmesh_proto::ProviderKey,
        record: Vec<u8>,
    ) -> Result<(), P2pError> {
        self.send(Command::PutLocation { provider, record }).await
    }

    /// Looks a provider's location up in the DHT: it arrives as [`Inbound::Location`] on the
    /// control queue if found.
    pub async fn find_provider(
        &self,
        provider: proofmesh_proto::ProviderKey,
    ) -> Result<(), P2pError> {
        self.send(Command::FindProvider { provider }).await
    }

    /// Reads the registry from the DHT now (its records arrive as [`Inbound::Registry`]).
    pub async fn fetch_registry(&self) -> Result<(), P2pError> {
        self.send(Command::FetchRegistry).await
    }

    /// Reports the one validation verdict of a received message.
    pub async fn report(&self, msg: MessageRef, action: GossipAction) -> Result<(), P2pError> {
        self.send(Command::Report { msg, action }).await
    }

    /// Asks `peer` for the attestation batches of periods `>= from`.
    pub async fn request_sync(&self, peer: PeerId, from: Period) -> Result<(), P2pError> {
        self.send(Command::RequestSync { peer, from }).await
    }

    /// Answers a sync request with canonical batch encodings.
    pub async fn respond_sync(
        &self,
        channel: SyncChannel,
        batches: Vec<Vec<u8>>,
    ) -> Result<(), P2pError> {
        self.send(Command::RespondSync { channel, batches }).await
    }

    /// Registers this node's block server: from now on inbound block requests go to `queue`
    /// (full: answered `Busy` by the swarm; closed: `NotHeld`). Without one, every block
    /// request is answered `NotHeld`.
    pub async fn serve_blocks(
        &self,
        queue: mpsc::Sender<InboundBlockRequest>,
    ) -> Result<(), P2pError> {
        self.send(Command::ServeBlocks { queue }).await
    }

    /// Asks `peer` for blocks and waits for its answer (the request times out after 30 s).
    /// `addresses` are dialled if we are not connected to it yet. The blocks are unverified.
    pub async fn request_blocks(
        &self,
        peer: PeerId,
        addresses: Vec<Multiaddr>,
        request: BlockRequest,
    ) -> Result<Result<BlockResponse, BlockRequestError>, P2pError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::RequestBlocks {
            peer,
            addresses,
            request,
            reply,
        })
        .await?;
        rx.await.map_err(|_| P2pError::Stopped)
    }

    /// Answers an inbound block request.
    pub async fn respond_blocks(
        &self,
        channel: BlockChannel,
        response: BlockResponse,
    ) -> Result<(), P2pError> {
        self.send(Command::RespondBlocks { channel, response })
            .await
    }

    /// `peer` served a block that does not match its slot root (or broke the block
    /// protocol): lowers its score like an invalid proof would (`scoring.rs`).
    pub async fn penalise_bad_blocks(&self, peer: PeerId) -> Result<(), P2pError> {
        self.send(Command::PenaliseBadBlocks { peer }).await
    }

    /// Dials an address (bootstrap peers are dialled at start already).
    pub async fn dial(&self, addr: libp2p::Multiaddr) -> Result<(), P2pError> {
        self.send(Command::Dial { addr }).await
    }

    /// The gossipsub score this node gives `peer` (`None`: not scored, e.g. never connected).
    /// Below 0 the peer has misbehaved; see `scoring.rs` for the thresholds.
    pub async fn peer_score(&self, peer: PeerId) -> Result<Option<f64>, P2pError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::PeerScore { peer, reply }).await?;
        rx.await.map_err(|_| P2pError::Stopped)
    }

    /// The peers in our gossipsub mesh for `topic` (who we forward to): for status pages and
    /// for waiting until a fresh node is meshed.
    pub async fn mesh_peers(&self, topic: Topic) -> Result<Vec<PeerId>, P2pError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::MeshPeers { topic, reply }).await?;
        rx.await.map_err(|_| P2pError::Stopped)
    }

    async fn send(&self, command: Command) -> Result<(), P2pError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| P2pError::Stopped)
    }
}

/// A handle with no swarm behind it, and the swarm's end of its command queue (bounded,
/// `capacity`): for running a role in-process, where the caller plays the swarm and feeds the
/// role's inbound queues itself. `proofmesh bench node` drives a real verifier node this way,
/// so its whole intake path is measured without sockets in the way.
pub fn detached(local_peer_id: PeerId, capacity: usize) -> (P2pHandle, Detached) {
    let (commands, rx) = mpsc::channel(capacity.max(1));
    (
        P2pHandle {
            commands,
            local_peer_id,
        },
        Detached(rx),
    )
}

/// The swarm's end of a [`detached`] handle: what the role asked the swarm to do.
#[derive(Debug)]
pub struct Detached(mpsc::Receiver<Command>);

/// One command of a role, as a [`Detached`] caller sees it.
#[derive(Debug)]
pub enum Sent {
    /// The validation verdict of a received message.
    Report {
        /// Which message.
        msg: MessageRef,
        /// The verdict.
        action: GossipAction,
    },
    /// A message to gossip, canonically encoded.
    Publish {
        /// Its topic.
        topic: Topic,
        /// Its bytes.
        data: Vec<u8>,
    },
    /// Anything else (sync, dial, queries); queries are answered with nothing.
    Other,
}

impl Detached {
    /// The next command; `None` once every handle is dropped.
    pub async fn recv(&mut self) -> Option<Sent> {
        Some(match self.0.recv().await? {
            Command::Report { msg, action } => Sent::Report { msg, action },
            Command::Publish { topic, data } => Sent::Publish { topic, data },
            _ => Sent::Other,
        })
    }
}
