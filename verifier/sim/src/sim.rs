//! The simulation: nodes, the network and a virtual clock driven by one event queue. Events at
//! the same virtual time run in the order they were scheduled, and every random draw comes
//! from the scenario's seed, so a run is a pure function of its scenario.

use crate::fixture::{fixture, Fixture};
use crate::net::{Net, SimMillis};
use crate::node::{ByzantineNode, HonestNode, NodeKind, SimReply};
use crate::scenario::{Role, Scenario, Stop, TICK_MS};
use proofmesh_proto::{
    AttestationBatch, ContentId, GossipMessage, Period, QuorumCertificate, VerifierIndex,
    VerifierMember, VerifierSet,
};
use proofmesh_verifier::engine::{Input, JobId, Restored};
use proofmesh_verifier::VerifierKeypair;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

/// Something that happens at a virtual time.
pub(crate) enum Event {
    /// Every engine that is up gets a tick.
    Tick,
    /// A gossip message reaches `to`.
    Deliver {
        to: usize,
        from: usize,
        id: ContentId,
        message: Arc<GossipMessage>,
    },
    /// A verification job comes back to the life of `node` that handed it out.
    Verified { node: usize, life: u32, job: JobId },
    /// A sync request reaches `to`.
    SyncRequest {
        to: usize,
        reply: SimReply,
        from: Period,
    },
    /// A sync answer reaches `to`.
    SyncAnswer {
        to: usize,
        life: u32,
        batches: Vec<AttestationBatch>,
    },
    /// A prover publishes.
    Provide {
        node: usize,
        message: Box<GossipMessage>,
    },
    /// A byzantine member acts for `period` (its `round`-th action of the period).
    Adversary {
        node: usize,
        period: Period,
        round: u32,
    },
    /// A verifier goes down.
    Crash { verifier: usize, stop: Stop },
    /// A verifier comes back from its store.
    Recover { verifier: usize },
    /// Partition `i` of the scenario starts.
    Cut(usize),
    /// Partition `i` heals.
    Heal(usize),
}

struct Scheduled {
    at: SimMillis,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    /// Reversed: the heap pops the earliest event, then the first scheduled.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// One certificate or batch someone published, for the safety checks.
#[derive(Clone, Debug)]
pub struct Published {
    /// Virtual time.
    pub at: SimMillis,
    /// Publishing node.
    pub node: usize,
    /// What.
    pub message: Arc<GossipMessage>,
}

/// A running simulation (see the crate docs).
pub struct Sim {
    pub(crate) scenario: Scenario,
    pub(crate) set: VerifierSet,
    pub(crate) now: SimMillis,
    seq: u64,
    queue: BinaryHeap<Scheduled>,
    pub(crate) rng: ChaCha20Rng,
    pub(crate) net: Net,
    pub(crate) nodes: Vec<NodeKind>,
    /// Every certificate and batch published, in order.
    pub published: Vec<Published>,
    /// Problems found while running (a restore that lost something, a store violation).
    pub(crate) violations: Vec<String>,
    /// Events handled.
    pub events: u64,
    /// Whether notable events are printed as they happen (`PROOFMESH_SIM_TRACE` set).
    trace: bool,
}

/// The BLS key of verifier `i` (any fixed derivation: the set is public, the seeds are not
/// secret in a simulation).
pub fn verifier_keypair(i: usize) -> VerifierKeypair {
    let mut ikm = [0x5a; 32];
    ikm[..8].copy_from_slice(&(i as u64).to_le_bytes());
    #[allow(
        clippy::expect_used,
        reason = "32 bytes of key material always derive a key"
    )]
    VerifierKeypair::from_seed(&ikm).expect("32-byte seed")
}

/// The verifier set of members with `weights`, member `i` holding [`verifier_keypair`]`(i)`,
/// in force from period 0.
pub fn verifier_set(weights: &[u64]) -> VerifierSet {
    VerifierSet {
        effective_from: Period(0),
        members: weights
            .iter()
            .enumerate()
            .map(|(i, &weight)| VerifierMember {
                key: verifier_keypair(i).public_key(),
                weight,
            })
            .collect(),
    }
}

