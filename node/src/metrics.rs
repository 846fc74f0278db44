//! Every metric the node exports, in one place: names (`proofmesh_<subsystem>_<thing>_<unit>`,
//! `_total` for counters), their help text, and the Prometheus `/metrics` endpoint.
//!
//! Call sites use the `metrics` macros with these constants, e.g.
//! `metrics::counter!(PROOFS_REJECTED, "reason" => err.reason()).increment(1)`.

use metrics_exporter_prometheus::PrometheusBuilder;
use std::net::SocketAddr;

/// Proofs received from gossip (decoded), before any check.
pub const PROOFS_RECEIVED: &str = "proofmesh_proofs_received_total";
/// Proofs that verified.
pub const PROOFS_VERIFIED: &str = "proofmesh_proofs_verified_total";
/// Proofs refused, label `reason` (`IntakeError::reason`).
pub const PROOFS_REJECTED: &str = "proofmesh_proofs_rejected_total";
/// Registry messages (announcements, slot assignments) refused as the sender's fault, labels
/// `kind` (`announce`, `assign`) and `reason` (`IntakeError::reason`: `not_owner` is a slot
/// assignment its dataset's owner did not sign, a takeover attempt).
pub const REGISTRY_REJECTED: &str = "proofmesh_registry_rejected_total";
/// Proofs published by this node's prover role.
pub const PROOFS_PUBLISHED: &str = "proofmesh_proofs_published_total";
/// Registry records of the Kademlia DHT, labels `op` (put, get, inbound_put) and `outcome`.
pub const DHT_RECORDS: &str = "proofmesh_dht_records_total";
/// Repair requests received, label `outcome` (`verified`, or why the evidence was refused).
pub const REPAIR_REQUESTS: &str = "proofmesh_repair_requests_total";
/// Repairs by step: `decided` (a volunteer won the claims of a lost slot), `expired` (it
/// did not deliver in time).
pub const REPAIRS: &str = "proofmesh_repairs_total";
/// Bytes of slot data a volunteer fetched to rebuild slots it won.
pub const REPAIR_BYTES_FETCHED: &str = "proofmesh_repair_bytes_fetched_total";
/// Seconds a volunteer took to rebuild a slot it won (locate, fetch K, decode, check).
pub const REPAIR_SECONDS: &str = "proofmesh_repair_seconds";
/// Heartbeats published by this node's prover role.
pub const HEARTBEATS_PUBLISHED: &str = "proofmesh_heartbeats_published_total";
/// Proving failures of this node's prover role, label `reason`.
pub const PROVE_FAILURES: &str = "proofmesh_prove_failures_total";
/// Seconds to prove one slot.
pub const PROVE_SECONDS: &str = "proofmesh_prove_seconds";
/// Proofs per verified batch.
pub const VERIFY_BATCH_SIZE: &str = "proofmesh_verify_batch_size";
/// Seconds to verify one batch.
pub const VERIFY_BATCH_SECONDS: &str = "proofmesh_verify_batch_seconds";
/// Messages waiting in a queue, label `queue`.
pub const QUEUE_DEPTH: &str = "proofmesh_queue_depth";
/// Messages dropped because a queue was full, label `queue`.
pub const QUEUE_DROPPED: &str = "proofmesh_queue_dropped_total";
/// Gossip messages by topic and validation verdict, labels `topic`, `action`.
pub const GOSSIP_MESSAGES: &str = "proofmesh_gossip_messages_total";
/// Gossip messages that did not decode, label `topic`.
pub const GOSSIP_MALFORMED: &str = "proofmesh_gossip_malformed_total";
/// Gossip messages refused because the payload is over its topic's limit, label `topic` (also
/// counted in [`GOSSIP_MALFORMED`]): a peer sending these is buggy or hostile, and gossipsub
/// itself would drop them without a trace (`p2p/behaviour.rs`).
pub const GOSSIP_OVERSIZED: &str = "proofmesh_gossip_oversized_total";
/// Block requests answered (`/proofmesh/blocks/1`), label `outcome`: `served`, or the
/// refusal (`not_held`, `out_of_range`, `busy`, `unavailable`), or `gone` (the requester left
/// before the answer).
pub const BLOCKS_SERVED: &str = "proofmesh_blocks_served_total";
/// Bytes of block data served (64 KiB per block; paths and framing not counted).
pub const BLOCK_BYTES_SERVED: &str = "proofmesh_block_bytes_served_total";
/// Attestation batches signed by this node.
pub const ATTESTATIONS_SIGNED: &str = "proofmesh_attestations_signed_total";
/// Attestation batches received, label `outcome` (inserted, duplicate, equivocation, invalid).
pub const ATTESTATIONS_RECEIVED: &str = "proofmesh_attestations_received_total";
/// Quorum certificates formed or received and stored, label `verdict`.
pub const CERTIFICATES: &str = "proofmesh_certificates_total";
/// Connected peers.
pub const PEERS: &str = "proofmesh_peers";
/// Gossipsub score of a connected peer, label `peer`.
pub const PEER_SCORE: &str = "proofmesh_peer_score";
/// Connected peers by gossipsub score band, label `band` (`positive` at or above 0, then
/// `negative`, `no_gossip`, `no_publish`, `graylisted` below each threshold of
/// `p2p/scoring.rs`). Replaces a per-peer score series: the exporter cannot delete a series,
/// so one labelled by peer id would keep every peer ever seen (unbounded cardinality).
pub const PEERS_BY_SCORE: &str = "proofmesh_peers_by_score";
/// Datasets by health status, label `status`.
pub const DATASETS: &str = "proofmesh_datasets";
/// Health changes applied, label `kind`.
pub const HEALTH_CHANGES: &str = "proofmesh_health_changes_total";
/// Store operations that failed, label `op`.
pub const STORE_ERRORS: &str = "proofmesh_store_errors_total";
/// gRPC requests, labels `method`, `code`.
pub const GRPC_REQUESTS: &str = "proofmesh_grpc_requests_total";
/// The current period of this node's clock.
pub const PERIOD: &str = "proofmesh_period";

