//! The proof corpus of `proofmesh bench node`: N distinct valid Groth16 proofs of proofmesh's
//! own circuit, one per slot, for period 0 of a fixed dev entropy seed, over as many datasets
//! of up to 256 slots as N needs — and the signed registry messages and proof envelopes a
//! verifier node receives for them.
//!
//! Proving is what costs (a fraction of a second per proof at the smallest parameters, so
//! minutes for thousands), so `--cache DIR` keeps the corpus between runs: the keys
//! (`DIR/proving.key`, `DIR/verifying.key`: the prover's key files, whose headers name the
//! circuit and its id) and `DIR/corpus.bin`, a short text header saying what follows, then the
//! dataset roots and the proofs. Proof `i` is always slot `i % 256` of dataset `i / 256`.
//!
//! Every slot of one dataset holds the same one-block file (datasets differ), so a dataset is
//! committed once instead of once per slot: proving costs less, verifying costs exactly what it
//! costs for distinct data (the same circuit, the same public inputs per slot). A dataset has
//! exactly the slots a run proves (256, the last one fewer): an announcement lists every slot's
//! root and every slot has a duty, and the early seal needs every duty proven. So the proofs of
//! a dataset of 256 slots serve any run that uses it whole, and a cached corpus is reused
//! dataset by dataset: full datasets always, a last, partial one only for a run of the same
//! size; the rest is proved (and the cache grows, never shrinks).

use anyhow::{ensure, Context};
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use proofmesh_circuits::field::fr_to_le_bytes;
use proofmesh_circuits::merkle::MerkleTree;
use proofmesh_circuits::slot::{
    block_hash, SlotTree, BLOCK_SIZE, BLOCK_TREE_DEPTH, FIELD_ELEMS_PER_CELL,
};
use proofmesh_circuits::{CircuitParams, Fr};
use proofmesh_node::keys::ProviderSigner;
use proofmesh_node::owner;
use proofmesh_node::p2p::{encode_message, GossipMessage};
use proofmesh_proto::{
    CircuitId, DatasetAnnounce, DatasetRoot, Period, ProofEnvelope, ProofSystem, ProviderSignature,
    SlotAssign, SlotId, SlotRoot,
};
use proofmesh_prover::groth16::keys::params_text;
use proofmesh_prover::groth16::{
    load_prover, proof_to_bytes, read_verifying_key, write_proving_key, write_verifying_key,
    PROOF_BYTES,
};
use proofmesh_prover::{circuit_input, DatasetCommitment, Prover, SlotFile};
use proofmesh_verifier::duty::{DevEntropy, EntropySource};
use rand::rngs::OsRng;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The smallest circuit that holds 256-slot datasets of one-block slots: one sample, slot trees
/// of depth 6 (the least a block of 32 cells allows), datasets of up to 2^8 slots.
pub(crate) const PARAMS: CircuitParams = CircuitParams {
    max_depth: 6,
    max_log2_slots: 8,
    block_tree_depth: BLOCK_TREE_DEPTH,
    field_elems_per_cell: FIELD_ELEMS_PER_CELL,
    n_samples: 1,
};

/// Slots per dataset (the protocol's most, `MAX_SLOTS`).
pub(crate) const SLOTS_PER_DATASET: usize = 256;

/// The dev entropy seed every party of the bench derives period 0's challenge from.
pub(crate) const ENTROPY_SEED: &[u8] = b"proofmesh bench node";

/// The period every proof is for.
pub(crate) const PERIOD: Period = Period(0);

/// Cells of a one-block slot (what the announcements say).
const CELLS_PER_SLOT: u64 = 32;

const MAGIC: &str = "proofmesh bench-node corpus";
/// 2: each dataset's tree has the slots the corpus proves (1: always 256).
const VERSION: u32 = 2;

/// N proofs: proof `i` is of slot `i % 256` of dataset `i / 256`, for [`PERIOD`].
pub(crate) struct Corpus {
    pub(crate) vk: VerifyingKey<Bn254>,
    pub(crate) circuit: CircuitId,
    /// Per dataset: its root and its number of slots.
    pub(crate) datasets: Vec<(DatasetRoot, u16)>,
    pub(crate) proofs: Vec<[u8; PROOF_BYTES]>,
}

