//! The prover role (first version): at each period start it derives the period's entropy,
//! works out which slots assigned to it owe a proof (Codex's die roll, the same computation the
//! verifiers make), proves them with the prover crate on the blocking pool (one proof at a
//! time with every core, each published as soon as it is made), signs each `ProofEnvelope` and
//! publishes it.
//!
//! What it holds is the owner's decision, not its own: its config lists owner-signed registry
//! records (the dataset's announcement and slot assignments, `crate::owner`), which it checks
//! at start as a verifier would (owner signatures, slot roots against its own commitment of
//! the slot files) and re-publishes every period so verifiers that join late learn them. It
//! proves slot `s` in period `p` exactly when the assignment in force for `(s, p)` names its
//! key.

use crate::keys::ProviderSigner;
use crate::metrics as m;
use crate::p2p::{encode_message, GossipMessage};
use crate::p2p::{P2pHandle, Topic};
use crate::verifier_node::now_secs;
use proofmesh_circuits::field::fr_to_le_bytes;
use proofmesh_proto::{
    CircuitId, DatasetAnnounce, DatasetRoot, Period, ProofEnvelope, ProviderSignature, SlotId,
};
use proofmesh_prover::groth16::proof_to_bytes;
use proofmesh_prover::pipeline::prove_committed;
use proofmesh_prover::{DatasetCommitment, NoProgress, ProveRequest, Prover, SlotFile};
use proofmesh_verifier::duty::{is_proof_required, EntropySource, PeriodClock};
use proofmesh_verifier::intake::Registry;
use rand::rngs::OsRng;
use std::path::PathBuf;
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
    /// A registry record is not one a verifier would accept for this dataset, or the records
    /// do not describe the slot files.
    #[error("registry: {0}")]
    Registry(String),
}

/// What a provider proves and how.
pub struct ProverSetup {
    /// The loaded keys.
    pub prover: Prover,
    /// All slot files of the dataset, in order.
    pub slots: Vec<SlotFile>,
    /// The owner-signed registry records to check and re-publish (file, message): the
    /// dataset's announcement and slot assignments.
    pub registry: Vec<(PathBuf, GossipMessage)>,
    /// Assigned slots deliberately not proven (fault injection: Missing → Lost).
    pub withhold: Vec<u16>,
    /// Assigned slots proven against the wrong entropy (fault injection: Invalid).
    pub invalid: Vec<u16>,
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
    /// The dataset's announcement and the assignments of the records (checked).
    registry: Registry,
    withhold: Vec<u16>,
    invalid: Vec<u16>,
    proof_probability: u32,
    signer: Arc<ProviderSigner>,
    /// The records' bytes, re-published every period.
    records: Vec<Vec<u8>>,
    clock: PeriodClock,
    entropy: Box<dyn EntropySource>,
    p2p: P2pHandle,
}

