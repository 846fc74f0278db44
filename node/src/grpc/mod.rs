//! The gRPC side of a node: `proofmesh.v1.HealthService` over the node's health view and
//! store, served beside `grpc.health.v1` and server reflection so `grpcurl` works without
//! proto files. Errors map to proper status codes (bad ids → INVALID_ARGUMENT, unknown →
//! NOT_FOUND, store failures → INTERNAL/UNAVAILABLE).

mod convert;
mod server;
mod service;
pub mod table;

pub use convert::change_of;
pub use server::{serve, GrpcError};
pub use service::HealthApi;

use proofmesh_proto::wire::pb;
use proofmesh_verifier::HealthState;
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// The health view shared between the verifier actor (the only writer, short write locks)
/// and the gRPC service (readers).
pub type SharedHealth = Arc<RwLock<HealthState>>;

/// Live health changes, already persisted, fanned out to `WatchHealth` streams. Bounded: a
/// stream that falls behind by more than the capacity ends with RESOURCE_EXHAUSTED and the
/// client re-reads the view.
pub type HealthChanges = broadcast::Sender<pb::HealthChange>;
