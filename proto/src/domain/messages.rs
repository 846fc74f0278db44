//! The protocol's messages as validated domain values (their wire forms are in `crate::wire`).

use super::ids::{CircuitId, ContentId, DatasetRoot, Period, SlotId};
use super::keys::{BlsSignature, ProviderKey, ProviderSignature, VerifierIndex};
use super::signers::SignerBitfield;
use super::verdict::Verdict;

/// Bytes of a compressed Groth16 proof over BN254 (A: 32, B: 64, C: 32).
pub const PROOF_BYTES: usize = 128;

/// Most proof bytes an envelope may carry, whatever the proof system (a halo2 proof of the
/// storage circuit is a few KiB; Groth16's is 128 bytes). The decoder refuses more.
pub const MAX_PROOF_BYTES: usize = 16 * 1024;

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

/// A dataset owner announces a dataset: its root, its erasure coding and how often its slots
/// must prove. Verifiers derive every duty from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetAnnounce {
    /// The dataset commitment.
    pub root: DatasetRoot,
    /// K: slots holding data; any K slots rebuild the dataset.
    pub data_slots: u16,
    /// M: parity slots (the dataset survives M lost slots).
    pub parity_slots: u16,
    /// A slot must prove in a period with probability 1 / `proof_probability`.
    pub proof_probability: u32,
    /// Cells per slot (a power of two), fixing the sampler's range.
    pub cells_per_slot: u64,
    /// The owner's key.
    pub owner: ProviderKey,
    /// The owner's signature over the announcement.
    pub signature: ProviderSignature,
}

impl DatasetAnnounce {
    /// Total slots, K + M.
    pub fn slots(&self) -> u16 {
        self.data_slots.saturating_add(self.parity_slots)
    }
}

/// A provider claims a slot from a period on; verifiers then expect its proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotAssign {
    /// The slot claimed.
    pub slot: SlotId,
    /// The provider's key (signs the slot's proofs).
    pub provider: ProviderKey,
    /// First period the provider answers for.
    pub from_period: Period,
    /// The provider's signature over the claim.
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

/// A verifier asks volunteers to rebuild a lost slot of a still-recoverable dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairRequest {
    /// The lost slot.
    pub slot: SlotId,
    /// The period in which the slot was declared lost.
    pub period: Period,
    /// The certificate that made the slot lost.
    pub certificate: ContentId,
    /// The requesting verifier.
    pub verifier: VerifierIndex,
    /// Its BLS signature over the request.
    pub signature: BlsSignature,
}
