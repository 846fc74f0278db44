//! The mesh engine: the whole verifier protocol as a pure, deterministic state machine.
//!
//! [`Engine::on`] takes one [`Input`] (a gossip message, a verification job's results, a sync
//! exchange, a tick, entropy, a new verifier set) and the current time, and returns the
//! [`Output`]s to carry out: gossip verdicts, proofs to verify on a worker, one durable write,
//! messages to publish, health changes. No wall clock, no I/O, no randomness: the same inputs
//! at the same times give the same outputs, which is what lets the simulation in
//! `verifier/sim` run many engines over a virtual network and what lets the node be a thin
//! router (`node/src/verifier_node/`).
//!
//! The protocol rules it owns: intake of proofs into bounded verification jobs; our attestation
//! for each period, sealed early once every duty is proven or at the deadline once every proof
//! of the period was verified; attestation batches (per-signer cap, equivocation kept as
//! evidence); certificates once every member's batch is in or the period has settled, replaced
//! only by a better one (more signers, else the smaller id: a total order, so every node ends
//! on the same certificate), and sent again when a peer shows a worse one or a sync shows that
//! our pool no longer rebuilds it (so the best one reaches nodes that were cut off when it went
//! out); slot assignments that arrive before their dataset's announcement; health; restore after a
//! restart.

mod attest;
mod io;
mod proofs;
mod registry;
mod repair;
mod step;
mod tick;

pub use io::{Handles, HealthChange, Input, JobId, Millis, Note, Output, Restored, Writes};

use crate::intake::{CheckedProof, Intake};
use crate::{AttestationPool, HealthEvent, HealthState, InsertOutcome, VerifierKeypair};
use proofmesh_proto::{
    ContentId, DatasetRoot, Period, QuorumCertificate, SlotAssign, SlotId, VerifierIndex,
    VerifierSet,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use step::Step;

/// This node's attestation identity, when it is a member of the verifier set.
pub struct Signer {
    /// Its index in the set.
    pub index: VerifierIndex,
    /// Its BLS key.
    pub keypair: VerifierKeypair,
}

/// The engine's tuning: batching, settling, retention and the caps that bound its memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Most proofs per verification job.
    pub batch_size: usize,
    /// Most milliseconds a proof waits for its job to fill.
    pub batch_delay_ms: u64,
    /// Seconds after a period's deadline at which its certificates are formed from whatever
    /// attestations arrived (earlier when every member's batch is in).
    pub settle_secs: u64,
    /// Periods of attestations kept (and offered to syncing peers).
    pub retention_periods: u64,
    /// Most batches one verifier may publish for one period before more are ignored
    /// (equivocation evidence needs two; more is spam).
    pub max_batches_per_signer: u32,
    /// Most slot assignments (and certificates) kept waiting for their dataset's announcement.
    pub max_orphans: usize,
    /// Most batches answered to one sync request.
    pub max_sync_batches: usize,
    /// Repair claims: deadlines, delivery, benching (`crate::repair`).
    pub repair: crate::repair::RepairConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            batch_delay_ms: 200,
            settle_secs: 1,
            retention_periods: 64,
            max_batches_per_signer: 4,
            max_orphans: 1024,
            max_sync_batches: 1024,
            repair: crate::repair::RepairConfig::default(),
        }
    }
}

/// The verifier sets by the period they take effect from: each period is governed by the last
/// one that took effect at or before it (a pool needs one set per period, so a new set must
/// not re-judge the batches and certificates of the periods before it).
struct VerifierSets {
    by_start: BTreeMap<Period, VerifierSet>,
    /// The set the engine was built with, for periods before every set (which it refuses).
    first: VerifierSet,
}

impl VerifierSets {
    fn new(set: VerifierSet) -> Self {
        Self {
            by_start: BTreeMap::from([(set.effective_from, set.clone())]),
            first: set,
        }
    }

    fn insert(&mut self, set: VerifierSet) {
        self.by_start.insert(set.effective_from, set);
    }

    fn latest(&self) -> &VerifierSet {
        self.by_start.values().next_back().unwrap_or(&self.first)
    }

