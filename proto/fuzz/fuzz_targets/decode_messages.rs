//! Every decoder on arbitrary bytes: never panics, and whatever decodes re-encodes to the
//! same bytes (canonical form). Run: `cd proto/fuzz && cargo fuzz run decode_messages`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proofmesh_proto::wire::{decode_gossip, encode_gossip, GossipTopic};
use proofmesh_proto::*;

fn check<M: WireMessage>(data: &[u8]) {
    if let Ok(m) = M::decode(data) {
        assert_eq!(m.encode(), data, "decoded a non-canonical encoding");
    }
}

fuzz_target!(|data: &[u8]| {
    check::<DatasetAnnounce>(data);
    check::<SlotAssign>(data);
    check::<ProofEnvelope>(data);
    check::<AttestationBatch>(data);
    check::<QuorumCertificate>(data);
    check::<RepairRequest>(data);
    // The tagged gossip framing of protocol 2, on every topic.
    for topic in GossipTopic::ALL {
        if let Ok(m) = decode_gossip(topic, data) {
            assert_eq!(encode_gossip(&m), data, "decoded a non-canonical gossip payload");
        }
    }
});
