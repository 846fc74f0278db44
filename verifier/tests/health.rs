//! The health state machine on scripted scenarios with exact expected states and effects:
//! misses up to the budget and past it, a Valid resetting the count, Invalid verdicts, a
//! K = 4 / M = 2 dataset losing slots down to K and below, repairs, duplicate / late /
//! superseding / settled / unknown events; certificates in and out of order giving one view;
//! settling and restoring from checkpoints; and property tests that random event sequences
//! never panic, keep every dataset's status equal to the one recomputed from its slots, and
//! give the same view in any order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::num::NonZeroU32;

use proofmesh_proto::{ContentId, DatasetRoot, Period, SlotId, Verdict};
use proofmesh_verifier::health::{
    DatasetStatus, HealthConfig, HealthEffect, HealthEvent, HealthState, IgnoreReason, SlotCounts,
    SlotHealth, SlotState,
};
use proptest::prelude::*;

use DatasetStatus as D;
use SlotState as S;

fn root(n: u8) -> DatasetRoot {
    let mut b = [0u8; 32];
    b[0] = n;
    DatasetRoot::from_le_bytes(b).unwrap()
}

fn slot(d: u8, index: u16) -> SlotId {
    SlotId {
        dataset: root(d),
        index,
    }
}

fn cid(n: u8) -> ContentId {
    ContentId([n; 32])
}

fn announce(d: u8, k: u16, m: u16) -> HealthEvent {
    HealthEvent::DatasetAnnounced {
        dataset: root(d),
        data_slots: k,
        parity_slots: m,
    }
}

fn verdict(s: SlotId, p: u64, v: Verdict, c: u8) -> HealthEvent {
    HealthEvent::FinalVerdict {
        slot: s,
        period: Period(p),
        verdict: v,
        certificate: cid(c),
    }
}

fn changed(s: SlotId, from: SlotState, to: SlotState, p: u64, ev: &[u8]) -> HealthEffect {
    HealthEffect::SlotChanged {
        slot: s,
        from,
        to,
        period: Period(p),
        evidence: ev.iter().map(|&c| cid(c)).collect(),
    }
}

fn ds_changed(d: u8, from: DatasetStatus, to: DatasetStatus, p: u64) -> HealthEffect {
    HealthEffect::DatasetChanged {
        dataset: root(d),
        from,
        to,
        period: Period(p),
    }
}

fn repair(s: SlotId, p: u64, c: u8) -> HealthEffect {
    HealthEffect::RepairRequested {
        slot: s,
        period: Period(p),
        certificate: cid(c),
    }
}

fn ignored(r: IgnoreReason) -> Vec<HealthEffect> {
    vec![HealthEffect::Ignored(r)]
}

/// A state with dataset 1 announced as K = 4, M = 2 under `config`.
fn k4m2(config: HealthConfig) -> HealthState {
    let mut h = HealthState::new(config);
    assert_eq!(
        h.apply(announce(1, 4, 2)),
        vec![HealthEffect::DatasetAdded {
            dataset: root(1),
            status: D::Healthy
        }]
    );
    h
}

fn status(h: &HealthState) -> DatasetStatus {
    h.dataset(&root(1)).unwrap().status
}

#[test]
fn misses_reach_the_budget_then_lost_and_one_repair_request() {
    let mut h = k4m2(HealthConfig::default());
    let s = slot(1, 3);
    assert_eq!(
        h.apply(verdict(s, 1, Verdict::Missing, 1)),
        vec![
            changed(s, S::Healthy, S::Missed(1), 1, &[1]),
            ds_changed(1, D::Healthy, D::Degraded, 1),
        ]
    );
    assert_eq!(
        h.apply(verdict(s, 2, Verdict::Missing, 2)),
        vec![
            changed(s, S::Missed(1), S::Lost, 2, &[1, 2]),
            repair(s, 2, 2)
        ]
    );
    // A third miss changes nothing and raises no second request.
    assert_eq!(h.apply(verdict(s, 3, Verdict::Missing, 3)), vec![]);
    let sh = h.slot(&s).unwrap();
    assert_eq!(sh.state(), S::Lost);
    assert_eq!(sh.evidence(), &[cid(1), cid(2)]);
    assert_eq!(sh.since(), Some(Period(2)));
    assert_eq!(sh.latest(), Some((Period(3), Verdict::Missing)));
    assert!(sh.repair_requested());
    let d = h.dataset(&root(1)).unwrap();
    assert_eq!(d.status, D::Degraded);
    assert_eq!(
        d.counts,
        SlotCounts {
            healthy: 5,
            failing: 0,
            lost: 1,
            repairing: 0
        }
    );
}

