//! `proofmesh setup`: circuit-specific Groth16 keys for proofmesh's storage-proof circuit.

use super::prove::Bars;
use crate::output;
use anyhow::Context;
use proofmesh_circuits::slot::{BLOCK_TREE_DEPTH, FIELD_ELEMS_PER_CELL};
use proofmesh_circuits::CircuitParams;
use proofmesh_prover::groth16::keys::params_text;
use proofmesh_prover::groth16::{write_proving_key, write_verifying_key};
use proofmesh_verifier::snarkjs::verifying_key_to_json;
use rand::rngs::OsRng;
use std::path::PathBuf;
use std::process::ExitCode;

/// Generate a proving key and a verifying key for the storage-proof circuit.
///
/// The circuit is SampleAndProve(maxDepth, maxLog2NSlots, 5, 67, K): Codex's statement with
/// Codex's slot layout (64 KiB blocks of 32 cells of 67 field elements). Codex's deployed
/// circuit is --samples 5 with the default depths. Writes three files into DIR:
///   proving.key             for `proofmesh prove` (large, grows with K: docs/circuit.md)
///   verifying.key           the same verifying key, binary, with the circuit header
///   verification_key.json  the verifying key in snarkjs format, for `proofmesh verify` and snarkjs
/// Both .key files start with a header naming the circuit parameters and the circuit id
/// (SHA-256 of the verifying key); `proofmesh prove` checks it.
///
/// Trust: whoever runs setup knows the toxic waste and could forge proofs for these keys.
/// The randomness comes from the OS and is dropped when setup ends.
///
/// Example:
///   proofmesh setup --samples 5 --out keys/
///   proofmesh setup --samples 2 --max-depth 8 --max-log2-slots 4 --out small-keys/
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Cells sampled per proof (Codex's deployed circuit: 5).
    #[arg(long, value_name = "K")]
    samples: usize,
    /// Depth of the slot tree in cells: slots of up to 2^D cells (Codex: 32).
    #[arg(long, value_name = "D", default_value_t = 32)]
    max_depth: usize,
    /// Depth of the dataset tree: up to 2^S slots (Codex: 8).
    #[arg(long, value_name = "S", default_value_t = 8)]
    max_log2_slots: usize,
    /// Directory for the keys (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace keys already in DIR (proofs made with the old keys will no longer verify).
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let params = CircuitParams {
        max_depth: a.max_depth,
        max_log2_slots: a.max_log2_slots,
        block_tree_depth: BLOCK_TREE_DEPTH,
        field_elems_per_cell: FIELD_ELEMS_PER_CELL,
        n_samples: a.samples,
    };
    proofmesh_prover::groth16::check_params(&params)?;
    let (pk_path, vk_path, json_path) = (
        a.out.join("proving.key"),
        a.out.join("verifying.key"),
        a.out.join("verification_key.json"),
    );
    for p in [&pk_path, &vk_path, &json_path] {
        anyhow::ensure!(
            a.force || !p.exists(),
            "{}: already exists (pass --force to replace the keys)",
            p.display()
        );
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let bars = Bars::new();
    bars.spin(format!("Groth16 setup of {}", params_text(&params)));
    let pk = proofmesh_prover::setup(&params, &mut OsRng)?;
    bars.spin("writing keys".into());
    let id = write_proving_key(&pk_path, &params, &pk)?;
    write_verifying_key(&vk_path, &params, &pk.vk)?;
    let json = serde_json::to_string_pretty(&verifying_key_to_json(&pk.vk))?;
    std::fs::write(&json_path, json + "\n")
        .with_context(|| format!("{}: cannot write", json_path.display()))?;
    bars.clear();
    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    output::line(&format!(
        "wrote {}: circuit {} {}, proving.key {} bytes, verifying.key {} bytes",
        a.out.display(),
        id,
        params_text(&params),
        size(&pk_path),
        size(&vk_path),
    ))?;
    Ok(ExitCode::SUCCESS)
}
