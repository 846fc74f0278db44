//! One engine step's outputs as they accumulate: the one write batch, the actions in order,
//! the health changes. [`Step::finish`] puts the write first, so nothing of the step leaves
//! the node before it is durable.

use super::io::{HealthChange, Note, Output, Writes};
use super::Handles;
use crate::HealthState;

pub(super) struct Step<H: Handles> {
    pub(super) writes: Writes,
    out: Vec<Output<H>>,
    changes: Vec<HealthChange>,
    health_changed: bool,
}

impl<H: Handles> Step<H> {
    pub(super) fn new() -> Self {
        Self {
            writes: Writes::default(),
            out: Vec::new(),
            changes: Vec::new(),
            health_changed: false,
        }
    }

    pub(super) fn push(&mut self, output: Output<H>) {
        self.out.push(output);
    }

    pub(super) fn note(&mut self, note: Note) {
        self.out.push(Output::Note(note));
    }

    /// Records numbered health changes: written with this step and streamed after it.
    pub(super) fn changes(&mut self, changes: Vec<HealthChange>) {
        self.writes.health.extend(changes.iter().cloned());
        self.changes.extend(changes);
        self.health_changed = true;
    }

    /// The view changed without new numbered changes (a restore).
    pub(super) fn health_changed(&mut self) {
        self.health_changed = true;
    }

    pub(super) fn finish(self, health: &HealthState) -> Vec<Output<H>> {
        let mut all = Vec::with_capacity(self.out.len() + 2);
        if !self.writes.is_empty() {
            all.push(Output::Persist(self.writes));
        }
        all.extend(self.out);
        if self.health_changed {
            all.push(Output::Health {
                changes: self.changes,
                snapshot: health.clone(),
            });
        }
        all
    }
}
