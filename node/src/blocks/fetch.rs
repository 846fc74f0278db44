//! Fetching one whole slot from the peers that hold it: runs of up to 16 blocks requested in
//! parallel ([`FetchOptions::in_flight`] at a time, spread over the providers), every block
//! checked against the slot root on the blocking pool (rayon: the check costs one block hash,
//! far more than the transfer) and written at its offset of a temporary file, renamed into
//! place once every block is in. Nothing unchecked ever reaches the file.
//!
//! A provider that answers with a block that fails its check, or with blocks it was not asked
//! for, is penalised (`P2pHandle::penalise_bad_blocks`) and not asked again; one that refuses
//! (not held, out of range, unavailable) or cannot be reached is not asked again either, but
//! not penalised; one that is busy is asked again after its hint (and given up after
//! [`FetchOptions::max_busy`] busy answers in a row). A run a provider failed goes to another
//! one; the fetch fails only when no provider is left.

use crate::p2p::{
    BlockRefusal, BlockRequest, BlockRequestError, BlockResponse, P2pError, P2pHandle, ServedBlock,
    MAX_BLOCKS_PER_REQUEST,
};
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use proofmesh_circuits::block::{verify_block, BlockError};
use proofmesh_circuits::slot::BLOCK_SIZE;
use proofmesh_circuits::Fr;
use proofmesh_proto::DatasetRoot;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::fmt;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Shortest and longest wait a `Busy` hint is taken for.
const BUSY_WAIT: (Duration, Duration) = (Duration::from_millis(20), Duration::from_secs(5));

/// A peer to ask for blocks, and where to dial it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    /// Its peer id.
    pub peer: PeerId,
    /// Its addresses (dialled when not connected).
    pub addresses: Vec<Multiaddr>,
}

impl FromStr for Provider {
    type Err = String;

    /// `MULTIADDR/p2p/PEER_ID`, as a node writes it to its `p2p.addr` file.
    fn from_str(s: &str) -> Result<Self, String> {
        let addr: Multiaddr = s.parse().map_err(|e| format!("multiaddr {s:?}: {e}"))?;
        match addr.iter().last() {
            Some(Protocol::P2p(peer)) => Ok(Self {
                peer,
                addresses: vec![addr],
            }),
            _ => Err(format!("{s:?} does not end in /p2p/<peer id>")),
        }
    }
}

/// The slot to fetch and what it must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotSpec {
    /// The dataset.
    pub dataset: DatasetRoot,
    /// The slot's index.
    pub index: u16,
    /// The slot root every block is checked against.
    pub root: Fr,
    /// Stored 64 KiB blocks of the slot (the file's length; the tree's pad is not fetched).
    pub n_blocks: u64,
}

/// How a fetch spreads its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchOptions {
    /// Requests in flight at once, over all providers.
    pub in_flight: usize,
    /// Blocks per request (1 to 16).
    pub blocks_per_request: u32,
    /// `Busy` answers in a row after which a provider is given up.
    pub max_busy: u32,
    /// Longest wait for one answer, dialling included (an address that drops packets can
    /// hold a TCP dial for minutes; the protocol's own timeout starts only once connected).
    pub request_timeout: Duration,
}

impl Default for FetchOptions {
    /// 4 requests of 16 blocks in flight; a provider busy 50 times in a row, or silent for
    /// 45 s, is given up.
    fn default() -> Self {
        Self {
            in_flight: 4,
            blocks_per_request: MAX_BLOCKS_PER_REQUEST,
            max_busy: 50,
            request_timeout: Duration::from_secs(45),
        }
    }
}

/// Why a provider was given up for this slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerFailure {
    /// It served a block that is not the slot's (penalised).
    BadBlock(BlockError),
    /// It answered with other blocks than asked, or broke the protocol (penalised).
    Malformed(String),
    /// It refused: not held, out of range, or unavailable (not penalised).
    Refused(BlockRefusal),
    /// It stayed busy (not penalised).
    Busy,
    /// It could not be reached or did not answer (not penalised).
    Request(BlockRequestError),
}

impl PeerFailure {
    /// Whether the provider is at fault (and penalised in peer scoring).
    pub fn penalised(&self) -> bool {
        matches!(self, Self::BadBlock(_) | Self::Malformed(_))
    }
}

