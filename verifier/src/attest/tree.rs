//! The batch entries tree: a binary SHA-256 Merkle tree over the canonical encoding of each
//! [`SlotVerdict`] of a batch, in batch order.
//!
//! - leaf = `SHA-256(0x00 ‖ dataset root 32 B ‖ slot index u16 BE ‖ verdict u8)` (verdict as
//!   its wire number: 1 valid, 2 invalid, 3 missing);
//! - node = `SHA-256(0x01 ‖ left ‖ right)`; the prefixes keep a leaf from passing as a node;
//! - **odd rule: promote.** The last node of a level with an odd number of nodes moves up
//!   unchanged (it is never hashed with itself). Duplicating it instead would give `[a, b, c]`
//!   and `[a, b, c, c]` the same root (Bitcoin's CVE-2012-2459); promotion has no such
//!   collision and shorter paths. Built level by level, this is exactly the tree shape of
//!   RFC 6962 (Certificate Transparency): split at the largest power of two below `n`.
//! - the empty tree's root is `SHA-256("")` (RFC 6962); it has no inclusion proofs.
//!
//! A path holds one sibling per level at which the node has one, so its length depends on the
//! index and the count; [`verify_inclusion`] walks the same levels and needs both, which the
//! signed message fixes (it binds the entry count).

use proofmesh_proto::SlotVerdict;
use sha2::{Digest, Sha256};

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// Most siblings a path can have: trees of up to 2^32 entries (counts are `u32`).
const MAX_DEPTH: usize = 32;

/// The hash of one entry: the leaf of the entries tree.
pub fn entry_leaf(entry: &SlotVerdict) -> [u8; 32] {
    let verdict = u8::try_from(entry.verdict.to_wire()).unwrap_or(0);
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(entry.slot.dataset.as_bytes());
    h.update(entry.slot.index.to_be_bytes());
    h.update([verdict]);
    h.finalize().into()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// All levels of one batch's entries tree, kept so that inclusion proofs for any entry cost
/// no hashing (a certificate needs one proof per signer, for many slots of the same batch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntriesTree {
    /// `levels[0]` are the leaves; the last level holds the root (empty for an empty tree).
    levels: Vec<Vec<[u8; 32]>>,
}

impl EntriesTree {
    /// Builds the tree of `entries` (2n − 1 hashes for n entries).
    pub fn new(entries: &[SlotVerdict]) -> Self {
        let mut levels = vec![entries.iter().map(entry_leaf).collect::<Vec<_>>()];
        while let Some(last) = levels.last().filter(|l| l.len() > 1) {
            let next = last
                .chunks(2)
                .map(|pair| match pair {
                    [l, r] => node(l, r),
                    odd => odd.first().copied().unwrap_or_default(),
                })
                .collect();
            levels.push(next);
        }
        Self { levels }
    }

