#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `proofmesh dataset get ROOT --out FILE --bootstrap NODE`: the original file back from the
//! dataset root alone. A real verifier and K + M = 3 real provers (one slot each, a dataset
//! `proofmesh dataset encode` made of a demo file); the client knows one node's address and
//! the root, reads the owner-signed announcement and assignments from the registry in the
//! DHT, each provider's signed location there too, and fetches and checks K slots over block
//! transfer. With M = 1 provider down (a data slot's: the file needs erasure decoding) it
//! still gets the file, byte for byte. `proofmesh dataset rebuild ROOT --slot S` (what a
//! repair volunteer does) rebuilds a parity slot and, with the provider down, the lost data
//! slot, each byte-identical to the owner's.

mod common;

use common::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dataset_get_by_root_finds_registry_and_providers_in_the_dht_with_m_providers_down() {
    let Mesh {
        _tmp,
        layout,
        v,
        v_p2p,
        mut provers,
        ..
    } = start_mesh(3, 6, 3, 31, |o| o.proof_probability = 0, |_| String::new()).await;
    let dir = layout.dir.clone();
    for (j, p) in provers.iter().enumerate() {
        wait_until(
            Duration::from_secs(60),
            Duration::from_millis(100),
            &format!("prover {j} to serve blocks"),
            || p.stderr().contains("serving blocks"),
        );
    }
    // The verifier holds every assignment (and has put the dataset's record into the DHT).
    wait_until(
        Duration::from_secs(60),
        Duration::from_millis(200),
        "the verifier to store every assignment",
        || v.stderr().matches("slot assigned").count() >= 3,
    );

    let root = layout.root.to_string();
    // A volunteer's rebuild of one slot from K others, by root alone: the parity slot first
    // (from the two data slots), byte-identical to the owner's.
    let rebuild = |slot: u16, out: &std::path::Path| {
        let o = proofmesh(&[
            "dataset",
            "rebuild",
            &root,
            "--slot",
            &slot.to_string(),
            "--out",
            s(out),
            "--bootstrap",
            &v_p2p,
            "--wait-secs",
            "40",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).contains(&format!("rebuilt: slot {slot}")),
            "{}",
            stdout(&o)
        );
        assert_eq!(
            std::fs::read(out).unwrap(),
            std::fs::read(&layout.slot_files[usize::from(slot)]).unwrap(),
            "slot {slot}"
        );
    };
    rebuild(2, &dir.join("rebuilt-2.bin"));

    // Slot 0's provider down: slot 1 and the parity slot rebuild the file.
    provers[0].stop();
    let out = dir.join("got.bin");
    let o = proofmesh(&[
        "dataset",
        "get",
        &root,
        "--out",
        s(&out),
        "--bootstrap",
        &v_p2p,
        "--wait-secs",
        "40",
    ]);
    let text = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}\n{}\nV said:\n{}",
        stderr(&o),
        tail(&v.stderr(), 30)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(dir.join("demo.bin")).unwrap(),
        "{text}"
    );
    assert!(text.contains("(erasure decoding)"), "{text}");
    // …and the lost data slot itself, from slot 1 and the parity slot.
    rebuild(0, &dir.join("rebuilt-0.bin"));
    drop((provers, v));
}
