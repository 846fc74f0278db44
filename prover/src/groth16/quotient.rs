//! The QAP quotient `h` of a full assignment, with the constraint check folded in.
//!
//! The same reduction as arkworks' `LibsnarkReduction::witness_map_from_matrices` (libsnark's
//! R1CS-to-QAP map, which the proving key's `H` query is made for): evaluations of `A·z`,
//! `B·z`, `C·z` on the radix-2 domain, interpolated and moved to the coset `g·D`,
//! `h = (A·B − C) / Z` there, interpolated back. Checking the assignment needs the same three
//! matrix-vector products, so they are computed once: a violated constraint is reported from
//! here, before any FFT or MSM.

use ark_bn254::Fr;
use ark_ff::{FftField, Field, Zero};
use ark_groth16::r1cs_to_qap::evaluate_constraint;
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::Matrix;
use rayon::prelude::*;

/// Why the quotient could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuotientError {
    /// The assignment violates this constraint (the first one, by index).
    #[error("the assignment violates constraint {0}")]
    Unsatisfied(usize),
    /// The circuit is too large for BN254's FFT domains, or its matrices are not `[A, B, C]`.
    #[error("no evaluation domain for {0} constraints")]
    Domain(usize),
}

/// The evaluation domain of a circuit with `num_constraints` constraints and `num_instance`
/// instance variables (the constant one included): the one setup used.
pub fn domain(
    num_constraints: usize,
    num_instance: usize,
) -> Result<GeneralEvaluationDomain<Fr>, QuotientError> {
    GeneralEvaluationDomain::new(num_constraints + num_instance)
        .ok_or(QuotientError::Domain(num_constraints))
}

/// The coefficients of `h` (domain size; the last is zero for a satisfying assignment) for
/// `full_assignment = [1, public…, witness…]`, or the first violated constraint.
pub fn quotient(
    matrices: &[Matrix<Fr>],
    num_instance: usize,
    num_constraints: usize,
    full_assignment: &[Fr],
) -> Result<Vec<Fr>, QuotientError> {
    let [ma, mb, mc] = matrices else {
        return Err(QuotientError::Domain(num_constraints));
    };
    if ma.len() < num_constraints || mb.len() < num_constraints || mc.len() < num_constraints {
        return Err(QuotientError::Domain(num_constraints));
    }
    let domain = domain(num_constraints, num_instance)?;
    let n = domain.size();
    let mut a = vec![Fr::zero(); n];
    let mut b = vec![Fr::zero(); n];
    let mut c = vec![Fr::zero(); n];
    // Rows evaluated once, checked on the spot (the first violated index wins).
    let violation = a[..num_constraints]
        .par_iter_mut()
        .zip(&mut b[..num_constraints])
        .zip(&mut c[..num_constraints])
        .enumerate()
        .with_min_len(1024)
        .filter_map(|(i, ((a, b), c))| {
            *a = evaluate_constraint(&ma[i], full_assignment);
            *b = evaluate_constraint(&mb[i], full_assignment);
            *c = evaluate_constraint(&mc[i], full_assignment);
            (*a * *b != *c).then_some(i)
        })
        .min();
    if let Some(i) = violation {
        return Err(QuotientError::Unsatisfied(i));
    }
    // The instance rows libsnark appends: `A` holds the instance variables, `B`, `C` zero.
    let inputs = full_assignment.len().min(num_instance);
    a[num_constraints..num_constraints + inputs].copy_from_slice(&full_assignment[..inputs]);

    let coset = domain
        .get_coset(Fr::GENERATOR)
        .ok_or(QuotientError::Domain(num_constraints))?;
    let to_coset = |v: &mut Vec<Fr>| {
        domain.ifft_in_place(v);
        coset.fft_in_place(v);
    };
    let ((), ((), ())) = rayon::join(
        || to_coset(&mut a),
        || rayon::join(|| to_coset(&mut b), || to_coset(&mut c)),
    );
    let z_inv = domain
        .evaluate_vanishing_polynomial(Fr::GENERATOR)
        .inverse()
        .ok_or(QuotientError::Domain(num_constraints))?;
    a.par_iter_mut()
        .zip(&b)
        .zip(&c)
        .with_min_len(4096)
        .for_each(|((a, b), c)| *a = (*a * b - c) * z_inv);
    drop((b, c));
    coset.ifft_in_place(&mut a);
    Ok(a)
}