    /// Number of entries (leaves).
    pub fn len(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// Whether the tree has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The root the batch's signature commits to.
    pub fn root(&self) -> [u8; 32] {
        match self.levels.last().and_then(|l| l.first()) {
            Some(root) => *root,
            None => Sha256::digest([]).into(),
        }
    }

    /// The siblings from entry `index` up to the root (`None` if out of range).
    pub fn path(&self, index: usize) -> Option<Vec<[u8; 32]>> {
        if index >= self.len() {
            return None;
        }
        let mut i = index;
        let mut path = Vec::with_capacity(self.levels.len());
        for level in &self.levels[..self.levels.len() - 1] {
            if let Some(sibling) = level.get(i ^ 1) {
                path.push(*sibling);
            }
            i >>= 1;
        }
        Some(path)
    }
}

/// The entries root of a batch, as signed.
pub fn entries_root(entries: &[SlotVerdict]) -> [u8; 32] {
    EntriesTree::new(entries).root()
}

/// Whether `path` proves that `leaf` is entry `index` of a tree of `count` entries with root
/// `root`. Rejects an out-of-range index and a path of the wrong length, so one (leaf, root)
/// has exactly one valid path per position.
pub fn verify_inclusion(
    leaf: &[u8; 32],
    index: u32,
    count: u32,
    path: &[[u8; 32]],
    root: &[u8; 32],
) -> bool {
    if index >= count || path.len() > MAX_DEPTH {
        return false;
    }
    let (mut i, mut n) = (u64::from(index), u64::from(count));
    let mut hash = *leaf;
    let mut siblings = path.iter();
    while n > 1 {
        if (i ^ 1) < n {
            let Some(sibling) = siblings.next() else {
                return false;
            };
            hash = if i & 1 == 0 {
                node(&hash, sibling)
            } else {
                node(sibling, &hash)
            };
        }
        i >>= 1;
        n = n.div_ceil(2);
    }
    siblings.next().is_none() && hash == *root
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use proofmesh_proto::{DatasetRoot, SlotId, Verdict};

    fn entries(n: usize) -> Vec<SlotVerdict> {
        let dataset = DatasetRoot::from_le_bytes([5; 32]).unwrap();
        (0..n)
            .map(|i| SlotVerdict {
                slot: SlotId {
                    dataset,
                    index: i as u16,
                },
                verdict: Verdict::ALL[i % 3],
            })
            .collect()
    }

    /// RFC 6962's recursive definition, the reference the level-by-level build must match.
    fn rfc6962(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node(&rfc6962(&leaves[..k]), &rfc6962(&leaves[k..]))
            }
        }
    }

    #[test]
    fn matches_rfc6962_shape() {
        for n in 0..=40 {
            let e = entries(n);
            let leaves: Vec<_> = e.iter().map(entry_leaf).collect();
            assert_eq!(entries_root(&e), rfc6962(&leaves), "n = {n}");
        }
    }

    #[test]
    fn leaf_encoding_is_pinned() {
        let e = entries(1)[0];
        let mut bytes = vec![0u8];
        bytes.extend([5; 32]);
        bytes.extend([0, 0, 1]);
        assert_eq!(entry_leaf(&e), <[u8; 32]>::from(Sha256::digest(&bytes)));
        // A single entry's root is its leaf; two entries hash under the node prefix.
        assert_eq!(entries_root(&entries(1)), entry_leaf(&e));
    }

    #[test]
    fn every_path_verifies_and_no_other() {
        for n in 1..=17u32 {
            let e = entries(n as usize);
            let tree = EntriesTree::new(&e);
            let root = tree.root();
            for i in 0..n {
                let leaf = entry_leaf(&e[i as usize]);
                let path = tree.path(i as usize).unwrap();
                assert!(path.len() <= (n as f64).log2().ceil() as usize);
                assert!(verify_inclusion(&leaf, i, n, &path, &root), "{i}/{n}");
                // Wrong position, wrong count, truncated or extended path: rejected.
                if n > 1 {
                    let j = (i + 1) % n;
                    assert!(!verify_inclusion(&leaf, j, n, &path, &root));
                }
                assert!(!verify_inclusion(&leaf, n, n, &path, &root));
                let mut long = path.clone();
                long.push([0; 32]);
                assert!(!verify_inclusion(&leaf, i, n, &long, &root));
                if let Some((_, short)) = path.split_last() {
                    assert!(!verify_inclusion(&leaf, i, n, short, &root));
                }
                for k in 0..path.len() {
                    let mut bad = path.clone();
                    bad[k][0] ^= 1;
                    assert!(!verify_inclusion(&leaf, i, n, &bad, &root));
                }
            }
            assert!(tree.path(n as usize).is_none());
        }
    }

    #[test]
    fn odd_node_is_promoted_not_duplicated() {
        let e = entries(3);
        let mut dup = e.clone();
        dup.push(e[2]);
        assert_ne!(entries_root(&e), entries_root(&dup));
        let l: Vec<_> = e.iter().map(entry_leaf).collect();
        assert_eq!(entries_root(&e), node(&node(&l[0], &l[1]), &l[2]));
    }

    #[test]
    fn empty_tree() {
        let tree = EntriesTree::new(&[]);
        assert!(tree.is_empty() && tree.path(0).is_none());
        assert_eq!(tree.root(), <[u8; 32]>::from(Sha256::digest([])));
        assert!(!verify_inclusion(&[0; 32], 0, 0, &[], &tree.root()));
    }
}
