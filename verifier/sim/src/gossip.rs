//! The gossip layer over the in-memory network: publishing, forwarding what an engine
//! accepted (never back to the sender), per-delivery loss and duplicates, the duplicate cache
//! at delivery, and the reconnections of a healed partition.

use crate::node::{message_id, NodeKind, SimMsg};
use crate::sim::{Event, Published, Sim};
use proofmesh_proto::{ContentId, GossipMessage};
use proofmesh_verifier::engine::Input;
use std::sync::Arc;

impl Sim {
    /// `node` publishes `message` to every peer.
    pub(crate) fn publish(&mut self, node: usize, message: GossipMessage) {
        let targets: Vec<usize> = (0..self.nodes.len()).filter(|&u| u != node).collect();
        self.publish_to(node, message, &targets);
    }

    /// `node` publishes `message` to `targets` only (an adversary choosing who hears what).
    pub(crate) fn publish_to(&mut self, node: usize, message: GossipMessage, targets: &[usize]) {
        let id = message_id(&message);
        self.net.first_sight(node, id, self.now);
        let message = Arc::new(message);
        if matches!(
            *message,
            GossipMessage::Certificate(_) | GossipMessage::Attestation(_)
        ) {
            self.published.push(Published {
                at: self.now,
                node,
                message: Arc::clone(&message),
            });
        }
        for &to in targets {
            self.send(node, to, id, &message);
        }
    }

    /// An accepted message goes on to every peer but the one it came from.
    pub(crate) fn forward(&mut self, v: usize, msg: &SimMsg) {
        for to in 0..self.nodes.len() {
            if to != v && to != msg.from {
                self.send(v, to, msg.id, &msg.message);
            }
        }
    }

    fn send(&mut self, from: usize, to: usize, id: ContentId, message: &Arc<GossipMessage>) {
        if self.net.cut(from, to) {
            return;
        }
        let copies = 1 + usize::from(self.net.duplicated(&mut self.rng));
        for _ in 0..copies {
            if let Some(d) = self.net.delivery(from, to, &mut self.rng) {
                self.at(
                    self.now + d,
                    Event::Deliver {
                        to,
                        from,
                        id,
                        message: Arc::clone(message),
                    },
                );
            }
        }
    }

    pub(crate) fn deliver(
        &mut self,
        to: usize,
        from: usize,
        id: ContentId,
        message: Arc<GossipMessage>,
    ) {
        let up = match &self.nodes[to] {
            NodeKind::Honest(n) => n.is_up(),
            // Adversaries and provers take messages in and forward nothing.
            NodeKind::Byzantine(_) | NodeKind::Provider => return,
        };
        if !up || !self.net.first_sight(to, id, self.now) {
            return;
        }
        let copy = (*message).clone();
        self.step(
            to,
            Input::Gossip {
                msg: SimMsg { id, from, message },
                message: copy,
            },
        );
    }

    pub(crate) fn heal(&mut self, i: usize) {
        let p = self.scenario.partitions[i].clone();
        self.net.heal(&p);
        self.trace(|| format!("partition {:?} heals", p.side));
        let honest: Vec<usize> = self.honest_ids().collect();
        for &a in p.side.iter().filter(|a| honest.contains(a)) {
            for &b in honest.iter().filter(|b| !p.side.contains(b)) {
                self.connected(a, b);
            }
        }
    }

    /// A new connection between `a` and `b`: each asks the other for what it missed.
    pub(crate) fn connected(&mut self, a: usize, b: usize) {
        if self.net.cut(a, b) {
            return;
        }
        self.step(a, Input::PeerConnected(b));
        self.step(b, Input::PeerConnected(a));
    }
}
