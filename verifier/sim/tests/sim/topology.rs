//! Meshes that are not full: a verifier that joins late, linked to a single other verifier
//! and to no prover, learns the dataset only because a re-published registry record that its
//! neighbour already knows is still accepted, hence forwarded (issue 12, item 7).

use crate::honest::rng;
use proofmesh_proto::Period;
use proofmesh_sim::{fixture, run_seeds, NetConfig, Scenario, Sim};
use rand::Rng;

#[test]
fn late_verifier_two_hops_from_every_prover_learns_the_dataset_and_attests() {
    run_seeds(
        "late_verifier_two_hops_from_every_prover_learns_the_dataset_and_attests",
        4,
        |seed| {
            let mut rng = rng(seed);
            let n = rng.gen_range(4..=6);
            let mut s = Scenario::honest(seed, n);
            s.net = NetConfig::random(&mut rng, 0.0);
            let late = n - 1;
            let neighbour = rng.gen_range(0..late);
            for v in (0..late).filter(|&v| v != neighbour) {
                s.unlinked.push((late, v));
            }
            for j in 0..proofmesh_sim::fixture::PROVIDERS {
                s.unlinked.push((late, s.prover_node(j)));
            }
            // Joins after the first announcement went out (and its duplicate-cache life
            // ended), a little after a period's start.
            let join_period = rng.gen_range(1..=2);
            s.joins.push((
                late,
                s.period_start_ms(join_period) + rng.gen_range(1..1_000),
            ));
            let periods = s.periods;
            let mut sim = Sim::new(s);
            sim.run()?;
            sim.check(true)?;
            let node = sim.honest(late).unwrap();
            let engine = node.engine.as_ref().unwrap();
            if engine
                .intake()
                .registry
                .dataset(&fixture().root())
                .is_none()
            {
                return Err("the late verifier never learned the dataset".into());
            }
            // It attests every full period after it joined, with every duty Valid.
            for p in join_period + 1..periods {
                let ours: Vec<_> = node
                    .store
                    .attestations()
                    .filter(|b| b.period == Period(p) && b.verifier == node.index)
                    .collect();
                let all_valid = ours.len() == 1
                    && ours[0].entries.len() == usize::from(proofmesh_sim::fixture::SLOTS)
                    && ours[0]
                        .entries
                        .iter()
                        .all(|e| e.verdict == proofmesh_proto::Verdict::Valid);
                if !all_valid {
                    return Err(format!(
                        "the late verifier's batch for period {p} is not one all-Valid batch: {ours:?}"
                    ));
                }
            }
            Ok(())
        },
    );
}
