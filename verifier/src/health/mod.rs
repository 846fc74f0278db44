//! The health view (DESIGN §7) as a pure state machine: certified events in (dataset
//! announcements, final verdicts from quorum certificates, repair claims and completions),
//! effects out (slot and dataset changes, repair requests). Time enters only as `Period`
//! values in events, and each slot's view is the fold of its events in period order, so every
//! node that holds the same certificates holds the same view, whatever order they arrived in;
//! every state carries the certificate ids that justify it. The periods the engine no longer
//! accepts certificates for are settled into per-dataset checkpoints, which the node stores
//! (a restart restores them and replays only the open periods). The node persists the effects
//! and serves the queries; the rules are in `docs/health.md`.

mod checkpoint;
mod config;
mod dataset;
mod event;
mod slot;
mod state;
mod timeline;

pub use checkpoint::{CheckpointError, DatasetCheckpoint};
pub use config::HealthConfig;
pub use dataset::{DatasetHealth, DatasetStatus, SlotCounts};
pub use event::{HealthEffect, HealthEvent, IgnoreReason};
pub use slot::{SlotHealth, SlotHealthParts, SlotState};
pub use state::HealthState;
