//! Carrying out the engine's outputs, in order, and the logs and metrics they are the source
//! of. A step's write comes first; if the store refuses it, nothing else of the step leaves
//! the node (accepts become ignores, publishes and health changes are dropped) and the node
//! stops.

use super::VerifierNode;
use crate::grpc::change_of;
use crate::metrics as m;
use crate::p2p::{MessageRef, Topic};
use proofmesh_proto::{GossipMessage, Verdict, WireMessage};
use proofmesh_verifier::engine::{HealthChange, Note, Output, Writes};
use proofmesh_verifier::intake::GossipAction;
use proofmesh_verifier::{HealthEffect, HealthState};

impl VerifierNode {
    pub(super) async fn execute(&mut self, outputs: Vec<Output<super::NodeHandles>>) {
        let mut stored = true;
        for output in outputs {
            match output {
                Output::Persist(writes) => {
                    stored = self.persist(&writes);
                    if !stored {
                        self.failed = true;
                    } else {
                        self.put_registry(&writes).await;
                    }
                }
                Output::Report { msg, action } => {
                    let action = if stored { action } else { GossipAction::Ignore };
                    self.report(msg, action).await;
                }
                Output::Verify { job, proofs } => self.workers.submit(job, proofs),
                Output::Publish(message) if stored => self.publish(message).await,
                Output::Health { changes, snapshot } if stored => {
                    self.swap_health(changes, snapshot);
                }
                Output::Publish(_) | Output::Health { .. } => {}
                Output::RequestSync { peer, from } => {
                    if self.p2p.request_sync(peer, from).await.is_err() {
                        tracing::warn!("p2p stopped; cannot request sync");
                    }
                }
                Output::AnswerSync { reply, batches } => {
                    let encoded = batches.iter().map(WireMessage::encode).collect();
                    if self.p2p.respond_sync(reply, encoded).await.is_err() {
                        tracing::warn!("p2p stopped; sync answer dropped");
                    }
                }
                Output::Note(note) => log_note(&note),
            }
        }
    }

    /// Puts the DHT record of every dataset whose registry entries this write made durable
    /// (a node that joins later reads them there).
    async fn put_registry(&self, writes: &Writes) {
        let roots: std::collections::BTreeSet<_> = writes
            .datasets
            .iter()
            .map(|a| a.root)
            .chain(writes.assignments.iter().map(|s| s.slot.dataset))
            .collect();
        for root in roots {
            let registry = &self.engine.intake().registry;
            let Some(record) = proofmesh_verifier::intake::records::dataset_record(registry, &root)
            else {
                continue;
            };
            if self.p2p.put_registry(root, record).await.is_err() {
                tracing::warn!("p2p stopped; DHT registry record not put");
            }
        }
    }

    /// The step's one atomic write, and the logs and counts of what it made durable.
    fn persist(&self, writes: &Writes) -> bool {
        if let Err(e) = self.store.write(writes) {
            tracing::error!(error = %e, "store write failed: stopping the node");
            metrics::counter!(m::STORE_ERRORS, "op" => "write").increment(1);
            return false;
        }
        let proofs = writes.proofs_seen.len() as u64;
        if proofs > 0 {
            metrics::counter!(m::PROOFS_VERIFIED).increment(proofs);
        }
        for c in &writes.certificates {
            let label = verdict_label(c.entry.verdict);
            tracing::info!(
                slot = c.entry.slot.index,
                period = c.period.0,
                verdict = %label,
                signers = c.signers.len(),
                "certificate stored"
            );
            metrics::counter!(m::CERTIFICATES, "verdict" => label).increment(1);
        }
        for a in &writes.datasets {
            tracing::info!(dataset = %a.root, k = a.data_slots, m = a.parity_slots, "dataset announced");
        }
        for s in &writes.assignments {
            tracing::info!(slot = %s.slot, from = s.from_period.0, "slot assigned");
        }
        for _ in &writes.attestations {
            metrics::counter!(m::ATTESTATIONS_RECEIVED, "outcome" => "stored").increment(1);
        }
        true
    }

    fn swap_health(&self, changes: Vec<HealthChange>, snapshot: HealthState) {
        update_dataset_gauges(&snapshot);
        match self.health.write() {
            Ok(mut health) => *health = snapshot,
            Err(_) => tracing::error!("health view lock poisoned"),
        }
        for change in changes {
            log_effect(&change.effect);
            if let Some(wire) = change_of(&change.effect, change.sequence) {
                metrics::counter!(m::HEALTH_CHANGES, "kind" => effect_kind(&change.effect))
                    .increment(1);
                // No subscriber is fine: the change is stored.
                let _ = self.changes.send(wire);
            }
        }
    }

    pub(super) async fn report(&self, msg: MessageRef, action: GossipAction) {
        if self.p2p.report(msg, action).await.is_err() {
            tracing::warn!("p2p stopped; validation result dropped");
        }
    }

