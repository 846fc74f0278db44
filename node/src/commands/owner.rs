//! `proofmesh owner`: the dataset owner's registry records, signed offline with its key — the
//! announcement of a dataset made by `proofmesh dataset encode`, and the assignment of each
//! slot to a provider. Provers list these record files in `prover.registry` and re-publish
//! them; only the owner's key makes an assignment verifiers accept
//! (`proofmesh_node::owner`).

use crate::output;
use anyhow::{bail, ensure, Context};
use proofmesh_circuits::field::{fr_from_decimal, fr_to_le_bytes};
use proofmesh_erasure::Manifest;
use proofmesh_node::keys::ProviderSigner;
use proofmesh_node::owner::{self, DatasetTerms};
use proofmesh_proto::{DatasetRoot, GossipMessage, Period, ProviderKey, SlotId, SlotRoot};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Sign a dataset's announcement and its slot assignments (the dataset owner's records).
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    Announce(AnnounceArgs),
    Assign(AssignArgs),
}

/// Sign the announcement of the dataset in DIR (written by `proofmesh dataset encode`).
///
/// The announcement carries what DIR/manifest.json records — the dataset root, every slot
/// root, K, M, blocks per slot, the original size — and the proof policy given here; it is
/// checked as verifiers check it (the slot roots hash to the root, every field in range)
/// before it is written. The owner key is any provider.key-format file (`proofmesh keygen`);
/// keep it: only it can ever assign this dataset's slots. Run `proofmesh dataset repair DIR`
/// first to check the slot files against the manifest. Prints the dataset root (hex).
///
/// Example:
///   proofmesh owner announce --owner-key owner.key --proof-probability 1 \
///     --out registry/announce.record photos/
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct AnnounceArgs {
    /// The owner's Ed25519 key file (64 hex digits).
    #[arg(long, value_name = "FILE")]
    owner_key: PathBuf,
    /// A slot owes a proof in a period with probability 1 / N; 0: no storage proofs at all.
    #[arg(long, value_name = "N")]
    proof_probability: u32,
    /// Where to write the record.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// A directory written by `proofmesh dataset encode`.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Sign the assignment of one slot of an announced dataset to a provider.
///
/// From --from-period on, verifiers accept that slot's proofs from PROVIDER alone. The key
/// must be the announcement's owner key. Of two assignments of one slot and first period, the
/// one with the smaller content id wins everywhere: never sign two.
///
/// Example:
///   proofmesh owner assign --owner-key owner.key --announcement registry/announce.record \
///     --slot 0 --provider 6cfb60c7…c9c9 --out registry/assign-0.record
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct AssignArgs {
    /// The owner's Ed25519 key file (the announcement's owner).
    #[arg(long, value_name = "FILE")]
    owner_key: PathBuf,
    /// The dataset's announcement record (`proofmesh owner announce`).
    #[arg(long, value_name = "FILE")]
    announcement: PathBuf,
    /// The slot index (< K + M).
    #[arg(long, value_name = "I")]
    slot: u16,
    /// The provider's public key, 64 hex digits (`proofmesh keygen` prints it).
    #[arg(long, value_name = "HEX")]
    provider: String,
    /// First period the provider answers for.
    #[arg(long, value_name = "P", default_value_t = 0)]
    from_period: u64,
    /// Where to write the record.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub(crate) fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Announce(a) => announce(a),
        Command::Assign(a) => assign(a),
    }
}

/// A decimal root of the manifest as a canonical scalar's bytes.
fn root_bytes(dir: &Path, what: &str, decimal: &str) -> anyhow::Result<[u8; 32]> {
    let fr = fr_from_decimal(decimal)
        .with_context(|| format!("{}: manifest {what} {decimal:?}", dir.display()))?;
    Ok(fr_to_le_bytes(&fr))
}

fn announce(a: AnnounceArgs) -> anyhow::Result<ExitCode> {
    let owner = ProviderSigner::load(&a.owner_key)?;
    let (manifest, _layout) =
        Manifest::load(&a.dir).with_context(|| format!("{}", a.dir.display()))?;
    let Some(root) = &manifest.dataset_root else {
        bail!("{}: the manifest has no datasetRoot", a.dir.display());
    };
    let root = DatasetRoot::from_le_bytes(root_bytes(&a.dir, "datasetRoot", root)?)
        .context("the dataset root is not canonical")?;
    let slot_roots = manifest
        .slot_roots
        .iter()
        .map(|r| {
            SlotRoot::from_le_bytes(root_bytes(&a.dir, "slotRoots", r)?)
                .context("a slot root is not canonical")
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let terms = DatasetTerms {
        data_slots: u16::try_from(manifest.data_slots).context("dataSlots")?,
        parity_slots: u16::try_from(manifest.parity_slots).context("paritySlots")?,
        proof_probability: a.proof_probability,
        original_size: manifest.original_size,
    };
    let announcement =
        owner::signed_announcement(&owner, root, slot_roots, manifest.blocks_per_slot, terms)?;
    owner::write_record(&a.out, &GossipMessage::Announce(announcement))?;
    output::line(&root.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn assign(a: AssignArgs) -> anyhow::Result<ExitCode> {
    let owner = ProviderSigner::load(&a.owner_key)?;
    let GossipMessage::Announce(announced) = owner::read_record(&a.announcement)? else {
        bail!("{}: not a dataset announcement", a.announcement.display());
    };
    ensure!(
        announced.owner == owner.public(),
        "{} is not the owner key of {} (owner {})",
        a.owner_key.display(),
        a.announcement.display(),
        hex::encode(announced.owner.0)
    );
    ensure!(
        a.slot < announced.slots(),
        "slot {} does not exist: the dataset has K + M = {} slots",
        a.slot,
        announced.slots()
    );
    let provider: [u8; 32] = hex::decode(&a.provider)
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("--provider {:?}: expected 64 hex digits", a.provider))?;
    let slot = SlotId {
        dataset: announced.root,
        index: a.slot,
    };
    let s = owner::assignment(&owner, slot, ProviderKey(provider), Period(a.from_period));
    owner::write_record(&a.out, &GossipMessage::Assign(s))?;
    Ok(ExitCode::SUCCESS)
}
