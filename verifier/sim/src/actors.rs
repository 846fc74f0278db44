//! The scripted parties: provers (announcement, slot claims and each period's proofs, at
//! seeded times; withheld or invalid slots) and byzantine signers (opposite verdicts,
//! equivocation, silence, batch spam), who sign only through the verifier crate's public API.

use crate::fixture::{fixture, AssignSigner, Fixture, ProofKind, PROVIDERS};
use crate::node::NodeKind;
use crate::scenario::Adversary;
use crate::sim::{Event, Sim};
use proofmesh_proto::{GossipMessage, Period, SlotVerdict, Verdict};
use proofmesh_verifier::duty::{is_proof_required, EntropySource};
use proofmesh_verifier::sign_batch;
use rand::seq::SliceRandom;
use rand::Rng;

/// Latest a registry message goes out after its period's start.
const REGISTRY_JITTER_MS: u64 = 400;
/// Earliest a proof goes out after its period's start (registry messages have arrived).
const PROOF_AFTER_MS: u64 = 1_500;
/// Latest a proof goes out before its period's end.
const PROOF_BEFORE_END_MS: u64 = 1_000;

/// The verdict a byzantine signer flips the truth to.
pub fn opposite(v: Verdict) -> Verdict {
    match v {
        Verdict::Valid | Verdict::Alive => Verdict::Missing,
        Verdict::Missing | Verdict::Invalid => Verdict::Valid,
    }
}

impl Sim {
    fn provider_node(&self, j: usize) -> usize {
        self.scenario.members.len() + j
    }

    /// Each period: the registry (the owner's announcement and assignments, each re-published
    /// by provider 0 and the slots' holders at its own seeded time, so assignments often
    /// arrive first), one proof per held slot with a duty, and the forged takeover if the
    /// scenario has one.
    pub(crate) fn schedule_provers(&mut self) {
        let fx: &Fixture = fixture();
        let announce = fx.announce();
        let period_ms = self.scenario.period_secs * 1000;
        for p in 0..self.scenario.periods {
            let start = self.scenario.period_start_ms(p);
            let t = start + self.rng.gen_range(0..REGISTRY_JITTER_MS);
            let owner = self.provider_node(0);
            self.at(
                t,
                Event::Provide {
                    node: owner,
                    message: Box::new(GossipMessage::Announce(announce.clone())),
                },
            );
            let entropy = fx.entropy().entropy(Period(p)).unwrap_or_default();
            for slot in self.scenario.slots().collect::<Vec<_>>() {
                let holder = self.provider_node(Fixture::holder(slot));
                let t = start + self.rng.gen_range(0..REGISTRY_JITTER_MS);
                self.at(
                    t,
                    Event::Provide {
                        node: holder,
                        message: Box::new(GossipMessage::Assign(fx.assign(slot))),
                    },
                );
                let owes = is_proof_required(entropy, &fx.slot(slot), announce.proof_probability);
                if !owes || self.scenario.withhold.contains(&slot) {
                    continue;
                }
                let kind = if self.scenario.invalid.contains(&slot) {
                    ProofKind::WrongEntropy
                } else {
                    ProofKind::Valid
                };
                let t = start
                    + self
                        .rng
                        .gen_range(PROOF_AFTER_MS..period_ms - PROOF_BEFORE_END_MS);
                let envelope = fx.envelope(slot, Period(p), kind);
                self.at(
                    t,
                    Event::Provide {
                        node: holder,
                        message: Box::new(GossipMessage::Proof(envelope)),
                    },
                );
            }
            if let Some(takeover) = self.scenario.takeover {
                self.schedule_takeover(takeover, p, start);
            }
        }
        let _ = PROVIDERS;
    }

    /// The thief's messages of period `p`: its self-signed assignment, and from its first
    /// period on the slot's valid proof under its own key (the proof bytes do not name the
    /// provider: a thief that copies a proof, or holds the data, can sign it as its own).
    fn schedule_takeover(&mut self, t: crate::scenario::Takeover, p: u64, start: u64) {
        let fx = fixture();
        let node = self.provider_node(t.thief);
        let forged = fx.assignment(
            t.slot,
            t.thief,
            Period(t.from),
            AssignSigner::Provider(t.thief),
        );
        let at = start + self.rng.gen_range(0..REGISTRY_JITTER_MS);
        self.at(
            at,
            Event::Provide {
                node,
                message: Box::new(GossipMessage::Assign(forged)),
            },
        );
        let entropy = fx.entropy().entropy(Period(p)).unwrap_or_default();
        let owes = is_proof_required(entropy, &fx.slot(t.slot), fx.announce().proof_probability);
        if p < t.from || !owes {
            return;
        }
        // Early in the window, so it is there before any honest proof.
        let at = start + PROOF_AFTER_MS - 500;
        let envelope = fx.envelope_by(t.thief, t.slot, Period(p), ProofKind::Valid);
        self.at(
            at,
            Event::Provide {
                node,
                message: Box::new(GossipMessage::Proof(envelope)),
            },
        );
    }

