//! Building the swarm, binding its listeners, and the swarm task: one `tokio::select!` over
//! shutdown, the handle's commands, swarm events and a metrics tick. Event handling is in
//! `events.rs`.

use super::behaviour::{Behaviour, KAD_PROTOCOL};
use super::scoring;
use super::sync::{SyncRequest, SyncResponse};
use super::{BlockRequestError, BlockResponse, Command, Inbound, InboundBlockRequest, P2pHandle};
use crate::metrics::{GOSSIP_MESSAGES, PEERS, PEERS_BY_SCORE, QUEUE_DEPTH};
use futures::StreamExt;
use libp2p::gossipsub::PublishError;
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::OutboundRequestId;
use libp2p::swarm::SwarmEvent;
use libp2p::{noise, tcp, yamux, Multiaddr, PeerId, Swarm, SwarmBuilder};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long binding the listeners may take before `spawn` gives up.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections with no protocol in use close after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often peer, score and queue metrics are refreshed.
const METRICS_TICK: Duration = Duration::from_secs(1);
/// With no peer at all, the bootstrap peers are dialled again this often.
const REDIAL_EVERY: Duration = Duration::from_secs(10);
/// `queue` label of the proofs queue.
pub(super) const PROOFS_QUEUE: &str = "p2p_proofs";
/// `queue` label of the control queue.
pub(super) const CONTROL_QUEUE: &str = "p2p_control";
/// `queue` label of the block server's request queue.
pub(super) const BLOCKS_QUEUE: &str = "blocks";

/// How to start the p2p layer.
pub struct P2pConfig {
    /// The node's identity (its peer id; it signs every gossip message we publish).
    pub keypair: Keypair,
    /// Addresses to listen on; `/ip4/127.0.0.1/tcp/0` picks a free port.
    pub listen: Vec<Multiaddr>,
    /// Peers dialled at start (and again while we have no peer); `/p2p/<id>` suffixes let
    /// Kademlia use them before identify runs.
    pub bootstrap: Vec<Multiaddr>,
    /// Kademlia discovery beyond the bootstrap peers. Off: the topology is exactly who we dial
    /// and who dials us (tests, fixed private networks).
    pub discovery: bool,
    /// Capacity of the proofs queue (the high-volume one).
    pub proofs_queue: usize,
    /// Capacity of the control queue (every other topic, sync, peer events).
    pub control_queue: usize,
    /// Capacity of the command queue behind [`P2pHandle`].
    pub command_queue: usize,
}

impl P2pConfig {
    /// Defaults: discovery on, 4096 proofs, 1024 control, 1024 commands.
    pub fn new(keypair: Keypair, listen: Vec<Multiaddr>, bootstrap: Vec<Multiaddr>) -> Self {
        Self {
            keypair,
            listen,
            bootstrap,
            discovery: true,
            proofs_queue: 4096,
            control_queue: 1024,
            command_queue: 1024,
        }
    }
}

impl std::fmt::Debug for P2pConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P2pConfig")
            .field("peer_id", &self.keypair.public().to_peer_id())
            .field("listen", &self.listen)
            .field("bootstrap", &self.bootstrap)
            .field("discovery", &self.discovery)
            .finish_non_exhaustive()
    }
}

/// Why the p2p layer could not start or be used.
#[derive(Debug, thiserror::Error)]
pub enum P2pError {
    /// The gossipsub or transport configuration is invalid: a bug in this crate.
    #[error("p2p configuration: {0}")]
    Config(String),
    /// A listen address could not be bound: the operator's configuration (or a busy port).
    #[error("cannot listen on {addr}: {why}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// What the transport said.
        why: String,
    },
    /// The listeners did not report an address in time: the local system.
    #[error("listeners did not come up within {0:?}")]
    ListenTimeout(Duration),
    /// The swarm task has stopped (shutdown): nobody's fault; the caller should stop too.
    #[error("the p2p task has stopped")]
    Stopped,
}