/// Where the corpus came from, for the report.
pub(crate) struct Origin {
    /// Proofs read from the cache.
    pub(crate) cached: usize,
    /// Proofs made in this run, and the seconds it took (wall clock, all cores, with setup).
    pub(crate) proved: usize,
    pub(crate) secs: f64,
}

/// Slots of each dataset for `n` proofs: full datasets, then the rest (every slot has a duty,
/// so every dataset's slots are exactly the proven ones: the early seal needs every duty).
pub(crate) fn layout(n: usize) -> Vec<u16> {
    (0..n.div_ceil(SLOTS_PER_DATASET))
        .map(|d| (n - d * SLOTS_PER_DATASET).min(SLOTS_PER_DATASET) as u16)
        .collect()
}

/// The corpus of `n` proofs: from `cache` as far as it goes, the rest proved now (and the
/// whole written back there).
pub(crate) fn load_or_prove(n: usize, cache: Option<&Path>) -> anyhow::Result<(Corpus, Origin)> {
    let stored = match cache {
        Some(dir) => read(dir).unwrap_or_else(|e| {
            note(&format!("cache {}: {e:#}; proving again", dir.display()));
            None
        }),
        None => None,
    };
    let started = Instant::now();
    let stored_proofs = stored.as_ref().map_or(0, |c| c.proofs.len());
    let stored = stored.map(|c| reusable(c, n));
    let (prover, mut corpus) = match (stored, cache) {
        (Some(c), _) if c.proofs.len() == n => {
            let origin = Origin {
                cached: n,
                proved: 0,
                secs: 0.0,
            };
            return Ok((c, origin));
        }
        // Too few: extend it with its own proving key.
        (Some(c), Some(dir)) => match cached_prover(dir, &c) {
            Ok(Some(prover)) => (prover, c),
            Ok(None) => fresh()?,
            Err(e) => {
                note(&format!("cache {}: {e:#}; proving again", dir.display()));
                fresh()?
            }
        },
        _ => fresh()?,
    };
    let cached = corpus.proofs.len();
    // Saved whenever a dataset is complete, so an interrupted run keeps what it proved; never
    // fewer proofs than the cache held (a smaller run keeps the larger cache).
    let save = |c: &Corpus, proofs: usize| -> anyhow::Result<()> {
        match cache {
            Some(dir) if proofs >= stored_proofs => write(dir, &prover, c, proofs)
                .with_context(|| format!("{}: cannot write the cache", dir.display())),
            _ => Ok(()),
        }
    };
    extend(&prover, &mut corpus, n, save)?;
    let origin = Origin {
        cached,
        proved: n - cached,
        secs: started.elapsed().as_secs_f64(),
    };
    Ok((corpus, origin))
}

/// New keys and an empty corpus for them.
fn fresh() -> anyhow::Result<(Prover, Corpus)> {
    note(&format!(
        "setup of circuit {} (once; --cache DIR keeps the keys and proofs)",
        params_text(&PARAMS)
    ));
    let pk = proofmesh_prover::setup(&PARAMS, &mut OsRng)?;
    let prover = Prover::new(PARAMS, pk, PathBuf::new())?;
    let corpus = Corpus {
        circuit: prover.circuit_id(),
        vk: prover.proving_key().vk.clone(),
        datasets: Vec::new(),
        proofs: Vec::new(),
    };
    Ok((prover, corpus))
}

/// What a corpus holds for a run of `n` proofs: its datasets of the same size in both
/// layouts, from the first (all full ones; a partial last one only if `n` ends it the same).
fn reusable(mut c: Corpus, n: usize) -> Corpus {
    let (mine, theirs) = (layout(c.proofs.len()), layout(n));
    let same = mine.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
    c.datasets.truncate(same);
    c.proofs
        .truncate(mine[..same].iter().map(|&s| usize::from(s)).sum());
    c
}

