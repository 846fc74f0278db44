//! The health rules' tunable numbers: how many failed duties make a slot lost and how much
//! redundancy a dataset needs to be called healthy. Defaults follow Codex's marketplace.

use std::num::NonZeroU32;

/// Knobs of the health state machine. Every node of a mesh should run the same values, or
/// their views differ by configuration rather than by evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// Consecutive failed duties (final Missing, or final Invalid, which counts as a miss)
    /// after which a slot is Lost. Default 2: Codex's marketplace slashes a slot after 2
    /// missed proofs, so proofmesh declares loss at the same point.
    pub miss_budget: NonZeroU32,
    /// Final Invalid verdicts within one run of failed duties after which a slot is Lost even
    /// if `miss_budget` is not reached. Default 2 (= `miss_budget`): Codex treats an invalid
    /// proof as a missed one. Set it to 1 to treat a single certified Invalid — which suggests
    /// corrupted data rather than a provider that is merely offline — as a loss.
    pub invalid_budget: NonZeroU32,
    /// Healthy slots above K a dataset needs to be `Healthy` rather than `Degraded`. `None`
    /// (the default) means M: every one of the K + M slots must be healthy, so any failure is
    /// visible at dataset level. Values above M are capped at M.
    pub healthy_margin: Option<u16>,
}

const TWO: NonZeroU32 = match NonZeroU32::new(2) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            miss_budget: TWO,
            invalid_budget: TWO,
            healthy_margin: None,
        }
    }
}

impl HealthConfig {
    /// The margin in force for a dataset with `parity_slots` parity slots: the configured one
    /// capped at M (a dataset cannot have more than M healthy slots above K), at least 1 so
    /// that `Healthy` always has more redundancy than `AtRisk`.
    pub fn margin_for(&self, parity_slots: u16) -> u16 {
        self.healthy_margin
            .unwrap_or(parity_slots)
            .min(parity_slots)
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_codex() {
        let c = HealthConfig::default();
        assert_eq!(c.miss_budget.get(), 2);
        assert_eq!(c.invalid_budget.get(), 2);
        assert_eq!(c.margin_for(2), 2);
    }

    #[test]
    fn margin_is_capped_and_at_least_one() {
        let c = HealthConfig {
            healthy_margin: Some(5),
            ..HealthConfig::default()
        };
        assert_eq!(c.margin_for(3), 3);
        let c = HealthConfig {
            healthy_margin: Some(0),
            ..HealthConfig::default()
        };
        assert_eq!(c.margin_for(3), 1);
        assert_eq!(HealthConfig::default().margin_for(0), 1);
    }
}
