//! Batch verification gives, item by item and in input order, exactly what single
//! verification gives: all-valid batches of every size pass, each invalid proof (tampered,
//! wrong public inputs, made for another key, errors crafted to cancel) is reported false
//! without condemning its neighbours, and a wrong input count is an error for that item only.
//!
//! Many distinct valid proofs come from re-randomising Codex's hardhat fixture proof
//! (`Groth16::rerandomize_proof`), so the tests run on Codex's real key and stay fast.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::One;
use ark_groth16::{Groth16, Proof};
use proofmesh_verifier::snarkjs::{parse_proof, parse_public_inputs, parse_verifying_key};
use proofmesh_verifier::{verify_batch, BatchItem, PreparedKey, VerifyError};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::sync::OnceLock;

/// Distinct valid proofs in the pool (the largest batch size tested).
const POOL: usize = 256;

fn fixture(rel: &str) -> String {
    let path = format!(
        "{}/../../shared/fixtures/codex/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

struct Codex {
    key: PreparedKey,
    inputs: Vec<Fr>,
    /// Valid, pairwise distinct proofs of the hardhat statement.
    proofs: Vec<Proof<Bn254>>,
    /// The snarkjs fixture: a valid proof, but for another key.
    other_key: PreparedKey,
    other_proof: Proof<Bn254>,
    other_inputs: Vec<Fr>,
}

fn codex() -> &'static Codex {
    static CODEX: OnceLock<Codex> = OnceLock::new();
    CODEX.get_or_init(|| {
        let vk = parse_verifying_key(&fixture("hardhat/verification_key.json")).unwrap();
        let proof = parse_proof(&fixture("hardhat/proof.json")).unwrap();
        let inputs = parse_public_inputs(&fixture("hardhat/public.json")).unwrap();
        let proofs = (0..POOL as u64)
            .into_par_iter()
            .map(|i| {
                let mut rng = ChaCha20Rng::seed_from_u64(i);
                Groth16::<Bn254>::rerandomize_proof(&vk, &proof, &mut rng)
            })
            .collect();
        Codex {
            key: PreparedKey::new(&vk),
            inputs,
            proofs,
            other_key: PreparedKey::new(
                &parse_verifying_key(&fixture("snarkjs/verification_key.json")).unwrap(),
            ),
            other_proof: parse_proof(&fixture("snarkjs/proof.json")).unwrap(),
            other_inputs: parse_public_inputs(&fixture("snarkjs/public.json")).unwrap(),
        }
    })
}

/// A batch under construction: owned proofs and inputs, starting all valid.
struct Batch {
    proofs: Vec<Proof<Bn254>>,
    inputs: Vec<Vec<Fr>>,
}

impl Batch {
    fn valid(n: usize) -> Self {
        let c = codex();
        Self {
            proofs: c.proofs[..n].to_vec(),
            inputs: vec![c.inputs.clone(); n],
        }
    }

    /// Breaks proof `i` in one of three ways, picked by `how`.
    fn tamper(&mut self, i: usize, how: usize) {
        let p = &mut self.proofs[i];
        match how % 3 {
            0 => p.c = (p.c + G1Affine::generator()).into_affine(),
            1 => p.a = (p.a + G1Affine::generator()).into_affine(),
            _ => p.b = (p.b + G2Affine::generator()).into_affine(),
        }
    }

    fn verify(&self, seed: u64) -> Vec<Result<bool, VerifyError>> {
        let items: Vec<BatchItem<'_>> = self
            .proofs
            .iter()
            .zip(&self.inputs)
            .map(|(p, x)| BatchItem::new(p, x))
            .collect();
        verify_batch(&codex().key, &items, &mut ChaCha20Rng::seed_from_u64(seed))
    }

    /// What single verification says about each item.
    fn singly(&self) -> Vec<Result<bool, VerifyError>> {
        self.proofs
            .iter()
            .zip(&self.inputs)
            .map(|(p, x)| codex().key.verify(p, x))
            .collect()
    }
}

/// `Ok(true)` everywhere except `Ok(false)` at `bad`.
fn expect_bad(n: usize, bad: &[usize]) -> Vec<Result<bool, VerifyError>> {
    (0..n).map(|i| Ok(!bad.contains(&i))).collect()
}

#[test]
fn pool_proofs_are_distinct_and_valid() {
    let c = codex();
    assert!(c.proofs.windows(2).all(|w| w[0] != w[1]));
    for p in &c.proofs[..3] {
        assert_eq!(c.key.verify(p, &c.inputs), Ok(true));
    }
}

#[test]
fn all_valid_batches_verify() {
    for n in [1, 2, 3, 16, 64, 256] {
        assert_eq!(
            Batch::valid(n).verify(n as u64),
            expect_bad(n, &[]),
            "n = {n}"
        );
    }
}

#[test]
fn empty_batch_gives_no_results() {
    assert!(Batch::valid(0).verify(0).is_empty());
}

#[test]
fn invalid_proofs_are_isolated() {
    let cases = [
        (1, 1),
        (2, 1),
        (3, 2),
        (64, 1),
        (64, 2),
        (48, 16),
        (96, 3),
        (16, 16),
    ];
    for (seed, (n, k)) in cases.into_iter().enumerate() {
        let mut rng = ChaCha20Rng::seed_from_u64(100 + seed as u64);
        let mut bad = sample(&mut rng, n, k).into_vec();
        bad.sort_unstable();
        let mut batch = Batch::valid(n);
        for (j, &i) in bad.iter().enumerate() {
            batch.tamper(i, j);
        }
        assert_eq!(
            batch.verify(seed as u64),
            expect_bad(n, &bad),
            "n = {n}, bad = {bad:?}"
        );
    }
}

#[test]
fn wrong_public_inputs_for_one_item() {
    let mut batch = Batch::valid(16);
    batch.inputs[9][1] += Fr::one();
    assert_eq!(batch.verify(3), expect_bad(16, &[9]));
}

/// Errors that cancel in an unweighted sum (C + G and C − G; input + 1 and input − 1) are
/// caught only because each proof gets its own random weight.
#[test]
fn cancelling_errors_are_caught() {
    let mut batch = Batch::valid(16);
    let g = G1Affine::generator();
    batch.proofs[2].c = (batch.proofs[2].c + g).into_affine();
    batch.proofs[11].c = (batch.proofs[11].c - g).into_affine();
    batch.inputs[5][0] += Fr::one();
    batch.inputs[13][0] -= Fr::one();
    assert_eq!(batch.verify(4), expect_bad(16, &[2, 5, 11, 13]));
}

#[test]
fn proof_for_another_key_is_rejected() {
    let c = codex();
    // Valid under its own key, with as many public inputs as Codex's key takes.
    assert_eq!(
        c.other_key.verify(&c.other_proof, &c.other_inputs),
        Ok(true)
    );
    let mut batch = Batch::valid(16);
    batch.proofs[5] = c.other_proof.clone();
    batch.inputs[5] = c.other_inputs.clone();
    assert_eq!(batch.verify(5), expect_bad(16, &[5]));
}

#[test]
fn wrong_input_count_is_an_error_only_for_that_item() {
    let mut batch = Batch::valid(8);
    batch.inputs[2].pop();
    batch.inputs[6].push(Fr::one());
    batch.tamper(4, 0);
    let want = vec![
        Ok(true),
        Ok(true),
        Err(VerifyError::PublicInputCount { got: 2, want: 3 }),
        Ok(true),
        Ok(false),
        Ok(true),
        Err(VerifyError::PublicInputCount { got: 4, want: 3 }),
        Ok(true),
    ];
    assert_eq!(batch.verify(6), want);
    // Only wrong counts: nothing left to batch.
    let mut batch = Batch::valid(2);
    batch.inputs[0].clear();
    batch.inputs[1].clear();
    let err = Err(VerifyError::PublicInputCount { got: 0, want: 3 });
    assert_eq!(batch.verify(7), vec![err.clone(), err]);
}

/// Random mixtures of every kind of item: the batch answer equals single verification, item by
/// item, in input order.
#[test]
fn results_follow_input_order_and_match_single_verification() {
    for seed in 0..3 {
        let mut rng = ChaCha20Rng::seed_from_u64(200 + seed);
        let n = rng.gen_range(16..40);
        let mut batch = Batch::valid(n);
        for i in 0..n {
            match rng.gen_range(0..24) {
                0 | 1 => batch.tamper(i, rng.gen()),
                2 => batch.inputs[i].truncate(rng.gen_range(0..3)),
                3 => batch.inputs[i][rng.gen_range(0..3)] = Fr::from(rng.gen::<u64>()),
                _ => {}
            }
        }
        let want = batch.singly();
        assert_eq!(batch.verify(seed), want, "seed {seed}");
    }
}

/// The per-thread chunking of the Miller loops must not change any answer.
#[test]
fn thread_count_does_not_change_results() {
    let mut batch = Batch::valid(17);
    for (j, i) in [0, 8, 16].into_iter().enumerate() {
        batch.tamper(i, j);
    }
    for threads in [1, 5] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        assert_eq!(
            pool.install(|| batch.verify(threads as u64)),
            expect_bad(17, &[0, 8, 16]),
            "{threads} threads"
        );
        let valid = Batch::valid(17);
        assert_eq!(
            pool.install(|| valid.verify(threads as u64)),
            expect_bad(17, &[]),
            "{threads} threads"
        );
    }
}

/// One invalid proof (broken in each of the three ways in turn) at every position of small
/// batches is found, and only it.
#[test]
fn invalid_proof_at_every_position_is_found() {
    for n in [2, 3, 7] {
        for i in 0..n {
            for how in 0..3 {
                let mut batch = Batch::valid(n);
                batch.tamper(i, how);
                let seed = (n * 100 + i * 3 + how) as u64;
                assert_eq!(
                    batch.verify(seed),
                    expect_bad(n, &[i]),
                    "n = {n}, bad = {i}, how = {how}"
                );
            }
        }
    }
}

/// Profiling target, not a check: one n = 256 batch of valid proofs on the calling thread.
/// `valgrind --tool=callgrind --toggle-collect='*verify_batch*'` on it gives deterministic
/// instruction counts for comparing implementations.
#[test]
#[ignore]
fn profile_batch_256() {
    let batch = Batch::valid(256);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let results = pool.install(|| batch.verify(1));
    assert!(results.iter().all(|r| *r == Ok(true)));
}