/// A progress or context line on stderr (stdout carries the results).
pub(crate) fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The one block every slot of dataset `d` holds (seeded by `d`).
fn block(d: usize) -> Vec<u8> {
    let mut data = vec![0u8; BLOCK_SIZE];
    ChaCha20Rng::seed_from_u64(d as u64).fill_bytes(&mut data);
    data
}

/// The root of every slot of dataset `d` (its one block's tree; one block needs no pad).
fn slot_root(d: usize) -> anyhow::Result<Fr> {
    let hash = block_hash(&block(d)).map_err(|e| anyhow::anyhow!("block hash: {e}"))?;
    Ok(SlotTree::from_block_hashes(vec![hash])
        .map_err(|e| anyhow::anyhow!("slot tree: {e}"))?
        .root())
}

/// Dataset `d` of `slots` slots: its one-block slot file (written to `dir`) for every slot,
/// and its commitment, a tree of `slots` equal slot roots.
fn dataset(dir: &Path, d: usize, slots: u16) -> anyhow::Result<(Vec<SlotFile>, DatasetCommitment)> {
    let path = dir.join(format!("dataset{d}.bin"));
    std::fs::write(&path, block(d)).with_context(|| format!("{}", path.display()))?;
    let file = SlotFile::open(&path)?;
    let tree = file.slot_tree()?;
    let slots = usize::from(slots);
    let dataset = MerkleTree::new(vec![tree.root(); slots])
        .map_err(|e| anyhow::anyhow!("dataset tree: {e}"))?;
    let commitment = DatasetCommitment {
        slots: vec![tree; slots],
        dataset,
    };
    Ok((vec![file; slots], commitment))
}

/// Proofs proved between two saves of the cache.
const CHUNK: usize = 256;

