//! Proving Codex's statement: ark-groth16 on **Codex's own R1CS** (the circom circuit
//! `SampleAndProve(32, 8, 5, 67, 5)`, 89,802 constraints, read from circom's `.r1cs` with the
//! witness from snarkjs' `.wtns`: "witness given", as in the anchor of
//! `shared/design/performance.md`) against `proofmesh_prover::Prover::prove` on proofmesh's
//! circuit for the same statement and parameters (native witness generation included), same
//! run.
//!
//! The `.r1cs` and `.wtns` are files the user supplies: circom's output for Codex's circuit and
//! snarkjs' witness for one input (`docs/performance.md` lists the steps):
//! `PROOFMESH_CODEX_R1CS=…/proof_main_5.r1cs PROOFMESH_CODEX_WTNS=…/witness.wtns
//!  cargo bench -p proofmesh-benches --bench codex_r1cs`
//! Without them the bench says so and measures nothing. With `--features gpu` and a GPU,
//! `proofmesh_prove_gpu` (the same prover with its MSMs on the GPU) runs too.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use ark_bn254::{Bn254, Fr};
use ark_ff::PrimeField;
use ark_groth16::Groth16;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystemRef, LinearCombination, SynthesisError, Variable,
};
use criterion::{criterion_group, criterion_main, Criterion};
use proofmesh_benches::{measurement_time, random_slot_files, report_ratio};
use proofmesh_circuits::CircuitParams;
use proofmesh_prover::dataset::open_slots;
use proofmesh_prover::{circuit_input, commit, Prover};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// circom's R1CS: wire 0 is the constant one, then the public signals, then the rest.
struct R1csFile {
    n_pub: usize,
    n_wires: usize,
    constraints: Vec<[Vec<(usize, Fr)>; 3]>,
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

/// (type, offset, size) of each section of an iden3 binary file.
fn sections(b: &[u8], magic: &[u8; 4]) -> Vec<(u32, usize, usize)> {
    assert_eq!(&b[..4], magic);
    let n = u32_at(b, 8) as usize;
    let mut o = 12;
    let mut out = Vec::new();
    for _ in 0..n {
        let t = u32_at(b, o);
        let size = u64_at(b, o + 4) as usize;
        out.push((t, o + 12, size));
        o += 12 + size;
    }
    out
}

fn read_r1cs(b: &[u8]) -> R1csFile {
    let secs = sections(b, b"r1cs");
    let &(_, h, _) = secs.iter().find(|s| s.0 == 1).unwrap();
    let n8 = u32_at(b, h) as usize;
    assert_eq!(n8, 32);
    let mut o = h + 4 + n8;
    let n_wires = u32_at(b, o) as usize;
    let n_pub_out = u32_at(b, o + 4) as usize;
    let n_pub_in = u32_at(b, o + 8) as usize;
    o += 16 + 8;
    let n_constraints = u32_at(b, o) as usize;
    let &(_, mut c, _) = secs.iter().find(|s| s.0 == 2).unwrap();
    let mut constraints = Vec::with_capacity(n_constraints);
    for _ in 0..n_constraints {
        let mut lcs: [Vec<(usize, Fr)>; 3] = Default::default();
        for lc in &mut lcs {
            let terms = u32_at(b, c) as usize;
            c += 4;
            for _ in 0..terms {
                let w = u32_at(b, c) as usize;
                let v = Fr::from_le_bytes_mod_order(&b[c + 4..c + 36]);
                lc.push((w, v));
                c += 36;
            }
        }
        constraints.push(lcs);
    }
    R1csFile {
        n_pub: n_pub_out + n_pub_in,
        n_wires,
        constraints,
    }
}

fn read_wtns(b: &[u8]) -> Vec<Fr> {
    let secs = sections(b, b"wtns");
    let &(_, h, _) = secs.iter().find(|s| s.0 == 1).unwrap();
    let n8 = u32_at(b, h) as usize;
    let n = u32_at(b, h + 4 + n8) as usize;
    let &(_, d, _) = secs.iter().find(|s| s.0 == 2).unwrap();
    (0..n)
        .map(|i| Fr::from_le_bytes_mod_order(&b[d + i * n8..d + (i + 1) * n8]))
        .collect()
}

#[derive(Clone)]
struct Replay<'a> {
    r1cs: &'a R1csFile,
    witness: Option<&'a [Fr]>,
}

