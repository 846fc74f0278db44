//! The proofs queue: cheap checks on arrival, then batch verification (size or time) off the
//! async workers, then one report per proof.

use super::{now_secs, store_error, VerifierNode};
use crate::metrics as m;
use crate::p2p::{GossipMessage, Inbound};
use proofmesh_verifier::intake::GossipAction;
use rand::rngs::OsRng;
use std::time::Instant;

impl VerifierNode {
    pub(super) async fn on_proof_message(&mut self, inbound: Inbound) {
        let Inbound::Gossip { msg, message } = inbound else {
            return;
        };
        let GossipMessage::Proof(envelope) = message else {
            // The swarm routes only proofs here; anything else is not ours to judge.
            self.report(msg, GossipAction::Ignore).await;
            return;
        };
        metrics::counter!(m::PROOFS_RECEIVED).increment(1);
        // Dedupe across restarts: a proof this node verified before it restarted is known.
        if self
            .store
            .proof_seen(&proofmesh_proto::WireMessage::content_id(&envelope))
            .unwrap_or(false)
        {
            metrics::counter!(m::PROOFS_REJECTED, "reason" => "duplicate").increment(1);
            self.report(msg, GossipAction::Ignore).await;
            return;
        }
        match self.intake.check(envelope, now_secs()) {
            Ok(checked) => {
                self.pending.push((msg, checked));
                self.pending_since.get_or_insert_with(Instant::now);
                if self.pending.len() >= self.tuning.batch_size {
                    self.flush_proofs().await;
                }
            }
            Err(e) => {
                tracing::debug!(reason = e.reason(), error = %e, "proof refused");
                metrics::counter!(m::PROOFS_REJECTED, "reason" => e.reason()).increment(1);
                self.report(msg, e.action()).await;
            }
        }
    }

    /// Verifies every pending proof as one batch and reports each.
    pub(super) async fn flush_proofs(&mut self) {
        self.pending_since = None;
        if self.pending.is_empty() {
            return;
        }
        let (msgs, checked): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.pending).into_iter().unzip();
        let started = Instant::now();
        let intake = &mut self.intake;
        // CPU-bound pairing work: let the runtime move other tasks off this worker meanwhile.
        let results = tokio::task::block_in_place(|| intake.verify(&checked, &mut OsRng));
        metrics::histogram!(m::VERIFY_BATCH_SECONDS).record(started.elapsed().as_secs_f64());
        metrics::histogram!(m::VERIFY_BATCH_SIZE).record(checked.len() as f64);
        for ((msg, c), result) in msgs.into_iter().zip(&checked).zip(results) {
            let action = match result {
                Ok(v) => {
                    metrics::counter!(m::PROOFS_VERIFIED).increment(1);
                    tracing::debug!(slot = %v.slot(), period = v.period().0, "proof verified");
                    if let Err(e) = self.store.mark_proof_seen(&v.id(), v.period()) {
                        store_error("mark_proof_seen", &e);
                    }
                    GossipAction::Accept
                }
                Err(e) => {
                    tracing::warn!(slot = %c.envelope().slot, period = c.envelope().period.0, reason = e.reason(), "proof rejected");
                    metrics::counter!(m::PROOFS_REJECTED, "reason" => e.reason()).increment(1);
                    e.action()
                }
            };
            self.report(msg, action).await;
        }
    }
}
