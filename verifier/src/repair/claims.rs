//! The claim book: one round per lost slot. A round opens on the loss (the certificate that
//! made the slot Lost, from our own health or a verified repair request) and takes claims
//! until its deadline, `claim_periods` after the loss period. At the first tick past the
//! deadline the claim with the smallest content id wins — a total order on what every node
//! saw, so nodes that saw the same claims pick the same winner, and the deadline is a period
//! boundary, not a node's clock. The winner answers for the slot from the period after the
//! deadline and must deliver (a certified Valid proof of the slot) within `deliver_periods`;
//! otherwise its claim expires, it is benched for `bench_periods` (its later claims are not
//! taken), and the round opens again for other volunteers. A round with no claim by its
//! deadline simply stays open another `claim_periods`.

use proofmesh_proto::{ContentId, Period, ProviderKey, RepairClaim, SlotId, WireMessage};
use std::collections::BTreeMap;

/// Most claims kept per loss (the smallest content ids: a flood cannot push the winner out).
pub const MAX_CLAIMS_PER_LOSS: usize = 64;

/// The repair rules' periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepairConfig {
    /// Periods after the loss during which claims are taken.
    pub claim_periods: u64,
    /// Periods the winner has, from its first one, to deliver a certified Valid proof.
    pub deliver_periods: u64,
    /// Periods a volunteer whose claim expired is not taken again.
    pub bench_periods: u64,
}

impl Default for RepairConfig {
    /// Two claim periods: the loss certificate forms after its period's deadline, so the
    /// period after the loss may be mostly gone before a volunteer hears of it.
    fn default() -> Self {
        Self {
            claim_periods: 2,
            deliver_periods: 4,
            bench_periods: 16,
        }
    }
}

/// Why a claim was not taken. None is the sender's fault (a claim is signed, and its
/// signature is the caller's to check): they are all gossip `Ignore`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// No open loss of the slot matches the claim's (unknown yet, or already repaired).
    #[error("no open loss of slot {0} matches the claim")]
    NoSuchLoss(SlotId),
    /// The round's deadline has passed.
    #[error("the claim deadline of slot {0} has passed")]
    Late(SlotId),
    /// The volunteer's earlier claim expired undelivered; it is benched for now.
    #[error("the volunteer is benched until period {0}")]
    Benched(Period),
    /// This claim is held already.
    #[error("claim already held")]
    Duplicate,
}

/// What the book decided at a tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepairStep {
    /// The claims of `slot`'s loss are in: `volunteer` rebuilds it and answers for it from
    /// period `from`.
    Decided {
        /// The slot.
        slot: SlotId,
        /// The winning claim's volunteer.
        volunteer: ProviderKey,
        /// The winning claim's content id.
        claim: ContentId,
        /// First period the volunteer answers for the slot.
        from: Period,
    },
    /// The winner did not deliver in time: benched, and the slot is open for claims again.
    Expired {
        /// The slot.
        slot: SlotId,
        /// The volunteer whose claim expired.
        volunteer: ProviderKey,
        /// The period it expired in (the one after its delivery deadline: the same at
        /// every node, whenever its tick comes).
        period: Period,
    },
}

#[derive(Clone, Debug)]
enum Phase {
    /// Taking claims until `deadline` (inclusive).
    Open { deadline: Period },
    /// `winner` answers for the slot from `from`, and must deliver by `deliver_by`.
    Decided {
        winner: RepairClaim,
        from: Period,
        deliver_by: Period,
    },
    /// Delivered: the winner is the slot's provider.
    Done { winner: ProviderKey, from: Period },
}

#[derive(Clone, Debug)]
struct Round {
    loss: ContentId,
    claims: BTreeMap<ContentId, RepairClaim>,
    phase: Phase,
}

/// Every open or decided repair, and the benched volunteers.
#[derive(Clone, Debug, Default)]
pub struct ClaimBook {
    config: RepairConfig,
    rounds: BTreeMap<SlotId, Round>,
    /// Volunteers whose claim expired, and the first period they are taken again.
    benched: BTreeMap<ProviderKey, Period>,
}

