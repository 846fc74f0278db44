//! The clock: batch timeouts, early and deadline seals, settling, pruning.

use super::io::Millis;
use super::step::Step;
use super::{Engine, Handles};
use proofmesh_proto::{Period, Verdict};

impl<H: Handles> Engine<H> {
    pub(super) fn on_tick(&mut self, now: Millis, step: &mut Step<H>) {
        let now_s = now / 1000;
        let clock = *self.intake.clock();
        if self
            .pending_since
            .is_some_and(|t| now.saturating_sub(t) >= self.config.batch_delay_ms)
        {
            self.flush(step);
        }
        // Early seal: once every duty of an open period has a valid proof (or, for a heartbeat
        // duty, its heartbeat), nothing can change
        // our verdicts for it (later proofs are `AlreadyProven`), so sign now rather than at
        // the deadline — certificates then follow proofs within network and signing latency.
        let current = clock.period_at(now_s);
        for p in [Period(current.0.saturating_sub(1)), current] {
            if p >= self.next_seal
                && !self.sealed.contains(&p)
                && self.all_valid(p)
                && !self.in_flight(p)
            {
                self.seal(p, step);
            }
        }
        self.seal_due(now_s, step);
        self.repair_tick(now_s, step);
        let due: Vec<Period> = self
            .batches
            .keys()
            .copied()
            .filter(|p| {
                !self.settled.contains(p)
                    && clock.deadline(*p).saturating_add(self.config.settle_secs) <= now_s
            })
            .collect();
        for p in due {
            self.settled.insert(p);
            self.certify(p, step);
        }
        let keep = self.retained_from(now_s);
        if keep > self.pruned_before {
            self.prune_before(keep, step);
        }
    }

    /// Seals every period whose deadline has passed (strictly after the deadline second: a
    /// proof arriving during that second is still accepted, so it must make it into our
    /// batch), once all of its proofs are verified: pending ones are flushed first, and a seal
    /// waits for jobs in flight (it is retried when they come back).
    pub(super) fn seal_due(&mut self, now_s: u64, step: &mut Step<H>) {
        let clock = *self.intake.clock();
        while clock.deadline(self.next_seal) < now_s {
            let p = self.next_seal;
            if self.pending.iter().any(|(_, c)| c.envelope().period == p) {
                self.flush(step);
            }
            if self.in_flight(p) {
                return;
            }
            self.seal(p, step);
            self.next_seal = p.next();
        }
    }

    fn all_valid(&mut self, period: Period) -> bool {
        self.intake.verdicts(period).is_some_and(|v| {
            !v.is_empty()
                && v.iter()
                    .all(|e| matches!(e.verdict, Verdict::Valid | Verdict::Alive))
        })
    }

    fn prune_before(&mut self, keep: Period, step: &mut Step<H>) {
        self.intake.prune_before(keep);
        self.pool.prune_before(keep);
        self.settled = self.settled.split_off(&keep);
        self.sealed = self.sealed.split_off(&keep);
        self.certified = self.certified.split_off(&keep);
        self.answered = self.answered.split_off(&keep);
        self.batches = self.batches.split_off(&keep);
        self.sets.prune_before(keep);
        self.pruned_before = keep;
        // Certificates of the pruned periods are refused from now on: their health is settled,
        // and the checkpoints that changed go in the same write as the prune point.
        step.writes.health_settled = self.health.settle_before(keep);
        step.writes.prune_before = Some(keep);
    }
}