/// Proves the corpus's missing proofs up to `n`, in parallel on the global rayon pool, and
/// hands the corpus to `save` with its count of proofs over whole datasets after every
/// [`CHUNK`] that completes one.
fn extend(
    prover: &Prover,
    c: &mut Corpus,
    n: usize,
    save: impl Fn(&Corpus, usize) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let from = c.proofs.len();
    let work = Scratch::new()?;
    let layout = layout(n);
    // Proofs before each dataset's end.
    let ends: Vec<usize> = layout
        .iter()
        .scan(0, |sum, &s| {
            *sum += usize::from(s);
            Some(*sum)
        })
        .collect();
    let mut committed = Vec::with_capacity(layout.len());
    for (d, &slots) in layout.iter().enumerate() {
        let (files, commitment) = dataset(&work.0, d, slots)?;
        let root = DatasetRoot::from_le_bytes(fr_to_le_bytes(&commitment.root()))
            .context("dataset root is not canonical")?;
        match c.datasets.get(d) {
            Some((known, _)) => ensure!(*known == root, "dataset {d}: cached root differs"),
            None => c.datasets.push((root, 0)),
        }
        committed.push((files, commitment));
    }
    let entropy = DevEntropy::new(ENTROPY_SEED)
        .entropy(PERIOD)
        .context("dev entropy")?;
    note(&format!(
        "proving {} proofs ({from} cached), {} constraints each",
        n - from,
        prover.r1cs().num_constraints
    ));
    let t = Instant::now();
    let mut start = from;
    while start < n {
        let end = (start + CHUNK).min(n);
        let proofs = (start..end)
            .into_par_iter()
            .map(|i| {
                let (files, commitment) = &committed[i / SLOTS_PER_DATASET];
                let slot = (i % SLOTS_PER_DATASET) as u64;
                let input = circuit_input(&PARAMS, files, commitment, slot, entropy)?;
                Ok(proof_to_bytes(&prover.prove(&input, &mut OsRng)?))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        c.proofs.extend(proofs);
        let whole = ends.iter().rev().find(|&&e| e <= end).copied().unwrap_or(0);
        if whole > start || end == n {
            save(c, whole)?;
        }
        let (k, s) = (end - from, t.elapsed().as_secs_f64());
        note(&format!(
            "proved {k}/{} in {s:.0} s ({:.0} ms/proof, all cores)",
            n - from,
            1000.0 * s / k as f64
        ));
        start = end;
    }
    for (d, slots) in c.datasets.iter_mut().zip(layout) {
        d.1 = slots;
    }
    Ok(())
}

fn header(circuit: CircuitId, datasets: usize, proofs: usize) -> String {
    format!(
        "{MAGIC}\nversion: {VERSION}\ncircuit: {} {}\nentropy-seed: {}\nperiod: {}\n\
         slots-per-dataset: {SLOTS_PER_DATASET}\ndatasets: {}\nproofs: {}\n\
         layout: {} x 32-byte dataset root, then {} x {PROOF_BYTES}-byte compressed proof \
         (proof i: slot i % {SLOTS_PER_DATASET} of dataset i / {SLOTS_PER_DATASET})\n\n",
        params_text(&PARAMS),
        circuit,
        String::from_utf8_lossy(ENTROPY_SEED),
        PERIOD.0,
        datasets,
        proofs,
        datasets,
        proofs,
    )
}

/// Writes the keys and the first `proofs` proofs of the corpus (whole datasets of its layout)
/// with the roots of the datasets they use.
fn write(dir: &Path, prover: &Prover, c: &Corpus, proofs: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let pk_path = dir.join("proving.key");
    let vk_path = dir.join("verifying.key");
    if !pk_path.exists()
        || read_verifying_key(&vk_path, None)
            .map(|k| k.circuit_id)
            .ok()
            != Some(c.circuit)
    {
        write_proving_key(&pk_path, &PARAMS, prover.proving_key())?;
        write_verifying_key(&vk_path, &PARAMS, &c.vk)?;
    }
    let datasets = layout(proofs).len();
    let mut bytes = header(c.circuit, datasets, proofs).into_bytes();
    for (root, _) in &c.datasets[..datasets] {
        bytes.extend_from_slice(root.as_bytes());
    }
    for p in &c.proofs[..proofs] {
        bytes.extend_from_slice(p);
    }
    // Written whole, then renamed: a run stopped half-way leaves no torn corpus.
    let tmp = dir.join("corpus.bin.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join("corpus.bin"))?;
    Ok(())
}

/// The whole cached corpus (`None`: there is none).
fn read(dir: &Path) -> anyhow::Result<Option<Corpus>> {
    let path = dir.join("corpus.bin");
    if !path.exists() {
        return Ok(None);
    }
    let vk_path = dir.join("verifying.key");
    let key = read_verifying_key(&vk_path, Some(&PARAMS))?;
    let bytes = std::fs::read(&path)?;
    let end = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .context("no header")?;
    let text = std::str::from_utf8(&bytes[..end + 2]).context("header is not text")?;
    let field = |name: &str| -> anyhow::Result<usize> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            .with_context(|| format!("header has no {name:?}"))?
            .parse()
            .with_context(|| format!("header: {name:?} is not a number"))
    };
    let (datasets, total) = (field("datasets")?, field("proofs")?);
    // Everything else the header says must be what this build would write.
    ensure!(
        text == header(key.circuit_id, datasets, total) && datasets == layout(total).len(),
        "{}: not the corpus this build makes (circuit, seed or layout):\n{text}",
        path.display()
    );
    let body = &bytes[end + 2..];
    ensure!(
        body.len() == datasets * 32 + total * PROOF_BYTES,
        "{}: the body is not {datasets} roots and {total} proofs",
        path.display()
    );
    let (roots, proofs) = body.split_at(datasets * 32);
    let mut corpus = Corpus {
        vk: key.key,
        circuit: key.circuit_id,
        datasets: Vec::with_capacity(datasets),
        proofs: Vec::with_capacity(total),
    };
    for (chunk, slots) in roots.chunks_exact(32).zip(layout(total)) {
        let mut b = [0u8; 32];
        b.copy_from_slice(chunk);
        let root = DatasetRoot::from_le_bytes(b).context("a stored root is not canonical")?;
        corpus.datasets.push((root, slots));
    }
    for chunk in proofs.chunks_exact(PROOF_BYTES) {
        let mut p = [0u8; PROOF_BYTES];
        p.copy_from_slice(chunk);
        corpus.proofs.push(p);
    }
    Ok(Some(corpus))
}

/// The prover of a cached corpus's keys, to extend it (`None`: its proving key is gone).
fn cached_prover(dir: &Path, corpus: &Corpus) -> anyhow::Result<Option<Prover>> {
    let pk_path = dir.join("proving.key");
    if !pk_path.exists() {
        return Ok(None);
    }
    let prover = load_prover(&pk_path, &dir.join("verifying.key"), Some(&PARAMS))?;
    ensure!(
        prover.circuit_id() == corpus.circuit,
        "{}: another circuit than the corpus's",
        pk_path.display()
    );
    Ok(Some(prover))
}

/// What a verifier node receives for a corpus: the registry (announcements, slot assignments) and
/// one encoded, signed envelope per proof.
pub(crate) struct Messages {
    pub(crate) announcements: Vec<DatasetAnnounce>,
    pub(crate) assignments: Vec<SlotAssign>,
    pub(crate) envelopes: Vec<Vec<u8>>,
}

/// One provider per dataset (its owner and the provider of all its slots), from a fixed seed.
fn provider(dataset: usize) -> ProviderSigner {
    let mut h = Sha256::new();
    h.update(b"proofmesh bench node provider");
    h.update((dataset as u64).to_le_bytes());
    ProviderSigner::from_secret(&h.finalize().into())
}

/// Signs the registry and the envelopes of `c` (ed25519: well under a second for 10,000).
pub(crate) fn messages(c: &Corpus) -> anyhow::Result<Messages> {
    let signers: Vec<ProviderSigner> = (0..c.datasets.len()).map(provider).collect();
    let mut announcements = Vec::new();
    let mut assignments = Vec::new();
    for (d, &(root, slots)) in c.datasets.iter().enumerate() {
        let signer = &signers[d];
        let parity = slots / 3;
        let data = slots - parity;
        let slot_root = SlotRoot::from_le_bytes(fr_to_le_bytes(&slot_root(d)?))
            .context("a slot root is not canonical")?;
        let mut a = DatasetAnnounce {
            root,
            data_slots: data,
            parity_slots: parity,
            slot_roots: vec![slot_root; usize::from(slots)],
            proof_probability: 1,
            blocks_per_slot: 1,
            cells_per_slot: CELLS_PER_SLOT,
            original_size: u64::from(data) * BLOCK_SIZE as u64,
            owner: signer.public(),
            signature: ProviderSignature([0; 64]),
        };
        a.signature = signer.sign(&a.signing_bytes());
        announcements.push(a);
        for index in 0..slots {
            let slot = SlotId {
                dataset: root,
                index,
            };
            let s: SlotAssign = owner::assignment(signer, slot, signer.public(), PERIOD);
            assignments.push(s);
        }
    }
    let envelopes = c
        .proofs
        .par_iter()
        .enumerate()
        .map(|(i, proof)| {
            let d = i / SLOTS_PER_DATASET;
            let signer = &signers[d];
            let mut e = ProofEnvelope {
                slot: SlotId {
                    dataset: c.datasets[d].0,
                    index: (i % SLOTS_PER_DATASET) as u16,
                },
                period: PERIOD,
                circuit_id: c.circuit,
                proof_system: ProofSystem::GROTH16_BN254,
                proof: proof.to_vec(),
                provider: signer.public(),
                signature: ProviderSignature([0; 64]),
            };
            e.signature = signer.sign(&e.signing_bytes());
            encode_message(&GossipMessage::Proof(e))
        })
        .collect();
    Ok(Messages {
        announcements,
        assignments,
        envelopes,
    })
}

/// A scratch directory under the system's temp dir, removed when dropped.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new() -> anyhow::Result<Self> {
        let mut id = [0u8; 8];
        OsRng.fill_bytes(&mut id);
        let dir = std::env::temp_dir().join(format!("proofmesh-bench-node-{}", hex::encode(id)));
        std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
