//! `proofmesh bench blocks`: how long fetching and checking one slot over
//! `/proofmesh/blocks/1` takes on this machine, against the floor it cannot beat — hashing the
//! slot's blocks (checking a block is hashing it, ≈ 7.5 ms per 64 KiB block and core).
//!
//! Both ends are the production code, in-process on 127.0.0.1: a swarm with the node's block
//! server holding the slot (its tree built beforehand, as a prover has it from its commitment)
//! and a client swarm running `fetch_slot` (TCP + Noise + Yamux, every block checked against
//! the slot root on the blocking pool, written to a temporary file, renamed at the end).

use super::bench_corpus::Scratch;
use crate::output;
use anyhow::{ensure, Context};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use proofmesh_circuits::slot::BLOCK_SIZE;
use proofmesh_node::blocks::{
    fetch_slot, spawn_server, FetchOptions, HeldSlot, Provider, ServerLimits, SlotSpec,
};
use proofmesh_node::p2p::{self, P2pConfig};
use proofmesh_proto::DatasetRoot;
use proofmesh_prover::SlotFile;
use rand::{RngCore, SeedableRng};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Fetch one slot of --mib MiB from an in-process provider over loopback, checking every block;
/// print the time against hashing the same slot.
///
/// The slot is random (seeded) bytes in a temp dir. Prints, last:
///   hash: X s (Y MiB/s)      (the slot tree built from the file: the floor of any check)
///   fetch: X s (Y MiB/s)     (first request → file renamed into place, every block checked)
///   ratio: Z                 (fetch / hash)
/// Rounds alternate the two; each one's best round is reported.
///
/// Example:
///   proofmesh bench blocks --mib 64
///   proofmesh bench blocks --mib 4 --in-flight 8 --rounds 3
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct BlocksArgs {
    /// Slot size in MiB (whole 64 KiB blocks).
    #[arg(long, default_value_t = 64)]
    mib: u64,
    /// Block requests in flight (16 blocks each).
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
    /// Rounds of both measurements; the best of each is reported.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
}

pub(crate) fn run(a: BlocksArgs) -> anyhow::Result<ExitCode> {
    ensure!(a.mib >= 1, "--mib must be at least 1");
    let scratch = Scratch::new()?;
    let path = scratch.0.join("slot.bin");
    let blocks = a.mib * (1 << 20) / BLOCK_SIZE as u64;
    {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("{}", path.display()))?,
        );
        let mut block = vec![0u8; BLOCK_SIZE];
        for _ in 0..blocks {
            rng.fill_bytes(&mut block);
            f.write_all(&block)?;
        }
        f.flush()?;
    }
    let file = SlotFile::open(&path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (mut hash, mut fetch) = (f64::INFINITY, f64::INFINITY);
    let mut tree = None;
    let mut last = None;
    for _ in 0..a.rounds.max(1) {
        let started = Instant::now();
        let t = file.slot_tree()?;
        hash = hash.min(started.elapsed().as_secs_f64());
        let t = Arc::new(t);
        tree = Some(Arc::clone(&t));
        let held = HeldSlot::new(
            DatasetRoot::from_le_bytes([3; 32]).context("root")?,
            0,
            file.clone(),
            t,
        )?;
        let out = scratch.0.join("fetched.bin");
        let (secs, fetched) = runtime.block_on(fetch_once(held, &out, a.in_flight))?;
        fetch = fetch.min(secs);
        ensure!(
            std::fs::read(&out)? == std::fs::read(&path)?,
            "the fetched slot differs from the original"
        );
        last = Some(fetched);
    }
    let mib = a.mib as f64;
    let tree = tree.context("no round")?;
    let fetched = last.context("no round")?;
    output::line(&format!(
        "slot: {} MiB, {} blocks (tree of {}), {} in flight × 16 blocks, {} busy answers, {} cores",
        a.mib,
        tree.n_stored_blocks(),
        tree.n_blocks(),
        a.in_flight,
        fetched.busy,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    ))?;
    output::line(&format!("hash: {hash:.3} s ({:.1} MiB/s)", mib / hash))?;
    output::line(&format!("fetch: {fetch:.3} s ({:.1} MiB/s)", mib / fetch))?;
    output::line(&format!("ratio: {:.3}", fetch / hash))?;
    Ok(ExitCode::SUCCESS)
}

async fn fetch_once(
    held: HeldSlot,
    out: &std::path::Path,
    in_flight: usize,
) -> anyhow::Result<(f64, proofmesh_node::blocks::Fetched)> {
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let tasks = TaskTracker::new();
    let mut config = P2pConfig::new(
        Keypair::generate_ed25519(),
        vec!["/ip4/127.0.0.1/tcp/0".parse()?],
        vec![],
    );
    config.discovery = false;
    let (server, _inbound, addrs) = p2p::spawn_tracked(config, shutdown.clone(), &tasks).await?;
    let spec = SlotSpec {
        dataset: held.dataset,
        index: held.index,
        root: held.tree.root(),
        n_blocks: held.file.n_blocks(),
    };
    // The client is the only peer: let it take what the machine gives.
    let limits = ServerLimits {
        per_peer_bytes_per_sec: u64::MAX / 2,
        ..ServerLimits::default()
    };
    spawn_server(&server, vec![held], limits, shutdown.clone(), &tasks).await?;
    let mut config = P2pConfig::new(Keypair::generate_ed25519(), vec![], vec![]);
    config.discovery = false;
    let (client, _client_inbound, _) = p2p::spawn(config, shutdown.clone()).await?;
    let provider = Provider {
        peer: server.local_peer_id,
        addresses: vec![addrs[0].clone().with(Protocol::P2p(server.local_peer_id))],
    };
    let options = FetchOptions {
        in_flight: in_flight.max(1),
        ..FetchOptions::default()
    };
    let started = Instant::now();
    let fetched = fetch_slot(&client, &[provider], &spec, out, &options).await?;
    Ok((started.elapsed().as_secs_f64(), fetched))
}
