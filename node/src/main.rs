//! `proofmesh`: off-chain verification of Codex storage proofs.
//!
//! Every subcommand returns an exit code on success and an error (exit 2, message on stderr
//! naming the file and the problem) when its input is unreadable or malformed.

mod commands;
mod output;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// proofmesh — verify Codex storage proofs off-chain, and compute Codex's commitments.
///
/// Codex datasets are erasure-coded into slots; a storage provider proves it still holds a
/// slot by opening randomly sampled 2048-byte cells and showing their Poseidon2 Merkle paths up
/// to the dataset root, wrapped in a Groth16 proof. proofmesh checks those proofs without a
/// chain and computes the same commitments bit for bit.
///
/// proofmesh also runs the mesh that replaces on-chain verification: provers gossip proofs,
/// verifiers batch-verify them, sign attestations, agree on quorum certificates and serve a
/// dataset-health view over gRPC. Start with `proofmesh devnet`.
///
/// Exit codes: 0 success (or `valid`), 1 `invalid` proof, 2 unreadable or malformed input.
#[derive(Parser)]
#[command(name = "proofmesh", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Verify(commands::verify::Args),
    Commit(commands::commit::Args),
    Sample(commands::sample::Args),
    Input(commands::input::Args),
    Setup(commands::setup::Args),
    Prove(commands::prove::Args),
    #[command(subcommand)]
    Bench(commands::bench::Command),
    Node(commands::node::Args),
    Keygen(commands::keygen::Args),
    Devnet(commands::devnet::Args),
    Health(commands::health::Args),
    #[command(subcommand)]
    Dataset(commands::dataset::Command),
    #[command(subcommand)]
    Owner(commands::owner::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli.command);
    let result = match cli.command {
        Command::Verify(a) => commands::verify::run(a),
        Command::Commit(a) => commands::commit::run(a),
        Command::Sample(a) => commands::sample::run(a),
        Command::Input(a) => commands::input::run(a),
        Command::Setup(a) => commands::setup::run(a),
        Command::Prove(a) => commands::prove::run(a),
        Command::Bench(c) => commands::bench::run(c),
        Command::Node(a) => commands::node::run(a),
        Command::Keygen(a) => commands::keygen::run(a),
        Command::Devnet(a) => commands::devnet::run(a),
        Command::Health(a) => commands::health::run(a),
        Command::Dataset(c) => commands::dataset::run(c),
        Command::Owner(c) => commands::owner::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            output::error(&e);
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr, filtered by RUST_LOG. Services (`node`, `devnet`) log at info by
/// default, offline commands only errors. arkworks' constraint-tracing spans (target `gr1cs`)
/// are always off: when enabled they record a span per constraint and make building the
/// circuit's matrices orders of magnitude slower.
fn init_logs(command: &Command) {
    use tracing_subscriber::EnvFilter;
    let default = match command {
        Command::Node(_) | Command::Devnet(_) => "info,libp2p=warn,libp2p_gossipsub=error",
        _ => "error",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let filter = ["gr1cs=off", "ark_relations=off", "ark_r1cs_std=off"]
        .iter()
        .filter_map(|d| d.parse().ok())
        .fold(filter, EnvFilter::add_directive);
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
