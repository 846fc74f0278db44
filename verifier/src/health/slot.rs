//! One slot's health: its state, the certificates that justify it, and the transition rules
//! driven by final verdicts and repair events. The dataset view in `state` is built on top.

use proofmesh_proto::{ContentId, Period, Verdict};

use super::config::HealthConfig;
use super::event::IgnoreReason;

/// Where a slot stands, from the final verdicts on its duties (DESIGN §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SlotState {
    /// The last required proof was valid (or, before any duty, presumed so: the owner has just
    /// committed to the slot; the evidence is then empty, so a client can tell the two apart).
    Healthy,
    /// `n` consecutive failed duties, the latest one final Missing. Below the miss budget:
    /// not lost yet, but not healthy either.
    Missed(u32),
    /// The latest duty ended in a final Invalid (the provider answered, but with a proof the
    /// quorum rejected). Counts as a failed duty; below the budgets, not lost yet.
    Invalid,
    /// Past the miss or invalid budget: the slot's data is presumed gone until a valid proof
    /// or a completed repair shows otherwise. Triggers a repair request while recoverable.
    Lost,
    /// A volunteer has claimed the repair of this lost slot and is rebuilding it.
    Repairing,
}

impl SlotState {
    /// A short lowercase name, for metric labels and logs.
    pub fn label(&self) -> &'static str {
        match self {
            SlotState::Healthy => "healthy",
            SlotState::Missed(_) => "missed",
            SlotState::Invalid => "invalid",
            SlotState::Lost => "lost",
            SlotState::Repairing => "repairing",
        }
    }
}

/// A slot's health with the evidence behind it, so a client can check the claim against the
/// certificates instead of trusting the node that serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotHealth {
    state: SlotState,
    since: Option<Period>,
    latest: Option<(Period, Verdict)>,
    misses: u32,
    invalids: u32,
    evidence: Vec<ContentId>,
    repair_requested: bool,
}

/// A state change of one slot, reported by the transition functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Transition {
    pub(crate) from: SlotState,
    pub(crate) to: SlotState,
}

impl Default for SlotHealth {
    fn default() -> Self {
        Self::new()
    }
}

impl SlotHealth {
    /// A freshly announced slot: Healthy by presumption, no evidence, no verdict yet.
    pub fn new() -> Self {
        Self {
            state: SlotState::Healthy,
            since: None,
            latest: None,
            misses: 0,
            invalids: 0,
            evidence: Vec::new(),
            repair_requested: false,
        }
    }

    /// The slot's state.
    pub fn state(&self) -> SlotState {
        self.state
    }

    /// The period the current state began (`None`: Healthy since announcement, no verdict).
    pub fn since(&self) -> Option<Period> {
        self.since
    }

    /// The latest period for which a final verdict (or a completed repair) was applied and
    /// what it was; older verdicts are ignored as stale, so the state never rolls back.
    pub fn latest(&self) -> Option<(Period, Verdict)> {
        self.latest
    }

    /// Consecutive failed duties in the current run (0 when Healthy).
    pub fn misses(&self) -> u32 {
        self.misses
    }

    /// Final Invalid verdicts in the current run of failed duties.
    pub fn invalids(&self) -> u32 {
        self.invalids
    }

    /// The certificates that justify the state: Healthy — the latest Valid certificate (or
    /// the repair's); Missed / Invalid — one per failed duty of the run, oldest first;
    /// Lost / Repairing — the run that made the slot lost, the last one being the loss
    /// certificate. Frozen while Lost or Repairing, so it stays bounded by the budgets.
    pub fn evidence(&self) -> &[ContentId] {
        &self.evidence
    }

    /// Whether a repair request was already raised (or a repair claimed) for the current
    /// loss, so it is never raised twice.
    pub fn repair_requested(&self) -> bool {
        self.repair_requested
    }

    /// The loss behind a repair request: the period the slot was declared lost and the
    /// certificate that did it. `None` unless the slot is Lost.
    pub fn loss(&self) -> Option<(Period, ContentId)> {
        match (self.state, self.since, self.evidence.last()) {
            (SlotState::Lost, Some(p), Some(c)) => Some((p, *c)),
            _ => None,
        }
    }

    /// Whether the slot counts toward the dataset's healthy slots.
    pub fn is_healthy(&self) -> bool {
        self.state == SlotState::Healthy
    }

    pub(crate) fn mark_repair_requested(&mut self) {
        self.repair_requested = true;
    }

    /// Applies a final verdict. Periods older than the latest applied one are stale; the same
    /// period again is a duplicate (same verdict) or a conflict (another verdict).
    pub(crate) fn on_verdict(
        &mut self,
        period: Period,
        verdict: Verdict,
        certificate: ContentId,
        config: &HealthConfig,
    ) -> Result<Option<Transition>, IgnoreReason> {
        self.check_newer(period, verdict)?;
        self.latest = Some((period, verdict));
        let from = self.state;
        let to = match (verdict, from) {
            (Verdict::Valid, _) => {
                self.become_healthy(certificate);
                SlotState::Healthy
            }
            // Lost and Repairing slots are already written off: further failures add nothing
            // (and the evidence stays the run that caused the loss).
            (_, SlotState::Lost | SlotState::Repairing) => from,
            (_, _) => {
                if from == SlotState::Healthy {
                    self.misses = 0;
                    self.invalids = 0;
                    self.evidence.clear();
                }
                self.misses = self.misses.saturating_add(1);
                if verdict == Verdict::Invalid {
                    self.invalids = self.invalids.saturating_add(1);
                }
                self.evidence.push(certificate);
                if self.misses >= config.miss_budget.get()
                    || self.invalids >= config.invalid_budget.get()
                {
                    SlotState::Lost
                } else if verdict == Verdict::Invalid {
                    SlotState::Invalid
                } else {
                    SlotState::Missed(self.misses)
                }
            }
        };
        Ok(self.enter(from, to, period))
    }

