//! The hottest decoder (every gossiped proof): `cargo fuzz run decode_proof_envelope`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proofmesh_proto::{ProofEnvelope, WireMessage};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ProofEnvelope::decode(data) {
        assert_eq!(m.encode(), data);
    }
});
