//! The devnet's files: a demo dataset (deterministic slot files), small-parameter Groth16
//! keys, per-node keys, the verifier set, the dataset owner's key and its signed registry
//! records (the announcement and one assignment per slot, `DIR/registry/`), and each node's
//! `node.toml`. With `DevnetOptions::community`, also a heartbeat-only community dataset
//! (`DIR/community/`, records `DIR/registry/community-*.record`) held by the same provers.

use super::{DevnetError, DevnetOptions};
use crate::keys::{write_secret, write_verifier_set, ProviderSigner};
use crate::owner::{self, DatasetTerms};
use proofmesh_circuits::slot::{BLOCK_TREE_DEPTH, FIELD_ELEMS_PER_CELL};
use proofmesh_circuits::CircuitParams;
use proofmesh_proto::{
    DatasetAnnounce, GossipMessage, Period, SlotId, VerifierMember, VerifierSet,
};
use proofmesh_verifier::VerifierKeypair;
use rand::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Bytes of one 64 KiB block.
const BLOCK_BYTES: usize = 64 * 1024;

/// Where everything of one devnet lives.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The devnet directory.
    pub dir: PathBuf,
    /// Slot files, in slot order.
    pub slot_files: Vec<PathBuf>,
    /// Verifier node directories.
    pub verifiers: Vec<PathBuf>,
    /// Prover node directories.
    pub provers: Vec<PathBuf>,
    /// Slots each prover holds (its config lists only their files).
    pub holdings: Vec<Vec<u16>>,
    /// The dataset root.
    pub root: proofmesh_proto::DatasetRoot,
    /// The provers' public keys (hex), by prover.
    pub prover_keys: Vec<String>,
    /// The dataset owner's key file (`keys/owner.key`): it signed the registry records.
    pub owner_key: PathBuf,
    /// The owner-signed announcement of the dataset (`registry/announce.record`).
    pub announcement: PathBuf,
    /// The owner-signed assignment of each slot to its prover, from period 0, by slot
    /// (`registry/assign-<slot>.record`).
    pub assignments: Vec<PathBuf>,
    /// The heartbeat-only community dataset (`DevnetOptions::community`), same owner, its
    /// slots held by the same provers.
    pub community: Option<Published>,
    /// Slots of the demo dataset whose data is lost (no prover holds them; the originals are
    /// in `DIR/lost/`).
    pub lost: Vec<u16>,
    /// Volunteer node directories.
    pub volunteers: Vec<PathBuf>,
}

/// A dataset the devnet's owner published: its root, slot files and signed records.
#[derive(Clone, Debug)]
pub struct Published {
    /// The dataset root.
    pub root: proofmesh_proto::DatasetRoot,
    /// Slot files, in slot order.
    pub slot_files: Vec<PathBuf>,
    /// The owner-signed announcement.
    pub announcement: PathBuf,
    /// The owner-signed assignment of each slot, by slot.
    pub assignments: Vec<PathBuf>,
}

impl Layout {
    /// The registry records prover `j` re-publishes: the dataset's announcement (every prover
    /// needs it for its duties; copies of it share one gossip id, so more publishers cost
    /// nothing) and the owner's assignments of the slots it holds.
    pub fn prover_records(&self, j: usize) -> Vec<PathBuf> {
        let of = |announcement: &PathBuf, assignments: &[PathBuf]| {
            std::iter::once(announcement.clone())
                .chain(
                    self.holdings[j]
                        .iter()
                        .map(|&s| assignments[usize::from(s)].clone()),
                )
                .collect::<Vec<_>>()
        };
        let mut records = of(&self.announcement, &self.assignments);
        if let Some(c) = &self.community {
            records.extend(of(&c.announcement, &c.assignments));
        }
        records
    }

