//! `proofmesh dataset get`: fetch any K slots of a dataset from its providers over
//! `/proofmesh/blocks/1`, every block checked against its slot root, and decode the original
//! file (`proofmesh_node::blocks::get`). The dataset and its providers come from a manifest
//! and provider addresses, or from the registry in the DHT given only the root and a node to
//! bootstrap from (`proofmesh_node::blocks::locate`).

use crate::output;
use anyhow::{bail, Context};
use proofmesh_erasure::{Manifest, MANIFEST_FILE};
use proofmesh_node::blocks::{get_dataset, locate_dataset, rebuild_slot, FetchOptions, Provider};
use proofmesh_node::config::parse_dataset_root;
use proofmesh_node::p2p::{self, P2pConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Fetch dataset ROOT from its providers and write the original file (any K of its K + M
/// slots are enough).
///
/// With --bootstrap (any node of the mesh, as it writes DATA_DIR/p2p.addr), the dataset is
/// found from its root alone: the owner-signed announcement and slot assignments are read
/// from the registry in the DHT and checked as verifiers check them, and each assigned
/// provider's signed location (peer and addresses) is read there too. Otherwise the
/// manifest (from `proofmesh dataset encode`: the owner's, or a copy) says what each slot
/// must be: K, M, blocks per slot, the original size and the slot roots, which must make ROOT,
/// and --provider names the providers.
/// Every provider is asked for each slot it may hold, data slots first; each 64 KiB block
/// comes with its Merkle path and is checked against the slot root before it is written, so
/// a provider serving a wrong byte is caught at once, given up (and penalised) and the block
/// fetched from another. The output appears only when complete. Prints one line per fetched
/// slot and a summary. Exit 2 (naming each slot and why) when fewer than K slots can be
/// fetched, having written nothing.
///
/// ROOT is the dataset root in decimal (manifest.json's datasetRoot) or as 64 hex digits (the
/// little-endian bytes, as nodes log and gRPC show it). A provider is a node's address with
/// its peer id, as it writes it to DATA_DIR/p2p.addr.
///
/// Examples:
///   proofmesh dataset get 1234…5678 --out photos.tar --bootstrap /ip4/10.0.0.2/tcp/9000/p2p/12D3KooW…
///   proofmesh dataset get 1234…5678 --manifest photos/manifest.json --out photos.tar \
///     --provider /ip4/10.0.0.5/tcp/9000/p2p/12D3KooW… --provider /ip4/10.0.0.6/tcp/9000/p2p/12D3KooW…
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct GetArgs {
    /// The dataset root (decimal, or 64 hex digits of its little-endian bytes).
    #[arg(value_name = "ROOT")]
    root: String,
    /// Where to write the original file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    source: Source,
}

/// Where a dataset and its providers come from: a manifest and provider addresses, or the
/// DHT through bootstrap nodes.
#[derive(clap::Args)]
pub(crate) struct Source {
    /// The dataset's manifest.json (or the directory holding it); with --provider.
    #[arg(
        long,
        value_name = "PATH",
        requires = "providers",
        conflicts_with = "bootstrap"
    )]
    manifest: Option<PathBuf>,
    /// A provider to ask: MULTIADDR/p2p/PEER_ID (repeat for each); with --manifest.
    #[arg(long = "provider", value_name = "MULTIADDR", requires = "manifest")]
    providers: Vec<Provider>,
    /// A node to join the mesh through: MULTIADDR/p2p/PEER_ID (repeat for more); the dataset
    /// and its providers are then read from the DHT.
    #[arg(long, value_name = "MULTIADDR", required_unless_present = "manifest")]
    bootstrap: Vec<libp2p::Multiaddr>,
    /// Seconds to wait for the registry and the providers' locations (with --bootstrap).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    wait_secs: u64,
    /// Block requests in flight at once (16 blocks each).
    #[arg(long, default_value_t = 4, value_name = "N")]
    in_flight: usize,
}

fn manifest_dir(path: &Path) -> PathBuf {
    if path.file_name().is_some_and(|n| n == MANIFEST_FILE) {
        path.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        path.to_path_buf()
    }
}

/// A client swarm (no listener) and the dataset's manifest and providers, from `src`.
struct Opened {
    p2p: proofmesh_node::p2p::P2pHandle,
    shutdown: CancellationToken,
    manifest: Manifest,
    providers: Vec<Provider>,
}

async fn open(
    src: &Source,
    manifest: Option<Manifest>,
    root: proofmesh_proto::DatasetRoot,
) -> anyhow::Result<Result<Opened, String>> {
    // With a manifest no discovery (providers are dialled when first asked), without one
    // the DHT through the bootstrap nodes.
    let mut config = P2pConfig::new(
        libp2p::identity::Keypair::generate_ed25519(),
        vec![],
        src.bootstrap.clone(),
    );
    config.discovery = manifest.is_none();
    let shutdown = CancellationToken::new();
    let (p2p, mut inbound, _) = p2p::spawn(config, shutdown.clone()).await?;
    let (manifest, providers) = match manifest {
        Some(m) => (m, src.providers.clone()),
        None => {
            let wait = std::time::Duration::from_secs(src.wait_secs.max(1));
            let located = match locate_dataset(&p2p, &mut inbound.control, root, wait).await {
                Ok(l) => l,
                Err(e) => {
                    shutdown.cancel();
                    return Ok(Err(e.to_string()));
                }
            };
            for key in &located.unlocated {
                output::line(&format!(
                    "provider {} not located (its slots are fetched from others)",
                    hex::encode(key.0)
                ))?;
            }
            (located.manifest, located.providers)
        }
    };
    Ok(Ok(Opened {
        p2p,
        shutdown,
        manifest,
        providers,
    }))
}

