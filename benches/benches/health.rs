//! Health state machine throughput: `HealthState::apply` over 10,000 datasets × 6 slots
//! (K = 4, M = 2), four periods of final verdicts per slot, in period order as certificates
//! arrive. Baseline: all-Valid verdicts (the steady state: lookups, no state change);
//! candidate: mixed verdicts (seeded: 85 % Valid, 10 % Missing, 5 % Invalid), which drive
//! slots through Missed / Invalid / Lost, dataset status changes and repair requests.
//!
//! `cargo bench -p proofmesh-benches --bench health`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use proofmesh_benches::report_ratio;
use proofmesh_proto::{ContentId, DatasetRoot, Period, SlotId, Verdict};
use proofmesh_verifier::health::{HealthConfig, HealthEvent, HealthState};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::hint::black_box;

const DATASETS: u32 = 10_000;
const K: u16 = 4;
const M: u16 = 2;
const PERIODS: u64 = 4;

fn root(i: u32) -> DatasetRoot {
    let mut b = [0u8; 32];
    b[..4].copy_from_slice(&i.to_le_bytes());
    DatasetRoot::from_le_bytes(b).unwrap()
}

fn announced() -> HealthState {
    let mut h = HealthState::new(HealthConfig::default());
    for i in 0..DATASETS {
        h.apply(HealthEvent::DatasetAnnounced {
            dataset: root(i),
            data_slots: K,
            parity_slots: M,
        });
    }
    h
}

fn verdicts(mut pick: impl FnMut() -> Verdict) -> Vec<HealthEvent> {
    let mut events = Vec::new();
    let mut n: u64 = 0;
    for p in 1..=PERIODS {
        for i in 0..DATASETS {
            for index in 0..K + M {
                n += 1;
                let mut c = [0u8; 32];
                c[..8].copy_from_slice(&n.to_le_bytes());
                events.push(HealthEvent::FinalVerdict {
                    slot: SlotId {
                        dataset: root(i),
                        index,
                    },
                    period: Period(p),
                    verdict: pick(),
                    certificate: ContentId(c),
                });
            }
        }
    }
    events
}

fn health(c: &mut Criterion) {
    let base = announced();
    let steady = verdicts(|| Verdict::Valid);
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let mixed = verdicts(|| match rng.gen_range(0..100) {
        0..85 => Verdict::Valid,
        85..95 => Verdict::Missing,
        _ => Verdict::Invalid,
    });

    let group = "health_apply_10k_datasets_x6";
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.throughput(Throughput::Elements(steady.len() as u64));
    for (id, events) in [("steady_valid", &steady), ("mixed", &mixed)] {
        g.bench_function(id, |b| {
            b.iter_batched(
                || base.clone(),
                |mut h| {
                    let mut effects = 0usize;
                    for e in events {
                        effects += h.apply(black_box(e.clone())).len();
                    }
                    (h, effects)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
    report_ratio(group, "steady_valid", "mixed");
}

criterion_group!(benches, health);
criterion_main!(benches);
