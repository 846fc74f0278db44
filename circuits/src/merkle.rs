//! Merkle trees with Codex's keyed compression: the key's bit 0 marks the bottom layer, bit 1
//! an odd node (one child, compressed with 0); a single leaf still gets one compression. The
//! same rules, applied from a leaf upwards, are what Codex's circuit checks.

use crate::poseidon2::compress;
use ark_bn254::Fr;
use ark_ff::AdditiveGroup;

/// Why a tree or a path cannot be built or walked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// A Merkle tree over nothing has no root.
    #[error("a Merkle tree needs at least one leaf")]
    Empty,
    /// The leaf index is not below the number of leaves.
    #[error("leaf index {index} is out of range for {leaves} leaves")]
    IndexOutOfRange {
        /// The requested index.
        index: u64,
        /// The number of leaves in the tree.
        leaves: u64,
    },
    /// The path does not have one sibling per level of the tree.
    #[error("Merkle path has {got} siblings, a tree of {leaves} leaves needs {want}")]
    PathLength {
        /// Siblings given.
        got: usize,
        /// Siblings needed.
        want: usize,
        /// Leaves of the tree.
        leaves: u64,
    },
}

/// The key Codex uses for a compression: bit 0 = bottom layer, bit 1 = odd node.
pub fn node_key(bottom: bool, odd: bool) -> u8 {
    u8::from(bottom) | (u8::from(odd) << 1)
}

/// Number of siblings on a path of a tree with `leaves` leaves: ⌈log2 n⌉, and 1 for a single
/// leaf (which is still compressed once).
pub fn path_depth(leaves: u64) -> usize {
    if leaves <= 1 {
        1
    } else {
        (64 - (leaves - 1).leading_zeros()) as usize
    }
}

/// A whole Merkle tree, every layer kept, for producing paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// `layers[0]` are the leaves, the last layer is the root alone.
    layers: Vec<Vec<Fr>>,
}

impl MerkleTree {
    /// Builds the tree over `leaves` with Codex's conventions.
    pub fn new(leaves: Vec<Fr>) -> Result<Self, MerkleError> {
        if leaves.is_empty() {
            return Err(MerkleError::Empty);
        }
        Ok(Self::over_nonempty(leaves))
    }

    /// [`MerkleTree::new`] for a caller that knows `leaves` is not empty.
    pub(crate) fn over_nonempty(leaves: Vec<Fr>) -> Self {
        debug_assert!(!leaves.is_empty());
        let mut layers = vec![leaves];
        loop {
            let (bottom, last) = (layers.len() == 1, &layers[layers.len() - 1]);
            if last.len() == 1 && !bottom {
                break;
            }
            let next = compress_layer(last, bottom);
            layers.push(next);
        }
        Self { layers }
    }

    /// The root: the commitment to all leaves.
    pub fn root(&self) -> Fr {
        self.layers[self.layers.len() - 1][0]
    }

    /// The leaves the tree was built over.
    pub fn leaves(&self) -> &[Fr] {
        &self.layers[0]
    }

    /// Siblings on a path (see [`path_depth`]).
    pub fn depth(&self) -> usize {
        self.layers.len() - 1
    }

    /// The siblings from leaf `index` up to the root; `0` where a node has no sibling.
    pub fn path(&self, index: u64) -> Result<Vec<Fr>, MerkleError> {
        let leaves = self.layers[0].len() as u64;
        if index >= leaves {
            return Err(MerkleError::IndexOutOfRange { index, leaves });
        }
        let mut j = index as usize;
        let path = self.layers[..self.depth()]
            .iter()
            .map(|layer| {
                let sibling = layer.get(j ^ 1).copied().unwrap_or(Fr::ZERO);
                j >>= 1;
                sibling
            })
            .collect();
        Ok(path)
    }
}

/// One layer up: pairs compressed, a trailing odd node compressed with 0.
fn compress_layer(layer: &[Fr], bottom: bool) -> Vec<Fr> {
    let mut pairs = layer.chunks_exact(2);
    let mut next: Vec<Fr> = (&mut pairs)
        .map(|p| compress(p[0], p[1], node_key(bottom, false)))
        .collect();
    if let [odd] = pairs.remainder() {
        next.push(compress(*odd, Fr::ZERO, node_key(bottom, true)));
    }
    next
}

