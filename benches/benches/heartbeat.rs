//! Heartbeat traffic and checking cost per provider per period, against the storage proofs a
//! heartbeat-only dataset does without. For a provider holding `n` slots: bytes gossiped per
//! period (one heartbeat, against `n` Groth16 proof envelopes with probability 1), and the
//! time a verifier spends on them before the engine (decode + Ed25519 check of the one
//! heartbeat, against decode + Ed25519 check of the `n` envelopes: the proofs' pairing checks
//! come on top). Sizes are printed, times measured.
//!
//! `cargo bench -p proofmesh-benches --bench heartbeat`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use proofmesh_benches::report_ratio;
use proofmesh_proto::wire::encode_gossip;
use proofmesh_proto::{
    CircuitId, DatasetRoot, GossipMessage, Heartbeat, Period, ProofEnvelope, ProofSystem,
    ProviderKey, ProviderSignature, SlotId, WireMessage, PROOF_BYTES,
};
use std::hint::black_box;

fn slots(n: usize) -> Vec<SlotId> {
    (0..n)
        .map(|i| SlotId {
            dataset: DatasetRoot::from_le_bytes([(i / 256) as u8 + 1; 32]).unwrap(),
            index: (i % 256) as u16,
        })
        .collect()
}

fn heartbeat(key: &SigningKey, n: usize) -> Vec<u8> {
    let mut hb = Heartbeat {
        provider: ProviderKey(key.verifying_key().to_bytes()),
        period: Period(1_000_000),
        slots: slots(n),
        signature: ProviderSignature([0; 64]),
    };
    hb.signature = ProviderSignature(key.sign(&hb.signing_bytes()).to_bytes());
    encode_gossip(&GossipMessage::Heartbeat(hb))
}

fn envelopes(key: &SigningKey, n: usize) -> Vec<Vec<u8>> {
    slots(n)
        .into_iter()
        .map(|slot| {
            let mut e = ProofEnvelope {
                slot,
                period: Period(1_000_000),
                circuit_id: CircuitId([3; 32]),
                proof_system: ProofSystem::GROTH16_BN254,
                proof: vec![7; PROOF_BYTES],
                provider: ProviderKey(key.verifying_key().to_bytes()),
                signature: ProviderSignature([0; 64]),
            };
            e.signature = ProviderSignature(key.sign(&e.signing_bytes()).to_bytes());
            encode_gossip(&GossipMessage::Proof(e))
        })
        .collect()
}

fn checked(key: &ProviderKey, msg: &[u8], sig: &ProviderSignature) -> bool {
    VerifyingKey::from_bytes(&key.0).is_ok_and(|k| {
        k.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig.0))
            .is_ok()
    })
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[5; 32]);
    for n in [1usize, 16, 256] {
        let hb = heartbeat(&key, n);
        let proofs = envelopes(&key, n);
        let proof_bytes: usize = proofs.iter().map(Vec::len).sum();
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "traffic per provider per period, {n} slots: heartbeat {} B, proofs {proof_bytes} B ({:.1}x)",
                hb.len(),
                proof_bytes as f64 / hb.len() as f64
            );
        }
        let group = format!("heartbeat_check_{n}_slots");
        let mut g = c.benchmark_group(&group);
        g.bench_function(BenchmarkId::from_parameter("proof_envelopes"), |b| {
            b.iter(|| {
                for p in &proofs {
                    let e = ProofEnvelope::decode(&p[1..]).unwrap();
                    assert!(checked(&e.provider, &e.signing_bytes(), &e.signature));
                }
            })
        });
        g.bench_function(BenchmarkId::from_parameter("heartbeat"), |b| {
            b.iter(|| {
                let h = Heartbeat::decode(black_box(&hb[1..])).unwrap();
                assert!(checked(&h.provider, &h.signing_bytes(), &h.signature));
            })
        });
        g.finish();
        report_ratio(&group, "proof_envelopes", "heartbeat");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
