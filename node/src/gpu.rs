//! `proofmesh prove --gpu` and `[prover] gpu = true`: the prover's MSMs on GPU 0, where the
//! build (feature `gpu`) and the machine (an NVIDIA driver, NVRTC) allow it. Asked for and not
//! available is an error, never a silent fall back to the CPU: an operator sizing a prover
//! for GPU throughput must know.

use proofmesh_prover::Prover;

/// Why the GPU was asked for and cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("gpu: {0}")]
pub struct GpuUnavailable(String);

/// `prover` with its MSMs on GPU 0 (the key's bases uploaded once, here).
#[cfg(feature = "gpu")]
pub fn prover_on_gpu(prover: Prover) -> Result<Prover, GpuUnavailable> {
    use proofmesh_prover::groth16::gpu::GpuMsm;
    let gpu = GpuMsm::new(0).map_err(|e| GpuUnavailable(e.to_string()))?;
    tracing::info!(
        device = gpu.device_name(),
        compile_ms = gpu.compile_time().map(|t| t.as_millis() as u64),
        "proving with GPU MSMs"
    );
    prover
        .with_gpu(std::sync::Arc::new(gpu))
        .map_err(|e| GpuUnavailable(e.to_string()))
}

/// This build has no GPU support.
#[cfg(not(feature = "gpu"))]
pub fn prover_on_gpu(_: Prover) -> Result<Prover, GpuUnavailable> {
    Err(GpuUnavailable(
        "this build has no GPU support; build with \
         `cargo build --release -p proofmesh-node --features gpu`"
            .into(),
    ))
}
