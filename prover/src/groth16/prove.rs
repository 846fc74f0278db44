//! The Groth16 prover of the storage-proof circuit, built once per proving key.
//!
//! arkworks' default path (`Groth16::prove`) synthesizes the circuit with its constraint
//! matrices on every proof. [`Prover`] builds the matrices once (at [`Prover::new`], from the
//! blank circuit, exactly as setup does), and per proof synthesizes only the witness (no
//! linear combinations or matrices are stored), and assembles the proof from the matrices
//! ([`super::assemble`]): the QAP reduction checks every constraint while it evaluates the
//! matrices (before any FFT or multi-scalar multiplication), then our MSMs. The proof is
//! verified before it is returned.
//!
//! Fail-fast order for one proof: native check of the input (`CircuitInput::check`, a few
//! hundred hashes) → witness synthesis → constraint check (in the QAP reduction) → FFTs and
//! MSMs → self-verification. With a GPU ([`Prover::with_gpu`]) the `A` and `B` MSMs run on the
//! device during the constraint check; a violated constraint still fails the proof.

use crate::error::{KeyError, ProverError};
use crate::groth16::assemble::{assemble, AssembleError, Msms};
use crate::groth16::keys::params_text;
use crate::groth16::quotient::QuotientError;
use crate::groth16::setup::check_params;
use crate::progress::{NoProgress, Progress, Stage};
use crate::CryptoRngDyn;
use ark_bn254::{Bn254, Fr};
use ark_ff::{UniformRand, Zero};
use ark_groth16::{Proof, ProvingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal,
    SynthesisError, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use proofmesh_circuits::gadgets::StorageProofCircuit;
use proofmesh_circuits::{CircuitInput, CircuitParams};
use proofmesh_verifier::{circuit_id_of, CircuitId, PreparedKey};
use rayon::prelude::*;
use std::path::PathBuf;

/// The circuit's R1CS as setup sees it: `[A, B, C]` and the variable counts.
#[derive(Debug, Clone)]
pub struct R1cs {
    /// The three constraint matrices, one row per constraint.
    pub matrices: Vec<Matrix<Fr>>,
    /// Instance variables, the constant one included (4 for this circuit).
    pub num_instance: usize,
    /// Witness variables.
    pub num_witness: usize,
    /// Constraints.
    pub num_constraints: usize,
}

impl R1cs {
    /// Synthesizes the blank circuit for `params` as Groth16 setup does (setup mode,
    /// `OptimizationGoal::Constraints`, linear combinations inlined).
    pub fn of(params: &CircuitParams) -> Result<Self, ProverError> {
        let cs = ConstraintSystem::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        StorageProofCircuit::blank(*params).generate_constraints(cs.clone())?;
        cs.finalize();
        let matrices = cs
            .to_matrices()?
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or(SynthesisError::PredicateNotFound)?;
        Ok(Self {
            matrices,
            num_instance: cs.num_instance_variables(),
            num_witness: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }

    /// The index of the first constraint `full_assignment` violates, if any (in parallel; a
    /// diagnostic: proving checks the same while it reduces to the QAP).
    pub fn first_violation(&self, full_assignment: &[Fr]) -> Option<usize> {
        let eval = |row: &[(Fr, usize)]| -> Fr {
            row.iter()
                .map(|(c, i)| full_assignment.get(*i).map_or(Fr::zero(), |v| *c * v))
                .sum()
        };
        let [a, b, c] = &self.matrices[..] else {
            return Some(0);
        };
        (0..self.num_constraints)
            .into_par_iter()
            .with_min_len(1024)
            .find_first(|&i| eval(&a[i]) * eval(&b[i]) != eval(&c[i]))
    }
}

/// A proving key with everything per-key precomputed: the circuit's matrices and the prepared
/// verifying key. Share it (`&Prover`) across threads to prove many slots.
#[derive(Debug)]
pub struct Prover {
    params: CircuitParams,
    pk: ProvingKey<Bn254>,
    circuit_id: CircuitId,
    r1cs: R1cs,
    vk: PreparedKey,
    /// The key's bases on a GPU, when [`Prover::with_gpu`] put them there.
    #[cfg(feature = "gpu")]
    gpu: Option<crate::groth16::gpu::GpuKey>,
}

impl Prover {
    /// Builds the prover for `pk`, a key for `params`, and checks that the key's sizes fit
    /// the circuit (`path` names the key's file in errors; empty for an in-memory key).
    pub fn new(
        params: CircuitParams,
        pk: ProvingKey<Bn254>,
        path: PathBuf,
    ) -> Result<Self, ProverError> {
        check_params(&params)?;
        let r1cs = R1cs::of(&params)?;
        let vars = r1cs.num_instance + r1cs.num_witness;
        let domain = (r1cs.num_constraints + r1cs.num_instance).next_power_of_two();
        let shapes: [(&'static str, usize, usize); 6] = [
            ("gamma_abc_g1", pk.vk.gamma_abc_g1.len(), r1cs.num_instance),
            ("a_query", pk.a_query.len(), vars),
            ("b_g1_query", pk.b_g1_query.len(), vars),
            ("b_g2_query", pk.b_g2_query.len(), vars),
            ("h_query", pk.h_query.len(), domain - 1),
            ("l_query", pk.l_query.len(), r1cs.num_witness),
        ];
        if let Some((what, got, want)) = shapes.into_iter().find(|(_, g, w)| g != w) {
            return Err(KeyError::Shape {
                path,
                params: params_text(&params),
                what,
                got,
                want,
            }
            .into());
        }
        Ok(Self {
            params,
            circuit_id: circuit_id_of(&pk.vk),
            vk: PreparedKey::new(&pk.vk),
            pk,
            r1cs,
            #[cfg(feature = "gpu")]
            gpu: None,
        })
    }

    /// Moves the MSMs of every later proof to `gpu`: uploads the key's bases (once) and
    /// keeps them there. The proofs are the same points as on the CPU.
    #[cfg(feature = "gpu")]
    pub fn with_gpu(
        mut self,
        gpu: std::sync::Arc<crate::groth16::gpu::GpuMsm>,
    ) -> Result<Self, crate::groth16::gpu::GpuError> {
        self.gpu = Some(crate::groth16::gpu::GpuKey::upload(gpu, &self.pk)?);
        Ok(self)
    }

    /// Where this prover's MSMs run (for [`assemble`] with this prover's key).
    pub fn msms(&self) -> Msms<'_> {
        #[cfg(feature = "gpu")]
        if let Some(key) = &self.gpu {
            return Msms::Gpu(key);
        }
        Msms::Cpu
    }

    /// Whether proofs run their MSMs on a GPU.
    pub fn uses_gpu(&self) -> bool {
        !matches!(self.msms(), Msms::Cpu)
    }

    /// The circuit parameters.
    pub fn params(&self) -> &CircuitParams {
        &self.params
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.pk
    }

    /// The verifying key, prepared.
    pub fn verifying_key(&self) -> &PreparedKey {
        &self.vk
    }

    /// The verifying key's circuit id.
    pub fn circuit_id(&self) -> CircuitId {
        self.circuit_id
    }

    /// The circuit's R1CS (matrices built once, at [`Prover::new`]).
    pub fn r1cs(&self) -> &R1cs {
        &self.r1cs
    }

    /// The full assignment `[1, public inputs, witness]` for `input`, synthesized without
    /// matrices (`input` must have passed `CircuitInput::check`).
    pub fn witness(&self, input: &CircuitInput) -> Result<Vec<Fr>, ProverError> {
        let circuit = StorageProofCircuit::from_input(input, self.params)?;
        let cs: ConstraintSystemRef<Fr> = ConstraintSystem::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        circuit.generate_constraints(cs.clone())?;
        let mut full = cs.instance_assignment()?;
        full.extend(cs.witness_assignment()?);
        if full.len() != self.r1cs.num_instance + self.r1cs.num_witness {
            // Same circuit, same parameters: a different variable count is a synthesis bug.
            return Err(SynthesisError::Unsatisfiable.into());
        }
        Ok(full)
    }

    /// Proves `input`: native check, witness, constraint check, Groth16, self-verification.
    pub fn prove(
        &self,
        input: &CircuitInput,
        rng: &mut dyn CryptoRngDyn,
    ) -> Result<Proof<Bn254>, ProverError> {
        self.prove_with_progress(input, &NoProgress, rng)
    }

    /// [`Prover::prove`], reporting [`Stage::Witness`] and [`Stage::Groth16`] to `progress`.
    pub fn prove_with_progress(
        &self,
        input: &CircuitInput,
        progress: &dyn Progress,
        rng: &mut dyn CryptoRngDyn,
    ) -> Result<Proof<Bn254>, ProverError> {
        input.check(&self.params)?;
        progress.stage(Stage::Witness);
        let full = self.witness(input)?;
        progress.stage(Stage::Groth16);
        // The constraint check runs inside the QAP reduction (on the CPU path before any MSM).
        let proof = self.prove_assignment(&full, rng)?;
        if !self
            .vk
            .verify(&proof, &input.public_inputs())
            .unwrap_or(false)
        {
            return Err(ProverError::SelfCheck);
        }
        Ok(proof)
    }

    /// Groth16 from a full assignment: every constraint is checked (a violation is
    /// [`ProverError::Unsatisfied`], on the CPU before any MSM), the proof is not verified (see
    /// [`Prover::prove`]).
    pub fn prove_assignment(
        &self,
        full_assignment: &[Fr],
        rng: &mut dyn CryptoRngDyn,
    ) -> Result<Proof<Bn254>, ProverError> {
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));
        assemble(
            &self.pk,
            &self.r1cs.matrices,
            self.r1cs.num_instance,
            self.r1cs.num_constraints,
            full_assignment,
            (r, s),
            self.msms(),
        )
        .map_err(|e| match e {
            AssembleError::Quotient(QuotientError::Unsatisfied(constraint)) => {
                ProverError::Unsatisfied {
                    constraint,
                    total: self.r1cs.num_constraints,
                }
            }
            e => e.into(),
        })
    }
}
