//! Multi-scalar multiplication over BN254, the bulk of Groth16 proving. Baseline: arkworks'
//! `VariableBaseMSM::msm` (signed-digit Pippenger with extended-Jacobian buckets, parallel
//! over windows); candidate: `proofmesh_prover::groth16::msm::msm` (batch-affine buckets).
//! Same random bases and full-size random scalars (what the witness and `h` look like), on
//! the default rayon pool. Sizes match the 5-sample proving key: 2^17 G1 (the `H` query),
//! 2^16 G2 (the `B` query's non-identity points).
//!
//! `cargo bench -p proofmesh-benches --bench msm`; with `--features gpu` also the GPU MSM
//! (`proofmesh_msm_gpu`, bases resident on the device) where a GPU is present.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective};
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

/// arkworks' MSM against ours on `n` bases of one curve, random full-size scalars.
#[cfg(feature = "gpu")]
trait Curve: proofmesh_prover::groth16::gpu::GpuCurve<ScalarField = Fr> {}
#[cfg(feature = "gpu")]
impl<P: proofmesh_prover::groth16::gpu::GpuCurve<ScalarField = Fr>> Curve for P {}
#[cfg(not(feature = "gpu"))]
trait Curve: ark_ec::short_weierstrass::SWCurveConfig<ScalarField = Fr> {}
#[cfg(not(feature = "gpu"))]
impl<P: ark_ec::short_weierstrass::SWCurveConfig<ScalarField = Fr>> Curve for P {}

fn compare<P: Curve>(c: &mut Criterion, group: &str, n: usize, rng: &mut ChaCha20Rng) {
    let bases: Vec<Affine<P>> = bases::<Projective<P>>(n);
    let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(rng)).collect();
    let ints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.bench_function("ark_msm", |b| {
        b.iter(|| Projective::<P>::msm(black_box(&bases), &scalars).unwrap())
    });
    g.bench_function("proofmesh_msm", |b| {
        b.iter(|| msm(&[black_box(&bases)], &ints).unwrap())
    });
    #[cfg(feature = "gpu")]
    let gpu = proofmesh_benches::open_gpu();
    #[cfg(feature = "gpu")]
    if let Some(gpu) = &gpu {
        // Bases resident on the device (as a proving key's are); scalars go up per call.
        let on_gpu = gpu.upload(&[&bases]).unwrap();
        let want = Projective::<P>::msm(&bases, &scalars).unwrap();
        assert_eq!(gpu.msm(&on_gpu, &ints).unwrap(), want);
        g.bench_function("proofmesh_msm_gpu", |b| {
            b.iter(|| gpu.msm(black_box(&on_gpu), &ints).unwrap())
        });
    }
    g.finish();
    report_ratio(group, "ark_msm", "proofmesh_msm");
    #[cfg(feature = "gpu")]
    if gpu.is_some() {
        report_ratio(group, "ark_msm", "proofmesh_msm_gpu");
    }
}

fn bench_msm(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    compare::<ark_bn254::g1::Config>(c, "msm_g1_131072", 1 << 17, &mut rng);
    compare::<ark_bn254::g2::Config>(c, "msm_g2_65536", 1 << 16, &mut rng);
}

criterion_group!(benches, bench_msm);
criterion_main!(benches);