#[test]
fn a_valid_verdict_resets_the_miss_count() {
    let mut h = k4m2(HealthConfig::default());
    let s = slot(1, 0);
    h.apply(verdict(s, 1, Verdict::Missing, 1));
    assert_eq!(
        h.apply(verdict(s, 2, Verdict::Valid, 2)),
        vec![
            changed(s, S::Missed(1), S::Healthy, 2, &[2]),
            ds_changed(1, D::Degraded, D::Healthy, 2),
        ]
    );
    assert_eq!(
        h.apply(verdict(s, 3, Verdict::Missing, 3)),
        vec![
            changed(s, S::Healthy, S::Missed(1), 3, &[3]),
            ds_changed(1, D::Healthy, D::Degraded, 3),
        ]
    );
    assert_eq!(h.slot(&s).unwrap().misses(), 1);
}

#[test]
fn invalid_counts_as_a_miss_by_default() {
    let mut h = k4m2(HealthConfig::default());
    let s = slot(1, 1);
    assert_eq!(
        h.apply(verdict(s, 1, Verdict::Invalid, 1)),
        vec![
            changed(s, S::Healthy, S::Invalid, 1, &[1]),
            ds_changed(1, D::Healthy, D::Degraded, 1),
        ]
    );
    assert_eq!(
        h.apply(verdict(s, 2, Verdict::Missing, 2)),
        vec![changed(s, S::Invalid, S::Lost, 2, &[1, 2]), repair(s, 2, 2)]
    );
    assert_eq!(h.slot(&s).unwrap().invalids(), 1);

    // Missing then Invalid: the latest failure names the state, the run counts both.
    let t = slot(1, 2);
    assert_eq!(
        h.apply(verdict(t, 1, Verdict::Missing, 3)),
        vec![
            changed(t, S::Healthy, S::Missed(1), 1, &[3]),
            ds_changed(1, D::Degraded, D::AtRisk, 1),
        ]
    );
    assert_eq!(
        h.apply(verdict(t, 2, Verdict::Invalid, 4)),
        vec![
            changed(t, S::Missed(1), S::Lost, 2, &[3, 4]),
            repair(t, 2, 4)
        ]
    );
}

#[test]
fn invalid_budget_of_one_loses_the_slot_at_once() {
    let config = HealthConfig {
        invalid_budget: NonZeroU32::MIN,
        ..HealthConfig::default()
    };
    let mut h = k4m2(config);
    let s = slot(1, 5);
    assert_eq!(
        h.apply(verdict(s, 7, Verdict::Invalid, 9)),
        vec![
            changed(s, S::Healthy, S::Lost, 7, &[9]),
            ds_changed(1, D::Healthy, D::Degraded, 7),
            repair(s, 7, 9),
        ]
    );
}

#[test]
fn a_higher_miss_budget_counts_missed_n() {
    let config = HealthConfig {
        miss_budget: NonZeroU32::new(3).unwrap(),
        ..HealthConfig::default()
    };
    let mut h = k4m2(config);
    let s = slot(1, 0);
    h.apply(verdict(s, 1, Verdict::Missing, 1));
    assert_eq!(
        h.apply(verdict(s, 2, Verdict::Missing, 2)),
        vec![changed(s, S::Missed(1), S::Missed(2), 2, &[1, 2])]
    );
    assert_eq!(
        h.apply(verdict(s, 3, Verdict::Missing, 3)),
        vec![
            changed(s, S::Missed(2), S::Lost, 3, &[1, 2, 3]),
            repair(s, 3, 3)
        ]
    );
}

/// Loses `index` of dataset 1 with misses in periods `p` and `p + 1` (certificates `p`, `p+1`)
/// and returns the effects of the second miss.
fn lose(h: &mut HealthState, index: u16, p: u64) -> Vec<HealthEffect> {
    let s = slot(1, index);
    let first = h.apply(verdict(s, p, Verdict::Missing, p as u8));
    assert_eq!(
        first[0],
        changed(s, S::Healthy, S::Missed(1), p, &[p as u8])
    );
    h.apply(verdict(s, p + 1, Verdict::Missing, p as u8 + 1))
}

