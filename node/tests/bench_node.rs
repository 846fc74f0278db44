//! `proofmesh bench node` on a tiny corpus: the command's output contract (the last three
//! lines, which other tools parse), every proof accepted by the real node, and the corpus
//! cache reused by a second run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{proofmesh, s, stderr, stdout, temp_dir};

/// The number before `unit` on the line that starts with `name`.
fn figure(out: &str, name: &str, unit: &str) -> f64 {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name:?} line in:\n{out}"));
    line.trim()
        .strip_suffix(unit)
        .unwrap_or_else(|| panic!("{name:?} line has no {unit:?}: {line:?}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{name:?} line: {line:?}: {e}"))
}

#[test]
fn bench_node_accepts_every_proof_and_prints_the_contract() {
    let dir = temp_dir();
    let cache = dir.path().join("cache");
    let args = ["bench", "node", "--proofs", "8", "--cache", s(&cache)];
    let o = proofmesh(&args);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.lines().any(|l| l == "accepted: 8/8"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let last: Vec<&str> = lines[lines.len() - 3..]
        .iter()
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(last, ["node", "batch", "ratio"], "{out}");
    let node = figure(&out, "node:", "proofs/s");
    let batch = figure(&out, "batch:", "proofs/s");
    let ratio = figure(&out, "ratio:", "");
    assert!(node > 0.0 && batch > 0.0, "{out}");
    assert!((ratio - node / batch).abs() <= 0.01 + 0.01 * ratio, "{out}");
    assert!(cache.join("corpus.bin").exists());

    // The second run proves nothing: the corpus comes from the cache.
    let o = proofmesh(&args);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("8 cached, 0 proved"), "{out}");
    assert!(out.lines().any(|l| l == "accepted: 8/8"), "{out}");
}
