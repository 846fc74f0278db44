//! Getting a dataset's original file back from its providers (`proofmesh dataset get`): the
//! manifest says what each slot must be (K, M, blocks per slot, original size, slot roots; the
//! slot roots checked against the dataset root first), any K slots are fetched and checked
//! block by block ([`super::fetch`]), data slots first (then decoding is a plain copy), and
//! `proofmesh_erasure::decode_dir` writes the original from them. Slots are fetched one after
//! another: each fetch already keeps every core busy checking blocks.

use super::fetch::{fetch_slot, FetchError, FetchOptions, Fetched, Provider, SlotSpec};
use crate::p2p::{P2pError, P2pHandle};
use proofmesh_circuits::field::{fr_from_decimal, fr_to_le_bytes};
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::Fr;
use proofmesh_erasure::{slot_file_name, ErasureError, Manifest};
use proofmesh_proto::DatasetRoot;
use std::path::{Path, PathBuf};

/// What a finished get did.
#[derive(Debug)]
pub struct GetReport {
    /// The slots fetched (K of them), with what each fetch did.
    pub fetched: Vec<(u16, Fetched)>,
    /// The slots tried and not fetched, and why.
    pub failed: Vec<(u16, String)>,
    /// Whether erasure decoding was needed (a data slot was not fetched).
    pub decoded: bool,
    /// Bytes written to the output (the original size).
    pub bytes: u64,
}

/// Why the original could not be got.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    /// The manifest is unusable for fetching, or is not the dataset's.
    #[error("manifest: {0}")]
    Manifest(String),
    /// Fewer than K slots could be fetched: the file cannot be rebuilt from what answered.
    #[error(
        "only {} of the {needed} slots needed could be fetched (K = {needed}); {}",
        fetched.len(),
        failed.iter().map(|(s, why)| format!("slot {s}: {why}")).collect::<Vec<_>>().join("; ")
    )]
    TooFewSlots {
        /// The slots fetched.
        fetched: Vec<u16>,
        /// K.
        needed: usize,
        /// Every slot tried and not fetched, and why.
        failed: Vec<(u16, String)>,
    },
    /// The work directory cannot be written (a local fault).
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A fetched slot cannot be written (a local fault).
    #[error(transparent)]
    Fetch(FetchError),
    /// Decoding the fetched slots failed.
    #[error(transparent)]
    Erasure(#[from] ErasureError),
    /// The p2p task stopped.
    #[error(transparent)]
    P2p(#[from] P2pError),
}

/// The slot roots of `manifest`, checked: K + M of them, and their tree's root is `root` (and
/// the manifest's own `datasetRoot`, when it records one).
pub fn slot_roots(manifest: &Manifest, root: DatasetRoot) -> Result<Vec<Fr>, GetError> {
    let bad = |why: String| GetError::Manifest(why);
    let layout = manifest.layout().map_err(|e| bad(e.to_string()))?;
    if manifest.slot_roots.len() != layout.slot_count() {
        return Err(bad(format!(
            "it lists {} slot roots for K + M = {} slots (run `proofmesh dataset encode`, which \
             records them)",
            manifest.slot_roots.len(),
            layout.slot_count()
        )));
    }
    let roots = manifest
        .slot_roots
        .iter()
        .map(|s| fr_from_decimal(s).map_err(|e| bad(format!("slot root: {e}"))))
        .collect::<Result<Vec<Fr>, _>>()?;
    let tree = MerkleTree::new(roots.clone()).map_err(|e| bad(e.to_string()))?;
    let computed = DatasetRoot::from_le_bytes(fr_to_le_bytes(&tree.root()))
        .ok_or_else(|| bad("the dataset root is not canonical".into()))?;
    if computed != root {
        return Err(bad(format!(
            "its slot roots make dataset {computed}, not the {root} asked for"
        )));
    }
    if let Some(recorded) = &manifest.dataset_root {
        let recorded = fr_from_decimal(recorded).map_err(|e| bad(format!("datasetRoot: {e}")))?;
        if recorded != tree.root() {
            return Err(bad("its datasetRoot disagrees with its slot roots".into()));
        }
    }
    Ok(roots)
}

/// The work directory beside `out` (`<out><suffix>`), made empty: fetched slots and the
/// manifest, removed when done.
async fn work_dir(out: &Path, suffix: &str) -> Result<PathBuf, GetError> {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    let work = out.with_file_name(name);
    let io = |source| GetError::Io {
        path: work.clone(),
        source,
    };
    if tokio::fs::metadata(&work).await.is_ok() {
        tokio::fs::remove_dir_all(&work).await.map_err(io)?;
    }
    tokio::fs::create_dir_all(&work).await.map_err(io)?;
    Ok(work)
}

/// Fetches any K slots of dataset `root` (described by `manifest`) from `providers` and
/// writes the original file to `out` (complete or not at all).
pub async fn get_dataset(
    p2p: &P2pHandle,
    providers: &[Provider],
    manifest: &Manifest,
    root: DatasetRoot,
    out: &Path,
    options: &FetchOptions,
) -> Result<GetReport, GetError> {
    let roots = slot_roots(manifest, root)?;
    let work = work_dir(out, ".get").await?;
    let result =
        fetch_and_decode(p2p, providers, manifest, root, &roots, &work, out, options).await;
    let _ = tokio::fs::remove_dir_all(&work).await;
    result
}

/// What a fetch of K slots found.
struct FetchedSlots {
    fetched: Vec<(u16, Fetched)>,
    failed: Vec<(u16, String)>,
}

/// Fetches any K slots but `skip` into `work` (`slot_<i>.bin`), data slots first.
#[allow(
    clippy::too_many_arguments,
    reason = "the private body of get_dataset and rebuild_slot"
)]
async fn fetch_any_k(
    p2p: &P2pHandle,
    providers: &[Provider],
    manifest: &Manifest,
    root: DatasetRoot,
    roots: &[Fr],
    work: &Path,
    skip: Option<u16>,
    options: &FetchOptions,
) -> Result<FetchedSlots, GetError> {
    let k = manifest.data_slots;
    let mut fetched = Vec::new();
    let mut failed = Vec::new();
    for (i, slot_root) in roots.iter().enumerate() {
        if fetched.len() == k {
            break;
        }
        let index = i as u16;
        if skip == Some(index) {
            continue;
        }
        let spec = SlotSpec {
            dataset: root,
            index,
            root: *slot_root,
            n_blocks: manifest.blocks_per_slot,
        };
        let file = work.join(slot_file_name(i));
        match fetch_slot(p2p, providers, &spec, &file, options).await {
            Ok(f) => {
                tracing::info!(slot = index, blocks = f.blocks, "slot fetched");
                fetched.push((index, f));
            }
            Err(FetchError::P2p(e)) => return Err(e.into()),
            Err(e @ FetchError::Io { .. }) => return Err(GetError::Fetch(e)),
            Err(e) => {
                tracing::warn!(slot = index, error = %e, "slot not fetched");
                failed.push((index, e.reason()));
            }
        }
    }
    if fetched.len() < k {
        return Err(GetError::TooFewSlots {
            fetched: fetched.iter().map(|(s, _)| *s).collect(),
            needed: k,
            failed,
        });
    }
    Ok(FetchedSlots { fetched, failed })
}

