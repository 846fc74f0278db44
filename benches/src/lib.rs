//! Helpers shared by proofmesh's criterion benches: fixture loading and ratio reports.
//!
//! Every bench measures a baseline in the same run as the code under test; after criterion
//! has written its estimates, [`report_ratio`] prints `baseline / candidate` from them so the
//! figure that goes into `docs/performance.md` is a same-run ratio, not two runs compared.

use proofmesh_circuits::slot::BLOCK_SIZE;
use rand::RngCore;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Criterion's measurement time for the slow groups: `default_secs`, or
/// `PROOFMESH_BENCH_SECS` (a device lease is short).
pub fn measurement_time(default_secs: u64) -> Duration {
    let secs = std::env::var("PROOFMESH_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_secs);
    Duration::from_secs(secs)
}

/// A second prover for `prover`'s key with its MSMs on the GPU, or `None` (said on stderr)
/// where there is no GPU.
#[cfg(feature = "gpu")]
pub fn gpu_prover(prover: &proofmesh_prover::Prover) -> Option<proofmesh_prover::Prover> {
    let gpu = open_gpu()?;
    let twin = proofmesh_prover::Prover::new(
        *prover.params(),
        prover.proving_key().clone(),
        PathBuf::new(),
    )
    .ok()?;
    twin.with_gpu(gpu).ok()
}

/// The GPU for the `gpu` variants, or `None` (said on stderr) where there is none.
#[cfg(feature = "gpu")]
pub fn open_gpu() -> Option<std::sync::Arc<proofmesh_prover::groth16::gpu::GpuMsm>> {
    match proofmesh_prover::groth16::gpu::GpuMsm::new(0) {
        Ok(gpu) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "gpu: {} (kernels {})",
                    gpu.device_name(),
                    gpu.compile_time()
                        .map_or("from the cache".into(), |t| format!("compiled in {t:.1?}"))
                );
            }
            Some(std::sync::Arc::new(gpu))
        }
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("gpu: {e}; the GPU variants are not measured");
            }
            None
        }
    }
}

/// Slot files of random bytes, `blocks[i]` 64 KiB blocks each, as `dir/slot{i}.bin`: the
/// datasets the proving benches commit to and prove from.
pub fn random_slot_files(
    dir: &Path,
    blocks: &[usize],
    rng: &mut impl RngCore,
) -> std::io::Result<Vec<PathBuf>> {
    blocks
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let mut data = vec![0u8; n * BLOCK_SIZE];
            rng.fill_bytes(&mut data);
            let p = dir.join(format!("slot{i}.bin"));
            std::fs::write(&p, data)?;
            Ok(p)
        })
        .collect()
}

/// `shared/fixtures/codex/<rel>` as seen from this crate.
pub fn codex_fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/codex")
        .join(rel)
}

fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion")
}

/// Mean time in nanoseconds of `group/id` from criterion's estimates of this run.
pub fn mean_ns(group: &str, id: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// Prints `baseline / candidate` for two benchmarks of one group (> 1 means the candidate is
/// faster). Criterion directory names replace `/` and spaces, so pass ids as criterion shows
/// them in `target/criterion`.
pub fn report_ratio(group: &str, baseline: &str, candidate: &str) {
    let msg = match (mean_ns(group, baseline), mean_ns(group, candidate)) {
        (Some(b), Some(c)) if c > 0.0 => format!(
            "ratio {group}: {baseline} {:.3} ms / {candidate} {:.3} ms = {:.2}x",
            b / 1e6,
            c / 1e6,
            b / c
        ),
        _ => format!("ratio {group}: estimates not found (was the group filtered out?)"),
    };
    // Benches are a terminal tool: stderr keeps criterion's stdout parseable.
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{msg}");
    }
}
