//! The libp2p side of a node: one swarm task (TCP + noise + yamux, identify, Kademlia for
//! discovery, gossipsub with explicit validation, a request/response protocol for catch-up
//! sync) behind a small handle.
//!
//! The swarm task never verifies anything expensive: it decodes gossip into domain messages
//! (`WireMessage::decode`, the canonical decoder), rejects what does not decode, and forwards
//! the rest on bounded queues ([`Inbound`]). The consumer answers every forwarded message with
//! exactly one [`GossipAction`] through [`P2pHandle::report`]; nothing is forwarded to other
//! peers before that. Full queues drop the message with `Ignore` and a metric.

mod behaviour;
mod events;
mod scoring;
mod swarm;
mod sync;
mod topics;

pub use swarm::{spawn, spawn_tracked, P2pConfig, P2pError, P2pInbound};
pub use topics::{encode_message, Topic};

use libp2p::gossipsub::MessageId;
use libp2p::PeerId;
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
}

/// The response channel of one inbound sync request (opaque to the node).
pub struct SyncChannel(pub(crate) libp2p::request_response::ResponseChannel<sync::SyncResponse>);

impl std::fmt::Debug for SyncChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncChannel")
    }
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
    Dial {
        addr: libp2p::Multiaddr,
    },
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
