//! The in-memory network: a full mesh of links with a seeded base latency each, per-delivery
//! jitter, loss, duplication and hold-backs (so messages overtake each other), partitions, and
//! each node's duplicate cache (gossipsub's: a node handles a message id at most once while it
//! remembers it, and its own publications count as seen).

use crate::scenario::{NetConfig, Partition};
use proofmesh_proto::ContentId;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;

/// Virtual milliseconds since genesis.
pub type SimMillis = u64;

/// Links, partitions and duplicate caches of `nodes` nodes; those in `provers` are provers.
pub(crate) struct Net {
    config: NetConfig,
    provers: std::ops::Range<usize>,
    base: Vec<Vec<u64>>,
    seen: Vec<BTreeMap<ContentId, SimMillis>>,
    /// Partitions in force.
    cuts: Vec<Partition>,
    /// Links that never exist.
    unlinked: Vec<(usize, usize)>,
}

impl Net {
    pub(crate) fn new(
        config: NetConfig,
        provers: std::ops::Range<usize>,
        nodes: usize,
        unlinked: Vec<(usize, usize)>,
        rng: &mut ChaCha20Rng,
    ) -> Self {
        let (lo, hi) = (config.delay_ms.0, config.delay_ms.1.max(config.delay_ms.0));
        let base = (0..nodes)
            .map(|_| (0..nodes).map(|_| rng.gen_range(lo..=hi)).collect())
            .collect();
        Self {
            config,
            provers,
            base,
            seen: vec![BTreeMap::new(); nodes],
            cuts: Vec::new(),
            unlinked,
        }
    }

    pub(crate) fn is_provider(&self, node: usize) -> bool {
        self.provers.contains(&node)
    }

    /// Whether the link between `a` and `b` is down now.
    pub(crate) fn cut(&self, a: usize, b: usize) -> bool {
        if self
            .unlinked
            .iter()
            .any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
        {
            return true;
        }
        self.cuts.iter().any(|p| {
            let (pa, pb) = (self.is_provider(a), self.is_provider(b));
            if (pa || pb) && !p.providers {
                return false;
            }
            let (sa, sb) = (p.side.contains(&a), p.side.contains(&b));
            // A prover is on neither side: cut from `side` only.
            if pa || pb {
                return sa || sb;
            }
            sa != sb
        })
    }

    pub(crate) fn start_partition(&mut self, p: Partition) {
        self.cuts.push(p);
    }

    pub(crate) fn heal(&mut self, p: &Partition) {
        if let Some(i) = self.cuts.iter().position(|c| c == p) {
            self.cuts.remove(i);
        }
    }

    /// The latency of one delivery from `from` to `to`; `None` if it is lost.
    pub(crate) fn delivery(
        &self,
        from: usize,
        to: usize,
        rng: &mut ChaCha20Rng,
    ) -> Option<SimMillis> {
        let loss = if self.is_provider(from) || self.is_provider(to) {
            self.config.provider_loss
        } else {
            self.config.loss
        };
        if rng.gen_bool(loss.clamp(0.0, 1.0)) {
            return None;
        }
        Some(self.latency(from, to, rng))
    }

    /// The latency of one message on a reliable channel (a sync request or answer).
    pub(crate) fn latency(&self, from: usize, to: usize, rng: &mut ChaCha20Rng) -> SimMillis {
        let mut d = self.base[from][to] + rng.gen_range(0..=self.config.jitter_ms);
        if rng.gen_bool(self.config.reorder.clamp(0.0, 1.0)) {
            d += rng.gen_range(0..=self.config.reorder_ms);
        }
        d
    }

    /// Whether a delivery is duplicated.
    pub(crate) fn duplicated(&self, rng: &mut ChaCha20Rng) -> bool {
        rng.gen_bool(self.config.duplicate.clamp(0.0, 1.0))
    }

    /// Marks `id` seen by `node` at `now`; whether it was new to the node's duplicate cache.
    pub(crate) fn first_sight(&mut self, node: usize, id: ContentId, now: SimMillis) -> bool {
        let ttl = self.config.seen_ttl_ms;
        let cache = &mut self.seen[node];
        if cache.get(&id).is_some_and(|t| now.saturating_sub(*t) < ttl) {
            return false;
        }
        cache.insert(id, now);
        true
    }

    /// A restarted node remembers nothing.
    pub(crate) fn forget(&mut self, node: usize) {
        self.seen[node].clear();
    }
}