/// Walks `path` from `leaf` at `index` in a tree of `leaves` leaves and returns the root it
/// leads to, with exactly the key rules of Codex's circuit (`RootFromMerklePath`).
pub fn reconstruct_root(leaf: Fr, index: u64, leaves: u64, path: &[Fr]) -> Result<Fr, MerkleError> {
    if index >= leaves {
        return Err(MerkleError::IndexOutOfRange { index, leaves });
    }
    let want = path_depth(leaves);
    if path.len() != want {
        return Err(MerkleError::PathLength {
            got: path.len(),
            want,
            leaves,
        });
    }
    let (mut j, mut size, mut h) = (index, leaves, leaf);
    for (level, sibling) in path.iter().enumerate() {
        let bottom = level == 0;
        h = if j & 1 == 1 {
            compress(*sibling, h, node_key(bottom, false))
        } else {
            // The last node of a layer with an even index has no right sibling: an odd node.
            let odd = j == size - 1;
            compress(h, *sibling, node_key(bottom, odd))
        };
        j >>= 1;
        size = size.div_ceil(2);
    }
    Ok(h)
}

/// Whether `path` proves `leaf` at `index` under `root`.
pub fn verify_path(root: Fr, leaf: Fr, index: u64, leaves: u64, path: &[Fr]) -> bool {
    reconstruct_root(leaf, index, leaves, path).is_ok_and(|r| r == root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Fr> {
        (0..n).map(|i| Fr::from(1001 + i)).collect()
    }

    /// The root by the textbook recursion of Codex's reference, independent of `MerkleTree`.
    fn reference_root(xs: &[Fr], bottom: bool) -> Fr {
        if xs.len() == 1 && !bottom {
            return xs[0];
        }
        let mut ys = Vec::new();
        for i in 0..xs.len() / 2 {
            ys.push(compress(xs[2 * i], xs[2 * i + 1], node_key(bottom, false)));
        }
        if xs.len() % 2 == 1 {
            ys.push(compress(xs[xs.len() - 1], Fr::ZERO, node_key(bottom, true)));
        }
        reference_root(&ys, false)
    }

    #[test]
    fn roots_match_reference_and_paths_verify() {
        for n in 1..=19u64 {
            let t = MerkleTree::new(leaves(n)).unwrap();
            assert_eq!(t.root(), reference_root(&leaves(n), true), "n {n}");
            assert_eq!(t.depth(), path_depth(n), "n {n}");
            for i in 0..n {
                let p = t.path(i).unwrap();
                assert_eq!(
                    reconstruct_root(leaves(n)[i as usize], i, n, &p).unwrap(),
                    t.root(),
                    "n {n} i {i}"
                );
                // Any other index or leaf fails.
                if n > 1 {
                    assert!(!verify_path(
                        t.root(),
                        leaves(n)[i as usize],
                        (i + 1) % n,
                        n,
                        &p
                    ));
                }
                assert!(!verify_path(t.root(), Fr::from(7u64), i, n, &p));
            }
        }
    }

    #[test]
    fn single_leaf_and_pair_known_shapes() {
        let x = Fr::from(5u64);
        assert_eq!(
            MerkleTree::new(vec![x]).unwrap().root(),
            compress(x, Fr::ZERO, 3)
        );
        let y = Fr::from(6u64);
        assert_eq!(
            MerkleTree::new(vec![x, y]).unwrap().root(),
            compress(x, y, 1)
        );
        // Three leaves: the odd node on the bottom layer uses key 3, the top is even (key 0).
        let z = Fr::from(7u64);
        let want = compress(compress(x, y, 1), compress(z, Fr::ZERO, 3), 0);
        assert_eq!(MerkleTree::new(vec![x, y, z]).unwrap().root(), want);
        // Five leaves: an odd node above the bottom layer uses key 2.
        let l = leaves(5);
        let a = compress(compress(l[0], l[1], 1), compress(l[2], l[3], 1), 0);
        let b = compress(compress(l[4], Fr::ZERO, 3), Fr::ZERO, 2);
        assert_eq!(MerkleTree::new(l).unwrap().root(), compress(a, b, 0));
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(MerkleTree::new(vec![]), Err(MerkleError::Empty));
        let t = MerkleTree::new(leaves(4)).unwrap();
        assert!(matches!(
            t.path(4),
            Err(MerkleError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            reconstruct_root(Fr::ZERO, 0, 4, &[Fr::ZERO]),
            Err(MerkleError::PathLength {
                got: 1,
                want: 2,
                leaves: 4
            })
        ));
    }

    #[test]
    fn depth_rule() {
        assert_eq!(
            [1, 2, 3, 4, 5, 8, 9, 512].map(path_depth),
            [1, 1, 2, 2, 3, 3, 4, 9]
        );
    }
}