impl ProverNode {
    /// Commits to the slot files (streamed, parallel) and checks the registry records against
    /// the commitment and the owner's key.
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
        let (registry, announce) = check_records(&setup.registry, root, &setup.slots)?;
        let me = signer.public();
        let slots = announce.slots();
        if let Some(bad) = setup
            .withhold
            .iter()
            .chain(&setup.invalid)
            .find(|&&i| i >= slots)
        {
            return Err(ProverNodeError::Registry(format!(
                "testing: slot {bad} is beyond K + M = {slots}"
            )));
        }
        let assigned: Vec<u16> = registry
            .assignments()
            .filter(|a| a.provider == me)
            .map(|a| a.slot.index)
            .collect();
        if assigned.is_empty() {
            tracing::warn!(dataset = %root, provider = %hex::encode(me.0), "no slot of the dataset is assigned to this provider: it proves nothing");
        }
        let records = setup
            .registry
            .iter()
            .map(|(_, m)| encode_message(m))
            .collect();
        tracing::info!(dataset = %root, slots = setup.slots.len(), assigned = ?assigned, withhold = ?setup.withhold, "prover ready");
        Ok(Self {
            circuit: setup.prover.circuit_id(),
            prover: Arc::new(setup.prover),
            slots: Arc::new(setup.slots),
            commitment: Arc::new(commitment),
            root,
            registry,
            withhold: setup.withhold,
            invalid: setup.invalid,
            proof_probability: announce.proof_probability,
            signer: Arc::new(signer),
            records,
            clock,
            entropy,
            p2p,
        })
    }

    /// The dataset root this provider proves against.
    pub fn root(&self) -> DatasetRoot {
        self.root
    }

    /// The slots the registry records assign to this provider (at any period), as the block
    /// server serves them: each with its file and the tree already built for the commitment.
    pub fn held_slots(&self) -> Vec<crate::blocks::HeldSlot> {
        let me = self.signer.public();
        let mut held: Vec<u16> = self
            .registry
            .assignments()
            .filter(|a| a.provider == me)
            .map(|a| a.slot.index)
            .collect();
        held.sort_unstable();
        held.dedup();
        held.into_iter()
            .filter_map(|i| {
                let (file, tree) = (
                    self.slots.get(usize::from(i))?,
                    self.commitment.slots.get(usize::from(i))?,
                );
                crate::blocks::HeldSlot::new(self.root, i, file.clone(), Arc::new(tree.clone()))
                    .ok()
            })
            .collect()
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
            for data in &self.records {
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
        let me = self.signer.public();
        let slots = self.slots.len() as u16;
        let due: Vec<u16> = (0..slots)
            .filter(|&index| {
                let slot = SlotId {
                    dataset: self.root,
                    index,
                };
                self.registry.provider_at(&slot, period) == Some(&me)
                    && is_proof_required(entropy, &slot, self.proof_probability)
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

/// The registry the records make, checked as a verifier checks gossip, and the dataset's
/// announcement: exactly one announcement, of the dataset the slot files commit to (its
/// blocks per slot those of the files), every assignment owner-signed and of that dataset.
fn check_records(
    records: &[(PathBuf, GossipMessage)],
    root: DatasetRoot,
    slots: &[SlotFile],
) -> Result<(Registry, DatasetAnnounce), ProverNodeError> {
    let bad = |path: &PathBuf, why: String| {
        ProverNodeError::Registry(format!("{}: {why}", path.display()))
    };
    let announcements: Vec<_> = records
        .iter()
        .filter_map(|(path, m)| match m {
            GossipMessage::Announce(a) => Some((path, a)),
            _ => None,
        })
        .collect();
    let [(path, a)] = announcements[..] else {
        return Err(ProverNodeError::Registry(format!(
            "prover.registry lists {} dataset announcements, it needs exactly one",
            announcements.len()
        )));
    };
    if a.root != root {
        return Err(bad(
            path,
            format!(
                "announces dataset {}, the slot files commit to {root}",
                a.root
            ),
        ));
    }
    if usize::from(a.slots()) != slots.len() {
        return Err(bad(
            path,
            format!(
                "K + M = {}, prover.slot_files lists {}",
                a.slots(),
                slots.len()
            ),
        ));
    }
    if let Some(s) = slots.iter().find(|s| s.n_blocks() != a.blocks_per_slot) {
        return Err(bad(
            path,
            format!(
                "{} blocks per slot, {} has {}",
                a.blocks_per_slot,
                s.path().display(),
                s.n_blocks()
            ),
        ));
    }
    let mut registry = Registry::new();
    registry
        .announce(a.clone())
        .map_err(|e| bad(path, e.to_string()))?;
    for (path, m) in records {
        if let GossipMessage::Assign(s) = m {
            match registry.assign(s.clone()) {
                // `Superseded`: the owner equivocated; verifiers keep the winner, so do we.
                Ok(_) | Err(proofmesh_verifier::intake::IntakeError::Superseded(_)) => {}
                Err(e) => return Err(bad(path, e.to_string())),
            }
        }
    }
    Ok((registry, a.clone()))
}

fn fail(reason: &'static str, why: &str) {
    tracing::error!(reason, error = why, "proving failed");
    metrics::counter!(m::PROVE_FAILURES, "reason" => reason).increment(1);
}
