//! The health state machine: every tracked dataset with its slots, advanced only by
//! [`HealthState::apply`]. Deterministic (no clock, no randomness, ordered maps), idempotent
//! (a repeated event is ignored as a duplicate) and monotone per slot in `Period` (an older
//! verdict than the slot's latest is ignored as stale, never rolled back).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use proofmesh_proto::{DatasetRoot, Period, SlotId, MAX_SLOTS};

use super::config::HealthConfig;
use super::dataset::{DatasetHealth, DatasetStatus, SlotCounts};
use super::event::{HealthEffect, HealthEvent, IgnoreReason};
use super::slot::{SlotHealth, Transition};

/// One tracked dataset: its shape, its slots and the status derived from them (kept in step
/// with the slots on every change).
#[derive(Clone, Debug, PartialEq, Eq)]
struct DatasetRecord {
    data_slots: u16,
    parity_slots: u16,
    slots: Vec<SlotHealth>,
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
                slot.mark_repair_requested();
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
    datasets: BTreeMap<DatasetRoot, Arc<DatasetRecord>>,
}

impl HealthState {
    /// An empty view under `config`.
    pub fn new(config: HealthConfig) -> Self {
        Self {
            config,
            datasets: BTreeMap::new(),
        }
    }

    /// The rules in force.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// Applies one event and returns what changed, in a fixed order (see [`HealthEffect`]).
    /// An event that changes nothing returns no effect, or one `Ignored` saying why.
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
            } => self.on_slot(slot, period, |s, config| {
                s.on_verdict(period, verdict, certificate, config)
            }),
            HealthEvent::RepairStarted { slot, period } => {
                self.on_slot(slot, period, |s, _| s.on_repair_started(period))
            }
            HealthEvent::RepairCompleted {
                slot,
                period,
                certificate,
            } => self.on_slot(slot, period, |s, _| {
                s.on_repair_completed(period, certificate)
            }),
        }
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
        let counts = SlotCounts::of(&slots);
        let status =
            DatasetStatus::classify(counts.healthy, data_slots, parity_slots, &self.config);
        self.datasets.insert(
            dataset,
            Arc::new(DatasetRecord {
                data_slots,
                parity_slots,
                slots,
                counts,
                status,
            }),
        );
        vec![HealthEffect::DatasetAdded { dataset, status }]
    }

    fn on_slot(
        &mut self,
        slot: SlotId,
        period: Period,
        change: impl FnOnce(&mut SlotHealth, &HealthConfig) -> Result<Option<Transition>, IgnoreReason>,
    ) -> Vec<HealthEffect> {
        let Some(shared) = self.datasets.get_mut(&slot.dataset) else {
            return vec![HealthEffect::Ignored(IgnoreReason::UnknownDataset)];
        };
        if usize::from(slot.index) >= shared.slots.len() {
            return vec![HealthEffect::Ignored(IgnoreReason::UnknownSlot)];
        }
        let record = Arc::make_mut(shared);
        let Some(health) = record.slots.get_mut(usize::from(slot.index)) else {
            return vec![HealthEffect::Ignored(IgnoreReason::UnknownSlot)];
        };
        let transition = match change(health, &self.config) {
            Err(reason) => return vec![HealthEffect::Ignored(reason)],
            Ok(None) => return Vec::new(),
            Ok(Some(t)) => t,
        };
        let mut effects = vec![HealthEffect::SlotChanged {
            slot,
            from: transition.from,
            to: transition.to,
            period,
            evidence: health.evidence().to_vec(),
        }];
        record.refresh(slot.dataset, period, &self.config, &mut effects);
        effects
    }
}
