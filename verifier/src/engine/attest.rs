//! Attestations and certificates: our batch for a period, received batches (per-signer cap,
//! equivocation kept as evidence), certificates formed from the pool or received, and the
//! health changes they cause.

use super::io::{HealthChange, Note, Output};
use super::step::Step;
use super::{Engine, Handles, Held};
use crate::intake::GossipAction;
use crate::quorum::{check_certificate, VerifiedBatch, VerifiedCertificate};
use crate::{sign_batch, sign_repair_request, HealthEffect, HealthEvent, InsertOutcome};
use proofmesh_proto::{
    AttestationBatch, GossipMessage, Period, QuorumCertificate, SlotId, Verdict, WireMessage,
};
use std::collections::{HashMap, HashSet};

impl<H: Handles> Engine<H> {
    /// Signs and publishes our verdicts for `period` (once; never for a period this run did
    /// not observe from its start, so an offline stretch is never attested as Missing).
    pub(super) fn seal(&mut self, period: Period, step: &mut Step<H>) {
        let Some(signer) = &self.signer else { return };
        if period < self.first_full_period || self.sealed.contains(&period) {
            return;
        }
        let Some(entries) = self.intake.verdicts(period) else {
            step.note(Note::NoEntropy(period));
            return;
        };
        self.sealed.insert(period);
        if entries.is_empty() {
            return;
        }
        let Ok(batch) = sign_batch(&signer.keypair, signer.index, period, entries) else {
            // Only an over-long batch fails to sign; duties are bounded by the registry.
            return;
        };
        let count = |v: Verdict| batch.entries.iter().filter(|e| e.verdict == v).count();
        step.note(Note::Sealed {
            period,
            valid: count(Verdict::Valid),
            invalid: count(Verdict::Invalid),
            missing: count(Verdict::Missing),
            alive: count(Verdict::Alive),
        });
        // Written in this step, before it is published: an attestation we signed is never lost.
        if self.insert_batch(batch.clone(), u64::MAX, step) != GossipAction::Accept {
            return;
        }
        step.push(Output::Publish(GossipMessage::Attestation(batch)));
        self.certify_if_ready(period, step);
    }

    /// Verifies and keeps a batch. Accept: new (or new equivocation evidence); Ignore: known,
    /// outside the retained window, or over the per-signer cap; Reject: bad signature or shape.
    /// `now_s == u64::MAX` marks our own batch (always in the window).
    pub(super) fn insert_batch(
        &mut self,
        batch: AttestationBatch,
        now_s: u64,
        step: &mut Step<H>,
    ) -> GossipAction {
        let period = batch.period;
        if now_s != u64::MAX {
            let current = self.intake.clock().period_at(now_s);
            if period < self.retained_from(now_s)
                || period > current.next()
                || period < self.pruned_before
            {
                return GossipAction::Ignore;
            }
        }
        let held = self
            .batches
            .get(&period)
            .and_then(|s| s.get(&batch.verifier))
            .copied()
            .unwrap_or(0);
        if held >= self.config.max_batches_per_signer {
            return GossipAction::Ignore;
        }
        let outcome = match self.pool.insert(batch.clone(), self.sets.governing(period)) {
            Ok(o) => o,
            Err(e) => return e.action(),
        };
        match outcome {
            InsertOutcome::Duplicate => return GossipAction::Ignore,
            InsertOutcome::Equivocation { slots } => step.note(Note::Equivocation {
                verifier: batch.verifier,
                period,
                slots: slots.len(),
            }),
            InsertOutcome::Inserted => {}
        }
        self.count_batch(period, batch.verifier);
        step.writes.attestations.push(VerifiedBatch::new(batch));
        GossipAction::Accept
    }

    /// Forms certificates for `period` when it has settled or every member's batch is in.
    pub(super) fn certify_if_ready(&mut self, period: Period, step: &mut Step<H>) {
        let members = self.sets.governing(period).members.len();
        let signers = self.batches.get(&period).map_or(0, HashMap::len);
        if self.settled.contains(&period) || signers >= members {
            self.certify(period, step);
        }
    }

