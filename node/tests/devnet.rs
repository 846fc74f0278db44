#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End to end with real processes: `proofmesh devnet` starts 3 verifiers and 3 provers as
//! separate `proofmesh node` processes on 127.0.0.1 (port 0, a temp dir), with faults
//! injected — a withheld slot, a slot whose proofs do not verify, a verifier killed with
//! SIGKILL mid-run and restarted — and writes what every verifier holds at the end (queried
//! over gRPC and /metrics) to a summary file. This test checks that summary, strictly: every
//! duty has exactly its expected verdict.

mod common;

use common::{proofmesh_command, tail, temp_dir, Spawned};
use serde_json::Value;
use std::time::Duration;

const WITHHELD: u64 = 4;
const INVALID: u64 = 2;
const CRASHED: usize = 1;
/// The devnet bounds itself (setup, 4 periods of 12 s, settling, stopping: about a minute and
/// a half); past this it is hung, killed, and the test fails with its output.
const DEVNET_TIMEOUT: Duration = Duration::from_secs(400);

/// Runs the devnet to completion in `dir`; returns its stdout and its summary.
fn run_devnet(dir: &std::path::Path) -> (String, Value) {
    let summary = dir.join("summary.json");
    let mut cmd = proofmesh_command();
    cmd.args([
        "devnet",
        "--periods",
        "4",
        "--period-secs",
        "12",
        "--timeout-secs",
        "6",
    ])
    .args(["--samples", "2", "--grpc-port", "0", "--provers", "3"])
    .args(["--data-slots", "3", "--parity-slots", "3"])
    .args(["--kill-slot", &WITHHELD.to_string()])
    .args(["--invalid-slot", &INVALID.to_string()])
    .args(["--crash-verifier", &CRASHED.to_string()])
    // A relative --dir, as users type it (node configs must still find the shared files).
    .current_dir(dir)
    .arg("--dir")
    .arg("net")
    .arg("--summary")
    .arg(&summary);
    let mut devnet = Spawned::start(cmd, dir, "devnet");
    let status = devnet.wait(DEVNET_TIMEOUT, "proofmesh devnet");
    let stdout = devnet.stdout();
    let text = std::fs::read_to_string(&summary).unwrap_or_else(|_| {
        panic!(
            "no summary; devnet exited {status} and said:\n{}\n{}",
            tail(&stdout, 80),
            tail(&devnet.stderr(), 40)
        )
    });
    let s: Value = serde_json::from_str(&text).unwrap();
    assert!(
        status.success() && s["ok"] == true,
        "devnet failed ({status}):\n{}\n{}",
        tail(&stdout, 80),
        serde_json::to_string_pretty(&s["problems"]).unwrap()
    );
    (stdout, s)
}

