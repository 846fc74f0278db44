//! The sweeps of `shared/fixtures/leopard/vectors`: every Codex-legal (K, M) pair, parity
//! checked by its FNV-1a 64 against Leopard's.
//!
//! The 64-byte sweep runs in full (with a decode of random erasures per pair); the 1024-byte
//! sweep runs on a deterministic subset here and in full under `--ignored`
//! (`cargo test -p proofmesh-erasure --release --test sweep -- --ignored`).

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{fixtures, fnv1a64, SplitMix64};
use proofmesh_erasure::{encode, reconstruct};

/// `(K, M, fnv1a64(parity))` lines of a sweep file.
fn sweep(name: &str) -> Vec<(usize, usize, u64)> {
    let text = std::fs::read_to_string(fixtures().join("vectors").join(name)).unwrap();
    let lines: Vec<(usize, usize, u64)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                u64::from_str_radix(f[2], 16).unwrap(),
            )
        })
        .collect();
    assert_eq!(lines.len(), 16_383, "{name}: every Codex-legal pair");
    lines
}

/// Encodes pair (K, M) with `s`-byte shards of the sweep's data and checks the parity's hash;
/// with `decode`, also erases up to M random shards and checks they are restored.
fn check_pair(k: usize, m: usize, s: usize, want: u64, decode: bool) {
    let bytes = SplitMix64((k * 1000 + m) as u64).bytes(k * s);
    let data: Vec<&[u8]> = bytes.chunks(s).collect();
    let parity = encode(&data, m).unwrap();
    let got = fnv1a64(parity.iter().map(Vec::as_slice));
    assert_eq!(
        got, want,
        "K={k} M={m} S={s}: parity differs from Leopard's"
    );
    if decode {
        let mut rng = SplitMix64((k * 1000 + m) as u64 ^ 0xdec0de);
        let lost = 1 + rng.below(m);
        let erased = rng.subset(k + m, lost);
        let mut shards: Vec<Option<Vec<u8>>> = data
            .iter()
            .map(|d| Some(d.to_vec()))
            .chain(parity.iter().cloned().map(Some))
            .collect();
        for &i in &erased {
            shards[i] = None;
        }
        reconstruct(&mut shards, k, m).unwrap();
        for &i in &erased {
            let want = if i < k { data[i] } else { &parity[i - k][..] };
            assert_eq!(shards[i].as_deref(), Some(want), "K={k} M={m} shard {i}");
        }
    }
}

#[test]
fn sweep_s64_all_pairs() {
    for (k, m, want) in sweep("sweep_S64.txt") {
        check_pair(k, m, 64, want, true);
    }
}

/// Every 16th pair, plus the edges: M = 1, M = K, K + M = 256.
#[test]
fn sweep_s1024_subset() {
    for (i, (k, m, want)) in sweep("sweep_S1024.txt").into_iter().enumerate() {
        if i % 16 == 0 || m == 1 || m == k || k + m == 256 {
            check_pair(k, m, 1024, want, false);
        }
    }
}

#[test]
#[ignore = "full 1024-byte sweep: ~16x the 64-byte one; run with --release -- --ignored"]
fn sweep_s1024_all_pairs() {
    for (k, m, want) in sweep("sweep_S1024.txt") {
        check_pair(k, m, 1024, want, true);
    }
}
