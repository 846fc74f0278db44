//! Partitions that heal: while cut, each side keeps working alone (the side with a quorum
//! certifies); on heal both sides see a new connection, sync their batches and end with the
//! same certificates.

use crate::honest::{rng, tuning};
use proofmesh_sim::{run_seeds, NetConfig, Partition, Scenario, Sim};
use rand::Rng;

/// A random minority side of `n` verifiers, cut from the start of period `1..=2` for one to
/// three periods.
fn partition(
    s: &Scenario,
    n: usize,
    max_side: usize,
    rng: &mut rand_chacha::ChaCha20Rng,
) -> Partition {
    let mut order: Vec<usize> = (0..n).collect();
    rand::seq::SliceRandom::shuffle(&mut order[..], rng);
    let side = order[..rng.gen_range(1..=max_side)].to_vec();
    let from_ms = s.period_start_ms(rng.gen_range(0..=2)) + rng.gen_range(0..6_000);
    let until_ms = from_ms + rng.gen_range(2_000..=18_000);
    Partition {
        side,
        from_ms,
        until_ms: until_ms.min(s.period_start_ms(s.periods) - 1_000),
        providers: false,
    }
}

#[test]
fn healed_partition_converges() {
    // Verifiers split in two (any sizes up to half): neither side may have a quorum while
    // cut. The provers reach both sides, so once healed every duty is certified Valid.
    run_seeds("healed_partition_converges", 12, |seed| {
        let mut rng = rng(seed);
        let n = rng.gen_range(4..=7);
        let mut s = Scenario::honest(seed, n);
        s.net = NetConfig::random(&mut rng, 0.02);
        tuning(&mut s, &mut rng);
        let p = partition(&s, n, n / 2, &mut rng);
        s.partitions.push(p);
        let mut sim = Sim::new(s);
        sim.run()?;
        sim.check(true)
    });
}

#[test]
fn partition_cut_from_the_provers_converges() {
    // A side under 1/3 that also misses the proofs attests Missing while cut; the rest is a
    // quorum and certifies Valid; after the heal everyone holds the same certificates.
    run_seeds("partition_cut_from_the_provers_converges", 6, |seed| {
        let mut rng = rng(seed);
        let n = rng.gen_range(4..=7);
        let mut s = Scenario::honest(seed, n);
        let mut p = partition(&s, n, (n - 1) / 3, &mut rng);
        p.providers = true;
        s.partitions.push(p);
        let mut sim = Sim::new(s);
        sim.run()?;
        sim.check(true)
    });
}