impl fmt::Display for PeerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadBlock(e) => write!(f, "bad block: {e}"),
            Self::Malformed(why) => write!(f, "malformed answer: {why}"),
            Self::Refused(BlockRefusal::NotHeld) => f.write_str("does not hold the slot"),
            Self::Refused(BlockRefusal::OutOfRange { stored }) => {
                write!(f, "holds a slot of {stored} blocks")
            }
            Self::Refused(BlockRefusal::Unavailable) => f.write_str("cannot read its copy"),
            Self::Refused(BlockRefusal::Busy { .. }) | Self::Busy => f.write_str("stayed busy"),
            Self::Request(e) => write!(f, "{e}"),
        }
    }
}

/// What a finished fetch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Blocks written (all of the slot).
    pub blocks: u64,
    /// Blocks received from each provider that served some.
    pub from: Vec<(PeerId, u64)>,
    /// Providers given up, and why.
    pub failures: Vec<(PeerId, PeerFailure)>,
    /// `Busy` answers received.
    pub busy: u64,
}

/// Why a slot could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Every provider was given up before the slot was complete.
    #[error("slot {slot}: no provider left{}", list(failures))]
    NoProvider {
        /// The slot.
        slot: u16,
        /// Each provider and why it was given up.
        failures: Vec<(PeerId, PeerFailure)>,
    },
    /// The slot spec describes no blocks.
    #[error("slot {0}: a slot has at least one block")]
    Empty(u16),
    /// The output file cannot be written (a local fault).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The p2p task stopped (shutdown).
    #[error(transparent)]
    P2p(#[from] P2pError),
}

impl FetchError {
    /// Why, without the slot (for a caller that names the slot itself).
    pub fn reason(&self) -> String {
        match self {
            Self::NoProvider { failures, .. } if failures.is_empty() => "no provider to ask".into(),
            Self::NoProvider { failures, .. } => format!("no provider left{}", list(failures)),
            Self::Empty(_) => "a slot has at least one block".into(),
            other => other.to_string(),
        }
    }
}

fn list(failures: &[(PeerId, PeerFailure)]) -> String {
    failures
        .iter()
        .map(|(p, why)| format!("; {p}: {why}"))
        .collect()
}

/// The temporary name a slot is written under until complete.
pub fn part_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    out.with_file_name(name)
}

/// Fetches slot `spec` from `providers` into `out` (see the module doc). `out` appears only
/// once every block is in and checked; on error nothing is left behind.
pub async fn fetch_slot(
    p2p: &P2pHandle,
    providers: &[Provider],
    spec: &SlotSpec,
    out: &Path,
    options: &FetchOptions,
) -> Result<Fetched, FetchError> {
    if spec.n_blocks == 0 {
        return Err(FetchError::Empty(spec.index));
    }
    let part = part_path(out);
    let len = spec.n_blocks * BLOCK_SIZE as u64;
    let file = blocking(part.clone(), move |path| {
        let f = std::fs::File::create(path)?;
        f.set_len(len)?;
        Ok(f)
    })
    .await?;
    let file = Arc::new(Mutex::new(file));
    let result = Fetch::new(
        p2p,
        providers,
        spec,
        options,
        Arc::clone(&file),
        part.clone(),
    )
    .run()
    .await;
    let out = out.to_path_buf();
    match result {
        Ok(fetched) => {
            blocking(part.clone(), move |path| {
                lock(&file)?.sync_all()?;
                std::fs::rename(path, &out)
            })
            .await?;
            Ok(fetched)
        }
        Err(e) => {
            drop(file);
            let _ = tokio::fs::remove_file(&part).await;
            Err(e)
        }
    }
}

async fn blocking<T: Send + 'static>(
    path: PathBuf,
    f: impl FnOnce(&Path) -> std::io::Result<T> + Send + 'static,
) -> Result<T, FetchError> {
    let at = path.clone();
    match tokio::task::spawn_blocking(move || f(&at)).await {
        Ok(r) => r.map_err(|source| FetchError::Io { path, source }),
        Err(e) => Err(FetchError::Io {
            path,
            source: std::io::Error::other(e.to_string()),
        }),
    }
}

fn lock(file: &Mutex<std::fs::File>) -> std::io::Result<std::sync::MutexGuard<'_, std::fs::File>> {
    file.lock()
        .map_err(|_| std::io::Error::other("a writer panicked"))
}

/// A provider's state in one fetch.
struct Peer {
    provider: Provider,
    failed: Option<PeerFailure>,
    in_flight: usize,
    not_before: Instant,
    busy_streak: u32,
    blocks: u64,
}

/// How one request ended.
enum Outcome {
    /// Its blocks are checked and written.
    Written(u64),
    /// Refused by the provider.
    Refused(BlockRefusal),
    /// No answer.
    Failed(BlockRequestError),
    /// A wrong answer (the provider's fault).
    Bad(PeerFailure),
    /// Writing failed (ours).
    Io(std::io::Error),
    /// The p2p task stopped.
    Stopped,
}

