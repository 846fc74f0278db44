#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A lost slot is rebuilt by a volunteer and the dataset heals, with real processes: one
//! verifier, three provers of a K = 2, M = 1 dataset (prover 0 withholds slot 0's proofs, so
//! it is certified Missing until Lost), and a volunteer node (`[prover] volunteer = true`)
//! that holds nothing. The verifier's repair request carries the loss certificates; the
//! volunteer checks them, claims the slot, wins (the only claim), rebuilds slot 0 from the
//! two others over block transfer (byte-identical to the owner's), and proves it under its
//! own key; the verifier takes it Lost → Repairing → Healthy on its Valid certificate. With
//! two volunteers, the winner is killed (SIGKILL) right after its rebuild, before its first
//! proof: its claim expires, the other volunteer claims again, wins, rebuilds and heals it.

mod common;

use common::*;
use proofmesh_node::keys::write_secret;
use proofmesh_proto::wire::pb;
use std::time::{Duration, Instant};

const PERIOD_SECS: u64 = 6;
const TIMEOUT_SECS: u64 = 3;

/// A volunteer node's directory: the dataset's announcement, no slot, `volunteer = true`.
fn volunteer_node(
    layout: &proofmesh_node::devnet::Layout,
    opts: &proofmesh_node::devnet::DevnetOptions,
    genesis: u64,
    v_p2p: &str,
    name: &str,
    seed: u8,
) -> std::path::PathBuf {
    let node = layout.dir.join("nodes").join(name);
    std::fs::create_dir_all(&node).unwrap();
    write_secret(&node.join("provider.key"), &[seed; 32]).unwrap();
    write_secret(&node.join("node.key"), &[seed + 1; 32]).unwrap();
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = [{:?}]\nvolunteer = true\n",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], &[v_p2p.to_owned()]),
        network_section(layout, opts, genesis),
        s(&layout.dir.join("keys").join("proving.key")),
        s(&layout.announcement),
    );
    std::fs::write(node.join("node.toml"), text).unwrap();
    node
}

/// A verifier, three provers of a K = 2, M = 1 dataset, prover 0 withholding slot 0.
async fn mesh(seed: u64) -> Mesh {
    start_mesh(
        3,
        PERIOD_SECS,
        TIMEOUT_SECS,
        seed,
        |_| {},
        |j| {
            if j == 0 {
                "\n[testing]\nwithhold = [0]\n".to_owned()
            } else {
                String::new()
            }
        },
    )
    .await
}

/// Polls slot 0 at the verifier until it is Healthy on a Valid certificate after having
/// been Repairing; returns the states seen, in order.
async fn healed(v_grpc: &str, root: &str, periods: u64, said: impl Fn() -> String) -> Vec<i32> {
    let mut grpc = client(v_grpc).await;
    let mut seen = Vec::new();
    let until = Instant::now() + Duration::from_secs(periods * PERIOD_SECS + 60);
    loop {
        let slot = grpc
            .get_slot(pb::GetSlotRequest {
                dataset_root: root.to_owned(),
                slot_index: 0,
                history: 100,
            })
            .await
            .map(|r| r.into_inner())
            .ok();
        if let Some(s) = &slot {
            if seen.last() != Some(&s.state) {
                seen.push(s.state);
            }
            if seen.contains(&(pb::SlotState::Repairing as i32))
                && s.state == pb::SlotState::Healthy as i32
            {
                assert_eq!(s.latest_verdict, pb::Verdict::Valid as i32, "{s:?}");
                return seen;
            }
        }
        assert!(
            Instant::now() < until,
            "slot 0 not healed (states seen {seen:?}): {slot:?}\n{}",
            said()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_volunteers_claim_expires_and_another_volunteer_heals_the_slot() {
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
    } = mesh(61).await;
    let a = volunteer_node(&layout, &opts, genesis, &v_p2p, "volunteer-a", 101);
    let b = volunteer_node(&layout, &opts, genesis, &v_p2p, "volunteer-b", 111);
    let mut vols = vec![
        start_node(&a.join("node.toml"), &logs, "volunteer-a"),
        start_node(&b.join("node.toml"), &logs, "volunteer-b"),
    ];
    // Whichever wins is killed the moment it has rebuilt the slot, before its first proof.
    let winner = {
        let deadline = Instant::now() + Duration::from_secs(12 * PERIOD_SECS + 60);
        loop {
            if let Some(w) = (0..2).find(|&i| vols[i].stderr().contains("slot rebuilt and checked"))
            {
                break w;
            }
            assert!(
                Instant::now() < deadline,
                "nobody rebuilt the slot\nV said:\n{}",
                tail(&v.stderr(), 30)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    send_signal(vols[winner].pid(), "KILL");
    let other = 1 - winner;
    let root = layout.root.to_string();
    let seen = healed(&v_grpc, &root, 20, || {
        format!(
            "V said:\n{}\nthe other volunteer said:\n{}",
            tail(&v.stderr(), 30),
            tail(&vols[other].stderr(), 30)
        )
    })
    .await;
    assert!(
        v.stderr().contains("repair claim expired"),
        "{seen:?}\n{}",
        tail(&v.stderr(), 30)
    );
    let node = [&a, &b][other];
    let rebuilt = node
        .join("data")
        .join("repairs")
        .join(format!("{}-slot_0.bin", layout.root));
    assert_eq!(
        std::fs::read(&rebuilt).unwrap(),
        std::fs::read(&layout.slot_files[0]).unwrap()
    );
    vols[winner].stop();
    drop((vols, provers, v));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_rebuilds_a_lost_slot_and_the_dataset_heals() {
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
    } = mesh(51).await;
    let node = volunteer_node(&layout, &opts, genesis, &v_p2p, "volunteer", 91);
    let volunteer = start_node(&node.join("node.toml"), &logs, "volunteer");
    let root = layout.root.to_string();
    let seen = healed(&v_grpc, &root, 14, || {
        format!(
            "V said:\n{}\nvolunteer said:\n{}",
            tail(&v.stderr(), 30),
            tail(&volunteer.stderr(), 30)
        )
    })
    .await;
    // Lost, then Repairing (the claim decided), then Healthy (the volunteer's proof).
    let lost = seen
        .iter()
        .position(|s| *s == pb::SlotState::Lost as i32)
        .unwrap();
    let repairing = seen
        .iter()
        .position(|s| *s == pb::SlotState::Repairing as i32)
        .unwrap();
    assert!(lost < repairing, "{seen:?}");
    assert!(volunteer.stderr().contains("slot rebuilt and checked"));
    let rebuilt = node
        .join("data")
        .join("repairs")
        .join(format!("{}-slot_0.bin", layout.root));
    assert_eq!(
        std::fs::read(&rebuilt).unwrap(),
        std::fs::read(&layout.slot_files[0]).unwrap()
    );
    drop((volunteer, provers, v));
}
