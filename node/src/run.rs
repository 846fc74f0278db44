//! Wiring and lifecycle of one node process: open the store, start the swarm, the metrics
//! endpoint, the role's actor and the gRPC server, then wait for the shutdown token (the one
//! place that owns shutdown: SIGINT/SIGTERM cancel it in the binary). Shutdown is staged:
//! intake stops and the role drains (every proof taken in is verified and reported, the last
//! step is written, while the swarm still carries the reports); then the swarm stops, then
//! gRPC, then the store closes (its writes were all synced). Every task is tracked.

use crate::config::{NodeConfig, Role};
use crate::keys;
use crate::launch::{self, write_file, NodeContext};
use crate::p2p::{self, P2pConfig};
use crate::store::{RocksStore, Store};
use proofmesh_verifier::duty::PeriodClock;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Why a node could not start (once running, failures are logged and counted, not fatal).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A file of the config (key, verifier set, verifying key, slot file) is unusable.
    #[error(transparent)]
    Keys(#[from] keys::KeyFileError),
    /// The store cannot be opened.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The swarm cannot start (e.g. a listen address is taken).
    #[error(transparent)]
    P2p(#[from] p2p::P2pError),
    /// The metrics endpoint cannot start.
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
    /// The prover role cannot start (keys or slot files).
    #[error(transparent)]
    Prover(#[from] crate::prover_node::ProverNodeError),
    /// A verifying key cannot be read.
    #[error("{path}: {why}")]
    VerifyingKey {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// Anything else about the setup, with its reason.
    #[error("{0}")]
    Setup(String),
}

/// Runs a node until `shutdown` is cancelled.
pub async fn run(config: NodeConfig, shutdown: CancellationToken) -> Result<(), NodeError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| NodeError::Setup(format!("{}: {e}", config.data_dir.display())))?;
    // The store first: a second node on the same data dir fails here, on RocksDB's lock,
    // before it could overwrite anything of the running one (like `p2p.addr`).
    let store: Option<Arc<dyn Store>> = match config.role {
        Role::Prover => None,
        _ => Some(Arc::new(RocksStore::open(&config.data_dir.join("db"))?)),
    };
    if let Some(addr) = config.metrics_addr {
        crate::metrics::serve(addr)?;
        tracing::info!(%addr, "metrics on /metrics");
    }
    let net = &config.network;
    let clock = PeriodClock::new(net.genesis, net.period_secs, net.timeout_secs);
    let entropy = launch::sources::entropy(net);
    let testing = config.testing.clone().unwrap_or_default();
    if config.testing.is_some() {
        tracing::warn!(withhold = ?testing.withhold, invalid = ?testing.invalid,
            "[testing] fault injection is on: demos and tests only");
    }
    let identity = keys::identity(&config.p2p.identity_key)?;
    let parse = |list: &[String]| -> Result<Vec<libp2p::Multiaddr>, NodeError> {
        list.iter()
            .map(|a| {
                a.parse()
                    .map_err(|e| NodeError::Setup(format!("multiaddr {a:?}: {e}")))
            })
            .collect()
    };
    let p2p_config = P2pConfig::new(
        identity,
        parse(&config.p2p.listen)?,
        parse(&config.p2p.bootstrap)?,
    );
    // Staged shutdown: `shutdown` stops intake (the roles); the swarm and the servers have
    // tokens of their own, cancelled in order once the roles have drained.
    let p2p_stop = CancellationToken::new();
    let p2p_tasks = TaskTracker::new();
    let serve_stop = CancellationToken::new();
    let serve_tasks = TaskTracker::new();
    let (handle, inbound, listening) =
        p2p::spawn_tracked(p2p_config, p2p_stop.clone(), &p2p_tasks).await?;
    let addrs: Vec<String> = listening
        .iter()
        .map(|a| format!("{a}/p2p/{}", handle.local_peer_id))
        .collect();
    tracing::info!(peer = %handle.local_peer_id, ?addrs, role = ?config.role, "node started");
    write_file(&config.data_dir.join("p2p.addr"), &addrs.join("\n"))?;

    let ctx = NodeContext {
        store: store.clone(),
        p2p: handle.clone(),
        listening: listening.clone(),
        clock,
        entropy,
        testing,
        shutdown: shutdown.clone(),
        roles: TaskTracker::new(),
        serve_stop: serve_stop.clone(),
        serve: serve_tasks.clone(),
        failed: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        config,
    };
    match ctx.config.role {
        Role::Verifier | Role::Observer => launch::verifier::launch(&ctx, inbound).await?,
        Role::Prover => launch::prover::launch(&ctx, inbound).await?,
    }
    let tracker = ctx.roles.clone();
    let failed = Arc::clone(&ctx.failed);
    tracker.close();
    shutdown.cancelled().await;
    // 1. Intake stops; the roles drain (every proof taken in is verified and reported, the
    //    last step is written) while the swarm still carries their reports and publishes.
    tracing::info!("shutting down: draining");
    tracker.wait().await;
    // 2. The swarm closes its connections.
    p2p_stop.cancel();
    p2p_tasks.close();
    p2p_tasks.wait().await;
    // 3. gRPC stops serving.
    serve_stop.cancel();
    serve_tasks.close();
    serve_tasks.wait().await;
    // 4. The store closes (every write was synced when it was made).
    drop(ctx);
    drop(store);
    if failed.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(NodeError::Setup(
            "stopped after a failed store write (see the log); restart once the disk is fixed"
                .into(),
        ));
    }
    tracing::info!("stopped");
    Ok(())
}
