//! The verifier role: a thin router between the pure mesh engine
//! ([`proofmesh_verifier::engine`]) and the node's I/O.
//!
//! One task owns the engine. It turns gossip (two bounded queues: proofs, and everything
//! else), worker results, sync exchanges and a 50 ms tick into engine inputs, and carries out
//! the engine's outputs in order (`execute.rs`): one synced store write per step first, then
//! gossip verdicts, publishes, health snapshots and change streams. Proof verification runs on
//! a bounded worker pool (`workers.rs`), so the engine never waits on pairings. An observer
//! runs the same engine without a signing key.
//!
//! Durability order: a step's write comes first, and if it fails none of the step's accepts,
//! publishes or health changes leave the node; the node then stops (its store is the truth,
//! and a restart rebuilds the engine from it).

mod execute;
mod workers;

use crate::grpc::{HealthChanges, SharedHealth};
use crate::p2p::{Inbound, MessageRef, P2pHandle, SyncChannel};
use crate::store::{Store, StoreError};
use libp2p::PeerId;
use proofmesh_proto::Period;
use proofmesh_proto::VerifierSet;
use proofmesh_verifier::engine::{Engine, EngineConfig, Handles, Input, Millis, Restored, Signer};
use proofmesh_verifier::intake::Intake;
use proofmesh_verifier::HealthState;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use workers::Workers;

/// How often the actor looks at the clock: batch timeouts, early seals, deadlines, settles.
const TICK: Duration = Duration::from_millis(50);

/// The node's handles through the engine: libp2p's message refs, peers and sync channels.
#[derive(Debug)]
pub struct NodeHandles;

impl Handles for NodeHandles {
    type Msg = MessageRef;
    type Peer = PeerId;
    type Reply = SyncChannel;
}

/// Unix time in milliseconds (the only clock the verifier role reads).
pub(crate) fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Unix time in seconds.
pub(crate) fn now_secs() -> u64 {
    now_millis() / 1000
}

/// Everything the router needs; built by [`crate::run`].
pub struct VerifierNode {
    engine: Engine<NodeHandles>,
    store: Arc<dyn Store>,
    p2p: P2pHandle,
    health: SharedHealth,
    changes: HealthChanges,
    workers: Workers,
    /// Set when a store write failed: the node stops.
    failed: bool,
}

/// What [`VerifierNode::new`] needs besides the I/O handles.
pub struct EngineParts {
    /// Tuning.
    pub config: EngineConfig,
    /// The intake (registry, clock, entropy, keys).
    pub intake: Intake,
    /// The verifier set.
    pub set: VerifierSet,
    /// Our signing identity, if we are a member.
    pub signer: Option<Signer>,
    /// An empty health view with its rules.
    pub health: HealthState,
    /// Verification workers (jobs verified at once).
    pub workers: usize,
}

impl VerifierNode {
    /// A node over a loaded store: reads what the engine needs back (the registry, recent
    /// attestations and seen proofs, certificates) and rebuilds the engine from it.
    pub async fn new(
        parts: EngineParts,
        store: Arc<dyn Store>,
        p2p: P2pHandle,
        health: SharedHealth,
        changes: HealthChanges,
    ) -> Result<Self, StoreError> {
        let now = now_millis();
        let clock = *parts.intake.clock();
        let current = clock.period_at(now / 1000);
        let from = Period(current.0.saturating_sub(parts.config.retention_periods));
        let pruned_before = store.pruned_before()?;
        let restored = Restored {
            datasets: store.datasets()?,
            assignments: store.assignments()?,
            attestations: store.attestations_from(from)?,
            pruned_before,
            health: store.health_checkpoints()?,
            certificates: store.certificates_from(pruned_before)?,
            last_sequence: store.last_health_sequence()?,
            proofs_seen: store.proofs_seen_from(from)?,
        };
        let certificates = restored.certificates.len();
        let own = parts.signer.as_ref().map_or(0, |s| {
            restored
                .attestations
                .iter()
                .filter(|b| b.verifier == s.index)
                .count()
        });
        let keys = Arc::new(parts.intake.keys().clone());
        let (engine, outputs) = Engine::new(
            parts.config,
            parts.intake,
            parts.set,
            parts.signer,
            parts.health,
            restored,
            now,
        );
        tracing::info!(
            datasets = engine.intake().registry.datasets().count(),
            own_attestations = own,
            certificates,
            "state restored from the store"
        );
        let mut node = Self {
            engine,
            store,
            p2p,
            health,
            changes,
            workers: Workers::new(keys, parts.workers),
            failed: false,
        };
        node.execute(outputs).await;
        // The DHT keeps records in memory only: after a restart, put ours again.
        let registry = &node.engine.intake().registry;
        for a in registry.datasets() {
            if let Some(record) =
                proofmesh_verifier::intake::records::dataset_record(registry, &a.root)
            {
                let _ = node.p2p.put_registry(a.root, record).await;
            }
        }
        Ok(node)
    }

