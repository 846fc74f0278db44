//! `proofmesh dataset`: an altruistic community's data side — erasure-code a file into Codex's
//! slot layout with its commitments, rebuild lost slot files, and get the original back. The
//! coding is `proofmesh-erasure` (Leopard-compatible, nim-codex's layout); the roots are the
//! same Poseidon2 commitments `proofmesh commit` prints, so a dataset made here is one a Codex
//! prover and this mesh's verifiers agree on.

use crate::output;
use anyhow::{bail, Context};
use proofmesh_circuits::field::fr_to_decimal;
use proofmesh_erasure::{slot_file_name, Manifest, SlotState};
use proofmesh_prover::dataset::open_slots;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Create, repair and decode erasure-coded datasets (Codex's slot layout), and get one back
/// from its providers.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    Encode(EncodeArgs),
    Repair(RepairArgs),
    Decode(DecodeArgs),
    Get(super::dataset_get::GetArgs),
    Rebuild(super::dataset_get::RebuildArgs),
}

/// Erasure-code FILE into K + M slot files and a manifest with the dataset's commitments.
///
/// As nim-codex does: the file is cut into 64 KiB blocks (the last one zero-padded), padded
/// with zero blocks to a multiple of K, and coded column by column with Leopard-RS (the field
/// by Leopard's rule; XOR for M = 1); slot i is row i. Writes DIR/slot_<i>.bin for i in
/// 0..K+M (each exactly its real blocks) and DIR/manifest.json (datasetRoot, slotRoots as
/// decimal strings, dataSlots, paritySlots, blocksPerSlot, originalSize, slotSha256, …).
/// Prints one JSON line: {"datasetRoot", "slotRoots", "blocksPerSlot", "cellsPerSlot"}.
/// Codex's limits: K >= 2, 1 <= M <= K, K + M <= 256.
///
/// Example:
///   proofmesh dataset encode --data-slots 2 --parity-slots 1 --out photos/ photos.tar
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct EncodeArgs {
    /// K: data slots (any K slots rebuild the file).
    #[arg(long, value_name = "K")]
    data_slots: usize,
    /// M: parity slots (the dataset survives M lost slots).
    #[arg(long, value_name = "M")]
    parity_slots: usize,
    /// Directory for the slot files and manifest.json (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The file to store.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// Rebuild every slot file the manifest in DIR lists and DIR lacks (or holds damaged).
///
/// Every present slot is checked first (length, SHA-256, and its Poseidon2 root against the
/// manifest's slotRoots); any K good ones rebuild the others, each rebuilt file checked before
/// it replaces anything. Prints one line per rebuilt slot and a summary. Exit 0 when every
/// slot is good; exit 2 when fewer than K good slots remain (naming the bad ones), having
/// written nothing.
///
/// Example:
///   proofmesh dataset repair photos/
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct RepairArgs {
    /// A directory written by `proofmesh dataset encode`.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Write the original file (exactly originalSize bytes) from any K good slots in DIR.
///
/// Example:
///   proofmesh dataset decode --out photos.tar photos/
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct DecodeArgs {
    /// Where to write the original file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// A directory written by `proofmesh dataset encode`.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

pub(crate) fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Encode(a) => encode(a),
        Command::Repair(a) => repair(a),
        Command::Decode(a) => decode(a),
        Command::Get(a) => super::dataset_get::run(a),
        Command::Rebuild(a) => super::dataset_get::rebuild(a),
    }
}

/// The printed summary of an encoded dataset, fields in the documented order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Encoded {
    dataset_root: String,
    slot_roots: Vec<String>,
    blocks_per_slot: u64,
    cells_per_slot: u64,
}

