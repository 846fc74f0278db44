//! The datasets of `shared/fixtures/leopard/layout`: encoding the regenerated N-block file
//! gives nim-codex's slot files byte for byte, and any M lost slots are repaired to the same
//! bytes and decoded back to the original.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{fixtures, sha256_hex, SplitMix64};
use proofmesh_erasure::{
    decode_dir, encode_bytes, encode_file_with, repair_dir, repair_dir_with, slot_file_name,
    Manifest, Options, SlotState, BLOCK_SIZE,
};
use std::path::{Path, PathBuf};

/// (N, K, M) of each fixture dataset.
const DATASETS: [(usize, usize, usize); 2] = [(5, 2, 1), (9, 4, 2)];

fn fixture_dir(n: usize, k: usize, m: usize) -> PathBuf {
    fixtures().join("layout").join(format!("N{n}_K{k}_M{m}"))
}

fn original(n: usize) -> Vec<u8> {
    SplitMix64(42).bytes(n * BLOCK_SIZE)
}

fn sha256sums(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("SHA256SUMS"))
        .unwrap()
        .lines()
        .map(|l| {
            let (h, f) = l.split_once("  ").unwrap();
            (f.to_string(), h.to_string())
        })
        .collect()
}

/// Every size-`r` subset of `0..n`.
fn subsets(n: usize, r: usize) -> Vec<Vec<usize>> {
    (0u32..1 << n)
        .filter(|b| b.count_ones() as usize == r)
        .map(|b| (0..n).filter(|i| b & (1 << i) != 0).collect())
        .collect()
}

fn assert_slots_equal(dir: &Path, fixture: &Path, slots: usize) {
    for i in 0..slots {
        let name = slot_file_name(i);
        let got = std::fs::read(dir.join(&name)).unwrap();
        let want = std::fs::read(fixture.join(&name)).unwrap();
        assert!(got == want, "{} differs from the fixture", name);
    }
}

#[test]
fn encode_gives_the_fixture_slots() {
    for (n, k, m) in DATASETS {
        let fixture = fixture_dir(n, k, m);
        let data = original(n);
        let tmp = tempfile::tempdir().unwrap();
        let manifest = encode_bytes(&data, k, m, tmp.path()).unwrap();
        assert_slots_equal(tmp.path(), &fixture, k + m);
        let sums = sha256sums(&fixture);
        assert_eq!(sums.len(), k + m);
        for (i, (file, hash)) in sums.iter().enumerate() {
            assert_eq!(file, &slot_file_name(i));
            assert_eq!(&manifest.slot_sha256[i], hash, "N{n}_K{k}_M{m} {file}");
        }
        assert_eq!(manifest.blocks_per_slot, 3);
        assert_eq!(Manifest::load(tmp.path()).unwrap().0, manifest);

        // From a file, one column per batch: the same bytes.
        let input = tmp.path().join("original.bin");
        std::fs::write(&input, &data).unwrap();
        let out = tmp.path().join("one_column");
        let opts = Options { buffer_bytes: 1 };
        let again = encode_file_with(&input, k, m, &out, &opts).unwrap();
        assert_eq!(again, manifest);
        assert_slots_equal(&out, &fixture, k + m);
    }
}

#[test]
fn any_m_lost_slots_are_repaired_and_decoded() {
    for (n, k, m) in DATASETS {
        let fixture = fixture_dir(n, k, m);
        let data = original(n);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ds");
        encode_bytes(&data, k, m, &dir).unwrap();
        for lost in subsets(k + m, m) {
            for &i in &lost {
                std::fs::remove_file(dir.join(slot_file_name(i))).unwrap();
            }
            let out = tmp.path().join("decoded.bin");
            let decoded = decode_dir(&dir, &out).unwrap();
            assert_eq!(decoded.decoded, lost.iter().any(|&i| i < k), "{lost:?}");
            assert!(
                std::fs::read(&out).unwrap() == data,
                "decode without {lost:?}"
            );

            let report = repair_dir(&dir).unwrap();
            assert_eq!(report.rebuilt, lost);
            assert!(lost.iter().all(|&i| report.states[i] == SlotState::Missing));
            assert_slots_equal(&dir, &fixture, k + m);
        }
        // Nothing to do on an intact directory.
        let report = repair_dir(&dir).unwrap();
        assert!(report.rebuilt.is_empty() && report.sources.is_empty());
    }
}

#[test]
fn truncated_and_corrupted_slots_are_rebuilt() {
    let (n, k, m) = (9, 4, 2);
    let fixture = fixture_dir(n, k, m);
    let tmp = tempfile::tempdir().unwrap();
    encode_bytes(&original(n), k, m, tmp.path()).unwrap();
    // A half-written slot (what a killed copy leaves) and one bit flipped in another.
    let short = tmp.path().join(slot_file_name(1));
    let bytes = std::fs::read(&short).unwrap();
    std::fs::write(&short, &bytes[..bytes.len() / 2]).unwrap();
    let flipped = tmp.path().join(slot_file_name(4));
    let mut bytes = std::fs::read(&flipped).unwrap();
    bytes[12345] ^= 1;
    std::fs::write(&flipped, &bytes).unwrap();
    // A stale temporary file is not a slot.
    std::fs::write(tmp.path().join("slot_0.bin.tmp"), b"junk").unwrap();

    let report = repair_dir_with(tmp.path(), &Options { buffer_bytes: 1 }).unwrap();
    assert_eq!(report.rebuilt, vec![1, 4]);
    assert_eq!(
        report.states[1],
        SlotState::WrongLength {
            len: 3 * BLOCK_SIZE as u64 / 2
        }
    );
    assert_eq!(report.states[4], SlotState::HashMismatch);
    assert_eq!(report.sources, vec![0, 2, 3, 5]);
    assert_slots_equal(tmp.path(), &fixture, k + m);
}

