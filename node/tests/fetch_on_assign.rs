#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A provider newly assigned a slot fetches it before proving. A real mesh (one verifier, two
//! provers of a three-slot dataset); the owner reassigns slot 1 to a new provider N from a
//! later period. N's config lists slot 1 with a file that does not exist and no address to
//! fetch from: N finds the slot's previous holder in the DHT (the registry's record and the
//! holder's signed location), fetches every block over block transfer, checks each against
//! the announced slot root, writes the file, and only then starts proving; the verifier then
//! certifies slot 1 Valid in the periods N answers for (the old holder's proofs no longer
//! count).

mod common;

use common::*;
use proofmesh_node::keys::{write_secret, ProviderSigner};
use proofmesh_proto::wire::pb;
use std::time::{Duration, Instant};

const PERIOD_SECS: u64 = 6;
const TIMEOUT_SECS: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newly_assigned_provider_fetches_and_checks_its_slot_then_proves_it() {
    let Mesh {
        _tmp,
        layout,
        opts,
        genesis,
        logs,
        v,
        v_p2p,
        v_grpc,
        provers,
    } = start_mesh(2, PERIOD_SECS, TIMEOUT_SECS, 41, |_| {}, |_| String::new()).await;
    assert_eq!(layout.holdings[1], vec![1]);
    let dir = layout.dir.clone();
    wait_until(
        Duration::from_secs(60),
        Duration::from_millis(100),
        "prover 1 to serve slot 1",
        || provers[1].stderr().contains("serving blocks"),
    );

    // The owner reassigns slot 1 to N from two periods on.
    let node = dir.join("nodes").join("newcomer");
    std::fs::create_dir_all(&node).unwrap();
    write_secret(&node.join("provider.key"), &[77; 32]).unwrap();
    write_secret(&node.join("node.key"), &[78; 32]).unwrap();
    let n_key = hex::encode(ProviderSigner::from_secret(&[77; 32]).public().0);
    let from = (unix_now() - genesis) / PERIOD_SECS + 2;
    let record = node.join("assign-1.record");
    let o = proofmesh(&[
        "owner",
        "assign",
        "--owner-key",
        s(&layout.owner_key),
        "--announcement",
        s(&layout.announcement),
        "--slot",
        "1",
        "--provider",
        &n_key,
        "--from-period",
        &from.to_string(),
        "--out",
        s(&record),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = node.join("held").join("slot_1.bin");
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = [{:?}, {:?}]\n\n[[prover.hold]]\ndataset = \"{}\"\nslot = 1\nfile = {:?}\n",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], std::slice::from_ref(&v_p2p)),
        network_section(&layout, &opts, genesis),
        s(&layout.dir.join("keys").join("proving.key")),
        s(&layout.announcement),
        s(&record),
        layout.root,
        s(&file),
    );
    std::fs::write(node.join("node.toml"), text).unwrap();
    assert!(!file.exists());
    let n = start_node(&node.join("node.toml"), &logs, "newcomer");

    // N fetched the slot, checked, byte for byte the owner's.
    wait_until(
        Duration::from_secs(90),
        Duration::from_millis(200),
        "N to fetch its slot",
        || {
            n.stderr().contains("held slot fetched and checked")
                || n.stderr().contains("cannot be fetched")
        },
    );
    assert!(
        n.stderr().contains("held slot fetched and checked"),
        "{}",
        tail(&n.stderr(), 30)
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&layout.slot_files[1]).unwrap()
    );

    // …and proves it: slot 1 certified Valid in a period N answers for.
    let mut grpc = client(&v_grpc).await;
    let until = Instant::now() + Duration::from_secs(6 * PERIOD_SECS + 60);
    loop {
        let history = grpc
            .get_slot(pb::GetSlotRequest {
                dataset_root: layout.root.to_string(),
                slot_index: 1,
                history: 100,
            })
            .await
            .map(|r| r.into_inner().history)
            .unwrap_or_default();
        if history
            .iter()
            .any(|h| h.period >= from && h.verdict == pb::Verdict::Valid as i32)
        {
            break;
        }
        assert!(
            Instant::now() < until,
            "slot 1 not certified Valid from period {from}: {history:?}\nN said:\n{}\nV said:\n{}",
            tail(&n.stderr(), 30),
            tail(&v.stderr(), 30)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop((n, provers, v));
}
