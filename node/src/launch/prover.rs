//! The prover launcher: loads the proving key and the held slot files (off the async workers) and
//! the owner-signed registry records (fetching first any held slot not on disk yet:
//! `fetch_held`), optionally moves the MSMs to a GPU, and spawns the
//! prover role and the block server for the slots assigned to it; gossip that reaches a
//! prover is drained with Ignore.

use super::NodeContext;
use crate::keys::ProviderSigner;
use crate::p2p::{Inbound, P2pHandle, P2pInbound};
use crate::prover_node::{HeldFile, ProverNode, ProverSetup};
use crate::run::NodeError;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Starts the prover role.
pub(crate) async fn launch(ctx: &NodeContext, mut inbound: P2pInbound) -> Result<(), NodeError> {
    let p = ctx
        .config
        .prover
        .as_ref()
        .ok_or_else(|| NodeError::Setup("role = \"prover\" needs [prover]".into()))?;
    let registry = p
        .registry
        .iter()
        .map(|path| Ok((path.clone(), crate::owner::read_record(path)?)))
        .collect::<Result<Vec<_>, crate::owner::OwnerError>>()
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    // Held slots not on disk yet (a new assignment): fetched and checked before anything else.
    super::fetch_held::fetch_missing(ctx, p, &registry, &mut inbound.control).await?;
    let vk = p.proving_key.with_file_name("verifying.key");
    let (proving_key, hold) = (p.proving_key.clone(), p.hold.clone());
    let loaded = tokio::task::spawn_blocking(move || {
        let prover = proofmesh_prover::groth16::load_prover(&proving_key, &vk, None)?;
        let held = hold
            .iter()
            .map(|h| {
                Ok(HeldFile {
                    dataset: h.dataset,
                    index: h.slot,
                    file: proofmesh_prover::SlotFile::open(&h.file)?,
                })
            })
            .collect::<Result<Vec<_>, proofmesh_prover::ProverError>>()?;
        Ok::<_, proofmesh_prover::ProverError>((prover, held))
    })
    .await
    .map_err(|e| NodeError::Setup(format!("loading the prover: {e}")))?;
    let (prover, held) = loaded.map_err(crate::prover_node::ProverNodeError::from)?;
    let prover = if p.gpu {
        tokio::task::block_in_place(|| crate::gpu::prover_on_gpu(prover))
            .map_err(|e| NodeError::Setup(e.to_string()))?
    } else {
        prover
    };
    let signer = ProviderSigner::load(&p.provider_key)?;
    // Where this provider's blocks are served, in the DHT under its provider key: what turns
    // the owner's assignment into a peer to fetch from (`proofmesh dataset get ROOT`).
    let location = crate::p2p::location::ProviderLocation {
        provider: signer.public(),
        issued: crate::verifier_node::now_secs(),
        peer: ctx.p2p.local_peer_id,
        addrs: ctx.listening.clone(),
    };
    let record = location.sign(&signer);
    ctx.p2p
        .put_location(signer.public(), record.clone())
        .await
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    // Put again every half minute: the first put may find no DHT peer yet, and peers come
    // and go (the record stays the same: one issue time per start).
    let (p2p, me, stop) = (ctx.p2p.clone(), signer.public(), ctx.shutdown.clone());
    ctx.roles.spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
        every.tick().await;
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                _ = every.tick() => {
                    if p2p.put_location(me, record.clone()).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    let setup = ProverSetup {
        prover,
        held,
        registry,
        withhold: ctx.testing.withhold.clone(),
        invalid: ctx.testing.invalid.clone(),
        signer,
    };
    let mut node = tokio::task::block_in_place(|| {
        ProverNode::new(setup, ctx.clock, (ctx.entropy)(), ctx.p2p.clone())
    })?;
    let volunteer = if p.volunteer {
        let mut health = proofmesh_verifier::HealthConfig::default();
        if let Some(b) = ctx
            .config
            .network
            .miss_budget
            .and_then(std::num::NonZeroU32::new)
        {
            health.miss_budget = b;
        }
        Some(crate::volunteer::Volunteer {
            p2p: ctx.p2p.clone(),
            signer: ProviderSigner::load(&p.provider_key)?,
            registry: node.registry().clone(),
            set: crate::keys::read_verifier_set(&ctx.config.network.verifier_set)?,
            health,
            clock: ctx.clock,
            dir: p
                .repair_dir
                .clone()
                .unwrap_or_else(|| ctx.config.data_dir.join("repairs")),
            adopter: node.adopter(),
        })
    } else {
        None
    };
    crate::blocks::spawn_server(
        &ctx.p2p,
        node.held_slots(),
        Default::default(),
        ctx.shutdown.clone(),
        &ctx.roles,
    )
    .await?;
    ctx.roles
        .spawn(drain(inbound.proofs, ctx.p2p.clone(), ctx.shutdown.clone()));
    match volunteer {
        Some(v) => {
            tracing::info!("volunteering for repairs");
            ctx.roles
                .spawn(v.run(inbound.control, ctx.shutdown.clone()));
        }
        None => {
            ctx.roles.spawn(drain(
                inbound.control,
                ctx.p2p.clone(),
                ctx.shutdown.clone(),
            ));
        }
    }
    let guard = ctx.shutdown.clone().drop_guard();
    let token = ctx.shutdown.clone();
    ctx.roles.spawn(async move {
        let _guard = guard;
        node.run(token).await;
    });
    Ok(())
}

/// A prover judges no gossip: anything that reaches it is ignored (not forwarded, no penalty).
async fn drain(mut rx: mpsc::Receiver<Inbound>, p2p: P2pHandle, shutdown: CancellationToken) {
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
