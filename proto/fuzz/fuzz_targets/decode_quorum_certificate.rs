//! `QuorumCertificate` decoder on arbitrary bytes: never panics; what decodes is canonical.
//! Run: `cd proto/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run decode_quorum_certificate`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proofmesh_proto::{QuorumCertificate, WireMessage};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = QuorumCertificate::decode(data) {
        assert_eq!(m.encode(), data);
    }
});
