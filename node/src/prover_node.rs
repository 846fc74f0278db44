//! The prover role: at each period start it derives the period's entropy, works out which of
//! the slots it holds and is assigned owe a proof (Codex's die roll, the same computation the
//! verifiers make), proves them with the prover crate on the blocking pool (one proof at a
//! time with every core, each published as soon as it is made), signs each `ProofEnvelope` and
//! publishes it. One provider holds any slots of any datasets; the proving key is loaded once.
//!
//! A provider holds only its own slots' files: the dataset tree a proof's dataset path comes
//! from is built from the slot roots of the owner-signed announcement (which verifiers check
//! hash to the dataset root), and each held file's own slot root must be the announced one.
//!
//! What it proves is the owner's decision, not its own: its config lists owner-signed registry
//! records (the datasets' announcements and slot assignments, `crate::owner`), which it checks
//! at start as a verifier would and re-publishes every period so verifiers that join late
//! learn them. It proves held slot `s` in period `p` exactly when the assignment in force for
//! `(s, p)` names its key, and every period it publishes a heartbeat listing those slots
//! (`crate::heartbeat`): what datasets owing no proofs are judged on.

use crate::keys::ProviderSigner;
use crate::metrics as m;
use crate::p2p::{encode_message, GossipMessage};
use crate::p2p::{P2pHandle, Topic};
use crate::verifier_node::now_secs;
use proofmesh_circuits::field::{fr_from_canonical_le_bytes, fr_to_le_bytes};
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::slot::SlotTree;
use proofmesh_proto::{CircuitId, DatasetRoot, Period, ProofEnvelope, ProviderSignature, SlotId};
use proofmesh_prover::groth16::proof_to_bytes;
use proofmesh_prover::pipeline::prove_held;
use proofmesh_prover::{NoProgress, ProveRequest, Prover, SlotFile};
use proofmesh_verifier::duty::{is_proof_required, EntropySource, PeriodClock};
use proofmesh_verifier::intake::Registry;
use rand::rngs::OsRng;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Why the prover role could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProverNodeError {
    /// An announced root is not a canonical field element (cannot happen for a checked one).
    #[error("dataset root is not canonical")]
    Root,
    /// The prover crate refused a slot file or the keys.
    #[error(transparent)]
    Prover(#[from] proofmesh_prover::ProverError),
    /// A registry record is not one a verifier would accept.
    #[error("registry: {0}")]
    Registry(String),
    /// A held slot's dataset has no announcement among the registry records.
    #[error("prover.hold: slot {slot} of dataset {dataset}: prover.registry has no announcement of the dataset")]
    NoAnnouncement {
        /// The dataset.
        dataset: DatasetRoot,
        /// The held slot.
        slot: u16,
    },
    /// A held slot is not a slot of its announced dataset.
    #[error(
        "prover.hold: slot {slot} of dataset {dataset}: the dataset has K + M = {slots} slots"
    )]
    NoSuchSlot {
        /// The dataset.
        dataset: DatasetRoot,
        /// The held slot.
        slot: u16,
        /// K + M.
        slots: u16,
    },
    /// A held slot's file is not the slot the owner announced (size or slot root).
    #[error("prover.hold: {file}: slot {slot} of dataset {dataset}: {why}")]
    SlotFile {
        /// The file.
        file: PathBuf,
        /// The dataset.
        dataset: DatasetRoot,
        /// The held slot.
        slot: u16,
        /// What differs from the announcement.
        why: String,
    },
}

/// One slot file a provider holds, as its config lists it.
pub struct HeldFile {
    /// The dataset it belongs to.
    pub dataset: DatasetRoot,
    /// Its index in the dataset.
    pub index: u16,
    /// The slot file.
    pub file: SlotFile,
}

/// What a provider proves and how.
pub struct ProverSetup {
    /// The loaded keys.
    pub prover: Prover,
    /// The slot files it holds, of any datasets.
    pub held: Vec<HeldFile>,
    /// The owner-signed registry records to check and re-publish (file, message): the
    /// datasets' announcements and slot assignments.
    pub registry: Vec<(PathBuf, GossipMessage)>,
    /// Held slot indices deliberately not proven (fault injection: Missing → Lost).
    pub withhold: Vec<u16>,
    /// Held slot indices proven against the wrong entropy (fault injection: Invalid).
    pub invalid: Vec<u16>,
    /// The provider's key.
    pub signer: ProviderSigner,
}

