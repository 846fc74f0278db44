//! What the swarm task does with each swarm event. The one rule: decode, never verify.
//!
//! Every gossip message gets exactly one validation report: `Reject` here when it is over its
//! topic's size limit (counted as oversized) or does not decode canonically as a kind its topic
//! allows; `Ignore` here when its queue is full (or the consumer is gone); otherwise the
//! consumer's verdict through [`super::P2pHandle::report`].
//!
//! Every inbound block request gets exactly one answer: the block server's, or `NotHeld` here
//! when no server is registered and `Busy` when its queue is full. Every outbound one ends in
//! its caller's reply: the response, or why there is none.

use super::behaviour::BehaviourEvent;
use super::blocks::{BlockRefusal, BlockRequest, BlockResponse};
use super::swarm::{SwarmTask, BLOCKS_QUEUE, CONTROL_QUEUE, PROOFS_QUEUE};
use super::{
    BlockChannel, BlockRequestError, GossipMessage, Inbound, InboundBlockRequest, MessageRef,
    SyncChannel, Topic,
};
use crate::metrics::{
    BLOCKS_SERVED, BLOCK_BYTES_SERVED, GOSSIP_MALFORMED, GOSSIP_MESSAGES, GOSSIP_OVERSIZED,
    QUEUE_DROPPED,
};
use libp2p::gossipsub::{self, MessageAcceptance};
use libp2p::request_response::{self, Message, OutboundFailure, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, PeerId};
use proofmesh_proto::{AttestationBatch, WireMessage};
use proofmesh_verifier::intake::GossipAction;
use tokio::sync::mpsc::error::TrySendError;

/// Which inbound queue.
#[derive(Clone, Copy)]
enum Queue {
    Proofs,
    Control,
}