impl ConstraintSynthesizer<Fr> for Replay<'_> {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let mut vars = vec![Variable::One];
        for w in 1..self.r1cs.n_wires {
            let val = || {
                self.witness
                    .map(|x| x[w])
                    .ok_or(SynthesisError::AssignmentMissing)
            };
            vars.push(if w <= self.r1cs.n_pub {
                cs.new_input_variable(val)?
            } else {
                cs.new_witness_variable(val)?
            });
        }
        for [a, b, c] in &self.r1cs.constraints {
            let lc = |terms: &Vec<(usize, Fr)>| {
                let mut l = LinearCombination::zero();
                for (w, v) in terms {
                    l += (*v, vars[*w]);
                }
                l
            };
            cs.enforce_r1cs_constraint(|| lc(a), || lc(b), || lc(c))?;
        }
        Ok(())
    }
}

fn bench(c: &mut Criterion) {
    let (Some(r1cs_path), Some(wtns_path)) = (
        std::env::var_os("PROOFMESH_CODEX_R1CS"),
        std::env::var_os("PROOFMESH_CODEX_WTNS"),
    ) else {
        eprintln!(
            "codex_r1cs: set PROOFMESH_CODEX_R1CS and PROOFMESH_CODEX_WTNS (Codex's circuit \
             compiled by circom, a witness from snarkjs: see docs/performance.md); nothing \
             measured"
        );
        return;
    };
    let r1cs = read_r1cs(&std::fs::read(r1cs_path).unwrap());
    let wtns = read_wtns(&std::fs::read(wtns_path).unwrap());
    assert_eq!(wtns.len(), r1cs.n_wires);
    let eval = |t: &Vec<(usize, Fr)>| t.iter().map(|(w, v)| wtns[*w] * v).sum::<Fr>();
    assert!(
        r1cs.constraints
            .iter()
            .all(|[a, b, c]| eval(a) * eval(b) == eval(c)),
        "the witness does not satisfy the R1CS"
    );
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let codex_pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(
        Replay {
            r1cs: &r1cs,
            witness: None,
        },
        &mut rng,
    )
    .unwrap();

    let params = CircuitParams::codex(5);
    let pk = proofmesh_prover::setup(&params, &mut rng).unwrap();
    let prover = Prover::new(params, pk, Default::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let paths = random_slot_files(dir.path(), &[16; 4], &mut rng).unwrap();
    let slots = open_slots(&paths).unwrap();
    let commitment = commit(&slots).unwrap();
    let input = circuit_input(&params, &slots, &commitment, 1, Fr::from(1234567u64)).unwrap();

    let group = "codex_statement_5_samples";
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.measurement_time(measurement_time(20));
    g.bench_function("ark_groth16_codex_r1cs", |b| {
        b.iter(|| {
            Groth16::<Bn254>::create_random_proof_with_reduction(
                Replay {
                    r1cs: &r1cs,
                    witness: Some(&wtns),
                },
                &codex_pk,
                &mut rng,
            )
            .unwrap()
        })
    });
    g.bench_function("proofmesh_prove", |b| {
        b.iter(|| prover.prove(&input, &mut rng).unwrap())
    });
    #[cfg(feature = "gpu")]
    let gpu_prover = proofmesh_benches::gpu_prover(&prover);
    #[cfg(feature = "gpu")]
    if let Some(gpu_prover) = &gpu_prover {
        g.bench_function("proofmesh_prove_gpu", |b| {
            b.iter(|| gpu_prover.prove(&input, &mut rng).unwrap())
        });
    }
    g.finish();
    report_ratio(group, "ark_groth16_codex_r1cs", "proofmesh_prove");
    #[cfg(feature = "gpu")]
    if gpu_prover.is_some() {
        report_ratio(group, "ark_groth16_codex_r1cs", "proofmesh_prove_gpu");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
