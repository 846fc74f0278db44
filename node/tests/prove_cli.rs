//! `proofmesh setup`, `prove` and `verify` run as real processes on small parameters
//! `(8, 4, 5, 67, 2)`: the happy path end to end, wrong public inputs, tampered data, and
//! every kind of bad input exiting 2 with a message naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{proofmesh, s, slot_file, stderr, stdout};
use proofmesh_circuits::field::{fr_from_decimal, fr_to_decimal};
use proofmesh_circuits::sampler::sample_indices;
use proofmesh_circuits::slot::CELL_SIZE;
use proofmesh_circuits::Fr;
use proofmesh_prover::dataset::open_slots;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn setup(out: &Path) -> Output {
    proofmesh(&[
        "setup",
        "--samples",
        "2",
        "--max-depth",
        "8",
        "--max-log2-slots",
        "4",
        "--out",
        s(out),
    ])
}

/// One setup through the binary, shared by the tests of this file.
fn keys() -> &'static Path {
    static KEYS: OnceLock<tempfile::TempDir> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let o = setup(dir.path());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stdout(&o).contains("(8, 4, 5, 67, 2)"), "{}", stdout(&o));
        dir
    })
    .path()
}

fn slots(dir: &Path) -> Vec<PathBuf> {
    vec![
        slot_file(dir, "slot0.bin", 2, 1),
        slot_file(dir, "slot1.bin", 1, 2),
    ]
}

fn dataset_root(slots: &[PathBuf]) -> Fr {
    proofmesh_prover::commit(&open_slots(slots).unwrap())
        .unwrap()
        .root()
}

fn prove(keys: &Path, out: &Path, extra: &[&str], slots: &[PathBuf]) -> Output {
    let mut args = vec!["prove", "--keys", s(keys), "--out", s(out)];
    args.extend_from_slice(extra);
    args.extend(slots.iter().map(|p| s(p)));
    proofmesh(&args)
}

fn verify(keys: &Path, proof: &Path, public: &Path) -> Output {
    let vk = keys.join("verification_key.json");
    proofmesh(&[
        "verify",
        "--vk",
        s(&vk),
        "--proof",
        s(proof),
        "--public",
        s(public),
    ])
}

#[test]
fn setup_prove_verify_through_the_binary() {
    let keys = keys();
    for f in ["proving.key", "verifying.key", "verification_key.json"] {
        assert!(keys.join(f).is_file(), "{f}");
    }
    let dir = tempfile::tempdir().unwrap();
    let slots = slots(dir.path());
    let root = fr_to_decimal(&dataset_root(&slots));
    let out = dir.path().join("proof");
    let o = prove(
        keys,
        &out,
        &[
            "--slot-index",
            "1",
            "--entropy",
            "0x12d687",
            "--dataset-root",
            &root,
        ],
        &slots,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("proved slot 1 of 2"),
        "{}",
        stdout(&o)
    );
    assert_eq!(std::fs::read(out.join("proof.bin")).unwrap().len(), 128);
    let (proof, public) = (out.join("proof.json"), out.join("public.json"));
    let inputs: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(&public).unwrap()).unwrap();
    assert_eq!(inputs, ["1234567", root.as_str(), "1"]);

    let o = verify(keys, &proof, &public);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("valid"), "{}", stdout(&o));

    // Wrong entropy, dataset root, slot index: invalid (exit 1), not malformed.
    let other_root = fr_to_decimal(&(fr_from_decimal(&root).unwrap() + Fr::from(1u64)));
    for (i, wrong) in ["1234568", other_root.as_str(), "0"]
        .into_iter()
        .enumerate()
    {
        let mut bad = inputs.clone();
        bad[i] = wrong.to_owned();
        let p = dir.path().join(format!("public{i}.json"));
        std::fs::write(&p, serde_json::to_string(&bad).unwrap()).unwrap();
        let o = verify(keys, &proof, &p);
        assert_eq!(o.status.code(), Some(1), "input {i}: {}", stdout(&o));
        assert!(stdout(&o).starts_with("invalid"), "{}", stdout(&o));
    }
}

/// `--gpu` proves (with the same proof semantics) where the build has the feature and the
/// machine a GPU; elsewhere it exits 2 saying why and writes nothing. `PROOFMESH_EXPECT_GPU=1`
/// (set by `benches/gpu/device-check.sh`) makes the GPU mandatory.
#[test]
fn prove_with_gpu_proves_or_says_why_not() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let slots = slots(dir.path());
    let out = dir.path().join("proof");
    let args = ["--slot-index", "0", "--entropy", "77", "--gpu"];
    let o = prove(keys, &out, &args, &slots);
    let expect_gpu = std::env::var_os("PROOFMESH_EXPECT_GPU").is_some();
    match o.status.code() {
        Some(0) if cfg!(feature = "gpu") => {
            let o = verify(keys, &out.join("proof.json"), &out.join("public.json"));
            assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
            assert!(stdout(&o).starts_with("valid"), "{}", stdout(&o));
        }
        Some(2) if !expect_gpu => {
            let why = stderr(&o);
            if cfg!(feature = "gpu") {
                assert!(why.contains("gpu:") && why.contains("CUDA"), "{why}");
            } else {
                assert!(why.contains("no GPU support"), "{why}");
            }
            assert!(!out.exists(), "nothing may be written");
        }
        code => panic!("exit {code:?}: {}", stderr(&o)),
    }
}