/// A slot a repair gave this provider (`crate::volunteer`): its rebuilt, checked file and
/// the first period it answers for.
pub struct Adopted {
    /// The slot file.
    pub held: HeldFile,
    /// First period this provider answers for the slot.
    pub from: Period,
}

/// A held slot, checked against its announcement.
struct Held {
    slot: SlotId,
    file: SlotFile,
    tree: Arc<SlotTree>,
    /// The tree over the dataset's announced slot roots (shared by its held slots).
    dataset: Arc<MerkleTree>,
    proof_probability: u32,
}

/// The running prover role.
pub struct ProverNode {
    prover: Arc<Prover>,
    held: Vec<Arc<Held>>,
    circuit: CircuitId,
    /// The datasets' announcements and the assignments of the records (checked).
    registry: Registry,
    withhold: Vec<u16>,
    invalid: Vec<u16>,
    signer: Arc<ProviderSigner>,
    /// The records' bytes, re-published every period.
    records: Vec<Vec<u8>>,
    clock: PeriodClock,
    entropy: Box<dyn EntropySource>,
    p2p: P2pHandle,
    /// Slots repairs gave us, to prove from their first period on.
    adopted: Option<tokio::sync::mpsc::Receiver<Adopted>>,
}

impl ProverNode {
    /// Checks the registry records (owner signatures, slot roots against dataset roots), then
    /// each held slot against its dataset's announcement: its file's blocks and slot root
    /// (the slot tree, built streamed and parallel) those announced.
    pub fn new(
        setup: ProverSetup,
        clock: PeriodClock,
        entropy: Box<dyn EntropySource>,
        p2p: P2pHandle,
    ) -> Result<Self, ProverNodeError> {
        let signer = setup.signer;
        let registry = check_records(&setup.registry)?;
        let me = signer.public();
        let mut trees: BTreeMap<DatasetRoot, Arc<MerkleTree>> = BTreeMap::new();
        let mut held = Vec::with_capacity(setup.held.len());
        for h in setup.held {
            let (dataset, slot) = (h.dataset, h.index);
            let a = registry
                .dataset(&dataset)
                .ok_or(ProverNodeError::NoAnnouncement { dataset, slot })?;
            let bad = |why: String| ProverNodeError::SlotFile {
                file: h.file.path().to_path_buf(),
                dataset,
                slot,
                why,
            };
            let Some(announced) = a.slot_roots.get(usize::from(slot)) else {
                return Err(ProverNodeError::NoSuchSlot {
                    dataset,
                    slot,
                    slots: a.slots(),
                });
            };
            if h.file.n_blocks() != a.blocks_per_slot {
                return Err(bad(format!(
                    "{} blocks, the announcement {} per slot",
                    h.file.n_blocks(),
                    a.blocks_per_slot
                )));
            }
            let tree = h.file.slot_tree()?;
            let got = fr_to_le_bytes(&tree.root());
            if &got != announced.as_bytes() {
                return Err(bad(format!(
                    "the file's slot root {} is not the announced {}",
                    hex::encode(got),
                    hex::encode(announced.as_bytes())
                )));
            }
            let dataset_tree = match trees.get(&dataset) {
                Some(t) => Arc::clone(t),
                None => {
                    let roots = a
                        .slot_roots
                        .iter()
                        .map(|r| fr_from_canonical_le_bytes(r.as_bytes()))
                        .collect::<Option<Vec<_>>>()
                        .ok_or(ProverNodeError::Root)?;
                    let t = Arc::new(proofmesh_prover::dataset_tree(roots)?);
                    trees.insert(dataset, Arc::clone(&t));
                    t
                }
            };
            let id = SlotId {
                dataset,
                index: slot,
            };
            if !registry
                .assignments()
                .any(|s| s.slot == id && s.provider == me)
            {
                tracing::warn!(dataset = %dataset, slot, provider = %hex::encode(me.0), "held slot not assigned to this provider: it is not proven");
            }
            held.push(Arc::new(Held {
                slot: id,
                file: h.file,
                tree: Arc::new(tree),
                dataset: dataset_tree,
                proof_probability: a.proof_probability,
            }));
        }
        let records = setup
            .registry
            .iter()
            .map(|(_, m)| encode_message(m))
            .collect();
        let slots: Vec<String> = held
            .iter()
            .map(|h| format!("{}/{}", h.slot.dataset, h.slot.index))
            .collect();
        tracing::info!(held = ?slots, withhold = ?setup.withhold, "prover ready");
        Ok(Self {
            circuit: setup.prover.circuit_id(),
            prover: Arc::new(setup.prover),
            held,
            registry,
            withhold: setup.withhold,
            invalid: setup.invalid,
            signer: Arc::new(signer),
            records,
            clock,
            entropy,
            p2p,
            adopted: None,
        })
    }

