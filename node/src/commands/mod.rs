//! One module per subcommand: its arguments (clap) and its `run`.

pub(crate) mod bench;
pub(crate) mod bench_blocks;
pub(crate) mod bench_corpus;
pub(crate) mod bench_grpc;
pub(crate) mod bench_node;
pub(crate) mod bench_repair;
pub(crate) mod commit;
pub(crate) mod dataset;
pub(crate) mod dataset_get;
pub(crate) mod devnet;
pub(crate) mod health;
pub(crate) mod input;
pub(crate) mod keygen;
pub(crate) mod node;
pub(crate) mod owner;
pub(crate) mod prove;
pub(crate) mod sample;
pub(crate) mod setup;
pub(crate) mod verify;

use anyhow::Context;
use proofmesh_circuits::field::{from_decimal, parse_decimal};
use proofmesh_circuits::Fr;
use std::path::Path;

/// Resolves on the first SIGINT or SIGTERM (Ctrl-C elsewhere), so that a command that owns
/// child processes or state stops cleanly whichever way it is asked to: service managers and
/// `kill` send SIGTERM, terminals SIGINT. The handlers are registered when this is called, not
/// when the future is first polled, so no signal between the two takes the default action
/// (which would kill the process and orphan its children).
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Parses a field element given on the command line: decimal, or hex with `0x`.
pub(crate) fn parse_fr(s: &str) -> Result<Fr, String> {
    let decimal = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => num_from_hex(hex)?,
        None => s.to_owned(),
    };
    from_decimal(&decimal).map_err(|e| e.to_string())
}

fn num_from_hex(hex: &str) -> Result<String, String> {
    if hex.is_empty() || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("not a hex number: 0x{hex}"));
    }
    let mut n = parse_decimal("0").map_err(|e| e.to_string())?;
    for d in hex.chars() {
        n = n * 16u32 + d.to_digit(16).unwrap_or(0);
    }
    Ok(n.to_str_radix(10))
}

/// Reads a whole text file, naming it in the error.
pub(crate) fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))
}
