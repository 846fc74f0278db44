//! Where each period's randomness comes from. Every party must derive the same entropy for a
//! period, and no prover may know it before the period starts.

use ark_bn254::Fr;
use ark_ff::PrimeField;
use proofmesh_proto::Period;
use sha2::{Digest, Sha256};
use sha3::Keccak256;
use std::collections::BTreeMap;

/// A source of per-period entropy (a BN254 scalar, the circuit's public `entropy`).
pub trait EntropySource: Send + Sync {
    /// The entropy of `period`, or `None` while it is not known yet.
    fn entropy(&self, period: Period) -> Option<Fr>;
    /// A short name for logs and configuration (`dev`, `chain`).
    fn name(&self) -> &'static str;
}

/// **INSECURE — local devnets and tests only.** Entropy derived from a public seed, so anyone
/// can compute every future period's challenge and precompute proofs without keeping data.
#[derive(Clone, Debug)]
pub struct DevEntropy {
    seed: [u8; 32],
}

impl DevEntropy {
    /// A dev source from any seed.
    pub fn new(seed: &[u8]) -> Self {
        Self {
            seed: Sha256::digest(seed).into(),
        }
    }
}

impl EntropySource for DevEntropy {
    fn entropy(&self, period: Period) -> Option<Fr> {
        let mut h = Sha256::new();
        h.update(b"proofmesh/v1/dev-entropy (INSECURE)");
        h.update(self.seed);
        h.update(period.0.to_be_bytes());
        // 31 bytes always fit below r: the value is canonical without reduction.
        Some(Fr::from_le_bytes_mod_order(&h.finalize()[..31]))
    }
    fn name(&self) -> &'static str {
        "dev"
    }
}

/// Entropy from chain block hashes supplied by the caller (the block at each period's start),
/// derived as Codex's marketplace does: keccak256(block hash), first 31 bytes little-endian.
#[derive(Clone, Debug, Default)]
pub struct ChainEntropy {
    blocks: BTreeMap<Period, [u8; 32]>,
}

impl ChainEntropy {
    /// An empty source; feed it with [`ChainEntropy::insert`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the block hash that seeds `period`.
    pub fn insert(&mut self, period: Period, block_hash: [u8; 32]) {
        self.blocks.insert(period, block_hash);
    }

    /// The entropy for a block hash (public so tests and tools can check the derivation).
    pub fn from_block_hash(block_hash: &[u8; 32]) -> Fr {
        let k = Keccak256::digest(block_hash);
        Fr::from_le_bytes_mod_order(&k[..31])
    }
}

impl EntropySource for ChainEntropy {
    fn entropy(&self, period: Period) -> Option<Fr> {
        self.blocks.get(&period).map(Self::from_block_hash)
    }
    fn name(&self) -> &'static str {
        "chain"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_entropy_is_deterministic_per_seed_and_period() {
        let a = DevEntropy::new(b"devnet");
        assert_eq!(a.entropy(Period(3)), a.entropy(Period(3)));
        assert_ne!(a.entropy(Period(3)), a.entropy(Period(4)));
        assert_ne!(
            a.entropy(Period(3)),
            DevEntropy::new(b"other").entropy(Period(3))
        );
    }

    #[test]
    fn chain_entropy_is_keccak_prefix() {
        let mut c = ChainEntropy::new();
        assert_eq!(c.entropy(Period(1)), None);
        let hash = [0xab; 32];
        c.insert(Period(1), hash);
        // keccak256 of 32 bytes 0xab, first 31 bytes read little-endian.
        let k = Keccak256::digest(hash);
        let mut le = k[..31].to_vec();
        le.reverse();
        let big = num_bigint::BigUint::from_bytes_be(&le);
        assert_eq!(c.entropy(Period(1)), Some(Fr::from(big)));
    }
}
