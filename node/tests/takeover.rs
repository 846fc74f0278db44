#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A slot takeover on a real mesh is refused: only the dataset's owner assigns slots.
//!
//! Real `proofmesh node` processes on 127.0.0.1 (port 0, a temp dir): one verifier V and the
//! honest prover P, which re-publishes the owner's announcement and its assignments (every slot,
//! from period 0). Once V knows the dataset, a thief — a fresh key, publishing from in-test
//! gossip identities connected to V — gossips an assignment of slot 0 to itself from the next
//! period on, signed with its own key (a provider's self-claim, what protocol v1 accepted),
//! then, each period from then on, a proof envelope for slot 0 signed by itself.
//!
//! V must refuse the assignment as a forgery (`proofmesh_registry_rejected_total{kind="assign",
//! reason="not_owner"}`) and each envelope as someone else's slot
//! (`proofmesh_proofs_rejected_total{reason="wrong_provider"}`: had V taken the assignment, the
//! envelope would have failed later, as malformed proof bytes), and keep certifying P's proofs
//! of slot 0 Valid in the periods the thief claimed. Every assertion reads V's metrics or gRPC.

mod common;

use common::*;
use libp2p::identity::Keypair;
use proofmesh_node::devnet::{generate, DevnetOptions, Layout};
use proofmesh_node::keys::ProviderSigner;
use proofmesh_node::p2p::{self, encode_message, GossipMessage, P2pConfig, P2pHandle, Topic};
use proofmesh_proto::wire::pb;
use proofmesh_proto::*;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::{CancellationToken, DropGuard};

const PERIOD_SECS: u64 = 6;
const TIMEOUT_SECS: u64 = 3;
const POLL: Duration = Duration::from_millis(200);
/// Periods the thief sends a proof in.
const THEFT_PERIODS: u64 = 3;

fn options(dir: &Path) -> DevnetOptions {
    mesh_options(dir, 1, 1, PERIOD_SECS, TIMEOUT_SECS, 11)
}

fn verifier_config(layout: &Layout, opts: &DevnetOptions, genesis: u64, metrics: &str) -> PathBuf {
    let text = format!(
        "role = \"verifier\"\ndata_dir = \"data\"\ngrpc_addr = \"127.0.0.1:0\"\nmetrics_addr = {metrics:?}\n{}{}\n[verifier]\nbls_key = \"verifier.key\"\nbatch_size = 64\nbatch_delay_ms = 100\n",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], &[]),
        network_section(layout, opts, genesis),
    );
    let path = layout.verifiers[0].join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn prover_config(layout: &Layout, opts: &DevnetOptions, genesis: u64, v: &str) -> PathBuf {
    let records = layout.prover_records(0);
    let records: Vec<&str> = records.iter().map(|p| s(p)).collect();
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = {records:?}\n{}",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], &[v.to_owned()]),
        network_section(layout, opts, genesis),
        s(&layout.dir.join("keys").join("proving.key")),
        layout.prover_hold(0),
    );
    let path = layout.provers[0].join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A fresh gossip identity dialling V, in V's mesh of `topic` (a graylisted identity would have
