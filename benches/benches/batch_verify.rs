//! Batch verification of Codex proofs (hardhat fixture key, distinct proofs made by
//! re-randomising the fixture proof). Baseline: ark-groth16's own `verify_proof` with a
//! prepared key, once per proof (spread over the pool's threads with rayon, so both sides get
//! the same cores); candidate: `proofmesh_verifier::verify_batch` over the same n proofs.
//! Run on all cores and on a 1-thread rayon pool, so per-core figures are available too
//! (compare with `docs/performance.md` / the anchors in `shared/design/performance.md`).
//!
//! `cargo bench -p proofmesh-benches --bench batch_verify`
//! (batch sizes: `PROOFMESH_BENCH_BATCH_SIZES=1,16,64`, default 1,16,64,256,1024).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use proofmesh_benches::{codex_fixture, report_ratio};
use proofmesh_verifier::snarkjs::{parse_proof, parse_public_inputs, parse_verifying_key};
use proofmesh_verifier::{verify_batch, BatchItem, PreparedKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::hint::black_box;

fn read(rel: &str) -> String {
    std::fs::read_to_string(codex_fixture(rel)).unwrap()
}

fn batch_sizes() -> Vec<usize> {
    std::env::var("PROOFMESH_BENCH_BATCH_SIZES")
        .ok()
        .map(|s| s.split(',').map(|n| n.trim().parse().unwrap()).collect())
        .unwrap_or_else(|| vec![1, 16, 64, 256, 1024])
}

fn batch_verify(c: &mut Criterion) {
    let vk = parse_verifying_key(&read("hardhat/verification_key.json")).unwrap();
    let proof = parse_proof(&read("hardhat/proof.json")).unwrap();
    let inputs = parse_public_inputs(&read("hardhat/public.json")).unwrap();
    let key = PreparedKey::new(&vk);
    let pvk = ark_groth16::prepare_verifying_key(&vk);

    let sizes = batch_sizes();
    let max = sizes.iter().copied().max().unwrap_or(0);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let proofs: Vec<Proof<Bn254>> = (0..max)
        .map(|_| Groth16::<Bn254>::rerandomize_proof(&vk, &proof, &mut rng))
        .collect();
    let all_inputs: Vec<Vec<Fr>> = vec![inputs; max];
    let items: Vec<BatchItem<'_>> = proofs
        .iter()
        .zip(&all_inputs)
        .map(|(p, x)| BatchItem::new(p, x))
        .collect();

    let all = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut thread_counts = vec![1];
    if all > 1 {
        thread_counts.push(all);
    }
    for threads in thread_counts {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let group = format!("groth16_batch_verify_codex_threads_{threads}");
        let mut g = c.benchmark_group(&group);
        g.sample_size(10);
        for &n in &sizes {
            let (proofs, inputs, items) = (&proofs[..n], &all_inputs[..n], &items[..n]);
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(BenchmarkId::new("single_ark_groth16", n), &n, |b, _| {
                b.iter(|| {
                    pool.install(|| {
                        assert!(proofs.par_iter().zip(inputs).all(|(p, x)| {
                            Groth16::<Bn254>::verify_proof(black_box(&pvk), p, x).unwrap()
                        }))
                    })
                })
            });
            let mut rng = rand::rngs::StdRng::seed_from_u64(2);
            g.bench_with_input(BenchmarkId::new("batch", n), &n, |b, _| {
                b.iter(|| {
                    let results = pool.install(|| verify_batch(&key, black_box(items), &mut rng));
                    assert!(results.iter().all(|r| *r == Ok(true)));
                })
            });
        }
        g.finish();
        for &n in &sizes {
            report_ratio(
                &group,
                &format!("single_ark_groth16/{n}"),
                &format!("batch/{n}"),
            );
        }
    }
}

criterion_group!(benches, batch_verify);
criterion_main!(benches);
