//! The block server: answers `/proofmesh/blocks/1` requests for the slots this node holds,
//! reading each range from its slot file on the blocking pool (never on the async workers)
//! and sending each block with its path up the slot tree (kept in memory: one hash per block).
//!
//! An actor: it owns its request queue (bounded, fed by the swarm task, which answers `Busy`
//! itself when the queue is full), its held slots and its per-peer state, and runs one
//! `select!` with a shutdown branch. Limits, each refusal typed `Busy` with a retry hint:
//! - at most [`ServerLimits::max_in_flight`] ranges being read at once (all peers), so memory
//!   stays under that many MiB;
//! - at most [`ServerLimits::per_peer_in_flight`] per peer;
//! - a token bucket per peer: [`ServerLimits::per_peer_bytes_per_sec`] of block data, bursts
//!   of [`ServerLimits::per_peer_burst_bytes`], charged when a request is admitted.
//!
//! Every answer is counted in `proofmesh_blocks_served_total{outcome}` and
//! `proofmesh_block_bytes_served_total` (by the swarm task, when it sends it).

use crate::p2p::{
    BlockChannel, BlockRefusal, BlockRequest, BlockResponse, InboundBlockRequest, P2pError,
    P2pHandle, ServedBlock, MAX_BLOCKS_PER_REQUEST,
};
use libp2p::PeerId;
use proofmesh_circuits::slot::{SlotTree, BLOCK_SIZE};
use proofmesh_proto::DatasetRoot;
use proofmesh_prover::{ProverError, SlotFile};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Per-peer entries kept before idle ones are pruned.
const PEER_TABLE_PRUNE_AT: usize = 1024;
/// Retry hint when a peer or the server has too many ranges in flight.
const IN_FLIGHT_RETRY_MS: u32 = 100;

/// One slot a node holds and serves.
#[derive(Clone, Debug)]
pub struct HeldSlot {
    /// The dataset it belongs to.
    pub dataset: DatasetRoot,
    /// Its index in the dataset.
    pub index: u16,
    /// The slot file.
    pub file: SlotFile,
    /// Its tree (block hashes, for the paths), built from the file.
    pub tree: Arc<SlotTree>,
}

impl HeldSlot {
    /// A held slot from a file and the tree already built from it (a prover has it from its
    /// commitment); refused when the tree is not of this file's size.
    pub fn new(
        dataset: DatasetRoot,
        index: u16,
        file: SlotFile,
        tree: Arc<SlotTree>,
    ) -> Result<Self, ProverError> {
        if tree.n_stored_blocks() != file.n_blocks() {
            return Err(ProverError::Layout {
                path: file.path().to_path_buf(),
                why: format!(
                    "the slot tree has {} stored blocks, the file {}",
                    tree.n_stored_blocks(),
                    file.n_blocks()
                ),
            });
        }
        Ok(Self {
            dataset,
            index,
            file,
            tree,
        })
    }

    /// Opens a slot file and builds its tree (reads and hashes the whole file: blocking, and
    /// seconds per 64 MiB).
    pub fn open(dataset: DatasetRoot, index: u16, path: &Path) -> Result<Self, ProverError> {
        let file = SlotFile::open(path)?;
        let tree = Arc::new(file.slot_tree()?);
        Self::new(dataset, index, file, tree)
    }
}

/// The server's limits (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Ranges read at once, all peers together (each at most 1 MiB in memory).
    pub max_in_flight: usize,
    /// Ranges read at once for one peer.
    pub per_peer_in_flight: usize,
    /// Sustained block bytes per second per peer.
    pub per_peer_bytes_per_sec: u64,
    /// Burst of block bytes per peer; at least one full response (1 MiB), so every request
    /// can pass once the bucket is full.
    pub per_peer_burst_bytes: u64,
    /// Requests waiting between the swarm task and the server; beyond, the swarm answers
    /// `Busy`.
    pub queue: usize,
}

impl Default for ServerLimits {
    /// 16 ranges in flight (16 MiB), 4 per peer, 64 MiB/s per peer with 8 MiB bursts, a queue
    /// of 64 requests.
    fn default() -> Self {
        Self {
            max_in_flight: 16,
            per_peer_in_flight: 4,
            per_peer_bytes_per_sec: 64 << 20,
            per_peer_burst_bytes: 8 << 20,
            queue: 64,
        }
    }
}

/// The most block bytes one request can cost.
const MAX_REQUEST_BYTES: u64 = MAX_BLOCKS_PER_REQUEST as u64 * BLOCK_SIZE as u64;

/// Registers a block server for `held` with the swarm and spawns it on `tracker`; it runs
/// until `shutdown`. Slots are keyed by (dataset, index): a later duplicate replaces an
/// earlier one.
pub async fn spawn_server(
    p2p: &P2pHandle,
    held: Vec<HeldSlot>,
    limits: ServerLimits,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) -> Result<(), P2pError> {
    let (tx, rx) = mpsc::channel(limits.queue.max(1));
    p2p.serve_blocks(tx).await?;
    let slots: HashMap<(DatasetRoot, u16), HeldSlot> = held
        .into_iter()
        .map(|h| ((h.dataset, h.index), h))
        .collect();
    tracing::info!(slots = slots.len(), ?limits, "serving blocks");
    let server = Server {
        rx,
        slots,
        limits: ServerLimits {
            per_peer_burst_bytes: limits.per_peer_burst_bytes.max(MAX_REQUEST_BYTES),
            max_in_flight: limits.max_in_flight.max(1),
            per_peer_in_flight: limits.per_peer_in_flight.max(1),
            ..limits
        },
        peers: HashMap::new(),
        in_flight: 0,
        reads: JoinSet::new(),
        p2p: p2p.clone(),
    };
    tracker.spawn(server.run(shutdown));
    Ok(())
}

