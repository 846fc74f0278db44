#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A lost slot is rebuilt by a volunteer and the dataset heals, with real processes: one
//! verifier, three provers of a K = 2, M = 1 dataset (prover 0 withholds slot 0's proofs, so
//! it is certified Missing until Lost), and a volunteer node (`[prover] volunteer = true`)
//! that holds nothing. The verifier's repair request carries the loss certificates; the
//! volunteer checks them, claims the slot, wins (the only claim), rebuilds slot 0 from the
//! two others over block transfer (byte-identical to the owner's), and proves it under its
//! own key; the verifier takes it Lost → Repairing → Healthy on its Valid certificate.

mod common;

use common::*;
use proofmesh_node::devnet::generate;
use proofmesh_node::keys::write_secret;
use proofmesh_proto::wire::pb;
use std::time::{Duration, Instant};

const PERIOD_SECS: u64 = 6;
const TIMEOUT_SECS: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_rebuilds_a_lost_slot_and_the_dataset_heals() {
    let tmp = temp_dir();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    let opts = mesh_options(&dir, 1, 3, PERIOD_SECS, TIMEOUT_SECS, 51);
    let layout = tokio::task::spawn_blocking({
        let opts = opts.clone();
        move || generate(&opts).unwrap()
    })
    .await
    .unwrap();
    let genesis = unix_now();
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let v = start_node(
        &mesh_verifier_config(&layout, &opts, 0, genesis, &[]),
        &logs,
        "verifier",
    );
    let v_data = layout.verifiers[0].join("data");
    let v_p2p = wait_file(&v_data.join("p2p.addr"), "V's p2p address");
    let v_grpc = wait_file(&v_data.join("grpc.addr"), "V's gRPC address");
    let provers: Vec<Spawned> = (0..3)
        .map(|j| {
            let config =
                mesh_prover_config(&layout, &opts, j, genesis, std::slice::from_ref(&v_p2p));
            if j == 0 {
                let mut text = std::fs::read_to_string(&config).unwrap();
                text += "\n[testing]\nwithhold = [0]\n";
                std::fs::write(&config, text).unwrap();
            }
            start_node(&config, &logs, &format!("prover-{j}"))
        })
        .collect();

    // The volunteer: the dataset's announcement, no slot, volunteer = true.
    let node = dir.join("nodes").join("volunteer");
    std::fs::create_dir_all(&node).unwrap();
    write_secret(&node.join("provider.key"), &[91; 32]).unwrap();
    write_secret(&node.join("node.key"), &[92; 32]).unwrap();
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = [{:?}]\nvolunteer = true\n",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], std::slice::from_ref(&v_p2p)),
        network_section(&layout, &opts, genesis),
        s(&layout.dir.join("keys").join("proving.key")),
        s(&layout.announcement),
    );
    std::fs::write(node.join("node.toml"), text).unwrap();
    let volunteer = start_node(&node.join("node.toml"), &logs, "volunteer");

    let mut grpc = client(&v_grpc).await;
    let said = |v: &Spawned, vol: &Spawned| {
        format!(
            "V said:\n{}\nvolunteer said:\n{}",
            tail(&v.stderr(), 30),
            tail(&vol.stderr(), 30)
        )
    };
    let mut seen = Vec::new();
    let until = Instant::now() + Duration::from_secs(14 * PERIOD_SECS + 60);
    loop {
        let slot = grpc
            .get_slot(pb::GetSlotRequest {
                dataset_root: layout.root.to_string(),
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
                break;
            }
        }
        assert!(
            Instant::now() < until,
            "slot 0 not healed (states seen {seen:?}): {slot:?}\n{}",
            said(&v, &volunteer)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
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