#[test]
fn k4_m2_down_to_k_is_at_risk_and_below_k_lost_without_repair() {
    let mut h = k4m2(HealthConfig::default());
    let (s0, s1, s2) = (slot(1, 0), slot(1, 1), slot(1, 2));

    assert_eq!(
        lose(&mut h, 0, 1),
        vec![
            changed(s0, S::Missed(1), S::Lost, 2, &[1, 2]),
            repair(s0, 2, 2)
        ]
    );
    assert_eq!(status(&h), D::Degraded);

    let first = h.apply(verdict(s1, 3, Verdict::Missing, 3));
    assert_eq!(
        first,
        vec![
            changed(s1, S::Healthy, S::Missed(1), 3, &[3]),
            ds_changed(1, D::Degraded, D::AtRisk, 3),
        ]
    );
    // Second loss: 4 slots survive (= K), still recoverable.
    assert_eq!(
        h.apply(verdict(s1, 4, Verdict::Missing, 4)),
        vec![
            changed(s1, S::Missed(1), S::Lost, 4, &[3, 4]),
            repair(s1, 4, 4)
        ]
    );
    assert_eq!(status(&h), D::AtRisk);

    assert_eq!(
        h.apply(verdict(s2, 5, Verdict::Missing, 5)),
        vec![
            changed(s2, S::Healthy, S::Missed(1), 5, &[5]),
            ds_changed(1, D::AtRisk, D::Lost, 5),
        ]
    );
    // Third loss: 3 survive < K: unrecoverable, no repair request.
    assert_eq!(
        h.apply(verdict(s2, 6, Verdict::Missing, 6)),
        vec![
            changed(s2, S::Missed(1), S::Lost, 6, &[5, 6]),
            HealthEffect::Unrecoverable {
                dataset: root(1),
                period: Period(6),
                surviving: 3
            },
        ]
    );
    assert!(!h.slot(&s2).unwrap().repair_requested());

    // Slot 0 is repaired: recoverable again, so slot 2's loss gets its (first) request, with
    // the period and certificate of the loss itself.
    assert_eq!(
        h.apply(HealthEvent::RepairCompleted {
            slot: s0,
            period: Period(7),
            certificate: cid(70),
        }),
        vec![
            changed(s0, S::Lost, S::Healthy, 7, &[70]),
            ds_changed(1, D::Lost, D::AtRisk, 7),
            repair(s2, 6, 6),
        ]
    );
    // Nothing more is pending.
    assert_eq!(h.apply(verdict(s1, 8, Verdict::Missing, 8)), vec![]);
}

#[test]
fn a_completed_repair_restores_the_slot_and_the_dataset() {
    let mut h = k4m2(HealthConfig::default());
    let s = slot(1, 4);
    lose(&mut h, 4, 10);
    assert_eq!(
        h.apply(HealthEvent::RepairStarted {
            slot: s,
            period: Period(12),
        }),
        vec![changed(s, S::Lost, S::Repairing, 12, &[10, 11])]
    );
    assert_eq!(
        h.dataset(&root(1)).unwrap().counts,
        SlotCounts {
            healthy: 5,
            failing: 0,
            lost: 0,
            repairing: 1
        }
    );
    // The slot has no provider while being rebuilt: misses are expected and change nothing.
    assert_eq!(h.apply(verdict(s, 13, Verdict::Missing, 13)), vec![]);
    assert_eq!(
        h.apply(HealthEvent::RepairCompleted {
            slot: s,
            period: Period(15),
            certificate: cid(15),
        }),
        vec![
            changed(s, S::Repairing, S::Healthy, 15, &[15]),
            ds_changed(1, D::Degraded, D::Healthy, 15),
        ]
    );
    // The same repair again is the same fact.
    assert_eq!(
        h.apply(HealthEvent::RepairCompleted {
            slot: s,
            period: Period(15),
            certificate: cid(15),
        }),
        ignored(IgnoreReason::Duplicate)
    );
    // A new loss is a new loss: it gets its own request.
    let effects = lose(&mut h, 4, 20);
    assert_eq!(effects.last(), Some(&repair(s, 21, 21)));
}

