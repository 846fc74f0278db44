//! What one simulation runs: the verifier set and what each member runs (an honest engine or a
//! scripted adversary), the network's behaviour, the provers' faults, partitions and restarts.
//! Everything random in a run is drawn from `seed`, so a scenario and its seed replay exactly.

use crate::fixture::SLOTS;
use proofmesh_proto::Verdict;
use proofmesh_verifier::engine::EngineConfig;
use proofmesh_verifier::HealthConfig;
use rand::Rng;

/// Unix second of period 0's start (any fixed value: the engines only see virtual time).
pub const GENESIS_SECS: u64 = 1_000;

/// How often every engine gets [`proofmesh_verifier::engine::Input::Tick`], as the node does.
pub const TICK_MS: u64 = 50;

/// What a member of the verifier set runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The real engine.
    Honest,
    /// A scripted adversary holding the member's BLS key; it never forwards anything.
    Byzantine(Adversary),
}

/// A byzantine signer's script (it signs with the verifier crate's public API only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adversary {
    /// Signs the opposite of the truth on every duty, once per period, to everyone.
    Opposite,
    /// Signs the truth for a random half of its peers and the opposite for the other half.
    Equivocate,
    /// Never publishes (a member that is silent or down for the whole run).
    Withhold,
    /// Publishes this many batches per period, each on a random subset of the duties with
    /// mostly true, sometimes random verdicts (so its batches agree on some slots and
    /// conflict on others, and nodes holding different ones build different certificates).
    Spam(u32),
}

/// One member of the verifier set: its weight and what it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// What it runs.
    pub role: Role,
    /// Its voting weight (> 0).
    pub weight: u64,
}

/// How the in-memory network treats messages. Delays are per link (drawn once) plus
/// per-message jitter, so messages overtake each other; loss and duplication are per delivery.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetConfig {
    /// Range of a link's base latency, in ms.
    pub delay_ms: (u64, u64),
    /// Most extra latency of one delivery, in ms.
    pub jitter_ms: u64,
    /// Probability that a delivery between verifiers is lost.
    pub loss: f64,
    /// Probability that a delivery from a provider is lost (invalid proofs are never
    /// forwarded, so they reach each verifier only on this link).
    pub provider_loss: f64,
    /// Probability that a delivery is duplicated.
    pub duplicate: f64,
    /// Probability that a delivery is held back by up to `reorder_ms`.
    pub reorder: f64,
    /// Most extra latency of a held-back delivery, in ms.
    pub reorder_ms: u64,
    /// Range of a verification job's latency, in ms.
    pub verify_ms: (u64, u64),
    /// How long a node remembers a message id (gossipsub's duplicate cache): copies within it
    /// are dropped, a re-publication after it is handled again.
    pub seen_ttl_ms: u64,
}

impl NetConfig {
    /// No loss; delays, jitter, duplicates and reordering only. With it every honest engine
    /// sees every message, which is what the finality properties need at exactly 2/3.
    pub fn reliable() -> Self {
        Self {
            delay_ms: (5, 80),
            jitter_ms: 40,
            loss: 0.0,
            provider_loss: 0.0,
            duplicate: 0.05,
            reorder: 0.1,
            reorder_ms: 400,
            verify_ms: (5, 150),
            seen_ttl_ms: 3_000,
        }
    }

    /// A network drawn from `rng`: verifier links lose up to `max_loss` of deliveries, provider
    /// links up to half of that; up to 20% duplicates and 30% reordering.
    pub fn random(rng: &mut impl Rng, max_loss: f64) -> Self {
        let lo = rng.gen_range(1..40);
        Self {
            delay_ms: (lo, lo + rng.gen_range(1..120)),
            jitter_ms: rng.gen_range(0..80),
            loss: rng.gen_range(0.0..=max_loss),
            provider_loss: rng.gen_range(0.0..=max_loss / 2.0),
            duplicate: rng.gen_range(0.0..0.2),
            reorder: rng.gen_range(0.0..0.3),
            reorder_ms: rng.gen_range(50..600),
            verify_ms: (1, rng.gen_range(2..300)),
            seen_ttl_ms: 3_000,
        }
    }
}

/// Some verifiers cut from all the others (and, if `providers`, from the provers) during
/// `[from_ms, until_ms)`; at `until_ms` the links come back and both sides see a new
/// connection (`Input::PeerConnected`), so they sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// Verifier indices on one side.
    pub side: Vec<usize>,
    /// Start, in virtual ms since genesis.
    pub from_ms: u64,
    /// Heal, in virtual ms since genesis.
    pub until_ms: u64,
    /// Whether the provers' links to `side` are cut too (then `side` misses proofs).
    pub providers: bool,
}

/// How a verifier goes down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Killed between two steps: its engine, pending proofs, jobs in flight and duplicate
    /// cache are gone; its store stays.
    Crash,
    /// Killed in the middle of the first step after the stop time that writes: the write is
    /// durable, none of the step's other outputs (publications, verdicts) leave the node.
    Torn,
    /// Stopped as the node stops on SIGTERM: `Input::Flush`, then every job in flight is
    /// awaited and fed back (the drain), then the engine is dropped.
    Graceful,
}

