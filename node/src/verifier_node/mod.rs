//! The verifier role: the actor that drives the pure verification engine
//! (`proofmesh_verifier`) from gossip, the clock and the store.
//!
//! One task owns all of it (intake, attestation pool, certificates, health writes): proofs
//! come from the proofs queue and are batch-verified (size or time) off the async workers
//! with `block_in_place`; attestations, certificates, registry messages and sync answers come
//! from the control queue; a 50 ms tick seals our attestation batch at each period's
//! deadline, releases certificates once a period settles, and prunes. Every gossip message
//! gets exactly one report. An observer runs the same actor without a signing key.
//!
//! Durability order: our own batch is stored (synced) before it is published; a received batch
//! is stored before it is accepted; certificates and the health changes they cause are stored
//! in one atomic write before they are broadcast or published.

mod certify;
mod gossip;
mod proofs;
mod startup;

use crate::grpc::{HealthChanges, SharedHealth};
use crate::p2p::{Inbound, MessageRef, P2pHandle};
use crate::store::Store;
use proofmesh_proto::{ContentId, Period, SlotId, VerifierIndex, VerifierSet};
use proofmesh_verifier::intake::{CheckedProof, Intake};
use proofmesh_verifier::{AttestationPool, VerifierKeypair};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How often the actor looks at the clock: batch timeouts, early seals, deadlines, settles.
const TICK: Duration = Duration::from_millis(50);
/// Periods of attestations kept in memory and offered to syncing peers.
pub const RETENTION_PERIODS: u64 = 64;
/// Most batches one verifier may publish for one period before we ignore more (equivocation
/// evidence needs two; more is spam).
const MAX_BATCHES_PER_SIGNER: u32 = 4;

/// This node's attestation identity, when it is a member of the verifier set.
pub struct Signer {
    /// Its index in the set.
    pub index: VerifierIndex,
    /// Its BLS key.
    pub keypair: VerifierKeypair,
}

/// How the actor batches and when it releases certificates.
#[derive(Clone, Copy, Debug)]
pub struct Tuning {
    /// Most proofs per verification batch.
    pub batch_size: usize,
    /// Most time a proof waits for its batch to fill.
    pub batch_delay: Duration,
    /// Seconds after a period's deadline at which its certificates are formed from whatever
    /// attestations arrived (earlier when every member's batch is in).
    pub settle_secs: u64,
}

/// Everything the actor needs; built by [`crate::run`].
pub struct VerifierNode {
    intake: Intake,
    set: VerifierSet,
    signer: Option<Signer>,
    pool: AttestationPool,
    store: Arc<dyn Store>,
    p2p: P2pHandle,
    health: SharedHealth,
    changes: HealthChanges,
    sequence: u64,
    tuning: Tuning,
    pending: Vec<(MessageRef, CheckedProof)>,
    pending_since: Option<Instant>,
    /// First period this run observed from its start: the first we may attest.
    first_full_period: Period,
    next_seal: Period,
    sealed: BTreeSet<Period>,
    settled: BTreeSet<Period>,
    /// Per certified (period, slot): the stored certificate's id and signer count.
    certified: HashMap<(Period, SlotId), (ContentId, usize)>,
    /// Batches held per period and signer (the per-signer cap, "every member is in", and
    /// which periods still need certificates).
    batches: BTreeMap<Period, HashMap<VerifierIndex, u32>>,
    pruned_before: Period,
    /// Slot claims that arrived before their dataset's announcement (gossip does not order
    /// two publishers), applied when it arrives. Bounded by [`MAX_ORPHAN_CLAIMS`].
    orphan_claims: Vec<proofmesh_proto::SlotAssign>,
}

/// Most claims kept waiting for their dataset's announcement.
const MAX_ORPHAN_CLAIMS: usize = 1024;

