//! Attestation signing, verification and aggregation (BLS12-381 min_pk via blst), and the
//! attestation pool. Baseline for certificates: verifying each signer's batch signature on its
//! own (what a node without certificates does); candidate: `verify_certificate` (inclusion
//! proofs + one aggregate pairing check), over the same signers.
//!
//! `cargo bench -p proofmesh-benches --bench attestation`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use proofmesh_benches::report_ratio;
use proofmesh_proto::{
    AttestationBatch, DatasetRoot, Period, SlotId, SlotVerdict, Verdict, VerifierIndex,
    VerifierMember, VerifierSet,
};
use proofmesh_verifier::attest::{
    aggregate_signatures, sign_batch, verify_batch_signature, VerifierKeypair,
};
use proofmesh_verifier::quorum::{verify_certificate, AttestationPool};
use std::hint::black_box;

const PERIOD: Period = Period(1);

fn entries(n: usize) -> Vec<SlotVerdict> {
    (0..n)
        .map(|i| SlotVerdict {
            slot: SlotId {
                dataset: DatasetRoot::from_le_bytes([(i / 256) as u8; 32]).unwrap(),
                index: (i % 256) as u16,
            },
            verdict: Verdict::ALL[i % 3],
        })
        .collect()
}

fn keypairs(n: usize) -> Vec<VerifierKeypair> {
    (0..n)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            VerifierKeypair::from_seed(&seed).unwrap()
        })
        .collect()
}

fn set(keys: &[VerifierKeypair]) -> VerifierSet {
    VerifierSet {
        effective_from: Period(0),
        members: keys
            .iter()
            .map(|k| VerifierMember {
                key: k.public_key(),
                weight: 1,
            })
            .collect(),
    }
}

/// Every verifier of `keys` signs the same `n_entries` verdicts.
fn batches(keys: &[VerifierKeypair], n_entries: usize) -> Vec<AttestationBatch> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| sign_batch(k, VerifierIndex(i as u16), PERIOD, entries(n_entries)).unwrap())
        .collect()
}

fn sign_and_verify(c: &mut Criterion) {
    let keys = keypairs(1);
    let set = set(&keys);
    let e = entries(1000);
    let mut g = c.benchmark_group("attestation_batch_1000_entries");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("sign", |b| {
        b.iter(|| sign_batch(&keys[0], VerifierIndex(0), PERIOD, black_box(e.clone())).unwrap())
    });
    let batch = sign_batch(&keys[0], VerifierIndex(0), PERIOD, e).unwrap();
    g.bench_function("verify", |b| {
        b.iter(|| verify_batch_signature(black_box(&batch), &set).unwrap())
    });
    g.finish();

    let sigs: Vec<_> = batches(&keypairs(100), 1)
        .into_iter()
        .map(|b| b.signature)
        .collect();
    let mut g = c.benchmark_group("attestation_aggregate");
    g.throughput(Throughput::Elements(100));
    g.bench_function("aggregate_100_signatures", |b| {
        b.iter(|| aggregate_signatures(black_box(&sigs)).unwrap())
    });
    g.finish();
}

fn certificates(c: &mut Criterion) {
    const ENTRIES: usize = 100;
    let group = "attestation_certificate_verify";
    let mut g = c.benchmark_group(group);
    g.sample_size(20);
    for n in [3usize, 10, 100] {
        let keys = keypairs(n);
        let set = set(&keys);
        let signed = batches(&keys, ENTRIES);
        let mut pool = AttestationPool::new();
        for b in &signed {
            pool.insert(b.clone(), &set).unwrap();
        }
        let cert = pool.certificates(PERIOD, &set).swap_remove(0);
        assert_eq!(cert.signers.len(), n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("each_batch_signature", n), &n, |b, _| {
            b.iter(|| {
                for batch in &signed {
                    verify_batch_signature(black_box(batch), &set).unwrap();
                }
            })
        });
        g.bench_with_input(BenchmarkId::new("certificate", n), &n, |b, _| {
            b.iter(|| verify_certificate(black_box(&cert), &set).unwrap())
        });
    }
    g.finish();
    for n in [3, 10, 100] {
        report_ratio(
            group,
            &format!("each_batch_signature/{n}"),
            &format!("certificate/{n}"),
        );
    }
}

fn pool(c: &mut Criterion) {
    const VERIFIERS: usize = 100;
    const ENTRIES: usize = 100;
    let keys = keypairs(VERIFIERS);
    let set = set(&keys);
    let signed = batches(&keys, ENTRIES);
    let (mut left, mut right, mut full) = (
        AttestationPool::new(),
        AttestationPool::new(),
        AttestationPool::new(),
    );
    for (i, b) in signed.iter().enumerate() {
        // Two overlapping halves: 0..60 and 40..100.
        if i < 60 {
            left.insert(b.clone(), &set).unwrap();
        }
        if i >= 40 {
            right.insert(b.clone(), &set).unwrap();
        }
        full.insert(b.clone(), &set).unwrap();
    }
    let mut g = c.benchmark_group("attestation_pool_100_verifiers_100_slots");
    g.sample_size(20);
    g.throughput(Throughput::Elements(right.len() as u64));
    g.bench_function("merge", |b| {
        b.iter(|| {
            let mut merged = left.clone();
            merged.merge(black_box(&right));
            merged
        })
    });
    g.throughput(Throughput::Elements(ENTRIES as u64));
    g.bench_function("certificates", |b| {
        b.iter(|| {
            let certs = full.certificates(PERIOD, &set);
            assert_eq!(certs.len(), ENTRIES);
            certs
        })
    });
    g.finish();
}

criterion_group!(benches, sign_and_verify, certificates, pool);
criterion_main!(benches);
