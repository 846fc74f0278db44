//! `proofmesh input`: the circuit input of Codex's storage-proof circuit for one slot.

use super::parse_fr;
use crate::output;
use anyhow::Context;
use proofmesh_circuits::input::CircuitInputJson;
use proofmesh_circuits::{CircuitParams, Fr};
use proofmesh_prover::dataset::open_slots;
use std::path::PathBuf;
use std::process::ExitCode;

/// Write the circuit input proving one slot, in exactly Codex's `input.json` layout.
///
/// The slot files, in order, are slots 0..n-1 of the dataset. The input is for Codex's circuit
/// SampleAndProve(maxDepth 32, maxLog2NSlots 8, blockTreeDepth 5, 67 elements per cell, K):
/// dataSetRoot, entropy, nCellsPerSlot, nSlotsPerDataSet, slotIndex, slotRoot, slotProof
/// (padded to 8), cellData and merklePaths (padded to 32). nCellsPerSlot counts the slot's
/// tree with Codex's zero-block pad; a sampled cell in the pad opens as an all-zero cell. It
/// is checked natively before it is written, and Codex's own witness calculator accepts it
/// (snarkjs wtns calculate).
///
/// Example:
///   proofmesh input --slot-index 3 --entropy 1234567 --samples 5 --out input.json slot*.bin
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Which slot to prove (0-based, in the order of the files).
    #[arg(long, value_name = "I")]
    slot_index: u64,
    /// The period's entropy (decimal, or hex with 0x).
    #[arg(long, value_parser = parse_fr)]
    entropy: Fr,
    /// Cells to sample (Codex's deployed circuit: 5).
    #[arg(long, value_name = "K")]
    samples: usize,
    /// Where to write the JSON input.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Slot files, in slot order.
    #[arg(value_name = "SLOT_FILE", required = true)]
    slots: Vec<PathBuf>,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let params = CircuitParams::codex(a.samples);
    let slots = open_slots(&a.slots)?;
    let commitment = proofmesh_prover::commit(&slots)?;
    let input =
        proofmesh_prover::circuit_input(&params, &slots, &commitment, a.slot_index, a.entropy)?;
    let json = serde_json::to_string_pretty(&CircuitInputJson::from(&input))?;
    std::fs::write(&a.out, json + "\n")
        .with_context(|| format!("{}: cannot write", a.out.display()))?;
    output::line(&format!(
        "wrote {}: slot {} of {}, {} cells, {} samples",
        a.out.display(),
        a.slot_index,
        slots.len(),
        input.n_cells_per_slot,
        a.samples
    ))?;
    Ok(ExitCode::SUCCESS)
}
