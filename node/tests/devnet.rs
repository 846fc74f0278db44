#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End to end with real processes: `proofmesh devnet` starts 3 verifiers and 2 provers as
//! separate `proofmesh node` processes on 127.0.0.1 (port 0, a temp dir), with faults
//! injected — a withheld slot, a slot proven against the wrong entropy, a verifier killed
//! with SIGKILL mid-run and restarted — and writes what every verifier holds at the end
//! (queried over gRPC and /metrics) to a summary file. This test checks that summary.

use serde_json::Value;
use std::process::Command;
use std::time::Duration;

const WITHHELD: u64 = 4;
const INVALID: u64 = 2;
const CRASHED: usize = 1;

fn run_devnet(dir: &std::path::Path) -> (std::process::Output, Value) {
    let summary = dir.join("summary.json");
    let child = Command::new(env!("CARGO_BIN_EXE_proofmesh"))
        .args([
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
        .arg(&summary)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The devnet bounds itself (4 periods); this only guards against a hang.
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(400));
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    });
    drop(watchdog);
    let out = child.wait_with_output().unwrap();
    let text = std::fs::read_to_string(&summary).unwrap_or_else(|_| {
        panic!(
            "no summary; devnet said:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, serde_json::from_str(&text).unwrap())
}

#[test]
fn a_mesh_of_processes_certifies_every_duty_and_survives_faults() {
    let dir = tempfile::tempdir().unwrap();
    let (out, s) = run_devnet(dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && s["ok"] == true,
        "devnet failed:\n{stdout}\n{}",
        serde_json::to_string_pretty(&s["problems"]).unwrap()
    );
    assert!(stdout.contains(&format!("verifier {CRASHED}: killed (SIGKILL)")));
    assert!(stdout.contains(&format!("verifier {CRASHED}: restarted from its store")));

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
        // Slots are dealt round-robin to 3 provers: 0 and 3, 1 and 4, 2 and 5. Prover 2 sends
        // invalid proofs for slot 2: after a few, gossip scoring graylists it, so its proofs of
        // slot 5 may stop arriving too (Missing). Prover 1 withholds slot 4. With K = 3 of 6
        // the dataset stays recoverable whatever the timing, so repairs are requested.
        match slot {
            WITHHELD => assert_eq!(verdict, "missing", "{duty}"),
            INVALID => assert!(
                verdict == "invalid" || verdict == "missing",
                "{duty}: {verdict}"
            ),
            5 => assert!(
                verdict == "valid" || verdict == "missing",
                "{duty}: {verdict}"
            ),
            _ => assert_eq!(verdict, "valid", "{duty}"),
        }
        assert_eq!(
            expected.as_str().unwrap(),
            match slot {
                WITHHELD => "missing",
                INVALID => "invalid",
                _ => "valid",
            }
        );
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
        for honest in [0, 1, 3] {
            assert_eq!(v["slots"][honest], "healthy", "slot {honest}");
        }
    }

    // The invalid proofs were rejected and certified Invalid, and their sender's gossip
    // score dropped below zero (prover 2 holds slots 2 and 5).
    let rejected: f64 = verifiers
        .iter()
        .map(|v| v["rejected_invalid"].as_f64().unwrap())
        .sum();
    assert!(rejected >= 1.0);
    assert!(verifiers.iter().any(|v| v["certificates"]
        .as_object()
        .unwrap()
        .values()
        .any(|c| c[0] == "invalid")));
    let penalised = verifiers
        .iter()
        .filter_map(|v| v["prover_scores"][2].as_f64())
        .any(|score| score < 0.0);
    assert!(
        penalised,
        "scores: {:?}",
        verifiers
            .iter()
            .map(|v| &v["prover_scores"])
            .collect::<Vec<_>>()
    );
}
