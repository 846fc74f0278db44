#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A provider holds only its own slots: a real `proofmesh node` prover whose config lists one
//! slot file of a three-slot dataset (the other slot files deleted) proves it, and a real
//! verifier certifies the proofs Valid. The dataset tree comes from the owner's announcement.
//! Held slots the announcement does not back are refused at start with a typed error: a file
//! whose slot root is not the announced one, a dataset without an announcement.

mod common;

use common::*;
use proofmesh_node::devnet::{generate, DevnetOptions, Layout};
use proofmesh_proto::wire::pb;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PERIOD_SECS: u64 = 6;
const TIMEOUT_SECS: u64 = 3;
const POLL: Duration = Duration::from_millis(200);
/// The slot the prover holds.
const HELD: u16 = 1;

fn options(dir: &Path) -> DevnetOptions {
    mesh_options(dir, 1, 3, PERIOD_SECS, TIMEOUT_SECS, 13)
}

fn verifier_config(layout: &Layout, opts: &DevnetOptions, genesis: u64) -> PathBuf {
    let text = format!(
        "role = \"verifier\"\ndata_dir = \"data\"\ngrpc_addr = \"127.0.0.1:0\"\n{}{}\n[verifier]\nbls_key = \"verifier.key\"\nbatch_size = 64\nbatch_delay_ms = 100\n",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], &[]),
        network_section(layout, opts, genesis),
    );
    let path = layout.verifiers[0].join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `node.toml` of the prover of slot `HELD`, with `hold` as its `[[prover.hold]]` tables.
fn prover_config(
    layout: &Layout,
    opts: &DevnetOptions,
    genesis: u64,
    v: &str,
    hold: &str,
) -> PathBuf {
    let records = layout.prover_records(usize::from(HELD));
    let records: Vec<&str> = records.iter().map(|p| s(p)).collect();
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = {records:?}\n{hold}",
        p2p_section(&["/ip4/127.0.0.1/tcp/0"], &[v.to_owned()]),
        network_section(layout, opts, genesis),
        s(&layout.dir.join("keys").join("proving.key")),
    );
    let path = layout.provers[usize::from(HELD)].join("node.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts a prover that must refuse to start; returns what it said.
fn refused(config: &Path, logs: &Path, name: &str) -> String {
    let mut p = start_node(config, logs, name);
    let status = p.wait(Duration::from_secs(60), "a prover with a bad hold to exit");
    assert!(!status.success(), "{}", p.stderr());
    p.stderr()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prover_holding_one_slot_of_a_dataset_proves_it_valid() {
    let tmp = temp_dir();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    let opts = options(&dir);
    let layout = tokio::task::spawn_blocking({
        let opts = opts.clone();
        move || generate(&opts).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(layout.holdings[usize::from(HELD)], vec![HELD]);
    let hold = layout.prover_hold(usize::from(HELD));
    assert_eq!(hold.matches("[[prover.hold]]").count(), 1, "{hold}");
    let genesis = unix_now();
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let v = start_node(&verifier_config(&layout, &opts, genesis), &logs, "verifier");
    let v_data = layout.verifiers[0].join("data");
    let v_p2p = wait_file(&v_data.join("p2p.addr"), "V's p2p address");
    let v_grpc = wait_file(&v_data.join("grpc.addr"), "V's gRPC address");

    // Another slot's file under the held slot: its root is not the announced slot root.
    let held_file = s(&layout.slot_files[usize::from(HELD)]).to_owned();
    let other = s(&layout.slot_files[0]).to_owned();
    let wrong = hold.replace(&held_file, &other);
    let said = refused(
        &prover_config(&layout, &opts, genesis, &v_p2p, &wrong),
        &logs,
        "prover-wrong-file",
    );
    assert!(
        said.contains("prover.hold") && said.contains("is not the announced"),
        "{said}"
    );
    // A dataset the records do not announce.
    let unknown = hold.replace(&layout.root.to_string(), "12345");
    let said = refused(
        &prover_config(&layout, &opts, genesis, &v_p2p, &unknown),
        &logs,
        "prover-unknown-dataset",
    );
    assert!(
        said.contains("has no announcement of the dataset"),
        "{said}"
    );

    // The other slots' files are gone: the prover holds only its own.
    for (i, f) in layout.slot_files.iter().enumerate() {
        if i != usize::from(HELD) {
            std::fs::remove_file(f).unwrap();
        }
    }
    let p = start_node(
        &prover_config(&layout, &opts, genesis, &v_p2p, &hold),
        &logs,
        "prover",
    );
    let mut grpc = client(&v_grpc).await;
    let until = std::time::Instant::now() + Duration::from_secs(4 * PERIOD_SECS + 60);
    loop {
        let history = grpc
            .get_slot(pb::GetSlotRequest {
                dataset_root: layout.root.to_string(),
                slot_index: u32::from(HELD),
                history: 100,
            })
            .await
            .map(|r| r.into_inner().history)
            .unwrap_or_default();
        if history
            .iter()
            .any(|h| h.verdict == pb::Verdict::Valid as i32)
        {
            break;
        }
        if std::time::Instant::now() > until {
            panic!(
                "no Valid certificate of slot {HELD}: {history:?}\nV said:\n{}\nP said:\n{}",
                tail(&v.stderr(), 40),
                tail(&p.stderr(), 40)
            );
        }
        tokio::time::sleep(POLL).await;
    }
    drop((p, v));
}