#[test]
fn a_valid_proof_on_a_repairing_slot_completes_the_repair() {
    let mut h = k4m2(HealthConfig::default());
    let s = slot(1, 0);
    lose(&mut h, 0, 1);
    h.apply(HealthEvent::RepairStarted {
        slot: s,
        period: Period(3),
    });
    assert_eq!(
        h.apply(verdict(s, 4, Verdict::Valid, 40)),
        vec![
            changed(s, S::Repairing, S::Healthy, 4, &[40]),
            ds_changed(1, D::Degraded, D::Healthy, 4),
        ]
    );
}

#[test]
fn duplicate_events_are_idempotent() {
    let mut h = k4m2(HealthConfig::default());
    let s = slot(1, 0);
    let e = verdict(s, 1, Verdict::Missing, 1);
    h.apply(e.clone());
    let before = h.clone();
    assert_eq!(h.apply(e), ignored(IgnoreReason::Duplicate));
    assert_eq!(h.apply(announce(1, 4, 2)), ignored(IgnoreReason::Duplicate));
    assert_eq!(h, before);
    // Another certificate for the same duty replaces the first (the engine passes only a
    // better one): the same state, on the new evidence.
    assert_eq!(h.apply(verdict(s, 1, Verdict::Missing, 99)), vec![]);
    assert_eq!(h.slot(&s).unwrap().evidence(), &[cid(99)]);
    assert_eq!(h.slot(&s).unwrap().state(), S::Missed(1));

    lose(&mut h, 1, 5);
    let start = HealthEvent::RepairStarted {
        slot: slot(1, 1),
        period: Period(7),
    };
    assert_eq!(h.apply(start.clone()).len(), 1);
    let before = h.clone();
    assert_eq!(h.apply(start), ignored(IgnoreReason::Duplicate));
    assert_eq!(h, before);
}

#[test]
fn late_verdicts_take_their_place_in_period_order() {
    let mut h = k4m2(HealthConfig::default());
    let s = slot(1, 2);
    h.apply(verdict(s, 5, Verdict::Missing, 5));
    // Period 3's Valid comes late: it is before the miss, so the slot stays Missed(1).
    assert_eq!(h.apply(verdict(s, 3, Verdict::Valid, 3)), vec![]);
    assert_eq!(h.slot(&s).unwrap().state(), S::Missed(1));
    assert_eq!(
        h.slot(&s).unwrap().latest(),
        Some((Period(5), Verdict::Missing))
    );
    // Period 4's miss comes late: the run is 4, 5, lost in period 5.
    assert_eq!(
        h.apply(verdict(s, 4, Verdict::Missing, 4)),
        vec![
            changed(s, S::Missed(1), S::Lost, 5, &[4, 5]),
            repair(s, 5, 5)
        ]
    );
    // A better certificate of period 5 replaces the evidence; the loss was requested already.
    assert_eq!(h.apply(verdict(s, 5, Verdict::Missing, 6)), vec![]);
    let sh = h.slot(&s).unwrap();
    assert_eq!(
        (sh.evidence(), sh.repair_requested()),
        (&[cid(4), cid(6)][..], true)
    );
    // Gaps are fine: periods without a duty never appear.
    assert_eq!(
        h.apply(verdict(s, 9, Verdict::Valid, 9)),
        vec![
            changed(s, S::Lost, S::Healthy, 9, &[9]),
            ds_changed(1, D::Degraded, D::Healthy, 9),
        ]
    );
    // A repair claimed before the loss finds no loss in its place; one completed in the
    // period of the latest verdict is not newer than it.
    assert_eq!(
        h.apply(HealthEvent::RepairStarted {
            slot: s,
            period: Period(2)
        }),
        ignored(IgnoreReason::NoRepairPending)
    );
    // Settled periods are closed: their events are stale, and the view does not change.
    let view = views(&h);
    let checkpoints = h.settle_before(Period(9));
    assert_eq!(checkpoints.len(), 1);
    assert_eq!(views(&h), view);
    assert_eq!(
        h.apply(verdict(s, 8, Verdict::Missing, 8)),
        ignored(IgnoreReason::Stale)
    );
    assert_eq!(h.settle_before(Period(9)), vec![], "nothing more to settle");
}