#[test]
fn short_files_round_trip_with_their_exact_length() {
    // Sizes that end inside a block, on a block, and fill less than one row.
    let bytes = SplitMix64(9).bytes(5 * BLOCK_SIZE);
    for (size, k, m) in [
        (1, 2, 1),
        (70_000, 3, 2),
        (5 * BLOCK_SIZE - 8, 4, 3),
        (BLOCK_SIZE, 2, 2),
    ] {
        let data = &bytes[..size];
        let tmp = tempfile::tempdir().unwrap();
        let manifest = encode_bytes(data, k, m, tmp.path()).unwrap();
        assert_eq!(manifest.original_size, size as u64);
        for i in 0..m {
            std::fs::remove_file(tmp.path().join(slot_file_name(i))).unwrap();
        }
        let out = tmp.path().join("out.bin");
        decode_dir(tmp.path(), &out).unwrap();
        assert!(std::fs::read(&out).unwrap() == data, "size {size}");
        // The zero padding is part of the slots, as nim-codex stores it.
        let slot0 = std::fs::read(tmp.path().join(slot_file_name(m))).unwrap();
        assert_eq!(sha256_hex(&slot0), manifest.slot_sha256[m]);
    }
}

#[test]
fn gf16_dataset_round_trips() {
    // K = 129, M = 65: nextPow2(128 + 129) > 256, Leopard's 16-bit code; two blocks per slot.
    let (k, m) = (129, 65);
    let data = SplitMix64(3).bytes(200 * BLOCK_SIZE);
    let data = &data[..200 * BLOCK_SIZE - 100];
    let tmp = tempfile::tempdir().unwrap();
    let manifest = encode_bytes(data, k, m, tmp.path()).unwrap();
    assert_eq!(manifest.blocks_per_slot, 2);
    let lost = SplitMix64(5).subset(k + m, m);
    for &i in &lost {
        std::fs::remove_file(tmp.path().join(slot_file_name(i))).unwrap();
    }
    let out = tmp.path().join("out.bin");
    assert!(decode_dir(tmp.path(), &out).unwrap().decoded);
    assert!(std::fs::read(&out).unwrap() == data);
    let report = repair_dir_with(tmp.path(), &Options { buffer_bytes: 1 }).unwrap();
    assert_eq!(report.rebuilt, lost);
    let states = proofmesh_erasure::check_dir(tmp.path()).unwrap();
    assert!(states.iter().all(|s| *s == SlotState::Good));
}

#[test]
fn batches_do_not_change_the_slots() {
    // 50 blocks, K = 3: 17 columns; a 2-column buffer codes them 2, 2, …, 1 at a time.
    let (k, m) = (3, 2);
    let data = SplitMix64(11).bytes(50 * BLOCK_SIZE);
    let data = &data[..50 * BLOCK_SIZE - 4096];
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.bin");
    std::fs::write(&input, data).unwrap();
    let two_columns = Options {
        buffer_bytes: 2 * (k + m) * BLOCK_SIZE,
    };
    let small = encode_file_with(&input, k, m, &tmp.path().join("small"), &two_columns).unwrap();
    let whole = encode_bytes(data, k, m, &tmp.path().join("whole")).unwrap();
    assert_eq!(small, whole);
    let steps = whole.blocks_per_slot as usize;
    assert_eq!(steps, 17);

    // Column by column, straight from the layout's definition.
    let slots: Vec<Vec<u8>> = (0..k + m)
        .map(|i| std::fs::read(tmp.path().join("small").join(slot_file_name(i))).unwrap())
        .collect();
    let mut padded = data.to_vec();
    padded.resize(k * steps * BLOCK_SIZE, 0);
    for c in 0..steps {
        let block = |b: usize| &padded[b * BLOCK_SIZE..(b + 1) * BLOCK_SIZE];
        let column: Vec<&[u8]> = (0..k).map(|r| block(r * steps + c)).collect();
        let parity = proofmesh_erasure::encode(&column, m).unwrap();
        for r in 0..k + m {
            let want: &[u8] = if r < k { column[r] } else { &parity[r - k] };
            let got = &slots[r][c * BLOCK_SIZE..(c + 1) * BLOCK_SIZE];
            assert!(got == want, "row {r} column {c}");
        }
    }
    // Decoding with small batches from parity-heavy sources restores the file.
    for i in [0, 2] {
        std::fs::remove_file(tmp.path().join("small").join(slot_file_name(i))).unwrap();
    }
    let out = tmp.path().join("out.bin");
    proofmesh_erasure::decode_dir_with(&tmp.path().join("small"), &out, &two_columns).unwrap();
    assert!(std::fs::read(&out).unwrap() == data);
}
