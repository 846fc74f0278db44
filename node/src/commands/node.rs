//! `proofmesh node`: run a verifier, prover or observer node from a config file.

use anyhow::Context;
use proofmesh_node::config::NodeConfig;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// Run a proofmesh node (verifier, prover or observer) until SIGINT or SIGTERM.
///
/// The config file (TOML, see docs/operations.md) names the role, the data directory
/// (RocksDB), keys, listen and bootstrap addresses, the gRPC and metrics addresses and the
/// network parameters every node of the mesh shares (genesis, period, timeout, entropy,
/// verifying keys, verifier set). `proofmesh devnet` writes working examples.
///
/// On SIGINT/SIGTERM the node stops intake, verifies and reports what is pending, and exits
/// with status 0. Every attestation and certificate is on disk before it is published, so a
/// killed node restarts with nothing lost.
///
/// Logs: RUST_LOG (default info), on stderr.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// The node's config file.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let config = NodeConfig::load(&a.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let shutdown = CancellationToken::new();
        let signals = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("signal received: shutting down");
            signals.cancel();
        });
        proofmesh_node::run::run(config, shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
