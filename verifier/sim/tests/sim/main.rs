//! The simulation suite: the mesh's properties over many seeds (one test binary, so the
//! proofs are made once), and focused tests of single engine rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod honest;
mod rules;