impl SwarmTask {
    pub(super) fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(e)) => self.on_gossip(e),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(e)) => self.on_identify(e),
            SwarmEvent::Behaviour(BehaviourEvent::Kad(e)) => self.on_kad(e),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Blocks(e)) => self.on_blocks(e),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } if num_established.get() == 1 => {
                tracing::debug!(peer = %peer_id, "connected");
                self.enqueue(Queue::Control, Inbound::PeerConnected(peer_id));
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => tracing::debug!(peer = %peer_id, "disconnected"),
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, %error, "dial failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::debug!(%address, "listening");
            }
            SwarmEvent::ListenerClosed {
                addresses, reason, ..
            } => tracing::warn!(?addresses, ?reason, "listener closed"),
            _ => {}
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let Some(topic) = Topic::from_hash(&message.topic) else {
                    // Not one of ours (we only subscribe to ours): drop without blame.
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            MessageAcceptance::Ignore,
                        );
                    return;
                };
                let msg = MessageRef {
                    id: message_id,
                    propagation_source,
                    topic,
                };
                self.on_gossip_message(msg, &message.data);
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => tracing::debug!(peer = %peer_id, ?failed_messages, "slow gossip peer"),
            other => tracing::trace!(?other, "gossipsub"),
        }
    }

    fn on_gossip_message(&mut self, msg: MessageRef, data: &[u8]) {
        if data.len() > msg.topic.max_payload() {
            // Gossipsub has no per-topic limit (`behaviour.rs`): this is where it is enforced,
            // counted, and blamed like any payload that does not decode.
            tracing::debug!(peer = %msg.propagation_source, topic = %msg.topic, len = data.len(),
                "oversized gossip");
            metrics::counter!(GOSSIP_OVERSIZED, "topic" => msg.topic.label()).increment(1);
            metrics::counter!(GOSSIP_MALFORMED, "topic" => msg.topic.label()).increment(1);
            self.report(&msg, GossipAction::Reject);
            return;
        }
        let message = match msg.topic.decode(data) {
            Ok(message) => message,
            Err(error) => {
                tracing::debug!(peer = %msg.propagation_source, topic = %msg.topic, %error,
                    "malformed gossip");
                metrics::counter!(GOSSIP_MALFORMED, "topic" => msg.topic.label()).increment(1);
                self.report(&msg, GossipAction::Reject);
                return;
            }
        };
        let queue = match message {
            GossipMessage::Proof(_) => Queue::Proofs,
            _ => Queue::Control,
        };
        let delivered = self.enqueue(
            queue,
            Inbound::Gossip {
                msg: msg.clone(),
                message,
            },
        );
        if !delivered {
            self.report(&msg, GossipAction::Ignore);
        }
    }

    /// Hands `item` to a consumer queue without waiting; a full queue drops it (counted).
    fn enqueue(&self, queue: Queue, item: Inbound) -> bool {
        let (tx, label) = match queue {
            Queue::Proofs => (&self.proofs, PROOFS_QUEUE),
            Queue::Control => (&self.control, CONTROL_QUEUE),
        };
        match tx.try_send(item) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                metrics::counter!(QUEUE_DROPPED, "queue" => label).increment(1);
                tracing::debug!(queue = label, "queue full, message dropped");
                false
            }
            Err(TrySendError::Closed(_)) => {
                tracing::debug!(queue = label, "queue closed, message dropped");
                false
            }
        }
    }

    /// The one validation report of a message.
    pub(super) fn report(&mut self, msg: &MessageRef, action: GossipAction) {
        let (acceptance, label) = match action {
            GossipAction::Accept => (MessageAcceptance::Accept, "accept"),
            GossipAction::Reject => (MessageAcceptance::Reject, "reject"),
            GossipAction::Ignore => (MessageAcceptance::Ignore, "ignore"),
        };
        let known = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&msg.id, &msg.propagation_source, acceptance);
        if !known {
            tracing::debug!(id = %msg.id, "report for a message no longer cached");
        }
        metrics::counter!(GOSSIP_MESSAGES, "topic" => msg.topic.label(), "action" => label)
            .increment(1);
    }

    fn on_identify(&mut self, event: identify::Event) {
        let identify::Event::Received { peer_id, info, .. } = event else {
            return;
        };
        if !Self::speaks_kad(&info.protocols) {
            return;
        }
        let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() else {
            return;
        };
        for addr in info.listen_addrs {
            kad.add_address(&peer_id, addr);
        }
        if !self.kad_bootstrapped {
            // Kademlia re-bootstraps by itself from here on (new peers, every 5 minutes).
            self.kad_bootstrapped = kad.bootstrap().is_ok();
            // A node that joins reads the registry as soon as it has a DHT peer.
            if self.kad_bootstrapped {
                self.fetch_registry();
            }
        }
    }

    fn on_sync(
        &mut self,
        event: request_response::Event<super::sync::SyncRequest, super::sync::SyncResponse>,
    ) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                Message::Request {
                    request, channel, ..
                } => {
                    tracing::debug!(%peer, from = request.from.0, "sync request");
                    // A full queue drops the channel: the requester sees the stream close.
                    self.enqueue(
                        Queue::Control,
                        Inbound::SyncRequest {
                            from: request.from,
                            channel: SyncChannel(channel),
                        },
                    );
                }
                Message::Response { response, .. } => {
                    let batches = decode_batches(peer, response.0);
                    self.enqueue(Queue::Control, Inbound::SyncResponse { peer, batches });
                }
            },
            request_response::Event::OutboundFailure { peer, error, .. } => {
                // Provers do not answer sync: expected, not worth a warning.
                tracing::debug!(%peer, %error, "sync request failed");
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, %error, "sync response failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }
}

/// How long a peer is asked to wait when the block server's queue is full.
const QUEUE_FULL_RETRY_MS: u32 = 200;

