//! Gossipsub peer scoring tuned for proofmesh's topics.
//!
//! Our topics are low-rate and bursty (proofs and attestations arrive around period
//! boundaries, certificates once per slot and period, registry and repair rarely), and networks
//! are small (3 to a few hundred verifiers). So:
//! - **P4 invalid deliveries dominate.** A peer only forwards what it validated, so an invalid
//!   proof, attestation or certificate from a peer is its fault. One costs -60 (below zero even
//!   with all positive credit, which is capped at [`TOPIC_SCORE_CAP`]); two cost -240 (no more
//!   gossip to or from it, no publishing to it); three cost -540 (graylisted: its RPCs are
//!   ignored). Registry and repair messages weigh less (-20 each, graylisted at five): their
//!   checks depend on local state more often. The counter decays to 10 % in an hour.
//! - **P3 mesh-delivery deficits are off.** With quiet periods an honest peer delivers nothing
//!   for minutes; penalising that would churn the mesh of a small network.
//! - **P1/P2 are small positives** (time in mesh, first deliveries), capped so that no credit
//!   outweighs one invalid message.
//! - **P6 IP colocation** tolerates 16 peers per IP (NATed deployments) and ignores loopback
//!   (a devnet's nodes all share 127.0.0.1);
//!   **P7 behaviour penalties** (GRAFT during backoff, broken IWANT promises) as upstream.
//! - **P5, the application score, counts bad blocks**: a peer that served a block failing its
//!   slot root (or broke the block protocol) gets [`BAD_BLOCKS_WEIGHT`] × count², the same
//!   weight as invalid proofs, so one bad response outweighs all credit and three graylist it.
//!   The count is forgotten [`BAD_BLOCKS_RETAIN`] after the peer's last bad response.

use super::Topic;
use libp2p::gossipsub::{
    score_parameter_decay, PeerScoreParams, PeerScoreThresholds, TopicScoreParams,
};
use std::time::Duration;

/// Cap on the sum of the positive topic contributions (P1 + P2 over all topics).
pub(crate) const TOPIC_SCORE_CAP: f64 = 50.0;
/// P4 weight of the proof, attestation and certificate topics (score: -weight × count²).
pub(crate) const INVALID_WEIGHT_STRICT: f64 = -60.0;
/// P4 weight of the registry and repair topics.
pub(crate) const INVALID_WEIGHT_LENIENT: f64 = -20.0;

// The calibration the module doc promises, checked at compile time: one invalid proof outweighs
// all credit, two pass the publish threshold, three graylist; four registry messages do not
// graylist, five do.
const _: () = {
    assert!(INVALID_WEIGHT_STRICT + TOPIC_SCORE_CAP < 0.0);
    assert!(INVALID_WEIGHT_STRICT * 4.0 < PUBLISH_THRESHOLD);
    assert!(INVALID_WEIGHT_STRICT * 9.0 < GRAYLIST_THRESHOLD);
    assert!(INVALID_WEIGHT_STRICT * 1.0 > GOSSIP_THRESHOLD);
    assert!(INVALID_WEIGHT_LENIENT * 16.0 > GRAYLIST_THRESHOLD);
    assert!(INVALID_WEIGHT_LENIENT * 25.0 < GRAYLIST_THRESHOLD);
};

/// Weight of bad block responses in the application score (P5, weight 1): -60 × count².
pub(crate) const BAD_BLOCKS_WEIGHT: f64 = INVALID_WEIGHT_STRICT;
/// How long a peer's bad-block count is kept after its last bad response (as long as
/// gossipsub retains a disconnected peer's score).
pub(crate) const BAD_BLOCKS_RETAIN: Duration = Duration::from_secs(3600);

/// The application score of a peer that served `count` bad block responses.
pub(crate) fn bad_blocks_score(count: u32) -> f64 {
    BAD_BLOCKS_WEIGHT * f64::from(count) * f64::from(count)
}

/// Below this no IHAVE/IWANT gossip with the peer.
const GOSSIP_THRESHOLD: f64 = -100.0;
/// Below this we do not publish to the peer.
const PUBLISH_THRESHOLD: f64 = -200.0;
/// Below this the peer's RPCs are ignored.
const GRAYLIST_THRESHOLD: f64 = -400.0;

/// The score bands of the `proofmesh_peers_by_score` gauge, best first: a label and the lowest
/// score in the band (the last band has no floor). Bands, not one series per peer, so the
/// metric's cardinality stays fixed however many peers come and go.
pub(crate) const SCORE_BANDS: [(&str, f64); 5] = [
    ("positive", 0.0),
    ("negative", GOSSIP_THRESHOLD),
    ("no_gossip", PUBLISH_THRESHOLD),
    ("no_publish", GRAYLIST_THRESHOLD),
    ("graylisted", f64::NEG_INFINITY),
];

