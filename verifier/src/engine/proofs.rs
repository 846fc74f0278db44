//! Proofs: cheap checks on arrival, bounded verification jobs handed to workers (by size or
//! after the batch delay), and one report per proof when its job's results come back.

use super::io::{JobId, Millis, Note, Output};
use super::step::Step;
use super::{Engine, Handles, Job};
use crate::intake::{GossipAction, IntakeError, VerifiedProof};
use proofmesh_proto::{Period, ProofEnvelope};

impl<H: Handles> Engine<H> {
    pub(super) fn on_proof(
        &mut self,
        msg: H::Msg,
        envelope: ProofEnvelope,
        now: Millis,
        step: &mut Step<H>,
    ) {
        // The checks against our state only: the signature and the proof bytes are checked on
        // the worker, with the job (`verify_checked`), so this one task never waits on them.
        match self.intake.admit(envelope, now / 1000) {
            Ok(checked) => {
                self.pending.push((msg, checked));
                self.pending_since.get_or_insert(now);
                if self.pending.len() >= self.config.batch_size.max(1) {
                    self.flush(step);
                }
            }
            Err(e) => {
                step.note(Note::Refused {
                    kind: "proof",
                    reason: e.reason(),
                });
                step.push(Output::Report {
                    msg,
                    action: e.action(),
                });
            }
        }
    }

    /// Hands every pending proof to a worker as one job.
    pub(super) fn flush(&mut self, step: &mut Step<H>) {
        self.pending_since = None;
        if self.pending.is_empty() {
            return;
        }
        let (msgs, proofs): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.pending).into_iter().unzip();
        let job = JobId(self.next_job);
        self.next_job += 1;
        step.push(Output::Verify {
            job,
            proofs: proofs.clone(),
        });
        self.jobs.insert(job, Job { msgs, proofs });
    }

    pub(super) fn on_verified(
        &mut self,
        job: JobId,
        results: Vec<Result<VerifiedProof, IntakeError>>,
        now_s: u64,
        step: &mut Step<H>,
    ) {
        let Some(Job { msgs, proofs }) = self.jobs.remove(&job) else {
            // Not ours (a stale or duplicated result): nothing is waiting for it.
            return;
        };
        // A result list of the wrong length is a local fault: the missing ones are reported
        // Ignore and their proofs stay unverified (they may arrive again).
        let mut results = results.into_iter();
        let mut outcomes = Vec::with_capacity(proofs.len());
        for _ in 0..proofs.len() {
            outcomes.push(results.next().unwrap_or(Err(IntakeError::NotVerified(
                "worker returned too few results",
            ))));
        }
        self.intake.record(&proofs, &outcomes);
        for ((msg, proof), outcome) in msgs.into_iter().zip(&proofs).zip(outcomes) {
            let action = match outcome {
                Ok(v) => {
                    step.writes.proofs_seen.push((v.id(), v.period()));
                    GossipAction::Accept
                }
                Err(e) => {
                    step.note(Note::Refused {
                        kind: "proof",
                        reason: e.reason(),
                    });
                    if e.action() == GossipAction::Ignore {
                        // Not judged: let the same proof be checked again if it comes back.
                        self.intake.forget(&proof.id());
                    }
                    e.action()
                }
            };
            step.push(Output::Report { msg, action });
        }
        // A seal may have been waiting for this job.
        self.seal_due(now_s, step);
    }

    /// Whether a proof of `period` is waiting for a job or in one (its seal must wait).
    pub(super) fn in_flight(&self, period: Period) -> bool {
        self.pending
            .iter()
            .any(|(_, c)| c.envelope().period == period)
            || self
                .jobs
                .values()
                .any(|j| j.proofs.iter().any(|c| c.envelope().period == period))
    }
}
