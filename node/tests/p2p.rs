#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The libp2p layer with real swarms on 127.0.0.1: discovery and mesh, delivery of decoded
//! messages, forwarding only after `Accept`, rejection of malformed and oversized gossip (and
//! its metric), full queues, a sync round trip, a peer of another implementation echoing our
//! own messages back, and metric labels that stay bounded. Every wait polls a condition under
//! an explicit timeout.

mod common;

use common::{announce, assign, batch, envelope, wait_until_async};
use futures::StreamExt;
use libp2p::gossipsub::{self, MessageAuthenticity, ValidationMode};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::{noise, tcp, yamux, Multiaddr, PeerId, Swarm, SwarmBuilder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use proofmesh_node::p2p::{
    encode_message, spawn, GossipMessage, Inbound, MessageRef, P2pConfig, P2pHandle, P2pInbound,
    Topic,
};
use proofmesh_proto::*;
use proofmesh_verifier::intake::GossipAction;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(10);
/// How often a wait polls.
const POLL: Duration = Duration::from_millis(50);

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
        let mut want = peers.to_vec();
        want.sort();
        let what = format!("mesh of {topic} at {} = {want:?}", self.id());
        wait_until_async(WAIT, POLL, &what, || async {
            let mut mesh = self.handle.mesh_peers(topic).await.unwrap();
            mesh.sort();
            mesh == want
        })
        .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_discover_each_other_and_deliver_decoded_messages() {
    let a = Node::start(1, &[], true, 16).await;
    let mut b = Node::start(2, &[&a], true, 16).await;
    let mut c = Node::start(3, &[&a], true, 16).await;
    // b and c only know a: they find each other through Kademlia.
    a.wait_mesh(Topic::Registry, &[b.id(), c.id()]).await;
    b.wait_mesh(Topic::Registry, &[a.id(), c.id()]).await;
    c.wait_mesh(Topic::Registry, &[a.id(), b.id()]).await;

    for (sent, expect_announce) in [
        (encode_message(&GossipMessage::Announce(announce(7))), true),
        (
            encode_message(&GossipMessage::Assign(assign(7, 3, 10))),
            false,
        ),
    ] {
        a.handle.publish(Topic::Registry, sent).await.unwrap();
        for node in [&mut b, &mut c] {
            let (msg, message) = next_gossip(&mut node.inbound.control, WAIT).await.unwrap();
            assert_eq!(msg.topic, Topic::Registry);
            match message {
                GossipMessage::Announce(m) if expect_announce => assert_eq!(m, announce(7)),
                GossipMessage::Assign(m) if !expect_announce => assert_eq!(m, assign(7, 3, 10)),
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
        .publish(
            Topic::Proofs,
            encode_message(&GossipMessage::Proof(envelope(7, 1))),
        )
        .await
        .unwrap();
    let (msg, message) = next_gossip(&mut b.inbound.proofs, WAIT).await.unwrap();
    assert!(matches!(message, GossipMessage::Proof(p) if p == envelope(7, 1)));
    assert_eq!(msg.propagation_source, a.id());
    // Unvalidated at b: not forwarded, not even advertised over heartbeats of IHAVE gossip.
    assert!(
        next_gossip(&mut c.inbound.proofs, Duration::from_millis(1500))
            .await
            .is_none()
    );

    b.handle.report(msg, GossipAction::Accept).await.unwrap();
    let (msg, message) = next_gossip(&mut c.inbound.proofs, WAIT).await.unwrap();
    assert!(matches!(message, GossipMessage::Proof(p) if p == envelope(7, 1)));
    assert_eq!(msg.propagation_source, b.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_gossip_is_rejected_and_never_delivered() {
    let metrics = metrics();
    let a = Node::start(21, &[], false, 16).await;
    let mut b = Node::start(22, &[&a], false, 16).await;
    for t in [Topic::Proofs, Topic::Registry, Topic::Certificates] {
        a.wait_mesh(t, &[b.id()]).await;
        b.wait_mesh(t, &[a.id()]).await;
    }
    assert!(b.handle.peer_score(a.id()).await.unwrap().unwrap() >= 0.0);

    // a misbehaves: garbage, two oversized registry payloads (just over the topic's limit, and
    // far over it: gossipsub would have dropped that one uncounted with a per-topic limit), and
    // a valid message of the wrong kind for its topic.
    a.handle
        .publish(Topic::Proofs, b"\x0a\xffgarbage".to_vec())
        .await
        .unwrap();
    for len in [Topic::Registry.max_payload() + 1, 64 << 10] {
        a.handle
            .publish(Topic::Registry, vec![0x08; len])
            .await
            .unwrap();
    }
    a.handle
        .publish(
            Topic::Certificates,
            encode_message(&GossipMessage::Announce(announce(7))),
        )
        .await
        .unwrap();
    // Then a valid proof: messages from one peer arrive in order, so when it is delivered the
    // four before it have been handled.
    a.handle
        .publish(
            Topic::Proofs,
            encode_message(&GossipMessage::Proof(envelope(7, 2))),
        )
        .await
        .unwrap();

    let (_, message) = next_gossip(&mut b.inbound.proofs, WAIT).await.unwrap();
    assert!(matches!(message, GossipMessage::Proof(p) if p == envelope(7, 2)));
    assert!(b.inbound.proofs.try_recv().is_err());
    while let Ok(event) = b.inbound.control.try_recv() {
        assert!(
            !matches!(event, Inbound::Gossip { .. }),
            "delivered: {event:?}"
        );
    }
    // Rejected, not ignored: a's score at b went below zero (4 invalid messages: -60 on proofs,
    // -20 × 2² on the registry, -60 on certificates).
    let score = b.handle.peer_score(a.id()).await.unwrap().unwrap();
    assert!(score < -100.0, "score {score}");
    // Both oversized payloads were counted (no other test of this binary sends any).
    let oversized = counter(
        &metrics.render(),
        "proofmesh_gossip_oversized_total{topic=\"registry\"}",
    );
    assert_eq!(oversized, 2.0);
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
        .publish(
            Topic::Proofs,
            encode_message(&GossipMessage::Proof(envelope(7, 3))),
        )
        .await
        .unwrap();
    a.handle
        .publish(
            Topic::Proofs,
            encode_message(&GossipMessage::Proof(envelope(7, 4))),
        )
        .await
        .unwrap();
    a.handle
        .publish(
            Topic::Registry,
            encode_message(&GossipMessage::Announce(announce(7))),
        )
        .await
        .unwrap();
    // The registry message comes last: once it is delivered, both proofs were handled.
    assert!(next_gossip(&mut b.inbound.control, WAIT).await.is_some());
    let (_, first) = next_gossip(&mut b.inbound.proofs, WAIT).await.unwrap();
    assert!(matches!(first, GossipMessage::Proof(p) if p == envelope(7, 3)));
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
        batch(7, 5).encode(),
        b"not a batch".to_vec(),
        batch(7, 6).encode(),
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
    assert_eq!(batches, vec![batch(7, 5), batch(7, 6)]);
}

/// The Prometheus recorder of this test process (installed once; every swarm of every test of
/// this binary records into it, so tests read only what they alone cause).
fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| PrometheusBuilder::new().install_recorder().unwrap())
}

/// The value of one series in a Prometheus text rendering (0 when absent).
fn counter(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A gossipsub peer as another implementation behaves: it forwards every message to every
/// subscribed peer but the one it came from, and re-publishes what it receives — here, each
/// message whose source is `origin` (our node) is sent back to it `echoes` times, then one
/// new message is sent as a marker. It signs with `origin`'s key, as the original's author
/// (rust-libp2p never forwards a message to its source, so an echo has to be built: same
/// source, same payload — hence the same content id at our node — but a new sequence number
/// and signature, as a re-publish by another implementation carries). Default message ids
/// (source + sequence number) make every re-publish a new message here.
async fn start_echoer(origin: &Keypair, dial: Multiaddr, echoes: usize, marker: Vec<u8>) -> PeerId {
    let config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(Duration::from_millis(200))
        .validation_mode(ValidationMode::Strict)
        .build()
        .unwrap();
    let gossip =
        gossipsub::Behaviour::new(MessageAuthenticity::Signed(origin.clone()), config).unwrap();
    let mut swarm: Swarm<gossipsub::Behaviour> = SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| gossip)
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    for t in Topic::ALL {
        swarm.behaviour_mut().subscribe(&t.ident()).unwrap();
    }
    swarm.dial(dial).unwrap();
    let id = *swarm.local_peer_id();
    let origin = origin.public().to_peer_id();
    tokio::spawn(async move {
        loop {
            let event = swarm.select_next_some().await;
            let libp2p::swarm::SwarmEvent::Behaviour(gossipsub::Event::Message { message, .. }) =
                event
            else {
                continue;
            };
            if message.source != Some(origin) {
                continue;
            }
            let gossip = swarm.behaviour_mut();
            for _ in 0..echoes {
                gossip
                    .publish(message.topic.clone(), message.data.clone())
                    .unwrap();
            }
            gossip
                .publish(message.topic.clone(), marker.clone())
                .unwrap();
        }
    });
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoes_of_our_own_messages_cost_the_echoing_peer_nothing() {
    let keypair = Keypair::ed25519_from_bytes([51; 32]).unwrap();
    let mut node = Node::start(51, &[], false, 16).await;
    let marker = encode_message(&GossipMessage::Proof(envelope(7, 99)));
    let echoer = start_echoer(&keypair, node.addr.clone(), 5, marker).await;
    node.wait_mesh(Topic::Proofs, &[echoer]).await;

    node.handle
        .publish(
            Topic::Proofs,
            encode_message(&GossipMessage::Proof(envelope(7, 1))),
        )
        .await
        .unwrap();
    // The echoes come before the marker on the same connection, so once the marker is here,
    // all five were handled: they are duplicates of our own message (never delivered), and the
    // peer's score did not move below zero.
    let Some((msg, message)) = next_gossip(&mut node.inbound.proofs, WAIT).await else {
        let score = node.handle.peer_score(echoer).await.unwrap();
        panic!("the marker after the echoes never came: they were held against the peer (score {score:?})");
    };
    assert!(
        matches!(&message, GossipMessage::Proof(p) if *p == envelope(7, 99)),
        "an echo was delivered as new: {message:?}"
    );
    assert_eq!(msg.propagation_source, echoer);
    node.handle.report(msg, GossipAction::Ignore).await.unwrap();
    assert!(node.inbound.proofs.try_recv().is_err());

    let score = node.handle.peer_score(echoer).await.unwrap().unwrap();
    assert!(score >= 0.0, "echoes cost the peer: score {score}");
    // Still meshed: neither pruned for a negative score nor graylisted.
    assert_eq!(
        node.handle.mesh_peers(Topic::Proofs).await.unwrap(),
        vec![echoer]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_metric_series_is_labelled_by_peer() {
    let metrics = metrics();
    let a = Node::start(61, &[], false, 16).await;
    let b = Node::start(62, &[&a], false, 16).await;
    a.wait_mesh(Topic::Proofs, &[b.id()]).await;
    // The metrics tick (1 s) has scored the connected peers by band.
    wait_until_async(WAIT, POLL, "peers counted by score band", || async {
        metrics
            .render()
            .contains("proofmesh_peers_by_score{band=\"positive\"}")
    })
    .await;
    let a_id = a.id().to_string();
    drop(a);
    b.wait_mesh(Topic::Proofs, &[]).await;
    // A per-peer series would outlive its peer (the exporter cannot delete one): there is none.
    let text = metrics.render();
    assert!(
        !text.contains("peer=\""),
        "a series labelled by peer:\n{text}"
    );
    assert!(
        !text.contains(&a_id),
        "a departed peer is still in the metrics:\n{text}"
    );
    for band in [
        "positive",
        "negative",
        "no_gossip",
        "no_publish",
        "graylisted",
    ] {
        assert!(
            text.contains(&format!("proofmesh_peers_by_score{{band=\"{band}\"}}")),
            "band {band} missing:\n{text}"
        );
    }
}
