#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A late verifier finds the registry through the Kademlia DHT only, then verifies the
//! dataset's proofs.
//!
//! Topology (real `proofmesh node` processes on 127.0.0.1, port 0, a temp dir):
//!
//! ```text
//!   prover P ──── verifier A ──── verifier B (started after P stopped)
//! ```
//!
//! P dials A (its only bootstrap peer) and listens on no address at all. A learns the dataset
//! and its assignments from P's gossip and puts their record into the DHT. Then P stops: no
//! registry message is gossiped any more. B starts with A as its only bootstrap peer and must
//! find the announcement and every assignment in the DHT (B's metrics show no registry gossip
//! at all). P then comes back, still dialling A only, and B certifies its proofs Valid with
//! B among the signers: the registry B read is the one everyone else holds. Until P is back,
//! B is connected to A alone (its metrics say so).

mod common;

use common::*;
use proofmesh_node::devnet::{generate, DevnetOptions, Layout};
use proofmesh_proto::wire::pb;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const PERIOD_SECS: u64 = 6;
const TIMEOUT_SECS: u64 = 3;
/// K + M of the dataset.
const SLOTS: u32 = 3;
const POLL: Duration = Duration::from_millis(500);
/// B's first DHT read follows its first connection; a lost query is read again a minute on.
const LEARN_TIMEOUT: Duration = Duration::from_secs(60 + 20);

fn options(dir: &Path) -> DevnetOptions {
    mesh_options(dir, 2, 1, PERIOD_SECS, TIMEOUT_SECS, 7)
}

/// The `[network]` section every node shares.
/// `node.toml` of verifier `i`, bootstrapping from `bootstrap` only.
fn verifier_config(
    layout: &Layout,
    opts: &DevnetOptions,
    i: usize,
    genesis: u64,
    metrics: &str,
    bootstrap: &[String],
) -> PathBuf {
    let text = format!(
        "role = \"verifier\"\ndata_dir = \"data\"\ngrpc_addr = \"127.0.0.1:0\"\nmetrics_addr = {metrics:?}\n{}{}\n[verifier]\nbls_key = \"verifier.key\"\nbatch_size = 64\nbatch_delay_ms = 100\n",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], bootstrap),
        network_section(layout, opts, genesis),
    );
    let path = layout.verifiers[i].join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `node.toml` of the prover: the owner assigned it every slot, it re-publishes the owner's
/// announcement and assignments, dials `bootstrap` and listens nowhere (so nobody can learn an
/// address to dial it at).
fn prover_config(
    layout: &Layout,
    opts: &DevnetOptions,
    genesis: u64,
    bootstrap: &[String],
) -> PathBuf {
    let records = layout.prover_records(0);
    let records: Vec<&str> = records.iter().map(|p| s(p)).collect();
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = {records:?}\n{}",
        p2p_section(&[], bootstrap),
        network_section(layout, opts, genesis),
        s(&layout.dir.join("keys").join("proving.key")),
        layout.prover_hold(0),
    );
    let path = layout.provers[0].join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// B's connected peers, from its metrics; panics if B is ever connected to more than A.
