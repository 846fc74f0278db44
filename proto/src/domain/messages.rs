//! The protocol's messages as validated domain values (their wire forms are in `crate::wire`).

use super::ids::{CircuitId, ContentId, DatasetRoot, Period, SlotId, SlotRoot};
use super::keys::{BlsSignature, ProviderKey, ProviderSignature, VerifierIndex};
use super::signers::SignerBitfield;
use super::verdict::Verdict;

/// Bytes of a compressed Groth16 proof over BN254 (A: 32, B: 64, C: 32).
pub const PROOF_BYTES: usize = 128;

/// Most proof bytes an envelope may carry, whatever the proof system (a halo2 proof of the
/// storage circuit is a few KiB; Groth16's is 128 bytes). The decoder refuses more.
pub const MAX_PROOF_BYTES: usize = 16 * 1024;

/// Bytes of one Codex block, the unit a slot file is made of (a slot holds a whole number of
/// them).
pub const BLOCK_BYTES: u64 = 64 * 1024;

/// 2048-byte cells per block: the unit a proof opens.
pub const CELLS_PER_BLOCK: u64 = 32;

/// Most blocks a slot may hold: its padded tree has at most 2^27 blocks, 2^32 cells (the
/// range of `cells_per_slot`).
pub const MAX_BLOCKS_PER_SLOT: u64 = 1 << 27;

/// Which proof system an envelope's proof bytes belong to. A number on the wire, so a node
/// can decode (and ignore) envelopes of a system it does not run yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProofSystem(pub u32);

impl ProofSystem {
    /// Groth16 over BN254 (Codex's system, and proofmesh's own circuit).
    pub const GROTH16_BN254: ProofSystem = ProofSystem(1);
}

impl std::fmt::Display for ProofSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            ProofSystem::GROTH16_BN254 => f.write_str("groth16-bn254"),
            ProofSystem(n) => write!(f, "proof-system-{n}"),
        }
    }
}

/// A dataset owner announces a dataset: its root and the slot roots it is made of, its erasure
/// coding, its size, and how often its slots must prove. Verifiers derive every duty from it,
/// and only its owner's key may assign its slots ([`SlotAssign`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetAnnounce {
    /// The dataset commitment: the Poseidon2 tree over `slot_roots` (checked by verifiers).
    pub root: DatasetRoot,
    /// K: slots holding data; any K slots rebuild the dataset.
    pub data_slots: u16,
    /// M: parity slots (the dataset survives M lost slots).
    pub parity_slots: u16,
    /// Every slot's root, in slot order: K + M of them.
    pub slot_roots: Vec<SlotRoot>,
    /// The proof policy. `n ≥ 1`: a slot must prove in a period with probability 1 / n (Codex's
    /// `proofProbability`; 1 is every period). `0`: the dataset owes no storage proofs at all
    /// (heartbeats only; no verifier expects, accepts or attests a proof of it).
    pub proof_probability: u32,
    /// 64 KiB blocks in each slot file (≥ 1): the blocks stored, before the pad.
    pub blocks_per_slot: u64,
    /// Cells per slot tree, pad included: `nextPow2(blocks_per_slot) · 32` (Codex pads a slot's
    /// tree with zero blocks to a power of two); fixes the sampler's range.
    pub cells_per_slot: u64,
    /// Bytes of the original file (what `dataset get` returns). nim-codex's layout pads the
    /// file's blocks to a multiple of K, so it is more than `K · (blocks_per_slot − 1)` blocks
    /// and at most `K · blocks_per_slot` blocks (of 64 KiB; the last one partly filled).
    pub original_size: u64,
    /// The owner's key: signs this announcement and every slot assignment of the dataset.
    pub owner: ProviderKey,
    /// The owner's signature over the announcement.
    pub signature: ProviderSignature,
}

impl DatasetAnnounce {
    /// Total slots, K + M.
    pub fn slots(&self) -> u16 {
        self.data_slots.saturating_add(self.parity_slots)
    }

    /// Whether the dataset's slots owe storage proofs at all (`proof_probability` ≥ 1).
    pub fn has_proof_duties(&self) -> bool {
        self.proof_probability != 0
    }

    /// The cells of a slot tree over `blocks` stored blocks: `nextPow2(blocks) · 32`; `None`
    /// for no blocks or more than [`MAX_BLOCKS_PER_SLOT`].
    pub fn cells_for_blocks(blocks: u64) -> Option<u64> {
        if blocks == 0 || blocks > MAX_BLOCKS_PER_SLOT {
            return None;
        }
        blocks
            .checked_next_power_of_two()?
            .checked_mul(CELLS_PER_BLOCK)
    }
}

/// The owner of a dataset assigns one of its slots to a provider from a period on; verifiers
/// then expect (and accept only) that provider's proofs for the slot. Signed by the dataset's
/// owner (the key of its [`DatasetAnnounce`]), never by the provider: a key that is not the
/// owner's cannot claim a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotAssign {
    /// The slot assigned.
    pub slot: SlotId,
    /// The assignee's key: it signs the slot's proofs.
    pub provider: ProviderKey,
    /// First period the provider answers for.
    pub from_period: Period,
    /// The dataset owner's signature over the assignment.
    pub signature: ProviderSignature,
}

