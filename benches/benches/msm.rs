//! Multi-scalar multiplication over BN254, the bulk of Groth16 proving. Baseline: arkworks'
//! `VariableBaseMSM::msm` (signed-digit Pippenger with extended-Jacobian buckets, parallel
//! over windows); candidate: `proofmesh_prover::groth16::msm::msm` (batch-affine buckets).
//! Same random bases and full-size random scalars (what the witness and `h` look like), on
//! the default rayon pool. Sizes match the 5-sample proving key: 2^17 G1 (the `H` query),
//! 2^16 G2 (the `B` query's non-identity points).
//!
//! `cargo bench -p proofmesh-benches --bench msm`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{PrimeField, UniformRand};
use criterion::{criterion_group, criterion_main, Criterion};
use proofmesh_benches::report_ratio;
use proofmesh_prover::groth16::msm::msm;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::hint::black_box;

/// `n` distinct points, cheaply: a running sum of the generator with a doubling every third
/// step (random points would cost a square root each).
fn bases<G: CurveGroup + PrimeGroup>(n: usize) -> Vec<G::Affine> {
    let g = G::generator();
    let mut acc = g;
    let pts: Vec<G> = (0..n)
        .map(|i| {
            acc += g;
            if i % 3 == 0 {
                acc.double_in_place();
            }
            acc
        })
        .collect();
    G::normalize_batch(&pts)
}

fn bench_msm(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let n1 = 1 << 17;
    let g1: Vec<G1Affine> = bases::<G1Projective>(n1);
    let s1: Vec<Fr> = (0..n1).map(|_| Fr::rand(&mut rng)).collect();
    let i1: Vec<_> = s1.iter().map(|s| s.into_bigint()).collect();
    let group = "msm_g1_131072";
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.bench_function("ark_msm", |b| {
        b.iter(|| G1Projective::msm(black_box(&g1), &s1).unwrap())
    });
    g.bench_function("proofmesh_msm", |b| {
        b.iter(|| msm(&[black_box(&g1)], &i1).unwrap())
    });
    g.finish();
    report_ratio(group, "ark_msm", "proofmesh_msm");

    let n2 = 1 << 16;
    let g2: Vec<G2Affine> = bases::<G2Projective>(n2);
    let s2: Vec<Fr> = (0..n2).map(|_| Fr::rand(&mut rng)).collect();
    let i2: Vec<_> = s2.iter().map(|s| s.into_bigint()).collect();
    let group = "msm_g2_65536";
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.bench_function("ark_msm", |b| {
        b.iter(|| G2Projective::msm(black_box(&g2), &s2).unwrap())
    });
    g.bench_function("proofmesh_msm", |b| {
        b.iter(|| msm(&[black_box(&g2)], &i2).unwrap())
    });
    g.finish();
    report_ratio(group, "ark_msm", "proofmesh_msm");
}

criterion_group!(benches, bench_msm);
criterion_main!(benches);
