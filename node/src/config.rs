//! `node.toml`: everything a node needs to run, in one file (STYLE 17). Relative paths are
//! resolved against the file's directory, so a directory of configs and keys can be moved as
//! a whole. `proofmesh devnet` writes these files; `docs/operations.md` documents each key.

use proofmesh_proto::DatasetRoot;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Why a config file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: cannot read")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema (the message names the key).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, from the TOML parser.
        message: String,
    },
    /// A value is out of range or inconsistent with another.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// What a node does besides gossiping and serving its health view.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Verifies proofs, signs attestations, forms certificates.
    Verifier,
    /// Proves its slots every period and publishes the proofs.
    Prover,
    /// Follows the mesh (certificates, health) without signing or proving.
    Observer,
}

/// A whole node config.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's role.
    pub role: Role,
    /// RocksDB and other state (created if missing).
    pub data_dir: PathBuf,
    /// Network identity and peers.
    pub p2p: P2pSection,
    /// gRPC health API address (`127.0.0.1:0` picks a free port; the bound one is logged
    /// and written to `DATA_DIR/grpc.addr`). Absent: no gRPC.
    #[serde(default)]
    pub grpc_addr: Option<SocketAddr>,
    /// Prometheus `/metrics` address. Absent: no metrics endpoint.
    #[serde(default)]
    pub metrics_addr: Option<SocketAddr>,
    /// Parameters every node of the mesh must share.
    pub network: NetworkSection,
    /// Verifier role settings (required when `role = "verifier"`).
    #[serde(default)]
    pub verifier: Option<VerifierSection>,
    /// Prover role settings (required when `role = "prover"`).
    #[serde(default)]
    pub prover: Option<ProverSection>,
    /// Fault injection (demos and tests only).
    #[serde(default)]
    pub testing: Option<TestingSection>,
}

/// libp2p settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pSection {
    /// File with the node's Ed25519 identity secret (64 hex digits; `proofmesh keygen`).
    pub identity_key: PathBuf,
    /// Listen multiaddrs, e.g. `/ip4/0.0.0.0/tcp/9000` (`tcp/0` picks a free port).
    pub listen: Vec<String>,
    /// Peers to dial at start, e.g. `/ip4/10.0.0.1/tcp/9000/p2p/12D3Koo…`.
    #[serde(default)]
    pub bootstrap: Vec<String>,
}

/// The parameters of the mesh: time, entropy, circuits, verifier set, health rules.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// Unix time (seconds) at which period 0 starts.
    pub genesis: u64,
    /// Period length in seconds (Codex: 60 s and more).
    pub period_secs: u64,
    /// Seconds after a period's end during which its proofs are still accepted.
    pub timeout_secs: u64,
    /// Entropy source (`entropy = "dev"`: deterministic, INSECURE, devnets and tests only).
    pub entropy: EntropyKind,
    /// Seed of the `dev` entropy source.
    #[serde(default)]
    pub entropy_seed: Option<String>,
    /// Verifying keys accepted (proofmesh `verifying.key` files or snarkjs
    /// `verification_key.json` files, e.g. Codex's).
    pub verifying_keys: Vec<PathBuf>,
    /// The verifier set file (`proofmesh keygen` prints members' public keys).
    pub verifier_set: PathBuf,
    /// Consecutive failed duties after which a slot is Lost (default 2, as Codex).
    #[serde(default)]
    pub miss_budget: Option<u32>,
}

/// Where each period's entropy comes from. One variant today; the chain adapter adds
/// `chain` (block hashes read by an entropy source outside the engine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntropyKind {
    /// Derived from `entropy_seed`: anyone can compute every future challenge. Devnets and
    /// tests only.
    Dev,
}

/// Fault injection for demos and tests, kept out of the role sections so that a production
/// config cannot carry it by accident (`[testing]`; a node with it logs a warning at start).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestingSection {
    /// Held slots the prover deliberately does not prove (watch Missing → Lost → repair
    /// request).
    #[serde(default)]
    pub withhold: Vec<u16>,
    /// Held slots the prover proves against the wrong period's entropy, so verifiers see
    /// well-formed proofs that do not verify (watch the Invalid verdicts and this peer's
    /// gossip score drop).
    #[serde(default)]
    pub invalid: Vec<u16>,
}

