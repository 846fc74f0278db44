//! Groth16 proving of the storage-proof circuit. Baseline: arkworks' default path,
//! `Groth16::<Bn254>::create_random_proof_with_reduction` (what `Groth16::prove` runs:
//! synthesis with matrices, then the parallel prover) with the same proving key on the same
//! circuit. Candidate: `Prover::prove` (matrices built once per key, witness-only synthesis,
//! native check, constraint check, Groth16 from the matrices, self-verification). Also
//! reported: its parts (witness, Groth16 from a ready assignment) and the whole slot pipeline
//! from slot files (commit + input + prove).
//!
//! `cargo bench -p proofmesh-benches --bench prove` uses small parameters `(8, 4, 5, 67, 2)`.
//! Codex's parameters (not run in CI; setup alone takes minutes at 100 samples):
//! `PROOFMESH_BENCH_FULL=1 PROOFMESH_BENCH_SAMPLES=5 cargo bench -p proofmesh-benches --bench prove`
//! (and `PROOFMESH_BENCH_SAMPLES=100`).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use criterion::{criterion_group, criterion_main, Criterion};
use proofmesh_benches::{measurement_time, random_slot_files, report_ratio};
use proofmesh_circuits::gadgets::StorageProofCircuit;
use proofmesh_circuits::{CircuitParams, Fr};
use proofmesh_prover::dataset::open_slots;
use proofmesh_prover::{circuit_input, commit, prove_slot, NoProgress, ProveRequest, Prover};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::hint::black_box;

fn params() -> CircuitParams {
    if std::env::var_os("PROOFMESH_BENCH_FULL").is_some() {
        let k = std::env::var("PROOFMESH_BENCH_SAMPLES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5);
        CircuitParams::codex(k)
    } else {
        CircuitParams {
            max_depth: 8,
            max_log2_slots: 4,
            block_tree_depth: 5,
            field_elems_per_cell: 67,
            n_samples: 2,
        }
    }
}

fn prove(c: &mut Criterion) {
    let params = params();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let pk = proofmesh_prover::setup(&params, &mut rng).unwrap();
    let prover = Prover::new(params, pk.clone(), Default::default()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let paths = random_slot_files(dir.path(), &[2, 1, 4], &mut rng).unwrap();
    let slots = open_slots(&paths).unwrap();
    let commitment = commit(&slots).unwrap();
    let request = ProveRequest {
        slot_index: 1,
        entropy: Fr::from(1234567u64),
    };
    let input = circuit_input(&params, &slots, &commitment, 1, request.entropy).unwrap();
    let full = prover.witness(&input).unwrap();

    let group_name = format!(
        "groth16_prove_{}_{}_{}_{}_{}",
        params.max_depth,
        params.max_log2_slots,
        params.block_tree_depth,
        params.field_elems_per_cell,
        params.n_samples
    );
    let mut g = c.benchmark_group(&group_name);
    g.sample_size(10);
    g.measurement_time(measurement_time(20));
    g.bench_function("ark_groth16_prove", |b| {
        b.iter(|| {
            let circuit = StorageProofCircuit::from_input(black_box(&input), params).unwrap();
            Groth16::<Bn254>::create_random_proof_with_reduction(circuit, &pk, &mut rng).unwrap()
        })
    });
    g.bench_function("proofmesh_prove", |b| {
        b.iter(|| prover.prove(black_box(&input), &mut rng).unwrap())
    });
    #[cfg(feature = "gpu")]
    let gpu_prover = proofmesh_benches::gpu_prover(&prover);
    #[cfg(feature = "gpu")]
    if let Some(gpu_prover) = &gpu_prover {
        g.bench_function("proofmesh_prove_gpu", |b| {
            b.iter(|| gpu_prover.prove(black_box(&input), &mut rng).unwrap())
        });
    }
    g.bench_function("proofmesh_witness", |b| {
        b.iter(|| prover.witness(black_box(&input)).unwrap())
    });
    g.bench_function("proofmesh_groth16_from_assignment", |b| {
        b.iter(|| prover.prove_assignment(black_box(&full), &mut rng).unwrap())
    });
    g.bench_function("proofmesh_prove_slot_from_files", |b| {
        b.iter(|| {
            prove_slot(
                &prover,
                &slots,
                &request,
                Some(commitment.root()),
                &NoProgress,
                &mut rng,
            )
            .unwrap()
        })
    });
    g.finish();
    report_ratio(&group_name, "ark_groth16_prove", "proofmesh_prove");
    #[cfg(feature = "gpu")]
    if gpu_prover.is_some() {
        report_ratio(&group_name, "ark_groth16_prove", "proofmesh_prove_gpu");
    }
}

criterion_group!(benches, prove);
criterion_main!(benches);
