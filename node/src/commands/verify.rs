//! `proofmesh verify`: check a Groth16 proof in snarkjs JSON against a verifying key.

use super::read_text;
use crate::output;
use anyhow::Context;
use proofmesh_verifier::snarkjs::{parse_proof, parse_public_inputs, parse_verifying_key};
use proofmesh_verifier::PreparedKey;
use std::path::PathBuf;
use std::process::ExitCode;

/// Verify a Groth16 proof (snarkjs JSON, BN254) against a verifying key.
///
/// Works for proofs made by Codex's own tools (snarkjs, rapidsnark, nim-groth16) with Codex's
/// deployed keys, and for proofs made by `proofmesh prove`. Prints one line starting with
/// `valid` or `invalid`; exit 0 valid, 1 invalid, 2 unreadable or malformed input (the message
/// names the file and the problem: bad JSON, a coordinate out of range, a point off the curve
/// or outside the subgroup, a count mismatch).
///
/// Example:
///   proofmesh verify --vk verification_key.json --proof proof.json --public public.json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Verifying key, snarkjs `verification_key.json`.
    #[arg(long, value_name = "VK.json")]
    vk: PathBuf,
    /// Proof, snarkjs `proof.json`.
    #[arg(long, value_name = "PROOF.json")]
    proof: PathBuf,
    /// Public inputs, snarkjs `public.json` (for Codex: entropy, dataSetRoot, slotIndex).
    #[arg(long, value_name = "PUBLIC.json")]
    public: PathBuf,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let vk = parse_verifying_key(&read_text(&a.vk)?).with_context(|| a.vk.display().to_string())?;
    let proof =
        parse_proof(&read_text(&a.proof)?).with_context(|| a.proof.display().to_string())?;
    let inputs = parse_public_inputs(&read_text(&a.public)?)
        .with_context(|| a.public.display().to_string())?;
    let key = PreparedKey::new(&vk);
    let valid = key
        .verify(&proof, &inputs)
        .with_context(|| format!("{} against {}", a.public.display(), a.vk.display()))?;
    if valid {
        output::line(&format!(
            "valid: the proof verifies under the key ({} public inputs)",
            inputs.len()
        ))?;
        Ok(ExitCode::SUCCESS)
    } else {
        output::line("invalid: the proof does not verify under this key and these public inputs")?;
        Ok(ExitCode::from(1))
    }
}