    /// The `[[prover.hold]]` tables of prover `j`: the dataset root, index and file of each
    /// slot it holds, and no other slot's file.
    pub fn prover_hold(&self, j: usize) -> String {
        let of = |root: &proofmesh_proto::DatasetRoot, files: &[PathBuf]| {
            self.holdings[j]
                .iter()
                .map(|&s| {
                    format!(
                        "[[prover.hold]]\ndataset = \"{root}\"\nslot = {s}\nfile = {:?}\n",
                        files[usize::from(s)].display().to_string()
                    )
                })
                .collect::<String>()
        };
        let mut hold = of(&self.root, &self.slot_files);
        for s in &self.lost {
            let entry = format!(
                "[[prover.hold]]\ndataset = \"{}\"\nslot = {s}\nfile = {:?}\n",
                self.root,
                self.slot_files[usize::from(*s)].display().to_string()
            );
            hold = hold.replace(&entry, "");
        }
        if let Some(c) = &self.community {
            hold += &of(&c.root, &c.slot_files);
        }
        hold
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DevnetError + '_ {
    move |e| DevnetError::Io(format!("{}: {e}", path.display()))
}

/// Generates the dataset, the keys and the verifier set (configs come at start, when the
/// genesis time and the bootstrap addresses are known).
pub fn generate(opts: &DevnetOptions) -> Result<Layout, DevnetError> {
    let dir = opts.dir.clone();
    let slots = usize::from(opts.data_slots + opts.parity_slots);
    std::fs::create_dir_all(dir.join("dataset")).map_err(io(&dir))?;
    let slot_files = dataset(opts, &dir, "demo", opts.blocks_per_slot)?;
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).map_err(io(&keys))?;
    // The slot tree pads to a power of two of blocks, as Codex pads it.
    let cells = opts.blocks_per_slot.next_power_of_two() * 32;
    let params = CircuitParams {
        max_depth: (usize::BITS - cells.leading_zeros()) as usize,
        max_log2_slots: (usize::BITS - slots.leading_zeros()) as usize,
        block_tree_depth: BLOCK_TREE_DEPTH,
        field_elems_per_cell: FIELD_ELEMS_PER_CELL,
        n_samples: opts.samples,
    };
    let mut rng = rand::rngs::OsRng;
    let pk = proofmesh_prover::setup(&params, &mut rng)?;
    proofmesh_prover::groth16::write_proving_key(&keys.join("proving.key"), &params, &pk)?;
    proofmesh_prover::groth16::write_verifying_key(&keys.join("verifying.key"), &params, &pk.vk)?;

    let mut members = Vec::new();
    let mut verifiers = Vec::new();
    for i in 0..opts.verifiers {
        let node = dir.join("nodes").join(format!("verifier-{i}"));
        std::fs::create_dir_all(&node).map_err(io(&node))?;
        let seed = random_secret();
        write_secret(&node.join("node.key"), &random_secret())?;
        write_secret(&node.join("verifier.key"), &seed)?;
        let kp = VerifierKeypair::from_seed(&seed)
            .map_err(|e| DevnetError::Io(format!("verifier key: {e}")))?;
        members.push(VerifierMember {
            key: kp.public_key(),
            weight: 1,
        });
        verifiers.push(node);
    }
    write_verifier_set(
        &dir.join("verifiers.toml"),
        &VerifierSet {
            effective_from: Period(0),
            members,
        },
    )?;
    let mut provers = Vec::new();
    let mut holdings = vec![Vec::new(); opts.provers];
    let mut prover_keys = Vec::new();
    for s in 0..slots {
        holdings[s % opts.provers].push(s as u16);
    }
    for j in 0..opts.provers {
        let node = dir.join("nodes").join(format!("prover-{j}"));
        std::fs::create_dir_all(&node).map_err(io(&node))?;
        let secret = random_secret();
        write_secret(&node.join("node.key"), &random_secret())?;
        write_secret(&node.join("provider.key"), &secret)?;
        prover_keys.push(ProviderSigner::from_secret(&secret).public());
        provers.push(node);
    }
    let secret = random_secret();
    write_secret(&keys.join("owner.key"), &secret)?;
    let owner = ProviderSigner::from_secret(&secret);
    let records = dir.join("registry");
    std::fs::create_dir_all(&records).map_err(io(&records))?;
    let publish = |files: Vec<PathBuf>, blocks: usize, probability: u32, prefix: &str| {
        let terms = DatasetTerms {
            data_slots: opts.data_slots,
            parity_slots: opts.parity_slots,
            proof_probability: probability,
            original_size: u64::from(opts.data_slots)
                * blocks as u64
                * proofmesh_proto::BLOCK_BYTES,
        };
        registry(
            &records,
            prefix,
            &owner,
            files,
            terms,
            &holdings,
            &prover_keys,
        )
    };
    let demo = publish(slot_files, opts.blocks_per_slot, opts.proof_probability, "")?;
    let community = if opts.community {
        std::fs::create_dir_all(dir.join("community")).map_err(io(&dir))?;
        let files = dataset(opts, &dir, "community", 1)?;
        Some(publish(files, 1, 0, "community-")?)
    } else {
        None
    };
    let Published {
        root,
        slot_files,
        announcement,
        assignments,
    } = demo;
    // Lost slots: the originals move to DIR/lost/ (what a repair must give back).
    let lost_dir = dir.join("lost");
    for &s in &opts.lose_slots {
        std::fs::create_dir_all(&lost_dir).map_err(io(&lost_dir))?;
        let from = &slot_files[usize::from(s)];
        let to = lost_dir.join(proofmesh_erasure::slot_file_name(usize::from(s)));
        std::fs::rename(from, &to).map_err(io(from))?;
    }
    let mut volunteers = Vec::new();
    if !opts.lose_slots.is_empty() {
        for v in 0..opts.volunteers {
            let node = dir.join("nodes").join(format!("volunteer-{v}"));
            std::fs::create_dir_all(&node).map_err(io(&node))?;
            write_secret(&node.join("node.key"), &random_secret())?;
            write_secret(&node.join("provider.key"), &random_secret())?;
            volunteers.push(node);
        }
    }
    Ok(Layout {
        owner_key: keys.join("owner.key"),
        dir,
        slot_files,
        verifiers,
        provers,
        holdings,
        root,
        prover_keys: prover_keys.iter().map(|k| hex::encode(k.0)).collect(),
        announcement,
        assignments,
        community,
        lost: opts.lose_slots.clone(),
        volunteers,
    })
}