/// Everything a client sees: per dataset its status, counts and every slot's health.
fn views(h: &HealthState) -> Vec<(DatasetRoot, DatasetStatus, SlotCounts, Vec<SlotHealth>)> {
    h.datasets()
        .map(|d| (d.dataset, d.status, d.counts, d.slots.to_vec()))
        .collect()
}

/// The events of the chaos seed that made two honest views differ (0xe670470bfe253fc5): slot
/// 3 invalid in every period, slot 2 withheld, and a few valid slots, of one K = 4, M = 2
/// dataset; certificates per period `0..5`.
fn certified_run() -> Vec<HealthEvent> {
    let mut events = Vec::new();
    for p in 0..5u64 {
        let c = |s: u8| 10 * p as u8 + s;
        events.push(verdict(slot(1, 3), p, Verdict::Invalid, c(3)));
        events.push(verdict(slot(1, 2), p, Verdict::Missing, c(2)));
        events.push(verdict(slot(1, 0), p, Verdict::Valid, c(0)));
        if p % 2 == 0 {
            events.push(verdict(slot(1, 4), p, Verdict::Valid, c(4)));
        }
    }
    events
}

#[test]
fn certificates_in_any_order_give_the_same_view() {
    let in_order = {
        let mut h = k4m2(HealthConfig::default());
        for e in certified_run() {
            h.apply(e);
        }
        h
    };
    let sh = in_order.slot(&slot(1, 3)).unwrap();
    assert_eq!((sh.state(), sh.since()), (S::Lost, Some(Period(1))));
    // Period p + 1 before period p (a heal followed by a burst), newest first, and one
    // interleaving: one view, evidence and repair requests included.
    let run = certified_run();
    let swapped: Vec<_> = run
        .chunks(4)
        .collect::<Vec<_>>()
        .chunks(2)
        .flat_map(|pair| pair.iter().rev().flat_map(|c| c.iter().cloned()))
        .collect();
    let reversed: Vec<_> = run.iter().rev().cloned().collect();
    let interleaved: Vec<_> = run
        .iter()
        .step_by(2)
        .chain(run.iter().skip(1).step_by(2))
        .cloned()
        .collect();
    for order in [swapped, reversed, interleaved] {
        let mut h = k4m2(HealthConfig::default());
        for e in order {
            h.apply(e);
        }
        assert_eq!(views(&h), views(&in_order));
    }
}

#[test]
fn settling_and_restoring_keep_the_view() {
    let run = certified_run();
    let mut live = k4m2(HealthConfig::default());
    for e in &run {
        live.apply(e.clone());
    }
    // Settle the first three periods: what the store keeps, with the open periods' events.
    let mut settled = k4m2(HealthConfig::default());
    for e in &run {
        settled.apply(e.clone());
    }
    let checkpoints = settled.settle_before(Period(3));
    assert_eq!(views(&settled), views(&live));
    let open: Vec<_> = run
        .iter()
        .filter(|e| matches!(e, HealthEvent::FinalVerdict { period, .. } if *period >= Period(3)))
        .rev()
        .cloned()
        .collect();
    let mut restored = HealthState::new(HealthConfig::default());
    let refused = restored.restore(
        Period(3),
        checkpoints.clone(),
        std::iter::once(announce(1, 4, 2)).chain(open).collect(),
    );
    assert_eq!(refused, vec![]);
    assert_eq!(views(&restored), views(&live));
    assert_eq!(restored.settled_before(), Period(3));
    assert_eq!(restored.checkpoints().collect::<Vec<_>>(), checkpoints);
    // A checkpoint that does not fit its dataset is refused, not applied.
    let mut other = HealthState::new(HealthConfig::default());
    let refused = other.restore(Period(3), checkpoints, vec![announce(1, 3, 3)]);
    assert_eq!(refused.len(), 1);
    assert!(other.slot(&slot(1, 3)).unwrap().evidence().is_empty());
}