fn encode(a: EncodeArgs) -> anyhow::Result<ExitCode> {
    proofmesh_erasure::check_params(a.data_slots, a.parity_slots)?;
    let meta =
        std::fs::metadata(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    if !meta.is_file() {
        bail!("{} is not a regular file", a.file.display());
    }
    let mut manifest =
        proofmesh_erasure::encode_file(&a.file, a.data_slots, a.parity_slots, &a.out)
            .with_context(|| format!("cannot encode {}", a.file.display()))?;
    let paths = slot_paths(&a.out, manifest.data_slots + manifest.parity_slots);
    let slots = open_slots(&paths)?;
    let commitment = proofmesh_prover::commit(&slots)?;
    manifest.slot_roots = commitment
        .slots
        .iter()
        .map(|s| fr_to_decimal(&s.root()))
        .collect();
    manifest.dataset_root = Some(fr_to_decimal(&commitment.root()));
    manifest.store(&a.out)?;
    let summary = Encoded {
        dataset_root: fr_to_decimal(&commitment.root()),
        slot_roots: manifest.slot_roots.clone(),
        blocks_per_slot: manifest.blocks_per_slot,
        cells_per_slot: slots.first().map_or(0, |s| s.n_cells()),
    };
    output::line(&serde_json::to_string(&summary)?)?;
    Ok(ExitCode::SUCCESS)
}

fn repair(a: RepairArgs) -> anyhow::Result<ExitCode> {
    let (manifest, layout) = load(&a.dir)?;
    let n = layout.slot_count();
    // Slots whose bytes match the manifest's hash must also match its root: a manifest whose
    // hashes and roots disagree was altered, and no slot is rewritten from it.
    let states = proofmesh_erasure::check_dir(&a.dir)?;
    let good: Vec<usize> = (0..n).filter(|&i| states[i] == SlotState::Good).collect();
    if good.len() < layout.data_slots {
        let bad: Vec<String> = (0..n)
            .filter(|i| !good.contains(i))
            .map(|i| format!("{} ({})", slot_file_name(i), describe(&states[i])))
            .collect();
        bail!(
            "only {} good slots, K = {} needed to rebuild the others; bad: {}; nothing was \
             written",
            good.len(),
            layout.data_slots,
            bad.join(", ")
        );
    }
    check_roots(&a.dir, &manifest, &good)?;
    let report = proofmesh_erasure::repair_dir(&a.dir)
        .with_context(|| format!("cannot repair {}", a.dir.display()))?;
    check_roots(&a.dir, &manifest, &report.rebuilt)?;
    for &slot in &report.rebuilt {
        output::line(&format!(
            "rebuilt {} (was {}) from slots {:?}",
            slot_file_name(slot),
            describe(&report.states[slot]),
            report.sources
        ))?;
    }
    output::line(&format!(
        "repaired: {} of {n} slots rebuilt, all {n} good",
        report.rebuilt.len()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn decode(a: DecodeArgs) -> anyhow::Result<ExitCode> {
    let (manifest, _) = load(&a.dir)?;
    let report = proofmesh_erasure::decode_dir(&a.dir, &a.out)
        .with_context(|| format!("cannot decode {}", a.dir.display()))?;
    output::line(&format!(
        "decoded: {} bytes to {} from slots {:?}{}",
        manifest.original_size,
        a.out.display(),
        report.sources,
        if report.decoded {
            " (erasure decoding)"
        } else {
            ""
        }
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// The manifest of `dir`, with what a refusal means for the operator.
fn load(dir: &Path) -> anyhow::Result<(Manifest, proofmesh_erasure::Layout)> {
    Manifest::load(dir).map_err(|e| match e {
        proofmesh_erasure::ErasureError::UnsupportedStrategy { strategy: 1 } => anyhow::anyhow!(
            "{e}: the dataset in {} uses nim-codex's stepped slot layout (Codex <= v0.2.4), \
             which proofmesh does not read; re-encode the original with `proofmesh dataset \
             encode`",
            dir.display()
        ),
        e => anyhow::Error::new(e).context(format!("cannot read the dataset in {}", dir.display())),
    })
}

fn slot_paths(dir: &Path, slots: usize) -> Vec<PathBuf> {
    (0..slots).map(|i| dir.join(slot_file_name(i))).collect()
}

/// Checks the Poseidon2 root of each of `slots` against the manifest (when it records roots).
fn check_roots(dir: &Path, manifest: &Manifest, slots: &[usize]) -> anyhow::Result<()> {
    if manifest.slot_roots.is_empty() || slots.is_empty() {
        return Ok(());
    }
    let paths: Vec<PathBuf> = slots.iter().map(|&i| dir.join(slot_file_name(i))).collect();
    for (&slot, file) in slots.iter().zip(open_slots(&paths)?) {
        let root = fr_to_decimal(&file.slot_tree()?.root());
        match manifest.slot_roots.get(slot) {
            Some(want) if *want == root => {}
            Some(want) => bail!(
                "{}: its bytes match the manifest's SHA-256 but its root is {root}, not the \
                 manifest's {want}: the manifest is inconsistent; nothing was rewritten",
                slot_file_name(slot)
            ),
            None => bail!(
                "the manifest lists {} slot roots, not one for slot {slot}",
                manifest.slot_roots.len()
            ),
        }
    }
    Ok(())
}

fn describe(state: &SlotState) -> String {
    match state {
        SlotState::Good => "good".into(),
        SlotState::Missing => "missing".into(),
        SlotState::Unreadable => "unreadable".into(),
        SlotState::WrongLength { len } => format!("{len} bytes long"),
        SlotState::HashMismatch => "corrupted".into(),
    }
}
