//! The proofmesh node: all of proofmesh's I/O. The pure crates (`circuits`, `prover`,
//! `verifier`, `proto`) decide; this crate moves bytes between them and the world — libp2p
//! gossipsub, RocksDB, tonic gRPC, Prometheus metrics, the period clock and the process
//! lifecycle. The `proofmesh` binary (`src/main.rs`) is a thin CLI over it.

pub mod blocks;
pub mod config;
pub mod devnet;
pub mod gpu;
pub mod grpc;
pub mod heartbeat;
pub mod keys;
mod launch;
pub mod metrics;
pub mod owner;
pub mod p2p;
pub mod prover_node;
pub mod run;
pub mod store;
pub mod verifier_node;
pub mod volunteer;
