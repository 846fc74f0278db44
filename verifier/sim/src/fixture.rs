//! The one dataset every simulation runs over, with real Groth16 proofs of proofmesh's
//! storage-proof circuit on small parameters: the engines verify exactly what a real mesh
//! verifies, so a `VerifiedProof` in the simulation came out of real verification.
//!
//! Setup and proofs are deterministic (seeded) and made at most once per process: the first
//! test that needs a proof makes it, every later one reuses it, so a test binary pays for
//! proving once however many seeds it runs.

use ed25519_dalek::{Signer as _, SigningKey};
use proofmesh_circuits::field::fr_to_le_bytes;
use proofmesh_circuits::slot::{BLOCK_SIZE, BLOCK_TREE_DEPTH, FIELD_ELEMS_PER_CELL};
use proofmesh_circuits::CircuitParams;
use proofmesh_proto::{
    CircuitId, DatasetAnnounce, DatasetRoot, Period, ProofEnvelope, ProviderKey, ProviderSignature,
    SlotAssign, SlotId, SlotRoot, PROOF_BYTES,
};
use proofmesh_prover::groth16::proof_to_bytes;
use proofmesh_prover::pipeline::prove_committed;
use proofmesh_prover::{DatasetCommitment, NoProgress, ProveRequest, Prover, SlotFile};
use proofmesh_verifier::duty::{DevEntropy, EntropySource};
use proofmesh_verifier::intake::KeyRing;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// K: data slots of the simulated dataset.
pub const DATA_SLOTS: u16 = 2;
/// M: parity slots of the simulated dataset.
pub const PARITY_SLOTS: u16 = 2;
/// K + M.
pub const SLOTS: u16 = DATA_SLOTS + PARITY_SLOTS;
/// Providers: provider `j` holds the slots `s` with `s % PROVIDERS == j` (assigned by the
/// dataset's owner, whose key is neither's); provider 0 also publishes the owner's
/// announcement, so provider 1's assignments can arrive before it.
pub const PROVIDERS: usize = 2;
/// Seed of the dev entropy every simulated node derives the periods' challenges from.
pub const ENTROPY_SEED: &[u8] = b"proofmesh-sim";

/// One 64 KiB block (32 cells) per slot: the smallest slot the circuit takes.
const BLOCKS_PER_SLOT: usize = 1;

/// A proof of one slot for one period: one made honestly, or one made against another period's
/// entropy (a real proof that does not verify for the period it claims).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProofKind {
    /// Proves the period's challenge.
    Valid,
    /// Proves the next period's challenge: verification fails (`Invalid`).
    WrongEntropy,
}

/// Who signs an assignment: the dataset's owner, or (a forgery) provider `j`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignSigner {
    /// The dataset's owner.
    Owner,
    /// Provider `j`, which is not the owner.
    Provider(usize),
}

/// The dataset, its keys and the provider identities, shared by every simulation of a process.
pub struct Fixture {
    /// Keeps the slot files alive.
    _dir: tempfile::TempDir,
    prover: Prover,
    slots: Vec<SlotFile>,
    commitment: DatasetCommitment,
    root: DatasetRoot,
    circuit: CircuitId,
    providers: Vec<SigningKey>,
    owner: SigningKey,
    proofs: Mutex<BTreeMap<(u16, u64, ProofKind), [u8; PROOF_BYTES]>>,
}

/// The process-wide fixture (built on first use: setup of the small circuit, a few seconds).
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(Fixture::build)
}

/// Circuit parameters sized to the dataset: `maxDepth` 6 (32 cells), `maxLog2NSlots` 3, two
/// samples per proof (what `proofmesh devnet --samples 2` uses).
pub fn params() -> CircuitParams {
    let cells = BLOCKS_PER_SLOT * 32;
    let slots = usize::from(SLOTS);
    CircuitParams {
        max_depth: (usize::BITS - cells.leading_zeros()) as usize,
        max_log2_slots: (usize::BITS - slots.leading_zeros()) as usize,
        block_tree_depth: BLOCK_TREE_DEPTH,
        field_elems_per_cell: FIELD_ELEMS_PER_CELL,
        n_samples: 2,
    }
}

