//! All-honest meshes: every engine ends with the same certificates, each with the truth.

use proofmesh_sim::fixture::SLOTS;
use proofmesh_sim::{run_seeds, Member, NetConfig, Role, Scenario, Sim};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// The one slot whose holder may send invalid proofs (its wrong proofs are made once per
/// process, like the valid ones: one fixed slot keeps that to one slot's worth).
pub(crate) const INVALID_SLOT: u16 = SLOTS - 1;

/// With probability 1/2 each: one of the other slots withheld, [`INVALID_SLOT`] invalid.
pub(crate) fn slot_faults(s: &mut Scenario, rng: &mut ChaCha20Rng) {
    if rng.gen_bool(0.5) {
        s.withhold.push(rng.gen_range(0..INVALID_SLOT));
    }
    if rng.gen_bool(0.5) {
        s.invalid.push(INVALID_SLOT);
    }
}

/// Random engine tuning and timing (job sizes and delays, settle, grace) and maybe an
/// observer: the properties hold for any of them.
pub(crate) fn tuning(s: &mut Scenario, rng: &mut ChaCha20Rng) {
    s.engine.batch_size = rng.gen_range(1..=8);
    s.engine.batch_delay_ms = rng.gen_range(0..=300);
    s.engine.settle_secs = rng.gen_range(1..=2);
    s.timeout_secs = rng.gen_range(1..=3);
    s.observers = rng.gen_range(0..=1);
}

/// The scenario's own randomness (apart from the simulation's, which also comes from `seed`).
pub(crate) fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed ^ 0x5ce7_a410)
}

#[test]
fn honest_reliable_mesh_agrees_and_finalises() {
    run_seeds("honest_reliable_mesh_agrees_and_finalises", 10, |seed| {
        let mut rng = rng(seed);
        let mut s = Scenario::honest(seed, rng.gen_range(3..=6));
        tuning(&mut s, &mut rng);
        slot_faults(&mut s, &mut rng);
        let mut sim = Sim::new(s);
        sim.run()?;
        sim.check(true)
    });
}

#[test]
fn honest_lossy_mesh_agrees_and_finalises() {
    // Loss on one link is healed by the other paths (every accepting node forwards). Weights
    // stay ≤ 1/3 each, so one unlucky node that misses a proof cannot block a quorum; invalid
    // proofs are never forwarded, so a scenario with one keeps the provers' links lossless.
    run_seeds("honest_lossy_mesh_agrees_and_finalises", 12, |seed| {
        let mut rng = rng(seed);
        let n = rng.gen_range(5..=7);
        let members = (0..n)
            .map(|_| Member {
                role: Role::Honest,
                weight: rng.gen_range(1..=2),
            })
            .collect();
        let mut s = Scenario::new(seed, members);
        s.net = NetConfig::random(&mut rng, 0.08);
        tuning(&mut s, &mut rng);
        slot_faults(&mut s, &mut rng);
        if !s.invalid.is_empty() {
            s.net.provider_loss = 0.0;
        }
        let mut sim = Sim::new(s);
        sim.run()?;
        sim.check(true)
    });
}
