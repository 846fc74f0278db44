//! Byzantine signers: members that run a script instead of the engine, with the verifier
//! crate's public signing API. Under 1/3 of the weight they never create or flip a final
//! verdict, and the ≥ 2/3 honest weight finalises every duty whatever they do.

use crate::honest::{rng, slot_faults, tuning};
use proofmesh_proto::{Period, VerifierIndex};
use proofmesh_sim::{run_seeds, Adversary, Member, Role, Scenario, Sim};
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;

fn adversary(rng: &mut ChaCha20Rng) -> Adversary {
    match rng.gen_range(0..4) {
        0 => Adversary::Opposite,
        1 => Adversary::Equivocate,
        2 => Adversary::Withhold,
        _ => Adversary::Spam(rng.gen_range(2..=8)),
    }
}

/// `n` members with random weights, the byzantine ones (random adversaries) holding less
/// than 1/3 of the weight (as much of it as the draw allows).
fn minority(seed: u64, rng: &mut ChaCha20Rng) -> Scenario {
    let n = rng.gen_range(4..=8);
    let weights: Vec<u64> = (0..n).map(|_| rng.gen_range(1..=4)).collect();
    let total: u64 = weights.iter().sum();
    let mut order: Vec<usize> = (0..n).collect();
    rand::seq::SliceRandom::shuffle(&mut order[..], rng);
    let mut byz = Vec::new();
    let mut weight = 0;
    for i in order {
        if 3 * (weight + weights[i]) < total {
            weight += weights[i];
            byz.push(i);
        }
    }
    let members = (0..n)
        .map(|i| Member {
            role: if byz.contains(&i) {
                Role::Byzantine(adversary(rng))
            } else {
                Role::Honest
            },
            weight: weights[i],
        })
        .collect();
    Scenario::new(seed, members)
}

#[test]
fn byzantine_minority_never_creates_or_flips_a_verdict() {
    run_seeds(
        "byzantine_minority_never_creates_or_flips_a_verdict",
        20,
        |seed| {
            let mut rng = rng(seed);
            let mut s = minority(seed, &mut rng);
            tuning(&mut s, &mut rng);
            slot_faults(&mut s, &mut rng);
            assert!(3 * (s.total_weight() - s.honest_weight()) < s.total_weight());
            let mut sim = Sim::new(s);
            sim.run()?;
            sim.check(true)
        },
    );
}

#[test]
fn exactly_two_thirds_honest_still_finalises() {
    // One third byzantine (not under it): the honest two thirds are exactly a quorum, so every
    // honest batch is needed; the byzantine third cannot reach a quorum with anyone honest.
    run_seeds("exactly_two_thirds_honest_still_finalises", 8, |seed| {
        let mut rng = rng(seed);
        let n = if rng.gen_bool(0.5) { 3 } else { 6 };
        let members = (0..n)
            .map(|i| Member {
                role: if i % 3 == 2 {
                    Role::Byzantine(adversary(&mut rng))
                } else {
                    Role::Honest
                },
                weight: 1,
            })
            .collect();
        let mut s = Scenario::new(seed, members);
        slot_faults(&mut s, &mut rng);
        let mut sim = Sim::new(s);
        sim.run()?;
        sim.check(true)
    });
}

#[test]
fn silent_third_blocks_finality_but_nothing_wrong_is_certified() {
    // Honest weight under 2/3: no certificate can form, and none does.
    run_seeds(
        "silent_third_blocks_finality_but_nothing_wrong_is_certified",
        2,
        |seed| {
            let mut rng = rng(seed);
            let silent = Member {
                role: Role::Byzantine(Adversary::Withhold),
                weight: 1,
            };
            let honest = Member {
                role: Role::Honest,
                weight: 1,
            };
            let mut s = Scenario::new(seed, vec![honest, silent, honest, silent]);
            s.periods = 3;
            slot_faults(&mut s, &mut rng);
            let mut sim = Sim::new(s);
            sim.run()?;
            sim.check(false)?;
            if sim.published_certificates().count() > 0 {
                return Err("a certificate formed without a quorum".into());
            }
            Ok(())
        },
    );
}

#[test]
fn equivocation_is_kept_as_evidence_by_every_honest_engine() {
    run_seeds(
        "equivocation_is_kept_as_evidence_by_every_honest_engine",
        5,
        |seed| {
            let mut rng = rng(seed);
            let n = rng.gen_range(4..=7);
            let liar = rng.gen_range(0..n);
            let members = (0..n)
                .map(|i| Member {
                    role: if i == liar {
                        Role::Byzantine(Adversary::Equivocate)
                    } else {
                        Role::Honest
                    },
                    weight: 1,
                })
                .collect();
            let s = Scenario::new(seed, members);
            let periods = s.periods;
            let mut sim = Sim::new(s);
            sim.run()?;
            sim.check(true)?;
            for v in sim.honest_ids() {
                let engine = sim.honest(v).and_then(|n| n.engine.as_ref()).unwrap();
                let caught: Vec<Period> = engine
                    .pool()
                    .equivocations()
                    .iter()
                    .filter(|e| e.verifier == VerifierIndex(liar as u16))
                    .map(|e| e.period)
                    .collect();
                // Retained periods only (the last one's pair may still be in flight at the end).
                for p in 0..periods - 1 {
                    if !caught.contains(&Period(p)) {
                        return Err(format!(
                            "verifier {v} holds no evidence of {liar}'s equivocation in period {p}"
                        ));
                    }
                }
            }
            Ok(())
        },
    );
}

#[test]
fn batch_spam_is_capped_per_signer_and_period() {
    run_seeds("batch_spam_is_capped_per_signer_and_period", 5, |seed| {
        let mut rng = rng(seed);
        let mut members = vec![
            Member {
                role: Role::Honest,
                weight: 1,
            };
            5
        ];
        members[rng.gen_range(0..5)].role = Role::Byzantine(Adversary::Spam(12));
        let s = Scenario::new(seed, members);
        let cap = s.engine.max_batches_per_signer as usize;
        let mut sim = Sim::new(s);
        sim.run()?;
        sim.check(true)?;
        for v in sim.honest_ids() {
            let engine = sim.honest(v).and_then(|n| n.engine.as_ref()).unwrap();
            for p in 0..sim.scenario().periods {
                let mut per_signer: BTreeMap<VerifierIndex, usize> = BTreeMap::new();
                for b in engine.pool().batches(Period(p)) {
                    *per_signer.entry(b.verifier).or_insert(0) += 1;
                }
                if let Some((signer, n)) = per_signer.iter().find(|(_, n)| **n > cap) {
                    return Err(format!(
                        "verifier {v} holds {n} batches of {} for period {p} (cap {cap})",
                        signer.0
                    ));
                }
            }
        }
        Ok(())
    });
}