    /// The set governing `period` (for a period before every set, the first, which then
    /// refuses it as `WrongVerifierSet`).
    fn governing(&self, period: Period) -> &VerifierSet {
        self.by_start
            .range(..=period)
            .next_back()
            .map_or(&self.first, |(_, s)| s)
    }

    /// Drops the sets superseded before `keep` (they govern no kept period).
    fn prune_before(&mut self, keep: Period) {
        if let Some((&from, _)) = self.by_start.range(..=keep).next_back() {
            self.by_start = self.by_start.split_off(&from);
        }
    }
}

/// The certificate held for one (period, slot), with its id and weight computed once.
struct Held {
    id: ContentId,
    signers: usize,
    cert: QuorumCertificate,
    /// Whether our pool, when it last formed the period's certificates, gave exactly this
    /// one. A certificate it does not rebuild (formed elsewhere, or before an equivocation
    /// came to light) cannot be rebuilt by peers holding the same batches either: only
    /// gossip brings it to them, so we send it again when a peer may have missed it.
    rebuilt: bool,
}

impl Held {
    fn new(cert: QuorumCertificate, rebuilt: bool) -> Self {
        Self {
            id: cert.content_id(),
            signers: cert.signers.len(),
            cert,
            rebuilt,
        }
    }
}

/// One verification job in flight: the proofs and the messages to report when it returns.
struct Job<M> {
    msgs: Vec<M>,
    proofs: Vec<CheckedProof>,
}

/// The mesh protocol of one verifier (or observer, without a [`Signer`]).
pub struct Engine<H: Handles> {
    config: EngineConfig,
    intake: Intake,
    sets: VerifierSets,
    signer: Option<Signer>,
    pool: AttestationPool,
    health: HealthState,
    /// Last health change sequence handed out.
    sequence: u64,
    pending: Vec<(H::Msg, CheckedProof)>,
    pending_since: Option<Millis>,
    jobs: BTreeMap<JobId, Job<H::Msg>>,
    next_job: u64,
    /// First period this run observed from its start: the first we may attest.
    first_full_period: Period,
    next_seal: Period,
    sealed: BTreeSet<Period>,
    settled: BTreeSet<Period>,
    /// Per certified period and slot: the certificate held.
    certified: BTreeMap<Period, BTreeMap<SlotId, Held>>,
    /// Ids of worse certificates we answered by re-publishing ours, by period (once each).
    answered: BTreeMap<Period, HashSet<ContentId>>,
    /// Batches held per period and signer.
    batches: BTreeMap<Period, HashMap<VerifierIndex, u32>>,
    pruned_before: Period,
    /// Slot assignments that arrived before their dataset's announcement (gossip does not order
    /// two publishers), applied when it arrives.
    orphan_claims: Vec<SlotAssign>,
    /// Certificates of datasets not announced yet (a node that syncs before it hears the
    /// announcement): their verdicts reach health when it arrives.
    orphan_certs: BTreeMap<DatasetRoot, Vec<QuorumCertificate>>,
    /// Lost slots' repairs: the volunteers' claims and who won (`crate::repair`).
    repairs: crate::repair::ClaimBook,
}

impl<H: Handles> Engine<H> {
    /// An engine over what the store holds (`restored`), started at `now`. Returns the outputs
    /// of the restore (the rebuilt health view, and our own recent batches to re-publish: after
    /// a crash they may never have left the node; peers ignore what they have).
    pub fn new(
        config: EngineConfig,
        intake: Intake,
        set: VerifierSet,
        signer: Option<Signer>,
        health: HealthState,
        restored: Restored,
        now: Millis,
    ) -> (Self, Vec<Output<H>>) {
        let now_s = now / 1000;
        let clock = *intake.clock();
        let current = clock.period_at(now_s);
        let first_full_period = if clock.start(current) == now_s {
            current
        } else {
            current.next()
        };
        let mut engine = Self {
            config,
            intake,
            sets: VerifierSets::new(set),
            signer,
            pool: AttestationPool::new(),
            health,
            sequence: restored.last_sequence,
            pending: Vec::new(),
            pending_since: None,
            jobs: BTreeMap::new(),
            next_job: 0,
            first_full_period,
            next_seal: first_full_period,
            sealed: BTreeSet::new(),
            settled: BTreeSet::new(),
            certified: BTreeMap::new(),
            answered: BTreeMap::new(),
            batches: BTreeMap::new(),
            pruned_before: Period(0),
            orphan_claims: Vec::new(),
            orphan_certs: BTreeMap::new(),
            repairs: crate::repair::ClaimBook::new(config.repair),
        };
        let mut step = Step::new();
        engine.restore(restored, now_s, &mut step);
        let out = step.finish(&engine.health);
        (engine, out)
    }

