//! `proofmesh sample`: the cells a proof must open.

use super::parse_fr;
use crate::output;
use anyhow::Context;
use proofmesh_circuits::sampler::sample_indices;
use proofmesh_circuits::Fr;
use std::process::ExitCode;

/// Print the cell indices a storage proof must open.
///
/// idx_j = the low log2(N) bits of Poseidon2-sponge(entropy, slotRoot, j) for j = 1..K, as
/// Codex's circuit derives them; one index per line. N must be a power of two. Numbers are
/// decimal, or hex with a 0x prefix.
///
/// Example (Codex's fixture; prints 287 21 307 157 508):
///   proofmesh sample --entropy 1234567 --cells 512 --samples 5 \
///     --slot-root 20744935707483803411869804102043283881376973626291244537230284476834672019997
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// The period's entropy (a BN254 scalar).
    #[arg(long, value_parser = parse_fr)]
    entropy: Fr,
    /// The slot root (a BN254 scalar).
    #[arg(long, value_parser = parse_fr)]
    slot_root: Fr,
    /// Cells in the slot (a power of two).
    #[arg(long, value_name = "N")]
    cells: u64,
    /// How many cells to sample.
    #[arg(long, value_name = "K")]
    samples: usize,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let idx = sample_indices(a.entropy, a.slot_root, a.cells, a.samples).context("--cells")?;
    let text: Vec<String> = idx.iter().map(u64::to_string).collect();
    if !text.is_empty() {
        output::line(&text.join("\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
