//! `proofmesh commit`: Codex's commitments of a dataset given as slot files.

use crate::output;
use proofmesh_circuits::field::fr_to_decimal;
use proofmesh_prover::dataset::open_slots;
use std::path::PathBuf;
use std::process::ExitCode;

/// Compute a dataset's Codex commitments from its slot files.
///
/// The files, in the order given, are slots 0..n-1 of one dataset. Each is the slot's raw
/// bytes: a positive whole number of 64 KiB blocks (of 32 cells of 2048 bytes). As Codex
/// does, a slot's tree pads its blocks with all-zero blocks up to a power of two of blocks
/// (the pad is never stored nor read). Cells are hashed with Poseidon2 (rate-2 sponge),
/// blocks and slots with Codex's keyed Merkle trees; blocks are hashed in parallel. Prints
/// JSON, cellsPerSlot counting the padded tree (the circuit's nCellsPerSlot):
///   {"datasetRoot": "<decimal>", "slotRoots": ["<decimal>", ...], "cellsPerSlot": [..]}
///
/// Example:
///   proofmesh commit slot0.bin slot1.bin slot2.bin
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Slot files, in slot order.
    #[arg(value_name = "SLOT_FILE", required = true)]
    slots: Vec<PathBuf>,
}

/// The printed commitment, fields in the documented order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Commitment {
    dataset_root: String,
    slot_roots: Vec<String>,
    cells_per_slot: Vec<u64>,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let slots = open_slots(&a.slots)?;
    let c = proofmesh_prover::commit(&slots)?;
    let doc = Commitment {
        dataset_root: fr_to_decimal(&c.root()),
        slot_roots: c.slots.iter().map(|s| fr_to_decimal(&s.root())).collect(),
        cells_per_slot: c.slots.iter().map(|s| s.n_cells()).collect(),
    };
    output::line(&serde_json::to_string(&doc)?)?;
    Ok(ExitCode::SUCCESS)
}
