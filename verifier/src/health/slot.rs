//! One slot's health: its state, the certificates that justify it, and the transition rules
//! driven by final verdicts and repair events (applied in period order by `timeline`). The
//! dataset view in `state` is built on top.

use proofmesh_proto::{ContentId, Period, Verdict};

use super::config::HealthConfig;
use super::event::IgnoreReason;
use super::CheckpointError;

/// Where a slot stands, from the final verdicts on its duties (DESIGN §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SlotState {
    /// The last duty was met: a valid proof, or for a dataset owing no proofs a heartbeat (the
    /// slot is then *claimed* alive, not proven: [`SlotHealth::latest`] says `Alive`, not
    /// `Valid`). Before any duty, presumed so: the owner has just committed to the slot; the
    /// evidence is then empty, so a client can tell the two apart.
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
///
/// Everything but [`repair_requested`](Self::repair_requested) is a function of the slot's
/// certified events in period order; that flag is this node's memory of what it already
/// gossiped.
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

/// The stored form of a [`SlotHealth`]: every field that follows from the slot's events
/// ([`SlotHealth::parts`], back with [`SlotHealth::from_parts`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotHealthParts {
    /// [`SlotHealth::state`].
    pub state: SlotState,
    /// [`SlotHealth::since`].
    pub since: Option<Period>,
    /// [`SlotHealth::latest`].
    pub latest: Option<(Period, Verdict)>,
    /// [`SlotHealth::misses`].
    pub misses: u32,
    /// [`SlotHealth::invalids`].
    pub invalids: u32,
    /// [`SlotHealth::evidence`].
    pub evidence: Vec<ContentId>,
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
    /// loss, so it is never raised twice. Cleared when the slot leaves Lost / Repairing.
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

    /// Whether the slot is written off (Lost or Repairing): failures change nothing more.
    pub fn is_written_off(&self) -> bool {
        matches!(self.state, SlotState::Lost | SlotState::Repairing)
    }

    pub(crate) fn set_repair_requested(&mut self, requested: bool) {
        self.repair_requested = requested;
    }

    /// The fields that are a function of the slot's events, for storing it.
    pub fn parts(&self) -> SlotHealthParts {
        SlotHealthParts {
            state: self.state,
            since: self.since,
            latest: self.latest,
            misses: self.misses,
            invalids: self.invalids,
            evidence: self.evidence.clone(),
        }
    }

    /// A slot's health back from its stored parts (no repair requested), checked to be one the
    /// transition rules can reach: the counts match the state, every failed duty of the run has
    /// its certificate, and a state other than the presumed Healthy has a period.
    pub fn from_parts(p: SlotHealthParts) -> Result<Self, CheckpointError> {
        let bad = |why: &'static str| Err(CheckpointError::Slot(why));
        let failing = matches!(
            p.state,
            SlotState::Missed(_) | SlotState::Invalid | SlotState::Lost | SlotState::Repairing
        );
        if p.invalids > p.misses {
            return bad("more invalid verdicts than failed duties");
        }
        match p.state {
            SlotState::Healthy if p.misses != 0 || p.evidence.len() > 1 => {
                return bad("a healthy slot with a run of failed duties");
            }
            SlotState::Missed(n) if n == 0 || n != p.misses => {
                return bad("Missed(n) with another miss count");
            }
            SlotState::Invalid if p.invalids == 0 => {
                return bad("Invalid without an invalid verdict")
            }
            _ => {}
        }
        if failing && (p.misses == 0 || usize::try_from(p.misses).ok() != Some(p.evidence.len())) {
            return bad("a failed duty without its certificate");
        }
        if failing && p.since.is_none() {
            return bad("a failing slot without the period it began");
        }
        match (p.since, p.latest) {
            (Some(_), None) => return bad("a state change without a verdict"),
            (Some(since), Some((latest, _))) if since > latest => {
                return bad("a state that began after the latest verdict");
            }
            _ => {}
        }
        Ok(Self {
            state: p.state,
            since: p.since,
            latest: p.latest,
            misses: p.misses,
            invalids: p.invalids,
            evidence: p.evidence,
            repair_requested: false,
        })
    }

    /// Applies a final verdict. A period not newer than the latest applied one is stale or a
    /// duplicate; the timeline applies verdicts in period order, one per period, so neither
    /// happens there.
    pub(crate) fn on_verdict(
        &mut self,
        period: Period,
        verdict: Verdict,
        certificate: ContentId,
        config: &HealthConfig,
    ) -> Result<Option<Transition>, IgnoreReason> {
        self.check_newer(period)?;
        self.latest = Some((period, verdict));
        let from = self.state;
        let to = match (verdict, from) {
            // A heartbeat duty met counts as a duty met (the dataset owes nothing more);
            // `latest` keeps which it was, so a reader tells "claimed alive" from "proven".
            (Verdict::Valid | Verdict::Alive, _) => {
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
                // Someone is on it: a Repairing slot counts as requested (see `timeline`).
                Ok(self.enter(SlotState::Lost, SlotState::Repairing, period))
            }
            _ => Err(IgnoreReason::NoRepairPending),
        }
    }

    /// The volunteer's claim expired undelivered: Repairing → Lost (the loss evidence stays).
    pub(crate) fn on_repair_expired(
        &mut self,
        period: Period,
    ) -> Result<Option<Transition>, IgnoreReason> {
        match self.state {
            SlotState::Repairing if self.since.is_some_and(|s| period < s) => {
                Err(IgnoreReason::Stale)
            }
            SlotState::Repairing => Ok(self.enter(SlotState::Repairing, SlotState::Lost, period)),
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

    fn check_newer(&self, period: Period) -> Result<(), IgnoreReason> {
        match self.latest {
            Some((p, _)) if period < p => Err(IgnoreReason::Stale),
            Some((p, _)) if period == p => Err(IgnoreReason::Duplicate),
            _ => Ok(()),
        }
    }

    fn become_healthy(&mut self, certificate: ContentId) {
        self.misses = 0;
        self.invalids = 0;
        self.evidence.clear();
        self.evidence.push(certificate);
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
    fn heartbeats_keep_a_slot_healthy_claimed_alive_and_missed_ones_lose_it() {
        let mut s = SlotHealth::new();
        assert_eq!(verdict(&mut s, 1, Verdict::Alive, 1), None);
        assert_eq!(
            s.latest(),
            Some((Period(1), Verdict::Alive)),
            "alive, not proven"
        );
        assert_eq!(s.evidence(), &[cid(1)]);
        assert_eq!(
            verdict(&mut s, 2, Verdict::Missing, 2),
            Some(SlotState::Missed(1))
        );
        assert_eq!(
            verdict(&mut s, 3, Verdict::Missing, 3),
            Some(SlotState::Lost)
        );
        assert_eq!(s.loss(), Some((Period(3), cid(3))));
        // Its provider is back: claimed alive again.
        assert_eq!(
            verdict(&mut s, 4, Verdict::Alive, 4),
            Some(SlotState::Healthy)
        );
    }

    #[test]
    fn a_period_is_applied_once() {
        let mut s = SlotHealth::new();
        verdict(&mut s, 3, Verdict::Valid, 1);
        let r = s.on_verdict(
            Period(3),
            Verdict::Missing,
            cid(2),
            &HealthConfig::default(),
        );
        assert_eq!(r, Err(IgnoreReason::Duplicate));
        assert_eq!(s.evidence(), &[cid(1)]);
    }

    #[test]
    fn parts_round_trip_and_unreachable_parts_are_refused() {
        let mut s = SlotHealth::new();
        verdict(&mut s, 1, Verdict::Invalid, 1);
        verdict(&mut s, 2, Verdict::Missing, 2);
        assert_eq!(SlotHealth::from_parts(s.parts()), Ok(s.clone()));
        let fresh = SlotHealth::new();
        assert_eq!(SlotHealth::from_parts(fresh.parts()), Ok(fresh));
        let mut p = s.parts();
        p.evidence.pop();
        assert!(SlotHealth::from_parts(p).is_err());
        let mut p = s.parts();
        p.state = SlotState::Missed(3);
        assert!(SlotHealth::from_parts(p).is_err());
        let mut p = s.parts();
        p.since = None;
        assert!(SlotHealth::from_parts(p).is_err());
        let mut p = s.parts();
        p.latest = Some((Period(1), Verdict::Missing));
        assert!(SlotHealth::from_parts(p).is_err());
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