/// Why the metrics endpoint could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve metrics on {addr}: {why}")]
pub struct MetricsError {
    addr: SocketAddr,
    why: String,
}

/// Installs the global recorder and serves `/metrics` on `addr` (Prometheus text format).
/// Must be called from within a tokio runtime; at most once per process.
pub fn serve(addr: SocketAddr) -> Result<(), MetricsError> {
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()
        .map_err(|e| MetricsError {
            addr,
            why: e.to_string(),
        })?;
    describe();
    Ok(())
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(PROOFS_RECEIVED, "Proofs received from gossip");
    describe_counter!(PROOFS_VERIFIED, "Proofs that verified");
    describe_counter!(PROOFS_REJECTED, "Proofs refused, by reason");
    describe_counter!(
        REGISTRY_REJECTED,
        "Registry messages refused as the sender's fault, by kind and reason"
    );
    describe_counter!(PROOFS_PUBLISHED, "Proofs published by this node's prover");
    describe_counter!(
        REPAIR_REQUESTS,
        "Repair requests received: verified, or refused with the reason (forged or stale evidence)"
    );
    describe_counter!(
        REPAIRS,
        "Repairs by step: decided, completed, expired (verifiers); claimed, rebuilt, rebuild_failed (volunteers)"
    );
    describe_histogram!(REPAIR_SECONDS, "Seconds to rebuild a won slot");
    describe_counter!(
        REPAIR_BYTES_FETCHED,
        "Bytes of slot data fetched to rebuild won repairs (K slots per rebuilt one)"
    );
    describe_counter!(
        DHT_RECORDS,
        "Registry records of the DHT put, found and refused, by op and outcome"
    );
    describe_counter!(
        HEARTBEATS_PUBLISHED,
        "Heartbeats published by this node's prover (one per period per 1024 held slots)"
    );
    describe_counter!(PROVE_FAILURES, "Proving failures, by reason");
    describe_histogram!(PROVE_SECONDS, "Seconds to prove one slot");
    describe_histogram!(VERIFY_BATCH_SIZE, "Proofs per verified batch");
    describe_histogram!(VERIFY_BATCH_SECONDS, "Seconds to verify one batch");
    describe_gauge!(QUEUE_DEPTH, "Messages waiting in a queue");
    describe_counter!(QUEUE_DROPPED, "Messages dropped because a queue was full");
    describe_counter!(GOSSIP_MESSAGES, "Gossip messages by topic and verdict");
    describe_counter!(GOSSIP_MALFORMED, "Gossip messages that did not decode");
    describe_counter!(
        GOSSIP_OVERSIZED,
        "Gossip messages over their topic's size limit"
    );
    describe_counter!(BLOCKS_SERVED, "Block requests answered, by outcome");
    describe_counter!(BLOCK_BYTES_SERVED, "Bytes of block data served");
    describe_counter!(ATTESTATIONS_SIGNED, "Attestation batches signed here");
    describe_counter!(
        ATTESTATIONS_RECEIVED,
        "Attestation batches received, by outcome"
    );
    describe_counter!(CERTIFICATES, "Quorum certificates stored, by verdict");
    describe_gauge!(PEERS, "Connected peers");
    describe_gauge!(PEER_SCORE, "Gossipsub score of a connected peer");
    describe_gauge!(PEERS_BY_SCORE, "Connected peers by gossipsub score band");
    describe_gauge!(DATASETS, "Datasets by health status");
    describe_counter!(HEALTH_CHANGES, "Health changes applied, by kind");
    describe_counter!(STORE_ERRORS, "Store operations that failed");
    describe_counter!(GRPC_REQUESTS, "gRPC requests by method and code");
    describe_gauge!(PERIOD, "Current period of this node's clock");
}