type Run = (u64, u32);
type Pending = BoxFuture<'static, (usize, Run, Outcome)>;

struct Fetch<'a> {
    p2p: &'a P2pHandle,
    spec: SlotSpec,
    options: FetchOptions,
    file: Arc<Mutex<std::fs::File>>,
    path: PathBuf,
    peers: Vec<Peer>,
    pending: VecDeque<Run>,
    busy: u64,
}

impl<'a> Fetch<'a> {
    fn new(
        p2p: &'a P2pHandle,
        providers: &[Provider],
        spec: &SlotSpec,
        options: &FetchOptions,
        file: Arc<Mutex<std::fs::File>>,
        path: PathBuf,
    ) -> Self {
        let per = u64::from(options.blocks_per_request.clamp(1, MAX_BLOCKS_PER_REQUEST));
        let pending = (0..spec.n_blocks.div_ceil(per))
            .map(|i| {
                let first = i * per;
                (first, (spec.n_blocks - first).min(per) as u32)
            })
            .collect();
        let now = Instant::now();
        let mut seen = std::collections::HashSet::new();
        let peers = providers
            .iter()
            .filter(|p| seen.insert(p.peer))
            .map(|p| Peer {
                provider: p.clone(),
                failed: None,
                in_flight: 0,
                not_before: now,
                busy_streak: 0,
                blocks: 0,
            })
            .collect();
        Self {
            p2p,
            spec: *spec,
            options: FetchOptions {
                in_flight: options.in_flight.max(1),
                ..*options
            },
            file,
            path,
            peers,
            pending,
            busy: 0,
        }
    }

    async fn run(mut self) -> Result<Fetched, FetchError> {
        let mut running: FuturesUnordered<Pending> = FuturesUnordered::new();
        let mut written = 0u64;
        while !self.pending.is_empty() || !running.is_empty() {
            while running.len() < self.options.in_flight && !self.pending.is_empty() {
                let Some(i) = self.pick() else { break };
                let Some(run) = self.pending.pop_front() else {
                    break;
                };
                self.peers[i].in_flight += 1;
                running.push(self.request(i, run));
            }
            // Room for a request and work for it, yet nothing started: every usable provider
            // is waiting out a busy hint (the earliest one ends at `wake`), or none is left.
            let blocked = running.len() < self.options.in_flight && !self.pending.is_empty();
            let wake = if blocked { self.next_ready() } else { None };
            let next = match (running.is_empty(), wake) {
                (true, None) => return Err(self.no_provider()),
                (true, Some(at)) => {
                    tokio::time::sleep_until(at).await;
                    continue;
                }
                (false, Some(at)) => tokio::select! {
                    next = running.next() => next,
                    () = tokio::time::sleep_until(at) => continue,
                },
                (false, None) => running.next().await,
            };
            let Some((i, run, outcome)) = next else {
                continue;
            };
            self.peers[i].in_flight -= 1;
            match outcome {
                Outcome::Written(n) => {
                    written += n;
                    let peer = &mut self.peers[i];
                    peer.blocks += n;
                    peer.busy_streak = 0;
                }
                Outcome::Refused(BlockRefusal::Busy { retry_after_ms }) => {
                    self.busy += 1;
                    let wait = Duration::from_millis(u64::from(retry_after_ms))
                        .clamp(BUSY_WAIT.0, BUSY_WAIT.1);
                    let max_busy = self.options.max_busy;
                    let peer = &mut self.peers[i];
                    peer.busy_streak += 1;
                    peer.not_before = Instant::now() + wait;
                    if peer.busy_streak > max_busy {
                        self.give_up(i, PeerFailure::Busy).await?;
                    }
                    self.pending.push_front(run);
                }
                Outcome::Refused(r) => {
                    self.give_up(i, PeerFailure::Refused(r)).await?;
                    self.pending.push_front(run);
                }
                Outcome::Failed(BlockRequestError::Malformed(why)) => {
                    self.give_up(i, PeerFailure::Malformed(why)).await?;
                    self.pending.push_front(run);
                }
                Outcome::Failed(e) => {
                    self.give_up(i, PeerFailure::Request(e)).await?;
                    self.pending.push_front(run);
                }
                Outcome::Bad(why) => {
                    self.give_up(i, why).await?;
                    self.pending.push_front(run);
                }
                Outcome::Io(source) => {
                    return Err(FetchError::Io {
                        path: self.path.clone(),
                        source,
                    })
                }
                Outcome::Stopped => return Err(P2pError::Stopped.into()),
            }
        }
        Ok(Fetched {
            blocks: written,
            from: self
                .peers
                .iter()
                .filter(|p| p.blocks > 0)
                .map(|p| (p.provider.peer, p.blocks))
                .collect(),
            failures: self.failures(),
            busy: self.busy,
        })
    }