    /// A volunteer claimed the repair of this lost slot.
    pub(crate) fn on_repair_started(
        &mut self,
        period: Period,
    ) -> Result<Option<Transition>, IgnoreReason> {
        match self.state {
            SlotState::Repairing => Err(IgnoreReason::Duplicate),
            SlotState::Lost if self.since.is_some_and(|s| period < s) => Err(IgnoreReason::Stale),
            SlotState::Lost => {
                // Someone is on it: never request this loss's repair afterwards.
                self.repair_requested = true;
                Ok(self.enter(SlotState::Lost, SlotState::Repairing, period))
            }
            _ => Err(IgnoreReason::NoRepairPending),
        }
    }

    /// The rebuilt slot proved valid: back to Healthy on the repair's certificate.
    pub(crate) fn on_repair_completed(
        &mut self,
        period: Period,
        certificate: ContentId,
    ) -> Result<Option<Transition>, IgnoreReason> {
        let from = self.state;
        if !matches!(from, SlotState::Lost | SlotState::Repairing) {
            return Err(IgnoreReason::NoRepairPending);
        }
        let not_newer = self.latest.is_some_and(|(p, _)| period <= p);
        if not_newer || self.since.is_some_and(|s| period < s) {
            return Err(IgnoreReason::Stale);
        }
        self.latest = Some((period, Verdict::Valid));
        self.become_healthy(certificate);
        Ok(self.enter(from, SlotState::Healthy, period))
    }

    fn check_newer(&self, period: Period, verdict: Verdict) -> Result<(), IgnoreReason> {
        match self.latest {
            Some((p, _)) if period < p => Err(IgnoreReason::Stale),
            Some((p, v)) if period == p && v == verdict => Err(IgnoreReason::Duplicate),
            Some((p, _)) if period == p => Err(IgnoreReason::Conflicting),
            _ => Ok(()),
        }
    }

    fn become_healthy(&mut self, certificate: ContentId) {
        self.misses = 0;
        self.invalids = 0;
        self.evidence.clear();
        self.evidence.push(certificate);
        self.repair_requested = false;
    }

    fn enter(&mut self, from: SlotState, to: SlotState, period: Period) -> Option<Transition> {
        if from == to {
            return None;
        }
        self.state = to;
        self.since = Some(period);
        Some(Transition { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cid(n: u8) -> ContentId {
        ContentId([n; 32])
    }

    fn verdict(s: &mut SlotHealth, p: u64, v: Verdict, c: u8) -> Option<SlotState> {
        s.on_verdict(Period(p), v, cid(c), &HealthConfig::default())
            .ok()
            .flatten()
            .map(|t| t.to)
    }

    #[test]
    fn invalid_then_missing_is_lost_at_default_budget() {
        let mut s = SlotHealth::new();
        assert_eq!(
            verdict(&mut s, 1, Verdict::Invalid, 1),
            Some(SlotState::Invalid)
        );
        assert_eq!(
            verdict(&mut s, 2, Verdict::Missing, 2),
            Some(SlotState::Lost)
        );
        assert_eq!(s.evidence(), &[cid(1), cid(2)]);
        assert_eq!(s.loss(), Some((Period(2), cid(2))));
    }

    #[test]
    fn healthy_evidence_is_the_latest_valid_certificate() {
        let mut s = SlotHealth::new();
        assert_eq!(verdict(&mut s, 1, Verdict::Valid, 1), None);
        assert_eq!(verdict(&mut s, 2, Verdict::Valid, 2), None);
        assert_eq!(s.evidence(), &[cid(2)]);
        assert_eq!(s.since(), None, "still Healthy since announcement");
    }

    #[test]
    fn same_period_other_verdict_is_a_conflict() {
        let mut s = SlotHealth::new();
        verdict(&mut s, 3, Verdict::Valid, 1);
        let r = s.on_verdict(
            Period(3),
            Verdict::Missing,
            cid(2),
            &HealthConfig::default(),
        );
        assert_eq!(r, Err(IgnoreReason::Conflicting));
        assert_eq!(s.evidence(), &[cid(1)]);
    }

    #[test]
    fn repair_needs_a_loss() {
        let mut s = SlotHealth::new();
        assert_eq!(
            s.on_repair_started(Period(1)),
            Err(IgnoreReason::NoRepairPending)
        );
        assert_eq!(
            s.on_repair_completed(Period(1), cid(1)),
            Err(IgnoreReason::NoRepairPending)
        );
    }
}
