//! Restarts: a verifier crashes (between steps, or in the middle of one: after its write and
//! before anything else leaves it), or stops gracefully (flush and drain), and comes back from
//! its store. Nothing it stored is lost (the
//! harness checks the rebuilt engine against the store at every restart), it never signs a
//! period twice, and the mesh converges.

use crate::honest::{rng, slot_faults, tuning};
use proofmesh_sim::{run_seeds, NetConfig, Restart, Scenario, Sim, Stop};
use rand::Rng;

#[test]
fn restarts_lose_nothing_and_never_equivocate() {
    run_seeds("restarts_lose_nothing_and_never_equivocate", 16, |seed| {
        let mut rng = rng(seed);
        let n = rng.gen_range(4..=7);
        let mut s = Scenario::honest(seed, n);
        s.net = NetConfig::random(&mut rng, 0.02);
        tuning(&mut s, &mut rng);
        // A short retention exercises pruning (and what a restart restores of it).
        s.engine.retention_periods = rng.gen_range(2..=4);
        slot_faults(&mut s, &mut rng);
        if !s.invalid.is_empty() {
            s.net.provider_loss = 0.0;
        }
        // At most n - quorum verifiers restart, so a quorum is always up in every period.
        let quorum = (2 * n).div_ceil(3);
        let mut order: Vec<usize> = (0..n).collect();
        rand::seq::SliceRandom::shuffle(&mut order[..], &mut rng);
        let last = s.period_start_ms(s.periods) - 2_000;
        for &v in &order[..rng.gen_range(1..=n - quorum)] {
            let mut t = rng.gen_range(500..last / 2);
            for _ in 0..rng.gen_range(1..=3) {
                let down = t;
                let up = (down + rng.gen_range(0..=7_000)).min(last);
                if up <= down {
                    break;
                }
                s.restarts.push(Restart {
                    verifier: v,
                    down_ms: down,
                    up_ms: up,
                    stop: [Stop::Crash, Stop::Torn, Stop::Graceful][rng.gen_range(0..3)],
                });
                t = up + rng.gen_range(1_000..=8_000);
                if t >= last {
                    break;
                }
            }
        }
        let mut sim = Sim::new(s);
        sim.run()?;
        sim.check(true)?;
        let restarted = sim
            .honest_ids()
            .filter_map(|v| sim.honest(v))
            .map(|n| n.restarts)
            .sum::<u32>();
        if restarted == 0 {
            return Err("no verifier restarted".into());
        }
        Ok(())
    });
}
