//! Slot takeovers: only the dataset's owner assigns slots. A provider of other slots gossips
//! an assignment of someone else's slot to itself (signed with its own key, as a protocol v1
//! claim was) and publishes that slot's valid proofs under its own key. The slot's real holder
//! sends nothing, so the truth is `Missing`: had any honest engine taken the forged assignment,
//! the thief's valid proofs would have been certified `Valid` and the finality check would fail.

use crate::honest::{rng, tuning};
use proofmesh_proto::Period;
use proofmesh_sim::{fixture, run_seeds, Fixture, Scenario, Sim, Takeover};
use rand::Rng;

#[test]
fn forged_takeover_is_rejected_and_its_proofs_never_count() {
    run_seeds(
        "forged_takeover_is_rejected_and_its_proofs_never_count",
        4,
        |seed| {
            let mut rng = rng(seed);
            let mut s = Scenario::honest(seed, rng.gen_range(3..=5));
            tuning(&mut s, &mut rng);
            let slot = 0;
            let thief = 1;
            assert_ne!(Fixture::holder(slot), thief);
            s.withhold.push(slot);
            s.takeover = Some(Takeover {
                slot,
                thief,
                from: rng.gen_range(0..=2),
            });
            let periods = s.periods;
            let mut sim = Sim::new(s);
            sim.run()?;
            sim.check(true)?;
            let fx = fixture();
            for v in sim.honest_ids() {
                let n = sim.honest(v).unwrap();
                let rejected = n.reports.get(&("assign", "reject")).copied().unwrap_or(0);
                if rejected == 0 {
                    return Err(format!("verifier {v} never rejected the forged assignment"));
                }
                let registry = &n.engine.as_ref().unwrap().intake().registry;
                for p in 0..periods {
                    if registry.provider_at(&fx.slot(slot), Period(p))
                        != Some(&fx.provider_key(Fixture::holder(slot)))
                    {
                        return Err(format!(
                            "verifier {v} has another provider for slot {slot} in period {p}"
                        ));
                    }
                }
                if n.reports.get(&("proof", "reject")).copied().unwrap_or(0) == 0 {
                    return Err(format!("verifier {v} never rejected the thief's proofs"));
                }
            }
            Ok(())
        },
    );
}