/// An honest verifier goes down at `down_ms` and comes back at `up_ms`, rebuilt from its
/// store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restart {
    /// Verifier index.
    pub verifier: usize,
    /// Crash time, in virtual ms since genesis.
    pub down_ms: u64,
    /// Restart time, in virtual ms since genesis.
    pub up_ms: u64,
    /// How it goes down.
    pub stop: Stop,
}

/// A forged takeover: provider `thief` (a provider of other slots, not the dataset's owner)
/// gossips an assignment of `slot` to itself from `from`, signed with its own key, every
/// period, and from `from` on re-signs the slot's valid proofs as its own and publishes them.
/// Verifiers must refuse the assignment (Reject) and every one of its proofs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Takeover {
    /// The slot taken over.
    pub slot: u16,
    /// The provider taking it.
    pub thief: usize,
    /// First period of the forged assignment.
    pub from: u64,
}

/// One simulation's set-up.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The run's seed: network, timings, adversaries, verification randomness.
    pub seed: u64,
    /// The verifier set, by index.
    pub members: Vec<Member>,
    /// Periods proven (0..periods) and checked.
    pub periods: u64,
    /// Period length, seconds.
    pub period_secs: u64,
    /// Grace after a period's end during which its proofs are accepted, seconds.
    pub timeout_secs: u64,
    /// The network.
    pub net: NetConfig,
    /// Slots whose holder publishes no proofs (their truth is Missing).
    pub withhold: Vec<u16>,
    /// Slots whose holder publishes proofs of the wrong challenge (their truth is Invalid).
    pub invalid: Vec<u16>,
    /// A forged slot takeover, if any.
    pub takeover: Option<Takeover>,
    /// Partitions.
    pub partitions: Vec<Partition>,
    /// Restarts.
    pub restarts: Vec<Restart>,
    /// Honest engines without a signing key (observers, not in the set), numbered after the
    /// provers: they must end with the same certificates as the verifiers.
    pub observers: usize,
    /// Verifiers that start late, with an empty store: `(verifier, virtual ms)`.
    pub joins: Vec<(usize, u64)>,
    /// Pairs of nodes with no direct link for the whole run (node numbers: verifiers by
    /// index, then prover `j` as `members.len() + j`): what they say to each other goes
    /// through other nodes, which forward only what their engines accept.
    pub unlinked: Vec<(usize, usize)>,
    /// Every engine's tuning.
    pub engine: EngineConfig,
    /// Every engine's health rules.
    pub health: HealthConfig,
}

impl Scenario {
    /// `members` with default timing (6 s periods, 3 s timeout, 5 periods), a reliable network
    /// and honest provers.
    pub fn new(seed: u64, members: Vec<Member>) -> Self {
        Self {
            seed,
            members,
            periods: 5,
            period_secs: 6,
            timeout_secs: 3,
            net: NetConfig::reliable(),
            withhold: Vec::new(),
            invalid: Vec::new(),
            takeover: None,
            partitions: Vec::new(),
            restarts: Vec::new(),
            observers: 0,
            joins: Vec::new(),
            unlinked: Vec::new(),
            engine: EngineConfig {
                batch_delay_ms: 100,
                ..EngineConfig::default()
            },
            health: HealthConfig::default(),
        }
    }

    /// `n` honest verifiers of weight 1.
    pub fn honest(seed: u64, n: usize) -> Self {
        let members = (0..n)
            .map(|_| Member {
                role: Role::Honest,
                weight: 1,
            })
            .collect();
        Self::new(seed, members)
    }

    /// The verdict every honest verifier must reach on `slot` (in every period).
    pub fn truth(&self, slot: u16) -> Verdict {
        if self.withhold.contains(&slot) {
            Verdict::Missing
        } else if self.invalid.contains(&slot) {
            Verdict::Invalid
        } else {
            Verdict::Valid
        }
    }

    /// Slots of the dataset.
    pub fn slots(&self) -> impl Iterator<Item = u16> {
        0..SLOTS
    }

    /// Node number of observer `k` (after the verifiers and the provers).
    pub fn observer_node(&self, k: usize) -> usize {
        self.members.len() + crate::fixture::PROVIDERS + k
    }

    /// Node number of prover `j` (verifiers are numbered by their index).
    pub fn prover_node(&self, j: usize) -> usize {
        self.members.len() + j
    }

    /// Total weight of the set.
    pub fn total_weight(&self) -> u128 {
        self.members.iter().map(|m| u128::from(m.weight)).sum()
    }

    /// Weight of the honest members.
    pub fn honest_weight(&self) -> u128 {
        self.members
            .iter()
            .filter(|m| m.role == Role::Honest)
            .map(|m| u128::from(m.weight))
            .sum()
    }

    /// Virtual ms (since genesis) at which `period` starts.
    pub fn period_start_ms(&self, period: u64) -> u64 {
        period * self.period_secs * 1000
    }

    /// When the run stops: every checked period sealed, settled and its certificates spread,
    /// before the first unproven period's deadline (which would be sealed all Missing).
    pub fn end_ms(&self) -> u64 {
        let last_deadline = self.period_start_ms(self.periods) + self.timeout_secs * 1000;
        let settled = last_deadline + self.engine.settle_secs * 1000;
        let next_deadline = last_deadline + self.period_secs * 1000;
        (settled + 4_000).min(next_deadline - 1)
    }
}