/// The node's side of the p2p queues. Both are bounded; when one is full the swarm drops the
/// message (gossip: reported `Ignore`) and counts `QUEUE_DROPPED`.
#[derive(Debug)]
pub struct P2pInbound {
    /// Gossip proofs only: the verifier's batch queue reads this.
    pub proofs: mpsc::Receiver<Inbound>,
    /// Everything else: registry, attestations, certificates, repair, sync, peer events.
    pub control: mpsc::Receiver<Inbound>,
}

/// The state of the swarm task.
pub(super) struct SwarmTask {
    pub(super) swarm: Swarm<Behaviour>,
    pub(super) proofs: mpsc::Sender<Inbound>,
    pub(super) control: mpsc::Sender<Inbound>,
    commands: mpsc::Receiver<Command>,
    bootstrap: Vec<Multiaddr>,
    pub(super) kad_bootstrapped: bool,
    /// When the registry was last read from the DHT.
    pub(super) last_registry_fetch: Instant,
    last_redial: Instant,
    /// The score band (`scoring::SCORE_BANDS`) of each connected peer at the last tick: a
    /// change is logged with the peer id, which the metric no longer carries.
    bands: HashMap<PeerId, usize>,
    /// Where inbound block requests go (the role's block server), if it registered one.
    pub(super) block_server: Option<mpsc::Sender<InboundBlockRequest>>,
    /// Our block requests in flight and who waits for each answer: libp2p ends every request
    /// with exactly one response or failure, so entries never outlive their request.
    pub(super) block_requests: HashMap<OutboundRequestId, BlockReply>,
    /// Bad block responses per peer and when the last one came (`scoring::bad_blocks_score`);
    /// an entry is dropped `scoring::BAD_BLOCKS_RETAIN` after its last bad response.
    bad_blocks: HashMap<PeerId, (u32, Instant)>,
}

/// Who waits for the answer to one of our block requests.
pub(super) type BlockReply = tokio::sync::oneshot::Sender<Result<BlockResponse, BlockRequestError>>;

/// Builds the swarm, binds every listen address, dials the bootstrap peers and spawns the
/// swarm task (it runs until `shutdown` is cancelled or every [`P2pHandle`] is dropped).
/// Returns the handle, the inbound queues and the bound listen addresses (real ports).
pub async fn spawn(
    config: P2pConfig,
    shutdown: CancellationToken,
) -> Result<(P2pHandle, P2pInbound, Vec<Multiaddr>), P2pError> {
    spawn_tracked(config, shutdown, &tokio_util::task::TaskTracker::new()).await
}

/// [`spawn`], with the swarm task tracked by `tracker`, so the node's staged shutdown can wait
/// for the swarm to close its connections.
pub async fn spawn_tracked(
    config: P2pConfig,
    shutdown: CancellationToken,
    tracker: &tokio_util::task::TaskTracker,
) -> Result<(P2pHandle, P2pInbound, Vec<Multiaddr>), P2pError> {
    let behaviour = Behaviour::new(&config.keypair, config.discovery)
        .map_err(|e| P2pError::Config(e.to_string()))?;
    let mut swarm = SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::new().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| P2pError::Config(e.to_string()))?
        .with_behaviour(|_| behaviour)
        .map_err(|e| match e {})?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_TIMEOUT))
        .build();

    let mut pending = HashSet::new();
    for addr in &config.listen {
        let id = swarm
            .listen_on(addr.clone())
            .map_err(|e| P2pError::Listen {
                addr: addr.clone(),
                why: e.to_string(),
            })?;
        pending.insert(id);
    }

    let local_peer_id = *swarm.local_peer_id();
    let (commands_tx, commands) = mpsc::channel(config.command_queue.max(1));
    let (proofs, proofs_rx) = mpsc::channel(config.proofs_queue.max(1));
    let (control, control_rx) = mpsc::channel(config.control_queue.max(1));
    let mut task = SwarmTask {
        swarm,
        proofs,
        control,
        commands,
        bootstrap: config.bootstrap,
        kad_bootstrapped: false,
        last_registry_fetch: Instant::now(),
        last_redial: Instant::now(),
        bands: HashMap::new(),
        block_server: None,
        block_requests: HashMap::new(),
        bad_blocks: HashMap::new(),
    };
    let addrs = task.wait_for_listeners(pending).await?;
    tracing::info!(peer = %local_peer_id, ?addrs, "p2p listening");
    task.dial_bootstrap();
    tracker.spawn(task.run(shutdown));

    let handle = P2pHandle {
        commands: commands_tx,
        local_peer_id,
    };
    let inbound = P2pInbound {
        proofs: proofs_rx,
        control: control_rx,
    };
    Ok((handle, inbound, addrs))
}

