//! Erasure-encoding throughput of Codex's codewords, 64 KiB shards (one block per shard, as
//! in a dataset column), for (K, M) = (4, 2), (20, 10), (128, 128). Throughput counts the K
//! data shards in.
//!
//! All three pairs are in Leopard's GF(2^8) range, so `proofmesh_erasure::encode` runs
//! `leopard-codec` (portable Rust, byte-exact with Leopard). Baseline: `reed-solomon-simd`'s
//! high-rate GF(2^16) encoder (SIMD) on the same data, the code proofmesh uses for the
//! GF(2^16) pairs; it does not give Leopard's parity on these pairs, so the ratio is what
//! byte-compatibility costs there.
//!
//! `cargo bench -p proofmesh-benches --bench erasure`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use proofmesh_benches::report_ratio;
use rand::{RngCore, SeedableRng};
use reed_solomon_simd::engine::DefaultEngine;
use reed_solomon_simd::rate::{HighRateEncoder, RateEncoder};
use std::hint::black_box;

const SHARD: usize = 64 * 1024;

fn encode(c: &mut Criterion) {
    for (k, m) in [(4, 2), (20, 10), (128, 128)] {
        let mut bytes = vec![0u8; k * SHARD];
        rand_chacha::ChaCha8Rng::seed_from_u64(7).fill_bytes(&mut bytes);
        let data: Vec<&[u8]> = bytes.chunks(SHARD).collect();
        assert_eq!(
            proofmesh_erasure::field_for(k, m),
            proofmesh_erasure::Field::Gf8
        );

        let group = format!("erasure_encode_K{k}_M{m}");
        let mut g = c.benchmark_group(&group);
        g.sample_size(10);
        g.throughput(Throughput::Bytes((k * SHARD) as u64));
        g.bench_function("reed_solomon_simd_high_rate", |b| {
            b.iter(|| {
                let mut enc =
                    HighRateEncoder::new(k, m, SHARD, DefaultEngine::new(), None).unwrap();
                for d in &data {
                    enc.add_original_shard(black_box(d)).unwrap();
                }
                // Owned parity, as `proofmesh_erasure::encode` returns it.
                let parity: Vec<Vec<u8>> = enc
                    .encode()
                    .unwrap()
                    .recovery_iter()
                    .map(<[u8]>::to_vec)
                    .collect();
                parity
            })
        });
        g.bench_function("proofmesh_erasure", |b| {
            b.iter(|| proofmesh_erasure::encode(black_box(&data), m).unwrap())
        });
        g.finish();
        report_ratio(&group, "reed_solomon_simd_high_rate", "proofmesh_erasure");
    }
}

criterion_group!(benches, encode);
criterion_main!(benches);
