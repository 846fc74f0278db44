//! The prover pipeline: slot files → commitment (streamed, parallel tree build) → the root on
//! record checked → sampled cells → circuit input (checked natively) → witness (checked
//! against every constraint) → Groth16 proof (verified before it is returned).
//!
//! [`prove_slot`] proves one slot with all cores. [`prove_slots`] proves many slots of one
//! committed dataset concurrently on disjoint rayon pools whose sizes add up to the current
//! pool's thread count, so the cores are shared, never oversubscribed, and at most
//! `parallel` witnesses are in memory at once.

use crate::dataset::{
    circuit_input, circuit_input_for_slot, commit_with_progress, DatasetCommitment,
};
use crate::error::ProverError;
use crate::groth16::Prover;
use crate::progress::{NoProgress, Progress, Stage};
use crate::slot_file::SlotFile;
use crate::CryptoRngDyn;
use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use proofmesh_circuits::field::fr_to_decimal;
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::slot::SlotTree;
use rand::rngs::OsRng;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Which slot to prove, for which period's entropy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProveRequest {
    /// The slot (0-based, in the order of the slot files).
    pub slot_index: u64,
    /// The period's entropy.
    pub entropy: Fr,
}

/// A proof of one slot with the public inputs it verifies under.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotProof {
    /// The Groth16 proof.
    pub proof: Proof<Bn254>,
    /// `entropy, dataSetRoot, slotIndex`, in circuit order.
    pub public_inputs: [Fr; 3],
}

/// Fails unless the commitment's root is `expected` (when a root is on record).
pub fn check_root(commitment: &DatasetCommitment, expected: Option<Fr>) -> Result<(), ProverError> {
    match expected {
        Some(e) if e != commitment.root() => Err(ProverError::DatasetRoot {
            expected: fr_to_decimal(&e),
            got: fr_to_decimal(&commitment.root()),
        }),
        _ => Ok(()),
    }
}

/// Proves one slot from its dataset's slot files: commits to the files, checks the root on
/// record (`dataset_root`, if any) before anything else, then proves.
pub fn prove_slot(
    prover: &Prover,
    slots: &[SlotFile],
    request: &ProveRequest,
    dataset_root: Option<Fr>,
    progress: &dyn Progress,
    rng: &mut dyn CryptoRngDyn,
) -> Result<SlotProof, ProverError> {
    let commitment = commit_with_progress(slots, progress)?;
    check_root(&commitment, dataset_root)?;
    prove_committed(prover, slots, &commitment, request, progress, rng)
}

/// Proves one slot of an already committed dataset.
pub fn prove_committed(
    prover: &Prover,
    slots: &[SlotFile],
    commitment: &DatasetCommitment,
    request: &ProveRequest,
    progress: &dyn Progress,
    rng: &mut dyn CryptoRngDyn,
) -> Result<SlotProof, ProverError> {
    progress.stage(Stage::Input);
    let input = circuit_input(
        prover.params(),
        slots,
        commitment,
        request.slot_index,
        request.entropy,
    )?;
    let proof = prover.prove_with_progress(&input, progress, rng)?;
    Ok(SlotProof {
        proof,
        public_inputs: input.public_inputs(),
    })
}

/// Proves one slot a provider holds from its file and tree alone, `dataset` the tree over the
/// dataset's announced slot roots ([`crate::dataset::dataset_tree`]): the other slots' files
/// are not needed.
pub fn prove_held(
    prover: &Prover,
    file: &SlotFile,
    tree: &SlotTree,
    dataset: &MerkleTree,
    request: &ProveRequest,
    progress: &dyn Progress,
    rng: &mut dyn CryptoRngDyn,
) -> Result<SlotProof, ProverError> {
    progress.stage(Stage::Input);
    let input = circuit_input_for_slot(
        prover.params(),
        file,
        tree,
        dataset,
        request.slot_index,
        request.entropy,
    )?;
    let proof = prover.prove_with_progress(&input, progress, rng)?;
    Ok(SlotProof {
        proof,
        public_inputs: input.public_inputs(),
    })
}

/// Proves many slots of one committed dataset, `parallel` proofs at a time (clamped to
/// `1..=threads`), each on its own rayon pool of `threads / parallel` threads (the remainder
/// spread over the first pools), where `threads` is the current pool's size. Results are in
/// request order. Proof randomness comes from the OS.
pub fn prove_slots(
    prover: &Prover,
    slots: &[SlotFile],
    commitment: &DatasetCommitment,
    requests: &[ProveRequest],
    parallel: usize,
) -> Result<Vec<Result<SlotProof, ProverError>>, ProverError> {
    let threads = rayon::current_num_threads().max(1);
    let workers = parallel.clamp(1, threads).min(requests.len().max(1));
    let pools = (0..workers)
        .map(|w| {
            let n = threads / workers + usize::from(w < threads % workers);
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(move |i| format!("prove-{w}-{i}"))
                .build()
                .map_err(|e| ProverError::ThreadPool(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<SlotProof, ProverError>>>> =
        Mutex::new((0..requests.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for pool in &pools {
            let (next, results) = (&next, &results);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(request) = requests.get(i) else {
                    break;
                };
                let result = pool.install(|| {
                    prove_committed(prover, slots, commitment, request, &NoProgress, &mut OsRng)
                });
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(result);
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| ProverError::ThreadPool("a proving worker panicked".into()))?;
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(ProverError::ThreadPool("a proof was not made".into()))))
        .collect())
}
