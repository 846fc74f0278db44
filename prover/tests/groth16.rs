//! The Groth16 layer end to end on small parameters `(8, 4, 5, 67, 2)`: setup → key files →
//! prove from slot files → verify (arkworks types and snarkjs JSON), and every way it must
//! refuse: wrong public inputs, tampered data, the wrong root on record, broken key files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use proofmesh_circuits::field::fr_to_decimal;
use proofmesh_circuits::sampler::sample_indices;
use proofmesh_circuits::slot::CELL_SIZE;
use proofmesh_circuits::{CircuitParams, Fr, InputError};
use proofmesh_prover::dataset::open_slots;
use proofmesh_prover::groth16::keys::{read_header, HEADER_LEN};
use proofmesh_prover::groth16::{
    check_pair, proof_from_bytes, proof_to_bytes, read_proving_key, read_verifying_key,
    write_proving_key, write_verifying_key, PROOF_BYTES,
};
use proofmesh_prover::{
    circuit_input, commit, prove_slot, prove_slots, KeyError, NoProgress, ProveRequest, Prover,
    ProverError,
};
use proofmesh_verifier::snarkjs::{
    parse_proof, parse_public_inputs, parse_verifying_key, proof_to_json, public_inputs_to_json,
    verifying_key_to_json,
};
use proofmesh_verifier::{circuit_id_of, PreparedKey};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::path::PathBuf;
use std::sync::OnceLock;

mod common;
use common::{dataset, input_for, SMALL};

/// One setup for the whole file (seeded: the keys are the same on every run).
fn keys() -> &'static (ProvingKey<Bn254>, Prover) {
    static KEYS: OnceLock<(ProvingKey<Bn254>, Prover)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pk = proofmesh_prover::setup(&SMALL, &mut ChaCha20Rng::seed_from_u64(7)).unwrap();
        let prover = Prover::new(SMALL, pk.clone(), PathBuf::new()).unwrap();
        (pk, prover)
    })
}

fn request(slot_index: u64, entropy: u64) -> ProveRequest {
    ProveRequest {
        slot_index,
        entropy: Fr::from(entropy),
    }
}

#[test]
fn setup_prove_verify_small() {
    let (_, prover) = keys();
    let dir = tempfile::tempdir().unwrap();
    let slots = dataset(dir.path());
    let root = commit(&slots).unwrap().root();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let p = prove_slot(
        prover,
        &slots,
        &request(1, 1234567),
        Some(root),
        &NoProgress,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        p.public_inputs,
        [Fr::from(1234567u64), root, Fr::from(1u64)]
    );
    let vk = prover.verifying_key();
    assert!(vk.verify(&p.proof, &p.public_inputs).unwrap());

    // Each public input changed → invalid.
    for (i, wrong) in [Fr::from(1234568u64), root + Fr::from(1u64), Fr::from(2u64)]
        .into_iter()
        .enumerate()
    {
        let mut inputs = p.public_inputs;
        inputs[i] = wrong;
        assert!(!vk.verify(&p.proof, &inputs).unwrap(), "input {i} changed");
    }

    // snarkjs JSON, through the verifier's parsers (what `proofmesh verify` runs).
    let vk_json = verifying_key_to_json(prover.verifying_key().verifying_key()).to_string();
    let proof_json = proof_to_json(&p.proof).to_string();
    let public_json = public_inputs_to_json(&p.public_inputs).to_string();
    let parsed = PreparedKey::new(&parse_verifying_key(&vk_json).unwrap());
    assert!(parsed
        .verify(
            &parse_proof(&proof_json).unwrap(),
            &parse_public_inputs(&public_json).unwrap()
        )
        .unwrap());
    assert_eq!(
        circuit_id_of(parsed.verifying_key()),
        prover.circuit_id(),
        "the JSON key is the same key"
    );

    // The binary proof: 128 bytes exactly, and back.
    let bytes = proof_to_bytes(&p.proof);
    assert_eq!(bytes.len(), PROOF_BYTES);
    assert_eq!(PROOF_BYTES, 128);
    assert_eq!(proof_from_bytes(&bytes).unwrap(), p.proof);
    assert!(proof_from_bytes(&bytes[..127]).is_err());
    let mut bad = bytes;
    bad[0] ^= 1;
    assert!(
        proof_from_bytes(&bad).map_or(true, |q| q != p.proof),
        "a flipped bit never decodes to the same proof"
    );
}