#[test]
fn a_mesh_of_processes_certifies_every_duty_and_survives_faults() {
    let dir = temp_dir();
    let (stdout, s) = run_devnet(dir.path());
    assert!(stdout.contains(&format!("verifier {CRASHED}: killed (SIGKILL)")));
    assert!(stdout.contains(&format!("verifier {CRASHED}: restarted from its store")));

    // The demo dataset is a real erasure-coded one: with the three data slots gone, the
    // parity slots give the demo file back.
    let net = dir.path().join("net");
    let copy = dir.path().join("dataset-copy");
    std::fs::create_dir_all(&copy).unwrap();
    for f in ["manifest.json", "slot_3.bin", "slot_4.bin", "slot_5.bin"] {
        std::fs::copy(net.join("dataset").join(f), copy.join(f)).unwrap();
    }
    let back = dir.path().join("demo-back.bin");
    let o = common::proofmesh(&[
        "dataset",
        "decode",
        "--out",
        back.to_str().unwrap(),
        copy.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(
        std::fs::read(&back).unwrap(),
        std::fs::read(net.join("demo.bin")).unwrap()
    );

    let duties = s["duties"].as_object().unwrap();
    let verifiers = s["verifiers"].as_array().unwrap();
    assert_eq!(verifiers.len(), 3);
    assert!(
        duties.len() >= 8,
        "too few duties checked: {}",
        duties.len()
    );

    // Every required proof of the checked periods reached a final certificate at every
    // verifier — including the one that was killed and restarted — with the right verdict,
    // and all verifiers hold the very same certificate for each duty.
    for (duty, expected) in duties {
        let slot: u64 = duty.split('@').next().unwrap().parse().unwrap();
        let held: Vec<&Value> = verifiers
            .iter()
            .map(|v| {
                v["certificates"]
                    .get(duty)
                    .unwrap_or_else(|| panic!("{duty} missing at {}", v["grpc"]))
            })
            .collect();
        let verdict = held[0][0].as_str().unwrap();
        // Slots are dealt round-robin to 3 provers: 0 and 3, 1 and 4, 2 and 5. Prover 1
        // withholds slot 4; every proof of slot 2 is invalid (signed by prover 2's provider key,
        // sent from a new peer each period, so gossip scoring never cuts it off); prover 2's
        // slot 5 is honest. Every verdict is exactly the expected one.
        let want = match slot {
            WITHHELD => "missing",
            INVALID => "invalid",
            _ => "valid",
        };
        assert_eq!(verdict, want, "{duty}");
        assert_eq!(expected.as_str().unwrap(), want, "{duty}");
        for h in &held {
            assert_eq!(h, &held[0], "{duty}: verifiers disagree");
        }
    }

    // Nothing the killed verifier had acknowledged was lost: every period it signed and every
    // certificate it stored before SIGKILL came back from its store.
    let r = &s["restart"];
    assert!(r["sealed_before"].as_u64().unwrap() >= 1, "{r}");
    assert!(
        r["own_restored"].as_u64() >= r["sealed_before"].as_u64(),
        "{r}"
    );
    assert!(r["certified_before"].as_u64().unwrap() >= 1, "{r}");
    assert!(
        r["certificates_restored"].as_u64() >= r["certified_before"].as_u64(),
        "{r}"
    );

    // The withheld slot went Missing → Lost and a repair was requested, at every verifier.
    for v in verifiers {
        assert_eq!(v["slots"][WITHHELD as usize], "lost");
        assert_eq!(v["repair_requested"][WITHHELD as usize], true);
        for honest in [0, 1, 3, 5] {
            assert_eq!(v["slots"][honest], "healthy", "slot {honest}");
        }
    }

    // The heartbeat-only community dataset (same provers, no proofs): the four slots whose
    // provers heartbeat them are Healthy on Alive certificates at every verifier; the two
    // withheld ones (the fault injection stops their heartbeats too) are Lost, checked by
    // the devnet (`problems` is empty).
    assert_eq!(s["community_alive"], 4, "{}", tail(&stdout, 40));
    assert!(stdout.contains("community dataset (heartbeats only, no proofs): 4 of 6 slots"));

    // The invalid proofs were rejected and certified Invalid (every duty of slot 2, above), and
    // their senders' gossip scores dropped below zero.
    let rejected: f64 = verifiers
        .iter()
        .map(|v| v["rejected_invalid"].as_f64().unwrap())
        .sum();
    assert!(rejected >= 1.0);
    // Probability 1: slot 2 owes a proof in each of the 4 checked periods, each one sent.
    let invalid_duties = duties.values().filter(|v| *v == "invalid").count();
    assert_eq!(invalid_duties, 4);
    let sent = stdout
        .matches(&format!(
            "invalid proof of slot {INVALID} sent from a fresh peer"
        ))
        .count();
    assert_eq!(sent, invalid_duties, "{}", tail(&stdout, 40));
    let penalised: Vec<f64> = verifiers
        .iter()
        .map(|v| v["peers_below_zero"].as_f64().unwrap())
        .collect();
    assert!(
        penalised.iter().any(|&n| n >= 1.0),
        "peers below zero: {penalised:?}"
    );
}
