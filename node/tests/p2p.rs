#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The libp2p layer with real swarms on 127.0.0.1: discovery and mesh, delivery of decoded
//! messages, forwarding only after `Accept`, rejection of malformed gossip, full queues, and a
//! sync round trip. Every wait polls a condition under an explicit timeout.

use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use proofmesh_node::p2p::{
    spawn, GossipMessage, Inbound, MessageRef, P2pConfig, P2pHandle, P2pInbound, Topic,
};
use proofmesh_proto::*;
use proofmesh_verifier::intake::GossipAction;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::{sleep, timeout, Instant};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(10);

struct Node {
    handle: P2pHandle,
    inbound: P2pInbound,
    addr: Multiaddr,
    _guard: tokio_util::sync::DropGuard,
}

impl Node {
    fn id(&self) -> PeerId {
        self.handle.local_peer_id
    }

    async fn start(seed: u8, bootstrap: &[&Node], discovery: bool, proofs_queue: usize) -> Node {
        let keypair = Keypair::ed25519_from_bytes([seed; 32]).unwrap();
        let mut config = P2pConfig::new(
            keypair,
            vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
            bootstrap.iter().map(|n| n.addr.clone()).collect(),
        );
        config.discovery = discovery;
        config.proofs_queue = proofs_queue;
        let shutdown = CancellationToken::new();
        let (handle, inbound, addrs) = spawn(config, shutdown.clone()).await.unwrap();
        assert_eq!(addrs.len(), 1);
        assert!(
            !addrs[0].to_string().ends_with("/tcp/0"),
            "real port: {addrs:?}"
        );
        let addr = addrs[0].clone().with(Protocol::P2p(handle.local_peer_id));
        Node {
            handle,
            inbound,
            addr,
            _guard: shutdown.drop_guard(),
        }
    }

