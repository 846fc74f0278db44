#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `proofmesh dataset get` as a real process against real providers: K + M = 3 `proofmesh
//! node` processes in the prover role on 127.0.0.1, each assigned one slot of a dataset made
//! by `proofmesh dataset encode` (owner-signed records from `proofmesh owner`), each serving
//! the slot it holds over `/proofmesh/blocks/1`. With M = 1 of them down (a data slot's, so
//! the file needs erasure decoding) the original comes back byte for byte and the serving
//! provers count what they served in their metrics; with M + 1 down the command exits 2,
//! naming every slot it could not fetch, and writes nothing.

mod common;

use common::{
    free_port, labelled, metric, proofmesh, s, scrape, slot_file, start_node, stderr, stdout,
    temp_dir, wait_file, Spawned,
};
use proofmesh_node::keys::{write_secret, write_verifier_set, ProviderSigner};
use proofmesh_proto::{Period, VerifierMember, VerifierSet};
use proofmesh_verifier::VerifierKeypair;
use std::path::{Path, PathBuf};

/// K, M of the dataset.
const K: usize = 2;
const M: usize = 1;

fn ok(args: &[&str]) -> String {
    let o = proofmesh(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// Everything a prover node needs for the dataset in `ds`: keys, the owner's records, one
/// config per prover (prover `j` assigned slot `j`); returns the config paths.
fn provers(dir: &Path, ds: &Path, metrics: &[String]) -> Vec<PathBuf> {
    let keys = dir.join("keys");
    // Keys for the dataset's shape: 3 blocks per slot (4 in the tree, 128 cells, depth 7),
    // 3 slots (log2 2). The provers prove nothing (proof policy 0) but load them.
    ok(&[
        "setup",
        "--samples",
        "2",
        "--max-depth",
        "7",
        "--max-log2-slots",
        "2",
        "--out",
        s(&keys),
    ]);
    let seed = [9u8; 32];
    let member = VerifierKeypair::from_seed(&seed).unwrap().public_key();
    let set = dir.join("verifiers.toml");
    write_verifier_set(
        &set,
        &VerifierSet {
            effective_from: Period(0),
            members: vec![VerifierMember {
                key: member,
                weight: 1,
            }],
        },
    )
    .unwrap();
    let owner_key = dir.join("owner.key");
    write_secret(&owner_key, &[1; 32]).unwrap();
    let announce = dir.join("announce.record");
    let root = ok(&[
        "owner",
        "announce",
        "--owner-key",
        s(&owner_key),
        "--proof-probability",
        "0",
        "--out",
        s(&announce),
        s(ds),
    ]);
    let root = root.trim();
    let files: Vec<String> = (0..K + M)
        .map(|i| s(&ds.join(format!("slot_{i}.bin"))).to_owned())
        .collect();
    let mut configs = Vec::new();
    for (j, metrics) in metrics.iter().enumerate() {
        let node = dir.join(format!("prover-{j}"));
        std::fs::create_dir_all(&node).unwrap();
        let secret = [20 + j as u8; 32];
        write_secret(&node.join("provider.key"), &secret).unwrap();
        write_secret(&node.join("node.key"), &[40 + j as u8; 32]).unwrap();
        let provider = hex::encode(ProviderSigner::from_secret(&secret).public().0);
        let record = node.join("assign.record");
        ok(&[
            "owner",
            "assign",
            "--owner-key",
            s(&owner_key),
            "--announcement",
            s(&announce),
            "--slot",
            &j.to_string(),
            "--provider",
            &provider,
            "--from-period",
            "0",
            "--out",
            s(&record),
        ]);
        let text = format!(
            "role = \"prover\"\ndata_dir = \"data\"\nmetrics_addr = {:?}\n\n[p2p]\nidentity_key = \"node.key\"\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n\n[network]\ngenesis = 0\nperiod_secs = 60\ntimeout_secs = 30\nentropy = \"dev\"\nentropy_seed = \"blocks\"\nverifying_keys = [{:?}]\nverifier_set = {:?}\n\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = [{:?}, {:?}]\n\n[[prover.hold]]\ndataset = {root:?}\nslot = {j}\nfile = {:?}\n",
            metrics,
            s(&keys.join("verifying.key")),
            s(&set),
            s(&keys.join("proving.key")),
            s(&announce),
            s(&record),
            files[j],
        );
        let path = node.join("node.toml");
        std::fs::write(&path, text).unwrap();
        configs.push(path);
    }
    configs
}

fn get(root: &str, out: &Path, ds: &Path, providers: &[String]) -> std::process::Output {
    let mut args = vec![
        "dataset".to_owned(),
        "get".to_owned(),
        root.to_owned(),
        "--out".to_owned(),
        s(out).to_owned(),
        "--manifest".to_owned(),
        s(&ds.join("manifest.json")).to_owned(),
    ];
    for p in providers {
        args.extend(["--provider".to_owned(), p.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    proofmesh(&args)
}

fn served(metrics: &str) -> (f64, f64) {
    let text = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(scrape(metrics));
    (
        labelled(
            &text,
            "proofmesh_blocks_served_total",
            &[("outcome", "served")],
        ),
        metric(&text, "proofmesh_block_bytes_served_total ").unwrap_or(0.0),
    )
}

#[test]
fn dataset_get_gets_the_original_from_real_provers_with_m_down_and_exits_2_with_m_plus_one() {
    let tmp = temp_dir();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    // Five blocks and a bit: 3 blocks per slot (the last data block mostly padding).
    let file = slot_file(&dir, "original.bin", 6, 5);
    let original = std::fs::read(&file).unwrap()[..5 * 65536 + 100].to_vec();
    std::fs::write(&file, &original).unwrap();
    let ds = dir.join("ds");
    let summary = ok(&[
        "dataset",
        "encode",
        "--data-slots",
        &K.to_string(),
        "--parity-slots",
        &M.to_string(),
        "--out",
        s(&ds),
        s(&file),
    ]);
    let summary: serde_json::Value = serde_json::from_str(summary.trim()).unwrap();
    let root = summary["datasetRoot"].as_str().unwrap().to_owned();

    let metrics: Vec<String> = (0..K + M)
        .map(|_| format!("127.0.0.1:{}", free_port()))
        .collect();
    let configs = provers(&dir, &ds, &metrics);
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut nodes: Vec<Spawned> = configs
        .iter()
        .enumerate()
        .map(|(j, c)| start_node(c, &logs, &format!("prover-{j}")))
        .collect();
    // A node writes p2p.addr once its swarm listens, before its role starts: wait for the
    // block server too (its log line), so no request meets a node that serves nothing yet.
    let addrs: Vec<String> = (0..K + M)
        .map(|j| {
            let data = dir.join(format!("prover-{j}")).join("data");
            wait_file(&data.join("p2p.addr"), "a prover's p2p address")
        })
        .collect();
    for (j, node) in nodes.iter().enumerate() {
        common::wait_until(
            std::time::Duration::from_secs(60),
            std::time::Duration::from_millis(100),
            &format!("prover {j} to serve blocks"),
            || node.stderr().contains("serving blocks"),
        );
    }

    // Slot 0's provider down: slot 1 and the parity slot rebuild the file.
    nodes[0].stop();
    let out = dir.join("got.bin");
    let o = get(&root, &out, &ds, &addrs);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), original);
    let text = stdout(&o);
    assert!(text.contains("slot 0: not fetched"), "{text}");
    assert!(
        text.contains("from slots [1, 2] (erasure decoding)"),
        "{text}"
    );
    // Each serving prover served its slot's 3 blocks, and counted them.
    for j in [1, 2] {
        let (answers, bytes) = served(&metrics[j]);
        assert!(answers >= 1.0, "prover {j}: {answers} answers served");
        assert_eq!(bytes, 3.0 * 65536.0, "prover {j}");
    }

    // One more down: one slot left of the K = 2 needed: exit 2, every slot named.
    nodes[1].stop();
    // (The root as nodes log it this time: 64 hex digits of its little-endian bytes.)
    let hex_root = proofmesh_node::config::parse_dataset_root(&root)
        .unwrap()
        .to_string();
    assert_eq!(hex_root.len(), 64);
    let out2 = dir.join("got2.bin");
    let o = get(&hex_root, &out2, &ds, &addrs);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let e = stderr(&o);
    assert!(
        e.contains("only 1 of the 2 slots needed could be fetched"),
        "{e}"
    );
    assert!(e.contains("slot 0:") && e.contains("slot 1:"), "{e}");
    assert!(!out2.exists());
    for n in &mut nodes {
        n.stop();
    }
}