    /// Runs until `shutdown`: the one select loop of the role. On shutdown intake stops, every
    /// proof taken in is verified and reported, and the last step's write is done. Returns
    /// whether it stopped because a store write failed.
    pub async fn run(
        mut self,
        mut proofs: mpsc::Receiver<Inbound>,
        mut control: mpsc::Receiver<Inbound>,
        shutdown: CancellationToken,
    ) -> bool {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !self.failed {
            let input = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                // The clock first: a steady stream of messages must not delay seals.
                _ = tick.tick() => Input::Tick,
                Some((job, results)) = self.workers.results.recv() => {
                    self.workers.done();
                    self.step(Input::Verified { job, results }).await;
                    // Nothing left to verify: a seal may be due now (every duty proven), not
                    // at the next tick.
                    if self.engine.backlog() == (0, 0) {
                        self.step(Input::Tick).await;
                    }
                    continue;
                }
                Some(msg) = control.recv() => match to_input(msg) {
                    Some(i) => i,
                    None => continue,
                },
                // Backpressure: no new proofs while the workers are saturated.
                Some(msg) = proofs.recv(), if self.workers.has_room() => {
                    if let Some(input) = to_input(msg) {
                        self.step(input).await;
                    }
                    // Work-conserving: a worker is free and no proof is waiting, so the
                    // proofs taken in go to it now rather than after the batch delay (under
                    // load the queue is never empty and jobs fill to `batch_size`).
                    if proofs.is_empty() && self.workers.has_room() && self.engine.backlog().0 > 0
                    {
                        self.step(Input::Flush).await;
                    }
                    continue;
                }
                else => break,
            };
            self.step(input).await;
        }
        self.drain().await;
        if self.failed {
            // The store refused a write: stop the whole node rather than run on a state the
            // store does not hold.
            shutdown.cancel();
        }
        tracing::info!("verifier stopped");
        self.failed
    }

    async fn step(&mut self, input: Input<NodeHandles>) {
        let outputs = self.engine.on(input, now_millis());
        self.execute(outputs).await;
        let (pending, jobs) = self.engine.backlog();
        metrics::gauge!(crate::metrics::QUEUE_DEPTH, "queue" => "verify_pending")
            .set(pending as f64);
        metrics::gauge!(crate::metrics::QUEUE_DEPTH, "queue" => "verify_jobs").set(jobs as f64);
    }

    /// Stop intake: hand every pending proof to the workers, feed back every job in flight.
    async fn drain(&mut self) {
        if self.failed {
            return;
        }
        let outputs = self.engine.on(Input::Flush, now_millis());
        self.execute(outputs).await;
        while self.engine.backlog().1 > 0 && !self.failed {
            let Some((job, results)) = self.workers.results.recv().await else {
                break;
            };
            self.workers.done();
            self.step(Input::Verified { job, results }).await;
        }
    }
}

/// The engine input for an inbound item (`None`: nothing to do).
fn to_input(inbound: Inbound) -> Option<Input<NodeHandles>> {
    Some(match inbound {
        Inbound::Gossip { msg, message } => Input::Gossip { msg, message },
        Inbound::SyncRequest { from, channel } => Input::SyncRequest {
            from,
            reply: channel,
        },
        Inbound::SyncResponse { peer, batches } => {
            tracing::debug!(%peer, batches = batches.len(), "sync response");
            Input::Synced { batches }
        }
        Inbound::PeerConnected(peer) => Input::PeerConnected(peer),
        Inbound::Registry { messages } => Input::Registry(messages),
        Inbound::Location(_) => return None,
    })
}
