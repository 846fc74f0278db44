//! Wiring and lifecycle of one node process: open the store, start the swarm, the metrics
//! endpoint, the role's actor and the gRPC server, then wait for the shutdown token (the one
//! place that owns shutdown: SIGINT/SIGTERM cancel it in the binary). Shutdown is staged:
//! intake stops and the role drains (every proof taken in is verified and reported, the last
//! step is written, while the swarm still carries the reports); then the swarm stops, then
//! gRPC, then the store closes (its writes were all synced). Every task is tracked.

use crate::config::{NodeConfig, Role};
use crate::grpc::{serve as serve_grpc, HealthApi};
use crate::keys::{self, ProviderSigner};
use crate::p2p::{self, Inbound, P2pConfig};
use crate::prover_node::{ProverNode, ProverSetup};
use crate::store::{RocksStore, Store};
use crate::verifier_node::{EngineParts, VerifierNode};
use proofmesh_proto::VerifierIndex;
use proofmesh_verifier::duty::{DevEntropy, EntropySource, PeriodClock};
use proofmesh_verifier::engine::{EngineConfig, Signer};
use proofmesh_verifier::intake::{Intake, KeyRing, Registry};
use proofmesh_verifier::{HealthConfig, HealthState};
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, mpsc};
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
    let seed = net.entropy_seed.clone().unwrap_or_default();
    let entropy = match net.entropy {
        crate::config::EntropyKind::Dev => {
            tracing::warn!("entropy source: dev (deterministic, INSECURE: devnets and tests only)");
            move || -> Box<dyn EntropySource> { Box::new(DevEntropy::new(seed.as_bytes())) }
        }
    };
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

    let tracker = TaskTracker::new();
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    match config.role {
        Role::Verifier | Role::Observer => {
            let store = store
                .clone()
                .ok_or_else(|| NodeError::Setup("no store for a verifier".into()))?;
            let set = keys::read_verifier_set(&net.verifier_set)?;
            let mut ring = KeyRing::new();
            for path in &net.verifying_keys {
                let id = ring.insert(&read_verifying_key(path)?);
                tracing::info!(circuit = %id, path = %path.display(), "verifying key loaded");
            }
            let signer = match (&config.role, &config.verifier) {
                (Role::Verifier, Some(v)) => {
                    let keypair = keys::verifier_keypair(&v.bls_key)?;
                    let index = set
                        .members
                        .iter()
                        .position(|m| m.key == keypair.public_key())
                        .ok_or_else(|| {
                            NodeError::Setup(format!(
                                "{}: this key is not a member of the verifier set {}",
                                v.bls_key.display(),
                                net.verifier_set.display()
                            ))
                        })?;
                    Some(Signer {
                        index: VerifierIndex(index as u16),
                        keypair,
                    })
                }
                _ => None,
            };
            let mut health_config = HealthConfig::default();
            if let Some(b) = net.miss_budget.and_then(NonZeroU32::new) {
                health_config.miss_budget = b;
            }
            let health = Arc::new(RwLock::new(HealthState::new(health_config)));
            let (changes, _) = broadcast::channel(1024);
            let mut engine_config = EngineConfig {
                settle_secs: net.timeout_secs.max(1),
                ..EngineConfig::default()
            };
            if let Some(v) = &config.verifier {
                engine_config.batch_size = v.batch_size;
                engine_config.batch_delay_ms = v.batch_delay_ms;
            }
            let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
            let intake = Intake::new(Registry::new(), clock, entropy(), ring);
            let parts = EngineParts {
                config: engine_config,
                intake,
                set,
                signer,
                health: HealthState::new(health_config),
                workers,
            };
            let node = VerifierNode::new(
                parts,
                Arc::clone(&store),
                handle.clone(),
                Arc::clone(&health),
                changes.clone(),
            )
            .await?;
            if let Some(addr) = config.grpc_addr {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| NodeError::Setup(format!("gRPC address {addr}: {e}")))?;
                let bound = listener
                    .local_addr()
                    .map_err(|e| NodeError::Setup(format!("gRPC address {addr}: {e}")))?;
                tracing::info!(addr = %bound, "gRPC health API listening");
                write_file(&config.data_dir.join("grpc.addr"), &bound.to_string())?;
                let api = HealthApi::new(health, Arc::clone(&store), changes);
                let token = serve_stop.clone();
                serve_tasks.spawn(async move {
                    if let Err(e) = serve_grpc(listener, api, token).await {
                        tracing::error!(error = %e, "gRPC server stopped");
                    }
                });
            }
            // If the actor ever ends (a bug, a panic), the whole node shuts down rather than
            // keep serving gossip and gRPC without a verifier behind them.
            let guard = shutdown.clone().drop_guard();
            let token = shutdown.clone();
            let failed = Arc::clone(&failed);
            tracker.spawn(async move {
                let _guard = guard;
                if node.run(inbound.proofs, inbound.control, token).await {
                    failed.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
        Role::Prover => {
            let p = config
                .prover
                .as_ref()
                .ok_or_else(|| NodeError::Setup("role = \"prover\" needs [prover]".into()))?;
            let vk = p.proving_key.with_file_name("verifying.key");
            let (proving_key, slot_files) = (p.proving_key.clone(), p.slot_files.clone());
            let loaded = tokio::task::spawn_blocking(move || {
                let prover = proofmesh_prover::groth16::load_prover(&proving_key, &vk, None)?;
                let slots = proofmesh_prover::dataset::open_slots(&slot_files)?;
                Ok::<_, proofmesh_prover::ProverError>((prover, slots))
            })
            .await
            .map_err(|e| NodeError::Setup(format!("loading the prover: {e}")))?;
            let (prover, slots) = loaded.map_err(crate::prover_node::ProverNodeError::from)?;
            let prover = if p.gpu {
                tokio::task::block_in_place(|| crate::gpu::prover_on_gpu(prover))
                    .map_err(|e| NodeError::Setup(e.to_string()))?
            } else {
                prover
            };
            let setup = ProverSetup {
                prover,
                slots,
                hold: p.hold.clone(),
                withhold: testing.withhold.clone(),
                invalid: testing.invalid.clone(),
                data_slots: p.data_slots,
                parity_slots: p.parity_slots,
                proof_probability: p.proof_probability,
                announce: p.announce,
                signer: ProviderSigner::load(&p.provider_key)?,
            };
            let node = tokio::task::block_in_place(|| {
                ProverNode::new(setup, clock, entropy(), handle.clone())
            })?;
            tracker.spawn(drain(inbound.proofs, handle.clone(), shutdown.clone()));
            tracker.spawn(drain(inbound.control, handle.clone(), shutdown.clone()));
            let guard = shutdown.clone().drop_guard();
            let token = shutdown.clone();
            tracker.spawn(async move {
                let _guard = guard;
                node.run(token).await;
            });
        }
    }
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

/// A prover judges no gossip: anything that reaches it is ignored (not forwarded, no penalty).
async fn drain(mut rx: mpsc::Receiver<Inbound>, p2p: p2p::P2pHandle, shutdown: CancellationToken) {
    loop {
        let msg = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            m = rx.recv() => m,
        };
        match msg {
            Some(Inbound::Gossip { msg, .. }) => {
                let _ = p2p
                    .report(msg, proofmesh_verifier::intake::GossipAction::Ignore)
                    .await;
            }
            Some(_) => {}
            None => break,
        }
    }
}

fn read_verifying_key(
    path: &Path,
) -> Result<ark_groth16::VerifyingKey<ark_bn254::Bn254>, NodeError> {
    let err = |why: String| NodeError::VerifyingKey {
        path: path.display().to_string(),
        why,
    };
    if path.extension().is_some_and(|e| e == "json") {
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        proofmesh_verifier::snarkjs::parse_verifying_key(&text).map_err(|e| err(e.to_string()))
    } else {
        proofmesh_prover::groth16::read_verifying_key(path, None)
            .map(|k| k.key)
            .map_err(|e| err(e.to_string()))
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), NodeError> {
    std::fs::write(path, format!("{text}\n"))
        .map_err(|e| NodeError::Setup(format!("{}: {e}", path.display())))
}