    /// Each byzantine member acts at seeded times in each period: from mid-period to just
    /// after the settle, so some of its batches land after certificates formed.
    pub(crate) fn schedule_adversaries(&mut self) {
        let s = &self.scenario;
        let (period_ms, timeout_ms, settle_ms) = (
            s.period_secs * 1000,
            s.timeout_secs * 1000,
            s.engine.settle_secs * 1000,
        );
        let plans: Vec<(usize, u32)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match n {
                NodeKind::Byzantine(b) => Some((
                    i,
                    match b.adversary {
                        Adversary::Withhold => 0,
                        Adversary::Spam(k) => k,
                        Adversary::Opposite | Adversary::Equivocate => 1,
                    },
                )),
                _ => None,
            })
            .collect();
        for p in 0..self.scenario.periods {
            let start = self.scenario.period_start_ms(p);
            let (lo, hi) = (
                start + period_ms / 2,
                start + period_ms + timeout_ms + settle_ms + 500,
            );
            for &(node, rounds) in &plans {
                for round in 0..rounds {
                    let t = self.rng.gen_range(lo..hi);
                    self.at(
                        t,
                        Event::Adversary {
                            node,
                            period: Period(p),
                            round,
                        },
                    );
                }
            }
        }
    }

    /// The duties of `period`, in slot order, with their true verdicts.
    fn truth_entries(&self, period: Period) -> Vec<SlotVerdict> {
        let fx = fixture();
        let Some(entropy) = fx.entropy().entropy(period) else {
            return Vec::new();
        };
        let probability = fx.announce().proof_probability;
        self.scenario
            .slots()
            .map(|i| (fx.slot(i), self.scenario.truth(i)))
            .filter(|(slot, _)| is_proof_required(entropy, slot, probability))
            .map(|(slot, verdict)| SlotVerdict { slot, verdict })
            .collect()
    }

    pub(crate) fn adversary_acts(&mut self, node: usize, period: Period, _round: u32) {
        let NodeKind::Byzantine(b) = &self.nodes[node] else {
            return;
        };
        let (index, keypair, adversary) = (b.index, b.keypair.clone(), b.adversary);
        let truth = self.truth_entries(period);
        let flipped: Vec<SlotVerdict> = truth
            .iter()
            .map(|e| SlotVerdict {
                slot: e.slot,
                verdict: opposite(e.verdict),
            })
            .collect();
        let sign = |entries: Vec<SlotVerdict>| sign_batch(&keypair, index, period, entries).ok();
        let peers: Vec<usize> = (0..self.nodes.len()).filter(|&u| u != node).collect();
        match adversary {
            Adversary::Withhold => {}
            Adversary::Opposite => {
                if let Some(batch) = sign(flipped) {
                    self.publish_to(node, GossipMessage::Attestation(batch), &peers);
                }
            }
            Adversary::Equivocate => {
                // Each half of the other verifiers hears one version (the provers neither).
                let verifiers = self.scenario.members.len();
                let mut shuffled: Vec<usize> = (0..verifiers).filter(|&u| u != node).collect();
                shuffled.shuffle(&mut self.rng);
                let (a, b) = shuffled.split_at(shuffled.len() / 2);
                if let (Some(x), Some(y)) = (sign(truth), sign(flipped)) {
                    self.publish_to(node, GossipMessage::Attestation(x), a);
                    self.publish_to(node, GossipMessage::Attestation(y), b);
                }
            }
            Adversary::Spam(_) => {
                let all = [Verdict::Valid, Verdict::Invalid, Verdict::Missing];
                let mut entries = Vec::new();
                for e in &truth {
                    if self.rng.gen_bool(0.75) {
                        // Mostly the truth: batches that agree on a slot but differ elsewhere
                        // give certificates of equal weight and different ids.
                        let verdict = if self.rng.gen_bool(0.75) {
                            e.verdict
                        } else {
                            all[self.rng.gen_range(0..all.len())]
                        };
                        entries.push(SlotVerdict {
                            slot: e.slot,
                            verdict,
                        });
                    }
                }
                if entries.is_empty() {
                    entries = flipped;
                }
                if let Some(batch) = sign(entries) {
                    self.publish_to(node, GossipMessage::Attestation(batch), &peers);
                }
            }
        }
    }
}