/// Set to print a run's notable events (seals, certificates kept, health changes, crashes,
/// partitions) to stderr: with `PROOFMESH_SIM_SEED`, the story of one failing seed.
pub const TRACE_VAR: &str = "PROOFMESH_SIM_TRACE";

impl Sim {
    /// Prints one line of the trace (only when tracing).
    #[allow(
        clippy::print_stderr,
        reason = "the trace is for a person replaying a seed"
    )]
    pub(crate) fn trace(&self, what: impl FnOnce() -> String) {
        if self.trace {
            eprintln!("[{:>6} ms] {}", self.now, what());
        }
    }

    /// Sets up the nodes, the network and the schedule of `scenario` (nothing runs yet).
    pub fn new(scenario: Scenario) -> Self {
        // Built (setup, and the proofs the schedule needs) before anything is timed.
        let _: &Fixture = fixture();
        let mut rng = ChaCha20Rng::seed_from_u64(scenario.seed);
        let verifiers = scenario.members.len();
        let provers = verifiers..verifiers + crate::fixture::PROVIDERS;
        let nodes_count = provers.end + scenario.observers;
        let net = Net::new(
            scenario.net,
            provers,
            nodes_count,
            scenario.unlinked.clone(),
            &mut rng,
        );
        let weights: Vec<u64> = scenario.members.iter().map(|m| m.weight).collect();
        let set = verifier_set(&weights);
        let mut nodes = Vec::with_capacity(nodes_count);
        for (i, m) in scenario.members.iter().enumerate() {
            let index = VerifierIndex(i as u16);
            nodes.push(match m.role {
                Role::Honest => NodeKind::Honest(Box::new(HonestNode::new(
                    index,
                    true,
                    verifier_keypair(i),
                    ChaCha20Rng::seed_from_u64(rng.gen()),
                ))),
                Role::Byzantine(adversary) => NodeKind::Byzantine(ByzantineNode {
                    index,
                    keypair: verifier_keypair(i),
                    adversary,
                }),
            });
        }
        for _ in 0..crate::fixture::PROVIDERS {
            nodes.push(NodeKind::Provider);
        }
        for _ in 0..scenario.observers {
            let i = nodes.len();
            nodes.push(NodeKind::Honest(Box::new(HonestNode::new(
                VerifierIndex(u16::MAX),
                false,
                verifier_keypair(i),
                ChaCha20Rng::seed_from_u64(rng.gen()),
            ))));
        }
        let mut sim = Self {
            scenario,
            set,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            rng,
            net,
            nodes,
            published: Vec::new(),
            violations: Vec::new(),
            events: 0,
            trace: std::env::var_os(TRACE_VAR).is_some(),
        };
        sim.schedule_all();
        sim
    }

    pub(crate) fn at(&mut self, at: SimMillis, event: Event) {
        self.seq += 1;
        self.queue.push(Scheduled {
            at,
            seq: self.seq,
            event,
        });
    }

    fn schedule_all(&mut self) {
        self.at(0, Event::Tick);
        self.schedule_provers();
        self.schedule_adversaries();
        for (i, p) in self.scenario.partitions.clone().into_iter().enumerate() {
            self.at(p.from_ms, Event::Cut(i));
            self.at(p.until_ms, Event::Heal(i));
        }
        for r in self.scenario.restarts.clone() {
            self.at(
                r.down_ms,
                Event::Crash {
                    verifier: r.verifier,
                    stop: r.stop,
                },
            );
            self.at(
                r.up_ms,
                Event::Recover {
                    verifier: r.verifier,
                },
            );
        }
        for (verifier, t) in self.scenario.joins.clone() {
            self.at(t, Event::Recover { verifier });
        }
    }

    /// Runs to the scenario's end; the first violation found while running, if any.
    pub fn run(&mut self) -> Result<(), String> {
        let end = self.scenario.end_ms();
        self.boot_all();
        while let Some(s) = self.queue.pop() {
            if s.at > end {
                break;
            }
            self.now = s.at;
            self.events += 1;
            self.handle(s.event);
            if let Some(v) = self.violations.first() {
                return Err(format!("at {} ms: {v}", self.now));
            }
        }
        self.now = end;
        Ok(())
    }

    fn boot_all(&mut self) {
        let late: Vec<usize> = self.scenario.joins.iter().map(|(v, _)| *v).collect();
        let honest: Vec<usize> = self.honest_ids().filter(|v| !late.contains(v)).collect();
        for &v in &honest {
            let out = {
                let scenario = self.scenario.clone();
                let set = self.set.clone();
                let Some(node) = self.honest_mut(v) else {
                    continue;
                };
                node.boot(&scenario, &set, Restored::default(), 0)
            };
            self.carry_out(v, out);
        }
        for &a in &honest {
            for &b in &honest {
                if a != b {
                    self.step(a, Input::PeerConnected(b));
                }
            }
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Tick => {
                for v in self.honest_ids().collect::<Vec<_>>() {
                    self.step(v, Input::Tick);
                }
                self.at(self.now + TICK_MS, Event::Tick);
            }
            Event::Deliver {
                to,
                from,
                id,
                message,
            } => self.deliver(to, from, id, message),
            Event::Verified { node, life, job } => {
                let results = self
                    .honest_mut(node)
                    .filter(|n| n.life == life)
                    .and_then(|n| n.inflight.remove(&job));
                if let Some(results) = results {
                    self.step(node, Input::Verified { job, results });
                }
            }
            Event::SyncRequest { to, reply, from } => {
                self.step(to, Input::SyncRequest { from, reply });
            }
            Event::SyncAnswer { to, life, batches } => {
                if self.honest(to).is_some_and(|n| n.life == life) {
                    self.step(to, Input::Synced { batches });
                }
            }
            Event::Provide { node, message } => self.publish(node, *message),
            Event::Adversary {
                node,
                period,
                round,
            } => self.adversary_acts(node, period, round),
            Event::Crash { verifier, stop } => match stop {
                Stop::Crash => self.crash(verifier),
                Stop::Torn => {
                    if let Some(n) = self.honest_mut(verifier) {
                        n.torn = true;
                    }
                }
                Stop::Graceful => self.stop_gracefully(verifier),
            },
            Event::Recover { verifier } => self.recover(verifier),
            Event::Cut(i) => {
                let p = self.scenario.partitions[i].clone();
                self.trace(|| format!("partition {:?} starts", p.side));
                self.net.start_partition(p);
            }
            Event::Heal(i) => self.heal(i),
        }
    }

    /// Indices of the honest verifiers.
    pub fn honest_ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| matches!(n, NodeKind::Honest(_)))
            .map(|(i, _)| i)
    }

    /// Honest verifier `v`.
    pub fn honest(&self, v: usize) -> Option<&HonestNode> {
        match self.nodes.get(v) {
            Some(NodeKind::Honest(n)) => Some(n),
            _ => None,
        }
    }

    pub(crate) fn honest_mut(&mut self, v: usize) -> Option<&mut HonestNode> {
        match self.nodes.get_mut(v) {
            Some(NodeKind::Honest(n)) => Some(n),
            _ => None,
        }
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The verifier set.
    pub fn set(&self) -> &VerifierSet {
        &self.set
    }

    /// Virtual time now (ms since genesis).
    pub fn now(&self) -> SimMillis {
        self.now
    }

    /// Every certificate published by anyone.
    pub fn published_certificates(&self) -> impl Iterator<Item = (usize, &QuorumCertificate)> {
        self.published.iter().filter_map(|p| match &*p.message {
            GossipMessage::Certificate(c) => Some((p.node, c)),
            _ => None,
        })
    }

    /// Gossip verdicts by (kind, action) summed over the honest verifiers.
    pub fn reports(&self) -> BTreeMap<(&'static str, &'static str), u64> {
        let mut all = BTreeMap::new();
        for v in self.honest_ids() {
            if let Some(n) = self.honest(v) {
                for (k, c) in &n.reports {
                    *all.entry(*k).or_insert(0) += c;
                }
            }
        }
        all
    }
}
