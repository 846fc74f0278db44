//! The dataset owner's side of the registry (altruistic mode): the owner-signed announcement
//! of a dataset, made from its slot files; the owner-signed assignments of its slots to
//! providers; and the record files both travel in.
//!
//! A record file holds one registry message exactly as it is gossiped (its kind tag, then its
//! canonical protobuf), so what a prover re-publishes is byte for byte what the owner signed.
//! A prover's config lists the records it re-publishes every period (`prover.registry`: the
//! dataset's announcement and the assignments of the slots it holds); the devnet's owner writes
//! its records into `DIR/registry/`. Only the owner's key can make a valid assignment: a
//! provider cannot claim a slot for itself (docs/decisions.md, "Owners assign slots").

use crate::keys::ProviderSigner;
use proofmesh_circuits::field::fr_to_le_bytes;
use proofmesh_proto::wire::{decode_gossip, encode_gossip, GossipTopic};
use proofmesh_proto::{
    DatasetAnnounce, DatasetRoot, DecodeError, GossipMessage, Period, ProviderKey,
    ProviderSignature, SlotAssign, SlotId, SlotRoot, WireMessage,
};
use proofmesh_prover::{DatasetCommitment, SlotFile};
use std::path::{Path, PathBuf};

/// Why a record could not be made, written or read.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    /// A record file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A record file does not hold a valid registry message.
    #[error("{path}: not a registry record: {source}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// Why.
        source: DecodeError,
    },
    /// The announcement's terms do not describe the slot files (or break a field rule).
    #[error("the announcement is not valid: {0}")]
    Terms(String),
}

/// What the owner decides about a dataset beyond its slot files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetTerms {
    /// K.
    pub data_slots: u16,
    /// M.
    pub parity_slots: u16,
    /// The proof policy: 1 / n per period, 0 for no storage proofs.
    pub proof_probability: u32,
    /// Bytes of the original file.
    pub original_size: u64,
}

/// The owner-signed announcement of the dataset whose slot files and commitment are given:
/// its root and slot roots from `commitment`, its blocks per slot from the files (all the same
/// length, as nim-codex's layout makes them), its cells per slot padded as Codex pads them.
/// Every field rule of the wire decoder holds for what this returns.
pub fn announcement(
    owner: &ProviderSigner,
    slots: &[SlotFile],
    commitment: &DatasetCommitment,
    terms: DatasetTerms,
) -> Result<DatasetAnnounce, OwnerError> {
    let count = usize::from(terms.data_slots) + usize::from(terms.parity_slots);
    if slots.len() != count || commitment.slots.len() != count {
        return Err(OwnerError::Terms(format!(
            "{} slot files for K + M = {count} slots",
            slots.len()
        )));
    }
    let blocks = slots.first().map_or(0, SlotFile::n_blocks);
    if let Some(odd) = slots.iter().find(|s| s.n_blocks() != blocks) {
        return Err(OwnerError::Terms(format!(
            "{} has {} blocks, {} has {blocks}: every slot of a dataset holds as many",
            odd.path().display(),
            odd.n_blocks(),
            slots[0].path().display()
        )));
    }
    let canonical = "a commitment is a canonical field element";
    let slot_roots = commitment
        .slots
        .iter()
        .map(|t| SlotRoot::from_le_bytes(fr_to_le_bytes(&t.root())))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| OwnerError::Terms(canonical.into()))?;
    let root = DatasetRoot::from_le_bytes(fr_to_le_bytes(&commitment.root()))
        .ok_or_else(|| OwnerError::Terms(canonical.into()))?;
    signed_announcement(owner, root, slot_roots, blocks, terms)
}

/// The owner-signed announcement of the dataset with these roots (e.g. from a `proofmesh
/// dataset encode` manifest): refused unless the Poseidon2 tree over `slot_roots` has `root`
/// (what every verifier checks) and every field rule of the wire decoder holds.
pub fn signed_announcement(
    owner: &ProviderSigner,
    root: DatasetRoot,
    slot_roots: Vec<SlotRoot>,
    blocks_per_slot: u64,
    terms: DatasetTerms,
) -> Result<DatasetAnnounce, OwnerError> {
    let mut a = DatasetAnnounce {
        root,
        data_slots: terms.data_slots,
        parity_slots: terms.parity_slots,
        slot_roots,
        proof_probability: terms.proof_probability,
        blocks_per_slot,
        cells_per_slot: DatasetAnnounce::cells_for_blocks(blocks_per_slot).unwrap_or(0),
        original_size: terms.original_size,
        owner: owner.public(),
        signature: ProviderSignature([0; 64]),
    };
    a.signature = owner.sign(&a.signing_bytes());
    // The decoder's field rules and the verifiers' root check, here too: never write a
    // record verifiers refuse.
    DatasetAnnounce::decode(&a.encode()).map_err(|e| OwnerError::Terms(e.to_string()))?;
    if !proofmesh_verifier::intake::slot_roots_match(&a) {
        return Err(OwnerError::Terms(format!(
            "the slot roots do not hash to dataset root {root}"
        )));
    }
    Ok(a)
}

/// The owner's assignment of `slot` to `provider` from period `from` on.
pub fn assignment(
    owner: &ProviderSigner,
    slot: SlotId,
    provider: ProviderKey,
    from: Period,
) -> SlotAssign {
    let mut s = SlotAssign {
        slot,
        provider,
        from_period: from,
        signature: ProviderSignature([0; 64]),
    };
    s.signature = owner.sign(&s.signing_bytes());
    s
}

/// Writes one registry record (the message's gossip payload).
pub fn write_record(path: &Path, message: &GossipMessage) -> Result<(), OwnerError> {
    std::fs::write(path, encode_gossip(message)).map_err(|source| OwnerError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads one registry record: a dataset announcement or a slot assignment, canonically
/// encoded (signatures are checked by whoever uses it, against the registry).
pub fn read_record(path: &Path) -> Result<GossipMessage, OwnerError> {
    let bytes = std::fs::read(path).map_err(|source| OwnerError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // The registry topic's table admits announcements and assignments only.
    decode_gossip(GossipTopic::Registry, &bytes).map_err(|source| OwnerError::Decode {
        path: path.to_path_buf(),
        source,
    })
}
