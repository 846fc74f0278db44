//! A provider's heartbeats: one small signed message per period listing the slots it holds
//! and is assigned (altruistic mode's availability signal; DESIGN §7, docs/altruistic.md).
//! Pure: the prover role publishes what this builds.

use proofmesh_proto::MAX_HEARTBEAT_SLOTS;
use proofmesh_proto::{Heartbeat, Period, ProviderKey, ProviderSignature, SlotId};

/// The heartbeats of `provider` for `period` over `slots` (any order, duplicates dropped):
/// one per [`MAX_HEARTBEAT_SLOTS`] slots, each signed with `sign` over its signing bytes.
/// None for no slots.
pub fn heartbeats(
    provider: ProviderKey,
    period: Period,
    mut slots: Vec<SlotId>,
    sign: impl Fn(&[u8]) -> ProviderSignature,
) -> Vec<Heartbeat> {
    slots.sort_unstable();
    slots.dedup();
    slots
        .chunks(MAX_HEARTBEAT_SLOTS)
        .map(|chunk| {
            let mut hb = Heartbeat {
                provider,
                period,
                slots: chunk.to_vec(),
                signature: ProviderSignature([0; 64]),
            };
            hb.signature = sign(&hb.signing_bytes());
            hb
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proofmesh_proto::{DatasetRoot, WireMessage};

    fn slot(i: u16) -> SlotId {
        SlotId {
            dataset: DatasetRoot::from_le_bytes([(i % 7) as u8; 32]).unwrap(),
            index: i % 200,
        }
    }

    #[test]
    fn sorted_deduplicated_chunked_and_decodable() {
        let slots: Vec<SlotId> = (0..1500u16).map(slot).chain([slot(3), slot(3)]).collect();
        let mut distinct = slots.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let hbs = heartbeats(ProviderKey([1; 32]), Period(9), slots, |_| {
            ProviderSignature([2; 64])
        });
        assert!(hbs.iter().all(|h| h.slots.len() <= MAX_HEARTBEAT_SLOTS));
        let all: Vec<SlotId> = hbs.iter().flat_map(|h| h.slots.clone()).collect();
        assert_eq!(all, distinct);
        for h in &hbs {
            assert_eq!(Heartbeat::decode(&h.encode()).as_ref(), Ok(h));
        }
        assert!(heartbeats(ProviderKey([1; 32]), Period(9), vec![], |_| {
            ProviderSignature([2; 64])
        })
        .is_empty());
    }
}
