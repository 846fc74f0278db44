//! One launcher per role (`verifier`, `prover`) over one shared [`NodeContext`]: the store,
//! the p2p handle, the clock, the entropy source, the testing faults, and the tokens and task
//! trackers of the staged shutdown. `crate::run` builds the context and owns the shutdown;
//! a launcher only starts its role's tasks on the context's trackers.

mod fetch_held;
pub(crate) mod prover;
pub(crate) mod sources;
pub(crate) mod verifier;

use crate::config::{NodeConfig, TestingSection};
use crate::p2p::P2pHandle;
use crate::run::NodeError;
use crate::store::Store;
use proofmesh_verifier::duty::PeriodClock;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What every role's launcher shares.
pub(crate) struct NodeContext {
    /// The node's config.
    pub(crate) config: NodeConfig,
    /// The store (absent for a prover).
    pub(crate) store: Option<Arc<dyn Store>>,
    /// The swarm.
    pub(crate) p2p: P2pHandle,
    /// The swarm's bound listen addresses (real ports).
    pub(crate) listening: Vec<libp2p::Multiaddr>,
    /// The period clock of the network.
    pub(crate) clock: PeriodClock,
    /// The entropy source (one per external input: see `sources`).
    pub(crate) entropy: sources::EntropyFactory,
    /// Fault injection (empty unless `[testing]`).
    pub(crate) testing: TestingSection,
    /// Cancelled to stop intake: the roles drain and end.
    pub(crate) shutdown: CancellationToken,
    /// The roles' tasks (waited for before the swarm stops).
    pub(crate) roles: TaskTracker,
    /// Cancelled after the swarm stopped: the servers end.
    pub(crate) serve_stop: CancellationToken,
    /// The servers' tasks (gRPC).
    pub(crate) serve: TaskTracker,
    /// Set by a role that stopped on a failed store write (the node then exits non-zero).
    pub(crate) failed: Arc<AtomicBool>,
}

pub(crate) fn read_verifying_key(
    path: &Path,
) -> Result<ark_groth16::VerifyingKey<ark_bn254::Bn254>, NodeError> {
    let err = |why: String| NodeError::VerifyingKey {
        path: path.display().to_string(),
        why,
    };
    if path.extension().is_some_and(|e| e == "json") {
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        proofmesh_verifier::snarkjs::parse_verifying_key(&text).map_err(|e| err(e.to_string()))
    } else {
        proofmesh_prover::groth16::read_verifying_key(path, None)
            .map(|k| k.key)
            .map_err(|e| err(e.to_string()))
    }
}

pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), NodeError> {
    std::fs::write(path, format!("{text}\n"))
        .map_err(|e| NodeError::Setup(format!("{}: {e}", path.display())))
}
