//! The GPU MSM and prover (feature `gpu`).
//!
//! Without an NVIDIA driver only the first test runs: opening the GPU is a typed error, not
//! a panic. On a GPU machine run the rest with
//! `cargo test -p proofmesh-prover --features gpu --test gpu -- --ignored`
//! (what `benches/gpu/device-check.sh` does on the device): the GPU's MSMs equal arkworks'
//! in G1 and G2, and a GPU-assembled proof equals arkworks' proof for the same randomisers.
#![cfg(feature = "gpu")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_bn254::{Bn254, Fr};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{PrimeField, UniformRand, Zero};
use ark_groth16::Groth16;
use proofmesh_prover::groth16::assemble::{assemble, AssembleError};
use proofmesh_prover::groth16::gpu::{GpuCurve, GpuError, GpuMsm};
use proofmesh_prover::groth16::msm::MsmError;
use proofmesh_prover::groth16::quotient::QuotientError;
use proofmesh_prover::{Prover, ProverError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::Arc;

mod common;
use common::{input_for, SMALL};

fn gpu() -> Arc<GpuMsm> {
    Arc::new(GpuMsm::new(0).unwrap_or_else(|e| panic!("no GPU: {e}")))
}

#[test]
fn opening_the_gpu_without_a_driver_is_a_typed_error() {
    let opened = GpuMsm::new(0);
    if let Ok(gpu) = &opened {
        eprintln!(
            "{}: kernels compiled in {:?} (None: from the cache)",
            gpu.device_name(),
            gpu.compile_time()
        );
    }
    match opened {
        // A GPU machine: the ignored tests below are the check there.
        Ok(gpu) => assert!(!gpu.device_name().is_empty()),
        // `PROOFMESH_EXPECT_GPU=1` (the device check) makes the GPU mandatory.
        Err(e) if std::env::var_os("PROOFMESH_EXPECT_GPU").is_some() => panic!("no GPU: {e}"),
        Err(e) => assert!(
            matches!(
                e,
                GpuError::NoDriver | GpuError::NoNvrtc | GpuError::Driver(_)
            ),
            "{e}"
        ),
    }
}

/// Scalars shaped like the cases that break bucket methods: random, zeros, ones (one huge
/// bucket), minus ones, small values, and the top of the field.
fn scalars(n: usize, rng: &mut ChaCha20Rng) -> Vec<Fr> {
    (0..n)
        .map(|i| match i % 7 {
            0 => Fr::zero(),
            1 | 2 => Fr::from(1u64),
            3 => -Fr::from(1u64),
            4 => Fr::from(rng.gen_range(0..1u64 << 20)),
            5 => -Fr::from(i as u64),
            _ => Fr::rand(rng),
        })
        .collect()
}

fn check_curve<P: GpuCurve<ScalarField = Fr>>(gpu: &GpuMsm, rng: &mut ChaCha20Rng)
where
    Affine<P>: UniformRand,
{
    for n in [1usize, 2, 100, 5_000, 70_000] {
        let mut bases = distinct_points::<P>(n, rng);
        // Repeated, opposite and identity bases.
        if n > 10 {
            bases[5] = bases[4];
            bases[6] = -bases[4];
            bases[7] = Affine::<P>::zero();
        }
        let mut fr = scalars(n, rng);
        if n > 10 {
            // The repeated and opposite bases with equal scalars: the device must double
            // (4 + 5) and cancel (+ 6) within one bucket.
            fr[4..7].fill(Fr::from(3u64));
        }
        let ints: Vec<_> = fr.iter().map(|s| s.into_bigint()).collect();
        let want = Projective::<P>::msm(&bases, &fr).unwrap();
        // Split across two parts, as L ‖ H is.
        let (a, b) = bases.split_at(n / 2);
        let on_gpu = gpu.upload(&[a, b]).unwrap();
        let got = gpu.msm(&on_gpu, &ints).unwrap();
        assert_eq!(
            got.into_affine(),
            want.into_affine(),
            "{} n = {n}",
            P::SUFFIX
        );
        // All scalars zero, and all random.
        let zero = vec![Default::default(); n];
        assert!(gpu.msm(&on_gpu, &zero).unwrap().is_zero());
        let random: Vec<Fr> = (0..n).map(|_| Fr::rand(rng)).collect();
        let want = Projective::<P>::msm(&bases, &random).unwrap();
        let ints: Vec<_> = random.iter().map(|s| s.into_bigint()).collect();
        assert_eq!(
            gpu.msm(&on_gpu, &ints).unwrap().into_affine(),
            want.into_affine()
        );
        // A length mismatch is the CPU's typed error, and so is a plan for other bases.
        let e = gpu.msm(&on_gpu, &ints[1..]).unwrap_err();
        assert!(matches!(e, GpuError::Msm(MsmError::Length { .. })), "{e}");
        let plan = gpu.plan(&on_gpu, &ints).unwrap();
        let other = gpu.upload(&[&bases[..n - 1]]).unwrap();
        let e = gpu.execute(&plan, &other).unwrap_err();
        assert!(matches!(e, GpuError::Msm(MsmError::Length { .. })), "{e}");
        // Same length, an identity point elsewhere: the plan is refused, not misapplied.
        if n > 10 {
            let mut moved = bases.clone();
            moved[7] = bases[8];
            moved[9] = Affine::<P>::zero();
            let moved = gpu.upload(&[&moved]).unwrap();
            let e = gpu.execute(&plan, &moved).unwrap_err();
            assert!(matches!(e, GpuError::PlanMismatch), "{e}");
        }
    }
}

/// `n` distinct points, cheaply (a random G2 point costs a cofactor clearing): running sums
/// of a random step from a random start.
fn distinct_points<P: GpuCurve>(n: usize, rng: &mut ChaCha20Rng) -> Vec<Affine<P>>
where
    Affine<P>: UniformRand,
{
    let step: Projective<P> = Affine::<P>::rand(rng).into();
    let mut acc: Projective<P> = Affine::<P>::rand(rng).into();
    let points: Vec<Projective<P>> = (0..n)
        .map(|_| {
            acc += step;
            acc
        })
        .collect();
    Projective::<P>::normalize_batch(&points)
}

#[test]
#[ignore = "needs an NVIDIA GPU"]
fn gpu_msm_equals_arkworks_in_g1_and_g2() {
    let gpu = gpu();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    check_curve::<ark_bn254::g1::Config>(&gpu, &mut rng);
    check_curve::<ark_bn254::g2::Config>(&gpu, &mut rng);
}

#[test]
#[ignore = "needs an NVIDIA GPU"]
fn gpu_proofs_equal_arkworks_proofs() {
    let params = SMALL;
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let pk = proofmesh_prover::setup(&params, &mut rng).unwrap();
    let prover = Prover::new(params, pk.clone(), Default::default())
        .unwrap()
        .with_gpu(gpu())
        .unwrap();
    assert!(prover.uses_gpu());
    let (_dir, input) = input_for(1, 77);
    let full = prover.witness(&input).unwrap();
    let r1cs = prover.r1cs();
    let key = prover.msms();
    for (r, s) in [
        (Fr::rand(&mut rng), Fr::rand(&mut rng)),
        (Fr::zero(), Fr::zero()),
    ] {
        let ours = assemble(
            &pk,
            &r1cs.matrices,
            r1cs.num_instance,
            r1cs.num_constraints,
            &full,
            (r, s),
            key,
        )
        .unwrap();
        let ark = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &pk,
            r,
            s,
            &r1cs.matrices,
            r1cs.num_instance,
            r1cs.num_constraints,
            &full,
        )
        .unwrap();
        assert_eq!(ours, ark);
    }
    // `prove` on the GPU verifies; a bad witness is refused with the violated constraint.
    prover.prove(&input, &mut rng).unwrap();
    let mut bad = full.clone();
    let last = bad.len() - 1;
    bad[last] += Fr::from(1u64);
    let e = assemble(
        &pk,
        &r1cs.matrices,
        r1cs.num_instance,
        r1cs.num_constraints,
        &bad,
        (Fr::from(1u64), Fr::from(1u64)),
        key,
    )
    .unwrap_err();
    assert!(
        matches!(e, AssembleError::Quotient(QuotientError::Unsatisfied(_))),
        "{e}"
    );
    let e = prover.prove_assignment(&bad, &mut rng).unwrap_err();
    assert!(matches!(e, ProverError::Unsatisfied { .. }), "{e}");
}
