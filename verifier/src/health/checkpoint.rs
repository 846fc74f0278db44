//! What the store keeps of the health view: per dataset, every slot's health with the events
//! of the settled periods (those before the state's settle point) folded in. A restart
//! restores these and replays only the open periods' certificates, so nothing is ever read
//! back from period 0.

use proofmesh_proto::DatasetRoot;

use super::slot::SlotHealth;

/// One dataset's settled health: written with the engine step that settled it, restored with
/// [`HealthState::restore`](super::HealthState::restore).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetCheckpoint {
    /// The dataset.
    pub dataset: DatasetRoot,
    /// K.
    pub data_slots: u16,
    /// M.
    pub parity_slots: u16,
    /// Every slot by index (K + M of them), with the settled periods' events applied.
    pub slots: Vec<SlotHealth>,
}

/// Why a stored checkpoint cannot be restored (the store holds something the rules cannot
/// reach: damage or a bug, never a peer's fault).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A slot's parts are inconsistent.
    #[error("unreachable slot health: {0}")]
    Slot(&'static str),
    /// The checkpoint does not fit its dataset: unknown, another K / M, or not K + M slots.
    #[error("checkpoint of dataset {0} does not match its announcement")]
    Shape(DatasetRoot),
}