    async fn publish(&self, message: GossipMessage) {
        let topic = Topic::of(&message);
        if let GossipMessage::Attestation(_) = &message {
            metrics::counter!(m::ATTESTATIONS_SIGNED).increment(1);
        }
        if self
            .p2p
            .publish(topic, crate::p2p::encode_message(&message))
            .await
            .is_err()
        {
            tracing::warn!("p2p stopped; publish dropped");
        }
    }
}

fn log_note(note: &Note) {
    match note {
        Note::Sealed {
            period,
            valid,
            invalid,
            missing,
            alive,
        } => tracing::info!(
            period = period.0,
            valid,
            invalid,
            missing,
            alive,
            "attestation sealed"
        ),
        Note::NoEntropy(p) => tracing::warn!(period = p.0, "no entropy: cannot seal"),
        Note::Equivocation {
            verifier,
            period,
            slots,
        } => {
            tracing::warn!(
                verifier = verifier.0,
                period = period.0,
                slots,
                "equivocation"
            );
            metrics::counter!(m::ATTESTATIONS_RECEIVED, "outcome" => "equivocation").increment(1);
        }
        Note::DatasetAnnounced(_) | Note::SlotAssigned(_) => {}
        Note::RepairRequested(slot) => {
            tracing::info!(%slot, "repair requested");
            metrics::counter!(m::REPAIR_REQUESTS, "outcome" => "verified").increment(1);
        }
        Note::RepairDecided {
            slot,
            volunteer,
            from,
        } => {
            tracing::info!(%slot, volunteer = %hex::encode(volunteer.0), from = from.0, "repair claimed: the volunteer answers for the slot");
            metrics::counter!(m::REPAIRS, "step" => "decided").increment(1);
        }
        Note::RepairCompleted {
            slot,
            volunteer,
            period,
        } => {
            tracing::info!(%slot, volunteer = %hex::encode(volunteer.0), period = period.0, "repair completed: the rebuilt slot is proven");
            metrics::counter!(m::REPAIRS, "step" => "completed").increment(1);
        }
        Note::RepairExpired { slot, volunteer } => {
            tracing::warn!(%slot, volunteer = %hex::encode(volunteer.0), "repair claim expired undelivered: the slot is open again");
            metrics::counter!(m::REPAIRS, "step" => "expired").increment(1);
        }
        Note::RepairEvidenceMissing(slot) => {
            tracing::warn!(%slot, "slot lost, but its loss certificates are no longer held: no repair request");
        }
        Note::Refused { kind, reason } => {
            tracing::debug!(kind, reason, "gossip refused");
            if *kind == "proof" {
                metrics::counter!(m::PROOFS_REJECTED, "reason" => *reason).increment(1);
            } else if *kind == "attestation" {
                metrics::counter!(m::ATTESTATIONS_RECEIVED, "outcome" => "invalid").increment(1);
            } else if *kind == "repair" {
                metrics::counter!(m::REPAIR_REQUESTS, "outcome" => *reason).increment(1);
            } else if *kind == "announce" || *kind == "assign" {
                metrics::counter!(m::REGISTRY_REJECTED, "kind" => *kind, "reason" => *reason)
                    .increment(1);
            }
        }
        Note::VerifierSetChanged {
            effective_from,
            members,
        } => tracing::info!(from = effective_from.0, members, "verifier set changed"),
        Note::CheckpointRefused(e) => {
            // The store holds a checkpoint the rules cannot reach (damage or a bug): that
            // dataset's health restarts from its announcement and the open periods.
            tracing::error!(error = %e, "stored health checkpoint refused");
            metrics::counter!(m::STORE_ERRORS, "op" => "health_checkpoint").increment(1);
        }
    }
}

fn log_effect(effect: &HealthEffect) {
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
        } => tracing::error!(%dataset, surviving, "dataset unrecoverable"),
        _ => {}
    }
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "valid",
        Verdict::Invalid => "invalid",
        Verdict::Missing => "missing",
        Verdict::Alive => "alive",
    }
}

fn effect_kind(effect: &HealthEffect) -> &'static str {
    match effect {
        HealthEffect::DatasetAdded { .. } => "dataset_added",
        HealthEffect::SlotChanged { .. } => "slot_changed",
        HealthEffect::DatasetChanged { .. } => "dataset_changed",
        HealthEffect::RepairRequested { .. } => "repair_requested",
        HealthEffect::Unrecoverable { .. } => "dataset_unrecoverable",
        _ => "other",
    }
}

/// The per-status dataset gauges from a health view.
pub(crate) fn update_dataset_gauges(health: &HealthState) {
    let mut counts = std::collections::BTreeMap::<&'static str, u64>::new();
    for d in health.datasets() {
        *counts.entry(d.status.label()).or_default() += 1;
    }
    for status in ["healthy", "degraded", "at_risk", "lost"] {
        let n = counts.get(status).copied().unwrap_or(0);
        metrics::gauge!(m::DATASETS, "status" => status).set(n as f64);
    }
}