/// The band of a score: the first whose floor it reaches.
pub(crate) fn band(score: f64) -> usize {
    SCORE_BANDS
        .iter()
        .position(|&(_, floor)| score >= floor)
        .unwrap_or(SCORE_BANDS.len() - 1)
}

/// Score thresholds: below 0 a peer loses credit, below -100 no gossip (IHAVE/IWANT) with it,
/// below -200 we do not publish to it, below -400 its RPCs are ignored.
pub(crate) fn thresholds() -> PeerScoreThresholds {
    PeerScoreThresholds {
        gossip_threshold: GOSSIP_THRESHOLD,
        publish_threshold: PUBLISH_THRESHOLD,
        graylist_threshold: GRAYLIST_THRESHOLD,
        accept_px_threshold: 10.0,
        opportunistic_graft_threshold: 2.0,
    }
}

/// Per-topic parameters (see the module doc).
fn topic_params(topic: Topic) -> TopicScoreParams {
    let (invalid_weight, first_deliveries_cap) = match topic {
        Topic::Proofs => (INVALID_WEIGHT_STRICT, 40.0),
        Topic::Attestations | Topic::Certificates => (INVALID_WEIGHT_STRICT, 20.0),
        Topic::Registry | Topic::Repair | Topic::Heartbeats => (INVALID_WEIGHT_LENIENT, 10.0),
    };
    TopicScoreParams {
        topic_weight: 1.0,
        // P1: +0.01 per second in the mesh, at most +3 after five minutes.
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 300.0,
        // P2: +0.5 per first delivery, decaying to 10 % in ten minutes.
        first_message_deliveries_weight: 0.5,
        first_message_deliveries_decay: score_parameter_decay(Duration::from_secs(600)),
        first_message_deliveries_cap: first_deliveries_cap,
        // P3, P3b: off (bursty, low-rate topics).
        mesh_message_deliveries_weight: 0.0,
        mesh_message_deliveries_decay: 0.5,
        mesh_message_deliveries_cap: 1.0,
        mesh_message_deliveries_threshold: 1.0,
        mesh_message_deliveries_window: Duration::from_millis(10),
        mesh_message_deliveries_activation: Duration::from_secs(60),
        mesh_failure_penalty_weight: 0.0,
        mesh_failure_penalty_decay: 0.5,
        // P4: decays to 10 % in an hour.
        invalid_message_deliveries_weight: invalid_weight,
        invalid_message_deliveries_decay: score_parameter_decay(Duration::from_secs(3600)),
    }
}

/// Peer score parameters for all our topics.
pub(crate) fn params() -> PeerScoreParams {
    PeerScoreParams {
        topics: Topic::ALL
            .into_iter()
            .map(|t| (t.hash(), topic_params(t)))
            .collect(),
        topic_score_cap: TOPIC_SCORE_CAP,
        app_specific_weight: 1.0,
        ip_colocation_factor_weight: -5.0,
        ip_colocation_factor_threshold: 16.0,
        // Loopback peers are this machine's own nodes (a devnet): a 50-node local mesh must
        // not read as a Sybil attack from 127.0.0.1.
        ip_colocation_factor_whitelist: [
            std::net::IpAddr::from(std::net::Ipv4Addr::LOCALHOST),
            std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ]
        .into_iter()
        .collect(),
        behaviour_penalty_weight: -10.0,
        behaviour_penalty_threshold: 3.0,
        behaviour_penalty_decay: score_parameter_decay(Duration::from_secs(300)),
        decay_interval: Duration::from_secs(1),
        decay_to_zero: 0.01,
        retain_score: Duration::from_secs(3600),
        ..PeerScoreParams::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_thresholds() {
        let label = |s| SCORE_BANDS[band(s)].0;
        assert_eq!(label(12.0), "positive");
        assert_eq!(label(0.0), "positive");
        assert_eq!(label(-0.5), "negative");
        assert_eq!(label(-100.0), "negative");
        assert_eq!(label(-150.0), "no_gossip");
        assert_eq!(label(-240.0), "no_publish");
        assert_eq!(label(-400.0), "no_publish");
        assert_eq!(label(-540.0), "graylisted");
        assert_eq!(label(f64::NAN), "graylisted");
    }

    #[test]
    fn bad_blocks_weigh_like_invalid_proofs() {
        assert_eq!(bad_blocks_score(0), 0.0);
        assert!(bad_blocks_score(1) + TOPIC_SCORE_CAP < 0.0);
        assert!(bad_blocks_score(2) < PUBLISH_THRESHOLD);
        assert!(bad_blocks_score(3) < GRAYLIST_THRESHOLD);
        assert_eq!(params().app_specific_weight, 1.0);
    }

    #[test]
    fn parameters_validate() {
        params().validate().unwrap();
        thresholds().validate().unwrap();
    }
}
