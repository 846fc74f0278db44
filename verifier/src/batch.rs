//! Batch verification of many Groth16 proofs under one verifying key.
//!
//! A verifier node receives proofs for the same Codex circuit from many storage providers each
//! period. Checking them one by one costs three Miller loops and one final exponentiation per
//! proof; checking a random linear combination of n proofs costs n + 2 Miller loops and a single
//! final exponentiation (see [`verify_batch`]). The random weights make it infeasible for a
//! sender to craft invalid proofs whose errors cancel, so a batch that passes means every proof
//! in it is valid except with probability ≤ 2⁻¹²⁸.
//!
//! A failing batch says only that *some* proof is invalid. So that one bad sender never
//! condemns honest ones, the failing set is bisected with fresh randomness until each bad proof
//! is pinned down by single verification. Results are returned 1:1 with the inputs and in
//! their order, like lighthouse's `attestation_verification/batch.rs`.

mod inv;
mod miller;
mod rlc;
mod scale;

use crate::error::VerifyError;
use crate::groth16::PreparedKey;
use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use rand::{CryptoRng, RngCore};

/// One proof and its public inputs, borrowed from the caller, as one entry of a batch.
///
/// The proof's points must come from validated decoding (on the curve and in the prime-order
/// subgroups, as [`crate::snarkjs::parse_proof`] guarantees): the random-linear-combination
/// argument relies on bilinearity, which only holds there.
#[derive(Clone, Copy, Debug)]
pub struct BatchItem<'a> {
    /// The Groth16 proof.
    pub proof: &'a Proof<Bn254>,
    /// Its public inputs, in circuit order.
    pub inputs: &'a [Fr],
}

impl<'a> BatchItem<'a> {
    /// Pairs a proof with its public inputs.
    pub fn new(proof: &'a Proof<Bn254>, inputs: &'a [Fr]) -> Self {
        Self { proof, inputs }
    }
}

/// Verifies `items` under `key` together, returning one result per item, in input order:
/// `Ok(true)` valid, `Ok(false)` invalid, `Err` not checkable (wrong public-input count).
///
/// Why a batch: for the n items that pass the cheap checks it tests, with independent random
/// 128-bit weights rᵢ drawn from `rng`,
///
/// ∏ᵢ e(rᵢ·Aᵢ, Bᵢ) · e(−Σᵢ rᵢ·PIᵢ, γ) · e(−Σᵢ rᵢ·Cᵢ, δ) = e(α, β)^(Σᵢ rᵢ),
///
/// where PIᵢ = IC₀ + Σⱼ xᵢⱼ·ICⱼ: n + 2 Miller loops (split across the rayon pool the call runs
/// in) and one final exponentiation, instead of 3n Miller loops and n final exponentiations.
/// If it fails, the set is bisected with fresh weights and size-1 parts are verified singly
/// with [`PreparedKey::verify`], so each result is exactly what single verification would say
/// (except with probability ≤ 2⁻¹²⁸ per batch equation, for a set containing an invalid proof).
///
/// `rng` must be a cryptographically secure generator the senders cannot predict (e.g.
/// `rand::rngs::OsRng`); with known weights a sender can make invalid proofs cancel out.
pub fn verify_batch<R: RngCore + CryptoRng>(
    key: &PreparedKey,
    items: &[BatchItem<'_>],
    rng: &mut R,
) -> Vec<Result<bool, VerifyError>> {
    let want = key.n_public();
    // Cheap checks first: a wrong input count is the sender's error, not a batch member.
    let mut results: Vec<Result<bool, VerifyError>> = items
        .iter()
        .map(|item| match item.inputs.len() {
            got if got == want => Ok(false),
            got => Err(VerifyError::PublicInputCount { got, want }),
        })
        .collect();
    let survivors: Vec<usize> = (0..items.len()).filter(|&i| results[i].is_ok()).collect();
    resolve(key, items, &survivors, false, rng, &mut results);
    results
}

/// Settles `results[i]` for every `i` in `idx`; returns whether all of them are valid.
///
/// `known_bad` says `idx` is already known to hold an invalid proof, so its own batch check
/// is skipped and it is split straight away. That knowledge is only ever used to save work:
/// every `false` is finally decided by single verification.
fn resolve<R: RngCore + CryptoRng>(
    key: &PreparedKey,
    items: &[BatchItem<'_>],
    idx: &[usize],
    known_bad: bool,
    rng: &mut R,
    results: &mut [Result<bool, VerifyError>],
) -> bool {
    match idx {
        [] => true,
        [i] => {
            let item = &items[*i];
            results[*i] = key.verify(item.proof, item.inputs);
            matches!(results[*i], Ok(true))
        }
        _ => {
            if !known_bad && rlc::holds(key, items, idx, rng) {
                for &i in idx {
                    results[i] = Ok(true);
                }
                return true;
            }
            // The set holds an invalid proof. A batch of valid proofs passes for every choice
            // of weights, so if the left half turns out all valid the right half must hold it.
            let (left, right) = idx.split_at(idx.len() / 2);
            let left_valid = resolve(key, items, left, false, rng, results);
            resolve(key, items, right, left_valid, rng, results);
            false
        }
    }
}