/// The dataset owner signs the announcement of a dataset (`terms`, the slot files' roots)
/// and the assignment of every slot to the prover holding it from period 0, into `records`
/// (`<prefix>announce.record`, `<prefix>assign-<slot>.record`).
fn registry(
    records: &Path,
    prefix: &str,
    signer: &ProviderSigner,
    slot_files: Vec<PathBuf>,
    terms: DatasetTerms,
    holdings: &[Vec<u16>],
    providers: &[proofmesh_proto::ProviderKey],
) -> Result<Published, DevnetError> {
    let slots = proofmesh_prover::dataset::open_slots(&slot_files)?;
    let commitment = proofmesh_prover::commit(&slots)?;
    let announce: DatasetAnnounce = owner::announcement(signer, &slots, &commitment, terms)
        .map_err(|e| DevnetError::Io(e.to_string()))?;
    let announcement = records.join(format!("{prefix}announce.record"));
    let write = |path: &Path, m: GossipMessage| {
        owner::write_record(path, &m).map_err(|e| DevnetError::Io(e.to_string()))
    };
    write(&announcement, GossipMessage::Announce(announce.clone()))?;
    let mut assignments = Vec::new();
    for index in 0..announce.slots() {
        let holder = holdings
            .iter()
            .position(|h| h.contains(&index))
            .ok_or_else(|| DevnetError::Io(format!("no prover holds slot {index}")))?;
        let slot = SlotId {
            dataset: announce.root,
            index,
        };
        let s = owner::assignment(signer, slot, providers[holder], Period(0));
        let path = records.join(format!("{prefix}assign-{index}.record"));
        write(&path, GossipMessage::Assign(s))?;
        assignments.push(path);
    }
    Ok(Published {
        root: announce.root,
        slot_files,
        announcement,
        assignments,
    })
}

fn random_secret() -> [u8; 32] {
    let mut s = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut s);
    s
}

/// The demo dataset's slot files. With Codex's erasure-coding limits (K >= 2, 1 <= M <= K) it
/// is what a community would make: a demo file of exactly K·blocks 64 KiB blocks, encoded by
/// `proofmesh dataset encode`'s code into `DIR/dataset/slot_<i>.bin` and `manifest.json`, so
/// any K slots rebuild it (`proofmesh dataset decode --out FILE DIR/dataset`). Outside them
/// (a one-slot or parity-free test mesh) the slots are independent pseudo-random files.
fn dataset(
    opts: &DevnetOptions,
    dir: &Path,
    name: &str,
    blocks: usize,
) -> Result<Vec<PathBuf>, DevnetError> {
    let (k, m) = (usize::from(opts.data_slots), usize::from(opts.parity_slots));
    let slots = k + m;
    // The demo dataset keeps its historical names (`DIR/dataset/`, `DIR/demo.bin`).
    let (out, file) = match name {
        "demo" => (dir.join("dataset"), dir.join("demo.bin")),
        _ => (dir.join(name), dir.join(format!("{name}.bin"))),
    };
    let seed = |i: usize| match name {
        "demo" => format!("{} slot {i}", opts.seed),
        _ => format!("{} {name} slot {i}", opts.seed),
    };
    if proofmesh_erasure::check_params(k, m).is_err() {
        let mut files = Vec::new();
        for i in 0..slots {
            let path = out.join(format!("slot_{i}.bin"));
            std::fs::write(&path, slot_bytes(&seed(i), blocks)).map_err(io(&path))?;
            files.push(path);
        }
        return Ok(files);
    }
    let demo = file;
    let bytes: Vec<u8> = (0..k).flat_map(|i| slot_bytes(&seed(i), blocks)).collect();
    std::fs::write(&demo, bytes).map_err(io(&demo))?;
    let manifest = proofmesh_erasure::encode_file(&demo, k, m, &out)
        .map_err(|e| DevnetError::Io(format!("encoding the demo dataset: {e}")))?;
    if manifest.blocks_per_slot != blocks as u64 {
        return Err(DevnetError::Io(format!(
            "the {name} dataset has {} blocks per slot, not {blocks}",
            manifest.blocks_per_slot
        )));
    }
    Ok((0..slots)
        .map(|i| out.join(proofmesh_erasure::slot_file_name(i)))
        .collect())
}

