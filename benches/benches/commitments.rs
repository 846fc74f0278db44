//! Commitment speed: Poseidon2 permutation, cell hash, block hash, and a slot tree built from a
//! file on one core vs all cores (the ratio is the parallel speedup, measured in one run).
//!
//! `cargo bench -p proofmesh-benches --bench commitments`
//! (slot size: `PROOFMESH_BENCH_SLOT_MIB`, default 16).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use proofmesh_benches::report_ratio;
use proofmesh_circuits::poseidon2::permute;
use proofmesh_circuits::slot::{block_hash, hash_cell, BLOCK_SIZE, CELL_SIZE};
use proofmesh_circuits::Fr;
use proofmesh_prover::SlotFile;
use rand::{RngCore, SeedableRng};
use std::hint::black_box;

fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand_chacha::ChaCha8Rng::seed_from_u64(7).fill_bytes(&mut v);
    v
}

fn hashing(c: &mut Criterion) {
    let mut g = c.benchmark_group("poseidon2");
    g.bench_function("permutation", |b| {
        let mut s = [Fr::from(0u64), Fr::from(1u64), Fr::from(2u64)];
        b.iter(|| {
            permute(black_box(&mut s));
        })
    });
    let cell = random_bytes(CELL_SIZE);
    g.throughput(Throughput::Bytes(CELL_SIZE as u64));
    g.bench_function("cell_hash_2KiB", |b| {
        b.iter(|| hash_cell(black_box(&cell)).unwrap())
    });
    let block = random_bytes(BLOCK_SIZE);
    g.throughput(Throughput::Bytes(BLOCK_SIZE as u64));
    g.bench_function("block_hash_64KiB", |b| {
        b.iter(|| block_hash(black_box(&block)).unwrap())
    });
    g.finish();
}

fn slot_tree(c: &mut Criterion) {
    let mib: usize = std::env::var("PROOFMESH_BENCH_SLOT_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slot.bin");
    std::fs::write(&path, random_bytes(mib << 20)).unwrap();
    let slot = SlotFile::open(&path).unwrap();
    let all = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    let group_name = format!("slot_tree_{mib}MiB");
    let mut g = c.benchmark_group(&group_name);
    g.sample_size(10);
    g.throughput(Throughput::Bytes((mib << 20) as u64));
    for threads in [1, all] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter(|| pool.install(|| slot.slot_tree().unwrap()))
        });
    }
    g.finish();
    report_ratio(&group_name, "threads/1", &format!("threads/{all}"));
}

criterion_group!(benches, hashing, slot_tree);
criterion_main!(benches);
