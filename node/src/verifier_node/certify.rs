//! Our attestation at each deadline, certificates from the pool, and the health changes they
//! cause — stored atomically, then broadcast and published.

use super::{store_error, VerifierNode};
use crate::grpc::change_of;
use crate::metrics as m;
use crate::p2p::Topic;
use proofmesh_proto::wire::pb;
use proofmesh_proto::{Period, QuorumCertificate, WireMessage};
use proofmesh_verifier::{sign_batch, sign_repair_request, HealthEffect, HealthEvent};
use std::collections::HashMap;

impl VerifierNode {
    /// Signs and publishes our verdicts for `period` (once; never for a period this run did
    /// not observe from its start, so an offline stretch is never attested as Missing).
    pub(super) async fn seal(&mut self, period: Period) {
        let Some(signer) = &self.signer else { return };
        if period < self.first_full_period || self.sealed.contains(&period) {
            return;
        }
        let Some(entries) = self.intake.verdicts(period) else {
            tracing::warn!(period = period.0, "no entropy: cannot seal");
            return;
        };
        self.sealed.insert(period);
        if entries.is_empty() {
            return;
        }
        let batch = match sign_batch(&signer.keypair, signer.index, period, entries) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(period = period.0, error = %e, "cannot sign attestation");
                return;
            }
        };
        let counts = batch.entries.iter().fold([0usize; 3], |mut c, e| {
            c[match e.verdict {
                proofmesh_proto::Verdict::Valid => 0,
                proofmesh_proto::Verdict::Invalid => 1,
                proofmesh_proto::Verdict::Missing => 2,
            }] += 1;
            c
        });
        tracing::info!(
            period = period.0,
            valid = counts[0],
            invalid = counts[1],
            missing = counts[2],
            "attestation sealed"
        );
        // Stored (synced) before it is published: an attestation we signed is never lost.
        if self.insert_batch(batch.clone()) != proofmesh_verifier::intake::GossipAction::Accept {
            tracing::error!(
                period = period.0,
                "own attestation not stored; not published"
            );
            return;
        }
        metrics::counter!(m::ATTESTATIONS_SIGNED).increment(1);
        self.publish(Topic::Attestations, batch.encode()).await;
        self.certify_if_ready(period).await;
    }

    /// Forms certificates for `period` when it has settled or every member's batch is in.
    pub(super) async fn certify_if_ready(&mut self, period: Period) {
        let members = self.set.members.len();
        let signers = self.batches.get(&period).map_or(0, HashMap::len);
        if self.settled.contains(&period) || signers >= members {
            self.certify(period, true).await;
        }
    }

    /// Stores certificates of `period` that are new or carry more signers than ours.
    /// Returns false if the store refused them (the caller retries later).
    pub(super) async fn certify(&mut self, period: Period, publish: bool) -> bool {
        let fresh: Vec<QuorumCertificate> = self
            .pool
            .certificates(period, &self.set)
            .into_iter()
            .filter(|c| self.improves(&(c.period, c.entry.slot), c))
            .collect();
        fresh.is_empty() || self.store_certificates(fresh, publish).await
    }

    /// Whether `cert` should replace what we hold for `key`: more signers, or as many with a
    /// smaller content id — a total order, so every node ends on the same certificate.
    pub(super) fn improves(
        &self,
        key: &(Period, proofmesh_proto::SlotId),
        cert: &QuorumCertificate,
    ) -> bool {
        self.certified.get(key).is_none_or(|(id, have)| {
            let n = cert.signers.len();
            n > *have || (n == *have && cert.content_id() < *id)
        })
    }

    /// Applies certificates to health, stores both atomically, then broadcasts the changes and
    /// (if `publish`) gossips the certificates. Returns false if the store refused them.
    pub(super) async fn store_certificates(
        &mut self,
        certs: Vec<QuorumCertificate>,
        publish: bool,
    ) -> bool {
        let events: Vec<HealthEvent> = certs
            .iter()
            .filter(|c| !self.certified.contains_key(&(c.period, c.entry.slot)))
            .map(|c| HealthEvent::FinalVerdict {
                slot: c.entry.slot,
                period: c.period,
                verdict: c.entry.verdict,
                certificate: c.content_id(),
            })
            .collect();
        if !self.apply_health(&events, &certs).await {
            return false;
        }
        for c in &certs {
            let label = format!("{:?}", c.entry.verdict).to_lowercase();
            tracing::info!(
                slot = c.entry.slot.index,
                period = c.period.0,
                verdict = %label,
                signers = c.signers.len(),
                "certificate stored"
            );
            metrics::counter!(m::CERTIFICATES, "verdict" => label).increment(1);
            self.certified
                .insert((c.period, c.entry.slot), (c.content_id(), c.signers.len()));
            if publish {
                self.publish(Topic::Certificates, c.encode()).await;
            }
        }
        true
    }

    /// Applies events to the health view and stores the resulting changes with `certs` in
    /// one atomic write; broadcasts the changes and gossips repair requests afterwards.
    pub(super) async fn apply_health(
        &mut self,
        events: &[HealthEvent],
        certs: &[QuorumCertificate],
    ) -> bool {
        // Applied to a copy, swapped in only once the store has the certificates and the
        // changes: readers never see a state the store does not hold.
        let mut effects = Vec::new();
        let Ok(mut next) = self.health.read().map(|h| h.clone()) else {
            tracing::error!("health view lock poisoned");
            return false;
        };
        for e in events {
            effects.extend(next.apply(e.clone()));
        }
        let mut changes: Vec<pb::HealthChange> = Vec::new();
        for effect in &effects {
            if let HealthEffect::Ignored(reason) = effect {
                tracing::debug!(reason = reason.label(), "health event ignored");
                continue;
            }
            if let Some(change) = change_of(effect, self.sequence + 1 + changes.len() as u64) {
                changes.push(change);
            }
        }
        if let Err(e) = self.store.put_certificates(certs, &changes) {
            store_error("put_certificates", &e);
            return false;
        }
        match self.health.write() {
            Ok(mut health) => {
                update_dataset_gauges(&next);
                *health = next;
            }
            Err(_) => {
                tracing::error!("health view lock poisoned");
                return false;
            }
        }
        self.sequence += changes.len() as u64;
        for change in changes {
            metrics::counter!(m::HEALTH_CHANGES, "kind" => change_kind(&change)).increment(1);
            // No subscriber is fine: the change is stored.
            let _ = self.changes.send(change);
        }
        for effect in effects {
            self.log_effect(&effect);
            if let HealthEffect::RepairRequested {
                slot,
                period,
                certificate,
            } = effect
            {
                if let Some(s) = &self.signer {
                    let req = sign_repair_request(&s.keypair, s.index, slot, period, certificate);
                    self.publish(Topic::Repair, req.encode()).await;
                }
            }
        }
        true
    }

    fn log_effect(&self, effect: &HealthEffect) {
        match effect {
            HealthEffect::SlotChanged {
                slot,
                from,
                to,
                period,
                ..
            } => tracing::info!(
                %slot, period = period.0, from = from.label(), to = to.label(), "slot health changed"
            ),
            HealthEffect::DatasetChanged {
                dataset,
                from,
                to,
                period,
            } => tracing::info!(
                %dataset, period = period.0, from = from.label(), to = to.label(), "dataset health changed"
            ),
            HealthEffect::RepairRequested { slot, period, .. } => {
                tracing::warn!(%slot, period = period.0, "slot lost: repair requested")
            }
            HealthEffect::Unrecoverable {
                dataset, surviving, ..
            } => {
                tracing::error!(%dataset, surviving, "dataset unrecoverable")
            }
            _ => {}
        }
    }

    pub(super) async fn publish(&self, topic: Topic, data: Vec<u8>) {
        if self.p2p.publish(topic, data).await.is_err() {
            tracing::warn!("p2p stopped; publish dropped");
        }
    }

    /// Re-publishes our own stored batches of recent periods (after a restart they may never
    /// have left this node; peers ignore what they have).
    pub(super) async fn republish_own(&self) {
        let Some(signer) = &self.signer else { return };
        let own: Vec<Vec<u8>> = self
            .sealed
            .iter()
            .flat_map(|p| self.pool.batches(*p))
            .filter(|b| b.verifier == signer.index)
            .map(WireMessage::encode)
            .collect();
        for data in own {
            self.publish(Topic::Attestations, data).await;
        }
    }
}

pub(super) fn update_dataset_gauges(health: &proofmesh_verifier::HealthState) {
    let mut counts = std::collections::BTreeMap::<&'static str, u64>::new();
    for d in health.datasets() {
        *counts.entry(d.status.label()).or_default() += 1;
    }
    for status in ["healthy", "degraded", "at_risk", "lost"] {
        let n = counts.get(status).copied().unwrap_or(0);
        metrics::gauge!(m::DATASETS, "status" => status).set(n as f64);
    }
}

fn change_kind(change: &pb::HealthChange) -> &'static str {
    use pb::health_change::Change;
    match change.change {
        Some(Change::DatasetAdded(_)) => "dataset_added",
        Some(Change::SlotChanged(_)) => "slot_changed",
        Some(Change::DatasetChanged(_)) => "dataset_changed",
        Some(Change::RepairRequested(_)) => "repair_requested",
        Some(Change::DatasetUnrecoverable(_)) => "dataset_unrecoverable",
        None => "none",
    }
}
