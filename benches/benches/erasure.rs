//! Erasure-coding throughput of Codex's codewords, 64 KiB shards (one block per shard, as
//! in a dataset column): encoding for (K, M) = (2, 1) (Codex's default: XOR), (4, 2),
//! (20, 10), (128, 128), and decoding (`reconstruct` of M lost data shards from the other K)
//! for the same pairs. Throughput counts the K data shards in.
//!
//! The pairs with M > 1 are in Leopard's GF(2^8) range, so `proofmesh_erasure` runs
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
use reed_solomon_simd::rate::{HighRateDecoder, HighRateEncoder, RateDecoder, RateEncoder};
use std::hint::black_box;

const SHARD: usize = 64 * 1024;

fn encode(c: &mut Criterion) {
    for (k, m) in PAIRS {
        let bytes = data_bytes(k);
        let data: Vec<&[u8]> = bytes.chunks(SHARD).collect();
        let want = if m == 1 {
            proofmesh_erasure::Field::Xor
        } else {
            proofmesh_erasure::Field::Gf8
        };
        assert_eq!(proofmesh_erasure::field_for(k, m), want);

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

/// The pairs benched: Codex's default first.
const PAIRS: [(usize, usize); 4] = [(2, 1), (4, 2), (20, 10), (128, 128)];

fn data_bytes(k: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; k * SHARD];
    rand_chacha::ChaCha8Rng::seed_from_u64(7).fill_bytes(&mut bytes);
    bytes
}

/// Rebuilds the first M data shards from the other K - M data shards and the M parity shards
/// (the worst case: every lost shard is data). Baseline: `reed-solomon-simd`'s high-rate
/// decoder restoring the same shards of its own codeword.
fn decode(c: &mut Criterion) {
    for (k, m) in PAIRS {
        let bytes = data_bytes(k);
        let data: Vec<&[u8]> = bytes.chunks(SHARD).collect();
        let parity = proofmesh_erasure::encode(&data, m).unwrap();
        let mut simd = HighRateEncoder::new(k, m, SHARD, DefaultEngine::new(), None).unwrap();
        for d in &data {
            simd.add_original_shard(d).unwrap();
        }
        let simd_parity: Vec<Vec<u8>> = simd
            .encode()
            .unwrap()
            .recovery_iter()
            .map(<[u8]>::to_vec)
            .collect();

        let group = format!("erasure_decode_K{k}_M{m}");
        let mut g = c.benchmark_group(&group);
        g.sample_size(10);
        g.throughput(Throughput::Bytes((k * SHARD) as u64));
        g.bench_function("reed_solomon_simd_high_rate", |b| {
            b.iter(|| {
                let mut dec =
                    HighRateDecoder::new(k, m, SHARD, DefaultEngine::new(), None).unwrap();
                for (i, d) in data.iter().enumerate().skip(m) {
                    dec.add_original_shard(i, black_box(d)).unwrap();
                }
                for (j, p) in simd_parity.iter().enumerate() {
                    dec.add_recovery_shard(j, black_box(p)).unwrap();
                }
                let restored: Vec<Vec<u8>> = dec
                    .decode()
                    .unwrap()
                    .restored_original_iter()
                    .map(|(_, s)| s.to_vec())
                    .collect();
                restored
            })
        });
        g.bench_function("proofmesh_erasure", |b| {
            b.iter(|| {
                let mut shards: Vec<Option<Vec<u8>>> = data
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (i >= m).then(|| d.to_vec()))
                    .chain(parity.iter().map(|p| Some(p.clone())))
                    .collect();
                proofmesh_erasure::reconstruct(black_box(&mut shards), k, m).unwrap();
                shards
            })
        });
        g.finish();
        report_ratio(&group, "reed_solomon_simd_high_rate", "proofmesh_erasure");
    }
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
