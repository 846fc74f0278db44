//! Running a property over many seeds. Each test names itself, so its seeds differ from other
//! tests'; a failing seed panics with a message that names it and how to replay it:
//!
//! ```text
//! sim seed 0x… failed: …; replay with PROOFMESH_SIM_SEED=0x… cargo test -p proofmesh-sim --test sim -- NAME
//! ```
//!
//! `PROOFMESH_SIM_SEED` (decimal or `0x` hex) runs that one seed; `PROOFMESH_SIM_SEEDS=n` runs
//! `n` seeds instead of the test's default.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Replays exactly one seed.
pub const SEED_VAR: &str = "PROOFMESH_SIM_SEED";
/// Overrides how many seeds each test runs.
pub const SEEDS_VAR: &str = "PROOFMESH_SIM_SEEDS";

/// Parses a seed: decimal or `0x` hex.
pub fn parse_seed(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The `i`-th seed of test `name` (a fixed mix of the name and `i`).
pub fn seed_of(name: &str, i: u64) -> u64 {
    // FNV-1a of the name, then splitmix64 of (hash + i): stable across platforms and runs.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seeds a test runs: the replayed one, or `PROOFMESH_SIM_SEEDS` (else `default`) of its own.
pub fn seeds(name: &str, default: u64) -> Vec<u64> {
    if let Some(seed) = std::env::var(SEED_VAR).ok().and_then(|s| parse_seed(&s)) {
        return vec![seed];
    }
    let n = std::env::var(SEEDS_VAR)
        .ok()
        .and_then(|s| parse_seed(&s))
        .unwrap_or(default);
    (0..n).map(|i| seed_of(name, i)).collect()
}

/// Runs `property` for each of test `name`'s seeds and returns how many ran. A seed that
/// returns an error or panics fails the test with the seed and the replay command.
#[allow(clippy::panic, reason = "a failing seed fails the test that runs it")]
pub fn run_seeds(name: &str, default: u64, property: impl Fn(u64) -> Result<(), String>) -> usize {
    let list = seeds(name, default);
    for &seed in &list {
        let outcome = catch_unwind(AssertUnwindSafe(|| property(seed)));
        let why = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e,
            Err(payload) => payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_else(|| "panicked".into()),
        };
        panic!(
            "sim seed {seed:#018x} failed: {why}; replay with {SEED_VAR}={seed:#018x} cargo test -p proofmesh-sim --test sim -- {name}"
        );
    }
    list.len()
}