/// The peer id at the end of an address (`…/p2p/<id>`), if any.
pub(super) fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => Some(peer),
        _ => None,
    }
}

impl SwarmTask {
    async fn wait_for_listeners(
        &mut self,
        mut pending: HashSet<libp2p::core::transport::ListenerId>,
    ) -> Result<Vec<Multiaddr>, P2pError> {
        let deadline = tokio::time::sleep(LISTEN_TIMEOUT);
        tokio::pin!(deadline);
        while !pending.is_empty() {
            tokio::select! {
                () = &mut deadline => return Err(P2pError::ListenTimeout(LISTEN_TIMEOUT)),
                event = self.swarm.select_next_some() => match event {
                    SwarmEvent::NewListenAddr { listener_id, .. } => {
                        pending.remove(&listener_id);
                    }
                    SwarmEvent::ListenerClosed { listener_id, addresses, reason }
                        if pending.contains(&listener_id) =>
                    {
                        return Err(P2pError::Listen {
                            addr: addresses.first().cloned().unwrap_or_else(Multiaddr::empty),
                            why: format!("listener closed: {reason:?}"),
                        });
                    }
                    other => self.on_event(other),
                },
            }
        }
        Ok(self.swarm.listeners().cloned().collect())
    }

    fn dial_bootstrap(&mut self) {
        self.last_redial = Instant::now();
        for addr in self.bootstrap.clone() {
            self.dial(addr);
        }
    }

    fn dial(&mut self, addr: Multiaddr) {
        if let (Some(peer), Some(kad)) = (peer_of(&addr), self.swarm.behaviour_mut().kad.as_mut()) {
            kad.add_address(&peer, addr.clone());
        }
        if let Err(e) = self.swarm.dial(addr.clone()) {
            tracing::warn!(%addr, error = %e, "cannot dial");
        }
    }

