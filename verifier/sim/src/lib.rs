//! A deterministic simulation of the proofmesh verifier mesh, in one process.
//!
//! Many [`proofmesh_verifier::engine::Engine`]s — the real, pure protocol — run over an
//! in-memory network on a virtual clock ([`Sim`]). Every random thing (link latencies,
//! loss, duplication, reordering, when provers publish, verification latency, what the
//! adversaries do) is drawn from one seed, so a run is a pure function of its [`Scenario`]
//! and a failing seed replays exactly ([`seeds`]).
//!
//! What is real: the storage proofs (Groth16 proofs of proofmesh's circuit, small parameters,
//! made once per process: [`fixture`]), their verification (`verify_checked` on every job the
//! engines hand out), the BLS attestations and certificates, the provider signatures. What is
//! simulated: the network (a gossipsub-like full mesh: a node handles each message id at most
//! once and forwards only what its engine accepts), time, the store ([`store::Store`], fed by
//! every `Output::Persist` and read back on restart), and the adversaries, who use only the
//! verifier crate's public signing API.
//!
//! The tests in `tests/` run the mesh's properties over many seeds: honest engines agree on
//! every certificate, byzantine signers under 1/3 of the weight never create or flip a final
//! verdict, ≥ 2/3 honest weight finalises every duty, partitions heal, restarts lose nothing
//! and never make an honest signer equivocate.
//!
//! ```no_run
//! use proofmesh_sim::{Scenario, Sim};
//! let mut scenario = Scenario::honest(7, 4); // seed 7, four honest verifiers
//! scenario.withhold.push(1); // slot 1's holder sends nothing: certified Missing
//! let mut sim = Sim::new(scenario);
//! sim.run().unwrap(); // violations found while running (a restore that lost something, …)
//! sim.check(true).unwrap(); // agreement, safety, no honest equivocation, finality
//! ```
//!
//! A failing seed names itself; replay it, with the story of the run on stderr:
//! `PROOFMESH_SIM_SEED=0x… PROOFMESH_SIM_TRACE=1 cargo test -p proofmesh-sim --test sim --
//! NAME --nocapture`.

mod actors;
mod check;
pub mod fixture;
mod gossip;
mod net;
pub mod node;
mod outputs;
mod restart;
pub mod scenario;
pub mod seeds;
mod sim;
pub mod store;

pub use actors::opposite;
pub use check::{health_view, DatasetView};
pub use fixture::{fixture, AssignSigner, Fixture, ProofKind};
pub use net::SimMillis;
pub use node::{HonestNode, SimHandles, SimMsg, SimReply};
pub use scenario::{
    Adversary, Member, NetConfig, Partition, Restart, Role, Scenario, Stop, Takeover,
};
pub use seeds::run_seeds;
pub use sim::{verifier_keypair, verifier_set, Published, Sim, TRACE_VAR};