async fn assert_b_only_peers_a(metrics: &str, b: &Spawned) {
    let peers = metric(&scrape(metrics).await, "proofmesh_peers ");
    assert!(
        peers.is_none_or(|n| n <= 1.0),
        "B has {peers:?} peers: it must be connected to A alone; B said:\n{}",
        tail(&b.stderr(), 40)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_verifier_two_hops_from_the_prover_learns_the_dataset_and_accepts_its_proofs() {
    let started = Instant::now();
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

    // A: no bootstrap peer.
    let a_metrics = format!("127.0.0.1:{}", free_port());
    let a_config = verifier_config(&layout, &opts, 0, genesis, &a_metrics, &[]);
    let a = start_node(&a_config, &logs, "verifier-a");
    let a_data = layout.verifiers[0].join("data");
    let a_p2p = wait_file(&a_data.join("p2p.addr"), "A's p2p address");
    let a_grpc = wait_file(&a_data.join("grpc.addr"), "A's gRPC address");
    let mut a_client = client(&a_grpc).await;

    // P: bootstrap A only.
    let p_config = prover_config(&layout, &opts, genesis, std::slice::from_ref(&a_p2p));
    let p = start_node(&p_config, &logs, "prover-p");

    let deadline = Deadline::new(Duration::from_secs(60), "A to learn the dataset from P");
    let root = loop {
        if let Some(r) = datasets(&mut a_client).await.into_iter().next() {
            break r;
        }
        deadline.tick_every(POLL).await;
    };
    // Every assignment too (A logs each one it stores), then P stops: from here on nobody
    // gossips a registry message.
    let deadline = Deadline::new(Duration::from_secs(30), "A to store every assignment");
    while a.stderr().matches("slot assigned").count() < SLOTS as usize {
        deadline.tick_every(POLL).await;
    }
    let mut p = p;
    p.stop();
    let a_learnt = Instant::now();

    // B: bootstrap A only.
    let b_metrics = format!("127.0.0.1:{}", free_port());
    let b_config = verifier_config(
        &layout,
        &opts,
        1,
        genesis,
        &b_metrics,
        std::slice::from_ref(&a_p2p),
    );
    let b = start_node(&b_config, &logs, "verifier-b");
    let b_data = layout.verifiers[1].join("data");
    let b_grpc = wait_file(&b_data.join("grpc.addr"), "B's gRPC address");
    let mut b_client = client(&b_grpc).await;

    // B finds the dataset and every assignment in the DHT.
    let b_start = Instant::now();
    let deadline = Deadline::new(LEARN_TIMEOUT, "B to find the registry in the DHT");
    loop {
        assert_b_only_peers_a(&b_metrics, &b).await;
        if datasets(&mut b_client).await.contains(&root)
            && b.stderr().matches("slot assigned").count() >= SLOTS as usize
        {
            break;
        }
        deadline.tick_every(POLL).await;
    }
    let b_scrape = scrape(&b_metrics).await;
    let registry_gossip: f64 = ["accept", "ignore", "reject"]
        .iter()
        .map(|action| {
            labelled(
                &b_scrape,
                "proofmesh_gossip_messages_total",
                &[("topic", "registry"), ("action", action)],
            )
        })
        .sum();
    assert_eq!(
        registry_gossip, 0.0,
        "B got registry gossip: it must read the DHT only"
    );
    let found = labelled(
        &b_scrape,
        "proofmesh_dht_records_total",
        &[("op", "get"), ("outcome", "found")],
    );
    assert!(found >= 1.0, "B found no DHT record:\n{b_scrape}");
    eprintln!(
        "B found the registry in the DHT {:?} after it started ({:?} after P stopped)",
        b_start.elapsed(),
        a_learnt.elapsed()
    );

    // P comes back (dialling A; its Kademlia may now find B too, which changes nothing: B
    // already holds the registry).
    let p = start_node(&p_config, &logs, "prover-p-again");

    // …and accepts P's proofs for it: a certified Valid verdict for every slot at B, with B
    // among the signers (2 of 2 verifiers: no certificate forms without B's attestation).
    let mut certified: Vec<Option<String>> = vec![None; SLOTS as usize];
    let deadline = Deadline::new(
        Duration::from_secs(4 * PERIOD_SECS + TIMEOUT_SECS + 10),
        "B to certify a Valid verdict for every slot",
    );
    while certified.iter().any(Option::is_none) {
        for index in 0..SLOTS {
            if certified[index as usize].is_some() {
                continue;
            }
            let slot = b_client
                .get_slot(pb::GetSlotRequest {
                    dataset_root: root.clone(),
                    slot_index: index,
                    history: 100,
                })
                .await
                .unwrap()
                .into_inner();
            certified[index as usize] = slot
                .history
                .iter()
                .find(|h| h.verdict == pb::Verdict::Valid as i32)
                .map(|h| h.certificate_id.clone());
        }
        if certified.iter().any(Option::is_none) {
            deadline.tick_every(POLL).await;
        }
    }
    for id in certified.into_iter().flatten() {
        let cert = b_client
            .get_certificate(pb::GetCertificateRequest {
                certificate_id: id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(cert.dataset_root, root);
        assert_eq!(cert.verdict, pb::Verdict::Valid as i32);
        assert!(
            cert.signers.contains(&1),
            "certificate {id} at B is not signed by B (verifier 1): {:?}",
            cert.signers
        );
    }
    let b_scrape = scrape(&b_metrics).await;
    let verified = metric(&b_scrape, "proofmesh_proofs_verified_total ").unwrap_or(0.0);
    assert!(verified >= 1.0, "B verified no proof:\n{b_scrape}");
    assert!(datasets(&mut a_client).await.contains(&root));
    eprintln!(
        "late joiner: {verified} proofs verified at B, {:?} in all",
        started.elapsed()
    );
    drop((b, p, a));
}
