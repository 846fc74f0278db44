//! The verifier (and observer) launcher: reads the verifier set and keys, builds the engine
//! over the store, starts the gRPC health API, and spawns the router on the roles' tracker.

use super::{read_verifying_key, write_file, NodeContext};
use crate::config::Role;
use crate::grpc::{serve as serve_grpc, HealthApi};
use crate::keys;
use crate::p2p::P2pInbound;
use crate::run::NodeError;
use crate::verifier_node::{EngineParts, VerifierNode};
use proofmesh_proto::VerifierIndex;
use proofmesh_verifier::engine::{EngineConfig, Signer};
use proofmesh_verifier::intake::{Intake, KeyRing, Registry};
use proofmesh_verifier::{HealthConfig, HealthState};
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// Starts the verifier role (an observer when the node has no signing key).
pub(crate) async fn launch(ctx: &NodeContext, inbound: P2pInbound) -> Result<(), NodeError> {
    let store = ctx
        .store
        .clone()
        .ok_or_else(|| NodeError::Setup("no store for a verifier".into()))?;
    let set = keys::read_verifier_set(&ctx.config.network.verifier_set)?;
    let mut ring = KeyRing::new();
    for path in &ctx.config.network.verifying_keys {
        let id = ring.insert(&read_verifying_key(path)?);
        tracing::info!(circuit = %id, path = %path.display(), "verifying key loaded");
    }
    let signer = match (&ctx.config.role, &ctx.config.verifier) {
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
                        ctx.config.network.verifier_set.display()
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
    if let Some(b) = ctx.config.network.miss_budget.and_then(NonZeroU32::new) {
        health_config.miss_budget = b;
    }
    let health = Arc::new(RwLock::new(HealthState::new(health_config)));
    let (changes, _) = broadcast::channel(1024);
    let mut engine_config = EngineConfig {
        settle_secs: ctx.config.network.timeout_secs.max(1),
        ..EngineConfig::default()
    };
    if let Some(v) = &ctx.config.verifier {
        engine_config.batch_size = v.batch_size;
        engine_config.batch_delay_ms = v.batch_delay_ms;
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let intake = Intake::new(Registry::new(), ctx.clock, (ctx.entropy)(), ring);
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
        ctx.p2p.clone(),
        Arc::clone(&health),
        changes.clone(),
    )
    .await?;
    if let Some(addr) = ctx.config.grpc_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| NodeError::Setup(format!("gRPC address {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| NodeError::Setup(format!("gRPC address {addr}: {e}")))?;
        tracing::info!(addr = %bound, "gRPC health API listening");
        write_file(&ctx.config.data_dir.join("grpc.addr"), &bound.to_string())?;
        let api = HealthApi::new(health, Arc::clone(&store), changes);
        let token = ctx.serve_stop.clone();
        ctx.serve.spawn(async move {
            if let Err(e) = serve_grpc(listener, api, token).await {
                tracing::error!(error = %e, "gRPC server stopped");
            }
        });
    }
    // If the actor ever ends (a bug, a panic), the whole node shuts down rather than
    // keep serving gossip and gRPC without a verifier behind them.
    let guard = ctx.shutdown.clone().drop_guard();
    let token = ctx.shutdown.clone();
    let failed = Arc::clone(&ctx.failed);
    ctx.roles.spawn(async move {
        let _guard = guard;
        if node.run(inbound.proofs, inbound.control, token).await {
            failed.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    Ok(())
}
