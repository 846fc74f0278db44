//! `DatasetAnnounce` decoder on arbitrary bytes: never panics; what decodes is canonical.
//! Run: `cd proto/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run decode_dataset_announce`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proofmesh_proto::{DatasetAnnounce, WireMessage};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = DatasetAnnounce::decode(data) {
        assert_eq!(m.encode(), data);
    }
});
