//! One slot's events in period order. A slot's health is the fold of its events sorted by
//! period, never of their arrival order: a certificate for period p that arrives after p + 1's
//! is put in its place and the slot is folded again. So every node that holds the same
//! events holds the same view, whatever order gossip, sync and restarts delivered them in.
//!
//! Memory is bounded: the events of the periods before the state's settle point (the engine's
//! prune point, past which it accepts no certificate) are folded into `base` and dropped, so a
//! timeline holds at most three events (verdict, repair claim, repair completion) per open
//! period. `base` is what the store keeps (`DatasetCheckpoint`); the open periods' events come
//! back from the stored certificates.

use std::collections::BTreeMap;

use proofmesh_proto::{ContentId, Period, Verdict};

use super::config::HealthConfig;
use super::event::IgnoreReason;
use super::slot::{SlotHealth, Transition};

/// The order of a period's events: its verdict first, then a claim's expiry, then a repair
/// claim, then a completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    Verdict,
    RepairExpired,
    RepairStarted,
    RepairCompleted,
}

/// One event as recorded (its period and kind are the key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recorded {
    Verdict(Verdict, ContentId),
    RepairStarted,
    RepairExpired,
    RepairCompleted(ContentId),
}

/// Where an event goes in a slot's timeline.
pub(crate) type Key = (Period, Kind);

/// A slot's settled health and the events of its open periods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Timeline {
    /// Every event before the settle point, folded.
    base: SlotHealth,
    /// The events from the settle point on, by (period, kind).
    recent: BTreeMap<Key, Recorded>,
}

impl Timeline {
    /// A timeline from a stored base, with no open event.
    pub(crate) fn from_base(base: SlotHealth) -> Self {
        Self {
            base,
            recent: BTreeMap::new(),
        }
    }

    /// The settled part.
    pub(crate) fn base(&self) -> &SlotHealth {
        &self.base
    }

    /// Whether `event` is already recorded at `key`.
    pub(crate) fn holds(&self, key: &Key, event: &Recorded) -> bool {
        self.recent.get(key) == Some(event)
    }

    /// Records `event` at `key`, replacing what was there: a duty's certificate is replaced
    /// only by a better one (the engine's total order), and the timeline follows it.
    pub(crate) fn record(&mut self, key: Key, event: Recorded) {
        self.recent.insert(key, event);
    }

    /// The slot's health: `base` with every recent event applied in order, and what applying
    /// the event at `outcome_of` did (an event that changes nothing in its place is kept: an
    /// earlier one may still arrive and give it effect).
    pub(crate) fn fold(
        &self,
        config: &HealthConfig,
        outcome_of: Option<Key>,
    ) -> (SlotHealth, Option<Result<Option<Transition>, IgnoreReason>>) {
        let mut health = self.base.clone();
        let mut outcome = None;
        for (key, event) in &self.recent {
            let r = apply(&mut health, *key, *event, config);
            if Some(*key) == outcome_of {
                outcome = Some(r);
            }
        }
        (health, outcome)
    }

    /// Whether an event of a period before `before` is still open.
    pub(crate) fn has_before(&self, before: Period) -> bool {
        self.recent
            .keys()
            .next()
            .is_some_and(|(period, _)| *period < before)
    }

    /// Folds the events of the periods before `before` into the base and forgets them. The
    /// fold of the whole timeline does not change.
    pub(crate) fn settle_before(&mut self, before: Period, config: &HealthConfig) {
        let open = self.recent.split_off(&(before, Kind::Verdict));
        for (key, event) in std::mem::replace(&mut self.recent, open) {
            let _ = apply(&mut self.base, key, event, config);
        }
    }
}

fn apply(
    health: &mut SlotHealth,
    (period, _): Key,
    event: Recorded,
    config: &HealthConfig,
) -> Result<Option<Transition>, IgnoreReason> {
    match event {
        Recorded::Verdict(verdict, certificate) => {
            health.on_verdict(period, verdict, certificate, config)
        }
        Recorded::RepairStarted => health.on_repair_started(period),
        Recorded::RepairExpired => health.on_repair_expired(period),
        Recorded::RepairCompleted(certificate) => health.on_repair_completed(period, certificate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::SlotState;

    fn miss(p: u64) -> (Key, Recorded) {
        (
            (Period(p), Kind::Verdict),
            Recorded::Verdict(Verdict::Missing, ContentId([p as u8; 32])),
        )
    }

    #[test]
    fn settling_keeps_the_fold_and_drops_the_settled_events() {
        let config = HealthConfig::default();
        let mut t = Timeline::default();
        for p in [4, 1, 3] {
            let (k, e) = miss(p);
            t.record(k, e);
        }
        let (before, _) = t.fold(&config, None);
        assert_eq!(before.state(), SlotState::Lost);
        assert_eq!(before.since(), Some(Period(3)));
        assert!(t.has_before(Period(2)));
        t.settle_before(Period(4), &config);
        assert!(!t.has_before(Period(4)));
        assert_eq!(t.recent.len(), 1);
        assert_eq!(t.base().since(), Some(Period(3)));
        assert_eq!(t.fold(&config, None).0, before);
    }
}
