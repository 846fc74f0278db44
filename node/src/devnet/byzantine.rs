//! The devnet's invalid-proof fault (`--invalid-slot S`): every period from the first checked
//! one, a well-formed proof for slot S that does not verify, signed by S's provider, published
//! from a **fresh gossip identity** each period. (S's prover node withholds S itself.)
//!
//! Why not let the prover node prove S wrongly, as `invalid` in its config does? Gossip scoring
//! graylists a peer after three invalid proofs (`p2p/scoring.rs`), so from the fourth period on
//! nothing from that prover reaches the verifiers: its invalid proofs — and its other slots'
//! valid ones — end Missing, and how many periods are Invalid depends on how many invalid
//! proofs it sent before the checked window (some of them ignored while the dataset was not yet
//! known). A byzantine provider that changes identity each period is never graylisted, so every
//! duty of S is certified Invalid, deterministically, for any number of periods — the verdict
//! does not rest on gossip scoring — and each sender's score still drops below zero at the
//! verifiers, which keeps it connected for the final check to see
//! (`proofmesh_peers_by_score`).

use super::layout::Layout;
use super::{DevnetError, DevnetOptions};
use crate::keys::{read_secret, ProviderSigner};
use crate::p2p::{self, P2pConfig, P2pHandle, Topic};
use libp2p::identity::Keypair;
use proofmesh_circuits::field::fr_to_le_bytes;
use proofmesh_proto::{CircuitId, DatasetRoot, Period, ProofEnvelope, ProviderSignature, SlotId};
use proofmesh_verifier::duty::{is_proof_required, DevEntropy, EntropySource};
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::{CancellationToken, DropGuard};

/// How long a fresh sender may take to join every verifier's mesh before it publishes anyway
/// (flood publishing reaches every peer whose subscription it knows).
const MESH_WAIT: Duration = Duration::from_secs(5);

/// The invalid-proof sender of one devnet.
pub(super) struct Byzantine {
    slot: SlotId,
    circuit_id: CircuitId,
    signer: ProviderSigner,
    entropy: DevEntropy,
    proof_probability: u32,
    /// Where each verifier writes its p2p address (read at each publication: a restarted
    /// verifier listens on a new port).
    verifier_addr_files: Vec<PathBuf>,
    /// The senders so far, kept connected until the devnet stops (their scores are checked).
    senders: Vec<(P2pHandle, DropGuard)>,
    /// Periods already handled.
    done: Option<Period>,
}

/// A proof that is well-formed (three points on the curves, in their subgroups: it passes the
/// `MalformedProof` check) but verifies for no statement anyone will ask about.
fn bogus_proof() -> [u8; proofmesh_proto::PROOF_BYTES] {
    use ark_bn254::{g1, g2, G1Affine, G2Affine};
    let a = G1Affine::new_unchecked(g1::G1_GENERATOR_X, g1::G1_GENERATOR_Y);
    let b = G2Affine::new_unchecked(g2::G2_GENERATOR_X, g2::G2_GENERATOR_Y);
    proofmesh_prover::groth16::proof_to_bytes(&ark_groth16::Proof { a, b, c: a })
}

impl Byzantine {
    /// Prepares the sender of invalid proofs for `slot` (the dataset's root from the slot
    /// files, the circuit id from the verifying key, the provider key of the slot's holder).
    pub(super) fn new(
        layout: &Layout,
        opts: &DevnetOptions,
        slot: u16,
    ) -> Result<Self, DevnetError> {
        let holder = layout
            .holdings
            .iter()
            .position(|h| h.contains(&slot))
            .ok_or_else(|| DevnetError::Io(format!("no prover holds slot {slot}")))?;
        let slots = proofmesh_prover::dataset::open_slots(&layout.slot_files)?;
        let commitment = proofmesh_prover::commit(&slots)?;
        let dataset = DatasetRoot::from_le_bytes(fr_to_le_bytes(&commitment.root()))
            .ok_or_else(|| DevnetError::Io("dataset root is not canonical".into()))?;
        let vk = proofmesh_prover::groth16::read_verifying_key(
            &layout.dir.join("keys").join("verifying.key"),
            None,
        )?;
        let secret = read_secret(&layout.provers[holder].join("provider.key"))?;
        Ok(Self {
            slot: SlotId {
                dataset,
                index: slot,
            },
            circuit_id: CircuitId(vk.circuit_id.0),
            signer: ProviderSigner::from_secret(&secret),
            entropy: DevEntropy::new(opts.entropy_seed().as_bytes()),
            proof_probability: opts.proof_probability,
            verifier_addr_files: layout
                .verifiers
                .iter()
                .map(|d| d.join("data").join("p2p.addr"))
                .collect(),
            senders: Vec::new(),
            done: None,
        })
    }

    /// Publishes the invalid proof of `period` (once; nothing if the slot owes none then) from
    /// a new identity connected to every running verifier. Returns whether it published.
    pub(super) async fn publish(&mut self, period: Period) -> Result<bool, DevnetError> {
        if self.done.is_some_and(|p| p >= period) {
            return Ok(false);
        }
        self.done = Some(period);
        let due = self
            .entropy
            .entropy(period)
            .is_some_and(|e| is_proof_required(e, &self.slot, self.proof_probability));
        if !due {
            return Ok(false);
        }
        let bootstrap: Vec<libp2p::Multiaddr> = self
            .verifier_addr_files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .flat_map(|text| {
                text.lines()
                    .filter_map(|l| l.trim().parse().ok())
                    .collect::<Vec<_>>()
            })
            .collect();
        let verifiers = bootstrap.len();
        let mut config = P2pConfig::new(Keypair::generate_ed25519(), vec![loopback()], bootstrap);
        config.discovery = false;
        let shutdown = CancellationToken::new();
        // Its inbound queues are dropped: whatever it receives is answered Ignore.
        let (handle, _inbound, _) = p2p::spawn(config, shutdown.clone())
            .await
            .map_err(|e| DevnetError::Node(format!("invalid-proof sender: {e}")))?;
        let deadline = tokio::time::Instant::now() + MESH_WAIT;
        while tokio::time::Instant::now() < deadline {
            let meshed = handle
                .mesh_peers(Topic::Proofs)
                .await
                .map_err(|e| DevnetError::Node(e.to_string()))?;
            if meshed.len() >= verifiers {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut envelope = ProofEnvelope {
            slot: self.slot,
            period,
            circuit_id: self.circuit_id,
            proof_system: proofmesh_proto::ProofSystem::GROTH16_BN254,
            proof: bogus_proof().to_vec(),
            provider: self.signer.public(),
            signature: ProviderSignature([0; 64]),
        };
        envelope.signature = self.signer.sign(&envelope.signing_bytes());
        handle
            .publish(
                Topic::Proofs,
                crate::p2p::encode_message(&crate::p2p::GossipMessage::Proof(envelope)),
            )
            .await
            .map_err(|e| DevnetError::Node(e.to_string()))?;
        self.senders.push((handle, shutdown.drop_guard()));
        Ok(true)
    }
}

fn loopback() -> libp2p::Multiaddr {
    libp2p::Multiaddr::empty()
        .with(libp2p::multiaddr::Protocol::Ip4(
            std::net::Ipv4Addr::LOCALHOST,
        ))
        .with(libp2p::multiaddr::Protocol::Tcp(0))
}