#[test]
fn a_padded_slot_proves_and_verifies() {
    // Slot 1 holds 3 blocks, its tree 4 (one zero pad block, cells 96..128). The entropy is
    // the first whose 2 samples hit the pad and the stored cells.
    let (_, prover) = keys();
    let dir = tempfile::tempdir().unwrap();
    let paths = [
        common::slot_file(dir.path(), "a.bin", 2, 11),
        common::slot_file(dir.path(), "b.bin", 3, 12),
        common::slot_file(dir.path(), "c.bin", 5, 13),
    ];
    let slots = open_slots(&paths).unwrap();
    let c = commit(&slots).unwrap();
    let tree = &c.slots[1];
    assert_eq!((tree.n_cells(), slots[1].n_cells()), (128, 128));
    let entropy = (1u64..)
        .find(|&e| {
            let i = sample_indices(Fr::from(e), tree.root(), 128, SMALL.n_samples).unwrap();
            i.iter().any(|&x| x >= 96) && i.iter().any(|&x| x < 96)
        })
        .unwrap();
    let p = prove_slot(
        prover,
        &slots,
        &request(1, entropy),
        Some(c.root()),
        &NoProgress,
        &mut ChaCha20Rng::seed_from_u64(5),
    )
    .unwrap();
    assert_eq!(
        p.public_inputs,
        [Fr::from(entropy), c.root(), Fr::from(1u64)]
    );
    let vk = prover.verifying_key();
    assert!(vk.verify(&p.proof, &p.public_inputs).unwrap());
    let mut wrong = p.public_inputs;
    wrong[2] = Fr::from(2u64);
    assert!(!vk.verify(&p.proof, &wrong).unwrap());
}

#[test]
fn the_root_on_record_must_match_and_nothing_is_proven_otherwise() {
    let (_, prover) = keys();
    let dir = tempfile::tempdir().unwrap();
    let slots = dataset(dir.path());
    let root = commit(&slots).unwrap().root();
    let err = prove_slot(
        prover,
        &slots,
        &request(0, 5),
        Some(root + Fr::from(1u64)),
        &NoProgress,
        &mut ChaCha20Rng::seed_from_u64(2),
    )
    .unwrap_err();
    match err {
        ProverError::DatasetRoot { expected, got } => {
            assert_eq!(got, fr_to_decimal(&root));
            assert_eq!(expected, fr_to_decimal(&(root + Fr::from(1u64))));
        }
        e => panic!("{e}"),
    }
}