    /// Handles one input at time `now` and returns what to do, in order.
    pub fn on(&mut self, input: Input<H>, now: Millis) -> Vec<Output<H>> {
        let mut step = Step::new();
        let now_s = now / 1000;
        match input {
            Input::Gossip { msg, message } => self.on_gossip(msg, message, now, &mut step),
            Input::Verified { job, results } => self.on_verified(job, results, now_s, &mut step),
            Input::Synced { batches } => {
                let mut touched = BTreeSet::new();
                for batch in batches {
                    let period = batch.period;
                    if self.insert_batch(batch, now_s, &mut step)
                        == crate::intake::GossipAction::Accept
                    {
                        touched.insert(period);
                    }
                }
                for p in &touched {
                    self.certify_if_ready(*p, &mut step);
                }
                // Peers that synced the same batches cannot rebuild these either.
                self.reannounce(|p| touched.contains(&p), &mut step);
            }
            Input::SyncRequest { from, reply } => {
                let batches = self.sync_answer(from, now_s);
                step.push(Output::AnswerSync { reply, batches });
                // A peer catching up cannot rebuild these from the batches: gossip them.
                let from = from.max(self.retained_from(now_s));
                self.reannounce(|p| p >= from, &mut step);
            }
            Input::PeerConnected(peer) => {
                let from = self.retained_from(now_s);
                step.push(Output::RequestSync { peer, from });
            }
            Input::Tick => self.on_tick(now, &mut step),
            Input::Flush => self.flush(&mut step),
            Input::Entropy { period, value } => {
                self.intake.record_entropy(period, value);
            }
            Input::Registry(messages) => self.on_registry_records(messages, &mut step),
            Input::VerifierSet(set) => {
                step.note(Note::VerifierSetChanged {
                    effective_from: set.effective_from,
                    members: set.members.len(),
                });
                // Periods before `effective_from` keep the set that governs them (their
                // batches may still be arriving, their certificates still forming).
                self.sets.insert(set);
            }
        }
        step.finish(&self.health)
    }

    /// The health view (readers get snapshots through [`Output::Health`]).
    pub fn health(&self) -> &HealthState {
        &self.health
    }

    /// The certificate held for each certified (period, slot): what every honest engine must
    /// agree on.
    pub fn certified(&self) -> BTreeMap<(Period, SlotId), ContentId> {
        self.certified
            .iter()
            .flat_map(|(p, slots)| slots.iter().map(|(s, held)| ((*p, *s), held.id)))
            .collect()
    }

    /// The certificate held for `key`.
    fn held(&self, key: &(Period, SlotId)) -> Option<&Held> {
        self.certified.get(&key.0)?.get(&key.1)
    }

    /// Holds `held` for `key` (replacing what was held).
    fn hold(&mut self, key: (Period, SlotId), held: Held) {
        self.certified.entry(key.0).or_default().insert(key.1, held);
    }

    /// The intake (registry, clock, keys).
    pub fn intake(&self) -> &Intake {
        &self.intake
    }

    /// The attestation pool.
    pub fn pool(&self) -> &AttestationPool {
        &self.pool
    }

    /// Proofs waiting for a job and jobs in flight (queue depths, for metrics).
    pub fn backlog(&self) -> (usize, usize) {
        (self.pending.len(), self.jobs.len())
    }

    /// The latest verifier set (in force from its `effective_from`).
    pub fn verifier_set(&self) -> &VerifierSet {
        self.sets.latest()
    }

