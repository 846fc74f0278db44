#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The gRPC health API end to end: a real server on 127.0.0.1:0 over a health view fed by
//! real quorum certificates (kept in a `MemoryStore`), queried with the generated clients of
//! `proofmesh.v1.HealthService`, `grpc.health.v1` and server reflection.

use proofmesh_node::grpc::{serve, GrpcError, HealthApi, HealthChanges};
use proofmesh_node::store::{MemoryStore, Store};
use proofmesh_proto::wire::pb;
use proofmesh_proto::wire::pb::health_service_client::HealthServiceClient;
use proofmesh_proto::{
    DatasetRoot, Period, QuorumCertificate, SlotId, SlotVerdict, Verdict, VerifierIndex,
    VerifierMember, VerifierSet, WireMessage,
};
use proofmesh_verifier::attest::{sign_batch, VerifierKeypair};
use proofmesh_verifier::quorum::{verify_certificate, AttestationPool};
use proofmesh_verifier::{HealthConfig, HealthEvent, HealthState};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::Code;

const WAIT: Duration = Duration::from_secs(10);
/// Verdicts of dataset 1's three slots (K = 2, M = 1) in periods 1, 2, 3: slot 1 misses twice
/// and is lost (default miss budget 2), leaving the dataset AtRisk.
const VERDICTS: [[Verdict; 3]; 3] = [
    [Verdict::Valid, Verdict::Valid, Verdict::Valid],
    [Verdict::Valid, Verdict::Missing, Verdict::Valid],
    [Verdict::Valid, Verdict::Missing, Verdict::Valid],
];
/// Datasets 2..=EXTRA+1 are announced without certificates (Healthy), for paging.
const EXTRA: u8 = 6;

fn root(tag: u8) -> DatasetRoot {
    DatasetRoot::from_le_bytes([tag; 32]).unwrap()
}

fn keypairs() -> Vec<VerifierKeypair> {
    (0..4u8)
        .map(|i| VerifierKeypair::from_seed(&[i + 1; 32]).unwrap())
        .collect()
}

struct Node {
    addr: std::net::SocketAddr,
    client: HealthServiceClient<Channel>,
    channel: Channel,
    changes: HealthChanges,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), GrpcError>>,
    set: VerifierSet,
    store: Arc<MemoryStore>,
}

