//! The volunteer side of a provider (`[prover] volunteer = true`): it listens on the repair
//! topic, checks each repair request's evidence as a verifier does
//! (`proofmesh_verifier::check_repair_request`), claims the lost slots of the datasets it
//! knows (one signed `RepairClaim` per loss), and keeps the same claim book the verifiers
//! keep (`proofmesh_verifier::repair`), so it learns it won exactly when they decide it. Then
//! it rebuilds the slot from K others over block transfer (`blocks::rebuild_slot`, every
//! block and the rebuilt slot root checked), and hands the file to its prover role, which
//! proves it from the winner's first period: the verifiers' first Valid certificate of it
//! completes the repair.
//!
//! A prover judges no gossip: everything that reaches it is answered Ignore (the verifiers
//! forward what is valid).

use crate::blocks::{locate_dataset, manifest_of, rebuild_slot, FetchOptions};
use crate::keys::ProviderSigner;
use crate::p2p::{encode_message, GossipMessage, Inbound, P2pHandle, Topic};
use crate::prover_node::{Adopted, HeldFile};
use proofmesh_proto::{ContentId, Period, ProviderSignature, RepairClaim, SlotId, VerifierSet};
use proofmesh_verifier::duty::PeriodClock;
use proofmesh_verifier::intake::{GossipAction, Registry};
use proofmesh_verifier::repair::{ClaimBook, RepairConfig, RepairStep};
use proofmesh_verifier::HealthConfig;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long a winner waits for the DHT (the dataset's providers) before rebuilding.
const LOCATE_WAIT: Duration = Duration::from_secs(20);

/// Everything the volunteer needs.
pub struct Volunteer {
    /// The swarm.
    pub p2p: P2pHandle,
    /// The provider key: signs claims (and, in the prover role, the rebuilt slot's proofs).
    pub signer: ProviderSigner,
    /// The datasets it volunteers for (the prover's checked registry records).
    pub registry: Registry,
    /// The verifier set the requests' evidence is checked against.
    pub set: VerifierSet,
    /// The network's health budgets (what makes a slot Lost).
    pub health: HealthConfig,
    /// The period clock.
    pub clock: PeriodClock,
    /// Where rebuilt slots are written.
    pub dir: PathBuf,
    /// The prover role's intake of repaired slots.
    pub adopter: mpsc::Sender<Adopted>,
}

impl Volunteer {
    /// Runs until `shutdown` on the node's control queue.
    pub async fn run(self, mut control: mpsc::Receiver<Inbound>, shutdown: CancellationToken) {
        let mut book = ClaimBook::new(RepairConfig::default());
        let mut claimed: HashSet<(SlotId, ContentId)> = HashSet::new();
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    let current = self.clock.period_at(crate::verifier_node::now_secs());
                    for step in book.tick(current) {
                        self.on_step(step, &mut book, &claimed, &mut control).await;
                    }
                }
                item = control.recv() => match item {
                    Some(Inbound::Gossip { msg, message }) => {
                        self.on_gossip(message, &mut book, &mut claimed).await;
                        let _ = self.p2p.report(msg, GossipAction::Ignore).await;
                    }
                    Some(_) => {}
                    None => break,
                },
            }
        }
    }

    async fn on_gossip(
        &self,
        message: GossipMessage,
        book: &mut ClaimBook,
        claimed: &mut HashSet<(SlotId, ContentId)>,
    ) {
        let current = self.clock.period_at(crate::verifier_node::now_secs());
        match message {
            GossipMessage::Repair(request) => {
                if self.registry.dataset(&request.slot.dataset).is_none() {
                    return;
                }
                if let Err(e) =
                    proofmesh_verifier::check_repair_request(&request, |_| &self.set, &self.health)
                {
                    tracing::debug!(slot = %request.slot, error = %e, "repair request refused");
                    return;
                }
                book.open(request.slot, request.certificate, request.period);
                if !claimed.insert((request.slot, request.certificate)) {
                    return;
                }
                self.claim(request.slot, request.certificate, current, book)
                    .await;
            }
            GossipMessage::Claim(claim)
                if crate::keys::provider_signature_ok(
                    &claim.volunteer,
                    &claim.signing_bytes(),
                    &claim.signature,
                ) =>
            {
                let _ = book.offer(&claim, current);
            }
            _ => {}
        }
    }

    /// Signs and publishes our claim on `slot`'s loss, if the book takes it.
    async fn claim(&self, slot: SlotId, loss: ContentId, current: Period, book: &mut ClaimBook) {
        let mut claim = RepairClaim {
            slot,
            loss,
            volunteer: self.signer.public(),
            period: current,
            signature: ProviderSignature([0; 64]),
        };
        claim.signature = self.signer.sign(&claim.signing_bytes());
        if book.offer(&claim, current).is_ok() {
            tracing::info!(%slot, period = current.0, "repair claimed");
            metrics::counter!(crate::metrics::REPAIRS, "step" => "claimed").increment(1);
            let data = encode_message(&GossipMessage::Claim(claim));
            if self.p2p.publish(Topic::Repair, data).await.is_err() {
                tracing::warn!("p2p stopped; claim not published");
            }
        }
    }

    async fn on_step(
        &self,
        step: RepairStep,
        book: &mut ClaimBook,
        claimed: &HashSet<(SlotId, ContentId)>,
        control: &mut mpsc::Receiver<Inbound>,
    ) {
        let (slot, volunteer, from) = match step {
            RepairStep::Decided {
                slot,
                volunteer,
                from,
                ..
            } => (slot, volunteer, from),
            // Another volunteer's claim expired (it died, or could not rebuild): the round is
            // open again, and we claim again (a benched volunteer's claim is not taken).
            RepairStep::Expired { slot, period, .. } => {
                for (s, loss) in claimed.iter().filter(|(s, _)| *s == slot) {
                    tracing::info!(%s, "a repair claim expired: claiming again");
                    self.claim(*s, *loss, period, book).await;
                }
                return;
            }
        };
        if volunteer != self.signer.public() {
            tracing::info!(%slot, "another volunteer won the repair");
            return;
        }
        if let Err(e) = self.rebuild(slot, from, control).await {
            tracing::error!(%slot, error = %e, "repair won, but the slot could not be rebuilt");
            metrics::counter!(crate::metrics::REPAIRS, "step" => "rebuild_failed").increment(1);
        }
    }

    /// Rebuilds the slot we won and hands it to the prover role.
    async fn rebuild(
        &self,
        slot: SlotId,
        from: Period,
        control: &mut mpsc::Receiver<Inbound>,
    ) -> Result<(), String> {
        let announce = self
            .registry
            .dataset(&slot.dataset)
            .ok_or("unknown dataset")?;
        let manifest = manifest_of(announce);
        let started = std::time::Instant::now();
        let located = locate_dataset(&self.p2p, control, slot.dataset, LOCATE_WAIT)
            .await
            .map_err(|e| e.to_string())?;
        let me = self.p2p.local_peer_id;
        let providers: Vec<_> = located
            .providers
            .into_iter()
            .filter(|p| p.peer != me)
            .collect();
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let out = self
            .dir
            .join(format!("{}-slot_{}.bin", slot.dataset, slot.index));
        let report = rebuild_slot(
            &self.p2p,
            &providers,
            &manifest,
            slot.dataset,
            slot.index,
            &out,
            &FetchOptions::default(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let fetched: u64 = report
            .fetched
            .iter()
            .map(|(_, f)| f.blocks * proofmesh_proto::BLOCK_BYTES)
            .sum();
        tracing::info!(%slot, bytes = report.bytes, fetched, seconds = started.elapsed().as_secs_f64(), "slot rebuilt and checked");
        metrics::counter!(crate::metrics::REPAIRS, "step" => "rebuilt").increment(1);
        metrics::counter!(crate::metrics::REPAIR_BYTES_FETCHED).increment(fetched);
        metrics::histogram!(crate::metrics::REPAIR_SECONDS).record(started.elapsed().as_secs_f64());
        let file = proofmesh_prover::SlotFile::open(&out).map_err(|e| e.to_string())?;
        self.adopter
            .send(Adopted {
                held: HeldFile {
                    dataset: slot.dataset,
                    index: slot.index,
                    file,
                },
                from,
            })
            .await
            .map_err(|_| "the prover role stopped".to_string())
    }
}
