//! The health state machine: every tracked dataset with its slots, advanced only by
//! [`HealthState::apply`]. Deterministic (no clock, no randomness, ordered maps), idempotent
//! (a repeated event is ignored as a duplicate) and independent of arrival order: each slot's
//! view is the fold of its events in period order (`timeline`), so an event older than the
//! slot's latest is put in its place rather than dropped. Only the periods before the settle
//! point ([`HealthState::settle_before`]) are closed: events for them are stale.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use proofmesh_proto::{DatasetRoot, Period, SlotId, MAX_SLOTS};

use super::checkpoint::{CheckpointError, DatasetCheckpoint};
use super::config::HealthConfig;
use super::dataset::{DatasetHealth, DatasetStatus, SlotCounts};
use super::event::{HealthEffect, HealthEvent, IgnoreReason};
use super::slot::{SlotHealth, SlotState};
use super::timeline::{Key, Kind, Recorded, Timeline};

/// One tracked dataset: its shape, its slots' views and timelines, and the status derived
/// from the views (kept in step with them on every change).
#[derive(Clone, Debug, PartialEq, Eq)]
struct DatasetRecord {
    data_slots: u16,
    parity_slots: u16,
    /// Each slot's view: the fold of its timeline.
    slots: Vec<SlotHealth>,
    /// Each slot's events.
    timelines: Vec<Timeline>,
    counts: SlotCounts,
    status: DatasetStatus,
}

impl DatasetRecord {
    fn view(&self, dataset: DatasetRoot) -> DatasetHealth<'_> {
        DatasetHealth {
            dataset,
            data_slots: self.data_slots,
            parity_slots: self.parity_slots,
            status: self.status,
            counts: self.counts,
            slots: &self.slots,
        }
    }

    /// The settled part of every slot, for the store.
    fn checkpoint(&self, dataset: DatasetRoot) -> DatasetCheckpoint {
        DatasetCheckpoint {
            dataset,
            data_slots: self.data_slots,
            parity_slots: self.parity_slots,
            slots: self.timelines.iter().map(|t| t.base().clone()).collect(),
        }
    }

    /// Folds every slot again and recomputes counts and status, raising nothing: a restore.
    /// The losses of a recoverable dataset count as requested (the requests went out before
    /// the restart); those of an unrecoverable one are requested once it is recoverable.
    fn rebuild(&mut self, config: &HealthConfig) {
        for (view, timeline) in self.slots.iter_mut().zip(&self.timelines) {
            *view = timeline.fold(config, None).0;
        }
        self.counts = SlotCounts::of(&self.slots);
        self.status = DatasetStatus::classify(
            self.counts.healthy,
            self.data_slots,
            self.parity_slots,
            config,
        );
        let recoverable = self.counts.recoverable(self.data_slots);
        for view in &mut self.slots {
            let requested = view.state() == SlotState::Repairing
                || (view.state() == SlotState::Lost && recoverable);
            view.set_repair_requested(requested);
        }
    }

    /// Recomputes counts and status after a slot changed, and raises what follows from it:
    /// the status change, the drop below K surviving slots, and pending repair requests.
    fn refresh(
        &mut self,
        dataset: DatasetRoot,
        period: Period,
        config: &HealthConfig,
        effects: &mut Vec<HealthEffect>,
    ) {
        let k = self.data_slots;
        let was_recoverable = self.counts.recoverable(k);
        self.counts = SlotCounts::of(&self.slots);
        let status = DatasetStatus::classify(self.counts.healthy, k, self.parity_slots, config);
        if status != self.status {
            effects.push(HealthEffect::DatasetChanged {
                dataset,
                from: self.status,
                to: status,
                period,
            });
            self.status = status;
        }
        if !self.counts.recoverable(k) {
            if was_recoverable {
                effects.push(HealthEffect::Unrecoverable {
                    dataset,
                    period,
                    surviving: self.counts.surviving(),
                });
            }
            return;
        }
        // Recoverable: every lost slot without a request gets one — the one just lost, and
        // any lost while the dataset was unrecoverable.
        for (index, slot) in (0u16..).zip(self.slots.iter_mut()) {
            if slot.repair_requested() {
                continue;
            }
            if let Some((period, certificate)) = slot.loss() {
                slot.set_repair_requested(true);
                effects.push(HealthEffect::RepairRequested {
                    slot: SlotId { dataset, index },
                    period,
                    certificate,
                });
            }
        }
    }
}

