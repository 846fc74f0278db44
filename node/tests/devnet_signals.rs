#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `proofmesh devnet` owns its node processes: asked to stop by SIGTERM (what `kill`, systemd
//! and container runtimes send) it stops every node exactly as it does on SIGINT (Ctrl-C), and
//! none is left running. Real processes: the devnet and its nodes, found through `/proc` by
//! the devnet directory in their command lines.

mod common;

use common::{processes_mentioning, proofmesh_command, send_signal, tail, wait_for, wait_until};
use common::{temp_dir, Spawned};
use std::path::Path;
use std::time::Duration;

/// Key generation, the small Groth16 setup and starting the nodes, on a busy 2-core machine.
const START: Duration = Duration::from_secs(180);
/// Stopping: SIGTERM to every node, each given 10 s before SIGKILL.
const STOP: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(200);

/// Starts a small devnet (2 verifiers, 1 prover, runs until stopped) in `dir/net` and waits
/// until all its nodes run; returns it and their pids.
fn start_devnet(dir: &Path) -> (Spawned, Vec<u32>) {
    let net = dir.join("net");
    let mut cmd = proofmesh_command();
    cmd.args(["devnet", "--verifiers", "2", "--provers", "1"])
        .args(["--data-slots", "1", "--parity-slots", "1", "--samples", "2"])
        .args(["--period-secs", "5", "--grpc-port", "0", "--dir"])
        .arg(&net);
    let devnet = Spawned::start(cmd, dir, "devnet");
    // The prover starts last; its listen address means every node is up.
    let last = net.join("nodes/prover-0/data/p2p.addr");
    wait_until(START, POLL, "the devnet's last node to listen", || {
        std::fs::read_to_string(&last).is_ok_and(|t| !t.trim().is_empty())
    });
    let needle = needle(dir);
    let nodes = wait_for(START, POLL, "3 node processes", || {
        let pids = processes_mentioning(&needle);
        (pids.len() == 3).then_some(pids)
    });
    assert!(
        !nodes.contains(&devnet.pid()),
        "the devnet itself matched: {nodes:?}"
    );
    (devnet, nodes)
}

/// What every node's command line (its config path) contains: the devnet's canonical
/// directory, as the devnet writes it.
fn needle(dir: &Path) -> String {
    let net = std::fs::canonicalize(dir.join("net")).unwrap();
    format!("{}/nodes/", net.display())
}

fn stops_every_node_on(signal: &str) {
    let dir = temp_dir();
    let (mut devnet, nodes) = start_devnet(dir.path());
    send_signal(devnet.pid(), signal);
    let status = devnet.wait(STOP, &format!("devnet after SIG{signal}"));
    let out = devnet.stdout();
    // Every node process is gone (it exited and the devnet reaped it; an orphan would still
    // run, with the devnet directory in its command line).
    let left = processes_mentioning(&needle(dir.path()));
    if !left.is_empty() {
        for pid in &left {
            send_signal(*pid, "KILL");
        }
        panic!(
            "SIG{signal} left node processes running: {left:?} (started: {nodes:?}); the devnet \
             exited {status} and said:\n{}",
            tail(&out, 40)
        );
    }
    assert!(
        status.success(),
        "devnet exited {status} on SIG{signal}:\n{}\n{}",
        tail(&out, 40),
        tail(&devnet.stderr(), 20)
    );
    // … and each one stopped cleanly on the devnet's SIGTERM, not by a kill.
    assert!(
        out.contains("stopped: 3 nodes exited cleanly"),
        "{}",
        tail(&out, 40)
    );
}

#[test]
fn sigterm_stops_every_node() {
    stops_every_node_on("TERM");
}

#[test]
fn sigint_stops_every_node() {
    stops_every_node_on("INT");
}