/// Verifier role settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierSection {
    /// File with the BLS attestation key seed (64 hex digits; `proofmesh keygen`). Its public
    /// key must be a member of the verifier set.
    pub bls_key: PathBuf,
    /// Most proofs verified in one batch.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Most milliseconds a proof waits for its batch to fill.
    #[serde(default = "default_batch_delay_ms")]
    pub batch_delay_ms: u64,
}

/// Prover role settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProverSection {
    /// File with the provider's Ed25519 signing key seed (64 hex digits).
    pub provider_key: PathBuf,
    /// The proving key (`proofmesh setup`); its `verifying.key` must sit beside it.
    pub proving_key: PathBuf,
    /// The slots this provider holds (`[[prover.hold]]`), of one or more datasets: only their
    /// files, the dataset tree comes from each dataset's announcement.
    #[serde(default)]
    pub hold: Vec<HeldSlotConfig>,
    /// Owner-signed registry record files (`proofmesh_node::owner`): the announcement of each
    /// dataset a held slot belongs to, and the assignments of the slots this provider holds.
    /// Checked at start, re-published every period. The provider proves the held slots whose
    /// assignment in force names its key; K, M and the proof policy come from the
    /// announcement.
    pub registry: Vec<PathBuf>,
    /// Prove with the MSMs on GPU 0 (a build with `--features gpu`); the node refuses to
    /// start when it cannot.
    #[serde(default)]
    pub gpu: bool,
    /// Nodes to fetch a held slot from when its file does not exist yet (the owner's, or
    /// another holder's, `MULTIADDR/p2p/PEER_ID`); the slot's other assignees found in the
    /// DHT are asked too. Every block is checked against the announced slot root before the
    /// file is written, and proving starts only once it is complete.
    #[serde(default)]
    pub fetch_from: Vec<String>,
    /// Seconds to wait for the DHT (the slot's holders) before fetching a missing slot.
    #[serde(default = "default_fetch_wait")]
    pub fetch_wait_secs: u64,
    /// Volunteer for repairs: claim the lost slots of the datasets in `registry` (on a repair
    /// request whose evidence checks out), and when a claim wins, rebuild the slot from K
    /// others, then prove it under this provider's key. A volunteer may hold no slot yet.
    #[serde(default)]
    pub volunteer: bool,
    /// Where a volunteer writes the slots it rebuilds (default `DATA_DIR/repairs`).
    #[serde(default)]
    pub repair_dir: Option<PathBuf>,
}

fn default_fetch_wait() -> u64 {
    20
}

/// One slot a provider holds (`[[prover.hold]]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldSlotConfig {
    /// The dataset root: 64 hex digits as `proofmesh owner announce` prints it (the
    /// little-endian bytes), or the decimal root of the manifest.
    #[serde(deserialize_with = "dataset_root")]
    pub dataset: DatasetRoot,
    /// The slot's index in the dataset (0-based, `< K + M`).
    pub slot: u16,
    /// The slot's file (`slot_<i>.bin` of `proofmesh dataset encode`).
    pub file: PathBuf,
}

/// A dataset root as an operator writes it: 64 characters with a hex letter are the
/// little-endian bytes, anything else is decimal.
pub fn parse_dataset_root(s: &str) -> Result<DatasetRoot, String> {
    let s = s.trim();
    let bytes = if s.len() == 64 && s.bytes().any(|b| b.is_ascii_alphabetic()) {
        let mut b = [0u8; 32];
        hex::decode_to_slice(s, &mut b).map_err(|e| format!("dataset {s:?}: {e}"))?;
        b
    } else {
        let x = proofmesh_circuits::field::fr_from_decimal(s)
            .map_err(|e| format!("dataset {s:?}: {e}"))?;
        proofmesh_circuits::field::fr_to_le_bytes(&x)
    };
    DatasetRoot::from_le_bytes(bytes).ok_or_else(|| format!("dataset {s}: not a canonical root"))
}

fn dataset_root<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DatasetRoot, D::Error> {
    let s = String::deserialize(d)?;
    parse_dataset_root(&s).map_err(serde::de::Error::custom)
}

/// Proofs per verification job unless `batch_size` says otherwise. 256 rather than 64: each
/// job pays one final exponentiation, one synced store write and one round trip through the
/// router, and `proofmesh bench node` measured 10 % more proofs/s at 256 than at 64 (2 cores,
/// docs/performance.md). Latency does not grow with it: a free worker takes what is waiting
/// at once, so only a saturated node fills whole jobs.
pub const DEFAULT_BATCH_SIZE: usize = 256;