/// Unix time in seconds.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl VerifierNode {
    /// A node over a loaded store: replays the registry, the attestations and the
    /// certificates into memory and the health view (see `startup.rs`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        intake: Intake,
        set: VerifierSet,
        signer: Option<Signer>,
        store: Arc<dyn Store>,
        p2p: P2pHandle,
        health: SharedHealth,
        changes: HealthChanges,
        tuning: Tuning,
    ) -> Result<Self, crate::store::StoreError> {
        let now = now_secs();
        let clock = *intake.clock();
        let current = clock.period_at(now);
        let first_full_period = if clock.start(current) == now {
            current
        } else {
            current.next()
        };
        let mut node = Self {
            intake,
            set,
            signer,
            pool: AttestationPool::new(),
            store,
            p2p,
            health,
            changes,
            sequence: 0,
            tuning,
            pending: Vec::new(),
            pending_since: None,
            first_full_period,
            next_seal: first_full_period,
            sealed: BTreeSet::new(),
            settled: BTreeSet::new(),
            certified: HashMap::new(),
            batches: BTreeMap::new(),
            pruned_before: Period(0),
            orphan_claims: Vec::new(),
        };
        node.restore()?;
        Ok(node)
    }

    /// Runs until `shutdown`: the one select loop of the role.
    pub async fn run(
        mut self,
        mut proofs: mpsc::Receiver<Inbound>,
        mut control: mpsc::Receiver<Inbound>,
        shutdown: CancellationToken,
    ) {
        self.republish_own().await;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                // The clock first: a steady stream of messages must not delay seals.
                _ = tick.tick() => self.on_tick().await,
                Some(msg) = control.recv() => self.on_control(msg).await,
                Some(msg) = proofs.recv() => self.on_proof_message(msg).await,
                else => break,
            }
        }
        // Stop intake: whatever is pending is verified and reported, nothing is left hanging.
        self.flush_proofs().await;
        tracing::info!("verifier stopped");
    }

    async fn on_tick(&mut self) {
        let now = now_secs();
        let clock = *self.intake.clock();
        metrics::gauge!(crate::metrics::PERIOD).set(clock.period_at(now).0 as f64);
        if self
            .pending_since
            .is_some_and(|t| t.elapsed() >= self.tuning.batch_delay)
        {
            self.flush_proofs().await;
        }
        // Early seal: once every duty of an open period has a valid proof, nothing can change
        // our verdicts for it (later proofs are `AlreadyProven`), so sign now rather than at
        // the deadline — certificates then follow proofs within network and signing latency.
        let current = clock.period_at(now);
        for p in [Period(current.0.saturating_sub(1)), current] {
            if p >= self.next_seal && !self.sealed.contains(&p) && self.all_valid(p) {
                self.seal(p).await;
            }
        }
        // Strictly after the deadline second: a proof arriving during that second is still
        // accepted (the window is inclusive), so it must make it into our batch.
        while clock.deadline(self.next_seal) < now {
            let p = self.next_seal;
            self.flush_proofs().await;
            self.seal(p).await;
            self.next_seal = p.next();
        }
        let due: Vec<Period> = self
            .pool_periods()
            .into_iter()
            .filter(|p| {
                !self.settled.contains(p)
                    && clock.deadline(*p).saturating_add(self.tuning.settle_secs) <= now
            })
            .collect();
        for p in due {
            // Settled only once its certificates are stored; a store error retries next tick.
            if self.certify(p, true).await {
                self.settled.insert(p);
            }
        }
        let keep = Period(clock.period_at(now).0.saturating_sub(RETENTION_PERIODS));
        if keep > self.pruned_before {
            self.prune_before(keep);
            self.pruned_before = keep;
        }
    }

    fn prune_before(&mut self, keep: Period) {
        self.intake.prune_before(keep);
        self.pool.prune_before(keep);
        self.settled = self.settled.split_off(&keep);
        self.sealed = self.sealed.split_off(&keep);
        self.certified.retain(|(p, _), _| *p >= keep);
        self.batches = self.batches.split_off(&keep);
        if let Err(e) = self.store.prune_proofs_before(keep) {
            store_error("prune_proofs", &e);
        }
        if let Err(e) = self.store.prune_attestations_before(keep) {
            store_error("prune_attestations", &e);
        }
    }

    fn all_valid(&self, period: Period) -> bool {
        self.intake.verdicts(period).is_some_and(|v| {
            !v.is_empty()
                && v.iter()
                    .all(|e| e.verdict == proofmesh_proto::Verdict::Valid)
        })
    }

    fn pool_periods(&self) -> Vec<Period> {
        self.batches.keys().copied().collect()
    }

    /// Counts one more stored batch of `verifier` for `period`.
    pub(super) fn count_batch(&mut self, period: Period, verifier: VerifierIndex) {
        *self
            .batches
            .entry(period)
            .or_default()
            .entry(verifier)
            .or_insert(0) += 1;
    }
}

/// Logs and counts a store failure (the caller decides what it means for the message).
pub(crate) fn store_error(op: &'static str, e: &crate::store::StoreError) {
    tracing::error!(op, error = %e, "store write failed");
    metrics::counter!(crate::metrics::STORE_ERRORS, "op" => op).increment(1);
}
