//! Finding a dataset from its root alone (`proofmesh dataset get ROOT --bootstrap …`): its
//! owner-signed announcement and assignments from the registry in the DHT (checked as a
//! verifier checks them), the manifest they make (K, M, blocks per slot, original size, slot
//! roots), and the peers of the providers its slots are assigned to, from their signed
//! locations in the DHT (`p2p/location.rs`).

use super::fetch::Provider;
use crate::p2p::{Inbound, P2pError, P2pHandle};
use proofmesh_circuits::field::{fr_from_canonical_le_bytes, fr_to_decimal};
use proofmesh_erasure::Manifest;
use proofmesh_proto::{DatasetAnnounce, DatasetRoot, GossipMessage, ProviderKey};
use proofmesh_verifier::intake::{IntakeError, Registry};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How often the registry (and missing locations) are asked for again while waiting.
const RETRY: Duration = Duration::from_secs(2);
/// How long to wait for the locations of the other providers once those found cover K slots.
const GRACE: Duration = Duration::from_secs(2);

/// A dataset as the DHT describes it.
#[derive(Debug)]
pub struct Located {
    /// The manifest its announcement makes.
    pub manifest: Manifest,
    /// The providers its slots are assigned to that could be located.
    pub providers: Vec<Provider>,
    /// Provider keys assigned a slot whose location was not found.
    pub unlocated: Vec<ProviderKey>,
}

/// Why a dataset could not be located.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// No valid announcement of the root arrived in time.
    #[error("dataset {0} not found in the registry (no DHT peer holds its record)")]
    NotFound(DatasetRoot),
    /// Announced, but no slot of it is assigned.
    #[error("dataset {0} has no assigned slot")]
    Unassigned(DatasetRoot),
    /// The swarm stopped.
    #[error(transparent)]
    P2p(#[from] P2pError),
}

/// The manifest an announcement makes (what `proofmesh dataset encode` would have written).
pub fn manifest_of(a: &DatasetAnnounce) -> Manifest {
    let decimal = |b: &[u8; 32]| {
        fr_from_canonical_le_bytes(b).map_or_else(String::new, |f| fr_to_decimal(&f))
    };
    Manifest {
        data_slots: usize::from(a.data_slots),
        parity_slots: usize::from(a.parity_slots),
        blocks_per_slot: a.blocks_per_slot,
        block_size: proofmesh_proto::BLOCK_BYTES,
        original_size: a.original_size,
        slot_sha256: Vec::new(),
        slot_roots: a.slot_roots.iter().map(|r| decimal(r.as_bytes())).collect(),
        dataset_root: Some(decimal(a.root.as_bytes())),
        verifiable_strategy: 0,
    }
}

/// Reads `root`'s registry from the DHT (through `p2p`, whose control queue is `inbound`)
/// and locates its slots' providers, waiting at most `wait` in all.
pub async fn locate_dataset(
    p2p: &P2pHandle,
    inbound: &mut mpsc::Receiver<Inbound>,
    root: DatasetRoot,
    wait: Duration,
) -> Result<Located, LocateError> {
    let deadline = Instant::now() + wait;
    let mut registry = Registry::new();
    let mut asked = Instant::now();
    p2p.fetch_registry().await?;
    // The registry first: the announcement and at least one assignment.
    while registry.dataset(&root).is_none() || assignees(&registry, root).is_empty() {
        let Some(item) = next(p2p, inbound, deadline.min(asked + RETRY)).await else {
            if Instant::now() >= deadline {
                return Err(match registry.dataset(&root) {
                    None => LocateError::NotFound(root),
                    Some(_) => LocateError::Unassigned(root),
                });
            }
            asked = Instant::now();
            p2p.fetch_registry().await?;
            continue;
        };
        if let Inbound::Registry { messages } = item {
            take(&mut registry, messages);
        }
    }
    let manifest = manifest_of(registry.dataset(&root).ok_or(LocateError::NotFound(root))?);
    let k = manifest.data_slots;
    let wanted = assignees(&registry, root);
    let mut found: BTreeMap<ProviderKey, Provider> = BTreeMap::new();
    for key in wanted.keys() {
        p2p.find_provider(*key).await?;
    }
    let mut covered_at: Option<Instant> = None;
    loop {
        if found.len() == wanted.len() {
            break;
        }
        let covered: BTreeSet<u16> = found
            .keys()
            .flat_map(|k| wanted.get(k).into_iter().flatten().copied())
            .collect();
        if covered.len() >= k {
            let at = *covered_at.get_or_insert_with(Instant::now);
            if Instant::now() >= at + GRACE {
                break;
            }
        }
        let until = deadline
            .min(asked + RETRY)
            .min(covered_at.map_or(deadline, |t| t + GRACE));
        match next(p2p, inbound, until).await {
            Some(Inbound::Location(l)) if wanted.contains_key(&l.provider) => {
                found.insert(
                    l.provider,
                    Provider {
                        peer: l.peer,
                        addresses: l.addrs,
                    },
                );
            }
            Some(_) => {}
            None if Instant::now() >= deadline => break,
            None => {
                if Instant::now() >= asked + RETRY {
                    asked = Instant::now();
                    for key in wanted.keys().filter(|k| !found.contains_key(k)) {
                        p2p.find_provider(*key).await?;
                    }
                }
            }
        }
    }
    let unlocated = wanted
        .keys()
        .filter(|k| !found.contains_key(k))
        .copied()
        .collect();
    Ok(Located {
        manifest,
        providers: found.into_values().collect(),
        unlocated,
    })
}

/// The next inbound item before `until` (`None`: the time passed or the queue closed). A
/// gossip message that arrives meanwhile is answered Ignore: every one gets its verdict,
/// and a node looking a dataset up judges none.
async fn next(
    p2p: &P2pHandle,
    inbound: &mut mpsc::Receiver<Inbound>,
    until: Instant,
) -> Option<Inbound> {
    loop {
        let item = tokio::time::timeout_at(until, inbound.recv())
            .await
            .ok()
            .flatten()?;
        match item {
            Inbound::Gossip { msg, .. } => {
                let _ = p2p
                    .report(msg, proofmesh_verifier::intake::GossipAction::Ignore)
                    .await;
            }
            other => return Some(other),
        }
    }
}

/// Checks registry messages as a verifier does (announcements first).
fn take(registry: &mut Registry, messages: Vec<GossipMessage>) {
    let (announces, rest): (Vec<_>, Vec<_>) = messages
        .into_iter()
        .partition(|m| matches!(m, GossipMessage::Announce(_)));
    for m in announces.into_iter().chain(rest) {
        let outcome = match m {
            GossipMessage::Announce(a) => registry.announce(a).map(|_| ()),
            GossipMessage::Assign(s) => registry.assign(s).map(|_| ()),
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            if !matches!(e, IntakeError::Superseded(_)) {
                tracing::warn!(error = %e, "registry record refused");
            }
        }
    }
}

/// Every provider assigned a slot of `root` (at any period), with the slots.
fn assignees(registry: &Registry, root: DatasetRoot) -> BTreeMap<ProviderKey, BTreeSet<u16>> {
    let mut out: BTreeMap<ProviderKey, BTreeSet<u16>> = BTreeMap::new();
    for s in registry.assignments().filter(|s| s.slot.dataset == root) {
        out.entry(s.provider).or_default().insert(s.slot.index);
    }
    out
}
