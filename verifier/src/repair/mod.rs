//! Repair coordination without a coordinator: which volunteer rebuilds a lost slot, decided
//! the same way at every node from the signed claims it saw (`claims`). Pure: the engine
//! feeds it losses, claims and the clock, and carries out its decisions (health, the slot's
//! new provider).

mod claims;

pub use claims::{ClaimBook, ClaimError, RepairConfig, RepairStep, MAX_CLAIMS_PER_LOSS};