impl SwarmTask {
    fn on_blocks(&mut self, event: request_response::Event<BlockRequest, BlockResponse>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                Message::Request {
                    request, channel, ..
                } => self.on_block_request(peer, request, channel),
                Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.block_requests.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(%peer, %error, "block request failed");
                if let Some(reply) = self.block_requests.remove(&request_id) {
                    let _ = reply.send(Err(request_error(error)));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, %error, "block response failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    /// Hands a block request to the block server, or answers it here when there is none or
    /// its queue is full (cheap answers only: the swarm task reads no file).
    fn on_block_request(
        &mut self,
        peer: PeerId,
        request: BlockRequest,
        channel: ResponseChannel<BlockResponse>,
    ) {
        let Some(server) = &self.block_server else {
            self.respond_blocks(channel, BlockResponse::Refused(BlockRefusal::NotHeld));
            return;
        };
        let item = InboundBlockRequest {
            peer,
            request,
            channel: BlockChannel(channel),
        };
        match server.try_send(item) {
            Ok(()) => {}
            Err(TrySendError::Full(item)) => {
                metrics::counter!(QUEUE_DROPPED, "queue" => BLOCKS_QUEUE).increment(1);
                let busy = BlockRefusal::Busy {
                    retry_after_ms: QUEUE_FULL_RETRY_MS,
                };
                self.respond_blocks(item.channel.0, BlockResponse::Refused(busy));
            }
            Err(TrySendError::Closed(item)) => {
                // The server stopped (shutdown): nothing is served any more.
                self.block_server = None;
                let refusal = BlockResponse::Refused(BlockRefusal::NotHeld);
                self.respond_blocks(item.channel.0, refusal);
            }
        }
    }

    /// Sends one block response, counted by outcome (`proofmesh_blocks_served_total`).
    pub(super) fn respond_blocks(
        &mut self,
        channel: ResponseChannel<BlockResponse>,
        response: BlockResponse,
    ) {
        let (outcome, bytes) = match &response {
            BlockResponse::Blocks { .. } => ("served", response.block_bytes()),
            BlockResponse::Refused(r) => (r.label(), 0),
        };
        if self
            .swarm
            .behaviour_mut()
            .blocks
            .send_response(channel, response)
            .is_err()
        {
            tracing::debug!("block requester went away before the response");
            metrics::counter!(BLOCKS_SERVED, "outcome" => "gone").increment(1);
            return;
        }
        metrics::counter!(BLOCKS_SERVED, "outcome" => outcome).increment(1);
        metrics::counter!(BLOCK_BYTES_SERVED).increment(bytes);
    }
}

/// What a failed block request tells its caller.
fn request_error(error: OutboundFailure) -> BlockRequestError {
    match error {
        OutboundFailure::DialFailure => BlockRequestError::Unreachable("dial failed".into()),
        OutboundFailure::ConnectionClosed => {
            BlockRequestError::Unreachable("connection closed".into())
        }
        OutboundFailure::Timeout => BlockRequestError::Timeout,
        OutboundFailure::UnsupportedProtocols => BlockRequestError::Unsupported,
        // `InvalidData` is our codec refusing what the peer sent; anything else is the stream
        // breaking (a reset, a short read), which proves nothing about the peer.
        OutboundFailure::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            BlockRequestError::Malformed(e.to_string())
        }
        OutboundFailure::Io(e) => BlockRequestError::Unreachable(e.to_string()),
    }
}

/// Decodes a sync response canonically; entries that do not decode are dropped and counted
/// (the peer answered with garbage, but sync has no validation report to carry blame).
fn decode_batches(peer: PeerId, raw: Vec<Vec<u8>>) -> Vec<AttestationBatch> {
    let mut batches = Vec::with_capacity(raw.len());
    for bytes in raw {
        match AttestationBatch::decode(&bytes) {
            Ok(b) => batches.push(b),
            Err(error) => {
                tracing::debug!(%peer, %error, "malformed batch in sync response");
                metrics::counter!(GOSSIP_MALFORMED, "topic" => "sync").increment(1);
            }
        }
    }
    batches
}