/// Every dataset's and slot's health, as far as this node's certificates show.
///
/// Datasets are shared copy-on-write, so a clone is a per-dataset snapshot that costs one
/// pointer per dataset: the engine hands one to gRPC readers after every change, and only the
/// datasets that change afterwards are copied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthState {
    config: HealthConfig,
    /// Events of periods before this are folded into the timelines' bases: stale.
    settled_before: Period,
    datasets: BTreeMap<DatasetRoot, Arc<DatasetRecord>>,
}

impl HealthState {
    /// An empty view under `config`.
    pub fn new(config: HealthConfig) -> Self {
        Self {
            config,
            settled_before: Period(0),
            datasets: BTreeMap::new(),
        }
    }

    /// The rules in force.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// Events of periods before this one are stale (see [`Self::settle_before`]).
    pub fn settled_before(&self) -> Period {
        self.settled_before
    }

    /// Applies one event and returns how the view changed, in a fixed order (see
    /// [`HealthEffect`]). The event takes its place in its slot's period order, so the view
    /// never depends on the order events arrive in. A final verdict for a (slot, period) that
    /// has one replaces it: the caller passes a duty's best certificate, and every node ends
    /// on the same one. An event that changes nothing returns no effect, or one `Ignored`
    /// saying why.
    pub fn apply(&mut self, event: HealthEvent) -> Vec<HealthEffect> {
        match event {
            HealthEvent::DatasetAnnounced {
                dataset,
                data_slots,
                parity_slots,
            } => self.announce(dataset, data_slots, parity_slots),
            HealthEvent::FinalVerdict {
                slot,
                period,
                verdict,
                certificate,
            } => self.on_slot(
                slot,
                (period, Kind::Verdict),
                Recorded::Verdict(verdict, certificate),
            ),
            HealthEvent::RepairStarted { slot, period } => {
                self.on_slot(slot, (period, Kind::RepairStarted), Recorded::RepairStarted)
            }
            HealthEvent::RepairExpired { slot, period } => {
                self.on_slot(slot, (period, Kind::RepairExpired), Recorded::RepairExpired)
            }
            HealthEvent::RepairCompleted {
                slot,
                period,
                certificate,
            } => self.on_slot(
                slot,
                (period, Kind::RepairCompleted),
                Recorded::RepairCompleted(certificate),
            ),
        }
    }

    /// Closes the periods before `before` (the engine's prune point: it accepts no
    /// certificate for them any more): their events are folded into each slot's settled base
    /// and dropped, so memory stays bounded by the open periods. The view does not change.
    /// Returns the checkpoints of the datasets whose base changed, for the store.
    pub fn settle_before(&mut self, before: Period) -> Vec<DatasetCheckpoint> {
        if before <= self.settled_before {
            return Vec::new();
        }
        self.settled_before = before;
        let mut changed = Vec::new();
        for (root, shared) in &mut self.datasets {
            if !shared.timelines.iter().any(|t| t.has_before(before)) {
                continue;
            }
            let record = Arc::make_mut(shared);
            for t in &mut record.timelines {
                t.settle_before(before, &self.config);
            }
            changed.push(record.checkpoint(*root));
        }
        changed
    }