#[test]
fn a_flipped_byte_in_a_sampled_cell_is_refused_and_nothing_is_written() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let slots = slots(dir.path());
    let root = dataset_root(&slots);
    let entropy = Fr::from(42u64);
    let committed = proofmesh_prover::commit(&open_slots(&slots).unwrap()).unwrap();
    let tree = &committed.slots[0];
    let cell = sample_indices(entropy, tree.root(), tree.n_cells(), 2).unwrap()[1];
    let mut data = std::fs::read(&slots[0]).unwrap();
    data[cell as usize * CELL_SIZE + 7] ^= 0x80;
    std::fs::write(&slots[0], data).unwrap();

    let out = dir.path().join("proof");
    let o = prove(
        keys,
        &out,
        &[
            "--slot-index",
            "0",
            "--entropy",
            "42",
            "--dataset-root",
            &fr_to_decimal(&root),
        ],
        &slots,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("not to the root on record"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn bad_keys_and_slot_files_exit_2_naming_the_file() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let slots = slots(dir.path());
    let out = dir.path().join("proof");
    let args = ["--slot-index", "0", "--entropy", "5"];
    let expect_2 = |o: Output, words: &[&str]| {
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        for w in words {
            assert!(stderr(&o).contains(w), "want {w:?} in: {}", stderr(&o));
        }
    };

    // Missing key files.
    let empty = dir.path().join("no-keys");
    expect_2(prove(&empty, &out, &args, &slots), &["proving.key"]);

    // proving.key of one setup with verifying.key of another.
    let other = dir.path().join("other-keys");
    assert_eq!(setup(&other).status.code(), Some(0));
    let mixed = dir.path().join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::copy(keys.join("proving.key"), mixed.join("proving.key")).unwrap();
    std::fs::copy(other.join("verifying.key"), mixed.join("verifying.key")).unwrap();
    expect_2(
        prove(&mixed, &out, &args, &slots),
        &["different setups", "verifying.key"],
    );

    // A truncated proving key.
    let truncated = dir.path().join("truncated");
    std::fs::create_dir(&truncated).unwrap();
    let bytes = std::fs::read(keys.join("proving.key")).unwrap();
    std::fs::write(truncated.join("proving.key"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::copy(keys.join("verifying.key"), truncated.join("verifying.key")).unwrap();
    expect_2(
        prove(&truncated, &out, &args, &slots),
        &["proving.key", "truncated"],
    );

    // Keys for another sample count than asked for.
    let mut with_samples = args.to_vec();
    with_samples.extend(["--samples", "3"]);
    expect_2(
        prove(keys, &out, &with_samples, &slots),
        &["keys are for 2 samples"],
    );

    // A slot file of the wrong size.
    let short = dir.path().join("short.bin");
    std::fs::write(&short, vec![0u8; 1000]).unwrap();
    expect_2(
        prove(keys, &out, &args, &[slots[0].clone(), short]),
        &["short.bin", "65536-byte blocks"],
    );

    // A slot index with no slot file.
    expect_2(
        prove(keys, &out, &["--slot-index", "2", "--entropy", "5"], &slots),
        &["slot index 2"],
    );
    assert!(!out.exists(), "nothing is written");

    // setup does not overwrite keys unless told to.
    expect_2(setup(keys), &["already exists", "--force"]);
}

/// snarkjs' CLI (`snarkjs groth16 verify`), installed by `shared/tools/codex-accepts` into its
/// cache on first use (CI has npm and the registry).
fn snarkjs_cli() -> PathBuf {
    let cache = std::env::var_os("PROOFMESH_TOOLS_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("proofmesh-tools"))
        })
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/proofmesh-tools")
        });
    let cli = cache.join("node_modules/snarkjs/build/cli.cjs");
    if !cli.is_file() {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
        let o = Command::new("bash")
            .arg(shared.join("tools/codex-accepts"))
            .arg(shared.join("fixtures/codex/input.json"))
            .output()
            .expect("run codex-accepts");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert!(cli.is_file(), "snarkjs not installed at {}", cli.display());
    cli
}

/// snarkjs itself, not our parser, accepts the proof and verifying key `proofmesh` writes (the
/// prover's own MSMs and QAP reduction must agree with Groth16 as snarkjs checks it), and
/// rejects it for another slot index.
#[test]
fn snarkjs_verifies_our_proof() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let slots = slots(dir.path());
    let out = dir.path().join("proof");
    let o = prove(
        keys,
        &out,
        &["--slot-index", "0", "--entropy", "987654321"],
        &slots,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cli = snarkjs_cli();
    let snarkjs = |public: &Path| {
        Command::new("node")
            .arg(&cli)
            .args(["groth16", "verify"])
            .arg(keys.join("verification_key.json"))
            .arg(public)
            .arg(out.join("proof.json"))
            .output()
            .expect("run node")
    };
    let ok = snarkjs(&out.join("public.json"));
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("OK"), "{}", stdout(&ok));
    let mut inputs: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(out.join("public.json")).unwrap()).unwrap();
    inputs[2] = "1".into();
    let other = dir.path().join("other.json");
    std::fs::write(&other, serde_json::to_string(&inputs).unwrap()).unwrap();
    let bad = snarkjs(&other);
    assert_ne!(bad.status.code(), Some(0), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("Invalid"), "{}", stdout(&bad));
}