/// Certifies `VERDICTS` with 4 equal-weight verifiers, stores the certificates, applies them
/// to the view and serves it.
async fn start() -> Node {
    let keys = keypairs();
    let set = VerifierSet {
        effective_from: Period(0),
        members: keys
            .iter()
            .map(|k| VerifierMember {
                key: k.public_key(),
                weight: 1,
            })
            .collect(),
    };
    let store = Arc::new(MemoryStore::new());
    let mut state = HealthState::new(HealthConfig::default());
    for tag in 1..=EXTRA + 1 {
        state.apply(HealthEvent::DatasetAnnounced {
            dataset: root(tag),
            data_slots: 2,
            parity_slots: 1,
        });
    }
    for (p, verdicts) in (1u64..).zip(VERDICTS) {
        let entries: Vec<_> = (0u16..)
            .zip(verdicts)
            .map(|(index, verdict)| SlotVerdict {
                slot: SlotId {
                    dataset: root(1),
                    index,
                },
                verdict,
            })
            .collect();
        let mut pool = AttestationPool::new();
        for (v, kp) in (0u16..).zip(&keys) {
            let batch = sign_batch(kp, VerifierIndex(v), Period(p), entries.clone()).unwrap();
            pool.insert(batch, &set).unwrap();
        }
        let certs = pool.certificates(Period(p), &set);
        assert_eq!(certs.len(), 3);
        store.put_certificates(&certs, &[]).unwrap();
        for c in &certs {
            state.apply(HealthEvent::FinalVerdict {
                slot: c.entry.slot,
                period: c.period,
                verdict: c.entry.verdict,
                certificate: c.content_id(),
            });
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (changes, _) = broadcast::channel(16);
    let api = HealthApi::new(Arc::new(RwLock::new(state)), store.clone(), changes.clone());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve(listener, api, shutdown.clone()));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Node {
        addr,
        client: HealthServiceClient::new(channel.clone()),
        channel,
        changes,
        shutdown,
        task,
        set,
        store,
    }
}

fn code<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> Code {
    r.expect_err("an error status").code()
}

#[tokio::test]
async fn get_dataset_found_unknown_and_malformed() {
    let mut n = start().await;
    let req = |r: String| pb::GetDatasetRequest { dataset_root: r };
    let d = n.client.get_dataset(req(root(1).to_string())).await;
    let d = d.unwrap().into_inner();
    assert_eq!(d.dataset_root, root(1).to_string());
    assert_eq!(d.status, pb::DatasetStatus::AtRisk as i32);
    assert_eq!((d.data_slots, d.parity_slots), (2, 1));
    assert_eq!((d.healthy_slots, d.surviving_slots), (2, 2));
    let states: Vec<_> = d.slots.iter().map(|s| s.state).collect();
    let (healthy, lost) = (pb::SlotState::Healthy as i32, pb::SlotState::Lost as i32);
    assert_eq!(states, [healthy, lost, healthy]);
    let lost_slot = &d.slots[1];
    assert_eq!((lost_slot.misses, lost_slot.since_period), (2, Some(3)));
    assert_eq!(lost_slot.latest_period, Some(3));
    assert_eq!(lost_slot.latest_verdict, pb::Verdict::Missing as i32);
    assert_eq!(lost_slot.evidence.len(), 2);
    assert!(lost_slot.repair_requested);

    let unknown = n.client.get_dataset(req(root(20).to_string())).await;
    assert_eq!(code(unknown), Code::NotFound);
    for bad in ["", "zz", &"ff".repeat(32)] {
        let r = n.client.get_dataset(req(bad.to_owned())).await;
        assert_eq!(code(r), Code::InvalidArgument, "{bad:?}");
    }
}

#[tokio::test]
async fn list_datasets_pages_in_root_order_and_filters_by_status() {
    let mut n = start().await;
    let mut roots = Vec::new();
    let mut page_token = String::new();
    let mut pages = 0;
    loop {
        let req = pb::ListDatasetsRequest {
            page_size: 3,
            page_token,
            status: 0,
        };
        let page = n.client.list_datasets(req).await.unwrap().into_inner();
        assert!(page.datasets.len() <= 3);
        roots.extend(page.datasets.into_iter().map(|d| d.dataset_root));
        pages += 1;
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let expected: Vec<_> = (1..=EXTRA + 1).map(|t| root(t).to_string()).collect();
    assert_eq!(pages, 3);
    assert_eq!(roots, expected, "every dataset once, in root order");

    let at_risk = pb::ListDatasetsRequest {
        status: pb::DatasetStatus::AtRisk as i32,
        ..Default::default()
    };
    let page = n.client.list_datasets(at_risk).await.unwrap().into_inner();
    let got: Vec<_> = page.datasets.iter().map(|d| &d.dataset_root).collect();
    assert_eq!(got, [&root(1).to_string()]);
    assert!(page.next_page_token.is_empty());
    let healthy = pb::ListDatasetsRequest {
        status: pb::DatasetStatus::Healthy as i32,
        page_size: 1000,
        ..Default::default()
    };
    let page = n.client.list_datasets(healthy).await.unwrap().into_inner();
    assert_eq!(page.datasets.len(), usize::from(EXTRA));

    let bad_status = pb::ListDatasetsRequest {
        status: 99,
        ..Default::default()
    };
    assert_eq!(
        code(n.client.list_datasets(bad_status).await),
        Code::InvalidArgument
    );
    let bad_token = pb::ListDatasetsRequest {
        page_token: "nope".into(),
        ..Default::default()
    };
    assert_eq!(
        code(n.client.list_datasets(bad_token).await),
        Code::InvalidArgument
    );
}

#[tokio::test]
async fn get_slot_has_history_newest_first() {
    let mut n = start().await;
    let req = |slot_index, history| pb::GetSlotRequest {
        dataset_root: root(1).to_string(),
        slot_index,
        history,
    };
    let s = n.client.get_slot(req(1, 0)).await.unwrap().into_inner();
    assert_eq!(s.state, pb::SlotState::Lost as i32);
    let history: Vec<_> = s.history.iter().map(|h| (h.period, h.verdict)).collect();
    let (valid, missing) = (pb::Verdict::Valid as i32, pb::Verdict::Missing as i32);
    assert_eq!(history, [(3, missing), (2, missing), (1, valid)]);
    // The evidence of the loss is the two Missing certificates, oldest first.
    let ids: Vec<_> = s.history.iter().map(|h| h.certificate_id.clone()).collect();
    assert_eq!(s.evidence, [ids[1].clone(), ids[0].clone()]);

    let short = n.client.get_slot(req(1, 2)).await.unwrap().into_inner();
    assert_eq!(short.history.len(), 2);
    assert_eq!(short.history[0].period, 3);
    assert_eq!(code(n.client.get_slot(req(3, 0)).await), Code::NotFound);
    assert_eq!(
        code(n.client.get_slot(req(256, 0)).await),
        Code::InvalidArgument
    );
}

#[tokio::test]
async fn get_certificate_returns_canonical_bytes_that_verify() {
    let mut n = start().await;
    let slot = pb::GetSlotRequest {
        dataset_root: root(1).to_string(),
        slot_index: 1,
        history: 1,
    };
    let s = n.client.get_slot(slot).await.unwrap().into_inner();
    let id = s.evidence.last().unwrap().clone();
    let req = |certificate_id| pb::GetCertificateRequest { certificate_id };
    let c = n.client.get_certificate(req(id.clone())).await.unwrap();
    let c = c.into_inner();
    assert_eq!(c.certificate_id, id);
    assert_eq!((c.period, c.slot_index), (3, 1));
    assert_eq!(c.dataset_root, root(1).to_string());
    assert_eq!(c.verdict, pb::Verdict::Missing as i32);
    assert_eq!(c.signers, [0, 1, 2, 3]);
    let decoded = QuorumCertificate::decode(&c.encoded).unwrap();
    assert_eq!(decoded.content_id().to_string(), id);
    verify_certificate(&decoded, &n.set).unwrap();
    let stored = n.store.certificate(&decoded.content_id()).unwrap();
    assert_eq!(stored, Some(decoded));

    let absent = n.client.get_certificate(req("ab".repeat(32))).await;
    assert_eq!(code(absent), Code::NotFound);
    let malformed = n.client.get_certificate(req("xyz".into())).await;
    assert_eq!(code(malformed), Code::InvalidArgument);
}

fn change(sequence: u64, dataset: DatasetRoot) -> pb::HealthChange {
    pb::HealthChange {
        sequence,
        period: 4,
        dataset_root: dataset.to_string(),
        change: Some(pb::health_change::Change::DatasetChanged(
            pb::DatasetChanged {
                from: pb::DatasetStatus::AtRisk as i32,
                to: pb::DatasetStatus::Healthy as i32,
            },
        )),
    }
}

#[tokio::test]
async fn watch_health_streams_changes_of_the_watched_dataset() {
    let mut n = start().await;
    let req = pb::WatchHealthRequest {
        dataset_root: root(1).to_string(),
    };
    // The call returns once the server has subscribed: nothing sent after it is missed.
    let mut stream = n.client.watch_health(req).await.unwrap().into_inner();
    n.changes.send(change(1, root(2))).unwrap();
    n.changes.send(change(2, root(1))).unwrap();
    let got = tokio::time::timeout(WAIT, stream.message()).await.unwrap();
    assert_eq!(
        got.unwrap(),
        Some(change(2, root(1))),
        "root(2) filtered out"
    );

    let bad = pb::WatchHealthRequest {
        dataset_root: "12".into(),
    };
    assert_eq!(
        code(n.client.watch_health(bad).await),
        Code::InvalidArgument
    );
}

#[tokio::test]
async fn watch_health_ends_with_resource_exhausted_when_lagging() {
    let mut n = start().await;
    let req = pb::WatchHealthRequest::default();
    let mut stream = n.client.watch_health(req).await.unwrap().into_inner();
    // Single-threaded test runtime: the server cannot drain the broadcast during this loop.
    for seq in 0..64 {
        n.changes.send(change(seq, root(1))).unwrap();
    }
    let got = tokio::time::timeout(WAIT, stream.message()).await.unwrap();
    assert_eq!(code(got), Code::ResourceExhausted);
}

#[tokio::test]
async fn grpc_health_check_reports_serving() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    let n = start().await;
    let mut health = HealthClient::new(n.channel.clone());
    for service in ["", "proofmesh.v1.HealthService"] {
        let req = HealthCheckRequest {
            service: service.into(),
        };
        let status = health.check(req).await.unwrap().into_inner().status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
}

#[tokio::test]
async fn reflection_lists_the_health_service() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let n = start().await;
    let mut reflection = ServerReflectionClient::new(n.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let response = tokio::time::timeout(WAIT, responses.message()).await;
    let response = response.unwrap().unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("not a list: {response:?}");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    for expected in ["proofmesh.v1.HealthService", "grpc.health.v1.Health"] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn shutdown_ends_watch_streams_and_serve_returns() {
    let mut n = start().await;
    let req = pb::WatchHealthRequest::default();
    let mut stream = n.client.watch_health(req).await.unwrap().into_inner();
    n.shutdown.cancel();
    let got = tokio::time::timeout(WAIT, stream.message()).await.unwrap();
    assert_eq!(code(got), Code::Unavailable);
    drop((stream, n.client, n.channel));
    // Well inside the server's 5 s grace: the open stream did not hold shutdown up.
    let served = tokio::time::timeout(Duration::from_secs(3), n.task).await;
    served.unwrap().unwrap().unwrap();
}

/// `proofmesh health` as a real process: the table, JSON, and exit 2 naming the address.
#[tokio::test]
async fn health_cli_prints_table_and_json() {
    let n = start().await;
    let addr = n.addr.to_string();
    let run = |args: Vec<String>| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_proofmesh"))
            .arg("health")
            .args(args)
            .output()
            .await
            .unwrap()
    };
    let table = run(vec!["--addr".into(), addr.clone()]).await;
    assert!(table.status.success(), "{table:?}");
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("AT_RISK  K=2 M=1  healthy 2/3  surviving 2/3"),
        "{text}"
    );
    assert!(text.contains("lost            2  3 missing"), "{text}");

    let json = run(vec!["--addr".into(), addr.clone(), "--json".into()]).await;
    assert!(json.status.success(), "{json:?}");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let datasets = v["datasets"].as_array().unwrap();
    assert_eq!(datasets.len(), usize::from(EXTRA) + 1);
    assert_eq!(datasets[0]["dataset_root"], root(1).to_string());
    assert_eq!(datasets[0]["status"], "at_risk");
    assert_eq!(datasets[0]["slots"][1]["state"], "lost");

    let one = vec![
        "--addr".into(),
        addr,
        "--dataset".into(),
        root(2).to_string(),
    ];
    let one = run(one).await;
    let text = String::from_utf8(one.stdout).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("dataset ")).count(),
        1
    );

    // A port nobody listens on: the listener is closed once bound and dropped.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap().to_string();
    drop(closed);
    let refused = run(vec!["--addr".into(), dead.clone()]).await;
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(stderr.contains(&format!("http://{dead}")), "{stderr}");
}
