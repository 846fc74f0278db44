//! Helpers shared by the integration tests: the fixtures' location and their data generator.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// `shared/fixtures/leopard`, beside the repository (as in CI).
pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/leopard"
    ))
}

/// The fixtures' generator: splitmix64, little-endian u64 words.
pub(crate) struct SplitMix64(pub u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `n` bytes (a multiple of 8) of the stream.
    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        assert_eq!(n % 8, 0);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n / 8 {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out
    }

    /// Uniform-ish in `0..n` (test choices only).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `count` distinct indices out of `0..n`, sorted.
    pub(crate) fn subset(&mut self, n: usize, count: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..count {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        let mut picked = all[..count].to_vec();
        picked.sort_unstable();
        picked
    }
}

/// FNV-1a 64 over `bytes`.
pub(crate) fn fnv1a64<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for chunk in chunks {
        for &b in chunk {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
