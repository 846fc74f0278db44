//! The prover role (first version): at each period start it derives the period's entropy,
//! works out which of its held slots owe a proof (Codex's die roll, the same computation the
//! verifiers make), proves them with the prover crate on the blocking pool (one proof at a
//! time with every core, each published as soon as it is made), signs each `ProofEnvelope` and publishes it.
//! It (re-)announces its dataset and slot claims every period so verifiers that join late
//! learn them from gossip.

use crate::keys::ProviderSigner;
use crate::metrics as m;
use crate::p2p::{encode_message, GossipMessage};
use crate::p2p::{P2pHandle, Topic};
use crate::verifier_node::now_secs;
use proofmesh_circuits::field::fr_to_le_bytes;
use proofmesh_proto::{
    CircuitId, DatasetAnnounce, DatasetRoot, Period, ProofEnvelope, ProviderSignature, SlotAssign,
    SlotId,
};
use proofmesh_prover::groth16::proof_to_bytes;
use proofmesh_prover::pipeline::prove_committed;
use proofmesh_prover::{DatasetCommitment, NoProgress, ProveRequest, Prover, SlotFile};
use proofmesh_verifier::duty::{is_proof_required, EntropySource, PeriodClock};
use rand::rngs::OsRng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Why the prover role could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProverNodeError {
    /// The dataset root is not a canonical field element (cannot happen for a real commitment).
    #[error("dataset root is not canonical")]
    Root,
    /// The prover crate refused the slot files or keys.
    #[error(transparent)]
    Prover(#[from] proofmesh_prover::ProverError),
}

/// What a provider proves and how.
pub struct ProverSetup {
    /// The loaded keys.
    pub prover: Prover,
    /// All slot files of the dataset, in order.
    pub slots: Vec<SlotFile>,
    /// Held slot indices.
    pub hold: Vec<u16>,
    /// Held slots deliberately not proven (fault injection: Missing → Lost).
    pub withhold: Vec<u16>,
    /// Held slots proven against the wrong entropy (fault injection: Invalid).
    pub invalid: Vec<u16>,
    /// K.
    pub data_slots: u16,
    /// M.
    pub parity_slots: u16,
    /// Proof probability 1 / n.
    pub proof_probability: u32,
    /// Whether this provider announces the dataset.
    pub announce: bool,
    /// The provider's key.
    pub signer: ProviderSigner,
}

/// The running prover role.
pub struct ProverNode {
    prover: Arc<Prover>,
    slots: Arc<Vec<SlotFile>>,
    commitment: Arc<DatasetCommitment>,
    root: DatasetRoot,
    circuit: CircuitId,
    hold: Vec<u16>,
    withhold: Vec<u16>,
    invalid: Vec<u16>,
    proof_probability: u32,
    signer: Arc<ProviderSigner>,
    registry: Vec<Vec<u8>>,
    clock: PeriodClock,
    entropy: Box<dyn EntropySource>,
    p2p: P2pHandle,
}

impl ProverNode {
    /// Commits to the slot files (streamed, parallel) and prepares the signed registry
    /// messages.
    pub fn new(
        setup: ProverSetup,
        clock: PeriodClock,
        entropy: Box<dyn EntropySource>,
        p2p: P2pHandle,
    ) -> Result<Self, ProverNodeError> {
        let commitment = proofmesh_prover::commit(&setup.slots)?;
        let root = DatasetRoot::from_le_bytes(fr_to_le_bytes(&commitment.root()))
            .ok_or(ProverNodeError::Root)?;
        let signer = setup.signer;
        let mut registry = Vec::new();
        if setup.announce {
            let mut a = DatasetAnnounce {
                root,
                data_slots: setup.data_slots,
                parity_slots: setup.parity_slots,
                proof_probability: setup.proof_probability,
                cells_per_slot: setup.slots.first().map_or(0, SlotFile::n_cells),
                owner: signer.public(),
                signature: ProviderSignature([0; 64]),
            };
            a.signature = signer.sign(&a.signing_bytes());
            registry.push(encode_message(&GossipMessage::Announce(a)));
        }
        for &index in &setup.hold {
            let mut s = SlotAssign {
                slot: SlotId {
                    dataset: root,
                    index,
                },
                provider: signer.public(),
                from_period: Period(0),
                signature: ProviderSignature([0; 64]),
            };
            s.signature = signer.sign(&s.signing_bytes());
            registry.push(encode_message(&GossipMessage::Assign(s)));
        }
        tracing::info!(dataset = %root, slots = setup.slots.len(), hold = ?setup.hold, withhold = ?setup.withhold, "prover ready");
        Ok(Self {
            circuit: setup.prover.circuit_id(),
            prover: Arc::new(setup.prover),
            slots: Arc::new(setup.slots),
            commitment: Arc::new(commitment),
            root,
            hold: setup.hold,
            withhold: setup.withhold,
            invalid: setup.invalid,
            proof_probability: setup.proof_probability,
            signer: Arc::new(signer),
            registry,
            clock,
            entropy,
            p2p,
        })
    }

    /// The dataset root this provider proves against.
    pub fn root(&self) -> DatasetRoot {
        self.root
    }

    /// Runs until `shutdown`: registry messages and proofs each period.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut next = self.clock.period_at(now_secs());
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            let current = self.clock.period_at(now_secs());
            if current < next {
                continue;
            }
            next = current.next();
            for data in &self.registry {
                self.publish(Topic::Registry, data.clone()).await;
            }
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = self.prove_period(current) => {}
            }
        }
        tracing::info!("prover stopped");
    }

    async fn prove_period(&self, period: Period) {
        let Some(entropy) = self.entropy.entropy(period) else {
            tracing::warn!(period = period.0, "no entropy yet");
            return;
        };
        let due: Vec<u16> = self
            .hold
            .iter()
            .copied()
            .filter(|&index| {
                let slot = SlotId {
                    dataset: self.root,
                    index,
                };
                is_proof_required(entropy, &slot, self.proof_probability)
            })
            .collect();
        if due.is_empty() {
            return;
        }
        let (withheld, todo): (Vec<u16>, Vec<u16>) =
            due.into_iter().partition(|i| self.withhold.contains(i));
        if !withheld.is_empty() {
            tracing::warn!(period = period.0, slots = ?withheld, "withholding proofs (configured)");
        }
        let wrong = self.entropy.entropy(period.next()).unwrap_or(entropy);
        let requests: Vec<ProveRequest> = todo
            .iter()
            .map(|&i| ProveRequest {
                slot_index: u64::from(i),
                entropy: if self.invalid.contains(&i) {
                    wrong
                } else {
                    entropy
                },
            })
            .collect();
        // One proof at a time with every core, each published as soon as it exists: the
        // first proof leaves after one proving time, not after all of them.
        for (index, request) in todo.into_iter().zip(requests) {
            let (prover, slots, commitment) = (
                Arc::clone(&self.prover),
                Arc::clone(&self.slots),
                Arc::clone(&self.commitment),
            );
            let started = Instant::now();
            let joined = tokio::task::spawn_blocking(move || {
                prove_committed(
                    &prover,
                    &slots,
                    &commitment,
                    &request,
                    &NoProgress,
                    &mut OsRng,
                )
            })
            .await;
            let proof = match joined {
                Ok(Ok(p)) => p,
                Ok(Err(e)) => {
                    fail("prove", &e.to_string());
                    continue;
                }
                Err(e) => {
                    fail("join", &e.to_string());
                    continue;
                }
            };
            metrics::histogram!(m::PROVE_SECONDS).record(started.elapsed().as_secs_f64());
            let mut envelope = ProofEnvelope {
                slot: SlotId {
                    dataset: self.root,
                    index,
                },
                period,
                circuit_id: self.circuit,
                proof_system: proofmesh_proto::ProofSystem::GROTH16_BN254,
                proof: proof_to_bytes(&proof.proof).to_vec(),
                provider: self.signer.public(),
                signature: ProviderSignature([0; 64]),
            };
            envelope.signature = self.signer.sign(&envelope.signing_bytes());
            tracing::info!(period = period.0, slot = index, "proof published");
            metrics::counter!(m::PROOFS_PUBLISHED).increment(1);
            self.publish(
                Topic::Proofs,
                encode_message(&GossipMessage::Proof(envelope)),
            )
            .await;
        }
    }

    async fn publish(&self, topic: Topic, data: Vec<u8>) {
        if self.p2p.publish(topic, data).await.is_err() {
            tracing::warn!("p2p stopped; publish dropped");
        }
    }
}

fn fail(reason: &'static str, why: &str) {
    tracing::error!(reason, error = why, "proving failed");
    metrics::counter!(m::PROVE_FAILURES, "reason" => reason).increment(1);
}
