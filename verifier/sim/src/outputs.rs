//! Carrying out an engine step's outputs, in order, as the node's router does: the write to
//! the store first (a torn crash stops right after it), then verdicts (an Accept forwards),
//! verification jobs (run now, answered after a seeded delay), publications, health views,
//! sync requests and answers, notes.

use crate::node::{engine_time, HonestNode, SimHandles, SimReply};
use crate::sim::{Event, Sim};
use proofmesh_proto::{GossipMessage, WireMessage};
use proofmesh_verifier::engine::{Input, Note, Output};
use proofmesh_verifier::intake::{verify_checked, GossipAction};
use rand::Rng;

impl Sim {
    /// Feeds one input to verifier `v`'s engine (if it is up) and carries out the outputs.
    pub(crate) fn step(&mut self, v: usize, input: Input<SimHandles>) {
        let now = engine_time(self.now);
        let Some(engine) = self.honest_mut(v).and_then(|n| n.engine.as_mut()) else {
            return;
        };
        let out = engine.on(input, now);
        self.carry_out(v, out);
    }

    /// Carries out a step's outputs in order, as the node's router does.
    pub(crate) fn carry_out(&mut self, v: usize, outputs: Vec<Output<SimHandles>>) {
        for out in outputs {
            if !self.honest(v).is_some_and(HonestNode::is_up) {
                // Crashed in the middle of the step (torn): nothing else leaves the node.
                return;
            }
            match out {
                Output::Persist(w) => {
                    for c in &w.certificates {
                        self.trace(|| {
                            format!(
                                "{v} keeps certificate p{} s{} {:?} ({} signers)",
                                c.period.0,
                                c.entry.slot.index,
                                c.entry.verdict,
                                c.signers.len()
                            )
                        });
                    }
                    for h in &w.health {
                        self.trace(|| format!("{v} health #{}: {:?}", h.sequence, h.effect));
                    }
                    let Some(node) = self.honest_mut(v) else {
                        return;
                    };
                    let index = node.index;
                    for b in w.attestations.iter().filter(|b| b.verifier == index) {
                        node.signed
                            .entry(b.period)
                            .or_default()
                            .insert(b.content_id());
                    }
                    if let Err(e) = node.store.apply(w) {
                        let e = format!("verifier {v}'s store: {e}");
                        self.violations.push(e);
                    }
                    if self.honest(v).is_some_and(|n| n.torn) {
                        self.crash(v);
                    }
                }
                Output::Report { msg, action } => {
                    let kind = kind_of(&msg.message);
                    if let Some(node) = self.honest_mut(v) {
                        *node.reports.entry((kind, label(action))).or_insert(0) += 1;
                    }
                    if action == GossipAction::Accept {
                        self.forward(v, &msg);
                    }
                }
                Output::Verify { job, proofs } => {
                    let (lo, hi) = self.scenario.net.verify_ms;
                    let delay = self.rng.gen_range(lo..=hi.max(lo));
                    let Some(node) = self.honest_mut(v) else {
                        return;
                    };
                    let results = verify_checked(&node.keys, &proofs, &mut node.verify_rng);
                    node.inflight.insert(job, results);
                    let life = node.life;
                    self.at(self.now + delay, Event::Verified { node: v, life, job });
                }
                Output::Publish(m) => self.publish(v, m),
                Output::Health { snapshot, .. } => {
                    if let Some(node) = self.honest_mut(v) {
                        node.health = Some(snapshot);
                    }
                }
                Output::RequestSync { peer, from } => {
                    if self.net.cut(v, peer) {
                        continue;
                    }
                    let life = self.honest(v).map_or(0, |n| n.life);
                    let d = self.net.latency(v, peer, &mut self.rng);
                    self.at(
                        self.now + d,
                        Event::SyncRequest {
                            to: peer,
                            reply: SimReply { to: v, life },
                            from,
                        },
                    );
                }
                Output::AnswerSync { reply, batches } => {
                    if self.net.cut(v, reply.to) {
                        continue;
                    }
                    let d = self.net.latency(v, reply.to, &mut self.rng);
                    self.at(
                        self.now + d,
                        Event::SyncAnswer {
                            to: reply.to,
                            life: reply.life,
                            batches,
                        },
                    );
                }
                Output::Note(n) => {
                    if matches!(n, Note::Sealed { .. } | Note::Equivocation { .. }) {
                        self.trace(|| format!("{v} {n:?}"));
                    }
                    if matches!(n, Note::Equivocation { .. }) {
                        if let Some(node) = self.honest_mut(v) {
                            node.equivocations.push(n);
                        }
                    }
                }
            }
        }
    }
}

fn kind_of(m: &GossipMessage) -> &'static str {
    proofmesh_proto::wire::kind_of(m).name
}

fn label(a: GossipAction) -> &'static str {
    match a {
        GossipAction::Accept => "accept",
        GossipAction::Reject => "reject",
        GossipAction::Ignore => "ignore",
    }
}