impl ClaimBook {
    /// An empty book.
    pub fn new(config: RepairConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Opens the round of `slot`'s loss by certificate `loss` in period `lost_in` (a newer
    /// loss replaces a finished round; the same loss again changes nothing). Returns whether
    /// it is new.
    pub fn open(&mut self, slot: SlotId, loss: ContentId, lost_in: Period) -> bool {
        if self.rounds.get(&slot).is_some_and(|r| r.loss == loss) {
            return false;
        }
        self.rounds.insert(
            slot,
            Round {
                loss,
                claims: BTreeMap::new(),
                phase: Phase::Open {
                    deadline: Period(lost_in.0.saturating_add(self.config.claim_periods)),
                },
            },
        );
        true
    }

    /// Takes a claim (its signature already checked) at period `now`.
    pub fn offer(&mut self, claim: &RepairClaim, now: Period) -> Result<(), ClaimError> {
        if let Some(until) = self.benched.get(&claim.volunteer) {
            if now < *until {
                return Err(ClaimError::Benched(*until));
            }
        }
        let round = self
            .rounds
            .get_mut(&claim.slot)
            .filter(|r| r.loss == claim.loss)
            .ok_or(ClaimError::NoSuchLoss(claim.slot))?;
        match round.phase {
            Phase::Open { deadline } if now <= deadline => {}
            _ => return Err(ClaimError::Late(claim.slot)),
        }
        let id = claim.content_id();
        if round.claims.contains_key(&id) {
            return Err(ClaimError::Duplicate);
        }
        round.claims.insert(id, claim.clone());
        while round.claims.len() > MAX_CLAIMS_PER_LOSS {
            round.claims.pop_last();
        }
        Ok(())
    }

    /// Decides the rounds whose deadline is before `now` and expires the winners that did
    /// not deliver by theirs.
    pub fn tick(&mut self, now: Period) -> Vec<RepairStep> {
        let mut steps = Vec::new();
        let config = self.config;
        for (slot, round) in &mut self.rounds {
            match &round.phase {
                Phase::Open { deadline } if now > *deadline => {
                    let deadline = *deadline;
                    let Some((id, winner)) = round.claims.first_key_value() else {
                        round.phase = Phase::Open {
                            deadline: Period(deadline.0.saturating_add(config.claim_periods)),
                        };
                        continue;
                    };
                    let from = deadline.next();
                    steps.push(RepairStep::Decided {
                        slot: *slot,
                        volunteer: winner.volunteer,
                        claim: *id,
                        from,
                    });
                    round.phase = Phase::Decided {
                        winner: winner.clone(),
                        from,
                        deliver_by: Period(from.0.saturating_add(config.deliver_periods)),
                    };
                }
                Phase::Decided {
                    winner, deliver_by, ..
                } if now > *deliver_by => {
                    let deliver_by = *deliver_by;
                    steps.push(RepairStep::Expired {
                        slot: *slot,
                        volunteer: winner.volunteer,
                        period: deliver_by.next(),
                    });
                    self.benched.insert(
                        winner.volunteer,
                        Period(deliver_by.0.saturating_add(config.bench_periods)),
                    );
                    round.claims.clear();
                    round.phase = Phase::Open {
                        deadline: Period(deliver_by.0.saturating_add(config.claim_periods)),
                    };
                }
                _ => {}
            }
        }
        self.benched.retain(|_, until| now < *until);
        steps
    }

    /// A certified Valid proof of `slot` for `period`: if it is in the winner's time, the
    /// repair is done (the winner stays the slot's provider). Returns the winner then.
    pub fn delivered(&mut self, slot: &SlotId, period: Period) -> Option<ProviderKey> {
        let round = self.rounds.get_mut(slot)?;
        let Phase::Decided { winner, from, .. } = &round.phase else {
            return None;
        };
        if period < *from {
            return None;
        }
        let (winner, from) = (winner.volunteer, *from);
        round.phase = Phase::Done { winner, from };
        round.claims.clear();
        Some(winner)
    }

    /// Who answers for `slot` in `period` by repair (the decided or delivered winner, from
    /// its first period on), if anyone.
    pub fn assignee(&self, slot: &SlotId, period: Period) -> Option<ProviderKey> {
        match &self.rounds.get(slot)?.phase {
            Phase::Decided { winner, from, .. } if period >= *from => Some(winner.volunteer),
            Phase::Done { winner, from } if period >= *from => Some(*winner),
            _ => None,
        }
    }

    /// Whether a repair of `slot` is open or decided (not delivered).
    pub fn pending(&self, slot: &SlotId) -> bool {
        self.rounds
            .get(slot)
            .is_some_and(|r| !matches!(r.phase, Phase::Done { .. }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proofmesh_proto::{DatasetRoot, ProviderSignature};

    /// One claim period (the tests' periods are counted from it).
    fn cfg() -> RepairConfig {
        RepairConfig {
            claim_periods: 1,
            ..RepairConfig::default()
        }
    }

    fn slot() -> SlotId {
        SlotId {
            dataset: DatasetRoot::from_le_bytes([2; 32]).unwrap(),
            index: 1,
        }
    }

    fn claim(volunteer: u8, period: u64) -> RepairClaim {
        RepairClaim {
            slot: slot(),
            loss: ContentId([9; 32]),
            volunteer: ProviderKey([volunteer; 32]),
            period: Period(period),
            signature: ProviderSignature([volunteer; 64]),
        }
    }

    fn decided(steps: &[RepairStep]) -> Option<(ProviderKey, Period)> {
        steps.iter().find_map(|s| match s {
            RepairStep::Decided {
                volunteer, from, ..
            } => Some((*volunteer, *from)),
            RepairStep::Expired { .. } => None,
        })
    }

    #[test]
    fn the_smallest_claim_id_wins_whatever_the_arrival_order() {
        let claims: Vec<RepairClaim> = (1..6).map(|v| claim(v, 11)).collect();
        let best = claims
            .iter()
            .min_by_key(|c| c.content_id())
            .unwrap()
            .volunteer;
        for rotation in 0..claims.len() {
            let mut book = ClaimBook::new(cfg());
            assert!(book.open(slot(), ContentId([9; 32]), Period(10)));
            assert!(!book.open(slot(), ContentId([9; 32]), Period(10)));
            let mut order = claims.clone();
            order.rotate_left(rotation);
            for c in &order {
                book.offer(c, Period(11)).unwrap();
            }
            assert_eq!(
                book.offer(&order[0], Period(11)),
                Err(ClaimError::Duplicate)
            );
            // Nothing before the deadline (period 11) has passed.
            assert!(book.tick(Period(11)).is_empty());
            assert_eq!(decided(&book.tick(Period(12))), Some((best, Period(12))));
            assert_eq!(book.assignee(&slot(), Period(11)), None);
            assert_eq!(book.assignee(&slot(), Period(12)), Some(best));
            // Late claims are not taken.
            assert_eq!(
                book.offer(&claim(0, 12), Period(12)),
                Err(ClaimError::Late(slot()))
            );
        }
    }

    #[test]
    fn an_undelivered_claim_expires_benches_its_volunteer_and_reopens() {
        let mut book = ClaimBook::new(cfg());
        book.open(slot(), ContentId([9; 32]), Period(10));
        book.offer(&claim(1, 11), Period(11)).unwrap();
        let (winner, from) = decided(&book.tick(Period(12))).unwrap();
        assert_eq!((winner, from), (ProviderKey([1; 32]), Period(12)));
        // Delivery is due by period 16: at 17 the claim expires.
        assert!(book.tick(Period(16)).is_empty());
        assert_eq!(
            book.tick(Period(17)),
            vec![RepairStep::Expired {
                slot: slot(),
                volunteer: winner,
                period: Period(17)
            }]
        );
        assert_eq!(book.assignee(&slot(), Period(17)), None);
        // Benched until 16 + 16; another volunteer takes the slot in the new round (deadline 17).
        assert_eq!(
            book.offer(&claim(1, 17), Period(17)),
            Err(ClaimError::Benched(Period(32)))
        );
        book.offer(&claim(2, 17), Period(17)).unwrap();
        assert_eq!(
            decided(&book.tick(Period(18))),
            Some((ProviderKey([2; 32]), Period(18)))
        );
        // A Valid proof before its first period is not delivery; one from it on is.
        assert_eq!(book.delivered(&slot(), Period(17)), None);
        assert_eq!(
            book.delivered(&slot(), Period(19)),
            Some(ProviderKey([2; 32]))
        );
        assert!(!book.pending(&slot()));
        assert_eq!(
            book.assignee(&slot(), Period(40)),
            Some(ProviderKey([2; 32]))
        );
        assert!(book.tick(Period(40)).is_empty());
    }

    #[test]
    fn a_round_without_claims_stays_open_and_claims_of_other_losses_are_ignored() {
        let mut book = ClaimBook::new(cfg());
        assert_eq!(
            book.offer(&claim(1, 11), Period(11)),
            Err(ClaimError::NoSuchLoss(slot()))
        );
        book.open(slot(), ContentId([9; 32]), Period(10));
        assert!(book.tick(Period(12)).is_empty());
        // Open another period: deadline 12.
        book.offer(&claim(3, 12), Period(12)).unwrap();
        let mut other = claim(4, 12);
        other.loss = ContentId([8; 32]);
        assert_eq!(
            book.offer(&other, Period(12)),
            Err(ClaimError::NoSuchLoss(slot()))
        );
        assert_eq!(
            decided(&book.tick(Period(13))),
            Some((ProviderKey([3; 32]), Period(13)))
        );
    }

    #[test]
    fn a_flood_of_claims_keeps_the_smallest_ids() {
        let mut book = ClaimBook::new(cfg());
        book.open(slot(), ContentId([9; 32]), Period(10));
        let claims: Vec<RepairClaim> = (0..=200u8).map(|v| claim(v, 11)).collect();
        for c in &claims {
            book.offer(c, Period(11)).unwrap();
        }
        let best = claims
            .iter()
            .min_by_key(|c| c.content_id())
            .unwrap()
            .volunteer;
        assert_eq!(book.rounds[&slot()].claims.len(), MAX_CLAIMS_PER_LOSS);
        assert_eq!(decided(&book.tick(Period(12))).map(|d| d.0), Some(best));
    }
}
