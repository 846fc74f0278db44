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
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Verify(a) => commands::verify::run(a),
        Command::Commit(a) => commands::commit::run(a),
        Command::Sample(a) => commands::sample::run(a),
        Command::Input(a) => commands::input::run(a),
        Command::Setup(a) => commands::setup::run(a),
        Command::Prove(a) => commands::prove::run(a),
        Command::Bench(c) => commands::bench::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            output::error(&e);
            ExitCode::from(2)
        }
    }
}