/// its later messages dropped unseen); it stays connected while its guard lives.
async fn fresh_sender(v: &str, topic: Topic) -> (P2pHandle, DropGuard) {
    let mut config = P2pConfig::new(
        Keypair::generate_ed25519(),
        vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
        vec![v.parse().unwrap()],
    );
    config.discovery = false;
    let shutdown = CancellationToken::new();
    let (handle, _inbound, _) = p2p::spawn(config, shutdown.clone()).await.unwrap();
    let meshed = Deadline::new(Duration::from_secs(10), "a thief identity to mesh with V");
    while handle.mesh_peers(topic).await.unwrap().is_empty() {
        meshed.tick_every(Duration::from_millis(50)).await;
    }
    (handle, shutdown.drop_guard())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_assignment_not_signed_by_the_owner_is_refused_by_a_real_verifier() {
    let tmp = temp_dir();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    let opts = options(&dir);
    let layout = tokio::task::spawn_blocking({
        let opts = opts.clone();
        move || generate(&opts).unwrap()
    })
    .await
    .unwrap();
    let genesis = unix_now();
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();

    let metrics = format!("127.0.0.1:{}", free_port());
    let v = start_node(
        &verifier_config(&layout, &opts, genesis, &metrics),
        &logs,
        "verifier",
    );
    let v_data = layout.verifiers[0].join("data");
    let v_p2p = wait_file(&v_data.join("p2p.addr"), "V's p2p address");
    let v_grpc = wait_file(&v_data.join("grpc.addr"), "V's gRPC address");
    let mut grpc = client(&v_grpc).await;
    let p = start_node(
        &prover_config(&layout, &opts, genesis, &v_p2p),
        &logs,
        "prover",
    );

    let learnt = Deadline::new(Duration::from_secs(60), "V to learn the dataset from P");
    let root_hex = loop {
        if let Some(r) = datasets(&mut grpc).await.into_iter().next() {
            break r;
        }
        learnt.tick_every(POLL).await;
    };
    let root =
        DatasetRoot::from_le_bytes(hex::decode(&root_hex).unwrap().try_into().unwrap()).unwrap();
    let slot = SlotId {
        dataset: root,
        index: 0,
    };

    // The thief claims slot 0 from the next period, signing the assignment itself.
    let thief = ProviderSigner::from_secret(&[0x7f; 32]);
    let period_at = |t: u64| (t - genesis) / PERIOD_SECS;
    let from = period_at(unix_now()) + 1;
    let mut forged = SlotAssign {
        slot,
        provider: thief.public(),
        from_period: Period(from),
        signature: ProviderSignature([0; 64]),
    };
    forged.signature = thief.sign(&forged.signing_bytes());
    let sender = fresh_sender(&v_p2p, Topic::Registry).await;
    let claim = encode_message(&GossipMessage::Assign(forged));
    sender.0.publish(Topic::Registry, claim).await.unwrap();
    let mut senders = vec![sender];
    let refused = Deadline::new(Duration::from_secs(20), "V to refuse the forged assignment");
    while labelled(
        &scrape(&metrics).await,
        "proofmesh_registry_rejected_total",
        &[("kind", "assign"), ("reason", "not_owner")],
    ) < 1.0
    {
        refused.tick_every(POLL).await;
    }

    // From its first period on, the thief sends an envelope for slot 0 as soon as each period
    // opens (before P's proof of it can be in, so it is judged on its provider).
    let vk = proofmesh_prover::groth16::read_verifying_key(
        &layout.dir.join("keys").join("verifying.key"),
        None,
    )
    .unwrap();
    for period in from..from + THEFT_PERIODS {
        // Connected and meshed before the period opens.
        let sender = fresh_sender(&v_p2p, Topic::Proofs).await;
        let opens = Deadline::new(
            Duration::from_secs(2 * PERIOD_SECS),
            "the thief's next period to open",
        );
        while period_at(unix_now()) < period {
            opens.tick_every(Duration::from_millis(50)).await;
        }
        let mut e = ProofEnvelope {
            slot,
            period: Period(period),
            circuit_id: CircuitId(vk.circuit_id.0),
            proof_system: ProofSystem::GROTH16_BN254,
            proof: vec![1; PROOF_BYTES],
            provider: thief.public(),
            signature: ProviderSignature([0; 64]),
        };
        e.signature = thief.sign(&e.signing_bytes());
        let bytes = encode_message(&GossipMessage::Proof(e));
        sender.0.publish(Topic::Proofs, bytes).await.unwrap();
        senders.push(sender);
    }

    // P's proofs of slot 0 stay the ones V takes: certified Valid in a period the thief claimed.
    let certified = Deadline::new(
        Duration::from_secs(2 * PERIOD_SECS + TIMEOUT_SECS + 20),
        "V to certify P's proof of slot 0 in a period the thief claimed",
    );
    loop {
        let history = grpc
            .get_slot(pb::GetSlotRequest {
                dataset_root: root_hex.clone(),
                slot_index: 0,
                history: 100,
            })
            .await
            .unwrap()
            .into_inner()
            .history;
        assert!(
            history
                .iter()
                .filter(|h| h.period >= from)
                .all(|h| h.verdict == pb::Verdict::Valid as i32),
            "slot 0 lost a verdict to the thief: {history:?}\nV said:\n{}",
            tail(&v.stderr(), 40)
        );
        if history.iter().any(|h| h.period >= from) {
            break;
        }
        certified.tick_every(POLL).await;
    }
    let text = scrape(&metrics).await;
    let wrong = labelled(
        &text,
        "proofmesh_proofs_rejected_total",
        &[("reason", "wrong_provider")],
    );
    let malformed = labelled(
        &text,
        "proofmesh_proofs_rejected_total",
        &[("reason", "malformed_proof")],
    );
    assert!(
        wrong >= 1.0 && malformed == 0.0,
        "the thief's envelopes must be refused as someone else's slot (wrong_provider \
         {wrong}, malformed_proof {malformed}):\n{text}"
    );
    let not_owner = labelled(
        &text,
        "proofmesh_registry_rejected_total",
        &[("reason", "not_owner")],
    );
    assert!(not_owner >= 1.0, "{text}");
    drop((senders, p, v));
}