#[allow(
    clippy::expect_used,
    reason = "a fixture that cannot be built (no temp dir, a prover bug) leaves nothing to simulate"
)]
impl Fixture {
    fn build() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory for the slot files");
        let mut paths = Vec::new();
        for i in 0..SLOTS {
            let mut data = vec![0u8; BLOCKS_PER_SLOT * BLOCK_SIZE];
            ChaCha20Rng::seed_from_u64(0x5107 + u64::from(i)).fill_bytes(&mut data);
            let path = dir.path().join(format!("slot-{i}.bin"));
            std::fs::write(&path, data).expect("write a slot file");
            paths.push(path);
        }
        let slots = proofmesh_prover::dataset::open_slots(&paths).expect("slot files");
        let commitment = proofmesh_prover::commit(&slots).expect("commit");
        let root = DatasetRoot::from_le_bytes(fr_to_le_bytes(&commitment.root()))
            .expect("a commitment is a canonical field element");
        let params = params();
        let pk = proofmesh_prover::setup(&params, &mut ChaCha20Rng::seed_from_u64(0x5e7))
            .expect("setup of the small circuit");
        let prover = Prover::new(params, pk, std::path::PathBuf::new()).expect("prover");
        let circuit = CircuitId(prover.circuit_id().0);
        let providers = (0..PROVIDERS)
            .map(|j| SigningKey::from_bytes(&[0xa0 + j as u8; 32]))
            .collect();
        Self {
            _dir: dir,
            prover,
            slots,
            commitment,
            root,
            circuit,
            providers,
            owner: SigningKey::from_bytes(&[0x0e; 32]),
            proofs: Mutex::new(BTreeMap::new()),
        }
    }

    /// The dataset root.
    pub fn root(&self) -> DatasetRoot {
        self.root
    }

    /// The circuit id of the proving key (what honest envelopes name).
    pub fn circuit(&self) -> CircuitId {
        self.circuit
    }

    /// Slot `index` of the dataset.
    pub fn slot(&self, index: u16) -> SlotId {
        SlotId {
            dataset: self.root,
            index,
        }
    }

    /// A key ring holding the circuit's verifying key (each engine gets its own copy).
    pub fn key_ring(&self) -> KeyRing {
        let mut ring = KeyRing::new();
        ring.insert(&self.prover.proving_key().vk);
        ring
    }

    /// The entropy source every node uses.
    pub fn entropy(&self) -> DevEntropy {
        DevEntropy::new(ENTROPY_SEED)
    }

    /// The provider holding `slot`.
    pub fn holder(slot: u16) -> usize {
        usize::from(slot) % PROVIDERS
    }

    /// Provider `j`'s public key.
    pub fn provider_key(&self, j: usize) -> ProviderKey {
        ProviderKey(self.providers[j].verifying_key().to_bytes())
    }

    fn sign(&self, j: usize, bytes: &[u8]) -> ProviderSignature {
        ProviderSignature(self.providers[j].sign(bytes).to_bytes())
    }

    /// The dataset owner's public key.
    pub fn owner_key(&self) -> ProviderKey {
        ProviderKey(self.owner.verifying_key().to_bytes())
    }

    /// The dataset announcement, signed by its owner, every slot owing a proof in every
    /// period (`proof_probability` 1).
    pub fn announce(&self) -> DatasetAnnounce {
        let slot_roots = self
            .commitment
            .slots
            .iter()
            .map(|t| SlotRoot::from_le_bytes(fr_to_le_bytes(&t.root())))
            .collect::<Option<Vec<_>>>()
            .expect("slot roots are canonical field elements");
        let blocks = self.slots[0].n_blocks();
        let mut a = DatasetAnnounce {
            root: self.root,
            data_slots: DATA_SLOTS,
            parity_slots: PARITY_SLOTS,
            slot_roots,
            proof_probability: 1,
            blocks_per_slot: blocks,
            cells_per_slot: self.slots[0].n_cells(),
            original_size: u64::from(DATA_SLOTS) * blocks * BLOCK_SIZE as u64,
            owner: self.owner_key(),
            signature: ProviderSignature([0; 64]),
        };
        a.signature = ProviderSignature(self.owner.sign(&a.signing_bytes()).to_bytes());
        a
    }

    /// The owner's assignment of `slot` to its holder, from period 0.
    pub fn assign(&self, slot: u16) -> SlotAssign {
        self.assignment(slot, Self::holder(slot), Period(0), AssignSigner::Owner)
    }

    /// An assignment of `slot` to provider `to` from `from`, signed by `by`.
    pub fn assignment(&self, slot: u16, to: usize, from: Period, by: AssignSigner) -> SlotAssign {
        let mut s = SlotAssign {
            slot: self.slot(slot),
            provider: self.provider_key(to),
            from_period: from,
            signature: ProviderSignature([0; 64]),
        };
        let bytes = s.signing_bytes();
        s.signature = match by {
            AssignSigner::Owner => ProviderSignature(self.owner.sign(&bytes).to_bytes()),
            AssignSigner::Provider(j) => self.sign(j, &bytes),
        };
        s
    }

    /// A signed envelope for `slot` in `period` from provider `by` (whoever holds the slot).
    pub fn envelope_by(
        &self,
        by: usize,
        slot: u16,
        period: Period,
        kind: ProofKind,
    ) -> ProofEnvelope {
        let mut e = ProofEnvelope {
            slot: self.slot(slot),
            period,
            circuit_id: self.circuit,
            proof_system: proofmesh_proto::ProofSystem::GROTH16_BN254,
            proof: self.proof(slot, period, kind).to_vec(),
            provider: self.provider_key(by),
            signature: ProviderSignature([0; 64]),
        };
        e.signature = self.sign(by, &e.signing_bytes());
        e
    }

    /// The compressed proof of `slot` for `period` (made on first use, then cached).
    pub fn proof(&self, slot: u16, period: Period, kind: ProofKind) -> [u8; PROOF_BYTES] {
        let key = (slot, period.0, kind);
        let mut cache = self
            .proofs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(p) = cache.get(&key) {
            return *p;
        }
        let entropy = self.entropy();
        let challenge = match kind {
            ProofKind::Valid => period,
            ProofKind::WrongEntropy => period.next(),
        };
        let request = ProveRequest {
            slot_index: u64::from(slot),
            entropy: entropy
                .entropy(challenge)
                .expect("dev entropy knows every period"),
        };
        let seed = (u64::from(slot) << 48) ^ (period.0 << 8) ^ kind as u64;
        let proof = prove_committed(
            &self.prover,
            &self.slots,
            &self.commitment,
            &request,
            &NoProgress,
            &mut ChaCha20Rng::seed_from_u64(seed),
        )
        .expect("proving a slot of the fixture");
        let bytes = proof_to_bytes(&proof.proof);
        cache.insert(key, bytes);
        bytes
    }

    /// A signed envelope for `slot` in `period`, from the slot's holder.
    pub fn envelope(&self, slot: u16, period: Period, kind: ProofKind) -> ProofEnvelope {
        self.envelope_by(Self::holder(slot), slot, period, kind)
    }

    /// Provider `by`'s signed claim to repair `slot`, lost by certificate `loss`, made in
    /// `period`.
    pub fn claim(
        &self,
        by: usize,
        slot: u16,
        loss: proofmesh_proto::ContentId,
        period: Period,
    ) -> proofmesh_proto::RepairClaim {
        let mut c = proofmesh_proto::RepairClaim {
            slot: self.slot(slot),
            loss,
            volunteer: self.provider_key(by),
            period,
            signature: ProviderSignature([0; 64]),
        };
        c.signature = self.sign(by, &c.signing_bytes());
        c
    }

    /// Re-signs `envelope` as the slot's holder after a test changed it (e.g. its circuit).
    pub fn resign(&self, mut envelope: ProofEnvelope) -> ProofEnvelope {
        let j = Self::holder(envelope.slot.index);
        envelope.signature = self.sign(j, &envelope.signing_bytes());
        envelope
    }
}
