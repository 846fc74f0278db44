//! Everything at once: a byzantine minority, a lossy network, a partition, restarts, slot
//! faults, random tuning. Finality is not promised (a restart or a partition can take the
//! honest weight under a quorum for a period), but agreement on certificates and on health
//! views, safety and no honest equivocation are. Health views agree although nodes get
//! certificates in different orders (a heal followed by a burst delivers period p + 1's before
//! period p's; seed 0xe670470bfe253fc5 of this test did): each slot's view is the fold of its
//! certificates in period order.

use crate::honest::{rng, slot_faults, tuning};
use proofmesh_sim::{
    run_seeds, Adversary, Member, NetConfig, Partition, Restart, Role, Scenario, Sim, Stop,
};
use rand::Rng;

#[test]
fn chaos_never_breaks_agreement_or_safety() {
    run_seeds("chaos_never_breaks_agreement_or_safety", 10, |seed| {
        let mut rng = rng(seed);
        let n = rng.gen_range(4..=8);
        let byzantine = (n - 1) / 3;
        let adversaries = [
            Adversary::Opposite,
            Adversary::Equivocate,
            Adversary::Withhold,
            Adversary::Spam(5),
        ];
        let mut members: Vec<Member> = (0..n)
            .map(|_| Member {
                role: Role::Honest,
                weight: 1,
            })
            .collect();
        let mut order: Vec<usize> = (0..n).collect();
        rand::seq::SliceRandom::shuffle(&mut order[..], &mut rng);
        for &i in &order[..byzantine] {
            members[i].role = Role::Byzantine(adversaries[rng.gen_range(0..adversaries.len())]);
        }
        let honest: Vec<usize> = order[byzantine..].to_vec();
        let mut s = Scenario::new(seed, members);
        s.net = NetConfig::random(&mut rng, 0.02);
        tuning(&mut s, &mut rng);
        slot_faults(&mut s, &mut rng);
        if !s.invalid.is_empty() {
            s.net.provider_loss = 0.0;
        }
        let last = s.period_start_ms(s.periods) - 2_000;
        let from_ms = rng.gen_range(0..last / 2);
        s.partitions.push(Partition {
            side: order[..rng.gen_range(1..=n / 2)].to_vec(),
            from_ms,
            until_ms: (from_ms + rng.gen_range(1_000..=12_000)).min(last),
            providers: rng.gen_bool(0.3),
        });
        for _ in 0..rng.gen_range(1..=2) {
            let down_ms = rng.gen_range(500..last);
            s.restarts.push(Restart {
                verifier: honest[rng.gen_range(0..honest.len())],
                down_ms,
                up_ms: (down_ms + rng.gen_range(0..=6_000)).min(last),
                stop: [Stop::Crash, Stop::Torn, Stop::Graceful][rng.gen_range(0..3)],
            });
        }
        s.restarts.sort_by_key(|r| (r.verifier, r.down_ms));
        // One restart per verifier at a time: drop overlapping ones.
        let mut kept: Vec<Restart> = Vec::new();
        for r in s.restarts.drain(..) {
            if kept
                .last()
                .is_none_or(|k| k.verifier != r.verifier || k.up_ms < r.down_ms)
            {
                kept.push(r);
            }
        }
        s.restarts = kept;
        let mut sim = Sim::new(s);
        sim.run()?;
        sim.check(false)
    });
}
