//! The verifier set: who may attest, with what weight, from which period on.

use super::ids::Period;
use super::keys::{BlsPublicKey, VerifierIndex};

/// One verifier of a set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierMember {
    /// Its BLS public key.
    pub key: BlsPublicKey,
    /// Its voting weight (> 0).
    pub weight: u64,
}

/// The verifiers in force from `effective_from` on; a verifier's index is its position.
/// Membership changes take effect at a future period, so every node agrees on the set for
/// any period it attests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierSet {
    /// First period this set applies to.
    pub effective_from: Period,
    /// The members, by index.
    pub members: Vec<VerifierMember>,
}

impl VerifierSet {
    /// Sum of all weights.
    pub fn total_weight(&self) -> u128 {
        self.members.iter().map(|m| u128::from(m.weight)).sum()
    }

    /// The member at `index`, if any.
    pub fn member(&self, index: VerifierIndex) -> Option<&VerifierMember> {
        self.members.get(usize::from(index.0))
    }

    /// Whether `weight` is a quorum: at least 2/3 of the total (exact integer arithmetic).
    pub fn is_quorum(&self, weight: u128) -> bool {
        let total = self.total_weight();
        total > 0 && 3 * weight >= 2 * total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(weights: &[u64]) -> VerifierSet {
        VerifierSet {
            effective_from: Period(0),
            members: weights
                .iter()
                .map(|&weight| VerifierMember {
                    key: BlsPublicKey([0; 48]),
                    weight,
                })
                .collect(),
        }
    }

    #[test]
    fn two_thirds_quorum() {
        let s = set(&[1, 1, 1]);
        assert!(s.is_quorum(2) && !s.is_quorum(1));
        let s = set(&[1, 1, 1, 1]);
        assert!(s.is_quorum(3) && !s.is_quorum(2));
        let s = set(&[5, 1, 1, 1]); // total 8: need ≥ 16/3 → 6
        assert!(s.is_quorum(6) && !s.is_quorum(5));
        assert!(!set(&[]).is_quorum(0));
    }
}