/// Most slots one heartbeat lists (a provider holding more sends several).
pub const MAX_HEARTBEAT_SLOTS: usize = 1024;

/// A provider says, once per period, which slots it holds: the lightweight liveness signal of
/// altruistic mode. Verifiers attest it per (slot, period) for datasets that owe no storage
/// proofs ([`Verdict::Alive`](super::verdict::Verdict::Alive) or `Missing`), through the same
/// quorum as proofs; a heartbeat is a claim, never a proof of storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// The provider: the assignee of every listed slot; signs the heartbeat.
    pub provider: ProviderKey,
    /// The period it answers for.
    pub period: Period,
    /// The slots held, strictly ascending, 1..=[`MAX_HEARTBEAT_SLOTS`] of them.
    pub slots: Vec<SlotId>,
    /// The provider's signature over the heartbeat.
    pub signature: ProviderSignature,
}

/// One storage proof on the wire: which slot and period, for which circuit, by whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofEnvelope {
    /// The slot proven.
    pub slot: SlotId,
    /// The period whose entropy the proof used.
    pub period: Period,
    /// The verifying key the proof is for.
    pub circuit_id: CircuitId,
    /// The proof system of `proof`.
    pub proof_system: ProofSystem,
    /// The proof, in its system's encoding (1..=[`MAX_PROOF_BYTES`] bytes; for Groth16 the
    /// 128-byte compressed proof).
    pub proof: Vec<u8>,
    /// The provider that made it.
    pub provider: ProviderKey,
    /// The provider's signature over the envelope.
    pub signature: ProviderSignature,
}

/// One verdict on one slot, an entry of an attestation batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotVerdict {
    /// The slot.
    pub slot: SlotId,
    /// The verdict for the batch's period.
    pub verdict: Verdict,
}

/// Everything one verifier says about one period, signed once (one BLS signature per batch,
/// not per proof: attestation traffic is the mesh's scaling limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestationBatch {
    /// The signer's index in the verifier set of `period`.
    pub verifier: VerifierIndex,
    /// The period attested.
    pub period: Period,
    /// Verdicts, strictly ascending by slot (canonical: one entry per slot).
    pub entries: Vec<SlotVerdict>,
    /// BLS signature over the batch's signing message.
    pub signature: BlsSignature,
}

/// Shows that one signer's batch contains the certified entry: the batch's entries root and
/// the entry's inclusion path under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerProof {
    /// Root of the signer's batch entries tree.
    pub entries_root: [u8; 32],
    /// Position of the certified entry in that batch.
    pub entry_index: u32,
    /// Number of entries in that batch.
    pub entry_count: u32,
    /// Sibling hashes from the entry up to `entries_root`.
    pub path: Vec<[u8; 32]>,
}

/// Final verdict on one (slot, period): signers holding ≥ 2/3 of the verifier set's weight
/// signed it. Verifiable on its own with only the verifier set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumCertificate {
    /// The period.
    pub period: Period,
    /// The certified slot and verdict.
    pub entry: SlotVerdict,
    /// Which verifiers signed (bit i = verifier index i).
    pub signers: SignerBitfield,
    /// One inclusion proof per signer, in ascending signer order.
    pub proofs: Vec<SignerProof>,
    /// The signers' batch signatures, aggregated.
    pub aggregate_signature: BlsSignature,
}

/// A volunteer offers to rebuild a lost slot and then serve it. Of the claims of one loss
/// that arrive by the claim deadline, the one with the smallest content id wins at every
/// node; the winner becomes the slot's provider on the loss's evidence, not on the owner's
/// signature (`verifier::repair`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairClaim {
    /// The lost slot.
    pub slot: SlotId,
    /// The certificate that made it lost (the repair request's `certificate`).
    pub loss: ContentId,
    /// The volunteer's key: signs the claim, and the rebuilt slot's proofs.
    pub volunteer: ProviderKey,
    /// The period the claim was made in.
    pub period: Period,
    /// The volunteer's signature over the claim.
    pub signature: ProviderSignature,
}

/// Most certificates a repair request carries as evidence (a health budget is a handful of
/// failed duties; more is spam).
pub const MAX_REPAIR_EVIDENCE: usize = 8;

/// A verifier asks volunteers to rebuild a lost slot of a still-recoverable dataset. It
/// carries its evidence: the quorum certificates of the failed duties that made the slot
/// lost, so anyone holding the verifier set can check the loss without trusting the sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairRequest {
    /// The lost slot.
    pub slot: SlotId,
    /// The period in which the slot was declared lost.
    pub period: Period,
    /// The certificate that made the slot lost (the last of `evidence`).
    pub certificate: ContentId,
    /// The requesting verifier.
    pub verifier: VerifierIndex,
    /// Its BLS signature over the request.
    pub signature: BlsSignature,
    /// The run of certified failures (Missing or Invalid) that made the slot lost: 1 to
    /// [`MAX_REPAIR_EVIDENCE`], ascending by period, all of `slot`, the last of `period`
    /// (checked on decoding; their signatures and the health budget by the verifier crate).
    pub evidence: Vec<QuorumCertificate>,
}
