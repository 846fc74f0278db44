//! Path walking with Codex's keys and depth masks against `crate::merkle`.
use super::*;
use crate::gadgets::bits::{to_bits_le, BitVar};
use crate::gadgets::mask::{ceiling_log2_mask, power_of_two_mask};
use crate::gadgets::merkle::{
    enforce_root, keys, odd_node_bits, path_hashes, root_from_merkle_path, select_root,
};
use crate::merkle::{path_depth, MerkleTree};
use ark_ff::UniformRand;

const DEPTH: usize = 6;

struct PathVars {
    leaf: FrVar,
    siblings: Vec<FrVar>,
    index_bits: Vec<BitVar>,
    last_bits: Vec<BitVar>,
    mask: Vec<BitVar>,
}

/// The inputs of `RootFromMerklePath(DEPTH)` for leaf `index` of `tree`, path zero-padded.
fn path_vars(cs: &ConstraintSystemRef<Fr>, tree: &MerkleTree, index: u64, last: u64) -> PathVars {
    let mut path = tree.path(index).unwrap();
    path.resize(DEPTH, Fr::from(0u64));
    let last_bits = to_bits_le(&witness(cs, Fr::from(last)), DEPTH).unwrap();
    PathVars {
        leaf: witness(cs, tree.leaves()[index as usize]),
        siblings: path.iter().map(|x| witness(cs, *x)).collect(),
        index_bits: to_bits_le(&witness(cs, Fr::from(index)), DEPTH).unwrap(),
        mask: ceiling_log2_mask(&last_bits).unwrap(),
        last_bits,
    }
}

fn root(p: &PathVars) -> Fr {
    value(
        &root_from_merkle_path(&p.leaf, &p.siblings, &p.index_bits, &p.last_bits, &p.mask).unwrap(),
    )
}

#[test]
fn roots_match_native_trees_of_every_size() {
    let mut r = rng(20);
    for n in 1..=19u64 {
        let tree = MerkleTree::new((0..n).map(|_| Fr::rand(&mut r)).collect()).unwrap();
        let cs = cs();
        for i in 0..n {
            let p = path_vars(&cs, &tree, i, n - 1);
            assert_eq!(root(&p), tree.root(), "n {n} i {i}");
            let hashes = path_hashes(
                &p.leaf,
                &p.siblings,
                &p.index_bits,
                &keys(true, &odd_node_bits(&p.index_bits, &p.last_bits).unwrap()),
            )
            .unwrap();
            enforce_root(&hashes, &p.mask, &FrVar::Constant(tree.root())).unwrap();
        }
        assert!(cs.is_satisfied().unwrap(), "n {n}");
    }
}

#[test]
fn odd_node_bits_follow_the_last_index() {
    // Leaf 4 of 5 is odd at levels 0 and 1 (keys 3 and 2); with 6 leaves it has a sibling.
    let cs = cs();
    let bits = |x: u64| to_bits_le(&witness(&cs, Fr::from(x)), 3).unwrap();
    let odd = |i: u64, last: u64| -> Vec<bool> {
        odd_node_bits(&bits(i), &bits(last))
            .unwrap()
            .iter()
            .map(|b| b.value().unwrap())
            .collect()
    };
    assert_eq!(odd(4, 4), [true, true, false]);
    assert_eq!(odd(4, 5), [false, true, false]);
    assert_eq!(odd(2, 4), [false, false, false]);
    assert_eq!(odd(0, 0), [true, true, true]);
    assert_eq!(odd(6, 6), [true, false, false]);
    assert_eq!(odd(7, 6), [false, false, false]);
    assert!(cs.is_satisfied().unwrap());
    // 3 levels: 1 for the top, 2 for each level below, plus 6 × 3 range-check bits.
    assert_eq!(cs.num_constraints(), 6 * (5 + 6));
}

#[test]
fn tampered_keys_and_paths_change_the_root() {
    let mut r = rng(21);
    let tree = MerkleTree::new((0..5).map(|_| Fr::rand(&mut r)).collect()).unwrap();
    let cs = cs();
    // Leaf 4 is the odd node: claiming 6 leaves drops its odd key bit at level 0.
    let p = path_vars(&cs, &tree, 4, 5);
    assert_ne!(root(&p), tree.root());
    // A flipped key bit (bottom-layer bit at level 1) changes the root.
    let p = path_vars(&cs, &tree, 1, 4);
    let mut k = keys(true, &odd_node_bits(&p.index_bits, &p.last_bits).unwrap());
    let good = select_root(
        &path_hashes(&p.leaf, &p.siblings, &p.index_bits, &k).unwrap(),
        &p.mask,
    )
    .unwrap();
    assert_eq!(value(&good), tree.root());
    k[1] = &k[1] + Fr::from(1u64);
    let bad = path_hashes(&p.leaf, &p.siblings, &p.index_bits, &k).unwrap();
    assert_ne!(value(&select_root(&bad, &p.mask).unwrap()), tree.root());
    // The wrong index, or a wrong sibling, fails the root check.
    let cs = super::cs();
    for (index, tamper) in [(2u64, false), (1, true)] {
        let mut p = path_vars(&cs, &tree, 1, 4);
        p.index_bits = to_bits_le(&witness(&cs, Fr::from(index)), DEPTH).unwrap();
        if tamper {
            p.siblings[1] = witness(&cs, Fr::from(9u64));
        }
        let odd = odd_node_bits(&p.index_bits, &p.last_bits).unwrap();
        let hashes = path_hashes(&p.leaf, &p.siblings, &p.index_bits, &keys(true, &odd)).unwrap();
        enforce_root(&hashes, &p.mask, &FrVar::Constant(tree.root())).unwrap();
    }
    assert!(!cs.is_satisfied().unwrap());
}

#[test]
fn ceiling_log2_mask_marks_levels_below_the_root() {
    let cs = cs();
    for n in 1..=256u64 {
        let last = to_bits_le(&witness(&cs, Fr::from(n - 1)), 8).unwrap();
        let mask = ceiling_log2_mask(&last).unwrap();
        let got: Vec<bool> = mask.iter().map(|b| b.value().unwrap()).collect();
        let want: Vec<bool> = (1..8).map(|i| path_depth(n) > i).collect();
        assert_eq!(got, want, "n {n}");
    }
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn power_of_two_mask_accepts_exactly_powers_of_two() {
    for n in 0..=600u64 {
        let cs = cs();
        let mask = power_of_two_mask(&witness(&cs, Fr::from(n)), 8).unwrap();
        assert_eq!(cs.num_constraints(), 8);
        let ok = n.is_power_of_two() && (2..=256).contains(&n);
        assert_eq!(cs.is_satisfied().unwrap(), ok, "n {n}");
        if ok {
            let k = n.trailing_zeros() as usize;
            let got: Vec<bool> = mask.iter().map(|b| b.value().unwrap()).collect();
            assert_eq!(got, (1..8).map(|i| i < k).collect::<Vec<_>>(), "n {n}");
        }
    }
}