#[test]
fn a_flipped_byte_in_a_sampled_cell_is_refused() {
    let (_, prover) = keys();
    let dir = tempfile::tempdir().unwrap();
    let slots = dataset(dir.path());
    let original = commit(&slots).unwrap();
    let entropy = Fr::from(99u64);
    let tree = &original.slots[2];
    let cells = sample_indices(entropy, tree.root(), tree.n_cells(), SMALL.n_samples).unwrap();
    let path = slots[2].path().to_path_buf();
    let mut data = std::fs::read(&path).unwrap();
    data[cells[0] as usize * CELL_SIZE + 100] ^= 0x01;
    std::fs::write(&path, &data).unwrap();
    let tampered = open_slots(&[slots[0].path(), slots[1].path(), &path]).unwrap();

    // Against the root on record: refused before any proving.
    let err = prove_slot(
        prover,
        &tampered,
        &request(2, 99),
        Some(original.root()),
        &NoProgress,
        &mut ChaCha20Rng::seed_from_u64(3),
    )
    .unwrap_err();
    assert!(matches!(err, ProverError::DatasetRoot { .. }), "{err}");

    // Against the original trees (data changed after commitment): the native check names
    // the sample.
    let err = circuit_input(&SMALL, &tampered, &original, 2, entropy).unwrap_err();
    assert!(
        matches!(
            err,
            ProverError::Input(InputError::CellMismatch { sample: 0, .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("sample 0"), "{err}");
}

#[test]
fn a_tampered_input_or_witness_never_becomes_a_proof() {
    let (_, prover) = keys();
    let (_dir, input) = input_for(1, 3);
    let mut rng = ChaCha20Rng::seed_from_u64(4);

    let mut bad = input.clone();
    bad.cell_data[1][10] += Fr::from(1u64);
    let err = prover.prove(&bad, &mut rng).unwrap_err();
    assert!(
        matches!(
            err,
            ProverError::Input(InputError::CellMismatch { sample: 1, .. })
        ),
        "{err}"
    );

    // Past the native check, the witness is checked against every constraint.
    let mut full = prover.witness(&input).unwrap();
    assert_eq!(prover.r1cs().first_violation(&full), None);
    let last = full.len() - 1;
    full[last] += Fr::from(1u64);
    assert!(prover.r1cs().first_violation(&full).is_some());
}

#[test]
fn many_slots_in_parallel_in_request_order() {
    let (_, prover) = keys();
    let dir = tempfile::tempdir().unwrap();
    let slots = dataset(dir.path());
    let c = commit(&slots).unwrap();
    let requests = [
        request(2, 10),
        request(0, 11),
        request(1, 12),
        request(7, 13),
    ];
    let results = prove_slots(prover, &slots, &c, &requests, 2).unwrap();
    assert_eq!(results.len(), 4);
    for (r, q) in results.iter().zip(&requests).take(3) {
        let p = r.as_ref().unwrap();
        assert_eq!(p.public_inputs[0], q.entropy);
        assert_eq!(p.public_inputs[2], Fr::from(q.slot_index));
        assert!(prover
            .verifying_key()
            .verify(&p.proof, &p.public_inputs)
            .unwrap());
    }
    assert!(matches!(
        results[3],
        Err(ProverError::SlotIndex { index: 7, .. })
    ));
}

#[test]
fn key_files_round_trip_and_every_defect_is_named() {
    let (pk, _) = keys();
    let dir = tempfile::tempdir().unwrap();
    let pk_path = dir.path().join("proving.key");
    let vk_path = dir.path().join("verifying.key");
    let id = write_proving_key(&pk_path, &SMALL, pk).unwrap();
    assert_eq!(write_verifying_key(&vk_path, &SMALL, &pk.vk).unwrap(), id);
    assert_eq!(id, circuit_id_of(&pk.vk));
    let header = read_header(&pk_path).unwrap();
    assert_eq!(header.params, SMALL);
    assert_eq!(header.circuit_id, id);

    let pkf = read_proving_key(&pk_path, Some(&SMALL)).unwrap();
    let vkf = read_verifying_key(&vk_path, Some(&SMALL)).unwrap();
    assert_eq!(pkf.key, *pk);
    assert_eq!(vkf.key, pk.vk);
    check_pair(&pkf, &vkf).unwrap();
    Prover::new(pkf.params, pkf.key.clone(), pkf.path.clone()).unwrap();

    let bytes = std::fs::read(&pk_path).unwrap();
    let write = |name: &str, b: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, b).unwrap();
        p
    };

    // Truncated: named as such before decoding.
    let p = write("truncated.key", &bytes[..bytes.len() - 1000]);
    let e = read_proving_key(&p, None).unwrap_err();
    assert!(matches!(e, KeyError::Length { .. }), "{e}");
    assert!(e.to_string().contains("truncated.key"), "{e}");
    // Not a key file at all.
    let p = write("text.key", b"hello");
    assert!(matches!(
        read_proving_key(&p, None).unwrap_err(),
        KeyError::Magic { .. }
    ));
    // The wrong kind.
    assert!(matches!(
        read_proving_key(&vk_path, None).unwrap_err(),
        KeyError::Kind { .. }
    ));
    // Keys for other parameters than the caller needs.
    let other = CircuitParams {
        n_samples: 3,
        ..SMALL
    };
    assert!(matches!(
        read_verifying_key(&vk_path, Some(&other)).unwrap_err(),
        KeyError::Params { .. }
    ));
    // A header that lies about the parameters: the key does not fit the circuit it names.
    let mut lying = bytes.clone();
    lying[7 + 16..7 + 20].copy_from_slice(&3u32.to_le_bytes());
    let p = write("lying.key", &lying);
    let f = read_proving_key(&p, None).unwrap();
    assert_eq!(f.params, other);
    let e = Prover::new(f.params, f.key, f.path).unwrap_err();
    assert!(matches!(e, ProverError::Key(KeyError::Shape { .. })), "{e}");
    // A header whose circuit id is not the key's.
    let mut wrong_id = bytes.clone();
    wrong_id[27] ^= 1;
    let p = write("wrong-id.key", &wrong_id);
    assert!(matches!(
        read_proving_key(&p, None).unwrap_err(),
        KeyError::CircuitId { .. }
    ));
    // A corrupted point that no longer decodes.
    let mut corrupt = bytes.clone();
    corrupt[HEADER_LEN + 40] ^= 0x55;
    let p = write("corrupt.key", &corrupt);
    let e = read_proving_key(&p, None).unwrap_err();
    assert!(matches!(e, KeyError::Decode { .. }), "{e}");
    // A flipped sign bit still decodes (to -α): the digest catches it.
    let mut negated = bytes.clone();
    negated[HEADER_LEN + 31] ^= 0x80;
    let p = write("negated.key", &negated);
    let e = read_proving_key(&p, None).unwrap_err();
    assert!(e.to_string().contains("corrupted"), "{e}");

    // Keys from two setups do not pair.
    let pk2 = proofmesh_prover::setup(&SMALL, &mut ChaCha20Rng::seed_from_u64(8)).unwrap();
    let vk2_path = dir.path().join("verifying2.key");
    write_verifying_key(&vk2_path, &SMALL, &pk2.vk).unwrap();
    let vk2 = read_verifying_key(&vk2_path, None).unwrap();
    let e = check_pair(&pkf, &vk2).unwrap_err();
    assert!(matches!(e, KeyError::Mismatch { .. }), "{e}");
    assert!(e.to_string().contains("verifying2.key"), "{e}");
}

/// proofmesh's Groth16 assembly (batch-affine MSMs, `L` and `H` as one MSM) is the same
/// algebra as arkworks' prover: for the same randomisers `r`, `s` the proofs are identical,
/// point for point, including `r = s = 0` (no blinding) and a key made by arkworks itself.
#[test]
fn assembly_equals_arkworks_for_the_same_randomisers() {
    use ark_groth16::Groth16;
    use proofmesh_prover::groth16::assemble::{assemble, AssembleError, Msms};
    use proofmesh_prover::groth16::quotient::QuotientError;
    let (pk, prover) = keys();
    let (_dir, input) = input_for(2, 99);
    let full = prover.witness(&input).unwrap();
    let r1cs = prover.r1cs();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let zero = Fr::from(0u64);
    for (r, s) in [
        (Fr::from(rng.next_u64()), Fr::from(rng.next_u64())),
        (zero, zero),
        (zero, Fr::from(3u64)),
    ] {
        let ours = assemble(
            pk,
            &r1cs.matrices,
            r1cs.num_instance,
            r1cs.num_constraints,
            &full,
            (r, s),
            Msms::Cpu,
        )
        .unwrap();
        let ark = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            pk,
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
    // A witness off by one element: refused with the first violated constraint, the one
    // the diagnostic names too, and never a proof.
    let mut bad = full.clone();
    let last = bad.len() - 1;
    bad[last] += Fr::from(1u64);
    let r = Fr::from(11u64);
    let e = assemble(
        pk,
        &r1cs.matrices,
        r1cs.num_instance,
        r1cs.num_constraints,
        &bad,
        (r, r),
        Msms::Cpu,
    )
    .unwrap_err();
    let first = r1cs.first_violation(&bad).unwrap();
    assert!(
        matches!(
            e,
            AssembleError::Quotient(QuotientError::Unsatisfied(i)) if i == first
        ),
        "{e}"
    );
    let e = prover.prove_assignment(&bad, &mut rng).unwrap_err();
    assert!(
        matches!(e, ProverError::Unsatisfied { constraint, .. } if constraint == first),
        "{e}"
    );
}

/// Proving keys are written uncompressed (format 2); format-1 (compressed) files still load,
/// to the same key, and corruption is caught in both.
#[test]
fn proving_keys_load_from_both_formats() {
    use proofmesh_prover::groth16::keys::{MAGIC, MAGIC_UNCOMPRESSED};
    use proofmesh_prover::groth16::{write_proving_key_as, KeyEncoding};
    let (pk, _) = keys();
    let dir = tempfile::tempdir().unwrap();
    let v2 = dir.path().join("v2.key");
    let v1 = dir.path().join("v1.key");
    write_proving_key(&v2, &SMALL, pk).unwrap();
    write_proving_key_as(&v1, &SMALL, pk, KeyEncoding::Compressed).unwrap();
    let (b2, b1) = (std::fs::read(&v2).unwrap(), std::fs::read(&v1).unwrap());
    assert_eq!(b2[..6], MAGIC_UNCOMPRESSED);
    assert_eq!(b1[..6], MAGIC);
    assert!(b2.len() > b1.len() * 3 / 2, "{} vs {}", b2.len(), b1.len());
    assert_eq!(
        read_header(&v2).unwrap().encoding,
        KeyEncoding::Uncompressed
    );
    assert_eq!(read_header(&v1).unwrap().encoding, KeyEncoding::Compressed);
    for p in [&v1, &v2] {
        let f = read_proving_key(p, Some(&SMALL)).unwrap();
        assert_eq!(&f.key, pk);
    }
    // A flipped byte deep in the points of either format: the digest names it corrupted.
    for (name, bytes) in [("c1.key", &b1), ("c2.key", &b2)] {
        let mut bad = bytes.clone();
        let at = bad.len() - 100;
        bad[at] ^= 0x10;
        let p = dir.path().join(name);
        std::fs::write(&p, &bad).unwrap();
        let e = read_proving_key(&p, None).unwrap_err();
        assert!(e.to_string().contains("corrupted"), "{e}");
    }
}

/// An assignment of the wrong length is a typed error, not a panic.
#[test]
fn a_short_or_long_assignment_is_an_error() {
    let (_, prover) = keys();
    let (_dir, input) = input_for(0, 5);
    let full = prover.witness(&input).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let short = &full[..full.len() - 1];
    let e = prover.prove_assignment(short, &mut rng).unwrap_err();
    assert!(matches!(e, ProverError::Assemble(_)), "{e}");
    let mut long = full.clone();
    long.push(Fr::from(1u64));
    let e = prover.prove_assignment(&long, &mut rng).unwrap_err();
    assert!(matches!(e, ProverError::Assemble(_)), "{e}");
    assert!(prover.prove_assignment(&full, &mut rng).is_ok());
}