fn load_manifest(src: &Source) -> anyhow::Result<Option<Manifest>> {
    match &src.manifest {
        Some(path) => {
            let dir = manifest_dir(path);
            let (manifest, _) = Manifest::load(&dir)
                .with_context(|| format!("cannot read the manifest in {}", dir.display()))?;
            Ok(Some(manifest))
        }
        None => Ok(None),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn print_fetched(
    fetched: &[(u16, proofmesh_node::blocks::Fetched)],
    failed: &[(u16, String)],
) -> anyhow::Result<()> {
    for (slot, f) in fetched {
        let from: Vec<String> = f
            .from
            .iter()
            .map(|(p, n)| format!("{n} from {p}"))
            .collect();
        output::line(&format!(
            "slot {slot}: {} blocks ({})",
            f.blocks,
            from.join(", ")
        ))?;
    }
    for (slot, why) in failed {
        output::line(&format!("slot {slot}: not fetched: {why}"))?;
    }
    Ok(())
}

/// Opens the dataset `src` names (its manifest and providers) and runs `work` on it with
/// the fetch options of `src`; the swarm is stopped after. `Ok(Err(why))`: it could not be
/// opened or `work` failed.
fn on_dataset<T, Fut>(
    src: &Source,
    root: proofmesh_proto::DatasetRoot,
    work: impl FnOnce(Opened, FetchOptions) -> Fut,
) -> anyhow::Result<Result<T, String>>
where
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let manifest = load_manifest(src)?;
    let options = FetchOptions {
        in_flight: src.in_flight.max(1),
        ..FetchOptions::default()
    };
    runtime()?.block_on(async {
        let o = match open(src, manifest, root).await? {
            Ok(o) => o,
            Err(e) => return anyhow::Ok(Err(e)),
        };
        let stop = o.shutdown.clone();
        let result = work(o, options).await;
        stop.cancel();
        anyhow::Ok(result)
    })
}

pub(crate) fn run(a: GetArgs) -> anyhow::Result<ExitCode> {
    let root = parse_dataset_root(&a.root).map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    let out = a.out.clone();
    let report = on_dataset(&a.source, root, |o, options| async move {
        get_dataset(&o.p2p, &o.providers, &o.manifest, root, &out, &options)
            .await
            .map_err(|e| e.to_string())
    })?;
    let report = match report {
        Ok(r) => r,
        Err(e) => bail!("{e}"),
    };
    print_fetched(&report.fetched, &report.failed)?;
    let slots: Vec<u16> = report.fetched.iter().map(|(s, _)| *s).collect();
    output::line(&format!(
        "got: {} bytes to {} from slots {slots:?}{} in {:.2} s",
        report.bytes,
        a.out.display(),
        if report.decoded {
            " (erasure decoding)"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Rebuild one slot of dataset ROOT from any K of its other slots, fetched from their
/// providers, and write it to FILE: what a repair volunteer does.
///
/// The dataset and its providers come as for `proofmesh dataset get` (--bootstrap, or
/// --manifest with --provider). K other slots are fetched over `/proofmesh/blocks/1`, every
/// block checked against its slot root; the slot is rebuilt by erasure decoding and its
/// slot root must be the announced one before FILE appears. Prints one line per fetched
/// slot and a summary. Exit 2 when fewer than K other slots can be fetched, having written
/// nothing.
///
/// Example:
///   proofmesh dataset rebuild 1234…5678 --slot 2 --out slot_2.bin \
///     --bootstrap /ip4/10.0.0.2/tcp/9000/p2p/12D3KooW…
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct RebuildArgs {
    /// The dataset root (decimal, or 64 hex digits of its little-endian bytes).
    #[arg(value_name = "ROOT")]
    root: String,
    /// The slot to rebuild.
    #[arg(long, value_name = "S")]
    slot: u16,
    /// Where to write the rebuilt slot file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    source: Source,
}

pub(crate) fn rebuild(a: RebuildArgs) -> anyhow::Result<ExitCode> {
    let root = parse_dataset_root(&a.root).map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    let (out, slot) = (a.out.clone(), a.slot);
    let report = on_dataset(&a.source, root, |o, options| async move {
        rebuild_slot(
            &o.p2p,
            &o.providers,
            &o.manifest,
            root,
            slot,
            &out,
            &options,
        )
        .await
        .map_err(|e| e.to_string())
    })?;
    let report = match report {
        Ok(r) => r,
        Err(e) => bail!("{e}"),
    };
    print_fetched(&report.fetched, &report.failed)?;
    let slots: Vec<u16> = report.fetched.iter().map(|(s, _)| *s).collect();
    let fetched_bytes: u64 = report
        .fetched
        .iter()
        .map(|(_, f)| f.blocks * proofmesh_proto::BLOCK_BYTES)
        .sum();
    output::line(&format!(
        "rebuilt: slot {} ({} bytes) to {} from slots {slots:?} ({fetched_bytes} bytes fetched) in {:.2} s",
        a.slot,
        report.bytes,
        a.out.display(),
        started.elapsed().as_secs_f64()
    ))?;
    Ok(ExitCode::SUCCESS)
}