    async fn run(mut self, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(METRICS_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                event = self.swarm.select_next_some() => self.on_event(event),
                _ = tick.tick() => self.on_tick(),
            }
        }
        tracing::info!("p2p task stopped");
    }

    fn on_command(&mut self, command: Command) {
        let gossip = &mut self.swarm.behaviour_mut().gossipsub;
        match command {
            Command::Publish { topic, data } => {
                let action = match gossip.publish(topic.hash(), data) {
                    Ok(_) => "published",
                    Err(PublishError::NoPeersSubscribedToTopic) => {
                        tracing::warn!(%topic, "publish: no peer subscribed to the topic");
                        "publish_failed"
                    }
                    Err(PublishError::Duplicate) => {
                        tracing::debug!(%topic, "publish: duplicate message");
                        "publish_failed"
                    }
                    Err(e) => {
                        tracing::warn!(%topic, error = %e, "publish failed");
                        "publish_failed"
                    }
                };
                metrics::counter!(GOSSIP_MESSAGES, "topic" => topic.label(), "action" => action)
                    .increment(1);
            }
            Command::Report { msg, action } => self.report(&msg, action),
            Command::RequestSync { peer, from } => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&peer, SyncRequest { from });
                tracing::debug!(%peer, from = from.0, %id, "sync request sent");
            }
            Command::RespondSync { channel, batches } => {
                let (response, left_out) = SyncResponse::capped(batches);
                if left_out > 0 {
                    tracing::debug!(left_out, "sync response capped");
                }
                if self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel.0, response)
                    .is_err()
                {
                    tracing::debug!("sync requester went away before the response");
                }
            }
            Command::ServeBlocks { queue } => self.block_server = Some(queue),
            Command::RequestBlocks {
                peer,
                addresses,
                request,
                reply,
            } => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .blocks
                    .send_request_with_addresses(&peer, request, addresses);
                self.block_requests.insert(id, reply);
            }
            Command::RespondBlocks { channel, response } => {
                self.respond_blocks(channel.0, response);
            }
            Command::PenaliseBadBlocks { peer } => {
                let entry = self.bad_blocks.entry(peer).or_insert((0, Instant::now()));
                *entry = (entry.0.saturating_add(1), Instant::now());
                let score = scoring::bad_blocks_score(entry.0);
                tracing::info!(%peer, bad_responses = entry.0, score, "peer served bad blocks");
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .set_application_score(&peer, score);
            }
            Command::Dial { addr } => self.dial(addr),
            Command::PutRegistry { root, record } => self.put_registry(root, record),
            Command::PutLocation { provider, record } => self.put_location(provider, record),
            Command::FindProvider { provider } => self.find_provider(&provider),
            Command::FetchRegistry => self.fetch_registry(),
            Command::PeerScore { peer, reply } => {
                let _ = reply.send(gossip.peer_score(&peer));
            }
            Command::MeshPeers { topic, reply } => {
                let _ = reply.send(gossip.mesh_peers(&topic.hash()).copied().collect());
            }
        }
    }

    fn on_tick(&mut self) {
        let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        metrics::gauge!(PEERS).set(peers.len() as f64);
        let gossip = &self.swarm.behaviour().gossipsub;
        // Bands, not a series per peer: a series cannot be deleted from the exporter, so per-peer
        // series would outlive their peers (see `PEERS_BY_SCORE`). Unscored peers count as 0.
        let mut counts = [0u32; scoring::SCORE_BANDS.len()];
        let mut bands = HashMap::with_capacity(peers.len());
        for peer in &peers {
            let score = gossip.peer_score(peer).unwrap_or(0.0);
            let band = scoring::band(score);
            counts[band] += 1;
            let before = self.bands.get(peer).copied().unwrap_or(0);
            if band != before {
                tracing::info!(%peer, score, band = scoring::SCORE_BANDS[band].0,
                    was = scoring::SCORE_BANDS[before].0, "peer score band changed");
            }
            bands.insert(*peer, band);
        }
        // Disconnected peers are forgotten here too: the map is bounded by the connected peers.
        self.bands = bands;
        for (&(band, _), n) in scoring::SCORE_BANDS.iter().zip(counts) {
            metrics::gauge!(PEERS_BY_SCORE, "band" => band).set(f64::from(n));
        }
        for (tx, label) in [(&self.proofs, PROOFS_QUEUE), (&self.control, CONTROL_QUEUE)] {
            let depth = tx.max_capacity() - tx.capacity();
            metrics::gauge!(QUEUE_DEPTH, "queue" => label).set(depth as f64);
        }
        if let Some(tx) = &self.block_server {
            let depth = tx.max_capacity() - tx.capacity();
            metrics::gauge!(QUEUE_DEPTH, "queue" => BLOCKS_QUEUE).set(depth as f64);
        }
        let gossip = &mut self.swarm.behaviour_mut().gossipsub;
        self.bad_blocks.retain(|peer, (_, last)| {
            let keep = last.elapsed() < scoring::BAD_BLOCKS_RETAIN;
            if !keep {
                gossip.set_application_score(peer, 0.0);
            }
            keep
        });
        if self.kad_bootstrapped
            && self.last_registry_fetch.elapsed() >= super::registry_dht::REFETCH_EVERY
        {
            self.fetch_registry();
        }
        if peers.is_empty() && self.last_redial.elapsed() >= REDIAL_EVERY {
            self.dial_bootstrap();
        }
    }

    /// Whether `protocols` (from identify) include our Kademlia protocol.
    pub(super) fn speaks_kad(protocols: &[libp2p::StreamProtocol]) -> bool {
        protocols.contains(&KAD_PROTOCOL)
    }
}
