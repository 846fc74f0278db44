//! Crashes and restarts: a crashed verifier loses its engine (in-flight jobs, pending proofs,
//! its duplicate cache) and keeps its store; it comes back through `Engine::new` over what
//! the store holds, and the restored engine is checked to hold everything the store does.

use crate::node::{clock, engine_time, HonestNode};
use crate::sim::Sim;
use proofmesh_proto::Period;
use proofmesh_verifier::engine::Input;

impl Sim {
    /// Verifier `v` goes down now.
    pub(crate) fn crash(&mut self, v: usize) {
        let Some(node) = self.honest_mut(v) else {
            return;
        };
        if !node.is_up() {
            return;
        }
        node.crash();
        self.net.forget(v);
        self.trace(|| format!("{v} down"));
    }

    /// Verifier `v` stops as the node does on SIGTERM: intake stops (`Input::Flush`), every
    /// job in flight is fed back, then the engine is dropped. Nothing may be left behind.
    pub(crate) fn stop_gracefully(&mut self, v: usize) {
        if !self.honest(v).is_some_and(HonestNode::is_up) {
            return;
        }
        self.step(v, Input::Flush);
        while let Some((job, results)) = self.honest_mut(v).and_then(|n| n.inflight.pop_first()) {
            self.step(v, Input::Verified { job, results });
        }
        let backlog = self
            .honest(v)
            .and_then(|n| n.engine.as_ref())
            .map(|e| e.backlog());
        if backlog.is_some_and(|b| b != (0, 0)) {
            self.violations.push(format!(
                "verifier {v} stopped with proofs pending or jobs in flight: {backlog:?}"
            ));
        }
        self.crash(v);
    }

    /// Verifier `v` comes back from its store, is checked, and reconnects to every peer.
    pub(crate) fn recover(&mut self, v: usize) {
        if self.honest(v).is_some_and(HonestNode::is_up) {
            // A torn crash whose step never came: crash now.
            self.crash(v);
        }
        let (scenario, set, now) = (self.scenario.clone(), self.set.clone(), self.now);
        let Some(node) = self.honest_mut(v) else {
            return;
        };
        let restored = node.store.restored();
        let out = node.boot(&scenario, &set, restored, now);
        node.restarts += 1;
        let current = clock(&scenario).period_at(engine_time(now) / 1000);
        let from = Period(current.0.saturating_sub(scenario.engine.retention_periods));
        if let Err(e) = check_restored(node, from) {
            self.violations
                .push(format!("verifier {v} restarted from its store: {e}"));
        }
        self.trace(|| format!("{v} up from its store"));
        self.carry_out(v, out);
        let peers: Vec<usize> = self
            .honest_ids()
            .filter(|&u| u != v && self.honest(u).is_some_and(HonestNode::is_up))
            .collect();
        for u in peers {
            self.connected(v, u);
        }
    }
}

/// Whether the rebuilt engine holds everything its store holds: the registry, the retained
/// attestations (periods from `from`), the best certificate of every duty not settled yet,
/// every certificate held at the crash, and the health view it had at the crash (restored
/// from the store's checkpoints and the open periods' certificates).
fn check_restored(node: &HonestNode, from: Period) -> Result<(), String> {
    let Some(engine) = &node.engine else {
        return Err("no engine".into());
    };
    let store = &node.store;
    let registry = &engine.intake().registry;
    for a in store.datasets() {
        if registry.dataset(&a.root) != Some(a) {
            return Err(format!("stored dataset {} not restored", a.root));
        }
    }
    for s in store.assignments() {
        if registry.provider_at(&s.slot, s.from_period) != Some(&s.provider) {
            return Err(format!("stored claim of {} not restored", s.slot));
        }
    }
    for b in store.attestations().filter(|b| b.period >= from) {
        if !engine.pool().batches(b.period).any(|x| x == b) {
            return Err(format!(
                "stored batch of verifier {} for period {} not restored",
                b.verifier.0, b.period.0
            ));
        }
    }
    let held = engine.certified();
    let open = store.pruned_before();
    for (key, id) in store
        .best_certificates()
        .into_iter()
        .filter(|(k, _)| k.0 >= open)
    {
        if held.get(&key) != Some(&id) {
            return Err(format!(
                "best stored certificate of period {} slot {} not held after restart",
                key.0 .0, key.1.index
            ));
        }
    }
    for (key, id) in &node.held_at_crash {
        if held.get(key) != Some(id) {
            return Err(format!(
                "certificate of period {} slot {} held before the crash, not after",
                key.0 .0, key.1.index
            ));
        }
    }
    let health = crate::health_view(engine.health());
    if health != node.health_at_crash {
        return Err(format!(
            "health view before the crash {:?}, after the restart {health:?}",
            node.health_at_crash
        ));
    }
    Ok(())
}
