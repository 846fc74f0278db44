//! What goes into the health state machine (events: certified facts, in `Period` time) and
//! what comes out (effects: changes for the store, the `WatchHealth` stream and the repair
//! topic, or a typed reason an event was ignored).

use proofmesh_proto::{ContentId, DatasetAnnounce, DatasetRoot, Period, SlotId, Verdict};

use super::dataset::DatasetStatus;
use super::slot::SlotState;

/// An input to [`HealthState::apply`](super::HealthState::apply). Only certified facts enter:
/// final verdicts come from quorum certificates, never from one verifier's attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthEvent {
    /// A dataset became known: its slots start Healthy by presumption, without evidence.
    DatasetAnnounced {
        /// The dataset commitment.
        dataset: DatasetRoot,
        /// K: any K slots rebuild the dataset.
        data_slots: u16,
        /// M: parity slots.
        parity_slots: u16,
    },
    /// A quorum certificate made the verdict on a (slot, period) duty final.
    FinalVerdict {
        /// The slot.
        slot: SlotId,
        /// The duty's period.
        period: Period,
        /// The certified verdict.
        verdict: Verdict,
        /// Content id of the quorum certificate: the evidence recorded.
        certificate: ContentId,
    },
    /// A volunteer claimed the repair of a lost slot.
    RepairStarted {
        /// The slot being rebuilt.
        slot: SlotId,
        /// The period of the claim.
        period: Period,
    },
    /// The volunteer rebuilding the slot did not deliver in time: the slot is Lost again
    /// (and open to other volunteers).
    RepairExpired {
        /// The slot.
        slot: SlotId,
        /// The period its claim expired in.
        period: Period,
    },
    /// The rebuilt slot is served again: its certificate is the final Valid verdict (or the
    /// verified claim) that shows it.
    RepairCompleted {
        /// The repaired slot.
        slot: SlotId,
        /// The period of that certificate.
        period: Period,
        /// Content id of the certificate.
        certificate: ContentId,
    },
}

impl HealthEvent {
    /// The announce event for a validated announcement (only its root and K / M matter here).
    pub fn announced(announce: &DatasetAnnounce) -> Self {
        HealthEvent::DatasetAnnounced {
            dataset: announce.root,
            data_slots: announce.data_slots,
            parity_slots: announce.parity_slots,
        }
    }
}

/// An output of [`HealthState::apply`](super::HealthState::apply), in a fixed order per event:
/// slot change, dataset change, unrecoverable notice, repair requests (by slot index).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthEffect {
    /// A new dataset is tracked, with its initial status.
    DatasetAdded {
        /// The dataset.
        dataset: DatasetRoot,
        /// Its status (Healthy, or AtRisk when it has no parity slot).
        status: DatasetStatus,
    },
    /// A slot changed state; `evidence` justifies the new state (see
    /// [`SlotHealth::evidence`](super::SlotHealth::evidence)).
    SlotChanged {
        /// The slot.
        slot: SlotId,
        /// Its previous state.
        from: SlotState,
        /// Its new state.
        to: SlotState,
        /// The period the new state began (the period of the event that caused the change,
        /// or of an earlier one when a late certificate redates the state).
        period: Period,
        /// The certificates behind the new state.
        evidence: Vec<ContentId>,
    },
    /// A dataset's status changed.
    DatasetChanged {
        /// The dataset.
        dataset: DatasetRoot,
        /// Its previous status.
        from: DatasetStatus,
        /// Its new status.
        to: DatasetStatus,
        /// The period of the event that caused the change.
        period: Period,
    },
    /// Fewer than K slots survive (not Lost, not Repairing): the dataset cannot be rebuilt,
    /// so no repair is requested until enough slots prove again. Emitted once per drop.
    Unrecoverable {
        /// The dataset.
        dataset: DatasetRoot,
        /// The period of the event that caused the drop.
        period: Period,
        /// Slots still surviving (< K).
        surviving: u16,
    },
    /// Gossip a `RepairRequest` for this lost slot: the dataset is still recoverable. Raised
    /// once per loss (again only after the slot was healthy in between).
    RepairRequested {
        /// The lost slot.
        slot: SlotId,
        /// The period in which the slot was declared lost.
        period: Period,
        /// The certificate that made it lost.
        certificate: ContentId,
    },
    /// The event changed nothing, and why (for a metric; never a panic).
    Ignored(IgnoreReason),
}

impl HealthEffect {
    /// The dataset the effect is about (`None` for `Ignored`).
    pub fn dataset(&self) -> Option<DatasetRoot> {
        match self {
            HealthEffect::DatasetAdded { dataset, .. }
            | HealthEffect::DatasetChanged { dataset, .. }
            | HealthEffect::Unrecoverable { dataset, .. } => Some(*dataset),
            HealthEffect::SlotChanged { slot, .. } | HealthEffect::RepairRequested { slot, .. } => {
                Some(slot.dataset)
            }
            HealthEffect::Ignored(_) => None,
        }
    }
}

/// Why an event was ignored. None of these penalise a peer by themselves: events are already
/// certified, so these are ordering facts (duplicates, settled periods) or gaps in what this
/// node knows (an unknown dataset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IgnoreReason {
    /// No announcement of this dataset yet; the caller may retry once it has one.
    UnknownDataset,
    /// The slot index is not below K + M of the announced dataset.
    UnknownSlot,
    /// An announcement with K = 0 or K + M > `MAX_SLOTS`.
    BadShape,
    /// The dataset is already known with another K / M; the first announcement stands.
    AnnounceMismatch,
    /// The same fact again (same announcement, the same certificate for the same duty, a
    /// repair already started): idempotence.
    Duplicate,
    /// For a settled period (before [`HealthState::settle_before`]'s point): the node no
    /// longer accepts certificates for it. A late event of an open period is not stale: it
    /// takes its place in the slot's period order.
    ///
    /// [`HealthState::settle_before`]: super::HealthState::settle_before
    Stale,
    /// A repair event for a slot that is neither Lost nor Repairing.
    NoRepairPending,
}

impl IgnoreReason {
    /// A short snake_case name, for metric labels and logs.
    pub fn label(&self) -> &'static str {
        match self {
            IgnoreReason::UnknownDataset => "unknown_dataset",
            IgnoreReason::UnknownSlot => "unknown_slot",
            IgnoreReason::BadShape => "bad_shape",
            IgnoreReason::AnnounceMismatch => "announce_mismatch",
            IgnoreReason::Duplicate => "duplicate",
            IgnoreReason::Stale => "stale",
            IgnoreReason::NoRepairPending => "no_repair_pending",
        }
    }
}
