#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Block transfer (`/proofmesh/blocks/1`) between real swarms on 127.0.0.1: a request round
//! trip checked block by block against the slot root, typed refusals, a whole slot fetched,
//! a provider serving a tampered block refused (penalised, the slot fetched from an honest
//! provider instead), the per-peer bound answering `Busy`, and a dataset's original file got
//! back with M of its K + M providers down (and refused with M + 1 down).

mod common;

use common::{slot_file, temp_dir};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use proofmesh_circuits::block::{verify_block, BlockError};
use proofmesh_circuits::field::{fr_to_decimal, fr_to_le_bytes};
use proofmesh_circuits::slot::BLOCK_SIZE;
use proofmesh_node::blocks::{
    fetch_slot, get_dataset, spawn_server, FetchError, FetchOptions, GetError, HeldSlot,
    PeerFailure, Provider, ServerLimits, SlotSpec,
};
use proofmesh_node::p2p::{
    spawn, BlockRefusal, BlockRequest, BlockResponse, InboundBlockRequest, P2pConfig, P2pHandle,
    ServedBlock,
};
use proofmesh_proto::DatasetRoot;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Bound on every wait of these tests.
const WAIT: Duration = Duration::from_secs(60);

/// A real swarm on 127.0.0.1 (no discovery), stopped when dropped or stopped.
struct Node {
    handle: P2pHandle,
    addr: Multiaddr,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Node {
    async fn start(seed: u8) -> Node {
        let keypair = Keypair::ed25519_from_bytes([seed; 32]).unwrap();
        let mut config = P2pConfig::new(
            keypair,
            vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
            vec![],
        );
        config.discovery = false;
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let (handle, _inbound, addrs) =
            proofmesh_node::p2p::spawn_tracked(config, shutdown.clone(), &tasks)
                .await
                .unwrap();
        let addr = addrs[0].clone().with(Protocol::P2p(handle.local_peer_id));
        Node {
            handle,
            addr,
            shutdown,
            tasks,
        }
    }

    fn peer(&self) -> PeerId {
        self.handle.local_peer_id
    }

    fn provider(&self) -> Provider {
        Provider {
            peer: self.peer(),
            addresses: vec![self.addr.clone()],
        }
    }

    /// Serves `held` with `limits` (the node's real block server).
    async fn serve(&self, held: Vec<HeldSlot>, limits: ServerLimits) {
        spawn_server(
            &self.handle,
            held,
            limits,
            self.shutdown.clone(),
            &self.tasks,
        )
        .await
        .unwrap();
    }

    /// Stops the swarm and the server, and waits until they are gone (connections closed).
    async fn stop(&self) {
        self.shutdown.cancel();
        self.tasks.close();
        timeout(WAIT, self.tasks.wait()).await.unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A client: a swarm that listens nowhere and dials providers when it asks them.
async fn client() -> P2pHandle {
    let mut config = P2pConfig::new(Keypair::generate_ed25519(), vec![], vec![]);
    config.discovery = false;
    let shutdown = CancellationToken::new();
    let (handle, _inbound, _) = spawn(config, shutdown.clone()).await.unwrap();
    // The swarm runs as long as the test's runtime.
    std::mem::forget(shutdown.drop_guard());
    handle
}

fn dataset(tag: u8) -> DatasetRoot {
    DatasetRoot::from_le_bytes([tag; 32]).unwrap()
}

fn held(dataset: DatasetRoot, index: u16, path: &Path) -> HeldSlot {
    HeldSlot::open(dataset, index, path).unwrap()
}

fn spec(h: &HeldSlot) -> SlotSpec {
    SlotSpec {
        dataset: h.dataset,
        index: h.index,
        root: h.tree.root(),
        n_blocks: h.file.n_blocks(),
    }
}

async fn ask(client: &P2pHandle, server: &Node, request: BlockRequest) -> BlockResponse {
    timeout(
        WAIT,
        client.request_blocks(server.peer(), vec![server.addr.clone()], request),
    )
    .await
    .expect("answer in time")
    .unwrap()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_request_round_trips_and_every_block_checks_against_the_slot_root() {
    let dir = temp_dir();
    // 5 blocks: the slot tree is padded to 8, and the pad is never served.
    let file = slot_file(dir.path(), "slot.bin", 5, 1);
    let bytes = std::fs::read(&file).unwrap();
    let slot = held(dataset(1), 2, &file);
    let server = Node::start(1).await;
    server
        .serve(vec![slot.clone()], ServerLimits::default())
        .await;
    let client = client().await;

    let request = BlockRequest {
        dataset: dataset(1),
        slot: 2,
        first: 1,
        count: 4,
    };
    let BlockResponse::Blocks { first, blocks } = ask(&client, &server, request).await else {
        panic!("blocks expected");
    };
    assert_eq!((first, blocks.len()), (1, 4));
    for (i, b) in blocks.iter().enumerate() {
        let index = 1 + i as u64;
        let at = index as usize * BLOCK_SIZE;
        assert_eq!(b.data, bytes[at..at + BLOCK_SIZE]);
        verify_block(slot.tree.root(), 5, index, &b.data, &b.path).unwrap();
    }

    // Typed refusals: another slot, another dataset, past the stored blocks (the pad).
    for (request, want) in [
        (BlockRequest { slot: 3, ..request }, BlockRefusal::NotHeld),
        (
            BlockRequest {
                dataset: dataset(9),
                ..request
            },
            BlockRefusal::NotHeld,
        ),
        (
            BlockRequest {
                first: 2,
                count: 4,
                ..request
            },
            BlockRefusal::OutOfRange { stored: 5 },
        ),
        (
            BlockRequest {
                first: u64::MAX,
                count: 1,
                ..request
            },
            BlockRefusal::OutOfRange { stored: 5 },
        ),
    ] {
        assert_eq!(
            ask(&client, &server, request).await,
            BlockResponse::Refused(want),
            "{request:?}"
        );
    }

    // A node with no block server (a verifier) answers NotHeld.
    let plain = Node::start(2).await;
    assert_eq!(
        ask(&client, &plain, request).await,
        BlockResponse::Refused(BlockRefusal::NotHeld)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_slot_is_fetched_checked_and_renamed_into_place() {
    let dir = temp_dir();
    // 37 blocks: two full requests of 16 and a last one of 5.
    let file = slot_file(dir.path(), "slot.bin", 37, 2);
    let slot = held(dataset(2), 0, &file);
    let server = Node::start(3).await;
    server
        .serve(vec![slot.clone()], ServerLimits::default())
        .await;
    let client = client().await;
    let out = dir.path().join("fetched.bin");
    let fetched = timeout(
        WAIT,
        fetch_slot(
            &client,
            &[server.provider()],
            &spec(&slot),
            &out,
            &FetchOptions::default(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(fetched.blocks, 37);
    assert_eq!(fetched.from, vec![(server.peer(), 37)]);
    assert!(fetched.failures.is_empty());
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&file).unwrap());
    assert!(!dir.path().join("fetched.bin.part").exists());
}

/// A provider that serves the slot honestly except one flipped byte in the first block of
/// every answer: the real protocol, a dishonest holder.
async fn tampering_server(node: &Node, slot: HeldSlot) {
    let (tx, mut rx) = mpsc::channel::<InboundBlockRequest>(16);
    node.handle.serve_blocks(tx).await.unwrap();
    let handle = node.handle.clone();
    let bytes = std::fs::read(slot.file.path()).unwrap();
    tokio::spawn(async move {
        while let Some(r) = rx.recv().await {
            let first = r.request.first;
            let mut blocks: Vec<ServedBlock> = (first..first + u64::from(r.request.count))
                .map(|i| ServedBlock {
                    data: bytes[i as usize * BLOCK_SIZE..][..BLOCK_SIZE].to_vec(),
                    path: slot.tree.block_path(i).unwrap(),
                })
                .collect();
            blocks[0].data[1000] ^= 0x01;
            let _ = handle
                .respond_blocks(r.channel, BlockResponse::Blocks { first, blocks })
                .await;
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_block_is_refused_penalised_and_fetched_from_an_honest_provider() {
    let dir = temp_dir();
    let file = slot_file(dir.path(), "slot.bin", 20, 3);
    let slot = held(dataset(3), 1, &file);
    let evil = Node::start(4).await;
    tampering_server(&evil, slot.clone()).await;
    let client = client().await;
    let out = dir.path().join("fetched.bin");

    // Only the dishonest provider: nothing is written, and it is given up with the reason.
    let err = timeout(
        WAIT,
        fetch_slot(
            &client,
            &[evil.provider()],
            &spec(&slot),
            &out,
            &FetchOptions::default(),
        ),
    )
    .await
    .unwrap()
    .unwrap_err();
    let FetchError::NoProvider { slot: 1, failures } = &err else {
        panic!("{err}");
    };
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, evil.peer());
    assert!(
        matches!(
            failures[0].1,
            PeerFailure::BadBlock(BlockError::RootMismatch { .. })
        ),
        "{err}"
    );
    assert!(failures[0].1.penalised());
    assert!(!out.exists() && !dir.path().join("fetched.bin.part").exists());
    // Penalised in our peer scoring, like an invalid proof.
    let score = client.peer_score(evil.peer()).await.unwrap();
    assert!(
        score.is_some_and(|s| s < -50.0),
        "score of the evil peer: {score:?}"
    );

    // With an honest provider too, the slot comes whole from it.
    let honest = Node::start(5).await;
    honest
        .serve(vec![slot.clone()], ServerLimits::default())
        .await;
    let fetched = timeout(
        WAIT,
        fetch_slot(
            &client,
            &[evil.provider(), honest.provider()],
            &spec(&slot),
            &out,
            &FetchOptions::default(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&file).unwrap());
    assert_eq!(fetched.from, vec![(honest.peer(), 20)]);
    assert_eq!(fetched.failures.len(), 1);
    assert_eq!(fetched.failures[0].0, evil.peer());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_peer_bound_refuses_with_busy() {
    let dir = temp_dir();
    let file = slot_file(dir.path(), "slot.bin", 40, 4);
    let slot = held(dataset(4), 0, &file);
    let server = Node::start(6).await;
    // One full response per peer, then 1 byte/s: the second request must wait ~1 MiB s.
    let limits = ServerLimits {
        per_peer_in_flight: 1,
        per_peer_bytes_per_sec: 1,
        per_peer_burst_bytes: 16 * BLOCK_SIZE as u64,
        ..ServerLimits::default()
    };
    server.serve(vec![slot.clone()], limits).await;
    let client = client().await;
    let request = BlockRequest {
        dataset: dataset(4),
        slot: 0,
        first: 0,
        count: 16,
    };
    assert!(matches!(
        ask(&client, &server, request).await,
        BlockResponse::Blocks { .. }
    ));
    let BlockResponse::Refused(BlockRefusal::Busy { retry_after_ms }) = ask(
        &client,
        &server,
        BlockRequest {
            first: 16,
            ..request
        },
    )
    .await
    else {
        panic!("busy expected");
    };
    assert!(retry_after_ms > 1_000_000, "hint {retry_after_ms} ms");
    // Another peer has its own bucket.
    let other = client_with_seed(77).await;
    assert!(matches!(
        ask(
            &other,
            &server,
            BlockRequest {
                first: 16,
                ..request
            }
        )
        .await,
        BlockResponse::Blocks { .. }
    ));
    // A fetch that will not wait gives the busy provider up, typed.
    let options = FetchOptions {
        max_busy: 0,
        ..FetchOptions::default()
    };
    let out = dir.path().join("fetched.bin");
    let err = fetch_slot(&client, &[server.provider()], &spec(&slot), &out, &options)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::NoProvider { failures, .. } if failures[0].1 == PeerFailure::Busy),
        "{err}"
    );
}

async fn client_with_seed(seed: u8) -> P2pHandle {
    let mut config = P2pConfig::new(
        Keypair::ed25519_from_bytes([seed; 32]).unwrap(),
        vec![],
        vec![],
    );
    config.discovery = false;
    let shutdown = CancellationToken::new();
    let (handle, _inbound, _) = spawn(config, shutdown.clone()).await.unwrap();
    std::mem::forget(shutdown.drop_guard());
    handle
}

/// A dataset encoded as `proofmesh dataset encode` does: slot files, and a manifest with the
/// slot roots and the dataset root.
pub(crate) fn encode(dir: &Path, original: &[u8], k: usize, m: usize) -> (PathBuf, DatasetRoot) {
    let input = dir.join("original.bin");
    std::fs::write(&input, original).unwrap();
    let out = dir.join("dataset");
    let mut manifest = proofmesh_erasure::encode_file(&input, k, m, &out).unwrap();
    let paths: Vec<PathBuf> = (0..k + m)
        .map(|i| out.join(proofmesh_erasure::slot_file_name(i)))
        .collect();
    let slots = proofmesh_prover::dataset::open_slots(&paths).unwrap();
    let commitment = proofmesh_prover::commit(&slots).unwrap();
    manifest.slot_roots = commitment
        .slots
        .iter()
        .map(|s| fr_to_decimal(&s.root()))
        .collect();
    manifest.dataset_root = Some(fr_to_decimal(&commitment.root()));
    manifest.store(&out).unwrap();
    let root = DatasetRoot::from_le_bytes(fr_to_le_bytes(&commitment.root())).unwrap();
    (out, root)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_comes_back_with_m_providers_down_and_not_with_m_plus_one() {
    let dir = temp_dir();
    // K = 3, M = 2; 7.5 blocks of data: 3 blocks per slot, the last one partly padding.
    let (k, m) = (3, 2);
    let original: Vec<u8> = (0..(7 * BLOCK_SIZE + BLOCK_SIZE / 2))
        .map(|i| (i % 251) as u8)
        .collect();
    let (data, root) = encode(dir.path(), &original, k, m);
    let (manifest, _) = proofmesh_erasure::Manifest::load(&data).unwrap();

    // One provider per slot, each serving the slot it holds.
    let mut nodes = Vec::new();
    for i in 0..k + m {
        let node = Node::start(10 + i as u8).await;
        let path = data.join(proofmesh_erasure::slot_file_name(i));
        let slot = tokio::task::spawn_blocking(move || held(root, i as u16, &path))
            .await
            .unwrap();
        node.serve(vec![slot], ServerLimits::default()).await;
        nodes.push(node);
    }
    // Two data slots' providers go down: the file needs erasure decoding from parity.
    nodes[0].stop().await;
    nodes[2].stop().await;
    let providers: Vec<Provider> = nodes.iter().map(Node::provider).collect();
    let client = client().await;
    let out = dir.path().join("got.bin");
    let report = timeout(
        WAIT,
        get_dataset(
            &client,
            &providers,
            &manifest,
            root,
            &out,
            &FetchOptions::default(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), original);
    assert!(report.decoded);
    let fetched: Vec<u16> = report.fetched.iter().map(|(s, _)| *s).collect();
    assert_eq!(fetched, vec![1, 3, 4]);
    assert_eq!(
        report.failed.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![0, 2]
    );
    assert!(!dir.path().join("got.bin.get").exists());

    // One more down: fewer than K slots, refused with every reason, nothing written.
    nodes[3].stop().await;
    let out2 = dir.path().join("got2.bin");
    let err = timeout(
        WAIT,
        get_dataset(
            &client,
            &providers,
            &manifest,
            root,
            &out2,
            &FetchOptions::default(),
        ),
    )
    .await
    .unwrap()
    .unwrap_err();
    let GetError::TooFewSlots {
        fetched,
        needed,
        failed,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!((fetched.clone(), *needed), (vec![1, 4], 3));
    assert_eq!(failed.len(), 3, "{err}");
    assert!(!out2.exists() && !dir.path().join("got2.bin.get").exists());

    // A manifest whose slot roots are not the dataset's is refused before any fetch.
    let err = get_dataset(
        &client,
        &providers,
        &manifest,
        dataset(5),
        &out2,
        &FetchOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GetError::Manifest(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_provider_is_given_up_after_the_request_timeout() {
    let dir = temp_dir();
    let file = slot_file(dir.path(), "slot.bin", 20, 6);
    let slot = held(dataset(6), 0, &file);
    // Takes every request and never answers (holds the channels, so no failure either).
    let silent = Node::start(30).await;
    let (tx, mut rx) = mpsc::channel::<InboundBlockRequest>(16);
    silent.handle.serve_blocks(tx).await.unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Some(r) = rx.recv().await {
            held.push(r);
        }
    });
    let honest = Node::start(31).await;
    honest
        .serve(vec![slot.clone()], ServerLimits::default())
        .await;
    let client = client().await;
    let options = FetchOptions {
        request_timeout: Duration::from_secs(1),
        ..FetchOptions::default()
    };
    let out = dir.path().join("fetched.bin");
    let fetched = timeout(
        WAIT,
        fetch_slot(
            &client,
            &[silent.provider(), honest.provider()],
            &spec(&slot),
            &out,
            &options,
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&file).unwrap());
    assert_eq!(fetched.from, vec![(honest.peer(), 20)]);
    assert_eq!(
        fetched.failures,
        vec![(
            silent.peer(),
            PeerFailure::Request(proofmesh_node::p2p::BlockRequestError::Timeout)
        )]
    );
}
