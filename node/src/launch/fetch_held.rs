//! A provider assigned a slot it does not hold yet fetches it before proving: from the nodes
//! its config names (`[prover] fetch_from`: the owner's, another holder's) and from the slot's
//! other assignees found in the DHT (`blocks::locate`), every block checked against the
//! announced slot root (`blocks::fetch`). The file appears only once complete, so proving
//! never starts on a partial slot.

use super::NodeContext;
use crate::blocks::{fetch_slot, locate_dataset, FetchOptions, Provider, SlotSpec};
use crate::config::ProverSection;
use crate::p2p::{GossipMessage, Inbound};
use crate::run::NodeError;
use proofmesh_circuits::field::fr_from_canonical_le_bytes;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// Fetches every `[[prover.hold]]` slot whose file does not exist.
pub(super) async fn fetch_missing(
    ctx: &NodeContext,
    p: &ProverSection,
    records: &[(PathBuf, GossipMessage)],
    control: &mut mpsc::Receiver<Inbound>,
) -> Result<(), NodeError> {
    let missing: Vec<_> = p.hold.iter().filter(|h| !h.file.exists()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut named = Vec::new();
    for addr in &p.fetch_from {
        named.push(
            addr.parse::<Provider>()
                .map_err(|e| NodeError::Setup(format!("prover.fetch_from: {e}")))?,
        );
    }
    for h in missing {
        let bad = |why: String| {
            NodeError::Setup(format!(
                "prover.hold: {} (slot {} of dataset {}) does not exist and cannot be fetched: {why}",
                h.file.display(),
                h.slot,
                h.dataset
            ))
        };
        let announce = records
            .iter()
            .find_map(|(_, m)| match m {
                GossipMessage::Announce(a) if a.root == h.dataset => Some(a),
                _ => None,
            })
            .ok_or_else(|| bad("prover.registry has no announcement of the dataset".into()))?;
        let slot_root = announce
            .slot_roots
            .get(usize::from(h.slot))
            .and_then(|r| fr_from_canonical_le_bytes(r.as_bytes()))
            .ok_or_else(|| bad(format!("the dataset has {} slots", announce.slots())))?;
        let mut providers = named.clone();
        let wait = Duration::from_secs(p.fetch_wait_secs.max(1));
        match locate_dataset(&ctx.p2p, control, h.dataset, wait).await {
            Ok(located) => providers.extend(
                located
                    .providers
                    .into_iter()
                    .filter(|l| l.peer != ctx.p2p.local_peer_id),
            ),
            Err(e) => {
                tracing::warn!(dataset = %h.dataset, error = %e, "no holders found in the DHT")
            }
        }
        if providers.is_empty() {
            return Err(bad(
                "no node to fetch it from (prover.fetch_from, DHT)".into()
            ));
        }
        if let Some(dir) = h.file.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| bad(e.to_string()))?;
        }
        let spec = SlotSpec {
            dataset: h.dataset,
            index: h.slot,
            root: slot_root,
            n_blocks: announce.blocks_per_slot,
        };
        tracing::info!(dataset = %h.dataset, slot = h.slot, holders = providers.len(), "fetching held slot");
        let fetched = fetch_slot(
            &ctx.p2p,
            &providers,
            &spec,
            &h.file,
            &FetchOptions::default(),
        )
        .await
        .map_err(|e| bad(e.to_string()))?;
        tracing::info!(dataset = %h.dataset, slot = h.slot, blocks = fetched.blocks, file = %h.file.display(), "held slot fetched and checked");
    }
    Ok(())
}
