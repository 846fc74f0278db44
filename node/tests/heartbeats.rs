#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Heartbeats in a real mesh: a dataset that owes no storage proofs (`proof_probability` 0,
//! the seed's heartbeat-only communities) is judged on its providers' signed heartbeats alone.
//! Three real `proofmesh node` provers, one slot each, and a real verifier: every slot is
//! certified Alive (claimed alive, never Valid: nothing is proven) and stays Healthy while its
//! provider runs; once one provider stops, its slot is certified Missing until it is Lost, and
//! the other two go on being certified Alive.

mod common;

use common::*;
use proofmesh_proto::wire::pb;
use std::time::{Duration, Instant};

const PERIOD_SECS: u64 = 4;
const TIMEOUT_SECS: u64 = 2;
const POLL: Duration = Duration::from_millis(200);
/// The slot whose provider stops.
const STOPPED: usize = 2;

/// The dataset's slots as the verifier serves them.
async fn slots(
    grpc: &mut pb::health_service_client::HealthServiceClient<tonic::transport::Channel>,
    root: &str,
) -> Vec<pb::SlotHealth> {
    grpc.get_dataset(pb::GetDatasetRequest {
        dataset_root: root.to_owned(),
    })
    .await
    .map(|r| r.into_inner().slots)
    .unwrap_or_default()
}

fn alive(s: &pb::SlotHealth) -> bool {
    s.state == pb::SlotState::Healthy as i32 && s.latest_verdict == pb::Verdict::Alive as i32
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_only_dataset_stays_healthy_while_its_providers_run_and_loses_a_stopped_one() {
    let Mesh {
        _tmp,
        layout,
        v,
        v_grpc,
        mut provers,
        ..
    } = start_mesh(
        3,
        PERIOD_SECS,
        TIMEOUT_SECS,
        21,
        |o| o.proof_probability = 0,
        |_| String::new(),
    )
    .await;
    let root = layout.root.to_string();
    let mut grpc = client(&v_grpc).await;
    let said = |v: &Spawned, p: &[Spawned]| {
        let provers: String = p.iter().map(|p| tail(&p.stderr(), 15)).collect();
        format!(
            "V said:\n{}\nprovers said:\n{provers}",
            tail(&v.stderr(), 40)
        )
    };

    // While every provider runs: every slot certified Alive, twice (two periods in a row).
    let until = Instant::now() + Duration::from_secs(6 * PERIOD_SECS + 60);
    let first = loop {
        let now = slots(&mut grpc, &root).await;
        if now.len() == 3 && now.iter().all(alive) {
            break now;
        }
        assert!(
            Instant::now() < until,
            "not every slot Alive: {now:?}\n{}",
            said(&v, &provers)
        );
        tokio::time::sleep(POLL).await;
    };
    let seen = first.iter().map(|s| s.latest_period()).max().unwrap();
    loop {
        let now = slots(&mut grpc, &root).await;
        assert!(
            now.iter().all(alive),
            "a running provider's slot left Healthy: {now:?}\n{}",
            said(&v, &provers)
        );
        if now.iter().all(|s| s.latest_period() > seen) {
            break;
        }
        assert!(
            Instant::now() < until,
            "no second Alive period: {now:?}\n{}",
            said(&v, &provers)
        );
        tokio::time::sleep(POLL).await;
    }
    let history = grpc
        .get_slot(pb::GetSlotRequest {
            dataset_root: root.clone(),
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
            .all(|h| h.verdict != pb::Verdict::Valid as i32),
        "a heartbeat is a claim, never a proof: {history:?}"
    );

    // One provider stops: its slot misses heartbeats until it is Lost (budget 2); the others
    // are still certified Alive in the periods after the loss.
    provers[STOPPED].stop();
    let until = Instant::now() + Duration::from_secs(8 * PERIOD_SECS + 60);
    let lost_at = loop {
        let now = slots(&mut grpc, &root).await;
        if let Some(s) = now
            .get(STOPPED)
            .filter(|s| s.state == pb::SlotState::Lost as i32)
        {
            assert_eq!(s.latest_verdict, pb::Verdict::Missing as i32, "{s:?}");
            break s.latest_period();
        }
        assert!(
            Instant::now() < until,
            "slot {STOPPED} not Lost: {now:?}\n{}",
            said(&v, &provers)
        );
        tokio::time::sleep(POLL).await;
    };
    loop {
        let now = slots(&mut grpc, &root).await;
        let others: Vec<&pb::SlotHealth> = now
            .iter()
            .filter(|s| s.slot_index as usize != STOPPED)
            .collect();
        assert!(
            others.iter().all(|s| alive(s)),
            "a running provider's slot left Healthy: {now:?}"
        );
        if others.iter().all(|s| s.latest_period() >= lost_at) {
            break;
        }
        assert!(
            Instant::now() < until,
            "the others stopped being certified: {now:?}\n{}",
            said(&v, &provers)
        );
        tokio::time::sleep(POLL).await;
    }
    drop((provers, v));
}