    /// Rebuilds the view after a restart, without effects (they were emitted and stored
    /// before): the settle point, the announcements among `events`, the stored checkpoints of
    /// announced datasets, then the other events (those of the open periods: the retained
    /// certificates), in any order. Events that do
    /// not apply are skipped, as [`Self::apply`] would ignore them. Returns the checkpoints
    /// that do not fit their announced dataset (left out: that dataset starts from its
    /// announcement).
    pub fn restore(
        &mut self,
        settled_before: Period,
        checkpoints: Vec<DatasetCheckpoint>,
        events: Vec<HealthEvent>,
    ) -> Vec<CheckpointError> {
        self.settled_before = self.settled_before.max(settled_before);
        let (announced, events): (Vec<_>, Vec<_>) = events
            .into_iter()
            .partition(|e| matches!(e, HealthEvent::DatasetAnnounced { .. }));
        for a in announced {
            let _ = self.apply(a);
        }
        let mut refused = Vec::new();
        for c in checkpoints {
            let fits = |r: &&mut Arc<DatasetRecord>| {
                r.data_slots == c.data_slots
                    && r.parity_slots == c.parity_slots
                    && r.timelines.len() == c.slots.len()
            };
            let Some(shared) = self.datasets.get_mut(&c.dataset).filter(fits) else {
                refused.push(CheckpointError::Shape(c.dataset));
                continue;
            };
            let record = Arc::make_mut(shared);
            record.timelines = c.slots.into_iter().map(Timeline::from_base).collect();
        }
        for e in events {
            let (slot, key, event) = match e {
                HealthEvent::DatasetAnnounced { .. } => continue,
                HealthEvent::FinalVerdict {
                    slot,
                    period,
                    verdict,
                    certificate,
                } => (
                    slot,
                    (period, Kind::Verdict),
                    Recorded::Verdict(verdict, certificate),
                ),
                HealthEvent::RepairStarted { slot, period } => {
                    (slot, (period, Kind::RepairStarted), Recorded::RepairStarted)
                }
                HealthEvent::RepairExpired { slot, period } => {
                    (slot, (period, Kind::RepairExpired), Recorded::RepairExpired)
                }
                HealthEvent::RepairCompleted {
                    slot,
                    period,
                    certificate,
                } => (
                    slot,
                    (period, Kind::RepairCompleted),
                    Recorded::RepairCompleted(certificate),
                ),
            };
            if key.0 < self.settled_before {
                continue;
            }
            let timeline = self
                .datasets
                .get_mut(&slot.dataset)
                .map(Arc::make_mut)
                .and_then(|r| r.timelines.get_mut(usize::from(slot.index)));
            if let Some(t) = timeline {
                t.record(key, event);
            }
        }
        for shared in self.datasets.values_mut() {
            Arc::make_mut(shared).rebuild(&self.config);
        }
        refused
    }