#[test]
fn unknown_datasets_slots_and_bad_announcements_are_ignored() {
    let mut h = k4m2(HealthConfig::default());
    let before = h.clone();
    assert_eq!(
        h.apply(verdict(slot(2, 0), 1, Verdict::Missing, 1)),
        ignored(IgnoreReason::UnknownDataset)
    );
    assert_eq!(
        h.apply(HealthEvent::RepairStarted {
            slot: slot(2, 0),
            period: Period(1)
        }),
        ignored(IgnoreReason::UnknownDataset)
    );
    assert_eq!(
        h.apply(verdict(slot(1, 6), 1, Verdict::Missing, 1)),
        ignored(IgnoreReason::UnknownSlot)
    );
    assert_eq!(h, before);
    // A repair claim for a healthy slot changes no view (it is kept in its place, in case an
    // earlier loss arrives).
    assert_eq!(
        h.apply(HealthEvent::RepairStarted {
            slot: slot(1, 0),
            period: Period(1)
        }),
        ignored(IgnoreReason::NoRepairPending)
    );
    let before = h.clone();
    assert_eq!(views(&h), views(&k4m2(HealthConfig::default())));
    assert_eq!(
        h.apply(announce(1, 3, 3)),
        ignored(IgnoreReason::AnnounceMismatch)
    );
    assert_eq!(h.apply(announce(3, 0, 2)), ignored(IgnoreReason::BadShape));
    assert_eq!(
        h.apply(announce(3, 200, 57)),
        ignored(IgnoreReason::BadShape)
    );
    assert_eq!(
        h.apply(announce(3, u16::MAX, u16::MAX)),
        ignored(IgnoreReason::BadShape)
    );
    assert_eq!(h, before);
    assert!(h.dataset(&root(2)).is_none());
    assert!(h.slot(&slot(1, 6)).is_none());
}

#[test]
fn a_dataset_without_parity_is_at_risk_from_the_start() {
    let mut h = HealthState::default();
    assert_eq!(
        h.apply(announce(4, 3, 0)),
        vec![HealthEffect::DatasetAdded {
            dataset: root(4),
            status: D::AtRisk
        }]
    );
    // Its first loss is unrecoverable: no repair request.
    let s = slot(4, 0);
    h.apply(verdict(s, 1, Verdict::Missing, 1));
    let effects = h.apply(verdict(s, 2, Verdict::Missing, 2));
    assert!(!effects
        .iter()
        .any(|e| matches!(e, HealthEffect::RepairRequested { .. })));
    assert!(effects.contains(&HealthEffect::Unrecoverable {
        dataset: root(4),
        period: Period(2),
        surviving: 2
    }));
}

#[test]
fn queries_list_datasets_in_root_order_with_per_slot_evidence() {
    let mut h = HealthState::default();
    for d in [3, 1, 2] {
        h.apply(announce(d, 2, 1));
    }
    h.apply(verdict(slot(2, 1), 1, Verdict::Valid, 7));
    let roots: Vec<_> = h.datasets().map(|d| d.dataset).collect();
    assert_eq!(roots, [root(1), root(2), root(3)]);
    let next: Vec<_> = h.datasets_after(&root(1)).map(|d| d.dataset).collect();
    assert_eq!(next, [root(2), root(3)]);
    assert_eq!(h.len(), 3);
    let d = h.dataset(&root(2)).unwrap();
    let slots: Vec<_> = d
        .slot_ids()
        .map(|(id, s)| (id, s.evidence().to_vec()))
        .collect();
    assert_eq!(
        slots,
        [
            (slot(2, 0), vec![]),
            (slot(2, 1), vec![cid(7)]),
            (slot(2, 2), vec![])
        ]
    );
}

// ---- property test ----

fn arb_event() -> impl Strategy<Value = HealthEvent> {
    let slot = (1u8..=4, 0u16..8).prop_map(|(d, i)| slot(d, i));
    let period = 0u64..24;
    let v = prop_oneof![
        4 => Just(Verdict::Valid),
        3 => Just(Verdict::Missing),
        1 => Just(Verdict::Invalid),
    ];
    prop_oneof![
        1 => (1u8..=4, 0u16..6, 0u16..4).prop_map(|(d, k, m)| announce(d, k, m)),
        10 => (slot.clone(), period.clone(), v, any::<u8>())
            .prop_map(|(s, p, v, c)| verdict(s, p, v, c)),
        1 => (slot.clone(), period.clone())
            .prop_map(|(s, p)| HealthEvent::RepairStarted { slot: s, period: Period(p) }),
        1 => (slot, period, any::<u8>()).prop_map(|(s, p, c)| HealthEvent::RepairCompleted {
            slot: s,
            period: Period(p),
            certificate: cid(c),
        }),
    ]
}

