//! All-honest meshes.

use proofmesh_sim::{run_seeds, Scenario, Sim};

#[test]
fn honest_reliable_mesh_agrees_and_finalises() {
    run_seeds("honest_reliable_mesh_agrees_and_finalises", 2, |seed| {
        let t = std::time::Instant::now();
        let mut sim = Sim::new(Scenario::honest(seed, 4));
        let setup = t.elapsed();
        sim.run()?;
        let ran = t.elapsed();
        sim.check(true)?;
        eprintln!(
            "setup {setup:?} run {ran:?} events {} reports {:?} verdicts {:?}",
            sim.events,
            sim.reports(),
            sim.verdict_counts()
        );
        Ok(())
    });
}
