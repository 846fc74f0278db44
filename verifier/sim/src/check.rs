//! The properties a run is checked against, each returning what went wrong in words (the
//! seed runner adds the seed): agreement, finality, safety, and no honest equivocation.

use crate::fixture::fixture;
use crate::node::HonestNode;
use crate::sim::Sim;
use proofmesh_proto::{ContentId, DatasetRoot, Period, SlotId, Verdict};
use proofmesh_verifier::health::{DatasetStatus, SlotCounts, SlotHealthParts};
use proofmesh_verifier::HealthState;
use std::collections::BTreeMap;

/// One dataset as a client sees it: status, counts and each slot's health with whether its
/// loss was requested (`None` while the dataset is unrecoverable: which losses a node got to
/// request before the drop below K depends on the order it saw them in).
pub type DatasetView = (
    DatasetRoot,
    DatasetStatus,
    SlotCounts,
    Vec<(SlotHealthParts, Option<bool>)>,
);

/// The whole health view, dataset by dataset: what every honest engine must agree on.
pub fn health_view(health: &HealthState) -> Vec<DatasetView> {
    health
        .datasets()
        .map(|d| {
            let recoverable = d.counts.recoverable(d.data_slots);
            let slots = d
                .slots
                .iter()
                .map(|s| (s.parts(), recoverable.then_some(s.repair_requested())))
                .collect();
            (d.dataset, d.status, d.counts, slots)
        })
        .collect()
}

impl Sim {
    fn up(&self) -> Vec<(usize, &HonestNode)> {
        self.honest_ids()
            .filter_map(|v| self.honest(v).map(|n| (v, n)))
            .filter(|(_, n)| n.is_up())
            .collect()
    }

    /// The certificates verifier `v`'s engine holds (empty while it is down).
    pub fn certified(&self, v: usize) -> BTreeMap<(Period, SlotId), ContentId> {
        self.honest(v)
            .and_then(|n| n.engine.as_ref())
            .map(|e| e.certified())
            .unwrap_or_default()
    }

    /// Every honest engine that is up holds the same certificates (`Engine::certified`), each
    /// the best its store holds, and the stores agree on every duty ever certified.
    pub fn check_converged(&self) -> Result<(), String> {
        let up = self.up();
        let Some((first, n0)) = up.first() else {
            return Err("no honest engine is up".into());
        };
        let held0 = self.certified(*first);
        let stored0 = n0.store.best_certificates();
        for (v, n) in &up {
            let held = self.certified(*v);
            for (key, id) in &held {
                if n.store.best_certificates().get(key) != Some(id) {
                    return Err(format!(
                        "verifier {v} holds a certificate for period {} slot {} that is not the best it stored",
                        key.0 .0, key.1.index
                    ));
                }
            }
            if held != held0 {
                return Err(format!(
                    "verifiers {first} and {v} hold different certificates: {}",
                    diff(&held0, &held)
                ));
            }
            let stored = n.store.best_certificates();
            if stored != stored0 {
                return Err(format!(
                    "verifiers {first} and {v} stored different best certificates: {}",
                    diff(&stored0, &stored)
                ));
            }
        }
        Ok(())
    }

