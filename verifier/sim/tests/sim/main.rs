//! The simulation suite: the mesh's properties over many seeds (one test binary, so the
//! proofs are made once), and focused tests of single engine rules.
//!
//! Replay a failing seed with `PROOFMESH_SIM_SEED=0x… cargo test -p proofmesh-sim --test sim
//! -- NAME`; run more seeds with `PROOFMESH_SIM_SEEDS=n`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod byzantine;
mod chaos;
mod honest;
mod partition;
mod restart;
mod rules;
mod takeover;
mod topology;
