//! A dataset's health, derived from its slots: the status rule (healthy slots vs K and the
//! margin) and the read-only view handed to queries. The status is a pure function of the
//! slot states, so anyone holding the slots' evidence can recompute it.

use proofmesh_proto::{DatasetRoot, SlotId};

use super::config::HealthConfig;
use super::slot::{SlotHealth, SlotState};

/// A dataset's status (DESIGN §7), from its Healthy slots `h` against K and the margin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DatasetStatus {
    /// `h ≥ K + margin` (by default every slot healthy).
    Healthy,
    /// `K < h < K + margin`: redundancy is eroding but more than one more loss is survivable.
    Degraded,
    /// `h == K`: one more failure and fewer than K slots are proven. A dataset with no parity
    /// slot (M = 0) is always at most AtRisk.
    AtRisk,
    /// `h < K`: the data cannot currently be shown retrievable. It may still be recoverable
    /// (failing slots are not lost yet); see [`SlotCounts::recoverable`].
    Lost,
}

impl DatasetStatus {
    /// The status rule: `healthy` slots of a K + M dataset under `config`.
    pub fn classify(
        healthy: u16,
        data_slots: u16,
        parity_slots: u16,
        config: &HealthConfig,
    ) -> Self {
        let margin = config.margin_for(parity_slots);
        if healthy < data_slots {
            DatasetStatus::Lost
        } else if healthy == data_slots {
            DatasetStatus::AtRisk
        } else if u32::from(healthy) >= u32::from(data_slots) + u32::from(margin) {
            DatasetStatus::Healthy
        } else {
            DatasetStatus::Degraded
        }
    }

    /// A short lowercase name, for metric labels and logs.
    pub fn label(&self) -> &'static str {
        match self {
            DatasetStatus::Healthy => "healthy",
            DatasetStatus::Degraded => "degraded",
            DatasetStatus::AtRisk => "at_risk",
            DatasetStatus::Lost => "lost",
        }
    }
}

/// How a dataset's slots split over the states (for the status, metrics and listings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SlotCounts {
    /// Healthy slots.
    pub healthy: u16,
    /// Missed(n) or Invalid: failing but not lost yet.
    pub failing: u16,
    /// Lost slots.
    pub lost: u16,
    /// Slots being rebuilt.
    pub repairing: u16,
}

impl SlotCounts {
    /// Counts the states of `slots`.
    pub fn of(slots: &[SlotHealth]) -> Self {
        let mut c = SlotCounts::default();
        for s in slots {
            let n = match s.state() {
                SlotState::Healthy => &mut c.healthy,
                SlotState::Missed(_) | SlotState::Invalid => &mut c.failing,
                SlotState::Lost => &mut c.lost,
                SlotState::Repairing => &mut c.repairing,
            };
            *n = n.saturating_add(1);
        }
        c
    }

    /// Slots whose data is presumed still held (Healthy or failing): the sources a repair
    /// can rebuild from.
    pub fn surviving(&self) -> u16 {
        self.healthy.saturating_add(self.failing)
    }

    /// Whether at least K slots survive, so lost slots can be rebuilt by erasure decoding.
    pub fn recoverable(&self, data_slots: u16) -> bool {
        self.surviving() >= data_slots
    }
}

/// A read-only view of one dataset: what `GetDataset` serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetHealth<'a> {
    /// The dataset.
    pub dataset: DatasetRoot,
    /// K.
    pub data_slots: u16,
    /// M.
    pub parity_slots: u16,
    /// The status, always `DatasetStatus::classify(counts.healthy, K, M, config)`.
    pub status: DatasetStatus,
    /// Slots per state.
    pub counts: SlotCounts,
    /// Every slot, by index; each carries its own evidence.
    pub slots: &'a [SlotHealth],
}

impl DatasetHealth<'_> {
    /// The slots with their ids, by index.
    pub fn slot_ids(&self) -> impl Iterator<Item = (SlotId, &SlotHealth)> + '_ {
        let dataset = self.dataset;
        (0u16..)
            .zip(self.slots)
            .map(move |(index, s)| (SlotId { dataset, index }, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_k4_m2_default() {
        let c = HealthConfig::default();
        let got: Vec<_> = (0..=6)
            .map(|h| DatasetStatus::classify(h, 4, 2, &c))
            .collect();
        use DatasetStatus::*;
        assert_eq!(got, [Lost, Lost, Lost, Lost, AtRisk, Degraded, Healthy]);
    }

    #[test]
    fn classify_with_margin_one_and_no_parity() {
        let c = HealthConfig {
            healthy_margin: Some(1),
            ..HealthConfig::default()
        };
        assert_eq!(DatasetStatus::classify(5, 4, 2, &c), DatasetStatus::Healthy);
        let d = HealthConfig::default();
        assert_eq!(DatasetStatus::classify(4, 4, 0, &d), DatasetStatus::AtRisk);
    }
}