    /// Keeps (and publishes) certificates of `period` that are new or better than ours.
    /// Also notes, for each certificate we hold of the period, whether the pool rebuilds it.
    pub(super) fn certify(&mut self, period: Period, step: &mut Step<H>) {
        let mut fresh: Vec<VerifiedCertificate> = Vec::new();
        let mut rebuilt = HashSet::new();
        for c in self
            .pool
            .verified_certificates(period, self.sets.governing(period))
        {
            rebuilt.insert(c.content_id());
            if self.improves(&(c.period, c.entry.slot), &c) {
                fresh.push(c);
            }
        }
        for held in self
            .certified
            .get_mut(&period)
            .into_iter()
            .flat_map(|s| s.values_mut())
        {
            held.rebuilt = rebuilt.contains(&held.id);
        }
        self.keep_certificates(fresh, true, step);
    }

    /// Whether `cert` should replace what we hold for `key`: more signers, or as many with a
    /// smaller content id — a total order, so every node ends on the same certificate.
    pub(super) fn improves(&self, key: &(Period, SlotId), cert: &QuorumCertificate) -> bool {
        self.held(key).is_none_or(|held| {
            let n = cert.signers.len();
            n > held.signers || (n == held.signers && cert.content_id() < held.id)
        })
    }

    /// Publishes again every certificate we hold for the periods `which` selects that our
    /// pool does not rebuild (see `Held::rebuilt`), in (period, slot) order.
    pub(super) fn reannounce(&self, which: impl Fn(Period) -> bool, step: &mut Step<H>) {
        for (_, slots) in self.certified.iter().filter(|(p, _)| which(**p)) {
            for held in slots.values().filter(|h| !h.rebuilt) {
                step.push(Output::Publish(GossipMessage::Certificate(
                    held.cert.clone(),
                )));
            }
        }
    }

    pub(super) fn on_certificate(
        &mut self,
        cert: QuorumCertificate,
        step: &mut Step<H>,
    ) -> GossipAction {
        // Cheap first: a certificate no better than ours is not worth a pairing check.
        if cert.period < self.pruned_before {
            return GossipAction::Ignore;
        }
        let key = (cert.period, cert.entry.slot);
        if !self.improves(&key, &cert) {
            // The sender holds a worse certificate than ours: it missed ours (a partition, a
            // loss), so send ours again, once per worse certificate (unverified, so a forged
            // one costs us one publication of a certificate the network already dedupes).
            let id = cert.content_id();
            let ours = self
                .certified
                .get(&key.0)
                .and_then(|s| s.get(&key.1))
                .filter(|held| held.id != id);
            if let Some(held) = ours {
                if self.answered.entry(key.0).or_default().insert(id) {
                    step.push(Output::Publish(GossipMessage::Certificate(
                        held.cert.clone(),
                    )));
                }
            }
            return GossipAction::Ignore;
        }
        let period = cert.period;
        match check_certificate(cert, self.sets.governing(period)) {
            Ok(verified) => {
                self.keep_certificates(vec![verified], false, step);
                GossipAction::Accept
            }
            Err(e) => e.action(),
        }
    }

    /// Holds the certificates that improve on what we hold (each better one replaces the one
    /// held for its duty, and health follows it), applies them to health and writes both in
    /// this step; publishes them if `publish` (our own), after the write.
    fn keep_certificates(
        &mut self,
        certs: Vec<VerifiedCertificate>,
        publish: bool,
        step: &mut Step<H>,
    ) {
        let mut events = Vec::new();
        let mut ours = Vec::new();
        for c in certs {
            let key = (c.period, c.entry.slot);
            // Another certificate of this list may have beaten it already.
            if !self.improves(&key, &c) {
                continue;
            }
            let held = Held::new((*c).clone(), publish);
            if matches!(c.entry.verdict, Verdict::Valid) {
                self.repair_delivered(&key.1, key.0, step);
            }
            if self.intake.registry.dataset(&key.1.dataset).is_some() {
                events.push(super::verdict_of(&held.cert, held.id));
            } else {
                self.keep_orphan(held.cert.clone());
            }
            if publish {
                ours.push(held.cert.clone());
            }
            self.hold(key, held);
            step.writes.certificates.push(c);
        }
        self.apply_health(events, step);
        for cert in ours {
            step.push(Output::Publish(GossipMessage::Certificate(cert)));
        }
    }