    /// Every duty of every checked period is certified at every honest engine that is up,
    /// with the true verdict.
    pub fn check_final(&self) -> Result<(), String> {
        let fx = fixture();
        for (v, n) in self.up() {
            let stored = n.store.best_certificates();
            for p in 0..self.scenario.periods {
                for s in self.scenario.slots() {
                    let key = (Period(p), fx.slot(s));
                    let Some(id) = stored.get(&key) else {
                        return Err(format!(
                            "verifier {v} has no certificate for period {p} slot {s} (truth {:?})",
                            self.scenario.truth(s)
                        ));
                    };
                    let verdict = n.store.certificate(id).map(|c| c.entry.verdict);
                    if verdict != Some(self.scenario.truth(s)) {
                        return Err(format!(
                            "verifier {v} certified period {p} slot {s} {verdict:?}, truth {:?}",
                            self.scenario.truth(s)
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// No certificate that anyone published or any honest store holds says anything but the
    /// truth, and none is for a period that was not run.
    pub fn check_safe(&self) -> Result<(), String> {
        let stored = self
            .honest_ids()
            .filter_map(|v| self.honest(v).map(|n| (v, n)))
            .flat_map(|(v, n)| n.store.certificates().map(move |c| (v, c)));
        for (v, c) in self.published_certificates().chain(stored) {
            let truth = self.scenario.truth(c.entry.slot.index);
            if c.period.0 >= self.scenario.periods || c.entry.verdict != truth {
                return Err(format!(
                    "node {v} published or stored a certificate of {:?} for period {} slot {} (truth {truth:?}, {} signers)",
                    c.entry.verdict,
                    c.period.0,
                    c.entry.slot.index,
                    c.signers.len()
                ));
            }
        }
        Ok(())
    }

    /// No honest signer signed two batches for one period (across restarts), and no honest
    /// engine holds equivocation evidence against an honest signer.
    pub fn check_no_honest_equivocation(&self) -> Result<(), String> {
        let honest: Vec<usize> = self.honest_ids().collect();
        for &v in &honest {
            let Some(n) = self.honest(v) else { continue };
            if let Some((p, ids)) = n.signed.iter().find(|(_, ids)| ids.len() > 1) {
                return Err(format!(
                    "honest verifier {v} signed {} batches for period {}",
                    ids.len(),
                    p.0
                ));
            }
            let Some(engine) = &n.engine else { continue };
            for e in engine.pool().equivocations() {
                if honest.contains(&usize::from(e.verifier.0)) {
                    return Err(format!(
                        "verifier {v} holds evidence that honest verifier {} equivocated in period {}",
                        e.verifier.0, e.period.0
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every honest engine that is up has the same health view ([`health_view`]: every
    /// dataset's status and every slot's state, dates, counts and evidence), and the snapshot
    /// it last handed to readers is that view.
    pub fn check_health_agrees(&self) -> Result<(), String> {
        let up = self.up();
        let Some((first, n0)) = up.first() else {
            return Ok(());
        };
        let view = |n: &HonestNode| n.engine.as_ref().map(|e| health_view(e.health()));
        let view0 = view(n0);
        for (v, n) in &up {
            let mine = view(n);
            if n.health.as_ref().map(health_view) != mine {
                return Err(format!(
                    "verifier {v}'s last health snapshot is not its engine's view"
                ));
            }
            if mine != view0 {
                return Err(format!(
                    "verifiers {first} and {v} see health differently: {:?} vs {:?}",
                    view0, mine
                ));
            }
        }
        Ok(())
    }

    /// The checks every run must pass: agreement (certificates and health), safety, no honest
    /// equivocation; and, if `finality`, every duty certified with the truth.
    pub fn check(&self, finality: bool) -> Result<(), String> {
        self.check_converged()?;
        self.check_safe()?;
        self.check_no_honest_equivocation()?;
        self.check_health_agrees()?;
        if finality {
            self.check_final()?;
        }
        Ok(())
    }

    /// How often the honest engines certified each verdict (over the duties of one engine).
    pub fn verdict_counts(&self) -> BTreeMap<Verdict, usize> {
        let mut counts = BTreeMap::new();
        if let Some((_, n)) = self.up().first() {
            for id in n.store.best_certificates().values() {
                if let Some(c) = n.store.certificate(id) {
                    *counts.entry(c.entry.verdict).or_insert(0) += 1;
                }
            }
        }
        counts
    }
}

fn diff(
    a: &BTreeMap<(Period, SlotId), ContentId>,
    b: &BTreeMap<(Period, SlotId), ContentId>,
) -> String {
    let mut out = Vec::new();
    for (k, v) in a {
        if b.get(k) != Some(v) {
            out.push(format!(
                "p{} s{}: {:?} vs {:?}",
                k.0 .0,
                k.1.index,
                short(Some(v)),
                short(b.get(k))
            ));
        }
    }
    for (k, v) in b {
        if !a.contains_key(k) {
            out.push(format!(
                "p{} s{}: none vs {:?}",
                k.0 .0,
                k.1.index,
                short(Some(v))
            ));
        }
    }
    out.join(", ")
}

fn short(id: Option<&ContentId>) -> Option<String> {
    id.map(|c| c.0[..4].iter().map(|b| format!("{b:02x}")).collect())
}