#[allow(
    clippy::too_many_arguments,
    reason = "the private body of get_dataset, called once"
)]
async fn fetch_and_decode(
    p2p: &P2pHandle,
    providers: &[Provider],
    manifest: &Manifest,
    root: DatasetRoot,
    roots: &[Fr],
    work: &Path,
    out: &Path,
    options: &FetchOptions,
) -> Result<GetReport, GetError> {
    let FetchedSlots { fetched, failed } =
        fetch_any_k(p2p, providers, manifest, root, roots, work, None, options).await?;
    manifest.store(work)?;
    let (work, out_path) = (work.to_path_buf(), out.to_path_buf());
    let decoded =
        tokio::task::spawn_blocking(move || proofmesh_erasure::decode_dir(&work, &out_path))
            .await
            .map_err(|e| GetError::Io {
                path: out.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })??;
    Ok(GetReport {
        fetched,
        failed,
        decoded: decoded.decoded,
        bytes: manifest.original_size,
    })
}

/// What a finished rebuild did.
#[derive(Debug)]
pub struct RebuildReport {
    /// The K slots fetched to rebuild it, with what each fetch did.
    pub fetched: Vec<(u16, Fetched)>,
    /// The slots tried and not fetched, and why.
    pub failed: Vec<(u16, String)>,
    /// Bytes of the rebuilt slot file.
    pub bytes: u64,
}

/// Rebuilds slot `index` of dataset `root` (described by `manifest`) into `out` from any K
/// other slots fetched from `providers` (each block checked against its slot root), by
/// erasure decoding; the rebuilt file's slot root must be the announced one, or nothing is
/// written. What a repair volunteer does (`docs/altruistic.md`).
pub async fn rebuild_slot(
    p2p: &P2pHandle,
    providers: &[Provider],
    manifest: &Manifest,
    root: DatasetRoot,
    index: u16,
    out: &Path,
    options: &FetchOptions,
) -> Result<RebuildReport, GetError> {
    let roots = slot_roots(manifest, root)?;
    let Some(want) = roots.get(usize::from(index)).copied() else {
        return Err(GetError::Manifest(format!(
            "the dataset has {} slots, no slot {index}",
            roots.len()
        )));
    };
    let work = work_dir(out, ".rebuild").await?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GetError::Io { path, source }
    };
    let result = async {
        let FetchedSlots { fetched, failed } = fetch_any_k(
            p2p,
            providers,
            manifest,
            root,
            &roots,
            &work,
            Some(index),
            options,
        )
        .await?;
        manifest.store(&work)?;
        let (dir, target) = (work.clone(), work.join(slot_file_name(usize::from(index))));
        let bytes = tokio::task::spawn_blocking(move || -> Result<u64, GetError> {
            proofmesh_erasure::repair_dir(&dir)?;
            let file = proofmesh_prover::SlotFile::open(&target)
                .map_err(|e| GetError::Manifest(format!("the rebuilt slot: {e}")))?;
            let got = file
                .slot_tree()
                .map_err(|e| GetError::Manifest(format!("the rebuilt slot: {e}")))?
                .root();
            if got != want {
                return Err(GetError::Manifest(
                    "the rebuilt slot's root is not the announced slot root".into(),
                ));
            }
            Ok(file.n_blocks() * proofmesh_proto::BLOCK_BYTES)
        })
        .await
        .map_err(|e| GetError::Io {
            path: out.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })??;
        tokio::fs::rename(work.join(slot_file_name(usize::from(index))), out)
            .await
            .map_err(io(out))?;
        Ok(RebuildReport {
            fetched,
            failed,
            bytes,
        })
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&work).await;
    result
}