    /// Every dataset's settled part, as [`Self::settle_before`] hands them out.
    pub fn checkpoints(&self) -> impl Iterator<Item = DatasetCheckpoint> + '_ {
        self.datasets.iter().map(|(root, r)| r.checkpoint(*root))
    }

    /// One slot's health, `None` for an unknown dataset or index.
    pub fn slot(&self, slot: &SlotId) -> Option<&SlotHealth> {
        self.datasets
            .get(&slot.dataset)?
            .slots
            .get(usize::from(slot.index))
    }

    /// One dataset's health, `None` if it was never announced.
    pub fn dataset(&self, dataset: &DatasetRoot) -> Option<DatasetHealth<'_>> {
        self.datasets.get(dataset).map(|r| r.view(*dataset))
    }

    /// Every dataset, in ascending root order (stable, so listings can page by root).
    pub fn datasets(&self) -> impl Iterator<Item = DatasetHealth<'_>> + '_ {
        self.datasets.iter().map(|(root, r)| r.view(*root))
    }

    /// The datasets whose root is strictly greater than `after`, ascending: the next page of
    /// a listing whose last item was `after`.
    pub fn datasets_after(
        &self,
        after: &DatasetRoot,
    ) -> impl Iterator<Item = DatasetHealth<'_>> + '_ {
        self.datasets
            .range((Bound::Excluded(*after), Bound::Unbounded))
            .map(|(root, r)| r.view(*root))
    }

    /// Number of tracked datasets.
    pub fn len(&self) -> usize {
        self.datasets.len()
    }

    /// Whether no dataset is tracked.
    pub fn is_empty(&self) -> bool {
        self.datasets.is_empty()
    }

    fn announce(
        &mut self,
        dataset: DatasetRoot,
        data_slots: u16,
        parity_slots: u16,
    ) -> Vec<HealthEffect> {
        let total = u32::from(data_slots) + u32::from(parity_slots);
        if data_slots == 0 || total > MAX_SLOTS {
            return vec![HealthEffect::Ignored(IgnoreReason::BadShape)];
        }
        if let Some(r) = self.datasets.get(&dataset) {
            let same = r.data_slots == data_slots && r.parity_slots == parity_slots;
            let reason = if same {
                IgnoreReason::Duplicate
            } else {
                IgnoreReason::AnnounceMismatch
            };
            return vec![HealthEffect::Ignored(reason)];
        }
        let slots: Vec<SlotHealth> = (0..total).map(|_| SlotHealth::new()).collect();
        let timelines = (0..total).map(|_| Timeline::default()).collect();
        let counts = SlotCounts::of(&slots);
        let status =
            DatasetStatus::classify(counts.healthy, data_slots, parity_slots, &self.config);
        self.datasets.insert(
            dataset,
            Arc::new(DatasetRecord {
                data_slots,
                parity_slots,
                slots,
                timelines,
                counts,
                status,
            }),
        );
        vec![HealthEffect::DatasetAdded { dataset, status }]
    }

    /// Records `event` in its slot's timeline and folds the slot again: the effects are the
    /// difference between the old view and the new one.
    fn on_slot(&mut self, slot: SlotId, key: Key, event: Recorded) -> Vec<HealthEffect> {
        let Some(shared) = self.datasets.get_mut(&slot.dataset) else {
            return vec![HealthEffect::Ignored(IgnoreReason::UnknownDataset)];
        };
        let index = usize::from(slot.index);
        let Some(timeline) = shared.timelines.get(index) else {
            return vec![HealthEffect::Ignored(IgnoreReason::UnknownSlot)];
        };
        // Checked before the copy-on-write: a repeated event costs no copy.
        if key.0 < self.settled_before {
            return vec![HealthEffect::Ignored(IgnoreReason::Stale)];
        }
        if timeline.holds(&key, &event) {
            return vec![HealthEffect::Ignored(IgnoreReason::Duplicate)];
        }
        let record = Arc::make_mut(shared);
        let (Some(timeline), Some(view)) =
            (record.timelines.get_mut(index), record.slots.get_mut(index))
        else {
            return vec![HealthEffect::Ignored(IgnoreReason::UnknownSlot)];
        };
        timeline.record(key, event);
        let (mut next, outcome) = timeline.fold(&self.config, Some(key));
        // A request stays raised while the slot stays written off; a Repairing slot has one.
        let requested = next.state() == SlotState::Repairing
            || (next.state() == SlotState::Lost
                && view.is_written_off()
                && view.repair_requested());
        next.set_repair_requested(requested);
        let (from, to) = (view.state(), next.state());
        *view = next;
        if from == to {
            // The view may have changed (evidence, since, counts) but not its state.
            return match outcome {
                Some(Err(reason)) => vec![HealthEffect::Ignored(reason)],
                _ => Vec::new(),
            };
        }
        // The period the new state began (a late event may date it before `key`'s period).
        let period = view.since().unwrap_or(key.0);
        let mut effects = vec![HealthEffect::SlotChanged {
            slot,
            from,
            to,
            period,
            evidence: view.evidence().to_vec(),
        }];
        record.refresh(slot.dataset, period, &self.config, &mut effects);
        effects
    }
}
