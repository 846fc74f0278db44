//! Repair in the engine: a loss (our own health's, or a verified repair request's) opens a
//! round in the claim book; volunteers' signed claims are taken until its deadline; at each
//! tick the book's decisions are carried out — the winner answers for the slot from its
//! first period (health: Lost → Repairing; the registry accepts its proofs for the slot, on
//! the loss's evidence and the winning claim, never on anyone's say-so), a winner that did
//! not deliver in time expires (Repairing → Lost; the slot is open again), and the first
//! certified Valid proof in the winner's time completes the repair (Healthy, by the verdict).

use super::io::Note;
use super::step::Step;
use super::{Engine, Handles};
use crate::intake::GossipAction;
use crate::repair::{ClaimError, RepairStep};
use crate::HealthEvent;
use proofmesh_proto::{Period, RepairClaim, SlotId};

impl<H: Handles> Engine<H> {
    /// Opens the repair round of a loss (the same loss twice changes nothing).
    pub(super) fn open_repair(
        &mut self,
        slot: SlotId,
        loss: proofmesh_proto::ContentId,
        period: Period,
    ) {
        self.repairs.open(slot, loss, period);
    }

    /// A volunteer's claim: signed by the key it names (else Reject), then taken by the claim
    /// book at the current period (not taken: Ignore — an unknown or closed loss, a late or
    /// duplicate claim, a benched volunteer; none of them a lie).
    pub(super) fn on_claim(
        &mut self,
        claim: &RepairClaim,
        now_s: u64,
    ) -> (GossipAction, &'static str) {
        if !crate::intake::provider_signature_ok(
            &claim.volunteer,
            &claim.signing_bytes(),
            &claim.signature,
        ) {
            return (GossipAction::Reject, "bad_signature");
        }
        let current = self.intake.clock().period_at(now_s);
        match self.repairs.offer(claim, current) {
            Ok(()) => (GossipAction::Accept, "taken"),
            Err(ClaimError::NoSuchLoss(_)) => (GossipAction::Ignore, "no_such_loss"),
            Err(ClaimError::Late(_)) => (GossipAction::Ignore, "late"),
            Err(ClaimError::Benched(_)) => (GossipAction::Ignore, "benched"),
            Err(ClaimError::Duplicate) => (GossipAction::Ignore, "duplicate"),
        }
    }

    /// Carries out the claim book's decisions due at `now_s`.
    pub(super) fn repair_tick(&mut self, now_s: u64, step: &mut Step<H>) {
        let current = self.intake.clock().period_at(now_s);
        let mut events = Vec::new();
        for s in self.repairs.tick(current) {
            match s {
                RepairStep::Decided {
                    slot,
                    volunteer,
                    from,
                    ..
                } => {
                    self.intake
                        .registry
                        .set_repair(slot, Some((from, volunteer)));
                    step.note(Note::RepairDecided {
                        slot,
                        volunteer,
                        from,
                    });
                    events.push(HealthEvent::RepairStarted { slot, period: from });
                }
                RepairStep::Expired {
                    slot,
                    volunteer,
                    period,
                } => {
                    self.intake.registry.set_repair(slot, None);
                    step.note(Note::RepairExpired { slot, volunteer });
                    events.push(HealthEvent::RepairExpired { slot, period });
                }
            }
        }
        self.apply_health(events, step);
    }

    /// A certified Valid proof of `slot` for `period`: delivery, if it is the winner's.
    pub(super) fn repair_delivered(&mut self, slot: &SlotId, period: Period, step: &mut Step<H>) {
        if let Some(volunteer) = self.repairs.delivered(slot, period) {
            step.note(Note::RepairCompleted {
                slot: *slot,
                volunteer,
                period,
            });
        }
    }
}
