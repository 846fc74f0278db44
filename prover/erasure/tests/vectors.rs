//! Every Reed-Solomon vector of `shared/fixtures/leopard/vectors`: encoding gives Leopard's
//! parity byte for byte, and random erasures of up to M shards are restored.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{fixtures, sha256_hex, SplitMix64};
use proofmesh_erasure::{encode, field_for, reconstruct, ErasureError, Field};

/// One line of `vectors/SUMMARY.txt`, with the files when its directory is present (five of
/// the nineteen cases are listed with their hashes only).
struct Case {
    name: String,
    k: usize,
    m: usize,
    s: usize,
    data_sha256: String,
    parity_sha256: String,
    /// `data.bin` when present, else regenerated (splitmix64, seed 42).
    data: Vec<u8>,
    parity: Option<Vec<u8>>,
}

fn cases() -> Vec<Case> {
    let dir = fixtures().join("vectors");
    let summary = std::fs::read_to_string(dir.join("SUMMARY.txt")).unwrap();
    let mut cases = Vec::new();
    for line in summary
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        let name = f[0].to_string();
        let nums: Vec<usize> = name
            .split(['K', '_', 'M', 'S'])
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap())
            .collect();
        let [k, m, s] = nums[..] else {
            panic!("{name}")
        };
        let case_dir = dir.join(&name);
        let data = match std::fs::read(case_dir.join("data.bin")) {
            Ok(d) => d,
            Err(_) => SplitMix64(42).bytes(k * s),
        };
        cases.push(Case {
            k,
            m,
            s,
            data_sha256: f[1].to_string(),
            parity_sha256: f[2].to_string(),
            data,
            parity: std::fs::read(case_dir.join("parity.bin")).ok(),
            name,
        });
    }
    assert_eq!(cases.len(), 19, "every case of SUMMARY.txt");
    assert_eq!(cases.iter().filter(|c| c.parity.is_some()).count(), 14);
    cases
}

#[test]
fn data_is_the_fixtures_generator() {
    for c in cases() {
        assert_eq!(c.data.len(), c.k * c.s, "{}", c.name);
        assert_eq!(sha256_hex(&c.data), c.data_sha256, "{}", c.name);
        assert_eq!(SplitMix64(42).bytes(c.data.len()), c.data, "{}", c.name);
        if let Some(parity) = &c.parity {
            assert_eq!(parity.len(), c.m * c.s, "{}", c.name);
            assert_eq!(sha256_hex(parity), c.parity_sha256, "{}", c.name);
        }
    }
}

#[test]
fn encode_matches_leopard_and_erasures_are_restored() {
    let mut rng = SplitMix64(7);
    let mut fields = Vec::new();
    for c in cases() {
        let data: Vec<&[u8]> = c.data.chunks(c.s).collect();
        if c.k < 2 {
            // K1_M1 is Leopard's degenerate case (parity = data), outside Codex's K >= 2.
            assert_eq!(c.parity_sha256, c.data_sha256, "{}", c.name);
            assert!(matches!(
                encode(&data, c.m),
                Err(ErasureError::TooFewDataShards { k: 1 })
            ));
            continue;
        }
        fields.push(field_for(c.k, c.m));
        let parity = encode(&data, c.m).unwrap();
        let concat = parity.concat();
        assert_eq!(sha256_hex(&concat), c.parity_sha256, "{} parity", c.name);
        if let Some(want) = &c.parity {
            assert!(&concat == want, "{} parity.bin", c.name);
        }

        let all: Vec<Vec<u8>> = data
            .iter()
            .map(|d| d.to_vec())
            .chain(parity.iter().cloned())
            .collect();
        for trial in 0..4 {
            let lost = 1 + rng.below(c.m);
            let erased = rng.subset(c.k + c.m, if trial == 0 { c.m } else { lost });
            let mut shards: Vec<Option<Vec<u8>>> = all.iter().cloned().map(Some).collect();
            for &i in &erased {
                shards[i] = None;
            }
            reconstruct(&mut shards, c.k, c.m).unwrap();
            for (i, (got, want)) in shards.iter().zip(&all).enumerate() {
                assert_eq!(
                    got.as_ref(),
                    Some(want),
                    "{} shard {i} after {erased:?}",
                    c.name
                );
            }
        }
    }
    // The vectors exercise all three of Leopard's codes.
    for f in [Field::Xor, Field::Gf8, Field::Gf16] {
        assert!(fields.contains(&f), "{f:?}");
    }
}

/// The dataset layer codes many columns per call; that is only Codex's layout because Leopard
/// codes each 64-byte unit independently: a codeword of concatenated shards is the
/// concatenation of the codewords.
#[test]
fn concatenated_shards_code_as_separate_codewords() {
    for (k, m) in [(3, 1), (4, 2), (20, 10), (129, 65), (200, 56)] {
        let units = 3;
        let bytes = SplitMix64(k as u64).bytes(k * 64 * units);
        let data: Vec<&[u8]> = bytes.chunks(64 * units).collect();
        let whole = encode(&data, m).unwrap();
        for u in 0..units {
            let part: Vec<&[u8]> = data.iter().map(|d| &d[u * 64..(u + 1) * 64]).collect();
            let parity = encode(&part, m).unwrap();
            for (j, p) in parity.iter().enumerate() {
                assert_eq!(
                    &whole[j][u * 64..(u + 1) * 64],
                    &p[..],
                    "{:?} K={k} M={m}",
                    field_for(k, m)
                );
            }
        }
    }
}
