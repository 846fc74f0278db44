//! A proving key's MSM bases resident on a GPU, uploaded once per [`crate::groth16::Prover`].

use super::{DeviceBases, GpuError, GpuMsm};
use crate::groth16::msm::ScalarInt;
use ark_bn254::{g1, g2, Bn254, G1Projective, G2Projective};
use ark_groth16::ProvingKey;
use std::sync::Arc;

/// The four queries Groth16 multiplies by: `A`, `B` (in G1 and G2) and `L ‖ H` as one.
#[derive(Debug)]
pub struct GpuKey {
    gpu: Arc<GpuMsm>,
    a: DeviceBases<g1::Config>,
    b_g1: DeviceBases<g1::Config>,
    b_g2: DeviceBases<g2::Config>,
    lh: DeviceBases<g1::Config>,
    /// `B` has the same identity points in G1 and G2 (both are `Bᵢ(τ)` times a generator),
    /// so one plan serves both MSMs; checked at upload.
    b_shared: bool,
}

impl GpuKey {
    /// Uploads `pk`'s queries to `gpu` (for 100 samples, about 0.6 GB of device memory).
    pub fn upload(gpu: Arc<GpuMsm>, pk: &ProvingKey<Bn254>) -> Result<Self, GpuError> {
        let b_g1 = gpu.upload(&[&pk.b_g1_query])?;
        let b_g2 = gpu.upload(&[&pk.b_g2_query])?;
        Ok(Self {
            a: gpu.upload(&[&pk.a_query])?,
            b_shared: b_g1.same_identities(&b_g2),
            b_g1,
            b_g2,
            lh: gpu.upload(&[&pk.l_query, &pk.h_query])?,
            gpu,
        })
    }

    /// The device it runs on.
    pub fn gpu(&self) -> &GpuMsm {
        &self.gpu
    }

    /// `Σ zᵢ·aᵢ`, `Σ zᵢ·bᵢ` in G1 and in G2, for the full assignment `z`.
    pub(crate) fn abb(
        &self,
        z: &[ScalarInt<g1::Config>],
    ) -> Result<(G1Projective, G1Projective, G2Projective), GpuError> {
        let gpu = &self.gpu;
        // The host plans both (in parallel), then the device runs three MSMs.
        let (plan_a, plan_b) = rayon::join(|| gpu.plan(&self.a, z), || gpu.plan(&self.b_g1, z));
        let (plan_a, plan_b) = (plan_a?, plan_b?);
        let a = gpu.execute(&plan_a, &self.a)?;
        drop(plan_a);
        let b1 = gpu.execute(&plan_b, &self.b_g1)?;
        let b2 = if self.b_shared {
            gpu.execute(&plan_b, &self.b_g2)?
        } else {
            gpu.msm(&self.b_g2, z)?
        };
        Ok((a, b1, b2))
    }

    /// `Σ lᵢ·zᵢ + Σ Hⱼ·hⱼ` over the witness part of `z` followed by the quotient.
    pub(crate) fn lh(&self, scalars: &[ScalarInt<g1::Config>]) -> Result<G1Projective, GpuError> {
        self.gpu.msm(&self.lh, scalars)
    }
}
