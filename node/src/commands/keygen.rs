//! `proofmesh keygen`: the three secrets a node may need, as hex key files.

use crate::output;
use anyhow::Context;
use proofmesh_node::keys::{write_secret, ProviderSigner};
use rand::RngCore;
use std::path::PathBuf;
use std::process::ExitCode;

/// Generate a node's keys.
///
/// Writes into DIR (mode 0600, 64 hex digits each):
///   node.key       libp2p identity (Ed25519): the node's peer id
///   verifier.key   seed of the BLS12-381 attestation key (verifiers; put its public key in
///                  the verifier set file)
///   provider.key   Ed25519 key of a storage provider / dataset owner (provers)
/// and prints the public parts. Existing files are kept unless --force.
///
/// Example:
///   proofmesh keygen --out keys/verifier-0
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Directory for the key files (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    for name in ["node.key", "verifier.key", "provider.key"] {
        let path = a.out.join(name);
        if path.exists() && !a.force {
            output::line(&format!("{}: exists, kept", path.display()))?;
            continue;
        }
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        write_secret(&path, &secret)?;
    }
    let peer = proofmesh_node::keys::identity(&a.out.join("node.key"))?
        .public()
        .to_peer_id();
    let bls = proofmesh_node::keys::verifier_keypair(&a.out.join("verifier.key"))?.public_key();
    let provider = ProviderSigner::load(&a.out.join("provider.key"))?.public();
    output::line(&format!("peer id:          {peer}"))?;
    output::line(&format!("verifier key:     {}", hex::encode(bls.0)))?;
    output::line(&format!("provider key:     {}", hex::encode(provider.0)))?;
    Ok(ExitCode::SUCCESS)
}
