//! `proofmesh bench verify`: how many proofs per second this machine verifies, singly and
//! batched — what an operator uses to size a verifier machine. `proofmesh bench grpc` (in
//! `bench_grpc`): the gRPC health API's requests/s and latency under load. `proofmesh bench
//! node` (in `bench_node`): a verifier node's whole intake path against the batch verifier.
//! `proofmesh bench blocks` (in `bench_blocks`): fetching and checking a slot over loopback.
//! `proofmesh bench repair` (in `bench_repair`): a volunteer's rebuild of a lost slot.

use super::{bench_blocks, bench_grpc, bench_node, bench_repair, read_text};
use crate::output;
use anyhow::Context;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof};
use proofmesh_verifier::snarkjs::{parse_proof, parse_public_inputs, parse_verifying_key};
use proofmesh_verifier::{verify_batch, BatchItem, PreparedKey};
use rand::rngs::OsRng;
use rayon::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const CODEX_VK: &str = include_str!("../../assets/codex-hardhat/verification_key.json");
const CODEX_PROOF: &str = include_str!("../../assets/codex-hardhat/proof.json");
const CODEX_PUBLIC: &str = include_str!("../../assets/codex-hardhat/public.json");

/// Measure this machine's verification throughput, a node's gRPC health API under load, or
/// block transfer.
#[derive(clap::Subcommand)]
pub(crate) enum Command {
    Verify(VerifyArgs),
    Grpc(bench_grpc::GrpcArgs),
    Node(bench_node::NodeArgs),
    Blocks(bench_blocks::BlocksArgs),
    Repair(bench_repair::RepairArgs),
}

/// Verify n distinct valid proofs singly and as one batch; print proofs/s and the ratio.
///
/// The proofs are re-randomisations of one real proof (by default Codex's hardhat example,
/// embedded in the binary), so they are distinct, valid and cost what real proofs cost. Both
/// runs use the same rayon pool (--threads, default all cores). Prints:
///   single: X proofs/s
///   batch(n): Y proofs/s
///   ratio: Z
///
/// Example:
///   proofmesh bench verify --n 256
///   proofmesh bench verify --n 1024 --threads 1 --vk vk.json --proof proof.json --public public.json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct VerifyArgs {
    /// Proofs per run.
    #[arg(long, default_value_t = 256)]
    n: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Verifying key (snarkjs JSON); default Codex's.
    #[arg(long, requires_all = ["proof", "public"])]
    vk: Option<PathBuf>,
    /// Proof (snarkjs JSON).
    #[arg(long, requires_all = ["vk", "public"])]
    proof: Option<PathBuf>,
    /// Public inputs (snarkjs JSON).
    #[arg(long, requires_all = ["vk", "proof"])]
    public: Option<PathBuf>,
}

pub(crate) fn run(c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Verify(a) => verify(a),
        Command::Grpc(a) => bench_grpc::run(a),
        Command::Node(a) => bench_node::run(a),
        Command::Blocks(a) => bench_blocks::run(a),
        Command::Repair(a) => bench_repair::run(a),
    }
}

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(a.n > 0, "--n must be at least 1");
    let (vk_text, proof_text, public_text) = match (&a.vk, &a.proof, &a.public) {
        (Some(v), Some(p), Some(i)) => (read_text(v)?, read_text(p)?, read_text(i)?),
        _ => (
            CODEX_VK.to_owned(),
            CODEX_PROOF.to_owned(),
            CODEX_PUBLIC.to_owned(),
        ),
    };
    let vk = parse_verifying_key(&vk_text).context("verifying key")?;
    let proof = parse_proof(&proof_text).context("proof")?;
    let inputs: Vec<Fr> = parse_public_inputs(&public_text).context("public inputs")?;
    let key = PreparedKey::new(&vk);
    anyhow::ensure!(
        key.verify(&proof, &inputs)?,
        "the given proof does not verify: nothing to measure"
    );

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()?;
    let proofs: Vec<Proof<Bn254>> = (0..a.n)
        .map(|_| Groth16::<Bn254>::rerandomize_proof(&vk, &proof, &mut OsRng))
        .collect();
    let items: Vec<BatchItem<'_>> = proofs.iter().map(|p| BatchItem::new(p, &inputs)).collect();

    let t = Instant::now();
    let single_ok = pool.install(|| {
        proofs
            .par_iter()
            .all(|p| matches!(key.verify(p, &inputs), Ok(true)))
    });
    let single = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let batch_ok = pool
        .install(|| verify_batch(&key, &items, &mut OsRng))
        .iter()
        .all(|r| matches!(r, Ok(true)));
    let batch = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        single_ok && batch_ok,
        "a re-randomised proof failed to verify"
    );

    let n = a.n as f64;
    output::line(&format!("single: {:.0} proofs/s", n / single))?;
    output::line(&format!("batch({}): {:.0} proofs/s", a.n, n / batch))?;
    output::line(&format!("ratio: {:.2}", single / batch))?;
    output::line(&format!("threads: {}", pool.current_num_threads()))?;
    Ok(ExitCode::SUCCESS)
}