/// Deterministic pseudo-random slot content (the same seed gives the same dataset root).
fn slot_bytes(seed: &str, blocks: usize) -> Vec<u8> {
    let key: [u8; 32] = Sha256::digest(format!("proofmesh devnet {seed}")).into();
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(key);
    let mut bytes = vec![0u8; blocks * BLOCK_BYTES];
    rng.fill_bytes(&mut bytes);
    bytes
}

/// Network and addresses of one node's config.
pub(super) struct NodeAddrs {
    /// Bootstrap multiaddrs.
    pub(super) bootstrap: Vec<String>,
    /// gRPC address (verifiers).
    pub(super) grpc: Option<String>,
    /// Metrics address.
    pub(super) metrics: Option<String>,
}

/// Writes `node.toml` for verifier `i`.
pub(super) fn verifier_config(
    layout: &Layout,
    opts: &DevnetOptions,
    i: usize,
    genesis: u64,
    addrs: &NodeAddrs,
) -> Result<PathBuf, DevnetError> {
    let node = &layout.verifiers[i];
    let text = format!(
        "role = \"verifier\"\ndata_dir = \"data\"\n{}{}\n[verifier]\nbls_key = \"verifier.key\"\nbatch_size = 64\nbatch_delay_ms = 100\n",
        common(addrs),
        network(layout, opts, genesis),
    );
    write(node, &text)
}

/// Writes `node.toml` for prover `j`.
pub(super) fn prover_config(
    layout: &Layout,
    opts: &DevnetOptions,
    j: usize,
    genesis: u64,
    addrs: &NodeAddrs,
) -> Result<PathBuf, DevnetError> {
    let node = &layout.provers[j];
    let hold = &layout.holdings[j];
    // Both faults withhold the slot here: the invalid slot's proofs come from the devnet's
    // byzantine sender (`byzantine.rs`), not from this prover.
    let withhold: Vec<u16> = [opts.kill_slot, opts.invalid_slot]
        .into_iter()
        .flatten()
        .filter(|s| hold.contains(s))
        .collect();
    let list = |v: &[PathBuf]| {
        v.iter()
            .map(|p| format!("{:?}", p.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = [{}]\n{}\n[testing]\nwithhold = {:?}\n",
        common(addrs),
        network(layout, opts, genesis),
        layout.dir.join("keys").join("proving.key").display().to_string(),
        list(&layout.prover_records(j)),
        layout.prover_hold(j),
        withhold,
    );
    write(node, &text)
}

/// Writes `node.toml` for volunteer `v`: the demo dataset's announcement, no slot,
/// `volunteer = true`.
pub(super) fn volunteer_config(
    layout: &Layout,
    opts: &DevnetOptions,
    v: usize,
    genesis: u64,
    addrs: &NodeAddrs,
) -> Result<PathBuf, DevnetError> {
    let node = &layout.volunteers[v];
    let text = format!(
        "role = \"prover\"\ndata_dir = \"data\"\n{}{}\n[prover]\nprovider_key = \"provider.key\"\nproving_key = {:?}\nregistry = [{:?}]\nvolunteer = true\n",
        common(addrs),
        network(layout, opts, genesis),
        layout.dir.join("keys").join("proving.key").display().to_string(),
        layout.announcement.display().to_string(),
    );
    write(node, &text)
}

fn common(addrs: &NodeAddrs) -> String {
    let mut s = String::new();
    if let Some(g) = &addrs.grpc {
        s += &format!("grpc_addr = {g:?}\n");
    }
    if let Some(m) = &addrs.metrics {
        s += &format!("metrics_addr = {m:?}\n");
    }
    s += &format!(
        "\n[p2p]\nidentity_key = \"node.key\"\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\nbootstrap = {:?}\n",
        addrs.bootstrap
    );
    s
}

fn network(layout: &Layout, opts: &DevnetOptions, genesis: u64) -> String {
    format!(
        "\n[network]\ngenesis = {genesis}\nperiod_secs = {}\ntimeout_secs = {}\nentropy = \"dev\"\nentropy_seed = {:?}\nverifying_keys = [{:?}]\nverifier_set = {:?}\nmiss_budget = 2\n",
        opts.period_secs,
        opts.timeout_secs,
        opts.entropy_seed(),
        layout.dir.join("keys").join("verifying.key").display().to_string(),
        layout.dir.join("verifiers.toml").display().to_string(),
    )
}

fn write(node: &Path, text: &str) -> Result<PathBuf, DevnetError> {
    let path = node.join("node.toml");
    std::fs::write(&path, text).map_err(io(&path))?;
    Ok(path)
}
