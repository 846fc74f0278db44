//! Groth16 verification of Codex's real proof (the hardhat fixture). Baseline: ark-groth16's
//! own `verify_proof` with a prepared key, called directly; candidate: proofmesh's
//! `PreparedKey::verify` (adds the public-input count check). Also reports key preparation
//! and snarkjs parsing so an operator sees where a cold verification's time goes.
//!
//! `cargo bench -p proofmesh-benches --bench verify`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use criterion::{criterion_group, criterion_main, Criterion};
use proofmesh_benches::{codex_fixture, report_ratio};
use proofmesh_verifier::snarkjs::{parse_proof, parse_public_inputs, parse_verifying_key};
use proofmesh_verifier::PreparedKey;
use std::hint::black_box;

fn read(rel: &str) -> String {
    std::fs::read_to_string(codex_fixture(rel)).unwrap()
}

fn verify(c: &mut Criterion) {
    let (vk_text, proof_text, public_text) = (
        read("hardhat/verification_key.json"),
        read("hardhat/proof.json"),
        read("hardhat/public.json"),
    );
    let vk = parse_verifying_key(&vk_text).unwrap();
    let proof = parse_proof(&proof_text).unwrap();
    let inputs = parse_public_inputs(&public_text).unwrap();
    let key = PreparedKey::new(&vk);
    let pvk = ark_groth16::prepare_verifying_key(&vk);

    let mut g = c.benchmark_group("groth16_verify_codex");
    g.bench_function("ark_groth16_prepared", |b| {
        b.iter(|| {
            assert!(Groth16::<Bn254>::verify_proof(
                black_box(&pvk),
                black_box(&proof),
                black_box(&inputs)
            )
            .unwrap())
        })
    });
    g.bench_function("proofmesh_prepared", |b| {
        b.iter(|| assert!(key.verify(black_box(&proof), black_box(&inputs)).unwrap()))
    });
    g.bench_function("prepare_key", |b| {
        b.iter(|| PreparedKey::new(black_box(&vk)))
    });
    g.bench_function("parse_snarkjs_vk", |b| {
        b.iter(|| parse_verifying_key(black_box(&vk_text)).unwrap())
    });
    g.bench_function("parse_snarkjs_proof", |b| {
        b.iter(|| parse_proof(black_box(&proof_text)).unwrap())
    });
    g.finish();
    report_ratio(
        "groth16_verify_codex",
        "ark_groth16_prepared",
        "proofmesh_prepared",
    );
}

criterion_group!(benches, verify);
criterion_main!(benches);
