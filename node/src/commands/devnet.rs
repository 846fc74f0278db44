//! `proofmesh devnet`: the README's main command.

use crate::output;
use anyhow::Context;
use proofmesh_node::devnet::{DevnetOptions, Report};
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// Run a local proofmesh mesh: provers, verifiers and the live dataset-health view.
///
/// Generates a demo dataset (K + M slot files), Groth16 keys for a small storage-proof
/// circuit, node keys and a verifier set, then starts every node as a separate `proofmesh
/// node` process on 127.0.0.1 with the `dev` entropy source (INSECURE, for devnets only).
/// Provers prove their slots every period and gossip the proofs; verifiers batch-verify
/// them, sign attestations, agree on quorum certificates and serve the health view over gRPC.
/// The health table is printed whenever it changes.
///
/// With --periods N it stops after N attested periods and checks that every duty got the
/// same final certificate at every verifier: exit 0 if so, 1 if not. Without it, it runs
/// until Ctrl-C or SIGTERM (either stops every node before it exits). Faults to watch:
///   --kill-slot S        the prover of slot S withholds it: Missing → Lost → repair request
///   --invalid-slot S     proofs of slot S that do not verify, signed by its provider, each
///                        period from a new peer: Invalid, and each sender's score drops
///   --crash-verifier I   verifier I is killed (SIGKILL) mid-run and restarted a period later:
///                        it catches up from its store and its peers
///
/// Each node's files and log (node.log) are under DIR/nodes/. Query the health view with
///   proofmesh health --addr ADDR      or      grpcurl -plaintext ADDR list
///
/// Examples:
///   proofmesh devnet
///   proofmesh devnet --periods 4 --kill-slot 5
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Directory for the devnet's files (replaced if it exists).
    #[arg(long, value_name = "DIR", default_value = "target/devnet")]
    dir: PathBuf,
    /// Stop after N attested periods and check every duty (exit 0 if all are final).
    #[arg(long, value_name = "N")]
    periods: Option<u64>,
    /// Verifier processes.
    #[arg(long, default_value_t = 3)]
    verifiers: usize,
    /// Prover processes (slots are dealt round-robin).
    #[arg(long, default_value_t = 2)]
    provers: usize,
    /// K: data slots.
    #[arg(long, default_value_t = 4)]
    data_slots: u16,
    /// M: parity slots.
    #[arg(long, default_value_t = 2)]
    parity_slots: u16,
    /// Period length in seconds.
    #[arg(long, default_value_t = 10)]
    period_secs: u64,
    /// Seconds a period's proofs are still accepted after its end.
    #[arg(long, default_value_t = 4)]
    timeout_secs: u64,
    /// A slot proves in a period with probability 1 / P.
    #[arg(long, value_name = "P", default_value_t = 1)]
    proof_probability: u32,
    /// Cells sampled per proof. 2 keeps proving (~1 s per proof here) well inside a 10 s
    /// period with 2 provers on 2 cores; Codex's count is 5 (then use --period-secs 20).
    #[arg(long, default_value_t = 2)]
    samples: usize,
    /// The prover of this slot withholds its proofs.
    #[arg(long, value_name = "S")]
    kill_slot: Option<u16>,
    /// This slot's data is lost (repeatable): its prover deletes the slot file and stops
    /// serving it; volunteers rebuild it (with --periods the devnet exits 0 only if every
    /// lost slot was rebuilt byte-identical, reassigned, proven again and is Healthy at
    /// every verifier).
    #[arg(long = "lose-slot", value_name = "S")]
    lose_slots: Vec<u16>,
    /// Volunteer nodes that repair the lost slots (started with --lose-slot).
    #[arg(long, default_value_t = 1, value_name = "N")]
    volunteers: usize,
    /// Proofs of this slot do not verify (sent by the devnet from a new peer each period,
    /// signed by the slot's provider, whose prover withholds it).
    #[arg(long, value_name = "S")]
    invalid_slot: Option<u16>,
    /// Kill -9 this verifier mid-run and restart it a period later.
    #[arg(long, value_name = "I")]
    crash_verifier: Option<usize>,
    /// gRPC port of verifier 0 (0: any free port).
    #[arg(long, default_value_t = 50051)]
    grpc_port: u16,
    /// Seed of the demo dataset and of the dev entropy.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the final check's summary as JSON to FILE (with --periods).
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
}

struct Stdout;

impl Report for Stdout {
    fn line(&mut self, text: &str) {
        let _ = output::line(text);
    }
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        a.verifiers >= 1 && a.provers >= 1,
        "need at least one verifier and one prover"
    );
    anyhow::ensure!(a.data_slots >= 1, "--data-slots must be at least 1");
    anyhow::ensure!(
        a.kill_slot.is_none() || a.kill_slot != a.invalid_slot,
        "--kill-slot and --invalid-slot must name different slots"
    );
    anyhow::ensure!(
        a.lose_slots
            .iter()
            .all(|s| Some(*s) != a.kill_slot && Some(*s) != a.invalid_slot),
        "--lose-slot must name slots other than --kill-slot and --invalid-slot"
    );
    anyhow::ensure!(
        a.lose_slots.len() <= usize::from(a.parity_slots),
        "at most M = {} slots can be lost and rebuilt",
        a.parity_slots
    );
    anyhow::ensure!(
        a.lose_slots.is_empty() || a.volunteers >= 1,
        "--lose-slot needs at least one volunteer"
    );
    let opts = DevnetOptions {
        dir: a.dir.clone(),
        binary: std::env::current_exe().context("cannot find the proofmesh binary")?,
        verifiers: a.verifiers,
        provers: a.provers,
        data_slots: a.data_slots,
        parity_slots: a.parity_slots,
        blocks_per_slot: 4,
        samples: a.samples,
        period_secs: a.period_secs.max(2),
        timeout_secs: a.timeout_secs,
        proof_probability: a.proof_probability.max(1),
        kill_slot: a.kill_slot,
        lose_slots: a.lose_slots.clone(),
        volunteers: a.volunteers,
        invalid_slot: a.invalid_slot,
        crash_verifier: a.crash_verifier,
        periods: a.periods,
        seed: a.seed,
        grpc_port: a.grpc_port,
        community: true,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(async move {
        let stop = CancellationToken::new();
        let on_signal = stop.clone();
        // SIGTERM and SIGINT alike: stop watching, SIGTERM every node, wait for them. (Left to
        // its default, SIGTERM would kill only this process and orphan every node.)
        let signal = super::shutdown_signal();
        tokio::spawn(async move {
            signal.await;
            on_signal.cancel();
        });
        proofmesh_node::devnet::run(opts, &mut Stdout, stop).await
    })?;
    match summary {
        None => Ok(ExitCode::SUCCESS),
        Some(s) => {
            if let Some(path) = &a.summary {
                std::fs::write(path, serde_json::to_string_pretty(&s)? + "\n")
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
            Ok(if s.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
