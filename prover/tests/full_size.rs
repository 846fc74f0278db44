//! Codex's full parameters `(32, 8, 5, 67, 5)`: setup → key files → prove from generated slot
//! files → verify through the snarkjs export, as `proofmesh verify` does. Ignored by default
//! (a minute or more on 2 cores); run it with
//! `cargo test --release -p proofmesh-prover -- --ignored`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use proofmesh_circuits::slot::BLOCK_SIZE;
use proofmesh_circuits::{CircuitParams, Fr};
use proofmesh_prover::dataset::open_slots;
use proofmesh_prover::groth16::{load_prover, write_proving_key, write_verifying_key};
use proofmesh_prover::{commit, prove_slot, NoProgress, ProveRequest};
use proofmesh_verifier::snarkjs::{
    parse_proof, parse_public_inputs, parse_verifying_key, proof_to_json, public_inputs_to_json,
    verifying_key_to_json,
};
use proofmesh_verifier::PreparedKey;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::time::Instant;

#[test]
#[ignore = "full-size Groth16 setup and proof: run with --release -- --ignored"]
fn codex_parameters_setup_prove_verify() {
    let params = CircuitParams::codex(5);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(5);

    let t = Instant::now();
    let pk = proofmesh_prover::setup(&params, &mut rng).unwrap();
    let setup_time = t.elapsed();
    let (pk_path, vk_path) = (
        dir.path().join("proving.key"),
        dir.path().join("verifying.key"),
    );
    write_proving_key(&pk_path, &params, &pk).unwrap();
    write_verifying_key(&vk_path, &params, &pk.vk).unwrap();
    let t = Instant::now();
    let prover = load_prover(&pk_path, &vk_path, Some(&params)).unwrap();
    let load_time = t.elapsed();

    let paths: Vec<_> = [4usize, 1, 2]
        .iter()
        .enumerate()
        .map(|(i, blocks)| {
            let mut data = vec![0u8; blocks * BLOCK_SIZE];
            rng.fill_bytes(&mut data);
            let p = dir.path().join(format!("slot{i}.bin"));
            std::fs::write(&p, data).unwrap();
            p
        })
        .collect();
    let slots = open_slots(&paths).unwrap();
    let root = commit(&slots).unwrap().root();
    let request = ProveRequest {
        slot_index: 2,
        entropy: Fr::from(1234567u64),
    };
    let t = Instant::now();
    let p = prove_slot(&prover, &slots, &request, Some(root), &NoProgress, &mut rng).unwrap();
    let prove_time = t.elapsed();

    // What `proofmesh verify` does with the files `proofmesh setup` / `prove` write.
    let vk = parse_verifying_key(&verifying_key_to_json(&pk.vk).to_string()).unwrap();
    let proof = parse_proof(&proof_to_json(&p.proof).to_string()).unwrap();
    let inputs = parse_public_inputs(&public_inputs_to_json(&p.public_inputs).to_string()).unwrap();
    let key = PreparedKey::new(&vk);
    assert!(key.verify(&proof, &inputs).unwrap());
    let mut wrong = inputs.clone();
    wrong[2] = Fr::from(1u64);
    assert!(!key.verify(&proof, &wrong).unwrap());

    eprintln!(
        "(32, 8, 5, 67, 5): {} constraints; setup {setup_time:.2?}, key load {load_time:.2?}, \
         prove (commit + input + witness + Groth16 + self-check) {prove_time:.2?}; \
         proving.key {} bytes, verifying.key {} bytes",
        prover.r1cs().num_constraints,
        std::fs::metadata(&pk_path).unwrap().len(),
        std::fs::metadata(&vk_path).unwrap().len(),
    );
}
