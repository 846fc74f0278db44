//! The health view (DESIGN §7) as a pure state machine: certified events in (dataset
//! announcements, final verdicts from quorum certificates, repair claims and completions),
//! effects out (slot and dataset changes, repair requests). Time enters only as `Period`
//! values in events, so every node that applies the same certificates in the same per-slot
//! period order holds the same view; every state carries the certificate ids that justify it.
//! The node persists the effects and serves the queries; the rules are in `docs/health.md`.

mod config;
mod dataset;
mod event;
mod slot;
mod state;

pub use config::HealthConfig;
pub use dataset::{DatasetHealth, DatasetStatus, SlotCounts};
pub use event::{HealthEffect, HealthEvent, IgnoreReason};
pub use slot::{SlotHealth, SlotState};
pub use state::HealthState;
