//! Groth16 proof assembly from a satisfying assignment, with proofmesh's MSMs.
//!
//! The same algebra as arkworks' prover (and snarkjs, and libsnark): the QAP quotient `h`
//! from the constraint evaluations, then
//! `A = α + Σ zᵢ·aᵢ + r·δ`, `B = β + Σ zᵢ·bᵢ + s·δ` (in G2, and in G1 for `C`),
//! `C = Σ_aux zᵢ·lᵢ + Σ hⱼ·Hⱼ + s·A + r·B₁ − r·s·δ`. What differs is how the five MSMs run:
//! batch-affine buckets ([`super::msm`]), the `L` and `H` terms of `C` as one MSM, and the
//! witness converted out of Montgomery form once for `A`, `B₁`, `B₂` and `L`.

use crate::groth16::msm::{msm, MsmError};
use crate::groth16::quotient::{quotient, QuotientError};
use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::PrimeField;
use ark_groth16::{Proof, ProvingKey};
use ark_relations::gr1cs::Matrix;
use rayon::prelude::*;

/// Where the MSMs run.
#[derive(Debug, Clone, Copy, Default)]
pub enum Msms<'a> {
    /// On the CPU, one MSM at a time, each parallel over its windows.
    #[default]
    Cpu,
    /// On a GPU holding the key's bases: `A`, `B₁`, `B₂` run while the CPU reduces to the QAP.
    /// The key must be the one uploaded from `pk` (as `Prover::msms` gives it): another key's
    /// bases give another (invalid) proof.
    #[cfg(feature = "gpu")]
    Gpu(&'a crate::groth16::gpu::GpuKey),
    #[doc(hidden)]
    #[cfg(not(feature = "gpu"))]
    _Unused(std::marker::PhantomData<&'a ()>),
}

/// Why a proof could not be assembled: an assignment that violates a constraint, or (never
/// for a key checked by `Prover::new`) a key that does not fit the circuit.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// The QAP reduction refused: a violated constraint, or no domain.
    #[error(transparent)]
    Quotient(#[from] QuotientError),
    /// A query of the key does not match the assignment.
    #[error("proving key and assignment disagree: {0}")]
    Shape(#[from] MsmError),
    /// The GPU failed (a driver error, out of device memory).
    #[cfg(feature = "gpu")]
    #[error("GPU: {0}")]
    Gpu(#[from] crate::groth16::gpu::GpuError),
}

/// A Groth16 proof of `full_assignment = [1, public…, witness…]` under `pk` with the
/// randomisers `(r, s)`. `matrices` are the circuit's `[A, B, C]`. Every constraint is checked
/// on the way (see [`quotient`]): on the CPU an unsatisfying assignment never reaches the
/// MSMs; on the GPU ([`Msms::Gpu`]) it fails the proof once the check ends.
pub fn assemble(
    pk: &ProvingKey<Bn254>,
    matrices: &[Matrix<Fr>],
    num_instance: usize,
    num_constraints: usize,
    full_assignment: &[Fr],
    (r, s): (Fr, Fr),
    msms: Msms<'_>,
) -> Result<Proof<Bn254>, AssembleError> {
    // The assignment must cover every variable the key has (and the matrices index).
    if full_assignment.len() != pk.a_query.len() || full_assignment.len() < num_instance {
        return Err(MsmError::Length {
            bases: pk.a_query.len(),
            scalars: full_assignment.len(),
        }
        .into());
    }
    let z: Vec<_> = full_assignment
        .par_iter()
        .with_min_len(4096)
        .map(|x| x.into_bigint())
        .collect();
    let check = || quotient(matrices, num_instance, num_constraints, full_assignment);
    let (h, (a, b1, b2)) = match msms {
        #[cfg(feature = "gpu")]
        Msms::Gpu(key) => {
            // The GPU takes A, B₁, B₂ while the CPU checks the constraints and runs the FFTs;
            // an unsatisfied constraint still fails the proof.
            let (h, abb) = rayon::join(check, || key.abb(&z));
            (h?, abb?)
        }
        _ => {
            // The constraint check first: an unsatisfying assignment never reaches an MSM.
            let h = check()?;
            // One MSM at a time, each parallel over its windows: running them side by side
            // makes their buckets compete for the same caches.
            let a = msm(&[&pk.a_query], &z)?;
            let b1 = msm(&[&pk.b_g1_query], &z)?;
            let b2 = msm(&[&pk.b_g2_query], &z)?;
            (h, (a, b1, b2))
        }
    };
    // `L` and `H` in one MSM: the witness part of `z`, then `h` (the key has one point
    // fewer than the domain: the quotient has degree n − 2).
    let aux = z.get(num_instance..).unwrap_or_default();
    let lh_scalars: Vec<_> = aux
        .par_iter()
        .copied()
        .chain(h.par_iter().take(pk.h_query.len()).map(|x| x.into_bigint()))
        .collect();
    drop(h);
    let lh = match msms {
        #[cfg(feature = "gpu")]
        Msms::Gpu(key) => key.lh(&lh_scalars)?,
        _ => msm(&[&pk.l_query, &pk.h_query], &lh_scalars)?,
    };

    let delta_g1: G1Projective = pk.delta_g1.into();
    let g_a = a + pk.vk.alpha_g1 + delta_g1 * r;
    let g1_b = b1 + pk.beta_g1 + delta_g1 * s;
    let g2_b: G2Projective = b2 + pk.vk.beta_g2 + G2Projective::from(pk.vk.delta_g2) * s;
    let g_c = lh + g_a * s + g1_b * r - delta_g1 * (r * s);
    Ok(Proof {
        a: g_a.into_affine(),
        b: g2_b.into_affine(),
        c: g_c.into_affine(),
    })
}