fn default_batch_size() -> usize {
    DEFAULT_BATCH_SIZE
}

fn default_batch_delay_ms() -> u64 {
    200
}

impl NodeConfig {
    /// Reads, parses and checks a config file; relative paths become relative to its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config: NodeConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve(base);
        config.check().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(config)
    }

    fn resolve(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.data_dir);
        fix(&mut self.p2p.identity_key);
        fix(&mut self.network.verifier_set);
        self.network.verifying_keys.iter_mut().for_each(fix);
        if let Some(v) = &mut self.verifier {
            fix(&mut v.bls_key);
        }
        if let Some(p) = &mut self.prover {
            fix(&mut p.provider_key);
            fix(&mut p.proving_key);
            p.hold.iter_mut().for_each(|h| fix(&mut h.file));
            if let Some(d) = &mut p.repair_dir {
                fix(d);
            }
            p.registry.iter_mut().for_each(fix);
        }
    }

    fn check(&self) -> Result<(), String> {
        let n = &self.network;
        if n.period_secs == 0 {
            return Err("network.period_secs must be at least 1".into());
        }
        if n.miss_budget == Some(0) {
            return Err("network.miss_budget must be at least 1".into());
        }
        match (self.role, &self.verifier, &self.prover) {
            (Role::Verifier, None, _) => {
                Err("role = \"verifier\" needs a [verifier] section".into())
            }
            (Role::Prover, _, None) => Err("role = \"prover\" needs a [prover] section".into()),
            (_, Some(v), _) if v.batch_size == 0 => Err("verifier.batch_size must be >= 1".into()),
            (_, _, Some(p)) => check_prover(p, self.testing.as_ref()),
            _ => Ok(()),
        }
    }
}