    /// Applies health events, numbers the changes (written with the step) and publishes a
    /// signed repair request for each slot newly lost.
    pub(super) fn apply_health(&mut self, events: Vec<HealthEvent>, step: &mut Step<H>) {
        if events.is_empty() {
            return;
        }
        // Even an event that changes no state may change the view (evidence, dates).
        step.health_changed();
        let mut changes = Vec::new();
        let mut repairs = Vec::new();
        for e in events {
            for effect in self.health.apply(e) {
                if matches!(effect, HealthEffect::Ignored(_)) {
                    continue;
                }
                if let HealthEffect::RepairRequested {
                    slot,
                    period,
                    certificate,
                } = effect
                {
                    repairs.push((slot, period, certificate));
                }
                self.sequence += 1;
                changes.push(HealthChange {
                    sequence: self.sequence,
                    effect,
                });
            }
        }
        if !changes.is_empty() {
            step.changes(changes);
        }
        for (slot, period, certificate) in &repairs {
            self.open_repair(*slot, *certificate, *period);
        }
        if let Some(s) = &self.signer {
            for (slot, period, certificate) in repairs {
                let evidence = self.loss_evidence(&slot);
                // The loss certificate is the one just held; earlier ones of the run may
                // have been pruned (a run longer than the retention): the request then goes
                // out only if what is left still reaches the budgets (its receivers check).
                if evidence.last().map(|c| (c.period, c.content_id()))
                    != Some((period, certificate))
                {
                    step.note(Note::RepairEvidenceMissing(slot));
                    continue;
                }
                if let Some(req) = sign_repair_request(&s.keypair, s.index, slot, evidence) {
                    step.push(Output::Publish(GossipMessage::Repair(req)));
                }
            }
        }
    }

    /// The certificates we hold of the run that made `slot` lost (its health evidence), in
    /// period order.
    fn loss_evidence(&self, slot: &SlotId) -> Vec<QuorumCertificate> {
        let Some(health) = self.health.slot(slot) else {
            return Vec::new();
        };
        let ids: HashSet<_> = health.evidence().iter().copied().collect();
        self.certified
            .values()
            .filter_map(|slots| slots.get(slot))
            .filter(|held| ids.contains(&held.id))
            .map(|held| held.cert.clone())
            .collect()
    }

    /// A repair request from the mesh: its evidence checked against the verifier sets and
    /// the health budgets (forged or insufficient evidence: Reject, its sender down-scored),
    /// then against what we hold: a slot certified a met duty after the claimed loss has
    /// recovered (stale: Ignore).
    pub(super) fn on_repair_request(
        &self,
        request: &proofmesh_proto::RepairRequest,
    ) -> Result<(), crate::RepairEvidenceError> {
        crate::check_repair_request(request, |p| self.sets.governing(p), self.health.config())?;
        let later = self
            .certified
            .range(request.period.next()..)
            .filter_map(|(p, slots)| Some((*p, slots.get(&request.slot)?)))
            .find(|(_, held)| matches!(held.cert.entry.verdict, Verdict::Valid | Verdict::Alive));
        if let Some((period, held)) = later {
            return Err(crate::RepairEvidenceError::Stale {
                period,
                verdict: held.cert.entry.verdict,
            });
        }
        Ok(())
    }

    /// Our batches of periods `>= from` (never older than we keep), newest first when over the
    /// cap: what a node catching up needs most.
    pub(super) fn sync_answer(&self, from: Period, now_s: u64) -> Vec<AttestationBatch> {
        let from = from.max(self.retained_from(now_s));
        let all: Vec<AttestationBatch> = self
            .batches
            .range(from..)
            .flat_map(|(p, _)| self.pool.batches(*p).cloned())
            .collect();
        let skip = all.len().saturating_sub(self.config.max_sync_batches);
        all.into_iter().skip(skip).collect()
    }
}