/// A peer's share of the server.
#[derive(Debug)]
struct PeerState {
    in_flight: usize,
    /// Token bucket of block bytes.
    tokens: f64,
    at: Instant,
}

impl PeerState {
    fn refill(&mut self, now: Instant, limits: &ServerLimits) {
        let earned =
            now.duration_since(self.at).as_secs_f64() * limits.per_peer_bytes_per_sec as f64;
        self.tokens = (self.tokens + earned).min(limits.per_peer_burst_bytes as f64);
        self.at = now;
    }
}

/// What a finished read hands back.
type ReadDone = (
    PeerId,
    u64,
    BlockChannel,
    Result<Result<Vec<ServedBlock>, ProverError>, tokio::task::JoinError>,
);

struct Server {
    rx: mpsc::Receiver<InboundBlockRequest>,
    slots: HashMap<(DatasetRoot, u16), HeldSlot>,
    limits: ServerLimits,
    peers: HashMap<PeerId, PeerState>,
    in_flight: usize,
    reads: JoinSet<ReadDone>,
    p2p: P2pHandle,
}

impl Server {
    async fn run(mut self, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(done) = self.reads.join_next(), if !self.reads.is_empty() => match done {
                    Ok(done) => self.finish(done).await,
                    // The read task itself is never aborted (only on drop, below).
                    Err(e) => tracing::error!(error = %e, "block read task failed"),
                },
                request = self.rx.recv() => match request {
                    Some(r) => self.admit(r).await,
                    None => break,
                },
            }
        }
        tracing::info!("block server stopped");
    }

    /// Answers at once (refusals) or starts reading the range.
    async fn admit(&mut self, r: InboundBlockRequest) {
        let InboundBlockRequest {
            peer,
            request,
            channel,
        } = r;
        match self.check(peer, &request) {
            Ok(slot) => {
                let (first, count) = (request.first, request.count);
                self.in_flight += 1;
                self.reads.spawn(async move {
                    let read = tokio::task::spawn_blocking(move || read_range(&slot, first, count));
                    (peer, first, channel, read.await)
                });
            }
            Err(refusal) => {
                tracing::debug!(%peer, ?request, ?refusal, "block request refused");
                self.respond(channel, BlockResponse::Refused(refusal)).await;
            }
        }
    }

    /// The slot to read for `request`, with the peer charged for it, or why not.
    fn check(&mut self, peer: PeerId, request: &BlockRequest) -> Result<HeldSlot, BlockRefusal> {
        let slot = self
            .slots
            .get(&(request.dataset, request.slot))
            .ok_or(BlockRefusal::NotHeld)?;
        let stored = slot.file.n_blocks();
        let end = request.first.checked_add(u64::from(request.count));
        if request.count == 0 || end.is_none_or(|end| end > stored) {
            return Err(BlockRefusal::OutOfRange { stored });
        }
        let now = Instant::now();
        if self.peers.len() >= PEER_TABLE_PRUNE_AT {
            let limits = self.limits;
            self.peers.retain(|_, p| {
                p.refill(now, &limits);
                p.in_flight > 0 || p.tokens < limits.per_peer_burst_bytes as f64
            });
        }
        let limits = self.limits;
        let state = self.peers.entry(peer).or_insert(PeerState {
            in_flight: 0,
            tokens: limits.per_peer_burst_bytes as f64,
            at: now,
        });
        state.refill(now, &limits);
        if self.in_flight >= limits.max_in_flight || state.in_flight >= limits.per_peer_in_flight {
            return Err(BlockRefusal::Busy {
                retry_after_ms: IN_FLIGHT_RETRY_MS,
            });
        }
        let cost = u64::from(request.count) as f64 * BLOCK_SIZE as f64;
        if state.tokens < cost {
            let wait = (cost - state.tokens) / limits.per_peer_bytes_per_sec.max(1) as f64;
            return Err(BlockRefusal::Busy {
                retry_after_ms: (wait * 1000.0).ceil().min(f64::from(u32::MAX)) as u32,
            });
        }
        state.tokens -= cost;
        state.in_flight += 1;
        Ok(slot.clone())
    }

    async fn finish(&mut self, (peer, first, channel, read): ReadDone) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(p) = self.peers.get_mut(&peer) {
            p.in_flight = p.in_flight.saturating_sub(1);
        }
        let response = match read {
            Ok(Ok(blocks)) => BlockResponse::Blocks { first, blocks },
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot read a held slot");
                BlockResponse::Refused(BlockRefusal::Unavailable)
            }
            Err(e) => {
                tracing::error!(error = %e, "block read panicked");
                BlockResponse::Refused(BlockRefusal::Unavailable)
            }
        };
        self.respond(channel, response).await;
    }

    async fn respond(&self, channel: BlockChannel, response: BlockResponse) {
        if self.p2p.respond_blocks(channel, response).await.is_err() {
            tracing::debug!("p2p stopped; block response dropped");
        }
    }
}

/// Reads blocks `first .. first + count` of `slot` with their paths (blocking I/O).
fn read_range(slot: &HeldSlot, first: u64, count: u32) -> Result<Vec<ServedBlock>, ProverError> {
    let path = slot.file.path();
    let io = |source| ProverError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    f.seek(SeekFrom::Start(first * BLOCK_SIZE as u64))
        .map_err(io)?;
    (first..first + u64::from(count))
        .map(|index| {
            let mut data = vec![0u8; BLOCK_SIZE];
            f.read_exact(&mut data).map_err(io)?;
            let path = slot.tree.block_path(index)?;
            Ok(ServedBlock { data, path })
        })
        .collect()
}