fn check_prover(p: &ProverSection, testing: Option<&TestingSection>) -> Result<(), String> {
    if p.hold.is_empty() && !p.volunteer {
        return Err("prover.hold lists no slot: add a [[prover.hold]] per held slot".into());
    }
    if p.registry.is_empty() {
        return Err(
            "prover.registry lists no record: it needs the owner-signed dataset announcement and slot assignments"
                .into(),
        );
    }
    for (i, h) in p.hold.iter().enumerate() {
        if p.hold[..i]
            .iter()
            .any(|o| o.dataset == h.dataset && o.slot == h.slot)
        {
            return Err(format!(
                "prover.hold lists slot {} of dataset {} twice",
                h.slot, h.dataset
            ));
        }
    }
    let faults = testing.map(|t| (&t.withhold[..], &t.invalid[..]));
    let (withhold, invalid) = faults.unwrap_or((&[], &[]));
    if let Some(bad) = withhold
        .iter()
        .chain(invalid)
        .find(|&&i| !p.hold.iter().any(|h| h.slot == i))
    {
        return Err(format!("testing: slot {bad} is not a slot of prover.hold"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const PROVER: &str = r#"
role = "prover"
data_dir = "data"
[p2p]
identity_key = "node.key"
listen = ["/ip4/127.0.0.1/tcp/0"]
[network]
genesis = 0
period_secs = 10
timeout_secs = 5
entropy = "dev"
verifying_keys = ["v.key"]
verifier_set = "set.json"
[prover]
provider_key = "provider.key"
proving_key = "proving.key"
registry = ["announce.record", "assign-1.record", "assign-3.record"]
[[prover.hold]]
dataset = "0d3b3aa9a4b1d9b5e3b0f3c0e1b6c4e7a2d5f8091a2b3c4d5e6f708192a3b400"
slot = 1
file = "slot_1.bin"
[[prover.hold]]
dataset = "12345"
slot = 3
file = "slot_3.bin"
"#;

    fn parse(text: &str) -> Result<NodeConfig, String> {
        let c: NodeConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.check()?;
        Ok(c)
    }

    #[test]
    fn fault_injection_lives_in_the_testing_section() {
        let c = parse(PROVER).unwrap();
        assert!(c.testing.is_none());
        let c = parse(&format!("{PROVER}\n[testing]\nwithhold = [1]\n")).unwrap();
        assert_eq!(c.testing.unwrap().withhold, vec![1]);
        // Not in the role section any more.
        let old = PROVER.replace("registry =", "withhold = [1]\nregistry =");
        assert!(parse(&old).unwrap_err().contains("withhold"));
        // A faulty slot beyond K + M is refused.
        let e = parse(&format!("{PROVER}\n[testing]\ninvalid = [7]\n")).unwrap_err();
        assert!(e.contains("slot 7"), "{e}");
    }

    #[test]
    fn a_prover_holds_what_its_owner_signed_records_say() {
        // The v1 fields a provider used to decide for itself are gone.
        for old in ["announce = true", "proof_probability = 1"] {
            let text = PROVER.replace("registry =", &format!("{old}\nregistry ="));
            assert!(parse(&text).unwrap_err().contains("unknown field"), "{old}");
        }
        // v1's list of slot indices is not a list of held slots.
        let v1 = PROVER
            .replace("registry =", "hold = [0]\nregistry =")
            .split("[[prover.hold]]")
            .next()
            .unwrap()
            .to_owned();
        assert!(parse(&v1).unwrap_err().contains("invalid type"), "{v1}");
        let none = PROVER.replace(
            "registry = [\"announce.record\", \"assign-1.record\", \"assign-3.record\"]",
            "registry = []",
        );
        assert!(parse(&none).unwrap_err().contains("prover.registry"));
    }

    #[test]
    fn a_prover_lists_the_slots_it_holds() {
        let c = parse(PROVER).unwrap();
        let p = c.prover.unwrap();
        let held: Vec<(String, u16, &str)> = p
            .hold
            .iter()
            .map(|h| (h.dataset.to_string(), h.slot, h.file.to_str().unwrap()))
            .collect();
        assert_eq!(
            held[0].0,
            "0d3b3aa9a4b1d9b5e3b0f3c0e1b6c4e7a2d5f8091a2b3c4d5e6f708192a3b400"
        );
        assert_eq!((held[0].1, held[0].2), (1, "slot_1.bin"));
        // A decimal root is the same root as its little-endian hex.
        let mut twelve = [0u8; 32];
        twelve[..2].copy_from_slice(&12345u16.to_le_bytes());
        assert_eq!(held[1].0, hex::encode(twelve));
        assert_eq!((held[1].1, held[1].2), (3, "slot_3.bin"));
        // The old all-slots form is gone.
        let old = PROVER.replace("registry =", "slot_files = [\"a\", \"b\"]\nregistry =");
        assert!(parse(&old).unwrap_err().contains("unknown field"));
        // No held slot, a root that is no field element, a slot held twice.
        let none = &PROVER[..PROVER.find("[[prover.hold]]").unwrap()];
        assert!(parse(none).unwrap_err().contains("prover.hold"));
        let big = PROVER.replace("\"12345\"", &format!("\"{}\"", "f".repeat(64)));
        assert!(parse(&big).unwrap_err().contains("not a canonical root"));
        let bad = PROVER.replace("\"12345\"", "\"0x12\"");
        assert!(parse(&bad).unwrap_err().contains("dataset"));
        let twice = PROVER.replace("slot = 3", "slot = 1").replace(
            "\"12345\"",
            "\"0d3b3aa9a4b1d9b5e3b0f3c0e1b6c4e7a2d5f8091a2b3c4d5e6f708192a3b400\"",
        );
        assert!(parse(&twice).unwrap_err().contains("twice"));
        // Fault injection names held slots.
        let e = parse(&format!("{PROVER}\n[testing]\nwithhold = [2]\n")).unwrap_err();
        assert!(e.contains("slot 2 is not a slot of prover.hold"), "{e}");
    }

    #[test]
    fn the_deployment_example_parses() {
        let c = parse(include_str!("../../deploy/prover.toml")).unwrap();
        let slots: Vec<u16> = c.prover.unwrap().hold.iter().map(|h| h.slot).collect();
        assert_eq!(slots, vec![0, 2, 4]);
    }

    #[test]
    fn entropy_is_a_typed_choice() {
        assert_eq!(parse(PROVER).unwrap().network.entropy, EntropyKind::Dev);
        let chain = PROVER.replace("entropy = \"dev\"", "entropy = \"chain\"");
        let e = parse(&chain).unwrap_err();
        assert!(e.contains("unknown variant") && e.contains("dev"), "{e}");
    }
}