    /// The usable provider with the fewest requests in flight, if one is ready now.
    fn pick(&self) -> Option<usize> {
        let now = Instant::now();
        self.peers
            .iter()
            .enumerate()
            .filter(|(_, p)| p.failed.is_none() && p.not_before <= now)
            .min_by_key(|(_, p)| p.in_flight)
            .map(|(i, _)| i)
    }

    /// When the next usable provider is ready (`None`: none is usable).
    fn next_ready(&self) -> Option<Instant> {
        self.peers
            .iter()
            .filter(|p| p.failed.is_none())
            .map(|p| p.not_before)
            .min()
    }

    async fn give_up(&mut self, i: usize, why: PeerFailure) -> Result<(), FetchError> {
        let peer = &mut self.peers[i];
        if peer.failed.is_some() {
            return Ok(());
        }
        tracing::info!(peer = %peer.provider.peer, slot = self.spec.index, reason = %why,
            "provider given up for this slot");
        if why.penalised() {
            self.p2p.penalise_bad_blocks(peer.provider.peer).await?;
        }
        peer.failed = Some(why);
        Ok(())
    }

    fn failures(&self) -> Vec<(PeerId, PeerFailure)> {
        self.peers
            .iter()
            .filter_map(|p| Some((p.provider.peer, p.failed.clone()?)))
            .collect()
    }

    fn no_provider(&self) -> FetchError {
        FetchError::NoProvider {
            slot: self.spec.index,
            failures: self.failures(),
        }
    }

    /// One request: ask, check, write.
    fn request(&self, i: usize, run: Run) -> Pending {
        let (p2p, spec, file) = (self.p2p.clone(), self.spec, Arc::clone(&self.file));
        let Provider { peer, addresses } = self.peers[i].provider.clone();
        let (first, count) = run;
        let limit = self.options.request_timeout;
        async move {
            let request = BlockRequest {
                dataset: spec.dataset,
                slot: spec.index,
                first,
                count,
            };
            let answer = tokio::time::timeout(limit, p2p.request_blocks(peer, addresses, request));
            let outcome = match answer.await.unwrap_or(Ok(Err(BlockRequestError::Timeout))) {
                Err(_) => Outcome::Stopped,
                Ok(Err(e)) => Outcome::Failed(e),
                Ok(Ok(BlockResponse::Refused(r))) => Outcome::Refused(r),
                Ok(Ok(BlockResponse::Blocks { first: got, blocks })) => {
                    if got != first || blocks.len() != count as usize {
                        Outcome::Bad(PeerFailure::Malformed(format!(
                            "asked for blocks {first}..{}, got {got}..{}",
                            first + u64::from(count),
                            got.saturating_add(blocks.len() as u64)
                        )))
                    } else {
                        let checked = tokio::task::spawn_blocking(move || {
                            check_and_write(&file, &spec, first, &blocks)
                        })
                        .await;
                        match checked {
                            Ok(Ok(n)) => Outcome::Written(n),
                            Ok(Err(Checked::Bad(e))) => Outcome::Bad(PeerFailure::BadBlock(e)),
                            Ok(Err(Checked::Io(e))) => Outcome::Io(e),
                            Err(e) => Outcome::Io(std::io::Error::other(e.to_string())),
                        }
                    }
                }
            };
            (i, run, outcome)
        }
        .boxed()
    }
}

/// Why a response's blocks were not written.
enum Checked {
    Bad(BlockError),
    Io(std::io::Error),
}

/// Checks every block (in parallel) against the slot root, then writes them all; nothing is
/// written unless every block passes.
fn check_and_write(
    file: &Mutex<std::fs::File>,
    spec: &SlotSpec,
    first: u64,
    blocks: &[ServedBlock],
) -> Result<u64, Checked> {
    blocks
        .par_iter()
        .enumerate()
        .try_for_each(|(i, b)| {
            verify_block(spec.root, spec.n_blocks, first + i as u64, &b.data, &b.path)
        })
        .map_err(Checked::Bad)?;
    let mut f = lock(file).map_err(Checked::Io)?;
    f.seek(SeekFrom::Start(first * BLOCK_SIZE as u64))
        .map_err(Checked::Io)?;
    for b in blocks {
        f.write_all(&b.data).map_err(Checked::Io)?;
    }
    Ok(blocks.len() as u64)
}
