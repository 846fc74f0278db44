//! Control-queue messages: registry announcements and claims, attestation batches,
//! certificates, repair requests and catch-up sync. Each gossip message gets one report.

use super::{now_secs, store_error, VerifierNode, MAX_BATCHES_PER_SIGNER, RETENTION_PERIODS};
use crate::metrics as m;
use crate::p2p::{GossipMessage, Inbound, MessageRef, SyncChannel};
use proofmesh_proto::{AttestationBatch, Period, QuorumCertificate, WireMessage};
use proofmesh_verifier::intake::{GossipAction, IntakeError};
use proofmesh_verifier::{verify_certificate, verify_repair_request, HealthEvent, InsertOutcome};

/// Most batches answered to one sync request (the swarm's sync codec carries at most 1,024).
const MAX_SYNC_BATCHES: usize = 1024;

impl VerifierNode {
    pub(super) async fn on_control(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Gossip { msg, message } => {
                let action = self.on_gossip(message).await;
                self.report(msg, action).await;
            }
            Inbound::SyncRequest { from, channel } => self.answer_sync(from, channel).await,
            Inbound::SyncResponse { peer, batches } => {
                tracing::debug!(%peer, batches = batches.len(), "sync response");
                let mut touched = std::collections::BTreeSet::new();
                for batch in batches {
                    let period = batch.period;
                    if self.insert_batch(batch) == GossipAction::Accept {
                        touched.insert(period);
                    }
                }
                for p in touched {
                    self.certify_if_ready(p).await;
                }
            }
            Inbound::PeerConnected(peer) => {
                let now = now_secs();
                let current = self.intake.clock().period_at(now);
                let from = Period(current.0.saturating_sub(RETENTION_PERIODS));
                if self.p2p.request_sync(peer, from).await.is_err() {
                    tracing::warn!("p2p stopped; cannot request sync");
                }
            }
        }
    }

    pub(super) async fn report(&self, msg: MessageRef, action: GossipAction) {
        if self.p2p.report(msg, action).await.is_err() {
            tracing::warn!("p2p stopped; validation result dropped");
        }
    }

    async fn on_gossip(&mut self, message: GossipMessage) -> GossipAction {
        match message {
            GossipMessage::Announce(a) => match self.intake.registry.announce(a.clone()) {
                Ok(true) => {
                    if let Err(e) = self.store.put_dataset(&a) {
                        store_error("put_dataset", &e);
                        return GossipAction::Ignore;
                    }
                    tracing::info!(dataset = %a.root, k = a.data_slots, m = a.parity_slots, "dataset announced");
                    self.adopt_orphan_claims(&a.root);
                    let mut events = vec![HealthEvent::announced(&a)];
                    events.extend(self.stored_verdicts(&a.root));
                    self.apply_health(&events, &[]).await;
                    GossipAction::Accept
                }
                Ok(false) => GossipAction::Ignore,
                Err(e) => e.action(),
            },
            GossipMessage::Assign(s) => match self.intake.registry.assign(s.clone()) {
                Ok(true) => {
                    if let Err(e) = self.store.put_assignment(&s) {
                        store_error("put_assignment", &e);
                        return GossipAction::Ignore;
                    }
                    tracing::info!(slot = %s.slot, from = s.from_period.0, "slot assigned");
                    GossipAction::Accept
                }
                Ok(false) => GossipAction::Ignore,
                Err(IntakeError::UnknownDataset(_)) => {
                    if self.orphan_claims.len() < super::MAX_ORPHAN_CLAIMS
                        && !self.orphan_claims.contains(&s)
                    {
                        self.orphan_claims.push(s);
                    }
                    GossipAction::Ignore
                }
                Err(e) => e.action(),
            },
            GossipMessage::Attestation(batch) => {
                let period = batch.period;
                let action = self.insert_batch(batch);
                if action == GossipAction::Accept {
                    self.certify_if_ready(period).await;
                }
                action
            }
            GossipMessage::Certificate(cert) => self.on_certificate(cert).await,
            GossipMessage::Repair(request) => match verify_repair_request(&request, &self.set) {
                Ok(()) => {
                    tracing::info!(slot = %request.slot, period = request.period.0, verifier = request.verifier.0, "repair requested");
                    GossipAction::Accept
                }
                Err(_) => GossipAction::Reject,
            },
            GossipMessage::Proof(_) => GossipAction::Ignore,
        }
    }

    /// Verifies and stores a received batch. Accept: new (or new equivocation evidence);
    /// Ignore: known, too old or too new, over the per-signer cap, or not storable; Reject:
    /// bad signature or shape.
    pub(super) fn insert_batch(&mut self, batch: AttestationBatch) -> GossipAction {
        let now = now_secs();
        let current = self.intake.clock().period_at(now);
        let period = batch.period;
        if period.0.saturating_add(RETENTION_PERIODS) < current.0 || period > current.next() {
            return GossipAction::Ignore;
        }
        let held = self
            .batches
            .get(&period)
            .and_then(|s| s.get(&batch.verifier))
            .copied()
            .unwrap_or(0);
        if held >= MAX_BATCHES_PER_SIGNER {
            return GossipAction::Ignore;
        }
        let mut pool = self.pool.clone();
        let outcome = match pool.insert(batch.clone(), &self.set) {
            Ok(o) => o,
            Err(e) => {
                tracing::debug!(error = %e, "attestation refused");
                metrics::counter!(m::ATTESTATIONS_RECEIVED, "outcome" => "invalid").increment(1);
                return GossipAction::Reject;
            }
        };
        let label = match &outcome {
            InsertOutcome::Inserted => "inserted",
            InsertOutcome::Duplicate => "duplicate",
            InsertOutcome::Equivocation { .. } => "equivocation",
        };
        metrics::counter!(m::ATTESTATIONS_RECEIVED, "outcome" => label).increment(1);
        if outcome == InsertOutcome::Duplicate {
            return GossipAction::Ignore;
        }
        // Durable before it counts: a batch we accepted and forwarded is never lost.
        if let Err(e) = self.store.put_attestation(&batch) {
            store_error("put_attestation", &e);
            return GossipAction::Ignore;
        }
        if let InsertOutcome::Equivocation { slots } = &outcome {
            tracing::warn!(
                verifier = batch.verifier.0,
                period = period.0,
                slots = slots.len(),
                "equivocation"
            );
        }
        self.pool = pool;
        self.count_batch(period, batch.verifier);
        GossipAction::Accept
    }

    /// Applies the claims that were waiting for `root`'s announcement.
    fn adopt_orphan_claims(&mut self, root: &proofmesh_proto::DatasetRoot) {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.orphan_claims)
            .into_iter()
            .partition(|s| s.slot.dataset == *root);
        self.orphan_claims = rest;
        for s in mine {
            match self.intake.registry.assign(s.clone()) {
                Ok(true) => {
                    if let Err(e) = self.store.put_assignment(&s) {
                        store_error("put_assignment", &e);
                    }
                    tracing::info!(slot = %s.slot, from = s.from_period.0, "slot assigned (claim arrived before the announcement)");
                }
                Ok(false) => {}
                Err(e) => tracing::debug!(error = %e, "waiting claim refused"),
            }
        }
    }

    /// Certificates already stored for a dataset that was unknown when they arrived (a node
    /// that syncs before it hears the announcement): their verdicts, in period order.
    fn stored_verdicts(&self, root: &proofmesh_proto::DatasetRoot) -> Vec<HealthEvent> {
        let certs = match self.store.certificates_from(Period(0)) {
            Ok(c) => c,
            Err(e) => {
                store_error("certificates_from", &e);
                return Vec::new();
            }
        };
        certs
            .into_iter()
            .filter(|c| c.entry.slot.dataset == *root)
            .map(|c| HealthEvent::FinalVerdict {
                slot: c.entry.slot,
                period: c.period,
                verdict: c.entry.verdict,
                certificate: c.content_id(),
            })
            .collect()
    }

    async fn on_certificate(&mut self, cert: QuorumCertificate) -> GossipAction {
        // Cheap first: a certificate no better than ours is not worth a pairing check.
        if cert.period < self.pruned_before {
            return GossipAction::Ignore;
        }
        let key = (cert.period, cert.entry.slot);
        if !self.improves(&key, &cert) {
            return GossipAction::Ignore;
        }
        if let Err(e) = verify_certificate(&cert, &self.set) {
            tracing::debug!(error = %e, "certificate refused");
            return GossipAction::Reject;
        }
        if self.store_certificates(vec![cert], false).await {
            GossipAction::Accept
        } else {
            GossipAction::Ignore
        }
    }

    async fn answer_sync(&self, from: Period, channel: SyncChannel) {
        // The peer picks `from`; we never scan further back than we keep in memory.
        let current = self.intake.clock().period_at(now_secs());
        let from = from.max(Period(current.0.saturating_sub(RETENTION_PERIODS)));
        let batches = match self.store.attestations_from(from) {
            Ok(b) => b,
            Err(e) => {
                store_error("attestations_from", &e);
                return;
            }
        };
        // Over the cap, the newest periods matter most to a node catching up.
        let skip = batches.len().saturating_sub(MAX_SYNC_BATCHES);
        let encoded = batches.iter().skip(skip).map(WireMessage::encode).collect();
        if self.p2p.respond_sync(channel, encoded).await.is_err() {
            tracing::warn!("p2p stopped; sync answer dropped");
        }
    }
}