    /// First period kept in memory at `now_s`: the last `retention_periods`, but never a
    /// period still open — one whose deadline seal or settle is still ahead (with a retention
    /// shorter than the grace, pruning it would forget that we sealed it, so we would sign it
    /// again at its deadline, and would drop the batches its certificates need).
    fn retained_from(&self, now_s: u64) -> Period {
        let clock = self.intake.clock();
        let current = clock.period_at(now_s);
        let by_retention = Period(current.0.saturating_sub(self.config.retention_periods));
        // `p` is settled once `start(p + 1) + timeout + settle <= now`: the first period not
        // settled yet is the one containing `now - timeout - settle`.
        let grace = clock.timeout_secs.saturating_add(self.config.settle_secs);
        let open = clock.period_at(now_s.saturating_sub(grace));
        by_retention.min(open).min(self.next_seal)
    }

    fn restore(&mut self, restored: Restored, now_s: u64, step: &mut Step<H>) {
        let mut events = Vec::new();
        for a in restored.datasets {
            events.push(HealthEvent::announced(&a));
            // A stored announcement was checked when it arrived: it is not checked again.
            self.intake.registry.restore_dataset(a);
        }
        for s in restored.assignments {
            self.intake.registry.restore_assignment(s);
        }
        let from = self.retained_from(now_s);
        for (id, period) in restored.proofs_seen {
            if period >= from {
                self.intake.mark_seen(id, period);
            }
        }
        for b in restored.attestations {
            if b.period < from {
                continue;
            }
            if self.signer.as_ref().is_some_and(|s| s.index == b.verifier) {
                // Never sign a period twice, even after a restart.
                self.sealed.insert(b.period);
                step.push(Output::Publish(
                    proofmesh_proto::GossipMessage::Attestation(b.clone()),
                ));
            }
            let (period, verifier) = (b.period, b.verifier);
            // A store may hand a batch twice; only distinct ones count toward the cap.
            if matches!(
                self.pool.insert(b, self.sets.governing(period)),
                Ok(InsertOutcome::Inserted | InsertOutcome::Equivocation { .. })
            ) {
                self.count_batch(period, verifier);
            }
        }
        // The periods before the last prune are settled in the health checkpoints; we accept
        // no certificate for them, as before the restart.
        self.pruned_before = restored.pruned_before;
        for c in restored.certificates {
            let key = (c.period, c.entry.slot);
            if c.period >= self.pruned_before && self.improves(&key, &c) {
                // Formed before the restart; whether the pool rebuilds it is known at the
                // period's next certify.
                self.hold(key, Held::new(c, false));
            }
        }
        // Health follows the certificate held for each duty (the best one).
        let mut orphans = Vec::new();
        for slots in self.certified.values() {
            for (slot, held) in slots {
                if self.intake.registry.dataset(&slot.dataset).is_some() {
                    events.push(verdict_of(&held.cert, held.id));
                } else {
                    orphans.push(held.cert.clone());
                }
            }
        }
        for c in orphans {
            self.keep_orphan(c);
        }
        // Restored, not new: the changes are in the store already, so none is numbered or
        // written again; readers get the rebuilt view.
        for refused in self
            .health
            .restore(self.pruned_before, restored.health, events)
        {
            step.note(Note::CheckpointRefused(refused));
        }
        step.health_changed();
    }

    /// Keeps a certificate of a dataset not announced yet (bounded by `max_orphans`): its
    /// verdict reaches health when the announcement arrives.
    fn keep_orphan(&mut self, cert: QuorumCertificate) {
        let waiting: usize = self.orphan_certs.values().map(Vec::len).sum();
        if waiting < self.config.max_orphans {
            self.orphan_certs
                .entry(cert.entry.slot.dataset)
                .or_default()
                .push(cert);
        }
    }

    fn count_batch(&mut self, period: Period, verifier: VerifierIndex) {
        *self
            .batches
            .entry(period)
            .or_default()
            .entry(verifier)
            .or_insert(0) += 1;
    }
}

/// The health event of a certificate with content id `id`.
fn verdict_of(cert: &QuorumCertificate, id: ContentId) -> HealthEvent {
    HealthEvent::FinalVerdict {
        slot: cert.entry.slot,
        period: cert.period,
        verdict: cert.entry.verdict,
        certificate: id,
    }
}

use proofmesh_proto::WireMessage as _;