    /// Waits until our mesh for `topic` holds exactly `peers`.
    async fn wait_mesh(&self, topic: Topic, peers: &[PeerId]) {
        let deadline = Instant::now() + WAIT;
        loop {
            let mut mesh = self.handle.mesh_peers(topic).await.unwrap();
            mesh.sort();
            let mut want = peers.to_vec();
            want.sort();
            if mesh == want {
                return;
            }
            assert!(Instant::now() < deadline, "mesh {mesh:?}, want {want:?}");
            sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The next gossip message on `rx` (skipping peer events), or `None` after `within`.
async fn next_gossip(
    rx: &mut Receiver<Inbound>,
    within: Duration,
) -> Option<(MessageRef, GossipMessage)> {
    timeout(within, async {
        loop {
            match rx.recv().await.expect("p2p task alive") {
                Inbound::Gossip { msg, message } => return (msg, message),
                _ => continue,
            }
        }
    })
    .await
    .ok()
}

fn root(b: u8) -> DatasetRoot {
    let mut bytes = [b; 32];
    bytes[31] = 0x01;
    DatasetRoot::from_le_bytes(bytes).unwrap()
}

fn announce() -> DatasetAnnounce {
    DatasetAnnounce {
        root: root(7),
        data_slots: 4,
        parity_slots: 2,
        proof_probability: 4,
        cells_per_slot: 512,
        owner: ProviderKey([1; 32]),
        signature: ProviderSignature([2; 64]),
    }
}

fn assign() -> SlotAssign {
    SlotAssign {
        slot: SlotId {
            dataset: root(7),
            index: 3,
        },
        provider: ProviderKey([3; 32]),
        from_period: Period(10),
        signature: ProviderSignature([4; 64]),
    }
}

fn envelope(period: u64) -> ProofEnvelope {
    ProofEnvelope {
        slot: SlotId {
            dataset: root(7),
            index: 5,
        },
        period: Period(period),
        circuit_id: CircuitId([9; 32]),
        proof: [5; PROOF_BYTES],
        provider: ProviderKey([3; 32]),
        signature: ProviderSignature([6; 64]),
    }
}

fn batch(period: u64) -> AttestationBatch {
    AttestationBatch {
        verifier: VerifierIndex(2),
        period: Period(period),
        entries: vec![SlotVerdict {
            slot: SlotId {
                dataset: root(7),
                index: 0,
            },
            verdict: Verdict::Valid,
        }],
        signature: BlsSignature([8; 96]),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_discover_each_other_and_deliver_decoded_messages() {
    let a = Node::start(1, &[], true, 16).await;
    let mut b = Node::start(2, &[&a], true, 16).await;
    let mut c = Node::start(3, &[&a], true, 16).await;
    // b and c only know a: they find each other through Kademlia.
    a.wait_mesh(Topic::Registry, &[b.id(), c.id()]).await;
    b.wait_mesh(Topic::Registry, &[a.id(), c.id()]).await;
    c.wait_mesh(Topic::Registry, &[a.id(), b.id()]).await;

    for (sent, expect_announce) in [(announce().encode(), true), (assign().encode(), false)] {
        a.handle.publish(Topic::Registry, sent).await.unwrap();
        for node in [&mut b, &mut c] {
            let (msg, message) = next_gossip(&mut node.inbound.control, WAIT).await.unwrap();
            assert_eq!(msg.topic, Topic::Registry);
            match message {
                GossipMessage::Announce(m) if expect_announce => assert_eq!(m, announce()),
                GossipMessage::Assign(m) if !expect_announce => assert_eq!(m, assign()),
                other => panic!("unexpected {other:?}"),
            }
            node.handle.report(msg, GossipAction::Accept).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_is_forwarded_only_after_accept() {
    // A line a - b - c without discovery: c hears a's messages only through b.
    let a = Node::start(11, &[], false, 16).await;
    let mut b = Node::start(12, &[&a], false, 16).await;
    let mut c = Node::start(13, &[&b], false, 16).await;
    a.wait_mesh(Topic::Proofs, &[b.id()]).await;
    b.wait_mesh(Topic::Proofs, &[a.id(), c.id()]).await;
    c.wait_mesh(Topic::Proofs, &[b.id()]).await;

    a.handle
        .publish(Topic::Proofs, envelope(1).encode())
        .await
        .unwrap();
    let (msg, message) = next_gossip(&mut b.inbound.proofs, WAIT).await.unwrap();
    assert!(matches!(message, GossipMessage::Proof(p) if p == envelope(1)));
    assert_eq!(msg.propagation_source, a.id());
    // Unvalidated at b: not forwarded, not even advertised over heartbeats of IHAVE gossip.
    assert!(
        next_gossip(&mut c.inbound.proofs, Duration::from_millis(1500))
            .await
            .is_none()
    );

    b.handle.report(msg, GossipAction::Accept).await.unwrap();
    let (msg, message) = next_gossip(&mut c.inbound.proofs, WAIT).await.unwrap();
    assert!(matches!(message, GossipMessage::Proof(p) if p == envelope(1)));
    assert_eq!(msg.propagation_source, b.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_gossip_is_rejected_and_never_delivered() {
    let a = Node::start(21, &[], false, 16).await;
    let mut b = Node::start(22, &[&a], false, 16).await;
    for t in [Topic::Proofs, Topic::Registry, Topic::Certificates] {
        a.wait_mesh(t, &[b.id()]).await;
        b.wait_mesh(t, &[a.id()]).await;
    }
    assert!(b.handle.peer_score(a.id()).await.unwrap().unwrap() >= 0.0);

    // a misbehaves: garbage, an oversized registry payload (over the decoder's limit, under
    // gossipsub's), and a valid message of the wrong kind for its topic.
    a.handle
        .publish(Topic::Proofs, b"\x0a\xffgarbage".to_vec())
        .await
        .unwrap();
    let oversized = vec![0x08; DatasetAnnounce::MAX_BYTES + 100];
    a.handle.publish(Topic::Registry, oversized).await.unwrap();
    a.handle
        .publish(Topic::Certificates, announce().encode())
        .await
        .unwrap();
    // Then a valid proof: messages from one peer arrive in order, so when it is delivered the
    // three before it have been handled.
    a.handle
        .publish(Topic::Proofs, envelope(2).encode())
        .await
        .unwrap();

    let (_, message) = next_gossip(&mut b.inbound.proofs, WAIT).await.unwrap();
    assert!(matches!(message, GossipMessage::Proof(p) if p == envelope(2)));
    assert!(b.inbound.proofs.try_recv().is_err());
    while let Ok(event) = b.inbound.control.try_recv() {
        assert!(
            !matches!(event, Inbound::Gossip { .. }),
            "delivered: {event:?}"
        );
    }
    // Rejected, not ignored: a's score at b went below zero (3 invalid messages).
    let score = b.handle.peer_score(a.id()).await.unwrap().unwrap();
    assert!(score < -100.0, "score {score}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_with_ignore_not_reject() {
    let a = Node::start(31, &[], false, 16).await;
    let mut b = Node::start(32, &[&a], false, 1).await;
    for t in [Topic::Proofs, Topic::Registry] {
        a.wait_mesh(t, &[b.id()]).await;
        b.wait_mesh(t, &[a.id()]).await;
    }

    a.handle
        .publish(Topic::Proofs, envelope(3).encode())
        .await
        .unwrap();
    a.handle
        .publish(Topic::Proofs, envelope(4).encode())
        .await
        .unwrap();
    a.handle
        .publish(Topic::Registry, announce().encode())
        .await
        .unwrap();
    // The registry message comes last: once it is delivered, both proofs were handled.
    assert!(next_gossip(&mut b.inbound.control, WAIT).await.is_some());
    let (_, first) = next_gossip(&mut b.inbound.proofs, WAIT).await.unwrap();
    assert!(matches!(first, GossipMessage::Proof(p) if p == envelope(3)));
    assert!(
        b.inbound.proofs.try_recv().is_err(),
        "the second proof was dropped"
    );
    let score = b.handle.peer_score(a.id()).await.unwrap().unwrap();
    assert!(score >= 0.0, "ignored, not penalised: {score}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_round_trip_returns_decoded_batches() {
    let mut a = Node::start(41, &[], false, 16).await;
    let mut b = Node::start(42, &[&a], false, 16).await;
    b.wait_mesh(Topic::Attestations, &[a.id()]).await;

    b.handle.request_sync(a.id(), Period(5)).await.unwrap();
    let channel = timeout(WAIT, async {
        loop {
            if let Inbound::SyncRequest { from, channel } = a.inbound.control.recv().await.unwrap()
            {
                assert_eq!(from, Period(5));
                return channel;
            }
        }
    })
    .await
    .unwrap();
    let answer = vec![
        batch(5).encode(),
        b"not a batch".to_vec(),
        batch(6).encode(),
    ];
    a.handle.respond_sync(channel, answer).await.unwrap();

    let (peer, batches) = timeout(WAIT, async {
        loop {
            if let Inbound::SyncResponse { peer, batches } = b.inbound.control.recv().await.unwrap()
            {
                return (peer, batches);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(peer, a.id());
    assert_eq!(batches, vec![batch(5), batch(6)]);
}
