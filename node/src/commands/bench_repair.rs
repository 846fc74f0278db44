//! `proofmesh bench repair`: what rebuilding one lost slot costs a volunteer — time and bytes
//! fetched — against the best existing way measured in the same run: `proofmesh dataset
//! repair` on a machine that already holds K intact slots (no network; its cost is reading
//! and hashing the K sources' check, decoding and hashing the rebuilt slot).
//!
//! Both are the production code. The dataset is a random file of K · --mib MiB erasure-coded
//! by `dataset encode`'s code; an in-process provider on 127.0.0.1 serves every slot but the
//! lost one (slot 0, a data slot) over `/proofmesh/blocks/1`, and a client runs
//! `blocks::rebuild_slot` (K slots fetched, every block checked, erasure decoding, the
//! rebuilt slot root checked against the announced one).

use super::bench_corpus::Scratch;
use crate::output;
use anyhow::{ensure, Context};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use proofmesh_circuits::field::{fr_to_decimal, fr_to_le_bytes};
use proofmesh_node::blocks::{
    rebuild_slot, spawn_server, FetchOptions, HeldSlot, Provider, ServerLimits,
};
use proofmesh_node::p2p::{self, P2pConfig};
use proofmesh_proto::DatasetRoot;
use proofmesh_prover::SlotFile;
use rand::{RngCore, SeedableRng};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Rebuild one lost slot of --mib MiB from K others served over loopback; print the time and
/// the bytes fetched against a local `dataset repair` of the same slot.
///
/// Prints, last:
///   local: X s                (dataset repair with K intact slots on disk)
///   hash floor: X s           (the slot trees of K + 1 slots: what checking costs at least)
///   rebuild: X s, B bytes     (fetch K slots, check every block, decode, check the root)
///   traffic: T                (bytes fetched / slot size: K is the floor of any MDS code)
///   ratio to floor: Z         (rebuild / hash floor)
///   ratio: Z                  (rebuild / local)
///
/// Example:
///   proofmesh bench repair --mib 16 --data-slots 4 --parity-slots 2
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct RepairArgs {
    /// Slot size in MiB.
    #[arg(long, default_value_t = 16)]
    mib: u64,
    /// K.
    #[arg(long, default_value_t = 4)]
    data_slots: usize,
    /// M.
    #[arg(long, default_value_t = 2)]
    parity_slots: usize,
    /// Block requests in flight (16 blocks each).
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
}

pub(crate) fn run(a: RepairArgs) -> anyhow::Result<ExitCode> {
    ensure!(a.mib >= 1, "--mib must be at least 1");
    proofmesh_erasure::check_params(a.data_slots, a.parity_slots)?;
    let scratch = Scratch::new()?;
    let ds = scratch.0.join("dataset");
    let size = a.data_slots as u64 * a.mib * (1 << 20);
    let mut data = vec![0u8; usize::try_from(size).context("--mib too large")?];
    rand_chacha::ChaCha8Rng::seed_from_u64(11).fill_bytes(&mut data);
    let mut manifest = proofmesh_erasure::encode_bytes(&data, a.data_slots, a.parity_slots, &ds)?;
    drop(data);
    let n = a.data_slots + a.parity_slots;
    let files = (0..n)
        .map(|i| SlotFile::open(ds.join(proofmesh_erasure::slot_file_name(i))))
        .collect::<Result<Vec<_>, _>>()?;
    let commitment = proofmesh_prover::commit(&files)?;
    manifest.slot_roots = commitment
        .slots
        .iter()
        .map(|s| fr_to_decimal(&s.root()))
        .collect();
    manifest.dataset_root = Some(fr_to_decimal(&commitment.root()));
    manifest.store(&ds)?;
    let root = DatasetRoot::from_le_bytes(fr_to_le_bytes(&commitment.root())).context("root")?;
    let original = std::fs::read(ds.join(proofmesh_erasure::slot_file_name(0)))?;

    // The best existing way: a local repair, K intact slots on disk.
    let local_dir = scratch.0.join("local");
    std::fs::create_dir_all(&local_dir)?;
    for i in 1..n {
        let name = proofmesh_erasure::slot_file_name(i);
        std::fs::copy(ds.join(&name), local_dir.join(&name))?;
    }
    manifest.store(&local_dir)?;
    let started = Instant::now();
    proofmesh_erasure::repair_dir(&local_dir)?;
    let local = started.elapsed().as_secs_f64();
    ensure!(
        std::fs::read(local_dir.join(proofmesh_erasure::slot_file_name(0)))? == original,
        "the local repair differs from the original"
    );

    // The floor of a rebuild from untrusted peers: hashing what must be checked — the K
    // fetched slots' blocks and the rebuilt slot's tree.
    let started = Instant::now();
    for f in files.iter().take(a.data_slots + 1) {
        f.slot_tree()?;
    }
    let floor = started.elapsed().as_secs_f64();

    let held: Vec<HeldSlot> = (1..n)
        .map(|i| {
            HeldSlot::new(
                root,
                i as u16,
                files[i].clone(),
                Arc::new(commitment.slots[i].clone()),
            )
        })
        .collect::<Result<_, _>>()?;
    let out = scratch.0.join("rebuilt.bin");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (rebuild, fetched) = runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let _stop = shutdown.clone().drop_guard();
        let tasks = TaskTracker::new();
        let mut config = P2pConfig::new(
            Keypair::generate_ed25519(),
            vec!["/ip4/127.0.0.1/tcp/0".parse()?],
            vec![],
        );
        config.discovery = false;
        let (server, _inbound, addrs) =
            p2p::spawn_tracked(config, shutdown.clone(), &tasks).await?;
        let limits = ServerLimits {
            per_peer_bytes_per_sec: u64::MAX / 2,
            ..ServerLimits::default()
        };
        spawn_server(&server, held, limits, shutdown.clone(), &tasks).await?;
        let mut config = P2pConfig::new(Keypair::generate_ed25519(), vec![], vec![]);
        config.discovery = false;
        let (client, _client_inbound, _) = p2p::spawn(config, shutdown.clone()).await?;
        let provider = Provider {
            peer: server.local_peer_id,
            addresses: vec![addrs[0].clone().with(Protocol::P2p(server.local_peer_id))],
        };
        let options = FetchOptions {
            in_flight: a.in_flight.max(1),
            ..FetchOptions::default()
        };
        let started = Instant::now();
        let report = rebuild_slot(&client, &[provider], &manifest, root, 0, &out, &options).await?;
        let fetched: u64 = report
            .fetched
            .iter()
            .map(|(_, f)| f.blocks * proofmesh_proto::BLOCK_BYTES)
            .sum();
        anyhow::Ok((started.elapsed().as_secs_f64(), fetched))
    })?;
    ensure!(
        std::fs::read(&out)? == original,
        "the rebuilt slot differs from the original"
    );
    let slot_bytes = original.len() as f64;
    output::line(&format!(
        "dataset: K={} M={}, slots of {} MiB, slot 0 lost, {} cores",
        a.data_slots,
        a.parity_slots,
        a.mib,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    ))?;
    output::line(&format!("local: {local:.3} s"))?;
    output::line(&format!("hash floor: {floor:.3} s"))?;
    output::line(&format!("rebuild: {rebuild:.3} s, {fetched} bytes"))?;
    output::line(&format!("traffic: {:.2}", fetched as f64 / slot_bytes))?;
    output::line(&format!("ratio to floor: {:.3}", rebuild / floor))?;
    output::line(&format!("ratio: {:.3}", rebuild / local))?;
    let _ = std::fs::remove_dir_all(&scratch.0);
    Ok(ExitCode::SUCCESS)
}
