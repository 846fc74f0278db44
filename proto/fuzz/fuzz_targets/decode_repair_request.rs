//! `RepairRequest` decoder on arbitrary bytes: never panics; what decodes is canonical.
//! Run: `cd proto/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run decode_repair_request`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proofmesh_proto::{RepairRequest, WireMessage};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = RepairRequest::decode(data) {
        assert_eq!(m.encode(), data);
    }
});
