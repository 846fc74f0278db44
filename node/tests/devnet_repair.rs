#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `proofmesh devnet --lose-slot S --volunteers N`: the whole repair story with real
//! processes. K = 2, M = 2; a data slot (1) and a parity slot (2) are lost at once (their
//! provers hold and serve neither); two volunteers claim, the winners rebuild each slot from
//! the two survivors, prove it, and the devnet exits 0 only if both were rebuilt
//! byte-identical and are Healthy on a Valid certificate at every verifier.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

#[test]
fn the_devnet_rebuilds_a_lost_data_slot_and_a_lost_parity_slot() {
    let dir = temp_dir();
    let summary = dir.path().join("summary.json");
    let mut cmd = proofmesh_command();
    cmd.args([
        "devnet",
        "--periods",
        "9",
        "--period-secs",
        "6",
        "--timeout-secs",
        "3",
    ])
    .args(["--samples", "2", "--grpc-port", "0", "--provers", "2"])
    .args(["--data-slots", "2", "--parity-slots", "2"])
    .args(["--lose-slot", "1", "--lose-slot", "2", "--volunteers", "2"])
    .arg("--dir")
    .arg(dir.path().join("net"))
    .arg("--summary")
    .arg(&summary);
    let mut devnet = Spawned::start(cmd, dir.path(), "devnet");
    let status = devnet.wait(Duration::from_secs(400), "proofmesh devnet");
    let stdout = devnet.stdout();
    let text = std::fs::read_to_string(&summary)
        .unwrap_or_else(|_| panic!("no summary ({status}):\n{}", tail(&stdout, 60)));
    let s: Value = serde_json::from_str(&text).unwrap();
    assert!(
        status.success() && s["ok"] == true,
        "devnet failed ({status}):\n{}\n{}",
        tail(&stdout, 60),
        serde_json::to_string_pretty(&s["problems"]).unwrap()
    );
    assert_eq!(
        s["repaired"],
        serde_json::json!([1, 2]),
        "{}",
        tail(&stdout, 30)
    );
    assert!(stdout.contains("rebuilt byte-identical and healthy again at every verifier: [1, 2]"));
    // The health table told the story live: the lost slot went through every state.
    for state in ["missed", "lost", "repairing"] {
        assert!(
            stdout.contains(state),
            "no {state} row:\n{}",
            tail(&stdout, 60)
        );
    }
}