    /// The checked registry of the records (the datasets this provider knows).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Where a volunteer hands the slots it rebuilt after winning their repair: each is
    /// checked against its announcement like a configured one, then proven from its first
    /// period (the registry learns the repair reassignment).
    pub fn adopter(&mut self) -> tokio::sync::mpsc::Sender<Adopted> {
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        self.adopted = Some(rx);
        tx
    }

    /// Takes a repaired slot in (its tree built off the async workers).
    async fn adopt(&mut self, a: Adopted) {
        let (dataset, index) = (a.held.dataset, a.held.index);
        let Some(announce) = self.registry.dataset(&dataset).cloned() else {
            tracing::warn!(%dataset, slot = index, "adopted slot of an unknown dataset: not proven");
            return;
        };
        let file = a.held.file.clone();
        let built = tokio::task::spawn_blocking(move || {
            let tree = file.slot_tree()?;
            let roots = announce
                .slot_roots
                .iter()
                .map(|r| fr_from_canonical_le_bytes(r.as_bytes()))
                .collect::<Option<Vec<_>>>()
                .ok_or(ProverNodeError::Root)?;
            let dataset_tree = proofmesh_prover::dataset_tree(roots)?;
            Ok::<_, ProverNodeError>((tree, dataset_tree, announce))
        })
        .await;
        let (tree, dataset_tree, announce) = match built {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => return fail("adopt", &e.to_string()),
            Err(e) => return fail("adopt", &e.to_string()),
        };
        let slot = SlotId { dataset, index };
        if announce
            .slot_roots
            .get(usize::from(index))
            .map(|r| *r.as_bytes())
            != Some(fr_to_le_bytes(&tree.root()))
        {
            return fail("adopt", "the rebuilt slot's root is not the announced one");
        }
        self.registry
            .set_repair(slot, Some((a.from, self.signer.public())));
        self.held.retain(|h| h.slot != slot);
        self.held.push(Arc::new(Held {
            slot,
            file: a.held.file,
            tree: Arc::new(tree),
            dataset: Arc::new(dataset_tree),
            proof_probability: announce.proof_probability,
        }));
        tracing::info!(%dataset, slot = index, from = a.from.0, "repaired slot adopted: proving it");
    }

    /// The held slots the registry records assign to this provider (at any period), as the
    /// block server serves them: each with its file and the tree already built at start.
    pub fn held_slots(&self) -> Vec<crate::blocks::HeldSlot> {
        let me = self.signer.public();
        self.held
            .iter()
            .filter(|h| {
                self.registry
                    .assignments()
                    .any(|a| a.slot == h.slot && a.provider == me)
            })
            .filter_map(|h| {
                crate::blocks::HeldSlot::new(
                    h.slot.dataset,
                    h.slot.index,
                    h.file.clone(),
                    Arc::clone(&h.tree),
                )
                .ok()
            })
            .collect()
    }

