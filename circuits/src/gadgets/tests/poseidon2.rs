//! The permutation, compression and sponge gadgets against `crate::poseidon2` / `crate::sponge`.
use super::*;
use crate::gadgets::poseidon2::{compress, permute, PERMUTATION_CONSTRAINTS};
use crate::gadgets::sponge::{sponge_rate2, SpongeVar};
use crate::{poseidon2, sponge};
use ark_ff::UniformRand;

#[test]
fn permutation_matches_native_in_240_constraints() {
    let mut r = rng(1);
    for _ in 0..8 {
        let s = [Fr::rand(&mut r), Fr::rand(&mut r), Fr::rand(&mut r)];
        let cs = cs();
        let vars = s.map(|x| witness(&cs, x));
        let out = permute(&vars).unwrap();
        let mut want = s;
        poseidon2::permute(&mut want);
        assert_eq!(out.each_ref().map(value), want);
        assert_eq!(cs.num_constraints(), PERMUTATION_CONSTRAINTS);
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn compression_matches_native_for_every_key() {
    let mut r = rng(2);
    for key in 0..4u8 {
        let (x, y) = (Fr::rand(&mut r), Fr::rand(&mut r));
        let cs = cs();
        let k = FrVar::Constant(Fr::from(key));
        let out = compress(&witness(&cs, x), &witness(&cs, y), &k).unwrap();
        assert_eq!(value(&out), poseidon2::compress(x, y, key));
        // A key given as a variable gives the same hash.
        let kv = witness(&cs, Fr::from(key));
        let out2 = compress(&witness(&cs, x), &witness(&cs, y), &kv).unwrap();
        assert_eq!(value(&out2), value(&out));
        assert!(cs.is_satisfied().unwrap());
    }
    // On constants the gadget folds to the native value and spends nothing.
    let out = compress(
        &FrVar::Constant(Fr::from(5u64)),
        &FrVar::Constant(Fr::from(6u64)),
        &FrVar::Constant(Fr::from(1u64)),
    )
    .unwrap();
    assert!(out.is_constant());
    assert_eq!(
        value(&out),
        poseidon2::compress(Fr::from(5u64), Fr::from(6u64), 1)
    );
}

#[test]
fn sponge_matches_native_for_all_lengths() {
    let mut r = rng(3);
    let xs: Vec<Fr> = (0..67).map(|_| Fr::rand(&mut r)).collect();
    for n in (0..=9).chain([66, 67]) {
        let cs = cs();
        let vars: Vec<FrVar> = xs[..n].iter().map(|x| witness(&cs, *x)).collect();
        let h = sponge_rate2(&vars).unwrap();
        assert_eq!(value(&h), sponge::sponge_rate2(&xs[..n]), "n {n}");
        // The empty input is all constants: folded, no constraint.
        let perms = if n == 0 { 0 } else { n / 2 + 1 };
        assert_eq!(cs.num_constraints(), perms * PERMUTATION_CONSTRAINTS);
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn shared_prefix_gives_the_sampler_hash() {
    let mut r = rng(4);
    let (e, root) = (Fr::rand(&mut r), Fr::rand(&mut r));
    let cs = cs();
    let mut prefix = SpongeVar::new();
    prefix
        .absorb_block([&witness(&cs, e), &witness(&cs, root)])
        .unwrap();
    for j in 1..=3u64 {
        let h = prefix
            .clone()
            .finish(&[FrVar::Constant(Fr::from(j))])
            .unwrap();
        assert_eq!(
            value(&h),
            sponge::sponge_rate2(&[e, root, Fr::from(j)]),
            "j {j}"
        );
    }
    // One shared permutation, then one per counter.
    assert_eq!(cs.num_constraints(), 4 * PERMUTATION_CONSTRAINTS);
    assert!(cs.is_satisfied().unwrap());
}