fn arb_config() -> impl Strategy<Value = HealthConfig> {
    (1u32..4, 1u32..4, prop::option::of(0u16..4)).prop_map(|(miss, inv, margin)| HealthConfig {
        miss_budget: NonZeroU32::new(miss).unwrap(),
        invalid_budget: NonZeroU32::new(inv).unwrap(),
        healthy_margin: margin,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_events_keep_the_status_consistent(
        config in arb_config(),
        events in prop::collection::vec(arb_event(), 0..200),
    ) {
        let mut h = HealthState::new(config);
        // Slots with a request raised and still written off.
        let mut requested = HashSet::new();
        for e in events {
            let effects = h.apply(e.clone());
            for d in h.datasets() {
                let counts = SlotCounts::of(d.slots);
                prop_assert_eq!(d.counts, counts);
                prop_assert_eq!(
                    d.status,
                    DatasetStatus::classify(counts.healthy, d.data_slots, d.parity_slots, &config)
                );
            }
            for effect in &effects {
                if let HealthEffect::SlotChanged { slot, to, .. } = effect {
                    if !matches!(to, SlotState::Lost | SlotState::Repairing) {
                        requested.remove(slot);
                    }
                }
                if let HealthEffect::RepairRequested { slot, .. } = effect {
                    // Once per loss, only for a lost slot of a recoverable dataset.
                    prop_assert!(requested.insert(*slot));
                    prop_assert_eq!(h.slot(slot).map(|s| s.state()), Some(SlotState::Lost));
                    let d = h.dataset(&slot.dataset).unwrap();
                    prop_assert!(d.counts.recoverable(d.data_slots));
                }
            }
            // Applying the same event again changes nothing.
            let before = h.clone();
            let again = h.apply(e);
            prop_assert!(again.iter().all(|x| matches!(x, HealthEffect::Ignored(_))));
            prop_assert!(again.len() <= 1);
            prop_assert_eq!(&h, &before);
        }
    }
}

/// One certificate per duty (a set, as the engine holds: the best one per (slot, period)).
fn arb_certified() -> impl Strategy<Value = Vec<HealthEvent>> {
    let v = prop_oneof![
        4 => Just(Verdict::Valid),
        3 => Just(Verdict::Missing),
        1 => Just(Verdict::Invalid),
    ];
    prop::collection::btree_map((0u16..6, 0u64..16), (v, any::<u8>()), 0..60).prop_map(|m| {
        m.into_iter()
            .map(|((i, p), (v, c))| verdict(slot(1, i), p, v, c))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_view_is_a_function_of_the_set_of_certificates(
        config in arb_config(),
        events in arb_certified().prop_shuffle(),
        settle in 0u64..16,
    ) {
        let mut a = HealthState::new(config);
        a.apply(announce(1, 4, 2));
        for e in &events {
            a.apply(e.clone());
        }
        // The same set in the reverse order, settled part-way like a node that pruned.
        let shuffled: Vec<_> = events.iter().rev().cloned().collect();
        let mut b = HealthState::new(config);
        b.apply(announce(1, 4, 2));
        let (early, late): (Vec<_>, Vec<_>) = shuffled.into_iter().partition(|e| {
            matches!(e, HealthEvent::FinalVerdict { period, .. } if period.0 < settle)
        });
        for e in early {
            b.apply(e);
        }
        b.settle_before(Period(settle));
        for e in late {
            b.apply(e);
        }
        let parts = |h: &HealthState| -> Vec<_> {
            h.datasets()
                .flat_map(|d| d.slots.iter().map(|s| s.parts()).collect::<Vec<_>>())
                .collect()
        };
        prop_assert_eq!(parts(&a), parts(&b));
        let (da, db) = (a.dataset(&root(1)).unwrap(), b.dataset(&root(1)).unwrap());
        prop_assert_eq!((da.status, da.counts), (db.status, db.counts));
        if da.counts.recoverable(da.data_slots) {
            // Every loss of a recoverable dataset is requested, whatever the order.
            prop_assert_eq!(views(&a), views(&b));
        }
    }
}
