//! Groth16's MSMs on an NVIDIA GPU (feature `gpu`): the bases of a proving key stay resident
//! on the device, the host sorts each window's terms by bucket ([`plan`]), and CUDA kernels
//! (`msm.cu`, compiled at run time by NVRTC) sum the buckets and reduce the windows.
//!
//! Without the feature, or on a machine without a driver, proofs are made on the CPU
//! ([`super::msm`]); both paths give the same points.

#[cfg(any(feature = "gpu", test))]
pub(crate) mod plan;

#[cfg(feature = "gpu")]
mod device;

#[cfg(feature = "gpu")]
pub use device::{DeviceBases, GpuCurve, GpuError, GpuMsm, GpuPlan};

#[cfg(feature = "gpu")]
mod key;

#[cfg(feature = "gpu")]
pub use key::GpuKey;
