//! Gossip dispatch and the registry: dataset announcements, owner-signed slot assignments
//! (kept until their dataset is announced), providers' heartbeats and repair requests. Each gossip message gets
//! exactly one report; a refused registry message is noted with its error's reason.
//!
//! A valid record we already hold is still *accepted*: its publisher re-publishes it so that
//! nodes that joined late learn it, and only an Accept makes gossipsub forward it past us to
//! nodes that are not directly connected to the publisher.

use super::io::{Millis, Note, Output};
use super::step::Step;
use super::{Engine, Handles};
use crate::intake::{GossipAction, IntakeError};
use crate::HealthEvent;
use proofmesh_proto::{DatasetAnnounce, DatasetRoot, GossipMessage, SlotAssign};

impl<H: Handles> Engine<H> {
    pub(super) fn on_gossip(
        &mut self,
        msg: H::Msg,
        message: GossipMessage,
        now: Millis,
        step: &mut Step<H>,
    ) {
        let now_s = now / 1000;
        let mut reason = "invalid";
        let mut registry = |outcome: Result<GossipAction, IntakeError>| match outcome {
            Ok(action) => action,
            Err(e) => {
                reason = e.reason();
                e.action()
            }
        };
        let (kind, action) = match message {
            GossipMessage::Proof(envelope) => return self.on_proof(msg, envelope, now, step),
            GossipMessage::Announce(a) => ("announce", registry(self.on_announce(a, step))),
            GossipMessage::Assign(s) => ("assign", registry(self.on_assign(s, step))),
            GossipMessage::Attestation(batch) => {
                let period = batch.period;
                let action = self.insert_batch(batch, now_s, step);
                if action == GossipAction::Accept {
                    self.certify_if_ready(period, step);
                }
                ("attestation", action)
            }
            GossipMessage::Certificate(cert) => ("certificate", self.on_certificate(cert, step)),
            GossipMessage::Heartbeat(hb) => {
                let outcome = self
                    .intake
                    .heartbeat(&hb, now_s)
                    .map(|_| GossipAction::Accept);
                ("heartbeat", registry(outcome))
            }
            GossipMessage::Claim(claim) => {
                let (action, why) = self.on_claim(&claim, now_s);
                reason = why;
                ("claim", action)
            }
            GossipMessage::Repair(request) => {
                let action = match self.on_repair_request(&request) {
                    Ok(()) => {
                        step.note(Note::RepairRequested(request.slot));
                        self.open_repair(request.slot, request.certificate, request.period);
                        GossipAction::Accept
                    }
                    Err(e) => {
                        reason = e.reason();
                        e.action()
                    }
                };
                ("repair", action)
            }
        };
        if action == GossipAction::Reject {
            step.note(Note::Refused { kind, reason });
        }
        step.push(Output::Report { msg, action });
    }

    /// Registry messages read from the DHT: announcements first (an assignment needs its
    /// dataset), each checked as if gossiped; a refused one is noted, never reported.
    pub(super) fn on_registry_records(&mut self, messages: Vec<GossipMessage>, step: &mut Step<H>) {
        let (announces, rest): (Vec<_>, Vec<_>) = messages
            .into_iter()
            .partition(|m| matches!(m, GossipMessage::Announce(_)));
        for m in announces.into_iter().chain(rest) {
            let (kind, outcome) = match m {
                GossipMessage::Announce(a) => ("announce", self.on_announce(a, step)),
                GossipMessage::Assign(s) => ("assign", self.on_assign(s, step)),
                _ => continue,
            };
            if let Err(e) = outcome {
                if e.action() == GossipAction::Reject {
                    step.note(Note::Refused {
                        kind,
                        reason: e.reason(),
                    });
                }
            }
        }
    }

    fn on_announce(
        &mut self,
        a: DatasetAnnounce,
        step: &mut Step<H>,
    ) -> Result<GossipAction, IntakeError> {
        match self.intake.registry.announce(a.clone()) {
            Ok(true) => {
                step.writes.datasets.push(a.clone());
                step.note(Note::DatasetAnnounced(a.root));
                self.adopt_orphan_claims(&a.root, step);
                let mut events = vec![HealthEvent::announced(&a)];
                for c in self.orphan_certs.remove(&a.root).unwrap_or_default() {
                    // Only the certificate still held for its duty (a better one may have
                    // replaced it while both waited).
                    let id = proofmesh_proto::WireMessage::content_id(&c);
                    if self
                        .held(&(c.period, c.entry.slot))
                        .is_some_and(|h| h.id == id)
                    {
                        events.push(super::verdict_of(&c, id));
                    }
                }
                self.apply_health(events, step);
                Ok(GossipAction::Accept)
            }
            // Known and valid: forward it (see the module doc).
            Ok(false) => Ok(GossipAction::Accept),
            Err(e) => Err(e),
        }
    }

    /// An assignment new here (or replacing a losing one: the owner equivocated, and the
    /// smaller content id wins at every node) is written and forwarded. The replacement only
    /// changes whose proofs are accepted for the slot from then on; proofs already verified
    /// and batches already signed stand.
    fn on_assign(
        &mut self,
        s: SlotAssign,
        step: &mut Step<H>,
    ) -> Result<GossipAction, IntakeError> {
        match self.intake.registry.assign(s.clone()) {
            Ok(true) => {
                step.note(Note::SlotAssigned(s.slot));
                step.writes.assignments.push(s);
                Ok(GossipAction::Accept)
            }
            Ok(false) => Ok(GossipAction::Accept),
            Err(IntakeError::UnknownDataset(_)) => {
                if self.orphan_claims.len() < self.config.max_orphans
                    && !self.orphan_claims.contains(&s)
                {
                    self.orphan_claims.push(s);
                }
                Ok(GossipAction::Ignore)
            }
            Err(e) => Err(e),
        }
    }

    /// Applies the assignments that were waiting for `root`'s announcement.
    fn adopt_orphan_claims(&mut self, root: &DatasetRoot, step: &mut Step<H>) {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.orphan_claims)
            .into_iter()
            .partition(|s| s.slot.dataset == *root);
        self.orphan_claims = rest;
        for s in mine {
            if let Ok(true) = self.intake.registry.assign(s.clone()) {
                step.note(Note::SlotAssigned(s.slot));
                step.writes.assignments.push(s);
            }
        }
    }
}