    /// Runs until `shutdown`: registry messages and proofs each period.
    pub async fn run(mut self, shutdown: CancellationToken) {
        // The owner's records into the DHT too, where a node that joins finds them.
        for a in self.registry.datasets() {
            if let Some(record) =
                proofmesh_verifier::intake::records::dataset_record(&self.registry, &a.root)
            {
                let _ = self.p2p.put_registry(a.root, record).await;
            }
        }
        let mut next = self.clock.period_at(now_secs());
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            let adopted = async {
                match self.adopted.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                Some(a) = adopted => {
                    self.adopt(a).await;
                    continue;
                }
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
            // A second into the period, so a verifier whose clock is a little behind ours
            // does not take it as early (its window opens at the period's start).
            let at = self.clock.start(current).saturating_add(1);
            let wait = Duration::from_secs(at.saturating_sub(now_secs()));
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
            self.heartbeat(current).await;
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = self.prove_period(current) => {}
            }
        }
        tracing::info!("prover stopped");
    }

    /// Publishes this period's heartbeats: every held slot assigned to us now (withheld ones
    /// left out: the fault injection stops a slot's heartbeats as it stops its proofs).
    async fn heartbeat(&self, period: Period) {
        let me = self.signer.public();
        let slots = self
            .held
            .iter()
            .filter(|h| {
                self.registry.provider_at(&h.slot, period) == Some(&me)
                    && !self.withhold.contains(&h.slot.index)
            })
            .map(|h| h.slot)
            .collect();
        for hb in crate::heartbeat::heartbeats(me, period, slots, |b| self.signer.sign(b)) {
            tracing::debug!(
                period = period.0,
                slots = hb.slots.len(),
                "heartbeat published"
            );
            metrics::counter!(m::HEARTBEATS_PUBLISHED).increment(1);
            self.publish(
                Topic::Heartbeats,
                encode_message(&GossipMessage::Heartbeat(hb)),
            )
            .await;
        }
    }

    async fn prove_period(&self, period: Period) {
        let Some(entropy) = self.entropy.entropy(period) else {
            tracing::warn!(period = period.0, "no entropy yet");
            return;
        };
        let me = self.signer.public();
        let due: Vec<&Arc<Held>> = self
            .held
            .iter()
            .filter(|h| {
                self.registry.provider_at(&h.slot, period) == Some(&me)
                    && is_proof_required(entropy, &h.slot, h.proof_probability)
            })
            .collect();
        if due.is_empty() {
            return;
        }
        let (withheld, todo): (Vec<&Arc<Held>>, Vec<&Arc<Held>>) = due
            .into_iter()
            .partition(|h| self.withhold.contains(&h.slot.index));
        if !withheld.is_empty() {
            let slots: Vec<u16> = withheld.iter().map(|h| h.slot.index).collect();
            tracing::warn!(period = period.0, slots = ?slots, "withholding proofs (configured)");
        }
        let wrong = self.entropy.entropy(period.next()).unwrap_or(entropy);
        // One proof at a time with every core, each published as soon as it exists: the
        // first proof leaves after one proving time, not after all of them.
        for held in todo {
            let request = ProveRequest {
                slot_index: u64::from(held.slot.index),
                entropy: if self.invalid.contains(&held.slot.index) {
                    wrong
                } else {
                    entropy
                },
            };
            let (prover, held) = (Arc::clone(&self.prover), Arc::clone(held));
            let started = Instant::now();
            let slot = held.slot;
            let joined = tokio::task::spawn_blocking(move || {
                prove_held(
                    &prover,
                    &held.file,
                    &held.tree,
                    &held.dataset,
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
                slot,
                period,
                circuit_id: self.circuit,
                proof_system: proofmesh_proto::ProofSystem::GROTH16_BN254,
                proof: proof_to_bytes(&proof.proof).to_vec(),
                provider: self.signer.public(),
                signature: ProviderSignature([0; 64]),
            };
            envelope.signature = self.signer.sign(&envelope.signing_bytes());
            tracing::info!(period = period.0, dataset = %slot.dataset, slot = slot.index, "proof published");
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

/// The registry the records make, checked as a verifier checks gossip: at least one
/// announcement (each owner-signed, its slot roots hashing to its root; a copy of one is
/// harmless), every assignment owner-signed and of an announced dataset.
fn check_records(records: &[(PathBuf, GossipMessage)]) -> Result<Registry, ProverNodeError> {
    let bad = |path: &PathBuf, why: String| {
        ProverNodeError::Registry(format!("{}: {why}", path.display()))
    };
    let mut registry = Registry::new();
    for (path, m) in records {
        if let GossipMessage::Announce(a) = m {
            registry
                .announce(a.clone())
                .map_err(|e| bad(path, e.to_string()))?;
        }
    }
    if registry.datasets().next().is_none() {
        return Err(ProverNodeError::Registry(
            "prover.registry lists no dataset announcement".into(),
        ));
    }
    for (path, m) in records {
        if let GossipMessage::Assign(s) = m {
            match registry.assign(s.clone()) {
                // `Superseded`: the owner equivocated; verifiers keep the winner, so do we.
                Ok(_) | Err(proofmesh_verifier::intake::IntakeError::Superseded(_)) => {}
                Err(e) => return Err(bad(path, e.to_string())),
            }
        }
    }
    Ok(registry)
}

fn fail(reason: &'static str, why: &str) {
    tracing::error!(reason, error = why, "proving failed");
    metrics::counter!(m::PROVE_FAILURES, "reason" => reason).increment(1);
}
